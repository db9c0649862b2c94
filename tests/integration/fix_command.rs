//! The "fix" command that `render --check` prints is one the shell runs as printed.

use crate::common::{render_cmd, run};

#[test]
fn check_prints_a_fix_command_with_the_out_dir_quoted() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("my dir");
    std::fs::create_dir(&out).expect("mkdir");
    let (code, _, stderr) = run(&mut render_cmd(
        &out,
        &["--scenario", "docker-compose"],
        Some("Pw0rdForTheFixCommand1"),
    ));
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_file(out.join("docker-compose.redis.yaml")).expect("remove");

    let (code, stdout, stderr) = run(&mut render_cmd(&out, &["--check"], None));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let quoted = format!("'{}'", out.display());
    let text = format!("{stdout}{stderr}");
    assert!(
        text.contains(&format!("fix: chatwoot-redis render --out {quoted}")),
        "the fix does not quote the directory:\n{text}"
    );
    assert!(
        !text.contains(&format!("--out {} ", out.display())),
        "{text}"
    );
}

/// A write that fails is exit 3, not the 1 of "--check found stale files". sysfs refuses new
/// files even to root, so the failure is real whoever runs the tests.
#[test]
fn a_failed_write_exits_3_and_says_nothing_was_written() {
    let out = std::path::Path::new("/sys/kernel");
    assert!(out.is_dir(), "this test needs sysfs mounted at /sys");
    let (code, _, stderr) = run(&mut render_cmd(
        out,
        &["--scenario", "docker-compose"],
        Some("Pw0rdForTheFixCommand1"),
    ));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(!out.join(".env").exists());
}

/// Answers kept outside the output directory: the fix names them, or it would regenerate
/// from the answers in --out (or ask for a scenario) instead.
#[test]
fn check_prints_a_fix_command_that_names_an_answers_file_elsewhere() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("deploy");
    let answers_dir = tmp.path().join("my answers");
    std::fs::create_dir(&answers_dir).expect("mkdir");
    let answers = answers_dir.join("chatwoot-redis.yaml");
    let a = answers.to_str().expect("utf-8");
    let (code, _, stderr) = run(&mut render_cmd(
        &out,
        &["--scenario", "docker-compose"],
        Some("Pw0rdForTheFixCommand1"),
    ));
    assert_eq!(code, 0, "{stderr}");
    std::fs::rename(out.join("chatwoot-redis.yaml"), &answers).expect("move the answers");
    std::fs::remove_file(out.join("docker-compose.redis.yaml")).expect("remove");

    let (code, stdout, stderr) = run(&mut render_cmd(&out, &["--check", "--answers", a], None));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let fix = format!(
        "fix: chatwoot-redis render --out {} --answers '{a}'",
        out.display()
    );
    assert!(
        stdout.contains(&format!("{fix}\n")),
        "{fix}\nnot in:\n{stdout}"
    );
}
