//! `docker-compose`: the redis service of Chatwoot's docker-compose.production.yaml.

use super::{EndpointRecord, Output, Rules, ScenarioSpec, StepContext};
use crate::answers::{Field, RedisVersion};
use crate::chatwoot::SentinelAddr;

pub struct DockerCompose;

static RULES: Rules = Rules {
    compose: true,
    // Upstream's compose file runs redis:alpine (the newest release): an older default could
    // not read its data files.
    default_version: RedisVersion::Redis74,
    password_env_only: Some("the Compose redis service takes its password from REDIS_PASSWORD"),
    record: EndpointRecord::Nothing,
    ..Rules::SELF_HOSTED
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
        let mut steps = Vec::new();
        if (cx.has)(crate::output::FileKind::Sysctl) {
            steps.push(format!(
                "# on the Docker host (vm.overcommit_memory is the host's, not the container's): sudo install -m 644 {} /etc/sysctl.d/60-chatwoot-redis.conf && sudo sysctl --system",
                (cx.path)("chatwoot-redis.sysctl.conf")
            ));
        } else {
            steps.push(
                "# on the Docker host: vm.overcommit_memory = 1 (a host setting; --emit +host-limits writes the sysctl file)"
                    .into(),
            );
        }
        steps.extend([
            format!(
                "docker compose -f docker-compose.production.yaml -f {} up -d",
                (cx.path)("docker-compose.redis.yaml")
            ),
            format!(
                "chatwoot-redis doctor --env-file {} --offline",
                (cx.path)(".env")
            ),
        ]);
        steps
    }
}
