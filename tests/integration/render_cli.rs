//! `render` as a user meets it: refusals (exit 2, nothing written), byte-identical output,
//! `--stdout`, help, and the answers-file round trip without the password.

use std::path::Path;

use crate::common::*;

/// A password distinctive enough that finding it anywhere in output is a leak.
const PW: &str = "Zq7uniqueLeakProbe0Pw9xYw";

/// Every file under `dir` (recursively), as relative path → bytes.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// `render --out DIR args` with `password` in REDIS_PASSWORD (or none).
fn render_in(dir: &Path, args: &[&str], password: Option<&str>) -> (i32, String, String) {
    let mut cmd = render_cmd(dir, args, password);
    run(&mut cmd)
}

/// Asserts a refusal: exit 2, the message names every `needles` item, and `out` holds nothing
/// new (`before` is its content beforehand).
fn assert_refused(
    out: &Path,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    result: (i32, String, String),
    needles: &[&str],
    what: &str,
) {
    let (code, stdout, stderr) = result;
    assert_eq!(
        code, 2,
        "{what}: expected exit 2\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for n in needles {
        assert!(
            stderr.contains(n),
            "{what}: the message does not mention {n:?}:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("fix:") || stderr.contains("fix "),
        "{what}: the message gives no fix:\n{stderr}"
    );
    assert_eq!(
        &snapshot(out),
        before,
        "{what}: files were written or changed although the input was refused"
    );
    assert!(
        !stdout.contains(PW) && !stderr.contains(PW),
        "{what}: password shown"
    );
}

#[test]
fn bad_answers_exit_2_name_field_value_reason_and_fix_and_write_nothing() {
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--scenario", "single-server", "--port", "70000"],
            vec!["--port", "70000", "not a TCP port"],
        ),
        (
            vec!["--scenario", "single-server", "--db", "16"],
            vec!["--db", "16", "0 to 15"],
        ),
        (
            vec!["--scenario", "nope"],
            vec![
                "--scenario",
                "nope",
                "not a known scenario",
                "single-server",
            ],
        ),
        (
            vec!["--scenario", "single-server", "--host", "a\nb"],
            vec!["--host", "a\\nb", "line break"],
        ),
        (
            vec!["--scenario", "single-server", "--host", "a b"],
            vec!["--host", "\"a b\"", "space"],
        ),
        (
            vec![
                "--scenario",
                "kubernetes-sentinel",
                "--sentinels",
                "a:1,,b:2",
            ],
            vec!["--sentinels", "a:1,,b:2", "empty entry", "localhost"],
        ),
        (
            vec!["--scenario", "kubernetes-sentinel", "--sentinel-master", ""],
            vec!["--sentinel-master", "\"\"", "empty", "mymaster"],
        ),
        // Kept as given, so surrounding spaces are refused rather than trimmed silently.
        (
            vec![
                "--scenario",
                "kubernetes-sentinel",
                "--release",
                "chatwoot ",
            ],
            vec!["--release", "\"chatwoot \"", "Kubernetes names"],
        ),
        // A tab would split redis.conf's include line into two arguments.
        (
            vec![
                "--scenario",
                "single-server",
                "--config-dir",
                "/etc/re\tdis",
            ],
            vec!["--config-dir", "/etc/re\\tdis", "tabs"],
        ),
        (
            vec!["--scenario", "single-server", "--redis-version", "6.0"],
            vec!["--redis-version", "6.0", "6.2"],
        ),
        (
            vec![
                "--scenario",
                "elasticache",
                "--host",
                "clustercfg.cw.abc123.use1.cache.amazonaws.com",
            ],
            vec!["--host", "clustercfg.cw.abc123", "cluster", "master."],
        ),
        (
            vec![
                "--scenario",
                "azure",
                "--host",
                "cw.redis.cache.windows.net",
            ],
            vec![
                "--host",
                "cw.redis.cache.windows.net",
                "6.0",
                "Azure Managed Redis",
            ],
        ),
        (
            vec![
                "--scenario",
                "heroku",
                "--host",
                "ec2-3-1-2-3.compute-1.amazonaws.com",
                "--port",
                "12345",
                "--max-connections",
                "20",
            ],
            vec!["--max-connections", "20", "56"],
        ),
    ];
    for (args, needles) in cases {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let what = format!("{args:?}");
        let result = render_in(&out, &args, Some(PW));
        assert_refused(&out, &Default::default(), result, &needles, &what);
        assert!(!out.exists(), "{what}: the output directory was created");
    }
}

/// `--out` naming a file (or a path below one) is refused as a bad `--out`, not as an
/// unreadable answers file, and the file is left as it was.
#[test]
fn an_output_path_that_is_a_file_is_refused_as_a_bad_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "mine\n").expect("write");
    for out in [file.clone(), file.join("deploy")] {
        let (code, stdout, stderr) = render_in(&out, &["--scenario", "docker-compose"], Some(PW));
        assert_eq!(code, 2, "{}: {stdout}{stderr}", out.display());
        for needle in ["--out", "notes.txt", "is a file, not a directory", "fix:"] {
            assert!(stderr.contains(needle), "{needle}: {stderr}");
        }
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine\n");
}

#[test]
fn unusable_passwords_are_refused_without_showing_them() {
    // A line break cannot be carried by any env or config file.
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let pw = format!("{PW}\nsecond");
    let result = render_in(&out, &["--scenario", "single-server"], Some(&pw));
    assert_refused(
        &out,
        &Default::default(),
        result.clone(),
        &["password", "line break", "not shown"],
        "newline password",
    );
    assert!(!result.2.contains("second"));

    // Compose needs REDIS_PASSWORD, which cable.yml's YAML load would turn into 511.
    let result = render_in(&out, &["--scenario", "docker-compose"], Some("0777"));
    assert_refused(
        &out,
        &Default::default(),
        result,
        &[
            "password",
            "cable.yml",
            "ActionCable",
            "--generate-password",
        ],
        "0777 with docker-compose",
    );

    // A password that is text of the generated files ("redis") is a guessable choice, not a
    // leak: refused as input (exit 2), where it used to be an internal error (exit 1).
    for (scenario, pw) in [
        ("single-server", "redis"),
        ("kubernetes-sentinel", "chatwoot"),
    ] {
        let result = render_in(&out, &["--scenario", scenario], Some(pw));
        assert_refused(
            &out,
            &Default::default(),
            result,
            &[
                "password",
                "not shown",
                "easy to guess",
                "--generate-password",
            ],
            &format!("{scenario} with password {pw:?}"),
        );
    }

    // A password inside --url on the command line: refused, and not echoed back.
    let secret = "UrlFlagSecret0abcdef";
    let url = format!("rediss://:{secret}@ec2-3-1-2-3.compute-1.amazonaws.com:12345");
    let result = render_in(&out, &["--scenario", "heroku", "--url", &url], None);
    assert_refused(
        &out,
        &Default::default(),
        result.clone(),
        &["--url", "shell history", "REDIS_PASSWORD"],
        "--url with a password",
    );
    assert!(
        !result.1.contains(secret) && !result.2.contains(secret),
        "the URL's password was printed:\n{}",
        result.2
    );
    assert!(!out.exists());
}

#[test]
fn answers_file_with_unknown_or_secret_keys_is_refused_and_nothing_written() {
    for (text, needles) in [
        (
            "scenario: single-server\ncolour: red\n",
            vec!["unknown answer", "colour", "fix:"],
        ),
        (
            "scenario: single-server\npassword: hunter2hunter2\n",
            vec!["password", "never go in the answers file", "REDIS_PASSWORD"],
        ),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("chatwoot-redis.yaml"), text).expect("write");
        let before = snapshot(tmp.path());
        let result = render_in(tmp.path(), &[], Some(PW));
        assert!(
            !result.2.contains("hunter2hunter2"),
            "the answers file's secret was echoed: {}",
            result.2
        );
        assert_refused(tmp.path(), &before, result, &needles, text);
    }
}

/// One render per scenario, with the distinctive password.
fn scenario_args() -> Vec<Vec<&'static str>> {
    vec![
        vec!["--scenario", "single-server"],
        vec!["--scenario", "docker-compose"],
        vec!["--scenario", "kubernetes-sentinel"],
        vec![
            "--scenario",
            "elasticache",
            "--host",
            "master.cw.abc123.use1.cache.amazonaws.com",
            "--emit",
            "+helm",
        ],
        vec![
            "--scenario",
            "azure",
            "--host",
            "cw.westeurope.redis.azure.net",
        ],
        vec!["--scenario", "memorystore", "--host", "10.1.2.3", "--tls"],
        vec![
            "--scenario",
            "heroku",
            "--host",
            "ec2-3-1-2-3.compute-1.amazonaws.com",
            "--port",
            "12345",
        ],
        vec![
            "--scenario",
            "digitalocean",
            "--host",
            "db-valkey-do-user-1-0.b.db.ondigitalocean.com",
        ],
    ]
}

#[test]
fn same_answers_give_byte_identical_files_and_the_password_is_never_printed() {
    for args in scenario_args() {
        let a = tempfile::tempdir().expect("tmp");
        let b = tempfile::tempdir().expect("tmp");
        for dir in [a.path(), b.path()] {
            let (code, out, err) = render_in(dir, &args, Some(PW));
            assert_eq!(code, 0, "{args:?}:\n{out}\n{err}");
            assert!(
                !out.contains(PW) && !err.contains(PW),
                "{args:?}: the password was printed:\n{out}\n{err}"
            );
        }
        let (sa, sb) = (snapshot(a.path()), snapshot(b.path()));
        assert!(sa.len() >= 2, "{args:?}: {:?}", sa.keys());
        assert_eq!(
            sa.keys().collect::<Vec<_>>(),
            sb.keys().collect::<Vec<_>>(),
            "{args:?}"
        );
        for (name, bytes) in &sa {
            assert!(
                sb[name] == *bytes,
                "{args:?}: {name} differs between two renders"
            );
        }
        // Every mode of render keeps the password out of stdout and stderr; over the
        // directory just rendered each one reports it current, in its own words.
        for (extra, says) in [
            (&["--dry-run"][..], "unchanged"),
            (&["--diff"], "no changes: every file in"),
            (&["--check"], "files current in"),
            (&["--stdout"], "==> chatwoot-redis.yaml <=="),
            (&["--force"], "nothing to write: every file in"),
        ] {
            let mut all: Vec<&str> = args.clone();
            all.extend_from_slice(extra);
            let (code, out, err) = render_in(a.path(), &all, Some(PW));
            assert_eq!(code, 0, "{all:?}: exit {code}\n{out}\n{err}");
            assert!(
                out.contains(says) || err.contains(says),
                "{all:?}: expected {says:?}:\n{out}\n{err}"
            );
            assert!(
                !out.contains(PW) && !err.contains(PW),
                "{all:?}: the password was printed:\n{out}\n{err}"
            );
        }
    }
}

#[test]
fn stdout_prints_the_public_files_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let (code, stdout, stderr) =
        render_in(&out, &["--scenario", "single-server", "--stdout"], Some(PW));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("==> redis.conf <=="), "{stdout}");
    assert!(stdout.contains("==> chatwoot-redis.yaml <=="), "{stdout}");
    assert!(!stdout.contains("==> .env <=="), "{stdout}");
    assert!(!stdout.contains("==> redis-secrets.conf <=="), "{stdout}");
    assert!(!stdout.contains(PW) && !stderr.contains(PW));
    assert!(
        stderr.contains(".env") && stderr.contains("redis-secrets.conf"),
        "{stderr}"
    );
    assert!(!out.exists(), "--stdout wrote files");
}

#[test]
fn scenarios_lists_all_eight_and_render_help_has_examples() {
    let (code, out, err) = run(bin().arg("scenarios"));
    assert_eq!(code, 0, "{err}");
    for id in SCENARIOS {
        assert!(
            out.lines().any(|l| l.trim() == id),
            "scenario {id} is not listed:\n{out}"
        );
    }
    let (code, out, _) = run(bin().args(["render", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("chatwoot-redis render --scenario"), "{out}");
    assert!(out.contains("--check") && out.contains("--stdout"), "{out}");
}

#[test]
fn answers_file_reproduces_the_outputs_without_flags_or_password() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--scenario",
                "elasticache",
                "--host",
                "master.cw.abc123.use1.cache.amazonaws.com",
                "--db",
                "3",
            ],
            // Kept as REDIS_PASSWORD (single-quoted); it must be read back from .env.
            "Rt0Pass$word#x1234",
        ),
        (
            vec!["--scenario", "single-server", "--maxmemory", "256mb"],
            // Kept in REDIS_URL (percent-encoded) because YAML would read it as 511.
            "0777 p+w@x/y:z",
        ),
        (
            vec![
                "--scenario",
                "docker-compose",
                "--redis-version",
                "valkey-8",
            ],
            PW,
        ),
    ];
    for (args, pw) in cases {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let (code, _, err) = render_in(dir, &args, Some(pw));
        assert_eq!(code, 0, "{args:?}: {err}");
        let first = snapshot(dir);
        let answers = String::from_utf8(first["chatwoot-redis.yaml"].clone()).expect("utf-8");
        assert!(!answers.contains(pw), "password in the answers file");

        let (code, out, err) = render_in(dir, &["--check"], None);
        assert_eq!(code, 0, "{args:?}: --check without flags:\n{out}\n{err}");

        let (code, out, err) = render_in(dir, &[], None);
        assert_eq!(
            code, 0,
            "{args:?}: re-render without a password:\n{out}\n{err}"
        );
        assert!(
            out.contains("current") || out.contains("unchanged"),
            "{out}"
        );
        assert!(
            !out.contains("created") && !out.contains("updated"),
            "{out}"
        );
        assert!(!out.contains(pw) && !err.contains(pw));
        assert_eq!(snapshot(dir), first, "{args:?}: files changed on re-render");
    }
}

const WORKFLOW_PASSWORD: Option<&str> = Some("Workflow0Password0abcdefgh");

#[test]
fn changing_an_answer_regenerates_the_provider_script() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = render_in(
        dir.path(),
        &[
            "--scenario",
            "elasticache",
            "--host",
            "master.a.abc123.use1.cache.amazonaws.com",
        ],
        WORKFLOW_PASSWORD,
    );
    assert_eq!(code, 0, "{out}{err}");
    // The script keeps its #! line first; it is still recognised as generated.
    let (code, out, err) = render_in(
        dir.path(),
        &["--host", "master.b.abc123.use1.cache.amazonaws.com"],
        WORKFLOW_PASSWORD,
    );
    assert_eq!(
        code, 0,
        "a generated script must be replaced, not refused:\n{out}{err}"
    );
    let script = std::fs::read_to_string(dir.path().join("redis-settings.sh")).expect("script");
    assert!(script.contains("REPLICATION_GROUP_ID:-b}"), "{script}");
}

#[test]
fn moving_a_hand_edit_into_the_answers_is_accepted() {
    let dir = tempfile::tempdir().expect("tmp");
    assert_eq!(
        render_in(
            dir.path(),
            &["--scenario", "docker-compose"],
            WORKFLOW_PASSWORD
        )
        .0,
        0
    );
    let conf = dir.path().join("redis.conf");
    let text = std::fs::read_to_string(&conf).expect("conf");
    std::fs::write(&conf, text.replace("maxmemory 1gb", "maxmemory 3gb")).expect("edit");
    let (code, out, _) = render_in(dir.path(), &[], WORKFLOW_PASSWORD);
    assert_eq!(code, 1, "the hand edit is protected: {out}");
    // The operator follows the advice: the change goes into the answers.
    let (code, out, err) = render_in(dir.path(), &["--maxmemory", "3gb"], WORKFLOW_PASSWORD);
    assert_eq!(
        code, 0,
        "body already current, only the header is refreshed:\n{out}{err}"
    );
    let (code, out, _) = run(bin()
        .args(["render", "--check", "--out"])
        .arg(dir.path())
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn switching_scenario_drops_the_old_endpoint_answers() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = render_in(
        dir.path(),
        &[
            "--scenario",
            "elasticache",
            "--host",
            "master.a.abc123.use1.cache.amazonaws.com",
        ],
        WORKFLOW_PASSWORD,
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = render_in(
        dir.path(),
        &["--scenario", "docker-compose"],
        WORKFLOW_PASSWORD,
    );
    assert_eq!(
        code, 0,
        "the old tls/host answers must not block or leak:\n{out}{err}"
    );
    let env = std::fs::read_to_string(dir.path().join(".env")).expect(".env");
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some("redis://redis:6379"),
        "{env}"
    );
    let answers = std::fs::read_to_string(dir.path().join("chatwoot-redis.yaml")).expect("answers");
    assert!(!answers.contains("amazonaws"), "{answers}");
    // A second render changes nothing.
    let (code, out, _) = render_in(dir.path(), &["--dry-run"], WORKFLOW_PASSWORD);
    assert_eq!(code, 0);
    assert!(!out.contains("update"), "{out}");
}

#[test]
fn quiet_success_prints_nothing_and_refusals_still_show() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(bin()
        .args(["--quiet", "render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", "Quiet0Password0abcdefghij"));
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.is_empty(), "quiet: {out}{err}");
    let conf = dir.path().join("redis.conf");
    let text = std::fs::read_to_string(&conf).expect("conf");
    std::fs::write(&conf, text.replace("timeout 0", "timeout 30")).expect("edit");
    let (code, out, _) = run(bin()
        .args(["--quiet", "render", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", "Quiet0Password0abcdefghij"));
    assert_eq!(code, 1);
    assert!(
        out.contains("timeout 30"),
        "a refusal is shown even when quiet: {out}"
    );
}

#[test]
fn password_file_with_several_lines_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("pw");
    std::fs::write(&file, "FirstLine0Password0abc\nSecondLine\n").expect("write");
    let out_dir = dir.path().join("out");
    let (code, out, err) = run(bin()
        .args(["render", "--scenario", "single-server", "--password-file"])
        .arg(&file)
        .arg("--out")
        .arg(&out_dir)
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--password-file") && err.contains("more than one line"),
        "{err}"
    );
    assert!(!err.contains("FirstLine0Password0abc") && !err.contains("SecondLine"));
    assert!(!out_dir.exists());
}

#[test]
fn refusals_of_a_password_never_quote_it() {
    for pw in ["yes", "0777", "a: b", "Off"] {
        let dir = tempfile::tempdir().expect("tmp");
        let (code, out, err) = render_in(dir.path(), &["--scenario", "docker-compose"], Some(pw));
        assert_eq!(code, 2, "{pw:?}: {out}{err}");
        assert!(err.contains("cable.yml"), "{err}");
        assert!(
            !err.contains(&format!("{pw:?}")) && !err.contains(&format!("\"{pw}\"")),
            "{pw:?} echoed: {err}"
        );
    }
}
