//! A fresh clone of a Kubernetes deployment's repository (the answers file and the public
//! files: Helm values and the master proxy; no `redis-secret.yaml`, no password) regenerates
//! the committed files after a change, the real chart still renders them, and the server
//! that holds the Secret renders the same values while keeping its password.

use std::path::Path;

use crate::common::Cmd;
use crate::helm_chart::helm_template;

const PW: &str = "Fresh0Clone0Helm0Password0abcdefgh";
const PUBLIC: [&str; 3] = [
    "chatwoot-redis.yaml",
    "values.redis.yaml",
    "redis-master-proxy.yaml",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn render(dir: &Path, args: &[&str], password: Option<&str>) -> crate::common::Output {
    let cmd = Cmd::new()
        .current_dir(dir)
        .args(["render", "--out", "."])
        .args(args);
    match password {
        Some(pw) => cmd.env("REDIS_PASSWORD", pw),
        None => cmd,
    }
    .run()
}

#[test]
fn a_fresh_clone_regenerates_helm_values_without_the_secret() {
    let server = tempfile::tempdir().expect("server");
    render(
        server.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "chatwoot",
            "--namespace",
            "chatwoot",
        ],
        Some(PW),
    )
    .code(0);
    let secret = read(&server.path().join("redis-secret.yaml"));
    assert!(
        secret.contains(PW),
        "the server's Secret holds the password"
    );

    let clone = tempfile::tempdir().expect("clone");
    for f in PUBLIC {
        std::fs::copy(server.path().join(f), clone.path().join(f)).expect("copy");
    }
    render(clone.path(), &["--check"], None).code(0);
    let r = render(clone.path(), &["--maxmemory", "2gb"], None);
    r.code(0);
    assert!(r.stdout.contains("no password here"), "{}", r.stdout);
    assert!(
        !clone.path().join("redis-secret.yaml").exists() && !clone.path().join(".env").exists(),
        "no secret file is made without the password"
    );
    let values = read(&clone.path().join("values.redis.yaml"));
    assert!(values.contains("maxmemory 2gb"), "{values}");
    assert_ne!(values, read(&server.path().join("values.redis.yaml")));
    for f in PUBLIC {
        assert!(!read(&clone.path().join(f)).contains(PW), "{f}");
    }
    // The regenerated values are what the real chart takes.
    let manifests = helm_template(
        "chatwoot",
        "chatwoot",
        &clone.path().join("values.redis.yaml"),
    );
    assert!(
        manifests.contains("maxmemory 2gb"),
        "the chart's Redis gets the new limit"
    );
    render(clone.path(), &["--check"], None).code(0);

    // Back on the server (git pull of the answers file): same values, the Secret kept.
    std::fs::copy(
        clone.path().join("chatwoot-redis.yaml"),
        server.path().join("chatwoot-redis.yaml"),
    )
    .expect("pull");
    let r = render(server.path(), &[], None);
    r.code(0);
    assert!(!r.stdout.contains("no password here"), "{}", r.stdout);
    assert_eq!(read(&server.path().join("values.redis.yaml")), values);
    assert_eq!(read(&server.path().join("redis-secret.yaml")), secret);

    // A change the Secret shows (its namespace) rewrites it with the password it held.
    render(server.path(), &["--namespace", "chatwoot-two"], None).code(0);
    let moved = read(&server.path().join("redis-secret.yaml"));
    assert!(
        moved.contains("namespace: chatwoot-two") && moved.contains(PW),
        "the Secret is re-rendered with the kept password"
    );
}
