//! One finding type for static and live checks.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Chatwoot is broken or loses data (or will at the next failover / restart).
    Error,
    /// Probably wrong, risky, or not provable from here.
    Warning,
    /// What was measured, for the record.
    Info,
}

/// What doctor found: the JSON schema of `docs/doctor.md` is this struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case identifier (scripts match on it).
    pub id: &'static str,
    pub severity: Severity,
    /// One line, readable at a glance.
    pub title: String,
    /// What was seen (values, measurements); never a secret.
    pub observed: String,
    /// Why it matters for Chatwoot.
    pub why: String,
    /// What to do; empty for infos that need nothing.
    pub fix: String,
}

impl Finding {
    pub fn new(id: &'static str, severity: Severity, title: impl Into<String>) -> Finding {
        Finding {
            id,
            severity,
            title: title.into(),
            observed: String::new(),
            why: String::new(),
            fix: String::new(),
        }
    }
    pub fn error(id: &'static str, title: impl Into<String>) -> Finding {
        Finding::new(id, Severity::Error, title)
    }
    pub fn warning(id: &'static str, title: impl Into<String>) -> Finding {
        Finding::new(id, Severity::Warning, title)
    }
    pub fn info(id: &'static str, title: impl Into<String>) -> Finding {
        Finding::new(id, Severity::Info, title)
    }
    pub fn observed(mut self, text: impl Into<String>) -> Finding {
        self.observed = text.into();
        self
    }
    pub fn why(mut self, text: impl Into<String>) -> Finding {
        self.why = text.into();
        self
    }
    pub fn fix(mut self, text: impl Into<String>) -> Finding {
        self.fix = text.into();
        self
    }
    /// Lowers the severity (used when the evidence is a guess).
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}
