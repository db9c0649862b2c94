//! ACL user names, Kubernetes names and the password length limit, each held against the
//! program that consumes them: redis-server loads the generated `user …` line, Ruby's URI
//! (what redis-client parses REDIS_URL with) reads the user back from the URL.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::*;

const PASSWORD: &str = "AclNames0Password0Long0Enough0x";

/// One redis-cli call that must reach the server: a refusal is a reply, never a failed
/// redis-cli (connection refused, bad arguments), so negative checks cannot pass by accident.
fn reply(port: u16, user: Option<&str>, password: Option<&str>, args: &[&str]) -> String {
    let mut all: Vec<&str> = Vec::new();
    if let Some(u) = user {
        all.extend(["--user", u]);
    }
    all.extend(args);
    redis_cli(port, password, &all)
        .unwrap_or_else(|e| panic!("redis-cli {args:?} did not reach port {port}: {e}"))
        .trim()
        .to_string()
}

/// `render` for single-server with an ACL user, into `dir`, listening on `port`.
fn render_user(dir: &Path, user: &str, port: u16) -> Output {
    let d = dir.to_str().expect("utf-8 path");
    Cmd::new()
        .args(["render", "--scenario", "single-server", "--out", d])
        .args(["--config-dir", d, "--data-dir", d, "--redis-version", "7.0"])
        .arg(format!("--port={port}"))
        .arg(format!("--username={user}"))
        .env("REDIS_PASSWORD", PASSWORD)
        .run()
}

/// The user REDIS_URL carries, as Ruby's URI (redis-client's parser) reads it; None when the
/// URL does not parse.
fn uri_user(url: &str) -> Option<String> {
    let out = Command::new(require("ruby"))
        .args(["-ruri", "-e", "u = URI(ARGV[0]); print u.user.to_s"])
        .arg(url)
        .output()
        .expect("ruby");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Loads a config holding `user NAME …` the way redis-secrets.conf writes it; Ok when the
/// server starts (it is stopped again), Err with the server's complaint when it refuses.
fn server_loads_user_line(name: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("user.conf");
    std::fs::write(
        &conf,
        format!(
            "bind 127.0.0.1\nport {}\nsave \"\"\ndir {}\nuser {name} on \">{PASSWORD}\" ~* &* +@all\nuser default off\n",
            free_port(),
            dir.path().display()
        ),
    )
    .expect("write conf");
    let mut server = Command::new(require("redis-server"));
    server.arg(&conf);
    crate::servers::stays_up(server, Duration::from_secs(3))
}

#[test]
fn hostile_but_accepted_usernames_start_redis_and_work_as_chatwoots_user() {
    let long = "u".repeat(200);
    let names = [
        "on",
        "off",
        "nopass",
        "resetpass",
        "reset",
        "allkeys",
        "allcommands",
        "-x",
        "Default",
        "DEFAULT",
        "a.b",
        "..",
        "_",
        "0",
        "x-y_z.9",
        long.as_str(),
    ];
    for name in names {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        render_user(dir.path(), name, port).code(0);
        let env = std::fs::read_to_string(dir.path().join(".env")).expect(".env");
        let url = env_value(&env, "REDIS_URL").expect("REDIS_URL");
        assert_eq!(
            uri_user(&url).as_deref(),
            Some(name),
            "redis-client would read another user from {url:?}"
        );
        let conf = dir.path().join("redis.conf");
        let _server = start_redis_as(
            &[conf.to_str().expect("path")],
            port,
            Some(name),
            Some(PASSWORD),
            &dir.path().join("server.log"),
        );
        assert_eq!(
            reply(port, Some(name), Some(PASSWORD), &["ACL", "WHOAMI"]),
            name
        );
        assert_eq!(
            reply(
                port,
                Some(name),
                Some(PASSWORD),
                &["PUBLISH", "chatwoot_production_action_cable", "x"]
            ),
            "0",
            "{name}: ActionCable's PUBLISH"
        );
        let flush = reply(port, Some(name), Some(PASSWORD), &["FLUSHALL"]);
        assert!(flush.contains("NOPERM"), "{name}: FLUSHALL gave {flush:?}");
        let anon = reply(port, None, None, &["PING"]);
        assert!(
            anon.contains("NOAUTH"),
            "{name}: default user answered {anon:?}"
        );
    }
}

/// What breaks at a consumer for a name, if anything.
type Breaks = dyn Fn(&str) -> Option<String>;

#[test]
fn refused_usernames_are_ones_redis_server_or_the_url_reader_would_break() {
    // (name, what breaks): every refusal is backed by the consumer that would fail.
    let server = |name: &str| {
        server_loads_user_line(name)
            .err()
            .filter(|why| why.contains("FATAL CONFIG FILE ERROR"))
    };
    let url = |name: &str| {
        let u = format!("redis://{name}:{PASSWORD}@127.0.0.1:6379");
        match uri_user(&u) {
            Some(read) if read == name => None,
            other => Some(format!("URI reads user {other:?}")),
        }
    };
    let cases: [(&str, &Breaks); 8] = [
        ("default", &server),
        ("a b", &server),
        ("a\"b", &server),
        ("a'b", &server),
        ("a:b", &url),
        ("a@b", &url),
        ("a/b", &url),
        ("a#b", &url),
    ];
    for (name, consumer) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = render_user(dir.path(), name, free_port());
        out.code(2);
        assert!(
            out.stderr.contains("--username") && out.stderr.contains(&format!("{name:?}")),
            "{name}: the refusal names the field and the value:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("fix:"),
            "{name}: no fix\n{}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "{name}: a refused render wrote files"
        );
        let broken = consumer(name);
        assert!(
            broken.is_some(),
            "{name:?} is refused, but its consumer takes it unchanged"
        );
    }
    // The server side of "default" is the duplicate the renderer would have written.
    let why = server_loads_user_line("default").expect_err("duplicate default user");
    assert!(why.contains("Duplicate user found"), "{why}");
    // The control: the same line with a plain name loads.
    server_loads_user_line("chatwoot").expect("a plain user line loads");
}

#[test]
fn default_username_is_fine_where_no_acl_user_line_is_written() {
    // Without redis.conf the user is only REDIS_URL's userinfo: `default` with a password is
    // how Redis 6+ authenticates the default user.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    Cmd::new()
        .args([
            "render",
            "--scenario",
            "single-server",
            "--emit",
            "env",
            "--out",
            d,
        ])
        .args(["--username", "default"])
        .env("REDIS_PASSWORD", PASSWORD)
        .run()
        .code(0);
    let env = std::fs::read_to_string(dir.path().join(".env")).expect(".env");
    let url = env_value(&env, "REDIS_URL").expect("REDIS_URL");
    assert_eq!(uri_user(&url).as_deref(), Some("default"));
    assert!(!dir.path().join("redis-secrets.conf").exists());
}

fn k8s_render(flag: &str, value: &str) -> (Output, tempfile::TempDir) {
    k8s_render_with(flag, value, &[])
}

fn k8s_render_with(flag: &str, value: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args(["render", "--scenario", "kubernetes-sentinel", "--out"])
        .arg(dir.path())
        .arg(format!("{flag}={value}"))
        .args(extra)
        .env("REDIS_PASSWORD", PASSWORD)
        .run();
    (out, dir)
}

const EXTERNAL: [&str; 4] = ["--host", "10.0.0.5", "--sentinels", "10.0.0.6:26379"];

#[test]
fn kubernetes_release_names_stop_at_53_characters() {
    let (ok, _d) = k8s_render_with("--release", &"r".repeat(53), &EXTERNAL);
    ok.code(0);
    let (refused, d) = k8s_render_with("--release", &"r".repeat(54), &EXTERNAL);
    refused.code(2);
    assert!(refused.stderr.contains("--release"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("1 to 53 characters"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);
}

#[test]
fn bundled_redis_release_names_stop_at_32_characters() {
    // <release>-chatwoot-redis-node plus the 11-character revision hash is a pod label:
    // 32 + 31 = 63, Kubernetes' limit.
    let (ok, _d) = k8s_render("--release", &"r".repeat(32));
    ok.code(0);
    let (refused, d) = k8s_render("--release", &"r".repeat(33));
    refused.code(2);
    assert!(refused.stderr.contains("--release"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("at most 32 characters"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("fix:"), "{}", refused.stderr);
    assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);
}

#[test]
fn kubernetes_names_neither_start_nor_end_with_a_dash() {
    for flag in ["--release", "--namespace"] {
        for bad in ["-chatwoot", "chatwoot-", "-"] {
            let (out, d) = k8s_render(flag, bad);
            out.code(2);
            assert!(
                out.stderr.contains(flag) && out.stderr.contains(bad),
                "{flag}={bad}: {}",
                out.stderr
            );
            assert!(out.stderr.contains("starting and ending"), "{}", out.stderr);
            assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);
        }
        let (inner, _d) = k8s_render(flag, "chat-woot-1");
        inner.code(0);
    }
}

#[test]
fn a_4096_byte_password_authenticates_and_4097_bytes_are_refused() {
    let longest: String = "Ab0".repeat(1366)[..4096].to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    let port = free_port();
    Cmd::new()
        .args(["render", "--scenario", "single-server", "--out", d])
        .args(["--config-dir", d, "--data-dir", d])
        .arg(format!("--port={port}"))
        .env("REDIS_PASSWORD", &longest)
        .run()
        .code(0);
    let conf = dir.path().join("redis.conf");
    let _server = start_redis(
        &[conf.to_str().expect("path")],
        port,
        Some(&longest),
        &dir.path().join("server.log"),
    );
    assert_eq!(reply(port, None, Some(&longest), &["SET", "k", "v"]), "OK");
    let wrong = &longest[..4095];
    let denied = reply(port, None, Some(wrong), &["SET", "k", "v"]);
    assert!(
        denied.contains("WRONGPASS") || denied.contains("NOAUTH"),
        "a truncated password was accepted: {denied}"
    );

    let too_long = format!("{longest}x");
    let other = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args(["render", "--scenario", "single-server", "--out"])
        .arg(other.path())
        .env("REDIS_PASSWORD", &too_long)
        .run();
    out.code(2);
    assert!(out.stderr.contains("4096 bytes"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(&too_long[..64]),
        "the password was printed"
    );
    assert_eq!(std::fs::read_dir(other.path()).expect("dir").count(), 0);
}
