//! Static checks: every trap of the facts file that can be seen in the environment alone.

use crate::chatwoot::psych::{cable_yaml, CableYaml};
use crate::chatwoot::{
    detect_provider, parse_ruby_integer, UrlScheme, IGNORED_ENV_KEYS, REDIS_ENV_KEYS,
};
use crate::dotenv::Substitution;
use crate::redact::redact_url;
use crate::scenario::{Certificate, DoctorContext};
use crate::sizing::{CapVerdict, Workload};

use super::finding::{Finding, Severity};
use super::settings::{
    pool_size, ChatwootEnv, ConfiguredBudget, EnvVar, Settings, WorkloadSource, DEFAULT_REDIS_URL,
};

/// Variables whose value doctor never prints.
const SECRET_KEYS: &[&str] = &[
    "REDIS_PASSWORD",
    "REDIS_SENTINEL_PASSWORD",
    "REDIS_URL",
    "REDIS_TLS_URL",
    "SIDEKIQ_REDIS_URL",
];

/// Variables that change how Chatwoot uses Redis, beyond `REDIS_ENV_KEYS`.
const WORKLOAD_KEYS: &[&str] = &[
    "RAILS_MAX_THREADS",
    "WEB_CONCURRENCY",
    "SIDEKIQ_CONCURRENCY",
];

/// What the static checks need besides the environment.
#[derive(Debug, Clone)]
pub struct StaticInput<'a> {
    pub env: &'a ChatwootEnv,
    pub settings: &'a Settings,
    pub workload: &'a WorkloadSource,
    /// `None` when a pool size cannot be read.
    pub budget: Option<ConfiguredBudget>,
    /// The plan's connection cap (`--max-connections`).
    pub max_connections: Option<u32>,
}

/// Runs every static rule, in the order an operator should fix things.
pub fn check(input: &StaticInput) -> Vec<Finding> {
    let mut out = Vec::new();
    env_file_traps(input.env, &mut out);
    redis_url(input.env, input.settings, &mut out);
    password(input.env, input.settings, &mut out);
    sentinel(input.env, input.settings, &mut out);
    tls_and_provider(input.env, input.settings, &mut out);
    ignored_variables(input.env, input.settings, &mut out);
    client_command(input.env, &mut out);
    pools_and_budget(input, &mut out);
    out
}

/// Chatwoot's effective Redis URL for display, password hidden.
pub fn shown_url(settings: &Settings) -> String {
    redact_url(settings.url_text.as_deref().unwrap_or(DEFAULT_REDIS_URL))
}

/// Keys whose values doctor reads from the env file and cares about.
fn relevant_keys() -> impl Iterator<Item = &'static str> {
    REDIS_ENV_KEYS
        .iter()
        .chain(WORKLOAD_KEYS)
        .chain(IGNORED_ENV_KEYS)
        .copied()
}

/// Ruby dotenv keeps a variable already set in the process: say which value doctor used.
fn process_precedence(env: &ChatwootEnv, out: &mut Vec<Finding>) {
    let keys: Vec<&str> = env
        .from_process
        .iter()
        .map(String::as_str)
        .filter(|k| relevant_keys().any(|r| r == *k))
        .collect();
    if keys.is_empty() {
        return;
    }
    out.push(
        Finding::info(
            "env-process-wins",
            format!(
                "{} set in the process environment and in {}: doctor used the process values",
                keys.join(", "),
                env.source
            ),
        )
        .observed(format!(
            "{} {} both in doctor's environment and in the env file",
            keys.join(", "),
            if keys.len() == 1 { "is" } else { "are" }
        ))
        .why(
            "Chatwoot's dotenv (3.x) does not overwrite a variable that is already set, so a \
             Chatwoot started from this environment uses the process value, not the file's.",
        )
        .fix(
            "If the file's value is meant, unset the variable before starting Chatwoot (and \
             doctor), or run doctor --env-file with the file alone.",
        ),
    );
}

/// Why Compose reads `var`'s text differently from dotenv, in words that never quote it.
fn compose_difference(var: &EnvVar, compose: &str) -> &'static str {
    let raw = var.raw_text();
    if raw.starts_with(['\'', '"']) && var.quoting == Some(crate::dotenv::Quoting::Unquoted) {
        "text follows the closing quote: dotenv reads the whole line as an unquoted value, \
         Compose the quoted part and then a new line"
    } else if var.quoting == Some(crate::dotenv::Quoting::Double) && raw.contains('\\') {
        "escape sequences in double quotes: Compose reads \\n, \\t, \\\\, \\0ooo as \
         escapes, dotenv 3 keeps \\n as two characters and drops other backslashes"
    } else if raw.contains('\\') {
        "a backslash: dotenv drops it before most characters, Compose keeps it"
    } else if compose.contains("\t#") {
        "a tab before #: dotenv starts a comment there, Compose only at a space and #"
    } else if compose.contains('#') {
        "a # not preceded by a space: dotenv starts a comment there, Compose does not"
    } else {
        "the two readers' quoting and comment rules differ for this line"
    }
}

/// For a Compose deployment: every relevant value Compose reads differently, and a file
/// Compose refuses.
fn compose_reads(env: &ChatwootEnv, out: &mut Vec<Finding>) {
    let Some(reading) = &env.compose else {
        return;
    };
    let vars = match &reading.vars {
        Ok(vars) => vars,
        Err(e) => {
            out.push(
                Finding::error(
                    "compose-refuses-env-file",
                    format!(
                        "Docker Compose refuses {}: the containers do not start",
                        env.source
                    ),
                )
                .observed(format!("{e} (a Compose deployment: {})", reading.because))
                .why(
                    "Compose v2 reads the env file itself (env_file: .env) and stops at this \
                     line: an unterminated quote (also '…\\' and \"…\\\", where the \
                     backslash escapes the closing quote), a key with a space or another \
                     character outside letters, digits and _ . - [ ], or a ${…} it cannot \
                     substitute.",
                )
                .fix(
                    "Fix that line: single-quote a value without ' or a trailing backslash, \
                     or choose a value of letters and digits; then run `docker compose config` \
                     to check.",
                ),
            );
            return;
        }
    };
    for key in relevant_keys() {
        let Some(var) = env.vars.get(key) else {
            continue;
        };
        if var.line.is_none() || !var.substitutions.is_empty() {
            continue;
        }
        let secret = SECRET_KEYS.contains(&key);
        let compose = vars.get(key);
        if compose.is_some_and(|c| c.substituted) {
            continue;
        }
        let differs = match compose {
            None => Some("Compose does not read this key from the file".to_string()),
            Some(c) if c.value != var.value => Some(format!(
                "{}{}",
                compose_difference(var, &c.value),
                if secret {
                    String::new()
                } else {
                    format!(
                        " (dotenv reads {:?}, Compose reads {:?})",
                        var.value, c.value
                    )
                }
            )),
            Some(_) => None,
        };
        if let Some(how) = differs {
            out.push(
                Finding::error(
                    "env-readers-disagree",
                    format!("{key}: the containers get another value than the one doctor checked"),
                )
                .observed(format!("{}: {how}", env.locate(key)))
                .why(format!(
                    "This is a Compose deployment ({}): Chatwoot's containers get the values \
                     Docker Compose v2 reads from the env file, while doctor (and a Chatwoot \
                     started with dotenv) read it with Ruby dotenv's rules.",
                    reading.because
                ))
                .fix(format!(
                    "Write {key} so both read the same: single quotes around a value without ' \
                     (letters and digits are safe everywhere), no backslashes, nothing after \
                     the closing quote."
                )),
            );
        }
    }
}

/// How the env file is written: values that a reader changes (substitutions, `#`).
fn env_file_traps(env: &ChatwootEnv, out: &mut Vec<Finding>) {
    process_precedence(env, out);
    compose_reads(env, out);
    for key in REDIS_ENV_KEYS
        .iter()
        .chain(WORKLOAD_KEYS)
        .chain(IGNORED_ENV_KEYS)
    {
        let Some(var) = env.vars.get(*key) else {
            continue;
        };
        let shown = |text: &str| {
            if SECRET_KEYS.contains(key) {
                String::new()
            } else {
                format!(" ({text})")
            }
        };
        // Not known to be a Compose deployment: the one difference a reader of this file can
        // trip over (a Compose deployment gets the full comparison below).
        if let (None, Some(compose)) = (&env.compose, &var.compose_text) {
            out.push(
                Finding::warning(
                    "env-readers-disagree",
                    format!("{key}: Docker Compose and Chatwoot's dotenv read different values"),
                )
                .observed(format!(
                    "{} is unquoted and has a # not preceded by a space{}",
                    env.locate(key),
                    if SECRET_KEYS.contains(key) {
                        String::new()
                    } else {
                        format!(": dotenv reads {:?}, Compose reads {compose:?}", var.value)
                    }
                ))
                .why(
                    "Ruby dotenv (a non-Docker Chatwoot) starts a comment at any # of an unquoted \
                     value, Docker Compose only at \" #\": the same file gives two different \
                     values, and a password cut at # fails AUTH on one of the two.",
                )
                .fix(format!(
                    "Single-quote the value ({key}='…'): every reader then keeps the # as is."
                )),
            );
        }
        for s in &var.substitutions {
            match s {
                Substitution::Command(cmd) => out.push(
                    Finding::error(
                        "env-command-substitution",
                        format!("{key} contains $(…): Chatwoot's dotenv runs it as a command"),
                    )
                    .observed(format!(
                        "{} holds a $(…) command substitution{}, unquoted or in double quotes",
                        env.locate(key),
                        shown(cmd)
                    ))
                    .why(
                        "Ruby dotenv, which a non-Docker Chatwoot uses at boot, runs $(…) in a \
                         shell and puts its output in the value: the value is not what the file \
                         says, and a password written like that is a command injection. doctor \
                         does not run it, so it checked the text as written.",
                    )
                    .fix(format!(
                        "Put the value in single quotes ({key}='…'), which dotenv and Docker \
                         Compose both read literally, or choose a value without $ (letters and \
                         digits are safe everywhere)."
                    )),
                ),
                Substitution::Variable(name) => out.push(
                    Finding::warning(
                        "env-variable-substitution",
                        format!("{key} contains ${name}: it is replaced when Chatwoot loads it"),
                    )
                    .observed(format!(
                        "{} holds ${name}, unquoted or in double quotes",
                        env.locate(key)
                    ))
                    .why(
                        "Ruby dotenv and Docker Compose replace $NAME with that variable (empty \
                         when unset), so Chatwoot may get a different value than the file shows; \
                         doctor checked the text as written.",
                    )
                    .fix(format!(
                        "If the $ is part of the value, single-quote it ({key}='…'); if the \
                         substitution is intended, make sure {name} is set where Chatwoot runs."
                    )),
                ),
            }
        }
    }
}

fn redis_url(env: &ChatwootEnv, settings: &Settings, out: &mut Vec<Finding>) {
    match (&settings.url_text, &settings.url) {
        (None, _) => out.push(
            Finding::info("redis-url-default", "REDIS_URL is unset: Chatwoot uses redis://127.0.0.1:6379")
                .observed(format!("REDIS_URL is not set in the {}", env.source))
                .why("Chatwoot falls back to redis://127.0.0.1:6379 only when the variable is unset.")
                .fix("Set REDIS_URL if Redis is not on this host's loopback."),
        ),
        (Some(t), _) if t.trim().is_empty() => out.push(
            Finding::error("redis-url-empty", "REDIS_URL is set but empty: Chatwoot does not boot")
                .observed(format!("{} is empty", env.locate("REDIS_URL")))
                .why(
                    "ENV.fetch returns the empty string (the default applies only when the \
                     variable is unset), and redis-client refuses a URL without a scheme.",
                )
                .fix("Set REDIS_URL=redis://HOST:6379 (rediss:// for TLS), or delete the line."),
        ),
        (Some(_), Err(why)) => out.push(
            Finding::error("redis-url-invalid", "Chatwoot cannot use REDIS_URL")
                .observed(format!("{}: {why}", env.locate("REDIS_URL")))
                .why("redis-client raises while parsing it, so neither the app, Sidekiq nor ActionCable connect.")
                .fix(
                    "Write it as redis://[user:password@]host:port[/db] (rediss:// for TLS), \
                     with the password percent-encoded, or put the password in REDIS_PASSWORD \
                     and leave it out of the URL.",
                ),
        ),
        (Some(_), Ok(url)) => {
            if let Some(raw) = &url.raw_password {
                if raw.contains('+') {
                    let overridden = settings.password.is_some();
                    out.push(
                        Finding::new(
                            "url-password-plus",
                            if overridden { Severity::Info } else { Severity::Error },
                            "A + in the REDIS_URL password is read as a space",
                        )
                        .observed(format!(
                            "the password in {} contains '+'{}",
                            env.locate("REDIS_URL"),
                            if overridden { " (REDIS_PASSWORD overrides it)" } else { "" }
                        ))
                        .why(
                            "redis-client decodes URL passwords with form decoding, so + \
                             becomes a space and AUTH fails (base64 keys such as Azure's \
                             contain +).",
                        )
                        .fix("Write + as %2B in the URL, or move the password to REDIS_PASSWORD."),
                    );
                }
            }
            if let (Some(url_pw), Some(pw)) = (&url.password, &settings.password) {
                if !url_pw.is_empty() && url_pw != pw {
                    out.push(
                        Finding::warning(
                            "url-password-overridden",
                            "REDIS_URL has a password that REDIS_PASSWORD overrides",
                        )
                        .observed("REDIS_URL and REDIS_PASSWORD hold different passwords".to_string())
                        .why(
                            "When REDIS_PASSWORD is not blank, Chatwoot sends it on every \
                             connection and ignores the URL's password; two different values \
                             mean one of them is stale.",
                        )
                        .fix("Keep the password in one place: remove it from the URL, or unset REDIS_PASSWORD."),
                    );
                }
            }
        }
    }
}

fn password(env: &ChatwootEnv, settings: &Settings, out: &mut Vec<Finding>) {
    let Some(pw) = settings.password.as_deref() else {
        return;
    };
    let why = "cable.yml pastes REDIS_PASSWORD unquoted into YAML, so YAML can turn it into a \
               number, boolean, null, a comment or a syntax error: realtime updates \
               (ActionCable) fail to authenticate or Chatwoot does not boot, while the rest of \
               Chatwoot works, which makes it hard to diagnose.";
    let fix = "Use a password of letters and digits starting with a letter (32+ characters; \
               `chatwoot-redis render --generate-password` makes one) and set it on the Redis \
               server and in REDIS_PASSWORD.";
    // Psych's own rules (YAML 1.1 as Ruby 3.3 loads it): what works is not flagged.
    match cable_yaml(pw) {
        CableYaml::Error(change) => out.push(
            Finding::error(
                "password-cable-yaml",
                "REDIS_PASSWORD breaks config/cable.yml: Psych raises and Chatwoot does not boot",
            )
            .observed(format!("{}: {change}", env.locate("REDIS_PASSWORD")))
            .why(why)
            .fix(fix),
        ),
        CableYaml::Changed {
            why: change,
            sends_same: false,
            ..
        } => out.push(
            Finding::error(
                "password-cable-yaml",
                "REDIS_PASSWORD does not survive config/cable.yml: ActionCable gets another password",
            )
            .observed(format!("{}: {change}", env.locate("REDIS_PASSWORD")))
            .why(why)
            .fix(fix),
        ),
        CableYaml::Kept | CableYaml::Changed { .. } => {}
    }
    if pw.chars().count() < 16 {
        out.push(
            Finding::warning(
                "password-short",
                "REDIS_PASSWORD is shorter than 16 characters",
            )
            .observed(format!(
                "{} has fewer than 16 characters",
                env.locate("REDIS_PASSWORD")
            ))
            .why(
                "Redis answers AUTH attempts fast enough to guess short or common passwords \
                     (the Helm chart's fallback is literally `redis`); whoever guesses it reads \
                     every queued conversation.",
            )
            .fix(
                "Use 32+ random letters and digits (`chatwoot-redis render --generate-password`).",
            ),
        );
    }
    if let Ok(url) = &settings.url {
        if let Some(p) = detect_provider(url.effective_host(), url.port) {
            out.extend(p.scenario.password_findings(&DoctorContext {
                env,
                settings,
                url,
                service: p.service,
            }));
        }
    }
}

fn sentinel(env: &ChatwootEnv, settings: &Settings, out: &mut Vec<Finding>) {
    let Some(s) = &settings.sentinel else {
        return;
    };
    if let Err(raw) = &s.master_name {
        if raw.trim().is_empty() {
            out.push(
                Finding::error(
                    "sentinel-master-name-empty",
                    "REDIS_SENTINEL_MASTER_NAME is set but empty: Sentinel mode does not start",
                )
                .observed(format!(
                    "{} is empty while REDIS_SENTINELS is set (upstream .env.example ships it empty)",
                    env.locate("REDIS_SENTINEL_MASTER_NAME")
                ))
                .why(
                    "Chatwoot uses mymaster only when the variable is unset; empty gives \
                     redis:// with no host and fails with \"SentinelConfig requires either a \
                     name or an url with a host\".",
                )
                .fix("Set REDIS_SENTINEL_MASTER_NAME to the master set name (e.g. mymaster), or delete the line."),
            );
        } else {
            out.push(
                Finding::error("sentinel-master-name-invalid", "REDIS_SENTINEL_MASTER_NAME cannot be used as a URL host")
                    .observed(format!("{} = {raw:?}", env.locate("REDIS_SENTINEL_MASTER_NAME")))
                    .why("Chatwoot builds redis://<name> from it; only letters, digits, '-', '_' and '.' work.")
                    .fix("Rename the master set (sentinel monitor NAME …) to a plain name and set it here."),
            );
        }
    }
    match &s.sentinels {
        Err(why) => out.push(
            Finding::error("sentinels-invalid", "REDIS_SENTINELS has an entry Chatwoot misreads")
                .observed(format!("{}: {why}", env.locate("REDIS_SENTINELS")))
                .why(
                    "Chatwoot splits the list on ',' and ':' with no validation: an empty entry \
                     silently becomes localhost:26379, a blank port crashes at connect, schemes \
                     and IPv6 literals are not understood.",
                )
                .fix("Write REDIS_SENTINELS=host1:26379,host2:26379,host3:26379 (host names, no scheme, no spaces)."),
        ),
        Ok(list) => {
            let distinct = distinct_sentinels(list);
            if distinct < 3 {
                let repeated = if distinct < list.len() {
                    format!(" entries, {distinct} distinct (an entry listed twice is one sentinel and counts once toward the quorum)")
                } else {
                    String::new()
                };
                out.push(
                    Finding::warning("sentinels-too-few", format!("Only {distinct} sentinel(s) listed"))
                        .observed(format!("{} lists {}{repeated}", env.locate("REDIS_SENTINELS"), list.len()))
                        .why("A failover needs a majority of sentinels; with fewer than three, losing one host (often the master's) leaves no quorum and Chatwoot stays down.")
                        .fix("Run three sentinels on separate hosts (quorum 2) and list all of them."),
                );
            }
            for addr in list {
                if let Some(p) = detect_provider(&addr.host, addr.port).filter(|p| p.is_certain()) {
                    out.push(
                        Finding::error("sentinel-managed-provider", "REDIS_SENTINELS points at a managed Redis service")
                            .observed(format!("{addr} is a {} endpoint", p.name()))
                            .why("No managed Redis service offers Sentinel; Chatwoot cannot resolve a master there.")
                            .fix("Remove REDIS_SENTINELS (and REDIS_SENTINEL_MASTER_NAME) and point REDIS_URL at the service's primary endpoint."),
                    );
                }
            }
        }
    }
    if env
        .get("REDIS_SENTINEL_PASSWORD")
        .is_some_and(|p| p.trim().is_empty())
    {
        out.push(
            Finding::info("sentinel-password-empty", "REDIS_SENTINEL_PASSWORD is empty: no password is sent to sentinels")
                .observed(format!("{} is set to the empty string", env.locate("REDIS_SENTINEL_PASSWORD")))
                .why("Empty means the sentinels have no AUTH; unset would send REDIS_PASSWORD to them instead.")
                .fix("Nothing, if the sentinels really have no password."),
        );
    }
    if let Ok(url) = &settings.url {
        if url.password.as_deref().is_some_and(|p| !p.is_empty()) && settings.password.is_none() {
            out.push(
                Finding::error(
                    "sentinel-url-password-ignored",
                    "In Sentinel mode the password in REDIS_URL is not used for Redis",
                )
                .observed("REDIS_URL holds a password and REDIS_PASSWORD is unset".to_string())
                .why(
                    "With REDIS_SENTINELS set, Chatwoot connects to redis://<master-name> with \
                     REDIS_PASSWORD only (and sends it to the sentinels): the app gets NOAUTH \
                     while ActionCable, which uses REDIS_URL, still works.",
                )
                .fix("Set REDIS_PASSWORD to the Redis password (letters and digits) and keep REDIS_URL without it."),
            );
        }
        let mut ignored = Vec::new();
        if url.scheme == UrlScheme::Rediss {
            ignored.push("rediss:// (TLS)");
        }
        if url.db.is_some_and(|d| d != 0) {
            ignored.push("the database number");
        }
        if url.username.is_some() {
            ignored.push("the username");
        }
        if !ignored.is_empty() {
            out.push(
                Finding::warning(
                    "sentinel-ignores-url-settings",
                    "In Sentinel mode Chatwoot ignores TLS, db and username from REDIS_URL",
                )
                .observed(format!("REDIS_URL sets {} while REDIS_SENTINELS is set", ignored.join(", ")))
                .why(
                    "The app and Sidekiq connect to redis://<master-name> resolved by the \
                     sentinels: no TLS, db 0, no username. Only ActionCable uses REDIS_URL as \
                     written, so the two halves of Chatwoot disagree.",
                )
                .fix("Use db 0, no username and plain redis:// in REDIS_URL when using Sentinel, or drop Sentinel."),
            );
        }
    }
    let url_unset = env.get("REDIS_URL").is_none();
    let actioncable = if url_unset {
        Finding::warning(
            "sentinel-actioncable-url",
            "ActionCable ignores Sentinel and REDIS_URL is unset: realtime goes to 127.0.0.1:6379",
        )
    } else {
        Finding::info(
            "sentinel-actioncable-url",
            "ActionCable ignores Sentinel and always uses REDIS_URL",
        )
    };
    out.push(
        actioncable
        .observed(format!(
            "Sentinel mode; REDIS_URL is {}",
            shown_url(settings)
        ))
        .why(
            "config/cable.yml has no sentinel keys: realtime updates go to REDIS_URL, which \
                 must reach the current master, or they are lost after a failover.",
        )
        .fix(
            "Point REDIS_URL at an address that always reaches the current master: a TCP proxy that sends traffic only to the server answering role:master (e.g. HAProxy with tcp-check expect string role:master), or a name your failover updates (doctor checks it live).",
        ),
    );
}

fn tls_and_provider(env: &ChatwootEnv, settings: &Settings, out: &mut Vec<Finding>) {
    if let Some(mode) = env.get("REDIS_OPENSSL_VERIFY_MODE") {
        if mode != "none" && mode.trim().eq_ignore_ascii_case("none") {
            out.push(
                Finding::warning(
                    "verify-mode-not-none",
                    format!("REDIS_OPENSSL_VERIFY_MODE={mode:?} still verifies certificates"),
                )
                .observed(format!("{} = {mode:?}", env.locate("REDIS_OPENSSL_VERIFY_MODE")))
                .why("Chatwoot compares the value with exactly `none` (lower case, no spaces); anything else means verify peer.")
                .fix("Write REDIS_OPENSSL_VERIFY_MODE=none if certificate checks must be off, or delete the line."),
            );
        } else if !mode.is_empty() && mode != "none" && !mode.eq_ignore_ascii_case("peer") {
            out.push(
                Finding::info(
                    "verify-mode-unknown",
                    "REDIS_OPENSSL_VERIFY_MODE has a value Chatwoot treats as verify peer",
                )
                .observed(format!(
                    "{} = {mode:?}",
                    env.locate("REDIS_OPENSSL_VERIFY_MODE")
                ))
                .why("Only the exact value `none` turns certificate checks off.")
                .fix("Delete the line (verify peer is the default) or set it to none."),
            );
        }
    }
    let Ok(url) = &settings.url else {
        return;
    };
    if url.scheme == UrlScheme::Unix {
        return;
    }
    let host = url.effective_host();
    let tls = url.scheme == UrlScheme::Rediss;
    if !tls && !settings.verify_peer {
        out.push(
            Finding::info(
                "verify-mode-unused",
                "REDIS_OPENSSL_VERIFY_MODE=none has no effect without rediss://",
            )
            .observed(format!("REDIS_URL is {}", shown_url(settings)))
            .why("The verify mode only applies to TLS connections.")
            .fix("Use rediss:// if the server speaks TLS; otherwise delete the line."),
        );
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        if !tls && is_public_ip(ip) {
            out.push(plaintext_public(host));
        }
    }
    let Some(provider) = detect_provider(host, url.port) else {
        return;
    };
    if tls && !settings.verify_peer && provider.has_public_certificate() {
        out.push(
            Finding::warning("verify-none-public-cert", format!("Certificate checks are off for {}, whose certificate is public", provider.name()))
                .observed(format!("REDIS_OPENSSL_VERIFY_MODE=none with host {host}"))
                .why("This service presents a certificate from a public CA, so verification works; turning it off only allows a man in the middle to read the password and data.")
                .fix("Delete REDIS_OPENSSL_VERIFY_MODE (verify peer is the default)."),
        );
    }
    // A private CA the scenario can make trusted is trusted through SSL_CERT_FILE (a bundle
    // with its server CA: Memorystore).
    let ca_bundle =
        provider.scenario.rules().ca_bundle.is_some() && env.present("SSL_CERT_FILE").is_some();
    if let (
        true,
        true,
        false,
        Certificate::Private {
            why: certificate_why,
            fix: certificate_fix,
        },
    ) = (
        tls,
        settings.verify_peer,
        ca_bundle,
        provider.service.certificate,
    ) {
        let certain = provider.scenario.confirmed_by_env(env);
        out.push(
            Finding::new(
                "provider-needs-verify-none",
                if certain {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!("{}: its certificate fails verify peer", provider.name()),
            )
            .observed(format!(
                "rediss:// to {host}:{} without REDIS_OPENSSL_VERIFY_MODE=none",
                url.port
            ))
            .why(certificate_why)
            .fix(certificate_fix),
        );
    }
    if !tls {
        let (severity, why) =
            provider.plaintext_risk(settings.password.is_some() || url.password.is_some());
        out.push(
            Finding::new(
                "plaintext-to-managed",
                severity,
                format!("Plain redis:// to {}", provider.name()),
            )
            .observed(format!("REDIS_URL is {}", shown_url(settings)))
            .why(format!("Chatwoot connects without TLS, but {why}."))
            .fix("Use rediss:// and the service's TLS port."),
        );
    }
    out.extend(provider.scenario.endpoint_findings(&DoctorContext {
        env,
        settings,
        url,
        service: provider.service,
    }));
}

/// Finding for a plain-text connection to a public address (static or after DNS).
pub fn plaintext_public(host: &str) -> Finding {
    Finding::warning("plaintext-public", "Plain redis:// to a public address")
        .observed(format!(
            "{host} is a public IP address and REDIS_URL uses redis://"
        ))
        .why("The password and every job cross the internet in clear text.")
        .fix("Use TLS (rediss://) or reach Redis over a private network / VPN.")
}

pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        std::net::IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

fn ignored_variables(env: &ChatwootEnv, settings: &Settings, out: &mut Vec<Finding>) {
    let url = settings.url.as_ref().ok();
    for key in IGNORED_ENV_KEYS {
        let Some(value) = env.get(key) else {
            continue;
        };
        // Does the ignored value contradict what Chatwoot really uses?
        let contradiction = url.and_then(|u| match *key {
            "REDIS_TLS" => {
                let on = matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "true" | "1" | "yes"
                );
                (on && u.scheme != UrlScheme::Rediss)
                    .then(|| "REDIS_TLS asks for TLS but REDIS_URL uses redis://".to_string())
            }
            "REDIS_HOST" => (!value.is_empty() && value != u.effective_host()).then(|| {
                format!(
                    "REDIS_HOST is {value:?} but REDIS_URL's host is {:?}",
                    u.effective_host()
                )
            }),
            "REDIS_PORT" => (!value.is_empty() && value.trim() != u.port.to_string())
                .then(|| format!("REDIS_PORT is {value:?} but REDIS_URL's port is {}", u.port)),
            "REDIS_DB" => (!value.is_empty()
                && parse_ruby_integer(value).ok() != Some(u.db.unwrap_or(0)))
            .then(|| {
                format!(
                    "REDIS_DB is {value:?} but REDIS_URL selects db {}",
                    u.db.unwrap_or(0)
                )
            }),
            "REDIS_USERNAME" => {
                (!value.is_empty() && u.username.as_deref() != Some(value)).then(|| {
                    "REDIS_USERNAME is set but REDIS_URL has no such user:password@".to_string()
                })
            }
            _ => (!value.is_empty() && Some(value) != settings.url_text.as_deref())
                .then(|| format!("{key} differs from REDIS_URL")),
        });
        let severity = if contradiction.is_some() {
            Severity::Warning
        } else {
            Severity::Info
        };
        out.push(
            Finding::new("ignored-variable", severity, format!("{key} is not read by Chatwoot"))
                .observed(match contradiction {
                    Some(c) => format!("{} is set; {c}", env.locate(key)),
                    None => format!("{} is set", env.locate(key)),
                })
                .why(
                    "Chatwoot reads only REDIS_URL, REDIS_PASSWORD, the REDIS_SENTINEL_* \
                     variables, REDIS_OPENSSL_VERIFY_MODE, REDIS_DISABLE_CLIENT_COMMAND and the \
                     pool sizes; this one has no effect (the Helm chart uses some of them to \
                     build REDIS_URL, the app never does).",
                )
                .fix("Put the setting into REDIS_URL (rediss:// for TLS, host, port, /db, user:password@) and delete this line."),
        );
    }
}

fn client_command(env: &ChatwootEnv, out: &mut Vec<Finding>) {
    if let Some(v) = env.present("REDIS_DISABLE_CLIENT_COMMAND") {
        if matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "false" | "0" | "no" | "off"
        ) {
            out.push(
                Finding::warning("disable-client-command-false", format!("REDIS_DISABLE_CLIENT_COMMAND={v} still disables CLIENT"))
                    .observed(format!("{} = {v:?}", env.locate("REDIS_DISABLE_CLIENT_COMMAND")))
                    .why("Chatwoot checks only that the variable is non-empty; any value, even false, stops ActionCable's CLIENT SETNAME.")
                    .fix("Delete the line to keep CLIENT SETNAME (connection names in CLIENT LIST); keep it only for servers that block CLIENT (Memorystore)."),
            );
        }
    }
}

fn pools_and_budget(input: &StaticInput, out: &mut Vec<Finding>) {
    let env = input.env;
    for key in ["REDIS_ALFRED_SIZE", "REDIS_VELMA_SIZE"] {
        match pool_size(env, key) {
            Err(why) => out.push(
                Finding::error("pool-size-invalid", format!("{key} is not an integer: Chatwoot does not boot"))
                    .observed(format!("{}: {why}", env.locate(key)))
                    .why("Chatwoot reads the pool size with Ruby's Integer(), which raises on an empty or non-numeric value.")
                    .fix(format!("Set {key} to a positive number (at least RAILS_MAX_THREADS) or delete the line.")),
            ),
            Ok(n) => {
                let t = env.get(key).map(str::trim).unwrap_or_default();
                if t.len() > 1 && t.starts_with('0') {
                    out.push(
                        Finding::warning("pool-size-radix", format!("{key}={t} is read as {n}"))
                            .observed(format!("{} = {t:?}", env.locate(key)))
                            .why("Ruby's Integer() reads a leading 0 as octal and 0x as hexadecimal.")
                            .fix(format!("Write {key}={n} if that is what you meant.")),
                    );
                }
            }
        }
    }
    let w: &Workload = &input.workload.workload;
    for problem in &input.workload.problems {
        out.push(
            Finding::warning(
                "workload-invalid",
                "A workload value could not be read; Chatwoot's default is used",
            )
            .observed(problem.clone())
            .why("The connection budget depends on processes and threads.")
            .fix("Fix the value (a positive whole number)."),
        );
    }
    let Some(budget) = input.budget else {
        return;
    };
    // The rules of crate::sizing: alfred serves request threads, ActionCable's 4 workers and
    // every Sidekiq job thread; velma one per request thread (when Rack::Attack runs).
    let alfred_need = crate::sizing::alfred_pool_size(w);
    let mut rules = vec![(
        "REDIS_ALFRED_SIZE",
        budget.alfred,
        alfred_need,
        format!(
            "max(5, RAILS_MAX_THREADS {} + 4, SIDEKIQ_CONCURRENCY {})",
            w.web_threads, w.sidekiq_concurrency
        ),
    )];
    if w.rack_attack {
        rules.push((
            "REDIS_VELMA_SIZE",
            budget.velma,
            w.web_threads,
            format!("RAILS_MAX_THREADS {}", w.web_threads),
        ));
    }
    for (key, size, need, rule) in rules {
        if size < need {
            out.push(
                Finding::warning("pool-below-threads", format!("{key} ({size}) is below the {need} threads that share it"))
                    .observed(format!("{key} = {size}, needed {rule} = {need} ({})", input.workload.from))
                    .why("A thread that finds the pool empty waits 1 s, then fails with ConnectionPool::TimeoutError (Chatwoot PRs #13138, #13395).")
                    .fix(format!("Set {key}={need} (at least {rule}).")),
            );
        }
    }
    let (capacity, reachable) = (budget.capacity, budget.reachable);
    let formula = format!(
        "{} ({})",
        budget
            .budget
            .explain(w)
            .iter()
            .map(|l| l.trim_start())
            .collect::<Vec<_>>()
            .join("; "),
        input.workload.from
    );
    out.push(
        Finding::info("connection-budget", format!("Chatwoot reaches at most {reachable} Redis connections; its pools may open {capacity}"))
            .observed(formula.clone())
            .why("Pools are lazy: capacity is what they may open, reachable what the threads can use (web: min(alfred, T+4) + min(velma, T) + min(10, T+4) + 2 + T throw-away /api; Sidekiq: C + 3 internal + sidekiq_alive + min(alfred, C) + 1)."),
    );
    if let Some(cap) = input.max_connections {
        if let Some((verdict, msg, knobs)) = budget.budget.cap_message(w, cap) {
            let why = "Beyond the plan's cap new connections are refused (ERR max number of clients reached): jobs and requests fail (Chatwoot issues #6909, #8738).";
            let finding = if verdict == CapVerdict::Over {
                Finding::error(
                    "budget-over-plan-cap",
                    format!("Chatwoot reaches {reachable} connections; the plan allows {cap}"),
                )
            } else {
                Finding::warning(
                    "budget-near-plan-cap",
                    format!(
                        "Chatwoot's pools may open {capacity} connections; the plan allows {cap}"
                    ),
                )
            };
            out.push(
                finding
                    .observed(format!("{msg}; {formula}"))
                    .why(why)
                    .fix(knobs),
            );
        }
    }
}

/// The sentinels of a list, an entry repeated (same host, any case, and port) counted once.
pub fn distinct_sentinels(list: &[crate::chatwoot::SentinelAddr]) -> usize {
    let mut seen: Vec<(String, u16)> = Vec::new();
    for a in list {
        let key = (a.host.to_ascii_lowercase(), a.port);
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen.len()
}

/// The Compose files Chatwoot's upstream deployment uses, looked for beside the env file.
pub fn compose_file_in(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    (n.starts_with("docker-compose") || n.starts_with("compose"))
                        && (n.ends_with(".yml") || n.ends_with(".yaml"))
                })
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

/// `REDIS_URL`'s host is a Compose service name (`redis`) and a Compose file sits beside the
/// env file: from the host running doctor the name does not resolve, so say how to check the
/// published port instead. `env_file` is the path given (shown as written in the commands).
pub fn compose_service_host(
    settings: &Settings,
    env_file: &str,
    compose: &std::path::Path,
) -> Option<Finding> {
    let url = settings.url.as_ref().ok()?;
    if url.scheme == UrlScheme::Unix || url.effective_host() != "redis" {
        return None;
    }
    let port = url.port;
    Some(
        Finding::info("compose-service-host", "REDIS_URL names the Compose service redis: from outside the Compose network it does not resolve")
            .observed(format!("REDIS_URL host redis, port {port}; Compose file {}", compose.display()))
            .why("Inside the Compose network the containers reach Redis as redis:6379. On the host running doctor that name does not resolve (dns-failed), and the upstream Compose file publishes Redis on 127.0.0.1:6379 only.")
            .fix(format!(
                "Check the published port with the credentials of the env file: chatwoot-redis doctor --env-file {env_file} --host 127.0.0.1 --port {port} \
                 (or --url redis://127.0.0.1:{port}). Or run doctor inside the Compose network, where redis resolves: \
                 docker compose cp ./chatwoot-redis rails:/tmp/chatwoot-redis && docker compose exec rails /tmp/chatwoot-redis doctor \
                 (the rails container has the env file's variables in its environment; a statically linked build runs in any image)."
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::settings::{configured_budget, workload};

    /// Runs the static checks on an env file text.
    fn lint_with(text: &str, max_connections: Option<u32>) -> Vec<Finding> {
        let env = ChatwootEnv::from_dotenv(text, "env file test").expect("parses");
        let settings = Settings::from_env(&env);
        let w = workload(&env, None);
        check(&StaticInput {
            env: &env,
            settings: &settings,
            budget: configured_budget(&env, &w.workload),
            workload: &w,
            max_connections,
        })
    }

    fn lint(text: &str) -> Vec<Finding> {
        lint_with(text, None)
    }

    fn severity_of(findings: &[Finding], id: &str) -> Option<Severity> {
        findings.iter().find(|f| f.id == id).map(|f| f.severity)
    }

    #[track_caller]
    fn assert_finding(text: &str, id: &str, severity: Severity) {
        let f = lint(text);
        assert_eq!(severity_of(&f, id), Some(severity), "{text:?} → {f:#?}");
    }

    #[track_caller]
    fn assert_no_finding(text: &str, id: &str) {
        let f = lint(text);
        assert_eq!(severity_of(&f, id), None, "{text:?} → {f:#?}");
    }

    fn lint_env(env: &ChatwootEnv) -> Vec<Finding> {
        let settings = Settings::from_env(env);
        let w = workload(env, None);
        check(&StaticInput {
            env,
            settings: &settings,
            budget: configured_budget(env, &w.workload),
            workload: &w,
            max_connections: None,
        })
    }

    fn lint_compose(text: &str) -> Vec<Finding> {
        let env = ChatwootEnv::from_dotenv(text, "env file test")
            .expect("parses")
            .with_compose_reading(text, "docker-compose.yaml is beside the env file");
        lint_env(&env)
    }

    #[test]
    fn compose_deployments_get_every_value_compose_reads_differently() {
        for text in [
            "REDIS_PASSWORD=Sec9ab\\cd\n",
            "REDIS_PASSWORD=\"Sec9a\\nb\"\n",
            "REDIS_PASSWORD='Sec9x' tail\n",
            "REDIS_PASSWORD=Sec9abc\t#d\n",
            "REDIS_PASSWORD=Sec9a#b\n",
        ] {
            let f = lint_compose(text);
            assert_eq!(
                severity_of(&f, "env-readers-disagree"),
                Some(Severity::Error),
                "{text:?} → {f:#?}"
            );
            let shown = format!("{f:?}");
            assert!(
                !shown.contains("Sec9"),
                "{text:?}: the password is shown: {shown}"
            );
        }
        // Values both readers read alike, and REDIS_URL differences are shown without it.
        assert_eq!(
            severity_of(
                &lint_compose("REDIS_PASSWORD=Abc123\n"),
                "env-readers-disagree"
            ),
            None
        );
        let f = lint_compose("REDIS_SENTINEL_MASTER_NAME=my\\master\n");
        let d = f
            .iter()
            .find(|f| f.id == "env-readers-disagree")
            .expect("finding");
        assert!(d.observed.contains("backslash"), "{d:#?}");
        assert!(d.observed.contains("my\\\\master"), "{d:#?}");
    }

    #[test]
    fn a_file_compose_refuses_is_an_error_without_its_text() {
        for text in [
            "REDIS_PASSWORD='Sec9abc\\'\n",
            "REDIS_PASSWORD=\"Sec9abc\n",
            "REDIS PASSWORD=Sec9x\n",
        ] {
            let f = lint_compose(text);
            assert_eq!(
                severity_of(&f, "compose-refuses-env-file"),
                Some(Severity::Error),
                "{text:?} → {f:#?}"
            );
            assert!(!format!("{f:?}").contains("Sec9"), "{text:?}");
        }
        // Outside a Compose deployment only the old a#b warning is given.
        assert_finding(
            "REDIS_PASSWORD=a#b\n",
            "env-readers-disagree",
            Severity::Warning,
        );
        assert_no_finding("REDIS_PASSWORD='x\\'\n", "compose-refuses-env-file");
    }

    #[test]
    fn a_key_set_in_the_process_wins_and_doctor_says_so() {
        let env = ChatwootEnv::from_dotenv("REDIS_URL=redis://file:6379\nA=1\n", "env file .env")
            .expect("parses")
            .with_process_precedence([
                ("REDIS_URL".to_string(), "redis://proc:6379".to_string()),
                ("PATH".to_string(), "/bin".to_string()),
            ]);
        assert_eq!(env.get("REDIS_URL"), Some("redis://proc:6379"));
        assert_eq!(env.from_process, vec!["REDIS_URL".to_string()]);
        assert!(env.locate("REDIS_URL").contains("process environment"));
        let f = lint_env(&env);
        let note = f.iter().find(|f| f.id == "env-process-wins").expect("note");
        assert_eq!(note.severity, Severity::Info);
        assert!(note.title.contains("REDIS_URL"));
        assert!(!format!("{note:?}").contains("proc:6379"));
    }

    #[test]
    fn duplicate_sentinels_count_once_toward_the_quorum() {
        assert_finding(
            "REDIS_SENTINELS=s1:26379,S1:26379,s2:26379\n",
            "sentinels-too-few",
            Severity::Warning,
        );
        let f = lint("REDIS_SENTINELS=s1:26379,s1:26379,s2:26379\n");
        let too_few = f
            .iter()
            .find(|f| f.id == "sentinels-too-few")
            .expect("finding");
        assert!(too_few.title.contains("Only 2"), "{}", too_few.title);
        assert!(
            too_few.observed.contains("2 distinct"),
            "{}",
            too_few.observed
        );
        assert_no_finding(
            "REDIS_SENTINELS=s1:26379,s2:26379,s3:26379\n",
            "sentinels-too-few",
        );
    }

    #[test]
    fn the_compose_service_name_gets_the_commands_to_run_from_the_host() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(compose_file_in(dir.path()), None);
        std::fs::write(
            dir.path().join("docker-compose.production.yaml"),
            "services: {}\n",
        )
        .expect("write");
        let compose = compose_file_in(dir.path()).expect("compose file");
        let settings = |url: &str| {
            Settings::from_env(&ChatwootEnv::from_pairs([(
                "REDIS_URL".to_string(),
                url.to_string(),
            )]))
        };
        let f = compose_service_host(&settings("redis://redis:6379"), ".env", &compose)
            .expect("finding");
        assert_eq!(f.id, "compose-service-host");
        assert!(
            f.fix
                .contains("chatwoot-redis doctor --env-file .env --host 127.0.0.1 --port 6379"),
            "{}",
            f.fix
        );
        assert!(f.fix.contains("docker compose exec rails"), "{}", f.fix);
        assert_eq!(
            compose_service_host(&settings("redis://db.example:6379"), ".env", &compose),
            None
        );
    }

    #[test]
    fn cable_yaml_certain_changes_are_errors_doubtful_ones_warnings() {
        assert_finding(
            "REDIS_PASSWORD=0777\n",
            "password-cable-yaml",
            Severity::Error,
        );
        assert_finding(
            "REDIS_PASSWORD='a #b'\n",
            "password-cable-yaml",
            Severity::Error,
        );
        // Psych keeps these: nothing to report.
        for kept in [
            "'abc def'",
            "1abc",
            "Abc123",
            "9aBcDeFgHiJkLmNoPqRsT",
            "12345678",
        ] {
            assert_no_finding(&format!("REDIS_PASSWORD={kept}\n"), "password-cable-yaml");
        }
        // What Psych changes or refuses, which the old rules only warned about.
        for changed in [
            ":abc1",
            "2001-12-14",
            "'],x'",
            "nO",
            "tRUE",
            "nULL",
            "190:20:30",
        ] {
            assert_finding(
                &format!("REDIS_PASSWORD={changed}\n"),
                "password-cable-yaml",
                Severity::Error,
            );
        }
    }

    #[test]
    fn short_passwords_are_a_warning() {
        assert_finding(
            "REDIS_PASSWORD=redis\n",
            "password-short",
            Severity::Warning,
        );
        assert_no_finding("REDIS_PASSWORD=Abcdefghijklmnop1\n", "password-short");
    }

    #[test]
    fn heroku_password_copy_is_a_warning() {
        let url = "REDIS_URL=rediss://:pw0abc@ec2-1-2-3-4.compute-1.amazonaws.com:12345\nREDIS_OPENSSL_VERIFY_MODE=none\n";
        assert_finding(
            &format!("{url}REDIS_PASSWORD=pw0abc\n"),
            "heroku-password-set",
            Severity::Warning,
        );
        assert_no_finding(url, "heroku-password-set");
    }

    #[test]
    fn a_clean_env_has_only_infos() {
        // REDIS_ALFRED_SIZE=10: Chatwoot's default 5 is below its 10 Sidekiq threads.
        let f = lint(
            "REDIS_URL=redis://redis:6379\nREDIS_PASSWORD=Abc123def456ghi789\nREDIS_ALFRED_SIZE=10\n",
        );
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:#?}");
    }

    #[test]
    fn env_readers_disagree_on_hash() {
        assert_finding(
            "REDIS_PASSWORD=abc#def\n",
            "env-readers-disagree",
            Severity::Warning,
        );
        assert_no_finding("REDIS_PASSWORD='abc#def'\n", "env-readers-disagree");
        assert_no_finding("REDIS_PASSWORD=abcdef # comment\n", "env-readers-disagree");
        let f = lint("REDIS_PASSWORD=abc#defgh\n");
        assert!(!f.iter().any(|f| f.observed.contains("defgh")));
    }

    #[test]
    fn substitutions() {
        assert_finding(
            "REDIS_PASSWORD=a$(id)b",
            "env-command-substitution",
            Severity::Error,
        );
        assert_finding(
            "REDIS_PASSWORD=\"a$HOME\"",
            "env-variable-substitution",
            Severity::Warning,
        );
        assert_no_finding("REDIS_PASSWORD='a$(id)b'", "env-command-substitution");
        // The value of a secret is not shown, the command of a non-secret is.
        let f = lint("REDIS_PASSWORD=a$(cat /secret)b\nREDIS_ALFRED_SIZE=$(nproc)\n");
        assert!(!f.iter().any(|f| f.observed.contains("/secret")));
        assert!(f.iter().any(|f| f.observed.contains("$(nproc)")));
    }

    #[test]
    fn redis_url_rules() {
        assert_finding("REDIS_URL=\n", "redis-url-empty", Severity::Error);
        assert_finding("OTHER=1\n", "redis-url-default", Severity::Info);
        assert_finding(
            "REDIS_URL='redis://:a^b@h:6379'\n",
            "redis-url-invalid",
            Severity::Error,
        );
        assert_finding(
            "REDIS_URL='redis://:a@b@h:6379'\n",
            "redis-url-invalid",
            Severity::Error,
        );
        assert_finding(
            "REDIS_URL=redis://:a+b@h:6379\n",
            "url-password-plus",
            Severity::Error,
        );
        assert_finding(
            "REDIS_URL=redis://:a+b@h:6379\nREDIS_PASSWORD=Abcdef\n",
            "url-password-plus",
            Severity::Info,
        );
        assert_finding(
            "REDIS_URL=redis://:one@h:6379\nREDIS_PASSWORD=Two\n",
            "url-password-overridden",
            Severity::Warning,
        );
        let f = lint("REDIS_URL='redis://:a^b@h:6379'\n");
        assert!(!f
            .iter()
            .any(|f| f.observed.contains("a^b") || f.title.contains("a^b")));
    }

    #[test]
    fn cable_yaml_password() {
        for bad in ["0777", "yes", "'@x'", "\"a: b\""] {
            assert_finding(
                &format!("REDIS_PASSWORD={bad}\n"),
                "password-cable-yaml",
                Severity::Error,
            );
        }
        let f = lint("REDIS_PASSWORD=yes\n");
        assert!(!f.iter().any(|f| f.observed.contains("\"yes\"")), "{f:#?}");
        assert_no_finding("REDIS_PASSWORD=\n", "password-cable-yaml");
    }

    #[test]
    fn sentinel_rules() {
        let base = "REDIS_SENTINELS=s1:26379,s2:26379,s3:26379\n";
        assert_finding(
            &format!("{base}REDIS_SENTINEL_MASTER_NAME=\n"),
            "sentinel-master-name-empty",
            Severity::Error,
        );
        assert_no_finding(base, "sentinel-master-name-empty");
        assert_no_finding(
            "REDIS_SENTINELS=\nREDIS_SENTINEL_MASTER_NAME=\n",
            "sentinel-master-name-empty",
        );
        assert_finding(
            &format!("{base}REDIS_SENTINEL_MASTER_NAME=my/master\n"),
            "sentinel-master-name-invalid",
            Severity::Error,
        );
        for bad in ["a:1,,b:2", "a: ", "redis://a:26379", "[::1]:26379"] {
            assert_finding(
                &format!("REDIS_SENTINELS='{bad}'\n"),
                "sentinels-invalid",
                Severity::Error,
            );
        }
        assert_finding(
            "REDIS_SENTINELS=master.cw.abc.use1.cache.amazonaws.com:26379\n",
            "sentinel-managed-provider",
            Severity::Error,
        );
        assert_finding(
            &format!("{base}REDIS_URL=rediss://u:p@m:6379/3\n"),
            "sentinel-ignores-url-settings",
            Severity::Warning,
        );
        assert_finding(
            &format!("{base}REDIS_SENTINEL_PASSWORD=\n"),
            "sentinel-password-empty",
            Severity::Info,
        );
        // Without REDIS_URL, ActionCable goes to loopback: a warning; with one, a reminder.
        assert_finding(base, "sentinel-actioncable-url", Severity::Warning);
        assert_finding(
            &format!("{base}REDIS_URL=redis://m:6379\n"),
            "sentinel-actioncable-url",
            Severity::Info,
        );
        assert_finding(
            &format!("{base}REDIS_URL=redis://:urlpw@m:6379\n"),
            "sentinel-url-password-ignored",
            Severity::Error,
        );
        assert_no_finding(
            &format!("{base}REDIS_URL=redis://m:6379\nREDIS_PASSWORD=Abc123\n"),
            "sentinel-url-password-ignored",
        );
        assert_no_finding(base, "sentinels-too-few");
        assert_finding(
            "REDIS_SENTINELS=s1,s2\n",
            "sentinels-too-few",
            Severity::Warning,
        );
    }

    #[test]
    fn tls_and_provider_rules() {
        assert_finding(
            "REDIS_OPENSSL_VERIFY_MODE=NONE\n",
            "verify-mode-not-none",
            Severity::Warning,
        );
        assert_finding(
            "REDIS_OPENSSL_VERIFY_MODE=' none'\n",
            "verify-mode-not-none",
            Severity::Warning,
        );
        assert_finding(
            "REDIS_OPENSSL_VERIFY_MODE=off\n",
            "verify-mode-unknown",
            Severity::Info,
        );
        assert_no_finding("REDIS_OPENSSL_VERIFY_MODE=none\n", "verify-mode-not-none");
        assert_finding(
            "REDIS_URL=redis://10.0.0.5:6379\nREDIS_OPENSSL_VERIFY_MODE=none\n",
            "verify-mode-unused",
            Severity::Info,
        );
        for host in [
            "master.cw.abc.use1.cache.amazonaws.com:6379",
            "cw.westeurope.redis.azure.net:10000",
            "cw-do-user-1-0.b.db.ondigitalocean.com:25061",
        ] {
            assert_finding(
                &format!("REDIS_URL=rediss://{host}\nREDIS_OPENSSL_VERIFY_MODE=none\n"),
                "verify-none-public-cert",
                Severity::Warning,
            );
        }
        // Heroku: a guess from the host name alone, an error with Heroku's own variables.
        let heroku = "REDIS_URL=rediss://:p@ec2-1-2-3-4.compute-1.amazonaws.com:12345\n";
        assert_finding(heroku, "provider-needs-verify-none", Severity::Warning);
        assert_finding(
            &format!("{heroku}DYNO=web.1\n"),
            "provider-needs-verify-none",
            Severity::Error,
        );
        assert_no_finding(
            &format!("{heroku}REDIS_OPENSSL_VERIFY_MODE=none\n"),
            "provider-needs-verify-none",
        );
        // Memorystore: private IP on 6378 with TLS; not on 6379.
        assert_finding(
            "REDIS_URL=rediss://10.1.2.3:6378\n",
            "provider-needs-verify-none",
            Severity::Warning,
        );
        assert_no_finding(
            "REDIS_URL=rediss://10.1.2.3:6378\nSSL_CERT_FILE=/etc/chatwoot/memorystore-ca-bundle.pem\n",
            "provider-needs-verify-none",
        );
        assert_finding(
            "REDIS_URL=rediss://10.1.2.3:6378\n",
            "memorystore-client-command",
            Severity::Warning,
        );
        assert_no_finding(
            "REDIS_URL=redis://10.1.2.3:6379\n",
            "provider-needs-verify-none",
        );
        assert_no_finding(
            "REDIS_URL=redis://10.1.2.3:6379\n",
            "memorystore-client-command",
        );
        assert_finding(
            "REDIS_URL=redis://10.1.2.3:6378\n",
            "plaintext-to-managed",
            Severity::Error,
        );
        // Plain text to a managed host or a public address.
        assert_finding(
            "REDIS_URL=redis://cw-do-user-1-0.b.db.ondigitalocean.com:25060\n",
            "plaintext-to-managed",
            Severity::Error,
        );
        assert_finding(
            "REDIS_URL=redis://master.cw.abc.use1.cache.amazonaws.com:6379\n",
            "plaintext-to-managed",
            Severity::Warning,
        );
        assert_finding(
            "REDIS_URL=redis://203.0.113.7:6379\n",
            "plaintext-public",
            Severity::Warning,
        );
        assert_no_finding("REDIS_URL=redis://192.168.1.7:6379\n", "plaintext-public");
        assert_finding(
            "REDIS_URL=rediss://cw.redis.cache.windows.net:6380\n",
            "azure-cache-redis-6",
            Severity::Error,
        );
        assert_finding(
            "REDIS_URL=rediss://clustercfg.cw.abc.use1.cache.amazonaws.com:6379\n",
            "cluster-endpoint",
            Severity::Error,
        );
    }

    #[test]
    fn ignored_variables() {
        assert_finding(
            "REDIS_URL=redis://r:6379\nREDIS_TLS=true\n",
            "ignored-variable",
            Severity::Warning,
        );
        assert_finding(
            "REDIS_URL=redis://r:6379\nREDIS_HOST=r\nREDIS_PORT=6379\n",
            "ignored-variable",
            Severity::Info,
        );
        assert_finding(
            "REDIS_URL=redis://r:6379\nREDIS_HOST=other\n",
            "ignored-variable",
            Severity::Warning,
        );
        assert_finding(
            "REDIS_URL=redis://r:6379/2\nREDIS_DB=0\n",
            "ignored-variable",
            Severity::Warning,
        );
    }

    #[test]
    fn client_command_and_pools() {
        assert_finding(
            "REDIS_DISABLE_CLIENT_COMMAND=false\n",
            "disable-client-command-false",
            Severity::Warning,
        );
        assert_no_finding(
            "REDIS_DISABLE_CLIENT_COMMAND=true\n",
            "disable-client-command-false",
        );
        assert_finding("REDIS_ALFRED_SIZE=\n", "pool-size-invalid", Severity::Error);
        assert_finding(
            "REDIS_VELMA_SIZE=ten\n",
            "pool-size-invalid",
            Severity::Error,
        );
        assert_finding("REDIS_VELMA_SIZE=0\n", "pool-size-invalid", Severity::Error);
        assert_finding(
            "REDIS_VELMA_SIZE=010\n",
            "pool-size-radix",
            Severity::Warning,
        );
        assert_finding(
            "RAILS_MAX_THREADS=8\n",
            "pool-below-threads",
            Severity::Warning,
        );
        assert_no_finding(
            "RAILS_MAX_THREADS=8\nREDIS_ALFRED_SIZE=12\nREDIS_VELMA_SIZE=10\n",
            "pool-below-threads",
        );
        assert_finding(
            "RAILS_MAX_THREADS=many\n",
            "workload-invalid",
            Severity::Warning,
        );
    }

    #[test]
    fn budget_against_the_plan_cap() {
        let f = lint_with("REDIS_URL=redis://r:6379\n", Some(20));
        assert_eq!(
            severity_of(&f, "budget-over-plan-cap"),
            Some(Severity::Error)
        );
        let f = lint_with("REDIS_URL=redis://r:6379\n", Some(100));
        assert_eq!(severity_of(&f, "budget-over-plan-cap"), None);
        let budget = f
            .iter()
            .find(|f| f.id == "connection-budget")
            .expect("budget");
        // Chatwoot's default pools (alfred 5, velma 10): web reachable 5 + 5 + 9 + 2 + 5 = 26,
        // Sidekiq 10 + 3 + 2 + 5 + 1 = 21; capacity 32 + 28.
        assert!(budget.title.contains("at most 47"), "{}", budget.title);
        assert!(budget.title.contains("open 60"), "{}", budget.title);
        // Between reachable and capacity: a warning naming the knobs.
        let f = lint_with("REDIS_URL=redis://r:6379\n", Some(50));
        let near = f
            .iter()
            .find(|f| f.id == "budget-near-plan-cap")
            .expect("near");
        assert_eq!(near.severity, Severity::Warning);
        assert!(
            near.fix.contains("SIDEKIQ_ALIVE_CONCURRENCY=2"),
            "{}",
            near.fix
        );
        // WEB_CONCURRENCY=2 doubles the web part: 2 × 26 + 21.
        let f = lint("WEB_CONCURRENCY=2\n");
        let budget = f
            .iter()
            .find(|f| f.id == "connection-budget")
            .expect("budget");
        assert!(budget.title.contains("at most 73"), "{}", budget.title);
    }

    /// A private-certificate service's finding says what that service needs, and nothing of
    /// another service's.
    #[test]
    fn private_certificate_advice_is_the_detected_services_own() {
        let find = |text: &str| {
            lint(text)
                .into_iter()
                .find(|f| f.id == "provider-needs-verify-none")
                .expect("the finding")
        };
        let heroku = find("REDIS_URL=rediss://:p@ec2-3-1-2-3.compute-1.amazonaws.com:12345\n");
        assert!(heroku.why.contains("self-signed"), "{heroku:?}");
        assert!(
            heroku.fix.contains("REDIS_OPENSSL_VERIFY_MODE=none"),
            "{heroku:?}"
        );
        assert!(!heroku.why.contains("Memorystore") && !heroku.fix.contains("SSL_CERT_FILE"));
        let memorystore = find("REDIS_URL=rediss://10.1.2.3:6378\n");
        assert!(memorystore.why.contains("private CA"), "{memorystore:?}");
        assert!(memorystore.fix.contains("SSL_CERT_FILE"), "{memorystore:?}");
        assert!(!memorystore.why.contains("Heroku") && !memorystore.fix.contains("Heroku"));
    }
}
