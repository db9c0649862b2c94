//! `.env` files every reader accepts: each value the writer emits is read as the same bytes by
//! Ruby dotenv (the 3.1.2 rules Chatwoot pins, and Debian's ruby-dotenv 2.4 run live where the
//! two agree) and by the real Docker Compose v2, or refused; the merge understands a
//! byte-order mark, `KEY: value` lines and `\'` inside single-quoted values as dotenv does.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chatwoot_redis::chatwoot::compose_env;
use chatwoot_redis::{dotenv, envfile};

use crate::common::*;

/// What Debian's ruby-dotenv (2.4, the real library) reads from each file.
fn ruby_dotenv_24(files: &[&Path]) -> Vec<BTreeMap<String, String>> {
    let script = "require 'dotenv'; require 'json'; \
                  puts JSON.generate(ARGV.map { |f| Dotenv::Environment.new(f, true).to_h })";
    let (code, out, err) = run(Command::new(require("ruby"))
        .args(["-e", script])
        .args(files)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()));
    assert_eq!(
        code, 0,
        "ruby-dotenv failed (is ruby-dotenv installed?):\n{err}"
    );
    serde_json::from_str(&out).expect("ruby JSON")
}

/// The environment the real Compose v2 gives a service whose `env_file` is `env`, or its
/// refusal. `config` prints a literal `$` as `$$`.
fn compose_reads(dir: &Path, env: &Path) -> Result<BTreeMap<String, String>, String> {
    std::fs::write(
        dir.join("compose.yaml"),
        format!(
            "services:\n  s:\n    image: busybox\n    env_file: {}\n",
            serde_json::to_string(&env.to_string_lossy()).expect("json")
        ),
    )
    .expect("compose file");
    let out = Command::new(require("docker-compose"))
        .current_dir(dir)
        .args(["-f", "compose.yaml", "config", "--format", "json"])
        .env_remove("REDIS_PASSWORD")
        .output()
        .expect("docker-compose");
    // (This docker-compose exits 0 on a file it refuses; it prints nothing then.)
    if !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("config JSON");
    Ok(v["services"]["s"]["environment"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = v.as_str().map(|s| s.replace("$$", "$")).unwrap_or_default();
            (k, v)
        })
        .collect())
}

/// What the dotenv 3.1.2 rules read: key → (value, literal).
fn dotenv_312(text: &str) -> BTreeMap<String, (String, bool)> {
    dotenv::parse(text)
        .expect("dotenv 3.1.2 reads the file")
        .into_iter()
        .map(|e| {
            let literal = e.is_literal();
            (e.key, (e.value, literal))
        })
        .collect()
}

/// Where Debian's dotenv 2.4 reads a written value as 3.1.2 does: 2.4 turns `\n`/`\r` in
/// double quotes into line breaks, 3.1.2 keeps them; bare and single-quoted values, and
/// double-quoted ones without those, are read alike.
pub(crate) fn dotenv_24_agrees(text: &str) -> bool {
    !(text.starts_with('"') && (text.contains("\\n") || text.contains("\\r")))
}

/// The writer's corpus: every password of the property tests, their hostile fragments and
/// generated values, 1 KiB values, a printable-ASCII sweep and runs of final backslashes.
fn corpus() -> Vec<String> {
    use crate::properties::{generate, hostile_value, kib, FRAGMENTS};
    let mut values: Vec<String> = crate::readers::PROPERTY_PASSWORDS
        .iter()
        .chain(FRAGMENTS)
        .map(|s| s.to_string())
        .collect();
    values.extend(generate(hostile_value(), 1500));
    values.extend([kib(true), kib(false)]);
    for c in ' '..='~' {
        values.push(c.to_string());
        values.push(format!("a{c}b"));
        values.push(format!("{c}\\"));
        values.push(format!("x'{c}\\\\\\"));
    }
    for n in 1..=5 {
        let run = "\\".repeat(n);
        for stem in ["Sentinel0pw", "it's", "$HOME#", "a\\b", " pad "] {
            values.push(format!("{stem}{run}"));
        }
    }
    values
}

#[test]
fn every_value_the_writer_emits_reads_the_same_in_dotenv_and_compose() {
    let values = corpus();
    let mut lines = String::new();
    let mut written: Vec<(String, String, String)> = Vec::new();
    let mut refused = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match envfile::encode_value(v) {
            Ok(text) => {
                lines.push_str(&format!("V{i}={text}\n"));
                written.push((format!("V{i}"), v.clone(), text));
            }
            Err(why) => refused.push((v.clone(), why)),
        }
    }
    // A value is refused only when no quoting can carry it: a line break, or a single quote
    // or final backslash together with what double quotes read differently.
    for (v, why) in &refused {
        assert!(
            v.contains(['\n', '\r', '\'']) || v.ends_with('\\'),
            "{v:?} refused although single quotes carry it: {why}"
        );
    }
    let double = written
        .iter()
        .filter(|(_, _, t)| t.starts_with('"'))
        .count();
    assert!(
        written.len() > 1500 && double >= 40,
        "the corpus must exercise every form: {} written ({double} double-quoted), {} refused",
        written.len(),
        refused.len()
    );

    let tmp = tempfile::tempdir().expect("tmp");
    let env = tmp.path().join("all.env");
    std::fs::write(&env, &lines).expect("env");

    // The 3.1.2 rules (checked against dotenv's own cases in readers.rs).
    let model = dotenv_312(&lines);
    // The real Compose v2.
    let compose = compose_reads(tmp.path(), &env).expect("Compose reads every written line");
    // The real ruby-dotenv 2.4, on the lines where it reads as 3.1.2 does.
    let agreeing: String = written
        .iter()
        .filter(|(_, _, t)| dotenv_24_agrees(t))
        .map(|(k, _, t)| format!("{k}={t}\n"))
        .collect();
    let live = tmp.path().join("agreeing.env");
    std::fs::write(&live, &agreeing).expect("env");
    let ruby = ruby_dotenv_24(&[&live]).remove(0);

    let mut wrong = Vec::new();
    let mut live_checked = 0;
    for (key, value, text) in &written {
        if model.get(key) != Some(&(value.clone(), true)) {
            wrong.push(format!("dotenv 3.1.2 {text:?}: {:?}", model.get(key)));
        }
        if compose.get(key) != Some(value) {
            wrong.push(format!("Compose {text:?}: {:?}", compose.get(key)));
        }
        if dotenv_24_agrees(text) {
            live_checked += 1;
            if ruby.get(key) != Some(value) {
                wrong.push(format!("ruby-dotenv 2.4 {text:?}: {:?}", ruby.get(key)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} readings differ from the value:\n{}",
        wrong.len(),
        written.len(),
        wrong.join("\n")
    );
    assert_eq!(
        live_checked,
        written.len(),
        "every written line is one where dotenv 2.4 and 3.1.2 agree"
    );
    eprintln!(
        "{} values written ({double} double-quoted), {} refused",
        written.len(),
        refused.len()
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn passwords_ending_in_backslashes_or_holding_quotes_reach_compose_and_dotenv() {
    let compose = require("docker-compose");
    // The Redis password of a Compose deployment: quotes, a backslash and a `$`.
    let pw = "Compose'pass\\wo\"rd$x";
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("out");
    let out = Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&dir)
        .args(["--scenario", "docker-compose"])
        .env("REDIS_PASSWORD", pw)
        .run();
    out.code(0);
    let (code, json, err) = run(Command::new(&compose)
        .arg("--project-directory")
        .arg(&dir)
        .arg("-f")
        .arg(reference("chatwoot/docker-compose.production.yaml"))
        .arg("-f")
        .arg(dir.join("docker-compose.redis.yaml"))
        .args(["config", "--format", "json"])
        .env_remove("REDIS_PASSWORD"));
    assert_eq!(code, 0, "compose refused:\n{err}");
    let cfg: serde_json::Value = serde_json::from_str(&json).expect("compose JSON");
    for service in ["redis", "rails", "sidekiq"] {
        let got = cfg["services"][service]["environment"]["REDIS_PASSWORD"]
            .as_str()
            .map(|v| v.replace("$$", "$"));
        assert_eq!(got.as_deref(), Some(pw), "{service}");
    }
    let ruby = ruby_dotenv_24(&[&dir.join(".env")]).remove(0);
    assert_eq!(ruby.get("REDIS_PASSWORD").map(String::as_str), Some(pw));
    let model = dotenv_312(&read(&dir.join(".env")));
    assert_eq!(model["REDIS_PASSWORD"], (pw.to_string(), true));

    // The sentinel password of issue 9: `…\` was written `'…\'`, which Compose refuses.
    let sentinel_render = |dir: &Path, sp: &str| {
        Cmd::new()
            .arg("render")
            .arg("--out")
            .arg(dir)
            .args(SEPARATE_SENTINEL_AUTH)
            .env("REDIS_PASSWORD", "Sentinel0Redis0Password0abc")
            .env("REDIS_SENTINEL_PASSWORD", sp)
            .run()
    };
    // Three final backslashes: no quoting carries them (in quotes the last one escapes the
    // closing quote): refused, nothing written.
    let dir = tmp.path().join("refused");
    let out = sentinel_render(&dir, "Sentinel0pw\\\\\\");
    out.code(2);
    assert!(
        out.stderr.contains("REDIS_SENTINEL_PASSWORD"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("ends with a backslash"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Sentinel0pw"), "{}", out.stderr);
    assert!(!dir.exists());
    // One final backslash is written bare, which every reader reads as itself.
    let sp = "Sentinel0pw\\";
    let dir = tmp.path().join("k8s");
    sentinel_render(&dir, sp).code(0);
    let env = dir.join(".env");
    let composed = compose_reads(tmp.path(), &env).expect("Compose reads the .env");
    assert_eq!(
        composed.get("REDIS_SENTINEL_PASSWORD").map(String::as_str),
        Some(sp)
    );
    let ruby = ruby_dotenv_24(&[&env]).remove(0);
    assert_eq!(
        ruby.get("REDIS_SENTINEL_PASSWORD").map(String::as_str),
        Some(sp)
    );
    assert_eq!(
        dotenv_312(&read(&env))["REDIS_SENTINEL_PASSWORD"],
        (sp.to_string(), true)
    );
    // Re-rendering reads the password back and changes nothing.
    let again = Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&dir)
        .args(["--check"])
        .env("REDIS_SENTINEL_PASSWORD", sp)
        .run();
    again.code(0);
}

#[test]
fn a_password_no_quoting_carries_is_refused_and_nothing_is_written() {
    // A single quote rules out single quotes; an unbalanced `$(` reads differently in double
    // quotes (dotenv keeps `\$(`, Compose reads `$(`).
    let pw = "Refused'pass$(word0";
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("out");
    let out = Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&dir)
        .args(["--scenario", "docker-compose"])
        .env("REDIS_PASSWORD", pw)
        .run();
    out.code(2);
    let err = &out.stderr;
    assert!(err.contains("password"), "{err}");
    assert!(err.contains("REDIS_PASSWORD in .env"), "{err}");
    assert!(err.contains("Docker Compose"), "{err}");
    assert!(err.contains("--generate-password"), "{err}");
    assert!(!err.contains(pw) && !out.stdout.contains(pw), "{err}");
    assert!(!dir.exists(), "refused but wrote {}", dir.display());
}

/// Renders a Compose deployment into `dir` over the `.env` already there.
fn render_over(dir: &Path, pw: &str) {
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(dir)
        .args(["--scenario", "docker-compose"])
        .env("REDIS_PASSWORD", pw)
        .run()
        .code(0);
}

#[test]
fn a_byte_order_mark_is_read_like_dotenv_compose_and_doctor_read_it() {
    let pw = "Bom0Password0abcdefghij";
    let tmp = tempfile::tempdir().expect("tmp");
    for (name, before) in [
        (
            "active",
            "\u{feff}REDIS_URL=redis://old:6379\nSECRET_KEY_BASE=k\n",
        ),
        (
            "commented",
            "\u{feff}# REDIS_URL=redis://example\nSECRET_KEY_BASE=k\n",
        ),
    ] {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).expect("dir");
        let env = dir.join(".env");
        std::fs::write(&env, before).expect(".env");
        render_over(&dir, pw);
        let after = read(&env);
        // The mark stays first; the Redis keys follow it.
        assert!(
            after.starts_with(&format!("\u{feff}{}", envfile::KEYS_MARK)),
            "{name}: {after:?}"
        );
        assert_eq!(after.matches("REDIS_URL").count(), 1, "{name}: {after:?}");
        let url = dotenv_312(&after)["REDIS_URL"].0.clone();
        assert!(url.starts_with("redis://") && url != "redis://old:6379");
        // Real readers: dotenv 2.4 and Compose drop the mark and read the same first key.
        let ruby = ruby_dotenv_24(&[&env]).remove(0);
        assert_eq!(ruby.get("REDIS_URL"), Some(&url), "{name}");
        assert_eq!(ruby.get("SECRET_KEY_BASE").map(String::as_str), Some("k"));
        let composed = compose_reads(&dir, &env).expect("compose");
        assert_eq!(composed.get("REDIS_URL"), Some(&url), "{name}");
        // doctor reads the same REDIS_URL.
        let out = Cmd::new()
            .args(["doctor", "--offline", "--format", "json", "--env-file"])
            .arg(&env)
            .run();
        let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(
            report["target"]["redis_url"],
            url.as_str(),
            "{name}: {report}"
        );
        // The next render sees its own keys: nothing to write.
        let check = Cmd::new()
            .arg("render")
            .arg("--out")
            .arg(&dir)
            .arg("--check")
            .env("REDIS_PASSWORD", pw)
            .run();
        check.code(0);
    }
}

#[test]
fn colon_lines_and_escaped_quotes_are_merged_as_dotenv_reads_them() {
    let pw = "Colon0Password0abcdefghij";
    let tmp = tempfile::tempdir().expect("tmp");

    // A later `KEY: value` line shadows `KEY=…`; a `\'` does not close a single-quoted value,
    // so the REDIS_PASSWORD line inside it is text. Compose reads both alike.
    let dir = tmp.path().join("shadow");
    std::fs::create_dir(&dir).expect("dir");
    let env = dir.join(".env");
    let msg = "MSG='it\\'s\nREDIS_PASSWORD=inside-a-value\n'\n";
    std::fs::write(
        &env,
        format!("REDIS_URL=redis://stale:6379\nREDIS_URL: redis://shadow:6379\n{msg}B=2\n"),
    )
    .expect(".env");
    render_over(&dir, pw);
    let after = read(&env);
    assert!(
        after.contains(msg),
        "the multi-line value was changed: {after:?}"
    );
    assert_eq!(after.matches("redis://").count(), 1, "{after:?}");
    let model = dotenv_312(&after);
    let url = &model["REDIS_URL"].0;
    assert!(url.starts_with("redis://") && !url.contains("stale") && !url.contains("shadow"));
    assert_eq!(model["REDIS_PASSWORD"], (pw.to_string(), true), "{after:?}");
    assert_eq!(
        model["MSG"].0, "it\\'s\nREDIS_PASSWORD=inside-a-value\n",
        "{after:?}"
    );
    let composed = compose_reads(&dir, &env).expect("compose");
    assert_eq!(composed.get("REDIS_URL"), Some(url));
    assert_eq!(composed.get("REDIS_PASSWORD").map(String::as_str), Some(pw));
    assert_eq!(
        compose_env::parse(&after, &|_| None).expect("model")["MSG"].value,
        "it's\nREDIS_PASSWORD=inside-a-value\n"
    );

    // `NOTE:` at the end of a line takes the next line as its value in dotenv: the
    // REDIS_VELMA_SIZE there is no key, so the update is a new line that dotenv reads.
    let dir = tmp.path().join("colon");
    std::fs::create_dir(&dir).expect("dir");
    let env = dir.join(".env");
    std::fs::write(&env, "A=1\nNOTE:\nREDIS_VELMA_SIZE=99\n").expect(".env");
    render_over(&dir, pw);
    let after = read(&env);
    let model = dotenv_312(&after);
    assert_eq!(model["NOTE"].0, "REDIS_VELMA_SIZE=99", "{after:?}");
    assert!(model["REDIS_VELMA_SIZE"].0 != "99", "{after:?}");
    assert!(model.contains_key("REDIS_URL"), "{after:?}");
    Cmd::new()
        .arg("render")
        .arg("--out")
        .arg(&dir)
        .arg("--check")
        .env("REDIS_PASSWORD", pw)
        .run()
        .code(0);
}
