//! Heroku rotates host, port and password together in REDIS_URL: the answers file records
//! none of them, a plain render takes them from the `.env` written before, a new URL replaces
//! them whole, and a fresh clone regenerates the public files without any URL.

use std::path::Path;

use crate::common::{env_value, Cmd};

const FIRST: &str =
    "rediss://:First0Heroku0Password0abcd@ec2-3-91-10-20.compute-1.amazonaws.com:12345";
const SECOND: &str =
    "rediss://:Second0Heroku0Password0abc@ec2-54-1-2-3.compute-1.amazonaws.com:23456";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn render(dir: &Path, args: &[&str], url: Option<&str>) -> Cmd {
    let cmd = Cmd::new()
        .current_dir(dir)
        .args(["render", "--out", "."])
        .args(args);
    match url {
        Some(url) => cmd.env("CHATWOOT_REDIS_URL", url),
        None => cmd,
    }
}

/// Every answer the saved file holds, without its comment lines.
fn saved(dir: &Path) -> String {
    read(&dir.join("chatwoot-redis.yaml"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn heroku_endpoint_is_not_saved_and_comes_back_from_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    render(dir.path(), &["--scenario", "heroku"], Some(FIRST))
        .run()
        .code(0);
    let answers = saved(dir.path());
    for absent in [
        "host",
        "port",
        "tls",
        "verify-mode",
        "ec2-",
        "12345",
        "Password",
    ] {
        assert!(!answers.contains(absent), "`{absent}` saved: {answers}");
    }
    assert!(answers.contains("scenario: heroku"), "{answers}");
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(FIRST),
        "{env}"
    );

    // The next plain render: the endpoint of .env, said so, nothing rewritten.
    let r = render(dir.path(), &[], None).run();
    r.code(0);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("took host, port and password from REDIS_URL"),
        "{said}"
    );
    assert!(said.contains("nothing to write"), "{said}");
    assert!(!said.contains("First0Heroku"), "{said}");
    assert_eq!(read(&dir.path().join(".env")), env, "the .env kept");

    // A change of workload keeps the endpoint of .env.
    render(dir.path(), &["--web-processes", "3"], None)
        .run()
        .code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(FIRST),
        "{env}"
    );
    assert!(saved(dir.path()).contains("web-processes: 3"));

    // A rotation: host, port and password replaced together; the answers file unchanged.
    let before = saved(dir.path());
    render(dir.path(), &[], Some(SECOND)).run().code(0);
    let env = read(&dir.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(SECOND),
        "{env}"
    );
    assert!(
        !env.contains("First0Heroku") && !env.contains("12345"),
        "{env}"
    );
    assert_eq!(saved(dir.path()), before, "a rotation changes no answer");

    // `--check` where the .env is: current.
    render(dir.path(), &["--check"], None).run().code(0);
}

#[test]
fn heroku_answer_that_is_not_kept_is_still_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    render(dir.path(), &["--scenario", "heroku"], Some(FIRST))
        .run()
        .code(0);
    let before = read(&dir.path().join("chatwoot-redis.yaml"));
    let r = render(dir.path(), &["--maxmemory", "2gb"], None).run();
    r.code(2);
    assert!(r.stderr.contains("--maxmemory"), "{}", r.stderr);
    assert_eq!(read(&dir.path().join("chatwoot-redis.yaml")), before);
}

#[test]
fn heroku_fresh_clone_regenerates_public_files_without_a_url() {
    let server = tempfile::tempdir().expect("tempdir");
    render(server.path(), &["--scenario", "heroku"], Some(FIRST))
        .run()
        .code(0);
    let clone = tempfile::tempdir().expect("tempdir");
    for f in ["chatwoot-redis.yaml", "redis-settings.sh"] {
        std::fs::copy(server.path().join(f), clone.path().join(f)).expect("copy");
    }
    let r = render(clone.path(), &["--check"], None).run();
    r.code(0);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(said.contains("no URL here"), "{said}");

    let r = render(clone.path(), &["--web-processes", "4"], None).run();
    r.code(0);
    assert!(
        !clone.path().join(".env").exists(),
        "no .env made without a URL"
    );
    let script = read(&clone.path().join("redis-settings.sh"));
    assert!(!script.contains("invalid"), "no stand-in host: {script}");
    assert_ne!(
        script,
        read(&server.path().join("redis-settings.sh")),
        "the budget follows the new workload"
    );

    // Back on the server, the committed answers and the .env give the same script.
    std::fs::copy(
        clone.path().join("chatwoot-redis.yaml"),
        server.path().join("chatwoot-redis.yaml"),
    )
    .expect("copy");
    render(server.path(), &[], None).run().code(0);
    assert_eq!(
        read(&server.path().join("redis-settings.sh")),
        script,
        "server and clone agree"
    );
    let env = read(&server.path().join(".env"));
    assert_eq!(
        env_value(&env, "REDIS_URL").as_deref(),
        Some(FIRST),
        "{env}"
    );
}

#[test]
fn heroku_takes_only_a_literal_endpoint_from_the_previous_env() {
    // An interpolated or empty REDIS_URL is not an endpoint this tool wrote: the render asks
    // for the URL instead of reading `${…}` or nothing as one.
    for replaced in ["REDIS_URL=${HEROKU_REDIS_URL}", "REDIS_URL="] {
        let dir = tempfile::tempdir().expect("tempdir");
        render(dir.path(), &["--scenario", "heroku"], Some(FIRST))
            .run()
            .code(0);
        let env_path = dir.path().join(".env");
        let env: String = read(&env_path)
            .lines()
            .map(|l| {
                if l.starts_with("REDIS_URL=") {
                    replaced.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&env_path, env + "\n").expect("write .env");
        let r = render(dir.path(), &[], None).run();
        r.code(2);
        assert!(
            r.stderr.contains("missing answers") && r.stderr.contains("CHATWOOT_REDIS_URL"),
            "{replaced}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("took host, port"), "{}", r.stderr);
    }
}
