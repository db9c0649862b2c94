//! The answers, typed: one [`Field`] per answer and one [`FieldSpec`] table saying how each is
//! named in the answers file, on the command line and in the environment.

use std::fmt;

/// One answer (or secret) the tool can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Scenario,
    Url,
    Host,
    Port,
    Username,
    Db,
    Tls,
    VerifyMode,
    /// The CA bundle Chatwoot trusts (SSL_CERT_FILE), for a provider's private CA.
    SslCertFile,
    Auth,
    Sentinels,
    SentinelMaster,
    SentinelAuth,
    RedisVersion,
    Maxmemory,
    WebProcesses,
    WebThreads,
    SidekiqProcesses,
    SidekiqConcurrency,
    SidekiqAliveConcurrency,
    DisableSidekiqAlive,
    EnableRackAttack,
    MaxConnections,
    Emit,
    /// Chatwoot's own `.env` the Redis keys are merged into, when not the one in `--out`.
    EnvFile,
    Release,
    Namespace,
    /// The bundled Redis image (`[registry/]repository:tag`).
    RedisImage,
    /// The bundled sentinels' image.
    SentinelImage,
    /// The bundled sentinels' `down-after-milliseconds`.
    SentinelDownAfter,
    /// The Redis nodes behind external sentinels, for the master proxy.
    RedisNodes,
    ConfigDir,
    DataDir,
    /// The Redis password: a secret, never in the answers file.
    Password,
    /// The external sentinels' own password: a secret.
    SentinelPassword,
}

/// How an answer's text is read and written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text, always written as a YAML string.
    Text,
    /// A whole number, written as a YAML number.
    Number,
    /// true or false, written as a YAML boolean.
    Bool,
    /// A comma-separated list; the answers file may hold a YAML list.
    List,
}

/// Where `--help` lists a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heading {
    ScenarioAndEndpoint,
    Authentication,
    SentinelAndKubernetes,
    SelfHostedServer,
    Workload,
    Outputs,
    Secrets,
}

impl Heading {
    pub const fn title(self) -> &'static str {
        match self {
            Heading::ScenarioAndEndpoint => "Scenario and endpoint",
            Heading::Authentication => "Authentication",
            Heading::SentinelAndKubernetes => "Sentinel and Kubernetes",
            Heading::SelfHostedServer => "Self-hosted server",
            Heading::Workload => "Workload",
            Heading::Outputs => "Outputs",
            Heading::Secrets => "Secrets",
        }
    }
}

/// Everything the tool knows about naming one answer.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub field: Field,
    /// The name in the answers file and in messages (the flag without `--`).
    pub name: &'static str,
    /// The environment variable that supplies it.
    pub env: &'static str,
    pub heading: Heading,
    pub kind: Kind,
    /// Means the same whatever the scenario (kept when the scenario changes).
    pub portable: bool,
    /// A secret: never read from or written to the answers file, never shown.
    pub secret: bool,
}

const fn spec(
    field: Field,
    name: &'static str,
    env: &'static str,
    heading: Heading,
    kind: Kind,
) -> FieldSpec {
    FieldSpec {
        field,
        name,
        env,
        heading,
        kind,
        portable: false,
        secret: false,
    }
}

const fn portable(s: FieldSpec) -> FieldSpec {
    FieldSpec {
        portable: true,
        ..s
    }
}

const fn secret(s: FieldSpec) -> FieldSpec {
    FieldSpec { secret: true, ..s }
}

use Heading as H;
use Kind as K;

/// Every field, in the answers file's order (the secrets last).
pub static FIELD_SPECS: &[FieldSpec] = &[
    spec(
        Field::Scenario,
        "scenario",
        "CHATWOOT_REDIS_SCENARIO",
        H::ScenarioAndEndpoint,
        K::Text,
    ),
    spec(
        Field::Url,
        "url",
        "CHATWOOT_REDIS_URL",
        H::ScenarioAndEndpoint,
        K::Text,
    ),
    spec(
        Field::Host,
        "host",
        "CHATWOOT_REDIS_HOST",
        H::ScenarioAndEndpoint,
        K::Text,
    ),
    spec(
        Field::Port,
        "port",
        "CHATWOOT_REDIS_PORT",
        H::ScenarioAndEndpoint,
        K::Number,
    ),
    spec(
        Field::Username,
        "username",
        "CHATWOOT_REDIS_USERNAME",
        H::Authentication,
        K::Text,
    ),
    spec(
        Field::Db,
        "db",
        "CHATWOOT_REDIS_DB",
        H::ScenarioAndEndpoint,
        K::Number,
    ),
    spec(
        Field::Tls,
        "tls",
        "CHATWOOT_REDIS_TLS",
        H::ScenarioAndEndpoint,
        K::Bool,
    ),
    spec(
        Field::VerifyMode,
        "verify-mode",
        "CHATWOOT_REDIS_VERIFY_MODE",
        H::ScenarioAndEndpoint,
        K::Text,
    ),
    spec(
        Field::SslCertFile,
        "ssl-cert-file",
        "CHATWOOT_REDIS_SSL_CERT_FILE",
        H::ScenarioAndEndpoint,
        K::Text,
    ),
    spec(
        Field::Auth,
        "auth",
        "CHATWOOT_REDIS_AUTH",
        H::Authentication,
        K::Text,
    ),
    spec(
        Field::Sentinels,
        "sentinels",
        "CHATWOOT_REDIS_SENTINELS",
        H::SentinelAndKubernetes,
        K::List,
    ),
    spec(
        Field::SentinelMaster,
        "sentinel-master",
        "CHATWOOT_REDIS_SENTINEL_MASTER",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::SentinelAuth,
        "sentinel-auth",
        "CHATWOOT_REDIS_SENTINEL_AUTH",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::RedisVersion,
        "redis-version",
        "CHATWOOT_REDIS_VERSION",
        H::SelfHostedServer,
        K::Text,
    ),
    spec(
        Field::Maxmemory,
        "maxmemory",
        "CHATWOOT_REDIS_MAXMEMORY",
        H::SelfHostedServer,
        K::Text,
    ),
    portable(spec(
        Field::WebProcesses,
        "web-processes",
        "CHATWOOT_REDIS_WEB_PROCESSES",
        H::Workload,
        K::Number,
    )),
    portable(spec(
        Field::WebThreads,
        "web-threads",
        "CHATWOOT_REDIS_WEB_THREADS",
        H::Workload,
        K::Number,
    )),
    portable(spec(
        Field::SidekiqProcesses,
        "sidekiq-processes",
        "CHATWOOT_REDIS_SIDEKIQ_PROCESSES",
        H::Workload,
        K::Number,
    )),
    portable(spec(
        Field::SidekiqConcurrency,
        "sidekiq-concurrency",
        "CHATWOOT_REDIS_SIDEKIQ_CONCURRENCY",
        H::Workload,
        K::Number,
    )),
    portable(spec(
        Field::SidekiqAliveConcurrency,
        "sidekiq-alive-concurrency",
        "CHATWOOT_REDIS_SIDEKIQ_ALIVE_CONCURRENCY",
        H::Workload,
        K::Number,
    )),
    portable(spec(
        Field::DisableSidekiqAlive,
        "disable-sidekiq-alive",
        "CHATWOOT_REDIS_DISABLE_SIDEKIQ_ALIVE",
        H::Workload,
        K::Bool,
    )),
    portable(spec(
        Field::EnableRackAttack,
        "enable-rack-attack",
        "CHATWOOT_REDIS_ENABLE_RACK_ATTACK",
        H::Workload,
        K::Bool,
    )),
    spec(
        Field::MaxConnections,
        "max-connections",
        "CHATWOOT_REDIS_MAX_CONNECTIONS",
        H::Workload,
        K::Number,
    ),
    spec(
        Field::Emit,
        "emit",
        "CHATWOOT_REDIS_EMIT",
        H::Outputs,
        K::List,
    ),
    portable(spec(
        Field::EnvFile,
        "env-file",
        "CHATWOOT_REDIS_ENV_FILE",
        H::Outputs,
        K::Text,
    )),
    spec(
        Field::Release,
        "release",
        "CHATWOOT_REDIS_RELEASE",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::Namespace,
        "namespace",
        "CHATWOOT_REDIS_NAMESPACE",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::RedisImage,
        "redis-image",
        "CHATWOOT_REDIS_REDIS_IMAGE",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::SentinelImage,
        "sentinel-image",
        "CHATWOOT_REDIS_SENTINEL_IMAGE",
        H::SentinelAndKubernetes,
        K::Text,
    ),
    spec(
        Field::SentinelDownAfter,
        "sentinel-down-after",
        "CHATWOOT_REDIS_SENTINEL_DOWN_AFTER",
        H::SentinelAndKubernetes,
        K::Number,
    ),
    spec(
        Field::RedisNodes,
        "redis-nodes",
        "CHATWOOT_REDIS_REDIS_NODES",
        H::SentinelAndKubernetes,
        K::List,
    ),
    spec(
        Field::ConfigDir,
        "config-dir",
        "CHATWOOT_REDIS_CONFIG_DIR",
        H::SelfHostedServer,
        K::Text,
    ),
    spec(
        Field::DataDir,
        "data-dir",
        "CHATWOOT_REDIS_DATA_DIR",
        H::SelfHostedServer,
        K::Text,
    ),
    secret(spec(
        Field::Password,
        "password",
        "REDIS_PASSWORD",
        H::Secrets,
        K::Text,
    )),
    secret(spec(
        Field::SentinelPassword,
        "sentinel-password",
        "REDIS_SENTINEL_PASSWORD",
        H::Secrets,
        K::Text,
    )),
];

impl Field {
    /// This field's row of [`FIELD_SPECS`].
    pub fn spec(self) -> &'static FieldSpec {
        FIELD_SPECS
            .iter()
            .find(|s| s.field == self)
            .unwrap_or(&FIELD_SPECS[0])
    }

    /// The name in the answers file and in messages.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The environment variable that supplies it.
    pub fn env_var(self) -> &'static str {
        self.spec().env
    }

    /// The field of an answers-file name or flag name (without `--`).
    pub fn parse(name: &str) -> Option<Field> {
        FIELD_SPECS.iter().find(|s| s.name == name).map(|s| s.field)
    }

    /// The answers (not secrets), in the answers file's order.
    pub fn answers() -> impl Iterator<Item = Field> {
        FIELD_SPECS.iter().filter(|s| !s.secret).map(|s| s.field)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_row_and_round_trips() {
        for s in FIELD_SPECS {
            assert_eq!(Field::parse(s.name), Some(s.field));
            assert_eq!(s.field.spec().name, s.name);
            assert_eq!(
                FIELD_SPECS.iter().filter(|o| o.field == s.field).count(),
                1,
                "{}",
                s.name
            );
        }
        assert_eq!(Field::parse("nope"), None);
        // The portable answers are the workload (the wizard asks the first four together; the
        // sidekiq_alive and Rack::Attack switches come from flags or the answers file), and
        // where Chatwoot's .env lives.
        let portable: Vec<Field> = FIELD_SPECS
            .iter()
            .filter(|s| s.portable)
            .map(|s| s.field)
            .collect();
        assert_eq!(
            portable,
            [
                Field::WebProcesses,
                Field::WebThreads,
                Field::SidekiqProcesses,
                Field::SidekiqConcurrency,
                Field::SidekiqAliveConcurrency,
                Field::DisableSidekiqAlive,
                Field::EnableRackAttack,
                Field::EnvFile,
            ]
        );
        assert_eq!(Field::RedisVersion.env_var(), "CHATWOOT_REDIS_VERSION");
        assert_eq!(Field::WebThreads.env_var(), "CHATWOOT_REDIS_WEB_THREADS");
    }
}
