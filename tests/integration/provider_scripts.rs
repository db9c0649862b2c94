//! Provider scripts before any cloud call: they stop, naming the variable to set, when an
//! identifier is missing, and they send nothing then (the real CLIs are on PATH and pointed at
//! a recorder, which must stay empty). The committed examples and the script that installs
//! the CLIs are shellcheck-clean.
//! The runs against the providers' real CLIs are in provider_clis.rs.

use std::path::Path;

use serde_json::json;

use crate::provider_clis::{render_provider, run_settings, shellcheck, Recorder};

/// Render flags, the variables a run needs, and which one of them is left out.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

/// Every provider CLI's endpoint pointed at the recorder at `url`, with fake credentials, in
/// case a script calls one.
fn cli_endpoints(url: &str) -> [(&'static str, &str); 7] {
    [
        ("AWS_ENDPOINT_URL", url),
        ("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKE0000"),
        ("AWS_SECRET_ACCESS_KEY", "fake"),
        ("CLOUDSDK_API_ENDPOINT_OVERRIDES_REDIS", url),
        ("HEROKU_HOST", url),
        ("HEROKU_API_KEY", "fake"),
        ("DIGITALOCEAN_API_URL", url),
    ]
}

#[test]
fn scripts_stop_before_any_request_without_their_identifiers() {
    let cases: [Case; 6] = [
        (
            &["--scenario", "elasticache", "--host", "cw.internal.example"],
            &[("REPLICATION_GROUP_ID", "cw")],
            "AWS_REGION",
        ),
        (
            &[
                "--scenario",
                "azure",
                "--host",
                "cw.westeurope.redis.azure.net",
            ],
            &[],
            "AZURE_RESOURCE_GROUP",
        ),
        (
            &["--scenario", "memorystore", "--host", "10.0.0.3"],
            &[("MEMORYSTORE_REGION", "us-central1")],
            "MEMORYSTORE_INSTANCE",
        ),
        (
            &["--scenario", "memorystore", "--host", "10.0.0.3"],
            &[("MEMORYSTORE_INSTANCE", "cw")],
            "MEMORYSTORE_REGION",
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
            &[],
            "HEROKU_APP",
        ),
        (
            &[
                "--scenario",
                "digitalocean",
                "--host",
                "db-do-user-1-0.b.db.ondigitalocean.com",
            ],
            &[("DO_DATABASE_ID", "abc-123")],
            "DIGITALOCEAN_TOKEN",
        ),
    ];
    for (args, given, missing) in cases {
        let r = render_provider(args);
        let rec = Recorder::start(&json!([]), false);
        let home = tempfile::tempdir().expect("tmp");
        let url = rec.url();
        let mut env: Vec<(&str, &str)> = given.to_vec();
        env.extend(cli_endpoints(&url));
        let (code, out, err) = run_settings(r.path(), home.path(), &env);
        assert_ne!(code, 0, "{args:?} ran without {missing}: {out}{err}");
        assert!(
            err.contains(&format!("set {missing}")),
            "{args:?}: names {missing}: {err}"
        );
        assert!(rec.requests().is_empty(), "{args:?}: a request was sent");
    }
}

/// The committed examples run too (bash, with the real CLIs on PATH pointed at the
/// recorder): each identifier a script requires (`${VAR:?set VAR …}`), left out while the
/// others are given, stops it before any request, naming that variable.
#[test]
fn committed_example_scripts_stop_before_any_request_without_each_identifier() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut runs = 0;
    for entry in std::fs::read_dir(&examples).expect("examples/") {
        let script = entry.expect("entry").path().join("redis-settings.sh");
        if !script.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&script).expect("script");
        // Required: checked with `:?` and given no default from the answers (the ElastiCache
        // example takes its group and region from its endpoint; provider_clis runs it whole).
        let required: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix(": \"${"))
            .filter_map(|l| l.split_once(":?set ").map(|(var, _)| var))
            .filter(|var| !text.contains(&format!("{var}=\"${{{var}:-")))
            .collect();
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::copy(&script, dir.path().join("redis-settings.sh")).expect("copy");
        for missing in &required {
            let rec = Recorder::start(&json!([]), false);
            let home = tempfile::tempdir().expect("tmp");
            let url = rec.url();
            let mut env: Vec<(&str, &str)> = required
                .iter()
                .filter(|v| *v != missing)
                .map(|v| (*v, "example-identifier"))
                .collect();
            env.extend(cli_endpoints(&url));
            let (code, out, err) = run_settings(dir.path(), home.path(), &env);
            let shown = format!("{} without {missing}: {out}{err}", script.display());
            assert_ne!(code, 0, "{shown}");
            assert!(err.contains(&format!("set {missing}")), "{shown}");
            assert!(rec.requests().is_empty(), "{shown}: a request was sent");
            runs += 1;
        }
    }
    // azure 1, digitalocean 2, heroku 1, memorystore 2.
    assert_eq!(runs, 6, "identifiers across the example scripts");
}

#[test]
fn committed_example_scripts_are_shellcheck_clean() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).expect("examples/") {
        let script = entry.expect("entry").path().join("redis-settings.sh");
        if script.exists() {
            shellcheck(&script);
            checked += 1;
        }
    }
    assert_eq!(checked, 5, "one provider script per managed scenario");
    shellcheck(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/setup-provider-clis.sh"));
}
