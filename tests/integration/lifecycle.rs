//! A deployment over time: re-renders, rotations and scenario switches, each checked with
//! what Chatwoot and Redis would read (the real Compose v2 from the project directory, the
//! saved answers file, the next render's output and the exit code).

use std::path::Path;
use std::process::Command;

use crate::common::{env_value, reference, require, run, Cmd};

/// `chatwoot-redis render ARGS` run from `cwd`, with REDIS_PASSWORD when given.
fn render_in(cwd: &Path, args: &[&str], password: Option<&str>) -> crate::common::Output {
    let mut cmd = Cmd::new().current_dir(cwd).arg("render").args(args);
    if let Some(p) = password {
        cmd = cmd.env("REDIS_PASSWORD", p);
    }
    cmd.run()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compose v2's merged configuration, run from the project directory as an operator does.
fn compose_config(project: &Path, override_file: &str) -> serde_json::Value {
    let compose = require("docker-compose");
    let (code, out, err) = run(Command::new(&compose)
        .current_dir(project)
        .args(["-f", "docker-compose.production.yaml", "-f", override_file])
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME"));
    assert_eq!(code, 0, "docker compose config refused the project:\n{err}");
    serde_json::from_str(&out).expect("compose JSON")
}

/// A Chatwoot Compose project: upstream's production file and Chatwoot's own `.env`, whose
/// REDIS_PASSWORD is empty (as in upstream's .env.example).
fn compose_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        reference("chatwoot/docker-compose.production.yaml"),
        dir.path().join("docker-compose.production.yaml"),
    )
    .expect("copy the production file");
    std::fs::write(
        dir.path().join(".env"),
        "SECRET_KEY_BASE=replace_me\nREDIS_URL=redis://redis:6379\nREDIS_PASSWORD=\n",
    )
    .expect("write .env");
    dir
}

/// Item 1: outputs beside the production file and in a subdirectory both reach Redis and
/// Chatwoot when Compose runs from the project directory.
#[test]
fn compose_outputs_work_from_the_project_directory_in_place_and_in_a_subdirectory() {
    let pw = "Layout0Password0Alnum0Only0abcdefgh";
    for out in [".", "deploy", "deploy/redis"] {
        let project = compose_project();
        let r = render_in(
            project.path(),
            &["--scenario", "docker-compose", "--out", out, "--db", "2"],
            Some(pw),
        );
        r.code(0);
        assert!(
            !format!("{}{}", r.stdout, r.stderr).contains("is not in"),
            "the project file was found for --out {out}: {}",
            r.stdout
        );
        let override_rel = if out == "." {
            "docker-compose.redis.yaml".to_string()
        } else {
            format!("{out}/docker-compose.redis.yaml")
        };
        let override_text = read(&project.path().join(&override_rel));
        assert!(!override_text.contains(pw), "no password in the override");
        assert!(
            override_text.contains(&format!("-f {override_rel} up -d")),
            "the header's command is the one from the project directory:\n{override_text}"
        );
        let cfg = compose_config(project.path(), &override_rel);
        let redis = &cfg["services"]["redis"];
        let conf = project.path().join(out).join("redis.conf");
        let conf = std::fs::canonicalize(&conf).expect("redis.conf written");
        let mounts = redis["volumes"].as_array().expect("volumes");
        let mounted = mounts.iter().find(|m| {
            m["target"] == "/usr/local/etc/redis/redis.conf"
                && Path::new(m["source"].as_str().unwrap_or_default()) == conf
        });
        assert!(
            mounted.is_some(),
            "--out {out}: the generated {} is mounted: {mounts:?}",
            conf.display()
        );
        assert_eq!(
            redis["environment"]["REDIS_PASSWORD"], pw,
            "--out {out}: the redis container gets the generated password"
        );
        for service in ["rails", "sidekiq"] {
            let env = &cfg["services"][service]["environment"];
            assert_eq!(env["REDIS_PASSWORD"], pw, "--out {out}: {service}");
            assert_eq!(
                env["REDIS_URL"], "redis://redis:6379/2",
                "--out {out}: {service}"
            );
        }
        // The db answer was saved: the next plain render changes nothing.
        let answers = read(&project.path().join(out).join("chatwoot-redis.yaml"));
        assert!(answers.contains("db: 2\n"), "{answers}");
        render_in(project.path(), &["--out", out, "--check"], None).code(0);
    }
}

/// Item 1: an override outside any Compose project is written with a warning naming the
/// missing production file.
#[test]
fn compose_outputs_outside_a_project_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = render_in(
        dir.path(),
        &["--scenario", "docker-compose", "--out", "x"],
        Some("Layout0Password0Alnum0Only0abcdefgh"),
    );
    r.code(0);
    assert!(
        r.stdout
            .contains("docker-compose.production.yaml is not in"),
        "{}",
        r.stdout
    );
    let env = read(&dir.path().join("x/.env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some("redis://redis:6379")
    );
}

/// Renders into a fresh directory; returns it and the run.
fn fresh(args: &[&str], password: Option<&str>) -> (tempfile::TempDir, crate::common::Output) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render_in(dir.path(), &[&["--out", "."], args].concat(), password);
    (dir, out)
}

const PW: &str = "Lifecycle0Password0Alnum0abcdefghij";
const EC_HOST: &str = "master.chatwoot.abc123.use1.cache.amazonaws.com";

/// Item 2: an accepted answer is saved (the next plain render changes nothing); an answer
/// the scenario would ignore is refused with exit 2 naming it, and nothing is written.
#[test]
fn every_accepted_answer_is_saved_and_every_ignored_one_refused() {
    let (dir, r) = fresh(&["--scenario", "docker-compose", "--db", "2"], Some(PW));
    r.code(0);
    assert!(read(&dir.path().join("chatwoot-redis.yaml")).contains("db: 2\n"));
    let r = render_in(dir.path(), &["--out", "."], Some(PW));
    r.code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some("redis://redis:6379/2")
    );

    let refused: [(&[&str], &str); 6] = [
        (
            &["--scenario", "docker-compose", "--port", "6380"],
            "--port",
        ),
        (
            &["--scenario", "docker-compose", "--host", "cache"],
            "--host",
        ),
        (
            &[
                "--scenario",
                "elasticache",
                "--host",
                EC_HOST,
                "--no-tls",
                "--auth",
                "none",
                "--verify-mode",
                "none",
            ],
            "--verify-mode",
        ),
        (
            &[
                "--scenario",
                "elasticache",
                "--host",
                EC_HOST,
                "--redis-version",
                "7.0",
            ],
            "--redis-version",
        ),
        (
            &[
                "--scenario",
                "heroku",
                "--url",
                "rediss://ec2-3-91-10-20.compute-1.amazonaws.com:12345",
                "--maxmemory",
                "2gb",
            ],
            "--maxmemory",
        ),
        (
            &["--scenario", "single-server", "--emit", "+helm"],
            "--emit",
        ),
    ];
    for (args, field) in refused {
        let password = (!args.contains(&"none")).then_some(PW);
        let (dir, r) = fresh(args, password);
        r.code(2);
        assert!(
            r.stderr.contains(field) && r.stderr.contains("fix"),
            "{args:?}: names {field} and a fix:\n{}",
            r.stderr
        );
        let written: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert!(written.is_empty(), "{args:?}: nothing written: {written:?}");
    }

    // Read from the answers file, an ignored answer is said to be ignored, not acted on.
    let (dir, r) = fresh(&["--scenario", "elasticache", "--host", EC_HOST], Some(PW));
    r.code(0);
    let path = dir.path().join("chatwoot-redis.yaml");
    std::fs::write(&path, format!("{}maxmemory: 2gb\n", read(&path))).expect("edit");
    let r = render_in(dir.path(), &["--out", "."], Some(PW));
    r.code(0);
    assert!(
        r.stdout.contains("ignored `maxmemory: 2gb`") && r.stdout.contains("because"),
        "{}",
        r.stdout
    );
    assert!(!read(&path).contains("maxmemory"), "the write dropped it");
}

/// Item 3: a URL from a higher source replaces host, port, TLS, user name and database as
/// one unit; flags beat CHATWOOT_REDIS_* variables, which beat the answers file.
#[test]
fn a_newer_url_replaces_the_saved_endpoint_as_one_unit() {
    let (dir, r) = fresh(
        &["--scenario", "elasticache", "--host", EC_HOST, "--db", "3"],
        Some(PW),
    );
    r.code(0);
    let new_host = "master.chatwoot2.def456.use1.cache.amazonaws.com";
    let r = Cmd::new()
        .current_dir(dir.path())
        .args(["render", "--out", "."])
        .env("REDIS_PASSWORD", PW)
        .env("CHATWOOT_REDIS_URL", format!("rediss://{new_host}:6380"))
        .run();
    r.code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(&*format!("rediss://{new_host}:6380")),
        "host, port, TLS and db all from the URL:\n{env}"
    );
    let saved = read(&dir.path().join("chatwoot-redis.yaml"));
    assert!(
        saved.contains(&format!("host: {new_host}\n"))
            && saved.contains("port: 6380\n")
            && saved.contains("tls: true\n")
            && saved.contains("db: 0\n"),
        "{saved}"
    );
    render_in(dir.path(), &["--out", ".", "--check"], None).code(0);

    // A flag beats the environment, the URL's parts included.
    let r = Cmd::new()
        .current_dir(dir.path())
        .args([
            "render",
            "--out",
            ".",
            "--url",
            &format!("rediss://{EC_HOST}:6379/4"),
        ])
        .env("REDIS_PASSWORD", PW)
        .env("CHATWOOT_REDIS_HOST", new_host)
        .env("CHATWOOT_REDIS_DB", "5")
        .run();
    r.code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(&*format!("rediss://{EC_HOST}:6379/4")),
        "{env}"
    );
    // A port flag changes that part of a saved URL only.
    let r = render_in(dir.path(), &["--out", ".", "--port", "6390"], Some(PW));
    r.code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(&*format!("rediss://{EC_HOST}:6390/4")),
        "{env}"
    );
}

fn env_password(dir: &Path) -> Option<String> {
    env_value(&read(&dir.join(".env")), "REDIS_PASSWORD")
}

/// Item 4: a typed --generate-password beats the password of .env; a plain render says it kept
/// that password; a scenario switch never reuses it silently; a provider that makes its own
/// credential refuses a generated one; a password in `url:` of the answers file is refused.
#[test]
fn the_password_follows_the_users_word_and_never_crosses_deployments() {
    let (dir, r) = fresh(&["--scenario", "docker-compose"], Some(PW));
    r.code(0);
    assert_eq!(env_password(dir.path()).as_deref(), Some(PW));

    let r = render_in(dir.path(), &["--out", "."], None);
    r.code(0);
    assert!(
        r.stdout.contains("kept the password of .env"),
        "{}",
        r.stdout
    );
    let r = Cmd::new()
        .current_dir(dir.path())
        .args(["-v", "render", "--out", ".", "--dry-run"])
        .run();
    r.code(0);
    assert!(
        r.stderr.contains("password: kept from the existing .env"),
        "{}",
        r.stderr
    );

    let r = render_in(dir.path(), &["--out", ".", "--generate-password"], None);
    r.code(0);
    let rotated = env_password(dir.path()).expect("a password");
    assert_ne!(rotated, PW, "--generate-password rotated it");
    assert!(!r.stdout.contains(&rotated) && !r.stderr.contains(&rotated));

    // Another scenario: the Compose password is not ElastiCache's.
    let switch = ["--out", ".", "--scenario", "elasticache", "--host", EC_HOST];
    let r = render_in(dir.path(), &switch, None);
    r.code(2);
    assert!(r.stderr.contains("not reused"), "{}", r.stderr);
    assert_eq!(
        env_password(dir.path()).as_deref(),
        Some(&*rotated),
        "nothing written"
    );
    let r = render_in(
        dir.path(),
        &[&switch[..], &["--generate-password"]].concat(),
        None,
    );
    r.code(0);
    assert!(
        r.stdout.contains(
            "modify-replication-group --replication-group-id chatwoot --auth-token \"$REDIS_PASSWORD\" --auth-token-update-strategy ROTATE"
        ),
        "{}",
        r.stdout
    );
    let elasticache = env_password(dir.path()).expect("a password");
    assert_ne!(elasticache, rotated);
    assert!(!r.stdout.contains(&elasticache));

    let (_dir, r) = fresh(
        &[
            "--scenario",
            "azure",
            "--host",
            "cw.westeurope.redis.azure.net",
            "--generate-password",
        ],
        None,
    );
    r.code(2);
    assert!(r.stderr.contains("az redis list-keys"), "{}", r.stderr);

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("chatwoot-redis.yaml"),
        "scenario: heroku\nurl: rediss://:Leaked0Secret@ec2-3-91-10-20.compute-1.amazonaws.com:12345\n",
    )
    .expect("write");
    let r = render_in(dir.path(), &["--out", ".", "--dry-run"], None);
    r.code(2);
    assert!(
        r.stderr.contains("`url`") && r.stderr.contains("rotate"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Leaked0Secret") && !r.stdout.contains("Leaked0Secret"));
}

/// `--dry-run` and `--diff` show what the write would do: where a scenario switch leaves the
/// render without a password, they refuse as it does (exit 2, the same reason) instead of
/// showing a plan without the secret files; given the password, the plan lists `.env` too.
#[test]
fn a_dry_run_refuses_where_the_render_refuses() {
    let (dir, r) = fresh(&["--scenario", "docker-compose"], Some(PW));
    r.code(0);
    let before = read(&dir.path().join("chatwoot-redis.yaml"));
    for mode in ["--dry-run", "--diff"] {
        let r = render_in(
            dir.path(),
            &["--out", ".", "--scenario", "single-server", mode],
            None,
        );
        r.code(2);
        assert!(r.stderr.contains("not reused"), "{mode}: {}", r.stderr);
    }
    let write = render_in(
        dir.path(),
        &["--out", ".", "--scenario", "single-server"],
        None,
    );
    write.code(2);
    assert_eq!(
        read(&dir.path().join("chatwoot-redis.yaml")),
        before,
        "nothing written"
    );
    let r = render_in(
        dir.path(),
        &["--out", ".", "--scenario", "single-server", "--dry-run"],
        Some("Another0Password0For0The0Single0Server"),
    );
    r.code(0);
    for file in ["./.env", "./redis-secrets.conf", "./redis.conf"] {
        assert!(r.stdout.contains(file), "{file}: {}", r.stdout);
    }
    // --check stays without the password: CI checks a clone that has none.
    let r = render_in(dir.path(), &["--out", ".", "--check"], None);
    r.code(0);
}

/// A scenario's files hold its own password only: after a switch from a single server to
/// Kubernetes, the single server's `.env` is a leftover the Kubernetes render does not write,
/// so the next plain render keeps the Secret's password instead of putting the old server's
/// into it (applying that Secret would change the cluster's password).
#[test]
fn a_previous_scenarios_env_never_feeds_the_kubernetes_secret() {
    let (dir, r) = fresh(&["--scenario", "single-server"], Some(PW));
    r.code(0);
    assert_eq!(env_password(dir.path()).as_deref(), Some(PW));
    // A `.env` the operator takes over (`--emit -env`) is still the single server's own.
    let r = render_in(dir.path(), &["--out", ".", "--emit=-env"], None);
    r.code(0);
    assert!(
        r.stdout.contains("kept the password of .env"),
        "{}",
        r.stdout
    );
    let secrets_conf = read(&dir.path().join("redis-secrets.conf"));
    assert!(secrets_conf.contains(PW), "the server keeps its password");
    render_in(
        dir.path(),
        &["--out", ".", "--emit=env,redis-conf,host-limits"],
        None,
    )
    .code(0);
    let k8s = [
        "--out",
        ".",
        "--scenario",
        "kubernetes-sentinel",
        "--release",
        "chatwoot",
        "--namespace",
        "chatwoot",
        "--generate-password",
    ];
    render_in(dir.path(), &k8s, None).code(0);
    let secret = dir.path().join("redis-secret.yaml");
    let switched = read(&secret);
    assert!(!switched.contains(PW), "{switched}");
    assert_eq!(
        env_password(dir.path()).as_deref(),
        Some(PW),
        "the leftover"
    );

    let r = render_in(dir.path(), &["--out", "."], None);
    r.code(0);
    assert_eq!(
        read(&secret),
        switched,
        "the next render changed the Secret"
    );
    assert!(
        !r.stdout.contains("kept the password of .env") && !r.stdout.contains("updated ./"),
        "{}",
        r.stdout
    );
    // The single server's own files are reported as leftovers; once removed as the note
    // says, the committed set is current.
    for leftover in [
        "redis.conf",
        "redis-secrets.conf",
        "chatwoot-redis.service.conf",
        "chatwoot-redis.sysctl.conf",
    ] {
        assert!(
            r.stdout.contains(&format!("rm ./{leftover}")),
            "{leftover}: {}",
            r.stdout
        );
        std::fs::remove_file(dir.path().join(leftover)).expect("remove the leftover");
    }
    render_in(dir.path(), &["--out", ".", "--check"], None).code(0);
}

/// Item 7: reader endpoints are refused (every write would hit a replica), node endpoints are
/// warned about, and the script's replication group id is right for every endpoint shape.
#[test]
fn elasticache_endpoints_that_take_writes() {
    for reader in [
        "replica.chatwoot.abc123.use1.cache.amazonaws.com",
        "chatwoot-ro.abc123.ng.0001.use1.cache.amazonaws.com",
    ] {
        let (dir, r) = fresh(&["--scenario", "elasticache", "--host", reader], Some(PW));
        r.code(2);
        assert!(
            r.stderr.contains("--host")
                && r.stderr.contains("READONLY")
                && r.stderr.contains("fix"),
            "{reader}: {}",
            r.stderr
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
    for (host, node) in [
        ("master.chatwoot.abc123.use1.cache.amazonaws.com", false),
        ("chatwoot.abc123.ng.0001.use1.cache.amazonaws.com", false),
        ("chatwoot-001.abc123.0001.use1.cache.amazonaws.com", true),
        ("chatwoot-002.abc123.0001.use1.cache.amazonaws.com", true),
    ] {
        let (dir, r) = fresh(&["--scenario", "elasticache", "--host", host], Some(PW));
        r.code(0);
        assert_eq!(
            r.stdout.contains("is one node of chatwoot") && r.stdout.contains("READONLY"),
            node,
            "{host}: {}",
            r.stdout
        );
        let script = read(&dir.path().join("redis-settings.sh"));
        assert!(
            script.contains("REPLICATION_GROUP_ID=\"${REPLICATION_GROUP_ID:-chatwoot}\""),
            "{host}:\n{script}"
        );
    }
}

/// Item 3: a Heroku credential rotation (host, port and password change together in
/// REDIS_URL) reaches .env whole: nothing of the old endpoint survives.
#[test]
fn a_heroku_rotation_replaces_host_port_and_password_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let heroku = |url: &str| {
        Cmd::new()
            .current_dir(dir.path())
            .args([
                "render",
                "--out",
                ".",
                "--scenario",
                "heroku",
                "--max-connections",
                "400",
            ])
            .env("CHATWOOT_REDIS_URL", url)
            .run()
    };
    heroku("rediss://:Old0Password0abcdefgh@ec2-3-91-10-20.compute-1.amazonaws.com:12345").code(0);
    let r = heroku("rediss://:New0Password0abcdefgh@ec2-54-1-2-3.compute-1.amazonaws.com:23456");
    r.code(0);
    let env = read(&dir.path().join(".env"));
    let url = env_value(&env, "REDIS_URL").expect("REDIS_URL");
    assert!(
        url.contains("New0Password0abcdefgh@ec2-54-1-2-3.compute-1.amazonaws.com:23456"),
        "the rotated URL whole: {url}"
    );
    assert!(
        !env.contains("Old0Password") && !env.contains("12345"),
        "{env}"
    );
    let saved = read(&dir.path().join("chatwoot-redis.yaml"));
    assert!(!saved.contains("Password"), "no secret saved: {saved}");
}

/// Item 9: in a fresh clone (the answers file and the public files, no .env, no password)
/// a changed answer regenerates the committed files; nothing leaves a trap in the answers file.
#[test]
fn a_fresh_clone_regenerates_the_committed_files_without_the_password() {
    let server = tempfile::tempdir().expect("server");
    render_in(
        server.path(),
        &["--out", ".", "--scenario", "docker-compose"],
        Some(PW),
    )
    .code(0);
    let clone = tempfile::tempdir().expect("clone");
    for f in [
        "chatwoot-redis.yaml",
        "redis.conf",
        "docker-compose.redis.yaml",
    ] {
        std::fs::copy(server.path().join(f), clone.path().join(f)).expect("copy");
    }
    let r = render_in(clone.path(), &["--out", ".", "--maxmemory", "2gb"], None);
    r.code(0);
    assert!(r.stdout.contains("no password here"), "{}", r.stdout);
    assert!(read(&clone.path().join("redis.conf")).contains("maxmemory 2gb"));
    assert!(!clone.path().join(".env").exists());
    let saved = read(&clone.path().join("chatwoot-redis.yaml"));
    assert!(
        saved.contains("maxmemory: \"2gb\"\n") && !saved.contains("emit"),
        "{saved}"
    );
    render_in(clone.path(), &["--out", ".", "--check"], None).code(0);

    // Back on the server: the committed answers and the kept password update .env too.
    std::fs::copy(
        clone.path().join("chatwoot-redis.yaml"),
        server.path().join("chatwoot-redis.yaml"),
    )
    .expect("pull");
    render_in(server.path(), &["--out", "."], None).code(0);
    assert_eq!(env_password(server.path()).as_deref(), Some(PW));
    assert!(read(&server.path().join("redis.conf")).contains("maxmemory 2gb"));

    // A generated password that no output would hold is refused, not saved as a trap.
    let r = render_in(
        clone.path(),
        &["--out", ".", "--emit", "-env", "--generate-password"],
        None,
    );
    r.code(2);
    assert!(r.stderr.contains("--generate-password"), "{}", r.stderr);
    assert!(!read(&clone.path().join("chatwoot-redis.yaml")).contains("emit"));
}

/// Item 12: messages name the flag or the file and a fix, in the promised form.
#[test]
fn messages_name_what_is_wrong_and_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = render_in(dir.path(), &["--check", "--out", "typo/"], None);
    r.code(2);
    assert!(
        r.stderr
            .contains("there is no chatwoot-redis.yaml there (typo/chatwoot-redis.yaml)")
            && r.stderr.contains("give --out the directory that holds it"),
        "{}",
        r.stderr
    );
    let r = render_in(dir.path(), &["--out", ".", "--scenario", "heroku"], None);
    r.code(2);
    let first = r
        .stderr
        .lines()
        .find(|l| l.contains("heroku config:get"))
        .unwrap_or_default();
    assert!(
        first
            .trim_start()
            .trim_start_matches("- ")
            .starts_with("CHATWOOT_REDIS_URL=\"$(heroku config:get REDIS_URL"),
        "{}",
        r.stderr
    );
    let r = render_in(
        dir.path(),
        &[
            "--out",
            ".",
            "--scenario",
            "docker-compose",
            "--password-file",
            "/nonexistent",
        ],
        None,
    );
    r.code(2);
    assert!(
        r.stderr.contains("--password-file") && r.stderr.contains("fix:"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
}

/// The files of a directory that hold `secret`.
fn holders(dir: &Path, secret: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(secret)))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A lifecycle per scenario: render → change one answer → render → rotate the password →
/// render → switch scenario → render, checking at each step the saved answers, where the
/// password is (what Chatwoot and Redis read) and that `--check` agrees.
#[test]
fn every_scenario_lives_through_change_rotation_and_switch() {
    for scenario in crate::common::SCENARIOS {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(
            crate::common::example_answers(scenario),
            dir.path().join("chatwoot-redis.yaml"),
        )
        .expect("copy the example answers");
        let heroku_url =
            |pw: &str| format!("rediss://:{pw}@ec2-3-91-10-20.compute-1.amazonaws.com:12345");
        let step = |args: &[&str], pw: Option<&str>| {
            let mut cmd = Cmd::new()
                .current_dir(dir.path())
                .args(["render", "--out", "."])
                .args(args);
            if let Some(pw) = pw {
                cmd = if scenario == "heroku" {
                    cmd.env("CHATWOOT_REDIS_URL", heroku_url(pw))
                } else {
                    cmd.env("REDIS_PASSWORD", pw)
                };
            } else if scenario == "heroku" {
                cmd = cmd.env("CHATWOOT_REDIS_URL", heroku_url(PW_OLD));
            }
            cmd.run()
        };
        const PW_OLD: &str = "First0Password0Alnum0abcdefghijkl";
        const PW_NEW: &str = "Second0Password0Alnum0abcdefghijk";
        step(&[], Some(PW_OLD)).code(0);
        let first = holders(dir.path(), PW_OLD);
        assert!(!first.is_empty(), "{scenario}: the password is written");
        assert!(
            !first.contains(&"chatwoot-redis.yaml".to_string()),
            "{scenario}"
        );

        // Change one answer: saved, honoured, the password kept.
        step(&["--web-processes", "3"], None).code(0);
        let saved = read(&dir.path().join("chatwoot-redis.yaml"));
        assert!(saved.contains("web-processes: 3\n"), "{scenario}: {saved}");
        assert_eq!(holders(dir.path(), PW_OLD), first, "{scenario}: kept");
        let check = if scenario == "heroku" {
            step(&["--check"], Some(PW_OLD))
        } else {
            step(&["--check"], None)
        };
        check.code(0);

        // Rotate: the new password everywhere the old one was, the old one nowhere.
        step(&[], Some(PW_NEW)).code(0);
        assert_eq!(holders(dir.path(), PW_NEW), first, "{scenario}: rotated");
        assert!(
            holders(dir.path(), PW_OLD).is_empty(),
            "{scenario}: old gone"
        );

        // Switch: the old deployment's password is not reused; the workload stays.
        let target = if scenario == "docker-compose" {
            "single-server"
        } else {
            "docker-compose"
        };
        if dir.path().join(".env").exists() {
            let r = Cmd::new()
                .current_dir(dir.path())
                .args(["render", "--out", ".", "--scenario", target])
                .run();
            r.code(2);
            assert!(r.stderr.contains("not reused"), "{scenario}: {}", r.stderr);
        }
        let third = "Third0Password0Alnum0abcdefghijklm";
        let r = Cmd::new()
            .current_dir(dir.path())
            .args(["render", "--out", ".", "--scenario", target])
            .env("REDIS_PASSWORD", third)
            .run();
        r.code(0);
        let saved = read(&dir.path().join("chatwoot-redis.yaml"));
        assert!(
            saved.contains(&format!("scenario: {target}\n"))
                && saved.contains("web-processes: 3\n"),
            "{scenario} → {target}: {saved}"
        );
        let env = read(&dir.path().join(".env"));
        assert_eq!(
            env_value(&env, "REDIS_PASSWORD").as_deref(),
            Some(third),
            "{scenario}"
        );
        assert!(
            !env.contains(PW_NEW),
            "{scenario}: the old password left .env"
        );
        // Files only the previous scenario had are reported by --check, nothing else: the
        // target's own set, rendered from the same answers into an empty directory, tells
        // which those are.
        let fresh = tempfile::tempdir().expect("tempdir");
        Cmd::new()
            .args(["render", "--out"])
            .arg(fresh.path())
            .arg("--answers")
            .arg(dir.path().join("chatwoot-redis.yaml"))
            .env("REDIS_PASSWORD", third)
            .run()
            .code(0);
        let names = |d: &std::path::Path| -> std::collections::BTreeSet<String> {
            std::fs::read_dir(d)
                .expect("dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        };
        let leftovers: Vec<String> = names(dir.path())
            .difference(&names(fresh.path()))
            .cloned()
            .collect();
        let check = Cmd::new()
            .current_dir(dir.path())
            .args(["render", "--out", ".", "--check"])
            .run();
        let shown = format!(
            "{scenario} → {target}, leftovers {leftovers:?}:\n{}",
            check.stdout
        );
        let skipped = check
            .stdout
            .lines()
            .find(|l| l.starts_with("skipped (secret files"))
            .unwrap_or_default();
        let unexpected: Vec<&str> = leftovers
            .iter()
            .map(String::as_str)
            .filter(|name| !skipped.contains(&format!("./{name}")))
            .collect();
        if scenario == "single-server" {
            // The systemd drop-in has no place in a Compose deployment.
            assert!(
                unexpected.contains(&"chatwoot-redis.service.conf"),
                "{shown}"
            );
        }
        for name in &unexpected {
            assert!(
                check
                    .stdout
                    .contains(&format!("./{name}: unexpected (not part of this set)")),
                "{shown}"
            );
        }
        let file_lines: Vec<&str> = check
            .stdout
            .lines()
            .filter(|l| l.starts_with("./"))
            .collect();
        assert_eq!(file_lines.len(), unexpected.len(), "{shown}");
        // Every rendered file is current: the fix is removing the leftovers, not a render.
        assert!(
            !check.stdout.contains("fix: chatwoot-redis render"),
            "{shown}"
        );
        let fixes = check
            .stdout
            .lines()
            .filter(|l| l.starts_with("fix: "))
            .count();
        assert_eq!(fixes, unexpected.len(), "{shown}");
        for name in &unexpected {
            assert!(
                check.stdout.contains(&format!("fix: rm ./{name}\n")),
                "{shown}"
            );
        }
        if unexpected.is_empty() {
            assert!(check.stdout.contains("ok: "), "{shown}");
        }
        check.code(if unexpected.is_empty() { 0 } else { 1 });
    }
}
