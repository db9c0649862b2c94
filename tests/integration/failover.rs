//! A real failover under the generated Kubernetes configuration, on loopback: one master and two
//! replicas (redis-server), three redis-sentinel with the generated password and master name,
//! and Debian's HAProxy running the haproxy.cfg of `redis-master-proxy.yaml` (the ConfigMap the
//! real chart render deploys, with only the cluster's host names mapped to local ports). Chatwoot's
//! clients come from the web pod's environment as the kubelet resolves it: a Sentinel-mode
//! writer, and an ActionCable-like subscriber and publisher on REDIS_URL, through the proxy
//! (tests/ruby/failover_client.rb). `SENTINEL FAILOVER`, then the old master is killed: the
//! proxy must route to the new master within a bound, every message published after recovery
//! must reach the subscriber, and no acknowledged write may be lost.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::helm_chart::through_chart;

const PASSWORD: &str = "Failover0Sentinel0Password0abcdef";
const RELEASE: &str = "cw";
const NAMESPACE: &str = "ha";
const MASTER: &str = "cwmaster";
/// The bound on the proxy's recovery after `SENTINEL FAILOVER` (the checks run every second,
/// two failures mark a node down, two successes up; this leaves generous slack).
const RECOVERY_BOUND: Duration = Duration::from_secs(20);

fn haproxy() -> PathBuf {
    ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| require("haproxy"))
}

/// Replaces `from` by `to`, which must occur exactly `times` times (the shipped text changed
/// otherwise, and the test would no longer run it).
fn replace_exact(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "expected {times} x {from:?} in:\n{text}"
    );
    text.replace(from, to)
}

fn wait_for(what: &str, bound: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn info_field(port: u16, section: &str, key: &str) -> Option<String> {
    let info = redis_cli(port, Some(PASSWORD), &["INFO", section]).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().to_string())
}

fn start(bin: &Path, conf: &Path, port: u16, log: &Path) -> Guard {
    crate::servers::start_server(
        bin,
        &[conf.to_str().expect("path")],
        port,
        None,
        Some(PASSWORD),
        log,
    )
}

/// HAProxy's readiness endpoint of the generated configuration.
fn health(port: u16) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    reply.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn actioncable_follows_the_master_through_a_real_failover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = through_chart(
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            RELEASE,
            "--namespace",
            NAMESPACE,
            "--sentinel-master",
            MASTER,
        ],
        PASSWORD,
        RELEASE,
        NAMESPACE,
    );
    let f = format!("{RELEASE}-chatwoot-redis");
    let proxy = format!("{f}-master-proxy");
    let (_, _, web_env) = r
        .chatwoot_envs()
        .into_iter()
        .find(|(role, _, _)| role == "web")
        .expect("web pod");
    let cfg = r
        .cluster
        .config_map(&proxy)
        .and_then(|m| m.get("haproxy.cfg").cloned())
        .expect("haproxy.cfg in the proxy's ConfigMap");

    // Three nodes, three sentinels.
    let redis_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let sentinel_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut nodes: Vec<Option<Guard>> = Vec::new();
    for (i, port) in redis_ports.iter().enumerate() {
        let data = dir.path().join(format!("node-{i}"));
        std::fs::create_dir(&data).expect("dir");
        let mut conf = format!(
            "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {}\n\
             requirepass \"{PASSWORD}\"\nmasterauth \"{PASSWORD}\"\n",
            data.display()
        );
        if i > 0 {
            conf.push_str(&format!("replicaof 127.0.0.1 {}\n", redis_ports[0]));
        }
        let path = data.join("redis.conf");
        std::fs::write(&path, conf).expect("conf");
        nodes.push(Some(start(
            &require("redis-server"),
            &path,
            *port,
            &data.join("log"),
        )));
    }
    wait_for("two replicas in sync", Duration::from_secs(20), || {
        info_field(redis_ports[0], "replication", "connected_slaves").as_deref() == Some("2")
    });
    let mut sentinels = Vec::new();
    for (i, port) in sentinel_ports.iter().enumerate() {
        let data = dir.path().join(format!("sentinel-{i}"));
        std::fs::create_dir(&data).expect("dir");
        // Bitnami's sentinels with the chart's password and master name; a short
        // down-after-milliseconds so the killed node is noticed quickly.
        let conf = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nrequirepass \"{PASSWORD}\"\n\
             sentinel monitor {MASTER} 127.0.0.1 {} 2\n\
             sentinel auth-pass {MASTER} \"{PASSWORD}\"\n\
             sentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 5000\n",
            data.display(),
            redis_ports[0]
        );
        let path = data.join("sentinel.conf");
        std::fs::write(&path, conf).expect("conf");
        sentinels.push(start(
            &require("redis-sentinel"),
            &path,
            *port,
            &data.join("log"),
        ));
    }
    let sentinel_field = |port: u16, key: &str| -> Option<String> {
        let out = redis_cli(port, Some(PASSWORD), &["SENTINEL", "MASTER", MASTER]).ok()?;
        let lines: Vec<&str> = out.lines().collect();
        lines
            .iter()
            .position(|l| l.trim() == key)
            .and_then(|i| lines.get(i + 1))
            .map(|v| v.trim().to_string())
    };
    wait_for(
        "each sentinel knows the replicas and the other sentinels",
        Duration::from_secs(30),
        || {
            sentinel_ports.iter().all(|p| {
                sentinel_field(*p, "num-slaves").as_deref() == Some("2")
                    && sentinel_field(*p, "num-other-sentinels").as_deref() == Some("2")
            })
        },
    );

    // The shipped haproxy.cfg, with the cluster's names mapped to the local ports.
    let proxy_port = free_port();
    let health_port = free_port();
    let mut local = replace_exact(
        &cfg,
        "bind :6379",
        &format!("bind 127.0.0.1:{proxy_port}"),
        1,
    );
    local = replace_exact(
        &local,
        "bind :8404",
        &format!("bind 127.0.0.1:{health_port}"),
        1,
    );
    for (i, port) in redis_ports.iter().enumerate() {
        local = replace_exact(
            &local,
            &format!("{f}-node-{i}.{f}-headless.{NAMESPACE}.svc.cluster.local:6379"),
            &format!("127.0.0.1:{port}"),
            1,
        );
    }
    let cfg_path = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg_path, &local).expect("haproxy.cfg");
    let hlog = std::fs::File::create(dir.path().join("haproxy.log")).expect("log");
    let _haproxy = Guard(
        Command::new(haproxy())
            .args(["-db", "-f"])
            .arg(&cfg_path)
            .env("REDIS_PASSWORD", PASSWORD)
            .stdout(Stdio::from(hlog.try_clone().expect("log")))
            .stderr(Stdio::from(hlog))
            .spawn()
            .expect("haproxy"),
    );
    wait_for(
        "the proxy reports a master",
        Duration::from_secs(15),
        || health(health_port) == Some(200),
    );
    assert_eq!(
        info_field(proxy_port, "server", "tcp_port"),
        Some(redis_ports[0].to_string()),
        "the proxy routes to the master"
    );

    // The web pod's environment, with the cluster's names mapped to the local ports.
    let mut env: BTreeMap<String, String> = web_env
        .iter()
        .filter(|(k, _)| k.starts_with("REDIS_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut list = env["REDIS_SENTINELS"].clone();
    for (i, port) in sentinel_ports.iter().enumerate() {
        list = replace_exact(
            &list,
            &format!("{f}-node-{i}.{f}-headless:26379"),
            &format!("127.0.0.1:{port}"),
            1,
        );
    }
    env.insert("REDIS_SENTINELS".into(), list);
    let url = replace_exact(
        &env["REDIS_URL"],
        &format!("redis://{proxy}:6379"),
        &format!("redis://127.0.0.1:{proxy_port}"),
        1,
    );
    env.insert("REDIS_URL".into(), url);
    assert_eq!(env["REDIS_SENTINEL_MASTER_NAME"], MASTER);
    assert_eq!(env["REDIS_PASSWORD"], PASSWORD);

    let mut child = Command::new(require("ruby"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/failover_client.rb"))
        .arg(serde_json::to_string(&env).expect("JSON"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("ruby.log")).expect("log"),
        ))
        .spawn()
        .expect("ruby");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let _client = Guard(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ruby_log = || std::fs::read_to_string(dir.path().join("ruby.log")).unwrap_or_default();
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the clients did not start:\n{}", ruby_log()));
    assert_eq!(line, "ready", "{}", ruby_log());
    // The Sentinel-mode writer is under way on the master.
    wait_for(
        "writes before the failover",
        Duration::from_secs(20),
        || {
            redis_cli(redis_ports[0], Some(PASSWORD), &["LLEN", "failover:writes"])
                .ok()
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n >= 20)
        },
    );

    // The failover.
    let say = |stdin: &mut std::process::ChildStdin, word: &str| {
        writeln!(stdin, "{word}").expect("stdin");
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("the clients did not confirm {word}:\n{}", ruby_log()));
        assert_eq!(line, format!("phase {word}"), "{}", ruby_log());
    };
    say(&mut stdin, "failover");
    let t0 = Instant::now();
    let reply = redis_cli(
        sentinel_ports[0],
        Some(PASSWORD),
        &["SENTINEL", "FAILOVER", MASTER],
    )
    .expect("SENTINEL FAILOVER");
    assert_eq!(reply.trim(), "OK", "SENTINEL FAILOVER: {reply}");
    let mut new_port = 0;
    wait_for("a new master", Duration::from_secs(20), || {
        let addr = redis_cli(
            sentinel_ports[1],
            Some(PASSWORD),
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER],
        )
        .unwrap_or_default();
        new_port = addr
            .lines()
            .nth(1)
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0);
        new_port != 0 && new_port != redis_ports[0]
    });
    let promoted = t0.elapsed();
    // The old master dies.
    nodes[0] = None;
    say(&mut stdin, "killed");
    wait_for("the proxy routes to the new master", RECOVERY_BOUND, || {
        info_field(proxy_port, "server", "tcp_port") == Some(new_port.to_string())
    });
    let recovery = t0.elapsed();
    writeln!(stdin, "mark {new_port}").expect("mark");
    let report: Value = serde_json::from_str(
        &rx.recv_timeout(Duration::from_secs(40))
            .unwrap_or_else(|_| panic!("no report from the clients:\n{}", ruby_log())),
    )
    .expect("report JSON");

    // After recovery: the proxy's connections land on the new master, every message reaches
    // the subscriber.
    assert_eq!(report["publisher_port"], new_port, "{report}");
    assert_eq!(
        report["missing_after"].as_array().map(Vec::len),
        Some(0),
        "messages published after recovery never reached the subscriber: {report}"
    );
    let receivers = report["publish_receivers_after"].as_array().expect("list");
    assert_eq!(receivers.len(), 100);
    assert!(
        receivers.iter().all(|n| n.as_u64().is_some_and(|n| n >= 1)),
        "a PUBLISH after recovery reached no subscriber: {report}"
    );
    // No acknowledged write lost: every write acknowledged before the failover or after the
    // old master died is on the new master. Writes the old master acknowledged while a replica
    // was already promoted can vanish in any Sentinel failover (replication is asynchronous):
    // counted and reported.
    let kept: std::collections::BTreeSet<u64> = redis_cli(
        new_port,
        Some(PASSWORD),
        &["LRANGE", "failover:writes", "0", "-1"],
    )
    .expect("LRANGE")
    .lines()
    .filter_map(|l| l.trim().parse().ok())
    .collect();
    let writes = |key: &str| -> Vec<(u64, String)> {
        report[key]
            .as_array()
            .expect("writes")
            .iter()
            .map(|w| {
                (
                    w["n"].as_u64().expect("n"),
                    w["phase"].as_str().expect("phase").to_string(),
                )
            })
            .collect()
    };
    let acked = writes("acked");
    // Acknowledged by the new master before its replica caught up: kept too.
    let unreplicated = writes("unreplicated");
    let new_master_only: Vec<&(u64, String)> = unreplicated
        .iter()
        .filter(|(n, ph)| ph == "killed" && !kept.contains(n))
        .collect();
    assert!(
        new_master_only.is_empty(),
        "writes the new master acknowledged are lost: {new_master_only:?}"
    );
    let in_phase = |p: &'static str| acked.iter().filter(move |(_, ph)| ph == p);
    let lost: Vec<&(u64, String)> = acked
        .iter()
        .filter(|(n, ph)| ph != "failover" && !kept.contains(n))
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(in_phase("before").count() >= 10, "{report}");
    assert!(
        in_phase("killed").count() >= 5,
        "the Sentinel-mode writer did not go on after the failover: {report}"
    );
    let window_lost = in_phase("failover")
        .filter(|(n, _)| !kept.contains(n))
        .count();
    println!(
        "failover: new master after {promoted:?}, proxy on it after {recovery:?}; {} writes \
         acknowledged ({} during the failover, {window_lost} of them dropped when the old \
         master resynced as a replica), {} never replicated, {} write errors; {} of {} messages \
         published during the failover arrived, all 100 after it",
        acked.len(),
        in_phase("failover").count(),
        unreplicated.len(),
        report["write_errors"],
        report["received_during"],
        report["published_during"],
    );
}
