//! Hosts, Sentinel master names, namespaces and sentinel passwords: the values refused are
//! exactly the ones a consumer would break, and every other one is accepted. The consumers
//! judge, independently of the tool's own rules:
//! - hosts: glibc's resolver (`res_hnok`, the check getaddrinfo applies to names, and numeric
//!   IPv6 parsing) and Ruby's URI as redis-client reads `redis://HOST:6379`
//!   (tests/ruby/name_judges.rb);
//! - master names: Ruby's URI as Chatwoot's client reads `redis://NAME`, a real
//!   `redis-sentinel` loading the chart's own `sentinel.conf` with the name in it and answering
//!   for it, and, for the bundled chart, the chart's own `…_command="… NAME"` / `eval` lines run
//!   by bash with the real `timeout` and `redis-cli` (in a directory where a glob in the name
//!   would match a file, and once with each `~` as `~/`, which bash expands where it would
//!   expand `~user`);
//! - namespaces: the API server's rule for a namespace, a DNS-1123 label (restated in
//!   tests/integration/k8s.rs: the API server cannot run here);
//! - sentinel passwords: Chatwoot's `present?`, which turns a blank sentinel password into none
//!   (real Ruby's `[[:space:]]`), and, restated as for REDIS_PASSWORD (password_refusals.rs):
//!   what no env or config file line carries, the documented 4096-byte cap, and text the
//!   public files hold anyway (the leak guard could not tell it from the files' own words).
//!
//! A validator removed, or one refusing too much, fails here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::properties::{generate, hostile_value, name_value};
use crate::servers::{free_port, redis_cli, Guard};

const PW: &str = "Names0Judge0Password0abcdefgh";

fn judges_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/name_judges.rb")
}

/// What the resolver and the URL reader make of hosts and master names.
fn judge_names(hosts: &[String], masters: &[String]) -> serde_json::Value {
    let v = ruby_json(
        &[judges_script()],
        &serde_json::json!({ "hosts": hosts, "masters": masters }),
    );
    assert_eq!(v["hosts"].as_array().map(Vec::len), Some(hosts.len()));
    assert_eq!(v["masters"].as_array().map(Vec::len), Some(masters.len()));
    v
}

struct Outcome {
    refused: bool,
    stderr: String,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

/// Renders with `args`; checks the refusal contract (exit 0 or 2, a message naming `names`,
/// nothing written).
fn render(args: &[String], env: &[(&str, &str)], names: &str, what: &str) -> Outcome {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = render_cmd(&dir, &arg_refs, Some(PW));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (code, out, err) = run(&mut cmd);
    assert!(code == 0 || code == 2, "{what}: exit {code}\n{out}\n{err}");
    if code == 2 {
        assert!(!dir.exists(), "{what}: refused but wrote files");
        assert!(
            err.starts_with("error: ") && err.contains(names),
            "{what}: the refusal does not name {names}:\n{err}"
        );
    }
    Outcome {
        refused: code == 2,
        stderr: err,
        _tmp: tmp,
        dir,
    }
}

/// Compares the tool's decisions with the judges'; returns the accepted count.
fn compare(decisions: &[(String, bool, bool, String)], what: &str) -> usize {
    let mismatches: Vec<String> = decisions
        .iter()
        .filter(|(_, refused, carried, _)| *refused == *carried)
        .map(|(value, refused, _, why)| {
            format!(
                "{what} {value:?}: {} but the consumers {}",
                if *refused { "refused" } else { "accepted" },
                if *refused {
                    "carry it unchanged".to_string()
                } else {
                    format!("break it ({why})")
                }
            )
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let accepted = decisions.iter().filter(|d| !d.1).count();
    let refused = decisions.len() - accepted;
    eprintln!("{what}: {accepted} accepted, {refused} refused");
    assert!(
        accepted >= 10 && refused >= 10,
        "{what}: the corpus should exercise both outcomes ({accepted} accepted, {refused} refused)"
    );
    accepted
}

fn corpus(hand: &[&str], generated: usize) -> Vec<String> {
    let mut v: Vec<String> = hand.iter().map(|s| s.to_string()).collect();
    v.extend(generate(name_value(), generated));
    v.sort();
    v.dedup();
    v
}

#[test]
fn hosts_are_refused_exactly_where_the_resolver_or_the_url_reader_would_change_them() {
    let label63 = "a".repeat(63);
    let longest = format!("{0}.{0}.{0}.{1}", label63, "b".repeat(61));
    let mut hosts = corpus(
        &[
            "redis",
            "Redis-1.example.com",
            "a-",
            "a-.b",
            "-a",
            "a.-b",
            "_a",
            "a_b",
            "a..b",
            ".a",
            "a.",
            ".",
            "0777",
            "0x1A",
            "010.0.0.1",
            "127.1",
            "12345",
            "08",
            "1.2.3.4",
            "1.2.3.4.",
            "1.2.3.256",
            "::1",
            "fe80::1",
            "::ffff:1.2.3.4",
            "fe80::1%lo",
            "[::1]",
            "1:2:3:4:5:6:7:8:9",
            "a b",
            "a!b",
            "a~b",
            "a%41",
            "a\\065b",
            "é",
            "a:1",
            "a@b",
            "a/b",
            "a#b",
        ],
        70,
    );
    hosts.push(label63.clone());
    hosts.push(format!("{label63}a"));
    hosts.push(longest.clone());
    hosts.push(format!("{longest}."));
    hosts.push(format!("{longest}b"));
    hosts.push(format!("{longest}b."));
    let judged = judge_names(&hosts, &[]);
    let mut decisions = Vec::new();
    for (host, j) in hosts.iter().zip(judged["hosts"].as_array().expect("hosts")) {
        // A number the resolver reads as another IPv4 address is not the host given (an IPv6
        // literal such as ::ffff:1.2.3.4 stays one).
        let numeric = j["ipv4"]
            .as_str()
            .filter(|ip| ip != host && j["ipv6"] != true);
        let resolver = (j["resolver_name"] == true || j["ipv6"] == true) && numeric.is_none();
        let url = j["url_host"].as_str() == Some(host.as_str());
        let why = match (resolver, url, numeric) {
            (false, _, Some(ip)) => format!("the resolver reads it as the address {ip}"),
            (false, _, None) => "the resolver does not take it as a host".to_string(),
            (true, false, _) => format!("redis-client reads the host {}", j["url_host"]),
            _ => String::new(),
        };
        let what = format!("--host {host:?}");
        let o = render(
            &[
                "--scenario".into(),
                "memorystore".into(),
                format!("--host={host}"),
            ],
            &[],
            "--host",
            &what,
        );
        if !o.refused {
            let env = std::fs::read_to_string(o.dir.join(".env")).expect(".env");
            let url = env_value(&env, "REDIS_URL").expect("REDIS_URL");
            assert!(url.contains(host.as_str()), "{what}: REDIS_URL {url}");
        }
        decisions.push((host.clone(), o.refused, resolver && url, why));
    }
    compare(&decisions, "--host");
}

#[test]
fn namespaces_are_refused_exactly_where_kubernetes_would_refuse_them() {
    let mut namespaces = corpus(
        &[
            "chatwoot", "a", "0", "a-b", "-a", "a-", "A", "a_b", "a.b", "a b", "é", "1e5", "true",
        ],
        60,
    );
    for n in [62, 63, 64] {
        namespaces.push("n".repeat(n));
    }
    let mut decisions = Vec::new();
    for ns in &namespaces {
        let what = format!("--namespace {ns:?}");
        let o = render(
            &[
                "--scenario".into(),
                "kubernetes-sentinel".into(),
                format!("--namespace={ns}"),
            ],
            &[],
            "--namespace",
            &what,
        );
        if !o.refused {
            let secret = std::fs::read_to_string(o.dir.join("redis-secret.yaml")).expect("secret");
            let v: yaml_serde::Value = yaml_serde::from_str(&secret).expect("secret YAML");
            assert_eq!(
                v["metadata"]["namespace"].as_str(),
                Some(ns.as_str()),
                "{what}"
            );
        }
        let carried = crate::k8s::dns_label(ns, 63);
        decisions.push((
            ns.clone(),
            o.refused,
            carried,
            "the API server refuses a namespace that is not a DNS-1123 label".into(),
        ));
    }
    compare(&decisions, "--namespace");
}

/// The bundled chart's own text around the master name: its `sentinel.conf` and the command
/// lines its scripts `eval` (plain, not TLS), with `PLACEHOLDER` where the name goes.
struct ChartText {
    sentinel_conf: String,
    eval_lines: Vec<(String, String)>,
}

const PLACEHOLDER: &str = "judgemaster0";

fn chart_text() -> ChartText {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let (code, out, err) = run(&mut render_cmd(
        &dir,
        &[
            "--scenario",
            "kubernetes-sentinel",
            &format!("--sentinel-master={PLACEHOLDER}"),
        ],
        Some(PW),
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    let rendered =
        crate::helm_chart::helm_template("chatwoot", "chatwoot", &dir.join("values.redis.yaml"));
    let objects = crate::k8s::parse_manifests(&rendered);
    let mut sentinel_conf = None;
    let mut eval_lines = Vec::new();
    for o in objects.iter().filter(|o| o["kind"] == "ConfigMap") {
        let Some(data) = o["data"].as_object() else {
            continue;
        };
        for (key, text) in data {
            let text = text.as_str().unwrap_or_default();
            if key == "sentinel.conf" {
                sentinel_conf = Some(text.to_string());
            }
            // `name_command="… get-master-addr-by-name judgemaster0"`, later `eval $name_command`.
            for line in text.lines().map(str::trim) {
                if let Some((var, _)) = line.split_once("_command=\"") {
                    if line.contains(&format!("get-master-addr-by-name {PLACEHOLDER}\""))
                        && !line.contains("--tls")
                        && text.contains(&format!("eval ${var}_command"))
                    {
                        eval_lines.push((format!("{var}_command"), line.to_string()));
                    }
                }
            }
        }
    }
    eval_lines.sort();
    eval_lines.dedup();
    let sentinel_conf = sentinel_conf.expect("the chart renders a sentinel.conf");
    assert!(
        sentinel_conf.contains(&format!("sentinel monitor {PLACEHOLDER} ")),
        "{sentinel_conf}"
    );
    assert!(
        eval_lines.len() >= 2,
        "the chart's scripts no longer eval a get-master-addr-by-name command: {eval_lines:?}"
    );
    ChartText {
        sentinel_conf,
        eval_lines,
    }
}

/// A real redis-sentinel loading the chart's sentinel.conf with `name`, or None when it does
/// not start with it.
fn start_sentinel(chart: &ChartText, name: &str, dir: &Path) -> Option<(Guard, u16)> {
    let port = free_port();
    let mut conf = String::new();
    for line in chart.sentinel_conf.lines() {
        let line = if line.starts_with("port ") {
            format!("port {port}")
        } else if line.starts_with("dir ") {
            format!("dir \"{}\"", dir.display())
        } else if let Some(rest) = line.strip_prefix(&format!("sentinel monitor {PLACEHOLDER} ")) {
            // The master's host: loopback (no master needs to run to be named).
            let quorum = rest.split_whitespace().last().unwrap_or("1");
            format!("sentinel monitor {name} 127.0.0.1 6379 {quorum}")
        } else {
            line.replace(PLACEHOLDER, name)
        };
        conf.push_str(&line);
        conf.push('\n');
    }
    conf.push_str(&format!("bind 127.0.0.1\nrequirepass \"{PW}\"\n"));
    let path = dir.join("sentinel.conf");
    std::fs::write(&path, conf).expect("sentinel.conf");
    let log = std::fs::File::create(dir.join("sentinel.log")).expect("log");
    let child = Command::new(require("redis-sentinel"))
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("redis-sentinel");
    let mut guard = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if guard.0.try_wait().ok().flatten().is_some() {
            return None;
        }
        if redis_cli(port, Some(PW), &["PING"]).is_ok_and(|r| r.trim() == "PONG") {
            return Some((guard, port));
        }
        assert!(
            Instant::now() < deadline,
            "redis-sentinel with master {name:?} neither started nor exited in 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// bash running one of the chart's eval lines with `name`, in `cwd`, with only the programs
/// of `path` (the line's own `timeout` and `redis-cli`), stopped after 20 s; its stdout.
fn chart_eval(line: &str, var: &str, name: &str, port: u16, cwd: &Path, path: &Path) -> String {
    let script = format!(
        "REDIS_SERVICE=127.0.0.1\nSENTINEL_SERVICE_PORT={port}\n{}\neval ${var}\n",
        line.replace(PLACEHOLDER, name)
    );
    let out = Command::new(require("timeout"))
        .args(["-k", "1", "20"])
        .arg(require("bash"))
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("PATH", path)
        .env("REDIS_PASSWORD", PW)
        .env_remove("REDISCLI_AUTH")
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the sentinels and (bundled) the chart's scripts carry `name`; the reason when not.
fn sentinel_side(chart: &ChartText, name: &str, bundled: bool) -> Result<(), String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some((_sentinel, port)) = start_sentinel(chart, name, tmp.path()) else {
        return Err("redis-sentinel refuses the chart's sentinel.conf with it".into());
    };
    let answer = redis_cli(
        port,
        Some(PW),
        &["SENTINEL", "get-master-addr-by-name", name],
    )
    .map_err(|e| format!("redis-cli failed: {e}"))?;
    if answer.split_whitespace().collect::<Vec<_>>() != ["127.0.0.1", "6379"] {
        return Err(format!("the sentinel answers {answer:?} for it"));
    }
    if !bundled {
        return Ok(());
    }
    // A file a glob in the name would match, so a glob shows as a changed word.
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).expect("cwd");
    let _ = std::fs::write(cwd.join(name.replace(['*', '?'], "Z")), "");
    // The programs the lines call, and nothing else (a name that runs a command finds none).
    let real = tmp.path().join("real-bin");
    std::fs::create_dir(&real).expect("bin");
    for program in ["timeout", "redis-cli"] {
        std::os::unix::fs::symlink(require(program), real.join(program)).expect("link");
    }
    for (var, line) in &chart.eval_lines {
        let got = chart_eval(line, var, name, port, &cwd, &real);
        if got.split_whitespace().collect::<Vec<_>>() != ["127.0.0.1", "6379"] {
            return Err(format!("the chart's `eval ${var}` prints {got:?}"));
        }
    }
    // Tilde expansion: each `~` as `~/` (whichever user follows it, bash expands a tilde-prefix
    // only where `~/` becomes $HOME), and a redis-cli that prints its last argument.
    let stub = tmp.path().join("stub-bin");
    std::fs::create_dir(&stub).expect("bin");
    std::os::unix::fs::symlink(require("timeout"), stub.join("timeout")).expect("link");
    let cli = stub.join("redis-cli");
    std::fs::write(
        &cli,
        "#!/bin/sh\nfor a; do last=$a; done\nprintf '%s\\n' \"$last\"\n",
    )
    .expect("stub");
    std::fs::set_permissions(&cli, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let tilde = name.replace('~', "~/");
    for (var, line) in &chart.eval_lines {
        let got = chart_eval(line, var, &tilde, port, &cwd, &stub);
        if got.trim_end_matches('\n') != tilde {
            return Err(format!(
                "bash expands its '~' (as {tilde:?} it becomes {got:?})"
            ));
        }
    }
    Ok(())
}

#[test]
fn sentinel_master_names_are_refused_exactly_where_the_client_the_sentinels_or_the_chart_break_them(
) {
    let masters = corpus(
        &[
            "mymaster",
            "Master-1.x_y",
            "a~b",
            "a!b",
            "a$b",
            "a&b",
            "a'b",
            "a\"b",
            "a(b",
            "a)b",
            "a*b",
            "a+b",
            "a,b",
            "a;b",
            "a=b",
            "%41",
            "a%4",
            "~a",
            "~root",
            "a=~root",
            "a+=~root",
            "_x=~",
            "1a=~root",
            "a=b=~root",
            "-a",
            "a.",
            "0777",
            "a b",
            "a:b",
            "a@b",
            "a/b",
            "a#b",
            "a?b",
            "a[b",
            "a\\b",
            "é",
        ],
        50,
    );
    let judged = judge_names(&[], &masters);
    let chart = chart_text();
    let mut bundled = Vec::new();
    let mut external = Vec::new();
    let mut through_chart: Vec<(String, PathBuf)> = Vec::new();
    let mut keep = Vec::new();
    for (name, j) in masters
        .iter()
        .zip(judged["masters"].as_array().expect("masters"))
    {
        let url = if j["url_host"].as_str() == Some(name.as_str()) {
            Ok(())
        } else {
            Err(format!("Chatwoot's client asks for {}", j["url_host"]))
        };
        for is_bundled in [true, false] {
            let verdict = url
                .clone()
                .and_then(|()| sentinel_side(&chart, name, is_bundled));
            let mut args = vec![
                "--scenario".to_string(),
                "kubernetes-sentinel".to_string(),
                format!("--sentinel-master={name}"),
            ];
            if !is_bundled {
                args.extend(
                    [
                        "--sentinels",
                        "sentinel-1.example:26379",
                        "--host",
                        "redis-master.example",
                        "--emit",
                        "+env",
                    ]
                    .map(String::from),
                );
            }
            let what = format!(
                "--sentinel-master {name:?} ({})",
                if is_bundled { "bundled" } else { "external" }
            );
            let o = render(&args, &[], "--sentinel-master", &what);
            let unusual = !name.chars().all(|c| c.is_ascii_lowercase());
            if !o.refused && is_bundled && unusual && through_chart.len() < 8 {
                through_chart.push((name.clone(), o.dir.clone()));
            }
            if !o.refused && !is_bundled {
                let env = std::fs::read_to_string(o.dir.join(".env")).expect(".env");
                let got = chatwoot_reads_dirs(&[o.dir.as_path()]);
                assert_eq!(
                    got[0]["env"]["REDIS_SENTINEL_MASTER_NAME"],
                    name.as_str(),
                    "{what}: dotenv reads another name from\n{env}"
                );
            }
            let decision = (
                name.clone(),
                o.refused,
                verdict.is_ok(),
                verdict.err().unwrap_or_default(),
            );
            if is_bundled {
                bundled.push(decision);
            } else {
                external.push(decision);
            }
            keep.push(o);
        }
    }
    compare(&bundled, "--sentinel-master (bundled chart)");
    // What helm makes of the values file: the sentinels' config names the master as given.
    assert!(through_chart.len() >= 5, "{through_chart:?}");
    for (name, dir) in &through_chart {
        let rendered = crate::helm_chart::helm_template(
            "chatwoot",
            "chatwoot",
            &dir.join("values.redis.yaml"),
        );
        let conf = crate::k8s::parse_manifests(&rendered)
            .into_iter()
            .find_map(|o| o["data"]["sentinel.conf"].as_str().map(str::to_string))
            .expect("the chart renders a sentinel.conf");
        assert!(
            conf.lines()
                .any(|l| l.starts_with(&format!("sentinel monitor {name} "))),
            "{name:?}: the chart's sentinel.conf says\n{conf}"
        );
    }
    drop(keep);
    compare(&external, "--sentinel-master (external sentinels)");
}

#[test]
fn sentinel_passwords_are_refused_exactly_where_a_consumer_would_lose_them() {
    let args: Vec<String> = SEPARATE_SENTINEL_AUTH.map(String::from).to_vec();
    // The public files of a render with a neutral sentinel password.
    let neutral = render(
        &args,
        &[("REDIS_SENTINEL_PASSWORD", "Neutral0Sentinel0abcdefgh")],
        "",
        "a neutral sentinel password",
    );
    assert!(!neutral.refused, "{}", neutral.stderr);
    let mut public = String::new();
    for name in ["values.redis.yaml", "chatwoot-redis.yaml"] {
        public.push_str(&std::fs::read_to_string(neutral.dir.join(name)).expect(name));
    }

    let mut passwords: Vec<String> = [
        "   ",
        " \t ",
        "\u{3000}",
        "\u{a0}",
        " x ",
        "a\nb",
        "a\rb",
        "redis",
        "chatwoot",
        "mymaster",
        "yes",
        "0777",
        "x$(y) #z",
        "a\\b\"c",
        "'q'",
        "Sentinel0Password0abc",
    ]
    .map(String::from)
    .to_vec();
    passwords.push("S".repeat(4096));
    passwords.push("S".repeat(4097));
    passwords.extend(generate(hostile_value(), 50));
    passwords.sort();
    passwords.dedup();
    // Ruby's own blank test, as ActiveSupport's `present?` uses it.
    let blank: Vec<bool> = serde_json::from_value(ruby_json(
        &["-e", "require 'json'; puts JSON.generate(JSON.parse($stdin.read).map { |p| p.match?(/\\A[[:space:]]*\\z/) })"],
        &serde_json::json!(passwords),
    ))
    .expect("booleans");

    let mut decisions = Vec::new();
    for (sp, is_blank) in passwords.iter().zip(blank) {
        let what = format!("sentinel password {sp:?}");
        let o = render(
            &args,
            &[("REDIS_SENTINEL_PASSWORD", sp.as_str())],
            "REDIS_SENTINEL_PASSWORD",
            &what,
        );
        if sp.len() >= 16 {
            assert!(!o.stderr.contains(sp.as_str()), "{what}: printed");
        }
        let lost = sp.is_empty() || sp.contains(['\n', '\r', '\0']) || sp.len() > 4096;
        let guessable = sp.len() >= 4 && public.contains(sp.as_str());
        let why = if lost {
            "no env or config file line carries it".to_string()
        } else if guessable {
            "the public files hold it anyway".to_string()
        } else {
            "Chatwoot sends a blank sentinel password as none".to_string()
        };
        if !o.refused {
            let got = chatwoot_reads_dirs(&[o.dir.as_path()]);
            assert_eq!(
                got[0]["env"]["REDIS_SENTINEL_PASSWORD"],
                sp.as_str(),
                "{what}: dotenv reads another sentinel password"
            );
        }
        decisions.push((sp.clone(), o.refused, !(lost || guessable || is_blank), why));
    }
    compare(&decisions, "REDIS_SENTINEL_PASSWORD");
}
