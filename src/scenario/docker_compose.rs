//! `docker-compose`: the redis service of Chatwoot's docker-compose.production.yaml.

use super::{EndpointRecord, Output, Rules, ScenarioSpec, StepContext, TlsRule};
use crate::answers::{Field, RedisVersion};
use crate::chatwoot::SentinelAddr;

pub struct DockerCompose;

static RULES: Rules = Rules {
    managed: false,
    sentinel: false,
    compose: true,
    tls: TlsRule::Never,
    private_ca: false,
    auth_optional: false,
    default_username: None,
    // Upstream's compose file runs redis:alpine (the newest release): an older default could
    // not read its data files.
    default_version: RedisVersion::Redis74,
    endpoint_from_url: None,
    password_in_url: false,
    password_env_only: Some("the Compose redis service takes its password from REDIS_PASSWORD"),
    disable_client_command: false,
    hard_connection_cap: false,
    record: EndpointRecord::Nothing,
    records_version: true,
    records_dirs: false,
};

impl ScenarioSpec for DockerCompose {
    fn id(&self) -> &'static str {
        "docker-compose"
    }

    fn description(&self) -> &'static str {
        "the redis service of Chatwoot's docker-compose.production.yaml"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::Compose, Output::RedisConf]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::RedisVersion,
            Field::Password,
            Field::Maxmemory,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
        ]
    }

    fn default_host(&self, _release: &str, _sentinels: &[SentinelAddr]) -> Option<String> {
        Some("redis".to_string())
    }

    fn username_refusal(&self) -> Option<String> {
        Some(format!("{} authenticates the default user only", self.id()))
    }

    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        vec![
            format!(
                "docker compose -f docker-compose.production.yaml -f {} up -d",
                (cx.path)("docker-compose.redis.yaml")
            ),
            format!(
                "chatwoot-redis doctor --env-file {} --offline",
                (cx.path)(".env")
            ),
        ]
    }
}
