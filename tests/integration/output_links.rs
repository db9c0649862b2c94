//! Outputs are the tool's own files: a symlink out of the output directory, a FIFO, a file
//! of another user are refused (exit 2) by render, `--check`, `--diff` and `--dry-run`
//! without reading, printing or writing them; a link inside the directory to a file of the
//! running user is followed and said so; `--out` through a symlink is resolved and shown.
//! The tests run as root (as CI does) and use `nobody` as the other user.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{render_cmd, require};

const PASSWORD: &str = "Links-test-password-4f9a1c";
/// A value only the child's environment holds: it must never show up in any output.
const CANARY: &str = "canary-token-7d3e9b51";
const NOBODY: u32 = 65534;

const MODES: [&[&str]; 4] = [&[], &["--check"], &["--diff"], &["--dry-run"]];

/// Runs a render with a deadline (a FIFO must never make it wait), with the canary in its
/// environment. Returns (code, stdout + stderr).
fn render(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut cmd: Command = render_cmd(dir, args, Some(PASSWORD));
    cmd.env("CHATWOOT_LINKS_CANARY", CANARY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chatwoot-redis");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("render {args:?} in {} hung", dir.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(CANARY),
        "the link's target reached the output: {text}"
    );
    assert!(
        !text.contains(PASSWORD),
        "the password reached the output: {text}"
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A rendered single-server directory (so `--check` has an answers file to read).
fn rendered(base: &Path) -> std::path::PathBuf {
    let out = base.join("deploy");
    let (code, text) = render(&out, &["--scenario", "single-server"]);
    assert_eq!(code, 0, "{text}");
    out
}

fn snapshot(path: &Path) -> (Vec<u8>, u32, u32) {
    let meta = fs::metadata(path).unwrap();
    (fs::read(path).unwrap(), meta.uid(), meta.mode() & 0o7777)
}

#[test]
fn a_link_to_proc_self_environ_is_refused_and_never_read() {
    let base = tempfile::tempdir().unwrap();
    let out = rendered(base.path());
    for name in [".env", "redis.conf"] {
        let link = out.join(name);
        let before = fs::read(&link).unwrap();
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        for mode in MODES {
            let (code, text) = render(&out, mode);
            assert_eq!(code, 2, "{name} {mode:?}: {text}");
            assert!(
                text.contains(&format!("{} is a symlink to /proc/", link.display()))
                    && text.contains("outside the output directory")
                    && text.contains(&format!("rm {}", link.display())),
                "{name} {mode:?}: {text}"
            );
        }
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        fs::remove_file(&link).unwrap();
        fs::write(&link, before).unwrap();
    }
}

#[test]
fn a_link_to_a_file_of_another_user_is_refused_and_that_file_is_untouched() {
    let base = tempfile::tempdir().unwrap();
    let out = rendered(base.path());
    // Outside the directory, and inside it: both belong to nobody.
    let outside = base.path().join("theirs.env");
    fs::create_dir_all(out.join("shared")).unwrap();
    let inside = out.join("shared/theirs.env");
    for target in [&outside, &inside] {
        fs::write(target, format!("OTHER={CANARY}\n")).unwrap();
        fs::set_permissions(target, fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::chown(target, Some(NOBODY), Some(NOBODY))
            .expect("chown to nobody (the tests run as root)");
        let link = out.join(".env");
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
        let before = snapshot(target);
        for mode in MODES {
            let (code, text) = render(&out, mode);
            assert_eq!(code, 2, "{} {mode:?}: {text}", target.display());
            assert!(
                text.contains(&format!("{} is a symlink to", link.display())),
                "{text}"
            );
            if target == &inside {
                assert!(text.contains("owned by uid 65534"), "{text}");
                assert!(text.contains("chown"), "{text}");
            }
        }
        assert_eq!(snapshot(target), before, "{} was changed", target.display());
    }
}

#[test]
fn a_secret_file_of_another_user_does_not_receive_the_password() {
    let base = tempfile::tempdir().unwrap();
    let out = rendered(base.path());
    let env = out.join(".env");
    std::os::unix::fs::chown(&env, Some(NOBODY), Some(NOBODY)).unwrap();
    fs::write(&env, "OTHER=1\n").unwrap();
    let before = snapshot(&env);
    let (code, text) = render(&out, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!(
            "{} holds secrets and belongs to uid 65534",
            env.display()
        )) && text.contains(&format!("chown 0 {}", env.display())),
        "{text}"
    );
    assert_eq!(snapshot(&env), before);
    // Given back to the running user, it is merged as usual, and stays private.
    std::os::unix::fs::chown(&env, Some(0), Some(0)).unwrap();
    let (code, text) = render(&out, &[]);
    assert_eq!(code, 0, "{text}");
    let merged = fs::read_to_string(&env).unwrap();
    assert!(merged.starts_with("OTHER=1\n") && merged.contains(PASSWORD));
}

#[test]
fn a_fifo_is_refused_without_being_opened() {
    require("mkfifo");
    let base = tempfile::tempdir().unwrap();
    let out = rendered(base.path());
    for name in ["redis.conf", ".env"] {
        let path = out.join(name);
        let before = fs::read(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let status = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(status.success());
        for mode in MODES {
            let (code, text) = render(&out, mode);
            assert_eq!(code, 2, "{name} {mode:?}: {text}");
            assert!(
                text.contains(&format!("{} is a FIFO", path.display())),
                "{name} {mode:?}: {text}"
            );
        }
        fs::remove_file(&path).unwrap();
        fs::write(&path, before).unwrap();
    }
    // A link inside the directory to a FIFO is refused as well.
    let pipe = out.join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap()
        .success());
    let link = out.join("redis-secrets.conf");
    let kept = fs::read(&link).unwrap();
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("pipe", &link).unwrap();
    for mode in MODES {
        let (code, text) = render(&out, mode);
        assert_eq!(code, 2, "{mode:?}: {text}");
        assert!(text.contains("which is a FIFO"), "{text}");
    }
    fs::remove_file(&link).unwrap();
    fs::write(&link, kept).unwrap();
    fs::set_permissions(&link, fs::Permissions::from_mode(0o600)).unwrap();
    let (code, text) = render(&out, &["--check"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn out_through_a_symlink_is_resolved_and_shown() {
    let base = tempfile::tempdir().unwrap();
    let real = base.path().join("srv/chatwoot");
    fs::create_dir_all(&real).unwrap();
    let link = base.path().join("deploy");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, text) = render(&link, &["--scenario", "single-server"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "note: --out {} leads through a symlink to {}",
            link.display(),
            real.canonicalize().unwrap().display()
        )),
        "{text}"
    );
    assert!(real.join("redis.conf").is_file());
}
