//! Keeping secrets out of everything the tool prints.

/// What a hidden secret is replaced with.
pub const MASK: &str = "***";

/// A Redis URL with its password (or lone `secret@` userinfo) replaced by `***`; the user
/// name, host, port and db stay visible. Works on URLs Chatwoot cannot parse too: everything
/// between `://` and the last `@` is userinfo.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.rfind('@') else {
        // No userinfo; but in `redis://:secret` (host forgotten) the "port" is the password.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(colon) = rest[..end].rfind(':') {
            let port = &rest[colon + 1..end];
            if !port.bytes().all(|b| b.is_ascii_digit()) && !rest[..end].ends_with(']') {
                return format!(
                    "{}{}{MASK}{}",
                    &url[..scheme_end + 3],
                    &rest[..=colon],
                    &rest[end..]
                );
            }
        }
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:{MASK}"),
        None => MASK.to_string(),
    };
    format!("{}{shown}{}", &url[..scheme_end + 3], &rest[at..])
}

/// Replaces every known secret in a text that is about to be printed: the last line of
/// defence behind code that never formats a secret on purpose.
///
/// A secret is found in every form it can take in output, even mixed within one occurrence:
/// raw; percent-encoded (either case of hex, `+` for a space as form encoding has it); escaped
/// with a backslash the way shells, JSON, YAML double quotes, Rust and Ruby `inspect` do (`\"`,
/// `\\`, `\#`, `\xHH`, `\uHHHH`, `\u{H…}`, `\n`, `\t`, `\e`, octal); quoted for a shell (`'\''`
/// and `'"'"'` for a quote) or YAML single quotes (`''`); and as decimal bytes
/// (`112, 97, 115`, the way a byte list is shown).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Vec<u8>>,
}

/// One decoded unit of output text: the bytes it stands for and how many text bytes it took.
fn units(text: &[u8], k: usize, want: u8) -> impl Iterator<Item = (Vec<u8>, usize)> + '_ {
    let rest = &text[k..];
    let mut found: Vec<(Vec<u8>, usize)> = Vec::with_capacity(2);
    let hex = |h: &[u8]| -> Option<u32> {
        let s = std::str::from_utf8(h).ok()?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    };
    let utf8 =
        |c: u32| -> Option<Vec<u8>> { char::from_u32(c).map(|c| c.to_string().into_bytes()) };
    match rest.first().copied() {
        None => {}
        Some(b'%') if rest.len() >= 3 => {
            if let Some(v) = hex(&rest[1..3]) {
                found.push((vec![v as u8], 3));
            }
        }
        Some(b'+') if want == b' ' => found.push((vec![b' '], 1)),
        Some(b'\'') if want == b'\'' => {
            if rest.starts_with(b"'\\''") {
                found.push((vec![b'\''], 4));
            } else if rest.starts_with(b"'\"'\"'") {
                found.push((vec![b'\''], 5));
            } else if rest.starts_with(b"''") {
                found.push((vec![b'\''], 2));
            }
        }
        Some(b'\\') if rest.len() >= 2 => {
            let named = match rest[1] {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'e' => Some(0x1b),
                b'0' if rest.get(2).is_none_or(|b| !(b'0'..=b'7').contains(b)) => Some(0),
                _ => None,
            };
            if let Some(v) = named {
                found.push((vec![v], 2));
            }
            match rest[1] {
                b'x' if rest.len() >= 4 => {
                    if let Some(v) = hex(&rest[2..4]) {
                        found.push((vec![v as u8], 4));
                    }
                }
                b'u' if rest.get(2) == Some(&b'{') => {
                    if let Some(close) = rest.iter().take(12).position(|&b| b == b'}') {
                        if let Some(bytes) = hex(&rest[3..close]).and_then(utf8) {
                            found.push((bytes, close + 1));
                        }
                    }
                }
                b'u' if rest.len() >= 6 => {
                    if let Some(bytes) = hex(&rest[2..6]).and_then(utf8) {
                        found.push((bytes, 6));
                    }
                }
                b'0'..=b'7' => {
                    let digits = rest[1..]
                        .iter()
                        .take(3)
                        .take_while(|b| (b'0'..=b'7').contains(b))
                        .count();
                    if let Ok(v) =
                        u8::from_str_radix(&String::from_utf8_lossy(&rest[1..1 + digits]), 8)
                    {
                        found.push((vec![v], 1 + digits));
                    }
                }
                c if !c.is_ascii_alphanumeric() => found.push((vec![c], 2)),
                _ => {}
            }
        }
        _ => {}
    }
    found.into_iter()
}

impl Redactor {
    /// Secrets shorter than this are not searched for: replacing every `a` of a report to hide
    /// a one-letter password would destroy the report (and such a password is found by the
    /// static checks anyway).
    pub const MIN_LEN: usize = 4;

    pub fn add(&mut self, secret: &str) {
        let bytes = secret.as_bytes().to_vec();
        if bytes.len() >= Self::MIN_LEN && !self.secrets.contains(&bytes) {
            self.secrets.push(bytes);
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// The length of the encoded occurrence of `secret` starting at `text[k]`, if any.
    fn match_at(text: &[u8], k: usize, secret: &[u8]) -> Option<usize> {
        // Depth-first over the decodings: at each place the literal byte or an encoding.
        fn go(text: &[u8], k: usize, secret: &[u8], j: usize, budget: &mut u32) -> Option<usize> {
            if j == secret.len() {
                return Some(k);
            }
            if *budget == 0 || k >= text.len() {
                return None;
            }
            *budget -= 1;
            if text[k] == secret[j] {
                if let Some(end) = go(text, k + 1, secret, j + 1, budget) {
                    return Some(end);
                }
            }
            for (bytes, used) in units(text, k, secret[j]) {
                if secret[j..].starts_with(&bytes) {
                    if let Some(end) = go(text, k + used, secret, j + bytes.len(), budget) {
                        return Some(end);
                    }
                }
            }
            None
        }
        let mut budget = 64 * secret.len() as u32 + 64;
        go(text, k, secret, 0, &mut budget).map(|end| end - k)
    }

    /// `secret` as decimal bytes, as a byte list is printed (`112, 97, 115, 115`).
    fn decimal_forms(secret: &[u8]) -> [String; 2] {
        let nums: Vec<String> = secret.iter().map(u8::to_string).collect();
        [nums.join(", "), nums.join(",")]
    }

    pub fn scrub(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let mut current = text.to_string();
        // Decimal byte lists first (they are plain text).
        for s in &self.secrets {
            for form in Self::decimal_forms(s) {
                if current.contains(&form) {
                    current = current.replace(&form, MASK);
                }
            }
        }
        let bytes = current.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut k = 0;
        'outer: while k < bytes.len() {
            for s in &self.secrets {
                if let Some(len) = Self::match_at(bytes, k, s) {
                    out.extend_from_slice(MASK.as_bytes());
                    k += len;
                    continue 'outer;
                }
            }
            out.push(bytes[k]);
            k += 1;
        }
        // Masks replace whole matches; a match may still end inside a multi-byte character of
        // an escaped form, so decode lossily rather than trust the boundaries.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// The longest echoed value (a server's answer, a value from a file) in a message, in chars.
pub const ECHO_MAX: usize = 200;

/// `text` cut to `max` characters, with an ellipsis and the full length when it was longer.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!(
            "{}… ({} characters in all)",
            &text[..at],
            text.chars().count()
        ),
    }
}

/// `text` safe to print on a terminal: control characters (C0, DEL, C1: escape sequences,
/// carriage returns, bells) and the bidirectional overrides that reorder what is shown are
/// written as `\u{…}` escapes; everything else is kept.
pub fn printable(text: &str) -> String {
    let hostile = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(hostile) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hostile(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_only() {
        assert_eq!(
            redact_url("rediss://chatwoot:s3cr3t@h:6380/1"),
            "rediss://chatwoot:***@h:6380/1"
        );
        assert_eq!(redact_url("redis://:s3cr3t@h"), "redis://:***@h");
        assert_eq!(redact_url("redis://s3cr3t@h"), "redis://***@h");
        assert_eq!(redact_url("redis://:a@b#c@h:1"), "redis://:***@h:1");
        assert_eq!(redact_url("redis://h:6379"), "redis://h:6379");
        assert_eq!(redact_url("redis://[::1]:6379/0"), "redis://[::1]:6379/0");
        assert_eq!(redact_url("redis://[::1]/0"), "redis://[::1]/0");
        assert_eq!(redact_url("redis://:s3cr3t"), "redis://:***");
        assert_eq!(redact_url("redis://h:s3cr3t/1"), "redis://h:***/1");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn redactor_hides_every_secret() {
        let mut r = Redactor::default();
        r.add("s3cr3t");
        r.add("s3cr3t-longer");
        r.add("ab");
        assert_eq!(r.scrub("x s3cr3t-longer y s3cr3t ab"), "x *** y *** ab");
    }

    /// A password with every character class that gets encoded or escaped somewhere.
    const PW: &str = "p@ss w'rd\"\\#+%é";

    fn masked(text: &str) -> String {
        let mut r = Redactor::default();
        r.add(PW);
        r.scrub(text)
    }

    #[test]
    fn every_form_of_a_password_is_masked() {
        let forms = [
            // raw, percent-encoded (upper, lower, everything), form-encoded
            PW.to_string(),
            "p%40ss%20w%27rd%22%5C%23%2B%25%C3%A9".to_string(),
            "p%40ss%20w%27rd%22%5c%23%2b%25%c3%a9".to_string(),
            PW.bytes().map(|b| format!("%{b:02X}")).collect::<String>(),
            "p%40ss+w%27rd%22%5C%23%2B%25%C3%A9".to_string(),
            // JSON, Rust debug, YAML double-quoted, Ruby inspect
            serde_json::to_string(PW).expect("json"),
            format!("{PW:?}"),
            r#""p@ss w'rd\"\\\#+%\u00e9""#.to_string(),
            r#""p@ss w'rd\"\\\#+%\u{e9}""#.to_string(),
            r#""p@ss w'rd\"\\#+%\xC3\xA9""#.to_string(),
            // shell single quotes, both idioms; YAML single quotes
            r#"'p@ss w'\''rd"\#+%é'"#.to_string(),
            r#"'p@ss w'"'"'rd"\#+%é'"#.to_string(),
            "'p@ss w''rd\"\\#+%é'".to_string(),
            // shell backslashes
            r#"p\@ss\ w\'rd\"\\\#\+\%é"#.to_string(),
            // decimal bytes, as a byte list prints
            format!("{:?}", PW.as_bytes()),
            // a unix socket URL
            format!("unix://:{PW}@/var/run/redis.sock"),
        ];
        for form in forms {
            let out = masked(&format!("server said [{form}] ok"));
            assert!(out.contains(MASK), "not masked: {form} -> {out}");
            for piece in ["ss w", "rd", "112, 64"] {
                assert!(!out.contains(piece), "{piece} of {form} left in {out}");
            }
            assert!(
                out.starts_with("server said [") && out.ends_with("] ok"),
                "{out}"
            );
        }
    }

    #[test]
    fn unrelated_text_is_kept_whole() {
        let text = "connect 127.0.0.1:6379 %41 \\n 'quoted' 1, 2, 3 é";
        assert_eq!(masked(text), text);
        let mut r = Redactor::default();
        r.add("s3cr3tword");
        assert_eq!(r.scrub("s3cr3tw0rd s3cr3twor"), "s3cr3tw0rd s3cr3twor");
        assert_eq!(r.scrub("x%73%33cr3tword"), "x***");
    }

    #[test]
    fn unix_urls_lose_their_password() {
        assert_eq!(
            redact_url("unix://:s3cr3t@/run/redis.sock"),
            "unix://:***@/run/redis.sock"
        );
        assert_eq!(
            redact_url("unix://u:s3cr3t@/run/redis.sock"),
            "unix://u:***@/run/redis.sock"
        );
    }

    #[test]
    fn echoes_are_clipped_and_printable() {
        let long = "x".repeat(1000);
        let clipped = clip(&long, ECHO_MAX);
        assert!(clipped.starts_with(&"x".repeat(ECHO_MAX)));
        assert!(clipped.ends_with("… (1000 characters in all)"), "{clipped}");
        assert_eq!(clip("short", ECHO_MAX), "short");
        assert_eq!(clip("ééé", 2), "éé… (3 characters in all)");
        assert_eq!(
            printable("a\x1b]0;pwned\x07b\rc\u{202e}d\u{9b}e"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{d}c\\u{202e}d\\u{9b}e"
        );
        assert_eq!(printable("plain — text"), "plain — text");
    }
}
