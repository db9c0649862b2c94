//! `-q` and `-v` are global and do something in every command that has something to say;
//! `render --help` groups its flags under headings.

use crate::common::{bin, render_cmd, run};

const PW: &str = "GlobalsPassw0rd12345";

#[test]
fn render_verbose_names_its_inputs_but_never_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, stdout, stderr) = run(render_cmd(
        dir.path(),
        &["-v", "--scenario", "docker-compose"],
        Some(PW),
    )
    .env_remove("CHATWOOT_REDIS_ANSWERS"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("answers file: ") && stderr.contains("(not present)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("scenario: docker-compose; outputs: env, redis-conf, compose"),
        "{stderr}"
    );
    assert!(stderr.contains("password: from REDIS_PASSWORD"), "{stderr}");
    assert!(!stderr.contains(PW) && !stdout.contains(PW));

    // Without -v none of it is said.
    let (code, _, stderr) = run(&mut render_cmd(
        dir.path(),
        &["--scenario", "docker-compose"],
        Some(PW),
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("answers file: "), "{stderr}");
}

fn doctor(env: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".env");
    std::fs::write(&path, env).expect("write .env");
    let mut cmd = bin();
    cmd.arg("doctor")
        .args(extra)
        .args(["--offline", "--env-file"])
        .arg(&path)
        .env_remove("CHATWOOT_REDIS_MAX_CONNECTIONS");
    run(&mut cmd)
}

#[test]
fn doctor_quiet_prints_nothing_when_healthy_and_the_report_when_not() {
    let healthy = format!("REDIS_URL=redis://10.0.0.9:6379\nREDIS_PASSWORD={PW}\n");
    let (code, stdout, stderr) = doctor(&healthy, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.is_empty());
    let (code, stdout, stderr) = doctor(&healthy, &["-q"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "", "doctor -q printed a healthy report");

    // A problem: the report is printed even with -q.
    let broken = "REDIS_URL=redis://cw.redis.cache.windows.net:6380\n";
    let (code, stdout, _) = doctor(broken, &["-q"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("azure-cache-redis-6"), "{stdout}");
}

#[test]
fn doctor_verbose_says_what_it_reads() {
    let (_, _, stderr) = doctor("REDIS_URL=redis://10.0.0.9:6379\n", &["-v"]);
    assert!(
        stderr.contains("doctor: reading env file") && stderr.contains("--offline"),
        "{stderr}"
    );
}

#[test]
fn render_help_groups_flags_under_headings_with_globals_last() {
    let (code, stdout, _) = run(bin().args(["render", "--help"]));
    assert_eq!(code, 0);
    let headings: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Scenario and endpoint:",
            "Authentication:",
            "Sentinel and Kubernetes:",
            "Self-hosted server:",
            "Workload:",
            "Outputs:",
            "Secrets:",
            "Mode:",
            "Global:",
            "Examples:",
        ]
    );
    // -q and -v are listed once, under Global.
    assert_eq!(stdout.matches("--quiet").count(), 1, "{stdout}");
    assert_eq!(stdout.matches("--verbose").count(), 1, "{stdout}");
    let global = stdout.split("Global:").nth(1).expect("Global heading");
    assert!(global.contains("--quiet") && global.contains("--verbose"));
}

#[test]
fn the_harness_is_hermetic_and_every_scenario_has_an_example_that_renders() {
    use crate::common::{example_answers, example_scenarios, Cmd, SCENARIOS};
    // Nothing of the runner leaks in: without answers, render lists what is missing.
    let out = Cmd::new()
        .args(["render", "--stdout"])
        .current_dir(&std::env::temp_dir())
        .run();
    out.code(2);
    assert!(out.stderr.contains("missing answers"), "{}", out.stderr);

    let mut listed: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(example_scenarios(), listed);
    for sc in SCENARIOS {
        let out = Cmd::new()
            .args(["render", "--stdout", "--answers"])
            .arg(example_answers(sc))
            .run();
        out.code(0);
        assert!(out.stdout.contains("==> chatwoot-redis.yaml <=="), "{sc}");
        assert!(out.stdout.contains(&format!("scenario: {sc}")), "{sc}");
    }
}

/// A developer's exported variables change no result: a sample of the tests that run the
/// binary (render, the wizard, doctor offline, live and under `time -v`) is run again by this
/// test binary with every variable the tool reads planted with hostile values; each test must
/// pass, and all of them must have run.
#[test]
fn exported_chatwoot_redis_and_redis_variables_change_no_test_result() {
    const SAMPLE: [&str; 8] = [
        "globals::the_harness_is_hermetic_and_every_scenario_has_an_example_that_renders",
        "render_cli::same_answers_give_byte_identical_files_and_the_password_is_never_printed",
        "render_cli::answers_file_reproduces_the_outputs_without_flags_or_password",
        "render_cli::bad_answers_exit_2_name_field_value_reason_and_fix_and_write_nothing",
        "wizard::wizard_without_a_terminal_lists_missing_answers_and_exits_2",
        "doctor::doctor_offline_static_traps_and_exit_codes",
        "doctor::doctor_healthy_password_protected_redis",
        "hostile::hostile_replies_are_capped_and_reported",
    ];
    let planted = [
        ("CHATWOOT_REDIS_SCENARIO", "heroku"),
        ("CHATWOOT_REDIS_HOST", "planted.invalid"),
        ("CHATWOOT_REDIS_PORT", "1"),
        ("CHATWOOT_REDIS_AUTH", "none"),
        ("CHATWOOT_REDIS_TLS", "true"),
        ("CHATWOOT_REDIS_URL", "rediss://planted.invalid:1"),
        ("CHATWOOT_REDIS_ANSWERS", "/nonexistent/planted.yaml"),
        ("CHATWOOT_REDIS_MAX_CONNECTIONS", "1"),
        ("CHATWOOT_REDIS_USERNAME", "planted"),
        ("REDIS_PASSWORD", "Planted0password0from0the0runner0x"),
        ("REDIS_SENTINEL_PASSWORD", "Planted0sentinel0password0x"),
        ("REDIS_URL", "redis://planted.invalid:1"),
        ("REDIS_SENTINELS", "planted.invalid:26379"),
        ("REDISCLI_AUTH", "Planted0cli0auth0x"),
        ("NO_COLOR", "1"),
        ("CI", "true"),
        ("DOTENV_LINEBREAK_MODE", "legacy"),
    ];
    for (key, _) in planted {
        assert!(
            crate::common::is_behaviour_variable(key) || key == "REDISCLI_AUTH",
            "{key} is planted but the harness would not clear it"
        );
    }
    let me = std::env::current_exe().expect("this test binary");
    let out = std::process::Command::new(me)
        .args(["--exact", "--test-threads", "2"])
        .args(SAMPLE)
        .envs(planted)
        .output()
        .expect("run the sample");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "with the planted variables:\n{stdout}\n{stderr}"
    );
    let summary = format!("test result: ok. {} passed; 0 failed", SAMPLE.len());
    assert!(stdout.contains(&summary), "expected `{summary}`:\n{stdout}");
}
