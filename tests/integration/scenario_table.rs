//! render and doctor read one table of provider endpoints: a host that doctor names as a
//! service's endpoint gets the same verdict from `render`.

use crate::common::{render_cmd, run};

const PW: &str = "Pw0rdForTheTable12345";

/// `doctor --offline` on a .env pointing at `host:port`: its exit code and the ids of its
/// findings.
fn doctor_findings(host: &str, port: u16) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        format!("REDIS_URL=rediss://{host}:{port}\nREDIS_PASSWORD={PW}\n"),
    )
    .expect("write .env");
    let mut cmd = crate::common::bin();
    cmd.args(["doctor", "--offline", "--format", "json", "--env-file"])
        .arg(&env)
        .env_remove("REDIS_PASSWORD")
        .env_remove("REDIS_URL");
    let (code, stdout, stderr) = run(&mut cmd);
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    let ids = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    (code, ids)
}

#[test]
fn azure_cache_for_redis_in_every_cloud_is_refused_by_render_and_named_by_doctor() {
    for host in [
        "cw.redis.cache.windows.net",
        "cw.redis.cache.chinacloudapi.cn",
        "cw.redis.cache.usgovcloudapi.net",
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (code, stdout, stderr) = run(&mut render_cmd(
            dir.path(),
            &["--scenario", "azure", "--host", host],
            Some(PW),
        ));
        assert_eq!(code, 2, "{host}: render accepted it\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("--host") && stderr.contains(host) && stderr.contains("6.0"),
            "{host}: {stderr}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        let (code, ids) = doctor_findings(host, 6380);
        assert!(
            ids.iter().any(|i| i == "azure-cache-redis-6"),
            "{host}: {ids:?}"
        );
        assert_eq!(code, 1, "{host}: an error finding exits 1: {ids:?}");
    }
    // Azure Managed Redis is what the scenario is for: both accept it.
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, _, stderr) = run(&mut render_cmd(
        dir.path(),
        &[
            "--scenario",
            "azure",
            "--host",
            "cw.westeurope.redis.azure.net",
        ],
        Some(PW),
    ));
    assert_eq!(code, 0, "{stderr}");
    let (code, ids) = doctor_findings("cw.westeurope.redis.azure.net", 10000);
    assert!(!ids.iter().any(|i| i == "azure-cache-redis-6"), "{ids:?}");
    // doctor did read that .env and judge it: its connection budget is there, and nothing
    // worse than a warning.
    assert!(ids.iter().any(|i| i == "connection-budget"), "{ids:?}");
    assert_eq!(code, 0, "{ids:?}");
}

#[test]
fn a_managed_scenario_refuses_another_providers_endpoint_and_names_the_scenario() {
    for (scenario, host, owner) in [
        (
            "azure",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "elasticache",
        ),
        (
            "memorystore",
            "master.cw.abc123.cnn1.cache.amazonaws.com.cn",
            "elasticache",
        ),
        ("elasticache", "cw.westeurope.redis.azure.net", "azure"),
        (
            "azure",
            "db-valkey-do-user-1-0.b.db.ondigitalocean.com",
            "digitalocean",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (code, _, stderr) = run(&mut render_cmd(
            dir.path(),
            &["--scenario", scenario, "--host", host],
            Some(PW),
        ));
        assert_eq!(code, 2, "{scenario} {host}: {stderr}");
        assert!(
            stderr.contains(&format!("--scenario {owner}")) && stderr.contains(host),
            "{scenario} {host}: {stderr}"
        );
        assert!(!stderr.contains(PW));
    }
}
