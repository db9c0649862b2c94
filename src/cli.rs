//! Command-line syntax only (clap derive). Everything here is converted into the domain types
//! of `answers`, `render` and `doctor` before any work is done.

#![warn(clippy::too_many_lines)]

use std::path::PathBuf;

use crate::answers::{Field, Heading};

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

/// A subcommand's arguments, built only when that subcommand runs or shows its help: a
/// `render` does not pay for building the flags of `doctor`. (Only for a subcommand whose
/// help has no heading of its own before `Global:`: the global flags are added to a deferred
/// subcommand before its own, so its custom headings would follow them.)
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(build::<T>)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(build_for_update::<T>)
    }
}

fn build<T: Args>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    with_about(T::augment_args(cmd), about)
}

fn build_for_update<T: Args>(cmd: clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    with_about(T::augment_args_for_update(cmd), about)
}

/// The subcommand's own `about` (its variant's doc comment) wins over the doc comments of the
/// argument structs, as it does when the arguments are built at once.
fn with_about(cmd: clap::Command, about: Option<clap::builder::StyledStr>) -> clap::Command {
    match about {
        Some(about) => cmd.about(about),
        None => cmd,
    }
}

/// A free-text value with suggestions: shells complete and `--help` lists the known values,
/// while validation stays in `answers::resolve` (one path for flags, files and prompts, with
/// messages that name the value, the reason and the fix).
#[derive(Clone)]
enum Suggest {
    Values(&'static [&'static str]),
    /// The ids of the scenario registry.
    Scenarios,
    /// The server lines offered (`--redis-version`).
    Versions,
}

impl TypedValueParser for Suggest {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values = match self {
            Suggest::Values(values) => values.to_vec(),
            Suggest::Scenarios => crate::scenario::Scenario::ids(),
            Suggest::Versions => crate::answers::RedisVersion::ALL
                .iter()
                .map(|v| v.id())
                .collect(),
        };
        Some(Box::new(values.into_iter().map(PossibleValue::new)))
    }
}

// `--help` headings (the answers' headings come from their FieldSpec rows).
const ENDPOINT: &str = Heading::ScenarioAndEndpoint.title();
const AUTH: &str = Heading::Authentication.title();
const SENTINEL: &str = Heading::SentinelAndKubernetes.title();
const SERVER: &str = Heading::SelfHostedServer.title();
const WORKLOAD: &str = Heading::Workload.title();
const OUTPUTS: &str = Heading::Outputs.title();
const SECRETS: &str = Heading::Secrets.title();
const MODE: &str = "Mode";
const GLOBAL: &str = "Global";

const ABOUT: &str = "Generate, check and diagnose the Redis side of a Chatwoot deployment";

const AFTER_HELP: &str = "\
Examples:
  chatwoot-redis init --out deploy/
  chatwoot-redis render --scenario docker-compose --generate-password --out deploy/
  chatwoot-redis render --check --out deploy/
  chatwoot-redis doctor --env-file /home/chatwoot/chatwoot/.env
  chatwoot-redis scenarios";

#[derive(Debug, Parser)]
#[command(name = "chatwoot-redis", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors and what needs attention (doctor: nothing when no problem is found)
    #[arg(help_heading = GLOBAL, long, short, global = true, conflicts_with = "verbose", display_order = 1000)]
    pub quiet: bool,
    /// Explain each step: the inputs used (answers file, password source, environment read)
    #[arg(help_heading = GLOBAL, long, short, global = true, display_order = 1001)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Interactive wizard: asks the questions of one scenario, writes the answers file and outputs
    #[command(after_help = "\
Examples:
  chatwoot-redis init
  chatwoot-redis init --out deploy/
  chatwoot-redis init --scenario elasticache --out deploy/   # answers given as flags are not asked
  NO_COLOR=1 chatwoot-redis init                             # plain prompts
Run it again in the same directory to reconfigure: the answers of DIR/chatwoot-redis.yaml are
the defaults and the password in DIR/.env is kept, so Enter at every prompt reproduces the same
files. Ctrl-C or Esc at any prompt exits 130 and writes nothing.
Without a terminal (standard input is not one, or CI is set) it never prompts. When every
answer is supplied (flags, CHATWOOT_REDIS_* variables, DIR/chatwoot-redis.yaml, and a password
source) it renders exactly like `render`; otherwise it lists each missing answer with the flag
and environment variable that supply it, writes nothing and exits 2.")]
    Init(InitArgs),
    /// Render every output of a scenario from flags and/or the answers file (never prompts)
    #[command(after_help = "\
Examples:
  chatwoot-redis render --scenario docker-compose --generate-password --out deploy/
  chatwoot-redis render --scenario single-server --password-file /root/redis.pass
  REDIS_PASSWORD=... chatwoot-redis render --scenario elasticache \\
      --host master.chatwoot.abc123.use1.cache.amazonaws.com --tls
  chatwoot-redis render --scenario kubernetes-sentinel --release chatwoot --namespace chatwoot
  chatwoot-redis render --scenario elasticache --emit +helm     # add Helm values for the chart
  chatwoot-redis render --check       # CI: exit 1 with a diff when committed files are stale
  chatwoot-redis render --stdout      # print instead of writing")]
    Render(RenderArgs),
    /// Diagnose a live Chatwoot Redis from Chatwoot's environment (.env or process env)
    #[command(after_help = "\
Examples:
  chatwoot-redis doctor
  chatwoot-redis doctor --env-file /home/chatwoot/chatwoot/.env
  chatwoot-redis doctor --offline              # static checks only, no network
  chatwoot-redis doctor --format json --timeout 2
  chatwoot-redis doctor --env-file .env --host 127.0.0.1 --port 6379   # Compose's published port
Exit codes: 0 no problem (warnings allowed unless --strict), 1 problems found, 2 bad input.")]
    Doctor(Deferred<DoctorArgs>),
    /// List the scenarios, their default outputs and the questions each asks
    #[command(after_help = "\
Examples:
  chatwoot-redis scenarios
  chatwoot-redis scenarios | grep -A3 '^heroku'")]
    Scenarios,
    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  chatwoot-redis completions bash > /etc/bash_completion.d/chatwoot-redis
  chatwoot-redis completions zsh > \"${fpath[1]}/_chatwoot-redis\"
  chatwoot-redis completions fish > ~/.config/fish/completions/chatwoot-redis.fish")]
    Completions {
        /// The shell to generate completions for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub answers: AnswerFlags,
    /// Directory for the answers file and the outputs
    #[arg(help_heading = OUTPUTS, long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    #[command(flatten)]
    pub secrets: SecretFlags,
    /// Overwrite files changed by hand since they were generated
    #[arg(help_heading = MODE, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub answer_flags: AnswerFlags,
    /// Directory for the outputs; its chatwoot-redis.yaml is read when present
    #[arg(help_heading = OUTPUTS, long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Answers file to read instead of DIR/chatwoot-redis.yaml
    #[arg(help_heading = OUTPUTS, long, value_name = "FILE", env = "CHATWOOT_REDIS_ANSWERS")]
    pub answers: Option<PathBuf>,
    #[command(flatten)]
    pub secrets: SecretFlags,
    /// Print the plan (create / update / unchanged per file) and write nothing
    #[arg(help_heading = MODE, long, group = "mode")]
    pub dry_run: bool,
    /// Show what a render would change, as a unified diff; write nothing
    #[arg(help_heading = MODE, long, group = "mode")]
    pub diff: bool,
    /// Write nothing; exit 1 with a diff when a committed output or the answers file is
    /// missing or differs
    #[arg(help_heading = MODE, long, group = "mode")]
    pub check: bool,
    /// Print the rendered files instead of writing them
    #[arg(help_heading = MODE, long, group = "mode")]
    pub stdout: bool,
    /// Overwrite files changed by hand since they were generated
    #[arg(help_heading = MODE, long)]
    pub force: bool,
}

/// Every answer as a flag with a `CHATWOOT_REDIS_*` environment fallback.
/// All optional: the answers file and the scenario's defaults fill the rest.
#[derive(Debug, Args, Default, Clone)]
pub struct AnswerFlags {
    /// Deployment scenario (see `chatwoot-redis scenarios`)
    #[arg(help_heading = ENDPOINT, long, value_name = "ID", env = "CHATWOOT_REDIS_SCENARIO", value_parser = Suggest::Scenarios)]
    pub scenario: Option<String>,
    /// Redis host Chatwoot connects to
    #[arg(help_heading = ENDPOINT, long, env = "CHATWOOT_REDIS_HOST")]
    pub host: Option<String>,
    /// Redis port
    #[arg(help_heading = ENDPOINT, long, env = "CHATWOOT_REDIS_PORT")]
    pub port: Option<String>,
    /// ACL user for Chatwoot (Redis 6+ ACLs; the password then goes in REDIS_URL)
    #[arg(help_heading = AUTH, long, env = "CHATWOOT_REDIS_USERNAME")]
    pub username: Option<String>,
    /// Database number (0-15; not used in Sentinel mode)
    #[arg(help_heading = ENDPOINT, long, env = "CHATWOOT_REDIS_DB")]
    pub db: Option<String>,
    /// Connect with TLS (rediss://)
    #[arg(help_heading = ENDPOINT, long, overrides_with = "no_tls", env = "CHATWOOT_REDIS_TLS", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true")]
    pub tls: Option<bool>,
    /// Connect without TLS (redis://)
    #[arg(help_heading = ENDPOINT, long, overrides_with = "tls")]
    pub no_tls: bool,
    /// TLS certificate verification: peer (check it) or none (self-signed / private CA)
    #[arg(help_heading = ENDPOINT, long, value_name = "MODE", env = "CHATWOOT_REDIS_VERIFY_MODE", value_parser = Suggest::Values(&["peer", "none"]))]
    pub verify_mode: Option<String>,
    /// Where Chatwoot finds the CA bundle the provider script writes (SSL_CERT_FILE; Memorystore)
    #[arg(help_heading = ENDPOINT, long, value_name = "PATH", env = "CHATWOOT_REDIS_SSL_CERT_FILE")]
    pub ssl_cert_file: Option<String>,
    /// Split an existing REDIS_URL into answers (without its password: pass that through
    /// REDIS_PASSWORD or --password-file)
    #[arg(help_heading = ENDPOINT, long, env = "CHATWOOT_REDIS_URL")]
    pub url: Option<String>,
    /// Sentinels as host:port,host:port (external sentinels)
    #[arg(help_heading = SENTINEL, long, value_name = "LIST", env = "CHATWOOT_REDIS_SENTINELS")]
    pub sentinels: Option<String>,
    /// Sentinel master set name
    #[arg(help_heading = SENTINEL, long, value_name = "NAME", env = "CHATWOOT_REDIS_SENTINEL_MASTER")]
    pub sentinel_master: Option<String>,
    /// Server line: 6.2, 7.0 … 7.4, 8.0 … 8.10 (Redis 8: AGPLv3/RSALv2/SSPLv1), valkey-7.2 … valkey-9 (BSD)
    #[arg(help_heading = SERVER, long, value_name = "V", env = "CHATWOOT_REDIS_VERSION", value_parser = Suggest::Versions)]
    pub redis_version: Option<String>,
    /// Memory limit for Redis, e.g. 512mb, 2gb
    #[arg(help_heading = SERVER, long, value_name = "SIZE", env = "CHATWOOT_REDIS_MAXMEMORY")]
    pub maxmemory: Option<String>,
    /// Puma worker processes in total (WEB_CONCURRENCY x web hosts/pods)
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_WEB_PROCESSES")]
    pub web_processes: Option<String>,
    /// Threads per Puma process (RAILS_MAX_THREADS)
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_WEB_THREADS")]
    pub web_threads: Option<String>,
    /// Sidekiq processes in total
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_SIDEKIQ_PROCESSES")]
    pub sidekiq_processes: Option<String>,
    /// Threads per Sidekiq process (SIDEKIQ_CONCURRENCY)
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_SIDEKIQ_CONCURRENCY")]
    pub sidekiq_concurrency: Option<String>,
    /// Threads of sidekiq_alive per Sidekiq process (SIDEKIQ_ALIVE_CONCURRENCY, default 2)
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_SIDEKIQ_ALIVE_CONCURRENCY")]
    pub sidekiq_alive_concurrency: Option<String>,
    /// Turn sidekiq_alive off (DISABLE_SIDEKIQ_ALIVE=true): fewer connections, no liveness endpoint
    #[arg(help_heading = WORKLOAD, long, value_name = "BOOL", env = "CHATWOOT_REDIS_DISABLE_SIDEKIQ_ALIVE", num_args = 0..=1, default_missing_value = "true")]
    pub disable_sidekiq_alive: Option<String>,
    /// Rack::Attack request throttling (ENABLE_RACK_ATTACK, default true; false leaves the velma pool unused)
    #[arg(help_heading = WORKLOAD, long, value_name = "BOOL", env = "CHATWOOT_REDIS_ENABLE_RACK_ATTACK")]
    pub enable_rack_attack: Option<String>,
    /// Connection cap of the Redis plan (e.g. Heroku mini: 20)
    #[arg(help_heading = WORKLOAD, long, value_name = "N", env = "CHATWOOT_REDIS_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Outputs: a list replaces the scenario's defaults (env,redis-conf,compose,helm,provider);
    /// +item adds one, -item removes one (e.g. +helm)
    #[arg(help_heading = OUTPUTS,
        long,
        value_name = "LIST",
        env = "CHATWOOT_REDIS_EMIT",
        allow_hyphen_values = true
    )]
    pub emit: Option<String>,
    /// Chatwoot's own .env to merge the Redis keys into, e.g. /home/chatwoot/chatwoot/.env
    /// [default: OUT/.env]; a relative PATH is relative to the answers file's directory
    #[arg(help_heading = OUTPUTS, long, value_name = "PATH", env = "CHATWOOT_REDIS_ENV_FILE")]
    pub env_file: Option<String>,
    /// Helm release name (Kubernetes names)
    #[arg(help_heading = SENTINEL, long, value_name = "NAME", env = "CHATWOOT_REDIS_RELEASE")]
    pub release: Option<String>,
    /// Kubernetes namespace
    #[arg(help_heading = SENTINEL, long, value_name = "NS", env = "CHATWOOT_REDIS_NAMESPACE")]
    pub namespace: Option<String>,
    /// Bundled Redis image, [registry/]repository:tag [default: bitnamilegacy/redis:6.2.7-debian-11-r3]
    #[arg(help_heading = SENTINEL, long, value_name = "IMAGE", env = "CHATWOOT_REDIS_REDIS_IMAGE")]
    pub redis_image: Option<String>,
    /// Bundled sentinels' image [default: bitnamilegacy/redis-sentinel:6.2.7-debian-11-r3]
    #[arg(help_heading = SENTINEL, long, value_name = "IMAGE", env = "CHATWOOT_REDIS_SENTINEL_IMAGE")]
    pub sentinel_image: Option<String>,
    /// Bundled sentinels: milliseconds a master must be unreachable before a failover starts
    /// [default: 60000, Bitnami's]
    #[arg(help_heading = SENTINEL, long, value_name = "MS", env = "CHATWOOT_REDIS_SENTINEL_DOWN_AFTER")]
    pub sentinel_down_after: Option<String>,
    /// External sentinels with --emit +master-proxy: the Redis nodes they monitor, host[:port],…
    /// (fully qualified names or IPs; the proxy's resolvers use no search domains)
    // The help text is plain text, not a link.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(help_heading = SENTINEL, long, value_name = "LIST", env = "CHATWOOT_REDIS_REDIS_NODES")]
    pub redis_nodes: Option<String>,
    /// Require a password (password) or run without AUTH (none: loopback or private network only)
    #[arg(help_heading = AUTH, long, value_name = "MODE", env = "CHATWOOT_REDIS_AUTH", value_parser = Suggest::Values(&["password", "none"]))]
    pub auth: Option<String>,
    /// What Chatwoot sends to external sentinels: same (the Redis password), none, separate
    #[arg(help_heading = SENTINEL, long, value_name = "MODE", env = "CHATWOOT_REDIS_SENTINEL_AUTH", value_parser = Suggest::Values(&["same", "none", "separate"]))]
    pub sentinel_auth: Option<String>,
    /// single-server: directory of redis.conf and redis-secrets.conf on the host
    #[arg(help_heading = SERVER, long, value_name = "DIR", env = "CHATWOOT_REDIS_CONFIG_DIR")]
    pub config_dir: Option<String>,
    /// single-server: Redis data directory on the host
    #[arg(help_heading = SERVER, long, value_name = "DIR", env = "CHATWOOT_REDIS_DATA_DIR")]
    pub data_dir: Option<String>,
}

impl AnswerFlags {
    /// The answers given on the command line or in `CHATWOOT_REDIS_*` variables.
    pub fn to_raw(&self) -> crate::answers::RawAnswers {
        let mut raw = crate::answers::RawAnswers::new();
        let pairs: [(Field, &Option<String>); 33] = [
            (Field::Scenario, &self.scenario),
            (Field::Url, &self.url),
            (Field::Host, &self.host),
            (Field::Port, &self.port),
            (Field::Username, &self.username),
            (Field::Db, &self.db),
            (Field::VerifyMode, &self.verify_mode),
            (Field::SslCertFile, &self.ssl_cert_file),
            (Field::Auth, &self.auth),
            (Field::Sentinels, &self.sentinels),
            (Field::SentinelMaster, &self.sentinel_master),
            (Field::SentinelAuth, &self.sentinel_auth),
            (Field::RedisVersion, &self.redis_version),
            (Field::Maxmemory, &self.maxmemory),
            (Field::WebProcesses, &self.web_processes),
            (Field::WebThreads, &self.web_threads),
            (Field::SidekiqProcesses, &self.sidekiq_processes),
            (Field::SidekiqConcurrency, &self.sidekiq_concurrency),
            (
                Field::SidekiqAliveConcurrency,
                &self.sidekiq_alive_concurrency,
            ),
            (Field::DisableSidekiqAlive, &self.disable_sidekiq_alive),
            (Field::EnableRackAttack, &self.enable_rack_attack),
            (Field::MaxConnections, &self.max_connections),
            (Field::Emit, &self.emit),
            (Field::EnvFile, &self.env_file),
            (Field::Release, &self.release),
            (Field::Namespace, &self.namespace),
            (Field::RedisImage, &self.redis_image),
            (Field::SentinelImage, &self.sentinel_image),
            (Field::SentinelDownAfter, &self.sentinel_down_after),
            (Field::RedisNodes, &self.redis_nodes),
            (Field::ConfigDir, &self.config_dir),
            (Field::DataDir, &self.data_dir),
            (Field::Tls, &None),
        ];
        // Flags beat CHATWOOT_REDIS_* variables, a URL included as one unit: the values
        // that came from the environment are overlaid by the flags.
        let env = crate::environment::ProcessEnv::get();
        let mut flags = crate::answers::RawAnswers::new();
        for (field, value) in pairs {
            if let Some(v) = value {
                if env.var(field.env_var()) == Some(v.as_str()) {
                    raw.set(field, v.clone());
                } else {
                    flags.set(field, v.clone());
                }
            }
        }
        if self.no_tls {
            flags.set(Field::Tls, "false");
        } else if let Some(t) = self.tls {
            flags.set(Field::Tls, t.to_string());
        }
        raw.overlay(&flags);
        raw
    }
}

/// Where secrets come from. Never a flag value: it would sit in shell history and `ps`.
#[derive(Debug, Args, Default, Clone)]
pub struct SecretFlags {
    /// Read the Redis password from FILE (the password alone on one line; REDIS_PASSWORD in the
    /// environment also works)
    #[arg(help_heading = SECRETS, long, value_name = "FILE", group = "password_source")]
    pub password_file: Option<PathBuf>,
    /// Read the Redis password from standard input (first line)
    #[arg(help_heading = SECRETS, long, group = "password_source")]
    pub password_stdin: bool,
    /// Generate a strong password (letters and digits, 40 characters, from the OS generator)
    #[arg(help_heading = SECRETS, long, group = "password_source")]
    pub generate_password: bool,
    /// Read the sentinels' password from FILE (REDIS_SENTINEL_PASSWORD in the environment also works)
    #[arg(help_heading = SECRETS, long, value_name = "FILE")]
    pub sentinel_password_file: Option<PathBuf>,
}

impl SecretFlags {
    pub fn to_source(&self) -> crate::secrets::PasswordSource {
        crate::secrets::PasswordSource {
            password_file: self.password_file.clone(),
            password_stdin: self.password_stdin,
            generate_password: self.generate_password,
            fresh_deployment: false,
            sentinel_password_file: self.sentinel_password_file.clone(),
        }
    }
}

impl RenderArgs {
    /// The render this command line asks for.
    pub fn to_request(&self) -> crate::commands::RenderRequest {
        use crate::commands::RenderMode;
        crate::commands::RenderRequest {
            out: self.out.clone(),
            answers_file: self.answers.clone(),
            answers: self.answer_flags.to_raw(),
            passwords: self.secrets.to_source(),
            mode: if self.check {
                RenderMode::Check
            } else if self.diff {
                RenderMode::Diff
            } else if self.dry_run {
                RenderMode::DryRun
            } else if self.stdout {
                RenderMode::Stdout
            } else {
                RenderMode::Write { force: self.force }
            },
        }
    }
}

impl InitArgs {
    /// The wizard run this command line asks for.
    pub fn to_request(&self) -> crate::wizard::WizardRequest {
        crate::wizard::WizardRequest {
            out: self.out.clone(),
            answers: self.answers.to_raw(),
            passwords: self.secrets.to_source(),
            force: self.force,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Chatwoot's env file to read (default: ./.env when it exists, else the process environment)
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Static checks only: no DNS, no connection
    #[arg(long)]
    pub offline: bool,
    /// Report format
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Time limit per step (DNS, connect, TLS, each command), in seconds; the whole run stops
    /// after 5 × SECS (at most SECS + 60 s) and prints what it found until then
    #[arg(long, value_name = "SECS", default_value = "3")]
    pub timeout: f64,
    /// Exit 1 on warnings too
    #[arg(long)]
    pub strict: bool,
    /// Connection cap of the Redis plan, to compare with Chatwoot's connection budget
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_MAX_CONNECTIONS")]
    pub max_connections: Option<u32>,
    /// Answers file to take the workload (processes, threads) from
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Check this Redis URL instead of REDIS_URL (REDIS_PASSWORD of the env still applies)
    #[arg(long, value_name = "URL", conflicts_with_all = ["host", "port"])]
    pub url: Option<String>,
    /// Connect to this host instead of REDIS_URL's (its credentials and database are kept),
    /// e.g. 127.0.0.1 for the port Compose publishes
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Connect to this port instead of REDIS_URL's
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn suggested_ids_are_the_scenarios() {
        let cmd = Cli::command();
        let render = cmd.find_subcommand("render").expect("render");
        let arg = render
            .get_arguments()
            .find(|a| a.get_id() == "scenario")
            .expect("--scenario");
        let ids: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(ids, crate::scenario::Scenario::ids());
    }

    /// Each answer's flag is listed under the heading its FieldSpec row names.
    #[test]
    fn answer_flags_sit_under_their_table_heading() {
        let cmd = Cli::command();
        let render = cmd.find_subcommand("render").expect("render");
        let mut checked = 0;
        for field in Field::answers() {
            let Some(arg) = render
                .get_arguments()
                .find(|a| a.get_long() == Some(field.name()))
            else {
                continue;
            };
            assert_eq!(
                arg.get_help_heading(),
                Some(field.spec().heading.title()),
                "--{field}"
            );
            checked += 1;
        }
        assert_eq!(
            checked,
            Field::answers().count(),
            "every answer is a render flag"
        );
    }
}
