//! The lifecycle of every scenario (render → change one answer → rotate the password → switch
//! scenario), with what Chatwoot's Ruby dotenv reads from `.env` at each step: the real
//! ruby-dotenv (Debian's 2.4, through tests/ruby/chatwoot_reads.rb, with the redis client's
//! and cable.yml's view of the password) on files where 2.4 reads as 3.1.2 does, and the exact
//! 3.1.2 rules (`chatwoot_redis::dotenv`) on every file; both must agree key by key.

use std::path::Path;
use std::process::Command;

use chatwoot_redis::chatwoot::REDIS_ENV_KEYS;
use chatwoot_redis::dotenv;

use crate::common::{reference, require, run, Cmd};

const PW_OLD: &str = "First0Password0Alnum0abcdefghijkl";
const PW_NEW: &str = "Second0Password0Alnum0abcdefghijk";
const PW_THIRD: &str = "Third0Password0Alnum0abcdefghijklm";

/// Does Debian's dotenv 2.4 read the file `text` as 3.1.2 does? 2.4 reads line by line (no
/// multi-line values, no value on the next line), and each value as
/// [`crate::env_readers::dotenv_24_agrees`] says.
fn dotenv_24_agrees_on_file(text: &str) -> bool {
    let Ok(entries) = dotenv::parse(text) else {
        return false;
    };
    let spans = dotenv::spans(text);
    spans
        .iter()
        .all(|s| s.key_line == s.last_line && s.sep.0 == s.key_line)
        && entries
            .iter()
            .all(|e| crate::env_readers::dotenv_24_agrees(&e.raw))
}

/// What Chatwoot reads from `dir/.env`, checked with both readers; returns the Ruby view.
fn chatwoot_reads(dir: &Path, what: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(dir.join(".env")).unwrap_or_else(|e| panic!("{what}: .env: {e}"));
    // The 3.1.2 rules, on every file.
    let entries = dotenv::parse(&text).unwrap_or_else(|e| panic!("{what}: dotenv 3.1.2: {e}"));
    assert!(
        dotenv_24_agrees_on_file(&text),
        "{what}: the generated .env is one where dotenv 2.4 and 3.1.2 differ"
    );
    let (code, out, err) = run(Command::new(require("ruby"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb"))
        .arg(reference("chatwoot/cable.yml"))
        .arg(dir));
    assert_eq!(
        code, 0,
        "{what}: ruby failed (is ruby-dotenv installed?):\n{err}"
    );
    let mut views: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ruby JSON");
    let ruby = views.remove(0);
    for key in REDIS_ENV_KEYS {
        let ours = dotenv::last(&entries, key).map(|e| {
            assert!(e.is_literal(), "{what}: {key} would be substituted");
            e.value.as_str()
        });
        assert_eq!(
            ours,
            ruby["env"][key].as_str(),
            "{what}: dotenv 3.1.2 and ruby-dotenv read {key} differently"
        );
    }
    ruby
}

/// The password the redis client and ActionCable take, by both readers.
fn assert_password(dir: &Path, pw: &str, what: &str) {
    let ruby = chatwoot_reads(dir, what);
    assert_eq!(ruby["client_password"], pw, "{what}: redis client: {ruby}");
    assert_eq!(ruby["cable_password"], pw, "{what}: cable.yml: {ruby}");
    // By the 3.1.2 rules: REDIS_PASSWORD when present, else the URL's.
    let text = std::fs::read_to_string(dir.join(".env")).expect(".env");
    let entries = dotenv::parse(&text).expect("parses");
    let env_pw = dotenv::last(&entries, "REDIS_PASSWORD")
        .map(|e| e.value.clone())
        .filter(|p| !p.trim().is_empty());
    let url_pw = dotenv::last(&entries, "REDIS_URL")
        .and_then(|e| chatwoot_redis::chatwoot::parse_redis_url(&e.value).ok())
        .and_then(|u| u.password);
    assert_eq!(
        env_pw.or(url_pw).as_deref(),
        Some(pw),
        "{what}: dotenv 3.1.2"
    );
}

#[test]
fn every_scenario_s_env_reads_right_in_ruby_dotenv_at_each_step() {
    let mut checked = 0;
    for scenario in crate::common::SCENARIOS {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(
            crate::common::example_answers(scenario),
            dir.path().join("chatwoot-redis.yaml"),
        )
        .expect("copy the example answers");
        let heroku_url =
            |pw: &str| format!("rediss://:{pw}@ec2-3-91-10-20.compute-1.amazonaws.com:12345");
        let step = |args: &[&str], pw: &str| {
            let cmd = Cmd::new()
                .current_dir(dir.path())
                .args(["render", "--out", "."])
                .args(args);
            let cmd = if scenario == "heroku" {
                cmd.env("CHATWOOT_REDIS_URL", heroku_url(pw))
            } else {
                cmd.env("REDIS_PASSWORD", pw)
            };
            cmd.run().code(0);
        };
        step(&[], PW_OLD);
        let has_env = dir.path().join(".env").exists();
        if has_env {
            assert_password(dir.path(), PW_OLD, &format!("{scenario} first render"));
        }
        // Change one answer: Chatwoot's pools follow it, the password stays.
        step(&["--web-threads", "12"], PW_OLD);
        if has_env {
            let what = format!("{scenario} after --web-threads 12");
            assert_password(dir.path(), PW_OLD, &what);
            let ruby = chatwoot_reads(dir.path(), &what);
            assert!(
                ruby["alfred"].as_i64().is_some_and(|a| a >= 16),
                "{what}: REDIS_ALFRED_SIZE must cover 12 threads + 4: {ruby}"
            );
        }
        // Rotate.
        step(&[], PW_NEW);
        if has_env {
            assert_password(dir.path(), PW_NEW, &format!("{scenario} after rotation"));
        }
        // Switch scenario with a new password: Chatwoot reads the new deployment's.
        let target = if scenario == "docker-compose" {
            "single-server"
        } else {
            "docker-compose"
        };
        Cmd::new()
            .current_dir(dir.path())
            .args(["render", "--out", ".", "--scenario", target])
            .env("REDIS_PASSWORD", PW_THIRD)
            .run()
            .code(0);
        let what = format!("{scenario} → {target}");
        assert_password(dir.path(), PW_THIRD, &what);
        let ruby = chatwoot_reads(dir.path(), &what);
        let url = ruby["env"]["REDIS_URL"].as_str().expect("REDIS_URL");
        let want = if target == "docker-compose" {
            "redis://redis:6379"
        } else {
            "redis://127.0.0.1:6379"
        };
        assert_eq!(url, want, "{what}");
        for gone in ["REDIS_SENTINELS", "REDIS_OPENSSL_VERIFY_MODE"] {
            assert!(ruby["env"][gone].is_null(), "{what}: {gone} left: {ruby}");
        }
        checked += 1;
    }
    assert_eq!(checked, crate::common::SCENARIOS.len());
}
