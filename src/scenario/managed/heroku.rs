//! `heroku`: Heroku Key-Value Store (the heroku-redis add-on).

use super::super::{DoctorContext, EndpointRecord, Output, Rules, ScenarioSpec, TlsRule};
use super::{normalized_host, Certificate, Service};
use crate::answers::{Answers, Field};
use crate::doctor::finding::{Finding, Severity};
use crate::doctor::settings::ChatwootEnv;
use crate::sizing::Budget;

pub struct Heroku;

static RULES: Rules = Rules {
    tls: TlsRule::Always,
    // Heroku serves a self-signed certificate.
    private_ca: true,
    endpoint_from_url: Some(
        "CHATWOOT_REDIS_URL=\"$(heroku config:get REDIS_URL -a APP)\" chatwoot-redis render …: \
         Heroku gives host, port and password together in REDIS_URL and rotates them",
    ),
    password_in_url: true,
    record: EndpointRecord::Rotating,
    ..Rules::MANAGED
};

/// An EC2 public name (`ec2-….compute-1.amazonaws.com`, `….compute.amazonaws.com`): how
/// Heroku Key-Value Store URLs look. A guess: a self-managed EC2 host looks the same.
pub static SERVICE: Service = Service {
    name: "Heroku Key-Value Store (guessed from the host name)",
    certain: false,
    certificate: Certificate::Private {
        why: "Heroku Key-Value Store presents a self-signed certificate, so verify peer fails \
              the TLS handshake (Chatwoot issue #2420). The host name is only a hint: the live \
              TLS check settles it.",
        fix: "Set REDIS_OPENSSL_VERIFY_MODE=none (exactly, lower case) if this is Heroku \
              Key-Value Store.",
    },
    upgrade_fix: None,
    cluster_fix: None,
    eviction_fix: Some(" On Heroku: heroku redis:maxmemory ADDON -a APP --policy noeviction."),
    plaintext: Some((Severity::Error, "this service requires TLS")),
};

impl ScenarioSpec for Heroku {
    fn check_generated_password(&self, _answers: &Answers) -> crate::error::Result<()> {
        Err(crate::error::Error::invalid_secret(
            Field::Password,
            "--generate-password: Heroku makes the password and puts it in REDIS_URL; a password generated here would not open the add-on",
            "drop --generate-password and pass the add-on's URL: CHATWOOT_REDIS_URL=\"$(heroku config:get REDIS_URL -a APP)\"",
        ))
    }

    fn id(&self) -> &'static str {
        "heroku"
    }

    fn description(&self) -> &'static str {
        "Heroku Key-Value Store (heroku-redis add-on)"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::Provider]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::Url,
            Field::MaxConnections,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
        ]
    }

    fn username_refusal(&self) -> Option<String> {
        Some(format!("{} authenticates the default user only", self.id()))
    }

    fn budget_warnings(&self, a: &Answers, budget: &Budget) -> Vec<String> {
        if a.max_connections.is_some() {
            return Vec::new();
        }
        vec![format!(
            "Heroku Key-Value Store plans cap connections (mini: 20) and Chatwoot reaches {} at \
             this workload (its pools may open {}): pass --max-connections with your plan's \
             limit to have it checked",
            budget.reachable, budget.capacity
        )]
    }

    fn provider_template(&self) -> Option<&'static str> {
        Some("redis-settings.heroku.sh.j2")
    }

    /// A guess: Heroku Key-Value Store URLs name EC2 public hosts.
    fn detect(&self, host: &str, _port: u16) -> Option<&'static Service> {
        let h = normalized_host(host);
        (h.starts_with("ec2-")
            && (h.ends_with(".compute-1.amazonaws.com") || h.ends_with(".compute.amazonaws.com")))
        .then_some(&SERVICE)
    }

    /// A dyno's environment (`DYNO`, `HEROKU_*`).
    fn confirmed_by_env(&self, env: &ChatwootEnv) -> bool {
        env.vars
            .keys()
            .any(|k| k == "DYNO" || k.starts_with("HEROKU_"))
    }

    /// A Heroku-style endpoint whose URL carries the password too (an EC2 name alone could
    /// be a self-managed host).
    fn password_findings(&self, cx: &DoctorContext<'_>) -> Vec<Finding> {
        if cx.url.password.is_none() && !self.confirmed_by_env(cx.env) {
            return Vec::new();
        }
        vec![Finding::warning(
            "heroku-password-set",
            "REDIS_PASSWORD is set for Heroku Key-Value Store",
        )
        .observed(format!("{} is set", cx.env.locate("REDIS_PASSWORD")))
        .why(
            "Heroku rotates the credentials inside REDIS_URL; a REDIS_PASSWORD copy overrides \
             the URL's password and breaks at the next rotation.",
        )
        .fix("heroku config:unset REDIS_PASSWORD (the password stays in REDIS_URL).")]
    }

    fn endpoint_noun(&self) -> &'static str {
        "a Heroku"
    }
}
