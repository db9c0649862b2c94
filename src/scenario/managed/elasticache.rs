//! `elasticache`: AWS ElastiCache, Redis OSS or Valkey, cluster mode disabled.

use super::super::{Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, ManagedProvider};
use crate::answers::{Answers, Auth, Field};
use crate::chatwoot;
use crate::error::{Error, Result};

pub struct Elasticache;

static RULES: Rules = Rules {
    tls: TlsRule::Optional { default: true },
    auth_optional: true,
    // The provider script reads the engine and its version from the replication group, so
    // no version answer is kept (or taken: `--redis-version` is refused as unused).
    ..Rules::MANAGED
};

const SUFFIXES: [&str; 2] = [".cache.amazonaws.com", ".cache.amazonaws.com.cn"];

/// Which kind of ElastiCache endpoint a host of ElastiCache is.
fn kind(h: &str) -> ManagedProvider {
    if h.starts_with("clustercfg.") {
        ManagedProvider::ElastiCacheClusterMode
    } else if h.contains(".serverless.") {
        ManagedProvider::ElastiCacheServerless
    } else {
        ManagedProvider::ElastiCache
    }
}

impl ScenarioSpec for Elasticache {
    fn generated_password_note(&self, a: &Answers) -> Option<String> {
        let labels: Vec<&str> = a.host.split('.').collect();
        let group = match labels.as_slice() {
            ["master" | "replica", g, ..] => g,
            [first, ..] => first.strip_suffix("-ro").unwrap_or(first),
            [] => "GROUP",
        };
        Some(format!(
            "the generated password is new to ElastiCache: set it as the AUTH token before \
             Chatwoot restarts, with REDIS_PASSWORD read from the new .env: aws elasticache \
             modify-replication-group --replication-group-id {group} --auth-token \
             \"$REDIS_PASSWORD\" --auth-token-update-strategy ROTATE --apply-immediately \
             (ROTATE keeps the old token valid until a later SET)"
        ))
    }

    fn id(&self) -> &'static str {
        "elasticache"
    }

    fn description(&self) -> &'static str {
        "AWS ElastiCache, Redis OSS or Valkey, cluster mode disabled"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::Provider]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::Host,
            Field::Port,
            Field::Tls,
            Field::Auth,
            Field::Username,
            Field::Password,
            Field::Db,
            Field::RedisVersion,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
            Field::MaxConnections,
        ]
    }

    fn check_host(&self, host: &str) -> Result<()> {
        match kind(&normalized_host(host)) {
            ManagedProvider::ElastiCacheClusterMode => Err(Error::invalid_answer(
                Field::Host,
                host,
                "a clustercfg. endpoint is an ElastiCache cluster-mode-enabled configuration \
                 endpoint; Sidekiq does not support Redis Cluster",
                "create a replication group with cluster mode disabled and use its primary \
                 endpoint (master.<name>.<id>.<region>.cache.amazonaws.com)",
            )),
            ManagedProvider::ElastiCacheServerless => Err(Error::invalid_answer(
                Field::Host,
                host,
                "ElastiCache Serverless is always clustered; Sidekiq does not support Redis Cluster",
                "use a node-based replication group with cluster mode disabled",
            )),
            _ => Ok(()),
        }
    }

    fn check_password(&self, answers: &Answers, password: &str) -> Result<()> {
        let rule = if answers.username.is_some() {
            if password.chars().count() < 16 || password.contains([',', '"', '/', '@']) {
                Err(
                    "an ElastiCache RBAC user password is 16-128 characters without , \" / @"
                        .to_string(),
                )
            } else {
                Ok(())
            }
        } else {
            chatwoot::check_elasticache_auth_token(password)
        };
        rule.map_err(|why| {
            Error::invalid_secret(
                Field::Password,
                why,
                "set an AUTH token that fits (e.g. from --generate-password) with \
                 `aws elasticache modify-replication-group --auth-token … --auth-token-update-strategy ROTATE`",
            )
        })
    }

    fn check_answers(&self, a: &Answers) -> Result<()> {
        if a.auth == Auth::Password && !a.tls {
            return Err(Error::invalid_answer(
                Field::Tls,
                "false",
                "ElastiCache accepts an AUTH token only with in-transit encryption (TLS) enabled",
                "use --tls (or --auth none for a cache without AUTH)",
            ));
        }
        Ok(())
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::RedisVersion => Some(
                "Engine of the replication group: picks the parameter-group family; Sidekiq 7 needs 6.2+",
            ),
            Field::Host => Some(
                "The primary endpoint (master.…cache.amazonaws.com), cluster mode disabled: Sidekiq cannot use Redis Cluster",
            ),
            Field::Tls => Some(
                "In-transit encryption, chosen when the group was created: ElastiCache accepts AUTH only over TLS",
            ),
            _ => None,
        }
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.elasticache.sh.j2")
    }

    fn detect(&self, host: &str, _port: u16) -> Option<ManagedProvider> {
        let h = normalized_host(host);
        SUFFIXES.iter().any(|s| h.ends_with(s)).then(|| kind(&h))
    }

    fn endpoint_noun(&self) -> &'static str {
        "an ElastiCache"
    }
}
