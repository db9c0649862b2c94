//! One error type for the whole tool; each variant knows its exit code (the README's
//! exit-code table).

#![warn(clippy::too_many_lines)]

use std::fmt;
use std::path::PathBuf;

use crate::answers::Field;

/// Exit code: success, `--check` clean, `doctor` found no problem.
pub const EXIT_OK: u8 = 0;
/// Exit code: `--check` found differences, `doctor` found problems, a hand edit was kept.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: bad input or usage; nothing was written.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the tool could not finish (a write failed, an internal error); the message
/// says what state the files are in. Distinct from 1, so CI tells "stale" from "broken".
pub const EXIT_FAILURE: u8 = 3;
/// Exit code: interrupted at a prompt (Ctrl-C, Esc); nothing was written.
pub const EXIT_INTERRUPTED: u8 = 130;

/// What an [`Error::Invalid`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An answer (flag, `CHATWOOT_REDIS_*` variable, answers file or prompt).
    Answer(Field),
    /// A secret (its value is never shown).
    Secret(Field),
    /// A command-line option that is no answer (`--timeout`, `--env-file`, …).
    Option,
}

/// One missing answer: the field, and the line that says how to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub field: Field,
    pub line: String,
}

impl Missing {
    pub fn new(field: Field, line: impl Into<String>) -> Missing {
        Missing {
            field,
            line: line.into(),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer that cannot be used. `value` is `None` for secrets (never shown).
    #[error("{field}: {}: {reason}\n  fix: {fix}", value.as_deref().map(|v| format!("{v:?}")).unwrap_or_else(|| "(secret, not shown)".to_string()))]
    Invalid {
        /// The name shown (`--host`, `password`, `REDIS_SENTINEL_PASSWORD`).
        field: String,
        target: Target,
        value: Option<String>,
        reason: String,
        fix: String,
    },
    /// Several answers are missing (non-interactive runs list them all at once).
    #[error("missing answers:\n{}", .0.iter().map(|m| format!("  - {m}")).collect::<Vec<_>>().join("\n"))]
    Missing(Vec<Missing>),
    /// A usage error that is not tied to one answer.
    #[error("{0}")]
    Usage(String),
    /// Reading an input file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing failed; the message says what state the files are in.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The operation found problems (check differences, refused overwrite, doctor errors);
    /// the report was already printed.
    #[error("{0}")]
    Problems(String),
    /// The user stopped the wizard.
    #[error("interrupted; nothing was written")]
    Interrupted,
    /// A bug or an environment failure.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A refused value as a message shows it: cut to a readable length (a 50 MB answer must not
/// make a 50 MB message).
fn shown_value(value: String) -> String {
    crate::redact::clip(&value, crate::redact::ECHO_MAX)
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid { .. } | Error::Missing(_) | Error::Usage(_) | Error::Read { .. } => {
                EXIT_USAGE
            }
            Error::Problems(_) => EXIT_PROBLEMS,
            Error::Interrupted => EXIT_INTERRUPTED,
            Error::Write { .. } | Error::Other(_) => EXIT_FAILURE,
        }
    }

    /// Shorthand for an invalid command-line option that is no answer (`--timeout`).
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            field: field.into(),
            target: Target::Option,
            value: Some(shown_value(value.into())),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for an invalid answer, named by its flag.
    pub fn invalid_answer(
        field: Field,
        value: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            field: format!("--{field}"),
            target: Target::Answer(field),
            value: Some(shown_value(value.into())),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for an invalid secret answer (its value is never shown).
    /// The Redis password is named `password`; the sentinel password, which exists only as
    /// an environment variable, by that variable.
    pub fn invalid_secret(
        field: Field,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        let shown = match field {
            Field::Password => field.name(),
            _ => field.env_var(),
        };
        Error::Invalid {
            field: shown.to_string(),
            target: Target::Secret(field),
            value: None,
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
