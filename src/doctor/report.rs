//! The report (already redacted by `doctor::run`): text for people (colours only on a
//! terminal, NO_COLOR respected) and a stable JSON schema (version 1, `docs/doctor.md`) for
//! scripts and monitoring.

use serde::Serialize;

use crate::chatwoot::UrlScheme;
use crate::error::{EXIT_OK, EXIT_PROBLEMS};

use super::finding::{Finding, Severity};
use super::settings::{ChatwootEnv, Settings};
use super::statics::shown_url;

/// Schema version of the JSON report.
pub const JSON_VERSION: u32 = 1;

/// What was diagnosed (no secret: the URL is redacted).
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// "env file PATH" or "process environment".
    pub env_source: String,
    /// "standalone" or "sentinel".
    pub mode: &'static str,
    /// REDIS_URL with its password replaced by ***, or Chatwoot's default when unset.
    pub redis_url: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: bool,
    pub verify_peer: bool,
    pub sentinels: Option<Vec<String>>,
    pub master_name: Option<String>,
    pub offline: bool,
}

impl Target {
    pub fn new(env: &ChatwootEnv, settings: &Settings, offline: bool) -> Target {
        let url = settings.url.as_ref().ok();
        Target {
            env_source: env.source.clone(),
            mode: if settings.sentinel.is_some() {
                "sentinel"
            } else {
                "standalone"
            },
            redis_url: shown_url(settings),
            host: url
                .filter(|u| u.scheme != UrlScheme::Unix)
                .map(|u| u.effective_host().to_string()),
            port: url.filter(|u| u.scheme != UrlScheme::Unix).map(|u| u.port),
            tls: url.is_some_and(|u| u.scheme == UrlScheme::Rediss),
            verify_peer: settings.verify_peer,
            sentinels: settings
                .sentinel
                .as_ref()
                .and_then(|s| s.sentinels.as_ref().ok())
                .map(|l| l.iter().map(|a| a.to_string()).collect()),
            master_name: settings
                .sentinel
                .as_ref()
                .and_then(|s| s.master_name.as_ref().ok().cloned()),
            offline,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub target: Target,
    pub findings: Vec<Finding>,
    pub strict: bool,
}

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    target: &'a Target,
    findings: &'a [Finding],
    summary: Summary,
    exit_code: u8,
}

impl Report {
    pub fn summary(&self) -> Summary {
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }

    /// 1 when an error was found (or a warning, with `--strict`), else 0.
    pub fn exit_code(&self) -> u8 {
        let s = self.summary();
        if s.errors > 0 || (self.strict && s.warnings > 0) {
            EXIT_PROBLEMS
        } else {
            EXIT_OK
        }
    }

    pub fn to_json(&self) -> String {
        let json = Json {
            version: JSON_VERSION,
            target: &self.target,
            findings: &self.findings,
            summary: self.summary(),
            exit_code: self.exit_code(),
        };
        let text = serde_json::to_string_pretty(&json).unwrap_or_else(|e| {
            format!("{{\"version\":{JSON_VERSION},\"error\":\"cannot serialise the report: {e}\"}}")
        });
        // serde_json leaves DEL, C1 controls (U+009B is CSI on some terminals) and the
        // bidirectional overrides raw; they can only sit inside strings, so writing them as
        // \uXXXX keeps every value identical and the bytes safe for a terminal.
        let mut safe = String::with_capacity(text.len() + 1);
        for c in text.chars() {
            // C0 controls are escaped by serde_json already (and newlines are the layout).
            if c >= '\u{7f}' && crate::redact::printable(&c.to_string()) != c.to_string() {
                safe.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                safe.push(c);
            }
        }
        safe + "\n"
    }

    pub fn to_text(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        // Server text never reaches a terminal raw: control characters and escapes are shown
        // as \u{…} (JSON escapes them by itself).
        let p = crate::redact::printable;
        let t = &self.target;
        let mut out = String::new();
        out.push_str(&paint("1", "chatwoot-redis doctor"));
        out.push_str(&format!(
            " — {} mode, REDIS_URL {}{} (from the {}){}\n\n",
            t.mode,
            p(&t.redis_url),
            match &t.sentinels {
                Some(s) => format!(
                    ", sentinels {} master {}",
                    p(&s.join(",")),
                    p(t.master_name.as_deref().unwrap_or("?"))
                ),
                None => String::new(),
            },
            p(&t.env_source),
            if t.offline {
                ", offline: static checks only"
            } else {
                ""
            }
        ));
        for f in &self.findings {
            let (code, label) = match f.severity {
                Severity::Error => ("1;31", "ERROR  "),
                Severity::Warning => ("1;33", "WARNING"),
                Severity::Info => ("36", "INFO   "),
            };
            out.push_str(&format!(
                "{} {} [{}]\n",
                paint(code, label),
                p(&f.title),
                paint("2", f.id)
            ));
            for (name, text) in [("observed", &f.observed), ("why", &f.why), ("fix", &f.fix)] {
                if !text.is_empty() && (f.severity != Severity::Info || name != "why") {
                    out.push_str(&format!("        {name}: {}\n", p(text)));
                }
            }
        }
        let s = self.summary();
        let code = self.exit_code();
        let verdict = if code != EXIT_OK {
            paint("1;31", "problems found")
        } else if s.warnings > 0 {
            paint("1;33", "passed with warnings")
        } else {
            paint("1;32", "no problem found")
        };
        out.push_str(&format!(
            "\n{verdict}: {}{}\n",
            summary_line(s),
            if self.strict {
                " (--strict: warnings count)"
            } else {
                ""
            }
        ));
        out
    }
}

/// `count` things, in words: "no errors", "1 error", "2 errors".
fn counted(count: usize, one: &str) -> String {
    match count {
        0 => format!("no {one}s"),
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    }
}

/// The counts as the report's last line says them: "no errors; 2 warnings; 3 infos".
pub fn summary_line(s: Summary) -> String {
    format!(
        "{}; {}; {}",
        counted(s.errors, "error"),
        counted(s.warnings, "warning"),
        counted(s.infos, "info")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids a source file creates (`Finding::error("id"`, …), wherever the line breaks.
    fn ids_in(source: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for ctor in [
            "Finding::error(",
            "Finding::warning(",
            "Finding::info(",
            "Finding::new(",
        ] {
            for (at, _) in source.match_indices(ctor) {
                let rest = source[at + ctor.len()..].trim_start();
                if let Some(body) = rest.strip_prefix('"') {
                    if let Some(end) = body.find('"') {
                        ids.push(body[..end].to_string());
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn every_finding_id_is_documented() {
        let docs = include_str!("../../docs/doctor.md");
        let mut ids = Vec::new();
        for source in [
            include_str!("live.rs"),
            include_str!("statics.rs"),
            include_str!("mod.rs"),
        ] {
            ids.extend(ids_in(source));
        }
        assert!(ids.len() > 60, "the scan found too few ids: {ids:?}");
        for id in ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id} is not kebab-case"
            );
            assert!(
                docs.contains(&format!("`{id}`")),
                "{id} is not in docs/doctor.md"
            );
        }
    }

    #[test]
    fn the_json_schema_keeps_its_documented_fields() {
        let report = Report {
            target: Target::new(
                &ChatwootEnv::default(),
                &Settings::from_env(&ChatwootEnv::default()),
                true,
            ),
            findings: vec![Finding::warning("run-deadline", "t")],
            strict: true,
        };
        let v: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        assert_eq!(
            keys(&v),
            ["exit_code", "findings", "summary", "target", "version"]
        );
        assert_eq!(v["version"], 1);
        assert_eq!(
            keys(&v["findings"][0]),
            ["fix", "id", "observed", "severity", "title", "why"]
        );
        for field in [
            "env_source",
            "mode",
            "redis_url",
            "host",
            "port",
            "tls",
            "verify_peer",
            "sentinels",
            "master_name",
            "offline",
        ] {
            assert!(v["target"].get(field).is_some(), "target.{field}");
        }
        assert_eq!(v["exit_code"], 1, "--strict counts the warning");
    }

    #[test]
    fn the_summary_reads_naturally() {
        let line = |errors, warnings, infos| {
            summary_line(Summary {
                errors,
                warnings,
                infos,
            })
        };
        assert_eq!(line(0, 2, 3), "no errors; 2 warnings; 3 infos");
        assert_eq!(line(1, 0, 1), "1 error; no warnings; 1 info");
        assert_eq!(line(2, 1, 0), "2 errors; 1 warning; no infos");
    }

    #[test]
    fn server_text_is_escaped_in_json_and_text_with_the_same_values() {
        let hostile = "a\x1b[2Jb\u{9b}31mc\u{202e}d\u{7f}e";
        let report = Report {
            target: Target {
                env_source: "test".into(),
                mode: "standalone",
                redis_url: "redis://h".into(),
                host: None,
                port: None,
                tls: false,
                verify_peer: true,
                sentinels: None,
                master_name: None,
                offline: false,
            },
            findings: vec![Finding::error("not-redis", "t").observed(hostile)],
            strict: false,
        };
        let json = report.to_json();
        let text = report.to_text(false);
        for raw in ['\x1b', '\u{9b}', '\u{202e}', '\u{7f}'] {
            assert!(!json.contains(raw), "{json}");
            assert!(!text.contains(raw), "{text}");
        }
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(parsed["findings"][0]["observed"], hostile);
        assert!(
            text.contains("a\\u{1b}[2Jb\\u{9b}31mc\\u{202e}d\\u{7f}e"),
            "{text}"
        );
    }
}
