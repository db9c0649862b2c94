//! Where the Redis password comes from and where it may go.
//!
//! Never from a flag value (shell history, `ps`): from `REDIS_PASSWORD`, `--password-file`,
//! `--password-stdin`, `--generate-password`, the wizard's masked prompt, or the existing `.env`
//! of the output directory (so re-rendering keeps the password). Every consumer's rules decide
//! where the password is written: `REDIS_PASSWORD` (single-quoted for dotenv and Compose, and it
//! must survive cable.yml's YAML load) or percent-encoded in `REDIS_URL` userinfo.

#![warn(clippy::too_many_lines)]

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::answers::{Answers, Auth, Field, SentinelAuth};
use crate::chatwoot;
use crate::dotenv;
use crate::error::{Error, Missing, Result};
use crate::scenario::Output;

/// Length of generated passwords (letters and digits: about 238 bits).
pub const GENERATED_LEN: usize = 40;

/// Where the password in a render came from (said to the user; the value never is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    File,
    Stdin,
    Environment,
    Generated,
    ExistingEnvFile,
    ExistingSecretManifest,
    Url,
    Prompt,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::File => "from --password-file",
            Origin::Stdin => "from standard input",
            Origin::Environment => "from REDIS_PASSWORD",
            Origin::Generated => "generated",
            Origin::ExistingEnvFile => "kept from the existing .env",
            Origin::ExistingSecretManifest => "kept from the existing redis-secret.yaml",
            Origin::Url => "from the URL",
            Origin::Prompt => "entered at the prompt",
        }
    }
}

/// Where the user said the password comes from (never a flag value).
#[derive(Debug, Clone, Default)]
pub struct PasswordSource {
    /// `--password-file FILE`: the first line.
    pub password_file: Option<PathBuf>,
    /// `--password-stdin`: the first line of standard input.
    pub password_stdin: bool,
    /// `--generate-password`.
    pub generate_password: bool,
    /// `--sentinel-password-file FILE`.
    pub sentinel_password_file: Option<PathBuf>,
    /// The scenario changed: the password of the previous deployment (its `.env`) is another
    /// Redis's and is not reused.
    pub fresh_deployment: bool,
}

/// The secrets of one render.
#[derive(Clone, Default)]
pub struct Secrets {
    pub password: Option<(String, Origin)>,
    /// `Some("")` means: send no password to sentinels.
    pub sentinel_password: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("password", &self.password.as_ref().map(|(_, o)| o))
            .field(
                "sentinel_password",
                &self.sentinel_password.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// Where the password goes in Chatwoot's environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// `REDIS_PASSWORD='…'`, URL without a password.
    EnvVar,
    /// `REDIS_URL=redis://user:<percent-encoded>@…`, `REDIS_PASSWORD` unset.
    Url,
}

/// A password from the operating system's random generator: letters and digits only, starting
/// with a letter, so every reader (dotenv, Compose, YAML, URL, redis.conf) keeps it as-is.
pub fn generate_password() -> Result<String> {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(GENERATED_LEN);
    let mut buf = [0u8; 64];
    while out.len() < GENERATED_LEN {
        getrandom::fill(&mut buf)
            .map_err(|e| Error::Other(anyhow::anyhow!("the OS random generator failed: {e}")))?;
        for b in buf {
            let alphabet = if out.is_empty() { LETTERS } else { ALNUM };
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - (256 % alphabet.len());
            if (b as usize) < limit && out.len() < GENERATED_LEN {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

fn first_line(text: &str) -> String {
    text.split('\n')
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string()
}

/// The password a password file holds: its first line, the only one that is not blank.
fn password_file_line(path: &Path, flag: &str) -> Result<String> {
    let text = read_secret_file(path, flag)?;
    if text.lines().skip(1).any(|l| !l.trim().is_empty()) {
        return Err(Error::invalid(
            flag,
            path.display().to_string(),
            "the file has more than one line; the password is its only line (a line break \
             cannot be part of a Redis password Chatwoot reads)",
            "put the password alone on the first line",
        ));
    }
    Ok(first_line(&text))
}

/// The Redis password and sentinel password an existing Chatwoot `.env` holds, if any,
/// read with Ruby dotenv's rules: `REDIS_PASSWORD`, else the password in `REDIS_URL`.
pub fn read_existing_env(path: &Path) -> Option<(Option<String>, Option<String>)> {
    let text = crate::plan::read_own_output(path)?;
    let entries = dotenv::parse(&text).ok()?;
    let literal = |key: &str| {
        dotenv::last(&entries, key)
            .filter(|e| e.is_literal())
            .map(|e| e.value.clone())
    };
    let url_password = literal("REDIS_URL")
        .and_then(|u| chatwoot::parse_redis_url(&u).ok())
        .and_then(|u| u.password)
        .filter(|p| !p.is_empty());
    let password = literal("REDIS_PASSWORD")
        .filter(|p| !p.is_empty())
        .or(url_password);
    Some((password, literal("REDIS_SENTINEL_PASSWORD")))
}

/// The `REDIS_URL` the previous render wrote into `path` (a literal value only: an
/// interpolated one is not a URL this tool wrote). It holds the endpoint of a provider that
/// rotates host, port and password together (Heroku).
pub fn existing_env_url(path: &Path) -> Option<String> {
    let text = crate::plan::read_own_output(path)?;
    let entries = dotenv::parse(&text).ok()?;
    dotenv::last(&entries, "REDIS_URL")
        .filter(|e| e.is_literal() && !e.value.is_empty())
        .map(|e| e.value.clone())
}

/// The `.env` a render of `answers` into `out_dir` merges into (`env-file`, or OUT/.env).
pub fn env_path(answers: &Answers, out_dir: &Path) -> std::path::PathBuf {
    answers
        .env_path
        .clone()
        .unwrap_or_else(|| out_dir.join(".env"))
}

/// The outputs whose existing file may hold this deployment's password: those the render
/// writes and those its scenario writes by default (a `.env` an operator took over with
/// `--emit -env` is still the single server's). Any other is a previous scenario's leftover
/// (a single server's `.env` beside Kubernetes values), whose password belongs to another
/// Redis.
pub fn password_holders(answers: &Answers) -> BTreeSet<Output> {
    let mut holders = answers.outputs.clone();
    holders.extend(answers.scenario.default_outputs());
    holders
}

/// The password of the previous render: the `.env` at `env` (`OUT/.env` or the `env-file`
/// answer), or, where there is no `.env` (Kubernetes), the Secret of `out_dir`'s
/// `redis-secret.yaml`. Re-rendering then keeps the password. Only the files of `holders`
/// are read (see [`password_holders`]).
pub fn existing_password_in(
    env: &Path,
    out_dir: &Path,
    holders: &BTreeSet<Output>,
) -> Option<(String, Origin)> {
    if holders.contains(&Output::Env) {
        if let Some(p) = read_existing_env(env).and_then(|(p, _)| p) {
            return Some((p, Origin::ExistingEnvFile));
        }
    }
    if !holders.contains(&Output::Helm) {
        return None;
    }
    let text = crate::plan::read_own_output(&out_dir.join("redis-secret.yaml"))?;
    let doc: yaml_serde::Value = yaml_serde::from_str(&text).ok()?;
    let data = doc.get("stringData")?;
    let field = |k: &str| {
        data.get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let from_url = || {
        chatwoot::parse_redis_url(&field("REDIS_URL")?)
            .ok()?
            .password
            .filter(|p| !p.is_empty())
    };
    field(crate::render::SECRET_PASSWORD_KEY)
        .or_else(|| field("REDIS_PASSWORD"))
        .or_else(from_url)
        .map(|p| (p, Origin::ExistingSecretManifest))
}

/// The missing password, saying when the previous deployment's is not reused.
fn missing_password(answers: &Answers, flags: &PasswordSource, out_dir: &Path) -> Error {
    let previous = if flags.fresh_deployment
        && existing_password_in(
            &env_path(answers, out_dir),
            out_dir,
            &password_holders(answers),
        )
        .is_some()
    {
        format!(
            " (the scenario changed to {0}: the password of the previous deployment's .env \
             belongs to another Redis and is not reused; give {0}'s own)",
            answers.scenario
        )
    } else {
        String::new()
    };
    Error::Missing(vec![Missing::new(
        Field::Password,
        format!(
            "password{previous}: REDIS_PASSWORD=… in the environment, --password-file FILE, \
             --password-stdin, or --generate-password"
        ),
    )])
}

/// The Redis password from the first source that has one, in the documented order:
/// The most a password file or standard input is read: a Redis password Chatwoot can use is
/// at most 4096 bytes, so anything near this cap is not a password file.
const MAX_SECRET_INPUT: u64 = 64 * 1024;

/// Reads a password file: a regular file of at most `MAX_SECRET_INPUT` bytes (a FIFO, a device
/// such as `/dev/zero` or a huge file is refused, never read without end).
fn read_secret_file(path: &Path, flag: &str) -> Result<String> {
    use crate::bounded::{read_capped_text, Refused};
    read_capped_text(path, MAX_SECRET_INPUT).map_err(|e| match e {
        Refused::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Usage(format!(
                "{flag} {}: no such file\n  fix: write the password alone on the first line of \
                 a file readable only by you (e.g. `install -m 600 /dev/null pw && $EDITOR pw`) \
                 and pass its path",
                path.display()
            ))
        }
        Refused::Io(source) => Error::Read {
            path: path.to_path_buf(),
            source,
        },
        refused => Error::Usage(format!(
            "{flag} {}: not read: {refused}\n  fix: pass a regular file holding the password \
             alone on its first line",
            path.display()
        )),
    })
}

/// The first line of standard input for `--password-stdin`, read up to `MAX_SECRET_INPUT`.
fn read_stdin_line() -> Result<String> {
    let mut line = Vec::new();
    let stdin = std::io::stdin();
    let mut limited = std::io::Read::take(stdin.lock(), MAX_SECRET_INPUT + 1);
    std::io::BufReader::new(&mut limited)
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::Usage(format!("--password-stdin: cannot read standard input: {e}")))?;
    if line.len() as u64 > MAX_SECRET_INPUT {
        return Err(Error::Usage(format!(
            "--password-stdin: the first line of standard input is longer than \
             {MAX_SECRET_INPUT} bytes, so it is not a password\n  fix: pipe the password alone, \
             e.g. `printf '%s\\n' \"$PW\" | chatwoot-redis render --password-stdin`"
        )));
    }
    String::from_utf8(line).map_err(|_| {
        Error::Usage(
            "--password-stdin: standard input is not UTF-8 text\n  fix: pipe the password as \
             text"
                .to_string(),
        )
    })
}

/// --password-file, --password-stdin, REDIS_PASSWORD, the URL, --generate-password (typed
/// now, a rotation), the existing files (not after a scenario change).
fn first_password(
    answers: &Answers,
    flags: &PasswordSource,
    env_password: Option<String>,
    out_dir: &Path,
) -> Result<Option<(String, Origin)>> {
    let mut password: Option<(String, Origin)> = None;
    if let Some(path) = &flags.password_file {
        password = Some((password_file_line(path, "--password-file")?, Origin::File));
    } else if flags.password_stdin {
        let line = read_stdin_line()?;
        password = Some((first_line(&line), Origin::Stdin));
    } else if let Some(p) = env_password.filter(|p| !p.is_empty()) {
        password = Some((p, Origin::Environment));
    } else if let Some(p) = answers.url_password.clone() {
        password = Some((p, Origin::Url));
    } else if flags.generate_password {
        // Typed now, it beats the password of an existing .env (a rotation).
        crate::answers::check_generated_password(answers)?;
        password = Some((generate_password()?, Origin::Generated));
    } else if let Some(found) = existing_password_in(
        &env_path(answers, out_dir),
        out_dir,
        &password_holders(answers),
    )
    .filter(|_| !flags.fresh_deployment)
    {
        password = Some(found);
    }

    Ok(password)
}

/// The external sentinels' own password, when `sentinel-auth` asks for one.
fn sentinel_password(
    answers: &Answers,
    flags: &PasswordSource,
    env_sentinel_password: Option<String>,
    out_dir: &Path,
    required: bool,
) -> Result<Option<String>> {
    Ok(match answers.sentinel_auth {
        SentinelAuth::Same => None,
        SentinelAuth::None => Some(String::new()),
        SentinelAuth::Separate => {
            let from_file = match &flags.sentinel_password_file {
                Some(path) => {
                    let line = password_file_line(path, "--sentinel-password-file")?;
                    // An empty file is a secret that did not arrive, not "no password"
                    // (that is --sentinel-auth none).
                    if line.is_empty() {
                        return Err(Error::invalid(
                            "--sentinel-password-file",
                            path.display().to_string(),
                            "its first line is empty, so it holds no sentinel password",
                            "put the sentinels' password on its first line, or use \
                             --sentinel-auth none when the sentinels have no password",
                        ));
                    }
                    Some(line)
                }
                None => None,
            };
            let p = from_file
                .or(env_sentinel_password.filter(|p| !p.is_empty()))
                .or_else(|| {
                    read_existing_env(&env_path(answers, out_dir))
                        .and_then(|(_, s)| s)
                        .filter(|p| !p.is_empty())
                });
            if p.is_none() && required {
                return Err(Error::Missing(vec![Missing::new(
                    Field::SentinelPassword,
                    "sentinel password (sentinel-auth: separate): REDIS_SENTINEL_PASSWORD=… or \
                     --sentinel-password-file FILE",
                )]));
            }
            p
        }
    })
}

/// Gathers the secrets for a render. `required`: fail when a needed password is missing
/// (false for `--check`/`--diff`/`--dry-run`, where secret files are skipped).
pub fn gather(
    answers: &Answers,
    flags: &PasswordSource,
    env_password: Option<String>,
    env_sentinel_password: Option<String>,
    out_dir: &Path,
    required: bool,
) -> Result<Secrets> {
    let mut password = first_password(answers, flags, env_password, out_dir)?;
    if answers.auth == Auth::None {
        if let Some((_, origin)) = &password {
            if !matches!(
                origin,
                Origin::ExistingEnvFile | Origin::ExistingSecretManifest
            ) {
                return Err(Error::invalid_answer(
                    Field::Auth,
                    "none",
                    format!("a password was also given ({})", origin.describe()),
                    "drop --auth none to use the password, or drop the password",
                ));
            }
        }
        password = None;
    } else if password.is_none() && required {
        return Err(missing_password(answers, flags, out_dir));
    }

    let sentinel_password =
        sentinel_password(answers, flags, env_sentinel_password, out_dir, required)?;
    if let Some(p) = sentinel_password.as_deref().filter(|p| !p.is_empty()) {
        crate::answers::check_sentinel_password(p)?;
    }
    Ok(Secrets {
        password,
        sentinel_password,
    })
}

/// Decides where the password goes, refusing passwords a consumer would corrupt
/// ([`crate::answers::check_password`]).
pub fn place_password(answers: &Answers, password: &str) -> Result<Placement> {
    crate::answers::check_password(answers, password)?;
    Ok(placement(answers, password))
}

/// Where a password already checked goes: `REDIS_URL` when the provider's URL carries it,
/// a user name goes with it, or cable.yml would change it as `REDIS_PASSWORD`.
pub fn placement(answers: &Answers, password: &str) -> Placement {
    let rules = answers.scenario.rules();
    if rules.password_env_only.is_some() {
        return Placement::EnvVar;
    }
    let wants_url = rules.password_in_url || answers.username.is_some();
    if wants_url || chatwoot::check_cable_yaml_password(password).is_err() {
        Placement::Url
    } else {
        Placement::EnvVar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_fit_every_reader() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), GENERATED_LEN);
        assert!(a.starts_with(|c: char| c.is_ascii_alphabetic()));
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(chatwoot::check_cable_yaml_password(&a), Ok(()));
    }

    #[test]
    fn a_secret_manifest_yields_its_password_field_or_the_password_of_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let no_env = d.join("absent.env");
        let secret = d.join("redis-secret.yaml");
        let password_of = |yaml: &str| {
            std::fs::write(&secret, yaml).unwrap();
            existing_password_in(&no_env, d, &BTreeSet::from([Output::Helm])).map(|(p, _)| p)
        };
        let head = "apiVersion: v1\nkind: Secret\nstringData:\n";
        assert_eq!(
            password_of(&format!("{head}  redis-password: \"a\"\n")).as_deref(),
            Some("a")
        );
        assert_eq!(
            password_of(&format!("{head}  REDIS_PASSWORD: \"b\"\n")).as_deref(),
            Some("b")
        );
        assert_eq!(
            password_of(&format!("{head}  REDIS_URL: \"redis://:c%2B1@h:6379\"\n")).as_deref(),
            Some("c+1")
        );
        // Empty fields are no password, and an empty one does not hide the next.
        assert_eq!(
            password_of(&format!(
                "{head}  redis-password: \"\"\n  REDIS_URL: \"redis://:d@h:6379\"\n"
            ))
            .as_deref(),
            Some("d")
        );
        assert_eq!(
            password_of(&format!("{head}  REDIS_URL: \"redis://h:6379\"\n")),
            None
        );
        assert_eq!(
            password_of(&format!("{head}  REDIS_URL: \"redis://:@h:6379\"\n")),
            None
        );
    }

    #[test]
    fn existing_env_values_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".env");
        std::fs::write(&p, "A=1\nREDIS_PASSWORD='abc$d'\nREDIS_URL=redis://h:1\n").unwrap();
        assert_eq!(read_existing_env(&p).unwrap().0.as_deref(), Some("abc$d"));
        std::fs::write(&p, "REDIS_URL=rediss://:p%2Bq@h:1\nREDIS_PASSWORD=\n").unwrap();
        assert_eq!(read_existing_env(&p).unwrap().0.as_deref(), Some("p+q"));
    }

    #[test]
    fn generated_passwords_draw_every_character_equally_often() {
        const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut first = std::collections::BTreeMap::new();
        let mut rest = std::collections::BTreeMap::new();
        let runs = 10_000;
        for _ in 0..runs {
            let p = generate_password().unwrap();
            let mut chars = p.chars();
            *first.entry(chars.next().unwrap()).or_insert(0u32) += 1;
            for c in chars {
                *rest.entry(c).or_insert(0u32) += 1;
            }
        }
        // 10 000 first letters over 52, 390 000 others over 62: each count within 10% of its
        // share (over 7 standard deviations); a biased or shrunk alphabet is far outside.
        let letters: Vec<char> = ALNUM.chars().take(52).collect();
        assert_eq!(first.keys().copied().collect::<Vec<_>>(), {
            let mut l = letters.clone();
            l.sort();
            l
        });
        assert_eq!(rest.len(), 62, "{rest:?}");
        let total: u32 = rest.values().sum();
        assert_eq!(total as usize, runs * (GENERATED_LEN - 1));
        let mean = f64::from(total) / 62.0;
        for (c, n) in &rest {
            let ratio = f64::from(*n) / mean;
            assert!(
                (0.9..1.1).contains(&ratio),
                "{c:?}: {n} of {total} ({ratio:.3})"
            );
        }
        let mean = runs as f64 / 52.0;
        for (c, n) in &first {
            let ratio = f64::from(*n) / mean;
            assert!(
                (0.65..1.35).contains(&ratio),
                "first {c:?}: {n} of {runs} ({ratio:.3})"
            );
        }
    }

    #[test]
    fn first_line_is_the_text_before_the_first_line_break_without_its_cr() {
        assert_eq!(first_line("pw\r\nsecond line\n"), "pw");
        assert_eq!(first_line("pw\nsecond"), "pw");
        assert_eq!(first_line("only"), "only");
        assert_eq!(first_line("a\rb\n"), "a\rb");
        assert_eq!(first_line(""), "");
        assert_eq!(first_line("\nsecond"), "");
    }

    #[test]
    fn password_files_are_read_up_to_64_kib_and_missing_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        let pw = "Ab0".repeat(1366)[..4096].to_string();
        // A 4096-byte password and a long comment after it: still a password file.
        std::fs::write(&p, format!("{pw}\r\n{}", "#".repeat(59 * 1024))).unwrap();
        let text = read_secret_file(&p, "--password-file").unwrap();
        assert_eq!(first_line(&text), pw);
        std::fs::write(&p, "x".repeat(64 * 1024 + 1)).unwrap();
        let err = read_secret_file(&p, "--password-file")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not read"), "{err}");
        let missing = dir.path().join("absent");
        let err = read_secret_file(&missing, "--password-file")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no such file") && err.contains("absent"),
            "{err}"
        );
        // Another read error (a directory) is not called missing.
        let err = read_secret_file(dir.path(), "--sentinel-password-file")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("no such file"), "{err}");
        // Nor is an I/O error other than "not found" (a path through a regular file).
        let err = read_secret_file(&p.join("x"), "--password-file")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("no such file") && err.contains("pw"), "{err}");
    }

    #[test]
    fn origins_are_described_distinctly_and_debug_hides_the_secrets() {
        let all = [
            Origin::File,
            Origin::Stdin,
            Origin::Environment,
            Origin::Generated,
            Origin::ExistingEnvFile,
            Origin::ExistingSecretManifest,
            Origin::Url,
            Origin::Prompt,
        ];
        let texts: std::collections::BTreeSet<&str> = all.iter().map(|o| o.describe()).collect();
        assert_eq!(texts.len(), all.len());
        assert!(Origin::File.describe().contains("--password-file"));
        assert!(Origin::Environment.describe().contains("REDIS_PASSWORD"));
        let s = Secrets {
            password: Some(("Hidden0Password0x".into(), Origin::Environment)),
            sentinel_password: Some("Sentinel0Secret0y".into()),
        };
        let shown = format!("{s:?}");
        assert!(
            shown.contains("Secrets") && shown.contains("Environment") && shown.contains("***")
        );
        assert!(
            !shown.contains("Hidden0") && !shown.contains("Sentinel0"),
            "{shown}"
        );
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut raw = crate::answers::RawAnswers::new();
        for (k, v) in pairs {
            raw.set(Field::parse(k).expect("a field"), *v);
        }
        crate::answers::resolve(&raw).expect("valid answers")
    }

    const SINGLE: [(&str, &str); 1] = [("scenario", "single-server")];
    const EXTERNAL_SENTINELS: [(&str, &str); 4] = [
        ("scenario", "kubernetes-sentinel"),
        ("host", "10.0.0.5"),
        ("sentinels", "10.0.0.6:26379"),
        ("sentinel-auth", "separate"),
    ];

    #[test]
    fn password_sources_are_taken_in_order_and_blank_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let a = answers(&SINGLE);
        let none = PasswordSource::default();
        let env = |p: &str| Some(p.to_string());
        let got = gather(&a, &none, env("Env0Password0abc"), None, dir.path(), true).unwrap();
        assert_eq!(
            got.password,
            Some(("Env0Password0abc".into(), Origin::Environment))
        );
        // An empty REDIS_PASSWORD is no password: missing, not "".
        let err = gather(&a, &none, env(""), None, dir.path(), true).unwrap_err();
        assert!(err.to_string().contains("REDIS_PASSWORD"), "{err}");
        assert_eq!(
            gather(&a, &none, None, None, dir.path(), false)
                .unwrap()
                .password,
            None
        );

        // A password file: its first line; blank lines after it are fine, a second line is not.
        let file = dir.path().join("pw");
        std::fs::write(&file, "File0Password0abc\r\n\n  \n").unwrap();
        let flags = PasswordSource {
            password_file: Some(file.clone()),
            ..PasswordSource::default()
        };
        let got = gather(&a, &flags, env("Env0Password0abc"), None, dir.path(), true).unwrap();
        assert_eq!(
            got.password,
            Some(("File0Password0abc".into(), Origin::File))
        );
        std::fs::write(&file, "File0Password0abc\nsecond\n").unwrap();
        let err = gather(&a, &flags, None, None, dir.path(), true).unwrap_err();
        assert!(err.to_string().contains("more than one line"), "{err}");
    }

    #[test]
    fn auth_none_refuses_a_given_password_and_drops_a_kept_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = answers(&[("scenario", "single-server"), ("auth", "none")]);
        let none = PasswordSource::default();
        let err = gather(
            &a,
            &none,
            Some("Env0Password0abc".into()),
            None,
            dir.path(),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("none") && err.contains("from REDIS_PASSWORD"),
            "{err}"
        );
        std::fs::write(
            dir.path().join(".env"),
            "REDIS_PASSWORD=Kept0Password0abc\n",
        )
        .unwrap();
        let got = gather(&a, &none, None, None, dir.path(), true).unwrap();
        assert_eq!(got.password, None);
        // With a password, the one of the existing .env is kept.
        let a = answers(&SINGLE);
        let got = gather(&a, &none, None, None, dir.path(), true).unwrap();
        assert_eq!(
            got.password,
            Some(("Kept0Password0abc".into(), Origin::ExistingEnvFile))
        );
    }

    #[test]
    fn separate_sentinel_passwords_come_from_file_env_or_the_existing_env() {
        let dir = tempfile::tempdir().unwrap();
        let a = answers(&EXTERNAL_SENTINELS);
        let pw = Some("Main0Password0abcdef".to_string());
        let none = PasswordSource::default();
        let err = gather(&a, &none, pw.clone(), None, dir.path(), true).unwrap_err();
        assert!(err.to_string().contains("REDIS_SENTINEL_PASSWORD"), "{err}");
        let got = gather(&a, &none, pw.clone(), None, dir.path(), false).unwrap();
        assert_eq!(got.sentinel_password, None);
        let got = gather(
            &a,
            &none,
            pw.clone(),
            Some(String::new()),
            dir.path(),
            false,
        )
        .unwrap();
        assert_eq!(
            got.sentinel_password, None,
            "an empty variable is no password"
        );

        let got = gather(
            &a,
            &none,
            pw.clone(),
            Some("Env0Sentinel0x".into()),
            dir.path(),
            true,
        )
        .unwrap();
        assert_eq!(got.sentinel_password.as_deref(), Some("Env0Sentinel0x"));

        let file = dir.path().join("spw");
        std::fs::write(&file, "File0Sentinel0x\n").unwrap();
        let flags = PasswordSource {
            sentinel_password_file: Some(file),
            ..PasswordSource::default()
        };
        let got = gather(
            &a,
            &flags,
            pw.clone(),
            Some("Env0Sentinel0x".into()),
            dir.path(),
            true,
        )
        .unwrap();
        assert_eq!(got.sentinel_password.as_deref(), Some("File0Sentinel0x"));

        std::fs::write(
            dir.path().join(".env"),
            "REDIS_PASSWORD=Main0Password0abcdef\nREDIS_SENTINEL_PASSWORD=Kept0Sentinel0x\n",
        )
        .unwrap();
        let got = gather(&a, &none, pw.clone(), None, dir.path(), true).unwrap();
        assert_eq!(got.sentinel_password.as_deref(), Some("Kept0Sentinel0x"));

        let err = gather(&a, &none, pw.clone(), Some("a\nb".into()), dir.path(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("REDIS_SENTINEL_PASSWORD"), "{err}");
        // A quote is carried (the .env writer quotes it), so it is no reason to refuse.
        let got = gather(
            &a,
            &none,
            pw.clone(),
            Some("It's0Sentinel0x".into()),
            dir.path(),
            true,
        )
        .unwrap();
        assert_eq!(got.sentinel_password.as_deref(), Some("It's0Sentinel0x"));
        let same = answers(&EXTERNAL_SENTINELS[..3]);
        let got = gather(
            &same,
            &none,
            pw.clone(),
            Some("Env0Sentinel0x".into()),
            dir.path(),
            true,
        )
        .unwrap();
        assert_eq!(
            got.sentinel_password, None,
            "sentinel-auth same sends the main password"
        );
    }

    #[test]
    fn blank_sentinel_passwords_and_empty_sentinel_password_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = answers(&EXTERNAL_SENTINELS);
        let pw = Some("Main0Password0abcdef".to_string());
        let none = PasswordSource::default();
        // Blank is "no password" to Chatwoot's `present?`: refused, not silently dropped.
        let err = gather(&a, &none, pw.clone(), Some(" \t ".into()), dir.path(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("blank"), "{err}");
        // An empty or two-line file is a secret that did not arrive, not "no password".
        let spw = dir.path().join("spw");
        for (text, why) in [
            ("", "first line is empty"),
            ("\n\n", "first line is empty"),
            ("a\nb\n", "more than one line"),
        ] {
            std::fs::write(&spw, text).unwrap();
            let flags = PasswordSource {
                sentinel_password_file: Some(spw.clone()),
                ..PasswordSource::default()
            };
            let err = gather(&a, &flags, pw.clone(), None, dir.path(), true)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--sentinel-password-file") && err.contains(why),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn passwords_move_into_the_url_for_acl_users_and_cable_yml_traps() {
        let plain = answers(&SINGLE);
        assert_eq!(
            place_password(&plain, "Plain0Password0abc").unwrap(),
            Placement::EnvVar
        );
        // YAML would read `yes` as true in cable.yml: the URL carries it instead.
        assert_eq!(place_password(&plain, "yes").unwrap(), Placement::Url);
        let user = answers(&[("scenario", "single-server"), ("username", "chatwoot")]);
        assert_eq!(
            place_password(&user, "Plain0Password0abc").unwrap(),
            Placement::Url
        );
        let compose = answers(&[("scenario", "docker-compose")]);
        assert_eq!(
            place_password(&compose, "Plain0Password0abc").unwrap(),
            Placement::EnvVar
        );
        let err = place_password(&compose, "yes").unwrap_err().to_string();
        assert!(err.contains("cable.yml"), "{err}");
        assert!(place_password(&plain, "").is_err());
    }

    #[test]
    fn a_missing_password_mentions_the_previous_deployment_only_when_one_exists() {
        let dir = tempfile::tempdir().unwrap();
        let a = answers(&SINGLE);
        let fresh = PasswordSource {
            fresh_deployment: true,
            ..PasswordSource::default()
        };
        let plain = missing_password(&a, &fresh, dir.path()).to_string();
        assert!(!plain.contains("scenario changed"), "{plain}");
        assert!(plain.contains("--generate-password"), "{plain}");
        std::fs::write(dir.path().join(".env"), "REDIS_PASSWORD=Old0Password0abc\n").unwrap();
        let changed = missing_password(&a, &fresh, dir.path()).to_string();
        assert!(changed.contains("scenario changed"), "{changed}");
        let kept = missing_password(&a, &PasswordSource::default(), dir.path()).to_string();
        assert!(!kept.contains("scenario changed"), "{kept}");
    }
}
