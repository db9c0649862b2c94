//! A small, strictly bounded RESP2 client: every step (DNS, connect, TLS handshake, each
//! command) has its own deadline, so doctor never hangs on a server that does not answer.
//! TLS is rustls with Mozilla's roots (verify peer) or no verification at all (verify none),
//! the two modes Chatwoot has.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

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

/// Resolves a host name within `timeout` (the system resolver can block far longer, so it
/// runs in a thread that is abandoned on timeout).
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>()),
        );
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Failure::NotFound("no address".into())),
        Ok(Err(e)) => Err(Failure::NotFound(e.to_string())),
        Err(_) => Err(Failure::Timeout),
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Stream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        let t = Some(t.max(Duration::from_millis(1)));
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Tls(s) => {
                s.sock.set_read_timeout(t)?;
                s.sock.set_write_timeout(t)
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            #[cfg(unix)]
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// An open connection to a Redis server or sentinel.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    pos: usize,
    timeout: Duration,
    /// The address actually connected to.
    pub peer: Option<SocketAddr>,
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

fn tls_config(verify_peer: bool) -> Result<Arc<ClientConfig>, Failure> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Tls(e.to_string()))?;
    let config = if verify_peer {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
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
    /// connect, handshake) gets `timeout`.
    pub fn open(
        host: &str,
        port: u16,
        tls: Option<bool>,
        timeout: Duration,
    ) -> Result<Conn, (Step, Failure)> {
        let addrs = resolve(host, port, timeout).map_err(|f| (Step::Dns, f))?;
        let mut last = Failure::Other("no address to connect to".into());
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, timeout) {
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
                handshake(tcp, host, verify_peer, timeout).map_err(|f| (Step::Tls, f))?,
            )),
        };
        Ok(Conn {
            stream,
            buf: Vec::new(),
            pos: 0,
            timeout,
            peer: Some(peer),
        })
    }

    /// Opens a Unix socket connection.
    #[cfg(unix)]
    pub fn open_unix(path: &str, timeout: Duration) -> Result<Conn, (Step, Failure)> {
        let s = std::os::unix::net::UnixStream::connect(path)
            .map_err(|e| (Step::Connect, io_failure(&e)))?;
        Ok(Conn {
            stream: Stream::Unix(s),
            buf: Vec::new(),
            pos: 0,
            timeout,
            peer: None,
        })
    }

    /// Sends one command and reads its reply, within the time limit.
    pub fn command(&mut self, args: &[&str]) -> Result<Reply, Failure> {
        let deadline = Instant::now() + self.timeout;
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        self.stream
            .set_timeouts(self.timeout)
            .map_err(|e| io_failure(&e))?;
        self.stream.write_all(&out).map_err(|e| io_failure(&e))?;
        self.stream.flush().map_err(|e| io_failure(&e))?;
        self.read_reply(deadline, 0)
    }

    fn fill(&mut self, deadline: Instant) -> Result<(), Failure> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::Timeout);
            }
            self.stream.set_timeouts(left).map_err(|e| io_failure(&e))?;
            match self.stream.read(&mut chunk) {
                // A signal (e.g. SIGCHLD) interrupted the wait: wait again for the time left.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| io_failure(&e))?,
            }
        };
        if n == 0 {
            return Err(Failure::Closed);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn line(&mut self, deadline: Instant) -> Result<String, Failure> {
        loop {
            if let Some(i) = self.buf[self.pos..].windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.buf.len() - self.pos > 64 * 1024 {
                return Err(Failure::Other(
                    "the server does not speak RESP (no line end)".into(),
                ));
            }
            self.fill(deadline)?;
        }
    }

    fn bytes(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, Failure> {
        while self.buf.len() - self.pos < n + 2 {
            self.fill(deadline)?;
        }
        let data = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n + 2;
        Ok(data)
    }

    fn read_reply(&mut self, deadline: Instant, depth: usize) -> Result<Reply, Failure> {
        if depth > 8 {
            return Err(Failure::Other("reply nested too deeply".into()));
        }
        let line = self.line(deadline)?;
        let garbage = || {
            Failure::Other(
                "the server's answer is not Redis protocol (a TLS port spoken to without \
                 rediss://, or not Redis)"
                    .into(),
            )
        };
        // Split after the first character, not byte: garbage may start with a multi-byte one.
        let first = line.chars().next().map_or(0, char::len_utf8);
        let (kind, rest) = line.split_at(first);
        let number = || rest.parse::<i64>().map_err(|_| garbage());
        Ok(match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(number()?),
            "$" => match number()? {
                n if n < 0 => Reply::Bulk(None),
                n if n > 512 * 1024 * 1024 => return Err(garbage()),
                n => Reply::Bulk(Some(self.bytes(n as usize, deadline)?)),
            },
            "*" => match number()? {
                n if n < 0 => Reply::Array(None),
                n if n > 1_000_000 => return Err(garbage()),
                n => {
                    let mut items = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        items.push(self.read_reply(deadline, depth + 1)?);
                    }
                    Reply::Array(Some(items))
                }
            },
            _ => return Err(garbage()),
        })
    }
}

fn handshake(
    tcp: TcpStream,
    host: &str,
    verify_peer: bool,
    timeout: Duration,
) -> Result<StreamOwned<ClientConnection, TcpStream>, Failure> {
    let config = tls_config(verify_peer)?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Failure::Tls(format!("{host:?} is not a valid TLS server name: {e}")))?;
    let conn = ClientConnection::new(config, name).map_err(|e| tls_failure(&e))?;
    let mut tls = StreamOwned::new(conn, tcp);
    let deadline = Instant::now() + timeout;
    while tls.conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Timeout);
        }
        tls.sock
            .set_read_timeout(Some(left))
            .and_then(|()| tls.sock.set_write_timeout(Some(left)))
            .map_err(|e| io_failure(&e))?;
        match tls.conn.complete_io(&mut tls.sock) {
            Ok((0, 0)) if tls.conn.is_handshaking() && !tls.conn.wants_write() => {
                return Err(Failure::Closed)
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_failure(&e)),
        }
    }
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
        let mut c = Conn::open("127.0.0.1", port, None, Duration::from_secs(2)).expect("open");
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
        let mut c = Conn::open("127.0.0.1", port, None, Duration::from_millis(300)).expect("open");
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
}
