//! Command-line syntax only (clap derive). Everything here is converted into the domain types
//! of `answers`, `render` and `doctor` before any work is done.

use std::path::PathBuf;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// A free-text value with suggestions: shells complete and `--help` lists the known values,
/// while validation stays in `answers::resolve` (one path for flags, files and prompts, with
/// messages that name the value, the reason and the fix).
#[derive(Clone)]
struct Suggest(&'static [&'static str]);

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
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

const SCENARIO_IDS: &[&str] = &[
    "single-server",
    "docker-compose",
    "kubernetes-sentinel",
    "elasticache",
    "azure",
    "memorystore",
    "heroku",
    "digitalocean",
];

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
    /// Print only errors
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Explain each step (inputs used, files compared)
    #[arg(long, short, global = true)]
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
    Doctor(DoctorArgs),
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
    /// Directory for the answers file and the outputs
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    #[command(flatten)]
    pub answers: AnswerFlags,
    #[command(flatten)]
    pub secrets: SecretFlags,
    /// Overwrite files changed by hand since they were generated
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Directory for the outputs; its chatwoot-redis.yaml is read when present
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Answers file to read instead of DIR/chatwoot-redis.yaml
    #[arg(long, value_name = "FILE", env = "CHATWOOT_REDIS_ANSWERS")]
    pub answers: Option<PathBuf>,
    #[command(flatten)]
    pub answer_flags: AnswerFlags,
    #[command(flatten)]
    pub secrets: SecretFlags,
    /// Print the plan (create / update / unchanged per file) and write nothing
    #[arg(long, group = "mode")]
    pub dry_run: bool,
    /// Show what a render would change, as a unified diff; write nothing
    #[arg(long, group = "mode")]
    pub diff: bool,
    /// Write nothing; exit 1 with a diff when a committed output or the answers file is
    /// missing or differs
    #[arg(long, group = "mode")]
    pub check: bool,
    /// Print the rendered files instead of writing them
    #[arg(long, group = "mode")]
    pub stdout: bool,
    /// Overwrite files changed by hand since they were generated
    #[arg(long)]
    pub force: bool,
}

/// Every answer of product.md as a flag with a `CHATWOOT_REDIS_*` environment fallback.
/// All optional: the answers file and the scenario's defaults fill the rest.
#[derive(Debug, Args, Default, Clone)]
pub struct AnswerFlags {
    /// Deployment scenario (see `chatwoot-redis scenarios`)
    #[arg(long, value_name = "ID", env = "CHATWOOT_REDIS_SCENARIO", value_parser = Suggest(SCENARIO_IDS))]
    pub scenario: Option<String>,
    /// Redis host Chatwoot connects to
    #[arg(long, env = "CHATWOOT_REDIS_HOST")]
    pub host: Option<String>,
    /// Redis port
    #[arg(long, env = "CHATWOOT_REDIS_PORT")]
    pub port: Option<String>,
    /// ACL user for Chatwoot (Redis 6+ ACLs; the password then goes in REDIS_URL)
    #[arg(long, env = "CHATWOOT_REDIS_USERNAME")]
    pub username: Option<String>,
    /// Database number (0-15; not used in Sentinel mode)
    #[arg(long, env = "CHATWOOT_REDIS_DB")]
    pub db: Option<String>,
    /// Connect with TLS (rediss://)
    #[arg(long, overrides_with = "no_tls", env = "CHATWOOT_REDIS_TLS", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true")]
    pub tls: Option<bool>,
    /// Connect without TLS (redis://)
    #[arg(long, overrides_with = "tls")]
    pub no_tls: bool,
    /// TLS certificate verification: peer (check it) or none (self-signed / private CA)
    #[arg(long, value_name = "MODE", env = "CHATWOOT_REDIS_VERIFY_MODE", value_parser = Suggest(&["peer", "none"]))]
    pub verify_mode: Option<String>,
    /// Split an existing REDIS_URL into answers (without its password: pass that through
    /// REDIS_PASSWORD or --password-file)
    #[arg(long, env = "CHATWOOT_REDIS_URL")]
    pub url: Option<String>,
    /// Sentinels as host:port,host:port (external sentinels)
    #[arg(long, value_name = "LIST", env = "CHATWOOT_REDIS_SENTINELS")]
    pub sentinels: Option<String>,
    /// Sentinel master set name
    #[arg(long, value_name = "NAME", env = "CHATWOOT_REDIS_SENTINEL_MASTER")]
    pub sentinel_master: Option<String>,
    /// Redis server version: 6.2, 7.0, 7.2, 7.4, valkey-7.2, valkey-8
    #[arg(long, value_name = "V", env = "CHATWOOT_REDIS_VERSION", value_parser = Suggest(&["6.2", "7.0", "7.2", "7.4", "valkey-7.2", "valkey-8"]))]
    pub redis_version: Option<String>,
    /// Memory limit for Redis, e.g. 512mb, 2gb
    #[arg(long, value_name = "SIZE", env = "CHATWOOT_REDIS_MAXMEMORY")]
    pub maxmemory: Option<String>,
    /// Puma worker processes in total (WEB_CONCURRENCY x web hosts/pods)
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_WEB_PROCESSES")]
    pub web_processes: Option<String>,
    /// Threads per Puma process (RAILS_MAX_THREADS)
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_WEB_THREADS")]
    pub web_threads: Option<String>,
    /// Sidekiq processes in total
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_SIDEKIQ_PROCESSES")]
    pub sidekiq_processes: Option<String>,
    /// Threads per Sidekiq process (SIDEKIQ_CONCURRENCY)
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_SIDEKIQ_CONCURRENCY")]
    pub sidekiq_concurrency: Option<String>,
    /// Connection cap of the Redis plan (e.g. Heroku mini: 20)
    #[arg(long, value_name = "N", env = "CHATWOOT_REDIS_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Outputs: a list replaces the scenario's defaults (env,redis-conf,compose,helm,provider);
    /// +item adds one, -item removes one (e.g. +helm)
    #[arg(
        long,
        value_name = "LIST",
        env = "CHATWOOT_REDIS_EMIT",
        allow_hyphen_values = true
    )]
    pub emit: Option<String>,
    /// Helm release name (Kubernetes names)
    #[arg(long, value_name = "NAME", env = "CHATWOOT_REDIS_RELEASE")]
    pub release: Option<String>,
    /// Kubernetes namespace
    #[arg(long, value_name = "NS", env = "CHATWOOT_REDIS_NAMESPACE")]
    pub namespace: Option<String>,
    /// Require a password (password) or run without AUTH (none: loopback or private network only)
    #[arg(long, value_name = "MODE", env = "CHATWOOT_REDIS_AUTH", value_parser = Suggest(&["password", "none"]))]
    pub auth: Option<String>,
    /// What Chatwoot sends to external sentinels: same (the Redis password), none, separate
    #[arg(long, value_name = "MODE", env = "CHATWOOT_REDIS_SENTINEL_AUTH", value_parser = Suggest(&["same", "none", "separate"]))]
    pub sentinel_auth: Option<String>,
    /// single-server: directory of redis.conf and redis-secrets.conf on the host
    #[arg(long, value_name = "DIR", env = "CHATWOOT_REDIS_CONFIG_DIR")]
    pub config_dir: Option<String>,
    /// single-server: Redis data directory on the host
    #[arg(long, value_name = "DIR", env = "CHATWOOT_REDIS_DATA_DIR")]
    pub data_dir: Option<String>,
}

impl AnswerFlags {
    /// The answers given on the command line or in `CHATWOOT_REDIS_*` variables.
    pub fn to_raw(&self) -> crate::answers::RawAnswers {
        let mut raw = crate::answers::RawAnswers::new();
        let pairs: [(&str, &Option<String>); 24] = [
            ("scenario", &self.scenario),
            ("url", &self.url),
            ("host", &self.host),
            ("port", &self.port),
            ("username", &self.username),
            ("db", &self.db),
            ("verify-mode", &self.verify_mode),
            ("auth", &self.auth),
            ("sentinels", &self.sentinels),
            ("sentinel-master", &self.sentinel_master),
            ("sentinel-auth", &self.sentinel_auth),
            ("redis-version", &self.redis_version),
            ("maxmemory", &self.maxmemory),
            ("web-processes", &self.web_processes),
            ("web-threads", &self.web_threads),
            ("sidekiq-processes", &self.sidekiq_processes),
            ("sidekiq-concurrency", &self.sidekiq_concurrency),
            ("max-connections", &self.max_connections),
            ("emit", &self.emit),
            ("release", &self.release),
            ("namespace", &self.namespace),
            ("config-dir", &self.config_dir),
            ("data-dir", &self.data_dir),
            ("tls", &None),
        ];
        for (field, value) in pairs {
            if let Some(v) = value {
                raw.set(field, v.clone());
            }
        }
        if self.no_tls {
            raw.set("tls", "false");
        } else if let Some(t) = self.tls {
            raw.set("tls", t.to_string());
        }
        raw
    }
}

/// Where secrets come from. Never a flag value: it would sit in shell history and `ps`.
#[derive(Debug, Args, Default, Clone)]
pub struct SecretFlags {
    /// Read the Redis password from FILE (first line; REDIS_PASSWORD in the environment also works)
    #[arg(long, value_name = "FILE", group = "password_source")]
    pub password_file: Option<PathBuf>,
    /// Read the Redis password from standard input (first line)
    #[arg(long, group = "password_source")]
    pub password_stdin: bool,
    /// Generate a strong password (letters and digits, 40 characters, from the OS generator)
    #[arg(long, group = "password_source")]
    pub generate_password: bool,
    /// Read the sentinels' password from FILE (REDIS_SENTINEL_PASSWORD in the environment also works)
    #[arg(long, value_name = "FILE")]
    pub sentinel_password_file: Option<PathBuf>,
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

    #[test]
    fn suggested_ids_are_the_scenarios() {
        let ids: Vec<&str> = crate::scenario::Scenario::ALL
            .iter()
            .map(|s| s.id())
            .collect();
        assert_eq!(ids, SCENARIO_IDS);
    }
}
