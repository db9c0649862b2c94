//! The Helm outputs through the real chart: `helm template` of Chatwoot's chart 2.0.23 with our
//! `values.redis.yaml`, then the environment each Chatwoot pod really gets (resolved as the
//! kubelet does, with our `redis-secret.yaml` applied beside the release), read the way Chatwoot
//! reads it (Ruby: URI, the redis client's password precedence, cable.yml, Redis::Config's
//! Sentinel options). The render and our manifests must pass `kubernetes-validate --strict`,
//! stay within Kubernetes' name limits, and hold no duplicate object.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;
use crate::k8s::*;
use crate::tools::*;

/// The Kubernetes versions the manifests are validated for: the chart's era (kubectl 1.30 of
/// the helm package) and the newest kubernetes-validate 1.37.0 knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

/// One generated set, rendered through the chart.
pub(crate) struct Release {
    out: tempfile::TempDir,
    release: String,
    namespace: String,
    pub(crate) cluster: Cluster,
    values: Value,
    values_text: String,
}

impl Release {
    fn path(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    /// The Chatwoot pods' containers: web, worker and the migration job.
    fn chatwoot_containers(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for w in self.cluster.workloads() {
            let role = match (w.kind.as_str(), w.name.as_str()) {
                ("Deployment", n) if n.ends_with("-web") => "web",
                ("Deployment", n) if n.ends_with("-worker") => "worker",
                ("Job", n) if n.ends_with("-migrate") => "migration",
                _ => continue,
            };
            for c in w.pod_spec["containers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let name = c["name"].as_str().expect("container name").to_string();
                out.push((role.to_string(), format!("{} {}", w.kind, w.name), name));
            }
        }
        let roles: Vec<&str> = out.iter().map(|(r, _, _)| r.as_str()).collect();
        for want in ["web", "worker", "migration"] {
            assert!(
                roles.contains(&want),
                "no {want} pod in the render: {out:?}"
            );
        }
        out
    }

    /// Each Chatwoot container's resolved environment.
    pub(crate) fn chatwoot_envs(&self) -> Vec<(String, String, BTreeMap<String, String>)> {
        self.chatwoot_containers()
            .into_iter()
            .map(|(role, workload, container)| {
                let (kind, name) = workload.split_once(' ').expect("kind name");
                let w = self.cluster.workload(kind, name);
                let env = self
                    .cluster
                    .container_env(&w, &container)
                    .unwrap_or_else(|e| panic!("{workload} {container} cannot start: {e}"));
                (role, format!("{workload}/{container}"), env)
            })
            .collect()
    }
}

fn render_tool(args: &[&str], password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(&mut render_cmd(dir.path(), args, Some(password)));
    assert_eq!(code, 0, "render {args:?} failed:\n{out}\n{err}");
    dir
}

/// `helm template RELEASE CHART -n NS -f values.redis.yaml`: the chart needs no network.
pub(crate) fn helm_template(release: &str, namespace: &str, values: &Path) -> String {
    let chart = reference("chatwoot-chart-2.0.23");
    // helm's own directories in a scratch place: nothing read from or left in $HOME.
    let home = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(Command::new(helm())
        .arg("template")
        .arg(release)
        .arg(&chart)
        .args(["-n", namespace, "-f"])
        .arg(values)
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data")));
    assert_eq!(
        code,
        0,
        "helm template {release} -n {namespace} refused {}:\n{err}",
        values.display()
    );
    assert!(
        out.contains("kind: Deployment"),
        "helm rendered no Deployment:\n{out}"
    );
    out
}

/// Renders with the tool, then through the chart; our own manifests join the cluster.
pub(crate) fn through_chart(
    args: &[&str],
    password: &str,
    release: &str,
    namespace: &str,
) -> Release {
    let out = render_tool(args, password);
    let values_path = out.path().join("values.redis.yaml");
    let values_text = std::fs::read_to_string(&values_path).expect("values.redis.yaml");
    assert!(
        !values_text.contains(password),
        "password leaked into values.redis.yaml"
    );
    let rendered = helm_template(release, namespace, &values_path);
    std::fs::write(out.path().join("chart-render.yaml"), &rendered).expect("write render");
    let mut cluster = Cluster::new(namespace);
    cluster.add(&rendered);
    cluster.add(&std::fs::read_to_string(out.path().join("redis-secret.yaml")).expect("secret"));
    let proxy = out.path().join("redis-master-proxy.yaml");
    if proxy.exists() {
        cluster.add(&std::fs::read_to_string(&proxy).expect("proxy"));
    }
    let values = serde_json::to_value(
        yaml_serde::from_str::<yaml_serde::Value>(&values_text).expect("values YAML"),
    )
    .expect("JSON");
    Release {
        out,
        release: release.to_string(),
        namespace: namespace.to_string(),
        cluster,
        values,
        values_text,
    }
}

/// The same for process environments (a pod's): Chatwoot's REDIS_* variables go in as
/// literal (single-quoted) dotenv values, so dotenv hands Ruby the exact strings.
fn chatwoot_reads(envs: &[&BTreeMap<String, String>]) -> Vec<Value> {
    let dirs: Vec<tempfile::TempDir> = envs
        .iter()
        .map(|env| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut text = String::new();
            for (k, v) in env.iter().filter(|(k, _)| k.starts_with("REDIS_")) {
                assert!(
                    !v.contains('\'') && !v.contains('\n'),
                    "{k} cannot be passed literally to dotenv: {v:?}"
                );
                text.push_str(&format!("{k}='{v}'\n"));
            }
            std::fs::write(dir.path().join(".env"), text).expect("write .env");
            dir
        })
        .collect();
    let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
    let reads = chatwoot_reads_dirs(&paths);
    for (read, env) in reads.iter().zip(envs) {
        for (k, v) in env.iter().filter(|(k, _)| k.starts_with("REDIS_")) {
            assert_eq!(read["env"][k], v.as_str(), "dotenv read {k} back unchanged");
        }
    }
    reads
}

/// Redis::Config's options for each environment (tests/ruby/chatwoot_sentinels.rb).
fn chatwoot_redis_config(envs: &[&BTreeMap<String, String>]) -> Vec<Value> {
    use std::io::Write;
    let input: Vec<BTreeMap<&String, &String>> = envs
        .iter()
        .map(|e| e.iter().filter(|(k, _)| k.starts_with("REDIS_")).collect())
        .collect();
    let mut child = Command::new(require("ruby"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_sentinels.rb"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ruby");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&input).expect("JSON").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("ruby");
    assert!(
        out.status.success(),
        "chatwoot_sentinels.rb failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ruby JSON")
}

/// `chatwoot-redis doctor --offline --strict` in exactly this process environment (no .env in
/// the working directory): exit 0, or the report.
fn doctor_accepts(env: &BTreeMap<String, String>, at: &str) {
    let cwd = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(bin()
        .args(["doctor", "--offline", "--strict"])
        .current_dir(cwd.path())
        .env_clear()
        .envs(env));
    assert_eq!(
        code, 0,
        "{at}: doctor --offline --strict rejects the pod's environment:\n{out}{err}"
    );
    assert!(out.contains("no problem found"), "{at}: {out}");
}

/// `kubernetes-validate --strict` on every file, for each supported Kubernetes version.
fn validate_strict(files: &[PathBuf]) {
    let kv = kubernetes_validate();
    for version in KUBERNETES_VERSIONS {
        let (code, out, err) = run(Command::new(&kv)
            .args(["--strict", "--quiet", "-k", version])
            .args(files));
        assert_eq!(
            code, 0,
            "kubernetes-validate --strict -k {version} refused:\n{out}{err}"
        );
    }
}

/// The Service a host name of the cluster resolves to (`svc`, `svc.ns`, `svc.ns.svc…`), or
/// the StatefulSet pod behind `pod.headless-svc`.
fn resolves(cluster: &Cluster, host: &str, port: u16) -> Result<String, String> {
    let suffixes = [
        String::new(),
        format!(".{}", cluster.namespace),
        format!(".{}.svc", cluster.namespace),
        format!(".{}.svc.cluster.local", cluster.namespace),
    ];
    let short = suffixes
        .iter()
        .rev()
        .find_map(|s| host.strip_suffix(s.as_str()).filter(|_| !s.is_empty()))
        .unwrap_or(host);
    let has_port = |svc: &Value| {
        svc["spec"]["ports"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["port"] == port))
    };
    let selects_pods = |svc: &Value| {
        let Some(sel) = svc["spec"]["selector"].as_object() else {
            return false;
        };
        cluster.workloads().iter().any(|w| {
            let labels = &w.object["spec"]["template"]["metadata"]["labels"];
            sel.iter().all(|(k, v)| &labels[k] == v)
        })
    };
    match short.split_once('.') {
        None => {
            let svc = cluster
                .find("Service", short)
                .ok_or_else(|| format!("no Service {short}"))?;
            if !has_port(svc) {
                return Err(format!("Service {short} has no port {port}"));
            }
            if !selects_pods(svc) {
                return Err(format!("Service {short} selects no pod of the render"));
            }
            Ok(format!("Service {short}"))
        }
        Some((pod, svc_name)) => {
            let svc = cluster
                .find("Service", svc_name)
                .ok_or_else(|| format!("no Service {svc_name} for {host}"))?;
            if !has_port(svc) {
                return Err(format!("Service {svc_name} has no port {port}"));
            }
            let sts = cluster
                .of_kind("StatefulSet")
                .into_iter()
                .find(|s| {
                    s["spec"]["serviceName"] == svc_name
                        && pod
                            .strip_prefix(s["metadata"]["name"].as_str().unwrap_or("\u{0}"))
                            .and_then(|r| r.strip_prefix('-'))
                            .and_then(|i| i.parse::<u64>().ok())
                            .is_some_and(|i| i < s["spec"]["replicas"].as_u64().unwrap_or(1))
                })
                .ok_or_else(|| format!("no StatefulSet pod {pod} under Service {svc_name}"))?;
            Ok(format!(
                "pod {pod} of StatefulSet {}",
                sts["metadata"]["name"]
            ))
        }
    }
}

fn url_parts(url: &str) -> (String, String, u16, Option<String>) {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("REDIS_URL {url:?}: {e}"));
    (
        u.scheme().to_string(),
        u.host_str().unwrap_or_default().to_string(),
        u.port().unwrap_or(6379),
        u.password().map(str::to_string),
    )
}

struct Bundled<'a> {
    release: &'a str,
    namespace: &'a str,
    master: Option<&'a str>,
    workload: &'a [&'a str],
}

const BUNDLED: [Bundled<'static>; 4] = [
    Bundled {
        release: "chatwoot",
        namespace: "chatwoot",
        master: None,
        workload: &[],
    },
    Bundled {
        release: "cw",
        namespace: "support",
        master: Some("cwmaster"),
        workload: &[
            "--web-processes",
            "2",
            "--web-threads",
            "8",
            "--sidekiq-processes",
            "3",
            "--sidekiq-concurrency",
            "20",
        ],
    },
    // 32 characters: the longest release name the bundled Redis can run (facts §4).
    Bundled {
        release: "support-desk-production-eu-west1",
        namespace: "team-chat",
        master: Some("prod-master"),
        workload: &["--web-threads", "3", "--sidekiq-concurrency", "5"],
    },
    // A release name containing the Redis subchart's name.
    Bundled {
        release: "acme-chatwoot-redis",
        namespace: "acme",
        master: None,
        workload: &[],
    },
];

fn bundled_release(case: &Bundled<'_>, password: &str) -> Release {
    let mut args = vec![
        "--scenario",
        "kubernetes-sentinel",
        "--release",
        case.release,
        "--namespace",
        case.namespace,
    ];
    if let Some(m) = case.master {
        args.extend(["--sentinel-master", m]);
    }
    args.extend(case.workload);
    through_chart(&args, password, case.release, case.namespace)
}

#[test]
fn bundled_sentinel_reaches_every_chatwoot_pod_through_the_real_chart() {
    assert_eq!(BUNDLED[2].release.len(), 32);
    let pw = "Bundled0Sentinel0Password0abcdefgh";
    let mut files = Vec::new();
    let mut keep = Vec::new();
    for case in &BUNDLED {
        let r = bundled_release(case, pw);
        let master = case.master.unwrap_or("mymaster");
        let label = format!("release {} in {}", r.release, r.namespace);
        let fullname = format!("{}-chatwoot-redis", r.release);
        let problems = name_problems(&r.cluster);
        assert!(problems.is_empty(), "{label}: {problems:#?}");

        // The Redis side: three nodes, each with redis and sentinel, the password from our Secret.
        let sts = r
            .cluster
            .workload("StatefulSet", &format!("{fullname}-node"));
        assert_eq!(sts.replicas(), Some(3), "{label}: three nodes for quorum 2");
        for c in ["redis", "sentinel"] {
            let env = r
                .cluster
                .container_env(&sts, c)
                .unwrap_or_else(|e| panic!("{label}: Redis container {c} cannot start: {e}"));
            assert_eq!(
                env.get("REDIS_PASSWORD").map(String::as_str),
                Some(pw),
                "{label}: {c}"
            );
        }
        let conf = r
            .cluster
            .config_map(&format!("{fullname}-configuration"))
            .unwrap_or_else(|| panic!("{label}: no {fullname}-configuration ConfigMap"));
        let sentinel_conf = conf.get("sentinel.conf").expect("sentinel.conf");
        assert!(
            sentinel_conf.contains(&format!("sentinel monitor {master} {fullname}-node-0.")),
            "{label}: the sentinels monitor {master}:\n{sentinel_conf}"
        );
        assert!(
            conf["redis.conf"].contains("maxmemory-policy noeviction"),
            "{label}: {conf:?}"
        );

        // The values' comments name what the render really holds.
        assert!(
            r.values_text.contains(&format!("(F = {fullname})")),
            "{label}: the comments name the Redis objects' prefix {fullname}"
        );
        for (kind, name) in [
            ("StatefulSet", format!("{fullname}-node")),
            ("Service", fullname.clone()),
            ("Service", format!("{fullname}-headless")),
            ("ConfigMap", format!("{fullname}-configuration")),
            ("ConfigMap", format!("{fullname}-health")),
            ("ConfigMap", format!("{fullname}-scripts")),
            ("ServiceAccount", fullname.clone()),
        ] {
            assert!(
                r.cluster.find(kind, &name).is_some(),
                "{label}: the comments name {kind} {name}, which the chart does not create"
            );
        }
        assert!(r.values_text.contains("There is no F-master Service"));
        assert!(
            r.cluster
                .find("Service", &format!("{fullname}-master"))
                .is_none(),
            "{label}: a -master Service exists after all"
        );
        let down_after = format!("sentinel down-after-milliseconds {master} 60000");
        assert!(
            sentinel_conf.contains(&down_after)
                && r.values_text.contains("down-after-milliseconds 60000"),
            "{label}: the stated failover timing is Bitnami's ({down_after}):\n{sentinel_conf}"
        );
        let images: Vec<&str> = sts
            .containers()
            .iter()
            .filter_map(|c| c["image"].as_str())
            .collect();
        for (image, named) in [
            (
                "bitnamilegacy/redis:6.2.7-debian-11-r3",
                "bitnamilegacy/redis and",
            ),
            (
                "bitnamilegacy/redis-sentinel:6.2.7-debian-11-r3",
                "bitnamilegacy/redis-sentinel 6.2.7-debian-11-r3",
            ),
        ] {
            assert!(
                images.iter().any(|i| i.ends_with(image)),
                "{label}: the render runs {images:?}, not {image}"
            );
            assert!(
                r.values_text.contains(named),
                "{label}: the values name {image}"
            );
        }
        assert!(r.values_text.contains("CVE-2022-36021"), "{label}");

        // The Chatwoot side, as Chatwoot reads each pod's environment.
        let envs = r.chatwoot_envs();
        let refs: Vec<&BTreeMap<String, String>> = envs.iter().map(|(_, _, e)| e).collect();
        let reads = chatwoot_reads(&refs);
        let configs = chatwoot_redis_config(&refs);
        for (((role, pod, env), read), config) in envs.iter().zip(&reads).zip(&configs) {
            let at = format!("{label}: {role} {pod}");
            assert_eq!(
                read["client_password"], pw,
                "{at}: the redis client's password"
            );
            assert_eq!(
                read["cable_password"], pw,
                "{at}: ActionCable's password (cable.yml)"
            );
            assert_eq!(config["sentinel"], true, "{at}: Sentinel mode");
            assert_eq!(
                config["url"],
                format!("redis://{master}"),
                "{at}: master name"
            );
            assert_eq!(config["password"], pw, "{at}");
            let sentinels = config["sentinels"].as_array().expect("sentinels");
            assert_eq!(sentinels.len(), 3, "{at}: {sentinels:?}");
            for (i, s) in sentinels.iter().enumerate() {
                assert_eq!(
                    s["host"],
                    format!("{fullname}-node-{i}.{fullname}-headless"),
                    "{at}"
                );
                assert_eq!(s["port"], "26379", "{at}");
                assert_eq!(s["password"], pw, "{at}: the sentinels need the password");
                let host = s["host"].as_str().expect("host");
                resolves(&r.cluster, host, 26379).unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            // ActionCable connects to REDIS_URL: an address of the render, carrying no
            // password of its own (REDIS_PASSWORD is the one sent).
            let url = env
                .get("REDIS_URL")
                .unwrap_or_else(|| panic!("{at}: no REDIS_URL"));
            let (scheme, host, port, url_pw) = url_parts(url);
            assert_eq!(scheme, "redis", "{at}");
            assert_eq!(read["cable_url"], url.as_str(), "{at}");
            resolves(&r.cluster, &host, port).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert!(
                url_pw.as_deref().is_none_or(str::is_empty),
                "{at}: REDIS_URL carries a password of its own: {url_pw:?}"
            );
            assert!(
                r.values_text.contains(&format!("{host}:{port}")),
                "{at}: the values' comments name ActionCable's address {host}:{port}"
            );
            assert!(!env.contains_key("REDIS_SENTINEL_PASSWORD"), "{at}");
            if role == "web" {
                doctor_accepts(env, &at);
            }
        }
        // What the chart runs is what the budget was computed for.
        let flag = |name: &str, default: &str| {
            case.workload
                .iter()
                .position(|a| *a == name)
                .map_or(default.to_string(), |i| case.workload[i + 1].to_string())
        };
        // The chart's full name: the release itself when it already contains "chatwoot".
        let chart_name = if r.release.contains("chatwoot") {
            r.release.clone()
        } else {
            format!("{}-chatwoot", r.release)
        };
        let web = r
            .cluster
            .workload("Deployment", &format!("{chart_name}-web"));
        let worker = r
            .cluster
            .workload("Deployment", &format!("{chart_name}-worker"));
        let web_pods: u64 = flag("--web-processes", "1").parse().expect("number");
        let worker_pods: u64 = flag("--sidekiq-processes", "1").parse().expect("number");
        assert_eq!(web.replicas(), Some(web_pods), "{label}: web replicas");
        assert_eq!(
            worker.replicas(),
            Some(worker_pods),
            "{label}: worker replicas"
        );
        for (role, _, env) in &envs {
            if role == "migration" {
                continue;
            }
            assert_eq!(
                env.get("RAILS_MAX_THREADS"),
                Some(&flag("--web-threads", "5")),
                "{label}: {role} RAILS_MAX_THREADS"
            );
            if role == "worker" {
                assert_eq!(
                    env.get("SIDEKIQ_CONCURRENCY"),
                    Some(&flag("--sidekiq-concurrency", "10")),
                    "{label}: worker SIDEKIQ_CONCURRENCY"
                );
            }
        }

        // REDIS_URL reaches the master proxy, never the Redis nodes directly.
        let proxy = format!("{fullname}-master-proxy");
        for (role, pod, env) in &envs {
            let (_, host, port, _) = url_parts(&env["REDIS_URL"]);
            assert_eq!(
                (host.as_str(), port),
                (proxy.as_str(), 6379),
                "{label}: {role} {pod}: REDIS_URL is the master proxy"
            );
            for direct in [format!("{fullname}-headless"), fullname.clone()] {
                assert_ne!(host, direct, "{label}: {role} reaches the nodes directly");
            }
        }
        let svc = r
            .cluster
            .find("Service", &proxy)
            .unwrap_or_else(|| panic!("{label}: no Service {proxy}"));
        let selector = svc["spec"]["selector"].as_object().expect("selector");
        let node_labels = &sts.object["spec"]["template"]["metadata"]["labels"];
        assert!(
            !selector.iter().all(|(k, v)| &node_labels[k] == v),
            "{label}: the proxy Service selects the Redis nodes"
        );
        let deployment = r.cluster.workload("Deployment", &proxy);
        let haproxy = deployment.container("haproxy");
        let image = haproxy["image"].as_str().expect("image");
        let tag = image.strip_prefix("haproxy:").expect("official image");
        assert!(
            tag.ends_with("-alpine") && tag.split('.').count() == 3,
            "{label}: a pinned haproxy:<x.y.z>-alpine, not {image}"
        );
        let proxy_env = r
            .cluster
            .container_env(&deployment, "haproxy")
            .unwrap_or_else(|e| panic!("{label}: the proxy cannot start: {e}"));
        assert_eq!(
            proxy_env.get("REDIS_PASSWORD").map(String::as_str),
            Some(pw)
        );
        let cfg = r
            .cluster
            .config_map(&proxy)
            .and_then(|m| m.get("haproxy.cfg").cloned())
            .unwrap_or_else(|| panic!("{label}: no haproxy.cfg in ConfigMap {proxy}"));
        assert!(!cfg.contains(pw), "{label}: the password is in haproxy.cfg");
        for i in 0..3 {
            let node = format!(
                "{fullname}-node-{i}.{fullname}-headless.{}.svc.cluster.local:6379",
                r.namespace
            );
            assert!(
                cfg.contains(&node),
                "{label}: the proxy checks {node}:\n{cfg}"
            );
            let short = format!("{fullname}-node-{i}.{fullname}-headless");
            resolves(&r.cluster, &short, 6379).unwrap_or_else(|e| panic!("{label}: {e}"));
        }
        assert!(cfg.contains("role:master") && cfg.contains("resolvers cluster"));
        haproxy_accepts(&cfg, pw);

        files.push(r.path("chart-render.yaml"));
        files.push(r.path("redis-secret.yaml"));
        files.push(r.path("redis-master-proxy.yaml"));
        keep.push(r);
    }
    validate_strict(&files);
}

/// `haproxy -c`: Debian's HAProxy accepts the generated configuration as it is.
fn haproxy_accepts(cfg: &str, password: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, cfg).expect("write");
    let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| require("haproxy"));
    let (code, out, err) = run(Command::new(haproxy)
        .args(["-c", "-f"])
        .arg(&path)
        .env("REDIS_PASSWORD", password));
    assert_eq!(
        code, 0,
        "haproxy -c refused the configuration:\n{out}{err}\n{cfg}"
    );
}

#[test]
fn release_names_the_bundled_redis_cannot_run_are_refused() {
    let release = "a".repeat(33);
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(&mut render_cmd(
        dir.path(),
        &["--scenario", "kubernetes-sentinel", "--release", &release],
        Some("Bundled0Sentinel0Password0abcdefgh"),
    ));
    assert_eq!(code, 2, "{out}{err}");
    for part in ["--release", release.as_str(), "32"] {
        assert!(err.contains(part), "the refusal names {part}:\n{err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written"
    );
}

/// The managed scenarios with `--emit +helm`: the arguments each needs.
const MANAGED: [(&str, &[&str]); 5] = [
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
            "--max-connections",
            "400",
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

/// Chatwoot's Redis variables as it reads them (facts §1), to compare two environments.
fn chatwoot_view(read: &Value, config: &Value, env: &BTreeMap<String, String>) -> Value {
    let present = |k: &str| env.get(k).is_some_and(|v| !v.trim().is_empty());
    serde_json::json!({
        "client_password": read["client_password"],
        "client_user": read["client_user"],
        "cable_password": read["cable_password"],
        "cable_url": read["cable_url"],
        "alfred": read["alfred"],
        "velma": read["velma"],
        "config": config,
        "verify_none": env.get("REDIS_OPENSSL_VERIFY_MODE").map(String::as_str) == Some("none"),
        "client_command_disabled": present("REDIS_DISABLE_CLIENT_COMMAND"),
    })
}

#[test]
fn external_redis_reaches_every_chatwoot_pod_as_the_env_file_does() {
    let pw = "External0Helm0Password0abcdefghij";
    let mut cases: Vec<(String, Vec<&str>)> = MANAGED
        .iter()
        .map(|(s, a)| {
            let mut args = vec!["--scenario", *s, "--emit", "+helm"];
            args.extend(*a);
            (s.to_string(), args)
        })
        .collect();
    // External sentinels through the chart (kubernetes-sentinel without the bundled Redis).
    cases.push((
        "kubernetes-sentinel (external sentinels)".to_string(),
        vec![
            "--scenario",
            "kubernetes-sentinel",
            "--sentinels",
            "sentinel-0.redis.example:26379,sentinel-1.redis.example:26379,sentinel-2.redis.example",
            "--host",
            "redis-master.redis.example",
            "--sentinel-master",
            "chatwoot-master",
            "--emit",
            "+env",
        ],
    ));
    let mut files = Vec::new();
    let mut keep = Vec::new();
    for (label, args) in &cases {
        let r = through_chart(args, pw, "chatwoot", "chatwoot");
        assert_eq!(r.values["redis"]["enabled"], false, "{label}");
        // The .env the same render wrote: what Chatwoot reads outside Kubernetes.
        let from_file = chatwoot_reads_dirs(&[r.out.path()]).remove(0);
        let dotenv: BTreeMap<String, String> = from_file["env"]
            .as_object()
            .expect("dotenv values")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let envs = r.chatwoot_envs();
        let mut all: Vec<&BTreeMap<String, String>> = vec![&dotenv];
        all.extend(envs.iter().map(|(_, _, e)| e));
        let mut reads = vec![from_file.clone()];
        reads.extend(chatwoot_reads(&all[1..]));
        let configs = chatwoot_redis_config(&all);
        let want = chatwoot_view(&reads[0], &configs[0], &dotenv);
        let (_, want_host, want_port, _) = url_parts(
            dotenv
                .get("REDIS_URL")
                .unwrap_or_else(|| panic!("{label}: .env has no REDIS_URL")),
        );
        // The password reaches Chatwoot: from REDIS_PASSWORD, or in the URL (Heroku, DO).
        let effective = reads[0]["client_password"].as_str().unwrap_or_default();
        assert_eq!(effective, pw, "{label}: .env gives Chatwoot the password");
        for (i, (role, pod, env)) in envs.iter().enumerate() {
            let at = format!("{label}: {role} {pod}");
            let got = chatwoot_view(&reads[i + 1], &configs[i + 1], env);
            assert_eq!(got, want, "{at}: the pod reads what the .env gives");
            let (_, host, port, _) = url_parts(&env["REDIS_URL"]);
            assert_eq!(
                (host.as_str(), port),
                (want_host.as_str(), want_port),
                "{at}"
            );
            if role == "web" {
                doctor_accepts(env, &at);
            }
            assert!(
                !env["REDIS_URL"].contains("$("),
                "{at}: an unexpanded reference reaches Chatwoot: {}",
                env["REDIS_URL"]
            );
        }
        if label.contains("sentinels") {
            let c = &configs[1];
            assert_eq!(c["sentinel"], true, "{label}");
            assert_eq!(c["url"], "redis://chatwoot-master", "{label}");
            let hosts: Vec<&str> = c["sentinels"]
                .as_array()
                .expect("sentinels")
                .iter()
                .map(|s| s["host"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(
                hosts,
                [
                    "sentinel-0.redis.example",
                    "sentinel-1.redis.example",
                    "sentinel-2.redis.example"
                ],
                "{label}"
            );
        } else {
            assert_eq!(
                configs[1]["sentinel"], false,
                "{label}: no Sentinel for a provider"
            );
        }
        let problems = name_problems(&r.cluster);
        assert!(problems.is_empty(), "{label}: {problems:#?}");
        files.push(r.path("chart-render.yaml"));
        files.push(r.path("redis-secret.yaml"));
        keep.push(r);
    }
    validate_strict(&files);
}

#[test]
fn committed_helm_examples_render_through_the_real_chart() {
    // examples/ are read by their consumer too, not only compared with the tool's output.
    // Their Secrets are not committed: the render is checked, not the pods' environment.
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = tempfile::tempdir().expect("tempdir");
    for scenario in SCENARIOS {
        let values = root.join(scenario).join("values.redis.yaml");
        if !values.exists() {
            continue;
        }
        let answers = std::fs::read_to_string(root.join(scenario).join("chatwoot-redis.yaml"))
            .expect("answers file");
        let field = |k: &str| {
            answers
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        let release = field("release").unwrap_or_else(|| "chatwoot".to_string());
        let namespace = field("namespace").unwrap_or_else(|| "chatwoot".to_string());
        let rendered = helm_template(&release, &namespace, &values);
        let mut cluster = Cluster::new(&namespace);
        cluster.add(&rendered);
        // The master proxy beside the values: its HAProxy configuration loads in HAProxy,
        // and every node it checks resolves to a Redis pod of that chart render.
        let proxy = root.join(scenario).join("redis-master-proxy.yaml");
        if proxy.exists() {
            let text = std::fs::read_to_string(&proxy).expect("proxy manifest");
            cluster.add(&text);
            let cfg = crate::k8s::parse_manifests(&text)
                .into_iter()
                .find_map(|m| m["data"]["haproxy.cfg"].as_str().map(str::to_string))
                .unwrap_or_else(|| panic!("examples/{scenario}: no haproxy.cfg ConfigMap"));
            haproxy_accepts(&cfg, "Example0password0for0the0check0x");
            let nodes: Vec<&str> = cfg
                .lines()
                .filter_map(|l| l.trim().strip_prefix("server "))
                .filter_map(|l| l.split_whitespace().nth(1))
                .collect();
            assert_eq!(nodes.len(), 3, "examples/{scenario}: {cfg}");
            for node in nodes {
                let (host, port) = node.rsplit_once(':').expect("host:port");
                resolves(&cluster, host, port.parse().expect("port"))
                    .unwrap_or_else(|e| panic!("examples/{scenario}: {node}: {e}"));
            }
            files.push(proxy);
        }
        let problems = name_problems(&cluster);
        assert!(problems.is_empty(), "examples/{scenario}: {problems:#?}");
        let path = out.path().join(format!("{scenario}.yaml"));
        std::fs::write(&path, rendered).expect("write");
        files.push(path);
    }
    assert!(
        files.iter().any(|f| f.ends_with("redis-master-proxy.yaml")),
        "kubernetes-sentinel has a master proxy example"
    );
    assert!(
        files.len() >= 2,
        "kubernetes-sentinel and elasticache have Helm examples"
    );
    validate_strict(&files);
}

#[test]
fn chosen_images_and_failover_timing_reach_the_redis_pods() {
    let pw = "Bundled0Sentinel0Password0abcdefgh";
    let r = through_chart(
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--sentinel-master",
            "cwmaster",
            "--redis-image",
            "registry.example.com:5000/ops/redis:7.2.5-debian-12-r0",
            "--sentinel-image",
            "bitnamilegacy/redis-sentinel:7.2.5-debian-12-r0",
            "--sentinel-down-after",
            "5000",
            "--maxmemory",
            "1gb",
        ],
        pw,
        "cw",
        "chatwoot",
    );
    let sts = r.cluster.workload("StatefulSet", "cw-chatwoot-redis-node");
    // maxmemory 1 GiB: request 1024 + 256 MiB, limit 2 × 1024 + 256 MiB (room for a fork's copy).
    let resources = &sts.container("redis")["resources"];
    assert_eq!(resources["requests"]["memory"], "1280Mi", "{resources}");
    assert_eq!(resources["limits"]["memory"], "2304Mi", "{resources}");
    assert_eq!(
        sts.container("redis")["image"],
        "registry.example.com:5000/ops/redis:7.2.5-debian-12-r0"
    );
    assert!(sts.container("sentinel")["image"]
        .as_str()
        .is_some_and(|i| i.ends_with("/bitnamilegacy/redis-sentinel:7.2.5-debian-12-r0")));
    let conf = r
        .cluster
        .config_map("cw-chatwoot-redis-configuration")
        .expect("configuration");
    assert!(
        conf["sentinel.conf"].contains("sentinel down-after-milliseconds cwmaster 5000"),
        "{}",
        conf["sentinel.conf"]
    );
    assert!(r.values_text.contains("down-after-milliseconds 5000"));
    assert!(r.values_text.contains("receive no updates"));
    assert_eq!(r.values["redis"]["sentinel"]["downAfterMilliseconds"], 5000);
}

#[test]
fn bundled_only_answers_are_refused_with_external_sentinels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = run(&mut render_cmd(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--sentinels",
            "s1:26379",
            "--host",
            "redis-master",
            "--sentinel-down-after",
            "5000",
        ],
        Some("Bundled0Sentinel0Password0abcdefgh"),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--sentinel-down-after") && err.contains("5000"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn external_sentinels_get_the_master_proxy_when_asked() {
    let pw = "External0Sentinel0Password0abcdefg";
    let nodes = "redis-0.redis.db.svc.cluster.local:6379,redis-1.redis.db.svc.cluster.local:6380";
    let r = through_chart(
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--release",
            "cw",
            "--namespace",
            "support",
            "--sentinels",
            "sentinel-0.redis.db.svc.cluster.local:26379,sentinel-1.redis.db.svc.cluster.local",
            "--emit",
            "+master-proxy",
            "--redis-nodes",
            nodes,
        ],
        pw,
        "cw",
        "support",
    );
    let proxy = "cw-chatwoot-redis-master-proxy";
    let problems = name_problems(&r.cluster);
    assert!(problems.is_empty(), "{problems:#?}");
    for (role, pod, env) in r.chatwoot_envs() {
        assert_eq!(
            env.get("REDIS_URL").map(String::as_str),
            Some(format!("redis://{proxy}:6379").as_str()),
            "{role} {pod}"
        );
        assert_eq!(env.get("REDIS_PASSWORD").map(String::as_str), Some(pw));
        resolves(&r.cluster, proxy, 6379).unwrap_or_else(|e| panic!("{role}: {e}"));
    }
    let deployment = r.cluster.workload("Deployment", proxy);
    let env = r
        .cluster
        .container_env(&deployment, "haproxy")
        .unwrap_or_else(|e| panic!("the proxy cannot start: {e}"));
    assert_eq!(env.get("REDIS_PASSWORD").map(String::as_str), Some(pw));
    let cfg = r
        .cluster
        .config_map(proxy)
        .and_then(|m| m.get("haproxy.cfg").cloned())
        .expect("haproxy.cfg");
    for node in nodes.split(',') {
        assert!(cfg.contains(&format!(" {node}\n")), "{node}:\n{cfg}");
    }
    haproxy_accepts(&cfg, pw);
    validate_strict(&[
        r.path("chart-render.yaml"),
        r.path("redis-secret.yaml"),
        r.path("redis-master-proxy.yaml"),
    ]);
    // Without the nodes the proxy cannot be generated: the answer is asked for by name.
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = run(&mut render_cmd(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--sentinels",
            "s1.db:26379",
            "--emit",
            "+master-proxy",
        ],
        Some(pw),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("redis-nodes"), "{err}");
    let (code, _, err) = run(&mut render_cmd(
        dir.path(),
        &[
            "--scenario",
            "kubernetes-sentinel",
            "--sentinels",
            "s1.db:26379",
            "--emit",
            "+master-proxy",
            "--redis-nodes",
            "redis-0:6379,redis-1:6379",
        ],
        Some(pw),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("search domains") && err.contains("redis-0"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
