//! `kubernetes-sentinel`: the Chatwoot Helm chart with Bitnami Redis + Sentinel, or external
//! sentinels.

use super::{EndpointRecord, Output, Rules, ScenarioSpec, StepContext};
use crate::answers::{Answers, Field, RedisVersion};
use crate::chatwoot::SentinelAddr;
use crate::error::{Error, Result};

pub struct KubernetesSentinel;

static RULES: Rules = Rules {
    sentinel: true,
    // External sentinels: a Redis of the user's own (7.x or newer). The chart's bundled
    // Bitnami Redis is 6.2 whatever this says (answers::resolve).
    default_version: RedisVersion::Redis74,
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
        &[Output::Helm, Output::MasterProxy]
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

    /// With the chart's bundled Redis, the master proxy of redis-master-proxy.yaml.
    fn default_host(&self, release: &str, sentinels: &[SentinelAddr]) -> Option<String> {
        sentinels
            .is_empty()
            .then(|| proxy_name(&format!("{release}-chatwoot-redis")))
    }

    fn endpoint_warnings(&self, a: &Answers) -> Vec<String> {
        if a.bundled_redis() {
            return vec![
                "the chart's bundled Redis is Bitnami's bitnamilegacy/redis 6.2.7 image (2022, no \
                 longer updated): to run Redis 7.x or newer, run Redis with Sentinel yourself \
                 and pass --sentinels"
                    .into(),
            ];
        }
        Vec::new()
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

    /// The proxy first (its Secret gives the Chatwoot pods REDIS_URL); then the Helm steps
    /// every scenario shares.
    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        let mut steps = Vec::new();
        if (cx.has)(crate::output::FileKind::MasterProxy) {
            steps.push(format!(
                "kubectl apply -n {} -f {}",
                cx.answers.namespace,
                (cx.path)("redis-master-proxy.yaml")
            ));
        }
        let a = cx.answers;
        if a.bundled_redis() {
            // The Redis pods' memory: maxmemory plus a fork's copies, or the kubelet kills Redis
            // mid-snapshot.
            let m = a.maxmemory.bytes;
            let (req, lim) = (
                crate::sizing::mebibytes(crate::sizing::memory_request_for(m)),
                crate::sizing::mebibytes(crate::sizing::memory_limit_for(m)),
            );
            steps.push(format!(
                "# Redis pods (maxmemory {}, a fork may copy it again): redis.replica.resources.requests.memory={req}, redis.replica.resources.limits.memory={lim}",
                a.maxmemory.text
            ));
        }
        steps
    }
}

/// The longest release name the bundled Redis can run.
pub const MAX_BUNDLED_RELEASE: usize = 32;
/// Kubernetes' limit for a label value and a Service name (a DNS label).
const MAX_LABEL: usize = 63;
/// `controller-revision-hash` is `<StatefulSet name>-<10-character hash>`.
const REVISION_HASH_SUFFIX: usize = 11;

/// The names the chart and `redis-master-proxy.yaml` derive from the release (F =
/// `<release>-chatwoot-redis`), with the limit each must stay within.
pub fn bundled_names(release: &str) -> Vec<(String, String, usize)> {
    let f = format!("{release}-chatwoot-redis");
    vec![
        (
            "the StatefulSet's pod label controller-revision-hash".into(),
            format!("{f}-node-{}", "h".repeat(REVISION_HASH_SUFFIX - 1)),
            MAX_LABEL,
        ),
        (
            "the headless Service".into(),
            format!("{f}-headless"),
            MAX_LABEL,
        ),
        (
            "the master proxy's Service".into(),
            proxy_name(&f),
            MAX_LABEL,
        ),
    ]
}

/// The master proxy's Deployment, ConfigMap and Service name.
pub fn proxy_name(fullname: &str) -> String {
    format!("{fullname}-master-proxy")
}

/// Release names the bundled Redis cannot run: every derived name must fit its limit.
pub fn check_bundled_release(release: &str) -> Result<(), String> {
    for (what, name, max) in bundled_names(release) {
        if name.len() > max {
            let shown = if what.contains("controller-revision-hash") {
                format!(
                    "{release}-chatwoot-redis-node-<hash> ({} characters)",
                    name.len()
                )
            } else {
                format!("{name} ({} characters)", name.len())
            };
            return Err(format!(
                "it is {} characters: with the chart's bundled Redis, {what} would be {shown}, \
                 over Kubernetes' {max}, and no Redis pod would ever be created \
                 (at most {MAX_BUNDLED_RELEASE} characters)",
                release.len()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_up_to_32_characters_run() {
        assert!(check_bundled_release("chatwoot").is_ok());
        assert!(check_bundled_release(&"a".repeat(MAX_BUNDLED_RELEASE)).is_ok());
        let why = check_bundled_release(&"a".repeat(33)).unwrap_err();
        assert!(why.contains("33 characters"), "{why}");
        assert!(
            why.contains("controller-revision-hash") && why.contains("64"),
            "{why}"
        );
        assert!(why.contains("32"), "{why}");
    }

    #[test]
    fn every_derived_name_fits_at_the_limit() {
        for len in 1..=MAX_BUNDLED_RELEASE {
            for (what, name, max) in bundled_names(&"r".repeat(len)) {
                assert!(name.len() <= max, "{len}: {what} {name}");
            }
        }
        // The revision-hash label is the first to break: it sets the limit.
        let over = bundled_names(&"r".repeat(MAX_BUNDLED_RELEASE + 1));
        assert!(over[0].1.len() > over[0].2);
        assert!(over[1..].iter().all(|(_, n, max)| n.len() <= *max));
        assert_eq!(
            "r".repeat(MAX_BUNDLED_RELEASE).len()
                + "-chatwoot-redis-node".len()
                + REVISION_HASH_SUFFIX,
            MAX_LABEL
        );
    }

    #[test]
    fn the_proxy_is_named_after_the_redis_objects() {
        assert_eq!(
            proxy_name("cw-chatwoot-redis"),
            "cw-chatwoot-redis-master-proxy"
        );
    }
}
