//! Renders a scenario's files from validated answers and secrets, entirely in memory.
//!
//! Templates live in `templates/` and are embedded in the binary. They only lay text out:
//! every value is computed and encoded here (or by a quoting filter), so a template cannot
//! leak an unencoded secret. Undefined variables are errors (strict mode).

#![warn(clippy::too_many_lines)]

use minijinja::{context, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::answers::{Answers, Auth, SentinelAuth, VerifyMode};
use crate::chatwoot::{self, percent_encode_userinfo, url_host};
use crate::error::{Error, Result};
use crate::header;
use crate::output::{EnvUpdate, FileKind, RenderSet, RenderedFile};
use crate::scenario::Output;
use crate::secrets::{self, Placement, Secrets};
use crate::sizing::{self, Budget};

/// Said when a redis.conf is first generated for a directory (see `commands::prepare_raw`).
pub const APPENDONLY_WARNING: &str = "redis.conf turns on appendonly: a Redis that already \
    holds data without an append-only file would start EMPTY with it (queued jobs lost). On \
    such a server first run `redis-cli CONFIG SET appendonly yes`, wait until `INFO \
    persistence` shows aof_rewrite_in_progress:0, then switch to the new config.";
/// Key of the password in the generated Kubernetes Secret.
pub const SECRET_PASSWORD_KEY: &str = "redis-password";
/// The master proxy's image: HAProxy's official image, pinned.
pub const HAPROXY_IMAGE: &str = "haproxy:3.0.5-alpine";
/// The master proxy's readiness port (200 while a master is known).
const PROXY_HEALTH_PORT: u16 = 8404;
/// The cluster domain of the nodes' names (Bitnami's `clusterDomain` default): HAProxy's
/// resolvers use no search domains, so the names are fully qualified.
const CLUSTER_DOMAIN: &str = "cluster.local";

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "env.j2",
    "redis.conf.j2",
    "redis-secrets.conf.j2",
    "docker-compose.redis.yaml.j2",
    "values.redis.yaml.j2",
    "redis-secret.yaml.j2",
    "redis-master-proxy.yaml.j2",
    "haproxy.cfg.j2",
    "redis-settings.elasticache.sh.j2",
    "redis-settings.azure.sh.j2",
    "redis-settings.memorystore.sh.j2",
    "redis-settings.heroku.sh.j2",
    "redis-settings.digitalocean.sh.j2",
    "chatwoot-redis.yaml.j2",
    "systemd-dropin.conf.j2",
    "sysctl.conf.j2",
);

/// A YAML double-quoted scalar (JSON string syntax, which YAML reads the same way).
fn yaml_quote(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A redis.conf argument: double-quoted with the escapes redis' config parser understands.
pub fn conf_quote(v: &str) -> String {
    let mut out = String::from("\"");
    for b in v.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

/// A value for an env file read by both Ruby dotenv and Docker Compose v2 (see
/// [`crate::envfile::encode_value`]); `key` names the variable in a refusal.
pub fn env_quote(key: &str, v: &str) -> Result<String> {
    crate::envfile::encode_value(v).map_err(|why| {
        let fix = "Ruby dotenv and Docker Compose must read the same bytes; change the value \
                   (letters, digits and `_./:@%,+=-` are safe everywhere)";
        let reason = format!("{key} in .env: it {why}");
        match key {
            "REDIS_PASSWORD" | "REDIS_URL" => Error::invalid_secret(
                crate::answers::Field::Password,
                reason,
                format!("{fix}, or use --generate-password"),
            ),
            "REDIS_SENTINEL_PASSWORD" => {
                Error::invalid_secret(crate::answers::Field::SentinelPassword, reason, fix)
            }
            "SSL_CERT_FILE" => {
                Error::invalid_answer(crate::answers::Field::SslCertFile, v, reason, fix)
            }
            _ => Error::Other(anyhow::anyhow!(
                "internal error: {reason}; nothing was written"
            )),
        }
    })
}

fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("sh", |v: String| crate::shell::quote_always(&v));
    env.add_filter("yq", |v: String| yaml_quote(&v));
    env.add_filter("ys", |v: String| crate::answers::yaml_string(&v));
    env.add_filter("conf", |v: String| conf_quote(&v));
    // Templates are compiled when first used: a render compiles only its outputs' templates.
    env.set_loader(|name| {
        Ok(TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, source)| source.to_string()))
    });
    Ok(env)
}

fn render_template(env: &Environment<'_>, name: &str, ctx: minijinja::Value) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Other(anyhow::anyhow!("rendering {name}: {e:#}")))
}

/// Everything a template may use (no secret in it; secrets go in separately).
#[derive(Debug, Serialize)]
struct View {
    scenario: &'static str,
    scenario_description: &'static str,
    host: String,
    port: u16,
    tls: bool,
    verify_none: bool,
    /// SSL_CERT_FILE in .env (the provider's CA bundle), when the certificate is verified.
    ssl_cert_file: Option<String>,
    db: u8,
    auth: bool,
    username: Option<String>,
    version: &'static str,
    version_label: String,
    valkey: bool,
    redis7: bool,
    maxmemory: String,
    maxclients: u32,
    /// `LimitNOFILE` / `ulimits.nofile`: maxclients + 32, never below Debian's 65535.
    limit_nofile: u32,
    /// redis.conf's `tcp-backlog` and the `net.core.somaxconn` that holds it.
    tcp_backlog: u32,
    somaxconn: u32,
    /// Container memory limit (Compose `mem_limit`): maxmemory + fork headroom + overhead.
    compose_mem_limit: String,
    /// Redis pod resources (Kubernetes quantities) for `redis.replica.resources` /
    /// `redis.master.resources`: requests = maxmemory + overhead, limits = + fork headroom.
    pod_memory_request: String,
    pod_memory_limit: String,
    compose: bool,
    pidfile: String,
    budget_lines: Vec<String>,
    alfred: u32,
    velma: u32,
    max_connections: Option<u32>,
    release: String,
    namespace: String,
    fullname: String,
    bundled: bool,
    sentinel_master: String,
    sentinels: Vec<String>,
    sentinel_password_none: bool,
    config_dir: String,
    data_dir: String,
    image: String,
    server_bin: &'static str,
    cli_bin: &'static str,
    conf_path: &'static str,
    secret_name: String,
    env_secret_name: String,
    secret_key: &'static str,
    disable_client_command: bool,
    /// single-server: a non-loopback address Chatwoot connects to, added to `bind`.
    extra_bind: Option<String>,
    /// Helm `env` entries (string values, already decided).
    helm_env: Vec<(String, String)>,
    /// `redis-master-proxy.yaml` is part of the set: REDIS_URL goes through it.
    master_proxy: bool,
    /// The bundled Redis's images (`registry` empty: the chart's docker.io).
    redis_image: ImageView,
    sentinel_image: ImageView,
    /// Both images are the defaults the chart is known to work with.
    default_images: bool,
    down_after_ms: u32,
    /// What the chart deploys: one Puma process per web pod, one Sidekiq per worker pod.
    web_replicas: u32,
    worker_replicas: u32,
    web_threads: u32,
    sidekiq_concurrency: u32,
    /// Provider script values, from the scenario ([`crate::scenario::ScenarioSpec::provider_values`]).
    provider: std::collections::BTreeMap<&'static str, String>,
    /// docker-compose: generated files' paths from the project directory.
    compose_conf: String,
    compose_override: String,
    compose_env_file: String,
    /// The outputs sit in a subdirectory of the project: Chatwoot's services read their
    /// Redis keys from its `.env` too.
    compose_env_for_chatwoot: bool,
}

/// The `REDIS_URL` Chatwoot gets. `password` is `Some` only for URL placement.
pub fn redis_url(a: &Answers, password: Option<&str>) -> String {
    if a.sentinel_mode() {
        // ActionCable ignores Sentinel and connects to REDIS_URL: it must reach the master.
        // Chatwoot's Sentinel config itself uses redis://<master-name>.
        return format!("redis://{}:{}", url_host(&a.host), a.port);
    }
    let scheme = if a.tls { "rediss" } else { "redis" };
    let userinfo = match (a.username.as_deref(), password) {
        // The user as written: redis-client does not decode it, and
        // `chatwoot::validate_username` admits only what userinfo carries unchanged.
        (Some(u), Some(p)) => format!("{u}:{}@", percent_encode_userinfo(p)),
        (None, Some(p)) => format!(":{}@", percent_encode_userinfo(p)),
        _ => String::new(),
    };
    let db = if a.db != 0 {
        format!("/{}", a.db)
    } else {
        String::new()
    };
    format!("{scheme}://{userinfo}{}:{}{db}", url_host(&a.host), a.port)
}

/// Chatwoot's Redis variables for this scenario, in the order they are written, unquoted.
fn chatwoot_env(
    a: &Answers,
    budget: &Budget,
    secrets: &Secrets,
    placement: Option<Placement>,
) -> Vec<(String, String)> {
    let password = secrets.password.as_ref().map(|(p, _)| p.as_str());
    let url_password = match placement {
        Some(Placement::Url) => password,
        _ => None,
    };
    let mut set: Vec<(String, String)> = vec![("REDIS_URL".into(), redis_url(a, url_password))];
    if let (Some(Placement::EnvVar), Some(p)) = (placement, password) {
        set.push(("REDIS_PASSWORD".into(), p.to_string()));
    }
    if a.sentinel_mode() {
        let list = sentinel_list(a).join(",");
        set.push(("REDIS_SENTINELS".into(), list));
        set.push((
            "REDIS_SENTINEL_MASTER_NAME".into(),
            a.sentinel_master.clone(),
        ));
        if let Some(sp) = &secrets.sentinel_password {
            set.push(("REDIS_SENTINEL_PASSWORD".into(), sp.clone()));
        }
    }
    if a.tls && a.verify_mode == VerifyMode::None {
        set.push(("REDIS_OPENSSL_VERIFY_MODE".into(), "none".into()));
    }
    if let Some(path) = &a.ssl_cert_file {
        // Ruby's OpenSSL trusts this bundle (system CAs + the provider's CA).
        set.push(("SSL_CERT_FILE".into(), path.clone()));
    }
    if a.scenario.rules().disable_client_command {
        set.push(("REDIS_DISABLE_CLIENT_COMMAND".into(), "true".into()));
    }
    set.push(("REDIS_ALFRED_SIZE".into(), budget.alfred.to_string()));
    set.push(("REDIS_VELMA_SIZE".into(), budget.velma.to_string()));
    set.extend(workload_env(&a.workload));
    set
}

/// The workload variables that change Chatwoot's connections, only where they differ from
/// Chatwoot's defaults (an unset variable keeps the default).
fn workload_env(w: &sizing::Workload) -> Vec<(String, String)> {
    let mut set = Vec::new();
    if w.sidekiq_alive_concurrency != sizing::DEFAULT_SIDEKIQ_ALIVE_CONCURRENCY {
        set.push((
            "SIDEKIQ_ALIVE_CONCURRENCY".into(),
            w.sidekiq_alive_concurrency.to_string(),
        ));
    }
    if !w.sidekiq_alive {
        set.push(("DISABLE_SIDEKIQ_ALIVE".into(), "true".into()));
    }
    if !w.rack_attack {
        set.push(("ENABLE_RACK_ATTACK".into(), "false".into()));
    }
    set
}

/// Variables of [`workload_env`]: kept in the chart's `env` even with the bundled Redis.
const WORKLOAD_ENV_KEYS: [&str; 3] = [
    "SIDEKIQ_ALIVE_CONCURRENCY",
    "DISABLE_SIDEKIQ_ALIVE",
    "ENABLE_RACK_ATTACK",
];

/// The variables that hold secrets: in the external-Redis Kubernetes Secret, not the values.
const SECRET_ENV_KEYS: [&str; 3] = ["REDIS_URL", "REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD"];

/// Chatwoot's Redis variables quoted for an env file, plus the Redis keys to remove.
pub fn env_update(
    a: &Answers,
    budget: &Budget,
    secrets: &Secrets,
    placement: Option<Placement>,
) -> Result<EnvUpdate> {
    let set: Vec<(String, String)> = chatwoot_env(a, budget, secrets, placement)
        .into_iter()
        .map(|(k, v)| env_quote(&k, &v).map(|q| (k, q)))
        .collect::<Result<_>>()?;
    let remove = chatwoot::REDIS_ENV_KEYS
        .iter()
        .filter(|k| !set.iter().any(|(s, _)| s == *k))
        .map(|k| k.to_string())
        .collect();
    Ok(EnvUpdate { set, remove })
}

/// `REDIS_SENTINELS` entries: the given external sentinels, or Bitnami's pods.
fn sentinel_list(a: &Answers) -> Vec<String> {
    if a.sentinels.is_empty() {
        let f = a.bitnami_fullname();
        (0..3)
            .map(|i| format!("{f}-node-{i}.{f}-headless:26379"))
            .collect()
    } else {
        a.sentinels.iter().map(|s| s.to_string()).collect()
    }
}

/// Renders every output of the answers. With `secrets.password == None` for a scenario that
/// needs one, secret files are left out (used by `--check`, which never compares them).
pub fn render(a: &Answers, secrets: &Secrets) -> Result<RenderSet> {
    let budget = sizing::budget(&a.workload);
    let password = secrets.password.as_ref().map(|(p, _)| p.as_str());
    crate::answers::check_complete(a, &budget, password)?;
    let mut warnings = a.scenario.budget_warnings(a, &budget);
    warnings.extend(connection_cap_warnings(a, &budget));
    let placement = password.map(|p| secrets::placement(a, p));
    warnings.extend(password_warnings(a, secrets, placement));
    warnings.extend(a.scenario.endpoint_warnings(a));
    warnings.extend(deployment_warnings(a));

    let chatwoot_vars = chatwoot_env(a, &budget, secrets, placement);
    let view = build_view(a, &budget, &chatwoot_vars);
    let out = Renderer {
        env: environment()?,
        answers: a,
        view: minijinja::Value::from_serialize(&view),
        password: secrets.password.as_ref().map(|(p, _)| p.as_str()),
        have_secret: secrets.password.is_some() || a.auth == Auth::None,
    };
    let mut files = Vec::new();
    for output in &a.outputs {
        match output {
            Output::Env => files.extend(out.env_file(env_update(a, &budget, secrets, placement)?)?),
            Output::RedisConf => files.extend(out.redis_conf()?),
            Output::Compose => files.push(out.compose()?),
            Output::Helm => files.extend(out.helm(&chatwoot_vars)?),
            Output::MasterProxy => files.push(out.master_proxy(&budget)?),
            Output::Provider => files.push(out.provider_script()?),
            Output::HostLimits => files.extend(out.host_limits()?),
        }
    }
    files.push(out.answers_file()?);
    files.sort_by_key(|f| f.kind);

    let set = RenderSet {
        files,
        warnings,
        secrets: secret_values(secrets),
        env_path: a.env_path.clone(),
    };
    guard_secrets(a, secrets, &set)?;
    Ok(set)
}

/// The plan's connection cap against Chatwoot's budget, one rule for every scenario (and the
/// wizard, which renders through here): a cap between what the threads can reach and what
/// the pools may open is a warning (below, [`crate::answers::check_complete`] refuses it).
fn connection_cap_warnings(a: &Answers, budget: &Budget) -> Vec<String> {
    let Some(cap) = a.max_connections else {
        return Vec::new();
    };
    match budget.cap_message(&a.workload, cap) {
        Some((verdict, msg, fix)) if verdict != sizing::CapVerdict::Over => {
            vec![format!("{msg}; {fix}")]
        }
        _ => Vec::new(),
    }
}

/// Warnings about the chosen password and where it goes.
fn password_warnings(a: &Answers, secrets: &Secrets, placement: Option<Placement>) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some((p, _)) = &secrets.password {
        if p.chars().count() < 16 && !a.scenario.is_managed() {
            warnings.push(
                "the password is shorter than 16 characters; Redis answers AUTH attempts fast \
                 enough to guess short passwords: prefer --generate-password"
                    .into(),
            );
        }
    }
    if placement == Some(Placement::Url)
        && !a.scenario.rules().password_in_url
        && a.username.is_none()
    {
        warnings.push(
            "the password is kept in REDIS_URL (percent-encoded) and REDIS_PASSWORD is left \
             unset: config/cable.yml would change it as REDIS_PASSWORD (YAML load)"
                .into(),
        );
    }
    warnings
}

/// Warnings that follow from the outputs and the deployment mode.
fn deployment_warnings(a: &Answers) -> Vec<String> {
    let mut warnings = Vec::new();
    if a.outputs.contains(&Output::RedisConf) {
        warnings.push(APPENDONLY_WARNING.into());
    }
    warnings.extend(a.redis_version.warnings());
    if a.sentinel_mode() && !a.outputs.contains(&Output::MasterProxy) {
        warnings.push(
            "ActionCable ignores Sentinel and always connects to REDIS_URL: after a failover it \
             must still reach the current master, or realtime updates stop. Chatwoot's Sentinel \
             support needs Chatwoot >= 4.11.2. redis-master-proxy.yaml (--emit +master-proxy) \
             gives it such an address."
                .into(),
        );
    }

    warnings
}

/// redis.conf's `tcp-backlog`.
const TCP_BACKLOG: u32 = 511;
/// `net.core.somaxconn` of kernels since 5.4: the sysctl file never lowers it.
const SOMAXCONN_DEFAULT: u32 = 4096;

/// Everything the templates may use (never a secret). Flat: one line per view field.
#[allow(clippy::too_many_lines)]
fn build_view(a: &Answers, budget: &Budget, chatwoot_vars: &[(String, String)]) -> View {
    let v = a.redis_version;
    let provider = a.scenario.provider_values(&a.host).into_iter().collect();
    // Helm `env`: the non-secret variables; the bundled chart computes everything but the
    // pool sizes itself (its Sentinel variables in particular).
    let helm_env: Vec<(String, String)> = chatwoot_vars
        .iter()
        .filter(|(k, _)| !SECRET_ENV_KEYS.contains(&k.as_str()))
        .filter(|(k, _)| {
            !a.bundled_redis()
                || matches!(k.as_str(), "REDIS_ALFRED_SIZE" | "REDIS_VELMA_SIZE")
                || WORKLOAD_ENV_KEYS.contains(&k.as_str())
        })
        .cloned()
        .collect();

    View {
        scenario: a.scenario.id(),
        scenario_description: a.scenario.description(),
        host: a.host.clone(),
        port: a.port,
        tls: a.tls,
        verify_none: a.tls && a.verify_mode == VerifyMode::None,
        ssl_cert_file: a.ssl_cert_file.clone(),
        db: a.db,
        auth: a.auth == Auth::Password,
        username: a.username.clone(),
        version: v.id(),
        version_label: v.label(),
        valkey: v.is_valkey(),
        redis7: v.has_redis7_directives(),
        maxmemory: a.maxmemory.text.clone(),
        maxclients: budget.maxclients,
        limit_nofile: sizing::nofile_for(budget.maxclients),
        tcp_backlog: TCP_BACKLOG,
        somaxconn: TCP_BACKLOG.max(SOMAXCONN_DEFAULT),
        compose_mem_limit: format!(
            "{}m",
            sizing::memory_limit_for(a.maxmemory.bytes).div_ceil(1024 * 1024)
        ),
        pod_memory_request: sizing::mebibytes(sizing::memory_request_for(a.maxmemory.bytes)),
        pod_memory_limit: sizing::mebibytes(sizing::memory_limit_for(a.maxmemory.bytes)),
        compose: a.scenario.rules().compose,
        // Debian's units expect the pid file here (PIDFile= of redis-server/valkey-server).
        pidfile: if v.is_valkey() {
            "/run/valkey/valkey-server.pid".into()
        } else {
            "/run/redis/redis-server.pid".into()
        },
        budget_lines: budget.explain(&a.workload),
        alfred: budget.alfred,
        velma: budget.velma,
        max_connections: a.max_connections,
        release: a.release.clone(),
        namespace: a.namespace.clone(),
        fullname: a.bitnami_fullname(),
        bundled: a.bundled_redis(),
        sentinel_master: a.sentinel_master.clone(),
        sentinels: sentinel_list(a),
        sentinel_password_none: a.sentinel_auth == SentinelAuth::None,
        config_dir: a.config_dir.clone(),
        data_dir: a.data_dir.clone(),
        image: v.image().into(),
        server_bin: if v.is_valkey() {
            "valkey-server"
        } else {
            "redis-server"
        },
        cli_bin: if v.is_valkey() {
            "valkey-cli"
        } else {
            "redis-cli"
        },
        conf_path: if v.is_valkey() {
            "/usr/local/etc/valkey/valkey.conf"
        } else {
            "/usr/local/etc/redis/redis.conf"
        },
        secret_name: format!("{}-redis-auth", a.release),
        env_secret_name: format!("{}-redis-env", a.release),
        secret_key: SECRET_PASSWORD_KEY,
        disable_client_command: a.scenario.rules().disable_client_command,
        extra_bind: a
            .host
            .parse::<std::net::IpAddr>()
            .ok()
            .filter(|ip| {
                let default_loopback: [std::net::IpAddr; 2] = [
                    std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::Ipv6Addr::LOCALHOST.into(),
                ];
                !default_loopback.contains(ip) && !ip.is_unspecified()
            })
            .map(|ip| ip.to_string()),
        helm_env,
        master_proxy: a.outputs.contains(&Output::MasterProxy),
        redis_image: ImageView::of(&a.chart.redis_image),
        sentinel_image: ImageView::of(&a.chart.sentinel_image),
        default_images: {
            let d = crate::answers::BundledChart::default();
            a.chart.redis_image == d.redis_image && a.chart.sentinel_image == d.sentinel_image
        },
        down_after_ms: a.chart.down_after_ms,
        web_replicas: a.workload.web_processes,
        worker_replicas: a.workload.sidekiq_processes,
        web_threads: a.workload.web_threads,
        sidekiq_concurrency: a.workload.sidekiq_concurrency,
        provider,
        compose_conf: compose_yaml_word(&format!(
            "{}:{}:ro",
            a.compose.path_from_project("redis.conf"),
            if v.is_valkey() {
                "/usr/local/etc/valkey/valkey.conf"
            } else {
                "/usr/local/etc/redis/redis.conf"
            }
        )),
        compose_override: crate::shell::quote(
            a.compose
                .path_from_project("docker-compose.redis.yaml")
                .trim_start_matches("./"),
        ),
        compose_env_file: if a.outputs.contains(&Output::Env) {
            compose_yaml_word(&a.compose.path_from_project(".env"))
        } else {
            // Not rendered: the password is in Chatwoot's own .env of the project.
            "./.env".to_string()
        },
        compose_env_for_chatwoot: a.compose.in_subdir() && a.outputs.contains(&Output::Env),
    }
}

/// A path for the Compose override: plain when it holds only inert characters, else a
/// double-quoted YAML string (JSON syntax).
fn compose_yaml_word(v: &str) -> String {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/-:".contains(c))
    {
        v.to_string()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
struct ImageView {
    registry: String,
    repository: String,
    tag: String,
}

impl ImageView {
    fn of(i: &crate::answers::Image) -> ImageView {
        ImageView {
            registry: i.registry.clone().unwrap_or_default(),
            repository: i.repository.clone(),
            tag: i.tag.clone(),
        }
    }
}

/// The master proxy's part of the view.
#[derive(Debug, Serialize)]
struct ProxyView {
    service: String,
    port: u16,
    health_port: u16,
    image: &'static str,
    maxconn: u32,
    /// `(name, host:port)` of every Redis node the proxy checks.
    servers: Vec<(String, String)>,
    redis_url: String,
    labels: String,
    config: String,
    config_sha256: String,
}

/// The Redis nodes the proxy checks: those given for external sentinels, or the bundled
/// sentinels' nodes by their fully qualified pod names.
pub fn proxy_servers(a: &Answers) -> Vec<(String, String)> {
    if !a.redis_nodes.is_empty() {
        return a
            .redis_nodes
            .iter()
            .enumerate()
            .map(|(i, (h, p))| (format!("node-{i}"), format!("{}:{p}", url_host(h))))
            .collect();
    }
    let f = a.bitnami_fullname();
    (0..3)
        .map(|i| {
            (
                format!("node-{i}"),
                format!(
                    "{f}-node-{i}.{f}-headless.{}.svc.{CLUSTER_DOMAIN}:6379",
                    a.namespace
                ),
            )
        })
        .collect()
}

/// The secret values of a render, as they may appear in files (for the leak guard).
fn secret_values(secrets: &Secrets) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    if let Some((p, _)) = &secrets.password {
        values.push(p.clone());
        values.push(percent_encode_userinfo(p));
    }
    if let Some(sp) = secrets.sentinel_password.clone().filter(|s| !s.is_empty()) {
        values.push(sp);
    }
    values
}

/// Refuses a render whose public files hold a secret.
fn guard_secrets(a: &Answers, secrets: &Secrets, set: &RenderSet) -> Result<()> {
    let Some((kind, secret)) = find_secret_in_public_file(set) else {
        return Ok(());
    };
    // A short password can be text the public files hold anyway ("redis", "chatwoot", a
    // checksum fragment): the same files rendered without any secret contain it too. That
    // is a guessable password the user chose, not a leak, so it is refused as input.
    let public = render(a, &Secrets::default())?;
    let coincidence = public
        .files
        .iter()
        .any(|f| f.kind == kind && f.contents.contains(secret));
    if coincidence {
        let is_sentinel = secrets.sentinel_password.as_deref() == Some(secret)
            && !secrets
                .password
                .as_ref()
                .is_some_and(|(p, _)| p == secret || percent_encode_userinfo(p) == secret);
        return Err(Error::invalid_secret(
            if is_sentinel {
                crate::answers::Field::SentinelPassword
            } else {
                crate::answers::Field::Password
            },
            format!(
                "it is text that the generated {} holds anyway (a word such as \"redis\" or \
                     \"chatwoot\"): it is easy to guess, and it could not be kept out of files \
                     that are committed or printed",
                kind
            ),
            "use --generate-password, or a longer password of letters and digits",
        ));
    }
    Err(Error::Other(anyhow::anyhow!(
        "internal error: a secret would be written to {kind}; nothing was written"
    )))
}

/// Renders one output at a time from the view; templates compile on first use.
struct Renderer<'a> {
    env: Environment<'static>,
    answers: &'a Answers,
    view: minijinja::Value,
    password: Option<&'a str>,
    /// A password is known, or none is needed: secret files can be rendered.
    have_secret: bool,
}

impl Renderer<'_> {
    fn stamped(kind: FileKind, body: String) -> RenderedFile {
        RenderedFile {
            kind,
            contents: header::stamp(&body),
            env_update: None,
        }
    }

    fn env_file(&self, update: EnvUpdate) -> Result<Option<RenderedFile>> {
        if !self.have_secret {
            return Ok(None);
        }
        let contents = render_template(
            &self.env,
            "env.j2",
            context! { header => header::plain_header(), keys => update.set.clone() },
        )?;
        Ok(Some(RenderedFile {
            kind: FileKind::Env,
            contents,
            env_update: Some(update),
        }))
    }

    /// redis.conf, and redis-secrets.conf beside it (unless Compose passes the password).
    fn redis_conf(&self) -> Result<Vec<RenderedFile>> {
        let a = self.answers;
        let compose = a.scenario.rules().compose;
        let body = render_template(
            &self.env,
            "redis.conf.j2",
            context! { v => self.view.clone(), compose => compose },
        )?;
        let mut files = vec![Self::stamped(FileKind::RedisConf, body)];
        if a.auth == Auth::Password && !compose {
            if let Some(p) = self.password {
                // The `>password` rule is one quoted argument, whatever the password holds.
                // A `'` would open a quoted argument in redis-server's line splitter: such a
                // name is written quoted (the user names `validate_username` admits hold no
                // other character the splitter treats specially).
                let acl_user = a.username.as_ref().map(|u| {
                    let name = if u.contains('\'') {
                        conf_quote(u)
                    } else {
                        u.clone()
                    };
                    format!(
                        "user {name} on {} ~* &* +@all -flushall -flushdb -config -debug -shutdown",
                        conf_quote(&format!(">{p}"))
                    )
                });
                let body = render_template(
                    &self.env,
                    "redis-secrets.conf.j2",
                    context! { v => self.view.clone(), password => p, acl_user => acl_user },
                )?;
                files.push(Self::stamped(FileKind::RedisSecretsConf, body));
            }
        }
        Ok(files)
    }

    fn compose(&self) -> Result<RenderedFile> {
        let body = render_template(
            &self.env,
            "docker-compose.redis.yaml.j2",
            context! { v => self.view.clone() },
        )?;
        Ok(Self::stamped(FileKind::Compose, body))
    }

    /// values.redis.yaml, and the Secret it refers to.
    fn helm(&self, chatwoot_vars: &[(String, String)]) -> Result<Vec<RenderedFile>> {
        let a = self.answers;
        let body = render_template(
            &self.env,
            "values.redis.yaml.j2",
            context! { v => self.view.clone() },
        )?;
        let mut files = vec![Self::stamped(FileKind::Helm, body)];
        if !self.have_secret {
            return Ok(files);
        }
        let mut data: Vec<(String, String)> = Vec::new();
        if a.bundled_redis() {
            if let Some(p) = self.password {
                data.push((SECRET_PASSWORD_KEY.into(), p.to_string()));
            }
        } else {
            // External Redis: the exact variables Chatwoot reads, via existingEnvSecret.
            data.extend(
                chatwoot_vars
                    .iter()
                    .filter(|(k, _)| SECRET_ENV_KEYS.contains(&k.as_str()))
                    .cloned(),
            );
            // Always present: the chart otherwise sets REDIS_PASSWORD=redis, which
            // overrides the URL's password (or sends AUTH to a Redis without one).
            if !data.iter().any(|(k, _)| k == "REDIS_PASSWORD") {
                data.insert(1, ("REDIS_PASSWORD".into(), String::new()));
            }
        }
        let body = render_template(
            &self.env,
            "redis-secret.yaml.j2",
            context! { v => self.view.clone(), data => data },
        )?;
        files.push(Self::stamped(FileKind::HelmSecret, body));
        Ok(files)
    }

    /// redis-master-proxy.yaml: HAProxy's Deployment, ConfigMap and Service, and the Secret
    /// that hands its address to the Chatwoot pods as REDIS_URL.
    fn master_proxy(&self, budget: &Budget) -> Result<RenderedFile> {
        use sha2::Digest;
        let a = self.answers;
        let service = crate::scenario::kubernetes::proxy_name(&a.bitnami_fullname());
        let mut p = ProxyView {
            port: 6379,
            health_port: PROXY_HEALTH_PORT,
            image: HAPROXY_IMAGE,
            // Every Chatwoot connection could come through it: the server's own cap.
            maxconn: budget.maxclients,
            servers: proxy_servers(a),
            redis_url: redis_url(a, None),
            labels: format!(
                "app.kubernetes.io/name: redis-master-proxy\napp.kubernetes.io/instance: {}",
                a.release
            ),
            config: String::new(),
            config_sha256: String::new(),
            service,
        };
        p.config = render_template(&self.env, "haproxy.cfg.j2", context! { p => &p })?;
        p.config_sha256 = format!("{:x}", sha2::Sha256::digest(p.config.as_bytes()));
        let body = render_template(
            &self.env,
            "redis-master-proxy.yaml.j2",
            context! { v => self.view.clone(), p => &p },
        )?;
        Ok(Self::stamped(FileKind::MasterProxy, body))
    }

    fn provider_script(&self) -> Result<RenderedFile> {
        let a = self.answers;
        let name = a.scenario.provider_template().ok_or_else(|| {
            Error::Other(anyhow::anyhow!("{} has no provider script", a.scenario))
        })?;
        let body = render_template(&self.env, name, context! { v => self.view.clone() })?;
        // The shebang must stay the first line: the header goes after it.
        let body = body.strip_prefix("#!/usr/bin/env bash\n").unwrap_or(&body);
        Ok(RenderedFile {
            kind: FileKind::ProviderScript,
            contents: format!("#!/usr/bin/env bash\n{}", header::stamp(body)),
            env_update: None,
        })
    }

    /// The host's limits: the systemd drop-in (single-server only: a Compose or Kubernetes
    /// Redis gets its limits from its own file) and the sysctl file.
    fn host_limits(&self) -> Result<Vec<RenderedFile>> {
        let mut files = Vec::new();
        let r = self.answers.scenario.rules();
        if !r.compose && !r.sentinel {
            let body = render_template(
                &self.env,
                "systemd-dropin.conf.j2",
                context! { v => self.view.clone() },
            )?;
            files.push(Self::stamped(FileKind::SystemdDropIn, body));
        }
        let body = render_template(
            &self.env,
            "sysctl.conf.j2",
            context! { v => self.view.clone() },
        )?;
        files.push(Self::stamped(FileKind::Sysctl, body));
        Ok(files)
    }

    fn answers_file(&self) -> Result<RenderedFile> {
        let body = crate::answers::to_answers_yaml(self.answers);
        let contents = render_template(
            &self.env,
            "chatwoot-redis.yaml.j2",
            context! { header => header::plain_header(), body => body },
        )?;
        Ok(RenderedFile {
            kind: FileKind::Answers,
            contents,
            env_update: None,
        })
    }
}

/// Last safety net: the first secret value found in a file that is not a secret file.
fn find_secret_in_public_file(set: &RenderSet) -> Option<(FileKind, &str)> {
    for f in set.files.iter().filter(|f| !f.kind.is_secret()) {
        for s in set.secrets.iter().filter(|s| s.len() >= 4) {
            if f.contents.contains(s.as_str()) {
                return Some((f.kind, s.as_str()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(crate::shell::quote_always("a'b"), r"'a'\''b'");
        assert_eq!(conf_quote("a\"b\\c d"), r#""a\"b\\c d""#);
        assert_eq!(conf_quote("é"), r#""\xc3\xa9""#);
        assert_eq!(env_quote("K", "redis://h:1").unwrap(), "redis://h:1");
        assert_eq!(env_quote("K", "a$b").unwrap(), "'a$b'");
        assert_eq!(env_quote("K", "").unwrap(), "''");
        assert_eq!(env_quote("K", "a\\").unwrap(), "a\\");
        assert!(env_quote("K", "a b\\").is_err());
    }

    #[test]
    fn templates_compile() {
        let env = environment().unwrap();
        for (name, _) in TEMPLATES {
            if let Err(e) = env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
        // Every provider script a scenario names is embedded.
        for sc in crate::scenario::Scenario::all() {
            if let Some(t) = sc.provider_template() {
                assert!(TEMPLATES.iter().any(|(n, _)| *n == t), "{sc}: {t}");
            }
        }
    }

    #[test]
    fn env_updates_remove_every_redis_key_they_do_not_set() {
        let mut raw = crate::answers::RawAnswers::new();
        raw.set(crate::answers::Field::Scenario, "docker-compose");
        let a = crate::answers::resolve(&raw).unwrap();
        let secrets = Secrets {
            password: Some(("Plain0Password0abc".into(), secrets::Origin::Environment)),
            sentinel_password: None,
        };
        let b = sizing::budget(&a.workload);
        let u = env_update(&a, &b, &secrets, Some(Placement::EnvVar)).expect("an update");
        let set: Vec<&str> = u.set.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            set.contains(&"REDIS_URL") && set.contains(&"REDIS_PASSWORD"),
            "{set:?}"
        );
        // A .env of an earlier Sentinel render keeps Chatwoot in Sentinel mode unless removed.
        for k in ["REDIS_SENTINELS", "REDIS_SENTINEL_MASTER_NAME"] {
            assert!(
                u.remove.iter().any(|r| r == k),
                "{k} not removed: {:?}",
                u.remove
            );
        }
        for k in chatwoot::REDIS_ENV_KEYS {
            assert_ne!(
                set.contains(k),
                u.remove.iter().any(|r| r == k),
                "{k}: set or removed, exactly one"
            );
        }
    }

    #[test]
    fn the_leak_guard_knows_the_password_encoded_and_the_sentinel_password() {
        let secrets = Secrets {
            password: Some(("p@ss word".into(), secrets::Origin::Environment)),
            sentinel_password: Some("Sentinel0Secret0x".into()),
        };
        let v = secret_values(&secrets);
        assert!(v.contains(&"p@ss word".to_string()), "{v:?}");
        assert!(v.contains(&percent_encode_userinfo("p@ss word")), "{v:?}");
        assert!(v.contains(&"Sentinel0Secret0x".to_string()), "{v:?}");
        let none = Secrets {
            password: None,
            sentinel_password: Some(String::new()),
        };
        assert!(secret_values(&none).is_empty());
    }
}
