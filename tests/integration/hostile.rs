//! doctor against hostile servers and files: every run must end within its deadline, stay
//! under 64 MB, say clearly what happened, and never print the password in any form.
//!
//! The hostile servers are written here (loopback only, free ports, each stops by itself
//! after [`LIFETIME`]); TLS uses a certificate made with openssl and a real TLS redis-server or
//! `openssl s_server`; the full-backlog unix socket is a tiny Python listener (`listen(1)`,
//! never accepting), which std cannot make. Peak memory is read from GNU time (`time -v`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::require;
use crate::servers::{self, self_signed_cert, Server};

/// A password with characters every encoder changes: quote, percent, space, hash, colon,
/// slash and a non-ASCII letter.
const PASSWORD: &str = "Tr0ub\"4d%or e#Z:x/\u{e9}";
/// A piece of the password no fixed text contains: finds a partial leak too.
const PIECE: &str = "Tr0ub";
/// The cap doctor must stay under, in kilobytes.
const MEMORY_CAP_KB: u64 = 64 * 1024;
/// How long a hostile server lives at most.
const LIFETIME: Duration = Duration::from_secs(40);

/// Every form the password can take in output.
fn password_forms() -> Vec<String> {
    let pct = |upper: bool| -> String {
        PASSWORD
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    };
    let form = pct(true).replace("%20", "+");
    let json = serde_json::to_string(PASSWORD).expect("json");
    let json_ascii: String = PASSWORD
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            c if c.is_ascii() => c.to_string(),
            c => format!("\\u{:04x}", c as u32),
        })
        .collect();
    let shell: String = PASSWORD
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect();
    let decimal = PASSWORD
        .bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        PASSWORD.to_string(),
        pct(true),
        pct(false),
        form,
        json,
        json_ascii,
        format!("{PASSWORD:?}"),
        shell,
        decimal,
        format!("unix://:{PASSWORD}@/run/redis.sock"),
    ]
}

/// One doctor run under GNU time.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss_kb: u64,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }

    fn finding(&self, id: &str) -> Value {
        let json = self.json();
        json["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["id"] == id).cloned())
            .unwrap_or_else(|| panic!("no finding {id} in:\n{}", self.stdout))
    }

    /// The finding exists and its text says `says`; the run kept its bounds and its secret.
    fn expect(&self, id: &str, says: &str, within: Duration) -> &Self {
        let f = self.finding(id);
        let text = format!("{} {}", f["title"], f["observed"]);
        assert!(text.contains(says), "{id} does not say {says:?}: {text}");
        self.bounded(within);
        self
    }

    fn bounded(&self, within: Duration) {
        assert!(
            self.elapsed < within,
            "doctor took {:?}, more than {within:?}:\n{}",
            self.elapsed,
            self.stdout
        );
        assert!(
            self.max_rss_kb > 0 && self.max_rss_kb < MEMORY_CAP_KB,
            "doctor peaked at {} KB (cap {MEMORY_CAP_KB} KB)",
            self.max_rss_kb
        );
        self.no_secret();
    }

    fn no_secret(&self) {
        for form in password_forms().iter().map(String::as_str).chain([PIECE]) {
            assert!(
                !self.stdout.contains(form),
                "password form {form:?} in stdout:\n{}",
                self.stdout
            );
            assert!(
                !self.stderr.contains(form),
                "password form {form:?} in stderr:\n{}",
                self.stderr
            );
        }
    }
}

/// Runs `doctor --env-file ENV ARGS` under `time -v`, killed after 90 s whatever happens.
fn doctor(env_file: &Path, args: &[&str]) -> Run {
    let time = PathBuf::from("/usr/bin/time");
    assert!(
        time.is_file(),
        "/usr/bin/time (GNU time, Debian package `time`) is required to measure doctor's memory; \
         scripts/test.sh installs it"
    );
    let stats = tempfile::NamedTempFile::new().expect("stats file");
    let started = Instant::now();
    let stats_path = stats.path().to_str().expect("UTF-8 temporary path");
    let wrapped = crate::common::Cmd::wrapped_in(&time, &["-v", "-o", stats_path])
        .arg("doctor")
        .arg("--env-file")
        .arg(env_file)
        .args(args);
    let out = assert_cmd::Command::from_std(wrapped.into_command())
        .timeout(Duration::from_secs(90))
        .output()
        .expect("run doctor");
    let elapsed = started.elapsed();
    let stats = std::fs::read_to_string(stats.path()).unwrap_or_default();
    let max_rss_kb = stats
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in time -v output:\n{stats}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
        max_rss_kb,
    }
}

/// Writes an env file with the password and `redis_url`, and runs doctor on it.
fn doctor_url(redis_url: &str, args: &[&str]) -> Run {
    doctor_lines(
        &format!("REDIS_URL={redis_url}\nREDIS_PASSWORD='{PASSWORD}'\n"),
        args,
    )
}

/// Writes an env file of `lines` (the password is added when absent) and runs doctor on it.
fn doctor_lines(lines: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = dir.path().join(".env");
    let mut text = lines.to_string();
    if !text.contains("REDIS_PASSWORD=") {
        text.push_str(&format!("REDIS_PASSWORD='{PASSWORD}'\n"));
    }
    std::fs::write(&env, text).expect("write .env");
    doctor(&env, args)
}

/// Reads one RESP command (an array of bulk strings); `None` when the client is gone.
fn read_command(r: &mut BufReader<TcpStream>) -> Option<Vec<Vec<u8>>> {
    let mut line = String::new();
    r.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let n: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::new();
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).ok().filter(|n| *n > 0)?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut data = vec![0; len + 2];
        r.read_exact(&mut data).ok()?;
        data.truncate(len);
        args.push(data);
    }
    Some(args)
}

/// A hostile server: each connection is handed to `serve` in its own thread; it stops
/// accepting on drop or after [`LIFETIME`], and every handler gets the same end time.
struct Hostile {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Hostile {
    fn start(serve: impl Fn(TcpStream, Instant) + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let serve = Arc::new(serve);
        std::thread::spawn(move || {
            let end = Instant::now() + LIFETIME;
            while Instant::now() < end && !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let serve = serve.clone();
                        std::thread::spawn(move || serve(s, end));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Hostile { port, stop }
    }

    /// Answers the first command with `first`, then writes `endless` until the client goes
    /// (or the server's end), then waits for the client to close.
    fn replying(first: Vec<u8>, endless: Option<Vec<u8>>) -> Hostile {
        Hostile::start(move |s, end| {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
            let mut r = BufReader::new(s.try_clone().expect("clone"));
            let mut w = s;
            if read_command(&mut r).is_none() || w.write_all(&first).is_err() {
                return;
            }
            if let Some(chunk) = &endless {
                while Instant::now() < end && w.write_all(chunk).is_ok() {}
            }
            let mut sink = [0u8; 1024];
            while Instant::now() < end && matches!(r.read(&mut sink), Ok(n) if n > 0) {}
        })
    }

    /// Writes `bytes` one byte every `every`, after the first command, until the end.
    fn dripping(bytes: &'static [u8], every: Duration) -> Hostile {
        Hostile::start(move |s, end| {
            let mut r = BufReader::new(s.try_clone().expect("clone"));
            let mut w = s;
            if read_command(&mut r).is_none() {
                return;
            }
            for b in bytes.iter().cycle() {
                if Instant::now() >= end || w.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        })
    }
}

/// HELLO's reply of a standalone server.
const HELLO_OK: &[u8] = b"*6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n";

#[test]
fn hostile_replies_are_capped_and_reported() {
    let timeout = ["--format", "json", "--timeout", "2"];
    // Well within the run's deadline (10 s at --timeout 2), with slack for a busy machine.
    let within = Duration::from_secs(12);
    let big_bulk: Vec<u8> = b"$1000\r\n"
        .iter()
        .chain(&[b'x'; 1000])
        .chain(b"\r\n")
        .copied()
        .collect();
    let cases: Vec<(&str, Hostile, &str, &str)> = vec![
        (
            "a 2 GB bulk string declared",
            Hostile::replying(b"$2147483647\r\n".to_vec(), None),
            "reply-too-large",
            "more than 1048576 bytes",
        ),
        (
            "an array of 2^63 elements declared, streamed",
            Hostile::replying(
                b"*9223372036854775807\r\n".to_vec(),
                Some(b"*1\r\n:1\r\n".to_vec()),
            ),
            "reply-too-large",
            "more than 10000 elements",
        ),
        (
            "an endless stream of 1 KB strings",
            Hostile::replying(b"*9999\r\n".to_vec(), Some(big_bulk)),
            "reply-too-large",
            "more than 1048576 bytes",
        ),
        (
            "arrays nested 100 000 deep",
            Hostile::replying(b"*1\r\n".repeat(100_000), None),
            "reply-too-large",
            "nested deeper than 8",
        ),
        (
            "a line that never ends",
            Hostile::replying(b"+".to_vec(), Some(vec![b'a'; 64 * 1024])),
            "not-redis",
            "no line end",
        ),
        (
            "a negative length",
            Hostile::replying(b"$-5\r\n".to_vec(), None),
            "not-redis",
            "negative length -5",
        ),
        (
            "a bulk string without its CRLF",
            Hostile::replying(b"$3\r\nabcXYZ\r\n".to_vec(), None),
            "not-redis",
            "CRLF",
        ),
        (
            "closing in the middle of a reply",
            Hostile::start(|s, _| {
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                let mut w = s;
                if read_command(&mut r).is_some() {
                    let _ = w.write_all(b"*3\r\n$5\r\nmo");
                }
            }),
            "connection-closed",
            "closed the connection",
        ),
    ];
    for (what, server, id, says) in cases {
        let run = doctor_url(&format!("redis://127.0.0.1:{}", server.port), &timeout);
        assert_eq!(run.code, 1, "{what}: exit code\n{}", run.stdout);
        run.expect(id, says, within);
        drop(server);
    }
}

#[test]
fn a_500_mb_info_and_a_streamed_info_cost_no_memory() {
    // A server that greets like Redis and takes the password (redis-rb's AUTH), then answers
    // INFO with 500 MB (declared and sent).
    let huge = Hostile::start(|s, end| {
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut w = s;
        if read_command(&mut r).is_none() || w.write_all(HELLO_OK).is_err() {
            return;
        }
        let mut next = read_command(&mut r);
        if next
            .as_ref()
            .and_then(|c| c.first())
            .is_some_and(|c| c == b"AUTH")
        {
            if w.write_all(b"+OK\r\n").is_err() {
                return;
            }
            next = read_command(&mut r);
        }
        if next.is_none() || w.write_all(b"$524288000\r\n").is_err() {
            return;
        }
        let chunk = b"used_memory:1\r\n".repeat(4096);
        let mut sent = 0usize;
        while sent < 524_288_000 && Instant::now() < end && w.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
    });
    let run = doctor_url(
        &format!("redis://127.0.0.1:{}", huge.port),
        &["--format", "json", "--timeout", "2"],
    );
    run.expect(
        "reply-too-large",
        "more than 1048576 bytes",
        Duration::from_secs(12),
    );
    assert!(run.finding("reply-too-large")["observed"]
        .as_str()
        .is_some_and(|o| o.starts_with("INFO:")));
}

#[test]
fn a_drip_and_answers_just_before_each_deadline_stop_at_the_run_deadline() {
    // One byte every 200 ms: every read gets something, the reply never completes.
    let drip = Hostile::dripping(b"+PONG", Duration::from_millis(200));
    let run = doctor_url(
        &format!("redis://127.0.0.1:{}", drip.port),
        &["--format", "json", "--timeout", "1"],
    );
    run.expect(
        "command-timeout",
        "did not answer within 1 s",
        Duration::from_secs(4),
    );
    drop(drip);

    // A real-looking server that answers every command 0.9 s late: every step succeeds, the
    // whole run (5 s at --timeout 1) does not.
    let slow = Hostile::start(|s, end| {
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut w = s;
        while Instant::now() < end {
            let Some(cmd) = read_command(&mut r) else {
                return;
            };
            std::thread::sleep(Duration::from_millis(900));
            let name = String::from_utf8_lossy(&cmd[0]).to_ascii_uppercase();
            let reply: Vec<u8> = match name.as_str() {
                "HELLO" => HELLO_OK.to_vec(),
                "INFO" => {
                    let info = "# Server\r\nredis_version:7.2.4\r\nrole:master\r\n";
                    format!("${}\r\n{info}\r\n", info.len()).into_bytes()
                }
                "SUBSCRIBE" => b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n".to_vec(),
                _ => b"+PONG\r\n".to_vec(),
            };
            if w.write_all(&reply).is_err() {
                return;
            }
        }
    });
    let run = doctor_url(
        &format!("redis://127.0.0.1:{}", slow.port),
        &["--format", "json", "--timeout", "1"],
    );
    // The report gathered so far is printed: the version was read before the deadline.
    run.expect(
        "run-deadline",
        "overall deadline of 5 s",
        Duration::from_secs(7),
    );
    run.finding("server-version");
    assert!(
        run.elapsed >= Duration::from_millis(4500),
        "stopped early: {:?}",
        run.elapsed
    );
}

#[test]
fn a_server_echoing_the_password_in_every_form_shows_none_and_no_escape() {
    let forms = password_forms().join(" | ");
    let reply = format!("-WRONGPASS you sent {forms} \x1b]0;owned\x07\x1b[2J\u{202e}gnp.exe\r\n");
    let server = Hostile::replying(reply.into_bytes(), None);
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = doctor_url(&url, &["--format", "json", "--timeout", "2"]);
    run.expect("auth-failed", "you sent ***", Duration::from_secs(12));
    let run = doctor_url(&url, &["--format", "text", "--timeout", "2"]);
    run.bounded(Duration::from_secs(12));
    assert!(run.stdout.contains("[auth-failed]"), "{}", run.stdout);
    for raw in ['\x1b', '\x07', '\u{202e}'] {
        assert!(
            !run.stdout.contains(raw),
            "raw {raw:?} on the terminal:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("\\u{1b}]0;owned"), "{}", run.stdout);

    // An endless error line is cut: nothing echoed is longer than 200 characters.
    let long = format!("-ERR {}\r\n", "y".repeat(60_000));
    let server = Hostile::replying(long.into_bytes(), None);
    let run = doctor_url(
        &format!("redis://127.0.0.1:{}", server.port),
        &["--format", "json", "--timeout", "2"],
    );
    let observed = run.finding("hello-failed")["observed"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(observed.len() < 400, "{observed}");
    assert!(observed.contains("(60004 characters in all)"), "{observed}");
    run.bounded(Duration::from_secs(12));
}

/// Forwards a TLS server's bytes to the client one every `every` (the client's bytes go
/// through at once): a TLS server that drips its handshake.
fn dripping_proxy(upstream: u16, every: Duration) -> Hostile {
    Hostile::start(move |client, end| {
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let (mut c_in, mut s_out) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_in, &mut s_out);
        });
        let (mut s_in, mut c_out) = (server, client);
        let mut byte = [0u8; 1];
        while Instant::now() < end && matches!(s_in.read(&mut byte), Ok(1)) {
            if c_out.write_all(&byte).is_err() {
                return;
            }
            std::thread::sleep(every);
        }
    })
}

/// `openssl s_server` sending what its stdin gets; returns the process, its stdin and port.
fn openssl_server(cert: &Path, key: &Path) -> (ChildGuard, u16) {
    let openssl = require("openssl");
    let port = servers::free_port();
    let child = Command::new(openssl)
        .args(["s_server", "-quiet", "-naccept", "1", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let guard = ChildGuard(child);
    // Ready when the port is bound (checked without connecting: -naccept 1).
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpListener::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

/// A child process killed and reaped on drop.
use crate::servers::Guard as ChildGuard;

#[test]
fn tls_servers_dripping_the_handshake_or_the_reply_are_cut_at_the_deadline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed_cert(dir.path());
    let redis = Server::redis_tls(&cert, &key, &["--requirepass", PASSWORD]);
    // A real TLS Redis behind a proxy sending its bytes 1 per 100 ms: the handshake needs
    // more than a kilobyte, so it would take minutes.
    let proxy = dripping_proxy(redis.port, Duration::from_millis(100));
    let started = Instant::now();
    let run = doctor_url(
        &format!("rediss://127.0.0.1:{}", proxy.port),
        &["--format", "json", "--timeout", "1"],
    );
    run.expect(
        "tls-timeout",
        "did not finish within 1 s",
        Duration::from_secs(4),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(proxy);

    // A TLS server that completes the handshake, then sends one byte every 100 ms.
    let (mut server, port) = openssl_server(&cert, &key);
    let mut stdin = server.0.stdin.take().expect("stdin");
    let dripper = std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end && stdin.write_all(b"+").and_then(|()| stdin.flush()).is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let run = doctor_lines(
        &format!("REDIS_URL=rediss://localhost:{port}\nREDIS_OPENSSL_VERIFY_MODE=none\n"),
        &["--format", "json", "--timeout", "1"],
    );
    drop(server);
    let _ = dripper.join();
    run.expect(
        "command-timeout",
        "did not answer within 1 s",
        Duration::from_secs(4),
    );
}

#[test]
fn a_unix_socket_with_a_full_backlog_times_out() {
    let python = require("python3");
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("full.sock");
    let ready = dir.path().join("ready");
    // listen(1), never accept, fill the backlog with non-blocking connects, live 30 s at most.
    let script = r#"
import socket, sys, time
path, ready = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
held = []
for _ in range(64):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(path)
    except BlockingIOError:
        break
    held.append(c)
else:
    sys.exit("the backlog never filled")
open(ready, "w").write(str(len(held)))
time.sleep(30)
"#;
    let child = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&socket)
        .arg(&ready)
        .stdin(Stdio::null())
        .spawn()
        .expect("start python3");
    let mut guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        if let Ok(Some(status)) = guard.0.try_wait() {
            panic!("the full-backlog listener exited: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the full-backlog listener did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let run = doctor_url(
        &format!("unix://{}", socket.display()),
        &["--format", "json", "--timeout", "1"],
    );
    run.expect(
        "connect-timeout",
        "did not accept the connection within 1 s",
        Duration::from_secs(4),
    );
    drop(guard);
}

#[test]
fn silent_sentinels_are_checked_concurrently_and_capped() {
    // Listeners that never accept: the kernel completes each connection, HELLO gets nothing.
    let listeners: Vec<TcpListener> = (0..20)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let addrs: Vec<String> = listeners
        .iter()
        .map(|l| format!("127.0.0.1:{}", l.local_addr().expect("addr").port()))
        .collect();
    let env = |n: usize| {
        format!(
            "REDIS_SENTINELS={}\nREDIS_SENTINEL_MASTER_NAME=mymaster\nREDIS_PASSWORD='{PASSWORD}'\n",
            addrs[..n].join(",")
        )
    };
    // 12 sentinels at --timeout 1 on 8 threads: two rounds, not twelve seconds.
    let run = doctor_lines(&env(12), &["--format", "json", "--timeout", "1"]);
    run.expect(
        "command-timeout",
        "did not answer within 1 s",
        Duration::from_secs(5),
    );
    let timeouts = run.json()["findings"].as_array().map_or(0, |a| {
        a.iter().filter(|f| f["id"] == "command-timeout").count()
    });
    assert_eq!(timeouts, 12, "{}", run.stdout);
    // 20 listed: the first 16 checked, and the report says so.
    let run = doctor_lines(&env(20), &["--format", "json", "--timeout", "1"]);
    run.expect(
        "sentinels-capped",
        "Checked 16 of 20 sentinels",
        Duration::from_secs(5),
    );
    drop(listeners);
}

#[test]
fn special_files_as_env_file_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo.env");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for (path, kind) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
    ] {
        let run = doctor(path, &["--format", "json", "--offline"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains("--env-file") && run.stderr.contains(kind),
            "{}",
            run.stderr
        );
        run.bounded(Duration::from_secs(5));
    }
    // A regular file above the cap is refused too, without reading it whole.
    let big = dir.path().join("big.env");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(2 * 1024 * 1024 * 1024)
        .expect("sparse 2 GB file");
    let run = doctor(&big, &["--format", "json", "--offline"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("larger than 1048576 bytes"),
        "{}",
        run.stderr
    );
    run.bounded(Duration::from_secs(5));
}
