//! The provider scripts run under bash with stand-ins for the cloud CLIs (which cannot reach
//! a cloud here): each stand-in records its arguments and answers like the real CLI's
//! `--output text`, so the scripts' decisions and the exact commands they issue are checked.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Writes an executable stand-in `name` that logs its argv and prints `reply(args)`.
fn stand_in(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    let script = format!("#!/usr/bin/env bash\necho \"{name} $*\" >> \"$CALLS\"\n{body}\n");
    std::fs::write(&path, script).expect("write stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn render_script(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(bin()
        .args(["render", "--out"])
        .arg(dir.path())
        .args(args)
        .env("REDIS_PASSWORD", "Provider0Script0Password0abc"));
    assert_eq!(code, 0, "{out}{err}");
    dir
}

/// Runs redis-settings.sh with the stand-ins first on PATH; returns (exit, stderr, calls).
fn run_script(dir: &Path, bin_dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let calls = dir.join("calls.log");
    let _ = std::fs::remove_file(&calls);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(require("bash"));
    cmd.arg(dir.join("redis-settings.sh"))
        .env("PATH", path)
        .env("CALLS", &calls);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (code, _, err) = run(&mut cmd);
    (
        code,
        err,
        std::fs::read_to_string(&calls).unwrap_or_default(),
    )
}

fn aws_stand_in(bin_dir: &Path, cluster_enabled: &str, engine: &str, version: &str) {
    stand_in(
        bin_dir,
        "aws",
        &format!(
            "case \"$*\" in\n\
             *describe-replication-groups*) echo '{cluster_enabled}\tcw-001' ;;\n\
             *describe-cache-clusters*) echo '{engine}\t{version}' ;;\n\
             *describe-cache-parameter-groups*) exit 255 ;;\n\
             esac"
        ),
    );
}

#[test]
fn elasticache_script_creates_a_noeviction_group_for_the_real_engine() {
    let r = render_script(&[
        "--scenario",
        "elasticache",
        "--host",
        "master.cw.abc123.use1.cache.amazonaws.com",
    ]);
    let bin_dir = tempfile::tempdir().expect("tmp");
    aws_stand_in(bin_dir.path(), "False", "valkey", "8.0.1");
    let (code, err, calls) = run_script(r.path(), bin_dir.path(), &[]);
    assert_eq!(code, 0, "{err}\n{calls}");
    // Replication group and region come from the endpoint.
    assert!(calls.contains("aws --region us-east-1 elasticache describe-replication-groups --replication-group-id cw "), "{calls}");
    assert!(
        calls.contains("--cache-parameter-group-family valkey8"),
        "family from the engine: {calls}"
    );
    assert!(
        calls.contains("ParameterName=maxmemory-policy,ParameterValue=noeviction"),
        "{calls}"
    );
    assert!(calls.contains("modify-replication-group --replication-group-id cw --cache-parameter-group-name chatwoot-valkey8-noeviction --apply-immediately"), "{calls}");
}

#[test]
fn elasticache_script_stops_on_cluster_mode_and_old_engines() {
    let r = render_script(&[
        "--scenario",
        "elasticache",
        "--host",
        "master.cw.abc123.euw1.cache.amazonaws.com",
    ]);
    for (cluster, engine, version, why) in [
        ("True", "redis", "7.1.0", "cluster mode enabled"),
        ("False", "redis", "6.0.5", "needs Redis 6.2+"),
    ] {
        let bin_dir = tempfile::tempdir().expect("tmp");
        aws_stand_in(bin_dir.path(), cluster, engine, version);
        let (code, err, calls) = run_script(r.path(), bin_dir.path(), &[]);
        assert_eq!(code, 1, "{why}: {err}");
        assert!(err.contains(why), "{err}");
        assert!(!calls.contains("modify-"), "nothing is modified: {calls}");
    }
}

/// Render flags, the CLI the script calls, the identifiers it needs, the expected command.
type ProviderCase<'a> = (&'a [&'a str], &'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn managed_scripts_set_noeviction_with_their_cli() {
    let cases: [ProviderCase; 4] = [
        (
            &["--scenario", "azure", "--host", "cw.westeurope.redis.azure.net"],
            "az",
            &[("AZURE_RESOURCE_GROUP", "rg1")],
            "az redisenterprise database update --cluster-name cw --resource-group rg1 --eviction-policy NoEviction",
        ),
        (
            &["--scenario", "memorystore", "--host", "10.0.0.3"],
            "gcloud",
            &[("MEMORYSTORE_INSTANCE", "cw"), ("MEMORYSTORE_REGION", "us-central1")],
            "gcloud redis instances update cw --region us-central1 --update-redis-config maxmemory-policy=noeviction",
        ),
        (
            &["--scenario", "heroku", "--host", "ec2-3-1-2-3.compute-1.amazonaws.com", "--port", "12345"],
            "heroku",
            &[("HEROKU_APP", "cw-app")],
            "heroku redis:maxmemory REDIS -a cw-app --policy noeviction",
        ),
        (
            &["--scenario", "digitalocean", "--host", "db-do-user-1-0.b.db.ondigitalocean.com"],
            "curl",
            &[("DO_DATABASE_ID", "abc-123"), ("DIGITALOCEAN_TOKEN", "tok")],
            "curl -fsS -X PUT -H Content-Type: application/json -H Authorization: Bearer tok -d {\"eviction_policy\":\"noeviction\"} https://api.digitalocean.com/v2/databases/abc-123/eviction_policy",
        ),
    ];
    for (args, cli, env, expected) in cases {
        let r = render_script(args);
        let bin_dir = tempfile::tempdir().expect("tmp");
        stand_in(bin_dir.path(), cli, "echo EnterpriseCluster");
        let (code, err, calls) = run_script(r.path(), bin_dir.path(), env);
        assert_eq!(code, 0, "{args:?}: {err}\n{calls}");
        assert!(
            calls.contains(expected),
            "{args:?}: expected `{expected}` in\n{calls}"
        );
        // Without the required identifiers the script stops before calling anything.
        let bin_dir = tempfile::tempdir().expect("tmp");
        stand_in(bin_dir.path(), cli, "");
        let (code, err, calls) = run_script(r.path(), bin_dir.path(), &[]);
        assert_ne!(code, 0, "{args:?} ran without its identifiers: {calls}");
        assert!(err.contains("set "), "{err}");
        assert!(calls.is_empty(), "{calls}");
    }
}
