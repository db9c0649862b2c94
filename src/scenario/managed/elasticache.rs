//! `elasticache`: AWS ElastiCache, Redis OSS or Valkey, cluster mode disabled.

use super::super::{DoctorContext, Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, Certificate, Service};
use crate::answers::{Answers, Auth, Field};
use crate::chatwoot;
use crate::doctor::finding::{Finding, Severity};
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

/// `*.cache.amazonaws.com`, cluster mode disabled.
pub static NODE_BASED: Service = Service {
    name: "AWS ElastiCache",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: Some(
        " On ElastiCache: a custom parameter group with maxmemory-policy=noeviction (aws \
         elasticache modify-cache-parameter-group …), then modify-replication-group \
         --cache-parameter-group-name … --apply-immediately.",
    ),
    plaintext: None,
};

/// `clustercfg.*.cache.amazonaws.com`: cluster mode enabled (Sidekiq cannot use it).
pub static CLUSTER_MODE: Service = Service {
    name: "AWS ElastiCache (cluster mode enabled)",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: None,
    plaintext: None,
};

/// `*.serverless.*.cache.amazonaws.com`: always clustered.
pub static SERVERLESS: Service = Service {
    name: "AWS ElastiCache Serverless",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: None,
    plaintext: None,
};

/// Which kind of ElastiCache endpoint a host of ElastiCache is.
fn kind(h: &str) -> &'static Service {
    if h.starts_with("clustercfg.") {
        &CLUSTER_MODE
    } else if h.contains(".serverless.") {
        &SERVERLESS
    } else {
        &NODE_BASED
    }
}

/// What an ElastiCache endpoint of a cluster-mode-disabled group points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointShape {
    /// The primary endpoint (follows failovers): `master.<group>.…` or `<group>.<id>.ng.…`.
    Primary,
    /// The reader endpoint (replicas only): `replica.<group>.…` or `<group>-ro.<id>.ng.…`.
    Reader,
    /// One node: `<group>-001.<id>.0001.…` (the primary only until the first failover).
    Node,
}

/// The endpoint's shape and its replication group id, from every endpoint form AWS gives.
pub fn endpoint_shape(host: &str) -> (EndpointShape, String) {
    let h = normalized_host(host);
    let labels: Vec<&str> = h.split('.').collect();
    let node_suffix = |first: &str| {
        first
            .rsplit_once('-')
            .filter(|(g, n)| !g.is_empty() && n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(g, _)| g.to_string())
    };
    match labels.as_slice() {
        ["master", group, ..] => (EndpointShape::Primary, group.to_string()),
        ["replica", group, ..] => (EndpointShape::Reader, group.to_string()),
        [first, _, third, ..] if third.bytes().all(|b| b.is_ascii_digit()) => {
            match node_suffix(first) {
                Some(group) => (EndpointShape::Node, group),
                None => (EndpointShape::Primary, first.to_string()),
            }
        }
        [first, ..] => match first.strip_suffix("-ro") {
            Some(group) if !group.is_empty() => (EndpointShape::Reader, group.to_string()),
            _ => (EndpointShape::Primary, first.to_string()),
        },
        [] => (EndpointShape::Primary, String::new()),
    }
}

impl ScenarioSpec for Elasticache {
    fn endpoint_warnings(&self, a: &Answers) -> Vec<String> {
        match endpoint_shape(&a.host) {
            (EndpointShape::Node, group) => vec![format!(
                "{} is one node of {group}: it takes writes only while it is the primary, and \
                 after the first failover every Chatwoot write fails with READONLY; use the \
                 group's primary endpoint (aws elasticache describe-replication-groups \
                 --replication-group-id {group} --query \
                 'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address')",
                a.host
            )],
            _ => Vec::new(),
        }
    }

    fn generated_password_note(&self, a: &Answers) -> Option<String> {
        let (_, group) = endpoint_shape(&a.host);
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
        if let (EndpointShape::Reader, group) = endpoint_shape(host) {
            return Err(Error::invalid_answer(
                Field::Host,
                host,
                "this is the group's reader endpoint: it reaches replicas only, and every \
                 Chatwoot write (Sidekiq jobs, ActionCable, caches) would fail with READONLY",
                format!(
                    "use the primary endpoint of {group} (master.{group}.… or {group}.….ng.…; \
                     aws elasticache describe-replication-groups --replication-group-id {group})"
                ),
            ));
        }
        let service = kind(&normalized_host(host));
        if *service == CLUSTER_MODE {
            return Err(Error::invalid_answer(
                Field::Host,
                host,
                "a clustercfg. endpoint is an ElastiCache cluster-mode-enabled configuration \
                 endpoint; Sidekiq does not support Redis Cluster",
                "create a replication group with cluster mode disabled and use its primary \
                 endpoint (master.<name>.<id>.<region>.cache.amazonaws.com)",
            ));
        }
        if *service == SERVERLESS {
            return Err(Error::invalid_answer(
                Field::Host,
                host,
                "ElastiCache Serverless is always clustered; Sidekiq does not support Redis Cluster",
                "use a node-based replication group with cluster mode disabled",
            ));
        }
        Ok(())
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

    fn detect(&self, host: &str, _port: u16) -> Option<&'static Service> {
        let h = normalized_host(host);
        SUFFIXES.iter().any(|s| h.ends_with(s)).then(|| kind(&h))
    }

    fn plaintext_risk(
        &self,
        service: &Service,
        sends_password: bool,
    ) -> Option<(Severity, &'static str)> {
        (*service == NODE_BASED && sends_password).then_some((
            Severity::Error,
            "ElastiCache accepts AUTH only with in-transit encryption (TLS) on",
        ))
    }

    fn endpoint_findings(&self, cx: &DoctorContext<'_>) -> Vec<Finding> {
        if *cx.service == NODE_BASED {
            return Vec::new();
        }
        vec![Finding::error(
            "cluster-endpoint",
            format!(
                "REDIS_URL points at {}: Redis Cluster is not supported",
                cx.service.name
            ),
        )
        .observed(format!("host {}", cx.host()))
        .why(
            "Sidekiq does not support Redis Cluster (keys of one job span slots); Chatwoot \
             needs a standalone or Sentinel-managed primary.",
        )
        .fix(
            "Create an ElastiCache replication group with cluster mode disabled and use its \
             primary endpoint (master.….cache.amazonaws.com).",
        )]
    }

    fn endpoint_noun(&self) -> &'static str {
        "an ElastiCache"
    }
}

/// ElastiCache: `master.<group>.<id>.<region-code>.cache.amazonaws.com` → group and region.
fn elasticache_parts(host: &str) -> (String, String) {
    let labels: Vec<&str> = host.split('.').collect();
    let group = endpoint_shape(host).1;
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

    #[test]
    fn aws_region_codes_map_to_region_names() {
        for (code, region) in [
            ("use1", "us-east-1"),
            ("usw2", "us-west-2"),
            ("euc1", "eu-central-1"),
            ("eun1", "eu-north-1"),
            ("aps1", "ap-south-1"),
            ("apne1", "ap-northeast-1"),
            ("apse2", "ap-southeast-2"),
            ("cac1", "ca-central-1"),
            ("sae1", "sa-east-1"),
            ("mec1", "me-central-1"),
            ("afs1", "af-south-1"),
            ("ilc1", "il-central-1"),
            ("mxc1", "mx-central-1"),
            ("usnw1", "us-northwest-1"),
            ("ussw1", "us-southwest-1"),
        ] {
            assert_eq!(
                aws_region_from_code(code).as_deref(),
                Some(region),
                "{code}"
            );
        }
        for bad in [
            "use", "us1", "u1", "1", "", "xxe1", "usx1", "usee1", "cache",
        ] {
            assert_eq!(aws_region_from_code(bad), None, "{bad:?}");
        }
    }
}
