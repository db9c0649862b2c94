//! `memorystore`: Google Cloud Memorystore for Redis (not Memorystore Cluster).

use super::super::{Output, Rules, ScenarioSpec};
use super::{normalized_host, ManagedProvider};
use crate::answers::{Answers, Field};

pub struct Memorystore;

static RULES: Rules = Rules {
    private_ca: true,
    auth_optional: true,
    // Memorystore blocks CLIENT: Chatwoot must not send CLIENT SETNAME.
    disable_client_command: true,
    ..Rules::MANAGED
};

/// Memorystore's in-transit encryption port.
const TLS_PORT: u16 = 6378;

impl ScenarioSpec for Memorystore {
    fn check_generated_password(&self, _answers: &Answers) -> crate::error::Result<()> {
        Err(crate::error::Error::invalid_secret(
            Field::Password,
            "--generate-password: Memorystore makes the AUTH string itself; a password generated here would not open the instance",
            "drop --generate-password and pass the instance's: REDIS_PASSWORD=\"$(gcloud redis instances get-auth-string INSTANCE --region REGION --format='value(authString)')\"",
        ))
    }

    fn id(&self) -> &'static str {
        "memorystore"
    }

    fn description(&self) -> &'static str {
        "Google Cloud Memorystore for Redis (not Memorystore Cluster)"
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
            Field::Tls,
            Field::Auth,
            Field::Password,
            Field::Db,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
            Field::MaxConnections,
        ]
    }

    fn default_port(&self, _host: &str, tls: bool) -> u16 {
        if tls {
            TLS_PORT
        } else {
            6379
        }
    }

    fn endpoint_warnings(&self, a: &Answers) -> Vec<String> {
        match (a.tls, a.port) {
            (true, 6379) => vec![
                "Memorystore serves in-transit encryption on port 6378, not 6379".into(),
            ],
            (false, TLS_PORT) => vec![
                "port 6378 is Memorystore's TLS port: add --tls (REDIS_OPENSSL_VERIFY_MODE=none follows)".into(),
            ],
            _ => Vec::new(),
        }
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Host => Some(
                "The instance's private IP (gcloud redis instances describe); Chatwoot must reach it on the VPC",
            ),
            Field::Tls => Some(
                "Memorystore's TLS uses a private CA: Chatwoot has no CA-file option, so verification is skipped",
            ),
            _ => None,
        }
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.memorystore.sh.j2")
    }

    /// A guess: a private IPv4 address on Memorystore's TLS port.
    fn detect(&self, host: &str, port: u16) -> Option<ManagedProvider> {
        if port != TLS_PORT {
            return None;
        }
        normalized_host(host)
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .filter(|ip| ip.is_private())
            .map(|_| ManagedProvider::MemorystoreLikely)
    }

    fn endpoint_noun(&self) -> &'static str {
        "a Memorystore"
    }
}
