//! `digitalocean`: DigitalOcean Managed Valkey.

use super::super::{Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, Certificate, Service};
use crate::answers::{Answers, Field, RedisVersion};
use crate::doctor::finding::Severity;
use crate::error::{Error, Result};

pub struct Digitalocean;

static RULES: Rules = Rules {
    tls: TlsRule::Always,
    default_username: Some("default"),
    default_version: RedisVersion::Valkey80,
    password_in_url: true,
    ..Rules::MANAGED
};

/// Managed Valkey is TLS-only, on 25061. 25060 is the port of DigitalOcean's managed
/// PostgreSQL and MySQL, not a plain-text Valkey port: a URL with it reaches no Valkey.
const TLS_PORT: u16 = 25061;
const SQL_PORT: u16 = 25060;

/// `*.db.ondigitalocean.com`.
pub static SERVICE: Service = Service {
    name: "DigitalOcean Managed Valkey",
    certain: true,
    certificate: Certificate::Public,
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: Some(
        " On DigitalOcean: set the eviction policy to noeviction in the database settings \
         (doctl databases configuration update).",
    ),
    plaintext: Some((Severity::Error, "this service requires TLS")),
};

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
        super::HOST_PORT_QUESTIONS
    }

    fn default_port(&self, _host: &str, _tls: bool) -> u16 {
        TLS_PORT
    }

    fn check_answers(&self, a: &Answers) -> Result<()> {
        if a.port == SQL_PORT {
            return Err(Error::invalid_answer(
                Field::Port,
                SQL_PORT.to_string(),
                "DigitalOcean Managed Valkey is TLS-only on port 25061; 25060 is the port of \
                 DigitalOcean's managed PostgreSQL and MySQL, where no Valkey answers",
                "use --port 25061 (or leave --port out), as the cluster's connection details show",
            ));
        }
        Ok(())
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Host => Some(
                "The cluster's host (…db.ondigitalocean.com) from the control panel's connection details",
            ),
            Field::Port => Some(
                "Managed Valkey is TLS-only on 25061 (25060 is DigitalOcean's PostgreSQL/MySQL port, refused)",
            ),
            _ => None,
        }
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.digitalocean.sh.j2")
    }

    fn detect(&self, host: &str, _port: u16) -> Option<&'static Service> {
        normalized_host(host)
            .ends_with(".db.ondigitalocean.com")
            .then_some(&SERVICE)
    }

    fn endpoint_noun(&self) -> &'static str {
        "a DigitalOcean"
    }
}
