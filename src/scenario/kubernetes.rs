//! `kubernetes-sentinel`: the Chatwoot Helm chart with Bitnami Redis + Sentinel, or external
//! sentinels.

use super::{EndpointRecord, Output, Rules, ScenarioSpec, StepContext};
use crate::answers::{Answers, Field, RedisVersion};
use crate::chatwoot::SentinelAddr;
use crate::error::{Error, Result};

pub struct KubernetesSentinel;

static RULES: Rules = Rules {
    sentinel: true,
    default_version: RedisVersion::Redis62,
    password_env_only: Some(
        "in Sentinel mode Chatwoot reads the password only from REDIS_PASSWORD",
    ),
    record: EndpointRecord::Sentinel,
    ..Rules::SELF_HOSTED
};

impl ScenarioSpec for KubernetesSentinel {
    fn id(&self) -> &'static str {
        "kubernetes-sentinel"
    }

    fn description(&self) -> &'static str {
        "Chatwoot Helm chart with Bitnami Redis + Sentinel, or external sentinels"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Helm]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::Release,
            Field::Namespace,
            Field::Sentinels,
            Field::Host,
            Field::SentinelMaster,
            Field::Password,
            Field::Maxmemory,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
        ]
    }

    /// With the chart's bundled Redis, the Bitnami sub-chart's service.
    fn default_host(&self, release: &str, sentinels: &[SentinelAddr]) -> Option<String> {
        sentinels
            .is_empty()
            .then(|| format!("{release}-chatwoot-redis"))
    }

    /// With the bundled Redis the StatefulSet `<release>-chatwoot-redis-node` stamps its pods
    /// with a `controller-revision-hash` label of its name plus 11 characters: from a 33-character
    /// release that label is over Kubernetes' 63 and no pod is ever created.
    fn check_answers(&self, a: &Answers) -> Result<()> {
        if a.bundled_redis() && a.release.len() > 32 {
            return Err(Error::invalid_answer(
                Field::Release,
                &a.release,
                format!(
                    "with the chart's bundled Redis a release name is at most 32 characters \
                     (this one has {}): the StatefulSet {}-chatwoot-redis-node gets a pod label \
                     over 63 characters and Kubernetes never creates its pods",
                    a.release.len(),
                    a.release
                ),
                "choose a release name of at most 32 characters, e.g. --release chatwoot",
            ));
        }
        Ok(())
    }

    fn username_refusal(&self) -> Option<String> {
        Some("Chatwoot's Sentinel mode sends no user name".to_string())
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Host => Some(
                "A Service that reaches the current master: ActionCable ignores Sentinel and connects to REDIS_URL",
            ),
            Field::Password => Some(
                "Goes into the Kubernetes Secret of redis-secret.yaml (never the values); Chatwoot pastes it into YAML, so it must read back unchanged",
            ),
            _ => None,
        }
    }

    /// The Helm steps, shared with every scenario that emits Helm values, and the Redis pods'
    /// memory: maxmemory plus a fork's copies, or the kubelet kills Redis mid-snapshot.
    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        let a = cx.answers;
        if !a.bundled_redis() {
            return Vec::new();
        }
        let m = a.maxmemory.bytes;
        let (req, lim) = (
            crate::sizing::mebibytes(crate::sizing::memory_request_for(m)),
            crate::sizing::mebibytes(crate::sizing::memory_limit_for(m)),
        );
        vec![format!(
            "# Redis pods (maxmemory {}, a fork may copy it again): redis.replica.resources.requests.memory={req}, redis.replica.resources.limits.memory={lim}",
            a.maxmemory.text
        )]
    }
}
