//! `chatwoot-redis doctor` against real redis-server / redis-sentinel processes on loopback.
//! Every test checks the finding ids, the exit code, and that no password is printed.

/// The one server-starting module, under the path doctor's tests have always used.
pub(crate) use crate::servers;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use servers::{client, command, free_port, self_signed_cert, wait_for, Server};

const PASSWORD: &str = "Chatwoot0redis0test0password0x9";

/// One doctor run: exit code, parsed JSON report, raw output.
struct Run {
    code: i32,
    json: Value,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn ids(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn has(&self, id: &str) -> bool {
        self.ids().iter().any(|i| i == id)
    }
    fn finding(&self, id: &str) -> &Value {
        self.json["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["id"] == id))
            .unwrap_or_else(|| panic!("no finding {id} in {}", self.stdout))
    }
    /// Asserts the finding, the exit code, and that no secret leaked.
    fn expect(&self, id: &str, severity: &str, code: i32) -> &Self {
        assert_eq!(self.finding(id)["severity"], severity, "{}", self.stdout);
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert_eq!(self.json["exit_code"], code);
        self.no_secret();
        self
    }
    fn no_secret(&self) {
        for secret in [PASSWORD, "WrongPassword0xyz"] {
            assert!(
                !self.stdout.contains(secret),
                "secret in stdout:\n{}",
                self.stdout
            );
            assert!(
                !self.stderr.contains(secret),
                "secret in stderr:\n{}",
                self.stderr
            );
        }
    }
}

fn doctor(env_file: &Path, extra: &[&str]) -> Run {
    let started = Instant::now();
    let out = Command::from_std(crate::common::bin())
        .arg("doctor")
        .arg("--env-file")
        .arg(env_file)
        .args(["--format", "json"])
        .args(extra)
        .env_remove("CHATWOOT_REDIS_MAX_CONNECTIONS")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run doctor");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stdout,
        stderr,
        elapsed: started.elapsed(),
    }
}

/// Writes an env file and runs doctor on it.
fn doctor_env(env: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".env");
    std::fs::write(&path, env).expect("write .env");
    doctor(&path, extra)
}

fn healthy_args() -> Vec<&'static str> {
    vec![
        "--requirepass",
        PASSWORD,
        "--maxmemory",
        "64mb",
        "--maxmemory-policy",
        "noeviction",
        "--appendonly",
        "yes",
    ]
}

/// A healthy password-protected Redis with some settings overridden (later arguments win).
fn protected_redis(overrides: &[&str]) -> Server {
    let mut args = healthy_args();
    args.extend_from_slice(overrides);
    Server::redis(&args)
}

/// doctor on an env that points at `port` with the right password.
fn doctor_protected(port: u16) -> Run {
    doctor_env(
        &format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
        &[],
    )
}

#[test]
fn doctor_healthy_password_protected_redis() {
    let redis = protected_redis(&[]);
    let run = doctor_protected(redis.port);
    run.expect("server-version", "info", 0);
    assert!(
        run.has("latency") || run.has("latency-high"),
        "{}",
        run.stdout
    );
    assert_eq!(run.json["version"], 1);
    assert_eq!(run.json["summary"]["errors"], 0);
    assert!(run.finding("server-version")["title"]
        .as_str()
        .is_some_and(|t| t.contains("Redis 7")));
}

#[test]
fn doctor_password_in_url_is_redacted_and_used() {
    let redis = protected_redis(&[]);
    let run = doctor_env(
        &format!("REDIS_URL=redis://:{PASSWORD}@127.0.0.1:{}/0\n", redis.port),
        &[],
    );
    run.expect("server-version", "info", 0);
    assert_eq!(
        run.json["target"]["redis_url"],
        format!("redis://:***@127.0.0.1:{}/0", redis.port)
    );
}

#[test]
fn doctor_acl_user_from_url() {
    // Only the `chatwoot` ACL user can log in: the username must come from user:pass@.
    let user = format!(">{PASSWORD}");
    let redis = Server::redis(&[
        "--user", "default", "off", "--user", "chatwoot", "on", &user, "~*", "&*", "+@all",
    ]);
    let run = doctor_env(
        &format!(
            "REDIS_URL=redis://chatwoot:{PASSWORD}@127.0.0.1:{}\n",
            redis.port
        ),
        &[],
    );
    run.expect("server-version", "info", 0);
    assert_eq!(
        run.json["target"]["redis_url"],
        format!("redis://chatwoot:***@127.0.0.1:{}", redis.port)
    );
    // REDIS_PASSWORD overrides the URL's password but keeps its user.
    let run = doctor_env(
        &format!(
            "REDIS_URL=redis://chatwoot:stale@127.0.0.1:{}\nREDIS_PASSWORD={PASSWORD}\n",
            redis.port
        ),
        &[],
    );
    run.expect("url-password-overridden", "warning", 0);
    // A lone `secret@` is a password for the default user, which is off.
    let run = doctor_env(
        &format!("REDIS_URL=redis://{PASSWORD}@127.0.0.1:{}\n", redis.port),
        &[],
    );
    run.expect("auth-failed", "error", 1);
}

#[test]
fn doctor_unix_socket_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("redis.sock");
    let socket_text = socket.display().to_string();
    let redis = protected_redis(&["--unixsocket", &socket_text, "--unixsocketperm", "700"]);
    let run = doctor_env(
        &format!("REDIS_URL=unix://{socket_text}\nREDIS_PASSWORD={PASSWORD}\n"),
        &[],
    );
    run.expect("server-version", "info", 0);
    assert_eq!(run.json["target"]["host"], Value::Null);
    drop(redis);
}

#[test]
fn doctor_wrong_password() {
    let redis = protected_redis(&[]);
    let run = doctor_env(
        &format!(
            "REDIS_URL=redis://127.0.0.1:{}\nREDIS_PASSWORD=WrongPassword0xyz\n",
            redis.port
        ),
        &[],
    );
    run.expect("auth-failed", "error", 1);
}

#[test]
fn doctor_no_password_sent_to_protected_server() {
    let redis = protected_redis(&[]);
    let run = doctor_env(
        &format!("REDIS_URL=redis://127.0.0.1:{}\n", redis.port),
        &[],
    );
    run.expect("auth-required", "error", 1);
    assert!(run.finding("auth-required")["fix"]
        .as_str()
        .is_some_and(|f| f.contains("REDIS_PASSWORD")));
}

/// REDIS_PASSWORD set for a server that has none: `HELLO 2 AUTH default …` is accepted, but
/// Chatwoot's redis-rb connections send `AUTH password` over RESP2 (redis-client's prelude for
/// protocol 2, and the redis gem's own) and fail, so doctor reports it as an error. The Ruby
/// redis gem on this machine is asked too: it really cannot connect.
#[test]
fn doctor_a_password_for_a_server_without_one_is_an_error() {
    // The healthy settings without `--requirepass PASSWORD`.
    let open: Vec<&str> = healthy_args().into_iter().skip(2).collect();
    assert!(!open.contains(&"--requirepass"));
    let redis = Server::redis(&open);
    let run = doctor_protected(redis.port);
    run.expect("password-not-configured", "error", 1);
    let fix = run.finding("password-not-configured")["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(
        fix.contains("requirepass") && fix.contains("REDIS_PASSWORD"),
        "{fix}"
    );
    let ruby = std::process::Command::new(crate::common::require("ruby"))
        .args([
            "-rredis",
            "-e",
            "begin; Redis.new(url: ARGV[0], password: ENV['PW']).ping; print 'connected'; \
             rescue Redis::BaseError => e; print e.message; end",
        ])
        .arg(format!("redis://127.0.0.1:{}", redis.port))
        .env("PW", PASSWORD)
        .output()
        .expect("ruby");
    let said = String::from_utf8_lossy(&ruby.stdout);
    assert!(
        said.contains("without any password configured"),
        "ruby: {said}"
    );
    // Without the password the same server passes the authentication checks.
    let run = doctor_env(
        &format!("REDIS_URL=redis://127.0.0.1:{}\n", redis.port),
        &[],
    );
    assert!(
        !run.has("password-not-configured") && !run.has("auth-required"),
        "{}",
        run.stdout
    );
    assert!(run.has("connection-budget"), "{}", run.stdout);
}

#[test]
fn doctor_closed_port() {
    let port = free_port();
    let run = doctor_env(
        &format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
        &[],
    );
    run.expect("connection-refused", "error", 1);
}

#[test]
fn doctor_tls_self_signed_verify_peer_fails_verify_none_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed_cert(dir.path());
    let mut args = healthy_args();
    args.truncate(2);
    let redis = Server::redis_tls(&cert, &key, &args);
    let url = format!("rediss://127.0.0.1:{}", redis.port);

    let run = doctor_env(
        &format!("REDIS_URL={url}\nREDIS_PASSWORD={PASSWORD}\n"),
        &[],
    );
    run.expect("tls-certificate-rejected", "error", 1);

    let run = doctor_env(
        &format!("REDIS_URL={url}\nREDIS_PASSWORD={PASSWORD}\nREDIS_OPENSSL_VERIFY_MODE=none\n"),
        &[],
    );
    run.expect("server-version", "info", 0);
    assert_eq!(run.json["target"]["tls"], true);
    assert_eq!(run.json["target"]["verify_peer"], false);

    // `NONE` is not `none` for Chatwoot: still verify peer.
    let run = doctor_env(
        &format!("REDIS_URL={url}\nREDIS_PASSWORD={PASSWORD}\nREDIS_OPENSSL_VERIFY_MODE=NONE\n"),
        &[],
    );
    run.expect("tls-certificate-rejected", "error", 1);
    assert!(run.has("verify-mode-not-none"));

    // Plain redis:// to the TLS port: the server drops the connection.
    let run = doctor_env(
        &format!(
            "REDIS_URL=redis://127.0.0.1:{}\nREDIS_PASSWORD={PASSWORD}\n",
            redis.port
        ),
        &["--timeout", "2"],
    );
    run.expect("connection-closed", "error", 1);
    assert!(run.finding("connection-closed")["fix"]
        .as_str()
        .is_some_and(|f| f.contains("rediss://")));
}

#[test]
fn doctor_allkeys_lru_is_an_error() {
    let redis = protected_redis(&["--maxmemory-policy", "allkeys-lru"]);
    let run = doctor_protected(redis.port);
    run.expect("eviction-policy", "error", 1);
    assert!(run.finding("eviction-policy")["fix"]
        .as_str()
        .is_some_and(|f| f.contains("noeviction")));
}

#[test]
fn doctor_memory_nearly_full() {
    let redis = protected_redis(&["--maxmemory", "4mb", "--appendonly", "no"]);
    let mut c = client(redis.port, Some(PASSWORD));
    let value = "x".repeat(16 * 1024);
    let mut full = false;
    for i in 0..2000 {
        let reply = command(&mut c, &["SET", &format!("job:{i}"), &value]);
        if reply.starts_with("-OOM") {
            full = true;
            break;
        }
    }
    assert!(full, "Redis never reported OOM while filling");
    let run = doctor_protected(redis.port);
    run.expect("memory-nearly-full", "error", 1);
}

#[test]
fn doctor_maxclients_below_budget() {
    let redis = protected_redis(&["--maxclients", "20"]);
    let run = doctor_protected(redis.port);
    run.expect("maxclients-below-budget", "error", 1);
}

#[test]
fn doctor_silent_listener_times_out() {
    // Accepts connections (the kernel completes the handshake) and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let run = doctor_env(
        &format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
        &["--timeout", "1"],
    );
    run.expect("command-timeout", "error", 1);
    assert!(
        run.elapsed < Duration::from_secs(5),
        "took {:?}",
        run.elapsed
    );

    // The same with rediss://: the TLS handshake is bounded too.
    let run = doctor_env(
        &format!("REDIS_URL=rediss://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
        &["--timeout", "1"],
    );
    run.expect("tls-timeout", "error", 1);
    assert!(
        run.elapsed < Duration::from_secs(5),
        "took {:?}",
        run.elapsed
    );
    drop(listener);
}

#[test]
fn doctor_reads_dot_env_then_the_process_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run_in = |dir: &Path| {
        let out = Command::from_std(crate::common::bin())
            .current_dir(dir)
            .args(["doctor", "--offline", "--format", "json"])
            .env("REDIS_URL", format!("redis://:{PASSWORD}@127.0.0.1:6379"))
            .env("REDIS_TLS", "true")
            .env_remove("REDIS_PASSWORD")
            .env_remove("REDIS_SENTINELS")
            .env_remove("CHATWOOT_REDIS_MAX_CONNECTIONS")
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!stdout.contains(PASSWORD), "{stdout}");
        let json = serde_json::from_str::<Value>(&stdout).expect("JSON");
        // Warnings alone: exit 0, and the report says the same.
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert_eq!(json["exit_code"], 0, "{stdout}");
        json
    };
    let json = run_in(dir.path());
    assert_eq!(json["target"]["env_source"], "process environment");
    assert_eq!(json["target"]["redis_url"], "redis://:***@127.0.0.1:6379");
    assert!(json["findings"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f["id"] == "ignored-variable")));

    std::fs::write(dir.path().join(".env"), "REDIS_URL=redis://10.0.0.9:6379\n").expect("write");
    let json = run_in(dir.path());
    assert_eq!(json["target"]["env_source"], "env file .env");
    // REDIS_URL is set in the process too: Chatwoot's dotenv keeps the process value.
    assert_eq!(json["target"]["host"], "127.0.0.1");
    assert!(json["findings"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f["id"] == "env-process-wins")));
}

#[test]
fn doctor_sentinel_master_wrong_name_and_replica_url() {
    let master = Server::redis(&healthy_args());
    let master_port = master.port.to_string();
    let replica = Server::redis(&[
        "--requirepass",
        PASSWORD,
        "--masterauth",
        PASSWORD,
        "--replicaof",
        "127.0.0.1",
        &master_port,
    ]);
    // The replica's link is up (doctor reports a replica that is not replicating).
    wait_for(Duration::from_secs(30), "the replica's link", || {
        let mut c = client(master.port, Some(PASSWORD));
        command(&mut c, &["WAIT", "1", "1000"]) == ":1"
    });
    let sentinels: Vec<Server> = (0..3)
        .map(|_| Server::sentinel("mymaster", master.port, PASSWORD))
        .collect();
    // Sentinels find each other through the master's hello channel within a few seconds.
    wait_for(Duration::from_secs(30), "sentinel quorum", || {
        let mut c = client(sentinels[0].port, None);
        command(&mut c, &["SENTINEL", "ckquorum", "mymaster"]).starts_with("+OK")
    });
    let list = sentinels
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port))
        .collect::<Vec<_>>()
        .join(",");
    let env = |name: &str, url_port: u16| {
        format!(
            "REDIS_SENTINELS={list}\nREDIS_SENTINEL_MASTER_NAME={name}\n\
             REDIS_PASSWORD={PASSWORD}\nREDIS_URL=redis://127.0.0.1:{url_port}\n"
        )
    };

    let run = doctor_env(&env("mymaster", master.port), &[]);
    run.expect("sentinel-master", "info", 0);
    assert!(run.has("actioncable-on-master"), "{}", run.stdout);
    assert!(run.has("sentinel-quorum"), "{}", run.stdout);
    assert_eq!(run.json["target"]["mode"], "sentinel");

    // One sentinel down while the others answer: a warning, not an error.
    let closed = free_port();
    let run = doctor_env(
        &env("mymaster", master.port).replace(
            &format!("REDIS_SENTINELS={list}"),
            &format!("REDIS_SENTINELS={list},127.0.0.1:{closed}"),
        ),
        &[],
    );
    run.expect("connection-refused", "warning", 0);
    assert!(run.has("sentinel-master"));

    let run = doctor_env(&env("othermaster", master.port), &[]);
    run.expect("sentinel-master-unknown", "error", 1);

    let run = doctor_env(&env("mymaster", replica.port), &[]);
    run.expect("actioncable-not-on-master", "error", 1);
}

#[test]
fn doctor_offline_static_traps_and_exit_codes() {
    let run = doctor_env(
        "REDIS_URL=\nREDIS_SENTINELS=a:26379,,b\nREDIS_SENTINEL_MASTER_NAME=\nREDIS_VELMA_SIZE=\n",
        &["--offline"],
    );
    for id in [
        "redis-url-empty",
        "sentinels-invalid",
        "sentinel-master-name-empty",
        "pool-size-invalid",
    ] {
        assert!(run.has(id), "{id} missing:\n{}", run.stdout);
    }
    assert_eq!(run.code, 1);

    // Warnings alone exit 0, and 1 with --strict.
    let env = "REDIS_URL=redis://127.0.0.1:6379\nREDIS_DISABLE_CLIENT_COMMAND=false\n";
    let run = doctor_env(env, &["--offline"]);
    run.expect("disable-client-command-false", "warning", 0);
    let run = doctor_env(env, &["--offline", "--strict"]);
    run.expect("disable-client-command-false", "warning", 1);

    // Budget above the plan's cap, workload from an answers file.
    let dir = tempfile::tempdir().expect("temp dir");
    let answers = dir.path().join("chatwoot-redis.yaml");
    std::fs::write(
        &answers,
        "scenario: heroku\nweb-processes: 2\nsidekiq-processes: 1\n",
    )
    .expect("write");
    let run = doctor_env(
        "REDIS_URL=redis://127.0.0.1:6379\n",
        &[
            "--offline",
            "--max-connections",
            "20",
            "--answers",
            answers.to_str().expect("utf-8"),
        ],
    );
    run.expect("budget-over-plan-cap", "error", 1);
}

#[test]
fn doctor_bad_input_exits_2() {
    let out = Command::from_std(crate::common::bin())
        .args(["doctor", "--env-file", "/nonexistent/.env"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::from_std(crate::common::bin())
        .args(["doctor", "--timeout", "0", "--offline"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::from_std(crate::common::bin())
        .args(["doctor", "--format", "xml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn doctor_redaction_keeps_ids_intact_for_word_like_passwords() {
    // The password is a word that appears in ids and texts: only it may be hidden.
    let run = doctor_env(
        "REDIS_URL=redis://:stale-value@10.0.0.1:6379\nREDIS_PASSWORD=password\n",
        &["--offline"],
    );
    run.expect("url-password-overridden", "warning", 0);
    assert!(!run.stdout.contains("stale-value"));
}

#[test]
fn doctor_text_report_has_no_colour_off_terminal_and_no_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".env");
    std::fs::write(
        &path,
        format!("REDIS_URL=redis://:{PASSWORD}@127.0.0.1:1\nREDIS_PASSWORD=0777\n"),
    )
    .expect("write");
    let out = Command::from_std(crate::common::bin())
        .args(["doctor", "--offline", "--env-file"])
        .arg(&path)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("[password-cable-yaml]"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "colour codes off a terminal");
    assert!(!stdout.contains(PASSWORD));
    assert!(stdout.contains("redis://:***@127.0.0.1:1"));
}

/// A rendered directory carries its answers file: doctor takes the workload and the plan cap
/// from it without flags.
#[test]
fn doctor_reads_the_answers_file_beside_the_env_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = crate::common::bin()
        .args([
            "render",
            "--scenario",
            "elasticache",
            "--host",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "--web-processes",
            "2",
            "--max-connections",
            "100",
            "--out",
        ])
        .arg(dir.path())
        .env("REDIS_PASSWORD", "Doctor0Answers0Token0abc")
        .output()
        .expect("render");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::common::bin()
        .args(["doctor", "--offline", "--format", "json", "--env-file"])
        .arg(dir.path().join(".env"))
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&out.stdout);
    // 2 web processes: reachable 2 x 30 + 26 = 86 within the cap, capacity 2 x 37 + 33 = 107
    // over it: the warning render gave, found again from the answers file.
    assert!(
        text.contains("budget-near-plan-cap"),
        "2 web processes' pools exceed the cap of 100: {text}"
    );
    assert!(!text.contains("Doctor0Answers0Token0abc"));
}

/// Chatwoot selects REDIS_URL's database on every connection: a database the server does not
/// have is an error, found live.
#[test]
fn doctor_finds_a_database_the_server_does_not_have() {
    use crate::common::{free_port, run, start_redis};
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let pw = "Doctor0Db0Password0abcdefgh";
    let d = dir.path().to_str().expect("path").to_string();
    let port_s = port.to_string();
    let _server = start_redis(
        &[
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "--requirepass",
            pw,
            "--dir",
            &d,
            "--save",
            "",
        ],
        port,
        Some(pw),
        &dir.path().join("log"),
    );
    for (db, expect_error) in [(16, true), (3, false)] {
        let env = dir.path().join(format!("db{db}.env"));
        std::fs::write(
            &env,
            format!("REDIS_URL=redis://127.0.0.1:{port}/{db}\nREDIS_PASSWORD={pw}\n"),
        )
        .expect("env");
        let (code, out, err) = run(crate::common::bin()
            .args(["doctor", "--timeout", "3", "--env-file"])
            .arg(&env));
        assert_eq!(
            out.contains("db-unavailable"),
            expect_error,
            "db {db}:\n{out}{err}"
        );
        if expect_error {
            assert_eq!(code, 1, "{out}");
        } else {
            // Absent because doctor reached the database, not because it stopped early.
            assert_eq!(code, 0, "db {db}:\n{out}{err}");
            assert!(out.contains("[server-version]"), "db {db}:\n{out}");
        }
        assert!(!out.contains(pw) && !err.contains(pw));
    }
}

/// An ACL user without `&*` cannot subscribe (Redis 7): ActionCable would be denied.
#[test]
fn doctor_finds_an_acl_user_without_channels() {
    use crate::common::{free_port, run, start_redis_as};
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let pw = "Doctor0Acl0Password0abcdefgh";
    let d = dir.path().to_str().expect("path").to_string();
    let port_s = port.to_string();
    let secret = format!(">{pw}");
    // redis-server joins the words after --user into one ACL rule.
    let _server = start_redis_as(
        &[
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "--dir",
            &d,
            "--save",
            "",
            "--user",
            "cw",
            "on",
            &secret,
            "~*",
            "resetchannels",
            "+@all",
            "--user",
            "cw2",
            "on",
            &secret,
            "~*",
            "&*",
            "+@all",
        ],
        port,
        Some("cw"),
        Some(pw),
        &dir.path().join("log"),
    );
    for (user, denied) in [("cw", true), ("cw2", false)] {
        let env = dir.path().join(format!("{user}.env"));
        std::fs::write(
            &env,
            format!("REDIS_URL=redis://{user}:{pw}@127.0.0.1:{port}\n"),
        )
        .expect("env");
        let (code, out, err) = run(crate::common::bin()
            .args(["doctor", "--env-file"])
            .arg(&env));
        assert_eq!(out.contains("pubsub-denied"), denied, "{user}:\n{out}{err}");
        if denied {
            assert_eq!(code, 1);
        } else {
            // Absent because the user's SUBSCRIBE worked, not because doctor stopped early.
            assert_eq!(code, 0, "{user}:\n{out}{err}");
            assert!(out.contains("[server-version]"), "{user}:\n{out}");
        }
        assert!(!out.contains(pw) && !err.contains(pw));
    }
}
