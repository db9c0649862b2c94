//! `chatwoot-redis init`: the interactive wizard.
//!
//! It asks the questions of one scenario (scenario first, then [`ScenarioSpec::questions`](crate::scenario::ScenarioSpec::questions) in
//! order), each with a default, a help line saying why it matters for Chatwoot, and the same
//! validation as the flags: an answer is checked by putting it into a copy of the answers and
//! calling [`answers::resolve`], the one validation path. The password is chosen at a prompt
//! (generated, entered masked, or kept from the existing `.env`) and never enters
//! [`RawAnswers`]. Everything then goes through [`commands::prepare_with_password`] and
//! [`plan::execute`], exactly as `render` does.
//!
//! Prompts sit behind the [`Prompter`] trait: [`InquirePrompter`] talks to the terminal, and
//! the tests drive the same flow with a scripted prompter.

#![warn(clippy::too_many_lines)]

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::answers::{self, Answers, Auth, Field, RawAnswers, RedisVersion};
use crate::commands::{self, Prepared};
use crate::error::{Error, Missing, Result, Target};
use crate::output::{FileKind, RenderSet};
use crate::plan;
use crate::scenario::{Output, Scenario};
use crate::secrets::{self, Origin, PasswordSource};
use crate::sizing;

/// A validator: `Err(message)` is shown at the prompt and the question is asked again.
pub type Validator<'a> = &'a dyn Fn(&str) -> std::result::Result<(), String>;

/// An owned validator (inquire's password prompt keeps its validators for `'static`).
pub type OwnedValidator = std::rc::Rc<dyn Fn(&str) -> std::result::Result<(), String>>;

/// A free-text question.
pub struct TextQuestion<'a> {
    pub message: &'a str,
    /// What Enter gives.
    pub default: Option<&'a str>,
    /// Why the answer matters for Chatwoot.
    pub help: &'a str,
    pub validate: Validator<'a>,
    /// An empty answer is allowed (the answer is then unset); the default is editable text.
    pub optional: bool,
    /// The answer may hold a password (a URL pasted at the host prompt): drawn redacted,
    /// while typed and once answered.
    pub redact: bool,
    /// The answer holds a password: masked while typed (a password-style prompt; Enter
    /// keeps the default, which is then shown redacted in the help line).
    pub masked: bool,
}

/// The four kinds of prompt the wizard uses. Ctrl-C and Esc are [`Error::Interrupted`].
pub trait Prompter {
    /// One of `options`; returns its index. `default` is where the cursor starts.
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        default: usize,
        help: &str,
    ) -> Result<usize>;
    /// Free text, re-asked until `validate` accepts it.
    fn text(&mut self, question: &TextQuestion<'_>) -> Result<String>;
    /// A masked secret, typed twice, re-asked until `validate` accepts it.
    fn password(&mut self, message: &str, help: &str, validate: OwnedValidator) -> Result<String>;
    /// Yes or no.
    fn confirm(&mut self, message: &str, default: bool, help: &str) -> Result<bool>;
}

/// The terminal prompter (inquire). Plain rendering, without colours, when `NO_COLOR` is set
/// or standard error (where inquire draws) is not a terminal.
pub struct InquirePrompter {
    config: inquire::ui::RenderConfig<'static>,
    /// Colours in the prompts drawn here (see [`redacting`]).
    colour: bool,
}

impl InquirePrompter {
    pub fn new() -> Self {
        let plain =
            crate::environment::ProcessEnv::get().no_color() || !std::io::stderr().is_terminal();
        InquirePrompter {
            colour: !plain,
            config: if plain {
                inquire::ui::RenderConfig::empty()
            } else {
                inquire::ui::RenderConfig::default_colored()
            },
        }
    }
}

impl Default for InquirePrompter {
    fn default() -> Self {
        Self::new()
    }
}

fn from_inquire(e: inquire::InquireError) -> Error {
    use inquire::InquireError as E;
    match e {
        E::OperationCanceled | E::OperationInterrupted => Error::Interrupted,
        E::NotTTY => Error::Usage(
            "init needs a terminal to ask its questions; use `chatwoot-redis render` with flags"
                .into(),
        ),
        other => Error::Other(anyhow::anyhow!("prompt failed: {other}")),
    }
}

fn inquire_validator(
    validate: Validator<'_>,
) -> impl Fn(&str) -> std::result::Result<inquire::validator::Validation, inquire::CustomUserError>
       + Clone
       + '_ {
    move |input: &str| {
        Ok(match validate(input) {
            Ok(()) => inquire::validator::Validation::Valid,
            Err(msg) => inquire::validator::Validation::Invalid(msg.into()),
        })
    }
}

impl Prompter for InquirePrompter {
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        default: usize,
        help: &str,
    ) -> Result<usize> {
        let help = format!("{help} (↑↓ to move, type to filter, Enter to choose)");
        inquire::Select::new(message, options.to_vec())
            .with_starting_cursor(default.min(options.len().saturating_sub(1)))
            .with_page_size(options.len().clamp(1, 10))
            .with_help_message(&help)
            .with_render_config(self.config)
            .raw_prompt()
            .map(|o| o.index)
            .map_err(from_inquire)
    }

    fn text(&mut self, q: &TextQuestion<'_>) -> Result<String> {
        if q.masked {
            return masked_text(q, self.config);
        }
        if q.redact {
            // A URL pasted here must not be drawn with its password while it is typed.
            return redacting::ask(q, self.colour);
        }
        let mut prompt = inquire::Text::new(q.message)
            .with_help_message(q.help)
            .with_validator(inquire_validator(q.validate))
            .with_render_config(self.config);
        if let Some(d) = q.default {
            prompt = if q.optional {
                prompt.with_initial_value(d)
            } else {
                prompt.with_default(d)
            };
        }
        prompt.prompt().map_err(from_inquire)
    }

    fn password(&mut self, message: &str, help: &str, validate: OwnedValidator) -> Result<String> {
        let validator = move |input: &str| {
            Ok(match validate(input) {
                Ok(()) => inquire::validator::Validation::Valid,
                Err(msg) => inquire::validator::Validation::Invalid(msg.into()),
            })
        };
        inquire::Password::new(message)
            .with_help_message(help)
            .with_custom_confirmation_message("Again, to confirm:")
            .with_custom_confirmation_error_message("The two entries differ; type it again.")
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .with_validator(validator)
            .with_render_config(self.config)
            .prompt()
            .map_err(from_inquire)
    }

    fn confirm(&mut self, message: &str, default: bool, help: &str) -> Result<bool> {
        inquire::Confirm::new(message)
            .with_default(default)
            .with_help_message(help)
            .with_render_config(self.config)
            .prompt()
            .map_err(from_inquire)
    }
}

/// A text answer that holds a secret (Heroku's URL): masked while typed, never drawn in the
/// clear. Enter keeps the default (shown redacted in the help line).
fn masked_text(q: &TextQuestion<'_>, config: inquire::ui::RenderConfig<'static>) -> Result<String> {
    let help = match q.default {
        Some(d) => format!("{} (Enter keeps {})", q.help, answers::redact_url(d)),
        None => q.help.to_string(),
    };
    // inquire's password prompt keeps its validator for 'static; the borrowed one is run
    // here instead, and a refused answer is asked again.
    loop {
        let typed = inquire::Password::new(q.message)
            .with_help_message(&help)
            .without_confirmation()
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .with_formatter(&|v: &str| {
                if v.trim().is_empty() {
                    q.default.map(answers::redact_url).unwrap_or_default()
                } else {
                    answers::redact_url(v)
                }
            })
            .with_render_config(config)
            .prompt()
            .map_err(from_inquire)?;
        let value = match q.default {
            Some(d) if typed.trim().is_empty() => d.to_string(),
            _ => typed,
        };
        match (q.validate)(&value) {
            Ok(()) => return Ok(value),
            Err(msg) => {
                let _ = writeln!(std::io::stderr(), "✗ {msg}");
            }
        }
    }
}

/// What the wizard starts from.
pub struct Context<'a> {
    pub out_dir: &'a Path,
    /// The answers file of the output directory: its answers are the defaults (re-run =
    /// reconfigure).
    pub defaults: RawAnswers,
    /// Answers given as flags or `CHATWOOT_REDIS_*` variables: fixed, not asked.
    pub fixed: RawAnswers,
    pub secret_flags: &'a PasswordSource,
    /// `REDIS_PASSWORD` is set in the environment (then it is the password, as in `render`).
    pub env_password: bool,
    pub quiet: bool,
    pub verbose: bool,
}

/// The workload answers: the fields the table marks as portable (they mean the same in every
/// scenario), asked together with the connection budget.
const WORKLOAD: [Field; 4] = [
    Field::WebProcesses,
    Field::WebThreads,
    Field::SidekiqProcesses,
    Field::SidekiqConcurrency,
];

/// Answers that may be left empty (unset).
fn is_optional(field: Field) -> bool {
    matches!(
        field,
        Field::Username | Field::Sentinels | Field::MaxConnections
    )
}

/// The prompt of a field.
fn label(field: Field) -> &'static str {
    match field {
        Field::RedisVersion => "Redis server version:",
        Field::Host => "Redis host:",
        Field::Port => "Redis port:",
        Field::Db => "Database number:",
        Field::Tls => "Connect with TLS?",
        Field::Auth => "Require a password?",
        Field::Username => "ACL user name (empty: the default user):",
        Field::Sentinels => "External sentinels (empty: the chart's bundled Redis and sentinels):",
        Field::SentinelMaster => "Sentinel master set name:",
        Field::Release => "Helm release name:",
        Field::Namespace => "Kubernetes namespace:",
        Field::RedisImage => "Bundled Redis image (repository:tag):",
        Field::SentinelImage => "Bundled sentinel image (repository:tag):",
        Field::SentinelDownAfter => "Milliseconds before the sentinels fail over:",
        Field::RedisNodes => "Redis nodes behind the sentinels (host:port,…):",
        Field::Maxmemory => "Redis memory limit (maxmemory):",
        Field::WebProcesses => "Puma (web) processes in total:",
        Field::WebThreads => "Threads per Puma process (RAILS_MAX_THREADS):",
        Field::SidekiqProcesses => "Sidekiq processes in total:",
        Field::SidekiqConcurrency => "Threads per Sidekiq process (SIDEKIQ_CONCURRENCY):",
        Field::MaxConnections => "Connection cap of the Redis plan (empty: no cap):",
        Field::Url => "Heroku's REDIS_URL:",
        Field::ConfigDir => "Directory of redis.conf on the host:",
        Field::DataDir => "Redis data directory on the host:",
        _ => "Answer:",
    }
}

/// The prompt's name for a field, as refusals name it: its label without the trailing `:`
/// or `?` and without the parenthesis ("Redis host", "ACL user name").
fn prompt_name(field: Field) -> String {
    if field == Field::Password {
        return "Redis password".into();
    }
    let label = label(field);
    let name = label.split(" (").next().unwrap_or(label);
    let name = name.trim_end_matches([':', '?']).trim();
    if name.is_empty() || name == "Answer" {
        field.name().to_string()
    } else {
        name.to_string()
    }
}

/// A refusal worded for the prompt ("Redis host: \"…\": reason (fix: …)") rather than for
/// the flag: the typed error names its field, and the field names the prompt. `None` for an
/// error that is about no answer.
fn prompt_error(err: &Error) -> Option<String> {
    prompt_error_at(err, None)
}

/// [`prompt_error`] said at the prompt of `at` (a URL pasted at the host prompt is refused
/// there, though the error is the URL's).
fn prompt_error_at(err: &Error, at: Option<Field>) -> Option<String> {
    match err {
        Error::Invalid {
            target: Target::Answer(f) | Target::Secret(f),
            value,
            reason,
            fix,
            ..
        } => {
            let shown = value
                .as_deref()
                .map(|v| format!(" {v:?}:"))
                .unwrap_or_default();
            Some(format!(
                "{}:{shown} {reason} (fix: {fix})",
                prompt_name(at.unwrap_or(*f))
            ))
        }
        Error::Missing(missing) if !missing.is_empty() => Some(
            missing
                .iter()
                .map(|m| missing_at_prompt(m.field))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}

/// A missing answer, said at the prompt that asks it.
fn missing_at_prompt(field: Field) -> String {
    format!(
        "{}: an answer is needed here (there is no default)",
        prompt_name(field)
    )
}

/// One line saying why the answer matters for Chatwoot.
pub fn help(field: Field, scenario: Scenario) -> &'static str {
    if let Some(own) = scenario.help(field) {
        return own;
    }
    match field {
        Field::RedisVersion => {
            "Decides the image and which redis.conf directives exist (6.2 refuses 7.0 ones); Sidekiq 8 needs 7.0+ (6.2: Sidekiq 7 only). Redis 8+ is AGPLv3/RSALv2/SSPLv1, Valkey the BSD alternative. Existing data: never older than `docker compose exec redis redis-server --version` (or INFO server) reports"
        }
        Field::Host => "The host Chatwoot connects to",
        Field::Port => {
            "The port Chatwoot connects to; TLS endpoints often use another port (Azure 6380 or 10000, DigitalOcean 25061)"
        }
        Field::Db => {
            "Database 0-15 in REDIS_URL: Sidekiq queues and Chatwoot's state share it; change only if Redis is shared"
        }
        Field::Tls => "rediss:// in REDIS_URL; the provider must have in-transit encryption enabled",
        Field::Auth => {
            "none only on loopback or a private network: whoever reaches Redis reads every queued conversation"
        }
        Field::Username => {
            "An ACL user (Redis 6+): Chatwoot honours it only inside REDIS_URL, so the password moves there"
        }
        Field::Sentinels => {
            "host:port,host:port — no redis:// prefix, no IPv6 literals; empty means the chart runs Redis with 3 sentinels"
        }
        Field::SentinelMaster => {
            "Never empty: an empty REDIS_SENTINEL_MASTER_NAME breaks Chatwoot's Sentinel mode (default mymaster)"
        }
        Field::Release => {
            "The Chatwoot Helm release: the Bitnami Redis services are named <release>-chatwoot-redis"
        }
        Field::Namespace => "The namespace of the Chatwoot release (for kubectl and helm commands)",
        Field::RedisImage | Field::SentinelImage => {
            "The default bitnamilegacy 6.2.7 images are what the chart is known to work with, but they get no updates"
        }
        Field::RedisNodes => {
            "The master proxy checks each node for role:master; fully qualified names, since its resolvers use no search domains"
        }
        Field::SentinelDownAfter => {
            "Bitnami's sentinels wait 60000 ms; lower fails over sooner, too low fails over on a slow network"
        }
        Field::Maxmemory => {
            "noeviction: Sidekiq jobs have no TTL, so a full Redis must refuse writes, not drop jobs; leave headroom"
        }
        Field::WebProcesses => {
            "WEB_CONCURRENCY x web hosts or pods: each Puma process holds its own Redis pools"
        }
        Field::WebThreads => {
            "RAILS_MAX_THREADS: REDIS_ALFRED_SIZE and REDIS_VELMA_SIZE must be at least this, or requests queue"
        }
        Field::SidekiqProcesses => {
            "Sidekiq processes in total (containers, pods, dynos or systemd workers)"
        }
        Field::SidekiqConcurrency => {
            "SIDEKIQ_CONCURRENCY (Chatwoot's default 10): each job thread holds a Redis connection"
        }
        Field::MaxConnections => {
            "Small plans cap connections (Heroku mini: 20): Chatwoot's budget is checked against it"
        }
        Field::Url => {
            "heroku config:get REDIS_URL; the password stays in the URL. Heroku serves a self-signed certificate; Chatwoot must skip verification"
        }
        Field::Password => {
            "Chatwoot's cable.yml pastes REDIS_PASSWORD unquoted into YAML: letters and digits are safe everywhere"
        }
        _ => "",
    }
}

/// An answer of resolved answers, as the text the wizard offers as its default.
fn field_value(a: &Answers, field: Field) -> Option<String> {
    Some(match field {
        Field::Host => a.host.clone(),
        Field::Port => a.port.to_string(),
        Field::Db => a.db.to_string(),
        Field::Tls => a.tls.to_string(),
        Field::Auth => a.auth.id().into(),
        Field::Username => a.username.clone()?,
        Field::Sentinels => {
            if a.sentinels.is_empty() {
                return None;
            }
            a.sentinels
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
        Field::SentinelMaster => a.sentinel_master.clone(),
        Field::RedisVersion => a.redis_version.id().into(),
        Field::Maxmemory => a.maxmemory.text.clone(),
        Field::WebProcesses => a.workload.web_processes.to_string(),
        Field::WebThreads => a.workload.web_threads.to_string(),
        Field::SidekiqProcesses => a.workload.sidekiq_processes.to_string(),
        Field::SidekiqConcurrency => a.workload.sidekiq_concurrency.to_string(),
        Field::MaxConnections => a.max_connections?.to_string(),
        Field::Release => a.release.clone(),
        Field::Namespace => a.namespace.clone(),
        Field::RedisImage => a.chart.redis_image.to_string(),
        Field::SentinelImage => a.chart.sentinel_image.to_string(),
        Field::SentinelDownAfter => a.chart.down_after_ms.to_string(),
        Field::RedisNodes => a
            .redis_nodes
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(","),
        Field::ConfigDir => a.config_dir.clone(),
        Field::DataDir => a.data_dir.clone(),
        Field::Url => crate::render::redis_url(a, None),
        _ => return None,
    })
}

/// The one validation path: the answer goes into a copy of the answers and [`answers::resolve`]
/// judges it. Problems of this field are the prompt's error; problems of answers still to be
/// asked are not.
fn check_answer(
    raw: &RawAnswers,
    pending: &BTreeSet<Field>,
    field: Field,
    value: &str,
) -> std::result::Result<(), String> {
    let mut copy = raw.clone();
    let url_at_host = field == Field::Host && is_url(value);
    if field == Field::Url || url_at_host {
        url_replaces_endpoint(&mut copy);
    }
    if url_at_host {
        copy.set(Field::Url, value.trim());
    } else if value.trim().is_empty() && is_optional(field) {
        copy.remove(field);
    } else {
        copy.set(field, value.trim());
    }
    match answers::resolve(&copy) {
        Err(
            ref e @ Error::Invalid {
                target: Target::Answer(f),
                ..
            },
        ) if f == field || (f == Field::Url && url_at_host) => {
            Err(prompt_error_at(e, Some(field)).unwrap_or_else(|| e.to_string()))
        }
        Err(Error::Missing(missing)) => {
            for m in missing {
                if m.field == field || !pending.contains(&m.field) {
                    return Err(missing_at_prompt(m.field));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A `redis://` or `rediss://` URL (pasted where a host is asked: it is split into its parts).
fn is_url(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.starts_with("redis://") || v.starts_with("rediss://")
}

/// A URL gives host, port, TLS, db and user: the previous ones (e.g. from the answers file of
/// a Heroku app whose host rotated) must not override it.
fn url_replaces_endpoint(raw: &mut RawAnswers) {
    for f in [
        Field::Host,
        Field::Port,
        Field::Tls,
        Field::Db,
        Field::Username,
    ] {
        raw.remove(f);
    }
}

/// Where a password other than the prompt's comes from, if any (then it is not asked).
fn other_password_source(ctx: &Context<'_>, a: &Answers) -> Option<&'static str> {
    let f = ctx.secret_flags;
    if f.password_file.is_some() {
        Some(Origin::File.describe())
    } else if f.password_stdin {
        Some(Origin::Stdin.describe())
    } else if ctx.env_password {
        Some(Origin::Environment.describe())
    } else if a.url_password.is_some() {
        Some(Origin::Url.describe())
    } else if f.generate_password {
        Some("generated (--generate-password), unless the existing .env has one")
    } else {
        None
    }
}

struct Session<'a, 'c> {
    p: &'a mut dyn Prompter,
    w: &'a mut dyn Write,
    ctx: &'a Context<'c>,
    scenario: Scenario,
    raw: RawAnswers,
    password: Option<(String, Origin)>,
    asked: BTreeSet<Field>,
    sizing_done: bool,
}

/// A line of the wizard's own (not a refusal): left out with `--quiet`.
fn say(ctx: &Context<'_>, w: &mut dyn Write, text: &str) {
    if !ctx.quiet {
        let _ = writeln!(w, "{text}");
    }
}

impl Session<'_, '_> {
    fn say(&mut self, text: &str) {
        say(self.ctx, self.w, text);
    }

    fn pending(&self) -> BTreeSet<Field> {
        self.scenario
            .questions()
            .iter()
            .copied()
            .filter(|q| !self.asked.contains(q))
            .collect()
    }

    fn is_fixed(&self, field: Field) -> bool {
        self.ctx.fixed.get(field).is_some()
    }

    fn default_for(&self, field: Field) -> Option<String> {
        if let Some(v) = self.raw.get(field) {
            return Some(v.to_string());
        }
        let a = answers::resolve(&self.raw).ok()?;
        field_value(&a, field)
    }

    /// Asks one question of the scenario (or the group it belongs to).
    fn ask(&mut self, field: Field) -> Result<()> {
        if self.is_fixed(field) {
            self.asked.insert(field);
            if self.ctx.verbose {
                let v = self.ctx.fixed.get(field).unwrap_or_default();
                let shown = if field == Field::Url {
                    answers::redact_url(v)
                } else {
                    v.to_string()
                };
                self.say(&format!("{field}: {shown} (given on the command line)"));
            }
            return Ok(());
        }
        match field {
            Field::Password => self.ask_password(false),
            f if f == Field::Maxmemory || WORKLOAD.contains(&f) => {
                if !self.sizing_done {
                    self.ask_sizing()?;
                }
                Ok(())
            }
            // With the chart's bundled Redis the chart names the host itself.
            Field::Host
                if self.scenario.rules().sentinel && self.raw.get(Field::Sentinels).is_none() =>
            {
                self.raw.remove(Field::Host);
                self.asked.insert(field);
                Ok(())
            }
            Field::Tls => self.ask_bool(field),
            Field::RedisVersion => {
                let ids: Vec<&str> = RedisVersion::ALL.iter().map(|v| v.id()).collect();
                let shown: Vec<String> =
                    RedisVersion::ALL.iter().map(|v| v.choice_label()).collect();
                let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
                self.ask_choice(field, &ids, &shown)
            }
            Field::Auth => self.ask_choice(
                field,
                &["password", "none"],
                &[
                    "password — Redis requires AUTH",
                    "none — no password (loopback or private network only)",
                ],
            ),
            _ => self.ask_text(field),
        }
    }

    fn ask_text(&mut self, field: Field) -> Result<()> {
        let default = self.default_for(field);
        let pending = self.pending();
        let raw = self.raw.clone();
        let validate = |v: &str| check_answer(&raw, &pending, field, v);
        let help = help(field, self.scenario);
        let value = self.p.text(&TextQuestion {
            message: label(field),
            default: default.as_deref(),
            help,
            validate: &validate,
            optional: is_optional(field),
            redact: field == Field::Url || field == Field::Host,
            masked: field == Field::Url,
        })?;
        let value = value.trim();
        if field == Field::Host && is_url(value) {
            return self.host_from_url(value);
        }
        if field == Field::Url {
            url_replaces_endpoint(&mut self.raw);
        }
        if value.is_empty() && is_optional(field) {
            self.raw.remove(field);
        } else {
            self.raw.set(field, value);
        }
        self.asked.insert(field);
        if field == Field::Url {
            self.split_url()?;
        }
        Ok(())
    }

    /// Heroku's URL carries the password: keep host, port, TLS and db as answers and the
    /// password as the prompt's secret, so the password never sits in the answers.
    fn split_url(&mut self) -> Result<()> {
        let a = answers::resolve(&self.raw)?;
        if let Some(p) = a.url_password.clone() {
            self.password = Some((p, Origin::Url));
        }
        self.raw.remove(Field::Url);
        self.raw.set(Field::Host, a.host.clone());
        self.raw.set(Field::Port, a.port.to_string());
        self.raw.set(Field::Tls, a.tls.to_string());
        self.raw.set(Field::Db, a.db.to_string());
        if let Some(u) = &a.username {
            self.raw.set(Field::Username, u.clone());
        }
        Ok(())
    }

    /// A URL pasted where the host is asked: it gives host, port, TLS, user name and
    /// database as one unit (those questions are not asked again; a flag still wins), and its
    /// password is the prompt's secret, never an answer.
    fn host_from_url(&mut self, url: &str) -> Result<()> {
        url_replaces_endpoint(&mut self.raw);
        self.raw.set(Field::Url, url);
        self.split_url()?;
        let mut parts = vec![
            Field::Host,
            Field::Port,
            Field::Tls,
            Field::Db,
            Field::Username,
        ];
        if matches!(self.password, Some((_, Origin::Url))) && !self.is_fixed(Field::Auth) {
            self.raw.set(Field::Auth, Auth::Password.id());
            parts.push(Field::Auth);
        }
        for f in parts {
            if let Some(v) = self.ctx.fixed.get(f) {
                self.raw.set(f, v.to_string());
            }
            self.asked.insert(f);
        }
        let a = answers::resolve(&self.raw)?;
        let mut said = format!(
            "{}: from the URL: host {}, port {}, TLS {}, database {}",
            prompt_name(Field::Host),
            a.host,
            a.port,
            if a.tls { "on" } else { "off" },
            a.db
        );
        if let Some(u) = &a.username {
            said.push_str(&format!(", user {u}"));
        }
        if matches!(self.password, Some((_, Origin::Url))) {
            said.push_str(", and its password (kept as a secret, never saved as an answer)");
        }
        self.say(&format!("{said}."));
        Ok(())
    }

    fn ask_bool(&mut self, field: Field) -> Result<()> {
        loop {
            let default = self.default_for(field).as_deref() == Some("true");
            let value = self
                .p
                .confirm(label(field), default, help(field, self.scenario))?;
            let text = value.to_string();
            match check_answer(&self.raw, &self.pending(), field, &text) {
                Ok(()) => {
                    self.raw.set(field, text);
                    self.asked.insert(field);
                    return Ok(());
                }
                Err(msg) => self.refused(&msg),
            }
        }
    }

    fn ask_choice(&mut self, field: Field, values: &[&str], shown: &[&str]) -> Result<()> {
        loop {
            let current = self.default_for(field);
            let default = values
                .iter()
                .position(|v| Some(*v) == current.as_deref())
                .unwrap_or(0);
            let options: Vec<String> = shown.iter().map(|s| s.to_string()).collect();
            let i = self
                .p
                .select(label(field), &options, default, help(field, self.scenario))?;
            let value = values.get(i).copied().unwrap_or(values[0]);
            match check_answer(&self.raw, &self.pending(), field, value) {
                Ok(()) => {
                    self.raw.set(field, value);
                    self.asked.insert(field);
                    return Ok(());
                }
                Err(msg) => self.refused(&msg),
            }
        }
    }

    /// A choice refused by the validator: say why (always, even with --quiet) and ask again.
    fn refused(&mut self, msg: &str) {
        let _ = writeln!(self.w, "✗ {msg}");
    }

    /// The password question. `again`: the render refused the password chosen before.
    fn ask_password(&mut self, again: bool) -> Result<()> {
        self.asked.insert(Field::Password);
        if !again {
            if let Some((_, Origin::Url)) = self.password {
                self.say("Password: from the URL.");
                return Ok(());
            }
        }
        let a = match answers::resolve(&self.raw) {
            Ok(a) => a,
            // An answer still missing: the final check asks for it, then for the password.
            Err(_) => return Ok(()),
        };
        if a.auth == Auth::None {
            self.password = None;
            return Ok(());
        }
        if let Some(source) = other_password_source(self.ctx, &a) {
            self.say(&format!("Password: {source}."));
            return Ok(());
        }
        // A scenario switch describes another Redis: the old deployment's password is not
        // offered (it would silently open the new one with the old credential).
        let switched = self
            .ctx
            .defaults
            .get(Field::Scenario)
            .is_some_and(|old| old.trim() != self.scenario.id());
        let env_path = commands::env_path_of(
            &self.raw,
            self.ctx.out_dir,
            &commands::answers_path(self.ctx.out_dir, None),
        );
        let existing = secrets::existing_password_in(
            &env_path,
            self.ctx.out_dir,
            &secrets::password_holders(&a),
        )
        .filter(|_| !again);
        if switched && existing.is_some() {
            self.say(
                "Password: the previous deployment's password is not reused for a new scenario.",
            );
        }
        let existing = existing.filter(|_| !switched);
        let mut options = Vec::new();
        if let Some((_, origin)) = &existing {
            let file = match origin {
                Origin::ExistingSecretManifest => FileKind::HelmSecret.file_name(),
                _ => FileKind::Env.file_name(),
            };
            options.push(format!("keep the existing password (from {file})"));
        }
        options.push("generate a strong one (letters and digits; shown once)".to_string());
        options.push("enter one (typed twice, masked)".to_string());
        let i = self.p.select(
            "Redis password:",
            &options,
            0,
            help(Field::Password, self.scenario),
        )?;
        let choice = if existing.is_some() { i } else { i + 1 };
        self.password = match (choice, existing) {
            (0, Some(found)) => Some(found),
            (1, _) => Some((secrets::generate_password()?, Origin::Generated)),
            _ => {
                let validate: OwnedValidator =
                    std::rc::Rc::new(move |pw: &str| match secrets::place_password(&a, pw) {
                        Ok(_) => Ok(()),
                        Err(e) => Err(prompt_error(&e).unwrap_or_else(|| e.to_string())),
                    });
                let pw = self.p.password(
                    "Type the Redis password:",
                    help(Field::Password, self.scenario),
                    validate,
                )?;
                Some((pw, Origin::Prompt))
            }
        };
        Ok(())
    }

    /// Processes and threads, the connection budget they give, and the memory limit.
    fn ask_sizing(&mut self) -> Result<()> {
        let questions = self.scenario.questions();
        loop {
            for f in WORKLOAD {
                if questions.contains(&f) && !self.is_fixed(f) {
                    self.ask_text(f)?;
                } else {
                    self.asked.insert(f);
                }
            }
            if let Ok(a) = answers::resolve(&self.raw) {
                let budget = sizing::budget(&a.workload);
                self.say("Connection budget (from Chatwoot's code):");
                for line in budget.explain(&a.workload) {
                    // A managed service sets its own maxclients: that line would mislead.
                    if a.scenario.is_managed() && line.starts_with("maxclients") {
                        continue;
                    }
                    self.say(&format!("  {line}"));
                }
                if a.scenario.is_managed() {
                    self.say(&format!(
                        "  → .env gets REDIS_ALFRED_SIZE={} and REDIS_VELMA_SIZE={}; the plan must allow {} connections (reachable), {} for the pools' capacity",
                        budget.alfred, budget.velma, budget.reachable, budget.capacity
                    ));
                } else {
                    self.say(&format!(
                        "  → REDIS_ALFRED_SIZE={}, REDIS_VELMA_SIZE={}, maxclients {}",
                        budget.alfred, budget.velma, budget.maxclients
                    ));
                }
            }
            if questions.contains(&Field::Maxmemory) {
                if self.is_fixed(Field::Maxmemory) {
                    self.asked.insert(Field::Maxmemory);
                } else {
                    self.ask_text(Field::Maxmemory)?;
                }
            }
            self.asked.insert(Field::Maxmemory);
            self.sizing_done = true;
            if self.p.confirm(
                "Use these sizes?",
                true,
                "No: answer the processes and threads again",
            )? {
                return Ok(());
            }
        }
    }

    /// The complete render, re-asking any answer the render refuses.
    fn prepare(&mut self) -> Result<Prepared> {
        for _ in 0..20 {
            let err = match commands::prepare_with_password(
                self.ctx.out_dir,
                &self.raw,
                self.ctx.secret_flags,
                self.password.clone(),
                true,
            ) {
                Ok(p) => return Ok(p),
                Err(e) => e,
            };
            let field = match &err {
                Error::Invalid {
                    target: Target::Answer(f) | Target::Secret(f),
                    ..
                } => *f,
                Error::Missing(missing) => match missing.first() {
                    Some(m) => m.field,
                    None => return Err(err),
                },
                _ => return Err(err),
            };
            let resolved = answers::resolve(&self.raw);
            if field == Field::Password {
                let other = resolved
                    .as_ref()
                    .ok()
                    .and_then(|a| other_password_source(self.ctx, a));
                if other.is_some() {
                    return Err(err);
                }
                self.refused(&prompt_error(&err).unwrap_or_else(|| err.to_string()));
                self.ask_password(true)?;
                continue;
            }
            let Some(q) = self
                .scenario
                .questions()
                .iter()
                .copied()
                .find(|q| *q == field && !self.is_fixed(*q))
            else {
                return Err(err);
            };
            self.refused(&prompt_error(&err).unwrap_or_else(|| err.to_string()));
            if q == Field::Maxmemory || WORKLOAD.contains(&q) {
                self.ask_sizing()?;
            } else {
                self.ask(q)?;
            }
        }
        Err(Error::Usage("too many refused answers".into()))
    }
}

/// Runs the questions and returns the render, after the summary was confirmed.
/// Declining the summary is [`Error::Interrupted`]: nothing is written.
pub fn interview(p: &mut dyn Prompter, w: &mut dyn Write, ctx: &Context<'_>) -> Result<Prepared> {
    let path = commands::answers_path(ctx.out_dir, None);
    if path.exists() && Field::answers().any(|f| ctx.defaults.get(f).is_some()) {
        say(
            ctx,
            w,
            &format!(
                "loaded answers from {} (Enter keeps each answer)",
                path.display()
            ),
        );
    }
    let default_scenario = ctx
        .defaults
        .get(Field::Scenario)
        .and_then(|s| Scenario::parse(s.trim()));
    let scenario = match ctx.fixed.get(Field::Scenario) {
        Some(s) => Scenario::parse(s.trim()).ok_or_else(|| {
            answers::resolve(&ctx.fixed)
                .err()
                .unwrap_or_else(|| Error::Usage(format!("unknown scenario {s:?}")))
        })?,
        None => {
            let width = Scenario::all().map(|s| s.id().len()).max().unwrap_or(0);
            let options: Vec<String> = Scenario::all()
                .map(|s| format!("{:width$}  {}", s.id(), s.description()))
                .collect();
            let default = default_scenario
                .and_then(|d| Scenario::all().position(|s| s == d))
                .unwrap_or(0);
            let i = p.select(
                "Where does Chatwoot's Redis run?",
                &options,
                default,
                "Decides the files and questions: `chatwoot-redis scenarios` lists them",
            )?;
            Scenario::all()
                .nth(i)
                .or_else(|| Scenario::all().next())
                .ok_or_else(|| Error::Other(anyhow::anyhow!("no scenario is registered")))?
        }
    };
    // Re-run = reconfigure: the answers file of the same scenario gives the defaults; for
    // another scenario, the answers that mean the same in every scenario (the table's
    // portable ones: the workload) are kept, the rest start from that scenario's defaults.
    let mut raw = if default_scenario == Some(scenario) {
        ctx.defaults.clone()
    } else {
        let mut kept = RawAnswers::new();
        let mut names = Vec::new();
        for field in Field::answers().filter(|f| f.spec().portable) {
            if let Some(v) = ctx.defaults.get(field) {
                kept.set(field, v.to_string());
                names.push(format!("{field} {v}"));
            }
        }
        if let (Some(old), false) = (default_scenario, names.is_empty()) {
            say(
                ctx,
                w,
                &format!(
                    "Kept from the {old} answers: {}; the other answers start from {}'s \
                     defaults.",
                    names.join(", "),
                    scenario.id()
                ),
            );
        }
        kept
    };
    raw.overlay(&ctx.fixed);
    raw.set(Field::Scenario, scenario.id());
    let mut s = Session {
        p,
        w,
        ctx,
        scenario,
        raw,
        password: None,
        asked: BTreeSet::new(),
        sizing_done: false,
    };
    for q in scenario.questions() {
        if !s.asked.contains(q) {
            s.ask(*q)?;
        }
    }
    let prepared = s.prepare()?;
    summary(&mut s, &prepared)?;
    if !s.p.confirm(
        "Write these files?",
        true,
        "No: stop here, nothing is written",
    )? {
        return Err(Error::Interrupted);
    }
    Ok(prepared)
}

fn summary(s: &mut Session<'_, '_>, prepared: &Prepared) -> Result<()> {
    if s.ctx.quiet {
        return Ok(());
    }
    s.say("");
    s.say(&format!(
        "Answers (written to {}):",
        commands::answers_path(s.ctx.out_dir, None).display()
    ));
    for line in answers::to_answers_yaml(&prepared.answers).lines() {
        s.say(&format!("  {line}"));
    }
    let password = match &prepared.secrets.password {
        Some((_, Origin::Generated)) => "generated (shown once, after writing)".to_string(),
        Some((_, o)) => o.describe().to_string(),
        None => "none (no AUTH)".to_string(),
    };
    s.say(&format!("  password: {password}"));
    // The plan below ends with the render's warnings: each is said there, once per run (the
    // write after the confirmation does not repeat them).
    let mut buf = Vec::new();
    show_plan(&prepared.set, s.ctx.out_dir, &mut buf);
    let _ = s.w.write_all(&buf);
    Ok(())
}

/// The files the write would create, update or leave unchanged: the planner's dry run, or,
/// where it is not available, a simple comparison with the disk.
pub fn show_plan(set: &RenderSet, out_dir: &Path, w: &mut dyn Write) {
    let mut buf = Vec::new();
    if plan::execute(set, out_dir, plan::Mode::DryRun, &mut buf).is_ok() {
        let _ = w.write_all(&buf);
        return;
    }
    let _ = writeln!(w, "Plan for {}:", out_dir.display());
    for f in &set.files {
        let path = out_dir.join(f.name());
        let action = match std::fs::read_to_string(&path) {
            Err(_) => "create",
            Ok(_) if f.kind == FileKind::Env => "update (Redis keys only)",
            Ok(text) if text == f.contents => "unchanged",
            Ok(_) => "update",
        };
        let _ = writeln!(w, "  {action:<9} {}", path.display());
    }
    for warning in &set.warnings {
        let _ = writeln!(w, "warning: {warning}");
    }
}

/// A path as a shell word to copy.
fn shell_path(out_dir: &Path, name: &str) -> String {
    if out_dir == Path::new(".") {
        crate::shell::quote(name)
    } else {
        crate::shell::quote_path(&out_dir.join(name))
    }
}

/// What to run after writing, as commands to copy.
pub fn next_steps(a: &Answers, set: &RenderSet, out_dir: &Path) -> Vec<String> {
    let has = |k: FileKind| set.files.iter().any(|f| f.kind == k);
    let path = |name: &str| shell_path(out_dir, name);
    let mut steps = a.scenario.next_steps(&crate::scenario::StepContext {
        answers: a,
        has: &has,
        path: &path,
    });
    if a.outputs.contains(&Output::Helm) {
        if has(FileKind::HelmSecret) {
            steps.push(format!(
                "kubectl apply -n {} -f {}",
                a.namespace,
                path("redis-secret.yaml")
            ));
        }
        steps.push(format!(
            "helm upgrade --install {} chatwoot/chatwoot -n {} -f your-values.yaml -f {}",
            a.release,
            a.namespace,
            path("values.redis.yaml")
        ));
    }
    steps
}

fn ci_set() -> bool {
    crate::environment::ProcessEnv::get().ci()
}

/// An `init` run as the command line asked for it (no clap type past this point).
#[derive(Debug, Clone)]
pub struct WizardRequest {
    /// Directory of the answers file and the outputs.
    pub out: std::path::PathBuf,
    /// Answers given as flags or CHATWOOT_REDIS_* variables: not asked.
    pub answers: RawAnswers,
    pub passwords: PasswordSource,
    pub force: bool,
}

/// The answers a re-run starts from: the answers file, and for a scenario whose endpoint is not
/// recorded (Heroku's rotating URL) the URL of the `.env` written before.
fn load_defaults(out: &Path, answers_file: &Path) -> Result<RawAnswers> {
    let mut defaults = commands::read_answers_file(answers_file, false)?;
    let env_path = commands::env_path_of(&defaults, out, answers_file);
    let _ = commands::take_rotating_endpoint(&env_path, &mut defaults);
    Ok(defaults)
}

/// `chatwoot-redis init`.
pub fn run(args: WizardRequest, quiet: bool, verbose: bool) -> Result<u8> {
    commands::check_url_flag(&args.answers)?;
    let path = commands::answers_path(&args.out, None);
    let defaults = load_defaults(&args.out, &path)?;
    let fixed = args.answers.clone();
    let mut err = std::io::stderr();
    let interactive = std::io::stdin().is_terminal() && !ci_set();
    if !interactive {
        let why = if ci_set() {
            "CI is set"
        } else {
            "standard input is not a terminal"
        };
        return run_unattended(&args, defaults, fixed, quiet, why);
    }
    if args.passwords.password_stdin {
        return Err(Error::Usage(
            "--password-stdin: standard input is the terminal the wizard asks on\n  fix: \
             choose the password at the wizard's prompt, or use --password-file FILE or \
             REDIS_PASSWORD=…"
                .into(),
        ));
    }
    let ctx = Context {
        out_dir: &args.out,
        defaults,
        fixed,
        secret_flags: &args.passwords,
        env_password: crate::environment::ProcessEnv::get()
            .redis_password()
            .is_some_and(|p| !p.is_empty()),
        quiet,
        verbose,
    };
    let mut prompter = InquirePrompter::new();
    let prepared = interview(&mut prompter, &mut err, &ctx)?;
    offer_gitignore(&mut prompter, &mut err, &prepared.set, &args.out)?;
    // The summary showed the render's warnings (unless --quiet): the write does not repeat
    // them.
    write(&prepared, &args, quiet, !quiet)
}

/// The secret files of `set` that git would commit: `out_dir` is in a work tree and git's
/// rules do not ignore them (and `out_dir/.gitignore` does not list them already).
fn unignored_secret_files(set: &RenderSet, out_dir: &Path) -> Vec<&'static str> {
    let names: Vec<&'static str> = set
        .files
        .iter()
        .filter(|f| f.kind.is_secret())
        .map(|f| f.name())
        .collect();
    let paths: Vec<std::path::PathBuf> = names.iter().map(|n| out_dir.join(n)).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    // A name the file lists already is not offered again (adding it twice changes nothing).
    let listed = gitignore_lines(out_dir);
    let unlisted = names.into_iter().filter(|n| !listed.contains(*n));
    match crate::git::status(&refs) {
        Some(statuses) => {
            let ignored: BTreeSet<&Path> = refs
                .iter()
                .zip(statuses)
                .filter(|(_, s)| s.ignored)
                .map(|(p, _)| *p)
                .collect();
            unlisted
                .filter(|n| !ignored.contains(out_dir.join(n).as_path()))
                .collect()
        }
        // Outside a work tree there is nothing to commit them to.
        None => Vec::new(),
    }
}

/// The patterns of `out_dir/.gitignore` that name a file of that directory exactly.
fn gitignore_lines(out_dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(out_dir.join(".gitignore"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().trim_start_matches('/').to_string())
        .collect()
}

/// Appends each of `names` that `out_dir/.gitignore` does not list yet (a second run adds
/// nothing). Returns the names added.
pub fn add_to_gitignore(out_dir: &Path, names: &[&str]) -> Result<Vec<String>> {
    let path = out_dir.join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(Error::Read { path, source }),
    };
    let listed = gitignore_lines(out_dir);
    let added: Vec<String> = names
        .iter()
        .filter(|n| !listed.contains(**n))
        .map(|n| n.to_string())
        .collect();
    if added.is_empty() {
        return Ok(added);
    }
    let mut text = String::new();
    if !current.is_empty() && !current.ends_with('\n') {
        text.push('\n');
    }
    if current.is_empty() {
        text.push_str("# Files holding Redis secrets (chatwoot-redis): never commit them\n");
    }
    for n in &added {
        text.push_str(n);
        text.push('\n');
    }
    let write_err = |source| Error::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(write_err)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(write_err)?;
    f.write_all(text.as_bytes()).map_err(write_err)?;
    Ok(added)
}

/// Offers to add the secret files that git would commit to `.gitignore` (default yes).
fn offer_gitignore(
    p: &mut dyn Prompter,
    w: &mut dyn Write,
    set: &RenderSet,
    out_dir: &Path,
) -> Result<()> {
    let names = unignored_secret_files(set, out_dir);
    if names.is_empty() {
        return Ok(());
    }
    let gitignore = out_dir.join(".gitignore");
    let question = format!("Add {} to {}?", names.join(", "), gitignore.display());
    if !p.confirm(
        &question,
        true,
        "They hold the Redis password: git must never commit them (its history would keep it)",
    )? {
        return Ok(());
    }
    let added = add_to_gitignore(out_dir, &names)?;
    if !added.is_empty() {
        let _ = writeln!(w, "added {} to {}", added.join(", "), gitignore.display());
    }
    Ok(())
}

/// `said`: the render's warnings were already shown (the wizard's summary), so the write
/// leaves them out; each warning is said once per run.
fn write(prepared: &Prepared, args: &WizardRequest, quiet: bool, said: bool) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    let mut set = prepared.set.clone();
    if said {
        set.warnings.clear();
    }
    let code = plan::execute(
        &set,
        &args.out,
        plan::Mode::Write { force: args.force },
        &mut out,
    )?;
    if quiet || code != 0 {
        return Ok(code);
    }
    // Only an operator at a terminal sees it; a log (CI, a pipe) never gets a secret.
    let at_terminal = {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal() && std::io::stdin().is_terminal()
    };
    if let (true, Some((p, Origin::Generated))) = (at_terminal, &prepared.secrets.password) {
        let holders: Vec<&str> = prepared
            .set
            .files
            .iter()
            .filter(|f| f.contents.contains(p.as_str()))
            .map(|f| f.name())
            .collect();
        // On the terminal only (standard error), once.
        let _ = writeln!(
            std::io::stderr(),
            "\nGenerated Redis password (shown this once; it is stored in {} and never echoed again):\n  {p}\n",
            holders.join(", ")
        );
    }
    let steps = next_steps(&prepared.answers, &prepared.set, &args.out);
    if !steps.is_empty() {
        let _ = writeln!(out, "\nNext steps ({}):", prepared.answers.scenario);
        for s in steps {
            let _ = writeln!(out, "  {s}");
        }
    }
    Ok(code)
}

/// One line of the missing-answers list: the flag and the environment variable.
fn missing_line(field: Field, scenario: Option<Scenario>) -> Missing {
    let env = field.env_var();
    let line = match field {
        Field::Scenario => format!(
            "scenario: --scenario ID or {env}=ID (one of {}; the other answers depend on it: \
             `chatwoot-redis scenarios` lists them)",
            Scenario::ids().join(", ")
        ),
        Field::Url => format!(
            "url: --url rediss://HOST:PORT or {env}=… (Heroku's REDIS_URL; the password goes in \
             REDIS_PASSWORD, or stays in {env})"
        ),
        Field::Host => format!(
            "host: --host HOST or {env}=HOST (the {} endpoint)",
            scenario.map(|s| s.id()).unwrap_or("Redis")
        ),
        f => format!("{f}: --{f} VALUE or {env}=VALUE"),
    };
    Missing::new(field, line)
}

/// Every answer that cannot be had without asking. Stops at the scenario (the rest depends
/// on it). Bad answers are errors of their own.
fn missing_answers(raw: &RawAnswers, out: &Path, flags: &PasswordSource) -> Result<Vec<Missing>> {
    let mut copy = raw.clone();
    let mut lines: Vec<Missing> = Vec::new();
    for _ in 0..8 {
        match answers::resolve(&copy) {
            Ok(_) => break,
            Err(Error::Missing(found)) => {
                let scenario = copy.get(Field::Scenario).and_then(Scenario::parse);
                for m in found {
                    match m.field {
                        Field::Scenario => {
                            lines.push(missing_line(Field::Scenario, None));
                            return Ok(lines);
                        }
                        Field::Host | Field::Port => {
                            let f = if scenario
                                .is_some_and(|s| s.rules().endpoint_from_url.is_some())
                            {
                                Field::Url
                            } else {
                                m.field
                            };
                            let l = missing_line(f, scenario);
                            if !lines.contains(&l) {
                                lines.push(l);
                            }
                            copy.set(
                                Field::Host,
                                copy.get(Field::Host)
                                    .unwrap_or("answer.invalid")
                                    .to_string(),
                            );
                            copy.set(
                                Field::Port,
                                copy.get(Field::Port).unwrap_or("6379").to_string(),
                            );
                        }
                        _ => {
                            lines.push(m);
                            return Ok(lines);
                        }
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    // The password, unless reading it would consume standard input.
    if !lines.is_empty() && !flags.password_stdin {
        if let Err(Error::Missing(found)) = commands::prepare_raw(out, &copy, flags, true) {
            lines.extend(found);
        }
    }
    Ok(lines)
}

/// No terminal (or CI): never prompt. Missing answers are listed (exit 2); when every answer
/// is supplied, render as `render` would.
fn run_unattended(
    args: &WizardRequest,
    defaults: RawAnswers,
    fixed: RawAnswers,
    quiet: bool,
    why: &str,
) -> Result<u8> {
    let mut raw = defaults;
    raw.overlay(&fixed);
    let missing = missing_answers(&raw, &args.out, &args.passwords)?;
    let prepared = if missing.is_empty() {
        match commands::prepare_raw(&args.out, &raw, &args.passwords, true) {
            Ok(p) => Some(p),
            Err(Error::Missing(m)) => return Err(not_prompting(m, why, quiet)),
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let Some(prepared) = prepared else {
        return Err(not_prompting(missing, why, quiet));
    };
    if !quiet {
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "init: not prompting ({why}); every answer is supplied, rendering"
        );
    }
    // The write says the render's warnings, once.
    write(&prepared, args, quiet, false)
}

fn not_prompting(missing: Vec<Missing>, why: &str, quiet: bool) -> Error {
    if !quiet {
        let _ = writeln!(
            std::io::stderr(),
            "init: not prompting ({why}). Supply these answers as flags or environment \
             variables (or run `chatwoot-redis init` in a terminal):"
        );
    }
    Error::Missing(missing)
}

mod redacting;

#[cfg(test)]
mod tests;
