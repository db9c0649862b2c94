//! Live checks over the wire, with read-only commands only (HELLO, AUTH, PING, INFO, ROLE,
//! SENTINEL get-master-addr-by-name / ckquorum).

use std::time::{Duration, Instant};

use crate::chatwoot::{parse_redis_version, ManagedProvider, MIN_REDIS_VERSION};
use crate::redact::{clip, Redactor, ECHO_MAX};

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
                    server_checks(&mut conn, &ep, input, &mut out);
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
    let sentinel = ep.label.starts_with("sentinel");
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
                    .why("Sidekiq 7 and redis-client open every connection with HELLO (Redis 6+); without it Chatwoot cannot connect.")
                    .fix("Upgrade to Redis 6.2 or newer (7.x recommended), and do not rename or disable HELLO."),
            );
            if let Some(pw) = ep.password.as_deref() {
                let mut auth = vec!["AUTH"];
                auth.extend(ep.username.as_deref());
                auth.push(pw);
                match conn.command(&auth) {
                    Ok(Reply::Error(e)) => {
                        out.push(auth_error(ep, &place, &input.echo(&e)));
                        return None;
                    }
                    Err(f) => {
                        out.push(command_failure(ep, &place, "AUTH", f, secs));
                        return None;
                    }
                    Ok(_) => {}
                }
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
        (Step::Dns, Failure::Timeout) => Finding::error("dns-timeout", format!("DNS did not resolve {} within {secs} s", ep.host))
            .observed(observed)
            .why("Chatwoot cannot reach Redis when its name does not resolve.")
            .fix("Check the resolver (/etc/resolv.conf, the cluster DNS) and the host name."),
        (Step::Dns, _) => Finding::error("dns-failed", format!("{} does not resolve", ep.host))
            .observed(observed)
            .why("Chatwoot cannot reach Redis when its name does not resolve.")
            .fix("Check the host name for typos; in Docker Compose use the service name (redis) from a container on the same network; in Kubernetes the Service name and namespace."),
        (Step::Connect, Failure::Refused) => Finding::error("connection-refused", format!("Connection refused by {}:{}", ep.host, ep.port))
            .observed(observed)
            .why("Nothing accepts connections there, so Chatwoot fails with Errno::ECONNREFUSED / Redis::CannotConnectError.")
            .fix(seed_fix_refused(ep)),
        (Step::Connect, Failure::Timeout) if ep.unix_path.is_some() => Finding::error("connect-timeout", format!("The unix socket of {place} did not accept the connection within {secs} s"))
            .observed(observed)
            .why("The server does not accept connections (its backlog is full: it is stuck, overloaded or stopped with SIGSTOP); Chatwoot's connections hang the same way.")
            .fix("Check the Redis process (systemctl status redis-server; is it alive and not blocked?), and that the socket path belongs to it."),
        (Step::Connect, Failure::Timeout) => Finding::error("connect-timeout", format!("No answer from {}:{} within {secs} s", ep.host, ep.port))
            .observed(observed)
            .why("Packets are dropped on the way (firewall, security group, wrong network/VPC) or the host is down; Chatwoot's connections time out.")
            .fix("Allow the port from the Chatwoot hosts (security group / firewall rules, same VPC or peering), and check the address."),
        (Step::Connect, f) => Finding::error("connect-failed", format!("Cannot connect to {}:{}", ep.host, ep.port))
            .observed(format!("{place}: {f}"))
            .why("Chatwoot cannot reach Redis.")
            .fix(seed_fix_refused(ep)),
        (Step::Tls, Failure::Certificate(why)) => {
            let hint = match input.provider {
                Some(p) if !p.has_public_certificate() => format!(" This looks like {}: set REDIS_OPENSSL_VERIFY_MODE=none.", p.name()),
                _ => String::new(),
            };
            Finding::error("tls-certificate-rejected", "The server's TLS certificate fails verification (verify peer)")
                .observed(format!("{place}: certificate rejected ({why})"))
                .why("Chatwoot verifies the certificate unless REDIS_OPENSSL_VERIFY_MODE is exactly none, and has no option for a private CA: every connection fails with an SSL error.")
                .fix(format!(
                    "Give the server a certificate from a public CA for this host name, or, for services with a self-signed or private-CA certificate (Heroku, Memorystore), set REDIS_OPENSSL_VERIFY_MODE=none.{hint}"
                ))
        }
        (Step::Tls, Failure::Timeout) => Finding::error("tls-timeout", format!("The TLS handshake with {}:{} did not finish within {secs} s", ep.host, ep.port))
            .observed(observed)
            .why("A server that does not speak TLS on this port often just waits; Chatwoot's connections time out.")
            .fix("Use the service's TLS port with rediss://, or redis:// if the port is plain."),
        (Step::Tls, _) => Finding::error("tls-handshake-failed", format!("TLS handshake with {}:{} failed", ep.host, ep.port))
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
    let who = if ep.label.starts_with("sentinel") {
        "REDIS_SENTINEL_PASSWORD (REDIS_PASSWORD when unset)"
    } else if ep.label == "Sentinel master" {
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
            .why("Chatwoot needs HELLO, INFO, CLIENT, pub/sub and the data commands.")
            .fix("Give Chatwoot's ACL user +@all -flushall -flushdb -config -debug -shutdown, ~* and &*.")
    } else {
        Finding::error(
            "hello-failed",
            format!("{place} refused the connection handshake"),
        )
        .observed(format!("HELLO answered: {e}"))
        .why("Chatwoot opens every connection with HELLO; this error stops it.")
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
fn server_checks(conn: &mut Conn, ep: &Endpoint, input: &LiveInput, out: &mut Vec<Finding>) {
    let secs = input.timeout.as_secs_f64();
    let place = format!("{} ({}:{})", ep.label, ep.host, ep.port);
    if input.deadline.expired() {
        return;
    }
    let info = match conn.command_capped(&["INFO"], Caps::INFO) {
        Ok(Reply::Error(e)) => {
            out.push(
                Finding::error("info-denied", format!("{place} refused INFO"))
                    .observed(format!("INFO answered: {}", input.echo(&e)))
                    .why("Sidekiq and Chatwoot's health checks read INFO; doctor cannot check version, memory or clients without it.")
                    .fix("Allow INFO for Chatwoot's ACL user (+@all minus the dangerous commands)."),
            );
            return;
        }
        Ok(r) => parse_info(&r.text().unwrap_or_default()),
        Err(f) => {
            out.push(command_failure(ep, &place, "INFO", f, secs));
            return;
        }
    };
    judge_info(&info, &place, input, out);
    super::host::check(&info, ep, input.provider.is_some(), out);
    pubsub(conn, &place, input, out);
    latency(conn, &place, input, out);
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
            Finding::error("redis-too-old", format!("Redis {version_text} is older than 6.2: Sidekiq refuses to start"))
                .observed(format!("{place} reports redis_version {version_text}"))
                .why("Sidekiq 7 (Chatwoot 4) checks the server version at start and exits below 6.2.0.")
                .fix("Upgrade to Redis 7.x (or Valkey 7.2/8); on Azure Cache for Redis (6.0) move to Azure Managed Redis."),
        ),
        None => out.push(
            Finding::warning("version-unknown", "The server did not report a readable version")
                .observed(format!("redis_version {version_text:?}"))
                .why("Chatwoot needs Redis 6.2 or newer.")
                .fix("Check the server version by hand (redis-cli INFO server)."),
        ),
        _ => {}
    }
    if info.get("cluster_enabled").map(String::as_str) == Some("1") {
        out.push(
            Finding::error("cluster-mode", format!("{place} runs in Redis Cluster mode"))
                .observed("INFO cluster_enabled:1".to_string())
                .why("Sidekiq does not support Redis Cluster: jobs fail with CROSSSLOT / MOVED errors.")
                .fix("Use a standalone Redis or Sentinel (ElastiCache: cluster mode disabled; no Memorystore Cluster)."),
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
        let provider_fix = match input.provider {
            Some(ManagedProvider::ElastiCache) => " On ElastiCache: a custom parameter group with maxmemory-policy=noeviction (aws elasticache modify-cache-parameter-group …), then modify-replication-group --cache-parameter-group-name … --apply-immediately.",
            Some(ManagedProvider::AzureCacheForRedis) => " On Azure: az redis update -n NAME -g GROUP --set \"redisConfiguration.maxmemory-policy\"=\"noeviction\".",
            Some(ManagedProvider::AzureManagedRedis) => " On Azure Managed Redis: az redisenterprise database update --cluster-name NAME -g GROUP --eviction-policy NoEviction.",
            Some(ManagedProvider::MemorystoreLikely) => " On Memorystore: gcloud redis instances update ID --region R --update-redis-config maxmemory-policy=noeviction.",
            Some(ManagedProvider::HerokuLikely) => " On Heroku: heroku redis:maxmemory ADDON -a APP --policy noeviction.",
            Some(ManagedProvider::DigitalOcean) => " On DigitalOcean: set the eviction policy to noeviction in the database settings (doctl databases configuration update).",
            _ => " In redis.conf: maxmemory-policy noeviction (or CONFIG SET maxmemory-policy noeviction, then CONFIG REWRITE).",
        };
        out.push(
            Finding::error("eviction-policy", format!("maxmemory-policy is {policy}: Redis may silently delete Sidekiq jobs"))
                .observed(format!("INFO maxmemory_policy:{policy}"))
                .why("Sidekiq queues, retries, scheduled jobs and Chatwoot's state have no TTL and share one database; any eviction policy (including the often advised allkeys-lru) drops them without a trace when memory is full. With noeviction, writes fail loudly instead.")
                .fix(format!("Set maxmemory-policy to noeviction and give Redis enough maxmemory.{provider_fix}")),
        );
    }
    let used = num(info, "used_memory");
    let max = num(info, "maxmemory");
    match (used, max) {
        (Some(used), Some(0)) => out.push(
            Finding::warning("maxmemory-unset", "maxmemory is 0: Redis has no memory limit")
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
                out.push(Finding::error("memory-nearly-full", format!("Redis memory is {pct:.0}% full")).observed(observed).why(why).fix(fix));
            } else if pct >= 75.0 {
                out.push(Finding::warning("memory-high", format!("Redis memory is {pct:.0}% full")).observed(observed).why(why).fix(fix));
            } else {
                out.push(Finding::info("memory", format!("Redis memory is {pct:.0}% full")).observed(observed));
            }
        }
        _ => {}
    }
    clients(info, place, input, out);
    if info.get("aof_enabled").map(String::as_str) == Some("0") {
        let managed = input.provider.is_some();
        out.push(
            Finding::new(
                "aof-disabled",
                if managed { Severity::Info } else { Severity::Warning },
                "Append-only persistence is off",
            )
            .observed("INFO aof_enabled:0".to_string())
            .why("Sidekiq jobs live only in Redis; with RDB snapshots alone a restart loses the jobs of the last minutes.")
            .fix(if managed {
                "Managed services persist differently (replicas, snapshots); check the plan's durability."
            } else {
                "Set appendonly yes and appendfsync everysec in redis.conf."
            }),
        );
    }
    if let (Some(h), Some(m)) = (num(info, "keyspace_hits"), num(info, "keyspace_misses")) {
        if h + m > 0 {
            let ratio = h as f64 * 100.0 / (h + m) as f64;
            out.push(
                Finding::info("keyspace-hit-ratio", format!("Keyspace hit ratio {ratio:.1}%"))
                    .observed(format!("keyspace_hits {h}, keyspace_misses {m}"))
                    .why("Misses are normal for Sidekiq's polling; a sudden drop points at lost keys (eviction, FLUSHALL, a wrong db)."),
            );
        }
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
            Finding::info("maxclients-unknown", "maxclients is not in INFO (Redis before 7)")
                .observed(format!("connected_clients {}", connected.map_or("?".into(), |c| c.to_string())))
                .why("doctor reads only INFO (CONFIG is blocked on managed services), and Redis 6.2 does not report maxclients there.")
                .fix("Compare the connection budget with maxclients by hand (redis-cli CONFIG GET maxclients, or the plan's limit)."),
        );
        return;
    };
    if let Some(c) = connected {
        let pct = c as f64 * 100.0 / maxclients.max(1) as f64;
        if pct >= 80.0 {
            out.push(
                Finding::warning("clients-near-limit", format!("{c} of {maxclients} client connections in use"))
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
                Finding::error("maxclients-below-budget", format!("maxclients {maxclients} is below the {total} connections Chatwoot's threads reach"))
                    .observed(format!("INFO maxclients:{maxclients}; Chatwoot reaches {total}, its pools may open {} (see connection-budget)", budget.capacity))
                    .why("Chatwoot's threads cannot all connect: requests and jobs fail with ERR max number of clients reached.")
                    .fix(format!("Set maxclients to at least {recommended} (twice the capacity at the most replicas, probes, admin; never below 1000), or lower the threads, concurrency and pools.")),
            );
        } else if maxclients < recommended as u64 {
            out.push(
                Finding::warning("maxclients-tight", format!("maxclients {maxclients} leaves no room for a rolling restart"))
                    .observed(format!("INFO maxclients:{maxclients}; reachable {total}, capacity {}, recommended {recommended}", budget.capacity))
                    .why("During a deploy old and new processes are connected at once, plus probes awaiting GC, monitoring and admin connections: a cap near the estimate turns any error into an outage.")
                    .fix(format!("Set maxclients to {recommended} or more.")),
            );
        }
    }
}

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
    if samples.is_empty() {
        return;
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
    if let Some(slow) = slow {
        out.push(
            Finding::warning("latency-high", format!("{place}: {slow}"))
                .observed(observed)
                .why("Chatwoot makes several Redis calls per request and job; every millisecond adds up (its client timeout is 1 s). Run doctor from a Chatwoot host: latency from elsewhere says little.")
                .fix("Put Redis in the same region/zone/network as Chatwoot; check CPU steal, swapping, persistence stalls (INFO persistence) and the slow log."),
        );
    } else {
        out.push(
            Finding::info("latency", format!("{place}: median PING {:.3} ms", ms(p50)))
                .observed(observed),
        );
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
    let mut failures = Vec::new();
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
    let probes = probe_all(checked, |addr| probe_sentinel(addr, input, name));
    let mut quorum_checked = false;
    for probe in probes {
        let Some(probe) = probe else { continue };
        let addr = probe.addr;
        out.extend(probe.findings);
        failures.extend(probe.failures);
        let Some(answer) = probe.answer else { continue };
        let resolved = answer.is_some();
        answers.push((addr.clone(), answer));
        let Some(mut conn) = probe.conn else { continue };
        if !quorum_checked && resolved && !input.deadline.expired() {
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
    }
    let resolved: Vec<&(String, u16)> = answers.iter().filter_map(|(_, a)| a.as_ref()).collect();
    // Unreachable sentinels are errors only when no sentinel answered at all.
    let severity = if resolved.is_empty() {
        Severity::Error
    } else {
        Severity::Warning
    };
    out.extend(failures.into_iter().map(|f| {
        let sev = f.severity.max(severity);
        f.with_severity(sev)
    }));
    for (addr, answer) in &answers {
        if answer.is_none() {
            out.push(
                Finding::error("sentinel-master-unknown", format!("{addr} does not know a master named {name:?}"))
                    .observed(format!("SENTINEL get-master-addr-by-name {name} returned nil"))
                    .why("Chatwoot resolves the master by REDIS_SENTINEL_MASTER_NAME; with an unknown name it cannot connect at all.")
                    .fix("Set REDIS_SENTINEL_MASTER_NAME to the name in the sentinels' `sentinel monitor NAME …` line (redis-cli -p 26379 SENTINEL masters lists them)."),
            );
        }
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
        .observed(if checked.len() < list.len() {
            format!(
                "{} of {} sentinel(s) checked answered ({} listed)",
                resolved.len(),
                checked.len(),
                list.len()
            )
        } else {
            format!("{} of {} sentinel(s) answered", resolved.len(), list.len())
        }),
    );
    let master = settings.master_endpoint(&master_host, master_port);
    if let Some((mut conn, _)) = connect(&master, input, out) {
        server_checks(&mut conn, &master, input, out);
    }
    actioncable_on_master(input, &master_host, master_port, out);
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
    let same_address = conn
        .peer
        .is_some_and(|p| p.port() == master_port && master_ips.contains(&p.ip()));
    let shown = super::statics::shown_url(input.settings);
    if role != "master" {
        out.push(
            Finding::error("actioncable-not-on-master", "REDIS_URL (ActionCable) does not reach the Sentinel master")
                .observed(format!("REDIS_URL {shown} answers ROLE {role:?}; the sentinels name {master_host}:{master_port}"))
                .why("ActionCable ignores Sentinel and publishes to REDIS_URL; on a replica publishes fail (READONLY) or reach no subscriber, so agents stop seeing new messages in real time.")
                .fix("Point REDIS_URL at the master's address, or at a name that follows failovers (a Service or DNS name updated on failover); with the Chatwoot Helm chart and Bitnami Sentinel, use the chart's generated REDIS_URL."),
        );
    } else if !same_address {
        out.push(
            Finding::warning("actioncable-other-master", "REDIS_URL reaches a master, but not the one the sentinels name")
                .observed(format!("REDIS_URL {shown} is a master at {}; the sentinels name {master_host}:{master_port}", conn.peer.map_or("?".into(), |p| p.to_string())))
                .why("ActionCable and the rest of Chatwoot would use two different Redis servers: realtime events never reach the workers' publishes.")
                .fix("Point REDIS_URL at the Sentinel master (same address the sentinels report)."),
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
        // Redis 6.2 has no maxclients in INFO.
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
