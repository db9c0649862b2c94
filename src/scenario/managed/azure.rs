//! `azure`: Azure Managed Redis, non-clustered. Azure Cache for Redis runs Redis 6.0 and is
//! refused (Chatwoot's Sidekiq 7 needs 6.2).

use super::super::{DoctorContext, Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, Certificate, Service};
use crate::answers::{Answers, Field};
use crate::doctor::finding::{Finding, Severity};
use crate::error::{Error, Result};

pub struct Azure;

/// What redis-settings.sh says about Azure Managed Redis's clustering policy, for doctor.
const CLUSTER_POLICY_FIX: &str = "Azure Managed Redis: create the database with the \
     NoCluster clustering policy (chosen at creation). OSSCluster is Redis Cluster; \
     EnterpriseCluster allows cross-slot commands only for DEL, MSET, MGET, EXISTS, UNLINK and \
     TOUCH, and Sidekiq fetches jobs with one BRPOP over all its queues (CROSSSLOT once the \
     cache has more than one shard).";

static RULES: Rules = Rules {
    tls: TlsRule::Always,
    ..Rules::MANAGED
};

/// Azure Cache for Redis (Basic/Standard/Premium), in the public and sovereign clouds.
const CACHE_FOR_REDIS_SUFFIXES: [&str; 3] = [
    ".redis.cache.windows.net",
    ".redis.cache.chinacloudapi.cn",
    ".redis.cache.usgovcloudapi.net",
];

/// Azure Managed Redis.
const MANAGED_REDIS_SUFFIX: &str = ".redis.azure.net";

/// Plain text to either Azure service.
const PLAINTEXT: (Severity, &str) = (
    Severity::Warning,
    "the non-TLS port is disabled by default and the access key would cross the network in clear",
);

/// `*.redis.cache.windows.net` (and the sovereign clouds): Azure Cache for Redis, Redis 6.0.
pub static CACHE_FOR_REDIS: Service = Service {
    name: "Azure Cache for Redis",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: Some(" Azure Cache for Redis runs 6.0 at most: move to Azure Managed Redis."),
    cluster_fix: None,
    eviction_fix: Some(
        " On Azure: az redis update -n NAME -g GROUP --set \
         \"redisConfiguration.maxmemory-policy\"=\"noeviction\".",
    ),
    plaintext: Some(PLAINTEXT),
};

/// `*.redis.azure.net`: Azure Managed Redis.
pub static MANAGED_REDIS: Service = Service {
    name: "Azure Managed Redis",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: None,
    cluster_fix: Some(CLUSTER_POLICY_FIX),
    eviction_fix: Some(
        " On Azure Managed Redis: az redisenterprise database update --cluster-name NAME -g \
         GROUP --eviction-policy NoEviction.",
    ),
    plaintext: Some(PLAINTEXT),
};

impl ScenarioSpec for Azure {
    fn check_generated_password(&self, _answers: &Answers) -> crate::error::Result<()> {
        Err(crate::error::Error::invalid_secret(
            Field::Password,
            "--generate-password: Azure makes the access key itself; a password generated here would not open the cache",
            "drop --generate-password and pass the cache's key: REDIS_PASSWORD=\"$(az redis list-keys --name NAME --resource-group GROUP --query primaryKey -o tsv)\"",
        ))
    }

    fn id(&self) -> &'static str {
        "azure"
    }

    fn description(&self) -> &'static str {
        "Azure Managed Redis, non-clustered (Azure Cache for Redis runs 6.0: refused)"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::Provider]
    }

    fn questions(&self) -> &'static [Field] {
        super::HOST_PORT_QUESTIONS
    }

    /// Azure Managed Redis listens on 10000; Azure Cache for Redis on 6380.
    fn default_port(&self, host: &str, _tls: bool) -> u16 {
        if host.ends_with(MANAGED_REDIS_SUFFIX) {
            10000
        } else {
            6380
        }
    }

    fn check_host(&self, host: &str) -> Result<()> {
        if self.detect(host, 0) == Some(&CACHE_FOR_REDIS) {
            return Err(Error::invalid_answer(
                Field::Host,
                host,
                "Azure Cache for Redis (Basic/Standard/Premium) runs Redis 6.0, and Chatwoot's \
                     Sidekiq 7 refuses to start below Redis 6.2",
                "use Azure Managed Redis (<name>.<region>.redis.azure.net) with the \
                     non-clustered (Enterprise) clustering policy",
            ));
        }
        Ok(())
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Host => Some(
                "Azure Managed Redis: <name>.<region>.redis.azure.net (Azure Cache for Redis runs 6.0, which Sidekiq refuses)",
            ),
            _ => None,
        }
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.azure.sh.j2")
    }

    /// The cache name is the host's first label.
    fn provider_values(&self, host: &str) -> Vec<(&'static str, String)> {
        vec![(
            "azure_name",
            host.split('.').next().unwrap_or("").to_string(),
        )]
    }

    fn detect(&self, host: &str, _port: u16) -> Option<&'static Service> {
        let h = normalized_host(host);
        if CACHE_FOR_REDIS_SUFFIXES.iter().any(|s| h.ends_with(s)) {
            return Some(&CACHE_FOR_REDIS);
        }
        h.ends_with(MANAGED_REDIS_SUFFIX).then_some(&MANAGED_REDIS)
    }

    fn endpoint_findings(&self, cx: &DoctorContext<'_>) -> Vec<Finding> {
        if *cx.service != CACHE_FOR_REDIS {
            return Vec::new();
        }
        vec![Finding::error(
            "azure-cache-redis-6",
            "Azure Cache for Redis runs Redis 6.0: Sidekiq refuses to start",
        )
        .observed(format!("host {}", cx.host()))
        .why(
            "Sidekiq 7 requires Redis 6.2 or newer; Azure Cache for Redis \
             (Basic/Standard/Premium) offers 6.0.",
        )
        .fix(
            "Use Azure Managed Redis (…redis.azure.net) with a non-clustered (Enterprise) \
             policy, or another Redis ≥ 6.2.",
        )]
    }

    fn endpoint_noun(&self) -> &'static str {
        "an Azure"
    }
}
