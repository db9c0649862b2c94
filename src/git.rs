//! What git would do with an output file: is it ignored, is it tracked? Answered in-process
//! (no `git` child, no search of `PATH`), with the answers `git check-ignore` and
//! `git ls-files` give.
//!
//! The enclosing repository is found by walking up from the output directory to the first
//! directory holding `.git` (a directory, or a file as in linked work trees and submodules).
//! Outside a repository nothing else is read. Inside one, `gix` opens it without running the
//! git binary, reads the index (tracked status) and assembles the excludes as git does:
//! `core.excludesFile` (default `$XDG_CONFIG_HOME/git/ignore`, else `~/.config/git/ignore`),
//! `.git/info/exclude`, then every `.gitignore` from the top of the work tree down to the
//! file, the last matching pattern winning and `!pattern` re-including, except below an
//! excluded directory (git never looks inside one).

use std::path::{Component, Path, PathBuf};

/// What git says about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitStatus {
    /// In the index (`git ls-files` lists it): a commit includes it.
    pub tracked: bool,
    /// Matched by an exclude pattern (`git check-ignore` reports it). Tracked files are
    /// reported as not ignored, as `git check-ignore` does.
    pub ignored: bool,
}

/// The nearest existing directory at or above `path` (`.` for a relative path none of whose
/// directories exist yet).
fn existing_ancestor(path: &Path) -> PathBuf {
    let mut base = path.to_path_buf();
    while !base.as_os_str().is_empty() && !base.is_dir() {
        if !base.pop() {
            break;
        }
    }
    if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    }
}

/// `path` made absolute with its existing directories resolved (symlinks included), the file
/// name and any directories that do not exist yet kept as they are.
fn resolve(path: &Path) -> Option<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let base = existing_ancestor(dir);
    let rest = dir.strip_prefix(&base).unwrap_or(Path::new(""));
    let mut out = base.canonicalize().ok()?;
    for part in rest.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            // `..` past a directory that does not exist: give up rather than guess.
            _ => return None,
        }
    }
    out.push(path.file_name()?);
    Some(out)
}

/// The top of the work tree enclosing `dir` (absolute, resolved): the first directory at or
/// above it that holds `.git`.
pub fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    let start = existing_ancestor(dir).canonicalize().ok()?;
    start
        .ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// Git's view of each of `files` (in order), all in the work tree enclosing the first of them.
/// `None` when that directory is not in a git work tree or the repository cannot be read
/// (then nothing can be said, and callers say nothing).
pub fn status(files: &[&Path]) -> Option<Vec<GitStatus>> {
    let first = files.first()?;
    let resolved: Vec<PathBuf> = files.iter().map(|f| resolve(f)).collect::<Option<_>>()?;
    let root = work_tree_of(resolved[0].parent().unwrap_or(first))?;
    let options = gix::open::Options::default().permissions(gix::open::Permissions {
        // Never run the git binary to find its installation's config.
        config: gix::open::permissions::Config {
            git_binary: false,
            ..gix::open::permissions::Config::all()
        },
        ..Default::default()
    });
    let repo = gix::open_opts(&root, options).ok()?;
    let index = repo.index_or_empty().ok()?;
    let mut excludes = repo
        .excludes(
            &index,
            None,
            gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
        )
        .ok()?;
    let mut out = Vec::with_capacity(files.len());
    for path in &resolved {
        let rel = path.strip_prefix(&root).ok()?;
        let rel_text = rel.to_str()?;
        if rel_text.is_empty() || rel.starts_with(".git") {
            return None;
        }
        // Any stage: a file in a merge conflict is tracked too.
        let tracked = index.entry_index_by_path(rel_text.into()).is_ok();
        if tracked {
            out.push(GitStatus {
                tracked: true,
                ignored: false,
            });
            continue;
        }
        // The stack reads every `.gitignore` from the top down and, like git, re-includes
        // nothing below an excluded directory.
        let ignored = excludes
            .at_path(rel, Some(gix::index::entry::Mode::FILE))
            .ok()?
            .is_excluded();
        out.push(GitStatus {
            tracked: false,
            ignored,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_work_tree_nothing_is_said() {
        let dir = tempfile::tempdir().unwrap();
        // A temporary directory may itself sit in a work tree; only test what is certain.
        if work_tree_of(dir.path()).is_none() {
            assert_eq!(status(&[&dir.path().join(".env")]), None);
        }
    }

    #[test]
    fn the_work_tree_is_found_from_a_directory_that_does_not_exist_yet() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(work_tree_of(&dir.path().join("a/b")), Some(root.clone()));
        assert_eq!(
            resolve(&dir.path().join("a/b/.env")),
            Some(root.join("a/b/.env"))
        );
    }
}
