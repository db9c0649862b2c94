//! Every password source drives a render whose output a consumer reads: redis-server
//! authenticates with exactly that password, Ruby dotenv (or Psych, for the Secret manifest)
//! reads it back. Also `--auth none` started for real, the `.env` keys a render removes, and
//! a `.env` value that is not a literal.

use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::*;

/// Valid everywhere, hostile to every quoting layer: quotes, `$`, `#`, a space, a backslash.
const HOSTILE: &str = "Src 'q' \"d\" $HOME #h \\b";

/// A redis-cli reply that must come from the server (a failed redis-cli panics instead of
/// passing a negative check).
fn reply(port: u16, password: Option<&str>, args: &[&str]) -> String {
    redis_cli(port, password, args)
        .unwrap_or_else(|e| panic!("redis-cli {args:?} did not reach port {port}: {e}"))
        .trim()
        .to_string()
}

/// What Ruby dotenv (the library Chatwoot loads .env with) reads for `key`.
fn dotenv_value(env_file: &Path, key: &str) -> Option<String> {
    let out = Command::new(require("ruby"))
        .args([
            "-rdotenv",
            "-rjson",
            "-e",
            "print JSON.generate(Dotenv::Parser.call(File.read(ARGV[0]))[ARGV[1]])",
        ])
        .arg(env_file)
        .arg(key)
        .output()
        .expect("ruby");
    assert!(
        out.status.success(),
        "ruby dotenv failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Option<String>>(&out.stdout).expect("JSON")
}

/// single-server render arguments for `dir`, listening on `port`.
fn single_server(dir: &Path, port: u16) -> Cmd {
    let d = dir.to_str().expect("utf-8 path");
    Cmd::new()
        .args(["render", "--scenario", "single-server", "--out", d])
        .args(["--config-dir", d, "--data-dir", d])
        .arg(format!("--port={port}"))
}

/// Starts the rendered redis.conf and proves `password`, and only it, opens the server.
fn server_takes_exactly(dir: &Path, port: u16, password: &str) {
    let conf = dir.join("redis.conf");
    let _server = start_redis(
        &[conf.to_str().expect("path")],
        port,
        Some(password),
        &dir.join("server.log"),
    );
    assert_eq!(reply(port, Some(password), &["SET", "k", "v"]), "OK");
    let wrong = format!("{password}x");
    let denied = reply(port, Some(&wrong), &["SET", "k", "v"]);
    assert!(
        denied.contains("WRONGPASS") || denied.contains("NOAUTH"),
        "a wrong password was accepted: {denied}"
    );
    let anon = reply(port, None, &["SET", "k", "v"]);
    assert!(anon.contains("NOAUTH"), "no password was accepted: {anon}");
}

/// The password Chatwoot's client ends up with, from what Ruby dotenv reads: REDIS_PASSWORD
/// when not blank, else the form-decoded password of REDIS_URL (redis-client's reading).
fn effective_password(env_file: &Path) -> Option<String> {
    let out = Command::new(require("ruby"))
        .args([
            "-rdotenv",
            "-ruri",
            "-rjson",
            "-e",
            "e = Dotenv::Parser.call(File.read(ARGV[0])); p = e['REDIS_PASSWORD']; \
             p = nil if p.nil? || p.strip.empty?; u = e['REDIS_URL'] && URI(e['REDIS_URL']); \
             p ||= u && u.password && URI.decode_www_form_component(u.password); \
             print JSON.generate(p)",
        ])
        .arg(env_file)
        .output()
        .expect("ruby");
    assert!(
        out.status.success(),
        "ruby failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Option<String>>(&out.stdout).expect("JSON")
}

/// A successful render that printed no trace of the password.
fn assert_quiet(out: &Output, password: &str) {
    out.code(0);
    for stream in [&out.stdout, &out.stderr] {
        assert!(!stream.contains(password), "the password was printed");
    }
}

#[test]
fn password_file_first_line_authenticates_on_the_rendered_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw.txt");
    std::fs::write(&file, format!("{HOSTILE}\n")).unwrap();
    let port = free_port();
    let out = single_server(dir.path(), port)
        .arg("--password-file")
        .arg(&file)
        .run();
    assert_quiet(&out, HOSTILE);
    assert_eq!(
        effective_password(&dir.path().join(".env")).as_deref(),
        Some(HOSTILE)
    );
    server_takes_exactly(dir.path(), port, HOSTILE);
}

#[test]
fn password_stdin_first_line_authenticates_on_the_rendered_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let out = single_server(dir.path(), port)
        .arg("--password-stdin")
        .stdin(format!("{HOSTILE}\n"))
        .run();
    assert_quiet(&out, HOSTILE);
    server_takes_exactly(dir.path(), port, HOSTILE);
}

#[test]
fn redis_password_variable_reaches_chatwoots_client_and_opens_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let out = single_server(dir.path(), port)
        .env("REDIS_PASSWORD", HOSTILE)
        .run();
    assert_quiet(&out, HOSTILE);
    assert_eq!(
        effective_password(&dir.path().join(".env")).as_deref(),
        Some(HOSTILE)
    );
    server_takes_exactly(dir.path(), port, HOSTILE);
}

#[test]
fn generated_password_read_by_dotenv_opens_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let out = single_server(dir.path(), port)
        .arg("--generate-password")
        .run();
    out.code(0);
    let pw = dotenv_value(&dir.path().join(".env"), "REDIS_PASSWORD")
        .expect("the generated password is in .env");
    assert_quiet(&out, &pw);
    server_takes_exactly(dir.path(), port, &pw);
}

#[test]
fn password_kept_from_the_existing_env_still_opens_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    single_server(dir.path(), port)
        .env("REDIS_PASSWORD", HOSTILE)
        .run()
        .code(0);
    let conf_before = std::fs::read_to_string(dir.path().join("redis-secrets.conf")).unwrap();
    // A change that rewrites the files; no password source at all.
    let out = single_server(dir.path(), port)
        .args(["--maxmemory", "256mb"])
        .run();
    assert_quiet(&out, HOSTILE);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("redis-secrets.conf")).unwrap(),
        conf_before
    );
    assert_eq!(
        effective_password(&dir.path().join(".env")).as_deref(),
        Some(HOSTILE)
    );
    server_takes_exactly(dir.path(), port, HOSTILE);
}

#[test]
fn password_kept_from_the_secret_manifest_is_read_back_by_psych() {
    let pw = "Kube0Secret0'q'0\"d\"0#0x";
    let dir = tempfile::tempdir().expect("tempdir");
    let k8s = |extra: &[&str]| {
        Cmd::new()
            .args(["render", "--scenario", "kubernetes-sentinel", "--out"])
            .arg(dir.path())
            .args(extra)
    };
    k8s(&[]).env("REDIS_PASSWORD", pw).run().code(0);
    let out = k8s(&["--maxmemory", "2gb"]).run();
    assert_quiet(&out, pw);
    let read = Command::new(require("ruby"))
        .args([
            "-ryaml",
            "-rjson",
            "-e",
            "print JSON.generate(YAML.safe_load(File.read(ARGV[0]))['stringData'])",
        ])
        .arg(dir.path().join("redis-secret.yaml"))
        .output()
        .expect("ruby");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let data: serde_json::Value = serde_json::from_slice(&read.stdout).expect("JSON");
    // The bundled chart's auth Secret (auth.existingSecret, key redis-password).
    assert_eq!(data["redis-password"], pw, "{data}");
}

#[test]
fn a_command_substitution_in_env_is_never_adopted_as_the_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = dir.path().join(".env");
    let original = "REDIS_PASSWORD=$(vault kv get -field=pw secret/redis)\nFOO=1\n";
    std::fs::write(&env, original).unwrap();
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .run();
    out.code(2);
    assert!(out.stderr.contains("password"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&env).unwrap(), original);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // With a real source the literal text is replaced, not kept.
    let pw = "Vault0Replaced0Password0x";
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", pw)
        .run();
    out.code(0);
    assert_eq!(dotenv_value(&env, "REDIS_PASSWORD").as_deref(), Some(pw));
    assert_eq!(dotenv_value(&env, "FOO").as_deref(), Some("1"));
}

#[test]
fn compose_render_over_a_sentinel_env_leaves_chatwoot_out_of_sentinel_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        "RAILS_ENV=production\nREDIS_SENTINELS=10.0.0.1:26379,10.0.0.2:26379\n\
         REDIS_SENTINEL_MASTER_NAME=mymaster\nREDIS_SENTINEL_PASSWORD=old0sentinel0pw\n",
    )
    .unwrap();
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", "Compose0Password0123456")
        .run();
    out.code(0);
    assert!(
        out.stdout.contains("REDIS_SENTINELS removed"),
        "{}",
        out.stdout
    );
    // Chatwoot's Redis::Config over what dotenv reads: no Sentinel mode.
    let json = Command::new(require("ruby"))
        .args([
            "-rdotenv",
            "-rjson",
            "-e",
            "print JSON.generate([Dotenv::Parser.call(File.read(ARGV[0]))])",
        ])
        .arg(&env)
        .output()
        .expect("ruby");
    assert!(json.status.success());
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_sentinels.rb");
    let mut child = Command::new(require("ruby"))
        .arg(model)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ruby");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&json.stdout).unwrap();
    let read = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&read.stdout).expect("JSON");
    assert_eq!(v[0]["sentinel"], false, "{v}");
    assert_eq!(v[0]["url"], "redis://redis:6379", "{v}");
    assert_eq!(
        dotenv_value(&env, "RAILS_ENV").as_deref(),
        Some("production")
    );
    for key in [
        "REDIS_SENTINELS",
        "REDIS_SENTINEL_MASTER_NAME",
        "REDIS_SENTINEL_PASSWORD",
    ] {
        assert_eq!(dotenv_value(&env, key), None, "{key} kept");
    }
}

/// A local address that is not loopback, when the machine has a route.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn auth_none_starts_without_a_password_and_listens_on_loopback_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    single_server(dir.path(), port)
        .args(["--auth", "none"])
        .run()
        .code(0);
    assert!(!dir.path().join("redis-secrets.conf").exists());
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(env_value(&env, "REDIS_PASSWORD").is_none(), "{env}");
    let conf = dir.path().join("redis.conf");
    let _server = start_redis(
        &[conf.to_str().expect("path")],
        port,
        None,
        &dir.path().join("server.log"),
    );
    assert_eq!(reply(port, None, &["SET", "k", "v"]), "OK");
    let bind = reply(port, None, &["CONFIG", "GET", "bind"]);
    let addrs: Vec<&str> = bind.lines().skip(1).flat_map(|l| l.split(' ')).collect();
    assert!(!addrs.is_empty(), "{bind}");
    for a in &addrs {
        let ip: std::net::IpAddr = a.trim_start_matches('-').parse().expect("an address");
        assert!(ip.is_loopback(), "redis listens on {a}: {bind}");
    }
    assert_eq!(
        reply(port, None, &["CONFIG", "GET", "protected-mode"]),
        "protected-mode\nyes"
    );
    let ip = non_loopback_address().expect(
        "this test needs a local address that is not loopback (a default route) to show that \
         nothing else reaches the server; the machine has none",
    );
    // That address is reachable here: a listener on it accepts (so the refusal below is the
    // server's bind, not the network).
    let control = std::net::TcpListener::bind((ip, 0)).expect("listen on the local address");
    let control_addr = control.local_addr().expect("address");
    TcpStream::connect_timeout(&control_addr, Duration::from_secs(2))
        .unwrap_or_else(|e| panic!("{control_addr} is not reachable from here: {e}"));
    let reached = TcpStream::connect_timeout(&(ip, port).into(), Duration::from_secs(2));
    assert!(reached.is_err(), "{ip}:{port} accepted a connection");
}

#[test]
fn auth_none_is_refused_where_the_scenario_needs_a_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args([
            "render",
            "--scenario",
            "docker-compose",
            "--auth",
            "none",
            "--out",
        ])
        .arg(dir.path())
        .run();
    out.code(2);
    assert!(out.stderr.contains("--auth") && out.stderr.contains("needs a password"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn generated_passwords_use_every_letter_and_digit() {
    use std::collections::BTreeMap;
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let runs = 120;
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("tempdir");
        Cmd::new()
            .args([
                "render",
                "--scenario",
                "docker-compose",
                "--generate-password",
                "--out",
            ])
            .arg(dir.path())
            .run()
            .code(0);
        let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
        let pw = env_value(&env, "REDIS_PASSWORD").expect("generated");
        assert_eq!(pw.len(), 40, "{pw:?}");
        assert!(pw.starts_with(|c: char| c.is_ascii_alphabetic()), "{pw:?}");
        for c in pw.chars() {
            assert!(c.is_ascii_alphanumeric(), "{pw:?}");
            *counts.entry(c).or_default() += 1;
        }
    }
    // 4 800 draws over 62 symbols: each is expected about 77 times; a missing one (or a
    // smaller alphabet) is a broken generator, not chance (p < 1e-30).
    let alphabet = ('a'..='z').chain('A'..='Z').chain('0'..='9');
    let missing: String = alphabet.filter(|c| !counts.contains_key(c)).collect();
    assert!(missing.is_empty(), "never generated: {missing}");
    let digits: usize = counts
        .iter()
        .filter(|(c, _)| c.is_ascii_digit())
        .map(|(_, n)| n)
        .sum();
    let total: usize = counts.values().sum();
    // Digits: 10 of 62 symbols after the first letter, about 15.7 %.
    let share = digits as f64 / total as f64;
    assert!((0.10..0.22).contains(&share), "digit share {share}");
    let most = counts.values().max().copied().unwrap_or(0);
    assert!(most < 200, "one symbol {most} times of {total}: skewed");
}

#[test]
fn a_password_file_written_on_windows_loses_only_its_crlf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw.txt");
    std::fs::write(&file, format!("{HOSTILE}\r\n")).unwrap();
    let port = free_port();
    let out = single_server(dir.path(), port)
        .arg("--password-file")
        .arg(&file)
        .run();
    assert_quiet(&out, HOSTILE);
    assert_eq!(
        effective_password(&dir.path().join(".env")).as_deref(),
        Some(HOSTILE)
    );
    server_takes_exactly(dir.path(), port, HOSTILE);
}

#[test]
fn an_empty_password_file_or_stdin_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    for (flag, stdin) in [("--password-file", ""), ("--password-stdin", "\n")] {
        let out_dir = tmp.path().join(flag.trim_start_matches('-'));
        let mut cmd = Cmd::new()
            .args(["render", "--scenario", "docker-compose", "--out"])
            .arg(&out_dir)
            .arg(flag);
        if flag == "--password-file" {
            cmd = cmd.arg(&empty);
        }
        let out = cmd.stdin(stdin).run();
        out.code(2);
        assert!(
            out.stderr.contains("password") && out.stderr.contains("empty"),
            "{flag}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("fix:"), "{flag}: {}", out.stderr);
        assert!(!out_dir.exists(), "{flag}: wrote files");
    }
}
