//! Live checks over the wire, with read-only commands only (HELLO, AUTH, PING, INFO, ROLE,
//! SENTINEL get-master-addr-by-name / ckquorum).

use std::time::{Duration, Instant};

use crate::chatwoot::{parse_redis_version, ManagedProvider, MIN_REDIS_VERSION};
use crate::redact::{clip, Redactor, ECHO_MAX};
use crate::scenario::Certificate;

use super::finding::{Finding, Severity};
use super::resp::{parse_info, Caps, Conn, Deadline, Failure, Info, Reply, Step};
use super::settings::{ConfiguredBudget, Endpoint, Settings};
use super::statics::{is_public_ip, plaintext_public};

/// What the live checks need.
#[derive(Debug, Clone)]
pub struct LiveInput<'a> {
    pub settings: &'a Settings,
    /// The limit of each step (`--timeout`).
    pub timeout: Duration,
    /// Each step's limit, cut to the end of the whole run ([`run_limit`]).
    pub deadline: Deadline,
    /// Knows the secrets: every echoed answer goes through [`LiveInput::echo`].
    pub redactor: &'a Redactor,
    /// Connections Chatwoot holds with the configured pools, when they can be read.
    pub budget: Option<ConfiguredBudget>,
    pub provider: Option<ManagedProvider>,
    /// The answers file's `redis-version`, when one was read.
    pub answers_version: Option<crate::answers::RedisVersion>,
}

impl LiveInput<'_> {
    /// A server's text as it may appear in a message: secrets masked, then cut to
    /// [`ECHO_MAX`] characters.
    pub fn echo(&self, text: &str) -> String {
        clip(&self.redactor.scrub(text), ECHO_MAX)
    }
}

/// A reply described for a message (never Rust's debug form: bytes would show as numbers).
fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Simple(s) => format!("+{s}"),
        Reply::Error(e) => format!("-{e}"),
        Reply::Int(n) => format!(":{n}"),
        Reply::Bulk(None) | Reply::Array(None) => "nil".into(),
        Reply::Bulk(Some(b)) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Array(Some(items)) => {
            let shown: Vec<String> = items.iter().take(8).map(describe).collect();
            let more = if items.len() > 8 { ", …" } else { "" };
            format!("[{}{more}] ({} element(s))", shown.join(", "), items.len())
        }
    }
}

/// What `HELLO` told about the server.
#[derive(Debug, Clone, Default)]
struct Hello {
    mode: Option<String>,
}

/// The sentinels checked at most (the first ones of `REDIS_SENTINELS`); a real deployment
/// has three or five.
pub const MAX_SENTINELS: usize = 16;
/// The sentinels checked at the same time.
pub const SENTINEL_THREADS: usize = 8;

/// The limit of the whole run for a step limit of `step`: five steps' worth, at most one minute
/// more than one step (stated in `doctor --help` and `docs/doctor.md`).
pub fn run_limit(step: Duration) -> Duration {
    (step * 5).min(step + Duration::from_secs(60))
}

/// Runs every live check and returns the findings.
pub fn check(input: &LiveInput) -> Vec<Finding> {
    let mut out = Vec::new();
    match &input.settings.sentinel {
        None => {
            if let Some(ep) = input.settings.url_endpoint() {
                if let Some((mut conn, _)) = connect(&ep, input, &mut out) {
                    let _ = server_checks(&mut conn, &ep, input, &mut out);
                }
            }
        }
        Some(_) => sentinel_checks(input, &mut out),
    }
    if input.deadline.expired() {
        out.push(deadline_hit(input.timeout));
    }
    out
}

/// The finding for a run stopped by its overall deadline.
pub fn deadline_hit(step: Duration) -> Finding {
    let total = run_limit(step).as_secs_f64();
    Finding::warning(
        "run-deadline",
        format!("doctor stopped at its overall deadline of {total} s: this report is what was gathered until then"),
    )
    .observed(format!(
        "the whole run may take {total} s (5 × --timeout {}, at most --timeout + 60 s); the checks not reached are missing",
        step.as_secs_f64()
    ))
    .why("A server that answers slowly (just before each step's limit) or endpoints that do not answer at all make every check wait; doctor stops rather than hang.")
    .fix("Look at the timeouts above (the slow endpoint is named there); fix it, or raise --timeout to give every step, and so the whole run, more time.")
}

fn seed_fix_refused(ep: &Endpoint) -> String {
    let sentinel = ep.is_sentinel();
    let (service, config) = if sentinel {
        (
            "systemctl status redis-sentinel",
            "bind, port in sentinel.conf",
        )
    } else {
        (
            "systemctl status redis-server, docker compose ps redis",
            "bind, port in redis.conf",
        )
    };
    format!(
        "Is it running ({service})? Does it listen on {}:{} ({config}; ss -ltnp)? Does a \
         firewall or security group block the port? Is the host/port in {} right?",
        ep.host,
        ep.port,
        match ep.label.as_str() {
            "REDIS_URL" => "REDIS_URL",
            _ if sentinel => "REDIS_SENTINELS",
            _ => "the configuration",
        }
    )
}

/// Opens and authenticates a connection the way Chatwoot does, reporting what fails.
fn connect(ep: &Endpoint, input: &LiveInput, out: &mut Vec<Finding>) -> Option<(Conn, Hello)> {
    // Out of time: nothing more is tried (the run-deadline finding says so).
    if input.deadline.expired() {
        return None;
    }
    let t = input.deadline;
    let secs = input.timeout.as_secs_f64();
    let place = match &ep.unix_path {
        Some(p) => format!("{} (unix socket {p})", ep.label),
        // A sentinel's label is its address already.
        None if ep.label.starts_with("sentinel ") => ep.label.clone(),
        None => format!(
            "{} ({}:{}{})",
            ep.label,
            ep.host,
            ep.port,
            if ep.tls { ", TLS" } else { "" }
        ),
    };
    let opened = match &ep.unix_path {
        #[cfg(unix)]
        Some(path) => Conn::open_unix(path, t),
        #[cfg(not(unix))]
        Some(_) => Err((
            Step::Connect,
            Failure::Other("unix sockets are not supported here".into()),
        )),
        None => Conn::open(&ep.host, ep.port, ep.tls.then_some(ep.verify_peer), t),
    };
    let mut conn = match opened {
        Ok(c) => c,
        Err((step, failure)) => {
            out.push(open_failure(ep, &place, step, failure, secs, input));
            return None;
        }
    };
    if let Some(peer) = conn.peer {
        // An IP literal was already judged by the static checks.
        let literal = ep.host.parse::<std::net::IpAddr>().is_ok();
        if !ep.tls && ep.label == "REDIS_URL" && !literal && is_public_ip(peer.ip()) {
            out.push(plaintext_public(&format!("{} ({})", ep.host, peer.ip())));
        }
    }
    let mut hello = vec!["HELLO", "2"];
    if let Some(pw) = ep.password.as_deref() {
        hello.extend(["AUTH", ep.username.as_deref().unwrap_or("default"), pw]);
    }
    let reply = match conn.command(&hello) {
        Ok(r) => r,
        Err(f) => {
            out.push(command_failure(ep, &place, "HELLO", f, secs));
            return None;
        }
    };
    if let Some(what) = not_a_hello_reply(&reply, &hello) {
        out.push(
            Finding::error("not-redis", format!("{place} is not a Redis server: {what}"))
                .observed(format!("HELLO 2 was answered with {what}"))
                .why("A Redis server answers HELLO with its name, version and protocol; this endpoint is another service, so every Chatwoot connection would fail.")
                .fix("Check the host and port in REDIS_URL (or REDIS_SENTINELS): they must be Redis's own (6379 by default; 26379 for sentinels), not a web, proxy or echo port."),
        );
        return None;
    }
    match reply {
        Reply::Array(Some(items)) => {
            let mut h = Hello::default();
            for pair in items.chunks(2) {
                if let [k, v] = pair {
                    if k.text().as_deref() == Some("mode") {
                        h.mode = v.text();
                    }
                }
            }
            // Chatwoot's own connections (redis-rb over RESP2) authenticate with `AUTH [user]
            // password`, not HELLO: a server without a password accepts `HELLO 2 AUTH default
            // …` but refuses `AUTH …`, so the web app fails while Sidekiq connects. (Its
            // connections to sentinels are redis-client's own, RESP3: HELLO 3 AUTH, which
            // the HELLO above already judged.)
            if !ep.is_sentinel() && !resp2_auth(&mut conn, ep, &place, secs, input, out) {
                return None;
            }
            // Chatwoot selects the URL's database on every connection.
            if let Some(db) = ep.db.filter(|d| *d != 0) {
                let db_text = db.to_string();
                match conn.command(&["SELECT", &db_text]) {
                    Ok(Reply::Error(e)) => {
                        out.push(
                            Finding::error("db-unavailable", format!("{place} refused database {db}"))
                                .observed(format!("SELECT {db} answered: {}", input.echo(&e)))
                                .why("Chatwoot selects the database of REDIS_URL on every connection; every command fails when it does not exist.")
                                .fix("Use a database the server has (0-15 by default; `databases` in redis.conf), usually /0."),
                        );
                        return None;
                    }
                    Err(f) => {
                        out.push(command_failure(ep, &place, "SELECT", f, secs));
                        return None;
                    }
                    Ok(_) => {}
                }
            }
            Some((conn, h))
        }
        Reply::Error(e) if e.starts_with("ERR unknown command") => {
            out.push(
                Finding::error("hello-unavailable", format!("{place} does not know HELLO"))
                    .observed(format!("HELLO answered: {}", input.echo(&e)))
                    .why("Sidekiq 7 (through redis-client) opens its connections with HELLO (Redis 6+); without it Sidekiq cannot connect. Chatwoot's own connections (redis-rb) use RESP2 and AUTH, so the web app may seem to work while no job runs.")
                    .fix("Upgrade to Redis 6.2 or newer (7.x recommended), and do not rename or disable HELLO."),
            );
            if !resp2_auth(&mut conn, ep, &place, secs, input, out) {
                return None;
            }
            Some((conn, Hello::default()))
        }
        Reply::Error(e) => {
            out.push(auth_error(ep, &place, &input.echo(&e)));
            None
        }
        other => {
            out.push(
                Finding::error(
                    "not-redis",
                    format!("{place} gave an unexpected answer to HELLO"),
                )
                .observed(input.echo(&describe(&other)))
                .why("This does not look like a Redis server Chatwoot can use.")
                .fix("Check the host and port."),
            );
            None
        }
    }
}

/// `AUTH [user] password` as redis-rb sends it over RESP2 (no user when the URL has none);
/// nothing without a password. False, with the finding pushed, when the server refuses it.
fn resp2_auth(
    conn: &mut Conn,
    ep: &Endpoint,
    place: &str,
    secs: f64,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) -> bool {
    let Some(pw) = ep.password.as_deref() else {
        return true;
    };
    let mut auth = vec!["AUTH"];
    auth.extend(ep.username.as_deref().filter(|u| !u.is_empty()));
    auth.push(pw);
    match conn.command(&auth) {
        Ok(Reply::Error(e)) => {
            out.push(auth_error(ep, place, &input.echo(&e)));
            false
        }
        Err(f) => {
            out.push(command_failure(ep, place, "AUTH", f, secs));
            false
        }
        Ok(_) => true,
    }
}

/// What is wrong with a HELLO answer that is an array but not Redis's (`None` when it is
/// Redis's, or not an array at all: the caller judges those).
fn not_a_hello_reply(reply: &Reply, sent: &[&str]) -> Option<String> {
    let Reply::Array(Some(items)) = reply else {
        return None;
    };
    let texts: Vec<Option<String>> = items.iter().map(Reply::text).collect();
    if texts.len() == sent.len()
        && texts
            .iter()
            .zip(sent)
            .all(|(t, s)| t.as_deref() == Some(*s))
    {
        return Some("our own command echoed back (an echo service)".into());
    }
    let has = |key: &str| {
        items
            .chunks(2)
            .any(|p| p.first().and_then(Reply::text).as_deref() == Some(key))
    };
    if has("server") && has("version") {
        None
    } else {
        Some(format!(
            "an array of {} element(s) without the server and version fields",
            items.len()
        ))
    }
}

fn open_failure(
    ep: &Endpoint,
    place: &str,
    step: Step,
    failure: Failure,
    secs: f64,
    input: &LiveInput,
) -> Finding {
    let observed = format!("{place}: {failure}");
    match (step, failure) {
        (Step::Dns, Failure::Timeout) => Finding::error("dns-timeout", format!("{place}: DNS did not resolve {} within {secs} s", ep.host))
            .observed(observed)
            .why("Chatwoot cannot reach Redis when its name does not resolve.")
            .fix("Check the resolver (/etc/resolv.conf, the cluster DNS) and the host name."),
        (Step::Dns, _) => Finding::error("dns-failed", format!("{place}: {} does not resolve", ep.host))
            .observed(observed)
            .why("Chatwoot cannot reach Redis when its name does not resolve.")
            .fix("Check the host name for typos; in Docker Compose use the service name (redis) from a container on the same network; in Kubernetes the Service name and namespace."),
        (Step::Connect, Failure::Refused) => Finding::error("connection-refused", format!("Connection refused by {place}"))
            .observed(observed)
            .why("Nothing accepts connections there, so Chatwoot fails with Errno::ECONNREFUSED / Redis::CannotConnectError.")
            .fix(seed_fix_refused(ep)),
        (Step::Connect, Failure::Timeout) if ep.unix_path.is_some() => Finding::error("connect-timeout", format!("The unix socket of {place} did not accept the connection within {secs} s"))
            .observed(observed)
            .why("The server does not accept connections (its backlog is full: it is stuck, overloaded or stopped with SIGSTOP); Chatwoot's connections hang the same way.")
            .fix("Check the Redis process (systemctl status redis-server; is it alive and not blocked?), and that the socket path belongs to it."),
        (Step::Connect, Failure::Timeout) => Finding::error("connect-timeout", format!("No answer from {place} within {secs} s"))
            .observed(observed)
            .why("Packets are dropped on the way (firewall, security group, wrong network/VPC) or the host is down; Chatwoot's connections time out.")
            .fix("Allow the port from the Chatwoot hosts (security group / firewall rules, same VPC or peering), and check the address."),
        (Step::Connect, f) => Finding::error("connect-failed", format!("Cannot connect to {place}"))
            .observed(format!("{place}: {f}"))
            .why("Chatwoot cannot reach Redis.")
            .fix(seed_fix_refused(ep)),
        (Step::Tls, Failure::Certificate(why)) => {
            let hint = match input.provider.map(|p| (p, p.service.certificate)) {
                Some((p, Certificate::Private { fix, .. })) => format!(" This looks like {}: {fix}", p.name()),
                _ => String::new(),
            };
            Finding::error("tls-certificate-rejected", format!("{place}: the server's TLS certificate fails verification (verify peer)"))
                .observed(format!("{place}: certificate rejected ({why})"))
                .why("Chatwoot verifies the certificate unless REDIS_OPENSSL_VERIFY_MODE is exactly none, and has no option for a private CA: every connection fails with an SSL error.")
                .fix(format!(
                    "Give the server a certificate from a public CA for this host name, or, for a service with a self-signed or private-CA certificate, set REDIS_OPENSSL_VERIFY_MODE=none.{hint}"
                ))
        }
        (Step::Tls, Failure::Timeout) => Finding::error("tls-timeout", format!("The TLS handshake with {place} did not finish within {secs} s"))
            .observed(observed)
            .why("A server that does not speak TLS on this port often just waits; Chatwoot's connections time out.")
            .fix("Use the service's TLS port with rediss://, or redis:// if the port is plain."),
        (Step::Tls, _) => Finding::error("tls-handshake-failed", format!("TLS handshake with {place} failed"))
            .observed(observed)
            .why("REDIS_URL uses rediss:// but no TLS session could be set up: Chatwoot fails with an SSL error.")
            .fix("If the server does not speak TLS on this port, use redis:// (or the TLS port); check the server's TLS settings (tls-port, certificate, protocols)."),
    }
}

fn command_failure(
    ep: &Endpoint,
    place: &str,
    command: &str,
    failure: Failure,
    secs: f64,
) -> Finding {
    match failure {
        Failure::Timeout => Finding::error("command-timeout", format!("{place} accepted the connection but did not answer within {secs} s"))
            .observed(format!("{command} got no reply within {secs} s"))
            .why("Chatwoot's commands time out (1 s in Chatwoot): requests fail and jobs stall.")
            .fix(if ep.tls {
                "Check that the port is a Redis TLS port, and whether Redis is overloaded or blocked (slow log, CPU, swapping, a long-running command)."
            } else {
                "If this is a TLS port use rediss://; otherwise check whether it is really Redis, and whether Redis is overloaded or blocked (slow log, CPU, swapping)."
            }),
        Failure::Closed => Finding::error("connection-closed", format!("{place} closed the connection"))
            .observed(format!("the server closed the connection after {command}"))
            .why("Chatwoot's connections would be dropped the same way.")
            .fix(if ep.tls {
                "Check the server's logs: it may refuse the client (maxclients, TLS client certificates required)."
            } else {
                "If the server expects TLS, use rediss:// (and the TLS port); otherwise check the server's logs (maxclients, protected mode)."
            }),
        Failure::TooLarge(what) => Finding::error("reply-too-large", format!("{place} sent a reply larger than doctor accepts"))
            .observed(format!("{command}: {what}"))
            .why("No Redis answer to doctor's commands comes near the cap (INFO is a few kilobytes): the endpoint is not a sane Redis server, or something between rewrites the stream. doctor stops reading to stay small.")
            .fix("Check the host and port (is it Redis, not another service or a proxy?); with a TLS port use rediss://."),
        f => Finding::error("not-redis", format!("{place} did not answer like Redis"))
            .observed(format!("{command}: {f}"))
            .why("Chatwoot cannot use this endpoint.")
            .fix("Check the host and port; with a TLS port use rediss://."),
    }
}

fn auth_error(ep: &Endpoint, place: &str, e: &str) -> Finding {
    let who = if ep.is_sentinel() {
        "REDIS_SENTINEL_PASSWORD (REDIS_PASSWORD when unset)"
    } else if ep.label == "master" || ep.label.starts_with("replica") {
        "REDIS_PASSWORD (in Sentinel mode the password in REDIS_URL is not used for the master)"
    } else {
        "REDIS_PASSWORD (or the password in REDIS_URL)"
    };
    if e.starts_with("WRONGPASS")
        || e.contains("invalid password")
        || e.contains("invalid username-password")
    {
        Finding::error("auth-failed", format!("{place} refused the password"))
            .observed(format!("the server answered: {e}"))
            .why("Every Chatwoot connection fails with WRONGPASS.")
            .fix(format!(
                "Set {who} to the server's password (requirepass or the ACL user's password){}.",
                if ep.username.is_some() {
                    ", and check the user name in REDIS_URL"
                } else {
                    ""
                }
            ))
    } else if e.contains("without any password configured") {
        Finding::error(
            "password-not-configured",
            format!("{place} has no password, but Chatwoot is given one"),
        )
        .observed(format!("AUTH answered: {e}"))
        .why("Chatwoot's own connections (redis-rb, RESP2) send AUTH with the password and fail with this error, so the web app and ActionCable cannot connect; Sidekiq's HELLO 3 AUTH default … still connects, so jobs may seem to run.")
        .fix(format!(
            "Either give the server its password (requirepass in redis.conf or redis-secrets.conf, then restart Redis), or leave {who} empty."
        ))
    } else if e.starts_with("NOAUTH") {
        Finding::error("auth-required", format!("{place} requires a password and none is configured"))
            .observed(format!("the server answered: {e}"))
            .why("Chatwoot sends no password, so every command fails with NOAUTH Authentication required.")
            .fix(format!("Set {who} to the server's password."))
    } else if e.starts_with("DENIED") {
        Finding::error("protected-mode", format!("{place} refuses clients from this address (protected mode)"))
            .observed(format!("the server answered: {e}"))
            .why("Redis in protected mode without a password accepts only loopback clients.")
            .fix("Set a password on the server (requirepass) and in REDIS_PASSWORD, rather than turning protected mode off.")
    } else if e.contains("max number of clients") {
        Finding::error("max-clients-reached", format!("{place} has no free connection"))
            .observed(format!("the server answered: {e}"))
            .why("New Chatwoot connections are refused: requests and jobs fail.")
            .fix("Raise maxclients (or the plan), or lower Chatwoot's pools and concurrency (see connection-budget).")
    } else if e.starts_with("NOPERM") {
        Finding::error("acl-denied", format!("{place}: the ACL user may not run HELLO"))
            .observed(format!("the server answered: {e}"))
            .why("Sidekiq opens its connections with HELLO; Chatwoot also needs AUTH, INFO, CLIENT, pub/sub and the data commands.")
            .fix("Give Chatwoot's ACL user +@all -flushall -flushdb -config -debug -shutdown, ~* and &*.")
    } else {
        Finding::error(
            "hello-failed",
            format!("{place} refused the connection handshake"),
        )
        .observed(format!("HELLO answered: {e}"))
        .why("Sidekiq opens its connections with HELLO (Chatwoot's own connections send AUTH over RESP2); this error stops at least Sidekiq.")
        .fix("Read the server's error above; check the password, user and server version.")
    }
}

fn num(info: &Info, key: &str) -> Option<u64> {
    info.get(key).and_then(|v| v.parse().ok())
}

fn human_bytes(n: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if n as f64 >= 1024.0 * MB {
        format!("{:.1} GiB", n as f64 / (1024.0 * MB))
    } else {
        format!("{:.1} MiB", n as f64 / MB)
    }
}

/// Reads INFO and judges the server; then measures latency.
fn server_checks(
    conn: &mut Conn,
    ep: &Endpoint,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) -> Option<Info> {
    let secs = input.timeout.as_secs_f64();
    let place = format!("{} ({}:{})", ep.label, ep.host, ep.port);
    if input.deadline.expired() {
        return None;
    }
    let info = match conn.command_capped(&["INFO"], Caps::INFO) {
        Ok(Reply::Error(e)) => {
            out.push(
                Finding::error("info-denied", format!("{place} refused INFO"))
                    .observed(format!("INFO answered: {}", input.echo(&e)))
                    .why("Sidekiq and Chatwoot's health checks read INFO; doctor cannot check version, memory or clients without it.")
                    .fix("Allow INFO for Chatwoot's ACL user (+@all minus the dangerous commands)."),
            );
            return None;
        }
        Ok(r) => parse_info(&r.text().unwrap_or_default()),
        Err(f) => {
            out.push(command_failure(ep, &place, "INFO", f, secs));
            return None;
        }
    };
    judge_info(&info, &place, input, out);
    super::host::check(&info, ep, input.provider.is_some(), out);
    pubsub(conn, &place, input, out);
    latency(conn, &place, input, out);
    Some(info)
}

/// ActionCable subscribes to channels: an ACL user without `&*` (Redis 7 defaults new users to
/// `resetchannels`) gets NOPERM and realtime updates stop. SUBSCRIBE then UNSUBSCRIBE on a
/// channel nobody uses changes no data.
fn pubsub(conn: &mut Conn, place: &str, input: &LiveInput, out: &mut Vec<Finding>) {
    let channel = "chatwoot-redis-doctor-probe";
    match conn.command(&["SUBSCRIBE", channel]) {
        Ok(Reply::Error(e)) => out.push(
            Finding::error("pubsub-denied", format!("{place} refused SUBSCRIBE"))
                .observed(format!("SUBSCRIBE answered: {}", input.echo(&e)))
                .why(
                    "ActionCable (realtime updates) subscribes to channels; since Redis 7 an ACL \
                     user gets no channels unless its rule has &* (acl-pubsub-default \
                     resetchannels).",
                )
                .fix("Add &* to Chatwoot's ACL user: ACL SETUSER <user> &* (and in the ACL file or redis-secrets.conf)."),
        ),
        Ok(_) => {
            let _ = conn.command(&["UNSUBSCRIBE", channel]);
        }
        Err(_) => {}
    }
}

/// Judges a server from its `INFO` alone (version, cluster, role, eviction, memory, clients,
/// persistence, hit ratio): a pure function, so every rule is unit-tested on INFO texts.
pub fn judge_info(info: &Info, place: &str, input: &LiveInput, out: &mut Vec<Finding>) {
    // Every value shown is the server's text: masked and cut like any echoed answer.
    let shown = |key: &str| info.get(key).map(|v| input.echo(v));
    let version_text = shown("redis_version").unwrap_or_default();
    let valkey = shown("valkey_version");
    let role = shown("role").unwrap_or_default();
    let product = match &valkey {
        Some(v) => format!("Valkey {v}"),
        None => format!("Redis {version_text}"),
    };
    out.push(
        Finding::info("server-version", format!("{place}: {product}, role {role}"))
            .observed(format!(
                "redis_version {version_text}, mode {}, role {role}",
                shown("redis_mode").unwrap_or_else(|| "?".into())
            ))
            .why(format!(
                "Chatwoot needs Redis {}.{}.{} or newer, standalone or Sentinel.",
                MIN_REDIS_VERSION.0, MIN_REDIS_VERSION.1, MIN_REDIS_VERSION.2
            )),
    );
    match parse_redis_version(&version_text) {
        Some(v) if v < MIN_REDIS_VERSION => out.push(
            Finding::error(
                "redis-too-old",
                format!("Redis {version_text} is older than 6.2: Sidekiq refuses to start"),
            )
            .observed(format!("{place} reports redis_version {version_text}"))
            .why("Sidekiq 7 (Chatwoot 4) checks the server version at start and exits below 6.2.0.")
            .fix(format!(
                "Upgrade to Redis 7.x (or Valkey 7.2/8).{}",
                input
                    .provider
                    .and_then(|p| p.service.upgrade_fix)
                    .unwrap_or_default()
            )),
        ),
        None => out.push(
            Finding::warning(
                "version-unknown",
                "The server did not report a readable version",
            )
            .observed(format!("redis_version {version_text:?}"))
            .why("Chatwoot needs Redis 6.2 or newer.")
            .fix("Check the server version by hand (redis-cli INFO server)."),
        ),
        _ => {}
    }
    out.extend(newer_than_answers(info, place, input));
    if info.get("cluster_enabled").map(String::as_str) == Some("1") {
        out.push(
            Finding::error("cluster-mode", format!("{place} runs in Redis Cluster mode"))
                .observed("INFO cluster_enabled:1".to_string())
                .why("Sidekiq does not support Redis Cluster: jobs fail with CROSSSLOT / MOVED errors.")
                .fix(input.provider.and_then(ManagedProvider::cluster_fix).unwrap_or("Use a standalone Redis or Sentinel (ElastiCache: cluster mode disabled; no Memorystore Cluster).")),
        );
    }
    if role == "slave" || role == "replica" {
        out.push(
            Finding::error(
                "connected-to-replica",
                format!("{place} is a read-only replica"),
            )
            .observed(format!(
                "INFO role:{role}, master {}:{}",
                shown("master_host").unwrap_or_else(|| "?".into()),
                shown("master_port").unwrap_or_else(|| "?".into())
            ))
            .why("Chatwoot writes on every request and job; a replica answers READONLY.")
            .fix("Point REDIS_URL at the primary (or use Sentinel with REDIS_SENTINELS)."),
        );
    }
    let policy = shown("maxmemory_policy").unwrap_or_default();
    if !policy.is_empty() && policy != "noeviction" {
        let provider_fix = input
            .provider
            .and_then(|p| p.service.eviction_fix)
            .unwrap_or(SELF_MANAGED_EVICTION_FIX);
        out.push(
            Finding::error("eviction-policy", format!("{place}: maxmemory-policy is {policy}: Redis may silently delete Sidekiq jobs"))
                .observed(format!("INFO maxmemory_policy:{policy}"))
                .why("Sidekiq queues, retries, scheduled jobs and Chatwoot's state have no TTL and share one database; any eviction policy (including the often advised allkeys-lru) drops them without a trace when memory is full. With noeviction, writes fail loudly instead.")
                .fix(format!("Set maxmemory-policy to noeviction and give Redis enough maxmemory.{provider_fix}")),
        );
    }
    let used = num(info, "used_memory");
    let max = num(info, "maxmemory");
    match (used, max) {
        (Some(used), Some(0)) => out.push(
            Finding::warning("maxmemory-unset", format!("{place}: maxmemory is 0: Redis has no memory limit"))
                .observed(format!("used_memory {}, maxmemory 0 (no limit)", human_bytes(used)))
                .why("Without a limit Redis grows until the kernel's OOM killer stops it (or the host swaps), losing whatever was not persisted; with a limit and noeviction, writes fail with OOM errors Chatwoot reports.")
                .fix("Set maxmemory (e.g. 60-75% of the host's RAM) with maxmemory-policy noeviction."),
        ),
        (Some(used), Some(max)) => {
            let pct = used as f64 * 100.0 / max as f64;
            let observed = format!("used_memory {} of maxmemory {} ({pct:.0}%)", human_bytes(used), human_bytes(max));
            let fix = "Raise maxmemory (or the plan) and find what grows (redis-cli --bigkeys; dead or retry queues in the Sidekiq UI). Do not switch to allkeys-lru: it deletes jobs.";
            let why = "At maxmemory with noeviction every write fails with OOM command not allowed: jobs cannot be enqueued and Chatwoot errors.";
            if pct >= 90.0 {
                out.push(Finding::error("memory-nearly-full", format!("{place}: memory is {pct:.0}% full")).observed(observed).why(why).fix(fix));
            } else if pct >= 75.0 {
                out.push(Finding::warning("memory-high", format!("{place}: memory is {pct:.0}% full")).observed(observed).why(why).fix(fix));
            } else {
                out.push(Finding::info("memory", format!("{place}: memory is {pct:.0}% full")).observed(observed));
            }
        }
        _ => {}
    }
    clients(info, place, input, out);
    if info.get("aof_enabled").map(String::as_str) == Some("0") {
        out.push(aof_disabled(place, keys(info), input.provider.is_some()));
    }
    if let (Some(h), Some(m)) = (num(info, "keyspace_hits"), num(info, "keyspace_misses")) {
        if h + m > 0 {
            let ratio = h as f64 * 100.0 / (h + m) as f64;
            out.push(
                Finding::info("keyspace-hit-ratio", format!("{place}: keyspace hit ratio {ratio:.1}%"))
                    .observed(format!("keyspace_hits {h}, keyspace_misses {m}"))
                    .why("Misses are normal for Sidekiq's polling; a sudden drop points at lost keys (eviction, FLUSHALL, a wrong db)."),
            );
        }
    }
}

/// How to set noeviction on a server of one's own (appended to the eviction-policy fix).
const SELF_MANAGED_EVICTION_FIX: &str = " Self-managed: CONFIG SET maxmemory-policy noeviction \
     takes effect at once; make it last by setting the same value where the configuration comes \
     from (the redis.conf chatwoot-redis renders has noeviction: render and restart; else \
     redis.conf), never by rewriting redis.conf from the running server.";

/// The keys a server holds, from INFO keyspace (`db0:keys=3,expires=0,avg_ttl=0`).
pub fn keys(info: &Info) -> u64 {
    info.iter()
        .filter(|(k, _)| k.starts_with("db") && k[2..].chars().all(|c| c.is_ascii_digit()))
        .filter_map(|(_, v)| {
            v.split(',')
                .find_map(|kv| kv.strip_prefix("keys="))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

/// The steps that turn AOF on without losing data. Starting a server that holds data with
/// `appendonly yes` in its file but no AOF yet makes it load the (empty) AOF and start empty:
/// the running server must write its AOF first.
pub const AOF_SAFE_STEPS: &str = "1. On the running server: CONFIG SET appendonly yes (it starts writing an AOF of the data it holds). \
2. Wait until INFO persistence shows aof_rewrite_in_progress:0 (and aof_rewrite_scheduled:0, aof_last_bgrewrite_status:ok): the AOF now holds every key. \
3. Only then make it last: appendonly yes and appendfsync everysec where the configuration comes from (the redis.conf chatwoot-redis renders has them: render and restart; else redis.conf), and restart when convenient. \
Never set appendonly yes in the file and restart first: Redis then starts from the new, empty AOF and the data is gone.";

/// [`AOF_SAFE_STEPS`] as commands to copy, for a server about to get a redis.conf with
/// `appendonly yes` (redis-cli reads a password from `REDISCLI_AUTH`, never the command line).
pub const AOF_SHELL_STEPS: [&str; 3] = [
    "# if this Redis already holds data without an AOF, let it write one first (else the restart starts it EMPTY; REDISCLI_AUTH=… when it has a password):",
    "redis-cli CONFIG SET appendonly yes",
    "until redis-cli INFO persistence | tr -d '\\r' | grep -qx 'aof_rewrite_in_progress:0' && redis-cli INFO persistence | tr -d '\\r' | grep -qx 'aof_rewrite_scheduled:0'; do sleep 1; done",
];

/// `aof-disabled` for a server holding `keys` keys.
pub fn aof_disabled(place: &str, keys: u64, managed: bool) -> Finding {
    let f = Finding::new(
        "aof-disabled",
        if managed {
            Severity::Info
        } else {
            Severity::Warning
        },
        format!("{place}: append-only persistence is off"),
    )
    .observed(format!("INFO aof_enabled:0; the server holds {keys} key(s)"))
    .why("Sidekiq jobs live only in Redis; with RDB snapshots alone a restart loses the jobs of the last minutes.");
    if managed {
        f.fix("Managed services persist differently (replicas, snapshots); check the plan's durability.")
    } else if keys > 0 {
        f.fix(AOF_SAFE_STEPS)
    } else {
        f.fix("The server holds no data yet: set appendonly yes and appendfsync everysec where the configuration comes from (the redis.conf chatwoot-redis renders has them: render and restart; else redis.conf) and restart.")
    }
}

fn clients(
    info: &std::collections::BTreeMap<String, String>,
    place: &str,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) {
    let connected = num(info, "connected_clients");
    let maxclients = num(info, "maxclients");
    if let Some(rejected) = num(info, "rejected_connections").filter(|n| *n > 0) {
        out.push(
            Finding::warning("rejected-connections", format!("{place} has refused {rejected} connection(s) since it started"))
                .observed(format!("INFO rejected_connections:{rejected}"))
                .why("Connections are refused when maxclients is reached: Chatwoot requests and jobs failed then.")
                .fix("Raise maxclients (or the plan's connection cap), or lower Chatwoot's pools and concurrency."),
        );
    }
    let Some(maxclients) = maxclients else {
        out.push(
            Finding::info("maxclients-unknown", format!("{place} does not report maxclients in INFO"))
                .observed(format!("connected_clients {}; no maxclients field in INFO clients", connected.map_or("?".into(), |c| c.to_string())))
                .why("doctor reads only INFO (CONFIG is blocked on managed services). Redis 6.2 and newer report maxclients there; this server (an older Redis, or a service or proxy that hides it) does not.")
                .fix("Compare the connection budget with maxclients by hand (redis-cli CONFIG GET maxclients, or the plan's limit)."),
        );
        return;
    };
    if let Some(c) = connected {
        let pct = c as f64 * 100.0 / maxclients.max(1) as f64;
        if pct >= 80.0 {
            out.push(
                Finding::warning("clients-near-limit", format!("{place}: {c} of {maxclients} client connections in use"))
                    .observed(format!("connected_clients {c}, maxclients {maxclients} ({pct:.0}%)"))
                    .why("When maxclients is reached, new connections get ERR max number of clients reached.")
                    .fix("Raise maxclients, or lower Chatwoot's pools and concurrency."),
            );
        }
    }
    if let Some(budget) = input.budget {
        let (total, recommended) = (budget.reachable, budget.maxclients);
        if maxclients < total as u64 {
            out.push(
                Finding::error("maxclients-below-budget", format!("{place}: maxclients {maxclients} is below the {total} connections Chatwoot's threads reach"))
                    .observed(format!("INFO maxclients:{maxclients}; Chatwoot reaches {total}, its pools may open {} (see connection-budget)", budget.capacity))
                    .why("Chatwoot's threads cannot all connect: requests and jobs fail with ERR max number of clients reached.")
                    .fix(format!("Set maxclients to at least {recommended} (twice the capacity at the most replicas, probes, admin; never below 1000), or lower the threads, concurrency and pools.")),
            );
        } else if maxclients < recommended as u64 {
            out.push(
                Finding::warning("maxclients-tight", format!("{place}: maxclients {maxclients} leaves no room for a rolling restart"))
                    .observed(format!("INFO maxclients:{maxclients}; reachable {total}, capacity {}, recommended {recommended}", budget.capacity))
                    .why("During a deploy old and new processes are connected at once, plus probes awaiting GC, monitoring and admin connections: a cap near the estimate turns any error into an outage.")
                    .fix(format!("Set maxclients to {recommended} or more.")),
            );
        }
    }
}

/// Chatwoot's Redis client timeout (redis-rb / redis-client default).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);

fn latency(conn: &mut Conn, place: &str, input: &LiveInput, out: &mut Vec<Finding>) {
    const PINGS: usize = 100;
    let started = Instant::now();
    let mut samples = Vec::with_capacity(PINGS);
    for _ in 0..PINGS {
        if started.elapsed() > input.timeout {
            break;
        }
        let t = Instant::now();
        match conn.command(&["PING"]) {
            Ok(Reply::Simple(_)) | Ok(Reply::Bulk(_)) => samples.push(t.elapsed()),
            _ => break,
        }
    }
    if let Some(f) = judge_latency(place, &mut samples) {
        out.push(f);
    }
}

/// Judges PING round trips: above Chatwoot's 1 s client timeout at the median an error,
/// above the 1 ms guideline (or stalls at p99) a warning, else an info.
pub fn judge_latency(place: &str, samples: &mut [Duration]) -> Option<Finding> {
    if samples.is_empty() {
        return None;
    }
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let (p50, p99) = (pick(0.5), pick(0.99));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let observed = format!(
        "{} PINGs: p50 {:.3} ms, p99 {:.3} ms (from this machine)",
        samples.len(),
        ms(p50),
        ms(p99)
    );
    // The guideline is 1 ms per command; a p99 ten times that means stalls (fork for
    // persistence, swapping, a slow command) that hit Chatwoot's 1 s client timeout first.
    let slow = if p50 > Duration::from_millis(1) {
        Some(format!(
            "median PING {:.2} ms, above the 1 ms guideline",
            ms(p50)
        ))
    } else if p99 > Duration::from_millis(10) {
        Some(format!(
            "p99 PING {:.2} ms: stalls above 10 × the 1 ms guideline",
            ms(p99)
        ))
    } else {
        None
    };
    if p50 > CLIENT_TIMEOUT {
        Some(
            Finding::error("latency-high", format!("{place}: median PING {:.0} ms, above Chatwoot's 1 s client timeout", ms(p50)))
                .observed(observed)
                .why("Chatwoot's Redis client gives up after 1 s: with a median reply slower than that, most commands fail with Redis::TimeoutError, requests error and jobs stall.")
                .fix("Find what is in between or what stalls Redis: a slow proxy or tunnel, a far region, CPU steal, swapping, persistence stalls (INFO persistence) or a slow command (SLOWLOG GET). Run doctor from a Chatwoot host to measure what Chatwoot sees."),
        )
    } else if let Some(slow) = slow {
        Some(
            Finding::warning("latency-high", format!("{place}: {slow}"))
                .observed(observed)
                .why("Chatwoot makes several Redis calls per request and job; every millisecond adds up (its client timeout is 1 s). Run doctor from a Chatwoot host: latency from elsewhere says little.")
                .fix("Put Redis in the same region/zone/network as Chatwoot; check CPU steal, swapping, persistence stalls (INFO persistence) and the slow log."),
        )
    } else {
        Some(
            Finding::info("latency", format!("{place}: median PING {:.3} ms", ms(p50)))
                .observed(observed),
        )
    }
}

fn sentinel_checks(input: &LiveInput, out: &mut Vec<Finding>) {
    let settings = input.settings;
    let Some(s) = &settings.sentinel else {
        return;
    };
    let (Ok(list), Ok(name)) = (&s.sentinels, &s.master_name) else {
        // The static checks explain why; nothing can be resolved.
        return;
    };
    let mut answers: Vec<(String, Option<(String, u16)>)> = Vec::new();
    let mut failures: Vec<(String, Finding)> = Vec::new();
    let mut sentinel_findings: Vec<(String, Finding)> = Vec::new();
    let checked = &list[..list.len().min(MAX_SENTINELS)];
    if checked.len() < list.len() {
        out.push(
            Finding::warning(
                "sentinels-capped",
                format!("Checked {} of {} sentinels", checked.len(), list.len()),
            )
            .observed(format!(
                "REDIS_SENTINELS lists {} sentinels; doctor checks the first {MAX_SENTINELS}",
                list.len()
            ))
            .why("A Sentinel deployment has three or five sentinels; a list this long is probably a mistake, and checking every entry would take too long.")
            .fix("List the sentinels of the deployment only (host:port, comma-separated) in REDIS_SENTINELS."),
        );
    }
    // Each sentinel in its own thread, at most SENTINEL_THREADS at a time; the results are
    // taken in list order, so the report does not depend on which answered first.
    // An entry listed twice is one sentinel: asked once, counted once.
    let mut distinct: Vec<crate::chatwoot::SentinelAddr> = Vec::new();
    for a in checked {
        if !distinct
            .iter()
            .any(|d| d.port == a.port && d.host.eq_ignore_ascii_case(&a.host))
        {
            distinct.push(a.clone());
        }
    }
    let probes = probe_all(&distinct, |addr| probe_sentinel(addr, input, name));
    let mut quorum_checked = false;
    let mut asking: Option<(String, Conn)> = None;
    for probe in probes {
        let Some(probe) = probe else { continue };
        let addr = probe.addr;
        sentinel_findings.extend(probe.findings.into_iter().map(|f| (addr.clone(), f)));
        failures.extend(probe.failures.into_iter().map(|f| (addr.clone(), f)));
        let Some(answer) = probe.answer else { continue };
        let resolved = answer.is_some();
        answers.push((addr.clone(), answer));
        let Some(mut conn) = probe.conn else { continue };
        if quorum_checked || !resolved || input.deadline.expired() {
            continue;
        }
        {
            quorum_checked = true;
            match conn.command(&["SENTINEL", "ckquorum", name]) {
                Ok(Reply::Simple(ok)) => out.push(Finding::info("sentinel-quorum", "The sentinels can reach quorum and authorise a failover").observed(format!("{addr}: {}", input.echo(&ok)))),
                Ok(Reply::Error(e)) => out.push(
                    Finding::error("sentinel-no-quorum", "The sentinels cannot reach quorum: no failover will happen")
                        .observed(format!("SENTINEL ckquorum {name} on {addr}: {}", input.echo(&e)))
                        .why("Sentinel exists for automatic failover; without quorum a dead master stays dead and Chatwoot stops.")
                        .fix("Run at least three sentinels on separate hosts with quorum 2 (the Chatwoot chart needs redis.replica.replicaCount: 3)."),
                ),
                _ => {}
            }
        }
        asking = Some((addr.clone(), conn));
    }
    let resolved: Vec<&(String, u16)> = answers.iter().filter_map(|(_, a)| a.as_ref()).collect();
    // A sentinel that cannot be used is the same problem whatever the others do: Chatwoot
    // moves on to the next one, but this one neither answers nor votes in a failover.
    let any_answered = !answers.is_empty();
    out.extend(merge_per_sentinel(sentinel_findings));
    out.extend(merge_per_sentinel(failures).into_iter().map(dead_sentinel));
    if !any_answered && !distinct.is_empty() && !input.deadline.expired() {
        out.push(
            Finding::error("sentinels-unreachable", "No sentinel answered: Chatwoot cannot find the master")
                .observed(format!("none of the {} sentinel(s) of REDIS_SENTINELS answered (each is named above)", distinct.len()))
                .why("Chatwoot asks the sentinels in turn for the master; when none answers it cannot connect to Redis at all.")
                .fix("Start the sentinels (systemctl status redis-sentinel) or fix REDIS_SENTINELS (host:port of each sentinel, 26379 by default)."),
        );
    }
    let unknown: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| a.is_none())
        .map(|(s, _)| s.as_str())
        .collect();
    if !unknown.is_empty() {
        out.push(
            Finding::error("sentinel-master-unknown", format!("{} sentinel(s) do not know a master named {name:?}", unknown.len()))
                .observed(format!("SENTINEL get-master-addr-by-name {name} returned nil on {}", unknown.join(", ")))
                .why("Chatwoot resolves the master by REDIS_SENTINEL_MASTER_NAME; with an unknown name it cannot connect at all.")
                .fix("Set REDIS_SENTINEL_MASTER_NAME to the name in the sentinels' `sentinel monitor NAME …` line (redis-cli -p 26379 SENTINEL masters lists them)."),
        );
    }
    let Some((master_host, master_port)) = resolved.first().map(|(h, p)| (h.clone(), *p)) else {
        return;
    };
    if resolved
        .iter()
        .any(|a| a.0 != master_host || a.1 != master_port)
    {
        let seen: Vec<String> = answers
            .iter()
            .filter_map(|(s, a)| a.as_ref().map(|(h, p)| format!("{s} → {h}:{p}")))
            .collect();
        out.push(
            Finding::error("sentinels-disagree", "The sentinels name different masters")
                .observed(seen.join("; "))
                .why("After a failover or a split, Chatwoot processes may write to different servers and lose data.")
                .fix("Check the sentinels' logs and configuration (same master name, same network view, quorum)."),
        );
    }
    out.push(
        Finding::info(
            "sentinel-master",
            format!("The sentinels name {master_host}:{master_port} as master {name:?}"),
        )
        .observed(if distinct.len() < list.len() {
            format!(
                "{} of {} sentinel(s) checked answered ({} listed)",
                resolved.len(),
                distinct.len(),
                list.len()
            )
        } else {
            format!("{} of {} sentinel(s) answered", resolved.len(), list.len())
        }),
    );
    let mut master = settings.master_endpoint(&master_host, master_port);
    master.label = "master".into();
    let master_info = match connect(&master, input, out) {
        Some((mut conn, _)) => server_checks(&mut conn, &master, input, out),
        None => None,
    };
    if let Some((addr, mut conn)) = asking {
        if !input.deadline.expired() {
            let listed = sentinel_replicas(&mut conn, &addr, name, input, out);
            for (i, replica) in listed.iter().enumerate() {
                if input.deadline.expired() {
                    break;
                }
                replica_checks(i + 1, replica, master_info.as_ref(), input, out);
            }
        }
    }
    let master_run_id = master_info.as_ref().and_then(|i| i.get("run_id").cloned());
    actioncable_on_master(
        input,
        &master_host,
        master_port,
        master_run_id.as_deref(),
        out,
    );
}

/// One finding per problem: the same `sentinel-*` finding (same id and fix) from several
/// sentinels becomes one that lists them; connection failures stay one per sentinel (each is
/// a host to fix), and every finding keeps the sentinel's address.
pub fn merge_per_sentinel(found: Vec<(String, Finding)>) -> Vec<Finding> {
    let mut groups: Vec<(Vec<String>, Finding, Vec<String>)> = Vec::new();
    for (addr, f) in found {
        let observed = format!("{addr}: {}", f.observed);
        let same = groups.iter_mut().find(|(_, g, _)| {
            f.id.starts_with("sentinel-") && g.id == f.id && g.fix == f.fix && g.why == f.why
        });
        match same {
            Some((addrs, _, seen)) => {
                addrs.push(addr);
                seen.push(observed);
            }
            None => groups.push((vec![addr], f, vec![observed])),
        }
    }
    groups
        .into_iter()
        .map(|(addrs, f, seen)| {
            if addrs.len() == 1 {
                return f;
            }
            Finding {
                title: format!(
                    "{} sentinels ({}): {}",
                    addrs.len(),
                    addrs.join(", "),
                    f.title.replace(&addrs[0], "each")
                ),
                observed: seen.join("; "),
                ..f
            }
        })
        .collect()
}

/// A sentinel's failure (it is down, refuses or answers nonsense), said the same way
/// whatever the other sentinels do.
fn dead_sentinel(f: Finding) -> Finding {
    Finding {
        why: "Chatwoot tries the sentinels of REDIS_SENTINELS in turn and moves on to the next one, so it still finds the master while another sentinel answers; but this one neither answers nor votes in a failover, and every sentinel lost brings the deployment closer to no quorum (no automatic failover).".into(),
        ..f
    }
    .with_severity(Severity::Warning)
}

/// A replica as a sentinel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedReplica {
    pub host: String,
    pub port: u16,
    pub flags: String,
}

/// Reads one `SENTINEL replicas` entry (a flat list of field names and values).
pub fn listed_replica(entry: &Reply) -> Option<ListedReplica> {
    let Reply::Array(Some(items)) = entry else {
        return None;
    };
    let field = |key: &str| {
        items.chunks(2).find_map(|p| match p {
            [k, v] if k.text().as_deref() == Some(key) => v.text(),
            _ => None,
        })
    };
    Some(ListedReplica {
        host: field("ip")?,
        port: field("port")?.parse().ok()?,
        flags: field("flags").unwrap_or_default(),
    })
}

/// Asks a sentinel for the replicas of `name` (read-only).
fn sentinel_replicas(
    conn: &mut Conn,
    addr: &str,
    name: &str,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) -> Vec<ListedReplica> {
    let entries = match conn.command(&["SENTINEL", "replicas", name]) {
        Ok(Reply::Array(Some(items))) => items,
        // Sentinels before 5.0 know only the old name.
        Ok(Reply::Error(_)) => match conn.command(&["SENTINEL", "slaves", name]) {
            Ok(Reply::Array(Some(items))) => items,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let listed: Vec<ListedReplica> = entries
        .iter()
        .filter_map(listed_replica)
        .map(|r| ListedReplica {
            host: input.echo(&r.host),
            flags: input.echo(&r.flags),
            ..r
        })
        .collect();
    if listed.is_empty() {
        out.push(
            Finding::warning("sentinel-no-replicas", format!("The sentinels know no replica of {name:?}: no failover is possible"))
                .observed(format!("SENTINEL replicas {name} on {addr} returned an empty list"))
                .why("Sentinel fails over by promoting a replica; without one, a dead master stays dead and Chatwoot stops.")
                .fix("Run at least one replica (replicaof MASTER 6379, masterauth) on another host; the sentinels find it through the master."),
        );
    }
    listed
}

/// What differs between a replica's INFO and the master's (the settings a failover would
/// bring into force).
pub fn settings_differences(replica: &Info, master: &Info) -> Vec<String> {
    ["maxmemory_policy", "maxmemory", "aof_enabled", "maxclients"]
        .iter()
        .filter_map(|key| {
            let (r, m) = (replica.get(*key)?, master.get(*key)?);
            (r != m).then(|| format!("{key} {r} (master {m})"))
        })
        .collect()
}

/// Judges a replica from its INFO (and the master's), naming it in every finding: the
/// settings it has become the master's at the next failover.
pub fn judge_replica(
    place: &str,
    info: &Info,
    master: Option<&Info>,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) {
    let shown = |key: &str| info.get(key).map(|v| input.echo(v)).unwrap_or_default();
    let role = shown("role");
    if role != "slave" && role != "replica" {
        out.push(
            Finding::error("replica-not-replica", format!("{place} is listed by the sentinels as a replica but says it is a {role}"))
                .observed(format!("INFO role:{role}"))
                .why("Two servers take writes (split brain): whatever is written to this one is lost when the sentinels turn it back into a replica.")
                .fix("Find who ran REPLICAOF NO ONE (or restarted it without replicaof); point every client at the master the sentinels name, and let the sentinels reconfigure this server (or REPLICAOF the master by hand)."),
        );
        return;
    }
    let link = shown("master_link_status");
    if link != "up" {
        out.push(
            Finding::error("replica-link-down", format!("{place} is not replicating from its master"))
                .observed(format!("INFO master_link_status:{link}, master {}:{}", shown("master_host"), shown("master_port")))
                .why("A replica with a broken link holds old data; promoted at the next failover, it loses everything written since the link broke.")
                .fix("Check masterauth (it must be the master's password), the network between the two, and the replica's log (MASTER aborted replication …)."),
        );
    }
    let policy = shown("maxmemory_policy");
    if !policy.is_empty() && policy != "noeviction" {
        out.push(
            Finding::error("replica-eviction-policy", format!("{place}: maxmemory-policy is {policy}: after the next failover Redis may silently delete Sidekiq jobs"))
                .observed(format!("INFO maxmemory_policy:{policy} on {place}"))
                .why("The sentinels promote a replica when the master fails, and it keeps its own settings: with an eviction policy the new master drops jobs and Chatwoot state when memory is full.")
                .fix("Set maxmemory-policy noeviction on every replica too (CONFIG SET maxmemory-policy noeviction now, and the same in each replica's configuration, then restart it when convenient)."),
        );
    }
    if let Some(m) = master {
        let offsets = (num(m, "master_repl_offset"), num(info, "slave_repl_offset"));
        if let (Some(mo), Some(ro)) = offsets {
            let behind = mo.saturating_sub(ro);
            if behind > REPLICA_LAG_BYTES && link == "up" {
                out.push(
                    Finding::warning("replica-lag", format!("{place} is {} behind the master", human_bytes(behind)))
                        .observed(format!("master_repl_offset {mo}, slave_repl_offset {ro} on {place}"))
                        .why("What the replica has not received is lost if it is promoted now.")
                        .fix("Check the network and the replica's load (INFO replication on both sides); a replica far behind keeps falling back to full syncs when repl-backlog-size is too small."),
                );
            }
        }
        let differ = settings_differences(info, m);
        if !differ.is_empty() {
            out.push(
                Finding::warning("replica-settings-differ", format!("{place} does not have the master's settings"))
                    .observed(differ.join(", "))
                    .why("After a failover this replica is the master, with its own settings: a smaller maxmemory, no AOF or fewer clients then hit Chatwoot.")
                    .fix("Give every server of the deployment the same redis.conf apart from replicaof (render once, copy to each host), then restart the replicas one at a time."),
            );
        }
    }
    out.push(
        Finding::info("replica", format!("{place}: replicating, link {link}")).observed(format!(
            "INFO master_link_status:{link}, slave_repl_offset {}, maxmemory_policy {policy}",
            shown("slave_repl_offset")
        )),
    );
}

/// Findings that say doctor could not reach a server (rather than what the server said).
const NETWORK_IDS: [&str; 5] = [
    "dns-failed",
    "dns-timeout",
    "connection-refused",
    "connect-timeout",
    "connect-failed",
];

/// A replica further behind than this many bytes is reported.
pub const REPLICA_LAG_BYTES: u64 = 1024 * 1024;

fn replica_checks(
    n: usize,
    replica: &ListedReplica,
    master: Option<&Info>,
    input: &LiveInput,
    out: &mut Vec<Finding>,
) {
    let mut ep = input.settings.master_endpoint(&replica.host, replica.port);
    ep.label = format!("replica {n}");
    let place = format!("replica {n} ({}:{})", replica.host, replica.port);
    if replica.flags.contains("s_down") || replica.flags.contains("disconnected") {
        out.push(
            Finding::warning("replica-down", format!("{place} is down in the sentinels' view"))
                .observed(format!("SENTINEL replicas flags: {}", replica.flags))
                .why("A replica the sentinels see as down cannot be promoted: one failover target fewer.")
                .fix("Start the replica (systemctl status redis-server) and check that the sentinels reach it."),
        );
    }
    let mut local = Vec::new();
    let Some((mut conn, _)) = connect(&ep, input, &mut local) else {
        // doctor may not reach a replica the sentinels reach (another network): a warning.
        // A replica that refuses Chatwoot's password is an error: after a failover every
        // connection would fail.
        out.extend(local.into_iter().map(|f| {
            if NETWORK_IDS.contains(&f.id) {
                f.with_severity(Severity::Warning)
            } else {
                f
            }
        }));
        return;
    };
    out.extend(local);
    match conn.command_capped(&["INFO"], Caps::INFO) {
        Ok(Reply::Error(e)) => out.push(
            Finding::warning("info-denied", format!("{place} refused INFO"))
                .observed(format!("INFO answered: {}", input.echo(&e))),
        ),
        Ok(r) => judge_replica(
            &place,
            &parse_info(&r.text().unwrap_or_default()),
            master,
            input,
            out,
        ),
        Err(f) => out.push(
            command_failure(&ep, &place, "INFO", f, input.timeout.as_secs_f64())
                .with_severity(Severity::Warning),
        ),
    }
}

/// What asking one sentinel gave.
struct Probe {
    addr: String,
    /// Findings for the report as they are.
    findings: Vec<Finding>,
    /// Failures, whose severity depends on whether another sentinel answered.
    failures: Vec<Finding>,
    /// `Some(master or None)` when the sentinel answered get-master-addr-by-name.
    answer: Option<Option<(String, u16)>>,
    /// The open connection (for ckquorum).
    conn: Option<Conn>,
}

/// Runs `job` for every item on at most [`SENTINEL_THREADS`] threads; results in item order
/// (`None` for an item whose thread failed).
fn probe_all<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..SENTINEL_THREADS.min(items.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = job(item);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn probe_sentinel(addr: &crate::chatwoot::SentinelAddr, input: &LiveInput, name: &str) -> Probe {
    let settings = input.settings;
    let ep = settings.sentinel_endpoint(addr);
    let mut probe = Probe {
        addr: addr.to_string(),
        findings: Vec::new(),
        failures: Vec::new(),
        answer: None,
        conn: None,
    };
    let mut local = Vec::new();
    let Some((mut conn, hello)) = connect(&ep, input, &mut local) else {
        probe.failures = local;
        return probe;
    };
    probe.findings = local;
    let addr = &probe.addr;
    if hello.mode.as_deref().is_some_and(|m| m != "sentinel") {
        probe.findings.push(
            Finding::error("sentinel-not-sentinel", format!("{addr} is not a sentinel"))
                .observed(format!("HELLO reports mode {}", input.echo(&hello.mode.clone().unwrap_or_default())))
                .why("REDIS_SENTINELS must list sentinel processes (port 26379 by default), not Redis servers.")
                .fix("List the sentinels' host:port in REDIS_SENTINELS."),
        );
        return probe;
    }
    match conn.command(&["SENTINEL", "get-master-addr-by-name", name]) {
        Ok(Reply::Array(Some(items))) if items.len() == 2 => {
            let host = items[0].text().map(|h| input.echo(&h)).unwrap_or_default();
            let port = items[1].text().and_then(|p| p.parse().ok()).unwrap_or(0);
            probe.answer = Some(Some((host, port)));
        }
        Ok(Reply::Array(None)) | Ok(Reply::Bulk(None)) | Ok(Reply::Array(Some(_))) => {
            probe.answer = Some(None);
        }
        Ok(Reply::Error(e)) => probe.failures.push(
            Finding::error(
                "sentinel-command-failed",
                format!("{addr} refused SENTINEL get-master-addr-by-name"),
            )
            .observed(format!("the sentinel answered: {}", input.echo(&e)))
            .why("Chatwoot asks the sentinels for the master on every (re)connect.")
            .fix("Allow SENTINEL commands for this client (sentinel ACLs)."),
        ),
        Ok(other) => probe.failures.push(
            Finding::error(
                "sentinel-command-failed",
                format!("{addr} gave an unexpected answer"),
            )
            .observed(input.echo(&describe(&other)))
            .why("Chatwoot asks the sentinels for the master on every (re)connect.")
            .fix("Check that REDIS_SENTINELS lists sentinels."),
        ),
        Err(f) => probe.failures.push(command_failure(
            &ep,
            &ep.label,
            "SENTINEL get-master-addr-by-name",
            f,
            input.timeout.as_secs_f64(),
        )),
    }
    probe.conn = Some(conn);
    probe
}

/// ActionCable uses REDIS_URL even in Sentinel mode: it must reach the current master.
fn actioncable_on_master(
    input: &LiveInput,
    master_host: &str,
    master_port: u16,
    master_run_id: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let Some(ep) = input.settings.url_endpoint() else {
        return;
    };
    let mut local = Vec::new();
    let Some((mut conn, _)) = connect(&ep, input, &mut local) else {
        out.extend(local.into_iter().map(|f| {
            let title = format!("ActionCable's REDIS_URL: {}", f.title);
            Finding { title, ..f }
        }));
        return;
    };
    out.extend(local);
    let role = match conn.command(&["ROLE"]) {
        Ok(Reply::Array(Some(items))) => items.first().and_then(Reply::text).unwrap_or_default(),
        _ => match conn.command(&["INFO", "replication"]) {
            Ok(r) => parse_info(&r.text().unwrap_or_default())
                .get("role")
                .cloned()
                .unwrap_or_default(),
            Err(_) => String::new(),
        },
    };
    let master_ips: Vec<std::net::IpAddr> =
        super::resp::resolve(master_host, master_port, input.deadline.step_end())
            .map(|a| a.iter().map(|s| s.ip()).collect())
            .unwrap_or_default();
    // Through a proxy (the recommended master-following address) the address differs but
    // the server is the same: its run_id says so.
    let same_server = master_run_id.is_some_and(|id| {
        conn.command(&["INFO", "server"])
            .ok()
            .and_then(|r| r.text())
            .is_some_and(|t| parse_info(&t).get("run_id").map(String::as_str) == Some(id))
    });
    let same_address = same_server
        || conn
            .peer
            .is_some_and(|p| p.port() == master_port && master_ips.contains(&p.ip()));
    let shown = super::statics::shown_url(input.settings);
    if role != "master" {
        out.push(
            Finding::error("actioncable-not-on-master", "REDIS_URL (ActionCable) does not reach the Sentinel master")
                .observed(format!("REDIS_URL {shown} answers ROLE {role:?}; the sentinels name {master_host}:{master_port}"))
                .why("ActionCable ignores Sentinel and uses REDIS_URL for pub/sub. On a replica PUBLISH still succeeds, but the message is delivered only to subscribers of that replica: broadcasts from processes on another server never arrive, and after a failover REDIS_URL may point at a replica, so agents stop seeing new messages in real time without any error.")
                .fix("Point REDIS_URL at an address that always reaches the current master: a TCP proxy that sends traffic only to the server answering role:master (for Kubernetes, the HAProxy of redis-master-proxy.yaml: `chatwoot-redis render --scenario kubernetes-sentinel`, or --emit +master-proxy; elsewhere e.g. HAProxy with tcp-check send \"INFO replication\" / expect string role:master), or a Service / DNS name your failover updates. A fixed server address is right only until the next failover."),
        );
    } else if !same_address {
        out.push(
            Finding::error("actioncable-other-master", "Split brain: REDIS_URL reaches a master the sentinels do not name")
                .observed(format!("REDIS_URL {shown} is a master at {}; the sentinels name {master_host}:{master_port}", conn.peer.map_or("?".into(), |p| p.to_string())))
                .why("Two servers take writes: ActionCable (REDIS_URL) uses one, the rest of Chatwoot the sentinels' master. Realtime events are split between them, and whatever is written to the server the sentinels do not name is lost when it is demoted (a promoted replica the sentinels turn back, or an old master that comes back).")
                .fix("Point REDIS_URL at an address that always reaches the master the sentinels name (a TCP proxy that checks role:master, or a name your failover updates); if a replica was promoted by hand (REPLICAOF NO ONE), let the sentinels turn it back or fail over properly (SENTINEL failover NAME)."),
        );
    } else {
        out.push(
            Finding::info(
                "actioncable-on-master",
                "REDIS_URL (ActionCable) reaches the current master",
            )
            .observed(format!(
                "REDIS_URL {shown} → {master_host}:{master_port}, ROLE master"
            ))
            .why(
                "After a failover REDIS_URL must follow the new master, or realtime updates stop.",
            ),
        );
    }
}

/// A server newer than the answers' `redis-version` (or another product): a server of the
/// answers' line could not read its data files, and the generated files target that line.
fn newer_than_answers(info: &Info, place: &str, input: &LiveInput) -> Option<Finding> {
    let line = input.answers_version?;
    let valkey = info.get("valkey_version");
    let text = valkey.or_else(|| info.get("redis_version"))?;
    let (major, minor, _) = parse_redis_version(text)?;
    if !line.older_than_server(valkey.is_some(), major, minor) {
        return None;
    }
    let product = if valkey.is_some() { "Valkey" } else { "Redis" };
    let shown = input.echo(text);
    Some(
        Finding::warning("server-newer-than-answers", format!("{place} runs {product} {shown}, newer than the answers' {}", line.label()))
            .observed(format!("INFO: {product} {shown}; the answers file says redis-version {}", line.id()))
            .why("A server must not be older than the one that wrote its data files: a restart on the answers' line (its image or package) could not load this data, and the generated redis.conf targets that line.")
            .fix(format!("Render again with --redis-version {product_id}{major}.{minor} (or the line that covers it) before restarting or recreating the server.", product_id = if valkey.is_some() { "valkey-" } else { "" })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::settings::{ChatwootEnv, Settings};

    fn judge(info_text: &str, budget: Option<u32>) -> Vec<Finding> {
        let settings = Settings::from_env(&ChatwootEnv::default());
        let redactor = Redactor::default();
        let input = LiveInput {
            settings: &settings,
            timeout: Duration::from_secs(1),
            deadline: Deadline::new(Duration::from_secs(1), Duration::from_secs(5)),
            redactor: &redactor,
            budget: budget.map(|total| ConfiguredBudget {
                reachable: total,
                capacity: total,
                ..ConfiguredBudget::from_budget(crate::sizing::budget(&Default::default()))
            }),
            provider: None,
            answers_version: None,
        };
        let mut out = Vec::new();
        judge_info(&parse_info(info_text), "test", &input, &mut out);
        out
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.id).collect()
    }

    const HEALTHY: &str = "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n\
        # Clients\r\nconnected_clients:10\r\nmaxclients:10000\r\n\
        # Memory\r\nused_memory:1048576\r\nmaxmemory:104857600\r\nmaxmemory_policy:noeviction\r\n\
        # Persistence\r\naof_enabled:1\r\n# Stats\r\nkeyspace_hits:90\r\nkeyspace_misses:10\r\n\
        rejected_connections:0\r\n# Replication\r\nrole:master\r\n# Cluster\r\ncluster_enabled:0\r\n";

    fn input_for<'a>(settings: &'a Settings, redactor: &'a Redactor) -> LiveInput<'a> {
        LiveInput {
            settings,
            timeout: Duration::from_secs(1),
            deadline: Deadline::new(Duration::from_secs(1), Duration::from_secs(5)),
            redactor,
            budget: None,
            provider: None,
            answers_version: None,
        }
    }

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Some(s.as_bytes().to_vec()))
    }

    #[test]
    fn aof_fix_keeps_the_data_of_a_server_that_has_keys() {
        let info = parse_info(
            "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=4,expires=1,avg_ttl=5\r\n",
        );
        assert_eq!(keys(&info), 7);
        let f = aof_disabled("master (h:1)", 7, false);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.title.starts_with("master (h:1)"), "{}", f.title);
        let set = f.fix.find("CONFIG SET appendonly yes").expect("step 1");
        let wait = f.fix.find("aof_rewrite_in_progress:0").expect("step 2");
        let file = f.fix.find("3. Only then").expect("step 3");
        assert!(set < wait && wait < file, "{}", f.fix);
        let empty = aof_disabled("REDIS_URL (h:1)", 0, false);
        assert!(!empty.fix.contains("CONFIG SET"), "{}", empty.fix);
        assert_eq!(aof_disabled("x", 5, true).severity, Severity::Info);
    }

    #[test]
    fn no_fix_ever_suggests_rewriting_the_config_from_the_server() {
        // The needle is built so this test's own text does not contain it.
        let needle = ["CONFIG", " REWRITE"].concat();
        for (name, text) in [
            ("live.rs", include_str!("live.rs")),
            ("statics.rs", include_str!("statics.rs")),
            ("mod.rs", include_str!("mod.rs")),
        ] {
            assert!(
                !text.to_uppercase().contains(&needle),
                "{name} suggests {needle}"
            );
        }
        let f = judge(&HEALTHY.replace("noeviction", "allkeys-lru"), None);
        let fix = &f
            .iter()
            .find(|f| f.id == "eviction-policy")
            .expect("eviction")
            .fix;
        assert!(
            fix.contains("CONFIG SET maxmemory-policy noeviction"),
            "{fix}"
        );
    }

    #[test]
    fn a_median_ping_above_the_client_timeout_is_an_error() {
        let ms = Duration::from_millis;
        let f = judge_latency("p", &mut [ms(1200), ms(1300), ms(1250)]).expect("finding");
        assert_eq!((f.id, f.severity), ("latency-high", Severity::Error));
        assert!(f.title.contains("1 s client timeout"), "{}", f.title);
        let f = judge_latency("p", &mut [ms(5), ms(6), ms(7)]).expect("finding");
        assert_eq!((f.id, f.severity), ("latency-high", Severity::Warning));
        let f = judge_latency("p", &mut [Duration::from_micros(200); 10]).expect("finding");
        assert_eq!((f.id, f.severity), ("latency", Severity::Info));
        assert!(judge_latency("p", &mut []).is_none());
    }

    #[test]
    fn non_redis_answers_say_what_answered() {
        let sent = ["HELLO", "2", "AUTH", "default", "pw0123456"];
        let echoed = Reply::Array(Some(sent.iter().map(|s| bulk(s)).collect()));
        assert!(not_a_hello_reply(&echoed, &sent)
            .expect("echo")
            .contains("echoed back"));
        let redis = Reply::Array(Some(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("7.0.15"),
        ]));
        assert_eq!(not_a_hello_reply(&redis, &sent), None);
        let other = Reply::Array(Some(vec![bulk("a"), bulk("b")]));
        assert!(not_a_hello_reply(&other, &sent).is_some());
        assert!(
            super::super::resp::what_answered("HTTP/1.1 400 Bad Request")
                .contains("an HTTP server answered: 400 Bad Request")
        );
        assert!(super::super::resp::what_answered("garbage").contains("\"garbage\""));
    }

    #[test]
    fn texts_say_who_uses_hello_and_that_6_2_reports_maxclients() {
        let f = judge(&HEALTHY.replace("maxclients:10000\r\n", ""), Some(55));
        let unknown = f
            .iter()
            .find(|f| f.id == "maxclients-unknown")
            .expect("finding");
        assert!(
            unknown
                .why
                .contains("Redis 6.2 and newer report maxclients"),
            "{}",
            unknown.why
        );
        assert!(!unknown.title.contains("before 7"));
        let source = include_str!("live.rs");
        assert!(!source.contains(&["Chatwoot opens every connection", " with HELLO"].concat()));
        assert!(source.contains("Chatwoot's own connections (redis-rb) use RESP2 and AUTH"));
    }

    #[test]
    fn every_info_finding_names_the_server() {
        let text = HEALTHY
            .replace("noeviction", "allkeys-lru")
            .replace("aof_enabled:1", "aof_enabled:0")
            .replace("used_memory:1048576", "used_memory:99000000");
        for f in judge(&text, Some(55)) {
            assert!(
                f.title.starts_with("test") || f.title.contains("test"),
                "{} has no server: {}",
                f.id,
                f.title
            );
        }
    }

    #[test]
    fn replicas_are_judged_against_the_master() {
        let settings = Settings::from_env(&ChatwootEnv::default());
        let redactor = Redactor::default();
        let input = input_for(&settings, &redactor);
        let master = parse_info("role:master\r\nmaster_repl_offset:5000000\r\nmaxmemory_policy:noeviction\r\nmaxmemory:100\r\naof_enabled:1\r\n");
        let replica = parse_info("role:slave\r\nmaster_link_status:up\r\nslave_repl_offset:100\r\nmaxmemory_policy:allkeys-lru\r\nmaxmemory:0\r\naof_enabled:1\r\n");
        let mut out = Vec::new();
        judge_replica(
            "replica 1 (10.0.0.2:6379)",
            &replica,
            Some(&master),
            &input,
            &mut out,
        );
        let get = |id: &str| {
            out.iter()
                .find(|f| f.id == id)
                .unwrap_or_else(|| panic!("{id} in {out:?}"))
        };
        assert_eq!(get("replica-eviction-policy").severity, Severity::Error);
        assert_eq!(get("replica-lag").severity, Severity::Warning);
        let differ = get("replica-settings-differ");
        assert!(
            differ.observed.contains("maxmemory 0 (master 100)"),
            "{}",
            differ.observed
        );
        assert!(!differ.observed.contains("aof_enabled"));
        assert!(
            out.iter()
                .all(|f| f.title.contains("replica 1 (10.0.0.2:6379)")),
            "{out:?}"
        );

        let mut out = Vec::new();
        let promoted = parse_info("role:master\r\n");
        judge_replica(
            "replica 2 (h:1)",
            &promoted,
            Some(&master),
            &input,
            &mut out,
        );
        assert_eq!(ids(&out), vec!["replica-not-replica"]);
        assert_eq!(out[0].severity, Severity::Error);

        let mut out = Vec::new();
        let down =
            parse_info("role:slave\r\nmaster_link_status:down\r\nmaxmemory_policy:noeviction\r\n");
        judge_replica("replica 3 (h:1)", &down, None, &input, &mut out);
        assert_eq!(ids(&out), vec!["replica-link-down", "replica"]);
    }

    #[test]
    fn sentinel_replica_entries_are_read() {
        let entry = Reply::Array(Some(vec![
            bulk("name"),
            bulk("127.0.0.1:7001"),
            bulk("ip"),
            bulk("127.0.0.1"),
            bulk("port"),
            bulk("7001"),
            bulk("flags"),
            bulk("slave,s_down"),
        ]));
        assert_eq!(
            listed_replica(&entry),
            Some(ListedReplica {
                host: "127.0.0.1".into(),
                port: 7001,
                flags: "slave,s_down".into()
            })
        );
        assert_eq!(listed_replica(&Reply::Int(1)), None);
    }

    #[test]
    fn one_finding_per_problem_not_one_per_sentinel() {
        let refused = |a: &str| {
            Finding::error(
                "sentinel-command-failed",
                format!("{a} refused SENTINEL get-master-addr-by-name"),
            )
            .observed("NOPERM")
            .fix("Allow SENTINEL commands")
        };
        let down = |a: &str| {
            Finding::error(
                "connection-refused",
                format!("Connection refused by sentinel {a}"),
            )
            .fix("start it")
        };
        let merged = merge_per_sentinel(vec![
            ("s1:1".into(), refused("s1:1")),
            ("s2:1".into(), refused("s2:1")),
            ("s3:1".into(), down("s3:1")),
            ("s4:1".into(), down("s4:1")),
        ]);
        assert_eq!(
            ids(&merged),
            vec![
                "sentinel-command-failed",
                "connection-refused",
                "connection-refused"
            ]
        );
        assert!(
            merged[0].title.starts_with("2 sentinels (s1:1, s2:1)"),
            "{}",
            merged[0].title
        );
        assert_eq!(merged[0].observed, "s1:1: NOPERM; s2:1: NOPERM");
        assert!(merged[2].title.contains("s4:1"));
    }

    #[test]
    fn a_dead_sentinel_is_a_warning_that_says_chatwoot_moves_on() {
        for before in [Severity::Error, Severity::Warning] {
            let f = dead_sentinel(
                Finding::new("connection-refused", before, "t")
                    .why("fails with Errno::ECONNREFUSED"),
            );
            assert_eq!(f.severity, Severity::Warning);
            assert!(f.why.contains("moves on to the next one"), "{}", f.why);
            assert!(!f.why.contains("ECONNREFUSED"));
        }
    }

    #[test]
    fn the_run_limit_is_five_steps_at_most_a_minute_more_than_one() {
        let secs = |s: f64| run_limit(Duration::from_secs_f64(s)).as_secs_f64();
        assert_eq!(secs(1.0), 5.0);
        assert_eq!(secs(3.0), 15.0);
        assert_eq!(secs(20.0), 80.0);
        assert_eq!(secs(3600.0), 3660.0);
        let f = deadline_hit(Duration::from_secs(3));
        assert_eq!(f.id, "run-deadline");
        assert!(f.title.contains("overall deadline of 15 s"), "{}", f.title);
    }

    #[test]
    fn replies_are_described_as_text_never_as_bytes() {
        let r = Reply::Array(Some(vec![
            Reply::Bulk(Some(b"secret".to_vec())),
            Reply::Int(3),
            Reply::Bulk(None),
        ]));
        assert_eq!(describe(&r), "[\"secret\", :3, nil] (3 element(s))");
        let many = Reply::Array(Some(vec![Reply::Int(1); 20]));
        assert!(describe(&many).ends_with(", …] (20 element(s))"));
    }

    #[test]
    fn healthy_server_gives_infos_only() {
        let f = judge(HEALTHY, Some(55));
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:?}");
        assert_eq!(
            ids(&f),
            vec!["server-version", "memory", "keyspace-hit-ratio"]
        );
    }

    #[test]
    fn version_below_6_2_and_cluster_mode_are_errors() {
        let f = judge(&HEALTHY.replace("7.2.4", "6.0.20"), None);
        assert!(ids(&f).contains(&"redis-too-old"));
        let f = judge(&HEALTHY.replace("7.2.4", "6.2.0"), None);
        assert!(!ids(&f).contains(&"redis-too-old"));
        let f = judge(&HEALTHY.replace("7.2.4", "garbage"), None);
        assert!(ids(&f).contains(&"version-unknown"));
        let f = judge(
            &HEALTHY.replace("cluster_enabled:0", "cluster_enabled:1"),
            None,
        );
        assert!(ids(&f).contains(&"cluster-mode"));
    }

    #[test]
    fn valkey_is_named() {
        let f = judge(&format!("{HEALTHY}valkey_version:8.0.1\r\n"), None);
        assert!(f[0].title.contains("Valkey 8.0.1"), "{}", f[0].title);
    }

    #[test]
    fn replica_policy_memory_clients_persistence() {
        let f = judge(&HEALTHY.replace("role:master", "role:slave"), None);
        assert!(ids(&f).contains(&"connected-to-replica"));
        for policy in [
            "allkeys-lru",
            "volatile-lru",
            "allkeys-random",
            "volatile-ttl",
        ] {
            let f = judge(&HEALTHY.replace("noeviction", policy), None);
            assert!(ids(&f).contains(&"eviction-policy"), "{policy}");
        }
        let f = judge(&HEALTHY.replace("maxmemory:104857600", "maxmemory:0"), None);
        assert!(ids(&f).contains(&"maxmemory-unset"));
        let f = judge(
            &HEALTHY.replace("used_memory:1048576", "used_memory:99000000"),
            None,
        );
        assert!(ids(&f).contains(&"memory-nearly-full"));
        let f = judge(
            &HEALTHY.replace("used_memory:1048576", "used_memory:83886080"),
            None,
        );
        assert!(ids(&f).contains(&"memory-high"));
        let f = judge(
            &HEALTHY.replace("maxclients:10000", "maxclients:40"),
            Some(55),
        );
        assert!(ids(&f).contains(&"maxclients-below-budget"));
        let f = judge(
            &HEALTHY.replace("maxclients:10000", "maxclients:100"),
            Some(55),
        );
        assert!(ids(&f).contains(&"maxclients-tight"));
        let f = judge(&HEALTHY.replace("maxclients:10000", "maxclients:12"), None);
        assert!(ids(&f).contains(&"clients-near-limit"));
        // A server that does not report maxclients (before 6.2, or a service hiding it).
        let f = judge(&HEALTHY.replace("maxclients:10000\r\n", ""), Some(55));
        assert!(ids(&f).contains(&"maxclients-unknown"));
        let f = judge(
            &HEALTHY.replace("rejected_connections:0", "rejected_connections:3"),
            None,
        );
        assert!(ids(&f).contains(&"rejected-connections"));
        let f = judge(&HEALTHY.replace("aof_enabled:1", "aof_enabled:0"), None);
        assert!(ids(&f).contains(&"aof-disabled"));
    }
}
