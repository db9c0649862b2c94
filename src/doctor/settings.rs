//! Chatwoot's Redis environment and the connection settings Chatwoot derives from it
//! (`lib/redis/config.rb`, `config/cable.yml`, `Chatwoot.redis_ssl_verify_mode`).

use crate::answers::{CountRefusal, WorkloadReading};
use std::collections::BTreeMap;

use crate::chatwoot::compose_env;
use crate::chatwoot::{
    parse_redis_url, parse_ruby_integer, parse_sentinels, RedisUrl, SentinelAddr, UrlScheme,
    DEFAULT_SENTINEL_MASTER,
};
use crate::dotenv::{self, DotenvError, Quoting, Substitution};
use crate::sizing::{budget_with, Budget, Pools, Workload, DEFAULT_ALFRED, DEFAULT_VELMA};

/// Where Chatwoot's default `REDIS_URL` points when the variable is unset.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// One variable as doctor read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub value: String,
    /// Line in the env file (none for the process environment).
    pub line: Option<usize>,
    pub quoting: Option<Quoting>,
    pub substitutions: Vec<Substitution>,
    /// What Docker Compose v2 would read instead, when it differs (`a#b` unquoted).
    pub compose_text: Option<String>,
    /// The text after the separator as written in the file (quotes included).
    pub raw: Option<String>,
}

impl EnvVar {
    /// The value as written (quotes included), when it came from the file.
    pub fn raw_text(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.value)
    }
}

/// The variables Chatwoot would see, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct ChatwootEnv {
    /// "env file PATH" or "process environment".
    pub source: String,
    pub vars: BTreeMap<String, EnvVar>,
    /// For a Compose deployment: how Docker Compose v2 reads the same file (what the
    /// containers get), or why it refuses it; with what made doctor call it one.
    pub compose: Option<ComposeReading>,
    /// Keys set both in the file and in the process environment, where the process value
    /// was used (Ruby dotenv does not overwrite a variable that is already set).
    pub from_process: Vec<String>,
}

/// Compose v2's reading of the env file of a Compose deployment.
#[derive(Debug, Clone)]
pub struct ComposeReading {
    /// Why this is a Compose deployment ("docker-compose.yaml beside the env file", …).
    pub because: String,
    pub vars: Result<BTreeMap<String, compose_env::ComposeVar>, compose_env::ComposeError>,
}

/// Why the env file at `path` belongs to a Compose deployment: a `docker-compose*.yml` /
/// `.yaml` (or `compose.y*ml`) beside it, or `scenario: docker-compose` in the answers file
/// beside it.
pub fn compose_deployment(path: &std::path::Path) -> Option<String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            (n.starts_with("docker-compose") || n.starts_with("compose"))
                && (n.ends_with(".yml") || n.ends_with(".yaml"))
        })
        .collect();
    names.sort();
    if let Some(name) = names.first() {
        return Some(format!("{name} is beside the env file"));
    }
    let answers = std::fs::read_to_string(dir.join("chatwoot-redis.yaml")).ok()?;
    answers
        .lines()
        .any(|l| {
            l.split_once(':').is_some_and(|(k, v)| {
                k.trim() == "scenario" && v.trim().trim_matches(['"', '\'']) == "docker-compose"
            })
        })
        .then(|| "the answers file beside it says scenario: docker-compose".to_string())
}

impl ChatwootEnv {
    /// From the text of an env file, with Ruby dotenv's rules (the last assignment wins).
    pub fn from_dotenv(text: &str, source: impl Into<String>) -> Result<Self, DotenvError> {
        let mut vars = BTreeMap::new();
        let options = dotenv::Options {
            linebreak_mode: crate::environment::ProcessEnv::get()
                .var("DOTENV_LINEBREAK_MODE")
                .map(str::to_string),
        };
        for e in dotenv::parse_with(text, &options)? {
            vars.insert(
                e.key,
                EnvVar {
                    value: e.value,
                    line: Some(e.line),
                    quoting: Some(e.quoting),
                    substitutions: e.substitutions,
                    compose_text: e.compose_text,
                    raw: Some(e.raw),
                },
            );
        }
        Ok(ChatwootEnv {
            source: source.into(),
            vars,
            compose: None,
            from_process: Vec::new(),
        })
    }

    /// Adds Compose v2's reading of the same file text (a Compose deployment). Its
    /// substitutions use doctor's process environment, as `docker compose` run here would.
    pub fn with_compose_reading(mut self, text: &str, because: impl Into<String>) -> Self {
        let lookup = |k: &str| {
            crate::environment::ProcessEnv::get()
                .var(k)
                .map(str::to_string)
        };
        self.compose = Some(ComposeReading {
            because: because.into(),
            vars: compose_env::parse(text, &lookup),
        });
        self
    }

    /// Chatwoot's dotenv loads the file without overwriting variables already set in the
    /// process (dotenv 3.x `Dotenv.load`): a key set in both takes the process value.
    pub fn with_process_precedence(
        mut self,
        process: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        for (key, value) in process {
            if let Some(var) = self.vars.get_mut(&key) {
                *var = EnvVar {
                    value,
                    line: None,
                    quoting: None,
                    substitutions: Vec::new(),
                    compose_text: None,
                    raw: None,
                };
                self.from_process.push(key);
            }
        }
        self.from_process.sort();
        self
    }

    /// From `(key, value)` pairs of a process environment (values are literal there).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        ChatwootEnv {
            source: "process environment".into(),
            vars: pairs
                .into_iter()
                .map(|(k, value)| {
                    (
                        k,
                        EnvVar {
                            value,
                            line: None,
                            quoting: None,
                            substitutions: Vec::new(),
                            compose_text: None,
                            raw: None,
                        },
                    )
                })
                .collect(),
            compose: None,
            from_process: Vec::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(|v| v.value.as_str())
    }

    /// Rails' `.presence`: set and not blank.
    pub fn present(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    /// "KEY (line N)" or "KEY", for messages.
    pub fn locate(&self, key: &str) -> String {
        match self.vars.get(key).and_then(|v| v.line) {
            Some(line) => format!("{key} (line {line})"),
            None if self.from_process.iter().any(|k| k == key) => {
                format!("{key} (from the process environment, which wins over the env file)")
            }
            None => key.to_string(),
        }
    }
}

/// A place doctor connects to, with what Chatwoot would send there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// What this endpoint is for the reader ("REDIS_URL", "sentinel a:26379", "master").
    pub label: String,
    pub host: String,
    pub port: u16,
    /// Unix socket path (`unix://` URLs).
    pub unix_path: Option<String>,
    pub tls: bool,
    pub verify_peer: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Database Chatwoot selects (REDIS_URL only; Sentinel mode always uses 0).
    pub db: Option<i64>,
}

impl Endpoint {
    /// A sentinel (its label is `sentinel HOST:PORT`), not a Redis that holds Chatwoot's data.
    pub fn is_sentinel(&self) -> bool {
        self.label.starts_with("sentinel")
    }
}

/// Sentinel mode settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelSettings {
    pub sentinels: Result<Vec<SentinelAddr>, String>,
    /// The master set name; `Err` with the raw value when set but unusable.
    pub master_name: Result<String, String>,
    /// `REDIS_SENTINEL_PASSWORD` when set (empty = none), else `REDIS_PASSWORD`.
    pub password: Option<String>,
}

/// The Redis settings Chatwoot derives from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `REDIS_URL` as read; `None` when unset (Chatwoot uses [`DEFAULT_REDIS_URL`]).
    pub url_text: Option<String>,
    /// The parsed URL (of the default when unset); `Err` when Chatwoot cannot use it.
    pub url: Result<RedisUrl, String>,
    /// `REDIS_PASSWORD` when not blank.
    pub password: Option<String>,
    /// False only when `REDIS_OPENSSL_VERIFY_MODE` is exactly `none`.
    pub verify_peer: bool,
    pub sentinel: Option<SentinelSettings>,
}

impl Settings {
    pub fn from_env(env: &ChatwootEnv) -> Settings {
        let url_text = env.get("REDIS_URL").map(str::to_string);
        let url = match url_text.as_deref() {
            None => parse_redis_url(DEFAULT_REDIS_URL),
            Some(t) if t.trim().is_empty() => Err(
                "REDIS_URL is set but empty; Chatwoot uses the default only when it is unset"
                    .to_string(),
            ),
            Some(t) => parse_redis_url(t),
        };
        let password = env.present("REDIS_PASSWORD").map(str::to_string);
        let sentinel = env.present("REDIS_SENTINELS").map(|list| SentinelSettings {
            sentinels: parse_sentinels(list),
            master_name: match env.get("REDIS_SENTINEL_MASTER_NAME") {
                None => Ok(DEFAULT_SENTINEL_MASTER.to_string()),
                Some(n) => crate::chatwoot::validate_master_name(
                    n,
                    crate::chatwoot::MasterNameUse::External,
                )
                .map(|()| n.to_string())
                .map_err(|_| n.to_string()),
            },
            password: match env.get("REDIS_SENTINEL_PASSWORD") {
                Some(p) => Some(p.to_string()).filter(|p| !p.trim().is_empty()),
                None => password.clone(),
            },
        });
        Settings {
            url_text,
            url,
            password,
            verify_peer: env.get("REDIS_OPENSSL_VERIFY_MODE") != Some("none"),
            sentinel,
        }
    }

    /// Where `REDIS_URL` leads (ActionCable always; everything when not in Sentinel mode),
    /// with the credentials Chatwoot sends: `REDIS_PASSWORD` overrides the URL's password.
    pub fn url_endpoint(&self) -> Option<Endpoint> {
        let url = self.url.as_ref().ok()?;
        Some(Endpoint {
            label: "REDIS_URL".into(),
            host: url.effective_host().to_string(),
            port: url.port,
            unix_path: url.path.clone(),
            tls: url.scheme == UrlScheme::Rediss,
            verify_peer: self.verify_peer,
            username: url.username.clone(),
            password: self
                .password
                .clone()
                .or_else(|| url.password.clone().filter(|p| !p.is_empty())),
            db: url.db,
        })
    }

    /// The master as Chatwoot reaches it in Sentinel mode: `redis://<name>` resolved by the
    /// sentinels, so no TLS, no username, and only `REDIS_PASSWORD`.
    pub fn master_endpoint(&self, host: &str, port: u16) -> Endpoint {
        Endpoint {
            label: "Sentinel master".into(),
            host: host.to_string(),
            port,
            unix_path: None,
            tls: false,
            verify_peer: self.verify_peer,
            username: None,
            password: self.password.clone(),
            db: None,
        }
    }

    /// A sentinel as Chatwoot reaches it (plain TCP, sentinel password, no username).
    pub fn sentinel_endpoint(&self, addr: &SentinelAddr) -> Endpoint {
        Endpoint {
            label: format!("sentinel {addr}"),
            host: addr.host.clone(),
            port: addr.port,
            unix_path: None,
            tls: false,
            verify_peer: self.verify_peer,
            username: None,
            password: self.sentinel.as_ref().and_then(|s| s.password.clone()),
            db: None,
        }
    }

    /// Every secret that could appear in a message.
    pub fn secrets(&self, env: &ChatwootEnv) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD"] {
            if let Some(v) = env.get(key) {
                out.push(v.to_string());
            }
        }
        if let Ok(url) = &self.url {
            out.extend(url.password.clone());
            out.extend(url.raw_password.clone());
        }
        for key in ["REDIS_URL", "REDIS_TLS_URL", "SIDEKIQ_REDIS_URL"] {
            if let Some(Ok(u)) = env.get(key).map(parse_redis_url) {
                out.extend(u.password);
                out.extend(u.raw_password);
            }
        }
        out
    }
}

/// Pool sizes as Chatwoot reads them: `Ok(default)` when unset, `Err` when `Integer()`
/// would raise.
pub fn pool_size(env: &ChatwootEnv, key: &str) -> Result<u32, String> {
    let default = if key == "REDIS_ALFRED_SIZE" {
        DEFAULT_ALFRED
    } else {
        DEFAULT_VELMA
    };
    match env.get(key) {
        None => Ok(default),
        Some(v) => {
            let n = parse_ruby_integer(v)?;
            u32::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{n} is not a usable pool size (it must be 1 or more)"))
        }
    }
}

/// The connections Chatwoot holds with the pool sizes the env really sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfiguredBudget {
    pub alfred: u32,
    pub velma: u32,
    /// What the pools may open.
    pub capacity: u32,
    /// What the threads can use at most.
    pub reachable: u32,
    /// The `maxclients` this workload calls for (rolling restarts, probes, admin, floor).
    pub maxclients: u32,
    /// The whole computation, for explanations.
    pub budget: Budget,
}

impl ConfiguredBudget {
    pub fn from_budget(budget: Budget) -> ConfiguredBudget {
        ConfiguredBudget {
            alfred: budget.alfred,
            velma: budget.velma,
            capacity: budget.capacity,
            reachable: budget.reachable,
            maxclients: budget.maxclients,
            budget,
        }
    }
}

/// `None` when a pool size cannot be read (reported by the static checks).
pub fn configured_budget(env: &ChatwootEnv, w: &Workload) -> Option<ConfiguredBudget> {
    let alfred = pool_size(env, "REDIS_ALFRED_SIZE").ok()?;
    let velma = pool_size(env, "REDIS_VELMA_SIZE").ok()?;
    Some(ConfiguredBudget::from_budget(budget_with(
        w,
        Pools { alfred, velma },
    )))
}

/// A boolean as Chatwoot's `ActiveModel::Type::Boolean` casts it: `false`, `0`, `f`, `off`,
/// `no` (any case) are false, every other non-empty value true.
fn chatwoot_bool(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "f" | "false" | "off" | "no"
    )
}

/// The workload behind the connection budget, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSource {
    pub workload: Workload,
    pub from: String,
    /// Values that could not be read (a warning each).
    pub problems: Vec<String>,
}

/// sidekiq_alive and Rack::Attack as the env sets them (they live in Chatwoot's env, whatever
/// the answers file says about processes and threads).
fn read_switches(env: &ChatwootEnv, w: &mut Workload, problems: &mut Vec<String>) {
    if let Some(v) = env.present("SIDEKIQ_ALIVE_CONCURRENCY") {
        match v.trim().parse::<u32>() {
            Ok(n) => w.sidekiq_alive_concurrency = n,
            Err(_) => problems.push(format!("SIDEKIQ_ALIVE_CONCURRENCY={v:?} is not a number")),
        }
    }
    if let Some(v) = env.present("DISABLE_SIDEKIQ_ALIVE") {
        w.sidekiq_alive = !chatwoot_bool(v);
    }
    if let Some(v) = env.present("ENABLE_RACK_ATTACK") {
        w.rack_attack = chatwoot_bool(v);
    }
}

/// The workload from the answers file when given (as [`crate::answers::read_workload`] reads
/// it; sidekiq_alive and Rack::Attack still come from the env), else from Puma/Sidekiq variables in the
/// env (`WEB_CONCURRENCY` 0 or unset = one process), else Chatwoot's defaults.
pub fn workload(env: &ChatwootEnv, answers: Option<(&WorkloadReading, &str)>) -> WorkloadSource {
    let mut w = Workload::default();
    let mut problems = Vec::new();
    read_switches(env, &mut w, &mut problems);
    if let Some((a, path)) = answers {
        w.web_processes = a.workload.web_processes;
        w.web_threads = a.workload.web_threads;
        w.sidekiq_processes = a.workload.sidekiq_processes;
        w.sidekiq_concurrency = a.workload.sidekiq_concurrency;
        for (field, why) in &a.refused {
            problems.push(match why {
                CountRefusal::NotPositive => {
                    format!("{field} in {path} is not a positive number")
                }
                CountRefusal::Above(max) => {
                    format!("{field} in {path} is not a whole number from 1 to {max}")
                }
            });
        }
        return WorkloadSource {
            workload: w,
            from: format!("answers file {path}"),
            problems,
        };
    }
    let mut used = Vec::new();
    for (field, key) in [
        (&mut w.web_threads, "RAILS_MAX_THREADS"),
        (&mut w.web_processes, "WEB_CONCURRENCY"),
        (&mut w.sidekiq_concurrency, "SIDEKIQ_CONCURRENCY"),
    ] {
        if let Some(v) = env.present(key) {
            match v.trim().parse::<u32>() {
                // Puma: WEB_CONCURRENCY 0 is single mode, one process.
                Ok(n) => {
                    *field = n.max(1);
                    used.push(key);
                }
                Err(_) => problems.push(format!("{key}={v:?} is not a number")),
            }
        }
    }
    let from = if used.is_empty() {
        "Chatwoot defaults: one web process with 5 threads, one Sidekiq with concurrency 10"
            .to_string()
    } else {
        format!(
            "{} from {}, Chatwoot defaults for the rest",
            used.join(", "),
            env.source
        )
    };
    WorkloadSource {
        workload: w,
        from,
        problems,
    }
}
