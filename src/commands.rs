//! The `render` command's pipeline: answers → validation → secrets → in-memory render.
//! Shared by `init`, which supplies its answers from prompts.

#![warn(clippy::too_many_lines)]

use std::path::{Path, PathBuf};

use crate::answers::{self, Answers, Field, RawAnswers};
use crate::environment::ProcessEnv;
use crate::error::{Error, Result};
use crate::output::RenderSet;
use crate::render;
use crate::secrets::{self, PasswordSource, Secrets};

/// The answers file of a directory.
pub fn answers_path(out: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join("chatwoot-redis.yaml"))
}

/// Reads the answers file when present (an explicit `--answers` file must exist).
pub fn read_answers_file(path: &Path, explicit: bool) -> Result<RawAnswers> {
    use crate::bounded::{read_capped_text, Refused};
    match read_capped_text(path, crate::answers::MAX_ANSWERS_FILE) {
        Ok(text) => RawAnswers::from_yaml(&text, &path.display().to_string()),
        Err(Refused::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok(RawAnswers::new())
        }
        Err(Refused::Io(source)) => Err(Error::Read {
            path: path.to_path_buf(),
            source,
        }),
        Err(refused) => Err(Error::Usage(format!(
            "{}: the answers file is not read: {refused}\n  fix: the answers file is a small \
             regular file (`chatwoot-redis.yaml`); delete it and run `chatwoot-redis init`",
            path.display()
        ))),
    }
}

/// Refuses a password inside `--url` given on the command line
/// ([`answers::check_url_flag`], against this process's `CHATWOOT_REDIS_URL`).
pub fn check_url_flag(given: &RawAnswers) -> Result<()> {
    answers::check_url_flag(given, ProcessEnv::get().answer_url())
}

/// Everything `render` computed, before anything touches the disk.
pub struct Prepared {
    pub answers: Answers,
    pub secrets: Secrets,
    pub set: RenderSet,
}

/// What `render` does with the rendered set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderMode {
    DryRun,
    Diff,
    Check,
    Stdout,
    Write { force: bool },
}

impl RenderMode {
    /// Modes that need the password as the write does. `--dry-run` and `--diff` show what the
    /// write would do, so they refuse where it refuses (a scenario switch without the new
    /// deployment's password) instead of showing a plan without the secret files. `--check`
    /// and `--stdout` never touch secret files: CI checks a fresh clone without the password.
    pub fn needs_secrets(self) -> bool {
        matches!(
            self,
            RenderMode::Write { .. } | RenderMode::DryRun | RenderMode::Diff
        )
    }
}

/// A render as the command line asked for it (no clap type past this point).
#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub out: PathBuf,
    /// `--answers FILE` instead of OUT/chatwoot-redis.yaml.
    pub answers_file: Option<PathBuf>,
    /// The answers given as flags or CHATWOOT_REDIS_* variables.
    pub answers: RawAnswers,
    pub passwords: PasswordSource,
    pub mode: RenderMode,
}

/// `--out` is a directory, or a path a directory can be created at: the nearest part of it
/// that exists must be a directory (`--out notes.txt` or `--out notes.txt/deploy` is refused
/// here, not as an unreadable answers file).
fn check_out_dir(out: &Path) -> Result<()> {
    let Some(existing) = out.ancestors().find(|p| std::fs::metadata(p).is_ok()) else {
        return Ok(());
    };
    if existing.is_dir() {
        return Ok(());
    }
    let why = if existing == out {
        "it is a file, not a directory".to_string()
    } else {
        format!("{} is a file, not a directory", existing.display())
    };
    Err(Error::invalid(
        "--out",
        out.display().to_string(),
        why,
        "give the directory the files go in (it is created when missing), e.g. --out deploy/",
    ))
}

/// Merges the answers file and the flags, validates, gathers secrets and renders in memory.
pub fn prepare(
    out: &Path,
    answers_file: Option<&Path>,
    given: &RawAnswers,
    passwords: &PasswordSource,
    require_secrets: bool,
) -> Result<Prepared> {
    check_url_flag(given)?;
    check_out_dir(out)?;
    let path = answers_path(out, answers_file);
    let mut raw = read_answers_file(&path, answers_file.is_some())?;
    let mut passwords = passwords.clone();
    if let (Some(old), Some(new)) = (raw.get(Field::Scenario), given.get(Field::Scenario)) {
        if old.trim() != new.trim() {
            // A new scenario: the old endpoint answers (host, port, TLS…) and the old
            // password describe another Redis and must not leak into this one. The
            // workload stays.
            answers::keep_only_portable(&mut raw);
            passwords.fresh_deployment = true;
        }
    }
    let saved_deployment = path.is_file();
    if !saved_deployment && given.get(Field::Scenario).is_none() {
        return Err(Error::Missing(vec![crate::error::Missing::new(
            Field::Scenario,
            format!(
                "scenario: there is no chatwoot-redis.yaml there ({}): give --out the directory \
                 that holds it, or start a deployment with --scenario ID, CHATWOOT_REDIS_SCENARIO \
                 or `chatwoot-redis init` ({})",
                path.display(),
                crate::scenario::Scenario::ids().join(", ")
            ),
        )]));
    }
    raw.overlay(given);
    let answers_dir = answers_dir_of(&path);
    let env_path = env_path_of(&raw, out, &path);
    let rotating_note = take_rotating_endpoint(&env_path, &mut raw);
    let mut prepared = match prepare_in(out, &answers_dir, &raw, &passwords, None, require_secrets)
    {
        // A committed deployment in a fresh clone (CI, a laptop): no password and no .env
        // here. The public files are rendered; the secret files stay for where the password
        // is (the server, whose .env keeps it).
        Err(Error::Missing(m))
            if saved_deployment
                && !env_path.exists()
                && m.iter().all(|m| {
                    m.field == Field::Password
                        || (rotating_without_url(&raw) && m.field == Field::Host)
                }) =>
        {
            let note = if rotating_without_url(&raw) {
                // Only secret files name a rotating endpoint (it is in REDIS_URL), and none is
                // written here: a stand-in lets the public files render.
                raw.set(Field::Url, ROTATING_STAND_IN);
                "no URL here (no CHATWOOT_REDIS_URL and no .env in this directory): wrote the \
                 files without secrets only; render with \
                 CHATWOOT_REDIS_URL=\"$(heroku config:get REDIS_URL -a APP)\" to update .env"
            } else {
                "no password here (none given, and no .env or redis-secret.yaml in this \
                 directory to keep it from): wrote the files without secrets only; render where \
                 the password is (the server, or with REDIS_PASSWORD=…) to update the secret files"
            };
            let mut prepared = prepare_in(out, &answers_dir, &raw, &passwords, None, false)?;
            prepared.set.warnings.push(note.into());
            prepared
        }
        other => other?,
    };
    let ignored = answers::check_saved(&prepared.answers, &raw, given)?;
    prepared.set.warnings.extend(ignored);
    prepared.set.warnings.extend(rotating_note);
    Ok(prepared)
}

/// The endpoint a rotating scenario's public files are rendered with in a fresh clone (no URL,
/// no `.env`): `.invalid` never resolves, and no file that names the endpoint is written.
const ROTATING_STAND_IN: &str = "rediss://endpoint-not-recorded.invalid:6379";

fn rotating_without_url(raw: &RawAnswers) -> bool {
    raw.get(Field::Scenario)
        .and_then(|s| crate::scenario::Scenario::parse(s.trim()))
        .is_some_and(|sc| sc.rules().record == crate::scenario::EndpointRecord::Rotating)
        && raw.get(Field::Url).is_none()
        && raw.get(Field::Host).is_none()
}

/// A scenario whose endpoint rotates with its password (Heroku) records no endpoint in the
/// answers file: without `--url`/`CHATWOOT_REDIS_URL` now, the endpoint is the `REDIS_URL` of
/// the `.env` written before. Returns the note saying so.
pub fn take_rotating_endpoint(env_path: &Path, raw: &mut RawAnswers) -> Option<String> {
    if !rotating_without_url(raw) {
        return None;
    }
    let url = secrets::existing_env_url(env_path)?;
    raw.set(Field::Url, url);
    Some(format!(
        "took host, port and password from REDIS_URL of {} (they rotate: when they change, \
         render with CHATWOOT_REDIS_URL=\"$(heroku config:get REDIS_URL -a APP)\")",
        env_path.display(),
    ))
}

/// The `.env` a render writes: the `env-file` answer (relative to the answers file's
/// directory), else `OUT/.env`.
pub fn env_path_of(raw: &RawAnswers, out: &Path, answers_file: &Path) -> PathBuf {
    env_file_path(raw, &answers_dir_of(answers_file)).unwrap_or_else(|| out.join(".env"))
}

/// The directory of the answers file (`.` for a bare file name).
fn answers_dir_of(answers_file: &Path) -> PathBuf {
    match answers_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// As [`prepare`], from answers already merged (the wizard's path).
pub fn prepare_raw(
    out: &Path,
    raw: &RawAnswers,
    passwords: &PasswordSource,
    require_secrets: bool,
) -> Result<Prepared> {
    prepare_with_password(out, raw, passwords, None, require_secrets)
}

/// As [`prepare_raw`], with a password chosen at the wizard's prompt (entered, generated or
/// kept). It takes the place of the other sources; it never goes into [`RawAnswers`].
pub fn prepare_with_password(
    out: &Path,
    raw: &RawAnswers,
    passwords: &PasswordSource,
    password: Option<(String, secrets::Origin)>,
    require_secrets: bool,
) -> Result<Prepared> {
    prepare_in(out, out, raw, passwords, password, require_secrets)
}

/// `env-file` as a path: a relative one is relative to the answers file's directory, so the
/// next render from anywhere finds the same file.
fn env_file_path(raw: &RawAnswers, answers_dir: &Path) -> Option<PathBuf> {
    raw.get(Field::EnvFile).map(|f| answers_dir.join(f))
}

/// `path` made absolute with its `.` and `..` folded by name (the answers file's directory
/// need not exist yet: `deploy/../chatwoot/.env` is `chatwoot/.env` before `deploy/` is made).
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// [`prepare_with_password`] with the answers file in `answers_dir`.
fn prepare_in(
    out: &Path,
    answers_dir: &Path,
    raw: &RawAnswers,
    passwords: &PasswordSource,
    password: Option<(String, secrets::Origin)>,
    require_secrets: bool,
) -> Result<Prepared> {
    let mut answers = answers::resolve(raw)?;
    if let Some(text) = &answers.env_file {
        let path = lexical(&answers_dir.join(text));
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::invalid_answer(
                Field::EnvFile,
                text.clone(),
                format!(
                    "its directory {} does not exist{}",
                    dir.display(),
                    if Path::new(text).is_relative() {
                        " (a relative env-file is relative to the answers file's directory)"
                    } else {
                        ""
                    }
                ),
                "give the path of Chatwoot's own .env, e.g. --env-file /home/chatwoot/chatwoot/.env",
            ));
        }
        // Absolute and without `..`, so the journal of its directory names it plainly.
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        answers.env_path = Some(dir.canonicalize().map_or(path, |d| d.join(name)));
    }
    if answers.scenario.rules().compose {
        answers.compose = crate::scenario::find_compose_layout(out);
    }
    let mut secrets = secrets::gather(
        &answers,
        passwords,
        ProcessEnv::get().redis_password().map(str::to_string),
        ProcessEnv::get().sentinel_password().map(str::to_string),
        out,
        require_secrets && password.is_none(),
    )?;
    if answers.auth == answers::Auth::Password {
        if let Some(p) = password {
            secrets.password = Some(p);
        }
    }
    let mut set = render::render(&answers, &secrets)?;
    match secrets.password.as_ref().map(|(_, o)| *o) {
        Some(secrets::Origin::ExistingEnvFile) if require_secrets => set.warnings.push(
            "kept the password of .env (--generate-password, REDIS_PASSWORD or \
             --password-file replace it)"
                .into(),
        ),
        Some(secrets::Origin::Generated) => {
            let kept = secrets
                .password
                .as_ref()
                .is_some_and(|(p, _)| set.files.iter().any(|f| f.contents.contains(p.as_str())));
            if !kept {
                return Err(Error::invalid(
                    "--generate-password",
                    answers.emit_spec.clone().unwrap_or_default(),
                    "no rendered file holds the generated password (the outputs chosen with \
                     --emit have no place for it), so Redis and Chatwoot would never get it",
                    "drop --generate-password to render the files without secrets, or keep the \
                     output that holds the password (.env: remove -env from --emit)",
                ));
            }
            set.warnings
                .extend(answers.scenario.generated_password_note(&answers));
        }
        _ => {}
    }
    // The append-only caution matters when a redis.conf is first introduced; repeating it on
    // every later render (and in CI's --check) would only be noise.
    if out.join("redis.conf").exists() {
        set.warnings.retain(|w| w != render::APPENDONLY_WARNING);
    }
    Ok(Prepared {
        answers,
        secrets,
        set,
    })
}
