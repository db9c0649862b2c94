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
    // The engine version picks the parameter-group family of the provider script.
    records_version: true,
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
            let n = password.chars().count();
            if !(16..=128).contains(&n) || password.contains([',', '"', '/', '@']) {
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
        let fix = if answers.username.is_some() {
            "set a password that fits (e.g. from --generate-password) on the RBAC user with \
             `aws elasticache modify-user --user-id … --passwords …`"
        } else {
            "set an AUTH token that fits (e.g. from --generate-password) with \
             `aws elasticache modify-replication-group --auth-token … --auth-token-update-strategy ROTATE`"
        };
        rule.map_err(|why| Error::invalid_secret(Field::Password, why, fix))
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

    fn provider_values(&self, host: &str) -> Vec<(&'static str, String)> {
        let (group, region) = elasticache_parts(host);
        vec![("elasticache_group", group), ("elasticache_region", region)]
    }

    fn detect(&self, host: &str, _port: u16) -> Option<ManagedProvider> {
        let h = normalized_host(host);
        SUFFIXES.iter().any(|s| h.ends_with(s)).then(|| kind(&h))
    }

    fn endpoint_noun(&self) -> &'static str {
        "an ElastiCache"
    }
}

/// ElastiCache: `master.<group>.<id>.<region-code>.cache.amazonaws.com` → group and region.
fn elasticache_parts(host: &str) -> (String, String) {
    let labels: Vec<&str> = host.split('.').collect();
    let group = match labels.first() {
        Some(&"master") | Some(&"replica") => labels.get(1).copied().unwrap_or(""),
        Some(first) => first,
        None => "",
    };
    let region = labels
        .iter()
        .rev()
        .nth(3)
        .and_then(|code| aws_region_from_code(code))
        .unwrap_or_default();
    (group.to_string(), region)
}

/// `use1` → `us-east-1`, `apse2` → `ap-southeast-2`.
fn aws_region_from_code(code: &str) -> Option<String> {
    let digits = code.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = &code[..code.len() - digits.len()];
    if digits.is_empty() || letters.len() < 3 {
        return None;
    }
    let (area, dir) = letters.split_at(2);
    let dir = match dir {
        "e" => "east",
        "w" => "west",
        "n" => "north",
        "s" => "south",
        "c" => "central",
        "ne" => "northeast",
        "se" => "southeast",
        "nw" => "northwest",
        "sw" => "southwest",
        _ => return None,
    };
    if !["us", "eu", "ap", "ca", "sa", "me", "af", "il", "mx"].contains(&area) {
        return None;
    }
    Some(format!("{area}-{dir}-{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elasticache_endpoint_parts() {
        assert_eq!(
            elasticache_parts("master.chatwoot.abc123.use1.cache.amazonaws.com"),
            ("chatwoot".into(), "us-east-1".into())
        );
        assert_eq!(
            elasticache_parts("master.cw.x1.apse2.cache.amazonaws.com").1,
            "ap-southeast-2"
        );
        assert_eq!(elasticache_parts("10.0.0.1").1, "");
    }
}
