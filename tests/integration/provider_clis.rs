//! The provider scripts (redis-settings.sh) run with the providers' real command-line tools —
//! AWS CLI, Google Cloud CLI, Heroku CLI, Azure CLI, and curl for DigitalOcean's API —
//! against a recording endpoint on loopback (tests/provider-clis/recorder.py). The CLIs check
//! each command, flag and parameter against their own service models before they send
//! anything, so a misspelled flag fails here; the recorded requests (operation, parameters,
//! JSON bodies) are asserted. No request may leave loopback: every proxy variable points at a
//! closed loopback port (only 127.0.0.1 is exempt), credentials are fake, and a test fails
//! when the recorder saw nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

const PASSWORD: &str = "Provider0Clis0Password0abcdef";

/// The recording endpoint: a child process stopped when dropped (and by itself after 5 min).
pub struct Recorder {
    _guard: Guard,
    log: PathBuf,
    rules: PathBuf,
    pub port: u16,
    pub scheme: &'static str,
    _dir: tempfile::TempDir,
    /// PEM certificate of the TLS recorder (trust it in the client).
    pub cert: Option<PathBuf>,
}

impl Recorder {
    pub fn start(rules: &Value, tls: bool) -> Recorder {
        let dir = tempfile::tempdir().expect("tmp");
        let rules_path = dir.path().join("rules.json");
        std::fs::write(&rules_path, rules.to_string()).expect("rules");
        let log = dir.path().join("requests.jsonl");
        let port_file = dir.path().join("port");
        let mut cmd = Command::new(require("python3"));
        cmd.arg(script_path())
            .arg("--rules")
            .arg(&rules_path)
            .arg("--log")
            .arg(&log)
            .arg("--port-file")
            .arg(&port_file)
            .args(["--timeout", "300"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut cert = None;
        if tls {
            let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let (code, _, err) = run(Command::new(require("openssl"))
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                ])
                .args([
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                ])
                .arg("-keyout")
                .arg(&k)
                .arg("-out")
                .arg(&c));
            assert_eq!(code, 0, "openssl: {err}");
            cmd.arg("--cert").arg(&c).arg("--key").arg(&k);
            cert = Some(c);
        }
        let guard = Guard(cmd.spawn().expect("recorder did not start"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Ok(p) = text.trim().parse::<u16>() {
                    break p;
                }
            }
            assert!(
                Instant::now() < deadline,
                "recorder wrote no port within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Recorder {
            _guard: guard,
            log,
            rules: rules_path,
            port,
            scheme: if tls { "https" } else { "http" },
            _dir: dir,
            cert,
        }
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// Every request so far; panics on a request no rule answered.
    pub fn requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("recorder log line"))
            .collect();
        for r in &all {
            assert!(
                r.get("unrouted").is_none(),
                "request the test did not expect: {r}"
            );
        }
        all
    }

    /// Replaces the rules (the recorder reads them for each request).
    pub fn set_rules(&self, rules: &Value) {
        let tmp = self.rules.with_extension("tmp");
        std::fs::write(&tmp, rules.to_string()).expect("rules");
        std::fs::rename(&tmp, &self.rules).expect("rules");
    }

    /// Forgets what was recorded (between two runs against one recorder).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider-clis/recorder.py")
}

/// Renders a scenario and returns the directory with redis-settings.sh (shellcheck-clean).
pub fn render_provider(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(&mut render_cmd(dir.path(), args, Some(PASSWORD)));
    assert_eq!(code, 0, "render {args:?}: {out}{err}");
    shellcheck(&dir.path().join("redis-settings.sh"));
    dir
}

pub fn shellcheck(script: &Path) {
    let (code, out, err) = run(Command::new(require("shellcheck"))
        .args(["--shell=bash", "--severity=style"])
        .arg(script));
    assert_eq!(code, 0, "shellcheck {}:\n{out}{err}", script.display());
}

/// A command with a clean environment that keeps every request on loopback: PATH and a
/// private HOME only, proxies pointing at a closed loopback port, 127.0.0.1 exempt.
pub fn sandboxed(program: &str, home: &Path) -> Command {
    let dead_proxy = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = Command::new(require(program));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("TMPDIR", home)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
    ] {
        cmd.env(var, &dead_proxy);
    }
    cmd
}

/// Runs DIR/redis-settings.sh with bash in the sandbox plus `env`; returns (exit, out, err).
pub fn run_settings(dir: &Path, home: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = sandboxed("bash", home);
    cmd.arg(dir.join("redis-settings.sh")).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// `a=1&b=x%3Ay` → pairs (AWS query protocol bodies).
fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------- ElastiCache (AWS CLI)

fn xml(action: &str, result: &str) -> Value {
    json!({
        "body": format!("Action={action}&"),
        "type": "text/xml",
        "text": format!(
            "<{action}Response xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\">\
             <{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>r-{action}</RequestId></ResponseMetadata></{action}Response>"
        ),
    })
}

struct Group<'a> {
    cluster_enabled: bool,
    engine: &'a str,
    version: &'a str,
    parameter_group: &'a str,
    transit: Option<&'a str>,
    family_reported: &'a str,
    custom_group_exists: bool,
}

fn aws_rules(g: &Group) -> Value {
    let transit = match g.transit {
        Some(mode) => format!(
            "<TransitEncryptionEnabled>true</TransitEncryptionEnabled><TransitEncryptionMode>{mode}</TransitEncryptionMode>"
        ),
        None => "<TransitEncryptionEnabled>false</TransitEncryptionEnabled>".into(),
    };
    let not_found = json!({
        "body": "Action=DescribeCacheParameterGroups&",
        "status": 404,
        "type": "text/xml",
        "text": "<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\"><Error>\
                 <Type>Sender</Type><Code>CacheParameterGroupNotFound</Code><Message>not found</Message>\
                 </Error><RequestId>r-404</RequestId></ErrorResponse>",
    });
    let describe_group = if g.custom_group_exists {
        xml(
            "DescribeCacheParameterGroups",
            "<CacheParameterGroups><CacheParameterGroup><CacheParameterGroupName>x</CacheParameterGroupName>\
             </CacheParameterGroup></CacheParameterGroups>",
        )
    } else {
        not_found
    };
    json!([
        xml("DescribeReplicationGroups", &format!(
            "<ReplicationGroups><ReplicationGroup><ReplicationGroupId>cw</ReplicationGroupId>\
             <MemberClusters><ClusterId>cw-001</ClusterId><ClusterId>cw-002</ClusterId></MemberClusters>\
             <ClusterEnabled>{}</ClusterEnabled>{transit}</ReplicationGroup></ReplicationGroups>",
            g.cluster_enabled
        )),
        xml("DescribeCacheClusters", &format!(
            "<CacheClusters><CacheCluster><CacheClusterId>cw-001</CacheClusterId><Engine>{}</Engine>\
             <EngineVersion>{}</EngineVersion><CacheParameterGroup><CacheParameterGroupName>{}\
             </CacheParameterGroupName><ParameterApplyStatus>in-sync</ParameterApplyStatus>\
             </CacheParameterGroup></CacheCluster></CacheClusters>",
            g.engine, g.version, g.parameter_group
        )),
        xml("DescribeCacheEngineVersions", &format!(
            "<CacheEngineVersions><CacheEngineVersion><Engine>{}</Engine><EngineVersion>{}</EngineVersion>\
             <CacheParameterGroupFamily>{}</CacheParameterGroupFamily></CacheEngineVersion></CacheEngineVersions>",
            g.engine, g.version, g.family_reported
        )),
        describe_group,
        xml("CreateCacheParameterGroup",
            "<CacheParameterGroup><CacheParameterGroupName>x</CacheParameterGroupName></CacheParameterGroup>"),
        xml("ModifyCacheParameterGroup", "<CacheParameterGroupName>x</CacheParameterGroupName>"),
        xml("ModifyReplicationGroup",
            "<ReplicationGroup><ReplicationGroupId>cw</ReplicationGroupId></ReplicationGroup>"),
    ])
}

/// The AWS CLI with fake credentials, no config files, no instance metadata.
fn aws_env(rec: &Recorder, home: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), rec.url()),
        ("AWS_ACCESS_KEY_ID".into(), "AKIDFAKEFAKEFAKE0000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "fake-secret".into()),
        (
            "AWS_CONFIG_FILE".into(),
            home.join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            home.join("aws-creds").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_MAX_ATTEMPTS".into(), "1".into()),
    ]
}

fn run_aws_case(
    dir: &Path,
    g: &Group,
    extra: &[(&str, &str)],
) -> (i32, String, Vec<Vec<(String, String)>>) {
    require("aws");
    let home = tempfile::tempdir().expect("tmp");
    let rec = Recorder::start(&aws_rules(g), false);
    let env = aws_env(&rec, home.path());
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    let (code, out, err) = run_settings(dir, home.path(), &all);
    let reqs = rec.requests();
    assert!(
        !reqs.is_empty(),
        "the AWS CLI sent nothing to the recorder: {out}{err}"
    );
    let calls = reqs
        .iter()
        .map(|r| {
            assert_eq!(r["method"], "POST", "{r}");
            form(r["body"].as_str().unwrap_or_default())
        })
        .collect();
    (code, format!("{out}{err}"), calls)
}

fn actions(calls: &[Vec<(String, String)>]) -> Vec<String> {
    calls
        .iter()
        .map(|c| param(c, "Action").unwrap_or("?").to_string())
        .collect()
}

fn find<'a>(calls: &'a [Vec<(String, String)>], action: &str) -> Vec<&'a Vec<(String, String)>> {
    calls
        .iter()
        .filter(|c| param(c, "Action") == Some(action))
        .collect()
}

#[test]
fn elasticache_script_with_the_real_aws_cli_creates_a_valkey9_group_and_enables_tls_in_two_steps() {
    let r = render_provider(&[
        "--scenario",
        "elasticache",
        "--host",
        "master.cw.abc123.use1.cache.amazonaws.com",
        "--tls",
    ]);
    let g = Group {
        cluster_enabled: false,
        engine: "valkey",
        version: "9.0.1",
        parameter_group: "default.valkey9",
        transit: None,
        family_reported: "valkey9",
        custom_group_exists: false,
    };
    let (code, out, calls) =
        run_aws_case(r.path(), &g, &[("TRANSIT_ENCRYPTION_MODE", "preferred")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        actions(&calls),
        [
            "DescribeReplicationGroups",
            "DescribeCacheClusters",
            "DescribeCacheEngineVersions",
            "DescribeCacheParameterGroups",
            "CreateCacheParameterGroup",
            "ModifyCacheParameterGroup",
            "ModifyReplicationGroup",
            "ModifyReplicationGroup",
        ],
        "{out}"
    );
    // Group and region come from the endpoint; the first member's engine decides the family.
    assert_eq!(param(&calls[0], "ReplicationGroupId"), Some("cw"));
    assert_eq!(param(&calls[1], "CacheClusterId"), Some("cw-001"));
    assert_eq!(param(&calls[2], "Engine"), Some("valkey"));
    assert_eq!(param(&calls[2], "EngineVersion"), Some("9.0.1"));
    let create = &calls[4];
    assert_eq!(
        param(create, "CacheParameterGroupFamily"),
        Some("valkey9"),
        "family AWS reported"
    );
    assert_eq!(
        param(create, "CacheParameterGroupName"),
        Some("chatwoot-valkey9-noeviction")
    );
    let modify = &calls[5];
    assert_eq!(
        param(modify, "CacheParameterGroupName"),
        Some("chatwoot-valkey9-noeviction")
    );
    assert_eq!(
        param(
            modify,
            "ParameterNameValues.ParameterNameValue.1.ParameterName"
        ),
        Some("maxmemory-policy")
    );
    assert_eq!(
        param(
            modify,
            "ParameterNameValues.ParameterNameValue.1.ParameterValue"
        ),
        Some("noeviction")
    );
    let attach = &calls[6];
    assert_eq!(
        param(attach, "CacheParameterGroupName"),
        Some("chatwoot-valkey9-noeviction")
    );
    assert_eq!(param(attach, "ApplyImmediately"), Some("true"));
    let tls = &calls[7];
    assert_eq!(param(tls, "TransitEncryptionEnabled"), Some("true"));
    assert_eq!(param(tls, "TransitEncryptionMode"), Some("preferred"));
    assert!(
        out.contains("TRANSIT_ENCRYPTION_MODE=required"),
        "second step named: {out}"
    );

    // Without TRANSIT_ENCRYPTION_MODE the script only explains the two steps.
    let (code, out, calls) = run_aws_case(r.path(), &g, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("two steps") && out.contains("TRANSIT_ENCRYPTION_MODE=preferred"),
        "{out}"
    );
    assert!(!out.contains("chosen at creation"), "{out}");
    assert!(find(&calls, "ModifyReplicationGroup").iter().all(|c| param(
        c,
        "TransitEncryptionMode"
    )
    .is_none()));
    // Second step on a group already in preferred mode.
    let preferred = Group {
        transit: Some("preferred"),
        ..g
    };
    let (code, out, calls) = run_aws_case(
        r.path(),
        &preferred,
        &[("TRANSIT_ENCRYPTION_MODE", "required")],
    );
    assert_eq!(code, 0, "{out}");
    let last = calls.last().expect("calls");
    assert_eq!(
        param(last, "TransitEncryptionMode"),
        Some("required"),
        "{out}"
    );
}

/// The committed ElastiCache example, run whole by the real AWS CLI: the group comes from its
/// endpoint (`master.chatwoot.…`), and the group gets a noeviction parameter group.
#[test]
fn committed_elasticache_example_runs_with_the_real_aws_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/elasticache/redis-settings.sh"),
        dir.path().join("redis-settings.sh"),
    )
    .expect("examples/elasticache/redis-settings.sh");
    let g = Group {
        cluster_enabled: false,
        engine: "redis",
        version: "7.1.0",
        parameter_group: "default.redis7",
        transit: Some("required"),
        family_reported: "redis7",
        custom_group_exists: false,
    };
    let (code, out, calls) = run_aws_case(dir.path(), &g, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        param(&calls[0], "ReplicationGroupId"),
        Some("chatwoot"),
        "{out}"
    );
    let modify = find(&calls, "ModifyCacheParameterGroup");
    assert_eq!(modify.len(), 1, "{out}");
    assert_eq!(
        param(
            modify[0],
            "ParameterNameValues.ParameterNameValue.1.ParameterValue"
        ),
        Some("noeviction")
    );
    let attach = find(&calls, "ModifyReplicationGroup");
    assert_eq!(
        attach
            .first()
            .and_then(|c| param(c, "CacheParameterGroupName")),
        Some("chatwoot-redis7-noeviction"),
        "{out}"
    );
}

#[test]
fn elasticache_script_keeps_a_custom_parameter_group_and_names_old_and_unknown_engines() {
    let r = render_provider(&[
        "--scenario",
        "elasticache",
        "--host",
        "master.cw.abc123.euw1.cache.amazonaws.com",
    ]);
    let custom = Group {
        cluster_enabled: false,
        engine: "redis",
        version: "7.1.0",
        parameter_group: "team-params",
        transit: Some("required"),
        family_reported: "redis7",
        custom_group_exists: true,
    };
    let (code, out, calls) = run_aws_case(r.path(), &custom, &[]);
    assert_eq!(code, 0, "{out}");
    // maxmemory-policy changes inside the user's group; no new group, nothing re-attached.
    assert_eq!(
        actions(&calls),
        [
            "DescribeReplicationGroups",
            "DescribeCacheClusters",
            "ModifyCacheParameterGroup"
        ],
        "{out}"
    );
    assert_eq!(
        param(&calls[2], "CacheParameterGroupName"),
        Some("team-params")
    );
    assert_eq!(
        param(
            &calls[2],
            "ParameterNameValues.ParameterNameValue.1.ParameterValue"
        ),
        Some("noeviction")
    );

    // Redis 6.2 works with a warning about Sidekiq 8; the default group is replaced.
    let r62 = Group {
        version: "6.2.6",
        parameter_group: "default.redis6.x",
        custom_group_exists: false,
        ..custom
    };
    let (code, out, calls) = run_aws_case(r.path(), &r62, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Sidekiq 8 needs Redis 7.0+"), "{out}");
    let create = find(&calls, "CreateCacheParameterGroup");
    assert_eq!(
        param(create[0], "CacheParameterGroupFamily"),
        Some("redis6.x")
    );
    assert_eq!(
        param(create[0], "CacheParameterGroupName"),
        Some("chatwoot-redis6-x-noeviction")
    );

    for (g, why, not) in [
        (
            Group {
                cluster_enabled: true,
                ..r62
            },
            "cluster mode enabled",
            "upgrade",
        ),
        (
            Group {
                version: "6.0.5",
                ..r62
            },
            "upgrade the engine",
            "unknown",
        ),
        (
            Group {
                engine: "valkey",
                version: "10.0.0",
                ..r62
            },
            "unknown",
            "upgrade",
        ),
        (
            Group {
                engine: "valkey",
                version: "9.0.0",
                family_reported: "",
                ..r62
            },
            "unknown",
            "upgrade",
        ),
    ] {
        let (code, out, calls) = run_aws_case(r.path(), &g, &[]);
        assert_eq!(code, 1, "{why}: {out}");
        assert!(out.contains(why), "{why}: {out}");
        assert!(!out.contains(not), "{why}: says {not}: {out}");
        assert!(
            actions(&calls)
                .iter()
                .all(|a| !a.starts_with("Modify") && !a.starts_with("Create")),
            "nothing is modified: {:?}",
            actions(&calls)
        );
    }
}

// ---------------------------------------------------------------- Memorystore (gcloud)

fn gcloud_rules(version: &str, with_ca: bool) -> Value {
    let name = "projects/p1/locations/us-central1/instances/cw";
    let mut instance = json!({
        "name": name,
        "redisVersion": version,
        "tier": "STANDARD_HA",
        "host": "10.0.0.3",
        "port": 6378,
        "redisConfigs": {"maxmemory-policy": "volatile-lru"},
    });
    if with_ca {
        instance["serverCaCerts"] = json!([{"cert": "-----BEGIN CERTIFICATE-----\nTEST0SERVER0CA\n-----END CERTIFICATE-----"}]);
    }
    let op = json!({
        "name": "projects/p1/locations/us-central1/operations/op1",
        "done": true,
        "response": {"@type": "type.googleapis.com/google.cloud.redis.v1.Instance", "name": name},
    });
    json!([
        {"method": "GET", "path": "^/v1/projects/p1/locations/us-central1/instances/cw(\\?|$)", "json": instance},
        {"method": "PATCH", "path": "^/v1/projects/p1/locations/us-central1/instances/cw\\?", "json": op},
        {"method": "GET", "path": "^/v1/projects/p1/locations/us-central1/operations/op1", "json": op},
    ])
}

fn run_gcloud_case(dir: &Path, rec: &Recorder, extra: &[(&str, &str)]) -> (i32, String) {
    require("gcloud");
    let home = tempfile::tempdir().expect("tmp");
    let config = home.path().join("gcloud");
    std::fs::create_dir_all(&config).expect("config dir");
    let token = home.path().join("token");
    std::fs::write(&token, "fake-access-token").expect("token");
    let endpoint = format!("{}/", rec.url());
    let mut env = vec![
        ("CLOUDSDK_CONFIG", config.display().to_string()),
        ("CLOUDSDK_CORE_PROJECT", "p1".into()),
        (
            "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
            token.display().to_string(),
        ),
        ("CLOUDSDK_API_ENDPOINT_OVERRIDES_REDIS", endpoint),
        ("CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true".into()),
        (
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK",
            "true".into(),
        ),
        ("CLOUDSDK_CORE_DISABLE_PROMPTS", "1".into()),
        ("MEMORYSTORE_INSTANCE", "cw".into()),
        ("MEMORYSTORE_REGION", "us-central1".into()),
    ];
    for (k, v) in extra {
        env.push((k, v.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, err) = run_settings(dir, home.path(), &env);
    (code, format!("{out}{err}"))
}

#[test]
fn memorystore_script_with_the_real_gcloud_checks_the_version_and_builds_the_ca_bundle() {
    let r = render_provider(&["--scenario", "memorystore", "--host", "10.0.0.3", "--tls"]);
    let rec = Recorder::start(&gcloud_rules("REDIS_7_2", true), false);
    let system = r.path().join("system-ca.pem");
    std::fs::write(
        &system,
        "-----BEGIN CERTIFICATE-----\nSYSTEM0CA\n-----END CERTIFICATE-----\n",
    )
    .expect("ca");
    let system_s = system.display().to_string();
    let (code, out) = run_gcloud_case(r.path(), &rec, &[("SYSTEM_CA_BUNDLE", &system_s)]);
    assert_eq!(code, 0, "{out}");
    let reqs = rec.requests();
    assert!(
        !reqs.is_empty(),
        "gcloud sent nothing to the recorder: {out}"
    );
    for q in &reqs {
        assert_eq!(
            q["headers"]["authorization"], "Bearer fake-access-token",
            "{q}"
        );
    }
    let patches: Vec<&Value> = reqs.iter().filter(|q| q["method"] == "PATCH").collect();
    assert_eq!(patches.len(), 1, "{reqs:?}");
    let path = patches[0]["path"].as_str().unwrap_or_default();
    assert!(path.contains("updateMask=redis_configs"), "{path}");
    let body: Value =
        serde_json::from_str(patches[0]["body"].as_str().unwrap_or("{}")).expect("json body");
    assert_eq!(
        body["redisConfigs"]["maxmemory-policy"], "noeviction",
        "{body}"
    );
    // CA bundle: the system CAs, then the instance's server CA; SSL_CERT_FILE explained.
    let bundle = std::fs::read_to_string(r.path().join("memorystore-ca-bundle.pem"))
        .expect("bundle written");
    assert!(
        bundle.starts_with("-----BEGIN CERTIFICATE-----\nSYSTEM0CA\n"),
        "{bundle}"
    );
    assert!(
        bundle
            .trim_end()
            .ends_with("TEST0SERVER0CA\n-----END CERTIFICATE-----"),
        "{bundle}"
    );
    assert!(out.contains("SSL_CERT_FILE="), "{out}");
    assert!(
        out.contains("REDIS_OPENSSL_VERIFY_MODE=none"),
        "fallback named: {out}"
    );
    let script = std::fs::read_to_string(r.path().join("redis-settings.sh")).expect("script");
    assert!(script.contains("harmless safeguard"), "CLIENT note");
    assert!(script.contains("value(serverCaCerts[0].cert)"));

    // Too old: refused before any change. 6.x: warned. Unknown: "unknown".
    for (version, code_wanted, says, patched) in [
        ("REDIS_5_0", 1, "upgrade", false),
        ("REDIS_6_X", 0, "Sidekiq 8 needs Redis 7.0+", true),
        ("REDIS_9_9", 1, "unknown", false),
    ] {
        let rec = Recorder::start(&gcloud_rules(version, true), false);
        let (code, out) = run_gcloud_case(r.path(), &rec, &[("SYSTEM_CA_BUNDLE", &system_s)]);
        assert_eq!(code, code_wanted, "{version}: {out}");
        assert!(out.contains(says), "{version}: {out}");
        let reqs = rec.requests();
        assert!(!reqs.is_empty(), "{version}: nothing recorded");
        assert_eq!(
            reqs.iter().any(|q| q["method"] == "PATCH"),
            patched,
            "{version}: {reqs:?}"
        );
    }
}

// ---------------------------------------------------------------- Heroku (heroku CLI)

fn heroku_rules() -> Value {
    let addon = json!({
        "id": "01234567-89ab-cdef-0123-456789abcdef",
        "name": "redis-shiny-12345",
        "app": {"name": "cw-app"},
        "addon_service": {"name": "heroku-redis"},
        "config_vars": ["REDIS_URL"],
        "plan": {"name": "heroku-redis:mini"},
    });
    json!([
        {"method": "GET", "path": "^/apps/cw-app/addons$", "json": [addon]},
        {"method": "PATCH", "path": "^/redis/v0/databases/redis-shiny-12345/config$",
         "json": {"maxmemory_policy": {"value": "noeviction", "values": {"noeviction": "return errors when memory limit is reached"}}}},
        {"method": "PATCH", "path": "^/apps/cw-app/config-vars$", "json": {}},
        {"method": "GET", "path": "^/apps/cw-app/releases", "json": [{"version": 7}]},
        {"path": "^/analytics", "json": {}},
    ])
}

/// The Heroku CLI with a fake API key; the platform API, the data (Key-Value Store) API and
/// the CLI's analytics all go to the recorder; telemetry and update checks are off.
fn run_heroku(dir: &Path, rec: &Recorder, home: &Path) -> (i32, String, String) {
    let h = home.display().to_string();
    run_settings(
        dir,
        home,
        &[
            ("HEROKU_APP", "cw-app"),
            ("HEROKU_API_KEY", "fake-heroku-api-key"),
            ("HEROKU_HOST", &rec.url()),
            ("HEROKU_DATA_HOST", "127.0.0.1"),
            ("HEROKU_ANALYTICS_URL", &format!("{}/analytics", rec.url())),
            ("DISABLE_TELEMETRY", "true"),
            ("HEROKU_SKIP_NEW_VERSION_CHECK", "1"),
            ("HEROKU_DISABLE_AUTOUPDATE", "1"),
            ("XDG_CONFIG_HOME", &format!("{h}/config")),
            ("XDG_DATA_HOME", &format!("{h}/data")),
            ("XDG_CACHE_HOME", &format!("{h}/cache")),
        ],
    )
}

#[test]
fn heroku_script_with_the_real_heroku_cli_sets_noeviction_and_config_vars() {
    require("heroku");
    let r = render_provider(&[
        "--scenario",
        "heroku",
        "--host",
        "ec2-3-1-2-3.compute-1.amazonaws.com",
        "--port",
        "12345",
        "--max-connections",
        "400",
    ]);
    let script = std::fs::read_to_string(r.path().join("redis-settings.sh")).expect("script");
    assert!(
        !script.contains("maxclients"),
        "no maxclients on Heroku:\n{script}"
    );
    let rec = Recorder::start(&heroku_rules(), false);
    let home = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run_heroku(r.path(), &rec, home.path());
    assert_eq!(code, 0, "{out}{err}");
    let reqs = rec.requests();
    assert!(
        !reqs.is_empty(),
        "heroku sent nothing to the recorder: {err}"
    );
    for q in reqs.iter().filter(|q| q["path"] != "/analytics") {
        assert_eq!(
            q["headers"]["authorization"], "Bearer fake-heroku-api-key",
            "{q}"
        );
    }
    let bodies = |m: &str, p: &str| -> Vec<Value> {
        reqs.iter()
            .filter(|q| q["method"] == m && q["path"] == p)
            .map(|q| serde_json::from_str(q["body"].as_str().unwrap_or("{}")).expect("json"))
            .collect()
    };
    assert_eq!(
        bodies("PATCH", "/redis/v0/databases/redis-shiny-12345/config"),
        [json!({"maxmemory_policy": "noeviction"})]
    );
    let vars = bodies("PATCH", "/apps/cw-app/config-vars");
    assert_eq!(vars.len(), 2, "{reqs:?}");
    assert_eq!(vars[0]["REDIS_OPENSSL_VERIFY_MODE"], "none");
    assert!(
        vars[0]["REDIS_ALFRED_SIZE"]
            .as_str()
            .is_some_and(|s| s.parse::<u32>().is_ok()),
        "{}",
        vars[0]
    );
    assert!(
        vars[0]["REDIS_VELMA_SIZE"]
            .as_str()
            .is_some_and(|s| s.parse::<u32>().is_ok()),
        "{}",
        vars[0]
    );
    assert_eq!(
        vars[1],
        json!({"REDIS_PASSWORD": null, "REDIS_SENTINELS": null, "REDIS_SENTINEL_MASTER_NAME": null})
    );
}

// ---------------------------------------------------------------- DigitalOcean (curl, API)

#[test]
fn digitalocean_script_sends_the_valkey_config_to_the_api() {
    require("curl");
    let r = render_provider(&[
        "--scenario",
        "digitalocean",
        "--host",
        "db-do-user-1-0.b.db.ondigitalocean.com",
    ]);
    let script = std::fs::read_to_string(r.path().join("redis-settings.sh")).expect("script");
    assert!(
        script.contains("25061") && script.contains("25060 is DigitalOcean's PostgreSQL"),
        "{script}"
    );
    let rules = json!([
        {"method": "PATCH", "path": "^/v2/databases/abc-123/config$", "status": 204, "text": ""},
        {"method": "GET", "path": "^/v2/databases/abc-123/config$",
         "json": {"config": {"valkey_maxmemory_policy": "noeviction", "valkey_persistence": "rdb"}}},
    ]);
    let home = tempfile::tempdir().expect("tmp");
    for (persistence, expected) in [
        (
            "",
            json!({"config": {"valkey_maxmemory_policy": "noeviction"}}),
        ),
        (
            "rdb",
            json!({"config": {"valkey_maxmemory_policy": "noeviction", "valkey_persistence": "rdb"}}),
        ),
    ] {
        let rec = Recorder::start(&rules, false);
        let (code, out, err) = run_settings(
            r.path(),
            home.path(),
            &[
                ("DO_DATABASE_ID", "abc-123"),
                ("DIGITALOCEAN_TOKEN", "fake-do-token"),
                ("DIGITALOCEAN_API_URL", &rec.url()),
                ("VALKEY_PERSISTENCE", persistence),
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        let reqs = rec.requests();
        assert_eq!(reqs.len(), 2, "{reqs:?}");
        assert_eq!(reqs[0]["method"], "PATCH");
        assert_eq!(reqs[0]["headers"]["authorization"], "Bearer fake-do-token");
        assert_eq!(reqs[0]["headers"]["content-type"], "application/json");
        let body: Value =
            serde_json::from_str(reqs[0]["body"].as_str().unwrap_or("")).expect("json body");
        assert_eq!(body, expected);
        assert_eq!(reqs[1]["method"], "GET");
        assert!(out.contains("valkey_maxmemory_policy"), "{out}");
    }
    // A wrong persistence value stops before any request.
    let rec = Recorder::start(&rules, false);
    let (code, _, err) = run_settings(
        r.path(),
        home.path(),
        &[
            ("DO_DATABASE_ID", "abc-123"),
            ("DIGITALOCEAN_TOKEN", "fake-do-token"),
            ("DIGITALOCEAN_API_URL", &rec.url()),
            ("VALKEY_PERSISTENCE", "aof"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("VALKEY_PERSISTENCE=aof"), "{err}");
    assert!(rec.requests().is_empty());
}

// ---------------------------------------------------------------- Azure Managed Redis (az)

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000aa";

fn azure_rules(policy: &str, access_keys: &str) -> Value {
    let db = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.Cache/redisEnterprise/cw/databases/default"
    );
    let database = json!({
        "id": db,
        "name": "default",
        "properties": {
            "clusteringPolicy": policy,
            "evictionPolicy": "VolatileLRU",
            "accessKeysAuthentication": access_keys,
            "port": 10000,
        },
    });
    json!([
        {"method": "GET", "path": "^/metadata/endpoints\\?", "json": {
            "name": "Loopback",
            "authentication": {"loginEndpoint": "{base}login", "audiences": ["{base}"], "tenant": "common", "identityProvider": "AAD"},
            "resourceManager": "{base}", "portal": "{base}", "gallery": "{base}", "sqlManagement": "{base}",
            "batch": "{base}", "media": "{base}", "graphAudience": "{base}", "graph": "{base}",
            "activeDirectoryDataLake": "{base}", "vmImageAliasDoc": "{base}", "suffixes": {},
        }},
        {"method": "GET", "path": "^/msi/token\\?", "json": {
            "access_token": "{jwt}", "expires_on": "{exp}", "resource": "{base}", "token_type": "Bearer",
        }},
        {"method": "GET", "path": "^/subscriptions\\?", "json": {"value": [{
            "id": format!("/subscriptions/{SUBSCRIPTION}"), "subscriptionId": SUBSCRIPTION,
            "displayName": "test", "state": "Enabled", "tenantId": "00000000-0000-0000-0000-00000000000a",
        }]}},
        {"method": "GET", "path": format!("^{db}\\?api-version=2025-07-01$"), "json": database},
        {"method": "PATCH", "path": format!("^{db}\\?api-version=2025-07-01$"), "json": database},
    ])
}

/// A logged-in Azure CLI whose only cloud is the recorder: a registered custom cloud with
/// every endpoint on loopback, and a managed-identity login whose token endpoint is the
/// recorder too (IDENTITY_ENDPOINT). Returns the environment for further az calls.
fn azure_login(rec: &Recorder, home: &Path) -> Vec<(String, String)> {
    let cert = rec
        .cert
        .as_ref()
        .expect("TLS recorder: azure-core sends tokens only over https");
    let env = vec![
        (
            "AZURE_CONFIG_DIR".to_string(),
            home.join("azure").display().to_string(),
        ),
        ("AZURE_CORE_COLLECT_TELEMETRY".into(), "no".into()),
        ("AZURE_CORE_NO_COLOR".into(), "yes".into()),
        ("AZURE_CORE_ONLY_SHOW_ERRORS".into(), "yes".into()),
        ("REQUESTS_CA_BUNDLE".into(), cert.display().to_string()),
        (
            "IDENTITY_ENDPOINT".into(),
            format!("{}/msi/token", rec.url()),
        ),
        ("IDENTITY_HEADER".into(), "fake-identity-header".into()),
    ];
    let base = format!("{}/", rec.url());
    for args in [
        vec![
            "cloud",
            "register",
            "--name",
            "Loopback",
            "--endpoint-resource-manager",
            &base,
        ],
        vec!["cloud", "set", "--name", "Loopback"],
        vec!["login", "--identity", "--output", "none"],
    ] {
        let mut cmd = sandboxed("az", home);
        cmd.args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "az {args:?}: {out}{err}");
    }
    env
}

fn az_python() -> PathBuf {
    let az = std::fs::canonicalize(require("az")).expect("az path");
    az.with_file_name("python3")
}

fn check_azure_bodies(bodies: &[String]) {
    let (code, out, err) = run(Command::new(az_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider-clis/azure_model_check.py"))
        .args(bodies));
    assert_eq!(
        code, 0,
        "bodies {bodies:?} against the redisEnterprise model: {out}{err}"
    );
}

/// The recorder and a logged-in az for several runs of the Azure script.
struct Azure {
    rec: Recorder,
    home: tempfile::TempDir,
    login: Vec<(String, String)>,
}

impl Azure {
    fn new() -> Azure {
        let rec = Recorder::start(&azure_rules("NoCluster", "Enabled"), true);
        let home = tempfile::tempdir().expect("tmp");
        let login = azure_login(&rec, home.path());
        Azure { rec, home, login }
    }

    /// Runs the script against a database with this policy and access-key setting; returns
    /// (exit, output, PATCH bodies), the bodies checked against the service model.
    fn run(
        &self,
        dir: &Path,
        policy: &str,
        keys: &str,
        extra: &[(&str, &str)],
    ) -> (i32, String, Vec<String>) {
        self.rec.set_rules(&azure_rules(policy, keys));
        self.rec.clear();
        let mut env: Vec<(&str, &str)> = self
            .login
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        env.push(("AZURE_RESOURCE_GROUP", "rg1"));
        env.extend_from_slice(extra);
        let (code, out, err) = run_settings(dir, self.home.path(), &env);
        let reqs = self.rec.requests();
        assert!(
            !reqs.is_empty(),
            "az sent nothing to the recorder: {out}{err}"
        );
        let db_get = reqs
            .iter()
            .filter(|q| {
                q["method"] == "GET"
                    && q["path"]
                        .as_str()
                        .is_some_and(|p| p.contains("/databases/default?"))
            })
            .count();
        assert_eq!(db_get, 1, "the database is read once: {reqs:?}");
        for q in reqs.iter().filter(|q| {
            q["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/subscriptions/"))
        }) {
            let auth = q["headers"]["authorization"].as_str().unwrap_or_default();
            assert!(
                auth.starts_with("Bearer "),
                "ARM requests carry the token: {q}"
            );
        }
        let patches: Vec<String> = reqs
            .iter()
            .filter(|q| q["method"] == "PATCH")
            .map(|q| q["body"].as_str().unwrap_or_default().to_string())
            .collect();
        check_azure_bodies(&patches);
        (code, format!("{out}{err}"), patches)
    }
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).expect("json body")
}

#[test]
fn azure_script_with_the_real_az_checks_clustering_and_access_keys_then_sets_noeviction() {
    require("az");
    let r = render_provider(&[
        "--scenario",
        "azure",
        "--host",
        "cw.westeurope.redis.azure.net",
    ]);
    let az = Azure::new();
    let (code, out, patches) = az.run(
        r.path(),
        "NoCluster",
        "Enabled",
        &[("AZURE_PERSISTENCE", "aof")],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        patches.iter().map(|b| json_of(b)).collect::<Vec<_>>(),
        [
            json!({"properties": {"evictionPolicy": "NoEviction"}}),
            json!({"properties": {"persistence": {"aofEnabled": true, "aofFrequency": "1s"}}}),
        ],
        "{out}"
    );

    // EnterpriseCluster: warned with the reason, still configured.
    let (code, out, patches) = az.run(r.path(), "EnterpriseCluster", "Enabled", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("CROSSSLOT") && out.contains("BRPOP") && out.contains("NoCluster"),
        "{out}"
    );
    assert_eq!(patches.len(), 1, "{patches:?}");
    assert!(
        out.contains("AZURE_PERSISTENCE=aof"),
        "persistence offered: {out}"
    );

    // OSSCluster is refused; disabled access keys are refused with the fix, or enabled on request.
    let (code, out, patches) = az.run(r.path(), "OSSCluster", "Enabled", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("OSSCluster") && out.contains("NoCluster"),
        "{out}"
    );
    assert!(patches.is_empty(), "{patches:?}");
    let (code, out, patches) = az.run(r.path(), "NoCluster", "Disabled", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Entra ID") && out.contains("ENABLE_ACCESS_KEYS=yes"),
        "{out}"
    );
    assert!(patches.is_empty(), "{patches:?}");
    let (code, out, patches) = az.run(
        r.path(),
        "NoCluster",
        "Disabled",
        &[("ENABLE_ACCESS_KEYS", "yes")],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        json_of(&patches[0]),
        json!({"properties": {"accessKeysAuthentication": "Enabled"}})
    );
    assert_eq!(
        json_of(&patches[1]),
        json!({"properties": {"evictionPolicy": "NoEviction"}})
    );
}

#[test]
fn azure_model_check_rejects_a_property_or_value_the_service_does_not_have() {
    require("az");
    for bad in [
        r#"{"properties":{"evictionPolicy":"noeviction"}}"#,
        r#"{"properties":{"evictionPolicies":"NoEviction"}}"#,
        r#"{"properties":{"persistence":{"aofEnable":true}}}"#,
    ] {
        let (code, out, err) = run(Command::new(az_python())
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/provider-clis/azure_model_check.py"),
            )
            .arg(bad));
        assert_eq!(code, 1, "{bad} passed: {out}{err}");
    }
}

// ---------------------------------------------------------------- a wrong flag fails

/// Replaces `from` by `to` in a rendered script (the text must be there).
fn misspell(dir: &Path, from: &str, to: &str) {
    let path = dir.join("redis-settings.sh");
    let text = std::fs::read_to_string(&path).expect("script");
    assert!(text.contains(from), "{from} not in the script");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn a_misspelled_flag_or_parameter_fails_with_the_real_clis() {
    // AWS: the CLI rejects an unknown option before sending.
    let r = render_provider(&[
        "--scenario",
        "elasticache",
        "--host",
        "master.cw.abc123.use1.cache.amazonaws.com",
    ]);
    misspell(
        r.path(),
        "--cache-parameter-group-family",
        "--cache-parameter-group-famly",
    );
    let g = Group {
        cluster_enabled: false,
        engine: "redis",
        version: "7.1.0",
        parameter_group: "default.redis7",
        transit: None,
        family_reported: "redis7",
        custom_group_exists: false,
    };
    let (code, out, calls) = run_aws_case(r.path(), &g, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(
        find(&calls, "CreateCacheParameterGroup").is_empty(),
        "{out}"
    );
    // gcloud: an unknown flag.
    let r = render_provider(&["--scenario", "memorystore", "--host", "10.0.0.3"]);
    misspell(r.path(), "--update-redis-config", "--update-redis-configs");
    let rec = Recorder::start(&gcloud_rules("REDIS_7_2", false), false);
    let (code, out) = run_gcloud_case(r.path(), &rec, &[]);
    assert_ne!(code, 0, "{out}");
    assert!(
        rec.requests().iter().all(|q| q["method"] != "PATCH"),
        "{out}"
    );
    // heroku: an unknown flag.
    require("heroku");
    let r = render_provider(&[
        "--scenario",
        "heroku",
        "--host",
        "ec2-3-1-2-3.compute-1.amazonaws.com",
        "--port",
        "12345",
    ]);
    misspell(r.path(), "--policy noeviction", "--polcy noeviction");
    let rec = Recorder::start(&heroku_rules(), false);
    let home = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run_heroku(r.path(), &rec, home.path());
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        rec.requests().iter().all(|q| q["method"] != "PATCH"),
        "{err}"
    );
    // az: a misspelled argument of az rest.
    require("az");
    let r = render_provider(&[
        "--scenario",
        "azure",
        "--host",
        "cw.westeurope.redis.azure.net",
    ]);
    misspell(
        r.path(),
        "--body '{\"properties\":{\"evictionPolicy\"",
        "--bdy '{\"properties\":{\"evictionPolicy\"",
    );
    let rec = Recorder::start(&azure_rules("NoCluster", "Enabled"), true);
    let home = tempfile::tempdir().expect("tmp");
    let login = azure_login(&rec, home.path());
    let mut env: Vec<(&str, &str)> = login
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.push(("AZURE_RESOURCE_GROUP", "rg1"));
    let (code, out, err) = run_settings(r.path(), home.path(), &env);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        rec.requests().iter().all(|q| q["method"] != "PATCH"),
        "{err}"
    );
}

// ---------------------------------------------------------------- shellcheck, every variant

#[test]
fn every_provider_script_variant_is_shellcheck_clean() {
    let hosts = [
        ("elasticache", "master.cw.abc123.use1.cache.amazonaws.com"),
        ("elasticache", "cw.internal.example"),
        ("azure", "cw.westeurope.redis.azure.net"),
        ("memorystore", "10.0.0.3"),
        ("heroku", "ec2-3-1-2-3.compute-1.amazonaws.com"),
        ("digitalocean", "db-do-user-1-0.b.db.ondigitalocean.com"),
    ];
    let mut rendered = 0;
    for (scenario, host) in hosts {
        for extra in [
            &[][..],
            &["--tls"][..],
            &["--no-tls"][..],
            &["--auth", "none"][..],
            &["--max-connections", "400"][..],
        ] {
            let mut args = vec!["--scenario", scenario, "--host", host];
            if scenario == "heroku" {
                args.extend(["--port", "12345"]);
            }
            args.extend_from_slice(extra);
            let dir = tempfile::tempdir().expect("tmp");
            let (code, _, _) = run(&mut render_cmd(dir.path(), &args, Some(PASSWORD)));
            if code != 0 {
                continue; // a combination the scenario refuses (e.g. no TLS where it is required)
            }
            shellcheck(&dir.path().join("redis-settings.sh"));
            rendered += 1;
        }
    }
    assert!(rendered >= 15, "only {rendered} variants rendered");
}
