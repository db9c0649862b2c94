//! How Chatwoot (v4.x: redis 5 / redis-client 0.26, Sidekiq 7, Rails 7.1) reads its Redis
//! settings. Every rule here mirrors behaviour of Chatwoot's own code; the generator uses them to
//! refuse what Chatwoot would misread, and `doctor` uses them to explain what it finds.

use std::fmt;

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

/// YAML 1.1 words that Psych turns into booleans or null.
const YAML_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nil", "~",
];

/// Punctuation that is safe in the middle of a plain YAML scalar in block context and in
/// every env-file reader when single-quoted.
const CABLE_SAFE_PUNCTUATION: &str = "-_.~!&#$^<>*+=%@/?;()";

/// Checks that `REDIS_PASSWORD` survives cable.yml's YAML load as exactly the same string.
///
/// The rule is deliberately narrower than YAML itself: it must start with an ASCII letter (no
/// number, octal, hex, date, indicator or tag can then start) and hold only letters, digits and
/// a few punctuation characters that are inert inside a plain scalar. Spaces, quotes, colons,
/// backslashes and flow indicators are refused, as are the YAML 1.1 boolean and null words.
pub fn check_cable_yaml_password(password: &str) -> Result<(), CableYamlProblem> {
    let first = password.chars().next();
    match first {
        None => return Err(CableYamlProblem("it is empty".into())),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(CableYamlProblem(format!(
                "it starts with {c:?}; YAML reads a leading digit, sign or symbol as a number, \
                 date, comment, anchor, alias, tag or syntax (e.g. 0777 becomes 511, @x and 'x \
                 are errors)"
            )))
        }
        Some(_) => {}
    }
    if YAML_WORDS.iter().any(|w| w.eq_ignore_ascii_case(password)) {
        return Err(CableYamlProblem(format!(
            "YAML reads the word {password:?} as a boolean or null, not as a string"
        )));
    }
    if let Some(bad) = password
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || CABLE_SAFE_PUNCTUATION.contains(*c)))
    {
        let what = match bad {
            ' ' | '\t' => "a space or tab (` #` starts a comment, `: ` a mapping)".to_string(),
            '\n' | '\r' => "a line break".to_string(),
            ':' => "a colon (`a: b` is a YAML mapping)".to_string(),
            '\'' | '"' | '\\' => format!("the quote or escape character {bad:?}"),
            ',' | '[' | ']' | '{' | '}' | '|' | '`' => {
                format!("the YAML indicator {bad:?}")
            }
            c if c.is_ascii_control() => "a control character".to_string(),
            c if !c.is_ascii() => format!("the non-ASCII character {c:?}"),
            c => format!("the character {c:?}"),
        };
        return Err(CableYamlProblem(format!(
            "it contains {what}, which the YAML load of cable.yml does not keep as-is"
        )));
    }
    Ok(())
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

/// Decodes URL userinfo the way redis-client does (`URI.decode_www_form_component`): `%XX`
/// escapes and `+` as a space. A `%` not followed by two hex digits is an error there too.
pub fn form_decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("invalid %-encoding at byte {i} of {raw:?}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the decoded value is not UTF-8".to_string())
}

/// One `host:port` entry of `REDIS_SENTINELS`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SentinelAddr {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for SentinelAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl From<SentinelAddr> for String {
    fn from(a: SentinelAddr) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for SentinelAddr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_sentinel_entry(&s)
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

/// Parses a whole `REDIS_SENTINELS` value (comma separated).
pub fn parse_sentinels(value: &str) -> Result<Vec<SentinelAddr>, String> {
    value
        .split(',')
        .enumerate()
        .map(|(i, e)| parse_sentinel_entry(e).map_err(|why| format!("entry {}: {why}", i + 1)))
        .collect()
}

/// A host name or IP address as it can appear in `REDIS_URL` and in the generated files.
///
/// Host names are letters, digits, `-`, `_` and `.` (Kubernetes, Compose and cloud endpoints
/// all fit); IPv6 literals are accepted bare (`::1`) and written in brackets in URLs.
pub fn validate_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("it is empty".into());
    }
    if host.len() > 253 {
        return Err("it is longer than 253 characters".into());
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(());
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
    if host.starts_with(['-', '.']) || host.ends_with('-') || host.contains("..") {
        return Err("it is not a valid host name (leading/trailing '-' or '.', or '..')".into());
    }
    Ok(())
}

/// Formats a host for a URL authority (brackets around IPv6 literals).
pub fn url_host(host: &str) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A Sentinel master set name: Chatwoot builds `redis://<name>` from it, so it must be a
/// valid URL host and never empty.
pub fn validate_master_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(
            "it is empty; Chatwoot then fails with \"SentinelConfig requires either a \
                    name or an url with a host\""
                .into(),
        );
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "it contains {c:?}; Chatwoot uses the name as the host of redis://<name>, so only \
             letters, digits, '-', '_' and '.' work"
        ));
    }
    Ok(())
}

/// A Kubernetes name (release, namespace, Secret): an RFC 1123 label.
pub fn validate_k8s_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 53 {
        return Err("it must be 1 to 53 characters".into());
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

/// An ACL user name for Chatwoot (it goes into `REDIS_URL` userinfo and an ACL rule).
pub fn validate_username(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "it contains {c:?}; use letters, digits, '-', '_' and '.' (the name appears in \
             the URL and in an ACL rule)"
        ));
    }
    Ok(())
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
            "an ElastiCache AUTH token is 16 to 128 characters; this one has {n}"
        ));
    }
    if let Some(c) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!&#$^<>-".contains(*c)))
    {
        return Err(format!(
            "ElastiCache AUTH tokens allow only letters, digits and ! & # $ ^ < > -; found {c:?}"
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cable_yaml_refuses_the_documented_traps() {
        for bad in [
            "0777",
            "0x1A",
            "1_000",
            "yes",
            "No",
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
            "a b",
            "",
            "pässword",
            "abc:",
            "a\"b",
            "a\\b",
        ] {
            assert!(
                check_cable_yaml_password(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn cable_yaml_accepts_generated_style_and_inert_symbols() {
        for good in [
            "Abc123",
            "x",
            "secretPassword",
            "a#b",
            "a$b",
            "a&b!c",
            "K9-_.~x",
        ] {
            assert_eq!(check_cable_yaml_password(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn userinfo_encoding_round_trips_through_form_decoding() {
        for raw in ["p+w", "a@b#c/d^e", "100%", "sp ace", "é", "a:b", "plain"] {
            let enc = percent_encode_userinfo(raw);
            assert!(!enc.contains(['+', '@', '#', '/', '^', ' ', ':']));
            assert_eq!(form_decode(&enc).as_deref(), Ok(raw));
        }
        assert_eq!(form_decode("a+b").as_deref(), Ok("a b"));
        assert!(form_decode("a%zz").is_err());
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
        assert!(parse_sentinels("a: ").is_err());
        assert!(parse_sentinels("redis://a:1").is_err());
        assert!(parse_sentinels("[::1]:26379").is_err());
        assert!(parse_sentinels("a:99999").is_err());
    }

    #[test]
    fn hosts_and_names() {
        assert!(validate_host("redis").is_ok());
        assert!(validate_host("master.x.abc.use1.cache.amazonaws.com").is_ok());
        assert!(validate_host("::1").is_ok());
        assert!(validate_host("a b").is_err());
        assert!(validate_host("a\nb").is_err());
        assert!(validate_host("").is_err());
        assert!(validate_master_name("").is_err());
        assert!(validate_master_name("mymaster").is_ok());
        assert!(validate_k8s_name("chatwoot").is_ok());
        assert!(validate_k8s_name("Chatwoot").is_err());
        assert_eq!(url_host("::1"), "[::1]");
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
}
