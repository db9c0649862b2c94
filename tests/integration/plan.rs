//! The repository workflow on real directories: plan, write, `--check`, `--diff`,
//! `--dry-run`, hand edits and `--force`, the `.env` merge, modes, interrupted writes, git.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chatwoot_redis::chatwoot::REDIS_ENV_KEYS;
use chatwoot_redis::header;
use chatwoot_redis::output::{EnvUpdate, FileKind, RenderSet, RenderedFile};
use chatwoot_redis::plan::{self, Action, Mode, WriteStep};
use chatwoot_redis::write::is_temp_name;

const PASSWORD: &str = "Tr0ub4dor-and-3-more";
/// Chatwoot's `.env.example`, read at run time from the reference files (a missing file is
/// explained by [`crate::common::reference`], not a failed build).
static ENV_EXAMPLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    fs::read_to_string(crate::common::reference("chatwoot/env.example"))
        .expect("read chatwoot/env.example")
});

fn stamped(kind: FileKind, body: &str) -> RenderedFile {
    RenderedFile {
        kind,
        contents: header::stamp(body),
        env_update: None,
    }
}

fn env_file(set: &[(&str, &str)], remove: &[&str]) -> RenderedFile {
    let mut contents = header::plain_header();
    for (k, v) in set {
        contents.push_str(&format!("{k}={v}\n"));
    }
    RenderedFile {
        kind: FileKind::Env,
        contents,
        env_update: Some(EnvUpdate {
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            remove: remove.iter().map(|k| k.to_string()).collect(),
        }),
    }
}

/// A docker-compose-like set: answers, redis.conf, the Compose override and `.env`.
fn compose_set(maxmemory: &str) -> RenderSet {
    RenderSet {
        files: vec![
            RenderedFile {
                kind: FileKind::Answers,
                contents: format!(
                    "# chatwoot-redis answers\nscenario: docker-compose\nmaxmemory: {maxmemory}\n"
                ),
                env_update: None,
            },
            stamped(
                FileKind::RedisConf,
                &format!("maxmemory {maxmemory}\nmaxmemory-policy noeviction\n"),
            ),
            stamped(
                FileKind::Compose,
                "services:\n  redis:\n    command: [\"redis-server\", \"/etc/redis/redis.conf\", \"--requirepass\", \"$${REDIS_PASSWORD}\"]\n",
            ),
            env_file(
                &[
                    ("REDIS_URL", "redis://redis:6379"),
                    ("REDIS_PASSWORD", &format!("'{PASSWORD}'")),
                    ("REDIS_ALFRED_SIZE", "5"),
                    ("REDIS_VELMA_SIZE", "10"),
                ],
                &[
                    "REDIS_SENTINELS",
                    "REDIS_SENTINEL_MASTER_NAME",
                    "REDIS_SENTINEL_PASSWORD",
                ],
            ),
        ],
        warnings: Vec::new(),
        secrets: vec![PASSWORD.to_string()],
        env_path: None,
    }
}

fn run(set: &RenderSet, dir: &Path, mode: Mode) -> (u8, String) {
    let mut out = Vec::new();
    let code = plan::execute(set, dir, mode, &mut out).expect("execute");
    let text = String::from_utf8(out).expect("utf-8 output");
    assert!(
        !text.contains(PASSWORD),
        "a secret reached the output of {mode:?}:\n{text}"
    );
    (code, text)
}

/// Every file under `dir` with its bytes, sorted: a snapshot to prove nothing changed.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                let bytes = fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| is_temp_name(n))
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn check_passes_after_a_fresh_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deploy");
    let set = compose_set("1gb");
    let (code, text) = run(&set, &out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("created"), "{text}");
    let (code, text) = run(&set, &out, Mode::Check);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok: 3 files current"), "{text}");
    assert!(
        text.contains("skipped (secret files, not compared):") && text.contains(".env"),
        "{text}"
    );
    // A second write changes nothing.
    let before = snapshot(&out);
    let (code, text) = run(&set, &out, Mode::Write { force: false });
    assert_eq!(code, 0);
    assert!(text.contains("nothing to write"), "{text}");
    assert_eq!(snapshot(&out), before);
}

#[test]
fn check_fails_with_a_diff_after_a_hand_edit_and_force_restores() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    let conf = out.join("redis.conf");
    let generated = fs::read_to_string(&conf).unwrap();
    let edited = generated.replace("maxmemory 1gb", "maxmemory 3gb");
    fs::write(&conf, &edited).unwrap();

    let (code, text) = run(&set, out, Mode::Check);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("changed by hand since it was generated"),
        "{text}"
    );
    assert!(
        text.contains("-maxmemory 3gb") && text.contains("+maxmemory 1gb"),
        "{text}"
    );
    assert!(text.contains("--force"), "{text}");

    // A write refuses, shows the diff and both ways forward, and writes nothing at all, not
    // even the files that would otherwise be updated.
    let changed = compose_set("2gb");
    let before = snapshot(out);
    let (code, text) = run(&changed, out, Mode::Write { force: false });
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("refusing to write"), "{text}");
    assert!(text.contains("Nothing was written"), "{text}");
    assert!(text.contains("move it into chatwoot-redis.yaml"), "{text}");
    assert!(text.contains(&format!(
        "chatwoot-redis render --out {} --force",
        out.display()
    )));
    assert!(text.contains("-maxmemory 3gb"), "{text}");
    assert_eq!(snapshot(out), before);
    assert_eq!(fs::read_to_string(&conf).unwrap(), edited);

    // The library call says the same.
    let p = plan::plan(&set, out).unwrap();
    let err = plan::apply(&p, false).unwrap_err();
    assert_eq!(err.exit_code(), 1);

    let (code, text) = run(&set, out, Mode::Write { force: true });
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("replaced (--force)"), "{text}");
    assert_eq!(fs::read_to_string(&conf).unwrap(), generated);
    assert_eq!(run(&set, out, Mode::Check).0, 0);
}

#[test]
fn a_foreign_file_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    fs::write(out.join("redis.conf"), "port 6379\n").unwrap();
    let set = compose_set("1gb");
    let (code, text) = run(&set, out, Mode::DryRun);
    assert_eq!(code, 0);
    assert!(
        text.contains("conflict") && text.contains("not generated"),
        "{text}"
    );
    let (code, text) = run(&set, out, Mode::Write { force: false });
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        fs::read_to_string(out.join("redis.conf")).unwrap(),
        "port 6379\n"
    );
    assert!(!out.join(".env").exists());
    // --check says what the file is, not only that it differs, and that --force is needed.
    let (code, text) = run(&set, out, Mode::Check);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("redis.conf: not generated by chatwoot-redis"),
        "{text}"
    );
    assert!(!text.contains("redis.conf: differs"), "{text}");
}

#[test]
fn check_fails_on_missing_changed_and_unexpected_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });

    fs::remove_file(out.join("docker-compose.redis.yaml")).unwrap();
    let (code, text) = run(&set, out, Mode::Check);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("docker-compose.redis.yaml: missing"),
        "{text}"
    );
    assert!(text.contains("--- /dev/null"), "{text}");
    assert!(
        text.contains(&format!(
            "fix: chatwoot-redis render --out {}",
            out.display()
        )),
        "{text}"
    );

    // The answers changed: answers file and redis.conf are stale.
    run(&set, out, Mode::Write { force: false });
    let (code, text) = run(&compose_set("2gb"), out, Mode::Check);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("redis.conf: differs"), "{text}");
    assert!(text.contains("chatwoot-redis.yaml: differs"), "{text}");
    assert!(text.contains("+maxmemory 2gb"), "{text}");
    assert!(text.contains("2 files are not current"), "{text}");

    // A leftover of another scenario.
    let script = out.join("redis-settings.sh");
    fs::write(&script, header::stamp("aws elasticache modify ...\n")).unwrap();
    let (code, text) = run(&set, out, Mode::Check);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("redis-settings.sh: unexpected"), "{text}");
    assert!(text.contains("+++ /dev/null"), "{text}");
    assert!(text.contains("fix: rm "), "{text}");
    // A write does not delete it, it says so.
    let (code, text) = run(&set, out, Mode::Write { force: false });
    assert_eq!(code, 0);
    assert!(
        text.contains("generated earlier but not part of this set"),
        "{text}"
    );
    assert!(script.exists());
    // One the operator wrote (no header) is not called generated.
    fs::write(&script, "#!/bin/sh\necho mine\n").unwrap();
    let (code, text) = run(&set, out, Mode::Write { force: false });
    assert_eq!(code, 0);
    assert!(
        text.contains("redis-settings.sh: not part of this set; left as it is"),
        "{text}"
    );
    assert!(!text.contains("generated earlier"), "{text}");
    assert_eq!(
        fs::read_to_string(&script).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    fs::remove_file(&script).unwrap();
    assert_eq!(run(&set, out, Mode::Check).0, 0);
}

#[test]
fn check_never_compares_secret_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    // CI has no .env at all, or a different one: still current.
    fs::remove_file(out.join(".env")).unwrap();
    let (code, text) = run(&set, out, Mode::Check);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(".env"), "{text}");
}

#[test]
fn dry_run_and_diff_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-yet");
    let set = compose_set("1gb");
    let (code, text) = run(&set, &missing, Mode::DryRun);
    assert_eq!(code, 0);
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(
        text.contains("create") && text.contains("redis.conf"),
        "{text}"
    );
    assert!(!missing.exists(), "dry run created the output directory");
    let (code, text) = run(&set, &missing, Mode::Diff);
    assert_eq!(code, 0);
    assert!(text.contains("+maxmemory 1gb"), "{text}");
    assert!(
        text.contains(".env: would create (secret file, diff not shown)"),
        "{text}"
    );
    assert!(!missing.exists());

    let out = dir.path();
    fs::write(out.join(".env"), ENV_EXAMPLE.as_str()).unwrap();
    run(&set, out, Mode::Write { force: false });
    let before = snapshot(out);
    let changed = compose_set("2gb");
    let (_, text) = run(&changed, out, Mode::DryRun);
    assert!(
        text.contains("update") && text.contains("unchanged"),
        "{text}"
    );
    let (_, text) = run(&changed, out, Mode::Diff);
    assert!(
        text.contains("-maxmemory 1gb\n") && text.contains("+maxmemory 2gb\n"),
        "{text}"
    );
    assert_eq!(snapshot(out), before);
    let (_, text) = run(&set, out, Mode::Diff);
    assert!(text.contains("no changes"), "{text}");
}

/// The lines of an env file that are not about a Redis key (active or commented example).
fn non_redis_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .filter(|line| {
            let t = line.trim_start_matches(['#', ' ']);
            let t = t.strip_prefix("export ").unwrap_or(t);
            // The mark of the Redis keys, which the merge adds above them.
            !line.starts_with(chatwoot_redis::envfile::KEYS_MARK)
                && !REDIS_ENV_KEYS
                    .iter()
                    .any(|k| t.starts_with(&format!("{k}=")))
        })
        .collect()
}

#[test]
fn env_merge_into_chatwoot_env_example_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let env = out.join(".env");
    fs::write(&env, ENV_EXAMPLE.as_str()).unwrap();
    #[cfg(unix)]
    set_mode(&env, 0o640);

    let set = compose_set("1gb");
    let (code, text) = run(&set, out, Mode::DryRun);
    assert_eq!(code, 0);
    assert!(
        text.contains("REDIS_SENTINELS removed") && text.contains("REDIS_PASSWORD updated"),
        "{text}"
    );
    run(&set, out, Mode::Write { force: false });
    let merged = fs::read_to_string(&env).unwrap();

    assert_eq!(
        non_redis_lines(&merged),
        non_redis_lines(ENV_EXAMPLE.as_str())
    );
    assert_eq!(
        merged.lines().count(),
        ENV_EXAMPLE.lines().count() - 2 + 1,
        "only the two sentinel lines go (and the mark of the Redis keys comes)"
    );
    assert!(merged.contains("REDIS_URL=redis://redis:6379\n"));
    assert!(merged.contains(&format!("REDIS_PASSWORD='{PASSWORD}'\n")));
    assert!(!merged.contains("\nREDIS_SENTINELS="));
    assert!(!merged.contains("\nREDIS_SENTINEL_MASTER_NAME="));
    // Commented examples: replaced in place when the key is set, kept when not.
    assert!(merged.ends_with("REDIS_ALFRED_SIZE=5\nREDIS_VELMA_SIZE=10\n"));
    assert!(merged.contains("# REDIS_SENTINEL_PASSWORD=\n"));
    assert!(merged.contains("# REDIS_OPENSSL_VERIFY_MODE=none\n"));
    for key in REDIS_ENV_KEYS {
        let active = merged
            .lines()
            .filter(|l| l.starts_with(&format!("{key}=")))
            .count();
        assert!(active <= 1, "{key} is active {active} times");
    }
    #[cfg(unix)]
    assert_eq!(mode(&env), 0o640, "the mode of Chatwoot's .env is kept");

    // Idempotent: byte-identical the second time, and the plan says unchanged.
    let p = plan::plan(&set, out).unwrap();
    let env_plan = p.files.iter().find(|f| f.kind == FileKind::Env).unwrap();
    assert_eq!(env_plan.action, Action::Unchanged);
    run(&set, out, Mode::Write { force: false });
    assert_eq!(fs::read_to_string(&env).unwrap(), merged);
}

#[test]
fn env_merge_keeps_crlf_and_a_missing_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let env = out.join(".env");
    let crlf = ENV_EXAMPLE.replace('\n', "\r\n");
    let crlf = crlf.trim_end_matches("\r\n").replace(
        "# REDIS_VELMA_SIZE=10",
        "RAILS_ENV=production\r\n# REDIS_VELMA_SIZE=10",
    );
    fs::write(&env, &crlf).unwrap();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    let merged = fs::read_to_string(&env).unwrap();
    assert!(
        !merged.replace("\r\n", "").contains('\n'),
        "a bare LF crept in"
    );
    assert!(
        merged.ends_with("\r\nREDIS_VELMA_SIZE=10"),
        "{:?}",
        &merged[merged.len() - 60..]
    );
    assert!(merged.contains("\r\nRAILS_ENV=production\r\n"));
    run(&set, out, Mode::Write { force: false });
    assert_eq!(fs::read_to_string(&env).unwrap(), merged);
}

#[cfg(unix)]
#[test]
fn modes_secret_files_are_private_from_creation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let mut set = compose_set("1gb");
    set.files.push(stamped(
        FileKind::RedisSecretsConf,
        &format!("requirepass {PASSWORD}\n"),
    ));
    // Observe every file right after its temporary file was written and again after rename.
    let p = plan::plan(&set, out).unwrap();
    let mut seen = Vec::new();
    plan::apply_with_hook(&p, false, &mut |step| {
        if let WriteStep::Staged(_) = step {
            for name in temp_files(out) {
                let m = mode(&out.join(&name));
                assert!(m & 0o077 == 0 || m == 0o644, "{name} has mode {m:o}");
                seen.push(name);
            }
        }
        Ok(())
    })
    .unwrap();
    assert!(!seen.is_empty());
    assert_eq!(mode(&out.join(".env")), 0o600);
    assert_eq!(mode(&out.join("redis-secrets.conf")), 0o600);
    assert_eq!(mode(&out.join("redis.conf")), 0o644);
    assert_eq!(mode(&out.join("chatwoot-redis.yaml")), 0o644);

    // Existing files keep their mode; a world-readable secret file loses "other" access.
    set_mode(&out.join("redis.conf"), 0o640);
    set_mode(&out.join(".env"), 0o664);
    let changed = {
        let mut s = compose_set("2gb");
        s.files.push(stamped(
            FileKind::RedisSecretsConf,
            &format!("requirepass {PASSWORD}\n"),
        ));
        s.files[3] = env_file(&[("REDIS_URL", "redis://other:6379")], &[]);
        s
    };
    let (code, text) = run(&changed, out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("every user on this machine could read it"),
        "{text}"
    );
    assert_eq!(mode(&out.join("redis.conf")), 0o640);
    assert_eq!(mode(&out.join(".env")), 0o660);
}

#[test]
fn an_interrupted_write_leaves_old_or_new_files_and_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let old = compose_set("1gb");
    run(&old, out, Mode::Write { force: false });
    let old_files = snapshot(out);
    let new = compose_set("2gb");
    let p = plan::plan(&new, out).unwrap();

    // Fails while staging the second file: nothing was renamed, every file is old.
    let mut staged = 0;
    let err = plan::apply_with_hook(&p, false, &mut |step| {
        if let WriteStep::Staged(_) = step {
            staged += 1;
            if staged == 2 {
                return Err(io::Error::other("disk full (injected)"));
            }
        }
        Ok(())
    })
    .unwrap_err();
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(snapshot(out), old_files);
    assert!(temp_files(out).is_empty(), "{:?}", temp_files(out));

    // Fails right after the first rename: that file is new, the others old, none partial.
    let err = plan::apply_with_hook(&p, false, &mut |step| match step {
        WriteStep::Committed(_) => Err(io::Error::other("killed (injected)")),
        WriteStep::Staged(_) | WriteStep::Journalled => Ok(()),
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("every other file is unchanged")
            || err.to_string().contains("nothing else"),
        "{err}"
    );
    assert!(temp_files(out).is_empty(), "{:?}", temp_files(out));
    let old_map: std::collections::BTreeMap<_, _> = old_files.into_iter().collect();
    let new_plan = plan::plan(&new, out).unwrap();
    let mut new_count = 0;
    for (path, bytes) in snapshot(out) {
        let now = String::from_utf8(bytes.clone()).unwrap();
        let planned = new_plan.files.iter().find(|f| f.path == path).unwrap();
        let is_old = old_map.get(&path) == Some(&bytes);
        let is_new = planned.contents == now;
        assert!(
            is_old || is_new,
            "{} is neither old nor new",
            path.display()
        );
        if is_new && !is_old {
            new_count += 1;
        }
    }
    assert_eq!(new_count, 1);
    // A normal run then completes the set.
    run(&new, out, Mode::Write { force: false });
    assert_eq!(run(&new, out, Mode::Check).0, 0);
}

#[test]
fn secrets_never_leave_secret_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let mut set = compose_set("1gb");
    set.files[1] = stamped(FileKind::RedisConf, &format!("requirepass {PASSWORD}\n"));
    let err = plan::execute(&set, out, Mode::Write { force: false }, &mut Vec::new()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(!err.to_string().contains(PASSWORD));
    assert!(snapshot(out).is_empty());

    // A secret pasted by hand into a committed file is masked in every diff.
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    let conf = out.join("redis.conf");
    let text = fs::read_to_string(&conf).unwrap();
    fs::write(&conf, format!("{text}requirepass {PASSWORD}\n")).unwrap();
    for mode in [
        Mode::Check,
        Mode::Diff,
        Mode::DryRun,
        Mode::Write { force: false },
    ] {
        let (_, text) = run(&set, out, mode);
        if mode != Mode::DryRun {
            // The whole value of a secret directive is hidden, known password or not.
            assert!(text.contains("-requirepass <hidden>"), "{mode:?}: {text}");
            assert!(!text.contains(PASSWORD), "{mode:?}: {text}");
        }
    }
}

#[test]
fn a_symlinked_env_stays_a_link() {
    #[cfg(unix)]
    {
        // A link inside the output directory to a regular file of the running user.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("deploy");
        fs::create_dir_all(out.join("chatwoot")).unwrap();
        let real = out.join("chatwoot/shared.env");
        fs::write(&real, "A=1\n").unwrap();
        std::os::unix::fs::symlink("chatwoot/shared.env", out.join(".env")).unwrap();
        let (code, text) = run(&compose_set("1gb"), &out, Mode::Write { force: false });
        assert_eq!(code, 0, "{text}");
        assert!(
            text.contains(&format!(
                "note: {} is a link to {}; following it",
                out.join(".env").display(),
                real.canonicalize().unwrap().display()
            )),
            "{text}"
        );
        assert!(fs::symlink_metadata(out.join(".env"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::read_to_string(&real)
            .unwrap()
            .starts_with("A=1\n\n# Redis"));
        assert!(temp_files(&out.join("chatwoot")).is_empty());
    }
}

#[test]
fn secret_files_not_ignored_by_git_get_a_warning() {
    // git is a real consumer here: a missing git fails the test, it never skips.
    crate::common::require("git");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .arg(repo)
        .status()
        .unwrap();
    assert!(status.success());
    let out = repo.join("deploy");
    let set = compose_set("1gb");
    let (_, text) = run(&set, &out, Mode::DryRun);
    assert!(
        text.contains(".env holds secrets and is not ignored by git; add the line `.env`"),
        "{text}"
    );
    fs::write(
        repo.join(".gitignore"),
        ".env\nredis-secrets.conf\nredis-secret.yaml\n",
    )
    .unwrap();
    let (_, text) = run(&set, &out, Mode::DryRun);
    assert!(!text.contains("by git"), "{text}");
    // A negated pattern un-ignores it again.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join(".gitignore"), "!.env\n").unwrap();
    let (_, text) = run(&set, &out, Mode::DryRun);
    assert!(
        text.contains(".env holds secrets and is not ignored"),
        "{text}"
    );
    fs::remove_file(out.join(".gitignore")).unwrap();
    // Ignored but already committed: it is still in the repository.
    fs::write(out.join(".env"), "A=1\n").unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["add", "-f", "deploy/.env"]);
    let (_, text) = run(&set, &out, Mode::DryRun);
    assert!(
        text.contains("tracked by git; stop tracking it with: git rm --cached"),
        "{text}"
    );
}

const WRITER_DIR_ENV: &str = "CHATWOOT_REDIS_TEST_WRITER_DIR";

/// Two sets that differ in every file, with a large `redis.conf` so that a write takes long
/// enough to be killed in the middle.
fn crash_set(round: usize) -> RenderSet {
    let maxmemory = if round % 2 == 0 { "1gb" } else { "2gb" };
    let mut set = compose_set(maxmemory);
    let padding = format!("# {maxmemory} {}\n", "x".repeat(100)).repeat(400);
    set.files[1] = stamped(
        FileKind::RedisConf,
        &format!("maxmemory {maxmemory}\n{padding}"),
    );
    set.files[3] = env_file(
        &[
            ("REDIS_URL", "redis://redis:6379"),
            ("REDIS_PASSWORD", &format!("'{PASSWORD}'")),
            ("REDIS_VELMA_SIZE", if round % 2 == 0 { "10" } else { "20" }),
        ],
        &["REDIS_SENTINELS"],
    );
    set
}

/// Not a test on its own: the child process that `killed_mid_write_...` kills. It writes the
/// two sets in turn until it is killed, saying on stdout when a write has begun (a file is
/// staged) and pausing a little after each rename, as a slow disk would, so that kills also
/// land between the renames.
#[test]
#[ignore = "child process of killed_mid_write_leaves_each_file_old_or_new"]
fn writer_child_process() {
    use std::io::Write as _;
    let Ok(dir) = std::env::var(WRITER_DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let sets = [crash_set(0), crash_set(1)];
    let mut stdout = io::stdout();
    for round in 0.. {
        let set = &sets[round % 2];
        if let Ok(p) = plan::plan(set, &dir) {
            let _ = plan::apply_with_hook(&p, false, &mut |step| {
                match step {
                    WriteStep::Staged(_) => {
                        stdout.write_all(b"staged\n")?;
                        stdout.flush()?;
                    }
                    WriteStep::Journalled => {}
                    WriteStep::Committed(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(2))
                    }
                }
                Ok(())
            });
        }
    }
}

#[cfg(unix)]
#[test]
fn killed_mid_write_leaves_each_file_old_or_new() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    const ROUNDS: u64 = 200;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let sets = [crash_set(0), crash_set(1)];
    run(&sets[0], out, Mode::Write { force: false });
    // Every version a file may have: the contents of either set (.env: either merge result).
    let env_a = fs::read_to_string(out.join(".env")).unwrap();
    let env_b = chatwoot_redis::envfile::stamp_keys(
        &chatwoot_redis::envfile::merge(&env_a, sets[1].files[3].env_update.as_ref().unwrap())
            .contents,
    );
    // Which set (0 or 1) a file's contents belong to; None when it is neither (partial).
    let version_of = |kind: FileKind, now: &str| -> Vec<usize> {
        if kind == FileKind::Env {
            return [&env_a, &env_b]
                .iter()
                .enumerate()
                .filter(|(_, v)| v.as_str() == now)
                .map(|(i, _)| i)
                .collect();
        }
        sets.iter()
            .enumerate()
            .filter(|(_, s)| s.files.iter().find(|f| f.kind == kind).unwrap().contents == now)
            .map(|(i, _)| i)
            .collect()
    };
    // The set on disk, as one version for all files: panics on a partial or mixed set.
    let whole_set = |round: u64, what: &str| -> usize {
        let mut common: Vec<usize> = vec![0, 1];
        for file in &sets[0].files {
            let now = fs::read_to_string(out.join(file.name())).unwrap();
            let versions = version_of(file.kind, &now);
            assert!(
                !versions.is_empty(),
                "round {round} ({what}): {} is partial ({} bytes)",
                file.name(),
                now.len()
            );
            common.retain(|v| versions.contains(v));
        }
        assert!(
            !common.is_empty(),
            "round {round} ({what}): a mixed old/new set"
        );
        common[0]
    };

    let exe = std::env::current_exe().unwrap();
    let (mut journalled, mut changed) = (0, 0);
    let mut previous = whole_set(0, "start");
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "plan::writer_child_process",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(WRITER_DIR_ENV, out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has begun a write (1 to 3 staged files), then kill it a
        // varying moment later: before, during or after the renames.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wanted = 1 + (round % 3) as usize;
        let mut seen = 0;
        while seen < wanted {
            match lines.next() {
                Some(Ok(line)) if line == "staged" => seen += 1,
                Some(Ok(_)) => {}
                _ => panic!("round {round}: the writer stopped before staging a file"),
            }
        }
        std::thread::sleep(Duration::from_micros((round * 373) % 4000));
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();
        // What any reader sees right now: every file whole (old or new), never partial.
        for file in &sets[0].files {
            let now = fs::read_to_string(out.join(file.name())).unwrap();
            assert!(
                !version_of(file.kind, &now).is_empty(),
                "round {round}: {} is partial after the kill",
                file.name()
            );
        }
        if out.join(chatwoot_redis::write::JOURNAL).exists() {
            journalled += 1;
        }
        // The next run completes the journalled write: one whole set, old or new.
        plan::complete_interrupted_write(out).unwrap();
        assert!(!out.join(chatwoot_redis::write::JOURNAL).exists());
        assert!(temp_files(out).is_empty(), "{:?}", temp_files(out));
        let now = whole_set(round, "after the kill");
        if now != previous {
            changed += 1;
        }
        previous = now;
    }
    eprintln!(
        "kill -9 after the journal in {journalled} of {ROUNDS} rounds; the set changed in {changed}"
    );
    // The kills landed inside writes, not only before or after them.
    assert!(
        journalled > 0,
        "no kill landed between the journal and the last rename"
    );
    assert!(changed > 0, "no killed write ever completed");
    // A render afterwards leaves a current directory.
    let (code, text) = run(&sets[1], out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(temp_files(out).is_empty());
}

/// A write that a killed run journalled is finished before the next write, and the report
/// says so: the operator learns that the earlier run had not finished.
#[test]
fn a_write_completes_an_interrupted_runs_journal_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let old = compose_set("1gb");
    let (code, text) = run(&old, out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    let new = compose_set("2gb");
    let conf = new
        .files
        .iter()
        .find(|f| f.kind == FileKind::RedisConf)
        .expect("redis.conf");
    let target = out.join(conf.kind.file_name());
    let staged = chatwoot_redis::write::stage(
        &target,
        conf.contents.as_bytes(),
        chatwoot_redis::write::Permissions::new_file(false),
    )
    .unwrap();
    chatwoot_redis::write::write_journal(out, &[(staged.temp_path(), &target)]).unwrap();
    // The killed run never got to rename or remove its staged file.
    std::mem::forget(staged);
    assert_ne!(fs::read_to_string(&target).unwrap(), conf.contents);

    let (code, text) = run(&new, out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("completed") && l.contains("redis.conf")),
        "{text}"
    );
    assert!(!out.join(chatwoot_redis::write::JOURNAL).exists());
    assert!(temp_files(out).is_empty(), "{:?}", temp_files(out));
    assert_eq!(fs::read_to_string(&target).unwrap(), conf.contents);

    // A journal left behind while the set itself is current: a render with nothing to write
    // still finishes it (no journal and no temporary file stay).
    let staged = chatwoot_redis::write::stage(
        &target,
        conf.contents.as_bytes(),
        chatwoot_redis::write::Permissions::new_file(false),
    )
    .unwrap();
    chatwoot_redis::write::write_journal(out, &[(staged.temp_path(), &target)]).unwrap();
    std::mem::forget(staged);
    let (code, text) = run(&new, out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("completed") && l.contains("redis.conf")),
        "{text}"
    );
    assert!(!out.join(chatwoot_redis::write::JOURNAL).exists(), "{text}");
    assert!(temp_files(out).is_empty(), "{:?}", temp_files(out));
}

#[test]
fn a_write_removes_the_temporary_files_of_gone_runs_and_keeps_those_of_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    // The id of a process that has exited: its temporary file is a leftover of a killed run.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let gone = child.id();
    child.wait().unwrap();
    let stale = out.join(format!(".redis.conf.chatwoot-redis-{gone}-AbCdEf.tmp"));
    let live = out.join(format!(
        ".redis.conf.chatwoot-redis-{}-GhIjKl.tmp",
        std::process::id()
    ));
    fs::write(&stale, "half a file\n").unwrap();
    fs::write(&live, "a write in progress\n").unwrap();
    let (code, text) = run(&compose_set("2gb"), out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    assert!(!stale.exists(), "{text}");
    assert!(
        text.contains(&format!(
            "removed    {} (temporary file of an interrupted run)",
            stale.display()
        )),
        "{text}"
    );
    assert!(live.exists(), "another run's file was removed:\n{text}");
    assert_eq!(temp_files(out).len(), 1);
}

#[test]
fn a_hand_edited_config_is_named_as_such_in_the_plan_and_a_private_secret_draws_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let set = compose_set("1gb");
    run(&set, out, Mode::Write { force: false });
    let conf = out.join("redis.conf");
    let edited = fs::read_to_string(&conf)
        .unwrap()
        .replace("maxmemory 1gb", "maxmemory 3gb");
    fs::write(&conf, &edited).unwrap();
    // Group-readable but not world-readable: nothing to warn about, and the mode is kept.
    set_mode(&out.join(".env"), 0o640);
    let (code, text) = run(&compose_set("2gb"), out, Mode::DryRun);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "redis.conf: changed by hand since it was generated; kept (--force replaces it)"
        ),
        "{text}"
    );
    assert!(!text.contains("every user on this machine"), "{text}");
    let (code, text) = run(&compose_set("2gb"), out, Mode::Write { force: true });
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("every user on this machine"), "{text}");
    assert_eq!(mode(&out.join(".env")), 0o640);
}

#[test]
fn a_write_reports_each_file_under_its_own_name_with_what_happened_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let (code, text) = run(&compose_set("1gb"), out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    let line_of = |text: &str, name: &str| -> String {
        let wanted = out.join(name).display().to_string();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(wanted.as_str()))
            .collect();
        assert_eq!(lines.len(), 1, "{name} in:\n{text}");
        lines[0].to_string()
    };
    for name in [
        "chatwoot-redis.yaml",
        "redis.conf",
        "docker-compose.redis.yaml",
    ] {
        assert!(
            line_of(&text, name).trim_start().starts_with("created "),
            "{text}"
        );
    }
    // The second render changes two files: each says "updated" under its own name, the
    // others are not listed.
    let (code, text) = run(&compose_set("2gb"), out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    for name in ["chatwoot-redis.yaml", "redis.conf"] {
        assert!(
            line_of(&text, name).trim_start().starts_with("updated "),
            "{text}"
        );
    }
    assert!(!text.contains("docker-compose.redis.yaml"), "{text}");
    assert!(!text.contains("replaced"), "{text}");
    // A `.env` line says which Redis keys changed (names only): here Chatwoot's own `.env`,
    // never rendered before.
    let env = out.join(".env");
    fs::write(&env, "SECRET_KEY_BASE=abc\nREDIS_URL=redis://old:6379\n").unwrap();
    let (code, text) = run(&compose_set("2gb"), out, Mode::Write { force: false });
    assert_eq!(code, 0, "{text}");
    let wanted = format!(
        "updated    {}: REDIS_URL updated, REDIS_PASSWORD added",
        env.display()
    );
    assert!(text.contains(&wanted), "{wanted}\nnot in:\n{text}");
}
