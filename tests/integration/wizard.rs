//! `chatwoot-redis init` through the real binary: in a pseudo-terminal (expectrl) and without
//! a terminal. Every pty step is bounded by a timeout so nothing hangs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};

use crate::common::bin;

/// `init --out OUT EXTRA`, hermetic (the harness's one builder), without colour, as a terminal
/// of type xterm.
pub(crate) fn command(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.arg("init").arg("--out").arg(out).args(extra);
    cmd.env("NO_COLOR", "1").env("TERM", "xterm");
    cmd
}

/// A wizard in a pseudo-terminal, with everything it printed so far.
pub(crate) struct Pty {
    pub(crate) s: expectrl::session::OsSession,
    pub(crate) log: String,
}

pub(crate) fn spawn(out: &Path, extra: &[&str]) -> Pty {
    spawn_cmd(command(out, extra))
}

pub(crate) fn spawn_cmd(cmd: Command) -> Pty {
    let mut s = Session::spawn(cmd).expect("spawn in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(20)));
    // Wide enough that no prompt or help line wraps.
    let _ = s.get_process_mut().set_window_size(250, 60);
    Pty {
        s,
        log: String::new(),
    }
}

/// Waits for `prompt`, then types `keys`.
pub(crate) fn answer(p: &mut Pty, prompt: &str, keys: &str) {
    match p.s.expect(prompt) {
        Ok(c) => {
            p.log.push_str(&String::from_utf8_lossy(c.before()));
            p.log.push_str(prompt);
        }
        Err(e) => panic!("waiting for {prompt:?}: {e}\nprinted so far:\n{}", p.log),
    }
    // inquire reads keys in raw mode once the prompt is drawn.
    std::thread::sleep(Duration::from_millis(50));
    p.s.send(keys).expect("type");
}

/// Reads to the end; returns everything printed and the exit code.
pub(crate) fn finish(p: &mut Pty) -> (String, i32) {
    let rest = p.s.expect(Eof).expect("the wizard ends");
    p.log
        .push_str(&String::from_utf8_lossy(rest.get(0).unwrap_or_default()));
    let code = match p.s.get_process().wait().expect("exit status") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("not a normal exit: {other:?}"),
    };
    if std::env::var_os("WIZARD_TEST_LOG").is_some() {
        eprintln!("{}", p.log);
    }
    (p.log.clone(), code)
}

pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub(crate) const ENTER: &str = "\r";

/// docker-compose with Enter at every prompt after choosing the scenario.
fn compose_with_defaults(out: &Path, rerun: bool) -> String {
    let mut s = spawn(out, &[]);
    if rerun {
        answer(&mut s, "Where does Chatwoot's Redis run?", ENTER);
    } else {
        answer(
            &mut s,
            "Where does Chatwoot's Redis run?",
            "docker-compose\r",
        );
    }
    answer(&mut s, "Redis server version", ENTER);
    if rerun {
        answer(&mut s, "keep the existing password", ENTER);
    } else {
        answer(&mut s, "Redis password", ENTER);
    }
    answer(&mut s, "Puma (web) processes", ENTER);
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(&mut s, "Threads per Sidekiq process", ENTER);
    answer(&mut s, "memory limit", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn wizard_enter_everywhere_writes_the_compose_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = compose_with_defaults(dir.path(), false);
    let written = files(dir.path());
    for name in [
        ".env",
        "docker-compose.redis.yaml",
        "redis.conf",
        "chatwoot-redis.yaml",
    ] {
        assert!(written.contains_key(name), "{name} missing: {written:?}");
    }
    let answers = String::from_utf8_lossy(&written["chatwoot-redis.yaml"]).into_owned();
    assert!(answers.contains("scenario: docker-compose"), "{answers}");
    let env = String::from_utf8_lossy(&written[".env"]).into_owned();
    let password = env
        .lines()
        .find_map(|l| l.strip_prefix("REDIS_PASSWORD="))
        .expect("REDIS_PASSWORD in .env")
        .trim_matches('\'')
        .to_string();
    assert!(password.len() >= 32, "{env}");
    assert!(
        !answers.contains(&password),
        "the answers file holds no secret"
    );
    // Shown once, with where it is kept; and the next steps.
    assert_eq!(text.matches(&password).count(), 1, "{text}");
    assert!(text.contains("stored in .env"), "{text}");
    assert!(
        text.contains("docker compose -f docker-compose.production.yaml -f"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join(".env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn wizard_rerun_with_enter_everywhere_reproduces_the_files() {
    let dir = tempfile::tempdir().unwrap();
    compose_with_defaults(dir.path(), false);
    let first = files(dir.path());
    compose_with_defaults(dir.path(), true);
    let second = files(dir.path());
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(second[name] == *bytes, "{name} changed on re-run");
    }
}

#[test]
fn wizard_typed_answers_a_refused_port_and_a_masked_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "single-server\r",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis port", "70000\r");
    // Refused with the flag's own message; clear the input and answer again.
    answer(&mut s, "not a TCP port", "\x7f\x7f\x7f\x7f\x7f6390\r");
    answer(&mut s, "Database number", ENTER);
    answer(&mut s, "Require a password?", ENTER);
    answer(&mut s, "ACL user name", ENTER);
    answer(&mut s, "Redis password", "enter\r");
    answer(&mut s, "Type the Redis password", "Typed0nlyHere42\r");
    answer(&mut s, "Again, to confirm", "Typed0nlyHere42\r");
    answer(&mut s, "Puma (web) processes", "2\r");
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(&mut s, "Threads per Sidekiq process", ENTER);
    // The budget with its formula is shown before the memory question.
    answer(
        &mut s,
        "Chatwoot: capacity 107 connections, reachable 86",
        "",
    );
    answer(&mut s, "memory limit", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    assert!(
        !text.contains("Typed0nlyHere42"),
        "the password is never echoed"
    );
    let written = files(dir.path());
    let answers = String::from_utf8_lossy(&written["chatwoot-redis.yaml"]).into_owned();
    assert!(answers.contains("port: 6390"), "{answers}");
    assert!(answers.contains("web-processes: 2"), "{answers}");
    let env = String::from_utf8_lossy(&written[".env"]).into_owned();
    assert!(env.contains("Typed0nlyHere42"), "{env}");
    let secrets = String::from_utf8_lossy(&written["redis-secrets.conf"]).into_owned();
    assert!(secrets.contains("Typed0nlyHere42"));
}

#[test]
fn wizard_escape_exits_130_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "single-server\r",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis port", "\x1b");
    let (text, code) = finish(&mut s);
    assert_eq!(code, 130, "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    assert!(files(dir.path()).is_empty());
}

#[test]
fn wizard_ctrl_c_exits_130_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "Where does Chatwoot's Redis run?", "\x03");
    let (text, code) = finish(&mut s);
    assert_eq!(code, 130, "{text}");
    assert!(files(dir.path()).is_empty());
}

pub(crate) fn unattended(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = command(out, extra);
    cmd.env("CI", "1").stdin(Stdio::null());
    assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(20))
        .assert()
}

#[test]
fn wizard_without_a_terminal_lists_missing_answers_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let out = unattended(dir.path(), &[]).code(2).get_output().clone();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "it must not wait for input"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not prompting"), "{err}");
    assert!(
        err.contains("--scenario") && err.contains("CHATWOOT_REDIS_SCENARIO"),
        "{err}"
    );

    let out = unattended(dir.path(), &["--scenario", "elasticache"])
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--host") && err.contains("CHATWOOT_REDIS_HOST"),
        "{err}"
    );
    assert!(
        err.contains("REDIS_PASSWORD") && err.contains("--password-file"),
        "{err}"
    );
    assert!(files(dir.path()).is_empty(), "nothing written");
}

#[test]
fn wizard_without_a_terminal_renders_when_every_answer_is_given() {
    let dir = tempfile::tempdir().unwrap();
    unattended(
        dir.path(),
        &["--scenario", "docker-compose", "--generate-password"],
    )
    .success();
    let written = files(dir.path());
    assert!(
        written.contains_key("docker-compose.redis.yaml"),
        "{written:?}"
    );
    assert!(written.contains_key("chatwoot-redis.yaml"));
}

/// The bash script really completes in bash: flags and values after a subcommand, not only
/// the subcommand names (`COMP_WORDS` as bash fills it for a TAB at the end of the line).
#[test]
fn completions_bash_completes_flags_and_values_after_a_subcommand() {
    let out = assert_cmd::Command::from_std(bin())
        .args(["completions", "bash"])
        .timeout(Duration::from_secs(20))
        .assert()
        .success()
        .get_output()
        .clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("chatwoot-redis.bash");
    std::fs::write(&script, &out.stdout).expect("write the script");
    let complete = |words: &[&str]| -> String {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cword = words.len() - 1;
        let (cur, prev) = (words[cword], words[cword - 1]);
        let line = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
             _chatwoot__redis chatwoot-redis '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" ")
        );
        let out = std::process::Command::new(crate::common::require("bash"))
            .args(["--norc", "-c", &line])
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let top = complete(&["chatwoot-redis", ""]);
    assert!(top.lines().any(|l| l == "render"), "{top}");
    let flag = complete(&["chatwoot-redis", "render", "--sc"]);
    assert_eq!(flag.trim(), "--scenario", "render --sc<TAB>");
    let scenarios = complete(&["chatwoot-redis", "render", "--scenario", ""]);
    for id in [
        "single-server",
        "docker-compose",
        "kubernetes-sentinel",
        "heroku",
    ] {
        assert!(scenarios.lines().any(|l| l == id), "{id}: {scenarios}");
    }
    let formats = complete(&["chatwoot-redis", "doctor", "--format", ""]);
    assert_eq!(
        formats.split_whitespace().collect::<Vec<_>>(),
        ["text", "json"]
    );
}

#[test]
fn every_command_help_has_examples() {
    for cmd in ["init", "render", "doctor", "scenarios", "completions"] {
        let out = assert_cmd::Command::from_std(bin())
            .args([cmd, "--help"])
            .timeout(Duration::from_secs(20))
            .assert()
            .success()
            .get_output()
            .clone();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Examples:"), "{cmd} --help:\n{help}");
    }
}

/// SGR sequences that set a colour (`ESC [ 3x m`, `ESC [ 9x m`, `ESC [ 38;… m`).
fn has_colour(text: &str) -> bool {
    text.split('\x1b').skip(1).any(|seq| {
        let Some(body) = seq.strip_prefix('[') else {
            return false;
        };
        let end = body
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(body.len());
        body[end..].starts_with('m')
            && body[..end]
                .split(';')
                .any(|p| p.starts_with('3') || p.starts_with('9'))
    })
}

#[test]
fn wizard_colours_only_without_no_color() {
    for no_color in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = command(dir.path(), &[]);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let mut s = spawn_cmd(cmd);
        answer(&mut s, "Where does Chatwoot's Redis run?", "\x03");
        let (text, code) = finish(&mut s);
        assert_eq!(code, 130);
        assert_eq!(
            has_colour(&text),
            !no_color,
            "NO_COLOR={no_color}: {text:?}"
        );
    }
}
