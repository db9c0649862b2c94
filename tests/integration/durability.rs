//! A render survives a crash at any point: every new file is flushed before it replaces the
//! old one, every rename is followed by a flush of its directory, and the journal that lets
//! the next run finish an interrupted set is on disk before the first rename and gone after
//! the last. Observed with strace on the real binary (the file system calls themselves, not
//! the tool's account of them).

use std::path::{Path, PathBuf};

use crate::common::*;

/// One traced call: `fsync` of the file an fd names, a rename, or an unlink.
#[derive(Debug, PartialEq)]
enum Call {
    Fsync(PathBuf),
    Rename(PathBuf, PathBuf),
    Unlink(PathBuf),
}

/// The quoted string arguments of a strace line, in order.
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Runs `render ARGS` under `strace -f -y` and returns its flushes, renames and unlinks.
fn traced_render(args: &[&str]) -> Vec<Call> {
    let log = tempfile::NamedTempFile::new().expect("log");
    let log_path = log.path().to_str().expect("utf-8").to_string();
    let strace = require("strace");
    let out = Cmd::wrapped_in(
        &strace,
        &[
            // Every thread and child: the writes do not happen on the main thread.
            "-f",
            "-y",
            "-qq",
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat",
            "-o",
            &log_path,
        ],
    )
    .arg("render")
    .args(args)
    .env("REDIS_PASSWORD", "Durable0Password0For0The0Trace")
    .run();
    out.code(0);
    let text = std::fs::read_to_string(log.path()).expect("strace log");
    // A call another thread interrupts is split in two lines, `PID call(args <unfinished ...>`
    // and `PID <... call resumed>rest`: join them again, per thread.
    let mut pending: std::collections::HashMap<String, String> = Default::default();
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let (pid, rest) = line.split_once(' ').unwrap_or((line, ""));
        if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid.to_string(), head.to_string());
        } else if let Some((_, tail)) = rest.split_once(" resumed>") {
            let head = pending.remove(pid).unwrap_or_default();
            lines.push(format!("{pid} {head}{tail}"));
        } else {
            lines.push(line.to_string());
        }
    }
    let mut calls = Vec::new();
    for line in lines.iter().filter(|l| l.trim_end().ends_with("= 0")) {
        let call = line.split_whitespace().nth(1).unwrap_or_default();
        if call.starts_with("fsync(") || call.starts_with("fdatasync(") {
            // fsync(5</path/of/the/fd>) = 0
            let path = line
                .split_once('<')
                .and_then(|(_, r)| r.split_once(">)"))
                .map(|(p, _)| PathBuf::from(p))
                .expect("strace -y names the fd's file");
            calls.push(Call::Fsync(path));
        } else if call.starts_with("rename") {
            let q = quoted(line);
            assert_eq!(q.len(), 2, "{line}");
            calls.push(Call::Rename(PathBuf::from(&q[0]), PathBuf::from(&q[1])));
        } else if call.starts_with("unlink") {
            let q = quoted(line);
            calls.push(Call::Unlink(PathBuf::from(&q[0])));
        }
    }
    calls
}

fn parent(p: &Path) -> PathBuf {
    p.parent().expect("a parent").to_path_buf()
}

/// The ordering rules a crash-safe set of replacements follows, checked on `calls` for the
/// files in `dir`; returns the targets renamed into place.
fn assert_crash_safe(calls: &[Call], dir: &Path) -> Vec<PathBuf> {
    let journal = dir.join(".chatwoot-redis.journal");
    let renames: Vec<(usize, &PathBuf, &PathBuf)> = calls
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Call::Rename(from, to) if parent(to) == dir => Some((i, from, to)),
            _ => None,
        })
        .collect();
    assert!(
        !renames.is_empty(),
        "no rename into {}: {calls:?}",
        dir.display()
    );
    let flushed_before = |i: usize, p: &Path| calls[..i].contains(&Call::Fsync(p.to_path_buf()));
    let flushed_after = |i: usize, p: &Path| calls[i + 1..].contains(&Call::Fsync(p.to_path_buf()));
    for (i, from, to) in &renames {
        assert!(
            flushed_before(*i, from),
            "{} replaced {} before its contents were flushed: {calls:?}",
            from.display(),
            to.display()
        );
        assert!(
            flushed_after(*i, dir),
            "the rename to {} is not followed by a flush of {}: {calls:?}",
            to.display(),
            dir.display()
        );
    }
    let outputs: Vec<&(usize, &PathBuf, &PathBuf)> = renames
        .iter()
        .filter(|(_, _, to)| **to != journal)
        .collect();
    if outputs.len() > 1 {
        // A set of files: the journal is in place and flushed before the first of them, and
        // removed (and the removal flushed) after the last.
        let first = outputs[0].0;
        let last = outputs[outputs.len() - 1].0;
        let j = renames
            .iter()
            .find(|(_, _, to)| **to == journal)
            .map(|(i, _, _)| *i)
            .expect("a journal before a set of renames");
        assert!(
            j < first,
            "the journal comes after the first rename: {calls:?}"
        );
        assert!(
            calls[j + 1..first].contains(&Call::Fsync(dir.to_path_buf())),
            "the journal is not flushed before the first rename: {calls:?}"
        );
        let removed = calls
            .iter()
            .rposition(|c| *c == Call::Unlink(journal.clone()))
            .expect("the journal is removed");
        assert!(
            removed > last,
            "the journal is removed before the last rename: {calls:?}"
        );
        assert!(
            flushed_after(removed, dir),
            "the journal's removal is not flushed: {calls:?}"
        );
    }
    outputs.iter().map(|(_, _, to)| (*to).clone()).collect()
}

#[test]
fn every_replacement_is_flushed_before_and_after_its_rename() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().canonicalize().expect("canonical").join("deploy");
    let d = dir.to_str().expect("utf-8");
    // First render: every file is new.
    let calls = traced_render(&["--scenario", "docker-compose", "--out", d]);
    let written = assert_crash_safe(&calls, &dir);
    // The output directory is new: its own entry in the parent is flushed too, or a power
    // loss could lose the whole directory with the files in it.
    let made = calls
        .iter()
        .position(|c| matches!(c, Call::Rename(_, to) if parent(to) == dir))
        .expect("a rename");
    assert!(
        calls[made..].contains(&Call::Fsync(parent(&dir))),
        "the new directory {} is not flushed in its parent: {calls:?}",
        dir.display()
    );
    for name in [
        ".env",
        "redis.conf",
        "docker-compose.redis.yaml",
        "chatwoot-redis.yaml",
    ] {
        assert!(
            written.contains(&dir.join(name)),
            "{name} not renamed into place: {written:?}"
        );
    }
    // A re-render that changes two files replaces them under the same rules.
    let calls = traced_render(&["--out", d, "--maxmemory", "512mb"]);
    let written = assert_crash_safe(&calls, &dir);
    assert!(written.contains(&dir.join("redis.conf")), "{written:?}");
    assert!(
        written.contains(&dir.join("chatwoot-redis.yaml")),
        "{written:?}"
    );
    // One file missing from the set: only it is written.
    std::fs::remove_file(dir.join("redis.conf")).expect("rm");
    let calls = traced_render(&["--out", d]);
    let written = assert_crash_safe(&calls, &dir);
    // One file has nothing to keep in step with: its rename is atomic, and no journal is
    // written (a journal would leave one more file to recover after a crash).
    assert_eq!(written, vec![dir.join("redis.conf")], "{calls:?}");
    let journal = dir.join(".chatwoot-redis.journal");
    assert!(
        !calls.iter().any(|c| match c {
            Call::Rename(_, to) => *to == journal,
            Call::Unlink(p) => *p == journal,
            Call::Fsync(_) => false,
        }),
        "a journal for a single file: {calls:?}"
    );
    // A single file (an answers file of its own directory) is flushed the same way.
    let answers_dir = dir.join("answers");
    std::fs::create_dir(&answers_dir).expect("mkdir");
    let a = answers_dir.join("chatwoot-redis.yaml");
    std::fs::copy(dir.join("chatwoot-redis.yaml"), &a).expect("copy");
    let calls = traced_render(&[
        "--answers",
        a.to_str().expect("utf-8"),
        "--out",
        d,
        "--maxmemory",
        "256mb",
    ]);
    assert_crash_safe(&calls, &dir);
}
