//! Rendering as an unprivileged operator (uid and gid 65534, switched to with `setpriv`):
//! what that user may not read is an error, not a missing file, and a link to a file that
//! belongs to someone else is never followed. The suite runs as root; these runs are not.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::common::*;

const NOBODY: u32 = 65534;

/// `chatwoot-redis` run as uid/gid 65534 with no supplementary groups: a copy of the binary
/// in `tmp` (open to every user), since the checkout may be in a directory that user cannot
/// reach.
fn as_nobody(tmp: &Path) -> Cmd {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "these tests switch to uid {NOBODY} with setpriv, which needs root (running as uid {euid})"
    );
    let setpriv = require("setpriv");
    let binary = tmp.join("chatwoot-redis");
    // A hard link where it can be: a copy is open for writing while other test threads fork,
    // and a child holding that descriptor makes exec fail with "Text file busy".
    let built = env!("CARGO_BIN_EXE_chatwoot-redis");
    if std::fs::hard_link(built, &binary).is_err() {
        std::fs::copy(built, &binary).expect("copy the binary");
    }
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Cmd::wrapped_binary(
        &setpriv,
        &[
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
        ],
        &binary,
    )
}

/// A docker-compose set rendered (as root) in `tmp/deploy`, its answers moved to
/// `tmp/answers/`, every directory on the way open to other users.
fn rendered(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = tmp.join("deploy");
    Cmd::new()
        .args(["render", "--scenario", "docker-compose", "--out"])
        .arg(&out)
        .env("REDIS_PASSWORD", "Another0User0Password0Here")
        .run()
        .code(0);
    let answers_dir = tmp.join("answers");
    std::fs::create_dir(&answers_dir).expect("mkdir");
    let answers = answers_dir.join("chatwoot-redis.yaml");
    std::fs::rename(out.join("chatwoot-redis.yaml"), &answers).expect("move the answers");
    (out, answers)
}

/// `render --check --out OUT --answers ANSWERS` as uid 65534.
fn check_as_nobody(tmp: &Path, out: &Path, answers: &Path) -> Output {
    as_nobody(tmp)
        .args(["render", "--check", "--out"])
        .arg(out)
        .arg("--answers")
        .arg(answers)
        .run()
}

#[test]
fn an_output_directory_the_user_cannot_search_is_a_read_error_not_missing_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, answers) = rendered(tmp.path());
    // Readable but not searchable: the names are listed, the files cannot be looked at.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let check = check_as_nobody(tmp.path(), &out, &answers);
    check.code(2);
    assert!(
        check.stderr.contains(&format!(
            "cannot read {}: Permission denied",
            out.join("redis.conf").display()
        )),
        "{}",
        check.stderr
    );
    assert!(!check.stdout.contains("missing"), "{}", check.stdout);
}

#[test]
fn a_link_to_a_file_another_user_owns_is_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (out, answers) = rendered(tmp.path());
    // The directory is the operator's; redis.conf is a link to root's copy inside it.
    let theirs = out.join("redis.conf.root");
    std::fs::rename(out.join("redis.conf"), &theirs).expect("mv");
    std::os::unix::fs::symlink("redis.conf.root", out.join("redis.conf")).expect("ln -s");
    std::os::unix::fs::chown(&out, Some(NOBODY), Some(NOBODY)).expect("chown");
    let before = std::fs::read(&theirs).expect("read");
    let render = check_as_nobody(tmp.path(), &out, &answers);
    render.code(2);
    assert!(
        render
            .stderr
            .contains(&format!("owned by uid 0 and not by you (uid {NOBODY})")),
        "{}",
        render.stderr
    );
    assert_eq!(
        std::fs::read(&theirs).expect("read"),
        before,
        "root's file changed"
    );
    assert!(std::fs::symlink_metadata(out.join("redis.conf"))
        .expect("the link")
        .file_type()
        .is_symlink());
}
