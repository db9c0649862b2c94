//! A small, strictly bounded RESP2 client.
//!
//! Time: every step (DNS, connect, TLS handshake, each command) has its own deadline, and every
//! deadline is cut to the end of the whole run ([`Deadline`]). The deadline is checked around
//! every single read and write, TLS included (rustls is driven record by record here, never
//! through its blocking helpers), so a server dripping one byte at a time cannot stretch a step.
//!
//! Memory: every reply is capped ([`Caps`]: bytes per command, elements, nesting depth, line
//! length). Declared lengths are checked against the cap before anything is read or allocated.
//!
//! TLS is rustls with Mozilla's roots (verify peer) or no verification at all (verify none),
//! the two modes Chatwoot has.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The text of a simple or bulk string.
    pub fn text(&self) -> Option<String> {
        match self {
            Reply::Simple(s) => Some(s.clone()),
            Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }
}

/// The limits on one reply. Real replies to doctor's commands are a few kilobytes (INFO is
/// about 6 KB), so the caps are far above what a Redis server sends and far below what would
/// hurt: a capped reply costs at most a few megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Bytes of one reply, everything counted (type bytes, lengths, data, line ends).
    pub bytes: usize,
    /// Elements of one reply, at every depth.
    pub elements: usize,
    /// Nesting depth of arrays.
    pub depth: usize,
}

impl Caps {
    /// The caps of every command but INFO.
    pub const COMMAND: Caps = Caps {
        bytes: 1024 * 1024,
        elements: 10_000,
        depth: 8,
    };
    /// INFO: one bulk string.
    pub const INFO: Caps = Caps {
        bytes: 1024 * 1024,
        elements: 1,
        depth: 1,
    };
    /// A simple line (`+`, `-`, `:`, a length): longer than this is not Redis.
    pub const LINE: usize = 64 * 1024;

    /// The same caps with another byte cap.
    #[cfg(test)]
    pub const fn with_bytes(self, bytes: usize) -> Caps {
        Caps { bytes, ..self }
    }
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The step did not finish within the time limit.
    Timeout,
    /// DNS answered that the name does not exist (or had no address).
    NotFound(String),
    /// The port is closed (RST).
    Refused,
    /// The peer closed the connection.
    Closed,
    /// The TLS certificate was rejected by verify peer.
    Certificate(String),
    /// Another TLS failure (e.g. the server does not speak TLS).
    Tls(String),
    /// The reply went over a cap ([`Caps`]); reading stopped there.
    TooLarge(String),
    /// Anything else (network unreachable, garbage on the wire).
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout => f.write_str("timed out"),
            Failure::NotFound(m) => write!(f, "name not resolved: {m}"),
            Failure::Refused => f.write_str("connection refused"),
            Failure::Closed => f.write_str("connection closed by the server"),
            Failure::Certificate(m) => write!(f, "certificate rejected: {m}"),
            Failure::Tls(m) => write!(f, "TLS handshake failed: {m}"),
            Failure::TooLarge(m) => f.write_str(m),
            Failure::Other(m) => f.write_str(m),
        }
    }
}

/// The step of opening a connection that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Dns,
    Connect,
    Tls,
}

/// The time limits: `step` for each step, never past `end`, the end of the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub step: Duration,
    pub end: Instant,
}

impl Deadline {
    /// A step limit with a run ending `total` from now.
    pub fn new(step: Duration, total: Duration) -> Deadline {
        let now = Instant::now();
        Deadline {
            step,
            end: now.checked_add(total).unwrap_or(now + step),
        }
    }

    /// When a step starting now must be done.
    pub fn step_end(&self) -> Instant {
        Instant::now()
            .checked_add(self.step)
            .map_or(self.end, |t| t.min(self.end))
    }

    /// True once the whole run is out of time.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.end
    }
}

/// The time left until `until`, or `Timeout` when none is.
fn left(until: Instant) -> Result<Duration, Failure> {
    let left = until.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Failure::Timeout)
    } else {
        Ok(left)
    }
}

/// Runs `job` in a thread and waits for it until `until`; on timeout the thread is abandoned
/// (the system resolver and a unix `connect` on a full backlog can block far longer than any
/// deadline, and neither can be cancelled).
fn within<T: Send + 'static>(
    until: Instant,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("doctor-blocking-step".into())
        .spawn(move || {
            let _ = tx.send(job());
        })
        .map_err(|e| Failure::Other(format!("cannot start a thread: {e}")))?;
    rx.recv_timeout(left(until)?).map_err(|_| Failure::Timeout)
}

/// Resolves a host name before `until`.
pub fn resolve(host: &str, port: u16, until: Instant) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = host.to_string();
    match within(until, move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(|a| a.collect::<Vec<_>>())
    })? {
        Ok(addrs) if !addrs.is_empty() => Ok(addrs),
        Ok(_) => Err(Failure::NotFound("no address".into())),
        Err(e) => Err(Failure::NotFound(e.to_string())),
    }
}

/// A TLS session over TCP, driven by hand: one `read_tls` per socket read, the deadline
/// checked before each.
struct Tls {
    conn: ClientConnection,
    sock: TcpStream,
}

impl Tls {
    /// Sends everything rustls has queued, before `until`.
    fn flush(&mut self, until: Instant) -> Result<(), Failure> {
        while self.conn.wants_write() {
            self.sock
                .set_write_timeout(Some(left(until)?))
                .map_err(|e| io_failure(&e))?;
            match self.conn.write_tls(&mut self.sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_failure(&e)),
            }
        }
        Ok(())
    }

    /// One socket read into rustls (whatever arrived, at most one read), then processing.
    fn read_some(&mut self, until: Instant) -> Result<(), Failure> {
        loop {
            self.sock
                .set_read_timeout(Some(left(until)?))
                .map_err(|e| io_failure(&e))?;
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => return Err(Failure::Closed),
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_failure(&e)),
            }
        }
        self.conn
            .process_new_packets()
            .map(|_| ())
            .map_err(|e| tls_failure(&e))
    }

    fn handshake(&mut self, until: Instant) -> Result<(), Failure> {
        while self.conn.is_handshaking() {
            self.flush(until)?;
            if !self.conn.is_handshaking() {
                break;
            }
            left(until)?;
            self.read_some(until)?;
        }
        self.flush(until)
    }

    fn read(&mut self, buf: &mut [u8], until: Instant) -> Result<usize, Failure> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(0) => return Err(Failure::Closed),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(io_failure(&e)),
            }
            self.flush(until)?;
            self.read_some(until)?;
        }
    }

    fn write_all(&mut self, data: &[u8], until: Instant) -> Result<(), Failure> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|e| io_failure(&e))?;
        self.flush(until)
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<Tls>),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

/// A plain socket read with the time left as its timeout (one read returns whatever arrived,
/// so the caller's deadline check runs between every few bytes of a drip).
fn plain_read(s: &mut (impl Read + ?Sized), buf: &mut [u8]) -> Result<usize, Failure> {
    loop {
        match s.read(buf) {
            Ok(0) => return Err(Failure::Closed),
            Ok(n) => return Ok(n),
            // A signal (e.g. SIGCHLD) interrupted the wait: the caller waits again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_failure(&e)),
        }
    }
}

impl Stream {
    fn read(&mut self, buf: &mut [u8], until: Instant) -> Result<usize, Failure> {
        let t = Some(left(until)?);
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(t).map_err(|e| io_failure(&e))?;
                plain_read(s, buf)
            }
            Stream::Tls(s) => s.read(buf, until),
            #[cfg(unix)]
            Stream::Unix(s) => {
                s.set_read_timeout(t).map_err(|e| io_failure(&e))?;
                plain_read(s, buf)
            }
        }
    }

    fn write_all(&mut self, mut data: &[u8], until: Instant) -> Result<(), Failure> {
        if let Stream::Tls(s) = self {
            return s.write_all(data, until);
        }
        while !data.is_empty() {
            let t = Some(left(until)?);
            let written = match self {
                Stream::Tcp(s) => s.set_write_timeout(t).and_then(|()| s.write(data)),
                #[cfg(unix)]
                Stream::Unix(s) => s.set_write_timeout(t).and_then(|()| s.write(data)),
                Stream::Tls(_) => Ok(data.len()),
            };
            match written {
                Ok(0) => return Err(Failure::Closed),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_failure(&e)),
            }
        }
        Ok(())
    }
}

/// An open connection to a Redis server or sentinel.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    deadline: Deadline,
    /// The address actually connected to.
    pub peer: Option<SocketAddr>,
}

/// What is left of the caps while one reply is read.
struct Budget {
    bytes: usize,
    elements: usize,
    caps: Caps,
}

impl Budget {
    fn take_bytes(&mut self, n: usize) -> Result<(), Failure> {
        match self.bytes.checked_sub(n) {
            Some(rest) => {
                self.bytes = rest;
                Ok(())
            }
            None => Err(Failure::TooLarge(format!(
                "the server sent more than {} bytes in one reply (doctor's cap; reading stopped there)",
                self.caps.bytes
            ))),
        }
    }
    fn take_elements(&mut self, n: usize) -> Result<(), Failure> {
        match self.elements.checked_sub(n) {
            Some(rest) => {
                self.elements = rest;
                Ok(())
            }
            None => Err(Failure::TooLarge(format!(
                "the server sent more than {} elements in one reply (doctor's cap; reading stopped there)",
                self.caps.elements
            ))),
        }
    }
}

fn io_failure(e: &io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::Timeout,
        io::ErrorKind::ConnectionRefused => Failure::Refused,
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => Failure::Closed,
        _ => {
            if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return tls_failure(tls);
            }
            Failure::Other(e.to_string())
        }
    }
}

fn tls_failure(e: &rustls::Error) -> Failure {
    match e {
        rustls::Error::InvalidCertificate(c) => Failure::Certificate(format!("{c:?}")),
        other => Failure::Tls(other.to_string()),
    }
}

/// Accepts any certificate: Chatwoot's `REDIS_OPENSSL_VERIFY_MODE=none`. Signatures are
/// still checked, so the handshake itself is real.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Certificates Chatwoot's Ruby trusts beyond the public roots: the PEM bundle named by
/// `SSL_CERT_FILE` (Memorystore's private CA), set once by doctor before any connection.
static EXTRA_ROOTS: std::sync::OnceLock<Vec<rustls::pki_types::CertificateDer<'static>>> =
    std::sync::OnceLock::new();

/// Trusts the certificates of a PEM bundle, as Ruby's OpenSSL does with `SSL_CERT_FILE`.
/// Returns how many were read; the file is read up to 1 MiB, regular files only.
pub fn trust_pem_bundle(path: &std::path::Path) -> Result<usize, String> {
    use rustls::pki_types::pem::PemObject;
    let bytes = crate::bounded::read_capped(path, 1024 * 1024).map_err(|e| e.to_string())?;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
    let n = certs.len();
    let _ = EXTRA_ROOTS.set(certs);
    Ok(n)
}

fn tls_config(verify_peer: bool) -> Result<Arc<ClientConfig>, Failure> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Tls(e.to_string()))?;
    let config = if verify_peer {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in EXTRA_ROOTS.get().into_iter().flatten() {
            // A certificate that is not a usable CA is skipped, as OpenSSL skips it.
            let _ = roots.add(cert.clone());
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

impl Conn {
    /// Opens a TCP connection, then TLS when `tls` is `Some(verify_peer)`; each step (DNS,
    /// connect, handshake) gets its own step deadline.
    pub fn open(
        host: &str,
        port: u16,
        tls: Option<bool>,
        deadline: Deadline,
    ) -> Result<Conn, (Step, Failure)> {
        let addrs = resolve(host, port, deadline.step_end()).map_err(|f| (Step::Dns, f))?;
        let until = deadline.step_end();
        let mut last = Failure::Other("no address to connect to".into());
        let mut tcp = None;
        for addr in &addrs {
            let time = left(until).map_err(|f| (Step::Connect, f))?;
            match TcpStream::connect_timeout(addr, time) {
                Ok(s) => {
                    tcp = Some((s, *addr));
                    break;
                }
                Err(e) => last = io_failure(&e),
            }
        }
        let Some((tcp, peer)) = tcp else {
            return Err((Step::Connect, last));
        };
        let _ = tcp.set_nodelay(true);
        let stream = match tls {
            None => Stream::Tcp(tcp),
            Some(verify_peer) => Stream::Tls(Box::new(
                handshake(tcp, host, verify_peer, deadline.step_end())
                    .map_err(|f| (Step::Tls, f))?,
            )),
        };
        Ok(Conn {
            stream,
            buf: Vec::new(),
            pos: 0,
            deadline,
            peer: Some(peer),
        })
    }

    /// Opens a Unix socket connection within the step deadline (a socket whose backlog is
    /// full blocks `connect` for as long as the server does not accept).
    #[cfg(unix)]
    pub fn open_unix(path: &str, deadline: Deadline) -> Result<Conn, (Step, Failure)> {
        let path = path.to_string();
        let s = within(deadline.step_end(), move || {
            std::os::unix::net::UnixStream::connect(path)
        })
        .map_err(|f| (Step::Connect, f))?
        .map_err(|e| (Step::Connect, io_failure(&e)))?;
        Ok(Conn {
            stream: Stream::Unix(s),
            buf: Vec::new(),
            pos: 0,
            deadline,
            peer: None,
        })
    }

    /// Sends one command and reads its reply within the step deadline, capped by
    /// [`Caps::COMMAND`].
    pub fn command(&mut self, args: &[&str]) -> Result<Reply, Failure> {
        self.command_capped(args, Caps::COMMAND)
    }

    /// Sends one command and reads its reply within the step deadline and `caps`.
    pub fn command_capped(&mut self, args: &[&str], caps: Caps) -> Result<Reply, Failure> {
        let until = self.deadline.step_end();
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&out, until)?;
        let mut budget = Budget {
            bytes: caps.bytes,
            elements: caps.elements,
            caps,
        };
        self.read_reply(until, 0, &mut budget)
    }

    /// Reads once more from the server, keeping the buffer small (consumed bytes dropped).
    fn fill(&mut self, until: Instant) -> Result<(), Failure> {
        if self.pos > 0 && (self.pos == self.buf.len() || self.pos >= 64 * 1024) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk, until)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn line(&mut self, until: Instant, budget: &mut Budget) -> Result<String, Failure> {
        // Where the search for CRLF resumes: bytes already searched are not searched again.
        let mut from = 0;
        loop {
            let pending = &self.buf[self.pos..];
            if let Some(i) = pending[from..].windows(2).position(|w| w == b"\r\n") {
                let i = from + i;
                budget.take_bytes(i + 2)?;
                let line = String::from_utf8_lossy(&pending[..i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if pending.len() > budget.bytes {
                return budget.take_bytes(pending.len()).map(|()| String::new());
            }
            if pending.len() > Caps::LINE {
                return Err(Failure::Other(format!(
                    "the server does not speak RESP (no line end in {} bytes)",
                    Caps::LINE
                )));
            }
            from = pending.len().saturating_sub(1);
            self.fill(until)?;
        }
    }

    fn bytes(&mut self, n: usize, until: Instant) -> Result<Vec<u8>, Failure> {
        while self.buf.len() - self.pos < n + 2 {
            self.fill(until)?;
        }
        let end = self.pos + n;
        if &self.buf[end..end + 2] != b"\r\n" {
            return Err(Failure::Other(
                "the server's bulk string does not end with CRLF where its length says (not Redis protocol)"
                    .into(),
            ));
        }
        let data = self.buf[self.pos..end].to_vec();
        self.pos = end + 2;
        Ok(data)
    }

    fn read_reply(
        &mut self,
        until: Instant,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Reply, Failure> {
        if depth >= budget.caps.depth {
            return Err(Failure::TooLarge(format!(
                "the server sent a reply nested deeper than {} levels (doctor's cap; reading stopped there)",
                budget.caps.depth
            )));
        }
        let line = self.line(until, budget)?;
        let garbage = || Failure::Other(what_answered(&line));
        // Split after the first character, not byte: garbage may start with a multi-byte one.
        let first = line.chars().next().map_or(0, char::len_utf8);
        let (kind, rest) = line.split_at(first);
        let number = || rest.parse::<i64>().map_err(|_| garbage());
        let negative = |n: i64| {
            Failure::Other(format!(
                "the server declared a negative length {n} (only -1, nil, is Redis protocol)"
            ))
        };
        Ok(match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(number()?),
            "$" => match number()? {
                -1 => Reply::Bulk(None),
                n if n < 0 => return Err(negative(n)),
                n => {
                    // Checked before reading: a declared 4 GB string allocates nothing.
                    let n = usize::try_from(n).unwrap_or(usize::MAX);
                    budget.take_bytes(n.saturating_add(2))?;
                    Reply::Bulk(Some(self.bytes(n, until)?))
                }
            },
            "*" => match number()? {
                -1 => Reply::Array(None),
                n if n < 0 => return Err(negative(n)),
                n => {
                    let n = usize::try_from(n).unwrap_or(usize::MAX);
                    budget.take_elements(n)?;
                    // Never trust the declared count for an allocation.
                    let mut items = Vec::with_capacity(n.min(64));
                    for _ in 0..n {
                        items.push(self.read_reply(until, depth + 1, budget)?);
                    }
                    Reply::Array(Some(items))
                }
            },
            _ => return Err(garbage()),
        })
    }
}

/// Says what answered when the first line of a reply is not RESP: an HTTP server names
/// itself by its status line, anything else is shown (cut to 80 characters).
pub fn what_answered(line: &str) -> String {
    if let Some(status) = line.strip_prefix("HTTP/") {
        let status = status.split_once(' ').map_or("", |(_, s)| s).trim();
        return format!(
            "an HTTP server answered: {} (not Redis; is this the web port?)",
            crate::redact::clip(status, 80)
        );
    }
    if line.starts_with("SSH-") {
        return format!(
            "an SSH server answered: {} (not Redis)",
            crate::redact::clip(line, 80)
        );
    }
    format!(
        "the server's answer is not Redis protocol (a TLS port spoken to without rediss://, \
         or not Redis); it began with {:?}",
        crate::redact::clip(line, 80)
    )
}

fn handshake(
    tcp: TcpStream,
    host: &str,
    verify_peer: bool,
    until: Instant,
) -> Result<Tls, Failure> {
    let config = tls_config(verify_peer)?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Failure::Tls(format!("{host:?} is not a valid TLS server name: {e}")))?;
    let conn = ClientConnection::new(config, name).map_err(|e| tls_failure(&e))?;
    let mut tls = Tls { conn, sock: tcp };
    tls.handshake(until)?;
    Ok(tls)
}

/// An `INFO` reply as key/value pairs.
pub type Info = std::collections::BTreeMap<String, String>;

/// Parses an `INFO` reply into key/value pairs (sections and comments dropped).
pub fn parse_info(text: &str) -> Info {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_parsed() {
        let info = parse_info(
            "# Server\r\nredis_version:7.2.4\r\n\r\n# Clients\r\nconnected_clients:3\r\n",
        );
        assert_eq!(info.get("redis_version").map(String::as_str), Some("7.2.4"));
        assert_eq!(info.get("connected_clients").map(String::as_str), Some("3"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = [0u8; 256];
            let _ = s.read(&mut req);
            s.write_all(b"\xe2\x82\xacSSH-2.0-OpenSSH\r\n")
                .expect("write");
        });
        let mut c = Conn::open(
            "127.0.0.1",
            port,
            None,
            Deadline::new(Duration::from_secs(2), Duration::from_secs(5)),
        )
        .expect("open");
        assert!(matches!(c.command(&["PING"]), Err(Failure::Other(_))));
        server.join().expect("server");
    }

    #[test]
    fn replies_over_a_real_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = [0u8; 256];
            let _ = s.read(&mut req);
            s.write_all(b"*3\r\n+OK\r\n$3\r\nabc\r\n:-7\r\n")
                .expect("write");
            let _ = s.read(&mut req);
            // Then silence (connection kept open) until the client has timed out.
            let _ = done_rx.recv_timeout(Duration::from_secs(30));
        });
        let mut c = Conn::open(
            "127.0.0.1",
            port,
            None,
            Deadline::new(Duration::from_millis(300), Duration::from_secs(5)),
        )
        .expect("open");
        let r = c.command(&["PING"]).expect("reply");
        assert_eq!(
            r,
            Reply::Array(Some(vec![
                Reply::Simple("OK".into()),
                Reply::Bulk(Some(b"abc".to_vec())),
                Reply::Int(-7)
            ]))
        );
        assert_eq!(c.command(&["PING"]), Err(Failure::Timeout));
        let _ = done_tx.send(());
        server.join().expect("server");
    }

    /// A loopback server that answers the first command with `reply` (then `tail` forever,
    /// or closes), and the client's result for PING.
    fn answer(reply: Vec<u8>, endless: Option<Vec<u8>>, caps: Caps) -> Result<Reply, Failure> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = [0u8; 256];
            let _ = s.read(&mut req);
            let _ = s.write_all(&reply);
            if let Some(chunk) = endless {
                let stop = Instant::now() + Duration::from_secs(10);
                while Instant::now() < stop && s.write_all(&chunk).is_ok() {}
            }
        });
        let deadline = Deadline::new(Duration::from_secs(5), Duration::from_secs(10));
        let mut c = Conn::open("127.0.0.1", port, None, deadline).expect("open");
        let r = c.command_capped(&["PING"], caps);
        drop(c);
        server.join().expect("server");
        r
    }

    fn too_large(r: Result<Reply, Failure>, what: &str) {
        match r {
            Err(Failure::TooLarge(m)) => assert!(m.contains(what), "{m}"),
            other => panic!(
                "expected TooLarge({what}), got {:.300}",
                format!("{other:?}")
            ),
        }
    }

    #[test]
    fn declared_lengths_over_the_cap_are_refused_before_reading() {
        too_large(
            answer(b"$4294967296\r\n".to_vec(), None, Caps::COMMAND),
            "1048576 bytes",
        );
        too_large(
            answer(b"*9223372036854775807\r\n".to_vec(), None, Caps::COMMAND),
            "10000 elements",
        );
        too_large(
            answer(b"$100\r\n".to_vec(), None, Caps::INFO.with_bytes(50)),
            "50 bytes",
        );
    }

    #[test]
    fn endless_streams_stop_at_the_cap() {
        // An array of arrays that never ends, and one line that never ends.
        too_large(
            answer(
                b"*6000\r\n".to_vec(),
                Some(b"*1\r\n:1\r\n".to_vec()),
                Caps::COMMAND,
            ),
            "elements",
        );
        too_large(
            answer(
                b"*9000\r\n".to_vec(),
                Some(
                    b"$1000\r\n"
                        .iter()
                        .chain(&[b'x'; 1000])
                        .chain(b"\r\n")
                        .copied()
                        .collect(),
                ),
                Caps::COMMAND,
            ),
            "bytes",
        );
        let r = answer(b"+".to_vec(), Some(vec![b'a'; 4096]), Caps::COMMAND);
        assert!(
            matches!(r, Err(Failure::Other(ref m)) if m.contains("no line end")),
            "{r:?}"
        );
    }

    #[test]
    fn deep_nesting_negative_lengths_and_bad_framing_are_errors() {
        too_large(
            answer(b"*1\r\n".repeat(100), None, Caps::COMMAND),
            "nested deeper than 8",
        );
        let r = answer(b"$-5\r\n".to_vec(), None, Caps::COMMAND);
        assert!(
            matches!(r, Err(Failure::Other(ref m)) if m.contains("negative length -5")),
            "{r:?}"
        );
        let r = answer(b"*-2\r\n".to_vec(), None, Caps::COMMAND);
        assert!(
            matches!(r, Err(Failure::Other(ref m)) if m.contains("negative length -2")),
            "{r:?}"
        );
        let r = answer(b"$3\r\nabcXY".to_vec(), None, Caps::COMMAND);
        assert!(
            matches!(r, Err(Failure::Other(ref m)) if m.contains("CRLF")),
            "{r:?}"
        );
        assert_eq!(
            answer(b"*2\r\n$3\r\nab".to_vec(), None, Caps::COMMAND),
            Err(Failure::Closed)
        );
        assert_eq!(
            answer(b"$-1\r\n".to_vec(), None, Caps::COMMAND),
            Ok(Reply::Bulk(None))
        );
    }

    #[test]
    fn a_drip_is_cut_by_the_step_deadline_and_the_run_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = [0u8; 256];
            let _ = s.read(&mut req);
            let stop = Instant::now() + Duration::from_secs(5);
            // One byte every 50 ms: each read gets something, none finishes the reply.
            while Instant::now() < stop && s.write_all(b"+").is_ok() {
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let deadline = Deadline::new(Duration::from_millis(400), Duration::from_millis(700));
        let mut c = Conn::open("127.0.0.1", port, None, deadline).expect("open");
        let started = Instant::now();
        assert_eq!(c.command(&["PING"]), Err(Failure::Timeout));
        let first = started.elapsed();
        assert!(first < Duration::from_millis(1000), "{first:?}");
        // The second command has only what is left of the run.
        assert_eq!(c.command(&["PING"]), Err(Failure::Timeout));
        assert!(
            started.elapsed() < Duration::from_millis(1300),
            "{:?}",
            started.elapsed()
        );
        drop(c);
        server.join().expect("server");
    }
}
