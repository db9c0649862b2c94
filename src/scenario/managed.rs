//! Managed Redis services: what they share, and the endpoint recognition doctor uses. Each
//! provider's own rules live in its module; [`detect_provider`] asks every scenario of the
//! registry, so `render` and `doctor` read one table.

use super::{Scenario, StepContext};
use crate::output::FileKind;

/// The questions of a managed service reached by host, port and password alone (Azure,
/// DigitalOcean), in wizard order.
const HOST_PORT_QUESTIONS: &[crate::answers::Field] = &[
    crate::answers::Field::Host,
    crate::answers::Field::Port,
    crate::answers::Field::Password,
    crate::answers::Field::Db,
    crate::answers::Field::WebProcesses,
    crate::answers::Field::WebThreads,
    crate::answers::Field::SidekiqProcesses,
    crate::answers::Field::SidekiqConcurrency,
    crate::answers::Field::MaxConnections,
];

pub mod azure;
pub mod digitalocean;
pub mod elasticache;
pub mod heroku;
pub mod memorystore;

/// A managed Redis service recognised from its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManagedProvider {
    /// `*.cache.amazonaws.com`, cluster mode disabled.
    ElastiCache,
    /// `clustercfg.*.cache.amazonaws.com`: cluster mode enabled (Sidekiq cannot use it).
    ElastiCacheClusterMode,
    /// `*.serverless.*.cache.amazonaws.com`: always clustered.
    ElastiCacheServerless,
    /// `*.redis.cache.windows.net` (and the sovereign clouds): Azure Cache for Redis, Redis 6.0.
    AzureCacheForRedis,
    /// `*.redis.azure.net`: Azure Managed Redis.
    AzureManagedRedis,
    /// `*.db.ondigitalocean.com`.
    DigitalOcean,
    /// An EC2 public name (`ec2-….compute-1.amazonaws.com`, `….compute.amazonaws.com`): how
    /// Heroku Key-Value Store URLs look. A guess: a self-managed EC2 host looks the same.
    HerokuLikely,
    /// A private IPv4 address on port 6378: Memorystore's TLS port. A guess.
    MemorystoreLikely,
}

impl ManagedProvider {
    pub fn name(self) -> &'static str {
        match self {
            ManagedProvider::ElastiCache => "AWS ElastiCache",
            ManagedProvider::ElastiCacheClusterMode => "AWS ElastiCache (cluster mode enabled)",
            ManagedProvider::ElastiCacheServerless => "AWS ElastiCache Serverless",
            ManagedProvider::AzureCacheForRedis => "Azure Cache for Redis",
            ManagedProvider::AzureManagedRedis => "Azure Managed Redis",
            ManagedProvider::DigitalOcean => "DigitalOcean Managed Valkey",
            ManagedProvider::HerokuLikely => "Heroku Key-Value Store (guessed from the host name)",
            ManagedProvider::MemorystoreLikely => {
                "Google Cloud Memorystore (guessed from a private IP on port 6378)"
            }
        }
    }

    /// True when the service's TLS certificate chains to a public CA, so certificate checks
    /// work and `REDIS_OPENSSL_VERIFY_MODE=none` only removes protection.
    pub fn has_public_certificate(self) -> bool {
        self.is_certain()
    }

    /// How to leave Redis Cluster on this service, when it says more than the general advice.
    pub fn cluster_fix(self) -> Option<&'static str> {
        match self {
            ManagedProvider::AzureManagedRedis => Some(azure::CLUSTER_POLICY_FIX),
            _ => None,
        }
    }

    /// True when the endpoint name proves the provider (not a guess).
    pub fn is_certain(self) -> bool {
        !matches!(
            self,
            ManagedProvider::HerokuLikely | ManagedProvider::MemorystoreLikely
        )
    }
}

/// The host as the provider rules compare it: lower case, without a trailing dot.
pub(crate) fn normalized_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Recognises a managed service from the host (and port, for Memorystore): the first
/// scenario of the registry that claims the endpoint.
pub fn detect_provider(host: &str, port: u16) -> Option<ManagedProvider> {
    Scenario::all().find_map(|sc| sc.detect(host, port))
}

/// The scenario whose endpoint this host certainly is (guesses are left out).
pub(crate) fn scenario_of_host(host: &str) -> Option<(Scenario, ManagedProvider)> {
    Scenario::all().find_map(|sc| {
        sc.detect(host, 0)
            .filter(|p| p.is_certain())
            .map(|p| (sc, p))
    })
}

/// Next steps of a managed service: run the provider script, then doctor.
pub(crate) fn provider_next_steps(cx: &StepContext<'_>) -> Vec<String> {
    let mut steps = Vec::new();
    if (cx.has)(FileKind::ProviderScript) {
        steps.push(format!(
            "bash {}    # read it first: it names the variables it needs",
            (cx.path)("redis-settings.sh")
        ));
    }
    if (cx.has)(FileKind::Env) {
        steps.push(format!(
            "chatwoot-redis doctor --env-file {}",
            (cx.path)(".env")
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_managed_redis_cluster_advice_names_nocluster() {
        let fix = ManagedProvider::AzureManagedRedis
            .cluster_fix()
            .expect("Azure Managed Redis has its own advice");
        for want in ["NoCluster", "EnterpriseCluster", "BRPOP", "CROSSSLOT"] {
            assert!(fix.contains(want), "{want}: {fix}");
        }
        assert_eq!(ManagedProvider::ElastiCache.cluster_fix(), None);
    }

    #[test]
    fn providers_from_endpoints() {
        use ManagedProvider::*;
        for (host, port, want) in [
            (
                "master.cw.abc123.use1.cache.amazonaws.com",
                6379,
                Some(ElastiCache),
            ),
            (
                "clustercfg.cw.abc123.use1.cache.amazonaws.com",
                6379,
                Some(ElastiCacheClusterMode),
            ),
            (
                "cw-abc.serverless.use1.cache.amazonaws.com",
                6379,
                Some(ElastiCacheServerless),
            ),
            ("cw.redis.cache.windows.net", 6380, Some(AzureCacheForRedis)),
            (
                "cw.redis.cache.chinacloudapi.cn",
                6380,
                Some(AzureCacheForRedis),
            ),
            (
                "cw.westeurope.redis.azure.net",
                10000,
                Some(AzureManagedRedis),
            ),
            (
                "cw-do-user-1-0.b.db.ondigitalocean.com",
                25061,
                Some(DigitalOcean),
            ),
            (
                "ec2-1-2-3-4.compute-1.amazonaws.com",
                12345,
                Some(HerokuLikely),
            ),
            ("10.0.0.3", 6378, Some(MemorystoreLikely)),
            ("10.0.0.3", 6379, None),
            ("8.8.8.8", 6378, None),
            ("redis", 6379, None),
        ] {
            assert_eq!(detect_provider(host, port), want, "{host}:{port}");
        }
        assert!(!HerokuLikely.has_public_certificate());
        assert!(ElastiCache.has_public_certificate());
    }

    /// Every provider doctor can name belongs to one scenario, which claims it.
    #[test]
    fn each_detected_provider_has_one_scenario() {
        for (host, port) in [
            ("master.cw.abc123.use1.cache.amazonaws.com", 6379),
            ("cw.redis.cache.usgovcloudapi.net", 6380),
            ("cw.westeurope.redis.azure.net", 10000),
            ("cw-do-user-1-0.b.db.ondigitalocean.com", 25061),
            ("ec2-1-2-3-4.compute-1.amazonaws.com", 12345),
            ("10.0.0.3", 6378),
        ] {
            let claims = Scenario::all()
                .filter(|sc| sc.detect(host, port).is_some())
                .count();
            assert_eq!(claims, 1, "{host}:{port}");
        }
    }
}
