//! How Chatwoot (v4.x: redis 5 / redis-client 0.26, Sidekiq 7, Rails 7.1) reads its Redis
//! settings. Every rule here mirrors behaviour of Chatwoot's own code; the generator uses them to
//! refuse what Chatwoot would misread, and `doctor` uses them to explain what it finds.

use std::fmt;

pub mod compose_env;
pub mod psych;
pub mod redis_url;

/// Port Chatwoot assumes for a sentinel entry without one.
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;
/// Master name Chatwoot uses when `REDIS_SENTINEL_MASTER_NAME` is unset (not when it is empty).
pub const DEFAULT_SENTINEL_MASTER: &str = "mymaster";
/// Oldest Redis that Sidekiq 7 accepts.
pub const MIN_REDIS_VERSION: (u32, u32, u32) = (6, 2, 0);

/// Every environment variable Chatwoot reads for Redis, in the order the generator writes them.
pub const REDIS_ENV_KEYS: &[&str] = &[
    "REDIS_URL",
    "REDIS_PASSWORD",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER_NAME",
    "REDIS_SENTINEL_PASSWORD",
    "REDIS_OPENSSL_VERIFY_MODE",
    "REDIS_DISABLE_CLIENT_COMMAND",
    "REDIS_ALFRED_SIZE",
    "REDIS_VELMA_SIZE",
];

/// Variables people set for Redis that Chatwoot never reads.
pub const IGNORED_ENV_KEYS: &[&str] = &[
    "REDIS_TLS",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_USERNAME",
    "REDIS_DB",
    "REDIS_TLS_URL",
    "SIDEKIQ_REDIS_URL",
];

/// Why a password would not reach ActionCable unchanged through `config/cable.yml`.
///
/// cable.yml pastes `REDIS_PASSWORD` unquoted into YAML (ERB, then a YAML 1.1 load by Psych).
/// Anything YAML would read as another type, a comment, or syntax changes or breaks the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CableYamlProblem(pub String);

impl fmt::Display for CableYamlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `REDIS_PASSWORD` reaches ActionCable as the same bytes through cable.yml's
/// ERB and YAML load (Psych's own rules: [`psych::cable_yaml`]). A password Psych keeps as
/// the same String passes; anything it turns into another object (nil, a boolean, a Symbol,
/// a number, a date, …) or refuses with a syntax error is refused. (`doctor` is less strict
/// about a live password: [`cable_yaml_definitely_changes`] spares a number whose digits the
/// redis client still sends unchanged.)
pub fn check_cable_yaml_password(password: &str) -> Result<(), CableYamlProblem> {
    // The messages describe the kind of problem, never the password or one of its characters:
    // they are shown for secrets.
    if password.is_empty() {
        return Err(CableYamlProblem("it is empty".into()));
    }
    match psych::cable_yaml(password) {
        psych::CableYaml::Kept => Ok(()),
        psych::CableYaml::Changed { why, into, .. } => Err(CableYamlProblem(format!(
            "{why}: ActionCable would get {} instead of the password",
            loaded_phrase(into)
        ))),
        psych::CableYaml::Error(why) => Err(CableYamlProblem(why.to_string())),
    }
}

fn loaded_phrase(into: psych::Loaded) -> &'static str {
    use psych::Loaded as L;
    match into {
        L::String => "a different string",
        L::Integer => "an Integer",
        L::Float => "a Float",
        L::Symbol => "a Symbol without the colon",
        L::True | L::False => "a boolean (the client refuses it)",
        L::Nil => "nil (no password at all)",
        L::Time => "a Time (the client refuses it)",
        L::Date => "a Date (the client refuses it)",
        L::Array => "an Array",
        L::Hash => "a Hash",
    }
}

/// The reason ActionCable does not get the password through cable.yml (Psych's own rules),
/// or `None` when it does (as the same String, or as a number whose `to_s` gives the same
/// bytes to the redis client). `doctor` reports it as an error.
pub fn cable_yaml_definitely_changes(pw: &str) -> Option<&'static str> {
    if pw.is_empty() {
        return None;
    }
    match psych::cable_yaml(pw) {
        v if v.sends_same() => None,
        psych::CableYaml::Changed { why, .. } | psych::CableYaml::Error(why) => Some(why),
        psych::CableYaml::Kept => None,
    }
}

/// Characters left as they are in URL userinfo: RFC 3986 "unreserved". Everything else is
/// percent-encoded, which Chatwoot's redis-client decodes back (it uses form decoding, so a
/// literal `+` would become a space: it is encoded too).
pub fn percent_encode_userinfo(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One `host:port` entry of `REDIS_SENTINELS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelAddr {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for SentinelAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Parses one sentinel entry with Chatwoot's rules, refusing what Chatwoot would misread.
pub fn parse_sentinel_entry(entry: &str) -> Result<SentinelAddr, String> {
    let entry: String = entry.chars().filter(|c| *c != ' ').collect();
    if entry.is_empty() {
        return Err("an empty entry; Chatwoot silently turns it into localhost:26379".to_string());
    }
    if entry.contains("://") {
        return Err(format!(
            "{entry:?} has a scheme; REDIS_SENTINELS takes bare host:port entries"
        ));
    }
    if entry.contains(';') {
        return Err(format!(
            "{entry:?} contains ';'; REDIS_SENTINELS separates entries with commas"
        ));
    }
    if entry.starts_with('[') || entry.matches(':').count() > 1 {
        return Err(format!(
            "{entry:?} looks like an IPv6 literal; Chatwoot's sentinel parser cannot read \
             IPv6 addresses (use a host name)"
        ));
    }
    let (host, port) = match entry.split_once(':') {
        Some((h, p)) => {
            if p.is_empty() {
                return Err(format!(
                    "{entry:?} has a colon but no port; Chatwoot crashes at connect"
                ));
            }
            let port: u16 = p
                .parse()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{p:?} in {entry:?} is not a port (1-65535)"))?;
            (h, port)
        }
        None => (entry.as_str(), DEFAULT_SENTINEL_PORT),
    };
    validate_host(host).map_err(|why| format!("host {host:?}: {why}"))?;
    Ok(SentinelAddr {
        host: host.to_string(),
        port,
    })
}

/// Parses a whole `REDIS_SENTINELS` value (comma separated). Empty fields at the end are
/// dropped, as Ruby's `split(',')` drops them (`a,b,` is two sentinels); an empty field
/// anywhere else, or one holding only blanks, is refused.
pub fn parse_sentinels(value: &str) -> Result<Vec<SentinelAddr>, String> {
    let mut fields: Vec<&str> = value.split(',').collect();
    // One field is kept, so that a value of only commas is named as an empty entry.
    while fields.len() > 1 && fields.last() == Some(&"") {
        fields.pop();
    }
    fields
        .into_iter()
        .enumerate()
        .map(|(i, e)| parse_sentinel_entry(e).map_err(|why| format!("entry {}: {why}", i + 1)))
        .collect()
}

/// A host name or IP address as it can appear in `REDIS_URL` and in the generated files.
///
/// A host name is what the system resolver looks up as written (glibc's `res_hnok`): letters,
/// digits, `-` and `_` in labels of 1 to 63 bytes separated by `.`, at most 253 bytes (254
/// with the optional final `.`), not starting with `-`; and not a number the resolver reads as
/// another IPv4 address first (`0777` is 0.0.1.255, `127.1` is 127.0.0.1). IPv6 literals are
/// accepted bare (`::1`) and written in brackets in URLs.
pub fn validate_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("it is empty".into());
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(());
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err(format!(
                "it is an IPv6 address in brackets; give it without them ({inner}): URLs get \
                 the brackets where they need them"
            ));
        }
    }
    if let Some((addr, _)) = host.split_once('%') {
        if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err("it has an IPv6 zone id (%…), which a redis:// URL cannot carry".into());
        }
    }
    if let Some(ip) = inet_aton(host).filter(|ip| ip.to_string() != host) {
        return Err(format!(
            "the resolver reads it as the IPv4 address {ip}, not as a name; write {ip} if that \
             address is meant"
        ));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        let what = match c {
            ' ' | '\t' => "a space".to_string(),
            '\n' | '\r' => "a line break".to_string(),
            c if c.is_control() => "a control character".to_string(),
            c => format!("{c:?}"),
        };
        return Err(format!(
            "it contains {what}; a host is letters, digits, '-', '_' and '.' (or an IP address)"
        ));
    }
    // One final `.` marks the name as absolute; it is not a label.
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > 253 {
        return Err("it is longer than 253 characters (the longest name DNS carries)".into());
    }
    if name.split('.').any(str::is_empty) {
        return Err("it has an empty label (a leading '.', '..', or only '.')".into());
    }
    if let Some(label) = name.split('.').find(|l| l.len() > 63) {
        return Err(format!(
            "its label {label:?} is {} characters; DNS labels are at most 63",
            label.len()
        ));
    }
    if host.starts_with('-') {
        return Err("it starts with '-', which the resolver refuses in a host name".into());
    }
    Ok(())
}

/// glibc's `inet_aton`, which getaddrinfo tries on a host before any name lookup: `a.b.c.d`,
/// `a.b.c`, `a.b` or `a`, each part decimal, octal (a leading `0`) or hex (`0x`), the last part
/// filling the bytes that are left.
fn inet_aton(text: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in parts {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (part, 10)
            };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        let value = u64::from_str_radix(digits, radix)
            .ok()
            .filter(|v| *v <= 0xffff_ffff)?;
        values.push(value);
    }
    let (last, leading) = values.split_last()?;
    let room = [0xffff_ffff, 0xff_ffff, 0xffff, 0xff][leading.len()];
    if leading.iter().any(|v| *v > 0xff) || *last > room {
        return None;
    }
    let n = leading
        .iter()
        .enumerate()
        .fold(*last, |n, (i, v)| n | v << (24 - 8 * i));
    u32::try_from(n).ok().map(std::net::Ipv4Addr::from)
}

/// Formats a host for a URL authority (brackets around IPv6 literals).
pub fn url_host(host: &str) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Who reads a Sentinel master name, which decides what it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasterNameUse {
    /// The operator's own sentinels: the name must survive Chatwoot's client (the host of
    /// `redis://<name>`) and a `sentinel monitor <name> …` line of the sentinels' config.
    External,
    /// The bundled Bitnami chart, whose scripts also paste the name unquoted into commands
    /// that bash evaluates (`eval $sentinel_info_command`).
    BundledChart,
}

/// A Sentinel master set name.
///
/// Chatwoot builds `redis://<name>` from it and its client asks the sentinels for the URL's
/// host, so the name is what Ruby's URI takes as a host, unchanged: letters, digits,
/// `- . _ ~ ! $ & ( ) * + , ; =` and `%XX` escapes (which are not decoded). A `'` opens a
/// quoted string in the sentinels' config file. The bundled chart's scripts add bash's rules:
/// no `$ & ( ) ; *`, and no `~` where bash expands it (at the start, or right after the `=` of
/// `NAME=` or `NAME+=`).
pub fn validate_master_name(name: &str, usage: MasterNameUse) -> Result<(), String> {
    if name.is_empty() {
        return Err(
            "it is empty; Chatwoot then fails with \"SentinelConfig requires either a \
                    name or an url with a host\""
                .into(),
        );
    }
    match first_outside(name, b"-._~!$&()*+,;=") {
        Some((_, true)) => {
            return Err(
                "it contains a '%' that does not start a %XX escape, which makes \
                 redis://<name> unparseable for Chatwoot's client"
                    .into(),
            )
        }
        Some((i, false)) => {
            let shown = name[i..].chars().next().unwrap_or_default();
            let why = if shown == '\'' {
                "a sentinel's config file reads it as the start of a quoted string"
            } else {
                "Chatwoot uses the name as the host of redis://<name>, which cannot hold it"
            };
            return Err(format!(
                "it contains {shown:?}: {why}; use letters, digits and - . _ ~ ! + , = (or %XX)"
            ));
        }
        None => {}
    }
    if let Some(c) = name.bytes().find(|c| b"$&();*".contains(c)) {
        if usage == MasterNameUse::BundledChart {
            return Err(format!(
                "it contains {:?}, which the bundled chart's scripts paste unquoted into \
                 commands that bash evaluates; use letters, digits and - . _",
                c as char
            ));
        }
    }
    if usage == MasterNameUse::BundledChart && bash_expands_tilde(name) {
        return Err(
            "bash expands its '~' into a home directory in the bundled chart's scripts (a \
             '~' at the start, or right after NAME= or NAME+=); use letters, digits and - . _"
                .into(),
        );
    }
    Ok(())
}

/// Whether bash's tilde expansion applies to `word` as a command argument: a `~` at its start,
/// or right after the first `=` of a word that starts `IDENTIFIER=` or `IDENTIFIER+=`.
fn bash_expands_tilde(word: &str) -> bool {
    if word.starts_with('~') {
        return true;
    }
    match word.split_once('=') {
        Some((ident, value)) => {
            // `NAME+=` is an assignment word as well.
            let ident = ident.strip_suffix('+').unwrap_or(ident);
            value.starts_with('~')
                && ident.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// The first byte of `name` that is neither a letter, a digit, one of `allowed`, nor part of a
/// `%XX` escape: its index, and whether it is a `%` that starts no escape.
fn first_outside(name: &str, allowed: &[u8]) -> Option<(usize, bool)> {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            {
                i += 3;
                continue;
            }
            return Some((i, true));
        }
        if !(b[i].is_ascii_alphanumeric() || allowed.contains(&b[i])) {
            return Some((i, false));
        }
        i += 1;
    }
    None
}

/// A Helm release name: an RFC 1123 label of at most 53 characters (Helm refuses longer ones).
pub fn validate_k8s_name(name: &str) -> Result<(), String> {
    k8s_label(name, 53)
}

/// A Kubernetes namespace: an RFC 1123 label of at most 63 characters (the API server's limit;
/// Helm itself does not check it).
pub fn validate_k8s_namespace(name: &str) -> Result<(), String> {
    k8s_label(name, 63)
}

fn k8s_label(name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() || name.len() > max {
        return Err(format!("it must be 1 to {max} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || name.starts_with('-')
        || name.ends_with('-')
    {
        return Err(
            "Kubernetes names are lower-case letters, digits and '-', starting and ending \
             with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// An ACL user name for Chatwoot. It goes into `REDIS_URL` as written: redis-client sends
/// the user part of the URL without decoding it (unlike the password), so the name must be
/// what Ruby's URI takes in userinfo before the `:`: letters, digits, `- . _ ~`, the
/// sub-delimiters `! $ & ' ( ) * + , ; =`, and `%` only as a `%XX` escape (which reaches Redis
/// as those three characters). Anything else could reach Redis only percent-encoded, that is
/// as another name. The ACL line of redis-secrets.conf quotes a name when it needs it, and
/// scenarios add their own rules (`default` where that line is written).
pub fn validate_username(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    match first_outside(name, b"-._~!$&'()*+,;=") {
        Some((_, true)) => Err(
            "it contains a '%' that does not start a %XX escape, which makes REDIS_URL \
             unparseable (redis-client does not decode user names: a %XX reaches Redis as \
             written)"
                .into(),
        ),
        Some((i, false)) => {
            let shown = name[i..].chars().next().unwrap_or_default();
            Err(format!(
                "it contains {shown:?}, which REDIS_URL can carry only percent-encoded, and \
                 redis-client sends the user name without decoding it; use letters, digits \
                 and - . _ ~ ! $ & ' ( ) * + , ; ="
            ))
        }
        None => Ok(()),
    }
}

/// Basic rules every password must meet, whatever it is used for.
pub fn validate_password_basics(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("it is empty".into());
    }
    if password.contains(['\n', '\r']) {
        return Err("it contains a line break, which no env file or config file can carry".into());
    }
    if password.contains('\0') {
        return Err("it contains a NUL byte".into());
    }
    if password.len() > 4096 {
        return Err("it is longer than 4096 bytes".into());
    }
    Ok(())
}

/// AWS ElastiCache AUTH token rules: 16-128 printable ASCII characters; the only symbols
/// allowed are `! & # $ ^ < > -`.
pub fn check_elasticache_auth_token(token: &str) -> Result<(), String> {
    let n = token.chars().count();
    if !(16..=128).contains(&n) {
        return Err(format!(
            "an ElastiCache AUTH token is 16 to 128 characters; this one is {}",
            if n < 16 { "shorter" } else { "longer" }
        ));
    }
    if token
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || "!&#$^<>-".contains(c)))
    {
        // Which character is not said: it is part of a secret.
        return Err(
            "ElastiCache AUTH tokens allow only letters, digits and ! & # $ ^ < > -; this one \
             holds another character"
                .to_string(),
        );
    }
    Ok(())
}

/// Parses `major.minor[.patch]` from a Redis `INFO` `redis_version` value.
pub fn parse_redis_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut parts = v.trim().split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The URL schemes Chatwoot's redis-client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlScheme {
    Redis,
    Rediss,
    Unix,
}

/// `REDIS_URL` as Chatwoot's redis-client (0.26) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub scheme: UrlScheme,
    /// `None` when the URL has no host (redis-client then uses `localhost`); for `unix` URLs,
    /// the socket path is in `path`.
    pub host: Option<String>,
    pub port: u16,
    /// Only from `user:pass@` (a lone `secret@` is a password), not decoded (redis-client
    /// sends it as written).
    pub username: Option<String>,
    /// Form-decoded (`%XX` and `+` → space), as redis-client decodes it.
    pub password: Option<String>,
    /// The password exactly as written in the URL.
    pub raw_password: Option<String>,
    pub db: Option<i64>,
    /// Socket path of a `unix://` URL.
    pub path: Option<String>,
}

impl RedisUrl {
    /// The host redis-client connects to.
    pub fn effective_host(&self) -> &str {
        self.host.as_deref().unwrap_or("localhost")
    }
}

/// Characters Ruby's RFC 3986 URI parser accepts in userinfo as they are (unreserved,
/// sub-delims, `:`; `%` starts an escape).
fn is_userinfo_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:%".contains(c)
}

/// Parses `REDIS_URL` with redis-client's rules ([`redis_url::parse`]: Ruby's URI, then
/// redis-client's `URLConfig`), refusing what would crash Chatwoot's boot, and also a port
/// outside 1–65535 (redis-client takes it, but connects nowhere) and a password that decodes
/// to bytes that are not text. The error never contains the password.
pub fn parse_redis_url(url: &str) -> Result<RedisUrl, String> {
    let parsed = redis_url::parse(url).map_err(|e| url_error_message(url, e))?;
    let scheme = if parsed.unix {
        UrlScheme::Unix
    } else if parsed.ssl {
        UrlScheme::Rediss
    } else {
        UrlScheme::Redis
    };
    let port = match parsed.port {
        None => 6379,
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                "the port is not a number from 1 to 65535 (redis-client accepts the URL, but                  no server can be reached there)"
                    .to_string()
            })?,
    };
    let password = match parsed.password {
        None => None,
        Some(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            "the password in the URL decodes (%XX) to bytes that are not UTF-8 text; encode              the password's UTF-8 bytes, or keep it out of the URL and set REDIS_PASSWORD"
                .to_string()
        })?),
    };
    Ok(RedisUrl {
        scheme,
        host: parsed.host,
        port,
        username: parsed.username,
        password,
        raw_password: parsed.raw_password,
        db: parsed.db,
        path: parsed.path,
    })
}

/// The message for a URL redis-client refuses; the password is never shown.
fn url_error_message(url: &str, e: redis_url::UrlError) -> String {
    use redis_url::UrlError as E;
    // The userinfo runs to the last `@`: name what the URI parser cannot take there.
    if let Some((_, rest)) = url.split_once("://") {
        if let Some(at) = rest.rfind('@') {
            let info = &rest[..at];
            let bad = info.chars().find(|c| !is_userinfo_char(*c)).or_else(|| {
                let b = info.as_bytes();
                b.iter()
                    .enumerate()
                    .any(|(i, c)| {
                        *c == b'%'
                            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                    })
                    .then_some('%')
            });
            if let (Some(bad), E::BadUri(_) | E::NotAscii) = (bad, &e) {
                let what = match bad {
                    ' ' => "a space".to_string(),
                    '%' => "a % not followed by two hex digits".to_string(),
                    c if c.is_control() => "a control character".to_string(),
                    c if !c.is_ascii() => "a non-ASCII character".to_string(),
                    c => format!("an unencoded {c:?}"),
                };
                return format!(
                    "the user/password part contains {what}; Chatwoot's URI parser cannot read \
                     such a URL and boot fails. Percent-encode the password in the URL (e.g. @ \
                     is %40, # is %23, / is %2F, ^ is %5E), or keep it out of the URL and set \
                     REDIS_PASSWORD"
                );
            }
        }
    }
    match e {
        E::NotAscii => "it contains a non-ASCII character, which Ruby's URI refuses (Chatwoot \
                        does not boot); percent-encode it or use the host's ASCII (punycode) \
                        name"
            .to_string(),
        E::BadUri(why) => format!(
            "Ruby's URI cannot read it ({why}), so Chatwoot does not boot; write it as \
             redis://[user:password@]host[:port][/db], rediss://… or unix:///path/to.sock"
        ),
        E::UnknownScheme(s) => format!(
            "unknown scheme {s:?}; Chatwoot accepts redis://, rediss:// (TLS) and unix:// \
             (or a socket path)"
        ),
        E::BadDb { text, why } => {
            if text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-_ ".contains(c))
            {
                format!("the database {text:?}: {why}")
            } else {
                format!("the database in the URL: {why}")
            }
        }
    }
}

/// Ruby's `Integer(string)`, which Chatwoot uses for `REDIS_ALFRED_SIZE`,
/// `REDIS_VELMA_SIZE` and the URL's db: surrounding whitespace allowed, optional sign,
/// `0x`/`0b`/`0o`/`0d` prefixes, a leading `0` means octal, single `_` between digits.
/// Empty or anything else raises (Chatwoot does not boot).
pub fn parse_ruby_integer(value: &str) -> Result<i64, String> {
    let s = value.trim();
    if s.is_empty() {
        return Err("it is empty; Ruby's Integer() raises on it and Chatwoot does not boot".into());
    }
    let (negative, s) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0d") {
        (10, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.get(1..).unwrap_or(""))
    } else {
        (10, lower.as_str())
    };
    let bad = || {
        format!(
            "{value:?} is not an integer; Ruby's Integer() raises on it and Chatwoot does not boot"
        )
    };
    // One sign, before the prefix: `from_str_radix` would take a second one ("+-1", "0x-1").
    if digits.is_empty()
        || digits.starts_with(['+', '-'])
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(bad());
    }
    let n = i64::from_str_radix(&digits.replace('_', ""), radix).map_err(|_| bad())?;
    Ok(if negative { -n } else { n })
}

/// Managed services are recognised by the scenario modules (one table for render and doctor).
pub use crate::scenario::{detect_provider, ManagedProvider};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cable_yaml_refuses_what_psych_changes() {
        for bad in [
            "0777",
            "0x1A",
            "1_000",
            "+1",
            "010",
            "450.00",
            "yes",
            "No",
            "nO",
            "tRUE",
            "nULL",
            "ON",
            "off",
            "true",
            "null",
            "~",
            "a #b",
            "a: b",
            "@x",
            "'x",
            "%x",
            "- x",
            "*x",
            "&x",
            "!x",
            "{",
            "[",
            "|",
            ">",
            "",
            "abc:",
            ":abc1",
            "2001-12-14",
            "2001-12-14 21:59:43",
            "190:20:30",
            ",a",
            "]a",
            "}a",
            " abc",
            "abc ",
            "#x",
            "-",
            "a\nb\n",
            "a\u{7f}",
        ] {
            assert!(
                check_cable_yaml_password(bad).is_err(),
                "{bad:?} must be refused"
            );
            assert_eq!(
                cable_yaml_definitely_changes(bad).is_some(),
                !bad.is_empty(),
                "{bad:?}: doctor and render decide alike"
            );
        }
    }

    #[test]
    fn cable_yaml_accepts_what_psych_keeps() {
        for good in [
            "Abc123",
            "x",
            "y",
            "n",
            "secretPassword",
            "a#b",
            "a$b",
            "a&b!c",
            "K9-_.~x",
            "9aBcDeFgHiJkLmNoP",
            "abc def",
            "a,b",
            "1e3",
            "1abc",
            "abc\"def",
            "a\\b",
            "pässword",
            "x-1",
            "-x",
            "?x",
            "a:b",
            "2001-02-29",
        ] {
            assert_eq!(check_cable_yaml_password(good), Ok(()), "{good:?}");
            assert_eq!(cable_yaml_definitely_changes(good), None, "{good:?}");
        }
        // Numbers the client sends as the same digits: doctor lets a live one pass, the
        // generator does not write one.
        for number in ["12345", "10.5", "1.0e+20"] {
            assert!(check_cable_yaml_password(number).is_err(), "{number:?}");
            assert_eq!(cable_yaml_definitely_changes(number), None, "{number:?}");
        }
    }

    /// The userinfo encoding round-trips through redis-client's decoding
    /// (`URI.decode_www_form_component`), as the URL reader applies it.
    #[test]
    fn userinfo_encoding_round_trips_through_form_decoding() {
        let password_of = |userinfo: &str| {
            parse_redis_url(&format!("redis://:{userinfo}@h:1"))
                .expect("a URL")
                .password
        };
        for raw in ["p+w", "a@b#c/d^e", "100%", "sp ace", "é", "a:b", "plain"] {
            let enc = percent_encode_userinfo(raw);
            assert!(!enc.contains(['+', '@', '#', '/', '^', ' ', ':']));
            assert_eq!(password_of(&enc).as_deref(), Some(raw), "{enc}");
        }
        assert_eq!(password_of("a+b").as_deref(), Some("a b"));
    }

    #[test]
    fn sentinel_entries_follow_chatwoot_rules() {
        assert_eq!(
            parse_sentinels("a:1, b").unwrap(),
            vec![
                SentinelAddr {
                    host: "a".into(),
                    port: 1
                },
                SentinelAddr {
                    host: "b".into(),
                    port: 26379
                }
            ]
        );
        assert!(parse_sentinels("a:1,,b:2").unwrap_err().contains("entry 2"));
        // Ruby's split drops empty fields at the end only (checked with `"a,b,,".split(",")`).
        for trailing in ["a:1,b", "a:1,b,", "a:1,b,,,"] {
            assert_eq!(parse_sentinels(trailing).unwrap().len(), 2, "{trailing}");
        }
        assert!(parse_sentinels(",a:1").unwrap_err().contains("entry 1"));
        assert!(parse_sentinels("a:1, ").unwrap_err().contains("entry 2"));
        assert!(parse_sentinels(",").unwrap_err().contains("empty entry"));
        assert!(parse_sentinels("").unwrap_err().contains("empty entry"));
        assert!(parse_sentinels("a: ").is_err());
        assert!(parse_sentinels("redis://a:1").is_err());
        assert!(parse_sentinels("[::1]:26379").unwrap_err().contains("IPv6"));
        // Bare IPv6 or a second colon: named as IPv6, not as a bad port of an empty host.
        assert!(parse_sentinels("fe80::1").unwrap_err().contains("IPv6"));
        assert!(parse_sentinels("a:1:2").unwrap_err().contains("IPv6"));
        assert!(parse_sentinels("a:99999").is_err());
        assert!(parse_sentinels("a:1;b:2").unwrap_err().contains("commas"));
    }

    #[test]
    fn hosts_and_names() {
        assert!(validate_host("redis").is_ok());
        assert!(validate_host("master.x.abc.use1.cache.amazonaws.com").is_ok());
        assert!(validate_host("::1").is_ok());
        assert!(validate_host("a b").is_err());
        assert!(validate_host("a\nb").is_err());
        assert!(validate_host("").is_err());
        for usage in [MasterNameUse::External, MasterNameUse::BundledChart] {
            assert!(validate_master_name("", usage).is_err());
            assert!(validate_master_name("mymaster", usage).is_ok());
        }
        assert!(validate_k8s_name("chatwoot").is_ok());
        assert!(validate_k8s_name("Chatwoot").is_err());
        assert_eq!(url_host("::1"), "[::1]");
    }

    #[test]
    fn host_names_follow_the_resolvers_label_rules() {
        let label = "a".repeat(63);
        let longest = format!("{label}.{label}.{label}.{}", "b".repeat(61));
        assert_eq!(longest.len(), 253);
        for good in [
            "a-",
            "a-.b",
            "a.-b",
            "_a",
            "a.",
            &label,
            &longest,
            &format!("{longest}."),
            "1.2.3.4",
            "1.2.3.4.",
            "1.2.3.256",
            "08",
            "0x",
            "fe80::1",
        ] {
            assert_eq!(validate_host(good), Ok(()), "{good:?}");
        }
        for bad in [
            "-a",
            ".",
            ".a",
            "a..b",
            "a b",
            "a!b",
            "fe80::1%lo",
            &format!("{label}a"),
            &format!("{longest}b"),
            &format!("{longest}b."),
            "0777",
            "0x1A",
            "010.0.0.1",
            "127.1",
            "12345",
            "[::1]",
        ] {
            assert!(validate_host(bad).is_err(), "{bad:?}");
        }
        assert!(validate_host("0777").unwrap_err().contains("0.0.1.255"));
        assert!(validate_host("[::1]")
            .unwrap_err()
            .contains("without them (::1)"));
        assert!(validate_host("fe80::1%lo").unwrap_err().contains("zone id"));
        assert!(validate_host(&format!("x.{label}a"))
            .unwrap_err()
            .contains("at most 63"));
        // The character is named, and an invisible one is described.
        for (host, named) in [
            ("a b", "a space"),
            ("a\tb", "a space"),
            ("a\nb", "a line break"),
            ("a\u{1}b", "a control character"),
            ("a!b", "'!'"),
        ] {
            let why = validate_host(host).unwrap_err();
            assert!(
                why.contains(&format!("contains {named};")),
                "{host:?}: {why}"
            );
        }
    }

    #[test]
    fn master_names_follow_the_url_host_and_for_the_chart_bashs_rules() {
        use MasterNameUse::{BundledChart, External};
        for name in [
            "a~b", "a!b", "a+b", "a,b", "a=b", "%41", "-a", "A.b_c", "1a=~x",
        ] {
            assert_eq!(validate_master_name(name, External), Ok(()), "{name:?}");
            assert_eq!(validate_master_name(name, BundledChart), Ok(()), "{name:?}");
        }
        for name in [
            "a$b", "a&b", "a(b", "a)b", "a*b", "a;b", "~a", "a=~b", "_x=~",
        ] {
            assert_eq!(validate_master_name(name, External), Ok(()), "{name:?}");
            assert!(
                validate_master_name(name, BundledChart).is_err(),
                "{name:?}"
            );
        }
        for name in [
            "a'b", "a\"b", "a%4", "a%", "a b", "a:b", "a@b", "a/b", "a#b", "é", "",
        ] {
            for usage in [External, BundledChart] {
                assert!(validate_master_name(name, usage).is_err(), "{name:?}");
            }
        }
        assert!(validate_master_name("a'b", External)
            .unwrap_err()
            .contains("quoted string"));
        assert!(validate_master_name("a;b", BundledChart)
            .unwrap_err()
            .contains("bash"));
        assert!(validate_master_name("~a", BundledChart)
            .unwrap_err()
            .contains("home directory"));
    }

    #[test]
    fn numbers_are_read_as_ipv4_addresses_as_glibcs_inet_aton_reads_them() {
        let ip = |s: &str| inet_aton(s).map(|a| a.to_string());
        for (text, want) in [
            ("1.2.3.4", "1.2.3.4"),
            ("0777", "0.0.1.255"),
            ("0x1A", "0.0.0.26"),
            ("0X1a.0", "26.0.0.0"),
            ("010.0.0.1", "8.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("1.2.65535", "1.2.255.255"),
            ("1.16777215", "1.255.255.255"),
            ("4294967295", "255.255.255.255"),
            ("0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
        ] {
            assert_eq!(ip(text).as_deref(), Some(want), "{text:?}");
        }
        for text in [
            "",
            "1.2.3.4.",
            "1.2.3.4.5",
            "1..2",
            "08",
            "0x",
            "0x1g",
            "1.256.0.0",
            "1.2.65536",
            "4294967296",
            "a",
            "1e5",
            "99999999999999999999",
            // Rust's number parser takes a sign; inet_aton's parts start with a digit.
            "+1",
            "0x+1",
            "1.+2",
        ] {
            assert_eq!(ip(text), None, "{text:?}");
        }
    }

    #[test]
    fn bash_expands_a_tilde_at_the_start_or_after_an_identifiers_equals_sign() {
        for word in ["~", "~a", "a=~", "_x1=~b", "A=~/x", "a+=~", "_b+=~x"] {
            assert!(bash_expands_tilde(word), "{word:?}");
        }
        for word in [
            "a~", "a~b", "1a=~b", "a-b=~", "=~", "a=b=~c", "a=b~", "", "+=~", "a+b=~",
        ] {
            assert!(!bash_expands_tilde(word), "{word:?}");
        }
    }

    #[test]
    fn elasticache_tokens() {
        assert!(check_elasticache_auth_token("abcdefghijklmnop").is_ok());
        assert!(check_elasticache_auth_token("short").is_err());
        assert!(check_elasticache_auth_token("abcdefghijklmnop@").is_err());
        assert!(check_elasticache_auth_token("abcdefgh!&#$^<>-").is_ok());
    }

    #[test]
    fn versions() {
        assert_eq!(parse_redis_version("7.2.4"), Some((7, 2, 4)));
        assert_eq!(parse_redis_version("6.0"), Some((6, 0, 0)));
        assert_eq!(parse_redis_version("x"), None);
    }

    #[test]
    fn redis_urls_as_redis_client_reads_them() {
        let u = parse_redis_url("rediss://chatwoot:p%40ss+w@host.example:6380/2").unwrap();
        assert_eq!(u.scheme, UrlScheme::Rediss);
        assert_eq!(u.host.as_deref(), Some("host.example"));
        assert_eq!(u.port, 6380);
        assert_eq!(u.username.as_deref(), Some("chatwoot"));
        assert_eq!(u.password.as_deref(), Some("p@ss w"));
        assert_eq!(u.raw_password.as_deref(), Some("p%40ss+w"));
        assert_eq!(u.db, Some(2));

        let u = parse_redis_url("redis://secret@redis").unwrap();
        assert_eq!((u.username, u.password.as_deref()), (None, Some("secret")));
        assert_eq!(u.port, 6379);
        let u = parse_redis_url("redis://:pw@[::1]:7000?db=3").unwrap();
        assert_eq!(
            (u.host.as_deref(), u.port, u.db),
            (Some("::1"), 7000, Some(3))
        );
        assert_eq!(
            parse_redis_url("redis://").unwrap().effective_host(),
            "localhost"
        );
        let u = parse_redis_url("unix:///run/redis.sock").unwrap();
        assert_eq!(u.path.as_deref(), Some("/run/redis.sock"));
    }

    #[test]
    fn redis_urls_chatwoot_cannot_read() {
        for (bad, needle) in [
            ("redis://:a@b@host:6379", "'@'"),
            ("redis://:a#b@host:6379", "'#'"),
            ("redis://:a/b@host:6379", "'/'"),
            ("redis://:a^b@host:6379", "'^'"),
            ("redis://:a b@host:6379", "space"),
            ("redis://:a%zz@host", "%"),
            ("http://host", "scheme"),
            ("redis://host:abc", "port"),
            ("redis://:forgotten", "port"),
            ("redis://host/x", "database"),
            ("host:6379", "scheme"),
            ("redis://ho st:6379", "URI"),
            ("redis://::1:6379", "URI"),
            ("redis://[fe80::1%25eth0]:6379", "zone"),
            ("redis://hôst", "non-ASCII"),
            (
                "redis://:pässword@host",
                "user/password part contains a non-ASCII",
            ),
            (
                "redis://:a\u{1}b@host",
                "user/password part contains a control",
            ),
            ("redis://host:0", "65535"),
        ] {
            let err = parse_redis_url(bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
            assert!(!err.contains("a#b") && !err.contains("a^b"), "{err}");
            assert!(!err.contains("forgotten"), "{err}");
        }
        // IPvFuture literals, as Ruby's URI pattern reads them.
        for (url, ok) in [
            ("redis://[v1.x]:6379", true),
            ("redis://[v1f.a:b]:1", true),
            ("redis://[V1.x]:6379", false),
            ("redis://[v.x]:6379", false),
            ("redis://[vg.x]:6379", false),
            ("redis://[v1.]:6379", false),
            ("redis://[v1.x/y]:6379", false),
        ] {
            assert_eq!(parse_redis_url(url).is_ok(), ok, "{url}");
        }
        // A valid escape is never the one blamed: the problem is elsewhere.
        for (bad, needle) in [
            ("redis://:p%41@ho st:6379", "URI"),
            ("redis://:%41x@ho st:6379", "URI"),
            ("redis://:x%4@host", "% not followed"),
            ("redis://:%4@host", "% not followed"),
            ("redis://:%4a%g1@host", "% not followed"),
        ] {
            let err = parse_redis_url(bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
            if needle == "URI" {
                assert!(!err.contains("% not followed"), "{bad}: {err}");
            }
        }
    }

    #[test]
    fn ruby_integer_rules() {
        assert_eq!(parse_ruby_integer(" 10 "), Ok(10));
        assert_eq!(parse_ruby_integer("0777"), Ok(511));
        assert_eq!(parse_ruby_integer("0x1A"), Ok(26));
        assert_eq!(parse_ruby_integer("1_000"), Ok(1000));
        assert_eq!(parse_ruby_integer("-3"), Ok(-3));
        assert_eq!(parse_ruby_integer("0"), Ok(0));
        for bad in ["", " ", "ten", "1__0", "_1", "1_", "08", "1.5", "0x"] {
            assert!(parse_ruby_integer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kubernetes_names_stop_at_helm_and_namespace_limits() {
        let release = |n: usize| validate_k8s_name(&"r".repeat(n));
        let namespace = |n: usize| validate_k8s_namespace(&"n".repeat(n));
        assert!(release(1).is_ok() && release(53).is_ok());
        assert_eq!(release(54), Err("it must be 1 to 53 characters".into()));
        assert!(release(0).is_err());
        assert!(namespace(63).is_ok());
        assert_eq!(namespace(64), Err("it must be 1 to 63 characters".into()));
        assert!(namespace(0).is_err());
        for bad in ["-a", "a-", "-", "a_b", "a.b", "a b", "\u{e9}"] {
            assert!(validate_k8s_name(bad).is_err(), "{bad:?}");
            assert!(validate_k8s_namespace(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "0", "a-b", "a--b", "9chat-woot0"] {
            assert_eq!(validate_k8s_name(good), Ok(()), "{good:?}");
            assert_eq!(validate_k8s_namespace(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn acl_user_names_are_what_the_url_carries_unchanged() {
        for good in [
            "chatwoot",
            "a",
            "A.b-c_9",
            "~a",
            "a+b",
            "a'b",
            "!$&'()*+,;=",
            "a%41b",
            "%4a%4A",
        ] {
            assert_eq!(validate_username(good), Ok(()), "{good:?}");
            // Written as is, Ruby URI's userinfo takes it whole, up to the `:`.
            let url = format!("redis://{good}:p@h:1");
            let parsed = parse_redis_url(&url).expect("a URL");
            assert_eq!(parsed.username.as_deref(), Some(good), "{url}");
        }
        assert!(validate_username("").is_err());
        for bad in [
            "a b", "a:b", "a@b", "a/b", "a#b", ">a", "a\"b", "a\\b", "a^b", "a[b", "a{b", "a|b",
            "a`b", "a?b", "a\tb", "\u{e9}",
        ] {
            let err = validate_username(bad).unwrap_err();
            assert!(
                err.contains("it contains") && err.contains("percent-encoded"),
                "{bad:?}: {err}"
            );
        }
        for bad in ["a%b", "a%4", "%", "a%4g", "a%%41"] {
            let err = validate_username(bad).unwrap_err();
            assert!(err.contains("%XX"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn password_basics_refuse_exactly_empty_breaks_nul_and_over_4096_bytes() {
        assert!(validate_password_basics("").is_err());
        assert!(validate_password_basics("a\nb").is_err());
        assert!(validate_password_basics("a\rb").is_err());
        assert!(validate_password_basics("a\0b").is_err());
        assert_eq!(validate_password_basics(&"a".repeat(4096)), Ok(()));
        assert!(validate_password_basics(&"a".repeat(4097)).is_err());
        // Bytes, not characters: 2049 two-byte characters are 4098 bytes.
        assert!(validate_password_basics(&"\u{e9}".repeat(2049)).is_err());
        assert_eq!(validate_password_basics(" \t#$'\""), Ok(()));
    }

    #[test]
    fn elasticache_tokens_are_16_to_128_characters_of_the_allowed_symbols() {
        let len = |n: usize| check_elasticache_auth_token(&"a".repeat(n));
        assert!(len(15).unwrap_err().contains("shorter"));
        assert_eq!(len(16), Ok(()));
        assert_eq!(len(128), Ok(()));
        assert!(len(129).unwrap_err().contains("longer"));
        // Characters, not bytes.
        assert!(check_elasticache_auth_token(&"\u{e9}".repeat(16))
            .unwrap_err()
            .contains("only letters"));
        for c in "!&#$^<>-".chars() {
            assert_eq!(
                check_elasticache_auth_token(&format!("abcdefghijklmno{c}")),
                Ok(())
            );
        }
        for c in "@%/: ~*'\"".chars() {
            let err = check_elasticache_auth_token(&format!("abcdefghijklmno{c}")).unwrap_err();
            assert!(err.contains("only letters"), "{c:?}: {err}");
        }
    }

    #[test]
    fn cable_yaml_problems_say_what_yaml_makes_of_the_password() {
        let why = check_cable_yaml_password("yes").unwrap_err();
        assert_eq!(why.to_string(), why.0);
        assert!(why.to_string().len() > 10, "{why}");
        assert_eq!(check_cable_yaml_password("Plain0Password0abc"), Ok(()));
    }

    /// Ruby's `Integer()` takes the sign before a radix prefix: `Integer("+0x10")` is 16 and
    /// `Integer("+010")` is 8 (octal), as `-` gives -16 and -8.
    #[test]
    fn a_plus_sign_goes_before_the_radix_prefix() {
        assert_eq!(parse_ruby_integer("+0x10"), Ok(16));
        assert_eq!(parse_ruby_integer("+010"), Ok(8));
        assert_eq!(parse_ruby_integer("-0x10"), Ok(-16));
        assert_eq!(parse_ruby_integer("-010"), Ok(-8));
        for bad in ["+-1", "-+1", "--1", "++1", "0x-1", "0x+1", "-0x+1"] {
            assert!(parse_ruby_integer(bad).is_err(), "{bad:?}: Ruby raises");
        }
    }

    /// A refusal says what ActionCable would get instead of the password.
    #[test]
    fn cable_yaml_refusals_name_what_actioncable_would_get() {
        for (password, gets) in [
            ("0777", "an Integer"),
            ("450.00", "a Float"),
            (":abc1", "a Symbol"),
            ("yes", "a boolean"),
            ("~", "nil"),
        ] {
            let why = check_cable_yaml_password(password)
                .expect_err("refused")
                .to_string();
            assert!(why.contains(gets), "{password:?}: {why}");
        }
    }
}
