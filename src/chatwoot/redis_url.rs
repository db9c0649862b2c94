//! `REDIS_URL` exactly as Chatwoot's redis-client (`RedisClient::URLConfig`, 0.22–0.30) reads
//! it: Ruby's `URI()` (the RFC 3986 parser of the `uri` gem 1.0) splits the text, then
//! redis-client takes the scheme (`redis`, `rediss`, `unix` or none: a socket path), the
//! host (brackets of an IPv6 literal removed), the port as written (`0` and `65536` included),
//! the user only when a password follows, the form-decoded password (a lone `secret@` is the
//! password), and the db from the path or else the first `db=` of the query, through Ruby's
//! `Integer()`. What `URI()` refuses raises at boot: Chatwoot does not start.

use super::parse_ruby_integer;

/// What redis-client takes from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUrl {
    pub ssl: bool,
    /// No scheme or `unix:`: a socket path.
    pub unix: bool,
    /// `None` when empty or absent (redis-client then uses `localhost`).
    pub host: Option<String>,
    /// The port as written (redis-client defaults to 6379 and does not check the range).
    pub port: Option<u64>,
    /// The socket path (`File.join(host, path)`) of a socket URL.
    pub path: Option<String>,
    /// Sent as written (not decoded), and only when the URL has `user:password`.
    pub username: Option<String>,
    /// Form-decoded (`%XX`, `+` is a space): bytes, which may not be UTF-8.
    pub password: Option<Vec<u8>>,
    /// The password exactly as written in the URL.
    pub raw_password: Option<String>,
    pub db: Option<i64>,
}

/// Why redis-client (or Ruby's URI under it) refuses a URL. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// `URI must be ascii only`.
    NotAscii,
    /// `bad URI (is not URI?)`, with the part that cannot be read.
    BadUri(&'static str),
    /// `Unknown URL scheme` (the scheme, lowercased).
    UnknownScheme(String),
    /// `invalid value for Integer()` on the db text.
    BadDb { text: String, why: String },
}

/// Ruby URI's parts of a URL (`URI::RFC3986_Parser#split`).
#[derive(Debug, Default)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    userinfo: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<&'a str>,
    path: Option<&'a str>,
    query: Option<&'a str>,
}

fn is_unreserved_or_sub(c: u8) -> bool {
    // [!$&-.0-9;=A-Z_a-z~] : `&-.` is & ' ( ) * + , - .
    c.is_ascii_alphanumeric() || b"!$&'()*+,-.;=_~".contains(&c)
}

/// Possessive `(?:%\h\h|[class])*+` from `i`: where it stops.
fn run(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
                i += 3;
                continue;
            }
            return i;
        }
        if !class(b[i]) {
            return i;
        }
        i += 1;
    }
    i
}

fn userinfo_char(c: u8) -> bool {
    is_unreserved_or_sub(c) || c == b':'
}

fn segment_char(c: u8) -> bool {
    is_unreserved_or_sub(c) || c == b':' || c == b'@'
}

fn segment_nc_char(c: u8) -> bool {
    is_unreserved_or_sub(c) || c == b'@'
}

fn fragment_char(c: u8) -> bool {
    segment_char(c) || c == b'/' || c == b'?'
}

/// `(?:/segment)*+` from `i`.
fn path_abempty(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] == b'/' {
        i = run(b, i + 1, segment_char);
    }
    i
}

/// The IP-literal inside brackets: IPv6address or IPvFuture (`v\h++\.[…]++`; Ruby's
/// pattern takes a lower-case `v` only).
fn ip_literal_ok(inner: &str) -> bool {
    if let Some(future) = inner.strip_prefix('v') {
        if let Some((hex, rest)) = future.split_once('.') {
            return !hex.is_empty()
                && hex.bytes().all(|c| c.is_ascii_hexdigit())
                && !rest.is_empty()
                && rest.bytes().all(userinfo_char);
        }
        return false;
    }
    inner.parse::<std::net::Ipv6Addr>().is_ok()
}

/// `authority path-abempty` starting at `i` (after `//`).
fn authority<'a>(url: &'a str, i: usize, parts: &mut Parts<'a>) -> Result<usize, UrlError> {
    let b = url.as_bytes();
    let mut h = i;
    let ui_end = run(b, i, userinfo_char);
    if b.get(ui_end) == Some(&b'@') {
        parts.userinfo = Some(&url[i..ui_end]);
        h = ui_end + 1;
    }
    let host_end = if b.get(h) == Some(&b'[') {
        let close = url[h..].find(']').map(|p| h + p).ok_or(UrlError::BadUri(
            "an IPv6 address in brackets is not closed with ]",
        ))?;
        if !ip_literal_ok(&url[h + 1..close]) {
            return Err(UrlError::BadUri(
                "the bracketed host is not an IPv6 address Ruby's URI reads (a zone like %eth0 \
                 is not allowed)",
            ));
        }
        close + 1
    } else {
        run(b, h, is_unreserved_or_sub)
    };
    parts.host = Some(&url[h..host_end]);
    let mut j = host_end;
    if b.get(j) == Some(&b':') {
        let p_end = j + 1 + b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        parts.port = Some(&url[j + 1..p_end]);
        j = p_end;
        if b.get(j).is_some_and(|c| !b"/?#".contains(c)) {
            // The text is not echoed: in `redis://:secret` (host forgotten) it is the password.
            return Err(UrlError::BadUri(
                "the port is not a number (or a password is missing its @host)",
            ));
        }
    }
    let path_end = path_abempty(b, j);
    parts.path = Some(&url[j..path_end]);
    Ok(path_end)
}

/// `(?:\?query)?(?:#fragment)?\z` from `i`.
fn query_fragment<'a>(url: &'a str, i: usize, parts: &mut Parts<'a>) -> Result<(), UrlError> {
    let b = url.as_bytes();
    let mut j = i;
    if b.get(j) == Some(&b'?') {
        let end = url[j..].find('#').map_or(url.len(), |p| j + p);
        parts.query = Some(&url[j + 1..end]);
        j = end;
    }
    if b.get(j) == Some(&b'#') {
        let end = run(b, j + 1, fragment_char);
        j = end;
    }
    if j == b.len() {
        Ok(())
    } else {
        Err(UrlError::BadUri(what_stops(b[j])))
    }
}

/// Names the kind of character where Ruby's URI stops reading (never the text around it).
fn what_stops(c: u8) -> &'static str {
    match c {
        b' ' => "it contains a space (or leading or trailing blanks)",
        b'\t' | b'\n' | b'\r' => "it contains a tab or line break",
        b'%' => "a % is not followed by two hex digits",
        b':' => "a host, port or path that Ruby's URI cannot read (an IPv6 address needs [brackets]; a port is digits only)",
        _ => "it contains a character Ruby's URI does not allow there (such as | ^ \" { } \\ < > ` [ ] or an unencoded @ / # in the password)",
    }
}

fn split(url: &str) -> Result<Parts<'_>, UrlError> {
    if !url.is_ascii() {
        return Err(UrlError::NotAscii);
    }
    let b = url.as_bytes();
    let mut parts = Parts::default();
    let scheme_end = if b.first().is_some_and(u8::is_ascii_alphabetic) {
        1 + b[1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
            .count()
    } else {
        0
    };
    if scheme_end > 0 && b.get(scheme_end) == Some(&b':') {
        parts.scheme = Some(&url[..scheme_end]);
        let i = scheme_end + 1;
        if url[i..].starts_with("//") {
            let end = authority(url, i + 2, &mut parts)?;
            query_fragment(url, end, &mut parts)?;
        } else if b.get(i) == Some(&b'/') {
            let end = path_abempty(b, i);
            parts.path = Some(&url[i..end]);
            query_fragment(url, end, &mut parts)?;
        } else {
            // path-rootless or path-empty: an opaque part (its query too), no host.
            let end = run(b, i, segment_char);
            let end = path_abempty(b, end);
            let mut rest = Parts::default();
            query_fragment(url, end, &mut rest)?;
        }
        return Ok(parts);
    }
    // A relative reference.
    if url.starts_with("//") {
        let end = authority(url, 2, &mut parts)?;
        query_fragment(url, end, &mut parts)?;
    } else if url.starts_with('/') {
        let end = path_abempty(b, 0);
        parts.path = Some(&url[..end]);
        query_fragment(url, end, &mut parts)?;
    } else {
        let first = run(b, 0, segment_nc_char);
        if b.get(first) == Some(&b':') {
            return Err(UrlError::BadUri(
                "it is not a URL (expected redis://host:port, rediss://… or unix://…)",
            ));
        }
        let end = path_abempty(b, first);
        parts.path = Some(&url[..end]);
        query_fragment(url, end, &mut parts)?;
    }
    Ok(parts)
}

/// `URI.decode_www_form_component`.
fn form_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// `File.join(host, path)` for two parts.
fn file_join(host: Option<&str>, path: Option<&str>) -> String {
    match (host, path) {
        (None, None) => String::new(),
        (Some(h), None) => h.to_string(),
        (None, Some(p)) => p.to_string(),
        (Some(h), Some(p)) => match (h.ends_with('/'), p.starts_with('/')) {
            (true, true) => format!("{h}{}", &p[1..]),
            (true, false) | (false, true) => format!("{h}{p}"),
            (false, false) => format!("{h}/{p}"),
        },
    }
}

/// Parses a URL as redis-client does.
pub fn parse(url: &str) -> Result<ClientUrl, UrlError> {
    let parts = split(url)?;
    let scheme = parts.scheme.map(str::to_ascii_lowercase);
    let (ssl, unix) = match scheme.as_deref() {
        Some("redis") => (false, false),
        Some("rediss") => (true, false),
        Some("unix") | None => (false, true),
        Some(other) => return Err(UrlError::UnknownScheme(other.to_string())),
    };
    let host = parts.host.filter(|h| !h.is_empty()).map(|h| {
        h.strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(h)
            .to_string()
    });
    // `set_port`: "" is nil, digits are `to_i`.
    let port = parts.port.filter(|p| !p.is_empty()).map(|p| {
        p.bytes().fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        })
    });
    // URI's `split_userinfo`: `"".split(':', 2)` is `[]`, so an empty userinfo (`redis://@host`)
    // is no user and no password.
    let (user, pass) = match parts.userinfo.filter(|ui| !ui.is_empty()) {
        Some(ui) => match ui.split_once(':') {
            Some((u, p)) => (Some(u), Some(p)),
            None => (Some(ui), None),
        },
        None => (None, None),
    };
    let username = match (user, pass) {
        (Some(u), Some(_)) if !u.is_empty() => Some(u.to_string()),
        _ => None,
    };
    let raw_password = match (user, pass) {
        (Some(u), None) => Some(u),
        (Some(_), Some(p)) => Some(p),
        _ => None,
    };
    let password = raw_password.map(form_decode_bytes);
    let mut db = None;
    if !unix {
        let db_path = parts.path.map(|p| p.strip_prefix('/').unwrap_or(p));
        if let Some(text) = db_path.filter(|p| !p.is_empty()) {
            db = Some(parse_ruby_integer(text).map_err(|why| UrlError::BadDb {
                text: text.to_string(),
                why,
            })?);
        }
    }
    if db.is_none() {
        if let Some(query) = parts.query.filter(|q| !q.is_empty()) {
            // `URI.decode_www_form(query).find { |k, _| k == "db" }`
            let found = query.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode_bytes(k) == b"db").then(|| form_decode_bytes(v))
            });
            if let Some(v) = found.filter(|v| !v.is_empty()) {
                let text = String::from_utf8_lossy(&v).into_owned();
                db = Some(parse_ruby_integer(&text).map_err(|why| UrlError::BadDb {
                    text: text.clone(),
                    why,
                })?);
            }
        }
    }
    // URI's pattern takes a host of one or more characters: an empty one is nil, and
    // File.join leaves it out.
    let path = unix.then(|| file_join(parts.host.filter(|h| !h.is_empty()), parts.path));
    Ok(ClientUrl {
        ssl,
        unix,
        host: if unix { None } else { host },
        port: if unix { None } else { port },
        path,
        username,
        password,
        raw_password: raw_password.map(str::to_string),
        db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_url_says_which_kind_of_character_stops_it() {
        for (url, says) in [
            ("redis://a b:6379", "a space"),
            ("redis://a\tb:6379", "a tab or line break"),
            (
                "redis://a:6379/%zz",
                "a % is not followed by two hex digits",
            ),
            ("redis://a]:1", "a character Ruby's URI does not allow"),
        ] {
            match parse(url) {
                Err(UrlError::BadUri(why)) => assert!(why.contains(says), "{url:?}: {why}"),
                other => panic!("{url:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn forms_redis_client_accepts() {
        let u = parse("/run/redis/x.sock?db=1").expect("socket path");
        assert_eq!(
            (u.unix, u.path.as_deref(), u.db),
            (true, Some("/run/redis/x.sock"), Some(1))
        );
        let u = parse("redis:host").expect("opaque");
        assert_eq!((u.host, u.port), (None, None));
        assert_eq!(parse("redis://host?db=%33").expect("db").db, Some(3));
        assert_eq!(parse("redis://host:65536").expect("port").port, Some(65536));
        assert_eq!(
            parse("unix://run/redis/test.sock")
                .expect("unix")
                .path
                .as_deref(),
            Some("run/redis/test.sock")
        );
        let u = parse("redis://u:p:q@host").expect("colon in password");
        assert_eq!(u.password.as_deref(), Some(&b"p:q"[..]));
        assert_eq!(
            parse("redis://:%FF@host").expect("bytes").password,
            Some(vec![0xff])
        );
    }

    #[test]
    fn a_colon_before_any_scheme_is_no_url_rather_than_an_empty_scheme() {
        // Ruby's URI raises InvalidURIError ("bad URI"), before redis-client looks at a scheme.
        for bad in [":6379", "://host:6379", ":"] {
            assert!(matches!(parse(bad), Err(UrlError::BadUri(_))), "{bad:?}");
        }
    }

    #[test]
    fn hosts_ruby_uri_refuses() {
        for bad in [
            "redis://ho st:6379",
            "redis://ho|st",
            "redis://ho^st",
            "redis://ho\"st",
            "redis://ho{st",
            "redis://ho\\st",
            "redis://ho\tst",
            "redis://hôst",
            "redis://ho%zzst",
            "redis://::1:6379",
            "redis://[fe80::1%25eth0]:6379",
            "redis://host:6379 ",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
