//! Hand edits of the Redis keys of `.env` are treated like hand edits of `redis.conf`: kept
//! without `--force` (the render refuses and says why), reported by `--check`, replaced by
//! `--force`, and taken over when the answers give the same value. Chatwoot's view is read
//! with the real ruby-dotenv and Compose v2 at each step.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const PW: &str = "Hand0Edit0Password0abcdefg";

fn render(dir: &Path, args: &[&str]) -> Output {
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(dir)
        .args(args)
        .env("REDIS_PASSWORD", PW)
        .run()
}

/// REDIS_URL as ruby-dotenv and Compose v2 read the `.env` (they must agree).
fn redis_url_read(dir: &Path) -> String {
    let env = dir.join(".env");
    let script = "require 'dotenv'; require 'json'; \
                  puts JSON.generate(Dotenv::Environment.new(ARGV[0], true).to_h)";
    let (code, out, err) = run(Command::new(require("ruby")).args(["-e", script]).arg(&env));
    assert_eq!(code, 0, "{err}");
    let ruby: serde_json::Value = serde_json::from_str(&out).expect("json");
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  s:\n    image: busybox\n    env_file: .env\n",
    )
    .expect("compose file");
    let (code, out, err) = run(Command::new(require("docker-compose"))
        .current_dir(dir)
        .args(["-f", "compose.yaml", "config", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("json");
    std::fs::remove_file(dir.join("compose.yaml")).expect("rm");
    let url = ruby["REDIS_URL"].as_str().expect("REDIS_URL").to_string();
    assert_eq!(
        cfg["services"]["s"]["environment"]["REDIS_URL"],
        url.as_str()
    );
    url
}

#[test]
fn a_hand_edit_of_a_redis_key_in_env_is_kept_reported_and_replaced_only_with_force() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("out");
    render(&dir, &["--scenario", "docker-compose"]).code(0);
    let env = dir.join(".env");
    let url = redis_url_read(&dir);
    assert_eq!(url, "redis://redis:6379");

    // The operator moves Chatwoot to db 3 by hand.
    let text = std::fs::read_to_string(&env).expect(".env");
    let edited = text.replace(
        "REDIS_URL=redis://redis:6379\n",
        "REDIS_URL=redis://redis:6379/3\n",
    );
    assert_ne!(edited, text);
    std::fs::write(&env, &edited).expect("edit");

    // A plain render keeps it: it refuses (exit 1), names the key and the ways out.
    let out = render(&dir, &[]);
    out.code(1);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("Redis keys changed by hand"), "{said}");
    assert!(said.contains("would change REDIS_URL"), "{said}");
    assert!(said.contains("--force"), "{said}");
    assert!(!said.contains(PW), "{said}");
    assert_eq!(std::fs::read_to_string(&env).expect(".env"), edited);
    assert_eq!(redis_url_read(&dir), "redis://redis:6379/3");

    // --check reports it (exit 1) without showing the secret file.
    let check = render(&dir, &["--check"]);
    check.code(1);
    assert!(
        check.stdout.contains("Redis keys changed by hand")
            || check.stderr.contains("Redis keys changed by hand"),
        "{}\n{}",
        check.stdout,
        check.stderr
    );
    assert!(!check.stdout.contains(PW) && !check.stderr.contains(PW));

    // Moving the edit into the answers takes it over: written, then current.
    render(&dir, &["--db", "3"]).code(0);
    assert_eq!(redis_url_read(&dir), "redis://redis:6379/3");
    render(&dir, &["--check"]).code(0);
    let answers = std::fs::read_to_string(dir.join("chatwoot-redis.yaml")).expect("answers");
    assert!(answers.contains("db: 3"), "{answers}");

    // Another hand edit, replaced with --force.
    let text = std::fs::read_to_string(&env).expect(".env");
    std::fs::write(&env, text.replace("/3\n", "/5\n")).expect("edit");
    render(&dir, &[]).code(1);
    assert_eq!(redis_url_read(&dir), "redis://redis:6379/5");
    render(&dir, &["--force"]).code(0);
    assert_eq!(redis_url_read(&dir), "redis://redis:6379/3");
    render(&dir, &["--check"]).code(0);

    // Keys that are not Redis keys stay the operator's: no conflict.
    let text = std::fs::read_to_string(&env).expect(".env");
    std::fs::write(&env, format!("{text}SECRET_KEY_BASE=abc\n")).expect("edit");
    render(&dir, &[]).code(0);
    render(&dir, &["--check"]).code(0);
}

#[test]
fn comments_an_operator_adds_to_the_answers_file_are_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("out");
    render(&dir, &["--scenario", "docker-compose"]).code(0);
    let answers = dir.join("chatwoot-redis.yaml");
    let text = std::fs::read_to_string(&answers).expect("answers");
    let commented =
        text.replace(
            "maxmemory:",
            "# Sized for the 4 GB host (ticket 17)\nmaxmemory:",
        )
        .replace(
            "web-threads: 5",
            "web-threads: 5 # RAILS_MAX_THREADS of the web service",
        ) + "# Owner: ops team\n";
    assert_ne!(commented, text);
    std::fs::write(&answers, &commented).expect("edit");

    // Comments are no change: --check passes, a render has nothing to write.
    render(&dir, &["--check"]).code(0);
    let out = render(&dir, &[]);
    out.code(0);
    assert!(out.stdout.contains("nothing to write"), "{}", out.stdout);
    assert_eq!(
        std::fs::read_to_string(&answers).expect("answers"),
        commented
    );

    // A changed answer keeps every comment where it was.
    render(&dir, &["--db", "2", "--web-threads", "8"]).code(0);
    let after = std::fs::read_to_string(&answers).expect("answers");
    assert!(
        after.contains("# Sized for the 4 GB host (ticket 17)\nmaxmemory:"),
        "{after}"
    );
    assert!(
        after.contains("web-threads: 8 # RAILS_MAX_THREADS of the web service"),
        "{after}"
    );
    assert!(after.ends_with("# Owner: ops team\n"), "{after}");
    assert!(after.contains("db: 2"), "{after}");
    render(&dir, &["--check"]).code(0);
    // And the kept file still reads as those answers.
    let env = std::fs::read_to_string(dir.join(".env")).expect(".env");
    assert!(env.contains("REDIS_URL=redis://redis:6379/2"), "{env}");
}
