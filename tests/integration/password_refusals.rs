//! The passwords refused are exactly the ones a consumer would corrupt, and every other one
//! reaches Chatwoot unchanged: a validator removed, or one refusing too much, fails here.
//!
//! Each hostile password is rendered for docker-compose (where the password can only travel in
//! REDIS_PASSWORD, which Chatwoot's config/cable.yml pastes unquoted into YAML) and for
//! single-server (where it may move into REDIS_URL instead). What the tool decides is compared
//! with what the real consumers do, judged independently of the tool's own rules:
//! - real Psych: Chatwoot's cable.yml through ERB and `YAML.unsafe_load` with the password in
//!   REDIS_PASSWORD, as Rails' `config_for` loads it; ActionCable gets it back or not;
//! - what no env or config file line can carry (an empty value, a line break, a NUL byte),
//!   and the documented cap of 4096 bytes;
//! - a value the generated public files hold anyway (a guessable word): the same render with
//!   a neutral password already contains it.
//!
//! Accepted passwords are then read back from the written `.env` by Ruby's dotenv, the redis
//! client's precedence and cable.yml (tests/ruby/chatwoot_reads.rb).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use crate::properties::{generate, hostile_value, FRAGMENTS};

const NEUTRAL: &str = "Neutral0Password0abcdefgh";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Compose,
    Single,
}

impl Target {
    fn args(self) -> &'static [&'static str] {
        match self {
            Target::Compose => &["--scenario", "docker-compose"],
            Target::Single => &[
                "--scenario",
                "single-server",
                "--config-dir",
                "/etc/redis",
                "--data-dir",
                "/var/lib/redis",
                "--redis-version",
                "7.0",
            ],
        }
    }
}

/// Secret files: the only ones that may hold the password.
const SECRET_FILES: [&str; 3] = [".env", "redis-secrets.conf", "redis-secret.yaml"];

/// The public files of a render with a neutral password, concatenated.
fn public_text(target: Target) -> String {
    let d = tempfile::tempdir().expect("tempdir");
    let dir = d.path().join("out");
    let (code, out, err) = run(&mut render_cmd(&dir, target.args(), Some(NEUTRAL)));
    assert_eq!(code, 0, "{target:?} with a neutral password:\n{out}\n{err}");
    let mut text = String::new();
    for e in std::fs::read_dir(&dir).expect("out dir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if !SECRET_FILES.contains(&name.as_str()) {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    assert!(text.len() > 100, "{target:?}: no public files");
    text
}

/// For each password: does ActionCable get it back from cable.yml when it is REDIS_PASSWORD?
/// (real ERB and Psych over Chatwoot's cable.yml; Rails' `presence` and `Rails.env` shims as
/// in tests/ruby/chatwoot_reads.rb).
fn cable_keeps(passwords: &[String]) -> Vec<bool> {
    const SCRIPT: &str = r#"
require 'erb'; require 'yaml'; require 'json'; require 'openssl'
class Object; def presence; respond_to?(:empty?) && empty? ? nil : self; end; end
class String; def presence; match?(/\A[[:space:]]*\z/) ? nil : self; end; end
class NilClass; def presence; nil; end; end
module Rails; def self.env; 'production'; end; end
module Chatwoot; def self.redis_ssl_verify_mode; OpenSSL::SSL::VERIFY_PEER; end; end
template = File.read(ARGV[0])
ENV['REDIS_URL'] = 'redis://127.0.0.1:6379'
out = JSON.parse($stdin.read).map do |pw|
  ENV['REDIS_PASSWORD'] = pw
  begin
    YAML.unsafe_load(ERB.new(template).result)['production']['password'] == pw
  rescue StandardError, SyntaxError
    false
  end
end
print JSON.generate(out)
"#;
    let out = ruby_json(
        &[
            std::ffi::OsString::from("-e"),
            SCRIPT.into(),
            reference("chatwoot/cable.yml").into(),
        ],
        &serde_json::json!(passwords),
    );
    let v: Vec<bool> = serde_json::from_value(out).expect("ruby JSON booleans");
    assert_eq!(v.len(), passwords.len());
    v
}

/// Chatwoot's reading of each directory's `.env` (dotenv, redis client, cable.yml).
fn chatwoot_reads(dirs: &[PathBuf]) -> Vec<serde_json::Value> {
    if dirs.is_empty() {
        return Vec::new();
    }
    let (code, out, err) = run(Command::new(require("ruby"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb"))
        .arg(reference("chatwoot/cable.yml"))
        .args(dirs));
    assert_eq!(code, 0, "ruby failed:\n{err}");
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ruby JSON");
    assert_eq!(v.len(), dirs.len());
    v
}

/// What no line of an env or config file carries, and the documented 4096-byte cap.
fn no_file_carries(pw: &str) -> bool {
    pw.is_empty() || pw.contains(['\n', '\r', '\0']) || pw.len() > 4096
}

#[test]
fn refused_passwords_are_exactly_those_a_consumer_would_corrupt() {
    let mut passwords: Vec<String> = [
        "",
        "a\nb",
        "ab\rcd",
        "   ",
        " \t ",
        "yes",
        "no",
        "null",
        "~",
        "0777",
        "0x1A",
        "1e5",
        "a: b",
        "a #b",
        "#x",
        "'quoted'",
        "\"dq\"",
        "[a]",
        "{a: 1}",
        "&anchor",
        "*alias",
        "!tag x",
        "%x",
        "@x",
        "`x`",
        "- x",
        "? x",
        "| x",
        "> x",
        "redis",
        "chatwoot",
        "true",
        "on",
        "2024-01-01",
        "12:30:45",
        "1_000",
        ".5",
        "Plain0Password0abc",
        "Pa$$word$1",
        "a$(echo X)b",
        "é漢 x",
        "trailing ",
        " leading",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    passwords.push("A".repeat(4096));
    passwords.push("A".repeat(4097));
    passwords.push(FRAGMENTS.concat().replace(['\n', '\r'], ""));
    passwords.extend(generate(hostile_value(), 90));
    passwords.sort();
    passwords.dedup();

    // (REDIS_PASSWORD cannot hold a NUL byte: the unit tests of the password rules have it.)
    assert!(passwords.iter().all(|p| !p.contains('\0')));
    let kept = cable_keeps(&passwords);
    let cable_ok = |pw: &str| {
        passwords
            .iter()
            .position(|p| p == pw)
            .is_some_and(|i| kept[i])
    };

    let mut mismatches = Vec::new();
    let mut accepted: Vec<(Target, String, tempfile::TempDir)> = Vec::new();
    let (mut refused_n, mut cable_refusals) = (0, 0);
    for target in [Target::Compose, Target::Single] {
        let public = public_text(target);
        for pw in &passwords {
            let d = tempfile::tempdir().expect("tempdir");
            let dir = d.path().join("out");
            let (code, out, err) = run(&mut render_cmd(&dir, target.args(), Some(pw)));
            assert!(
                code == 0 || code == 2,
                "{target:?} {pw:?}: exit {code}\n{out}\n{err}"
            );
            let refused = code == 2;
            if refused {
                assert!(!dir.exists(), "{target:?} {pw:?}: refused but wrote files");
                refused_n += 1;
            }
            let guessable = pw.len() >= 4 && public.contains(pw.as_str());
            let corrupted = match target {
                Target::Compose => !cable_ok(pw),
                // The URL carries what cable.yml would corrupt.
                Target::Single => false,
            };
            let expected = no_file_carries(pw) || guessable || corrupted;
            if refused && corrupted && !no_file_carries(pw) {
                cable_refusals += 1;
            }
            if refused != expected {
                mismatches.push(format!(
                    "{target:?} {pw:?}: {} but the consumers say {} (no file carries it: {}, \
                     in the public files anyway: {guessable}, cable.yml changes it: {corrupted})\n{err}",
                    if refused { "refused" } else { "accepted" },
                    if expected { "refuse" } else { "accept" },
                    no_file_carries(pw),
                ));
            }
            if !refused {
                accepted.push((target, pw.clone(), d));
            }
        }
    }
    eprintln!(
        "{refused_n} refused ({cable_refusals} for cable.yml), {} accepted",
        accepted.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        refused_n >= 20 && cable_refusals >= 10 && accepted.len() >= 60,
        "the corpus should exercise every reason: {refused_n} refused ({cable_refusals} for \
         cable.yml), {} accepted",
        accepted.len()
    );

    // Everything accepted reaches Chatwoot unchanged.
    let dirs: Vec<PathBuf> = accepted
        .iter()
        .map(|(_, _, d)| d.path().join("out"))
        .collect();
    for ((target, pw, _), got) in accepted.iter().zip(chatwoot_reads(&dirs)) {
        assert_eq!(
            got["client_password"],
            pw.as_str(),
            "{target:?} {pw:?}: {got}"
        );
        assert_eq!(
            got["cable_password"],
            pw.as_str(),
            "{target:?} {pw:?}: {got}"
        );
    }
}
