//! doctor over a whole deployment, with real redis-server / redis-sentinel processes on
//! loopback: fixes that keep the data when followed, replicas judged before a failover makes
//! them the master, a split brain, services that are not Redis, a server slower than Chatwoot's
//! client timeout, and checking a Compose deployment from the host.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::servers::{client, command, free_port, wait_for, Server};

const PASSWORD: &str = "Deploy0redis0test0password0q7";

struct Run {
    code: i32,
    json: Value,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self, id: &str) -> Vec<&Value> {
        self.json["findings"]
            .as_array()
            .map(|a| a.iter().filter(|f| f["id"] == id).collect())
            .unwrap_or_default()
    }
    fn has(&self, id: &str) -> bool {
        !self.all(id).is_empty()
    }
    fn finding(&self, id: &str) -> &Value {
        self.all(id)
            .first()
            .copied()
            .unwrap_or_else(|| panic!("no finding {id} in\n{}", self.stdout))
    }
    fn text(&self, id: &str, field: &str) -> String {
        self.finding(id)[field]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
    /// Asserts the finding's severity, the exit code, and that the password is nowhere.
    fn expect(&self, id: &str, severity: &str, code: i32) -> &Self {
        assert_eq!(self.finding(id)["severity"], severity, "{}", self.stdout);
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert_eq!(self.json["exit_code"], code);
        assert!(!self.stdout.contains(PASSWORD), "password in stdout");
        assert!(!self.stderr.contains(PASSWORD), "password in stderr");
        self
    }
}

fn doctor_in(dir: &Path, env: &str, extra: &[&str]) -> Run {
    let path = dir.join(".env");
    std::fs::write(&path, env).expect("write .env");
    let out = Command::from_std(crate::common::bin())
        .arg("doctor")
        .arg("--env-file")
        .arg(&path)
        .args(["--format", "json"])
        .args(extra)
        .timeout(Duration::from_secs(90))
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
    }
}

fn doctor(env: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    doctor_in(dir.path(), env, extra)
}

/// The whole text of a bulk reply (INFO), read by length.
fn bulk(port: u16, args: &[&str]) -> String {
    let mut s = client(port, Some(PASSWORD));
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(out.as_bytes()).expect("write");
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).expect("read");
        assert!(n > 0, "closed");
        data.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, rest)) = text.split_once("\r\n") {
            let len: usize = head.trim_start_matches('$').parse().expect("bulk length");
            if rest.len() >= len {
                return rest[..len].to_string();
            }
        }
    }
}

fn dbsize(port: u16) -> String {
    command(&mut client(port, Some(PASSWORD)), &["DBSIZE"])
}

fn fill(port: u16, n: usize) {
    let mut c = client(port, Some(PASSWORD));
    for i in 0..n {
        let key = format!("sidekiq:job:{i}");
        assert_eq!(command(&mut c, &["SET", &key, "payload"]), "+OK");
    }
}

/// SHUTDOWN (the server writes what its configuration says), then wait until it is gone.
fn shutdown(port: u16) {
    let mut c = client(port, Some(PASSWORD));
    let _ = c.write_all(b"*1\r\n$8\r\nSHUTDOWN\r\n");
    let mut sink = [0u8; 64];
    let _ = c.read(&mut sink);
    wait_for(Duration::from_secs(15), "the server to stop", || {
        TcpStream::connect(("127.0.0.1", port)).is_err()
    });
}

#[test]
fn doctor_deployment_aof_fix_followed_step_by_step_keeps_the_keys() {
    // The hazard the fix avoids: appendonly yes in the file, then a restart. Redis starts from
    // the new, empty AOF and ignores the RDB snapshot that held the keys.
    let naive = tempfile::tempdir().expect("dir");
    let naive_dir = naive.path().display().to_string();
    let base = ["--requirepass", PASSWORD, "--maxmemory", "64mb"];
    let mut args = base.to_vec();
    args.extend([
        "--appendonly",
        "no",
        "--save",
        "3600 1",
        "--dir",
        &naive_dir,
    ]);
    let before = Server::redis(&args);
    fill(before.port, 20);
    shutdown(before.port);
    drop(before);
    let mut args = base.to_vec();
    args.extend(["--appendonly", "yes", "--dir", &naive_dir]);
    let after = Server::redis(&args);
    assert_eq!(
        dbsize(after.port),
        ":0",
        "the naive order was expected to lose the keys"
    );
    drop(after);

    // The server doctor looks at: keys, no AOF, no RDB either.
    let data = tempfile::tempdir().expect("dir");
    let data_dir = data.path().display().to_string();
    let mut args = base.to_vec();
    args.extend(["--appendonly", "no", "--dir", &data_dir]);
    let redis = Server::redis(&args);
    fill(redis.port, 50);
    let run = doctor(
        &format!(
            "REDIS_URL=redis://127.0.0.1:{}\nREDIS_PASSWORD={PASSWORD}\n",
            redis.port
        ),
        &[],
    );
    run.expect("aof-disabled", "warning", 0);
    let place = format!("REDIS_URL (127.0.0.1:{})", redis.port);
    assert!(run.text("aof-disabled", "title").starts_with(&place));
    assert!(run.text("aof-disabled", "observed").contains("50 key(s)"));
    let fix = run.text("aof-disabled", "fix");
    assert!(!run.stdout.to_uppercase().contains("CONFIG REWRITE"));

    // Follow the printed steps, in the printed order.
    let step1 = fix.find("1. On the running server: CONFIG SET appendonly yes");
    let step2 = fix.find("2. Wait until INFO persistence shows aof_rewrite_in_progress:0");
    let step3 = fix.find("3. Only then");
    assert!(
        step1 < step2 && step2 < step3 && step1.is_some(),
        "the fix does not give the three steps in order: {fix}"
    );
    let mut c = client(redis.port, Some(PASSWORD));
    assert_eq!(
        command(&mut c, &["CONFIG", "SET", "appendonly", "yes"]),
        "+OK"
    );
    wait_for(Duration::from_secs(30), "the AOF rewrite", || {
        let info = bulk(redis.port, &["INFO", "persistence"]);
        info.contains("aof_rewrite_in_progress:0")
            && info.contains("aof_rewrite_scheduled:0")
            && info.contains("aof_last_bgrewrite_status:ok")
    });
    shutdown(redis.port);
    drop(redis);
    let mut args = base.to_vec();
    args.extend(["--appendonly", "yes", "--dir", &data_dir]);
    let restarted = Server::redis(&args);
    assert_eq!(
        dbsize(restarted.port),
        ":50",
        "keys lost after following the fix"
    );
}

/// A master with one replica (its settings overridden) and three sentinels.
struct Deployment {
    master: Server,
    replica: Server,
    sentinels: Vec<Server>,
}

fn deployment(replica_overrides: &[&str]) -> Deployment {
    let healthy = [
        "--requirepass",
        PASSWORD,
        "--masterauth",
        PASSWORD,
        "--maxmemory",
        "64mb",
        "--maxmemory-policy",
        "noeviction",
        "--appendonly",
        "yes",
    ];
    let master = Server::redis(&healthy);
    let master_port = master.port.to_string();
    let mut args = healthy.to_vec();
    args.extend(["--replicaof", "127.0.0.1", &master_port]);
    args.extend_from_slice(replica_overrides);
    let replica = Server::redis(&args);
    wait_for(Duration::from_secs(30), "the replica's link", || {
        bulk(replica.port, &["INFO", "replication"]).contains("master_link_status:up")
    });
    let sentinels: Vec<Server> = (0..3)
        .map(|_| Server::sentinel("mymaster", master.port, PASSWORD))
        .collect();
    for s in &sentinels {
        wait_for(
            Duration::from_secs(30),
            "the sentinel to find the replica",
            || {
                let mut c = client(s.port, None);
                command(&mut c, &["SENTINEL", "replicas", "mymaster"]) == "*1"
            },
        );
    }
    // Sentinels find each other through the master's hello channel within a few seconds.
    wait_for(Duration::from_secs(30), "sentinel quorum", || {
        let mut c = client(sentinels[0].port, None);
        command(&mut c, &["SENTINEL", "ckquorum", "mymaster"]).starts_with("+OK")
    });
    Deployment {
        master,
        replica,
        sentinels,
    }
}

fn sentinel_env(d: &Deployment, url_port: u16, dead: u16) -> String {
    let s: Vec<String> = d
        .sentinels
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port))
        .collect();
    format!(
        "REDIS_SENTINELS={},{},127.0.0.1:{dead}\nREDIS_SENTINEL_MASTER_NAME=mymaster\n\
         REDIS_SENTINEL_PASSWORD=\nREDIS_PASSWORD={PASSWORD}\nREDIS_URL=redis://127.0.0.1:{url_port}\n",
        s.join(","),
        // Listed twice: still one sentinel.
        s[0],
    )
}

#[test]
fn doctor_deployment_replica_with_allkeys_lru_and_a_split_brain() {
    let d = deployment(&["--maxmemory-policy", "allkeys-lru", "--maxmemory", "32mb"]);
    let dead = free_port();
    let run = doctor(&sentinel_env(&d, d.master.port, dead), &[]);
    run.expect("replica-eviction-policy", "error", 1);
    let replica_place = format!("replica 1 (127.0.0.1:{})", d.replica.port);
    assert!(
        run.text("replica-eviction-policy", "title")
            .starts_with(&replica_place),
        "{}",
        run.stdout
    );
    let differ = run.text("replica-settings-differ", "observed");
    assert!(
        differ.contains("maxmemory_policy allkeys-lru (master noeviction)"),
        "{differ}"
    );
    assert!(run.text("replica", "title").starts_with(&replica_place));
    // The master is named as such and is healthy.
    assert!(run
        .text("server-version", "title")
        .starts_with(&format!("master (127.0.0.1:{})", d.master.port)));
    assert!(!run.has("eviction-policy"), "{}", run.stdout);
    // The dead sentinel: one warning, saying Chatwoot moves on; the duplicate is asked once.
    let refused = run.all("connection-refused");
    assert_eq!(refused.len(), 1, "{}", run.stdout);
    assert_eq!(refused[0]["severity"], "warning");
    assert!(refused[0]["title"]
        .as_str()
        .is_some_and(|t| t.contains(&dead.to_string())));
    let why = refused[0]["why"].as_str().unwrap_or_default();
    assert!(
        why.contains("moves on to the next one") && !why.contains("ECONNREFUSED"),
        "{why}"
    );
    assert!(!run.has("sentinels-too-few"), "{}", run.stdout);
    run.expect("sentinel-quorum", "info", 1);
    run.expect("actioncable-on-master", "info", 1);

    // Through a proxy (a master-following address) the server is the same: no split brain.
    let proxy = slow_proxy(d.master.port, Duration::ZERO);
    let run = doctor(&sentinel_env(&d, proxy, dead), &[]);
    run.expect("actioncable-on-master", "info", 1);
    assert!(!run.has("actioncable-other-master"), "{}", run.stdout);

    // Split brain made by hand: the replica promoted behind the sentinels' back, and
    // REDIS_URL pointing at it.
    let mut c = client(d.replica.port, Some(PASSWORD));
    assert_eq!(command(&mut c, &["REPLICAOF", "NO", "ONE"]), "+OK");
    let run = doctor(&sentinel_env(&d, d.replica.port, dead), &[]);
    run.expect("actioncable-other-master", "error", 1);
    assert!(run
        .text("actioncable-other-master", "title")
        .contains("Split brain"));
    assert!(run
        .text("actioncable-other-master", "observed")
        .contains(&format!("127.0.0.1:{}", d.replica.port)));
    // The dead sentinel is said the same way whatever else is wrong.
    let refused = run.all("connection-refused");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["severity"], "warning");
}

/// A loopback listener answering every connection with `serve` (one thread each).
fn listener(serve: fn(TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    port
}

fn echo(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || s.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

fn http(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = s.read(&mut buf);
    let _ = s.write_all(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request",
    );
}

#[test]
fn doctor_deployment_echo_and_http_servers_do_not_pass() {
    for (serve, said) in [
        (echo as fn(TcpStream), "echoed back"),
        (http, "an HTTP server answered: 400 Bad Request"),
    ] {
        let port = listener(serve);
        let run = doctor(
            &format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
            &["--timeout", "2"],
        );
        run.expect("not-redis", "error", 1);
        let f = run.finding("not-redis");
        let text = format!("{} {}", f["title"], f["observed"]);
        assert!(text.contains(said), "{said}: {}", run.stdout);
        assert!(
            text.contains(&format!("REDIS_URL (127.0.0.1:{port})")),
            "{text}"
        );
        assert!(!run.has("server-version"), "{}", run.stdout);
    }
}

/// A proxy in front of `upstream` that holds every reply for `delay`.
fn slow_proxy(upstream: u16, delay: Duration) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut down in l.incoming().flatten() {
            let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let (Ok(mut up_read), Ok(mut down_write)) = (up.try_clone(), down.try_clone()) else {
                continue;
            };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut down, &mut up);
            });
            std::thread::spawn(move || {
                let mut buf = [0u8; 64 * 1024];
                while let Ok(n) = up_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    std::thread::sleep(delay);
                    if down_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn doctor_deployment_a_server_slower_than_the_client_timeout_is_an_error() {
    let redis = Server::redis(&[
        "--requirepass",
        PASSWORD,
        "--maxmemory",
        "64mb",
        "--appendonly",
        "yes",
    ]);
    let port = slow_proxy(redis.port, Duration::from_millis(1100));
    let run = doctor(
        &format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PASSWORD}\n"),
        &["--timeout", "3"],
    );
    run.expect("latency-high", "error", 1);
    let title = run.text("latency-high", "title");
    assert!(
        title.starts_with(&format!("REDIS_URL (127.0.0.1:{port})")),
        "{title}"
    );
    assert!(title.contains("1 s client timeout"), "{title}");
}

#[test]
fn doctor_deployment_compose_host_checked_through_the_published_port() {
    let redis = Server::redis(&[
        "--requirepass",
        PASSWORD,
        "--maxmemory",
        "64mb",
        "--appendonly",
        "yes",
    ]);
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("docker-compose.production.yaml"),
        "services:\n  redis:\n    image: redis:7\n",
    )
    .expect("write compose file");
    let env = format!("REDIS_URL=redis://redis:6379\nREDIS_PASSWORD={PASSWORD}\n");
    let run = doctor_in(dir.path(), &env, &["--offline"]);
    run.expect("compose-service-host", "info", 0);
    let fix = run.text("compose-service-host", "fix");
    let env_path = dir.path().join(".env").display().to_string();
    assert!(
        fix.contains(&format!(
            "chatwoot-redis doctor --env-file {env_path} --host 127.0.0.1 --port 6379"
        )),
        "{fix}"
    );
    assert!(fix.contains("docker compose exec rails"), "{fix}");

    // The published port (here the test server's), with the env file's password.
    let port = redis.port.to_string();
    for flags in [
        vec!["--host", "127.0.0.1", "--port", &port],
        vec!["--url", &format!("redis://127.0.0.1:{port}")],
    ] {
        let run = doctor_in(dir.path(), &env, &flags);
        run.expect("server-version", "info", 0);
        assert!(!run.has("compose-service-host"), "{}", run.stdout);
        // The report shows the address checked, still redacted.
        assert_eq!(run.json["target"]["port"], redis.port);
        assert_eq!(
            run.json["target"]["redis_url"],
            format!("redis://127.0.0.1:{port}")
        );
        assert!(run
            .text("server-version", "title")
            .starts_with(&format!("REDIS_URL (127.0.0.1:{port})")));
    }
}
