//! The deployment scenarios. Each scenario is one module implementing [`ScenarioSpec`] and one
//! line in [`SCENARIOS`]: its id and description, defaults, rules (hosts, ports, TLS, auth,
//! password placement), default outputs, wizard questions and help, warnings, next steps,
//! doctor's recognition of its endpoints ([`Service`]) and doctor's findings about them.
//! Nothing else in the crate lists the scenarios or names a provider.

#![warn(clippy::too_many_lines)]

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::answers::{Answers, Field, RedisVersion};
use crate::chatwoot::{RedisUrl, SentinelAddr, UrlScheme};
use crate::doctor::finding::{Finding, Severity};
use crate::doctor::settings::{ChatwootEnv, Settings};
use crate::error::Result;
use crate::output::FileKind;
use crate::sizing::Budget;

mod docker_compose;
pub(crate) mod kubernetes;
pub mod managed;
mod single_server;

pub use docker_compose::{find_layout as find_compose_layout, ComposeLayout};
pub use managed::{detect_provider, Certificate, ManagedProvider, Service};

/// Every scenario, in the order `scenarios`, `--help` and the wizard list them.
pub static SCENARIOS: &[&dyn ScenarioSpec] = &[
    &single_server::SingleServer,
    &docker_compose::DockerCompose,
    &kubernetes::KubernetesSentinel,
    &managed::elasticache::Elasticache,
    &managed::azure::Azure,
    &managed::memorystore::Memorystore,
    &managed::heroku::Heroku,
    &managed::digitalocean::Digitalocean,
    #[cfg(test)]
    &throwaway::Throwaway,
];

/// TLS between Chatwoot and this scenario's Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRule {
    /// Loopback or a private network; in Sentinel mode Chatwoot never uses TLS.
    Never,
    /// The endpoint may or may not have in-transit encryption.
    Optional { default: bool },
    /// The service accepts TLS connections only.
    Always,
}

/// Which endpoint answers the answers file records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointRecord {
    /// The endpoint is fixed by the scenario (the Compose service name).
    Nothing,
    /// Release, namespace, sentinels (and the host behind them) and the master name.
    Sentinel,
    /// Host, port, TLS, verify mode and database.
    HostPort,
    /// Nothing of the endpoint: it rotates together with the password (Heroku's `REDIS_URL`),
    /// so each render takes it from `CHATWOOT_REDIS_URL`/`--url`, else from the `REDIS_URL`
    /// of the `.env` written before.
    Rotating,
}

/// The declarative part of a scenario: what is allowed, what is the default, what is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// A managed service: no redis.conf of ours, no Sentinel, CONFIG blocked.
    pub managed: bool,
    /// Chatwoot runs in Sentinel mode (REDIS_SENTINELS, no database number, no user name).
    pub sentinel: bool,
    /// Redis runs as the Compose `redis` service (its password comes from `.env`).
    pub compose: bool,
    pub tls: TlsRule,
    /// The service's certificate comes from a private or self-signed CA: verification is off
    /// by default and `--verify-mode peer` is refused (Chatwoot has no CA-file option).
    pub private_ca: bool,
    /// The service's private CA can be trusted: the provider script writes this CA bundle
    /// (system CAs + the server's CA) and Chatwoot reads it through `SSL_CERT_FILE`, which
    /// Ruby's OpenSSL honours. Verification is then the default with TLS.
    pub ca_bundle: Option<&'static str>,
    /// `--auth none` is allowed (loopback, or a provider that offers no-AUTH instances).
    pub auth_optional: bool,
    /// The ACL user Chatwoot sends when none is given.
    pub default_username: Option<&'static str>,
    pub default_version: RedisVersion,
    /// The provider hands out host and port as one URL (`--url`) and has no default port:
    /// the missing-answer line when no port is given.
    pub endpoint_from_url: Option<&'static str>,
    /// The password stays in REDIS_URL (the provider's URL carries it).
    pub password_in_url: bool,
    /// The password can only be REDIS_PASSWORD; the reason, for refusals.
    pub password_env_only: Option<&'static str>,
    /// The CLIENT command is blocked: Chatwoot must not send CLIENT SETNAME.
    pub disable_client_command: bool,
    pub record: EndpointRecord,
    /// The answers file records `redis-version` (it picks directives or a parameter group).
    pub records_version: bool,
    /// The answers file records `config-dir` and `data-dir`.
    pub records_dirs: bool,
}

impl Rules {
    /// A managed service with the common answers: TLS optional (off), AUTH required, Redis
    /// 7.2, host and port recorded. A scenario states only what differs.
    pub const MANAGED: Rules = Rules {
        managed: true,
        sentinel: false,
        compose: false,
        tls: TlsRule::Optional { default: false },
        private_ca: false,
        ca_bundle: None,
        auth_optional: false,
        default_username: None,
        default_version: RedisVersion::Redis72,
        endpoint_from_url: None,
        password_in_url: false,
        password_env_only: None,
        disable_client_command: false,
        record: EndpointRecord::HostPort,
        records_version: false,
        records_dirs: false,
    };

    /// A Redis of the user's own (not managed): no TLS, AUTH required, a redis.conf of ours.
    pub const SELF_HOSTED: Rules = Rules {
        managed: false,
        tls: TlsRule::Never,
        records_version: true,
        ..Rules::MANAGED
    };
}

/// What a next-step list may ask about the rendered files.
pub struct StepContext<'a> {
    pub answers: &'a Answers,
    /// True when this kind of file was rendered.
    pub has: &'a dyn Fn(FileKind) -> bool,
    /// A rendered file's path as a shell word to copy.
    pub path: &'a dyn Fn(&str) -> String,
}

/// What a scenario's doctor findings may read: the environment Chatwoot sees, the endpoint
/// it connects to and the service recognised there.
pub struct DoctorContext<'a> {
    pub env: &'a ChatwootEnv,
    pub settings: &'a Settings,
    pub url: &'a RedisUrl,
    pub service: &'static Service,
}

impl DoctorContext<'_> {
    pub fn host(&self) -> &str {
        self.url.effective_host()
    }

    /// Chatwoot connects with TLS (`rediss://`).
    pub fn tls(&self) -> bool {
        self.url.scheme == UrlScheme::Rediss
    }
}

/// One deployment scenario. Hooks have defaults for the common case; a scenario overrides
/// what is its own.
pub trait ScenarioSpec: Sync {
    /// The `--scenario` id.
    fn id(&self) -> &'static str;
    /// One line for lists and the wizard's select.
    fn description(&self) -> &'static str;
    fn rules(&self) -> &'static Rules;
    /// The outputs `render` writes when `--emit` is not given.
    fn default_outputs(&self) -> &'static [Output];
    /// The answers this scenario asks for (flag names), in wizard order.
    fn questions(&self) -> &'static [Field];

    /// The host when none is given.
    fn default_host(&self, _release: &str, _sentinels: &[SentinelAddr]) -> Option<String> {
        None
    }
    /// The port when neither `--port` nor `--url` gives one.
    fn default_port(&self, _host: &str, _tls: bool) -> u16 {
        6379
    }
    /// Endpoint rules known from the host name alone.
    fn check_host(&self, _host: &str) -> Result<()> {
        Ok(())
    }
    /// Why `--username` is refused here, if it is.
    fn username_refusal(&self) -> Option<String> {
        None
    }
    /// Password rules of the service beyond what every reader needs.
    fn check_password(&self, _answers: &Answers, _password: &str) -> Result<()> {
        Ok(())
    }
    /// `--generate-password` here: refused where the provider makes the credential, else
    /// fine (the note on setting it at the provider is [`ScenarioSpec::generated_password_note`]).
    fn check_generated_password(&self, _answers: &Answers) -> Result<()> {
        Ok(())
    }
    /// What to run so that the provider uses a password generated here.
    fn generated_password_note(&self, _answers: &Answers) -> Option<String> {
        None
    }
    /// Rules over the whole set of answers, checked before rendering.
    fn check_answers(&self, _answers: &Answers) -> Result<()> {
        Ok(())
    }
    /// Warnings about the connection budget, shown before any other.
    fn budget_warnings(&self, _answers: &Answers, _budget: &Budget) -> Vec<String> {
        Vec::new()
    }
    /// Warnings about the endpoint (a port that does not fit TLS, …).
    fn endpoint_warnings(&self, _answers: &Answers) -> Vec<String> {
        Vec::new()
    }
    /// The wizard's one line on why an answer matters, when this scenario says it its own way.
    fn help(&self, _field: Field) -> Option<&'static str> {
        None
    }
    /// What to run after writing (before the Helm steps every scenario shares).
    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        managed::provider_next_steps(cx)
    }
    /// The provider script's template (`--emit provider`), for managed services.
    fn provider_template(&self) -> Option<&'static str> {
        None
    }
    /// Values the provider script's template reads as `v.provider.<name>` (derived from the
    /// endpoint: the replication group, the cache name, …).
    fn provider_values(&self, _host: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Doctor's recognition of this scenario's endpoints: the service this host (and port)
    /// is, or a guess of it ([`Service::certain`]).
    fn detect(&self, _host: &str, _port: u16) -> Option<&'static Service> {
        None
    }
    /// The environment proves that a guessed endpoint is this service (a Heroku dyno's
    /// variables), so doctor's findings about it are certain.
    fn confirmed_by_env(&self, _env: &ChatwootEnv) -> bool {
        false
    }
    /// The severity of a plain-text connection to `service` and why, when it differs from
    /// [`managed::PLAINTEXT_RISK`]; `sends_password`: Chatwoot sends AUTH.
    fn plaintext_risk(
        &self,
        service: &Service,
        _sends_password: bool,
    ) -> Option<(Severity, &'static str)> {
        service.plaintext
    }
    /// Doctor's findings about the password Chatwoot sends to this service (after the
    /// general password checks).
    fn password_findings(&self, _cx: &DoctorContext<'_>) -> Vec<Finding> {
        Vec::new()
    }
    /// Doctor's findings about this service's endpoint (after the general TLS checks).
    fn endpoint_findings(&self, _cx: &DoctorContext<'_>) -> Vec<Finding> {
        Vec::new()
    }
    /// How a refusal names an endpoint of this scenario ("an ElastiCache endpoint").
    fn endpoint_noun(&self) -> &'static str {
        self.description()
    }
}

/// A scenario, by value: a handle on its entry in [`SCENARIOS`].
#[derive(Clone, Copy)]
pub struct Scenario(&'static dyn ScenarioSpec);

impl Scenario {
    /// Every scenario of the registry.
    pub fn all() -> impl Iterator<Item = Scenario> {
        SCENARIOS.iter().map(|s| Scenario(*s))
    }

    /// Every scenario id, in registry order.
    pub fn ids() -> Vec<&'static str> {
        SCENARIOS.iter().map(|s| s.id()).collect()
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::all().find(|sc| sc.id() == s)
    }

    pub fn is_managed(self) -> bool {
        self.rules().managed
    }
}

impl std::ops::Deref for Scenario {
    type Target = dyn ScenarioSpec;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Scenario {
    fn eq(&self, other: &Self) -> bool {
        self.0.id() == other.0.id()
    }
}

impl Eq for Scenario {}

impl Hash for Scenario {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id().hash(state);
    }
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scenario({})", self.0.id())
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.id())
    }
}

/// An output kind that `--emit` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    Env,
    RedisConf,
    Compose,
    Helm,
    /// `redis-master-proxy.yaml`: a master-following address for ActionCable (Sentinel only).
    MasterProxy,
    Provider,
    /// The host's limits for a self-hosted Redis: systemd drop-in and sysctl file.
    HostLimits,
}

impl Output {
    pub const ALL: [Output; 7] = [
        Output::Env,
        Output::RedisConf,
        Output::Compose,
        Output::Helm,
        Output::MasterProxy,
        Output::Provider,
        Output::HostLimits,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Output::Env => "env",
            Output::RedisConf => "redis-conf",
            Output::Compose => "compose",
            Output::Helm => "helm",
            Output::MasterProxy => "master-proxy",
            Output::Provider => "provider",
            Output::HostLimits => "host-limits",
        }
    }

    pub fn parse(s: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.id() == s)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// `chatwoot-redis scenarios`: the table of scenarios, outputs and questions.
pub fn describe_all() -> String {
    let mut out = String::new();
    for sc in Scenario::all() {
        let outputs: Vec<&str> = sc.default_outputs().iter().map(|o| o.id()).collect();
        out.push_str(&format!("{}\n  {}\n", sc.id(), sc.description()));
        out.push_str(&format!("  outputs:   {}\n", outputs.join(", ")));
        if sc.questions().contains(&Field::RedisVersion) {
            out.push_str(&format!(
                "  version:   {} unless --redis-version says otherwise\n",
                sc.rules().default_version.label()
            ));
        }
        out.push_str(&format!(
            "  questions: {}\n\n",
            sc.questions()
                .iter()
                .map(|q| q.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str(
        "Outputs: env = .env, redis-conf = redis.conf (+ redis-secrets.conf), compose = \
         docker-compose.redis.yaml,\n  helm = values.redis.yaml (+ redis-secret.yaml),\n  master-proxy = \
         redis-master-proxy.yaml, provider = redis-settings.sh,\n  host-limits = chatwoot-redis.service.conf \
         (systemd drop-in) + chatwoot-redis.sysctl.conf. Add or remove with --emit (e.g. --emit +helm).\n",
    );
    out.push_str(&format!(
        "Versions (--redis-version): {}.\n  6.2 only for the chart's bundled Redis (Sidekiq 8 \
         needs 7.0+). {}.\n  Existing data: {}.\n",
        RedisVersion::id_list(),
        crate::answers::version_notes::LICENSE_NOTE,
        crate::answers::version_notes::READ_VERSION_HINT,
    ));
    out
}

/// A scenario that exists only in the test build: it proves that one file and one line in
/// [`SCENARIOS`] are all a new scenario needs (parsing, listing, resolving, rendering).
#[cfg(test)]
pub(crate) mod throwaway {
    use super::*;

    pub struct Throwaway;

    static RULES: Rules = Rules {
        tls: TlsRule::Always,
        ..Rules::MANAGED
    };

    impl ScenarioSpec for Throwaway {
        fn id(&self) -> &'static str {
            "throwaway-cloud"
        }
        fn description(&self) -> &'static str {
            "a provider that exists only in the test build"
        }
        fn rules(&self) -> &'static Rules {
            &RULES
        }
        fn default_outputs(&self) -> &'static [Output] {
            &[Output::Env]
        }
        fn questions(&self) -> &'static [Field] {
            &[
                Field::Host,
                Field::Password,
                Field::WebProcesses,
                Field::WebThreads,
                Field::SidekiqProcesses,
                Field::SidekiqConcurrency,
            ]
        }
        fn default_port(&self, _host: &str, _tls: bool) -> u16 {
            7443
        }
        fn endpoint_noun(&self) -> &'static str {
            "a Throwaway Cloud"
        }
        fn detect(&self, host: &str, _port: u16) -> Option<&'static Service> {
            host.ends_with(".throwaway.test").then_some(&SERVICE)
        }
    }

    pub static SERVICE: Service = Service {
        name: "Throwaway Cloud",
        certain: true,
        certificate: Certificate::Public,
        upgrade_fix: None,
        cluster_fix: None,
        eviction_fix: Some(" On Throwaway Cloud: ask."),
        plaintext: Some((Severity::Error, "this service requires TLS")),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for sc in Scenario::all() {
            assert_eq!(Scenario::parse(sc.id()), Some(sc));
        }
        for o in Output::ALL {
            assert_eq!(Output::parse(o.id()), Some(o));
        }
        assert_eq!(Scenario::parse("kubernetes"), None);
    }

    #[test]
    fn ids_are_unique() {
        let mut ids = Scenario::ids();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn listing_names_every_scenario() {
        let text = describe_all();
        for sc in Scenario::all() {
            assert!(text.contains(sc.id()));
        }
    }

    /// The registry is the only list: a scenario added there alone is parsed, listed,
    /// resolved with its own defaults and rendered.
    #[test]
    fn a_scenario_added_to_the_registry_alone_works_end_to_end() {
        let sc = Scenario::parse("throwaway-cloud").expect("registered");
        assert!(describe_all().contains("throwaway-cloud\n  a provider that exists only"));
        let mut raw = crate::answers::RawAnswers::new();
        raw.set(crate::answers::Field::Scenario, "throwaway-cloud");
        raw.set(crate::answers::Field::Host, "cache.example.net");
        let a = crate::answers::resolve(&raw).expect("resolves");
        assert_eq!(a.scenario, sc);
        assert_eq!(a.port, 7443);
        assert!(a.tls);
        let yaml = crate::answers::to_answers_yaml(&a);
        assert!(
            yaml.starts_with("scenario: throwaway-cloud\nhost: cache.example.net\nport: 7443\n")
        );
        let secrets = crate::secrets::Secrets {
            password: Some(("Abcdefgh12345678".into(), crate::secrets::Origin::Generated)),
            sentinel_password: None,
        };
        let set = crate::render::render(&a, &secrets).expect("renders");
        let env = set
            .files
            .iter()
            .find(|f| f.kind == FileKind::Env)
            .expect(".env rendered");
        assert!(
            env.contents.contains("rediss://cache.example.net:7443"),
            "{}",
            env.contents
        );
        // Doctor names it from its endpoint and applies its rules.
        let env = crate::doctor::settings::ChatwootEnv::from_pairs([(
            "REDIS_URL".to_string(),
            "redis://cache.throwaway.test:7443".to_string(),
        )]);
        let settings = crate::doctor::settings::Settings::from_env(&env);
        let workload = crate::doctor::settings::workload(&env, None);
        let findings = crate::doctor::statics::check(&crate::doctor::statics::StaticInput {
            env: &env,
            settings: &settings,
            workload: &workload,
            budget: crate::doctor::settings::configured_budget(&env, &workload.workload),
            max_connections: None,
        });
        let plain = findings
            .iter()
            .find(|f| f.id == "plaintext-to-managed")
            .expect("plain text to a managed service is found");
        assert_eq!(plain.severity, Severity::Error);
        assert_eq!(plain.title, "Plain redis:// to Throwaway Cloud");
        assert!(
            plain.why.contains("this service requires TLS"),
            "{}",
            plain.why
        );
        // The answers refuse its endpoint under another managed scenario.
        raw.set(crate::answers::Field::Scenario, "elasticache");
        raw.set(crate::answers::Field::Host, "cache.throwaway.test");
        let refused = crate::answers::resolve(&raw).expect_err("another provider's endpoint");
        assert!(
            refused.to_string().contains("a Throwaway Cloud endpoint"),
            "{refused}"
        );
        // Another scenario refuses its endpoints by name.
        raw.set(crate::answers::Field::Scenario, "azure");
        raw.set(crate::answers::Field::Host, "cw.westeurope.redis.azure.net");
        assert!(crate::answers::resolve(&raw).is_ok());
    }
}
