//! One error type for the whole tool; each variant knows its exit code (product.md).

use std::path::PathBuf;

/// Exit code: success, `--check` clean, `doctor` found no problem.
pub const EXIT_OK: u8 = 0;
/// Exit code: `--check` found differences, `doctor` found problems, a hand edit was kept.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: bad input or usage; nothing was written.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted at a prompt (Ctrl-C, Esc); nothing was written.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer that cannot be used. `value` is `None` for secrets (never shown).
    #[error("{field}: {}: {reason}\n  fix: {fix}", value.as_deref().map(|v| format!("{v:?}")).unwrap_or_else(|| "(secret, not shown)".to_string()))]
    Invalid {
        field: String,
        value: Option<String>,
        reason: String,
        fix: String,
    },
    /// Several answers are missing (non-interactive runs list them all at once).
    #[error("missing answers:\n{}", .0.iter().map(|m| format!("  - {m}")).collect::<Vec<_>>().join("\n"))]
    Missing(Vec<String>),
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

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid { .. } | Error::Missing(_) | Error::Usage(_) | Error::Read { .. } => {
                EXIT_USAGE
            }
            Error::Problems(_) => EXIT_PROBLEMS,
            Error::Interrupted => EXIT_INTERRUPTED,
            Error::Write { .. } | Error::Other(_) => EXIT_PROBLEMS,
        }
    }

    /// Shorthand for an invalid, non-secret answer.
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            field: field.into(),
            value: Some(value.into()),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for an invalid secret answer (its value is never shown).
    pub fn invalid_secret(
        field: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            field: field.into(),
            value: None,
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
