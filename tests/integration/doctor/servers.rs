//! Real redis-server / redis-sentinel processes on loopback for doctor's tests: free ports,
//! temp dirs, bounded waits, killed on drop. A missing binary fails the test loudly.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// The path of a required program; panics (fails the test) when it is missing.
pub fn require(program: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{program} is required by doctor's integration tests and was not found on PATH; \
             install it (Debian/Ubuntu: apt-get install redis-server redis-sentinel openssl)"
        )
    })
}

/// A server process, killed and reaped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the port accepts connections (and, for plain servers, answers a PING
    /// with PONG, NOAUTH or LOADING done).
    fn wait_ready(&mut self, plain: bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "server on port {} exited with {status}:\n{}",
                    self.port,
                    self.log_text()
                );
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                if !plain {
                    return;
                }
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                if s.write_all(b"PING\r\n").is_ok() {
                    let mut line = String::new();
                    let _ = BufReader::new(&s).read_line(&mut line);
                    if line.starts_with("+PONG") || line.starts_with("-NOAUTH") {
                        return;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "server on port {} not ready after 15 s:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts `redis-server` on a free loopback port with extra arguments.
    pub fn redis(extra: &[&str]) -> Server {
        Server::redis_on(free_port(), extra, true)
    }

    /// Starts a TLS-only `redis-server` (no plain port).
    pub fn redis_tls(cert: &Path, key: &Path, extra: &[&str]) -> Server {
        let port = free_port();
        let (c, k) = (cert.display().to_string(), key.display().to_string());
        let mut args = vec![
            "--port",
            "0",
            "--tls-cert-file",
            &c,
            "--tls-key-file",
            &k,
            "--tls-ca-cert-file",
            &c,
            "--tls-auth-clients",
            "no",
        ];
        let tls_port = port.to_string();
        args.extend(["--tls-port", &tls_port]);
        args.extend_from_slice(extra);
        Server::redis_on(port, &args, false)
    }

    fn redis_on(port: u16, extra: &[&str], plain: bool) -> Server {
        let bin = require("redis-server");
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("redis.log");
        let port_text = port.to_string();
        let mut args = vec![
            "--bind".to_string(),
            "127.0.0.1".into(),
            "--save".into(),
            "".into(),
            "--dir".into(),
            dir.path().display().to_string(),
            "--logfile".into(),
            log.display().to_string(),
        ];
        if plain {
            args.extend(["--port".to_string(), port_text]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start redis-server");
        let mut s = Server {
            child,
            port,
            log,
            _dir: Some(dir),
        };
        s.wait_ready(plain);
        s
    }

    /// Starts `redis-sentinel` monitoring `master_port` as `name` (quorum 2).
    pub fn sentinel(name: &str, master_port: u16, master_password: &str) -> Server {
        let bin = require("redis-sentinel");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("sentinel.log");
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nlogfile {}\n\
                 sentinel monitor {name} 127.0.0.1 {master_port} 2\n\
                 sentinel auth-pass {name} {master_password}\n\
                 sentinel down-after-milliseconds {name} 30000\n",
                dir.path().display(),
                log.display()
            ),
        )
        .expect("write sentinel.conf");
        let child = Command::new(bin)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start redis-sentinel");
        let mut s = Server {
            child,
            port,
            log,
            _dir: Some(dir),
        };
        s.wait_ready(true);
        s
    }
}

/// Sends one command (inline RESP array) and returns the first reply line.
pub fn command(stream: &mut TcpStream, args: &[&str]) -> String {
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(out.as_bytes()).expect("write command");
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    reader.read_line(&mut line).expect("read reply");
    line.trim_end().to_string()
}

/// A plain connection, authenticated when a password is given.
pub fn client(port: u16, password: Option<&str>) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    if let Some(pw) = password {
        let r = command(&mut s, &["AUTH", pw]);
        assert_eq!(r, "+OK", "AUTH failed");
    }
    s
}

/// Polls until `check` is true, at most `limit`.
pub fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A self-signed certificate for localhost / 127.0.0.1, made with the openssl CLI.
pub fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let openssl = require("openssl");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl could not make a certificate");
    (cert, key)
}
