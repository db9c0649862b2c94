//! `memorystore`: Google Cloud Memorystore for Redis (not Memorystore Cluster).

use super::super::{DoctorContext, Output, Rules, ScenarioSpec, StepContext};
use super::{normalized_host, Certificate, Service};
use crate::answers::{Answers, Field};
use crate::doctor::finding::{Finding, Severity};

pub struct Memorystore;

/// The CA bundle redis-settings.sh writes (system CAs + the instance's server CA).
pub const CA_BUNDLE: &str = "memorystore-ca-bundle.pem";

static RULES: Rules = Rules {
    // A private CA per instance: trusted through SSL_CERT_FILE (verification is the default;
    // --verify-mode none is the fallback when the certificate does not name the IP).
    ca_bundle: Some(CA_BUNDLE),
    auth_optional: true,
    // Google's pages disagree about CLIENT (the supported-commands page allows CLIENT SETNAME
    // on 6.x+, the constraints page blocks CLIENT): REDIS_DISABLE_CLIENT_COMMAND is a
    // harmless safeguard.
    disable_client_command: true,
    ..Rules::MANAGED
};

/// Memorystore's in-transit encryption port.
const TLS_PORT: u16 = 6378;

/// A private IPv4 address on port 6378: Memorystore's TLS port. A guess.
pub static SERVICE: Service = Service {
    name: "Google Cloud Memorystore (guessed from a private IP on port 6378)",
    certain: false,
    certificate: Certificate::Private {
        why: "Memorystore presents a per-instance private CA that only SSL_CERT_FILE can make \
              trusted; otherwise the TLS handshake fails. The host name is only a hint: the \
              live TLS check settles it.",
        fix: "Set SSL_CERT_FILE to the CA bundle redis-settings.sh writes, in Chatwoot's \
              process environment; otherwise set REDIS_OPENSSL_VERIFY_MODE=none (exactly, lower \
              case) if this is that service.",
    },
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: Some(
        " On Memorystore: gcloud redis instances update ID --region R --update-redis-config \
         maxmemory-policy=noeviction.",
    ),
    plaintext: Some((Severity::Error, "port 6378 is Memorystore's TLS port")),
};

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
                "port 6378 is Memorystore's TLS port: add --tls (the certificate is then verified with SSL_CERT_FILE)".into(),
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
                "Memorystore's TLS uses a private CA per instance: redis-settings.sh writes memorystore-ca-bundle.pem and Chatwoot trusts it through SSL_CERT_FILE (REDIS_OPENSSL_VERIFY_MODE=none only as the fallback)",
            ),
            _ => None,
        }
    }

    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        let mut steps = super::provider_next_steps(cx);
        if let Some(path) = &cx.answers.ssl_cert_file {
            steps.insert(
                steps.len().min(1),
                format!(
                    "install -D -m 0644 {CA_BUNDLE} {path}    # where Chatwoot runs; SSL_CERT_FILE \
                     must reach its process environment (Compose env_file, Kubernetes env, \
                     systemd Environment=): Ruby reads it before dotenv loads .env. On a hostname \
                     mismatch render again with --verify-mode none"
                ),
            );
        }
        steps
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.memorystore.sh.j2")
    }

    /// A guess: a private IPv4 address on Memorystore's TLS port.
    fn detect(&self, host: &str, port: u16) -> Option<&'static Service> {
        if port != TLS_PORT {
            return None;
        }
        normalized_host(host)
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .filter(|ip| ip.is_private())
            .map(|_| &SERVICE)
    }

    fn endpoint_findings(&self, cx: &DoctorContext<'_>) -> Vec<Finding> {
        if cx.env.present("REDIS_DISABLE_CLIENT_COMMAND").is_some() {
            return Vec::new();
        }
        vec![Finding::warning(
            "memorystore-client-command",
            "Memorystore: REDIS_DISABLE_CLIENT_COMMAND is a harmless safeguard (Google's pages \
             disagree)",
        )
        .observed(format!(
            "{}:{} looks like Memorystore and REDIS_DISABLE_CLIENT_COMMAND is not set",
            cx.host(),
            cx.url.port
        ))
        .why(
            "ActionCable sends CLIENT SETNAME on connect. Google's pages disagree about \
             Memorystore (the supported-commands page allows CLIENT SETNAME on 6.x and later, \
             the constraints page blocks CLIENT); where it is blocked, realtime updates fail.",
        )
        .fix(
            "Set REDIS_DISABLE_CLIENT_COMMAND=true: it only drops the connection name, so it \
             is harmless either way.",
        )]
    }

    fn endpoint_noun(&self) -> &'static str {
        "a Memorystore"
    }
}
