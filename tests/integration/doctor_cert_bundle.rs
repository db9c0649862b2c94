//! SSL_CERT_FILE is Ruby's OpenSSL trust bundle: it matters to a connection whose certificate
//! is verified, and doctor reads it only then (parsing a system bundle costs milliseconds).

use crate::common::{free_port, start_redis, Cmd};

/// A default server is usable: doctor warns (no maxmemory, no AOF…) and exits 0.
const EXPECTED_EXIT: i32 = 0;

fn doctor(env: &str) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    std::fs::write(&path, env).expect(".env");
    let out = Cmd::new()
        .args(["doctor", "--format", "json", "--timeout", "5", "--env-file"])
        .arg(&path)
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr));
    let ids = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    (out.status, ids)
}

#[test]
fn ssl_cert_file_is_not_read_for_a_plain_connection() {
    let port = free_port();
    let log = tempfile::NamedTempFile::new().expect("log");
    let p = port.to_string();
    let _redis = start_redis(
        &[
            "--port",
            &p,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        port,
        None,
        log.path(),
    );
    let (code, ids) = doctor(&format!(
        "REDIS_URL=redis://127.0.0.1:{port}\nSSL_CERT_FILE=/nonexistent/bundle.pem\n"
    ));
    assert!(ids.iter().any(|i| i == "server-version"), "{ids:?}");
    assert!(
        !ids.iter().any(|i| i == "ssl-cert-file-unreadable"),
        "a bundle no TLS connection uses is not a finding: {ids:?}"
    );
    assert_eq!(code, EXPECTED_EXIT, "{ids:?}");

    // The same bundle with a verified TLS URL is read, and its absence is reported.
    let (_, ids) = doctor(&format!(
        "REDIS_URL=rediss://127.0.0.1:{port}\nSSL_CERT_FILE=/nonexistent/bundle.pem\n"
    ));
    assert!(
        ids.iter().any(|i| i == "ssl-cert-file-unreadable"),
        "{ids:?}"
    );
}
