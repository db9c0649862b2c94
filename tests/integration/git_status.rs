//! The in-process git check agrees with the real `git check-ignore` and `git ls-files` on
//! generated repositories: global excludes (core.excludesFile, the XDG default), info/exclude,
//! nested `.gitignore` files, negation, excluded directories, tracked files, linked work
//! trees; and `render --check` fails on a tracked secret file, even with `-q`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{render_cmd, require, run};

/// The secret files of `single-server` (with a generated password).
const SECRETS: [&str; 2] = [".env", "redis-secrets.conf"];

/// One generated repository layout.
struct Case {
    name: &'static str,
    /// Output directory, relative to the work tree.
    out: &'static str,
    /// Files to create, relative to the work tree (`~/` = the test's HOME).
    files: &'static [(&'static str, &'static str)],
    /// Extra `git config` settings of the repository (`key`, `value`; `~/` = HOME).
    config: &'static [(&'static str, &'static str)],
    /// Set XDG_CONFIG_HOME to HOME/xdg.
    xdg: bool,
    /// Secret files to create and `git add -f` before asking.
    track: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "no rules",
        out: "deploy",
        files: &[],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "root .gitignore",
        out: "deploy",
        files: &[(".gitignore", ".env\nredis-secrets.conf\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "global core.excludesFile in ~/.gitconfig",
        out: "deploy",
        files: &[
            ("~/.gitconfig", "[core]\n\texcludesFile = ~/global-ignore\n"),
            ("~/global-ignore", ".env\n"),
        ],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "XDG default ignore file",
        out: "deploy",
        files: &[("~/xdg/git/ignore", "redis-secrets.conf\n")],
        config: &[],
        xdg: true,
        track: &[],
    },
    Case {
        name: "~/.config/git/ignore without XDG_CONFIG_HOME",
        out: "deploy",
        files: &[("~/.config/git/ignore", "*.conf\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "core.excludesFile in the repository config",
        out: "deploy",
        files: &[("~/local-ignore", "deploy/.env\n")],
        config: &[("core.excludesFile", "~/local-ignore")],
        xdg: false,
        track: &[],
    },
    Case {
        name: "info/exclude excludes the directory",
        out: "deploy",
        files: &[(".git/info/exclude", "deploy/\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "nested negation re-includes",
        out: "deploy",
        files: &[(".gitignore", ".env\n"), ("deploy/.gitignore", "!.env\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "nothing is re-included below an excluded directory",
        out: "deploy",
        files: &[
            (".gitignore", "deploy/\n"),
            ("deploy/.gitignore", "!.env\n"),
        ],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "dir/* with a negated file",
        out: "deploy",
        files: &[(".gitignore", "deploy/*\n!deploy/.env\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "anchored pattern does not match below",
        out: "deploy",
        files: &[(".gitignore", "/.env\n/redis-secrets.conf\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "double star and a deeper directory",
        out: "a/b/c",
        files: &[(".gitignore", "**/.env\na/**/*.conf\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "nested .gitignore with a relative path",
        out: "a/b",
        files: &[("a/.gitignore", "b/.env\n")],
        config: &[],
        xdg: false,
        track: &[],
    },
    Case {
        name: "info/exclude beats the global file, .gitignore beats both",
        out: "deploy",
        files: &[
            ("~/xdg/git/ignore", ".env\nredis-secrets.conf\n"),
            (".git/info/exclude", "!.env\n"),
            ("deploy/.gitignore", "!redis-secrets.conf\n"),
        ],
        config: &[],
        xdg: true,
        track: &[],
    },
    Case {
        name: "tracked though ignored",
        out: "deploy",
        files: &[(".gitignore", ".env\n")],
        config: &[],
        xdg: false,
        track: &[".env"],
    },
    Case {
        name: "tracked and not ignored",
        out: "deploy",
        files: &[],
        config: &[],
        xdg: false,
        track: &["redis-secrets.conf"],
    },
];

fn git(dir: &Path, home: &Path, xdg: bool) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir);
    isolate(&mut cmd, home, xdg);
    cmd
}

/// The same user configuration for git and for chatwoot-redis: HOME (and XDG_CONFIG_HOME)
/// inside the test, no system config.
fn isolate(cmd: &mut Command, home: &Path, xdg: bool) {
    cmd.env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_CONFIG_GLOBAL");
    if xdg {
        cmd.env("XDG_CONFIG_HOME", home.join("xdg"));
    } else {
        cmd.env_remove("XDG_CONFIG_HOME");
    }
}

fn ok(cmd: &mut Command) {
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{cmd:?}: {out}{err}");
}

/// What real git says about `rel` (a path in the work tree): (ignored, tracked).
fn real_git(tree: &Path, home: &Path, xdg: bool, rel: &str) -> (bool, bool) {
    let tracked = git(tree, home, xdg)
        .args(["ls-files", "--error-unmatch", "--", rel])
        .output()
        .unwrap()
        .status
        .success();
    let ignore = git(tree, home, xdg)
        .args(["check-ignore", "-q", "--", rel])
        .output()
        .unwrap();
    let code = ignore.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "git check-ignore {rel}: {ignore:?}"
    );
    (code == Some(0), tracked)
}

/// What chatwoot-redis says about each secret file in a dry run: (ignored, tracked).
fn ours(tree: &Path, home: &Path, xdg: bool, out: &str) -> Vec<(bool, bool)> {
    let mut cmd = render_cmd(
        &tree.join(out),
        &[
            "--scenario",
            "single-server",
            "--generate-password",
            "--dry-run",
        ],
        None,
    );
    isolate(&mut cmd, home, xdg);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stdout}{stderr}");
    SECRETS
        .iter()
        .map(|name| {
            let shown = tree.join(out).join(name).display().to_string();
            let not_ignored = stdout.contains(&format!(
                "warning: {shown} holds secrets and is not ignored by git"
            ));
            let tracked = stdout.contains(&format!(
                "warning: {shown} holds secrets and is tracked by git"
            ));
            assert!(!(not_ignored && tracked), "{stdout}");
            (!not_ignored && !tracked, tracked)
        })
        .collect()
}

fn setup(case: &Case, base: &Path) -> (PathBuf, PathBuf) {
    let home = base.join("home");
    let tree = base.join("repo");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&tree).unwrap();
    ok(git(&tree, &home, case.xdg).args(["init", "-q"]));
    for (key, value) in case.config {
        let value = value.replace("~/", &format!("{}/", home.display()));
        ok(git(&tree, &home, case.xdg).args(["config", key, &value]));
    }
    for (path, text) in case.files {
        let path = match path.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => tree.join(path),
        };
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    for name in case.track {
        let rel = format!("{}/{name}", case.out);
        fs::create_dir_all(tree.join(case.out)).unwrap();
        fs::write(tree.join(&rel), "A=1\n").unwrap();
        ok(git(&tree, &home, case.xdg).args(["add", "-f", "--", &rel]));
    }
    (tree, home)
}

#[test]
fn ignore_and_tracked_status_match_real_git() {
    require("git");
    let mut seen = Vec::new();
    for case in CASES {
        let base = tempfile::tempdir().unwrap();
        let (tree, home) = setup(case, base.path());
        let expected: Vec<(bool, bool)> = SECRETS
            .iter()
            .map(|name| real_git(&tree, &home, case.xdg, &format!("{}/{name}", case.out)))
            .collect();
        // git check-ignore reports a tracked file as not ignored; we say "tracked" instead.
        let expected: Vec<(bool, bool)> = expected
            .into_iter()
            .map(|(ignored, tracked)| (ignored && !tracked, tracked))
            .collect();
        let got = ours(&tree, &home, case.xdg, case.out);
        let got: Vec<(bool, bool)> = got
            .into_iter()
            .map(|(ignored, tracked)| (ignored && !tracked, tracked))
            .collect();
        assert_eq!(
            got, expected,
            "case `{}`: (ignored, tracked) per {SECRETS:?}",
            case.name
        );
        seen.extend(expected);
    }
    // The cases cover every answer, so agreement is not agreement on one constant.
    for want in [(false, false), (true, false), (false, true)] {
        assert!(seen.contains(&want), "no case gave {want:?}: {seen:?}");
    }
}

#[test]
fn a_linked_work_tree_is_found_through_its_git_file() {
    require("git");
    let base = tempfile::tempdir().unwrap();
    let home = base.path().join("home");
    let main = base.path().join("main");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&main).unwrap();
    ok(git(&main, &home, false).args(["init", "-q"]));
    fs::write(main.join(".gitignore"), ".env\n").unwrap();
    ok(git(&main, &home, false).args(["add", ".gitignore"]));
    ok(git(&main, &home, false).args([
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "-m",
        "init",
    ]));
    let linked = base.path().join("linked");
    ok(git(&main, &home, false)
        .args(["worktree", "add", "-q", "--detach"])
        .arg(&linked));
    assert!(linked.join(".git").is_file());
    let got = ours(&linked, &home, false, "deploy");
    let expected: Vec<(bool, bool)> = SECRETS
        .iter()
        .map(|n| real_git(&linked, &home, false, &format!("deploy/{n}")))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got, vec![(true, false), (false, false)]);
}

#[test]
fn check_fails_on_a_tracked_secret_file_even_when_quiet() {
    require("git");
    let base = tempfile::tempdir().unwrap();
    let case = Case {
        name: "check",
        out: "deploy",
        files: &[(".gitignore", ".env\nredis-secrets.conf\n")],
        config: &[],
        xdg: false,
        track: &[],
    };
    let (tree, home) = setup(&case, base.path());
    let out = tree.join("deploy");
    let args = ["--scenario", "single-server", "--generate-password"];
    let mut write = render_cmd(&out, &args, None);
    isolate(&mut write, &home, false);
    ok(&mut write);
    let check = |quiet: bool| {
        let mut cmd = render_cmd(&out, &["--check"], None);
        if quiet {
            cmd.arg("-q");
        }
        isolate(&mut cmd, &home, false);
        run(&mut cmd)
    };
    let (code, stdout, stderr) = check(true);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let password = crate::common::env_value(
        &fs::read_to_string(out.join(".env")).unwrap(),
        "REDIS_PASSWORD",
    )
    .expect("a password in .env");
    // Committed by mistake: the check fails, names the file, says how to untrack it and that
    // the password must be rotated.
    ok(git(&tree, &home, false).args(["add", "-f", "deploy/.env"]));
    for quiet in [false, true] {
        let (code, stdout, stderr) = check(quiet);
        let all = format!("{stdout}{stderr}");
        assert_eq!(code, 1, "quiet {quiet}: {all}");
        let shown = out.join(".env").display().to_string();
        assert!(
            all.contains(&format!(
                "error: {shown} holds secrets and is tracked by git"
            )),
            "{all}"
        );
        assert!(all.contains(&format!("git rm --cached {shown}")), "{all}");
        assert!(all.contains("rotate the password"), "{all}");
        assert!(!all.contains(&password), "{all}");
        assert!(!all.contains("redis-secrets.conf holds secrets"), "{all}");
    }
    // Untracked again: the check passes.
    ok(git(&tree, &home, false).args(["rm", "-q", "--cached", "deploy/.env"]));
    let (code, stdout, stderr) = check(true);
    assert_eq!(code, 0, "{stdout}{stderr}");
}
