//! `chatwoot-redis doctor`: reads Chatwoot's Redis environment, runs the static checks of the
//! facts file, then (unless offline) checks the live servers, and reports findings.
//!
//! The JSON report is a stable schema documented in `docs/doctor.md`.

pub mod finding;
mod host;
pub mod live;
pub mod report;
pub mod resp;
pub mod settings;
pub mod statics;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::chatwoot::{detect_provider, UrlScheme};
use crate::error::{Error, Result};
use crate::redact::Redactor;

pub use finding::Finding;
pub use report::{Report, Target};
use settings::{ChatwootEnv, Settings};

/// Where the environment comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// An env file named on the command line (must be readable).
    File(PathBuf),
    /// `./.env` when it exists, else the process environment.
    Default,
}

/// Everything doctor needs, already validated (no clap types here).
#[derive(Debug, Clone)]
pub struct Options {
    pub env: EnvSource,
    pub offline: bool,
    pub timeout: Duration,
    pub strict: bool,
    pub max_connections: Option<u32>,
    pub answers: Option<PathBuf>,
    /// `--url`: check this URL instead of `REDIS_URL` (the env file's passwords still apply).
    pub url: Option<String>,
    /// `--host` / `--port`: keep `REDIS_URL`'s scheme, user, password and database, connect
    /// here instead (e.g. the port Compose publishes on the host).
    pub host: Option<String>,
    pub port: Option<u16>,
}

impl Options {
    /// True when the address to check was given on the command line.
    pub fn overrides_address(&self) -> bool {
        self.url.is_some() || self.host.is_some() || self.port.is_some()
    }
}

/// Applies `--url`, `--host` and `--port` to the settings read from the env: the address
/// changes, the credentials Chatwoot would send stay those of the env.
fn apply_overrides(settings: &mut Settings, options: &Options) -> Result<()> {
    if let Some(url) = &options.url {
        let parsed = crate::chatwoot::parse_redis_url(url).map_err(|why| {
            Error::invalid(
                "--url",
                crate::redact::redact_url(url),
                why,
                "pass a Redis URL such as redis://127.0.0.1:6379 (the password may stay in the env file)",
            )
        })?;
        settings.url_text = Some(url.clone());
        settings.url = Ok(parsed);
    }
    if options.host.is_some() || options.port.is_some() {
        let url = settings.url.as_mut().map_err(|why| {
            Error::invalid(
                "--host/--port",
                "REDIS_URL",
                format!("the env's REDIS_URL cannot be used as a base: {why}"),
                "pass the whole address with --url redis://HOST:PORT instead",
            )
        })?;
        if url.scheme == crate::chatwoot::UrlScheme::Unix {
            return Err(Error::invalid(
                "--host/--port",
                "REDIS_URL",
                "REDIS_URL is a unix socket, which has no host or port",
                "pass the whole address with --url redis://HOST:PORT instead",
            ));
        }
        if let Some(host) = &options.host {
            if host.trim().is_empty()
                || host
                    .chars()
                    .any(|c| c.is_whitespace() || "/@?#".contains(c))
            {
                return Err(Error::invalid(
                    "--host",
                    crate::redact::clip(host, crate::redact::ECHO_MAX),
                    "not a host name or address",
                    "pass a host name or IP address, e.g. --host 127.0.0.1",
                ));
            }
            url.host = Some(host.clone());
        }
        if let Some(port) = options.port {
            url.port = port;
        }
        // What is shown (and redacted) is the address really checked.
        let scheme = match url.scheme {
            crate::chatwoot::UrlScheme::Rediss => "rediss",
            _ => "redis",
        };
        let userinfo = match (&url.username, &url.raw_password) {
            (Some(u), Some(p)) => format!("{u}:{p}@"),
            (None, Some(p)) => format!(":{p}@"),
            (Some(u), None) => format!("{u}@"),
            (None, None) => String::new(),
        };
        let host = url.effective_host();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let db = url.db.map(|d| format!("/{d}")).unwrap_or_default();
        settings.url_text = Some(format!("{scheme}://{userinfo}{host}:{}{db}", url.port));
    }
    Ok(())
}

/// The largest env file doctor reads: Chatwoot's is a few kilobytes.
pub const MAX_ENV_FILE: u64 = 1024 * 1024;

fn read_env_file(path: &Path) -> Result<ChatwootEnv> {
    let text = crate::bounded::read_capped_text(path, MAX_ENV_FILE).map_err(|e| match e {
        crate::bounded::Refused::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Usage(format!(
                "--env-file {}: no such file\n  fix: pass the path of Chatwoot's .env (e.g. \
                 --env-file /home/chatwoot/chatwoot/.env), or leave --env-file out to read ./.env \
                 or, without one, the process environment",
                crate::redact::clip(&path.display().to_string(), crate::redact::ECHO_MAX)
            ))
        }
        crate::bounded::Refused::Io(source) => Error::Read {
            path: path.to_path_buf(),
            source,
        },
        refused => Error::invalid(
            "--env-file",
            crate::redact::clip(&path.display().to_string(), crate::redact::ECHO_MAX),
            refused.to_string(),
            "pass Chatwoot's .env file itself (a regular file of at most 1 MiB), e.g. --env-file /home/chatwoot/chatwoot/.env",
        ),
    })?;
    let env = ChatwootEnv::from_dotenv(&text, format!("env file {}", path.display()));
    env.map(|env| match settings::compose_deployment(path) {
        Some(because) => env.with_compose_reading(&text, because),
        None => env,
    })
    .map_err(|e| {
        Error::invalid(
            "--env-file",
            path.display().to_string(),
            format!("Ruby dotenv refuses this file, so Chatwoot would not boot: {e}"),
            "fix that line (or remove it) and run doctor again",
        )
    })
}

/// Loads the environment Chatwoot would see.
pub fn load_env(source: &EnvSource) -> Result<ChatwootEnv> {
    match source {
        EnvSource::File(path) => read_env_file(path),
        EnvSource::Default => {
            let local = Path::new(".env");
            if local.is_file() {
                read_env_file(local).map(|env| {
                    env.with_process_precedence(crate::environment::ProcessEnv::get().pairs())
                })
            } else {
                Ok(ChatwootEnv::from_pairs(
                    crate::environment::ProcessEnv::get().pairs(),
                ))
            }
        }
    }
}

/// The workload and plan cap of an answers file, read by the one answers reader.
fn load_answers(
    path: &Path,
) -> Result<(
    crate::answers::WorkloadReading,
    Option<u32>,
    Option<crate::answers::RedisVersion>,
)> {
    let text =
        crate::bounded::read_capped_text(path, crate::answers::MAX_ANSWERS_FILE).map_err(|e| {
            match e {
                crate::bounded::Refused::Io(source) => Error::Read {
                    path: path.to_path_buf(),
                    source,
                },
                refused => Error::Usage(format!(
                    "{}: the answers file is not read: {refused}",
                    path.display()
                )),
            }
        })?;
    let raw = crate::answers::RawAnswers::from_yaml(&text, &path.display().to_string())?;
    let workload = crate::answers::read_workload(&raw);
    let cap = workload.max_connections.and_then(Result::ok);
    let version = raw
        .get(crate::answers::Field::RedisVersion)
        .and_then(|v| crate::answers::RedisVersion::parse(v).ok());
    Ok((workload, cap, version))
}

/// The answers file to read: `--answers`, else `chatwoot-redis.yaml` beside the env file.
fn answers_path(options: &Options) -> Option<PathBuf> {
    if let Some(p) = &options.answers {
        return Some(p.clone());
    }
    let dir = match &options.env {
        EnvSource::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        EnvSource::Default => PathBuf::from("."),
    };
    let candidate = dir.join("chatwoot-redis.yaml");
    candidate.is_file().then_some(candidate)
}

/// The longest text field of a finding, in characters (fixed texts are far shorter; echoed
/// values are cut to [`crate::redact::ECHO_MAX`] where they are formatted).
pub const MAX_FIELD: usize = 2000;

/// Runs doctor and returns the report (printing is the caller's job).
pub fn run(options: &Options) -> Result<Report> {
    let env = load_env(&options.env)?;
    let (answers, answers_cap, answers_version) = match answers_path(options) {
        Some(p) => {
            let (workload, cap, version) = load_answers(&p)?;
            (Some((workload, p.display().to_string())), cap, version)
        }
        None => (None, None, None),
    };
    let mut settings = Settings::from_env(&env);
    apply_overrides(&mut settings, options)?;
    let workload = settings::workload(&env, answers.as_ref().map(|(a, p)| (a, p.as_str())));
    let budget = settings::configured_budget(&env, &workload.workload);
    let mut findings = statics::check(&statics::StaticInput {
        env: &env,
        settings: &settings,
        workload: &workload,
        budget,
        max_connections: options.max_connections.or(answers_cap),
    });
    if !options.overrides_address() {
        let env_file = match &options.env {
            EnvSource::File(p) => Some(p.clone()),
            EnvSource::Default => Some(PathBuf::from(".env")).filter(|p| p.is_file()),
        };
        if let Some(env_file) = env_file {
            let dir = match env_file.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if let Some(compose) = statics::compose_file_in(&dir) {
                findings.extend(statics::compose_service_host(
                    &settings,
                    &env_file.display().to_string(),
                    &compose,
                ));
            }
        }
    }
    let provider = settings
        .url
        .as_ref()
        .ok()
        .filter(|u| u.scheme != UrlScheme::Unix)
        .and_then(|u| detect_provider(u.effective_host(), u.port));
    // The secrets are known before any server is asked: echoed answers are scrubbed at once.
    let mut redactor = Redactor::default();
    for s in settings.secrets(&env) {
        redactor.add(&s);
    }
    if !options.offline {
        // Ruby's OpenSSL trusts the bundle named by SSL_CERT_FILE (the process environment, or
        // the env file that a systemd unit or Compose passes on): so does the TLS check. Read
        // only when a certificate will be verified (parsing a system bundle costs milliseconds).
        let verifies = settings
            .url_endpoint()
            .is_some_and(|e| e.tls && e.verify_peer);
        if let Some(bundle) = env.present("SSL_CERT_FILE").filter(|_| verifies) {
            if let Err(why) = resp::trust_pem_bundle(std::path::Path::new(bundle)) {
                findings.push(
                    Finding::warning(
                        "ssl-cert-file-unreadable",
                        "SSL_CERT_FILE is set but its bundle is not read",
                    )
                    .observed(crate::redact::clip(
                        &format!("SSL_CERT_FILE={bundle}: {why}"),
                        crate::redact::ECHO_MAX,
                    ))
                    .why(
                        "Ruby's OpenSSL loads that bundle to verify the server's certificate; \
                         without it every TLS handshake of Chatwoot's connections fails",
                    )
                    .fix(
                        "point SSL_CERT_FILE at the PEM bundle redis-settings.sh wrote (the \
                         system CAs plus the server CA), readable by Chatwoot",
                    ),
                );
            }
        }
        findings.extend(live::check(&live::LiveInput {
            settings: &settings,
            timeout: options.timeout,
            deadline: resp::Deadline::new(options.timeout, live::run_limit(options.timeout)),
            redactor: &redactor,
            budget,
            provider,
            answers_version,
        }));
    }
    // Most severe first; the checks' own order within a severity.
    findings.sort_by_key(|f| f.severity);

    // Last line of defence: no text leaves doctor with a secret in it, nor at unbounded
    // length. Only the free-text fields are scrubbed, so ids and JSON keys stay intact even
    // for a word-like password. Scrubbed first, then cut: a cut never leaves half a secret.
    for f in &mut findings {
        for text in [&mut f.title, &mut f.observed, &mut f.why, &mut f.fix] {
            *text = crate::redact::clip(&redactor.scrub(text), MAX_FIELD);
        }
    }
    let mut target = Target::new(&env, &settings, options.offline);
    target.redis_url = crate::redact::clip(&redactor.scrub(&target.redis_url), MAX_FIELD);
    Ok(Report {
        target,
        findings,
        strict: options.strict,
    })
}
