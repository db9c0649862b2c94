//! `digitalocean`: DigitalOcean Managed Valkey.

use super::super::{Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, ManagedProvider};
use crate::answers::{Answers, Field, RedisVersion};

pub struct Digitalocean;

static RULES: Rules = Rules {
    tls: TlsRule::Always,
    default_username: Some("default"),
    default_version: RedisVersion::Valkey8,
    password_in_url: true,
    ..Rules::MANAGED
};

/// DigitalOcean serves TLS on 25061; 25060 is its plain-text port.
const TLS_PORT: u16 = 25061;
const PLAIN_PORT: u16 = 25060;

impl ScenarioSpec for Digitalocean {
    fn check_generated_password(&self, _answers: &Answers) -> crate::error::Result<()> {
        Err(crate::error::Error::invalid_secret(
            Field::Password,
            "--generate-password: DigitalOcean makes the database password itself; a password generated here would not open the cluster",
            "drop --generate-password and pass the cluster's: REDIS_PASSWORD=\"$(doctl databases connection CLUSTER_ID --format Password --no-header)\"",
        ))
    }

    fn id(&self) -> &'static str {
        "digitalocean"
    }

    fn description(&self) -> &'static str {
        "DigitalOcean Managed Valkey"
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
            Field::Password,
            Field::Db,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
            Field::MaxConnections,
        ]
    }

    fn default_port(&self, _host: &str, _tls: bool) -> u16 {
        TLS_PORT
    }

    fn endpoint_warnings(&self, a: &Answers) -> Vec<String> {
        if a.tls && a.port == PLAIN_PORT {
            return vec![
                "DigitalOcean serves TLS on port 25061; 25060 is the plain-text port".into(),
            ];
        }
        Vec::new()
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Host => Some(
                "The cluster's host (…db.ondigitalocean.com) from the control panel's connection details",
            ),
            _ => None,
        }
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.digitalocean.sh.j2")
    }

    fn detect(&self, host: &str, _port: u16) -> Option<ManagedProvider> {
        normalized_host(host)
            .ends_with(".db.ondigitalocean.com")
            .then_some(ManagedProvider::DigitalOcean)
    }

    fn endpoint_noun(&self) -> &'static str {
        "a DigitalOcean"
    }
}
