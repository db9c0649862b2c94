//! The bound on `--password-stdin` at its exact edge: a first line of 64 KiB is read (and then
//! refused as a password over 4096 bytes), one byte more is refused unread as "not a password".

use crate::common::*;

fn render_stdin(input: Vec<u8>) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(dir.path())
        .arg("--password-stdin")
        .stdin(input)
        .run();
    (out, dir)
}

#[test]
fn password_stdin_reads_a_64_kib_line_and_refuses_one_byte_more() {
    let (at_cap, d) = render_stdin(vec![b'a'; 64 * 1024]);
    at_cap.code(2);
    assert!(at_cap.stderr.contains("4096 bytes"), "{}", at_cap.stderr);
    assert!(
        !at_cap.stderr.contains("not a password"),
        "{}",
        at_cap.stderr
    );
    assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);

    let mut over = vec![b'a'; 64 * 1024 + 1];
    over.extend_from_slice(b"\nsecond\n");
    let (over, d) = render_stdin(over);
    over.code(2);
    assert!(
        over.stderr.contains("--password-stdin") && over.stderr.contains("not a password"),
        "{}",
        over.stderr
    );
    assert_eq!(std::fs::read_dir(d.path()).expect("dir").count(), 0);
}
