//! Input files that are huge, endless or built to make a parser slow: refused quickly with a
//! message naming the flag or file, and nothing written.

use crate::common::Cmd;
use std::path::Path;
use std::time::{Duration, Instant};

/// Generous: only an endless read or super-linear parsing takes this long.
const BOUND: Duration = Duration::from_secs(20);

fn assert_nothing_written(dir: &Path) {
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "chatwoot-redis.yaml" && n != "pw")
        .collect();
    assert!(names.is_empty(), "files written: {names:?}");
}

fn render_with_password_file(dir: &Path, file: &Path) -> crate::common::Output {
    Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir)
        .arg("--password-file")
        .arg(file)
        .run()
}

#[test]
fn password_file_that_never_ends_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let out = render_with_password_file(dir.path(), Path::new("/dev/zero"));
    assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
    out.code(2);
    assert!(out.stderr.contains("--password-file"), "{}", out.stderr);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    assert_nothing_written(dir.path());
}

#[test]
fn password_file_that_is_a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pw");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) must be installed");
    assert!(made.success());
    let start = Instant::now();
    let out = render_with_password_file(dir.path(), &fifo);
    assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
    out.code(2);
    assert!(out.stderr.contains("FIFO"), "{}", out.stderr);
    assert_nothing_written(dir.path());
}

#[test]
fn missing_password_file_names_the_flag_and_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = render_with_password_file(dir.path(), Path::new("/nonexistent/pw"));
    out.code(2);
    assert!(
        out.stderr
            .contains("--password-file /nonexistent/pw: no such file"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert_nothing_written(dir.path());
}

#[test]
fn password_stdin_reads_only_a_bounded_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let huge = vec![b'a'; 1024 * 1024];
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .arg("--password-stdin")
        .stdin(huge)
        .run();
    out.code(2);
    assert!(out.stderr.contains("--password-stdin"), "{}", out.stderr);
    assert!(out.stderr.contains("longer than"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("aaaaaaaaaaaaaaaa"),
        "the value is echoed: {}",
        &out.stderr[..out.stderr.len().min(300)]
    );
    assert_nothing_written(dir.path());
}

#[test]
fn password_stdin_reads_up_to_64_kib_and_judges_what_fits_as_a_password() {
    // Up to 65536 bytes (newline included) the line is read and judged as a password (too
    // long for one); one byte more and it is not read as a password at all.
    let stdin_limit = "so it is not a password";
    let password_limit = "it is longer than 4096 bytes";
    for (input, says) in [
        ([&[b'a'; 65535][..], b"\n"].concat(), password_limit),
        (vec![b'a'; 65536], password_limit),
        ([&[b'a'; 65536][..], b"\n"].concat(), stdin_limit),
        (vec![b'a'; 65537], stdin_limit),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let n = input.len();
        let out = Cmd::new()
            .args(["render", "--scenario", "docker-compose", "--out"])
            .arg(dir.path())
            .arg("--password-stdin")
            .stdin(input)
            .run();
        out.code(2);
        assert!(out.stderr.contains(says), "{n} bytes: {}", out.stderr);
        assert_nothing_written(dir.path());
    }
}

#[test]
fn password_stdin_first_line_drives_the_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .arg("--password-stdin")
        .stdin(b"Stdin0Password0Kept0Exactly0\nsecond line ignored\n".to_vec())
        .run();
    out.code(0);
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert_eq!(
        crate::common::env_value(&env, "REDIS_PASSWORD").as_deref(),
        Some("Stdin0Password0Kept0Exactly0"),
        "{env}"
    );
}

#[test]
fn deeply_nested_answers_file_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let nested = format!(
        "scenario: docker-compose\nsentinels: {}\n",
        "[".repeat(60_000)
    );
    std::fs::write(dir.path().join("chatwoot-redis.yaml"), nested).unwrap();
    for mode in [&[][..], &["--check"][..]] {
        let start = Instant::now();
        let out = Cmd::new()
            .arg("render")
            .arg("--out")
            .arg(dir.path())
            .args(mode)
            .env("REDIS_PASSWORD", "Nested0Answers0Password0")
            .run();
        assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
        out.code(2);
        assert!(out.stderr.contains("nested deeper than"), "{}", out.stderr);
        assert!(out.stderr.contains("chatwoot-redis.yaml"), "{}", out.stderr);
    }
    assert_nothing_written(dir.path());
}

#[test]
fn oversized_answers_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("scenario: docker-compose\n");
    while text.len() < 200 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding\n");
    }
    std::fs::write(dir.path().join("chatwoot-redis.yaml"), text).unwrap();
    let out = Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(dir.path())
        .env("REDIS_PASSWORD", "Big0Answers0Password0")
        .run();
    out.code(2);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
    assert_nothing_written(dir.path());
}

#[test]
fn a_huge_refused_answer_is_not_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let host = format!("bad host {}", "x".repeat(100 * 1024));
    let out = Cmd::new()
        .args(["render", "--scenario", "elasticache", "--out"])
        .arg(dir.path())
        .env("CHATWOOT_REDIS_HOST", &host)
        .env("REDIS_PASSWORD", "Huge0Answer0Password0")
        .run();
    out.code(2);
    assert!(
        out.stderr.contains("--host"),
        "{}",
        &out.stderr[..out.stderr.len().min(500)]
    );
    assert!(
        out.stderr.len() < 8 * 1024,
        "a {}-byte message for a refused answer",
        out.stderr.len()
    );
    assert_nothing_written(dir.path());
}
