//! An answer the tool acts on is saved and honoured on the next render: every answer given
//! now must survive a round trip through the answers file. One that does not is refused when
//! given now (flag or `CHATWOOT_REDIS_*`), and reported as ignored when it came from the file.

use super::{resolve, to_answers_yaml, Answers, Field, RawAnswers};
use crate::error::{Error, Result};
use crate::scenario::{EndpointRecord, Output};

/// The answers that make up an endpoint.
const ENDPOINT_FIELDS: [Field; 7] = [
    Field::Url,
    Field::Host,
    Field::Port,
    Field::Tls,
    Field::VerifyMode,
    Field::Db,
    Field::Username,
];

/// Each answer of a resolved set, as text to compare.
fn facets(a: &Answers) -> Vec<(Field, String)> {
    let w = &a.workload;
    vec![
        (Field::Host, a.host.clone()),
        (Field::Port, a.port.to_string()),
        (Field::Username, a.username.clone().unwrap_or_default()),
        (Field::Db, a.db.to_string()),
        (Field::Tls, a.tls.to_string()),
        (Field::VerifyMode, a.verify_mode.id().into()),
        (Field::Auth, a.auth.id().into()),
        (
            Field::Sentinels,
            a.sentinels
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        (Field::SentinelMaster, a.sentinel_master.clone()),
        (Field::SentinelAuth, a.sentinel_auth.id().into()),
        (Field::RedisVersion, a.redis_version.id().into()),
        (Field::Maxmemory, a.maxmemory.bytes.to_string()),
        (Field::WebProcesses, w.web_processes.to_string()),
        (Field::WebThreads, w.web_threads.to_string()),
        (Field::SidekiqProcesses, w.sidekiq_processes.to_string()),
        (Field::SidekiqConcurrency, w.sidekiq_concurrency.to_string()),
        (
            Field::MaxConnections,
            a.max_connections.map(|m| m.to_string()).unwrap_or_default(),
        ),
        (
            Field::Emit,
            a.outputs
                .iter()
                .map(|o| o.id())
                .collect::<Vec<_>>()
                .join(","),
        ),
        (Field::Release, a.release.clone()),
        (Field::Namespace, a.namespace.clone()),
        (Field::ConfigDir, a.config_dir.clone()),
        (Field::DataDir, a.data_dir.clone()),
    ]
}

/// Why a scenario renders nothing from an answer.
fn why_ignored(a: &Answers, field: Field) -> String {
    let sc = a.scenario;
    match field {
        Field::VerifyMode if !a.tls => {
            "without TLS there is no certificate to check (Chatwoot reads \
             REDIS_OPENSSL_VERIFY_MODE only for rediss://)"
                .into()
        }
        Field::Maxmemory if sc.is_managed() => format!(
            "{sc} sets the memory limit by plan or node type; there is no redis.conf of yours"
        ),
        Field::RedisVersion if sc.is_managed() => format!(
            "{sc} runs the engine version chosen at the provider; nothing rendered here depends on it"
        ),
        Field::Host | Field::Port if sc.rules().compose => {
            "Chatwoot reaches the Compose redis service as redis:6379 inside the project \
             network, and docker-compose.production.yaml publishes 6379 on 127.0.0.1"
                .into()
        }
        Field::Host | Field::Port if sc.rules().sentinel && a.sentinels.is_empty() => {
            "Chatwoot reaches the chart's bundled Redis by its own service names; a host \
             applies only to external sentinels (--sentinels)"
                .into()
        }
        Field::ConfigDir | Field::DataDir => {
            "only single-server installs redis.conf and keeps data on this host".into()
        }
        Field::Release | Field::Namespace if !a.outputs.contains(&Output::Helm) => {
            "nothing rendered is a Kubernetes object (add --emit +helm for values.redis.yaml)"
                .into()
        }
        _ => format!("{sc} renders nothing from it"),
    }
}

/// The given answers that the answers file would not bring back: an error for the first one
/// given now, and a warning for each one read from the answers file only (the next write
/// drops it).
pub fn check_saved(a: &Answers, merged: &RawAnswers, given: &RawAnswers) -> Result<Vec<String>> {
    let mut saved = match RawAnswers::from_yaml(&to_answers_yaml(a), "answers") {
        Ok(s) => s,
        Err(_) => return Ok(Vec::new()),
    };
    if a.scenario.rules().record == EndpointRecord::Rotating {
        // The endpoint comes back from the `.env` (or the provider's URL), not from the file.
        for field in ENDPOINT_FIELDS {
            if let Some(v) = merged.get(field) {
                saved.set(field, v);
            }
        }
    }
    let Ok(back) = resolve(&saved) else {
        return Ok(Vec::new());
    };
    let mut warnings = Vec::new();
    let now = facets(a);
    let then = facets(&back);
    for ((field, value), (_, saved_value)) in now.iter().zip(then.iter()) {
        if value == saved_value {
            continue;
        }
        let source = [*field, Field::Url]
            .into_iter()
            .find(|f| merged.get(*f).is_some());
        let Some(source) = source else {
            continue;
        };
        let shown = match source {
            Field::Url => super::redact_url(merged.get(source).unwrap_or_default()),
            _ => merged.get(source).unwrap_or_default().to_string(),
        };
        let why = why_ignored(a, *field);
        if given.get(source).is_some() {
            return Err(Error::invalid_answer(
                source,
                shown,
                format!("{} is not used: {why}", field.name()),
                format!(
                    "remove --{source} (or {}); the answers file would not keep it, so the next \
                     render would differ",
                    source.env_var()
                ),
            ));
        }
        warnings.push(format!(
            "ignored `{source}: {shown}` of the answers file because {why}; the next write \
             drops it"
        ));
    }
    Ok(warnings)
}
