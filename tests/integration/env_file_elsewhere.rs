//! `env-file`: the Redis keys go into Chatwoot's own `.env` elsewhere (a cwctl install's
//! `/home/chatwoot/chatwoot/.env`), merged as in `--out`, with the same safety, saved in the
//! answers file relative to its directory so the next render from anywhere is the same.
//! Chatwoot's view is read with the real ruby-dotenv at each step.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const PW: &str = "Cwctl0Password0abcdefghij";
const ROTATED: &str = "Rotated0Password0abcdefgh";

/// What the real ruby-dotenv reads from `env`.
fn dotenv_reads(env: &Path) -> serde_json::Value {
    let script = "require 'dotenv'; require 'json'; \
                  puts JSON.generate(Dotenv::Environment.new(ARGV[0], true).to_h)";
    let (code, out, err) = run(Command::new(require("ruby")).args(["-e", script]).arg(env));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[test]
fn redis_keys_go_into_chatwoots_own_env_file_and_the_answer_is_saved() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home/chatwoot");
    let chatwoot = home.join("chatwoot");
    let deploy = home.join("deploy");
    std::fs::create_dir_all(&chatwoot).expect("dirs");
    let env = chatwoot.join(".env");
    let example = read(&reference("chatwoot/env.example"));
    std::fs::write(&env, &example).expect(".env");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }

    // From the home directory, with a path relative to the answers file's directory.
    Cmd::new()
        .current_dir(&home)
        .args(["render", "--scenario", "single-server", "--out", "deploy"])
        .args(["--env-file", "../chatwoot/.env"])
        .env("REDIS_PASSWORD", PW)
        .run()
        .code(0);
    assert!(!deploy.join(".env").exists(), "no second .env in --out");
    // Each directory's journal is gone once the write is complete.
    for dir in [&chatwoot, &deploy] {
        assert!(!dir.join(".chatwoot-redis.journal").exists());
    }
    let answers = read(&deploy.join("chatwoot-redis.yaml"));
    assert!(
        answers.contains("env-file: \"../chatwoot/.env\""),
        "{answers}"
    );
    assert!(!answers.contains(PW));
    let after = read(&env);
    // Merged as in --out: every other line of Chatwoot's file stays.
    assert!(after.contains("SECRET_KEY_BASE="), "{after}");
    let got = dotenv_reads(&env);
    assert_eq!(got["REDIS_PASSWORD"], PW, "{got}");
    assert_eq!(got["REDIS_URL"], "redis://127.0.0.1:6379", "{got}");
    // Private: "other" users lose read access to the file holding the password.
    #[cfg(unix)]
    assert_eq!(mode(&env) & 0o007, 0, "mode {:o}", mode(&env));

    // The next render from anywhere else: the saved answer finds the same file, nothing to
    // write, and --check is clean.
    let out = Cmd::new()
        .current_dir(tmp.path())
        .arg("render")
        .arg("--out")
        .arg(&deploy)
        .run();
    out.code(0);
    assert!(out.stdout.contains("nothing to write"), "{}", out.stdout);
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&deploy)
        .arg("--check")
        .run()
        .code(0);

    // A rotation updates Chatwoot's file (the password was kept from it until now).
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&deploy)
        .env("REDIS_PASSWORD", ROTATED)
        .run()
        .code(0);
    assert_eq!(dotenv_reads(&env)["REDIS_PASSWORD"], ROTATED);
    let conf = read(&deploy.join("redis-secrets.conf"));
    assert!(
        conf.contains(ROTATED),
        "redis and Chatwoot share the new password"
    );

    // A hand edit of a Redis key there is kept like one in --out.
    let text = read(&env);
    std::fs::write(
        &env,
        text.replace("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/4"),
    )
    .expect("edit");
    let out = Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&deploy)
        .arg("--check")
        .run();
    out.code(1);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("Redis keys changed by hand"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    // The environment variable is the same answer.
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    let env2 = other.join(".env");
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(tmp.path().join("deploy2"))
        .args(["--scenario", "elasticache"])
        .args(["--host", "master.cw.abc123.use1.cache.amazonaws.com"])
        .env("CHATWOOT_REDIS_ENV_FILE", &env2)
        .env("REDIS_PASSWORD", PW)
        .run()
        .code(0);
    let got = dotenv_reads(&env2);
    assert!(
        got["REDIS_URL"]
            .as_str()
            .is_some_and(|u| u.starts_with("rediss://")),
        "{got}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&env2), 0o600, "a new .env is private");
}

#[test]
fn env_file_refusals_name_the_answer_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out_dir = tmp.path().join("out");
    let refuse = |args: &[&str], want: &str| {
        let out = Cmd::new()
            .arg("render")
            .arg("--out")
            .arg(&out_dir)
            .args(args)
            .env("REDIS_PASSWORD", PW)
            .run();
        out.code(2);
        assert!(out.stderr.contains("--env-file"), "{}", out.stderr);
        assert!(out.stderr.contains(want), "{}", out.stderr);
        assert!(out.stderr.contains("fix:"), "{}", out.stderr);
        assert!(!out_dir.exists(), "refused but wrote {}", out_dir.display());
    };
    let missing = tmp.path().join("no/such/dir/.env");
    refuse(
        &[
            "--scenario",
            "single-server",
            "--env-file",
            missing.to_str().expect("utf-8"),
        ],
        "does not exist",
    );
    refuse(
        &["--scenario", "single-server", "--env-file", "chatwoot/"],
        "names a directory",
    );
    // Compose's override reads the .env in --out.
    let elsewhere = tmp.path().join(".env");
    refuse(
        &[
            "--scenario",
            "docker-compose",
            "--env-file",
            elsewhere.to_str().expect("utf-8"),
        ],
        "Compose override reads the .env in --out",
    );
    assert!(!elsewhere.exists());

    // A symlink to a file outside its own directory is not followed (nor read, nor written).
    #[cfg(unix)]
    {
        let cw = tmp.path().join("cw");
        std::fs::create_dir(&cw).expect("dir");
        let target = tmp.path().join("secret-elsewhere");
        std::fs::write(&target, "KEEP=1\n").expect("target");
        std::os::unix::fs::symlink(&target, cw.join(".env")).expect("symlink");
        let out = Cmd::new()
            .arg("render")
            .arg("--out")
            .arg(&out_dir)
            .args(["--scenario", "single-server", "--env-file"])
            .arg(cw.join(".env"))
            .env("REDIS_PASSWORD", PW)
            .run();
        out.code(2);
        assert!(out.stderr.contains("symlink"), "{}", out.stderr);
        assert_eq!(read(&target), "KEEP=1\n");
        assert!(!out_dir.exists());
    }
}
