//! Writing a rendered set (minimal version: replaced by the full planner).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::output::RenderSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write { force: bool },
    DryRun,
    Diff,
    Check,
}

pub fn execute(set: &RenderSet, out_dir: &Path, mode: Mode, out: &mut dyn Write) -> Result<u8> {
    if mode != (Mode::Write { force: false }) && !matches!(mode, Mode::Write { .. }) {
        return Err(Error::Usage("not available yet".into()));
    }
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Write {
        path: out_dir.into(),
        source,
    })?;
    for f in &set.files {
        let path = out_dir.join(f.name());
        std::fs::write(&path, &f.contents).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        if f.kind.is_secret() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| Error::Write {
                    path: path.clone(),
                    source,
                },
            )?;
        }
        let _ = writeln!(out, "wrote {}", path.display());
    }
    Ok(0)
}
