//! `chatwoot-redis init` run again, and answers pasted or refused at its prompts, through the
//! real binary in a pseudo-terminal: what a re-run keeps, how a URL is taken apart, how the
//! warnings and refusals are worded, and `.gitignore`.

use std::path::Path;
use std::process::Command;

use crate::wizard::{answer, command, files, finish, spawn, spawn_cmd, unattended, ENTER};

fn text_of(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The line of `text` starting with `prefix` (after the wizard's indentation).
fn line_with<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

/// The last budget explanation the wizard printed ("Chatwoot: capacity N connections, …").
fn budget_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| l.starts_with("Chatwoot: capacity"))
        .unwrap_or_else(|| panic!("no budget line in:\n{text}"))
        .to_string()
}

/// docker-compose with 2 web processes and 25 Sidekiq threads; the rest Enter.
fn compose_with_a_workload(dir: &Path) -> String {
    let mut s = spawn(dir, &[]);
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "docker-compose\r",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis password", ENTER);
    answer(&mut s, "Puma (web) processes", "2\r");
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(&mut s, "Threads per Sidekiq process", "\x7f\x7f25\r");
    answer(&mut s, "memory limit", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn wizard_switching_scenario_keeps_the_workload_and_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let first = compose_with_a_workload(dir.path());
    let budget = budget_line(&first);
    let saved = text_of(dir.path(), "chatwoot-redis.yaml");
    assert!(
        saved.contains("web-processes: 2") && saved.contains("sidekiq-concurrency: 25"),
        "{saved}"
    );

    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "loaded answers from", "");
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "single-server\r",
    );
    answer(
        &mut s,
        "Kept from the docker-compose answers: web-processes 2, web-threads 5, \
         sidekiq-processes 1, sidekiq-concurrency 25; the other answers start from \
         single-server's defaults.",
        "",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis port", ENTER);
    answer(&mut s, "Database number", ENTER);
    answer(&mut s, "Require a password?", ENTER);
    answer(&mut s, "ACL user name", ENTER);
    answer(&mut s, "Redis password", "generate\r");
    // Enter keeps each kept answer: it is the prompt's default.
    answer(&mut s, "Puma (web) processes in total: (2)", ENTER);
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(
        &mut s,
        "Threads per Sidekiq process (SIDEKIQ_CONCURRENCY): (25)",
        ENTER,
    );
    answer(&mut s, "memory limit", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (second, code) = finish(&mut s);
    assert_eq!(code, 0, "{second}");
    assert!(
        second.contains(&format!(
            "loaded answers from {}",
            dir.path().join("chatwoot-redis.yaml").display()
        )),
        "{second}"
    );
    // Another scenario is another Redis: the old password is not offered.
    assert!(
        second.contains("the previous deployment's password is not reused")
            && !second.contains("keep the existing password"),
        "{second}"
    );
    // The same workload gives the same connection budget.
    assert_eq!(budget_line(&second), budget, "{second}");
    let saved = text_of(dir.path(), "chatwoot-redis.yaml");
    assert!(saved.contains("scenario: single-server"), "{saved}");
    for kept in ["web-processes: 2", "sidekiq-concurrency: 25"] {
        assert!(saved.contains(kept), "{kept} lost:\n{saved}");
    }
    // What Redis reads: maxclients from the kept budget.
    let maxclients = line_with(&second, "→ REDIS_ALFRED_SIZE=")
        .rsplit("maxclients ")
        .next()
        .unwrap()
        .to_string();
    let conf = text_of(dir.path(), "redis.conf");
    assert!(
        conf.lines()
            .any(|l| l.trim() == format!("maxclients {maxclients}")),
        "maxclients {maxclients} not in redis.conf:\n{conf}"
    );
}

#[test]
fn wizard_splits_a_url_pasted_at_the_host_prompt() {
    const PW: &str = "Pasted0nlyHere4242xyz";
    let host = "master.chatwoot.abc123.use1.cache.amazonaws.com";
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "Where does Chatwoot's Redis run?", "elasticache\r");
    answer(
        &mut s,
        "Redis host",
        // A slip first, taken back with backspace.
        &format!("oops\x7f\x7f\x7f\x7frediss://:{PW}@{host}:6380/2\r"),
    );
    // Port, TLS, password and database came with the URL: not asked again.
    answer(
        &mut s,
        &format!("Redis host: from the URL: host {host}, port 6380, TLS on, database 2"),
        "",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Puma (web) processes", ENTER);
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(&mut s, "Threads per Sidekiq process", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Connection cap", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    for asked in [
        "Redis port:",
        "Connect with TLS?",
        "Database number:",
        "Type the Redis password",
    ] {
        assert!(!text.contains(asked), "{asked} was asked:\n{text}");
    }
    assert!(text.contains("Password: from the URL."), "{text}");
    // Drawn redacted while typed and once answered: the password never reached the screen.
    assert!(!text.contains(PW), "the password was echoed:\n{text}");
    assert!(!text.contains("Pasted0nly"), "{text}");
    assert!(text.contains("rediss://:***@master.chatwoot"), "{text}");
    let saved = text_of(dir.path(), "chatwoot-redis.yaml");
    assert!(!saved.contains(PW), "{saved}");
    assert!(!saved.contains("url:"), "{saved}");
    for want in [
        format!("host: {host}"),
        "port: 6380".to_string(),
        "tls: true".to_string(),
        "db: 2".to_string(),
    ] {
        assert!(saved.contains(&want), "{want} missing:\n{saved}");
    }
    // Chatwoot gets the password from .env, and the endpoint of the URL.
    let env = text_of(dir.path(), ".env");
    let url = crate::common::env_value(&env, "REDIS_URL").expect("REDIS_URL");
    assert!(
        url.starts_with("rediss://") && url.contains(&format!("{host}:6380/2")),
        "{url}"
    );
    assert!(env.contains(PW), "{env}");
    for (name, bytes) in files(dir.path()) {
        if name != ".env" {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(PW),
                "{name} holds the password"
            );
        }
    }
}

#[test]
fn wizard_masks_the_heroku_url_while_typed() {
    const PW: &str = "H3rokuTypedSecretPassw0rd";
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "Where does Chatwoot's Redis run?", "heroku\r");
    answer(
        &mut s,
        "Heroku's REDIS_URL",
        &format!("rediss://:{PW}@ec2-1-2-3-4.compute-1.amazonaws.com:12345\r"),
    );
    answer(&mut s, "Connection cap", ENTER);
    answer(&mut s, "Puma (web) processes", ENTER);
    answer(&mut s, "Threads per Puma process", ENTER);
    answer(&mut s, "Sidekiq processes in total", ENTER);
    answer(&mut s, "Threads per Sidekiq process", ENTER);
    answer(&mut s, "Use these sizes?", ENTER);
    answer(&mut s, "Write these files?", ENTER);
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    // Not a character of the password reached the terminal: it was drawn as *.
    assert!(!text.contains(PW), "the password was drawn:\n{text}");
    assert!(!text.contains("H3roku"), "{text}");
    assert!(text.contains("*************"), "{text}");
    let saved = text_of(dir.path(), "chatwoot-redis.yaml");
    assert!(!saved.contains(PW), "{saved}");
    let env = text_of(dir.path(), ".env");
    assert!(env.contains(PW), "{env}");
    // Once answered, the prompt shows the URL redacted.
    assert!(
        text.contains("ec2-1-2-3-4.compute-1.amazonaws.com:12345"),
        "{text}"
    );

    // Heroku rotated the credential: the new URL, again masked; a refused one is asked again.
    const NEW: &str = "R0tatedHerokuSecretPassw0rd";
    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "Where does Chatwoot's Redis run?", ENTER);
    answer(&mut s, "Heroku's REDIS_URL", &format!("rediss://:{NEW}@\r"));
    answer(
        &mut s,
        "✗ Heroku's REDIS_URL: \"rediss://:***@\": it has no host",
        "",
    );
    answer(
        &mut s,
        "Heroku's REDIS_URL",
        &format!("rediss://:{NEW}@ec2-9-9-9-9.compute-1.amazonaws.com:23456\r"),
    );
    for prompt in [
        "Connection cap",
        "Puma (web) processes",
        "Threads per Puma process",
        "Sidekiq processes in total",
        "Threads per Sidekiq process",
        "Use these sizes?",
        "Write these files?",
    ] {
        answer(&mut s, prompt, ENTER);
    }
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains(NEW) && !text.contains("R0tated"), "{text}");
    assert!(!text.contains(PW), "{text}");
    let env = text_of(dir.path(), ".env");
    assert!(env.contains(NEW) && !env.contains(PW), "{env}");
    let url = crate::common::env_value(&env, "REDIS_URL").expect("REDIS_URL");
    assert!(
        url.contains("ec2-9-9-9-9.compute-1.amazonaws.com:23456"),
        "{url}"
    );
    assert!(!text_of(dir.path(), "chatwoot-redis.yaml").contains(NEW));
}

#[test]
fn wizard_refusals_are_worded_for_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spawn(dir.path(), &[]);
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "single-server\r",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis port", "70000\r");
    answer(
        &mut s,
        "Redis port: \"70000\": not a TCP port",
        "\x7f\x7f\x7f\x7f\x7f\x1b",
    );
    let (text, code) = finish(&mut s);
    assert_eq!(code, 130, "{text}");
    assert!(!text.contains("--port:"), "worded for the flag:\n{text}");

    // An answer without a default, left empty.
    let mut s = spawn(dir.path(), &[]);
    answer(&mut s, "Where does Chatwoot's Redis run?", "elasticache\r");
    answer(&mut s, "Redis host", ENTER);
    answer(&mut s, "Redis host: \"\": it is empty", "\x1b");
    let (text, code) = finish(&mut s);
    assert_eq!(code, 130, "{text}");
    assert!(!text.contains("--host:"), "worded for the flag:\n{text}");
    assert!(files(dir.path()).is_empty(), "nothing written");
}

const APPENDONLY: &str = "redis.conf turns on appendonly";

/// single-server with Enter everywhere and a generated password.
fn single_server_with_defaults(dir: &Path, rerun: bool) -> String {
    let mut s = spawn(dir, &[]);
    if rerun {
        answer(&mut s, "Where does Chatwoot's Redis run?", ENTER);
    } else {
        answer(
            &mut s,
            "Where does Chatwoot's Redis run?",
            "single-server\r",
        );
    }
    for prompt in [
        "Redis server version",
        "Redis port",
        "Database number",
        "Require a password?",
        "ACL user name",
        "Redis password",
        "Puma (web) processes",
        "Threads per Puma process",
        "Sidekiq processes in total",
        "Threads per Sidekiq process",
        "memory limit",
        "Use these sizes?",
        "Write these files?",
    ] {
        answer(&mut s, prompt, ENTER);
    }
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn wizard_says_the_appendonly_warning_once_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = single_server_with_defaults(dir.path(), false);
    assert_eq!(text.matches(APPENDONLY).count(), 1, "{text}");
    // Said before the write is confirmed, where it can still change the plan.
    assert!(
        text.find(APPENDONLY).unwrap() < text.find("Write these files?").unwrap(),
        "{text}"
    );
    // The next steps for a server that may hold data: write the AOF while it runs first.
    let steps = &text[text.find("Next steps").expect("next steps")..];
    assert!(steps.contains("CONFIG SET appendonly yes"), "{steps}");
    // Once redis.conf exists the warning is noise: not said again.
    let again = single_server_with_defaults(dir.path(), true);
    assert_eq!(again.matches(APPENDONLY).count(), 0, "{again}");
}

#[test]
fn unattended_init_and_render_say_the_appendonly_warning_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = unattended(
        dir.path(),
        &["--scenario", "docker-compose", "--generate-password"],
    )
    .success()
    .get_output()
    .clone();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(all.matches(APPENDONLY).count(), 1, "{all}");

    let fresh = tempfile::tempdir().unwrap();
    let out = crate::common::Cmd::new()
        .args(["render", "--scenario", "single-server", "--out"])
        .arg(fresh.path())
        .env("REDIS_PASSWORD", "Render0nceSecretPassw0rd")
        .run();
    out.code(0);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(all.matches(APPENDONLY).count(), 1, "{all}");
}

/// `git` with a home of its own (no global excludes of the machine).
fn git(dir: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(crate::common::require("git"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

fn compose_in_repo(dir: &Path, home: &Path, gitignore_answer: Option<&str>) -> String {
    let mut cmd = command(dir, &[]);
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"));
    let mut s = spawn_cmd(cmd);
    answer(
        &mut s,
        "Where does Chatwoot's Redis run?",
        "docker-compose\r",
    );
    answer(&mut s, "Redis server version", ENTER);
    answer(&mut s, "Redis password", ENTER);
    for prompt in [
        "Puma (web) processes",
        "Threads per Puma process",
        "Sidekiq processes in total",
        "Threads per Sidekiq process",
        "memory limit",
        "Use these sizes?",
        "Write these files?",
    ] {
        answer(&mut s, prompt, ENTER);
    }
    if let Some(keys) = gitignore_answer {
        answer(
            &mut s,
            &format!("Add .env to {}", dir.join(".gitignore").display()),
            keys,
        );
    }
    let (text, code) = finish(&mut s);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn wizard_offers_to_add_the_secret_files_to_gitignore() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(git(dir.path(), home.path(), &["init", "-q"])
        .status
        .success());
    // An operator's own .gitignore, without a final newline.
    std::fs::write(dir.path().join(".gitignore"), "node_modules").unwrap();
    let text = compose_in_repo(dir.path(), home.path(), Some(ENTER));
    assert!(text.contains("added .env to"), "{text}");
    let ignore = text_of(dir.path(), ".gitignore");
    assert_eq!(
        ignore
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["node_modules", ".env"],
        "{ignore}"
    );
    // git itself now ignores the password file.
    let check = git(dir.path(), home.path(), &["check-ignore", "-q", ".env"]);
    assert!(check.status.success(), "git does not ignore .env");
    // The write no longer warns that .env would be committed.
    let after = &text[text.find("added .env").unwrap()..];
    assert!(!after.contains("not ignored by git"), "{after}");

    // Already ignored: not offered again, and the file stays as it is.
    let again = compose_in_repo(dir.path(), home.path(), None);
    assert!(!again.contains("Add .env to"), "{again}");
    assert_eq!(text_of(dir.path(), ".gitignore"), ignore);
}

#[test]
fn wizard_gitignore_offer_declined_writes_no_gitignore() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(git(dir.path(), home.path(), &["init", "-q"])
        .status
        .success());
    let text = compose_in_repo(dir.path(), home.path(), Some("n\r"));
    assert!(!dir.path().join(".gitignore").exists(), "{text}");
    // The write says what to do instead.
    assert!(text.contains("not ignored by git"), "{text}");
    assert!(dir.path().join(".env").exists());
}
