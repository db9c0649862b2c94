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

use similar::TextDiff;

use crate::envfile::{self, EnvChange};
use crate::error::{Error, Result, EXIT_OK, EXIT_PROBLEMS};
use crate::header::{self, HeaderState};
use crate::output::{FileKind, RenderSet, RenderedFile};
use crate::write::{self, Permissions, Staged};

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
    /// The render's warnings, then ours (permissions).
    pub warnings: Vec<String>,
    /// What the plan followed: symlinks on `--out` and to files inside the directory.
    pub notes: Vec<String>,
    /// A write of an earlier run was killed after its journal was written: the next write
    /// completes it first (the set on disk may be partly old, partly new until then).
    pub interrupted: bool,
    render_command: String,
    secrets: Vec<String>,
    /// The directory of `.env` when it is not `out_dir` (`env-file`): locked, journalled and
    /// completed like `out_dir`.
    env_dir: Option<PathBuf>,
    /// The set this plan was made from: a write plans it again once it holds the lock.
    set: RenderSet,
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
            .field("notes", &self.notes)
            .field("interrupted", &self.interrupted)
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

/// What kind of thing sits at a path that is not a regular file, for messages.
fn file_type_name(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else if meta.file_type().is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

#[cfg(unix)]
fn owner_of(meta: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.uid())
}

#[cfg(not(unix))]
fn owner_of(_meta: &fs::Metadata) -> Option<u32> {
    None
}

/// The user this process runs as (`None` where there are no users).
#[cfg(unix)]
fn running_user() -> Option<u32> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    Some(unsafe { libc::geteuid() })
}

#[cfg(not(unix))]
fn running_user() -> Option<u32> {
    None
}

/// Opens `path` for reading without following a final symlink and without blocking on a
/// FIFO, and proves that what was opened is a regular file (the check and the read concern
/// the same file, whatever is renamed in between).
fn open_regular(path: &Path) -> io::Result<(fs::File, fs::Metadata)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}", file_type_name(&meta)),
        ));
    }
    Ok((file, meta))
}

/// An output found on disk: its bytes, where a write goes, and the owner of that file.
type ExistingFile = (Vec<u8>, PathBuf, Option<u32>);

/// Reads `path` for the plan: `None` when it does not exist, else its bytes, where a write
/// goes, and the owner of that file.
///
/// Only the tool's own files are read: a symlink is followed only to a regular file inside
/// the output directory (`out_real`, resolved) that the running user owns, and said so in
/// `notes`; a link elsewhere, a FIFO, a socket or a device is refused (exit 2) without being
/// opened, so its contents are never read, printed or replaced.
fn read_existing(
    path: &Path,
    out_dir: &Path,
    notes: &mut Vec<String>,
) -> Result<Option<ExistingFile>> {
    use io::Read as _;
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let write_path = if meta.file_type().is_symlink() {
        let target = fs::read_link(path)
            .map(|t| display(&t))
            .unwrap_or_else(|_| "?".into());
        let Ok(resolved) = fs::canonicalize(path) else {
            return Err(Error::Usage(format!(
                "{} is a symlink to {target}, which does not exist; nothing was written. Fix: \
                 remove the link (rm {}) so that render writes its own {name}, or create the \
                 file it points to",
                display(path),
                shell_quote(&display(path))
            )));
        };
        let out_real = fs::canonicalize(out_dir).map_err(|source| Error::Read {
            path: out_dir.to_path_buf(),
            source,
        })?;
        if !resolved.starts_with(&out_real) {
            return Err(Error::Usage(format!(
                "{} is a symlink to {}, outside the output directory {}; chatwoot-redis reads \
                 and writes only its own files there, so it neither shows nor replaces that \
                 file and nothing was written. Fix: remove the link (rm {}) so that render \
                 writes its own {name}, or render into that file's directory (--out {})",
                display(path),
                display(&resolved),
                display(&out_real),
                shell_quote(&display(path)),
                shell_quote(&display(&parent_dir(&resolved)))
            )));
        }
        let target_meta = fs::symlink_metadata(&resolved).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if !target_meta.is_file() {
            return Err(Error::Usage(format!(
                "{} is a symlink to {}, which is {}; nothing was written. Fix: remove the \
                 link (rm {}) so that render writes its own {name}",
                display(path),
                display(&resolved),
                file_type_name(&target_meta),
                shell_quote(&display(path))
            )));
        }
        let me = running_user();
        if owner_of(&target_meta) != me {
            return Err(Error::Usage(format!(
                "{} is a symlink to {}, owned by uid {} and not by you (uid {}); following it \
                 would hand your files to another user, so nothing was written. Fix: chown \
                 {} {} (or replace the link by a file of your own) and rerun",
                display(path),
                display(&resolved),
                owner_of(&target_meta).map_or("?".into(), |u| u.to_string()),
                me.map_or("?".into(), |u| u.to_string()),
                me.map_or("?".into(), |u| u.to_string()),
                shell_quote(&display(&resolved))
            )));
        }
        notes.push(format!(
            "{} is a link to {}; following it (the link stays a link)",
            display(path),
            display(&resolved)
        ));
        resolved
    } else if meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a directory; the output {name} must be a file: move that directory away",
            display(path),
        )));
    } else if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is {}, not a regular file; chatwoot-redis neither reads nor replaces it, and \
             nothing was written. Fix: move it away (mv {} {}.orig) and rerun",
            display(path),
            file_type_name(&meta),
            shell_quote(&display(path)),
            shell_quote(&display(path))
        )));
    } else {
        path.to_path_buf()
    };
    let read_error = |source: io::Error| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let (mut file, meta) = open_regular(&write_path).map_err(read_error)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(read_error)?;
    Ok(Some((bytes, write_path, owner_of(&meta))))
}

/// The text of an output file read by the rules of [`plan`], for the readers that look at
/// the previous render (the existing password): `None` when it does not exist, is not text,
/// or is not the tool's own to read (a symlink out of its directory, a FIFO, a device).
pub fn read_own_output(path: &Path) -> Option<String> {
    let (bytes, _, _) = read_existing(path, &parent_dir(path), &mut Vec::new()).ok()??;
    String::from_utf8(bytes).ok()
}

/// Refuses to give a secret to another user: an existing secret file must belong to the
/// running user, or to the owner of its directory (root rendering the `.env` of the user who
/// runs Chatwoot, in that user's directory).
fn check_secret_owner(path: &Path, write_path: &Path, owner: Option<u32>) -> Result<()> {
    let me = running_user();
    if owner == me {
        return Ok(());
    }
    let dir_owner = fs::metadata(parent_dir(write_path))
        .ok()
        .and_then(|m| owner_of(&m));
    if owner.is_some() && owner == dir_owner {
        return Ok(());
    }
    let (owner, me) = (
        owner.map_or("?".into(), |u| u.to_string()),
        me.map_or("?".into(), |u| u.to_string()),
    );
    Err(Error::Usage(format!(
        "{} holds secrets and belongs to uid {owner}, neither you (uid {me}) nor the owner of \
         its directory; writing the password into it would give the password to that user, so \
         nothing was written. Fix: chown {me} {} (or remove the file) and rerun, or run \
         chatwoot-redis as that user",
        display(path),
        shell_quote(&display(write_path))
    )))
}

/// One rendered file against what is on disk.
struct Compared {
    action: Action,
    current: Option<String>,
    contents: String,
    env_changes: Vec<EnvChange>,
    write_path: PathBuf,
}

fn compare_with_disk(
    file: &RenderedFile,
    path: &Path,
    out_dir: &Path,
    notes: &mut Vec<String>,
) -> Result<Compared> {
    let Some((bytes, write_path, owner)) = read_existing(path, out_dir, notes)? else {
        let contents = if file.kind == FileKind::Env {
            envfile::stamp_keys(&file.contents)
        } else {
            file.contents.clone()
        };
        return Ok(Compared {
            action: Action::Create,
            current: None,
            contents,
            env_changes: Vec::new(),
            write_path: path.to_path_buf(),
        });
    };
    if file.kind.is_secret() {
        check_secret_owner(path, &write_path, owner)?;
    }
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
        let contents = envfile::stamp_keys(&merged.contents);
        // A Redis key changed by hand since the last render (its mark says so) is kept, like
        // a hand edit of a generated file, unless the render gives the same value anyway.
        let hand_edited = envfile::keys_state(&text) == envfile::KeysState::HandEdited
            && envfile::redis_keys_checksum(&text) != envfile::redis_keys_checksum(&contents);
        let action = if contents == text {
            Action::Unchanged
        } else if hand_edited {
            Action::HandEdited
        } else {
            Action::Update
        };
        return Ok(Compared {
            action,
            current: Some(text),
            contents,
            env_changes: merged.changes,
            write_path,
        });
    }
    // The operator's comments in the answers file are kept.
    let contents = if file.kind == FileKind::Answers {
        crate::answers::comments::keep_comments(&text, &file.contents)
    } else {
        file.contents.clone()
    };
    let action = if text == contents {
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
        contents,
        env_changes: Vec::new(),
        write_path,
    })
}

/// What a hand edit of the Redis keys of `.env` is, and the ways out (key names only).
fn env_hand_edit_note(file: &PlannedFile) -> String {
    let keys: Vec<&str> = file.env_changes.iter().map(EnvChange::key).collect();
    format!(
        "{}: Redis keys changed by hand since chatwoot-redis wrote them (the render would \
         change {}); kept. Fix: put the value in chatwoot-redis.yaml (e.g. db:, port:, host:) \
         and render again, or render --force to replace the hand edit",
        display(&file.path),
        if keys.is_empty() {
            "their mark".to_string()
        } else {
            keys.join(", ")
        }
    )
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
    let mut notes = Vec::new();
    if let Some(real) = resolved_through_links(out_dir) {
        notes.push(format!(
            "--out {} leads through a symlink to {}; the files are written there",
            display(out_dir),
            display(&real)
        ));
    }
    let env_dir = set
        .env_path
        .as_deref()
        .map(parent_dir)
        .filter(|d| !same_dir(d, out_dir));
    for file in &set.files {
        let (path, own_dir) = match (&set.env_path, file.kind) {
            // Chatwoot's own .env elsewhere: read and written by the same rules, its own
            // directory standing for the output directory.
            (Some(p), FileKind::Env) => (p.clone(), parent_dir(p)),
            _ => (out_dir.join(file.name()), out_dir.to_path_buf()),
        };
        let Compared {
            action,
            current,
            contents,
            env_changes,
            write_path,
        } = compare_with_disk(file, &path, &own_dir, &mut notes)?;
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
    // Every file name a render can produce: one of them in the output directory that is not
    // part of the set is a leftover (e.g. from another scenario).
    for kind in FileKind::ALL {
        // The answers file is input as well as output, and a `.env` without Redis outputs is
        // Chatwoot's own file: neither is ever a leftover.
        if seen.contains(&kind) || matches!(kind, FileKind::Answers | FileKind::Env) {
            continue;
        }
        let path = out_dir.join(kind.file_name());
        // Never a link or a special file: their contents are not ours to read or show.
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
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

    let dirs: BTreeSet<PathBuf> = files.iter().map(|f| parent_dir(&f.write_path)).collect();
    let stale_temp_files = dirs
        .iter()
        .flat_map(|d| write::stale_temp_files(d))
        .collect();

    let interrupted = std::iter::once(out_dir)
        .chain(env_dir.as_deref())
        .any(|d| fs::symlink_metadata(d.join(write::JOURNAL)).is_ok());
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
        notes,
        interrupted,
        secrets,
        env_dir,
        set: set.clone(),
    })
}

/// Are `a` and `b` the same directory (`b` may not exist yet)?
fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    }
}

/// Where `out_dir` really is, when a symlink on the way leads elsewhere (`None` otherwise).
fn resolved_through_links(out_dir: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(out_dir).ok()?;
    let linked = abs
        .ancestors()
        .any(|p| fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()));
    if !linked {
        return None;
    }
    let mut base = abs.clone();
    while !base.is_dir() {
        if !base.pop() {
            return None;
        }
    }
    let rest = abs.strip_prefix(&base).ok()?.to_path_buf();
    Some(fs::canonicalize(&base).ok()?.join(rest))
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

/// What git would do with the secret files: the ones it would commit (not ignored) get a
/// warning; the ones it already tracks are in the repository, and in its history.
#[derive(Debug, Default)]
struct GitFindings {
    /// Secret files that are neither ignored nor tracked: one `git add .` commits them.
    warnings: Vec<String>,
    /// Secret files already tracked, with the message that says what to do.
    tracked: Vec<(PathBuf, String)>,
}

/// The message for a secret file that git tracks: untrack it, ignore it, rotate the password.
fn tracked_secret_message(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        "{} holds secrets and is tracked by git; stop tracking it with: git rm --cached {} \
         (and add the line `{name}` to .gitignore), then rotate the password: the repository's \
         history keeps the old one",
        display(path),
        shell_quote(&display(path))
    )
}

/// Asks git's rules (in-process, see [`crate::git`]) about `secret_paths`. Silent outside a
/// work tree or when the repository cannot be read.
fn git_findings(out_dir: &Path, secret_paths: &[&Path]) -> GitFindings {
    let mut findings = GitFindings::default();
    let Some(statuses) = crate::git::status(secret_paths) else {
        return findings;
    };
    for (path, status) in secret_paths.iter().zip(statuses) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if status.tracked {
            findings
                .tracked
                .push((path.to_path_buf(), tracked_secret_message(path)));
        } else if !status.ignored {
            let gitignore = out_dir.join(".gitignore");
            findings.warnings.push(format!(
                "{} holds secrets and is not ignored by git; add the line `{name}` to {} \
                 (e.g. echo {} >> {})",
                display(path),
                display(&gitignore),
                shell_quote(&name),
                shell_quote(&display(&gitignore))
            ));
        }
    }
    findings
}

/// Whether a line of a config text carries a Redis secret: `requirepass`, `masterauth` or an
/// ACL `user … >password` / `#hash` rule (what `CONFIG REWRITE` copies into redis.conf).
fn is_secret_directive(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches(['-', ' ', '"', '\'']);
    let mut words = t.split_whitespace();
    match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("requirepass" | "masterauth") => words.next().is_some(),
        Some("user") => words.any(|w| w.starts_with('>') || w.starts_with('#')),
        _ => false,
    }
}

/// The 1-based numbers of the lines of `text` that carry a Redis secret.
pub fn secret_directive_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| is_secret_directive(l))
        .map(|(i, _)| i + 1)
        .collect()
}

/// `text` with the value of every secret-carrying line replaced by `<hidden>`.
fn mask_secret_directives(text: &str) -> String {
    if secret_directive_lines(text).is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, eol) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if is_secret_directive(body) {
            let indent = &body[..body.len() - body.trim_start().len()];
            let keyword = body.split_whitespace().next().unwrap_or_default();
            out.push_str(indent);
            out.push_str(keyword);
            out.push_str(" <hidden>");
            out.push_str(eol);
        } else {
            out.push_str(line);
        }
    }
    out
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
    // A password a hand edit (or `CONFIG REWRITE`) put into a public file is never printed.
    let old = mask_secret_directives(old.unwrap_or(""));
    let new = mask_secret_directives(new.unwrap_or(""));
    let diff = TextDiff::from_lines(&old, &new);
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
    /// Replaces the regenerate command (default `chatwoot-redis render --out DIR`, shown as
    /// the fix by `--check` and by a refused write), e.g. when the answers come from `--answers FILE`.
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
            Action::HandEdited if file.kind == FileKind::Env => env_hand_edit_note(file),
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

    /// The render's warnings and git's view of the secret files this plan would create or
    /// change (only those: asking git costs time, and an unchanged file was warned about when
    /// it was written; `--check` looks at every secret file).
    fn print_warnings(&self, w: &mut dyn io::Write) -> io::Result<()> {
        self.print_render_warnings(w)?;
        let git = self.git_findings(false);
        for warning in git
            .warnings
            .iter()
            .chain(git.tracked.iter().map(|(_, m)| m))
        {
            writeln!(w, "warning: {}", self.mask(warning))?;
        }
        Ok(())
    }

    fn print_render_warnings(&self, w: &mut dyn io::Write) -> io::Result<()> {
        for note in &self.notes {
            writeln!(w, "note: {}", self.mask(note))?;
        }
        if self.interrupted {
            writeln!(
                w,
                "warning: a write into {} was interrupted ({} is there): some files may be new \
                 and others old until a render completes it",
                display(&self.out_dir),
                write::JOURNAL
            )?;
        }
        for warning in &self.warnings {
            writeln!(w, "warning: {}", self.mask(warning))?;
        }
        Ok(())
    }

    /// Git's view of the secret files a write would create or change, or (`every`) of every
    /// secret file of the set and every secret leftover on disk.
    fn git_findings(&self, every: bool) -> GitFindings {
        let mut paths: Vec<&Path> = self
            .files
            .iter()
            .filter(|f| f.is_secret() && (every || f.action != Action::Unchanged))
            .map(|f| f.path.as_path())
            .collect();
        if every {
            paths.extend(
                self.leftovers
                    .iter()
                    .filter(|l| l.kind.is_secret())
                    .map(|l| l.path.as_path()),
            );
        }
        if paths.is_empty() {
            return GitFindings::default();
        }
        git_findings(&self.out_dir, &paths)
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
    /// Every file is staged and the journal of the renames is on disk.
    Journalled,
    /// This file was renamed into place.
    Committed(&'a Path),
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// `(path, Create | Update | HandEdited | Foreign)` of every file written, in set order.
    pub written: Vec<(PathBuf, Action)>,
    /// Temporary files of an earlier, interrupted run that were removed.
    pub removed_temp_files: Vec<PathBuf>,
    /// Files whose journalled write an earlier, killed run left unfinished, completed now.
    pub completed: Vec<PathBuf>,
}

/// Writes the plan: every file that changes, all or nothing. Without `force`, a hand-edited
/// or foreign file makes it refuse (`Error::Problems` with [`Plan::refusal`]) before any
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
///
/// A write holds the directory's lock ([`crate::lock`]) from its last look at the disk to
/// its last rename: it completes a journalled write that an earlier run could not finish,
/// removes the temporary files of runs that are gone, plans the set again (another run may
/// have written since `plan` was made), then stages, journals and renames.
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
    let nothing_to_do = plan.files.iter().all(|f| !f.would_write(force))
        && plan.stale_temp_files.is_empty()
        && !plan.interrupted;
    if nothing_to_do {
        // The common no-change render: no lock, no write of any kind.
        return Ok(ApplyReport::default());
    }
    let created_out_dir = !plan.out_dir.is_dir();
    fs::create_dir_all(&plan.out_dir)
        .map_err(|e| write_error(&plan.out_dir, e, "nothing was written"))?;
    let _lock = lock_out_dir(&plan.out_dir)?;
    // Always in this order (output directory, then .env's), so two runs never wait on
    // each other crosswise.
    let _env_lock = match &plan.env_dir {
        Some(dir) => Some(lock_out_dir(dir)?),
        None => None,
    };
    let mut completed = complete_journal(&plan.out_dir)?;
    if let Some(dir) = &plan.env_dir {
        completed.extend(complete_journal(dir)?);
    }
    let mut report = ApplyReport {
        completed,
        ..ApplyReport::default()
    };
    let mut fresh = self::plan(&plan.set, &plan.out_dir)?;
    fresh.render_command.clone_from(&plan.render_command);
    if !force {
        if let Some(message) = fresh.refusal() {
            return Err(Error::Problems(message));
        }
    }
    remove_stale_temp_files(&fresh, &mut report);
    write_locked(&fresh, force, created_out_dir, hook, report)
}

/// Takes the lock on `out_dir`, or fails with a message that says who holds it.
fn lock_out_dir(out_dir: &Path) -> Result<crate::lock::DirLock> {
    let shown = display(out_dir);
    crate::lock::lock_dir(out_dir, crate::lock::WAIT, &mut || {
        eprintln!("waiting for another chatwoot-redis run to finish writing {shown}…");
    })
    .map_err(|e| match e {
        crate::lock::LockError::Busy { path, waited } => Error::Write {
            path: out_dir.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "another chatwoot-redis run has held the lock on {} for {} s; nothing was \
                     written. Wait for it to finish (or end it) and rerun",
                    display(&path),
                    waited.as_secs()
                ),
            ),
        },
        crate::lock::LockError::Io { path, source } => write_error(
            &path,
            source,
            "cannot lock the output directory; nothing was written",
        ),
    })
}

/// Completes, under the lock, the journalled write a killed run left in `out_dir`, and
/// removes the temporary files of runs that are gone: afterwards the directory holds one
/// whole set. Returns the files completed. (Every write does this first.)
pub fn complete_interrupted_write(out_dir: &Path) -> Result<Vec<PathBuf>> {
    if !out_dir.is_dir() {
        return Ok(Vec::new());
    }
    let _lock = lock_out_dir(out_dir)?;
    let completed = complete_journal(out_dir)?;
    for temp in write::stale_temp_files(out_dir) {
        let _ = fs::remove_file(temp);
    }
    Ok(completed)
}

fn complete_journal(out_dir: &Path) -> Result<Vec<PathBuf>> {
    write::complete_journal(out_dir).map_err(|e| {
        write_error(
            &out_dir.join(write::JOURNAL),
            e,
            "cannot complete the write an earlier run left unfinished; nothing else was written",
        )
    })
}

/// The write itself, under the lock: stage every file, journal the renames, rename, flush,
/// drop the journal.
fn write_locked(
    plan: &Plan,
    force: bool,
    created_out_dir: bool,
    hook: &mut dyn FnMut(WriteStep<'_>) -> io::Result<()>,
    mut report: ApplyReport,
) -> Result<ApplyReport> {
    let to_write: Vec<&PlannedFile> = plan.files.iter().filter(|f| f.would_write(force)).collect();
    if to_write.is_empty() {
        return Ok(report);
    }

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
    // The journal makes the renames one step: once it is on disk, a run killed at any later
    // point is completed by the next one; before it, the old set is untouched. A single file
    // needs none (its rename is atomic).
    // A `.env` in another directory has its own journal there (a journal only ever names
    // files of its own directory); both are written before the first rename.
    let journalled = staged.len() > 1;
    let mut journals: Vec<&Path> = Vec::new();
    if journalled {
        let dirs = std::iter::once(plan.out_dir.as_path()).chain(plan.env_dir.as_deref());
        for dir in dirs {
            let own = |f: &PlannedFile| match &plan.env_dir {
                Some(env_dir) if f.kind == FileKind::Env => dir == env_dir.as_path(),
                _ => dir == plan.out_dir.as_path(),
            };
            let renames: Vec<(&Path, &Path)> = staged
                .iter()
                .filter(|(_, f)| own(f))
                .map(|(s, f)| (s.temp_path(), f.write_path.as_path()))
                .collect();
            if renames.is_empty() {
                continue;
            }
            if let Err(e) = write::write_journal(dir, &renames) {
                for written in &journals {
                    let _ = write::remove_journal(written);
                }
                return Err(write_error(
                    &dir.join(write::JOURNAL),
                    e,
                    "nothing was written",
                ));
            }
            journals.push(dir);
        }
        hook(WriteStep::Journalled).map_err(|e| {
            for written in &journals {
                let _ = write::remove_journal(written);
            }
            write_error(&plan.out_dir.join(write::JOURNAL), e, "nothing was written")
        })?;
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
            // The staged files are gone with this error: nothing left to complete.
            for dir in &journals {
                let _ = write::remove_journal(dir);
            }
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
    for dir in journals {
        write::remove_journal(dir).map_err(|e| {
            write_error(
                &dir.join(write::JOURNAL),
                e,
                "every file was written; remove the journal by hand",
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
    /// Secret files that git tracks: committed secrets fail the check like stale files do.
    pub tracked_secrets: Vec<PathBuf>,
    /// The full printable report: diffs, skipped files, and the command that fixes it.
    pub text: String,
}

impl CheckReport {
    /// Every committed output is current and no secret file is tracked by git.
    pub fn is_current(&self) -> bool {
        self.stale.is_empty() && self.tracked_secrets.is_empty()
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

/// `render --check`: are the committed outputs and the answers file exactly what the answers
/// produce? Secret files are skipped; leftovers of other outputs count as differences.
pub fn check(plan: &Plan) -> CheckReport {
    let mut stale = Vec::new();
    let mut skipped = Vec::new();
    let mut text = String::new();
    let mut needs_force = false;
    let git = plan.git_findings(true);
    for warning in &git.warnings {
        let _ = writeln!(text, "warning: {warning}");
    }
    for file in &plan.files {
        if file.is_secret() && file.action == Action::HandEdited {
            // Its contents are secret: the keys are named, no diff is shown.
            stale.push(file.path.clone());
            needs_force = true;
            let _ = writeln!(text, "{}", env_hand_edit_note(file));
            continue;
        }
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
        let leaked = secret_directive_lines(file.current.as_deref().unwrap_or(""));
        if !leaked.is_empty() {
            let _ = writeln!(
                text,
                "error: {} holds a Redis secret on line {} (requirepass, masterauth or an ACL \
                 password) in a file meant to be committed, e.g. copied there by CONFIG REWRITE; \
                 its value is not shown. Re-render to restore the file (the secret belongs in \
                 the secret file), never run CONFIG REWRITE, and rotate the password: git \
                 history keeps it.",
                display(&file.path),
                leaked
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
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
    for (_, message) in &git.tracked {
        let _ = writeln!(text, "error: {message}");
    }
    if stale.is_empty() && !git.tracked.is_empty() {
        let _ = writeln!(
            text,
            "{compared} file{} current in {}, but secrets are tracked by git (see above).",
            if compared == 1 { "" } else { "s" },
            display(&plan.out_dir)
        );
    } else if stale.is_empty() {
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
        tracked_secrets: git.tracked.into_iter().map(|(p, _)| p).collect(),
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
            // check() asks git about every secret file itself.
            plan.print_render_warnings(out).map_err(io_error)?;
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
                    for path in &report.completed {
                        writeln!(
                            out,
                            "  {:<10} {} (the write of an interrupted run, finished first)",
                            "completed",
                            display(path)
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

    #[test]
    fn secret_directives_are_found_and_masked() {
        let conf = "maxmemory 1gb\nrequirepass s3cret\n  masterauth \"s3cret\"\nuser cw on >s3cret ~* &* +@all\nuser default off\nrequirepass\n";
        assert_eq!(secret_directive_lines(conf), vec![2, 3, 4]);
        let masked = mask_secret_directives(conf);
        assert!(!masked.contains("s3cret"), "{masked}");
        assert!(masked.contains("requirepass <hidden>\n"), "{masked}");
        assert!(masked.contains("  masterauth <hidden>\n"), "{masked}");
        assert!(masked.contains("user default off\n"), "{masked}");
        assert!(masked.contains("maxmemory 1gb\n"), "{masked}");
        // Our own Compose command passes the password from the environment: not a secret.
        assert!(secret_directive_lines("      --maxmemory 1gb\n      --port 6379\n").is_empty());
        let diff = unified_diff(Path::new("redis.conf"), Some(conf), Some("maxmemory 1gb\n"));
        assert!(!diff.contains("s3cret"), "{diff}");
        assert!(diff.contains("-requirepass <hidden>"), "{diff}");
    }
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
            env_path: None,
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
    fn a_hand_edit_that_the_answers_now_produce_is_an_update_not_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        // Edited by hand from 2gb to 3gb (the header's checksum still says 2gb) ...
        let edited = header::stamp("maxmemory 2gb\n").replace("2gb", "3gb");
        fs::write(dir.path().join("redis.conf"), edited).unwrap();
        // ... and then 3gb moved into the answers: only the header is refreshed.
        let p = plan(&set(vec![conf("maxmemory 3gb\n")]), dir.path()).unwrap();
        assert_eq!(p.files[0].action, Action::Update);
        let p = plan(&set(vec![conf("maxmemory 4gb\n")]), dir.path()).unwrap();
        assert_eq!(p.files[0].action, Action::HandEdited);
    }

    #[test]
    fn an_env_file_that_is_not_utf8_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let before = b"SECRET_KEY_BASE=\xff\xfe\nREDIS_URL=redis://old:6379\n".to_vec();
        fs::write(dir.path().join(".env"), &before).unwrap();
        let env = RenderedFile {
            kind: FileKind::Env,
            contents: "REDIS_URL=redis://redis:6379\n".into(),
            env_update: None,
        };
        let err = plan(&set(vec![env]), dir.path()).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains("cannot be merged safely"), "{err}");
        assert_eq!(fs::read(dir.path().join(".env")).unwrap(), before);
    }

    #[test]
    fn a_diff_ends_with_exactly_one_line_break() {
        for (old, new) in [
            (Some("a\n"), Some("b\n")),
            (Some("a"), Some("b")),
            (None, Some("b\n")),
            (Some("a\n"), None),
        ] {
            let diff = unified_diff(Path::new("redis.conf"), old, new);
            assert!(diff.ends_with('\n'), "{old:?} → {new:?}: {diff:?}");
            assert!(!diff.ends_with("\n\n"), "{old:?} → {new:?}: {diff:?}");
        }
    }

    #[test]
    fn a_device_is_named_a_device() {
        let meta = fs::metadata("/dev/null").unwrap();
        assert_eq!(file_type_name(&meta), "a device");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            file_type_name(&fs::metadata(dir.path()).unwrap()),
            "a directory"
        );
    }

    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_neither_blocks_nor_reads_and_a_final_link_is_not_followed() {
        use std::os::unix::ffi::OsStrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("redis.conf");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Without O_NONBLOCK the open waits for a writer forever: the test would hang.
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let target = dir.path().join("real.conf");
        fs::write(&target, "port 6379\n").unwrap();
        let link = dir.path().join("link.conf");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open_regular(&link).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP), "{err}");
        assert!(open_regular(&target).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn the_same_directory_is_recognised_however_it_is_spelt() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(same_dir(&real, &link));
        assert!(same_dir(&real, &real.join(".")));
        assert!(!same_dir(&real, tmp.path()));
        // Not there yet: judged by the absolute path as written.
        let new = tmp.path().join("new");
        assert!(same_dir(&new, &tmp.path().join(".").join("new")));
        assert!(!same_dir(&new, &tmp.path().join("other")));
        assert!(!same_dir(&new, &real));
    }

    #[cfg(unix)]
    #[test]
    fn an_output_directory_reached_through_a_link_is_resolved_even_before_it_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let real = base.join("real");
        fs::create_dir(&real).unwrap();
        let link = base.join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(resolved_through_links(&link), Some(real.clone()));
        assert_eq!(
            resolved_through_links(&link.join("deploy").join("redis")),
            Some(real.join("deploy").join("redis"))
        );
        assert_eq!(resolved_through_links(&real.join("deploy")), None);
    }

    #[test]
    fn a_directory_in_the_way_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("redis.conf")).unwrap();
        let err = plan(&set(vec![conf("a\n")]), dir.path()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
