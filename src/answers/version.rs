//! The Redis and Valkey release lines the generator offers: their ids, container images, the
//! directives each accepts, and what Chatwoot makes of them (Sidekiq 8 needs Redis 7.0, the
//! licence of Redis 8).

use crate::chatwoot;

/// A server release line the generator knows the directives of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RedisVersion {
    Redis62,
    Redis70,
    Redis72,
    Redis74,
    Redis80,
    Redis82,
    Redis84,
    Redis86,
    Redis88,
    Redis810,
    Valkey72,
    Valkey80,
    Valkey81,
    Valkey9,
}

/// One line of [`LINES`].
struct Line {
    version: RedisVersion,
    id: &'static str,
    valkey: bool,
    major: u32,
    /// `None`: the line is the whole major (`valkey-9`: 9.0 and 9.1 share the data format
    /// and accept the same configuration).
    minor: Option<u32>,
    /// The official image, pinned to the line (never `latest`/`alpine`, which move across
    /// major versions: upstream's `redis:alpine` went from 7.x to 8.x in May 2025).
    image: &'static str,
}

const fn redis(
    version: RedisVersion,
    id: &'static str,
    major: u32,
    minor: u32,
    image: &'static str,
) -> Line {
    Line {
        version,
        id,
        valkey: false,
        major,
        minor: Some(minor),
        image,
    }
}

/// Every line, oldest first within each product. Redis 8 publishes even minor lines only
/// (odd ones are previews); the official image's tags from `8.0-alpine` to `8.10-alpine`.
const LINES: [Line; 14] = [
    redis(RedisVersion::Redis62, "6.2", 6, 2, "redis:6.2-alpine"),
    redis(RedisVersion::Redis70, "7.0", 7, 0, "redis:7.0-alpine"),
    redis(RedisVersion::Redis72, "7.2", 7, 2, "redis:7.2-alpine"),
    redis(RedisVersion::Redis74, "7.4", 7, 4, "redis:7.4-alpine"),
    redis(RedisVersion::Redis80, "8.0", 8, 0, "redis:8.0-alpine"),
    redis(RedisVersion::Redis82, "8.2", 8, 2, "redis:8.2-alpine"),
    redis(RedisVersion::Redis84, "8.4", 8, 4, "redis:8.4-alpine"),
    redis(RedisVersion::Redis86, "8.6", 8, 6, "redis:8.6-alpine"),
    redis(RedisVersion::Redis88, "8.8", 8, 8, "redis:8.8-alpine"),
    redis(RedisVersion::Redis810, "8.10", 8, 10, "redis:8.10-alpine"),
    Line {
        version: RedisVersion::Valkey72,
        id: "valkey-7.2",
        valkey: true,
        major: 7,
        minor: Some(2),
        image: "valkey/valkey:7.2-alpine",
    },
    Line {
        version: RedisVersion::Valkey80,
        id: "valkey-8.0",
        valkey: true,
        major: 8,
        minor: Some(0),
        image: "valkey/valkey:8.0-alpine",
    },
    Line {
        version: RedisVersion::Valkey81,
        id: "valkey-8.1",
        valkey: true,
        major: 8,
        minor: Some(1),
        image: "valkey/valkey:8.1-alpine",
    },
    Line {
        version: RedisVersion::Valkey9,
        id: "valkey-9",
        valkey: true,
        major: 9,
        minor: None,
        image: "valkey/valkey:9-alpine",
    },
];

/// Why 6.2 is not a default any more (said wherever 6.2 is chosen).
pub const REDIS_6_2_WARNING: &str =
    "Redis 6.2 is end of life and the last line Sidekiq 7 accepts: \
     Sidekiq 8 requires Redis 7.0 or newer (Chatwoot's Gemfile allows it), so plan an upgrade \
     to 7.x, 8.x or Valkey";

/// The licence note shown where a version is chosen.
pub const LICENSE_NOTE: &str = "Redis 8 and newer is licensed AGPLv3/RSALv2/SSPLv1 (7.2 and \
     older: BSD); Valkey (valkey-*) is the BSD-licensed alternative";

/// How to read the version that wrote an existing volume or server.
pub const READ_VERSION_HINT: &str = "a server must not be older than the one that wrote its \
     data: read it with `docker compose exec redis redis-server --version` (or `redis-cli INFO \
     server`: redis_version, valkey_version)";

impl RedisVersion {
    /// In the order of [`LINES`] (the enum's order).
    pub const ALL: [RedisVersion; 14] = [
        RedisVersion::Redis62,
        RedisVersion::Redis70,
        RedisVersion::Redis72,
        RedisVersion::Redis74,
        RedisVersion::Redis80,
        RedisVersion::Redis82,
        RedisVersion::Redis84,
        RedisVersion::Redis86,
        RedisVersion::Redis88,
        RedisVersion::Redis810,
        RedisVersion::Valkey72,
        RedisVersion::Valkey80,
        RedisVersion::Valkey81,
        RedisVersion::Valkey9,
    ];

    /// The newest Redis line offered: Compose's default, as upstream's file runs the newest
    /// release.
    pub const NEWEST_REDIS: RedisVersion = RedisVersion::Redis810;

    /// `LINES` lists the lines in the enum's order (a unit test holds it to that).
    fn line(self) -> &'static Line {
        &LINES[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.line().id
    }

    /// The ids, comma-separated, for refusals and help texts.
    pub fn id_list() -> String {
        Self::ALL.map(|v| v.id()).join(", ")
    }

    /// Human name: "Redis 7.2", "Valkey 9".
    pub fn label(self) -> String {
        match self.id().strip_prefix("valkey-") {
            Some(v) => format!("Valkey {v}"),
            None => format!("Redis {}", self.id()),
        }
    }

    /// The wizard's line for a choice: id, name and what sets the line apart.
    pub fn choice_label(self) -> String {
        let l = self.line();
        let note = if self == RedisVersion::Redis62 {
            "Sidekiq 7 only, end of life"
        } else if l.valkey {
            "BSD"
        } else if l.major >= 8 {
            "AGPLv3/RSALv2/SSPLv1"
        } else {
            "BSD"
        };
        format!("{} — {} ({note})", self.id(), self.label())
    }

    /// The official container image of the line.
    pub fn image(self) -> &'static str {
        self.line().image
    }

    pub fn is_valkey(self) -> bool {
        self.line().valkey
    }

    /// Redis 7.0 directives (`enable-protected-configs`, `enable-debug-command`,
    /// `enable-module-command`, `appenddirname`) exist: every line but 6.2 (Redis 8 accepts
    /// every 7.4 directive; Valkey forked from 7.2).
    pub fn has_redis7_directives(self) -> bool {
        self != RedisVersion::Redis62
    }

    /// Warnings that choosing this line deserves.
    pub fn warnings(self) -> Vec<String> {
        let mut out = Vec::new();
        if self == RedisVersion::Redis62 {
            out.push(REDIS_6_2_WARNING.to_string());
        }
        out
    }

    /// True when a server reporting `product major.minor` runs a newer line than this one
    /// (or another product): its data files may not load on a server of this line.
    /// `valkey` is the server's `valkey_version` presence (Valkey reports `redis_version:7.2.4`).
    pub fn older_than_server(self, valkey: bool, major: u32, minor: u32) -> bool {
        let l = self.line();
        if l.valkey != valkey {
            return true;
        }
        match l.minor {
            None => major > l.major,
            Some(m) => (major, minor) > (l.major, m),
        }
    }

    /// Parses `6.2`, `8.10`, `7.2.4`, `valkey-8.1`, `valkey 9`, refusing servers Sidekiq
    /// rejects. A bare major (`8`, `valkey-8`) is that major's newest line, as the image's
    /// major tag (`redis:8-alpine`, `valkey/valkey:8-alpine`) runs it.
    pub fn parse(text: &str) -> std::result::Result<RedisVersion, String> {
        let t = text.trim().to_ascii_lowercase();
        let (valkey, num) = match t.strip_prefix("valkey") {
            Some(rest) => (true, rest.trim_start_matches(['-', ' ', '_'])),
            None => (
                false,
                t.strip_prefix("redis")
                    .unwrap_or(&t)
                    .trim_start_matches(['-', ' ']),
            ),
        };
        let Some((major, minor, _)) = chatwoot::parse_redis_version(num) else {
            return Err(format!("not a version; use one of {}", Self::id_list()));
        };
        let bare_major = !num.contains('.');
        if !valkey && (major < 6 || (major == 6 && minor < 2)) {
            return Err(format!(
                "Redis {major}.{minor} is too old: Chatwoot's Sidekiq 7 refuses to start below \
                 Redis 6.2.0"
            ));
        }
        let mut same_major = LINES
            .iter()
            .filter(|l| l.valkey == valkey && l.major == major);
        let found = if bare_major {
            same_major.next_back()
        } else {
            same_major.rfind(|l| l.minor.is_none_or(|m| m == minor))
        };
        match found {
            Some(l) => Ok(l.version),
            None => {
                let product = if valkey { "Valkey" } else { "Redis" };
                Err(format!(
                    "{product} {major}.{minor} is not a line offered here; use one of {} (a \
                     server must not be older than the one that wrote its data files)",
                    Self::id_list()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_parses_back_to_its_line() {
        for v in RedisVersion::ALL {
            assert_eq!(RedisVersion::parse(v.id()), Ok(v), "{}", v.id());
            assert_eq!(RedisVersion::parse(&v.label()), Ok(v), "{}", v.label());
        }
        assert_eq!(RedisVersion::ALL.len(), LINES.len());
        for (i, l) in LINES.iter().enumerate() {
            assert_eq!(
                (RedisVersion::ALL[i], RedisVersion::ALL[i] as usize),
                (l.version, i)
            );
        }
        let mut ids: Vec<&str> = RedisVersion::ALL.iter().map(|v| v.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), LINES.len(), "ids are unique");
    }

    #[test]
    fn patch_releases_and_bare_majors() {
        assert_eq!(RedisVersion::parse("6.2.14"), Ok(RedisVersion::Redis62));
        assert_eq!(RedisVersion::parse("8.10.2"), Ok(RedisVersion::Redis810));
        assert_eq!(RedisVersion::parse("8.2.1"), Ok(RedisVersion::Redis82));
        assert_eq!(RedisVersion::parse("8"), Ok(RedisVersion::Redis810));
        assert_eq!(RedisVersion::parse("7"), Ok(RedisVersion::Redis74));
        assert_eq!(RedisVersion::parse("redis-7.0"), Ok(RedisVersion::Redis70));
        // valkey-8 was valkey/valkey:8-alpine, which has run 8.1 since its release.
        assert_eq!(RedisVersion::parse("valkey-8"), Ok(RedisVersion::Valkey81));
        assert_eq!(
            RedisVersion::parse("Valkey 8.0.1"),
            Ok(RedisVersion::Valkey80)
        );
        assert_eq!(
            RedisVersion::parse("valkey-9.1.2"),
            Ok(RedisVersion::Valkey9)
        );
        assert_eq!(RedisVersion::parse("valkey 9"), Ok(RedisVersion::Valkey9));
    }

    #[test]
    fn unknown_and_too_old_lines_are_refused() {
        assert!(RedisVersion::parse("6.0").unwrap_err().contains("6.2"));
        assert!(RedisVersion::parse("5").unwrap_err().contains("too old"));
        for v in ["8.1", "8.12", "9.0", "valkey-10", "valkey-7.0", "x"] {
            let e = RedisVersion::parse(v).unwrap_err();
            assert!(e.contains("use one of 6.2, 7.0"), "{v}: {e}");
        }
    }

    #[test]
    fn images_are_pinned_to_their_line() {
        for v in RedisVersion::ALL {
            let (repo, tag) = v.image().split_once(':').expect("a tag");
            assert_eq!(
                repo,
                if v.is_valkey() {
                    "valkey/valkey"
                } else {
                    "redis"
                }
            );
            let line = v.id().trim_start_matches("valkey-");
            assert_eq!(tag, format!("{line}-alpine"), "{}", v.id());
        }
    }

    #[test]
    fn directive_sets_and_the_newest_line() {
        assert!(!RedisVersion::Redis62.has_redis7_directives());
        for v in RedisVersion::ALL
            .into_iter()
            .filter(|v| *v != RedisVersion::Redis62)
        {
            assert!(v.has_redis7_directives(), "{}", v.id());
        }
        assert_eq!(
            RedisVersion::NEWEST_REDIS,
            RedisVersion::parse("8").unwrap()
        );
    }

    #[test]
    fn choices_name_the_licence() {
        assert_eq!(
            RedisVersion::Redis810.choice_label(),
            "8.10 — Redis 8.10 (AGPLv3/RSALv2/SSPLv1)"
        );
        assert!(RedisVersion::Valkey9.choice_label().ends_with("(BSD)"));
        assert!(RedisVersion::Redis74.choice_label().ends_with("(BSD)"));
        assert!(RedisVersion::Redis62
            .choice_label()
            .contains("Sidekiq 7 only"));
    }

    #[test]
    fn only_6_2_warns() {
        assert!(RedisVersion::Redis62.warnings()[0].contains("Sidekiq 8 requires Redis 7.0"));
        for v in RedisVersion::ALL
            .into_iter()
            .filter(|v| *v != RedisVersion::Redis62)
        {
            assert!(v.warnings().is_empty(), "{}", v.id());
        }
    }

    #[test]
    fn a_newer_server_than_the_line_is_noticed() {
        use RedisVersion::*;
        assert!(Redis74.older_than_server(false, 8, 2));
        assert!(Redis82.older_than_server(false, 8, 4));
        assert!(!Redis82.older_than_server(false, 8, 2));
        assert!(!Redis810.older_than_server(false, 8, 10));
        assert!(!Redis810.older_than_server(false, 7, 4));
        assert!(!Valkey9.older_than_server(true, 9, 1));
        assert!(Valkey9.older_than_server(true, 10, 0));
        assert!(Valkey80.older_than_server(true, 8, 1));
        // Another product: Redis 8 data on a Valkey line, or the other way round.
        assert!(Valkey9.older_than_server(false, 8, 0));
        assert!(Redis810.older_than_server(true, 9, 0));
    }
}
