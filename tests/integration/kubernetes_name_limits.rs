//! The Kubernetes name limits held against their real consumers: Helm refuses release names
//! over 53 characters (`helm template` checks it), and a namespace is an RFC 1123 label of up
//! to 63 characters, which Helm does not check but the chart's whole render must survive: every
//! object lands in that namespace and still meets Kubernetes' name rules.

use std::process::Command;

use crate::common::*;
use crate::helm_chart::through_chart;
use crate::k8s::name_problems;
use crate::tools::helm;

const PASSWORD: &str = "K8sNames0Password0Long0Enough0x";

fn render(flag: &str, value: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args(["render", "--scenario", "kubernetes-sentinel", "--out"])
        .arg(dir.path())
        .arg(format!("{flag}={value}"))
        .args(["--host", "10.0.0.5", "--sentinels", "10.0.0.6:26379"])
        .env("REDIS_PASSWORD", PASSWORD)
        .run();
    (out, dir)
}

/// `helm template NAME chart`: Ok, or Helm's complaint.
fn helm_accepts_release(name: &str) -> Result<(), String> {
    let home = tempfile::tempdir().expect("tempdir");
    let (code, _out, err) = run(Command::new(helm())
        .arg("template")
        .arg(name)
        .arg(reference("chatwoot-chart-2.0.23"))
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data")));
    if code == 0 {
        Ok(())
    } else {
        Err(err)
    }
}

#[test]
fn release_names_are_refused_exactly_where_helm_refuses_them() {
    for n in [52, 53, 54, 60] {
        let name = "r".repeat(n);
        let helm = helm_accepts_release(&name);
        let (ours, _d) = render("--release", &name);
        assert_eq!(
            ours.status == 0,
            helm.is_ok(),
            "a {n}-character release: helm says {helm:?}, render exits {}:\n{}",
            ours.status,
            ours.stderr
        );
        if let Err(why) = helm {
            assert!(why.contains("53"), "helm's reason: {why}");
            assert!(
                ours.stderr.contains("1 to 53 characters"),
                "{}",
                ours.stderr
            );
        }
    }
}

#[test]
fn a_63_character_namespace_renders_through_the_real_chart_and_64_are_refused() {
    let longest = format!("ns-{}", "a".repeat(60));
    assert_eq!(longest.len(), 63);
    let r = through_chart(
        &["--scenario", "kubernetes-sentinel", "--namespace", &longest],
        PASSWORD,
        "chatwoot",
        &longest,
    );
    let problems = name_problems(&r.cluster);
    assert!(problems.is_empty(), "{problems:#?}");
    let secret = r
        .cluster
        .objects
        .iter()
        .find(|o| o["kind"] == "Secret" && o["stringData"]["redis-password"] == PASSWORD)
        .expect("our redis-secret.yaml joins the cluster");
    assert_eq!(secret["metadata"]["namespace"], longest.as_str());
    // The chart builds host names from the namespace (`<pod>.<service>.<ns>.svc.cluster.local`
    // in its scripts and configuration): each stays a DNS name, labels of at most 63.
    let mut hosts = Vec::new();
    for o in &r.cluster.objects {
        let text = serde_json::to_string(o).expect("JSON");
        hosts.extend(
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                .filter(|w| w.contains(&format!(".{longest}.")))
                .map(str::to_string),
        );
    }
    assert!(
        hosts.len() >= 2,
        "the render names no host in the namespace"
    );
    for h in &hosts {
        assert!(h.len() <= 253, "{h:?}");
        for label in h.split('.') {
            assert!(!label.is_empty() && label.len() <= 63, "{label:?} in {h:?}");
        }
    }

    let (refused, d) = render("--namespace", &format!("{longest}a"));
    refused.code(2);
    assert!(
        refused.stderr.contains("--namespace") && refused.stderr.contains("1 to 63 characters"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);
}
