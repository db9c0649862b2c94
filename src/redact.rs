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
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Secrets shorter than this are not searched for: replacing every `a` of a report to hide
    /// a one-letter password would destroy the report (and such a password is found by the
    /// static checks anyway).
    pub const MIN_LEN: usize = 4;

    pub fn add(&mut self, secret: &str) {
        if secret.len() >= Self::MIN_LEN && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
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
}
