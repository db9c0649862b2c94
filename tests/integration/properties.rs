//! Property tests with hostile values: every generated password, host or name is either refused
//! (exit 2, a message, nothing written) or reaches the real consumers exactly as given.
//!
//! Values come from a fixed-seed proptest runner (the same corpus on every run), are rendered
//! one process each, and the consumers are then run in batches: one Ruby process for every
//! `.env`, a real redis-server for a subset of single-server configs, Compose for a subset of
//! Compose overrides.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::common::*;

/// Pieces that break some reader: env files, YAML, URLs, redis.conf, shells.
pub(crate) const FRAGMENTS: &[&str] = &[
    "\n", "'", "\"", "$", "$(x)", "${HOME}", "#", " #", ":", "@", "/", "+", "%", "%41", " ", "\t",
    "yes", "no", "null", "~", "on", "off", "true", "0777", "0x1A", "a: b", "é", "漢", "\\", "`id`",
    "!", "&", "*", "-", "=", ",", "[", "{", " ~* ", "\r",
];

/// Whole values YAML or a shell reads as something else.
const WHOLE: &[&str] = &[
    "yes", "no", "null", "~", "on", "off", "true", "0777", "0x1A", "1e5", "a: b", "redis",
];

fn hostile_piece() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[A-Za-z0-9]{1,8}",
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
    ]
    .boxed()
}

/// A hostile value: a whole YAML word, or a few pieces glued together.
pub(crate) fn hostile_value() -> BoxedStrategy<String> {
    prop_oneof![
        1 => prop::sample::select(WHOLE).prop_map(str::to_string),
        6 => prop::collection::vec(hostile_piece(), 1..6).prop_map(|v| v.concat()),
    ]
    .boxed()
}

/// A name-like value: mostly valid names, some hostile.
pub(crate) fn name_value() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        3 => "[a-z0-9]{1,6}",
        2 => "[A-Za-z0-9._-]{1,6}",
        2 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
    ];
    prop_oneof![
        1 => prop::sample::select(WHOLE).prop_map(str::to_string),
        5 => prop::collection::vec(piece, 1..4).prop_map(|v| v.concat()),
    ]
    .boxed()
}

/// `n` values from a fixed seed: the corpus is the same on every run.
pub(crate) fn generate(strategy: BoxedStrategy<String>, n: usize) -> Vec<String> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("value").current())
        .collect()
}

/// A 1 KiB value built from the fragments (and one of plain letters).
pub(crate) fn kib(hostile: bool) -> String {
    let mut s = String::from("K");
    let mut i = 0;
    while s.len() < 1024 {
        if hostile {
            s.push_str(FRAGMENTS[i % FRAGMENTS.len()].trim_matches(['\n', '\r']));
        } else {
            s.push_str("a1B2");
        }
        i += 1;
    }
    s
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `render --out DIR` with `password` in REDIS_PASSWORD; checks the refusal contract itself.
fn render(dir: &Path, args: &[&str], password: Option<&str>, what: &str) -> Outcome {
    let mut cmd = render_cmd(dir, args, password);
    let (code, stdout, stderr) = run(&mut cmd);
    assert!(
        code == 0 || code == 2,
        "{what}: exit {code} (only 0 or 2 are allowed)\n{stdout}\n{stderr}"
    );
    if code == 2 {
        assert!(
            stderr.starts_with("error: ") && stderr.trim().len() > 20,
            "{what}: refused without a message:\n{stderr}"
        );
        assert!(!dir.exists(), "{what}: refused but wrote {}", dir.display());
    }
    if let Some(p) = password.filter(|p| p.len() >= 16) {
        assert!(
            !stdout.contains(p) && !stderr.contains(p),
            "{what}: the password was printed:\n{stdout}\n{stderr}"
        );
    }
    Outcome {
        code,
        stdout,
        stderr,
    }
}

fn yaml(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} not written: {e}", path.display()));
    let v: yaml_serde::Value = yaml_serde::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}\n{text}", path.display()));
    serde_json::to_value(v).expect("JSON")
}

/// `render --check` in the directory, without flags or password: the answers file alone must
/// reproduce every public output.
fn assert_check_clean(dir: &Path, what: &str) {
    let o = render(dir, &["--check"], None, what);
    assert_eq!(
        o.code, 0,
        "{what}: the answers file does not reproduce the outputs:\n{}\n{}",
        o.stdout, o.stderr
    );
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Target {
    Single { acl: bool },
    Elasticache,
    Heroku,
    Digitalocean,
    Compose,
    Kubernetes,
}

struct Accepted {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    password: String,
    target: Target,
    port: u16,
}

fn render_password(password: &str, target: Target) -> Option<Accepted> {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("out");
    let d = dir.to_str().expect("utf-8 path").to_string();
    let port = free_port();
    let port_s = port.to_string();
    let mut args: Vec<&str> = match target {
        Target::Single { .. } => vec![
            "--scenario",
            "single-server",
            "--config-dir",
            &d,
            "--data-dir",
            &d,
            "--port",
            &port_s,
            "--maxmemory",
            "64mb",
            "--redis-version",
            "7.0",
        ],
        Target::Elasticache => vec![
            "--scenario",
            "elasticache",
            "--host",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "--emit",
            "+helm",
        ],
        Target::Heroku => vec![
            "--scenario",
            "heroku",
            "--host",
            "ec2-3-1-2-3.compute-1.amazonaws.com",
            "--port",
            "12345",
        ],
        Target::Digitalocean => vec![
            "--scenario",
            "digitalocean",
            "--host",
            "db-valkey-do-user-1-0.b.db.ondigitalocean.com",
        ],
        Target::Compose => vec!["--scenario", "docker-compose"],
        Target::Kubernetes => vec!["--scenario", "kubernetes-sentinel"],
    };
    if target == (Target::Single { acl: true }) {
        args.extend(["--username", "chatwoot"]);
    }
    let what = format!("{target:?} password {password:?}");
    let o = render(&dir, &args, Some(password), &what);
    if o.code != 0 {
        assert!(
            o.stderr.contains("password") || o.stderr.contains("REDIS_PASSWORD"),
            "{what}: the refusal does not say the password is the problem:\n{}",
            o.stderr
        );
        return None;
    }
    // Secrets only in secret files; the answers file never holds the password.
    for public in [
        "chatwoot-redis.yaml",
        "redis.conf",
        "docker-compose.redis.yaml",
    ] {
        // (Shorter passwords are text any file may hold, e.g. "yes": not tracked as secrets.)
        if let Some(text) = std::fs::read_to_string(dir.join(public))
            .ok()
            .filter(|_| password.len() >= 4)
        {
            assert!(
                !text.contains(password),
                "{what}: password in {public}:\n{text}"
            );
        }
    }
    Some(Accepted {
        _tmp: tmp,
        dir,
        password: password.to_string(),
        target,
        port,
    })
}

#[test]
fn hostile_passwords_are_refused_or_reach_every_consumer_exactly() {
    // Hand-picked traps (YAML words and numbers, `$` and quotes that dotenv, Compose or
    // cable.yml change) and regressions first, then the generated corpus.
    let mut cases: Vec<(String, Target)> = vec![
        // Words of the generated files: refused as input (exit 2), not an internal error.
        ("redis".into(), Target::Single { acl: false }),
        ("chatwoot".into(), Target::Compose),
        // An ACL password containing the rule separator ` ~* ` must stay one argument.
        ("abc ~* def ghijklmnop".into(), Target::Single { acl: true }),
        ("yes".into(), Target::Single { acl: false }),
        ("~".into(), Target::Single { acl: false }),
        ("null".into(), Target::Single { acl: false }),
        ("0777".into(), Target::Single { acl: false }),
        ("0x1A".into(), Target::Single { acl: false }),
        ("a: b".into(), Target::Single { acl: false }),
        ("a #b".into(), Target::Single { acl: false }),
        // Blank to ActiveSupport's presence: must not become REDIS_PASSWORD (read as none).
        ("   ".into(), Target::Single { acl: false }),
        (" \t ".into(), Target::Single { acl: true }),
        (
            "é漢 $(x) #c'\"\\\t%41+".into(),
            Target::Single { acl: true },
        ),
        (kib(false), Target::Single { acl: false }),
        (kib(true), Target::Single { acl: false }),
        (kib(true), Target::Single { acl: true }),
        ("Compose$HOME#x(y)&z".into(), Target::Compose),
        ("a$(echo X)b".into(), Target::Compose),
        ("p#1!&*^<>=%@/?;()".into(), Target::Compose),
        ("yes".into(), Target::Compose),
        ("Pa$$word$1".into(), Target::Compose),
        ("u%41v#w@x/y=z".into(), Target::Compose),
        ("Token$with#sym!&^<>-1".into(), Target::Elasticache),
        ("Token0777#0x1A$(x)".into(), Target::Elasticache),
        ("Helm$pw#x&y*z(1)".into(), Target::Kubernetes),
        ("0777".into(), Target::Kubernetes),
        ("p+w/=x y:z@é'\"".into(), Target::Heroku),
        ("AVNS_x'y\"z $(id)".into(), Target::Digitalocean),
    ];
    let targets = [
        Target::Single { acl: false },
        Target::Single { acl: false },
        Target::Single { acl: true },
        Target::Compose,
        Target::Elasticache,
        Target::Heroku,
        Target::Digitalocean,
        Target::Kubernetes,
    ];
    for (i, pw) in generate(hostile_value(), 56).into_iter().enumerate() {
        cases.push((pw, targets[i % targets.len()]));
    }

    let mut accepted = Vec::new();
    let mut refused = 0;
    for (pw, target) in &cases {
        match render_password(pw, *target) {
            Some(a) => accepted.push(a),
            None => refused += 1,
        }
    }
    for t in [Target::Elasticache, Target::Kubernetes, Target::Heroku] {
        assert!(
            accepted.iter().any(|a| a.target == t),
            "no {t:?} case was accepted"
        );
    }
    eprintln!(
        "{} accepted ({} single-server, {} compose), {refused} refused",
        accepted.len(),
        accepted
            .iter()
            .filter(|a| matches!(a.target, Target::Single { .. }))
            .count(),
        accepted
            .iter()
            .filter(|a| a.target == Target::Compose)
            .count()
    );
    assert!(
        accepted.len() >= 20 && refused >= 10,
        "the corpus should exercise both outcomes: {} accepted, {refused} refused",
        accepted.len()
    );

    // Chatwoot's readers: dotenv, the redis client (REDIS_PASSWORD or the URL's password),
    // and ActionCable's cable.yml (ERB + YAML load).
    // The directory alone reproduces itself: the answers file gives every answer and the
    // password is read back from the existing .env, so nothing changes.
    for a in accepted.iter().filter(|a| a.target != Target::Kubernetes) {
        let what = format!(
            "{:?} {:?} re-rendered without a password",
            a.target, a.password
        );
        let before = std::fs::read(a.dir.join(".env")).expect(".env");
        let o = render(&a.dir, &[], None, &what);
        assert_eq!(o.code, 0, "{what}:\n{}\n{}", o.stdout, o.stderr);
        assert!(
            o.stdout.contains("nothing to write"),
            "{what}: files would change:\n{}",
            o.stdout
        );
        assert_eq!(
            std::fs::read(a.dir.join(".env")).expect(".env"),
            before,
            "{what}"
        );
    }

    // Helm: the bundled chart's Secret holds the password itself.
    for a in accepted.iter().filter(|a| a.target == Target::Kubernetes) {
        let secret = yaml(&a.dir.join("redis-secret.yaml"));
        assert_eq!(
            secret["stringData"]["redis-password"], a.password,
            "{:?}: the Kubernetes Secret holds another password",
            a.password
        );
    }
    let with_env: Vec<&Accepted> = accepted
        .iter()
        .filter(|a| a.target != Target::Kubernetes)
        .collect();
    let dirs: Vec<&Path> = with_env.iter().map(|a| a.dir.as_path()).collect();
    for (a, got) in with_env.iter().zip(chatwoot_reads_dirs(&dirs)) {
        if a.target == Target::Elasticache {
            // The chart's existingEnvSecret carries the same variables as the .env.
            let secret = yaml(&a.dir.join("redis-secret.yaml"));
            for key in ["REDIS_URL", "REDIS_PASSWORD"] {
                assert_eq!(
                    secret["stringData"][key], got["env"][key],
                    "{:?}: {key} differs between the Secret and the .env",
                    a.password
                );
            }
        }
        assert_eq!(
            got["client_password"], a.password,
            "{:?} {:?}: the redis client reads another password: {got}",
            a.target, a.password
        );
        assert_eq!(
            got["cable_password"], a.password,
            "{:?} {:?}: ActionCable reads another password: {got}",
            a.target, a.password
        );
        if a.target == (Target::Single { acl: true }) {
            assert_eq!(got["client_user"], "chatwoot", "{got}");
        }
    }

    // A real redis-server starts with the generated config and accepts the exact password.
    let mut started = 0;
    for a in accepted
        .iter()
        .filter(|a| matches!(a.target, Target::Single { .. }))
        .take(16)
    {
        let conf = a.dir.join("redis.conf");
        let user = (a.target == Target::Single { acl: true }).then_some("chatwoot");
        let _server = start_redis_as(
            &[conf.to_str().expect("path")],
            a.port,
            user,
            Some(&a.password),
            &a.dir.join("server.log"),
        );
        let mut args = vec![];
        if let Some(u) = user {
            args.extend(["--user", u]);
        }
        args.extend(["SET", "k", "v"]);
        let reply = redis_cli(a.port, Some(&a.password), &args).expect("redis-cli");
        assert_eq!(reply.trim(), "OK", "{:?}: {reply}", a.password);
        let wrong = format!("{}x", a.password);
        // A refusal from the server, not a failed redis-cli.
        let denied = redis_cli(a.port, Some(&wrong), &args).expect("redis-cli reached the server");
        assert!(
            (denied.contains("WRONGPASS") || denied.contains("NOAUTH")) && !denied.contains("OK"),
            "{:?}: a wrong password was accepted",
            a.password
        );
        started += 1;
    }
    assert!(
        started >= 8,
        "only {started} single-server configs were started"
    );

    // Compose v2 with Chatwoot's production file gives the container the exact password.
    let compose = require("docker-compose");
    let mut composed = 0;
    for a in accepted
        .iter()
        .filter(|a| a.target == Target::Compose)
        .take(8)
    {
        let (code, out, err) = run(Command::new(&compose)
            .arg("--project-directory")
            .arg(&a.dir)
            .arg("-f")
            .arg(reference("chatwoot/docker-compose.production.yaml"))
            .arg("-f")
            .arg(a.dir.join("docker-compose.redis.yaml"))
            .args(["config", "--format", "json"])
            .env_remove("REDIS_PASSWORD"));
        assert_eq!(code, 0, "{:?}: compose refused:\n{err}", a.password);
        let cfg: serde_json::Value = serde_json::from_str(&out).expect("compose JSON");
        for service in ["redis", "rails", "sidekiq"] {
            // `config` prints `$` escaped as `$$`; the container receives a single `$`.
            let got = cfg["services"][service]["environment"]["REDIS_PASSWORD"]
                .as_str()
                .map(|v| v.replace("$$", "$"));
            assert_eq!(
                got.as_deref(),
                Some(a.password.as_str()),
                "{:?}: compose gives {service} another password",
                a.password
            );
        }
        composed += 1;
    }
    assert!(composed >= 3, "only {composed} Compose cases were accepted");
}

#[derive(Clone, Copy, Debug)]
enum Field {
    Host,
    SentinelMaster,
    Release,
    Namespace,
    Username,
}

#[test]
fn hostile_hosts_and_names_are_refused_or_appear_verbatim() {
    let pw = "Names0Test0Password0abcdefgh";
    let fields = [
        Field::Host,
        Field::SentinelMaster,
        Field::Release,
        Field::Namespace,
        Field::Username,
    ];
    let mut cases: Vec<(Field, String)> = Vec::new();
    for f in fields {
        for v in [
            "0777",
            "1e5",
            "true",
            "null",
            "yes",
            "a b",
            "a\nb",
            "é",
            "漢",
            "a#b",
            "::1",
            "fe80::1",
            "Upper.Case",
            "a$(x)",
            "-x",
        ] {
            cases.push((f, v.to_string()));
        }
    }
    for (i, v) in generate(name_value(), 100).into_iter().enumerate() {
        cases.push((fields[i % fields.len()], v));
    }

    let mut accepted: Vec<(Field, String, tempfile::TempDir)> = Vec::new();
    for (field, value) in cases {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("out");
        let (flag, mut args) = match field {
            Field::Host => (
                "--host",
                vec!["--scenario", "memorystore", "--emit", "+helm"],
            ),
            Field::SentinelMaster => (
                "--sentinel-master",
                vec!["--scenario", "kubernetes-sentinel"],
            ),
            Field::Release => ("--release", vec!["--scenario", "kubernetes-sentinel"]),
            Field::Namespace => ("--namespace", vec!["--scenario", "kubernetes-sentinel"]),
            Field::Username => ("--username", vec!["--scenario", "single-server"]),
        };
        // `--flag=value`, so values that start with `-` are values, not flags.
        let arg = format!("{flag}={value}");
        args.push(&arg);
        let what = format!("{flag} {value:?}");
        let o = render(&dir, &args, Some(pw), &what);
        if o.code == 2 {
            assert!(
                o.stderr.contains(flag) || o.stderr.contains("--host"),
                "{what}: the refusal does not name {flag}:\n{}",
                o.stderr
            );
            continue;
        }
        assert_check_clean(&dir, &what);
        // The answers file keeps the value as text.
        let answers = yaml(&dir.join("chatwoot-redis.yaml"));
        let key = flag.trim_start_matches("--");
        // As the tool reads it back: booleans and numbers as their text.
        let stored = match &answers[key] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            other => panic!("{what}: the answers file holds {other} for {key}"),
        };
        assert_eq!(stored, value, "{what}: answers file");
        match field {
            Field::Host => {
                let v = yaml(&dir.join("values.redis.yaml"));
                assert_eq!(v["redis"]["host"], value.as_str(), "{what}: Helm values");
            }
            Field::SentinelMaster => {
                let v = yaml(&dir.join("values.redis.yaml"));
                assert_eq!(
                    v["redis"]["sentinel"]["masterSet"],
                    value.as_str(),
                    "{what}: Helm values"
                );
            }
            Field::Release => {
                let v = yaml(&dir.join("values.redis.yaml"));
                let s = yaml(&dir.join("redis-secret.yaml"));
                assert_eq!(v["redis"]["existingSecret"], format!("{value}-redis-auth"));
                assert_eq!(s["metadata"]["name"], format!("{value}-redis-auth"));
            }
            Field::Namespace => {
                let s = yaml(&dir.join("redis-secret.yaml"));
                assert_eq!(s["metadata"]["namespace"], value.as_str(), "{what}: Secret");
            }
            Field::Username => {}
        }
        accepted.push((field, value, tmp));
    }
    assert!(accepted.len() >= 30, "only {} accepted", accepted.len());

    // Chatwoot's dotenv and URI parsing see the host and the user name as given.
    let env_cases: Vec<&(Field, String, tempfile::TempDir)> = accepted
        .iter()
        .filter(|(f, _, _)| matches!(f, Field::Host | Field::Username))
        .collect();
    let dirs: Vec<PathBuf> = env_cases
        .iter()
        .map(|(_, _, t)| t.path().join("out"))
        .collect();
    let dir_refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    for ((field, value, _), got) in env_cases.iter().zip(chatwoot_reads_dirs(&dir_refs)) {
        assert_eq!(got["client_password"], pw, "{field:?} {value:?}: {got}");
        match field {
            Field::Host => {
                let url = got["env"]["REDIS_URL"].as_str().expect("REDIS_URL");
                let host = url::Url::parse(url)
                    .expect("URL")
                    .host_str()
                    .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string());
                assert!(
                    host.as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(value)),
                    "{value:?}: REDIS_URL {url}"
                );
            }
            _ => assert_eq!(got["client_user"], value.as_str(), "{got}"),
        }
    }
}

#[test]
fn hostile_sentinel_passwords_are_refused_or_read_back_exactly() {
    let mut values: Vec<String> = vec!["redis".into(), "x$(y) #z".into(), "a\\b\"c".into()];
    values.extend(generate(hostile_value(), 20));
    let mut accepted = Vec::new();
    for sp in values {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("out");
        let what = format!("sentinel password {sp:?}");
        let mut cmd = bin();
        cmd.arg("render")
            .arg("--out")
            .arg(&dir)
            .args(SEPARATE_SENTINEL_AUTH)
            .env("REDIS_PASSWORD", "Sentinel0Redis0Password0abc")
            .env("REDIS_SENTINEL_PASSWORD", &sp);
        let (code, out, err) = run(&mut cmd);
        assert!(code == 0 || code == 2, "{what}: exit {code}\n{out}\n{err}");
        if sp.len() >= 16 {
            assert!(!out.contains(&sp) && !err.contains(&sp), "{what}: printed");
        }
        if code == 2 {
            assert!(err.contains("REDIS_SENTINEL_PASSWORD"), "{what}: {err}");
            assert!(!dir.exists(), "{what}: refused but wrote files");
            continue;
        }
        let secret = yaml(&dir.join("redis-secret.yaml"));
        assert_eq!(
            secret["stringData"]["REDIS_SENTINEL_PASSWORD"],
            sp.as_str(),
            "{what}: Secret"
        );
        accepted.push((sp, tmp));
    }
    assert!(accepted.len() >= 5, "only {} accepted", accepted.len());
    let dirs: Vec<PathBuf> = accepted.iter().map(|(_, t)| t.path().join("out")).collect();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    for ((sp, _), got) in accepted.iter().zip(chatwoot_reads_dirs(&refs)) {
        assert_eq!(
            got["env"]["REDIS_SENTINEL_PASSWORD"],
            sp.as_str(),
            "dotenv reads another sentinel password: {got}"
        );
        assert_eq!(got["client_password"], "Sentinel0Redis0Password0abc");
    }
}
