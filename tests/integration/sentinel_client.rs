//! A generated Sentinel `.env` read by Ruby dotenv and connected through three real
//! `redis-sentinel` processes by the redis gem, with the options Chatwoot's Redis::Config
//! builds (tests/ruby/sentinel_connect.rb): the master is found only through the sentinels
//! (`redis://<master name>` resolves nowhere else).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const REDIS_PW: &str = "Sentinel0Master0Password0abc";
const SENTINEL_PW: &str = "Sentinel0Own0Password0xyz";
const MASTER: &str = "chatwoot-master";

/// A master and three sentinels watching it; `sentinel_pw` is the sentinels' own requirepass.
struct Topology {
    _dir: tempfile::TempDir,
    master_port: u16,
    sentinel_ports: Vec<u16>,
    _processes: Vec<Guard>,
}

impl Topology {
    fn start(sentinel_pw: Option<&str>) -> Topology {
        let dir = tempfile::tempdir().expect("tempdir");
        let master_port = free_port();
        let d = dir.path().to_str().expect("path").to_string();
        let master = start_redis(
            &[
                "--bind",
                "127.0.0.1",
                "--port",
                &master_port.to_string(),
                "--requirepass",
                REDIS_PW,
                "--save",
                "",
                "--dir",
                &d,
            ],
            master_port,
            Some(REDIS_PW),
            &dir.path().join("master.log"),
        );
        let mut processes = vec![master];
        let mut sentinel_ports = Vec::new();
        for i in 0..3 {
            let port = free_port();
            let sdir = dir.path().join(format!("sentinel{i}"));
            std::fs::create_dir(&sdir).expect("mkdir");
            processes.push(start_sentinel(&sdir, port, master_port, sentinel_pw));
            sentinel_ports.push(port);
        }
        Topology {
            _dir: dir,
            master_port,
            sentinel_ports,
            _processes: processes,
        }
    }

    fn sentinels_flag(&self) -> String {
        self.sentinel_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn start_sentinel(dir: &Path, port: u16, master_port: u16, password: Option<&str>) -> Guard {
    let conf = dir.join("sentinel.conf");
    let mut text = format!(
        "bind 127.0.0.1\nport {port}\ndir {}\n\
         sentinel monitor {MASTER} 127.0.0.1 {master_port} 2\n\
         sentinel auth-pass {MASTER} {REDIS_PW}\n\
         sentinel down-after-milliseconds {MASTER} 30000\n",
        dir.display()
    );
    if let Some(p) = password {
        // Quoted as redis.conf reads it (sdssplitargs: `\"` and `\\` inside double quotes).
        let quoted = p.replace('\\', "\\\\").replace('"', "\\\"");
        text.push_str(&format!("requirepass \"{quoted}\"\n"));
    }
    std::fs::write(&conf, text).expect("sentinel.conf");
    crate::servers::start_sentinel(
        &conf,
        port,
        password,
        MASTER,
        master_port,
        &dir.join("sentinel.log"),
    )
}

/// Renders kubernetes-sentinel's `.env` for external sentinels into a fresh directory.
fn render_env(t: &Topology, extra: &[&str], sentinel_pw_file: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Cmd::new()
        .args([
            "render",
            "--scenario",
            "kubernetes-sentinel",
            "--emit",
            "env",
            "--out",
        ])
        .arg(dir.path())
        .args(["--host", "127.0.0.1", "--port", &t.master_port.to_string()])
        .args([
            "--sentinels",
            &t.sentinels_flag(),
            "--sentinel-master",
            MASTER,
        ])
        .args(extra)
        .env("REDIS_PASSWORD", REDIS_PW);
    if let Some(f) = sentinel_pw_file {
        cmd = cmd.arg("--sentinel-password-file").arg(f);
    }
    cmd.run().code(0);
    dir
}

/// Chatwoot's client through the sentinels: Ok(JSON) or Err(Ruby's error).
fn connect(env_file: &Path) -> Result<serde_json::Value, String> {
    let script: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/sentinel_connect.rb");
    let out = Command::new(require("ruby"))
        .arg(script)
        .arg(env_file)
        .output()
        .expect("ruby");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn assert_reached_master(t: &Topology, env_file: &Path, sentinel_pw_sent: bool) {
    let got = connect(env_file).unwrap_or_else(|e| panic!("Chatwoot's client failed:\n{e}"));
    assert_eq!(got["master_port"], t.master_port, "{got}");
    assert_eq!(got["get"], "ok", "{got}");
    assert_eq!(got["sentinels"], 3, "{got}");
    assert_eq!(got["sentinel_password_sent"], sentinel_pw_sent, "{got}");
}

#[test]
fn sentinel_env_with_a_separate_password_connects_through_three_sentinels() {
    let t = Topology::start(Some(SENTINEL_PW));
    let pw_dir = tempfile::tempdir().expect("tempdir");
    let pw_file = pw_dir.path().join("sentinel-password");
    std::fs::write(&pw_file, format!("{SENTINEL_PW}\n")).expect("write");
    let dir = render_env(&t, &["--sentinel-auth", "separate"], Some(&pw_file));
    let env_file = dir.path().join(".env");
    assert_reached_master(&t, &env_file, true);

    // The control: the sentinels really check their password.
    let text = std::fs::read_to_string(&env_file).expect(".env");
    let wrong = dir.path().join("wrong.env");
    std::fs::write(
        &wrong,
        text.replace(SENTINEL_PW, "Not0The0Sentinel0Password"),
    )
    .expect("w");
    let err = connect(&wrong).expect_err("a wrong sentinel password connected");
    assert!(
        err.contains("WRONGPASS")
            || err.contains("invalid password")
            || err.contains("CannotConnect")
            || err.contains("NOAUTH"),
        "{err}"
    );
    // It was the password, not the sentinels being gone: each of them refuses that password
    // and takes the right one, and the right .env still connects.
    for port in &t.sentinel_ports {
        let refused = redis_cli(*port, Some("Not0The0Sentinel0Password"), &["PING"]);
        let refused = format!("{refused:?}");
        assert!(
            // redis-cli's AUTH fails, so the PING after it is refused unauthenticated.
            refused.contains("NOAUTH") || refused.contains("WRONGPASS"),
            "sentinel {port}: {refused}"
        );
        let ok = redis_cli(*port, Some(SENTINEL_PW), &["PING"]).expect("redis-cli");
        assert_eq!(ok.trim(), "PONG", "sentinel {port}");
    }
    assert_reached_master(&t, &env_file, true);

    // Re-rendering without the file keeps the sentinel password read back from the .env.
    let again = Cmd::new()
        .args(["render", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", REDIS_PW)
        .run();
    again.code(0);
    assert_eq!(std::fs::read_to_string(&env_file).expect(".env"), text);
    assert_reached_master(&t, &env_file, true);
    for stream in [&again.stdout, &again.stderr] {
        assert!(!stream.contains(SENTINEL_PW), "sentinel password printed");
    }
}

#[test]
fn sentinel_auth_same_sends_the_redis_password_to_the_sentinels() {
    let t = Topology::start(Some(REDIS_PW));
    let dir = render_env(&t, &["--sentinel-auth", "same"], None);
    let env_file = dir.path().join(".env");
    let text = std::fs::read_to_string(&env_file).expect(".env");
    assert!(
        env_value(&text, "REDIS_SENTINEL_PASSWORD").is_none(),
        "{text}"
    );
    assert_reached_master(&t, &env_file, true);
}

#[test]
fn sentinel_auth_none_sends_no_password_to_open_sentinels() {
    let t = Topology::start(None);
    let dir = render_env(&t, &["--sentinel-auth", "none"], None);
    let env_file = dir.path().join(".env");
    let text = std::fs::read_to_string(&env_file).expect(".env");
    assert_eq!(
        env_value(&text, "REDIS_SENTINEL_PASSWORD").as_deref(),
        Some(""),
        "{text}"
    );
    assert_reached_master(&t, &env_file, false);
}

/// Every encoding a printed secret could take.
fn encodings(secret: &str) -> Vec<String> {
    let percent: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    vec![
        secret.to_string(),
        percent,
        base64(secret.as_bytes()),
        base64(secret.as_bytes()).trim_end_matches('=').to_string(),
    ]
}

/// RFC 4648 base64 (padded), enough to look for an encoded secret.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_sentinel_password_is_never_printed_by_any_render_mode() {
    let pw_dir = tempfile::tempdir().expect("tempdir");
    let pw_file = pw_dir.path().join("sentinel-password");
    let sentinel_pw = "Printed0Never0Sentinel0Pw#1";
    std::fs::write(&pw_file, format!("{sentinel_pw}\n")).expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    let base = |extra: &[&str]| {
        Cmd::new()
            .args([
                "render",
                "--scenario",
                "kubernetes-sentinel",
                "--emit",
                "+env",
                "--out",
            ])
            .arg(dir.path())
            .args([
                "--host",
                "10.0.0.5",
                "--sentinels",
                "10.0.0.6:26379,10.0.0.7:26379",
            ])
            .args(["--sentinel-auth", "separate", "--sentinel-password-file"])
            .arg(&pw_file)
            .args(extra)
            .env("REDIS_PASSWORD", REDIS_PW)
    };
    base(&[]).run().code(0);
    let env = std::fs::read_to_string(dir.path().join(".env")).expect(".env");
    assert!(env.contains(sentinel_pw), "the .env carries it: {env}");
    let answers = std::fs::read_to_string(dir.path().join("chatwoot-redis.yaml")).unwrap();
    // A change, so every mode has something to report about every file.
    for (mode, code) in [
        ("--diff", 0),
        ("--check", 1),
        ("--dry-run", 0),
        ("--stdout", 0),
        ("--verbose", 0),
    ] {
        let out = base(&["--maxmemory", "3gb", "--sentinel-master", "other", mode]).run();
        out.code(code);
        assert!(
            !out.stdout.is_empty() || !out.stderr.is_empty(),
            "{mode}: silent"
        );
        for e in encodings(sentinel_pw) {
            assert!(
                !out.stdout.contains(&e) && !out.stderr.contains(&e),
                "{mode} printed the sentinel password ({e}):\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    for e in encodings(sentinel_pw) {
        assert!(!answers.contains(&e), "the answers file holds it");
        let values = std::fs::read_to_string(dir.path().join("values.redis.yaml")).unwrap();
        assert!(!values.contains(&e), "values.redis.yaml holds it");
    }
}

#[test]
fn a_sentinel_password_the_public_files_hold_anyway_is_refused_as_guessable() {
    // "REDIS_SENTINEL_MASTER_NAME" is text of values.redis.yaml itself: it could never be
    // kept out of a public file, so it is refused under the sentinel password's name.
    let pw_dir = tempfile::tempdir().expect("tempdir");
    let pw_file = pw_dir.path().join("sentinel-password");
    std::fs::write(&pw_file, "REDIS_SENTINEL_MASTER_NAME\n").expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args(["render", "--scenario", "kubernetes-sentinel", "--out"])
        .arg(dir.path())
        .args(["--host", "10.0.0.5", "--sentinels", "10.0.0.6:26379"])
        .args(["--sentinel-auth", "separate", "--sentinel-password-file"])
        .arg(&pw_file)
        .env("REDIS_PASSWORD", REDIS_PW)
        .run();
    out.code(2);
    assert!(
        out.stderr.starts_with("error: REDIS_SENTINEL_PASSWORD:"),
        "refused under the sentinel password's name:\n{}",
        out.stderr
    );
    assert!(out.stderr.contains("easy to guess"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A sentinel password with quotes and `#` is written so that dotenv carries it unchanged, and
/// Chatwoot's client reaches the master through the sentinels with it.
#[test]
fn a_sentinel_password_with_quotes_reaches_the_sentinels() {
    const QUOTED_PW: &str = "It's0Sentinel\"Pw#9xyz";
    let t = Topology::start(Some(QUOTED_PW));
    let pw_dir = tempfile::tempdir().expect("tempdir");
    let pw_file = pw_dir.path().join("sentinel-password");
    std::fs::write(&pw_file, format!("{QUOTED_PW}\n")).expect("write");
    let dir = render_env(&t, &["--sentinel-auth", "separate"], Some(&pw_file));
    let env_file = dir.path().join(".env");
    assert_reached_master(&t, &env_file, true);
    let text = std::fs::read_to_string(&env_file).expect(".env");
    let wrong = dir.path().join("wrong.env");
    let line = text
        .lines()
        .find(|l| l.starts_with("REDIS_SENTINEL_PASSWORD="))
        .expect("the sentinel password line");
    std::fs::write(
        &wrong,
        text.replace(line, "REDIS_SENTINEL_PASSWORD=Not0The0Sentinel0Password"),
    )
    .expect("w");
    connect(&wrong).expect_err("the sentinels check their password");
}
