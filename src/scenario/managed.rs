//! Managed Redis services: what they share, and the endpoint recognition doctor uses. Each
//! provider's own rules, its [`Service`] texts and its doctor findings live in its module;
//! [`detect_provider`] asks every scenario of the registry, so `render` and `doctor` read one
//! table.

use super::{Scenario, StepContext};
use crate::doctor::finding::Severity;
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

/// What doctor knows of one managed service, declared in the scenario module that claims
/// its endpoints: its name and the texts of the findings that name it.
#[derive(Debug, PartialEq, Eq)]
pub struct Service {
    /// How doctor names the service ("AWS ElastiCache").
    pub name: &'static str,
    /// The endpoint name proves the service; false for a guess (an EC2 host name, a private
    /// IP on port 6378).
    pub certain: bool,
    /// Whether its TLS certificate passes Chatwoot's verify peer with the system CAs.
    pub certificate: Certificate,
    /// What to do about a server older than Chatwoot needs on this service, appended to the
    /// general upgrade advice.
    pub upgrade_fix: Option<&'static str>,
    /// How to leave Redis Cluster on this service, when it says more than the general advice.
    pub cluster_fix: Option<&'static str>,
    /// How to set `maxmemory-policy noeviction` here (appended to the general fix), when it
    /// differs from a self-managed server.
    pub eviction_fix: Option<&'static str>,
    /// The severity of a plain-text connection and why, when it differs from
    /// [`PLAINTEXT_RISK`].
    pub plaintext: Option<(Severity, &'static str)>,
}

/// How a service's TLS certificate meets Chatwoot's verify peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certificate {
    /// Chains to a public CA: certificate checks work, and `REDIS_OPENSSL_VERIFY_MODE=none`
    /// only removes protection.
    Public,
    /// Fails verify peer with the system CAs: why, and what makes Chatwoot connect.
    Private {
        why: &'static str,
        fix: &'static str,
    },
}

/// A plain-text connection to a managed service that does not say more.
pub const PLAINTEXT_RISK: (Severity, &str) = (
    Severity::Warning,
    "the password and all data cross the network in clear",
);

/// A managed Redis service recognised from its endpoint: the scenario that claimed it and
/// the service it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedProvider {
    pub scenario: Scenario,
    pub service: &'static Service,
}

impl ManagedProvider {
    pub fn name(self) -> &'static str {
        self.service.name
    }

    /// True when the service's TLS certificate chains to a public CA.
    pub fn has_public_certificate(self) -> bool {
        self.service.certificate == Certificate::Public
    }

    /// How to leave Redis Cluster on this service, when it says more than the general advice.
    pub fn cluster_fix(self) -> Option<&'static str> {
        self.service.cluster_fix
    }

    /// True when the endpoint name proves the provider (not a guess).
    pub fn is_certain(self) -> bool {
        self.service.certain
    }

    /// The severity of a plain-text connection to this service and why.
    pub fn plaintext_risk(self, sends_password: bool) -> (Severity, &'static str) {
        self.scenario
            .plaintext_risk(self.service, sends_password)
            .unwrap_or(PLAINTEXT_RISK)
    }
}

/// The host as the provider rules compare it: lower case, without a trailing dot.
pub(crate) fn normalized_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Recognises a managed service from the host (and port, for Memorystore): the first
/// scenario of the registry that claims the endpoint.
pub fn detect_provider(host: &str, port: u16) -> Option<ManagedProvider> {
    Scenario::all().find_map(|scenario| {
        scenario
            .detect(host, port)
            .map(|service| ManagedProvider { scenario, service })
    })
}

/// The scenario whose endpoint this host certainly is (guesses are left out).
pub(crate) fn scenario_of_host(host: &str) -> Option<Scenario> {
    Scenario::all().find(|sc| sc.detect(host, 0).is_some_and(|s| s.certain))
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
        let fix = azure::MANAGED_REDIS
            .cluster_fix
            .expect("Azure Managed Redis has its own advice");
        for want in ["NoCluster", "EnterpriseCluster", "BRPOP", "CROSSSLOT"] {
            assert!(fix.contains(want), "{want}: {fix}");
        }
        assert_eq!(elasticache::NODE_BASED.cluster_fix, None);
    }

    #[test]
    fn providers_from_endpoints() {
        use azure::{CACHE_FOR_REDIS, MANAGED_REDIS};
        use elasticache::{CLUSTER_MODE, NODE_BASED, SERVERLESS};
        for (host, port, want) in [
            (
                "master.cw.abc123.use1.cache.amazonaws.com",
                6379,
                Some(&NODE_BASED),
            ),
            (
                "clustercfg.cw.abc123.use1.cache.amazonaws.com",
                6379,
                Some(&CLUSTER_MODE),
            ),
            (
                "cw-abc.serverless.use1.cache.amazonaws.com",
                6379,
                Some(&SERVERLESS),
            ),
            ("cw.redis.cache.windows.net", 6380, Some(&CACHE_FOR_REDIS)),
            (
                "cw.redis.cache.chinacloudapi.cn",
                6380,
                Some(&CACHE_FOR_REDIS),
            ),
            ("cw.westeurope.redis.azure.net", 10000, Some(&MANAGED_REDIS)),
            (
                "cw-do-user-1-0.b.db.ondigitalocean.com",
                25061,
                Some(&digitalocean::SERVICE),
            ),
            (
                "ec2-1-2-3-4.compute-1.amazonaws.com",
                12345,
                Some(&heroku::SERVICE),
            ),
            ("10.0.0.3", 6378, Some(&memorystore::SERVICE)),
            ("10.0.0.3", 6379, None),
            ("8.8.8.8", 6378, None),
            ("redis", 6379, None),
        ] {
            assert_eq!(
                detect_provider(host, port).map(|p| p.service),
                want,
                "{host}:{port}"
            );
        }
        let heroku =
            detect_provider("ec2-1-2-3-4.compute-1.amazonaws.com", 12345).expect("a guess");
        assert!(!heroku.has_public_certificate());
        assert!(!heroku.is_certain());
        let elasticache =
            detect_provider("master.cw.abc123.use1.cache.amazonaws.com", 6379).expect("claimed");
        assert!(elasticache.has_public_certificate());
        assert_eq!(elasticache.scenario.id(), "elasticache");
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
