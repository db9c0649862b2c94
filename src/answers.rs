//! The one answers model. The answers file, `CHATWOOT_REDIS_*` variables, flags and the wizard
//! all produce [`RawAnswers`] (strings by field name); [`resolve`] validates them in one place
//! and applies the scenario's defaults. The answers file never holds a secret.

#![warn(clippy::too_many_lines)]

use std::collections::{BTreeMap, BTreeSet};

use crate::chatwoot::{self, SentinelAddr};
use crate::error::{Error, Missing, Result};
use crate::scenario::{EndpointRecord, Output, Scenario, TlsRule};
use crate::sizing::{Budget, Workload};

pub mod comments;
mod field;
mod saved;
mod version;

pub use field::{Field, Heading, Kind};
pub use saved::check_saved;
pub use version::RedisVersion;
/// Texts about the version lines, for every place a version is chosen.
pub mod version_notes {
    pub use super::version::{LICENSE_NOTE, READ_VERSION_HINT};
}

/// The answers a Redis URL carries (replaced together when a URL is given).
const URL_PARTS: [Field; 5] = [
    Field::Host,
    Field::Port,
    Field::Tls,
    Field::Username,
    Field::Db,
];

/// Drops every answer tied to the previous scenario's Redis (used when the scenario changes).
pub fn keep_only_portable(raw: &mut RawAnswers) {
    raw.values.retain(|f, _| f.spec().portable);
}

/// Answers as given, before validation: field → text. Secrets are never held here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAnswers {
    values: BTreeMap<Field, String>,
}

/// The largest answers file read: a real one is a few hundred bytes.
pub const MAX_ANSWERS_FILE: u64 = 64 * 1024;

/// The deepest nesting of `[`/`{` an answers file may have (lists of sentinels need one level).
const MAX_ANSWERS_NESTING: usize = 8;

/// Refuses an answers file the YAML parser would spend super-linear time on: too large, or
/// nested deeper than any answers file is. One linear scan; brackets inside quotes count too,
/// which only makes it stricter (no answer holds more than a bracket or two).
fn check_answers_shape(text: &str, origin: &str) -> Result<()> {
    let fix = "an answers file is a flat `answer: value` mapping of a few hundred bytes; compare \
               with `chatwoot-redis render --stdout` or delete it and run `chatwoot-redis init`";
    if text.len() as u64 > MAX_ANSWERS_FILE {
        return Err(Error::Usage(format!(
            "{origin}: not read: it is larger than {MAX_ANSWERS_FILE} bytes\n  fix: {fix}"
        )));
    }
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '{' => {
                depth += 1;
                if depth > MAX_ANSWERS_NESTING {
                    return Err(Error::Usage(format!(
                        "{origin}: not read: lists or mappings nested deeper than \
                         {MAX_ANSWERS_NESTING} levels\n  fix: {fix}"
                    )));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

impl RawAnswers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an answer. A secret field is ignored: secrets travel as `secrets` values.
    pub fn set(&mut self, field: Field, value: impl Into<String>) {
        if !field.spec().secret {
            self.values.insert(field, value.into());
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.values.get(&field).map(String::as_str)
    }

    pub fn remove(&mut self, field: Field) {
        self.values.remove(&field);
    }

    /// Fields of `other` (a higher source) override those of `self`. A URL is one unit:
    /// a URL of `other` replaces every endpoint answer of `self` (host, port, TLS, user
    /// name, database), and an endpoint answer of `other` replaces that part only of a URL
    /// of `self` (which is split into its answers first).
    pub fn overlay(&mut self, other: &RawAnswers) {
        if other.get(Field::Url).is_some() {
            for f in URL_PARTS {
                self.values.remove(&f);
            }
        } else if URL_PARTS.iter().any(|f| other.get(*f).is_some()) {
            self.split_url_into_parts();
        }
        for (k, v) in &other.values {
            self.values.insert(*k, v.clone());
        }
    }

    /// Replaces a password-free URL by the answers it carries (a URL that does not parse,
    /// or carries a password, stays for `resolve` to report).
    fn split_url_into_parts(&mut self) {
        let Some(text) = self.get(Field::Url).map(str::to_string) else {
            return;
        };
        let Ok(parts) = split_url(&text) else {
            return;
        };
        if parts.password.is_some() {
            return;
        }
        self.values.remove(&Field::Url);
        let mut put = |f: Field, v: String| {
            self.values.entry(f).or_insert(v);
        };
        put(Field::Host, parts.host);
        if let Some(p) = parts.port {
            put(Field::Port, p.to_string());
        }
        put(Field::Tls, parts.tls.to_string());
        if let Some(u) = parts.username {
            put(Field::Username, u);
        }
        if let Some(d) = parts.db {
            put(Field::Db, d.to_string());
        }
    }

    /// Parses an answers file (YAML mapping of field → scalar; lists allowed for
    /// `sentinels` and `emit`).
    pub fn from_yaml(text: &str, origin: &str) -> Result<RawAnswers> {
        check_answers_shape(text, origin)?;
        let doc: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
            Error::Usage(format!(
                "{origin}: not a valid answers file: {e}\n  fix: it is YAML with one `answer: value` \
                 per line; compare with `chatwoot-redis render --stdout` output or delete it and run \
                 `chatwoot-redis init`"
            ))
        })?;
        let mut raw = RawAnswers::new();
        let map = match doc {
            yaml_serde::Value::Null => return Ok(raw),
            yaml_serde::Value::Mapping(m) => m,
            _ => {
                return Err(Error::Usage(format!(
                    "{origin}: the answers file must be a mapping of answers (`scenario: ...`)"
                )))
            }
        };
        for (k, v) in map {
            let key = match &k {
                yaml_serde::Value::String(s) => s.clone(),
                other => format!("{other:?}"),
            };
            let field = Field::parse(&key).filter(|f| !f.spec().secret);
            let Some(field) = field else {
                if key.contains("password") || key.contains("secret") {
                    return Err(Error::Usage(format!(
                        "{origin}: `{key}`: secrets never go in the answers file (it is committed)\n  \
                         fix: remove the line; pass the password with REDIS_PASSWORD, \
                         --password-file or --password-stdin, and rotate it: the file's \
                         history keeps the old one"
                    )));
                }
                return Err(Error::Usage(format!(
                    "{origin}: unknown answer `{key}`\n  fix: remove it; known answers: {}",
                    Field::answers()
                        .map(Field::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            let text = match v {
                yaml_serde::Value::Null => continue,
                yaml_serde::Value::Bool(b) => b.to_string(),
                yaml_serde::Value::Number(n) => n.to_string(),
                yaml_serde::Value::String(s) => s,
                yaml_serde::Value::Sequence(items) if field.spec().kind == Kind::List => {
                    let mut parts = Vec::new();
                    for item in items {
                        match item {
                            yaml_serde::Value::String(s) => parts.push(s),
                            other => {
                                return Err(Error::Usage(format!(
                                "{origin}: `{field}`: list items must be strings, found {other:?}"
                            )))
                            }
                        }
                    }
                    parts.join(",")
                }
                other => {
                    return Err(Error::Usage(format!(
                        "{origin}: `{field}`: expected a single value, found {other:?}"
                    )))
                }
            };
            if field == Field::Url && split_url(&text).is_ok_and(|u| u.password.is_some()) {
                return Err(Error::Usage(format!(
                    "{origin}: `url`: the URL holds a password, and secrets never go in the \
                     answers file (it is committed)\n  fix: remove the password from the URL \
                     (keep redis[s]://host:port), pass it with REDIS_PASSWORD, --password-file or \
                     --password-stdin, and rotate it: the file's history keeps the old one"
                )));
            }
            raw.set(field, text);
        }
        Ok(raw)
    }
}

/// TLS certificate checking as Chatwoot does it (`REDIS_OPENSSL_VERIFY_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    Peer,
    None,
}

impl VerifyMode {
    pub const ALL: [VerifyMode; 2] = [VerifyMode::Peer, VerifyMode::None];

    /// The `--verify-mode` value (and `REDIS_OPENSSL_VERIFY_MODE`'s, lower-cased).
    pub fn id(self) -> &'static str {
        match self {
            VerifyMode::Peer => "peer",
            VerifyMode::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<VerifyMode> {
        VerifyMode::ALL.into_iter().find(|m| m.id() == s)
    }
}

/// Whether Redis requires a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Password,
    None,
}

impl Auth {
    pub const ALL: [Auth; 2] = [Auth::Password, Auth::None];

    /// The `--auth` value.
    pub fn id(self) -> &'static str {
        match self {
            Auth::Password => "password",
            Auth::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Auth> {
        Auth::ALL.into_iter().find(|a| a.id() == s)
    }
}

/// What Chatwoot sends to sentinels (`REDIS_SENTINEL_PASSWORD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentinelAuth {
    /// Unset: Chatwoot sends `REDIS_PASSWORD` (Bitnami's sentinels use the Redis password).
    Same,
    /// Empty: sentinels without auth while Redis has a password.
    None,
    /// A separate sentinel password (from REDIS_SENTINEL_PASSWORD / --sentinel-password-file).
    Separate,
}

impl SentinelAuth {
    pub const ALL: [SentinelAuth; 3] = [
        SentinelAuth::Same,
        SentinelAuth::None,
        SentinelAuth::Separate,
    ];

    /// The `--sentinel-auth` value.
    pub fn id(self) -> &'static str {
        match self {
            SentinelAuth::Same => "same",
            SentinelAuth::None => "none",
            SentinelAuth::Separate => "separate",
        }
    }

    pub fn parse(s: &str) -> Option<SentinelAuth> {
        SentinelAuth::ALL.into_iter().find(|m| m.id() == s)
    }
}

/// A memory size in bytes, written back in the unit it was given in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemSize {
    pub bytes: u64,
    pub text: String,
}

impl MemSize {
    pub fn parse(text: &str) -> std::result::Result<MemSize, String> {
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| "not a size; write e.g. 512mb or 2gb".to_string())?;
        let mult: u64 = match unit.trim() {
            "" | "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000 * 1000 * 1000,
            "gb" => 1024 * 1024 * 1024,
            u => return Err(format!("unknown unit {u:?}; use kb, mb or gb")),
        };
        let bytes = n
            .checked_mul(mult)
            .ok_or_else(|| "the size is too large".to_string())?;
        // Far above any host: keeps every figure derived from it (fork headroom, container
        // limits) exact instead of saturating.
        const MAX_BYTES: u64 = 64 << 40;
        if bytes > MAX_BYTES {
            return Err(
                "above 64 TiB, more memory than any Redis host has; write the size Redis may use, \
                 e.g. 2gb"
                    .into(),
            );
        }
        if bytes < 32 * 1024 * 1024 {
            return Err(
                "below 32mb Chatwoot's queues and ActionCable state do not fit; 0 (no limit) is \
                 refused too, since with noeviction a host without a limit runs out of memory"
                    .into(),
            );
        }
        Ok(MemSize {
            bytes,
            text: format!("{n}{}", unit.trim()),
        })
    }
}

/// A container image as Bitnami's chart takes it: registry, repository and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `None`: Docker Hub (the chart's `docker.io`).
    pub registry: Option<String>,
    pub repository: String,
    pub tag: String,
}

impl Image {
    fn new(repository: &str, tag: &str) -> Image {
        Image {
            registry: None,
            repository: repository.into(),
            tag: tag.into(),
        }
    }

    /// `[registry/]repository:tag`; a first path part with a `.` or `:` (or `localhost`) is
    /// the registry. No digests: the chart has no field for one.
    pub fn parse(text: &str) -> std::result::Result<Image, String> {
        if text.contains('@') {
            return Err("a digest (@sha256:…) cannot be given to the chart; use a tag".into());
        }
        let (name, tag) = match text.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t),
            _ => return Err("it has no tag (repository:tag)".into()),
        };
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !tag_ok {
            return Err(format!(
                "the tag {tag:?} is not a Docker tag (letters, digits, '_', '.', '-', at most 128)"
            ));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_string()), rest)
            }
            _ => (None, name),
        };
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.ends_with(|c: char| c.is_ascii_alphanumeric())
        };
        if !repository.split('/').all(part_ok) {
            return Err(format!(
                "the repository {repository:?} is not a Docker repository (lower-case letters, \
                 digits, '.', '_', '-', parts separated by '/')"
            ));
        }
        if let Some(r) = &registry {
            if !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-".contains(c))
            {
                return Err(format!("the registry {r:?} is not a host[:port]"));
            }
        }
        Ok(Image {
            registry,
            repository: repository.to_string(),
            tag: tag.to_string(),
        })
    }
}

impl std::fmt::Display for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(r) = &self.registry {
            write!(f, "{r}/")?;
        }
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// What the chart's bundled Redis runs: the images and the sentinels' failover timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundledChart {
    pub redis_image: Image,
    pub sentinel_image: Image,
    /// `redis.sentinel.downAfterMilliseconds`.
    pub down_after_ms: u32,
}

/// Bitnami's `down-after-milliseconds` (the chart's default).
pub const DEFAULT_DOWN_AFTER_MS: u32 = 60_000;

impl Default for BundledChart {
    /// What the Chatwoot chart 2.0.23 is known to work with (images that get no updates).
    fn default() -> Self {
        BundledChart {
            redis_image: Image::new("bitnamilegacy/redis", "6.2.7-debian-11-r3"),
            sentinel_image: Image::new("bitnamilegacy/redis-sentinel", "6.2.7-debian-11-r3"),
            down_after_ms: DEFAULT_DOWN_AFTER_MS,
        }
    }
}

/// Validated answers with the scenario's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub scenario: Scenario,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub db: u8,
    pub tls: bool,
    pub verify_mode: VerifyMode,
    /// `SSL_CERT_FILE` for Chatwoot: the provider's CA bundle (TLS with verification only).
    pub ssl_cert_file: Option<String>,
    pub auth: Auth,
    /// External sentinels (empty: bundled Bitnami sentinels or no Sentinel at all).
    pub sentinels: Vec<SentinelAddr>,
    pub sentinel_master: String,
    pub sentinel_auth: SentinelAuth,
    pub redis_version: RedisVersion,
    pub maxmemory: MemSize,
    pub workload: Workload,
    pub max_connections: Option<u32>,
    /// `--emit` as given (kept in the answers file), and the outputs it resolves to.
    pub emit_spec: Option<String>,
    pub outputs: BTreeSet<Output>,
    pub release: String,
    pub namespace: String,
    /// The bundled Redis (defaults elsewhere: nothing uses it).
    pub chart: BundledChart,
    /// The Redis nodes behind external sentinels (for the master proxy).
    pub redis_nodes: Vec<(String, u16)>,
    pub config_dir: String,
    pub data_dir: String,
    /// `env-file` as given (kept in the answers file): Chatwoot's own `.env`, when the Redis
    /// keys go there rather than into `--out`.
    pub env_file: Option<String>,
    /// Where that file is: `env_file` from the answers file's directory (set by the render
    /// pipeline, which knows that directory; not an answer).
    pub env_path: Option<std::path::PathBuf>,
    /// Password found in `--url` (a secret: never written to the answers file).
    pub url_password: Option<String>,
    /// docker-compose: where the output directory sits in Chatwoot's Compose project (found
    /// on disk, not an answer).
    pub compose: crate::scenario::ComposeLayout,
}

impl Answers {
    /// Sentinel mode: bundled sentinels in Kubernetes, or external ones.
    pub fn sentinel_mode(&self) -> bool {
        self.scenario.rules().sentinel
    }

    /// The Bitnami sub-chart's full name (`<release>-chatwoot-redis`).
    pub fn bitnami_fullname(&self) -> String {
        format!("{}-chatwoot-redis", self.release)
    }

    /// Kubernetes with the chart's bundled Redis (no external sentinels given).
    pub fn bundled_redis(&self) -> bool {
        a_bundled(self.scenario, &self.sentinels)
    }
}

fn invalid(field: Field, value: &str, reason: impl Into<String>, fix: impl Into<String>) -> Error {
    Error::invalid_answer(field, value, reason, fix)
}

fn parse_count(raw: &RawAnswers, field: Field, default: u32, max: u32) -> Result<u32> {
    match read_count(raw, field, max) {
        None => Ok(default),
        Some(Ok(n)) => Ok(n),
        Some(Err(_)) => Err(count_refused(raw, field, default, max)),
    }
}

/// The refusal of a count answer that is not a whole number from 1 to `max`.
fn count_refused(raw: &RawAnswers, field: Field, default: u32, max: u32) -> Error {
    invalid(
        field,
        raw.get(field).unwrap_or_default(),
        format!("not a whole number from 1 to {max}"),
        format!("pass --{field} N, e.g. --{field} {default}"),
    )
}

fn parse_bool(raw: &RawAnswers, field: Field) -> Result<Option<bool>> {
    let Some(v) = raw.get(field) else {
        return Ok(None);
    };
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(Some(true)),
        "false" | "no" | "off" | "0" => Ok(Some(false)),
        _ => Err(invalid(
            field,
            v,
            "not true or false",
            format!("use --{field} or --no-{field}"),
        )),
    }
}

/// What `--url` contributes.
struct UrlParts {
    host: String,
    port: Option<u16>,
    username: Option<String>,
    password: Option<String>,
    db: Option<u8>,
    tls: bool,
}

fn split_url(text: &str) -> Result<UrlParts> {
    let shown = redact_url(text);
    let url = chatwoot::parse_redis_url(text.trim()).map_err(|why| {
        invalid(
            Field::Url,
            &shown,
            why,
            "pass it as redis://[user:password@]host:port[/db] or rediss://… for TLS",
        )
    })?;
    let tls = match url.scheme {
        chatwoot::UrlScheme::Redis => false,
        chatwoot::UrlScheme::Rediss => true,
        chatwoot::UrlScheme::Unix => {
            return Err(invalid(
                Field::Url,
                &shown,
                "unix sockets are not a scenario here",
                "use single-server with the loopback address (127.0.0.1)",
            ))
        }
    };
    let host = url
        .host
        .clone()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            invalid(
                Field::Url,
                &shown,
                "it has no host",
                "add the host: redis://HOST:PORT",
            )
        })?;
    let db = match url.db {
        None => None,
        Some(n) => Some(u8::try_from(n).ok().filter(|n| *n < 16).ok_or_else(|| {
            invalid(
                Field::Url,
                &shown,
                format!("database {n} is not 0 to 15"),
                "use /0 to /15",
            )
        })?),
    };
    let explicit_port = text.trim().rsplit_once(':').is_some_and(|(_, tail)| {
        tail.split(['/', '?'])
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    Ok(UrlParts {
        host,
        port: explicit_port.then_some(url.port),
        username: url.username.clone(),
        password: url.password.clone().filter(|p| !p.is_empty()),
        db,
        tls,
    })
}

pub use crate::redact::redact_url;

/// Resolves the `--emit` spec against the scenario's defaults.
fn resolve_emit(
    scenario: Scenario,
    sentinels: &[SentinelAddr],
    spec: Option<&str>,
) -> Result<BTreeSet<Output>> {
    let mut set: BTreeSet<Output> = scenario.default_outputs().iter().copied().collect();
    // The proxy follows the bundled nodes by default; external sentinels ask for it.
    if !sentinels.is_empty() {
        set.remove(&Output::MasterProxy);
    }
    let Some(spec) = spec else {
        return Ok(set);
    };
    let items: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(invalid(
            Field::Emit,
            spec,
            "no output named",
            "e.g. --emit env,helm or --emit +helm",
        ));
    }
    let relative = items.iter().all(|i| i.starts_with(['+', '-']));
    if !relative {
        if items.iter().any(|i| i.starts_with(['+', '-'])) {
            return Err(invalid(
                Field::Emit,
                spec,
                "mixes a plain list with +/- items",
                "either list the outputs (env,helm) or adjust the defaults (+helm,-provider)",
            ));
        }
        set.clear();
    }
    for item in items {
        let (op, name) = match item.strip_prefix('+') {
            Some(n) => ('+', n),
            None => match item.strip_prefix('-') {
                Some(n) => ('-', n),
                None => ('=', item),
            },
        };
        let out = Output::parse(name).ok_or_else(|| {
            invalid(
                Field::Emit,
                spec,
                format!("unknown output {name:?}"),
                format!("outputs are {}", Output::ALL.map(|o| o.id()).join(", ")),
            )
        })?;
        if op == '-' {
            set.remove(&out);
        } else {
            set.insert(out);
        }
    }
    check_emit(scenario, spec, &set)?;
    Ok(set)
}

/// The output sets a scenario cannot have.
fn check_emit(scenario: Scenario, spec: &str, set: &BTreeSet<Output>) -> Result<()> {
    if set.is_empty() {
        return Err(invalid(
            Field::Emit,
            spec,
            "this leaves nothing to render",
            "keep at least one output",
        ));
    }
    if scenario.is_managed() && (set.contains(&Output::RedisConf) || set.contains(&Output::Compose))
    {
        return Err(invalid(
            Field::Emit,
            spec,
            format!("{scenario} is a managed service: there is no redis.conf or Redis container of yours"),
            "drop redis-conf/compose; redis-settings.sh (provider) applies the settings instead",
        ));
    }
    if scenario.is_managed() && set.contains(&Output::HostLimits) {
        return Err(invalid(
            Field::Emit,
            spec,
            format!("{scenario} runs on the provider's hosts: their limits are not yours to set"),
            "remove host-limits from --emit",
        ));
    }
    if set.contains(&Output::Provider) && scenario.provider_template().is_none() {
        return Err(invalid(
            Field::Emit,
            spec,
            format!("{scenario} has no provider to configure"),
            "drop provider; the redis.conf carries these settings",
        ));
    }
    if set.contains(&Output::MasterProxy) && !scenario.rules().sentinel {
        return Err(invalid(
            Field::Emit,
            spec,
            format!("{scenario} has no Sentinel: REDIS_URL already reaches the one master"),
            "drop master-proxy; it is for --scenario kubernetes-sentinel",
        ));
    }
    if scenario.rules().sentinel && set.contains(&Output::Compose) {
        return Err(invalid(
            Field::Emit,
            spec,
            "Compose does not run Sentinel here",
            "drop compose",
        ));
    }
    Ok(())
}

/// Validates raw answers and applies the scenario's defaults: one short resolver per part,
/// in the order their errors are reported.
pub fn resolve(raw: &RawAnswers) -> Result<Answers> {
    let scenario = resolve_scenario(raw)?;
    let url = raw.get(Field::Url).map(split_url).transpose()?;
    let (release, namespace, sentinels) = resolve_kubernetes(raw, scenario)?;
    let emit_spec = raw.get(Field::Emit).map(str::to_string);
    let outputs = resolve_emit(scenario, &sentinels, emit_spec.as_deref())?;
    let redis_nodes = resolve_redis_nodes(raw, &sentinels, &outputs)?;
    // External sentinels behind the master proxy: REDIS_URL is the proxy.
    let proxy_host = (!sentinels.is_empty() && outputs.contains(&Output::MasterProxy))
        .then(|| crate::scenario::kubernetes::proxy_name(&format!("{release}-chatwoot-redis")));
    let host = resolve_host(
        raw,
        scenario,
        url.as_ref(),
        &release,
        &sentinels,
        proxy_host,
    )?;
    let (tls, port) = resolve_tls_and_port(raw, scenario, url.as_ref(), &host)?;
    let db = resolve_db(raw, scenario, url.as_ref())?;
    let verify_mode = resolve_verify_mode(raw, scenario, tls)?;
    let ssl_cert_file = resolve_ssl_cert_file(raw, scenario, tls, verify_mode)?;
    let (auth, username) = resolve_auth(raw, scenario, url.as_ref())?;
    let (sentinel_master, sentinel_auth) = resolve_sentinel(raw, scenario, &sentinels)?;
    let (redis_version, maxmemory) = resolve_server(raw, scenario, &sentinels)?;
    let (workload, max_connections) = resolve_workload(raw)?;
    let (config_dir, data_dir) = resolve_dirs(raw, redis_version)?;
    let chart = resolve_chart(raw, a_bundled(scenario, &sentinels))?;
    let env_file = resolve_env_file(raw, scenario, &outputs)?;
    Ok(Answers {
        scenario,
        host,
        port,
        username,
        db,
        tls,
        verify_mode,
        ssl_cert_file,
        auth,
        sentinels,
        sentinel_master,
        sentinel_auth,
        redis_version,
        maxmemory,
        workload,
        max_connections,
        emit_spec,
        outputs,
        release,
        namespace,
        chart,
        redis_nodes,
        config_dir,
        data_dir,
        env_file,
        env_path: None,
        url_password: url.and_then(|u| u.password),
        compose: crate::scenario::ComposeLayout::default(),
    })
}

/// `env-file`: a path to a file (its directory is checked where the file is written). Refused
/// for Compose, whose override names the `.env` in `--out`.
fn resolve_env_file(
    raw: &RawAnswers,
    scenario: Scenario,
    outputs: &BTreeSet<Output>,
) -> Result<Option<String>> {
    let Some(text) = raw.get(Field::EnvFile) else {
        return Ok(None);
    };
    let path = std::path::Path::new(text);
    let why = if text.trim().is_empty() {
        Some("it is empty")
    } else if text.chars().any(char::is_control) {
        Some("it contains a control character (a line break, a tab, a NUL)")
    } else if text.ends_with('/')
        || !matches!(
            path.components().next_back(),
            Some(std::path::Component::Normal(_))
        )
    {
        Some("it names a directory, not a file")
    } else {
        None
    };
    if let Some(why) = why {
        return Err(Error::invalid_answer(
            Field::EnvFile,
            text,
            why,
            "give the path of Chatwoot's .env, e.g. --env-file /home/chatwoot/chatwoot/.env",
        ));
    }
    if scenario.rules().compose && outputs.contains(&Output::Env) {
        return Err(Error::invalid_answer(
            Field::EnvFile,
            text,
            format!(
                "{scenario}: the Compose override reads the .env in --out, so the Redis keys \
                 must be written there"
            ),
            "remove env-file (flag, CHATWOOT_REDIS_ENV_FILE or the answers file) and render \
             with --out in Chatwoot's project directory (or its deploy/ subdirectory)",
        ));
    }
    // Kept while --emit leaves the .env out (a render of the public files only): the next
    // render that writes .env still finds Chatwoot's.
    Ok(Some(text.to_string()))
}

/// The Redis nodes the master proxy checks, with external sentinels (the bundled nodes have
/// fixed names).
fn resolve_redis_nodes(
    raw: &RawAnswers,
    sentinels: &[SentinelAddr],
    outputs: &BTreeSet<Output>,
) -> Result<Vec<(String, u16)>> {
    let wanted = !sentinels.is_empty() && outputs.contains(&Output::MasterProxy);
    let Some(text) = raw.get(Field::RedisNodes) else {
        if wanted {
            return Err(Error::Missing(vec![Missing::new(
                Field::RedisNodes,
                "redis-nodes: --redis-nodes host:port,… or CHATWOOT_REDIS_REDIS_NODES — the \
                 master proxy checks each Redis node the sentinels monitor",
            )]));
        }
        return Ok(Vec::new());
    };
    if !wanted {
        return Err(invalid(
            Field::RedisNodes,
            text,
            "only the master proxy for external sentinels uses it (the bundled nodes have \
             fixed names)",
            "remove --redis-nodes, or give --sentinels and --emit +master-proxy",
        ));
    }
    let fix = "list the nodes as host:port,host:port with fully qualified names or IPs, e.g. \
               redis-0.redis.db.svc.cluster.local:6379";
    let mut nodes = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (host, port) = match entry.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(n) if n > 0 => (h, n),
                _ => {
                    return Err(invalid(
                        Field::RedisNodes,
                        text,
                        format!("{entry:?} has no valid port"),
                        fix,
                    ))
                }
            },
            None => (entry, 6379),
        };
        chatwoot::validate_host(host)
            .map_err(|why| invalid(Field::RedisNodes, text, format!("{entry:?}: {why}"), fix))?;
        if host.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err(invalid(
                Field::RedisNodes,
                text,
                format!("{host:?} is an IPv6 literal"),
                "give the node's DNS name or IPv4 address",
            ));
        }
        if host.parse::<std::net::IpAddr>().is_err() && !host.contains('.') {
            return Err(invalid(
                Field::RedisNodes,
                text,
                format!(
                    "{host:?} is a short name: HAProxy's resolvers use no search domains, so \
                     after a restart the node would not be found again"
                ),
                fix,
            ));
        }
        nodes.push((host.to_string(), port));
    }
    if nodes.len() < 2 {
        return Err(invalid(
            Field::RedisNodes,
            text,
            "a master and at least one replica are needed for a failover",
            fix,
        ));
    }
    Ok(nodes)
}

/// The bundled Redis's images and failover timing (refused where there is no bundled Redis).
fn resolve_chart(raw: &RawAnswers, bundled: bool) -> Result<BundledChart> {
    let mut chart = BundledChart::default();
    for field in [
        Field::RedisImage,
        Field::SentinelImage,
        Field::SentinelDownAfter,
    ] {
        if let (Some(v), false) = (raw.get(field), bundled) {
            return Err(invalid(
                field,
                v,
                "only the chart's bundled Redis (kubernetes-sentinel without --sentinels) runs \
                 these images and sentinels",
                format!("remove --{field}"),
            ));
        }
    }
    for (field, slot) in [
        (Field::RedisImage, &mut chart.redis_image),
        (Field::SentinelImage, &mut chart.sentinel_image),
    ] {
        if let Some(v) = raw.get(field) {
            *slot = Image::parse(v.trim()).map_err(|why| {
                invalid(
                    field,
                    v,
                    why,
                    format!("e.g. --{field} bitnamilegacy/redis:6.2.7-debian-11-r3"),
                )
            })?;
        }
    }
    if let Some(v) = raw.get(Field::SentinelDownAfter) {
        chart.down_after_ms = match v.trim().parse::<u32>() {
            Ok(n) if (1000..=DEFAULT_DOWN_AFTER_MS * 10).contains(&n) => n,
            _ => {
                return Err(invalid(
                    Field::SentinelDownAfter,
                    v,
                    format!(
                        "not a number of milliseconds from 1000 to {} (below a second, a slow \
                         network or a busy node triggers failovers)",
                        DEFAULT_DOWN_AFTER_MS * 10
                    ),
                    "e.g. --sentinel-down-after 10000",
                ))
            }
        };
    }
    Ok(chart)
}

fn resolve_scenario(raw: &RawAnswers) -> Result<Scenario> {
    let scenario_text = raw.get(Field::Scenario).ok_or_else(|| {
        Error::Missing(vec![Missing::new(
            Field::Scenario,
            format!(
                "scenario: --scenario ID or CHATWOOT_REDIS_SCENARIO (one of {})",
                Scenario::ids().join(", ")
            ),
        )])
    })?;
    let scenario = Scenario::parse(scenario_text.trim()).ok_or_else(|| {
        invalid(
            Field::Scenario,
            scenario_text,
            "not a known scenario",
            format!(
                "use one of {} (`chatwoot-redis scenarios` describes them)",
                Scenario::ids().join(", ")
            ),
        )
    })?;
    Ok(scenario)
}

/// The Helm release and namespace, and external sentinels (Sentinel scenarios only).
fn resolve_kubernetes(
    raw: &RawAnswers,
    scenario: Scenario,
) -> Result<(String, String, Vec<SentinelAddr>)> {
    // Kept exactly as given (no trimming): a value either appears verbatim or is refused.
    let release = raw.get(Field::Release).unwrap_or("chatwoot").to_string();
    chatwoot::validate_k8s_name(&release)
        .map_err(|why| invalid(Field::Release, &release, why, "e.g. --release chatwoot"))?;
    let namespace = raw.get(Field::Namespace).unwrap_or("chatwoot").to_string();
    chatwoot::validate_k8s_namespace(&namespace).map_err(|why| {
        invalid(
            Field::Namespace,
            &namespace,
            why,
            "e.g. --namespace chatwoot",
        )
    })?;
    let sentinels = match raw.get(Field::Sentinels) {
        None => Vec::new(),
        Some(text) => {
            if !scenario.rules().sentinel {
                return Err(invalid(
                    Field::Sentinels,
                    text,
                    if scenario.is_managed() {
                        format!("{scenario} offers no Sentinel; Chatwoot would try to reach sentinels that do not exist")
                    } else {
                        format!("Sentinel is the kubernetes-sentinel scenario; {scenario} runs one Redis")
                    },
                    "remove --sentinels, or use --scenario kubernetes-sentinel",
                ));
            }
            chatwoot::parse_sentinels(text).map_err(|why| {
                invalid(
                    Field::Sentinels,
                    text,
                    why,
                    "list sentinels as host:port,host:port (port defaults to 26379)",
                )
            })?
        }
    };
    if a_bundled(scenario, &sentinels) {
        crate::scenario::kubernetes::check_bundled_release(&release).map_err(|why| {
            invalid(
                Field::Release,
                &release,
                why,
                format!(
                    "use a release name of at most {} characters, e.g. --release chatwoot",
                    crate::scenario::kubernetes::MAX_BUNDLED_RELEASE
                ),
            )
        })?;
    }
    Ok((release, namespace, sentinels))
}

/// The host Chatwoot connects to, checked against the scenario's endpoint rules.
fn resolve_host(
    raw: &RawAnswers,
    scenario: Scenario,
    url: Option<&UrlParts>,
    release: &str,
    sentinels: &[SentinelAddr],
    proxy_host: Option<String>,
) -> Result<String> {
    let default_host = proxy_host.or_else(|| scenario.default_host(release, sentinels));
    let host = match raw
        .get(Field::Host)
        .map(str::to_string)
        .or(url.map(|u| u.host.clone()))
        .or(default_host)
    {
        Some(h) => h,
        None => {
            let line = match scenario.rules().endpoint_from_url {
                Some(from_url) => from_url.to_string(),
                None => format!(
                    "host: --host HOST or CHATWOOT_REDIS_HOST (or --url) — the {scenario} endpoint"
                ),
            };
            return Err(Error::Missing(vec![Missing::new(Field::Host, line)]));
        }
    };
    chatwoot::validate_host(&host).map_err(|why| {
        invalid(
            Field::Host,
            &host,
            why,
            "pass the endpoint's host name or IP address alone, e.g. --host redis.example.internal",
        )
    })?;
    check_host_for_scenario(scenario, &host)?;
    Ok(host)
}

fn resolve_tls_and_port(
    raw: &RawAnswers,
    scenario: Scenario,
    url: Option<&UrlParts>,
    host: &str,
) -> Result<(bool, u16)> {
    let tls_flag = parse_bool(raw, Field::Tls)?;
    let tls_rule = scenario.rules().tls;
    let tls = tls_flag.or(url.map(|u| u.tls)).unwrap_or(match tls_rule {
        TlsRule::Never => false,
        TlsRule::Optional { default } => default,
        TlsRule::Always => true,
    });
    if tls && tls_rule == TlsRule::Never {
        return Err(invalid(
            Field::Tls,
            "true",
            format!(
                "{scenario}: Chatwoot reaches this Redis over loopback or a private network, and in \
                 Sentinel mode Chatwoot never uses TLS"
            ),
            "remove --tls (or use a managed scenario for a TLS endpoint)",
        ));
    }
    if !tls && tls_rule == TlsRule::Always {
        // Name the answer the value came from: a redis:// URL, or --no-tls.
        return Err(match (tls_flag, raw.get(Field::Url)) {
            (None, Some(u)) => invalid(
                Field::Url,
                &redact_url(u),
                format!("{scenario} requires TLS connections, and a redis:// URL has none"),
                "use the rediss:// URL the provider gives",
            ),
            _ => invalid(
                Field::Tls,
                "false",
                format!("{scenario} requires TLS connections"),
                "remove --no-tls (the URL scheme becomes rediss://)",
            ),
        });
    }
    let default_port = scenario.default_port(host, tls);
    let port = match raw.get(Field::Port) {
        Some(p) => match p.trim().parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(invalid(
                    Field::Port,
                    p,
                    "not a TCP port (1-65535)",
                    format!("e.g. --port {default_port}"),
                ))
            }
        },
        None => match url.and_then(|u| u.port) {
            Some(p) => p,
            None => match scenario.rules().endpoint_from_url {
                Some(missing) => {
                    return Err(Error::Missing(vec![Missing::new(Field::Port, missing)]))
                }
                None => default_port,
            },
        },
    };
    Ok((tls, port))
}

fn resolve_db(raw: &RawAnswers, scenario: Scenario, url: Option<&UrlParts>) -> Result<u8> {
    let db = match raw.get(Field::Db) {
        Some(d) => match d.trim().parse::<u8>() {
            Ok(n) if n < 16 => n,
            _ => {
                return Err(invalid(
                    Field::Db,
                    d,
                    "Redis has databases 0 to 15 by default",
                    "use --db 0 (or another number below 16)",
                ))
            }
        },
        None => url.and_then(|u| u.db).unwrap_or(0),
    };
    if db != 0 && scenario.rules().sentinel {
        return Err(invalid(
            Field::Db,
            &db.to_string(),
            "Chatwoot's Sentinel mode uses redis://<master-name> with no database number",
            "remove --db",
        ));
    }
    Ok(db)
}

fn resolve_verify_mode(raw: &RawAnswers, scenario: Scenario, tls: bool) -> Result<VerifyMode> {
    let default_verify = if scenario.rules().private_ca {
        VerifyMode::None
    } else {
        VerifyMode::Peer
    };
    let verify_mode = match raw.get(Field::VerifyMode) {
        None => default_verify,
        Some(v) => match VerifyMode::parse(v.trim()) {
            Some(mode) => mode,
            None => {
                return Err(invalid(
                    Field::VerifyMode,
                    v,
                    "Chatwoot knows two modes",
                    "use --verify-mode peer (check the certificate) or --verify-mode none (self-signed or private CA)",
                ))
            }
        },
    };
    if tls && verify_mode == VerifyMode::Peer && scenario.rules().private_ca {
        return Err(invalid(
            Field::VerifyMode,
            "peer",
            format!(
                "{scenario} serves a certificate from a private or self-signed CA and Chatwoot has \
                 no CA-file option: verification would fail on every connection"
            ),
            "remove --verify-mode (none is the default here)",
        ));
    }
    Ok(verify_mode)
}

/// Where Chatwoot finds the provider's CA bundle: only where the scenario has one, with TLS
/// and verification on. The path goes unquoted into `.env` and the process environment.
fn resolve_ssl_cert_file(
    raw: &RawAnswers,
    scenario: Scenario,
    tls: bool,
    verify_mode: VerifyMode,
) -> Result<Option<String>> {
    let given = raw.get(Field::SslCertFile);
    let Some(bundle) = scenario.rules().ca_bundle else {
        return match given {
            None => Ok(None),
            Some(v) => Err(invalid(
                Field::SslCertFile,
                v,
                format!("{scenario}'s certificate comes from a public CA (or cannot be verified): there is no CA bundle to point at"),
                "remove --ssl-cert-file",
            )),
        };
    };
    if !tls || verify_mode == VerifyMode::None {
        return match given {
            None => Ok(None),
            Some(v) => Err(invalid(
                Field::SslCertFile,
                v,
                "SSL_CERT_FILE is only used to verify the certificate of a TLS connection",
                "add --tls (and leave --verify-mode out), or remove --ssl-cert-file",
            )),
        };
    }
    let path = given
        .map(str::to_string)
        .unwrap_or_else(|| format!("/etc/chatwoot/{bundle}"));
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c));
    if !path.starts_with('/') || !plain || path.ends_with('/') {
        return Err(invalid(
            Field::SslCertFile,
            &path,
            "an absolute file path of letters, digits and / . _ - + is needed (it goes unquoted \
             into .env, where Compose and Ruby dotenv would change $, quotes, spaces or #)",
            format!("e.g. --ssl-cert-file /etc/chatwoot/{bundle}"),
        ));
    }
    Ok(Some(path))
}

/// Whether Redis needs a password, and the ACL user.
fn resolve_auth(
    raw: &RawAnswers,
    scenario: Scenario,
    url: Option<&UrlParts>,
) -> Result<(Auth, Option<String>)> {
    let auth = match raw.get(Field::Auth) {
        None => Auth::Password,
        Some(a) => match Auth::parse(a.trim()) {
            Some(auth) => auth,
            None => {
                return Err(invalid(
                    Field::Auth,
                    a,
                    "not password or none",
                    "use --auth password or --auth none",
                ))
            }
        },
    };
    if auth == Auth::None && !scenario.rules().auth_optional {
        return Err(invalid(
            Field::Auth,
            "none",
            format!("{scenario} needs a password (shared network, or the provider requires one)"),
            "remove --auth none; use --generate-password",
        ));
    }
    let username = raw
        .get(Field::Username)
        .map(str::to_string)
        .or(url.and_then(|u| u.username.clone()))
        .or(scenario.rules().default_username.map(str::to_string));
    if let Some(u) = &username {
        chatwoot::validate_username(u)
            .map_err(|why| invalid(Field::Username, u, why, "e.g. --username chatwoot"))?;
        if let Some(why) = scenario.username_refusal() {
            return Err(invalid(Field::Username, u, why, "remove --username"));
        }
        if auth == Auth::None {
            return Err(invalid(
                Field::Username,
                u,
                "an ACL user needs a password",
                "remove --username or --auth none",
            ));
        }
    }
    Ok((auth, username))
}

fn resolve_sentinel(
    raw: &RawAnswers,
    scenario: Scenario,
    sentinels: &[SentinelAddr],
) -> Result<(String, SentinelAuth)> {
    let sentinel_master = raw
        .get(Field::SentinelMaster)
        .unwrap_or(chatwoot::DEFAULT_SENTINEL_MASTER)
        .to_string();
    // Without --sentinels the bundled chart runs the sentinels, and its scripts read the name.
    let usage = if a_bundled(scenario, sentinels) {
        chatwoot::MasterNameUse::BundledChart
    } else {
        chatwoot::MasterNameUse::External
    };
    chatwoot::validate_master_name(&sentinel_master, usage).map_err(|why| {
        invalid(
            Field::SentinelMaster,
            &sentinel_master,
            why,
            "e.g. --sentinel-master mymaster",
        )
    })?;
    let sentinel_auth = match raw.get(Field::SentinelAuth) {
        None => SentinelAuth::Same,
        Some(v) => match SentinelAuth::parse(v.trim()) {
            Some(mode) => mode,
            None => {
                return Err(invalid(
                    Field::SentinelAuth,
                    v,
                    "not same, none or separate",
                    "same: sentinels use the Redis password; none: sentinels have no password; separate: REDIS_SENTINEL_PASSWORD",
                ))
            }
        },
    };
    if sentinel_auth != SentinelAuth::Same && (!scenario.rules().sentinel || sentinels.is_empty()) {
        return Err(invalid(
            Field::SentinelAuth,
            raw.get(Field::SentinelAuth).unwrap_or_default(),
            "only external sentinels have their own password setting (the chart's sentinels use the Redis password)",
            "remove it, or give --sentinels",
        ));
    }
    Ok((sentinel_master, sentinel_auth))
}

/// The Redis server version and memory limit (self-hosted servers).
fn resolve_server(
    raw: &RawAnswers,
    scenario: Scenario,
    sentinels: &[SentinelAddr],
) -> Result<(RedisVersion, MemSize)> {
    // The chart's bundled Bitnami image is Redis 6.2 (kept working, with a warning); every
    // other default is 7.x or newer.
    let default_version = if a_bundled(scenario, sentinels) {
        RedisVersion::Redis62
    } else {
        scenario.rules().default_version
    };
    let redis_version = match raw.get(Field::RedisVersion) {
        None => default_version,
        Some(v) => RedisVersion::parse(v).map_err(|why| {
            invalid(
                Field::RedisVersion,
                v,
                why,
                format!("use one of {}", RedisVersion::id_list()),
            )
        })?,
    };
    if a_bundled(scenario, sentinels) && redis_version != RedisVersion::Redis62 {
        return Err(invalid(
            Field::RedisVersion,
            redis_version.id(),
            "the Chatwoot chart's bundled Bitnami Redis (chart 16.12.2) and its sentinel image \
             run Redis 6.2; the generated values do not change the image",
            "remove --redis-version (6.2), or run Redis yourself and pass --sentinels",
        ));
    }
    let maxmemory = match raw.get(Field::Maxmemory) {
        None => MemSize::parse("1gb").map_err(|e| Error::Other(anyhow::anyhow!(e)))?,
        Some(m) => MemSize::parse(m)
            .map_err(|why| invalid(Field::Maxmemory, m, why, "e.g. --maxmemory 1gb"))?,
    };
    Ok((redis_version, maxmemory))
}

/// One count of the workload: its answer, Chatwoot's default, the largest value accepted
/// and where it goes.
struct WorkloadCount {
    field: Field,
    default: u32,
    max: u32,
    slot: fn(&mut Workload) -> &mut u32,
}

/// The processes and threads of the workload, in the order they are asked.
const WORKLOAD_COUNTS: [WorkloadCount; 4] = [
    WorkloadCount {
        field: Field::WebProcesses,
        default: 1,
        max: 10_000,
        slot: |w| &mut w.web_processes,
    },
    WorkloadCount {
        field: Field::WebThreads,
        default: 5,
        max: 1_000,
        slot: |w| &mut w.web_threads,
    },
    WorkloadCount {
        field: Field::SidekiqProcesses,
        default: 1,
        max: 10_000,
        slot: |w| &mut w.sidekiq_processes,
    },
    WorkloadCount {
        field: Field::SidekiqConcurrency,
        default: 10,
        max: 1_000,
        slot: |w| &mut w.sidekiq_concurrency,
    },
];

/// The largest `max-connections` accepted.
const MAX_CONNECTIONS_MAX: u32 = 1_000_000;

/// Why a count answer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountRefusal {
    /// Not a whole number of at least 1.
    NotPositive,
    /// Larger than this.
    Above(u32),
}

/// The workload answers (processes, threads) and the plan's connection cap, as the one
/// workload reader reads them: `render` and the wizard refuse what is refused here, doctor
/// reports it and keeps Chatwoot's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadReading {
    /// The answers given, Chatwoot's defaults for the rest (and for the refused ones).
    pub workload: Workload,
    /// The refused answers, in the order they are asked.
    pub refused: Vec<(Field, CountRefusal)>,
    /// `max-connections`, when given.
    pub max_connections: Option<std::result::Result<u32, CountRefusal>>,
}

fn read_count(
    raw: &RawAnswers,
    field: Field,
    max: u32,
) -> Option<std::result::Result<u32, CountRefusal>> {
    let v = raw.get(field)?;
    Some(match v.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        Ok(n) if n > max => Err(CountRefusal::Above(max)),
        _ => Err(CountRefusal::NotPositive),
    })
}

/// Reads the workload answers: the one reader behind `render`, the wizard and doctor.
pub fn read_workload(raw: &RawAnswers) -> WorkloadReading {
    let mut workload = Workload::default();
    let mut refused = Vec::new();
    for count in &WORKLOAD_COUNTS {
        match read_count(raw, count.field, count.max) {
            None => {}
            Some(Ok(n)) => *(count.slot)(&mut workload) = n,
            Some(Err(why)) => refused.push((count.field, why)),
        }
    }
    WorkloadReading {
        workload,
        refused,
        max_connections: read_count(raw, Field::MaxConnections, MAX_CONNECTIONS_MAX),
    }
}

/// What Chatwoot runs against Redis, and the plan's connection cap.
fn resolve_workload(raw: &RawAnswers) -> Result<(Workload, Option<u32>)> {
    let reading = read_workload(raw);
    if let Some(count) = WORKLOAD_COUNTS
        .iter()
        .find(|c| reading.refused.iter().any(|(f, _)| *f == c.field))
    {
        return Err(count_refused(raw, count.field, count.default, count.max));
    }
    let workload = Workload {
        sidekiq_alive_concurrency: parse_count(
            raw,
            Field::SidekiqAliveConcurrency,
            crate::sizing::DEFAULT_SIDEKIQ_ALIVE_CONCURRENCY,
            1_000,
        )?,
        sidekiq_alive: !parse_bool(raw, Field::DisableSidekiqAlive)?.unwrap_or(false),
        rack_attack: parse_bool(raw, Field::EnableRackAttack)?.unwrap_or(true),
        ..reading.workload
    };
    let max_connections = match reading.max_connections {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return Err(count_refused(
                raw,
                Field::MaxConnections,
                0,
                MAX_CONNECTIONS_MAX,
            ))
        }
    };
    Ok((workload, max_connections))
}

/// Refuses a password inside `--url` given on the command line (shell history, `ps`);
/// `env_url`: `CHATWOOT_REDIS_URL`, where the same URL is fine.
pub fn check_url_flag(given: &RawAnswers, env_url: Option<&str>) -> Result<()> {
    let Some(url) = given.get(Field::Url) else {
        return Ok(());
    };
    let has_password = url::Url::parse(url)
        .map(|u| u.password().is_some_and(|p| !p.is_empty()))
        .unwrap_or(false);
    if has_password && env_url != Some(url) {
        return Err(Error::invalid(
            "--url",
            redact_url(url),
            "the URL holds a password, and a flag value stays in shell history and `ps`",
            "pass the URL without the password and the password with REDIS_PASSWORD=… or \
             --password-file; or export CHATWOOT_REDIS_URL=… instead of the flag",
        ));
    }
    Ok(())
}

/// The rules that need every answer, and the password when there is one: the last stage of
/// resolution. `render` runs it before anything is rendered; [`resolve`] cannot, because the
/// wizard takes answers one at a time and a later answer may still settle an earlier one
/// (ElastiCache's `--tls` and `--auth`).
pub fn check_complete(a: &Answers, budget: &Budget, password: Option<&str>) -> Result<()> {
    check_connection_cap(a, budget)?;
    if let Some(p) = password {
        check_password(a, p)?;
    }
    a.scenario.check_answers(a)
}

/// The plan's connection cap against Chatwoot's budget, one rule for every scenario: a cap
/// below what the threads can reach is refused (a cap below what the pools may open is a
/// warning of `render`).
fn check_connection_cap(a: &Answers, budget: &Budget) -> Result<()> {
    let Some(cap) = a.max_connections else {
        return Ok(());
    };
    match budget.cap_message(&a.workload, cap) {
        Some((crate::sizing::CapVerdict::Over, msg, fix)) => Err(Error::invalid_answer(
            Field::MaxConnections,
            cap.to_string(),
            msg,
            fix,
        )),
        _ => Ok(()),
    }
}

/// Refuses a password that a consumer would corrupt, or that the service does not take.
pub fn check_password(a: &Answers, password: &str) -> Result<()> {
    chatwoot::validate_password_basics(password).map_err(|why| {
        Error::invalid_secret(
            Field::Password,
            why,
            "use --generate-password, or a password of letters and digits",
        )
    })?;
    a.scenario.check_password(a, password)?;
    if let Some(context) = a.scenario.rules().password_env_only {
        if let Err(why) = chatwoot::check_cable_yaml_password(password) {
            return Err(Error::invalid_secret(
                Field::Password,
                format!(
                    "Chatwoot's config/cable.yml pastes REDIS_PASSWORD unquoted into YAML and {why}: \
                     ActionCable (realtime updates) would authenticate with a different password or \
                     fail to boot, and {context}"
                ),
                "use --generate-password, or a password of letters and digits that starts with a letter",
            ));
        }
    }
    Ok(())
}

/// `--generate-password` for these answers: refused where the provider makes the credential.
pub fn check_generated_password(a: &Answers) -> Result<()> {
    a.scenario.check_generated_password(a)
}

/// Refuses a sentinel password that a consumer would corrupt.
pub fn check_sentinel_password(password: &str) -> Result<()> {
    chatwoot::validate_password_basics(password).map_err(|why| {
        Error::invalid_secret(Field::SentinelPassword, why, "use letters and digits")
    })?;
    // Chatwoot's Redis::Config gives the sentinels REDIS_SENTINEL_PASSWORD only when it is
    // `present?`: a blank one would silently become no password at all.
    if password.chars().all(char::is_whitespace) {
        return Err(Error::invalid_secret(
            Field::SentinelPassword,
            "it is blank (only white space), and Chatwoot sends a blank sentinel password as no \
             password at all",
            "use --sentinel-auth none when the sentinels have no password, or a password of \
             letters and digits",
        ));
    }
    // Quotes are carried: the .env writer double-quotes what single quotes cannot hold, or
    // refuses the value (envfile::encode_value); the Secret is YAML-quoted.
    Ok(())
}

/// single-server's directories on the host (absolute, no trailing slash).
fn resolve_dirs(raw: &RawAnswers, redis_version: RedisVersion) -> Result<(String, String)> {
    let is_valkey = redis_version.is_valkey();
    let config_dir = raw
        .get(Field::ConfigDir)
        .unwrap_or(if is_valkey {
            "/etc/valkey"
        } else {
            "/etc/redis"
        })
        .to_string();
    let data_dir = raw
        .get(Field::DataDir)
        .unwrap_or(if is_valkey {
            "/var/lib/valkey"
        } else {
            "/var/lib/redis"
        })
        .to_string();
    for (field, dir) in [(Field::ConfigDir, &config_dir), (Field::DataDir, &data_dir)] {
        if !dir.starts_with('/')
            || dir.contains(['"', '\'', '\\', ' '])
            || dir.chars().any(char::is_control)
        {
            return Err(invalid(
                field,
                dir,
                "an absolute path without spaces, tabs, quotes or line breaks is needed (redis.conf refers to it)",
                format!("e.g. --{field} {}", if field == Field::ConfigDir { "/etc/redis" } else { "/var/lib/redis" }),
            ));
        }
    }
    Ok((
        config_dir.trim_end_matches('/').to_string(),
        data_dir.trim_end_matches('/').to_string(),
    ))
}

/// Kubernetes with the chart's bundled Redis: no external sentinels were given.
fn a_bundled(scenario: Scenario, sentinels: &[SentinelAddr]) -> bool {
    scenario.rules().sentinel && sentinels.is_empty()
}

/// Endpoint rules known from the host name alone: the scenario's own, then a managed
/// scenario refuses an endpoint that is certainly another provider's.
fn check_host_for_scenario(scenario: Scenario, host: &str) -> Result<()> {
    scenario.check_host(host)?;
    if !scenario.is_managed() {
        return Ok(());
    }
    match crate::scenario::managed::scenario_of_host(host) {
        Some(owner) if owner != scenario => Err(invalid(
            Field::Host,
            host,
            format!("this is {} endpoint", owner.endpoint_noun()),
            format!("use --scenario {}", owner.id()),
        )),
        _ => Ok(()),
    }
}

/// The Sentinel scenario's endpoint answers (release, sentinels or bundled chart, master).
fn push_sentinel_answers(a: &Answers, push: &mut impl FnMut(Field, String)) {
    push(Field::Release, a.release.clone());
    push(Field::Namespace, a.namespace.clone());
    if !a.sentinels.is_empty() {
        push(
            Field::Sentinels,
            a.sentinels
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        push(Field::Host, a.host.clone());
        push(Field::Port, a.port.to_string());
        push(Field::SentinelAuth, a.sentinel_auth.id().into());
        if !a.redis_nodes.is_empty() {
            push(
                Field::RedisNodes,
                a.redis_nodes
                    .iter()
                    .map(|(h, p)| format!("{h}:{p}"))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    push(Field::SentinelMaster, a.sentinel_master.clone());
    if a.bundled_redis() {
        push(Field::RedisImage, a.chart.redis_image.to_string());
        push(Field::SentinelImage, a.chart.sentinel_image.to_string());
        push(Field::SentinelDownAfter, a.chart.down_after_ms.to_string());
    }
}

/// The answers file: every answer of the scenario, never a secret, in a stable order.
pub fn to_answers_yaml(a: &Answers) -> String {
    let mut lines: Vec<(Field, String)> = Vec::new();
    let mut push = |k: Field, v: String| lines.push((k, v));
    push(Field::Scenario, a.scenario.id().into());
    match a.scenario.rules().record {
        EndpointRecord::Sentinel => {
            push_sentinel_answers(a, &mut push);
        }
        EndpointRecord::Rotating => {}
        EndpointRecord::Nothing => {
            if a.db != 0 {
                push(Field::Db, a.db.to_string());
            }
        }
        EndpointRecord::HostPort => {
            push(Field::Host, a.host.clone());
            push(Field::Port, a.port.to_string());
            push(Field::Tls, a.tls.to_string());
            if a.tls {
                push(Field::VerifyMode, a.verify_mode.id().into());
            }
            if let Some(path) = &a.ssl_cert_file {
                push(Field::SslCertFile, path.clone());
            }
            push(Field::Db, a.db.to_string());
        }
    }
    if a.scenario.rules().record == EndpointRecord::HostPort {
        push(Field::Auth, a.auth.id().into());
    }
    if a.outputs.contains(&Output::Helm) && a.scenario.rules().record != EndpointRecord::Sentinel {
        // Secret and release names in values.redis.yaml.
        push(Field::Release, a.release.clone());
        push(Field::Namespace, a.namespace.clone());
    }
    if let Some(u) = &a.username {
        push(Field::Username, u.clone());
    }
    if a.scenario.rules().records_version {
        push(Field::RedisVersion, a.redis_version.id().into());
    }
    if !a.scenario.is_managed() {
        push(Field::Maxmemory, a.maxmemory.text.clone());
    }
    if a.scenario.rules().records_dirs {
        push(Field::ConfigDir, a.config_dir.clone());
        push(Field::DataDir, a.data_dir.clone());
    }
    push(Field::WebProcesses, a.workload.web_processes.to_string());
    push(Field::WebThreads, a.workload.web_threads.to_string());
    push(
        Field::SidekiqProcesses,
        a.workload.sidekiq_processes.to_string(),
    );
    push(
        Field::SidekiqConcurrency,
        a.workload.sidekiq_concurrency.to_string(),
    );
    // Recorded when they differ from Chatwoot's defaults, like the lines they write.
    if a.workload.sidekiq_alive_concurrency != crate::sizing::DEFAULT_SIDEKIQ_ALIVE_CONCURRENCY {
        push(
            Field::SidekiqAliveConcurrency,
            a.workload.sidekiq_alive_concurrency.to_string(),
        );
    }
    if !a.workload.sidekiq_alive {
        push(Field::DisableSidekiqAlive, "true".into());
    }
    if !a.workload.rack_attack {
        push(Field::EnableRackAttack, "false".into());
    }
    if let Some(m) = a.max_connections {
        push(Field::MaxConnections, m.to_string());
    }
    if let Some(e) = &a.emit_spec {
        push(Field::Emit, e.clone());
    }
    if let Some(f) = &a.env_file {
        push(Field::EnvFile, f.clone());
    }
    let mut out = String::new();
    // Numbers and booleans are written as such only for the answers that are numbers or
    // booleans; every other answer (a host named `true`, a release `0777`) stays a string for
    // any YAML reader.
    for (k, v) in lines {
        let value = match k.spec().kind {
            Kind::Number | Kind::Bool => yaml_scalar(&v),
            Kind::Text | Kind::List => yaml_string(&v),
        };
        out.push_str(&format!("{k}: {value}\n"));
    }
    out
}

/// A YAML scalar that reads back as exactly this string: plain when unambiguous, else
/// double-quoted (JSON string syntax is valid YAML). Whole numbers without a leading zero and
/// `true`/`false` stay plain: they are the numeric and boolean answers, read back as the same text.
pub fn yaml_scalar(v: &str) -> String {
    let whole_number =
        !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) && (v == "0" || !v.starts_with('0'));
    if whole_number || v == "true" || v == "false" {
        v.to_string()
    } else {
        yaml_string(v)
    }
}

/// A YAML scalar that every YAML reader (1.1 or 1.2) loads as this exact string: plain when it
/// starts with a letter (or `/`), holds only inert characters and is no boolean or null word,
/// else double-quoted. Numbers-looking text (`0777`, `1e5`) is quoted.
pub fn yaml_string(v: &str) -> String {
    let plain_ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+,".contains(c))
        && v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && !["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
            .contains(&v.to_ascii_lowercase().as_str());
    if plain_ok {
        v.to_string()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {

    /// A password in `--url` is refused on the command line, not from CHATWOOT_REDIS_URL.
    #[test]
    fn a_password_in_the_url_flag_is_refused_unless_it_came_from_the_environment() {
        let url = "rediss://h:S3cretPassw0rd@cache.example.net:6380";
        let mut given = RawAnswers::new();
        assert!(check_url_flag(&given, None).is_ok());
        given.set(Field::Url, url);
        let e = check_url_flag(&given, None)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("shell history") && !e.contains("S3cret"), "{e}");
        assert!(check_url_flag(&given, Some(url)).is_ok());
        assert!(check_url_flag(&given, Some("rediss://other")).is_err());
        given.set(Field::Url, "rediss://cache.example.net:6380");
        assert!(check_url_flag(&given, None).is_ok());
    }

    /// The one workload reader: Chatwoot's defaults where nothing is given, each refused
    /// answer named in the order asked, the refusal `render` prints for the first one.
    #[test]
    fn one_workload_reader_for_render_and_doctor() {
        let empty = read_workload(&RawAnswers::new());
        assert_eq!(empty.workload, Workload::default());
        assert!(empty.refused.is_empty());
        assert_eq!(empty.max_connections, None);
        for count in &WORKLOAD_COUNTS {
            assert_eq!(
                *(count.slot)(&mut Workload::default()),
                count.default,
                "{}",
                count.field
            );
        }

        let mut raw = RawAnswers::new();
        raw.set(Field::Scenario, "single-server");
        raw.set(Field::WebThreads, "0");
        raw.set(Field::SidekiqProcesses, "10001");
        raw.set(Field::SidekiqConcurrency, "25");
        raw.set(Field::MaxConnections, "x");
        let r = read_workload(&raw);
        assert_eq!(
            r.refused,
            vec![
                (Field::WebThreads, CountRefusal::NotPositive),
                (Field::SidekiqProcesses, CountRefusal::Above(10_000)),
            ]
        );
        assert_eq!(
            r.workload.web_threads, 5,
            "a refused answer keeps the default"
        );
        assert_eq!(r.workload.sidekiq_concurrency, 25);
        assert_eq!(r.max_connections, Some(Err(CountRefusal::NotPositive)));
        let e = resolve(&raw).expect_err("refused").to_string();
        assert!(
            e.contains("web-threads") && e.contains("not a whole number from 1 to 1000"),
            "{e}"
        );
        raw.set(Field::WebThreads, "8");
        raw.set(Field::SidekiqProcesses, "3");
        let e = resolve(&raw).expect_err("refused").to_string();
        assert!(
            e.contains("max-connections") && e.contains("1000000"),
            "{e}"
        );
        raw.set(Field::MaxConnections, "40");
        let a = resolve(&raw).expect("resolves");
        assert_eq!(
            a.workload,
            Workload {
                web_threads: 8,
                sidekiq_processes: 3,
                sidekiq_concurrency: 25,
                ..Workload::default()
            }
        );
        assert_eq!(a.max_connections, Some(40));
    }

    #[test]
    fn memory_sizes_are_bounded_on_both_sides() {
        assert_eq!(MemSize::parse("64gb").unwrap().bytes, 64 << 30);
        assert_eq!(MemSize::parse("65536gb").unwrap().bytes, 64 << 40);
        assert!(MemSize::parse("65537gb").unwrap_err().contains("64 TiB"));
        assert!(MemSize::parse("18446744073709551615gb")
            .unwrap_err()
            .contains("too large"));
        assert!(MemSize::parse("31mb").is_err());
    }

    #[test]
    fn answers_file_shape_limits() {
        let ok = "scenario: kubernetes-sentinel\nsentinels: [a:1, b:2]\nhost: \"[::1]\"\n";
        assert!(check_answers_shape(ok, "f").is_ok());
        let eight = format!("x: {}{}\n", "[".repeat(8), "]".repeat(8));
        assert!(check_answers_shape(&eight, "f").is_ok());
        let nine = format!("x: {}{}\n", "[".repeat(9), "]".repeat(9));
        let err = check_answers_shape(&nine, "f").unwrap_err().to_string();
        assert!(err.contains("nested deeper than 8"), "{err}");
        // Closing brackets do not let depth go below zero and hide a later deep nesting.
        let tricky = format!("x: {}{}\n", "]".repeat(20), "{".repeat(9));
        assert!(check_answers_shape(&tricky, "f").is_err());
        let big = "#".repeat(MAX_ANSWERS_FILE as usize + 1);
        let err = check_answers_shape(&big, "f").unwrap_err().to_string();
        assert!(err.contains("larger than 65536 bytes"), "{err}");
        let at_cap = "#".repeat(MAX_ANSWERS_FILE as usize);
        assert!(check_answers_shape(&at_cap, "f").is_ok());
    }
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawAnswers {
        let mut r = RawAnswers::new();
        for (k, v) in pairs {
            r.set(Field::parse(k).expect("a field"), *v);
        }
        r
    }

    #[test]
    fn modes_round_trip() {
        for m in VerifyMode::ALL {
            assert_eq!(VerifyMode::parse(m.id()), Some(m));
        }
        for a in Auth::ALL {
            assert_eq!(Auth::parse(a.id()), Some(a));
        }
        for m in SentinelAuth::ALL {
            assert_eq!(SentinelAuth::parse(m.id()), Some(m));
        }
        assert_eq!(Auth::parse("Password"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(MemSize::parse("1gb").unwrap().bytes, 1 << 30);
        assert!(MemSize::parse("0").is_err());
        assert!(MemSize::parse("12xb").is_err());
    }

    #[test]
    fn images_as_the_chart_takes_them() {
        let i = Image::parse("bitnamilegacy/redis:6.2.7-debian-11-r3").unwrap();
        assert_eq!(
            (i.registry, i.repository.as_str(), i.tag.as_str()),
            (None, "bitnamilegacy/redis", "6.2.7-debian-11-r3")
        );
        let i = Image::parse("registry.example.com:5000/ops/redis:7.2").unwrap();
        assert_eq!(i.registry.as_deref(), Some("registry.example.com:5000"));
        assert_eq!(i.to_string(), "registry.example.com:5000/ops/redis:7.2");
        for bad in [
            "redis",
            "Redis:7",
            "redis:",
            "redis@sha256:abc",
            "redis:-x",
            "a//b:1",
        ] {
            assert!(Image::parse(bad).is_err(), "{bad}");
        }
        let a = resolve(&raw(&[("scenario", "kubernetes-sentinel")])).unwrap();
        assert_eq!(a.chart, BundledChart::default());
        assert_eq!(a.chart.down_after_ms, 60_000);
        for (v, ok) in [
            ("999", false),
            ("1000", true),
            ("600000", true),
            ("600001", false),
        ] {
            let r = resolve(&raw(&[
                ("scenario", "kubernetes-sentinel"),
                ("sentinel-down-after", v),
            ]));
            assert_eq!(r.is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn scenario_defaults() {
        let a = resolve(&raw(&[("scenario", "docker-compose")])).unwrap();
        assert_eq!((a.host.as_str(), a.port, a.tls), ("redis", 6379, false));
        let a = resolve(&raw(&[("scenario", "kubernetes-sentinel")])).unwrap();
        assert_eq!(a.host, "chatwoot-chatwoot-redis-master-proxy");
        assert!(a.outputs.contains(&Output::MasterProxy));
        let a = resolve(&raw(&[
            ("scenario", "kubernetes-sentinel"),
            ("sentinels", "s1:26379"),
            ("host", "redis-master"),
        ]))
        .unwrap();
        assert!(!a.outputs.contains(&Output::MasterProxy));
        let a = resolve(&raw(&[
            ("scenario", "memorystore"),
            ("host", "10.0.0.3"),
            ("tls", "true"),
        ]))
        .unwrap();
        // Memorystore's private CA is trusted through SSL_CERT_FILE: verification by default.
        assert_eq!((a.port, a.verify_mode), (6378, VerifyMode::Peer));
        assert_eq!(
            a.ssl_cert_file.as_deref(),
            Some("/etc/chatwoot/memorystore-ca-bundle.pem")
        );
    }

    #[test]
    fn bad_inputs_name_the_field() {
        for (pairs, field) in [
            (vec![("scenario", "nope")], "--scenario"),
            (
                vec![("scenario", "single-server"), ("port", "70000")],
                "--port",
            ),
            (vec![("scenario", "single-server"), ("db", "16")], "--db"),
            (
                vec![("scenario", "single-server"), ("host", "a b")],
                "--host",
            ),
            (
                vec![
                    ("scenario", "elasticache"),
                    ("host", "clustercfg.x.abc.use1.cache.amazonaws.com"),
                ],
                "--host",
            ),
            (
                vec![("scenario", "azure"), ("host", "x.redis.cache.windows.net")],
                "--host",
            ),
            (
                vec![
                    ("scenario", "kubernetes-sentinel"),
                    ("sentinels", "a:1,,b:2"),
                ],
                "--sentinels",
            ),
            (
                vec![("scenario", "kubernetes-sentinel"), ("sentinel-master", "")],
                "--sentinel-master",
            ),
            (
                vec![
                    ("scenario", "heroku"),
                    ("host", "h"),
                    ("port", "1"),
                    ("verify-mode", "peer"),
                ],
                "--verify-mode",
            ),
            (
                vec![
                    ("scenario", "elasticache"),
                    ("host", "h"),
                    ("sentinels", "a:1"),
                ],
                "--sentinels",
            ),
            (
                vec![("scenario", "single-server"), ("redis-version", "6.0")],
                "--redis-version",
            ),
        ] {
            match resolve(&raw(&pairs)) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{pairs:?}"),
                other => panic!("{pairs:?}: expected invalid {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn url_is_split_into_answers() {
        let a = resolve(&raw(&[
            ("scenario", "heroku"),
            (
                "url",
                "rediss://:p%2Bw@ec2-1-2-3-4.compute-1.amazonaws.com:12345",
            ),
        ]))
        .unwrap();
        assert_eq!(a.host, "ec2-1-2-3-4.compute-1.amazonaws.com");
        assert_eq!(a.port, 12345);
        assert!(a.tls);
        assert_eq!(a.url_password.as_deref(), Some("p+w"));
        assert!(!redact_url("rediss://:secret@h:1").contains("secret"));
        // A redis:// URL for a TLS-only provider is the URL's fault, not a --tls flag's.
        match resolve(&raw(&[("scenario", "heroku"), ("url", "redis://h:1")])) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "--url"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn emit_adds_and_restricts() {
        let a = resolve(&raw(&[
            ("scenario", "elasticache"),
            ("host", "h"),
            ("emit", "+helm"),
        ]))
        .unwrap();
        assert!(a.outputs.contains(&Output::Helm) && a.outputs.contains(&Output::Env));
        let a = resolve(&raw(&[
            ("scenario", "elasticache"),
            ("host", "h"),
            ("emit", "helm"),
        ]))
        .unwrap();
        assert_eq!(a.outputs.len(), 1);
        assert!(resolve(&raw(&[
            ("scenario", "elasticache"),
            ("host", "h"),
            ("emit", "redis-conf")
        ]))
        .is_err());
    }

    #[test]
    fn answers_file_round_trips() {
        let a = resolve(&raw(&[
            ("scenario", "elasticache"),
            ("host", "master.x.y.use1.cache.amazonaws.com"),
            ("db", "3"),
        ]))
        .unwrap();
        let text = to_answers_yaml(&a);
        let back = resolve(&RawAnswers::from_yaml(&text, "test").unwrap()).unwrap();
        assert_eq!(a, back);
        assert!(RawAnswers::from_yaml("password: x\n", "f").is_err());
        // A host that looks like a boolean stays a string for every YAML reader.
        let a = resolve(&raw(&[("scenario", "memorystore"), ("host", "true")])).unwrap();
        assert!(to_answers_yaml(&a).contains("host: \"true\"\n"));
        assert!(to_answers_yaml(&a).contains("tls: false\n"));
        assert!(RawAnswers::from_yaml("colour: x\n", "f").is_err());
    }

    #[test]
    fn auth_none_only_where_the_scenario_allows_it_and_never_with_a_user() {
        let single = resolve(&raw(&[("scenario", "single-server"), ("auth", "none")])).unwrap();
        assert_eq!(single.auth, Auth::None);
        let err = resolve(&raw(&[("scenario", "docker-compose"), ("auth", "none")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a password"), "{err}");
        let err = resolve(&raw(&[
            ("scenario", "single-server"),
            ("auth", "none"),
            ("username", "chatwoot"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("an ACL user needs a password"), "{err}");
        // ElastiCache without AUTH (no in-transit encryption) is a real setup.
        let ec = resolve(&raw(&[
            ("scenario", "elasticache"),
            ("host", "master.cw.abc123.use1.cache.amazonaws.com"),
            ("auth", "none"),
        ]));
        assert_eq!(ec.unwrap().auth, Auth::None);
        let with_user = resolve(&raw(&[
            ("scenario", "single-server"),
            ("username", "chatwoot"),
        ]));
        assert_eq!(with_user.unwrap().username.as_deref(), Some("chatwoot"));
    }
}
