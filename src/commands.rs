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

/// Refuses a password inside `--url` given on the command line (shell history, `ps`).
pub fn check_url_flag(given: &RawAnswers) -> Result<()> {
    let Some(url) = given.get(Field::Url) else {
        return Ok(());
    };
    let from_env = ProcessEnv::get().answer_url() == Some(url);
    let has_password = url::Url::parse(url)
        .map(|u| u.password().is_some_and(|p| !p.is_empty()))
        .unwrap_or(false);
    if has_password && !from_env {
        return Err(Error::invalid(
            "--url",
            answers::redact_url(url),
            "the URL holds a password, and a flag value stays in shell history and `ps`",
            "pass the URL without the password and the password with REDIS_PASSWORD=… or \
             --password-file; or export CHATWOOT_REDIS_URL=… instead of the flag",
        ));
    }
    Ok(())
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
    /// Modes that never show or write secret files need no password.
    pub fn needs_secrets(self) -> bool {
        matches!(self, RenderMode::Write { .. })
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

/// Merges the answers file and the flags, validates, gathers secrets and renders in memory.
pub fn prepare(
    out: &Path,
    answers_file: Option<&Path>,
    given: &RawAnswers,
    passwords: &PasswordSource,
    require_secrets: bool,
) -> Result<Prepared> {
    check_url_flag(given)?;
    let path = answers_path(out, answers_file);
    let mut raw = read_answers_file(&path, answers_file.is_some())?;
    if let (Some(old), Some(new)) = (raw.get(Field::Scenario), given.get(Field::Scenario)) {
        if old.trim() != new.trim() {
            // A new scenario: the old endpoint answers (host, port, TLS…) describe another
            // Redis and must not leak into this one. The workload stays.
            answers::keep_only_portable(&mut raw);
        }
    }
    raw.overlay(given);
    prepare_raw(out, &raw, passwords, require_secrets)
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
    let answers = answers::resolve(raw)?;
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
