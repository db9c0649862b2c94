//! The committed examples read by their consumers (the Helm and redis.conf examples are
//! checked in helm_chart.rs and real_servers.rs): the Compose example merged by Compose v2
//! with Chatwoot's production file, the provider scripts parsed by bash.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

#[test]
fn compose_example_merges_with_chatwoots_production_file() {
    let compose = require("docker-compose");
    let tmp = tempfile::tempdir().expect("tmp");
    let src = examples().join("docker-compose");
    let mut committed = Vec::new();
    for entry in std::fs::read_dir(&src).expect("dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).expect("copy");
        committed.push((
            entry.file_name(),
            std::fs::read(entry.path()).expect("read"),
        ));
    }
    // The example is a deployment directory: rendering in it adds only the secret .env.
    let pw = "Example0Compose0Password0abc";
    Cmd::new()
        .args(["render", "--out"])
        .arg(tmp.path())
        .env("REDIS_PASSWORD", pw)
        .run()
        .code(0);
    for (name, bytes) in &committed {
        assert!(
            std::fs::read(tmp.path().join(name)).expect("read") == *bytes,
            "rendering the example changed {name:?}: the example is stale"
        );
    }
    let (code, out, err) = run(Command::new(&compose)
        .arg("--project-directory")
        .arg(tmp.path())
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(tmp.path().join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"]));
    assert_eq!(code, 0, "Compose refused the example:\n{err}");
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("compose JSON");
    let redis = &cfg["services"]["redis"];
    assert_eq!(redis["environment"]["REDIS_PASSWORD"], pw, "{redis}");
    let command: Vec<&str> = redis["command"]
        .as_array()
        .expect("command")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    // `config` prints the model re-escaped ($$): the container's shell gets $REDIS_PASSWORD
    // and expands it; Compose never pastes the password into the command.
    assert!(
        command
            .iter()
            .any(|c| c.contains("--requirepass \"$$REDIS_PASSWORD\"") && !c.contains(pw)),
        "the shell expands the password, not Compose: {command:?}"
    );
    let conf_mount = redis["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["target"] == "/usr/local/etc/redis/redis.conf")
        .expect("redis.conf mounted");
    assert_eq!(
        Path::new(conf_mount["source"].as_str().expect("source")),
        tmp.path().join("redis.conf")
    );
    for service in ["rails", "sidekiq"] {
        assert_eq!(
            cfg["services"][service]["depends_on"]["redis"]["condition"], "service_healthy",
            "{service}"
        );
        assert_eq!(
            cfg["services"][service]["environment"]["REDIS_URL"], "redis://redis:6379",
            "{service}"
        );
    }
}

#[test]
fn provider_script_examples_parse_in_bash() {
    let bash = require("bash");
    let mut parsed = 0;
    for scenario in example_scenarios() {
        let script = examples().join(&scenario).join("redis-settings.sh");
        if !script.exists() {
            continue;
        }
        let (code, _, err) = run(Command::new(&bash).arg("-n").arg(&script));
        assert_eq!(code, 0, "examples/{scenario}/redis-settings.sh: {err}");
        let text = std::fs::read_to_string(&script).expect("read");
        assert!(
            text.starts_with("#!"),
            "examples/{scenario}: no interpreter line"
        );
        assert!(
            text.contains("set -euo pipefail") || text.contains("set -eu"),
            "{scenario}"
        );
        parsed += 1;
    }
    assert!(parsed >= 5, "only {parsed} provider script examples");
}
