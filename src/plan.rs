//! From a rendered set to the disk: plan, `--dry-run`, `--diff`, `--check`, and the
//! all-or-nothing write.
//!
//! [`plan`] reads the output directory and decides, for every file of the set, what a write
//! would do (create, update, leave unchanged) and whether it must not (a file changed by hand
//! since it was generated, or a file of that name we did not generate). The `.env` is merged
//! key by key ([`crate::envfile`]). Nothing is written by a plan; [`apply`] writes the whole set
//! or nothing, [`check`] proves the committed files are current, [`Plan::diff`] shows what a
//! write would change. Secret files never reach the terminal: their contents are not diffed,
//! and any secret value that would show up in other output is masked.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use similar::TextDiff;

use crate::envfile::{self, EnvChange};
use crate::error::{Error, Result, EXIT_OK, EXIT_PROBLEMS};
use crate::header::{self, HeaderState};
use crate::output::{FileKind, RenderSet, RenderedFile};
use crate::write::{self, Permissions, Staged};

/// Every file name a render can produce; a file of one of these names in the output
/// directory that is not part of the set is a leftover (e.g. from another scenario).
pub const ALL_KINDS: [FileKind; 9] = [
    FileKind::Env,
    FileKind::RedisConf,
    FileKind::RedisSecretsConf,
    FileKind::Compose,
    FileKind::Helm,
    FileKind::HelmSecret,
    FileKind::MasterProxy,
    FileKind::ProviderScript,
    FileKind::Answers,
];

/// Secrets shorter than this are not searched for in other files nor masked: such a value
/// (`redis`, `10`) cannot be told apart from ordinary text.
pub const MIN_TRACKED_SECRET_LEN: usize = 6;

const MASK: &str = "********";

/// What writing the set would do to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No file of that name yet.
    Create,
    /// Our file (intact header, or the `.env`/answers file) with other contents.
    Update,
    /// Already exactly what the render produces.
    Unchanged,
    /// Our file, changed by hand since it was generated: kept unless `--force`.
    HandEdited,
    /// A file of that name that we did not generate: kept unless `--force`.
    Foreign,
}

impl Action {
    /// Would a write without `--force` refuse because of this file?
    pub fn is_conflict(self) -> bool {
        matches!(self, Action::HandEdited | Action::Foreign)
    }

    fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::HandEdited => "keep",
            Action::Foreign => "conflict",
        }
    }
}

/// One file of the set, compared with the disk.
/// `Debug` leaves out the contents of secret files (see the impl below).
#[derive(Clone)]
pub struct PlannedFile {
    pub kind: FileKind,
    /// `DIR/name`, as shown to the user.
    pub path: PathBuf,
    /// Where the bytes go: `path`, or the file a symlink at `path` points to.
    pub write_path: PathBuf,
    pub action: Action,
    /// What is on disk now (lossy when it is not UTF-8).
    pub current: Option<String>,
    /// What a write puts there (for `.env`: the merge result).
    pub contents: String,
    /// For `.env`: which Redis keys change (names only).
    pub env_changes: Vec<EnvChange>,
    /// Mode and owner the written file gets.
    pub permissions: Permissions,
}

impl PlannedFile {
    fn is_secret(&self) -> bool {
        self.kind.is_secret()
    }

    fn would_write(&self, force: bool) -> bool {
        match self.action {
            Action::Create | Action::Update => true,
            Action::HandEdited | Action::Foreign => force,
            Action::Unchanged => false,
        }
    }
}

/// A file with a known output name that is not part of this set.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub kind: FileKind,
    pub path: PathBuf,
    /// Carries our header (a leftover of an earlier render) rather than being someone's own.
    pub generated: bool,
    /// Its contents, for non-secret files only.
    pub current: Option<String>,
}

/// The whole set compared with the output directory. Nothing is written yet.
/// `Debug` leaves out the secret values and the contents of secret files.
#[derive(Clone)]
pub struct Plan {
    pub out_dir: PathBuf,
    pub files: Vec<PlannedFile>,
    pub leftovers: Vec<Leftover>,
    /// Temporary files of an earlier run that was killed mid-write; a write removes them.
    pub stale_temp_files: Vec<PathBuf>,
    /// The render's warnings, then ours (secrets not ignored by git, permissions).
    pub warnings: Vec<String>,
    render_command: String,
    secrets: Vec<String>,
}

const REDACTED: &str = "(secret, not shown)";

impl fmt::Debug for PlannedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = self.kind.is_secret();
        let current = match (&self.current, secret) {
            (None, _) => None,
            (Some(_), true) => Some(REDACTED),
            (Some(text), false) => Some(text.as_str()),
        };
        f.debug_struct("PlannedFile")
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field("write_path", &self.write_path)
            .field("action", &self.action)
            .field("current", &current)
            .field(
                "contents",
                &if secret {
                    REDACTED
                } else {
                    self.contents.as_str()
                },
            )
            .field("env_changes", &self.env_changes)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("out_dir", &self.out_dir)
            .field("files", &self.files)
            .field("leftovers", &self.leftovers)
            .field("stale_temp_files", &self.stale_temp_files)
            .field("warnings", &self.warnings)
            .field("render_command", &self.render_command)
            .field("secrets", &format_args!("{} not shown", self.secrets.len()))
            .finish()
    }
}

/// How `execute` handles a plan: the modes of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the set (all or nothing); `force` replaces hand-edited and foreign files.
    Write { force: bool },
    /// Print the plan, write nothing.
    DryRun,
    /// Print what a write would change, write nothing.
    Diff,
    /// CI: exit 1 with diffs when a committed output or the answers file is not current.
    Check,
}

/// Quotes `text` for a POSIX shell when it needs it.
fn shell_quote(text: &str) -> String {
    crate::shell::quote(text)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Reads `path` (following a symlink) for the plan: `None` when it does not exist.
fn read_existing(path: &Path) -> Result<Option<(Vec<u8>, PathBuf)>> {
    let link = match fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type().is_symlink(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let write_path = if link {
        // Write through the link so it stays a link (a `.env` shared with another checkout).
        fs::canonicalize(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source: io::Error::new(
                source.kind(),
                format!("it is a symlink whose target cannot be resolved ({source})"),
            ),
        })?
    } else {
        path.to_path_buf()
    };
    if fs::metadata(&write_path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::Usage(format!(
            "{} is a directory; the output {} must be a file: move that directory away",
            display(path),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        )));
    }
    let bytes = fs::read(&write_path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some((bytes, write_path)))
}

/// One rendered file against what is on disk.
struct Compared {
    action: Action,
    current: Option<String>,
    contents: String,
    env_changes: Vec<EnvChange>,
    write_path: PathBuf,
}

fn compare_with_disk(file: &RenderedFile, path: &Path) -> Result<Compared> {
    let Some((bytes, write_path)) = read_existing(path)? else {
        return Ok(Compared {
            action: Action::Create,
            current: None,
            contents: file.contents.clone(),
            env_changes: Vec::new(),
            write_path: path.to_path_buf(),
        });
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if file.kind == FileKind::Env => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{e}; its Redis keys cannot be merged safely"),
                ),
            })
        }
        // Not text: certainly not a file we generated.
        Err(e) => {
            return Ok(Compared {
                action: Action::Foreign,
                current: Some(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                contents: file.contents.clone(),
                env_changes: Vec::new(),
                write_path,
            })
        }
    };
    if file.kind == FileKind::Env {
        let update = file
            .env_update
            .clone()
            .unwrap_or_else(|| envfile::update_from_fresh(&file.contents));
        let merged = envfile::merge(&text, &update);
        let action = if merged.contents == text {
            Action::Unchanged
        } else {
            Action::Update
        };
        return Ok(Compared {
            action,
            current: Some(text),
            contents: merged.contents,
            env_changes: merged.changes,
            write_path,
        });
    }
    let action = if text == file.contents {
        Action::Unchanged
    } else if !file.kind.has_checksum_header() {
        // The answers file is meant to be edited; render read it, so this is its new form.
        Action::Update
    } else {
        match header::inspect(&text) {
            HeaderState::Intact => Action::Update,
            // The body is already what the answers produce (the edit was moved into the
            // answers): only the header's checksum is refreshed.
            HeaderState::HandEdited if header::same_body(&text, &file.contents) => Action::Update,
            HeaderState::HandEdited => Action::HandEdited,
            HeaderState::Foreign => Action::Foreign,
        }
    };
    Ok(Compared {
        action,
        current: Some(text),
        contents: file.contents.clone(),
        env_changes: Vec::new(),
        write_path,
    })
}

/// Compares a rendered set with `out_dir` (which may not exist yet). Reads, never writes.
///
/// Fails (exit 2, nothing written) when the set itself is unusable: the same file twice, a
/// secret value inside a file that is not secret, an existing `.env` that is not UTF-8, or an
/// output path that is a directory.
pub fn plan(set: &RenderSet, out_dir: &Path) -> Result<Plan> {
    let mut secrets: Vec<String> = set
        .secrets
        .iter()
        .filter(|s| s.len() >= MIN_TRACKED_SECRET_LEN)
        .cloned()
        .collect();
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(Error::Usage(format!(
            "--out {}: is a file, not a directory; give the directory the outputs go to",
            display(out_dir)
        )));
    }
    let mut seen = BTreeSet::new();
    for file in &set.files {
        if !seen.insert(file.kind) {
            return Err(Error::Other(anyhow::anyhow!(
                "internal error: the render produced {} twice; nothing was written",
                file.kind
            )));
        }
        // Last safety net: a secret must never land in a file that is committed or printed.
        if !file.kind.is_secret() && secrets.iter().any(|s| file.contents.contains(s.as_str())) {
            return Err(Error::Usage(format!(
                "{} would contain a secret value (a password); nothing was written. This is a \
                 bug in chatwoot-redis: please report it with the scenario and flags used (not \
                 the password)",
                file.kind
            )));
        }
    }

    let mut files = Vec::with_capacity(set.files.len());
    let mut warnings = set.warnings.clone();
    for file in &set.files {
        let path = out_dir.join(file.name());
        let Compared {
            action,
            current,
            contents,
            env_changes,
            write_path,
        } = compare_with_disk(file, &path)?;
        let permissions =
            planned_permissions(file.kind, &write_path, action, &path, &mut warnings)?;
        files.push(PlannedFile {
            kind: file.kind,
            path,
            write_path,
            action,
            current,
            contents,
            env_changes,
            permissions,
        });
    }

    let mut leftovers = Vec::new();
    for kind in ALL_KINDS {
        // The answers file is input as well as output, and a `.env` without Redis outputs is
        // Chatwoot's own file: neither is ever a leftover.
        if seen.contains(&kind) || matches!(kind, FileKind::Answers | FileKind::Env) {
            continue;
        }
        let path = out_dir.join(kind.file_name());
        if !fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let text = fs::read(&path)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let generated = kind.has_checksum_header()
            && text
                .as_deref()
                .is_some_and(|t| header::inspect(t) != HeaderState::Foreign);
        leftovers.push(Leftover {
            kind,
            path,
            generated,
            current: if kind.is_secret() { None } else { text },
        });
    }

    let secret_paths: Vec<&Path> = files
        .iter()
        .filter(|f| f.is_secret())
        .map(|f| f.path.as_path())
        .collect();
    warnings.extend(git_warnings(out_dir, &secret_paths));

    let dirs: BTreeSet<PathBuf> = files.iter().map(|f| parent_dir(&f.write_path)).collect();
    let stale_temp_files = dirs
        .iter()
        .flat_map(|d| write::stale_temp_files(d))
        .collect();

    Ok(Plan {
        stale_temp_files,
        render_command: format!(
            "chatwoot-redis render --out {}",
            shell_quote(&display(out_dir))
        ),
        out_dir: out_dir.to_path_buf(),
        files,
        leftovers,
        warnings,
        secrets,
    })
}

/// The directory of `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// New files: 0600 for secrets, 0644 otherwise. Existing files keep their mode and owner,
/// except that a secret file loses the permissions of "other" users.
fn planned_permissions(
    kind: FileKind,
    write_path: &Path,
    action: Action,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<Permissions> {
    let existing = write::existing_permissions(write_path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(mut perms) = existing else {
        return Ok(Permissions::new_file(kind.is_secret()));
    };
    if kind.is_secret() && perms.mode & 0o007 != 0 {
        let tightened = perms.mode & !0o007;
        if action == Action::Unchanged {
            warnings.push(format!(
                "{} holds secrets but every user on this machine can read it (mode {:04o}); \
                 fix: chmod o-rwx {}",
                display(path),
                perms.mode,
                shell_quote(&display(path))
            ));
        } else {
            warnings.push(format!(
                "{} holds secrets but every user on this machine could read it (mode {:04o}); \
                 it is written with mode {:04o}",
                display(path),
                perms.mode,
                tightened
            ));
        }
        perms.mode = tightened;
    }
    Ok(perms)
}

/// Runs git quietly in `dir`; `None` when git is missing or failed to start.
fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .ok()
}

/// Warnings for secret files that git would commit: not ignored, or already tracked.
/// Silent when git is not installed or the directory is not in a work tree.
fn git_warnings(out_dir: &Path, secret_paths: &[&Path]) -> Vec<String> {
    if secret_paths.is_empty() {
        return Vec::new();
    }
    // The output directory may not exist yet: ask from its nearest existing ancestor.
    let mut base = out_dir.to_path_buf();
    while !base.as_os_str().is_empty() && !base.is_dir() {
        if !base.pop() {
            break;
        }
    }
    if base.as_os_str().is_empty() {
        base = PathBuf::from(".");
    }
    let rels: Vec<&str> = secret_paths
        .iter()
        .filter_map(|p| p.strip_prefix(&base).unwrap_or(p).to_str())
        .collect();
    if rels.len() != secret_paths.len() {
        return Vec::new(); // a path git cannot be asked about as text
    }
    // Two git runs for the whole set, not two per file: a render must stay fast.
    // check-ignore -v -n prints one line per path, in order: `source:line:pattern<TAB>path`,
    // `::<TAB>path` when nothing matches; a `!pattern` match means not ignored. Outside a
    // work tree it fails (128) and we say nothing.
    let mut args = vec!["check-ignore", "-v", "-n", "--"];
    args.extend(&rels);
    let Some(output) = git(&base, &args) else {
        return Vec::new();
    };
    if !matches!(output.status.code(), Some(0 | 1)) {
        return Vec::new();
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ignored: Vec<bool> = stdout
        .lines()
        .map(|line| {
            let info = line.split_once('\t').map_or(line, |(info, _)| info);
            let pattern = info.splitn(3, ':').nth(2).unwrap_or("");
            !pattern.is_empty() && !pattern.starts_with('!')
        })
        .collect();
    if ignored.len() != rels.len() {
        return Vec::new();
    }
    let mut args = vec!["ls-files", "--"];
    args.extend(&rels);
    let tracked: Vec<String> = git(&base, &args)
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();

    let mut warnings = Vec::new();
    for ((path, rel), ignored) in secret_paths.iter().zip(&rels).zip(ignored) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if tracked.iter().any(|t| t == rel.trim_start_matches("./")) {
            warnings.push(format!(
                "{} holds secrets and is tracked by git; stop tracking it with: git rm --cached {} \
                 (and add the line `{name}` to .gitignore)",
                display(path),
                shell_quote(&display(path))
            ));
        } else if !ignored {
            let gitignore = out_dir.join(".gitignore");
            warnings.push(format!(
                "{} holds secrets and is not ignored by git; add the line `{name}` to {} \
                 (e.g. echo {} >> {})",
                display(path),
                display(&gitignore),
                shell_quote(&name),
                shell_quote(&display(&gitignore))
            ));
        }
    }
    warnings
}

/// A unified diff from `old` to `new`; `None` stands for a missing file.
fn unified_diff(path: &Path, old: Option<&str>, new: Option<&str>) -> String {
    let a = if old.is_some() {
        format!("{} (on disk)", display(path))
    } else {
        "/dev/null".to_string()
    };
    let b = if new.is_some() {
        format!("{} (rendered)", display(path))
    } else {
        "/dev/null".to_string()
    };
    let old = old.unwrap_or("");
    let new = new.unwrap_or("");
    let diff = TextDiff::from_lines(old, new);
    let mut text = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if text.is_empty() {
        // Identical texts that still differ as files (e.g. not UTF-8 on disk).
        let _ = writeln!(
            text,
            "--- {a}\n+++ {b}\n(differs in bytes that are not text)"
        );
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

impl Plan {
    /// The command that regenerates this directory (default `chatwoot-redis render --out DIR`);
    /// shown as the fix by `--check` and by a refused write.
    pub fn render_command(&self) -> &str {
        &self.render_command
    }

    /// Replaces the regenerate command, e.g. when the answers come from `--answers FILE`.
    pub fn set_render_command(&mut self, command: impl Into<String>) {
        self.render_command = command.into();
    }

    /// Files a write without `--force` refuses to replace.
    pub fn conflicts(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.action.is_conflict())
    }

    /// Replaces every (long enough) secret value in `text` by a mask.
    pub fn mask(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
        text
    }

    fn file_note(file: &PlannedFile) -> String {
        match file.action {
            Action::HandEdited => format!(
                "{}: changed by hand since it was generated; kept (--force replaces it)",
                display(&file.path)
            ),
            Action::Foreign => format!(
                "{}: exists and was not generated by chatwoot-redis; kept (--force replaces it)",
                display(&file.path)
            ),
            _ if !file.env_changes.is_empty() => format!(
                "{}: {}",
                display(&file.path),
                file.env_changes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => display(&file.path),
        }
    }

    fn leftover_note(&self, leftover: &Leftover) -> String {
        let why = if leftover.generated {
            "generated earlier but not part of this set"
        } else {
            "not part of this set"
        };
        format!(
            "{}: {why}; left as it is (remove it: rm {})",
            display(&leftover.path),
            shell_quote(&display(&leftover.path))
        )
    }

    /// The plan, one line per file (`create`, `update`, `unchanged`, `keep`, `conflict`,
    /// `leftover`), then the warnings.
    pub fn print_summary(&self, w: &mut dyn io::Write) -> io::Result<()> {
        for file in &self.files {
            writeln!(w, "  {:<10} {}", file.action.label(), Plan::file_note(file))?;
        }
        for leftover in &self.leftovers {
            writeln!(w, "  {:<10} {}", "leftover", self.leftover_note(leftover))?;
        }
        for temp in &self.stale_temp_files {
            writeln!(
                w,
                "  {:<10} {}: temporary file of an interrupted run",
                "remove",
                display(temp)
            )?;
        }
        if self.conflicts().next().is_some() {
            writeln!(
                w,
                "A write would refuse and write nothing until the files marked keep/conflict \
                 are resolved (--force replaces them)."
            )?;
        }
        self.print_warnings(w)
    }

    fn print_warnings(&self, w: &mut dyn io::Write) -> io::Result<()> {
        for warning in &self.warnings {
            writeln!(w, "warning: {}", self.mask(warning))?;
        }
        Ok(())
    }

    /// What a write would change: a unified diff per non-secret file, a one-line note per
    /// secret file (its contents are never shown; for `.env` the changed key names), and the
    /// leftovers. Empty when a write would change nothing.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            if file.action == Action::Unchanged {
                continue;
            }
            if file.is_secret() {
                let verb = if file.current.is_none() {
                    "create"
                } else {
                    "update"
                };
                let _ = write!(
                    out,
                    "{}: would {verb} (secret file, diff not shown)",
                    display(&file.path)
                );
                if !file.env_changes.is_empty() {
                    let keys: Vec<String> =
                        file.env_changes.iter().map(ToString::to_string).collect();
                    let _ = write!(out, ": {}", keys.join(", "));
                }
                if file.action.is_conflict() {
                    let _ = write!(out, " [{}]", Plan::file_note(file));
                }
                out.push('\n');
                continue;
            }
            if file.action.is_conflict() {
                let _ = writeln!(out, "# {}", Plan::file_note(file));
            }
            out.push_str(&unified_diff(
                &file.path,
                file.current.as_deref(),
                Some(&file.contents),
            ));
        }
        for leftover in &self.leftovers {
            let _ = writeln!(out, "# {}", self.leftover_note(leftover));
        }
        self.mask(&out)
    }

    /// The message of a write refused because of hand-edited or foreign files, with their
    /// diffs and the two ways forward; `None` when nothing blocks the write.
    pub fn refusal(&self) -> Option<String> {
        let conflicts: Vec<&PlannedFile> = self.conflicts().collect();
        if conflicts.is_empty() {
            return None;
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "refusing to write: {} file{} would lose changes made outside chatwoot-redis:",
            conflicts.len(),
            if conflicts.len() == 1 { "" } else { "s" }
        );
        for file in &conflicts {
            let _ = writeln!(out, "  {}", Plan::file_note(file));
        }
        for file in &conflicts {
            if file.is_secret() {
                let _ = writeln!(out, "{}: secret file, diff not shown", display(&file.path));
            } else {
                // On disk (the hand edit) → what the render would put there.
                out.push_str(&unified_diff(
                    &file.path,
                    file.current.as_deref(),
                    Some(&file.contents),
                ));
            }
        }
        let _ = writeln!(
            out,
            "Nothing was written: a render writes the whole set or nothing.\n\
             To keep the change, move it into chatwoot-redis.yaml (or an answer flag) and rerun: {cmd}\n\
             To replace the file{s} with the generated version, rerun with --force: {cmd} --force",
            cmd = self.render_command,
            s = if conflicts.len() == 1 { "" } else { "s" },
        );
        Some(self.mask(&out))
    }
}

/// What a write step reached; the hook of [`apply_with_hook`] sees each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep<'a> {
    /// The new contents of this file are in a flushed temporary file next to it.
    Staged(&'a Path),
    /// This file was renamed into place.
    Committed(&'a Path),
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// `(path, Create | Update | HandEdited | Foreign)` of every file written, in set order.
    pub written: Vec<(PathBuf, Action)>,
    pub unchanged: Vec<PathBuf>,
    /// Temporary files of an earlier, interrupted run that were removed.
    pub removed_temp_files: Vec<PathBuf>,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, action) in &self.written {
            let verb = match action {
                Action::Create => "created",
                Action::Update => "updated",
                _ => "replaced (--force)",
            };
            writeln!(f, "  {verb:<10} {}", display(path))?;
        }
        for path in &self.unchanged {
            writeln!(f, "  {:<10} {}", "unchanged", display(path))?;
        }
        for path in &self.removed_temp_files {
            writeln!(
                f,
                "  {:<10} {} (temporary file of an interrupted run)",
                "removed",
                display(path)
            )?;
        }
        Ok(())
    }
}

/// Writes the plan: every file that changes, all or nothing. Without `force`, a hand-edited
/// or foreign file makes it refuse ([`Error::Problems`] with [`Plan::refusal`]) before any
/// byte is written.
pub fn apply(plan: &Plan, force: bool) -> Result<ApplyReport> {
    apply_with_hook(plan, force, &mut |_| Ok(()))
}

fn write_error(path: &Path, source: io::Error, state: &str) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source: io::Error::new(source.kind(), format!("{source}; {state}")),
    }
}

/// [`apply`], calling `hook` after each step; an error from the hook aborts the write as an
/// I/O error there would (tests use it to prove an interrupted write leaves no partial file).
#[doc(hidden)]
pub fn apply_with_hook(
    plan: &Plan,
    force: bool,
    hook: &mut dyn FnMut(WriteStep<'_>) -> io::Result<()>,
) -> Result<ApplyReport> {
    if !force {
        if let Some(message) = plan.refusal() {
            return Err(Error::Problems(message));
        }
    }
    let mut report = ApplyReport::default();
    let to_write: Vec<&PlannedFile> = plan.files.iter().filter(|f| f.would_write(force)).collect();
    for file in plan.files.iter().filter(|f| !f.would_write(force)) {
        report.unchanged.push(file.path.clone());
    }
    if to_write.is_empty() {
        remove_stale_temp_files(plan, &mut report);
        return Ok(report);
    }
    let created_out_dir = !plan.out_dir.is_dir();
    fs::create_dir_all(&plan.out_dir)
        .map_err(|e| write_error(&plan.out_dir, e, "nothing was written"))?;

    // Phase 1: every new file flushed next to its target. Any failure drops (deletes) the
    // temporary files staged so far: nothing was written.
    let mut staged: Vec<(Staged, &PlannedFile)> = Vec::with_capacity(to_write.len());
    for file in &to_write {
        let step = write::stage(&file.write_path, file.contents.as_bytes(), file.permissions)
            .and_then(|s| {
                hook(WriteStep::Staged(&file.path))?;
                Ok(s)
            });
        match step {
            Ok(s) => staged.push((s, file)),
            Err(e) => return Err(write_error(&file.path, e, "nothing was written")),
        }
    }

    // Phase 2: renames, each atomic. They fail only on a broken file system; the message
    // then says exactly which files are new and which are still old.
    let mut done: Vec<&Path> = Vec::new();
    let mut pending = staged.into_iter();
    for (temp, file) in pending.by_ref() {
        if let Err(e) = temp
            .commit()
            .and_then(|()| hook(WriteStep::Committed(&file.path)))
        {
            let state = if done.is_empty() {
                "nothing else was written".to_string()
            } else {
                format!(
                    "already replaced: {}; every other file is unchanged",
                    done.iter()
                        .map(|p| display(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(write_error(&file.path, e, &state));
        }
        done.push(&file.path);
        report.written.push((file.path.clone(), file.action));
    }

    remove_stale_temp_files(plan, &mut report);
    let mut dirs: BTreeSet<PathBuf> = to_write.iter().map(|f| parent_dir(&f.write_path)).collect();
    if created_out_dir {
        // A new directory is only durable once its own parent is flushed.
        dirs.insert(parent_dir(&plan.out_dir));
    }
    for dir in dirs {
        write::sync_dir(&dir).map_err(|e| {
            write_error(
                &dir,
                e,
                "the files were written but may not survive a power loss",
            )
        })?;
    }
    Ok(report)
}

/// Removes the temporary files an earlier, killed run left (best effort: one that cannot be
/// removed is harmless and is listed again by the next plan).
fn remove_stale_temp_files(plan: &Plan, report: &mut ApplyReport) {
    for temp in &plan.stale_temp_files {
        if fs::remove_file(temp).is_ok() {
            report.removed_temp_files.push(temp.clone());
        }
    }
}

/// The outcome of `render --check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Committed files that are missing, differ, or should not be there.
    pub stale: Vec<PathBuf>,
    /// Secret files, not compared (CI has no secrets).
    pub skipped: Vec<PathBuf>,
    /// The full printable report: diffs, skipped files, and the command that fixes it.
    pub text: String,
}

impl CheckReport {
    pub fn is_current(&self) -> bool {
        self.stale.is_empty()
    }

    /// 0 when everything is current, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.is_current() {
            EXIT_OK
        } else {
            EXIT_PROBLEMS
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `render --check`: are the committed outputs and the answers file exactly what the answers
/// produce? Secret files are skipped; leftovers of other outputs count as differences.
pub fn check(plan: &Plan) -> CheckReport {
    let mut stale = Vec::new();
    let mut skipped = Vec::new();
    let mut text = String::new();
    let mut needs_force = false;
    for file in &plan.files {
        if file.is_secret() {
            skipped.push(file.path.clone());
            continue;
        }
        if file.action == Action::Unchanged {
            continue;
        }
        stale.push(file.path.clone());
        let what = match file.action {
            Action::Create => "missing",
            Action::HandEdited => "changed by hand since it was generated",
            Action::Foreign => "not generated by chatwoot-redis",
            _ => "differs from what the answers produce",
        };
        needs_force |= file.action.is_conflict();
        let _ = writeln!(text, "{}: {what}", display(&file.path));
        text.push_str(&unified_diff(
            &file.path,
            file.current.as_deref(),
            Some(&file.contents),
        ));
    }
    let mut removals = Vec::new();
    for leftover in &plan.leftovers {
        if leftover.kind.is_secret() {
            skipped.push(leftover.path.clone());
            continue;
        }
        stale.push(leftover.path.clone());
        let _ = writeln!(
            text,
            "{}: unexpected (not part of this set)",
            display(&leftover.path)
        );
        text.push_str(&unified_diff(
            &leftover.path,
            leftover.current.as_deref(),
            None,
        ));
        removals.push(format!("rm {}", shell_quote(&display(&leftover.path))));
    }
    if !skipped.is_empty() {
        let _ = writeln!(
            text,
            "skipped (secret files, not compared): {}",
            skipped
                .iter()
                .map(|p| display(p))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let compared = plan.files.iter().filter(|f| !f.is_secret()).count();
    if stale.is_empty() {
        let _ = writeln!(
            text,
            "ok: {compared} file{} current in {}",
            if compared == 1 { "" } else { "s" },
            display(&plan.out_dir)
        );
    } else {
        let _ = writeln!(
            text,
            "{} file{} not current.",
            stale.len(),
            if stale.len() == 1 { " is" } else { "s are" }
        );
        let regenerate = plan
            .files
            .iter()
            .any(|f| !f.is_secret() && f.action != Action::Unchanged);
        if regenerate {
            if needs_force {
                let _ = writeln!(
                    text,
                    "fix: {} --force   (replaces the hand edits; to keep one, move it into \
                     chatwoot-redis.yaml first)",
                    plan.render_command
                );
            } else {
                let _ = writeln!(text, "fix: {}", plan.render_command);
            }
        }
        for removal in removals {
            let _ = writeln!(text, "fix: {removal}");
        }
    }
    CheckReport {
        stale,
        skipped,
        text: plan.mask(&text),
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Other(anyhow::Error::new(e).context("cannot print the report"))
}

/// Plans `set` against `out_dir` and runs `mode`, printing to `out`. Returns the exit code:
/// `--check` 0/1, a write refused because of hand edits 1, otherwise 0. Usage problems (exit 2)
/// and write failures come back as errors.
pub fn execute(set: &RenderSet, out_dir: &Path, mode: Mode, out: &mut dyn io::Write) -> Result<u8> {
    let plan = plan(set, out_dir)?;
    execute_plan(&plan, mode, out)
}

/// [`execute`] for a plan already made (e.g. after [`Plan::set_render_command`]).
pub fn execute_plan(plan: &Plan, mode: Mode, out: &mut dyn io::Write) -> Result<u8> {
    match mode {
        Mode::DryRun => {
            writeln!(
                out,
                "Plan for {} (dry run, nothing written):",
                display(&plan.out_dir)
            )
            .map_err(io_error)?;
            plan.print_summary(out).map_err(io_error)?;
            Ok(EXIT_OK)
        }
        Mode::Diff => {
            plan.print_warnings(out).map_err(io_error)?;
            let diff = plan.diff();
            if diff.is_empty() {
                writeln!(
                    out,
                    "no changes: every file in {} is current",
                    display(&plan.out_dir)
                )
                .map_err(io_error)?;
            } else {
                out.write_all(diff.as_bytes()).map_err(io_error)?;
            }
            Ok(EXIT_OK)
        }
        Mode::Check => {
            plan.print_warnings(out).map_err(io_error)?;
            let report = check(plan);
            out.write_all(report.text.as_bytes()).map_err(io_error)?;
            Ok(report.exit_code())
        }
        Mode::Write { force } => {
            plan.print_warnings(out).map_err(io_error)?;
            match apply(plan, force) {
                Ok(report) => {
                    if report.written.is_empty() {
                        writeln!(
                            out,
                            "nothing to write: every file in {} is current",
                            display(&plan.out_dir)
                        )
                        .map_err(io_error)?;
                    }
                    for (path, action) in &report.written {
                        let verb = match action {
                            Action::Create => "created",
                            Action::Update => "updated",
                            _ => "replaced (--force)",
                        };
                        let note = plan
                            .files
                            .iter()
                            .find(|f| &f.path == path)
                            // Already replaced: the "kept" advice of the plan no longer applies.
                            .map(|f| Plan::file_note(f).replace("; kept (--force replaces it)", ""))
                            .unwrap_or_else(|| display(path));
                        writeln!(out, "  {verb:<10} {note}").map_err(io_error)?;
                    }
                    for temp in &report.removed_temp_files {
                        writeln!(
                            out,
                            "  {:<10} {} (temporary file of an interrupted run)",
                            "removed",
                            display(temp)
                        )
                        .map_err(io_error)?;
                    }
                    for leftover in &plan.leftovers {
                        writeln!(out, "note: {}", plan.leftover_note(leftover))
                            .map_err(io_error)?;
                    }
                    Ok(EXIT_OK)
                }
                Err(Error::Problems(message)) => {
                    out.write_all(message.as_bytes()).map_err(io_error)?;
                    Ok(EXIT_PROBLEMS)
                }
                Err(e) => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::EnvUpdate;

    fn conf(body: &str) -> RenderedFile {
        RenderedFile {
            kind: FileKind::RedisConf,
            contents: header::stamp(body),
            env_update: None,
        }
    }

    fn set(files: Vec<RenderedFile>) -> RenderSet {
        RenderSet {
            files,
            warnings: Vec::new(),
            secrets: vec!["s3cret-password".into()],
        }
    }

    #[test]
    fn shell_quote_only_when_needed() {
        assert_eq!(shell_quote("deploy/x"), "deploy/x");
        assert_eq!(shell_quote("my dir"), "'my dir'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn classifies_every_state() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let s = set(vec![conf("maxmemory 1gb\n")]);
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::Create);
        fs::write(d.join("redis.conf"), header::stamp("maxmemory 1gb\n")).unwrap();
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::Unchanged);
        fs::write(d.join("redis.conf"), header::stamp("maxmemory 2gb\n")).unwrap();
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::Update);
        let edited = header::stamp("maxmemory 2gb\n").replace("2gb", "3gb");
        fs::write(d.join("redis.conf"), edited).unwrap();
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::HandEdited);
        fs::write(d.join("redis.conf"), "port 6379\n").unwrap();
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::Foreign);
        fs::write(d.join("redis.conf"), [0xff, 0xfe]).unwrap();
        assert_eq!(plan(&s, d).unwrap().files[0].action, Action::Foreign);
    }

    #[test]
    fn a_secret_in_a_public_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = set(vec![conf("requirepass s3cret-password\n")]);
        let err = plan(&s, dir.path()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(!err.to_string().contains("s3cret-password"));
    }

    #[test]
    fn overlapping_secrets_are_masked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = set(vec![conf("a\n")]);
        s.secrets = vec!["abcdef".into(), "abcdef-ghijkl".into(), "x".into()];
        let p = plan(&s, dir.path()).unwrap();
        assert_eq!(
            p.mask("p=abcdef-ghijkl q=abcdef x"),
            "p=******** q=******** x"
        );
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let env = RenderedFile {
            kind: FileKind::Env,
            contents: "REDIS_PASSWORD=s3cret-password\n".into(),
            env_update: None,
        };
        let p = plan(&set(vec![env, conf("a\n")]), dir.path()).unwrap();
        let debug = format!("{p:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(
            debug.contains("maxmemory") || debug.contains("Generated by"),
            "{debug}"
        );
    }

    #[test]
    fn same_file_twice_is_a_bug_not_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let s = set(vec![conf("a\n"), conf("b\n")]);
        assert!(plan(&s, dir.path()).is_err());
    }

    #[test]
    fn secret_file_diff_never_shows_values() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(".env"),
            "REDIS_PASSWORD=old-password-1\nA=1\n",
        )
        .unwrap();
        let env = RenderedFile {
            kind: FileKind::Env,
            contents: "REDIS_PASSWORD=s3cret-password\n".into(),
            env_update: Some(EnvUpdate {
                set: vec![("REDIS_PASSWORD".into(), "s3cret-password".into())],
                remove: vec![],
            }),
        };
        let p = plan(&set(vec![env]), dir.path()).unwrap();
        let diff = p.diff();
        assert!(diff.contains("secret file, diff not shown"), "{diff}");
        assert!(diff.contains("REDIS_PASSWORD updated"), "{diff}");
        assert!(
            !diff.contains("s3cret") && !diff.contains("old-password"),
            "{diff}"
        );
    }

    #[test]
    fn an_output_directory_that_is_a_file_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("deploy");
        fs::write(&file, "").unwrap();
        let err = plan(&set(vec![conf("a\n")]), &file).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_directory_in_the_way_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("redis.conf")).unwrap();
        let err = plan(&set(vec![conf("a\n")]), dir.path()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
