//! `azure`: Azure Managed Redis, non-clustered. Azure Cache for Redis runs Redis 6.0 and is
//! refused (Chatwoot's Sidekiq 7 needs 6.2).

use super::super::{Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, ManagedProvider};
use crate::answers::{Answers, Field};
use crate::error::{Error, Result};

pub struct Azure;

/// What redis-settings.sh says about Azure Managed Redis's clustering policy, for doctor.
pub const CLUSTER_POLICY_FIX: &str = "Azure Managed Redis: create the database with the \
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
        if self.detect(host, 0) == Some(ManagedProvider::AzureCacheForRedis) {
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

    fn detect(&self, host: &str, _port: u16) -> Option<ManagedProvider> {
        let h = normalized_host(host);
        if CACHE_FOR_REDIS_SUFFIXES.iter().any(|s| h.ends_with(s)) {
            return Some(ManagedProvider::AzureCacheForRedis);
        }
        h.ends_with(MANAGED_REDIS_SUFFIX)
            .then_some(ManagedProvider::AzureManagedRedis)
    }

    fn endpoint_noun(&self) -> &'static str {
        "an Azure"
    }
}
