//! Every generated file checked by the program that really consumes it.

use std::path::Path;
use std::process::Command;

use crate::common::*;

struct Rendered {
    dir: tempfile::TempDir,
}

impl Rendered {
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
    }
}

/// Renders into a fresh directory; `password` goes through REDIS_PASSWORD.
fn render(args: &[&str], password: Option<&str>) -> Rendered {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.arg("render").arg("--out").arg(dir.path()).args(args);
    cmd.env_remove("REDIS_PASSWORD");
    if let Some(p) = password {
        cmd.env("REDIS_PASSWORD", p);
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "render {args:?} failed:\n{out}\n{err}");
    Rendered { dir }
}

fn single_server(extra: &[&str], password: &str, port: u16) -> Rendered {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8 path").to_string();
    let mut args = vec!["--scenario", "single-server", "--port"];
    let port_s = port.to_string();
    args.push(&port_s);
    args.extend(["--config-dir", &d, "--data-dir", &d]);
    args.extend(extra);
    let mut cmd = bin();
    cmd.arg("render").arg("--out").arg(&d).args(&args);
    cmd.env("REDIS_PASSWORD", password);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "render failed:\n{out}\n{err}");
    Rendered { dir }
}

fn info_field(
    port: u16,
    password: Option<&str>,
    user: Option<&str>,
    section: &str,
    field: &str,
) -> String {
    let mut args = vec![];
    if let Some(u) = user {
        args.extend(["--user", u]);
    }
    args.extend(["INFO", section]);
    let text = redis_cli(port, password, &args).expect("INFO");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} not in INFO {section}:\n{text}"))
        .trim()
        .to_string()
}

fn ruby_reads(dirs: &[&Path], connect: bool) -> Vec<serde_json::Value> {
    let mut cmd = Command::new(require("ruby"));
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb"))
        .arg(reference("chatwoot/cable.yml"));
    if connect {
        cmd.arg("--connect");
    }
    cmd.args(dirs);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(
        code, 0,
        "ruby failed (are ruby-dotenv and ruby-redis installed?):\n{err}"
    );
    serde_json::from_str::<Vec<serde_json::Value>>(&out).expect("ruby JSON")
}

#[test]
fn single_server_redis_conf_starts_for_every_version_and_accepts_the_password() {
    for version in ["6.2", "7.0", "7.4", "valkey-8"] {
        let port = free_port();
        let pw = "Generated0Like0Password0For0Tests0abcd";
        let r = single_server(
            &["--redis-version", version, "--maxmemory", "64mb"],
            pw,
            port,
        );
        let conf = r.read("redis.conf");
        let secrets = r.read("redis-secrets.conf");
        assert!(!conf.contains(pw), "password leaked into redis.conf");
        assert!(secrets.contains(pw));
        let mode = std::fs::metadata(r.path().join("redis-secrets.conf")).expect("meta");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        if version == "6.2" {
            for d in [
                "enable-protected-configs",
                "enable-debug-command",
                "enable-module-command",
                "appenddirname",
                "maxmemory-clients",
            ] {
                assert!(
                    !conf.contains(d),
                    "6.2 config contains the 7.0-only directive {d}"
                );
            }
        } else {
            assert!(conf.contains("enable-debug-command no"));
        }
        let conf_path = r.path().join("redis.conf");
        let _server = start_redis(
            &[conf_path.to_str().expect("path")],
            port,
            Some(pw),
            &r.path().join("server.log"),
        );
        // Without the password the server refuses.
        // A reply from the server, not a failed redis-cli.
        let anon = redis_cli(port, None, &["SET", "k", "v"]).expect("redis-cli reached the server");
        assert!(
            anon.contains("NOAUTH"),
            "unauthenticated write was accepted: {anon}"
        );
        assert_eq!(
            info_field(port, Some(pw), None, "memory", "maxmemory_policy"),
            "noeviction"
        );
        assert_eq!(
            info_field(port, Some(pw), None, "memory", "maxmemory"),
            (64u64 << 20).to_string()
        );
        assert_eq!(
            info_field(port, Some(pw), None, "persistence", "aof_enabled"),
            "1"
        );
        let clients = redis_cli(port, Some(pw), &["CONFIG", "GET", "maxclients"]).expect("config");
        assert!(
            clients.contains("1000"),
            "maxclients is the computed figure (the floor at defaults): {clients}"
        );
        let bind = redis_cli(port, Some(pw), &["CONFIG", "GET", "bind"]).expect("config");
        assert!(bind.contains("127.0.0.1"), "{bind}");
    }
}

#[test]
fn single_server_listens_where_chatwoot_connects() {
    // Another address than the default loopback one: redis.conf must bind it too.
    let port = free_port();
    let pw = "Bind0Address0Password0abcdefgh";
    let r = single_server(&["--host", "127.0.0.2", "--redis-version", "7.0"], pw, port);
    assert!(r
        .read("redis.conf")
        .contains("bind 127.0.0.1 -::1 127.0.0.2"));
    let conf_path = r.path().join("redis.conf");
    let _server = start_redis(
        &[conf_path.to_str().expect("path")],
        port,
        Some(pw),
        &r.path().join("server.log"),
    );
    let read = ruby_reads(&[r.path()], true);
    assert_eq!(
        read[0]["ping"], "PONG",
        "Chatwoot reaches 127.0.0.2: {}",
        read[0]
    );
}

#[test]
fn acl_user_reaches_redis_through_the_url_and_pubsub_is_allowed() {
    let port = free_port();
    let pw = "AclUser0Password0Long0Enough0x";
    let r = single_server(
        &["--username", "chatwoot", "--redis-version", "7.0"],
        pw,
        port,
    );
    let env = r.read(".env");
    assert!(
        env_value(&env, "REDIS_PASSWORD").is_none(),
        "with a user the password lives in REDIS_URL"
    );
    let conf_path = r.path().join("redis.conf");
    let _server = start_redis_as(
        &[conf_path.to_str().expect("path")],
        port,
        Some("chatwoot"),
        Some(pw),
        &r.path().join("server.log"),
    );
    // The default user is off: no access without Chatwoot's user.
    let anon = redis_cli(port, None, &["PING"]).expect("redis-cli reached the server");
    assert!(anon.contains("NOAUTH"), "{anon}");
    // Pub/sub channels are allowed (&*): ActionCable needs them.
    let publish = Command::new(require("redis-cli"))
        .args([
            "-p",
            &port.to_string(),
            "--user",
            "chatwoot",
            "PUBLISH",
            "chatwoot_production_action_cable",
            "x",
        ])
        .env("REDISCLI_AUTH", pw)
        .output()
        .expect("redis-cli");
    assert_eq!(String::from_utf8_lossy(&publish.stdout).trim(), "0");
    // FLUSHALL is withheld from Chatwoot's user.
    let flush = Command::new(require("redis-cli"))
        .args(["-p", &port.to_string(), "--user", "chatwoot", "FLUSHALL"])
        .env("REDISCLI_AUTH", pw)
        .output()
        .expect("redis-cli");
    assert!(String::from_utf8_lossy(&flush.stdout).contains("NOPERM"));
    // Chatwoot's own client (Ruby redis gem) connects with the URL's user and password.
    let read = ruby_reads(&[r.path()], true);
    assert_eq!(read[0]["client_user"], "chatwoot");
    assert_eq!(read[0]["client_password"], pw);
    assert_eq!(read[0]["ping"], "PONG", "{:?}", read[0]);
}

#[test]
fn env_file_is_read_by_chatwoot_exactly_and_the_redis_gem_connects() {
    // A generated password, and user-supplied ones that need the URL or single quotes.
    let cases = [
        "Generated0Like0Password0For0Tests0abcd",
        "with#hash$dollar",
        "0777",
        "p+w@x/y:z 'q' é",
    ];
    let mut servers = Vec::new();
    let mut dirs = Vec::new();
    for pw in cases {
        let port = free_port();
        let r = single_server(&["--redis-version", "7.0"], pw, port);
        let env = r.read(".env");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.path().join(".env"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, ".env holds the password: 0600");
        assert!(env.contains("REDIS_URL="));
        let conf_path = r.path().join("redis.conf");
        servers.push(start_redis(
            &[conf_path.to_str().expect("path")],
            port,
            Some(pw),
            &r.path().join("server.log"),
        ));
        dirs.push(r);
    }
    let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
    let read = ruby_reads(&paths, true);
    for (pw, got) in cases.iter().zip(&read) {
        assert_eq!(
            got["client_password"], *pw,
            "redis client password for {pw:?}: {got}"
        );
        assert_eq!(
            got["cable_password"], *pw,
            "ActionCable password for {pw:?}: {got}"
        );
        assert_eq!(got["ping"], "PONG", "{got}");
        // max(5, RAILS_MAX_THREADS 5 + 4, SIDEKIQ_CONCURRENCY 10)
        assert_eq!(got["alfred"], 10);
        assert_eq!(got["velma"], 10);
    }
    drop(servers);
}

#[test]
fn compose_override_merges_with_chatwoots_production_file() {
    let compose = require("docker-compose");
    let pw = "Compose0Password0Alnum0Only0abcdefgh";
    let r = render(&["--scenario", "docker-compose"], Some(pw));
    let override_text = r.read("docker-compose.redis.yaml");
    assert!(!override_text.contains(pw));
    // Chatwoot's file declares env_file: .env, relative to the project directory.
    let (code, out, err) = run(Command::new(&compose)
        .arg("--project-directory")
        .arg(r.path())
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(r.path().join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(
        code, 0,
        "docker-compose config refused the override:\n{err}"
    );
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("compose JSON");
    let redis = &cfg["services"]["redis"];
    assert_eq!(
        redis["image"], "redis:8.10-alpine",
        "not older than upstream's redis:alpine data"
    );
    assert_eq!(
        redis["environment"]["REDIS_PASSWORD"], pw,
        "the container gets the password from .env"
    );
    assert_eq!(
        cfg["services"]["rails"]["environment"]["REDIS_PASSWORD"],
        pw
    );
    assert_eq!(
        cfg["services"]["rails"]["environment"]["REDIS_URL"],
        "redis://redis:6379"
    );
    assert_eq!(
        cfg["services"]["rails"]["depends_on"]["redis"]["condition"],
        "service_healthy"
    );
    assert_eq!(
        cfg["services"]["sidekiq"]["depends_on"]["redis"]["condition"],
        "service_healthy"
    );
    let mounts = redis["volumes"].to_string();
    assert!(
        mounts.contains("/usr/local/etc/redis/redis.conf"),
        "{mounts}"
    );
    let test = redis["healthcheck"]["test"].to_string();
    assert!(test.contains("ping"), "{test}");

    // Run the service's real command (as the container would, paths adapted) with its environment.
    let command: Vec<String> = redis["command"]
        .as_array()
        .expect("command list")
        .iter()
        // `config` prints `$` escaped as `$$` again; the container receives a single `$`.
        .map(|v| v.as_str().expect("string").replace("$$", "$"))
        .collect();
    assert_eq!(command[..2], ["sh".to_string(), "-c".to_string()]);
    let port = free_port();
    // Container paths adapted to the test's directory: the config's /data becomes the temp dir.
    let local_conf = r.path().join("redis.local.conf");
    std::fs::write(
        &local_conf,
        r.read("redis.conf")
            .replace("dir /data", &format!("dir {}", r.path().display())),
    )
    .expect("conf");
    let script = command[2].replace(
        "/usr/local/etc/redis/redis.conf",
        local_conf.to_str().expect("path"),
    ) + &format!(" --port {port} --bind 127.0.0.1");
    require("redis-server");
    let mut compose_command = Command::new("sh");
    compose_command.args(["-c", &script]).env(
        "REDIS_PASSWORD",
        redis["environment"]["REDIS_PASSWORD"].as_str().expect("pw"),
    );
    let _g = crate::servers::start_command(
        compose_command,
        port,
        None,
        Some(pw),
        &r.path().join("server.log"),
    );
    assert_eq!(
        info_field(port, Some(pw), None, "memory", "maxmemory_policy"),
        "noeviction"
    );
}

fn yaml_file(text: &str) -> serde_json::Value {
    let v: yaml_serde::Value = yaml_serde::from_str(text).expect("valid YAML");
    serde_json::to_value(v).expect("JSON")
}

/// Dotted key paths of a YAML tree (mappings only).
fn key_paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let Some(map) = v.as_object() {
        for (k, child) in map {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(p.clone());
            if !matches!(p.as_str(), "env") {
                key_paths(child, &p, out);
            }
        }
    }
}

/// Keys the chart documents in comments (redis.host, …) or reads in its templates
/// (the chart's values.yaml and templates/, version 2.0.23).
fn chart_knows(
    path: &str,
    chart: &serde_json::Value,
    bitnami: &serde_json::Value,
    chart_text: &str,
) -> bool {
    let lookup =
        |root: &serde_json::Value, p: &str| p.split('.').try_fold(root, |v, k| v.get(k)).is_some();
    if lookup(chart, path) {
        return true;
    }
    if let Some(rest) = path.strip_prefix("redis.") {
        if lookup(bitnami, rest) {
            return true;
        }
        // A key inside a map Bitnami declares empty for the user to fill (`resources.limits: {}`).
        if let Some((parent, _)) = rest.rsplit_once('.') {
            let declared = parent.split('.').try_fold(bitnami, |v, k| v.get(k));
            if declared
                .and_then(|v| v.as_object())
                .is_some_and(|m| m.is_empty())
            {
                return true;
            }
        }
        let leaf = rest.rsplit('.').next().unwrap_or(rest);
        if chart_text.contains(&format!("# {leaf}:"))
            || chart_text.contains(&format!("#    {leaf}:"))
        {
            return true;
        }
        return matches!(rest, "existingSecret" | "existingSecretKey");
    }
    false
}

fn check_helm(values_text: &str) {
    let chart_text =
        std::fs::read_to_string(reference("chatwoot-chart/values.yaml")).expect("chart values");
    let chart = yaml_file(&chart_text);
    let bitnami = yaml_file(
        &std::fs::read_to_string(reference("bitnami-redis-16.12.2/values.yaml")).expect("bitnami"),
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference("bitnami-redis-16.12.2/values.schema.json"))
            .expect("schema"),
    )
    .expect("schema JSON");
    let values = yaml_file(values_text);
    let mut paths = Vec::new();
    key_paths(&values, "", &mut paths);
    assert!(paths.len() > 3, "values are not empty");
    for p in &paths {
        assert!(
            chart_knows(p, &chart, &bitnami, &chart_text),
            "{p} is not a key of the chart or Bitnami values"
        );
    }
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&values["redis"])
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "redis subtree fails Bitnami's schema: {errors:?}"
    );
    // Every env value is a string (or REDIS_TLS, a boolean); never null.
    if let Some(env) = values["env"].as_object() {
        for (k, v) in env {
            if k == "REDIS_TLS" {
                assert!(v.is_boolean(), "REDIS_TLS must be a YAML boolean");
            } else {
                assert!(v.is_string(), "env.{k} must be a string, got {v}");
            }
        }
    }
}

#[test]
fn helm_values_fit_the_chart_and_bitnami_schema() {
    let pw = "Helm0Password0Alnum0Only0abcdefghijk";
    let r = render(
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--namespace",
            "support",
        ],
        Some(pw),
    );
    let text = r.read("values.redis.yaml");
    assert!(!text.contains(pw), "password leaked into values");
    check_helm(&text);
    let v = yaml_file(&text);
    assert_eq!(
        v["redis"]["replica"]["replicaCount"], 3,
        "integer 3 (quorum)"
    );
    assert_eq!(v["redis"]["sentinel"]["enabled"], true);
    assert_eq!(v["redis"]["nameOverride"], "chatwoot-redis");
    assert_eq!(
        v["redis"]["sentinel"]["image"]["repository"],
        "bitnamilegacy/redis-sentinel"
    );
    assert_eq!(
        v["redis"]["auth"]["existingSecret"],
        v["redis"]["existingSecret"]
    );
    assert_eq!(
        v["redis"]["auth"]["existingSecretPasswordKey"],
        v["redis"]["existingSecretKey"]
    );
    assert!(
        v["env"].get("REDIS_SENTINELS").is_none(),
        "the chart computes REDIS_SENTINELS"
    );
    assert!(text.contains("ActionCable"), "the master caveat is stated");
    let secret = yaml_file(&r.read("redis-secret.yaml"));
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(secret["metadata"]["name"], v["redis"]["existingSecret"]);
    assert_eq!(secret["metadata"]["namespace"], "support");
    assert_eq!(secret["stringData"]["redis-password"], pw);
    // Re-rendering without a password source keeps the Secret's password (no .env here).
    let before = r.read("redis-secret.yaml");
    let (code, out, err) = run(bin()
        .args(["render", "--out"])
        .arg(r.path())
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        r.read("redis-secret.yaml"),
        before,
        "password kept, file unchanged"
    );
    assert!(!out.contains(pw) && !err.contains(pw));

    // The bundled commonConfiguration is accepted by a real redis-server.
    let conf = v["redis"]["commonConfiguration"].as_str().expect("string");
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    std::fs::write(
        dir.path().join("common.conf"),
        format!(
            "{conf}\nport {port}\nbind 127.0.0.1\ndir {}\n",
            dir.path().display()
        ),
    )
    .expect("write");
    let conf_path = dir.path().join("common.conf");
    let _s = start_redis(
        &[conf_path.to_str().expect("p")],
        port,
        None,
        &dir.path().join("log"),
    );
    assert_eq!(
        info_field(port, None, None, "memory", "maxmemory_policy"),
        "noeviction"
    );

    // External Redis through the chart: ElastiCache with --emit +helm.
    let r = render(
        &[
            "--scenario",
            "elasticache",
            "--host",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "--emit",
            "+helm",
        ],
        Some("Elasti0Cache0Token0Alnum0Only0abc"),
    );
    let text = r.read("values.redis.yaml");
    check_helm(&text);
    let v = yaml_file(&text);
    assert_eq!(v["redis"]["enabled"], false);
    assert_eq!(
        v["redis"]["host"],
        "master.cw.abc123.use1.cache.amazonaws.com"
    );
    assert_eq!(v["redis"]["port"], 6379);
    assert_eq!(v["env"]["REDIS_TLS"], true);
    let secret = yaml_file(&r.read("redis-secret.yaml"));
    assert_eq!(secret["metadata"]["name"], v["existingEnvSecret"]);
    assert_eq!(
        secret["stringData"]["REDIS_PASSWORD"],
        "Elasti0Cache0Token0Alnum0Only0abc"
    );
    assert_eq!(
        secret["stringData"]["REDIS_URL"],
        "rediss://master.cw.abc123.use1.cache.amazonaws.com:6379"
    );
}

#[test]
fn provider_scripts_are_valid_bash_without_secrets() {
    let bash = require("bash");
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--scenario",
                "elasticache",
                "--host",
                "master.cw.abc123.euw1.cache.amazonaws.com",
            ],
            "Elasti0Cache0Token0Alnum0Only0abc",
        ),
        (
            &[
                "--scenario",
                "azure",
                "--host",
                "cw.westeurope.redis.azure.net",
            ],
            "a2V5K2Jhc2U2NC9rZXk9PQ==",
        ),
        (
            &["--scenario", "memorystore", "--host", "10.1.2.3", "--tls"],
            "Memory0Store0Auth0String0abc",
        ),
        (
            &[
                "--scenario",
                "heroku",
                "--host",
                "ec2-3-1-2-3.compute-1.amazonaws.com",
                "--port",
                "12345",
            ],
            "herokuPass0word0withSymbols+/=",
        ),
        (
            &[
                "--scenario",
                "digitalocean",
                "--host",
                "db-valkey-do-user-1-0.b.db.ondigitalocean.com",
            ],
            "AVNS_doPassword0abc",
        ),
    ];
    for (args, pw) in cases {
        let r = render(args, Some(pw));
        let script = r.read("redis-settings.sh");
        assert!(
            script.starts_with("#!/usr/bin/env bash\n# Generated by chatwoot-redis"),
            "{script}"
        );
        assert!(
            script.contains("noeviction") || script.contains("NoEviction"),
            "{args:?}"
        );
        assert!(
            !script.contains(pw),
            "secret literal in the script for {args:?}"
        );
        let (code, _, err) = run(Command::new(&bash)
            .arg("-n")
            .arg(r.path().join("redis-settings.sh")));
        assert_eq!(code, 0, "bash -n failed for {args:?}: {err}");
        let answers = r.read("chatwoot-redis.yaml");
        assert!(!answers.contains(pw), "secret in the answers file");
        // The .env reaches Chatwoot with the exact password.
        let read = ruby_reads(&[r.path()], false);
        assert_eq!(read[0]["client_password"], pw, "{args:?}: {}", read[0]);
        assert_eq!(read[0]["cable_password"], pw, "{args:?}: {}", read[0]);
    }
}

#[test]
fn provider_env_facts() {
    let r = render(
        &[
            "--scenario",
            "heroku",
            "--host",
            "ec2-3-1-2-3.compute-1.amazonaws.com",
            "--port",
            "12345",
        ],
        Some("herokuPass0word0abc"),
    );
    let env = r.read(".env");
    assert_eq!(
        env_value(&env, "REDIS_OPENSSL_VERIFY_MODE").as_deref(),
        Some("none")
    );
    assert!(
        env_value(&env, "REDIS_PASSWORD").is_none(),
        "Heroku keeps the password in the URL"
    );
    assert!(env_value(&env, "REDIS_URL")
        .unwrap_or_default()
        .starts_with("rediss://:"));
    let r = render(
        &["--scenario", "memorystore", "--host", "10.1.2.3"],
        Some("Memory0Store0Auth0String0abc"),
    );
    let env = r.read(".env");
    assert_eq!(
        env_value(&env, "REDIS_DISABLE_CLIENT_COMMAND").as_deref(),
        Some("true")
    );
    let r = render(
        &[
            "--scenario",
            "digitalocean",
            "--host",
            "db-valkey-do-user-1-0.b.db.ondigitalocean.com",
        ],
        Some("AVNS0doPassword0abc"),
    );
    let env = r.read(".env");
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some("rediss://default:AVNS0doPassword0abc@db-valkey-do-user-1-0.b.db.ondigitalocean.com:25061")
    );
    assert!(
        env_value(&env, "REDIS_OPENSSL_VERIFY_MODE").is_none(),
        "public certificate: verified"
    );
}

/// The two cable.yml rules against Ruby's own YAML load: what the generator accepts is always
/// kept, and what doctor calls a certain change is always changed.
#[test]
fn cable_yaml_rules_agree_with_psych() {
    use chatwoot_redis::chatwoot::{cable_yaml_definitely_changes, check_cable_yaml_password};
    let corpus = [
        "0777",
        "0x1A",
        "1_000",
        "12",
        "1.5",
        ".5",
        ".inf",
        "12:30:00",
        "yes",
        "Off",
        "NULL",
        "~",
        "a #b",
        "a: b",
        "abc:",
        " abc",
        "abc ",
        "@x",
        "'x",
        "%x",
        "- x",
        "*x",
        "&x",
        "!x",
        "{",
        "[",
        "|",
        ">",
        "#x",
        "-",
        "y",
        "n",
        "abc def",
        "a,b",
        "1e3",
        "1abc",
        "abc\"def",
        "x-1",
        "a#b",
        "-x",
        "Abc123",
        "secretPassword",
        "a$b",
        "a&b!c",
        "K9-_.~x",
        "p+w/x=",
        "2001-12-14",
        "on",
        "True",
        "a%b",
        "A@b",
        "z?y",
        "Q;r(s)",
    ];
    let script = r#"
        require 'yaml'; require 'json'
        words = JSON.parse(STDIN.read)
        out = words.map do |p|
          begin
            v = YAML.load("password: " + p)["password"]
            v.is_a?(String) && v == p
          rescue Exception
            false
          end
        end
        puts JSON.generate(out)
    "#;
    let mut child = Command::new(require("ruby"))
        .args(["-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ruby");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&corpus[..]).expect("json").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("ruby output");
    let kept: Vec<bool> = serde_json::from_slice(&out.stdout).expect("ruby JSON");
    for (pw, kept) in corpus.iter().zip(kept) {
        if check_cable_yaml_password(pw).is_ok() {
            assert!(kept, "the generator accepts {pw:?} but Psych changes it");
        }
        if cable_yaml_definitely_changes(pw).is_some() {
            assert!(!kept, "doctor calls {pw:?} changed but Psych keeps it");
        }
    }
}
