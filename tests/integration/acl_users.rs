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

/// The user Ruby's URI reads from `redis://NAME:PASSWORD@127.0.0.1:6379` for each name, in
/// one Ruby process; None where the URL does not parse.
fn uri_users_of_raw_urls(names: &[String]) -> Vec<Option<String>> {
    let urls: Vec<String> = names
        .iter()
        .map(|n| format!("redis://{n}:{PASSWORD}@127.0.0.1:6379"))
        .collect();
    let script = "require 'json'; out = JSON.parse($stdin.read).map { |u| \
                  begin; URI(u).user; rescue URI::InvalidURIError; nil; end }; \
                  print JSON.generate(out)";
    let mut child = Command::new(require("ruby"))
        .args(["-ruri", "-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ruby");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(&urls).expect("json").as_bytes())
            .expect("write urls");
    }
    let out = child.wait_with_output().expect("ruby");
    assert!(out.status.success(), "ruby failed");
    serde_json::from_slice(&out.stdout).expect("ruby JSON")
}

/// What Chatwoot's redis-client gets as the user from each rendered `.env`: real Ruby dotenv
/// reads the file, the redis-client model over Ruby's URI reads REDIS_URL
/// (tests/ruby/chatwoot_reads.rb).
fn chatwoot_users(dirs: &[&Path]) -> Vec<Option<String>> {
    chatwoot_reads_dirs(dirs)
        .iter()
        .map(|r| r["client_user"].as_str().map(str::to_string))
        .collect()
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
    let mut names: Vec<String> = [
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
        // Where a character leads a rule in an ACL line, and URL escapes kept as written.
        "~x",
        "&x",
        "+x",
        "!x",
        "*",
        "%41",
        "a%7eb",
        "'",
        "$HOME",
        "a$(b)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every character besides letters and digits that a name may hold, inside a name.
    names.extend("-._~!$&'()*+,;=".chars().map(|c| format!("a{c}b")));
    let dirs: Vec<tempfile::TempDir> = names
        .iter()
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let ports: Vec<u16> = names.iter().map(|_| free_port()).collect();
    for ((name, dir), port) in names.iter().zip(&dirs).zip(&ports) {
        render_user(dir.path(), name, *port).code(0);
    }
    let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
    let users = chatwoot_users(&paths);
    for (((name, dir), port), user) in names.iter().zip(&dirs).zip(&ports).zip(users) {
        let name = name.as_str();
        let port = *port;
        assert_eq!(
            user.as_deref(),
            Some(name),
            "{name}: Chatwoot's redis-client would send another user (.env read by dotenv)"
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
        // The next render reads the name back from chatwoot-redis.yaml: nothing changes.
        let d = dir.path().to_str().expect("path");
        Cmd::new()
            .args(["render", "--check", "--out", d])
            .env("REDIS_PASSWORD", PASSWORD)
            .run()
            .code(0);
    }
}

#[test]
fn a_username_is_refused_exactly_when_the_url_reader_or_redis_server_would_break_it() {
    // Every printable ASCII character and a few others, inside a name; each is rendered, and
    // the verdict comes from the consumers: Ruby's URI must read the name back whole from a
    // REDIS_URL that carries it as written (redis-client does not decode the user), and
    // redis-server must not refuse the ACL line (`default` is declared twice).
    let mut names: Vec<String> = (0x20u8..0x7f)
        .filter(|b| !b.is_ascii_alphanumeric())
        .map(|b| format!("a{}b", b as char))
        .collect();
    names.extend(
        [
            "default", "a\tb", "\u{e9}", "a%zz", "a%4", "%", "a%41b", "a%%41",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let read = uri_users_of_raw_urls(&names);
    let mut refused = 0;
    for (name, read) in names.iter().zip(read) {
        let breaks = if name == "default" {
            Some("redis-server: Duplicate user found".to_string())
        } else if read.as_deref() != Some(name.as_str()) {
            Some(format!("Ruby URI reads the user {read:?}"))
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let out = render_user(dir.path(), name, free_port());
        match breaks {
            None => assert_eq!(
                out.status, 0,
                "{name:?} is refused, but every consumer takes it unchanged:\n{}",
                out.stderr
            ),
            Some(why) => {
                refused += 1;
                assert_eq!(
                    out.status, 2,
                    "{name:?} is accepted, but {why}:\n{}",
                    out.stderr
                );
                let shown = serde_json::to_string(name).expect("json");
                assert!(
                    out.stderr.contains("--username")
                        && (out.stderr.contains(&format!("{name:?}"))
                            || out.stderr.contains(&shown)),
                    "{name:?}: the refusal names the field and the value:\n{}",
                    out.stderr
                );
                assert!(
                    out.stderr.contains("fix:"),
                    "{name:?}: no fix\n{}",
                    out.stderr
                );
                assert_eq!(
                    std::fs::read_dir(dir.path()).expect("dir").count(),
                    0,
                    "{name:?}: a refused render wrote files"
                );
            }
        }
    }
    // Both outcomes occur: the URL reader refuses the delimiters, spaces and quotes.
    assert!(refused >= 15, "only {refused} names were refused");
    // The server side of "default" is the duplicate the renderer would have written, and a
    // raw `'` opens a quote in redis-server's line splitter (hence the quoted name).
    let why = server_loads_user_line("default").expect_err("duplicate default user");
    assert!(why.contains("Duplicate user found"), "{why}");
    let why = server_loads_user_line("a'b").expect_err("an unbalanced quote");
    assert!(why.contains("FATAL CONFIG FILE ERROR"), "{why}");
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
