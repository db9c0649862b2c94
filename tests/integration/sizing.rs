//! The connection budget and the host limits with their real consumers: one cap rule in every
//! scenario, systemd-analyze on the drop-in, the kernel's parameter list for the sysctl file,
//! a real redis-server under a low fd limit for doctor, Compose v2 for ulimits and mem_limit.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{bin, free_port, reference, render_cmd, require, run};

const PW: &str = "Sizing0Password0Alnum0Only0abcdefgh";

/// Each scenario's endpoint answers (the plan cap applies to every one of them).
const ENDPOINTS: &[(&str, &[&str])] = &[
    ("single-server", &[]),
    ("docker-compose", &[]),
    (
        "elasticache",
        &["--host", "master.chatwoot.abc123.use1.cache.amazonaws.com"],
    ),
    ("azure", &["--host", "chatwoot.westeurope.redis.azure.net"]),
    ("memorystore", &["--host", "10.0.0.3", "--tls"]),
    (
        "heroku",
        &[
            "--host",
            "ec2-3-91-10-20.compute-1.amazonaws.com",
            "--port",
            "12345",
        ],
    ),
    (
        "digitalocean",
        &[
            "--host",
            "chatwoot-valkey-do-user-1234567-0.b.db.ondigitalocean.com",
        ],
    ),
];

fn render_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(&mut render_cmd(dir, args, Some(PW)))
}

/// The smallest Chatwoot against a Heroku mini cap of 20: reachable 22 is over it in every
/// scenario (exit 2, the knobs named); without sidekiq_alive it reaches 20, a warning
/// everywhere; the .env then turns sidekiq_alive off.
#[test]
fn a_mini_plan_cap_gets_the_same_verdict_in_every_scenario() {
    let smallest = [
        "--web-threads",
        "1",
        "--sidekiq-concurrency",
        "1",
        "--max-connections",
        "20",
    ];
    for (scenario, endpoint) in ENDPOINTS {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let mut args = vec!["--scenario", scenario];
        args.extend_from_slice(endpoint);
        args.extend_from_slice(&smallest);
        let (code, _, err) = render_in(&out, &args);
        assert_eq!(code, 2, "{scenario}: {err}");
        assert!(err.contains("can use 22"), "{scenario}: {err}");
        assert!(
            err.contains("--disable-sidekiq-alive (SIDEKIQ_ALIVE_CONCURRENCY=2"),
            "{scenario}: {err}"
        );
        assert!(err.contains("RAILS_MAX_THREADS=1"), "{scenario}: {err}");
        assert!(!out.exists(), "{scenario}: refused, yet wrote");

        args.push("--disable-sidekiq-alive");
        let (code, stdout, err) = render_in(&out, &args);
        let err = format!("{stdout}{err}");
        assert_eq!(code, 0, "{scenario}: {err}");
        assert!(
            err.contains("use at most 20") && err.contains("may open 41"),
            "{scenario}: {err}"
        );
        let env = std::fs::read_to_string(out.join(".env")).expect(".env");
        assert!(
            env.contains("DISABLE_SIDEKIQ_ALIVE=true\n"),
            "{scenario}: {env}"
        );
        assert!(
            !env.contains("SIDEKIQ_ALIVE_CONCURRENCY"),
            "{scenario}: {env}"
        );
        assert!(!env.contains("ENABLE_RACK_ATTACK"), "{scenario}: {env}");
        let answers = std::fs::read_to_string(out.join("chatwoot-redis.yaml")).expect("answers");
        assert!(answers.contains("disable-sidekiq-alive: true"), "{answers}");
    }
}

/// The wizard, unattended with the same answers, gives the same refusal.
#[test]
fn the_wizard_gives_the_same_verdict() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(bin()
        .args([
            "init",
            "--scenario",
            "heroku",
            "--host",
            "ec2-3-91-10-20.compute-1.amazonaws.com",
            "--port",
            "12345",
            "--web-threads",
            "1",
            "--sidekiq-concurrency",
            "1",
            "--max-connections",
            "20",
            "--out",
        ])
        .arg(tmp.path())
        .env("REDIS_PASSWORD", PW)
        .stdin(Stdio::null()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("can use 22"), "{err}");
}

/// Non-default sidekiq_alive and Rack::Attack answers reach .env and the Helm env.
#[test]
fn workload_switches_are_written_only_when_they_differ() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let (code, _, err) = render_in(
        &out,
        &[
            "--scenario",
            "elasticache",
            "--host",
            "master.chatwoot.abc123.use1.cache.amazonaws.com",
            "--emit",
            "+helm",
            "--sidekiq-alive-concurrency",
            "4",
            "--enable-rack-attack",
            "false",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let env = std::fs::read_to_string(out.join(".env")).expect(".env");
    assert!(env.contains("SIDEKIQ_ALIVE_CONCURRENCY=4\n"), "{env}");
    assert!(env.contains("ENABLE_RACK_ATTACK=false\n"), "{env}");
    assert!(!env.contains("DISABLE_SIDEKIQ_ALIVE"), "{env}");
    let values = std::fs::read_to_string(out.join("values.redis.yaml")).expect("values");
    assert!(values.contains("SIDEKIQ_ALIVE_CONCURRENCY"), "{values}");
    assert!(values.contains("ENABLE_RACK_ATTACK"), "{values}");
    // A value Chatwoot cannot read is refused with the field named.
    let (code, _, err) = render_in(
        &tmp.path().join("bad"),
        &[
            "--scenario",
            "single-server",
            "--enable-rack-attack",
            "maybe",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("enable-rack-attack"), "{err}");
}

fn render_single_server(dir: &Path, extra: &[&str]) {
    let mut args = vec!["--scenario", "single-server"];
    args.extend_from_slice(extra);
    let (code, _, err) = render_in(dir, &args);
    assert_eq!(code, 0, "{err}");
}

/// The drop-in next to Debian's own redis-server unit passes `systemd-analyze verify`; a
/// broken copy of it does not, so the drop-in is really read.
#[test]
fn systemd_drop_in_passes_systemd_analyze_verify() {
    let analyze = require("systemd-analyze");
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    render_single_server(&out, &[]);
    let dropin = std::fs::read_to_string(out.join("chatwoot-redis.service.conf")).expect("drop-in");
    assert!(dropin.contains("\nLimitNOFILE=65535\n"), "{dropin}");
    let verify = |text: &str| systemd_verify(&analyze, text);
    let (code, text) = verify(&dropin);
    assert!(
        code == 0 && !text.contains("chatwoot.conf"),
        "systemd-analyze verify: {code}\n{text}"
    );
    let (_, text) = verify(&dropin.replace("LimitNOFILE=65535", "LimitNOFILE=lots"));
    assert!(
        text.contains("chatwoot.conf"),
        "a broken drop-in went unnoticed: {text}"
    );
}

/// `systemd-analyze verify` of Debian's redis-server unit with `dropin` as its drop-in: the
/// exit code and what it printed.
fn systemd_verify(analyze: &Path, dropin: &str) -> (i32, String) {
    let debian_unit = Path::new("/lib/systemd/system/redis-server.service");
    assert!(
        debian_unit.is_file(),
        "Debian's redis-server package (its unit file) is required; scripts/test.sh installs it"
    );
    let units = tempfile::tempdir().expect("units");
    std::fs::copy(debian_unit, units.path().join("redis-server.service")).expect("unit");
    let d = units.path().join("redis-server.service.d");
    std::fs::create_dir(&d).expect("dir");
    std::fs::write(d.join("chatwoot.conf"), dropin).expect("drop-in");
    let (code, stdout, stderr) = run(Command::new(analyze)
        .arg("verify")
        .arg("--man=no")
        .arg(units.path().join("redis-server.service"))
        .env("SYSTEMD_UNIT_PATH", format!("{}:", units.path().display())));
    (code, format!("{stdout}{stderr}"))
}

/// The committed single-server example's drop-in and sysctl file are read by their
/// consumers too: systemd loads the drop-in, and every sysctl key is a kernel parameter.
#[test]
fn single_server_examples_load_in_systemd_and_name_kernel_parameters() {
    let analyze = require("systemd-analyze");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/single-server");
    let dropin = std::fs::read_to_string(example.join("chatwoot-redis.service.conf"))
        .expect("examples/single-server/chatwoot-redis.service.conf");
    assert!(dropin.contains("\nLimitNOFILE="), "{dropin}");
    let (code, text) = systemd_verify(&analyze, &dropin);
    assert!(
        code == 0 && !text.contains("chatwoot.conf"),
        "systemd-analyze verify: {code}\n{text}"
    );
    let sysctl = std::fs::read_to_string(example.join("chatwoot-redis.sysctl.conf"))
        .expect("examples/single-server/chatwoot-redis.sysctl.conf");
    assert_eq!(
        sysctl_keys(&sysctl),
        ["vm.overcommit_memory", "net.core.somaxconn"]
    );
}

/// The keys of a sysctl file, each checked to be a kernel parameter of this machine
/// (/proc/sys) with a value in its range.
fn sysctl_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let (key, value) = line.split_once('=').expect("key = value");
        let (key, value) = (key.trim(), value.trim());
        let proc = Path::new("/proc/sys").join(key.replace('.', "/"));
        assert!(
            proc.is_file(),
            "{key} is not a kernel parameter ({})",
            proc.display()
        );
        let n: u64 = value.parse().expect("numeric value");
        match key {
            "vm.overcommit_memory" => assert_eq!(n, 1),
            "net.core.somaxconn" => assert!(n >= 511, "below tcp-backlog 511"),
            other => panic!("unexpected key {other}"),
        }
        keys.push(key.to_string());
    }
    keys
}

/// Every key of the sysctl file is a kernel parameter of this machine (/proc/sys), with a
/// value in its range.
#[test]
fn sysctl_file_names_real_kernel_parameters() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    render_single_server(&out, &["--redis-version", "valkey-8"]);
    let text = std::fs::read_to_string(out.join("chatwoot-redis.sysctl.conf")).expect("sysctl");
    assert_eq!(
        sysctl_keys(&text),
        ["vm.overcommit_memory", "net.core.somaxconn"]
    );
    // Valkey: the unit, the paths and the drop-in follow the chosen server.
    let dropin = std::fs::read_to_string(out.join("chatwoot-redis.service.conf")).expect("drop-in");
    assert!(dropin.contains("/etc/systemd/system/valkey-server.service.d/chatwoot.conf"));
    let conf = std::fs::read_to_string(out.join("redis.conf")).expect("conf");
    assert!(
        conf.contains("pidfile /run/valkey/valkey-server.pid"),
        "{conf}"
    );
    assert!(
        conf.contains("include /etc/valkey/redis-secrets.conf"),
        "{conf}"
    );
}

/// A real redis-server whose fd limit is 256 cuts maxclients 1000 to 224: doctor reports the
/// configured and the effective value, and the fix raises the fd limit, not maxclients.
#[test]
fn doctor_sees_maxclients_lowered_by_the_fd_limit() {
    let server = require("redis-server");
    let tmp = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let conf = tmp.path().join("redis.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {}\nmaxclients 1000\n",
            tmp.path().display()
        ),
    )
    .expect("conf");
    let mut limited = Command::new("sh");
    limited
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$1\"")
        .arg(&server)
        .arg(&conf);
    let _guard = crate::servers::start_command(limited, port, None, None, &tmp.path().join("log"));
    let info = crate::common::redis_cli(port, None, &["INFO", "clients"]).expect("info");
    assert!(
        info.contains("maxclients:224"),
        "the server was not cut: {info}"
    );
    let env = tmp.path().join(".env");
    std::fs::write(&env, format!("REDIS_URL=redis://127.0.0.1:{port}\n")).expect("env");
    let (code, stdout, stderr) = run(bin()
        .args(["doctor", "--format", "json", "--env-file"])
        .arg(&env));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("doctor JSON: {e}\n{stdout}\n{stderr}");
    });
    let findings = report["findings"].as_array().expect("findings");
    let lowered = findings
        .iter()
        .find(|f| f["id"] == "maxclients-lowered")
        .unwrap_or_else(|| panic!("no maxclients-lowered: {stdout}"));
    assert_eq!(lowered["severity"], "error");
    assert_eq!(code, 1, "an error finding exits 1: {stdout}");
    assert_eq!(report["exit_code"], 1);
    let title = lowered["title"].as_str().unwrap_or_default();
    assert!(title.contains("224") && title.contains("1000"), "{title}");
    let fix = lowered["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains("LimitNOFILE=65535") && fix.contains("redis-server.service.d"),
        "{fix}"
    );
    assert!(fix.contains("maxclients alone does not help"), "{fix}");
}

/// Compose v2 merges the override's ulimits and mem_limit with Chatwoot's production file.
#[test]
fn compose_accepts_ulimits_and_the_memory_limit() {
    let compose = require("docker-compose");
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let (code, _, err) = render_in(
        &out,
        &["--scenario", "docker-compose", "--maxmemory", "2gb"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, stdout, stderr) = run(Command::new(&compose)
        .arg("--project-directory")
        .arg(&out)
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(out.join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(
        code, 0,
        "docker-compose config refused the override:\n{stderr}"
    );
    let cfg: serde_json::Value = serde_json::from_str(&stdout).expect("compose JSON");
    let redis = &cfg["services"]["redis"];
    assert_eq!(redis["ulimits"]["nofile"]["soft"], 65535, "{redis}");
    assert_eq!(redis["ulimits"]["nofile"]["hard"], 65535, "{redis}");
    // 2 GiB + 2 GiB for a fork + 256 MiB = 4352 MiB.
    assert!(
        redis["mem_limit"].to_string().trim_matches('"') == "4563402752",
        "{redis}"
    );
    // Upstream's services are kept.
    assert!(cfg["services"]["rails"].is_object());
}

/// The wizard's install steps put the host limits where the chosen server's unit reads them.
#[test]
fn install_steps_follow_the_chosen_server() {
    for (version, service, conf) in [
        ("7.0", "redis-server", "/etc/redis/redis.conf"),
        ("valkey-8", "valkey-server", "/etc/valkey/valkey.conf"),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        let (code, stdout, stderr) = run(bin()
            .args([
                "init",
                "--scenario",
                "single-server",
                "--redis-version",
                version,
                "--out",
            ])
            .arg(tmp.path())
            .env("CI", "1")
            .env("REDIS_PASSWORD", PW)
            .stdin(Stdio::null()));
        assert_eq!(code, 0, "{stderr}");
        let text = format!("{stdout}{stderr}");
        for needle in [
            format!("/etc/systemd/system/{service}.service.d/chatwoot.conf"),
            "/etc/sysctl.d/60-chatwoot-redis.conf && sudo sysctl --system".to_string(),
            "transparent_hugepage".to_string(),
            format!("sudo systemctl restart {service}"),
            conf.to_string(),
        ] {
            assert!(text.contains(&needle), "{version}: no {needle}:\n{text}");
        }
        let daemon_reload = text.find("daemon-reload").expect("daemon-reload");
        let restart = text
            .find(&format!("systemctl restart {service}"))
            .expect("restart");
        assert!(
            daemon_reload < restart,
            "the drop-in is loaded before the restart"
        );
    }
}
