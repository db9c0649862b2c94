//! Atomic, durable file writes.
//!
//! A file is written to a temporary file in the directory of its target, given its final mode
//! (and owner) while it is still private, flushed to disk, then renamed over the target; the
//! directory is flushed after the rename. A reader, or a crash, sees the old file or the new
//! one, never a part. Temporary files are created with mode 0600 and removed when anything
//! fails (they are deleted when dropped), so a secret is never readable by others, not even
//! for an instant, and no stray temporary file stays behind.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Mode of a new file that holds a secret.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of a new file without secrets.
pub const PUBLIC_MODE: u32 = 0o644;

/// Mode and owner the written file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// Permission bits (`0o644`); ignored where the platform has none.
    pub mode: u32,
    /// `(uid, gid)` to keep when replacing a file owned by someone else (e.g. root rewriting
    /// the `.env` of the `chatwoot` user, which would otherwise become unreadable to it).
    pub owner: Option<(u32, u32)>,
}

impl Permissions {
    /// What a new file gets: 0600 for secrets, 0644 otherwise, owned by whoever runs us.
    pub fn new_file(secret: bool) -> Permissions {
        Permissions {
            mode: if secret { SECRET_MODE } else { PUBLIC_MODE },
            owner: None,
        }
    }
}

/// A file written and flushed next to its target, waiting to be renamed over it.
/// Dropping it removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Staged {
    /// The temporary file (renamed over the target when committed).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Renames the temporary file over the target (atomic on POSIX file systems).
    pub fn commit(self) -> io::Result<()> {
        let target = self.target;
        self.temp.persist(&target).map(drop).map_err(|e| e.error)
    }
}

/// Temporary files are hidden, named after their target and carry the id of the process
/// that writes them (`.env` → `.env.chatwoot-redis-PID-RANDOM.tmp`), so that a leftover is
/// recognisable and only the files of a process that is gone are ever removed.
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        ".{}.chatwoot-redis-{}-",
        name.trim_start_matches('.'),
        std::process::id()
    )
}

/// Suffix of every temporary file this module creates.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Is `name` one of our temporary files?
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".chatwoot-redis-") && name.ends_with(TEMP_SUFFIX)
}

/// The id of the process that created the temporary file `name` (`None` for the names of
/// older versions, which carried none).
pub fn temp_owner(name: &str) -> Option<u32> {
    let after = &name[name.rfind(".chatwoot-redis-")? + ".chatwoot-redis-".len()..];
    let (pid, rest) = after.split_once('-')?;
    if rest.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Temporary files of ours in `dir` whose process is gone: left behind by a run that was
/// killed between creating and renaming them (an error removes them; a `kill -9` or a power
/// loss cannot). A file whose process still runs belongs to a write in progress and is not
/// listed; one without a process id (older versions) is listed.
pub fn stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            is_temp_name(&name) && !temp_owner(&name).is_some_and(crate::lock::process_alive)
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// The journal of a write in progress: which staged temporary file replaces which file.
/// Written (atomically, flushed) after every new file is staged and before the first rename;
/// removed after the last. A run that finds it completes the renames first: a set is then
/// either entirely old (killed before the journal existed: the temporary files are stale) or,
/// once completed, entirely new.
pub const JOURNAL: &str = ".chatwoot-redis.journal";

#[derive(serde::Serialize, serde::Deserialize)]
struct JournalFile {
    /// `(temporary file, target)`, relative to the directory holding the journal.
    renames: Vec<(String, String)>,
}

/// `path` relative to `dir` (as given or resolved), as journal text; `None` when it is
/// elsewhere or not UTF-8.
fn journal_entry(dir: &Path, real_dir: &Path, path: &Path) -> Option<String> {
    let rel = path
        .strip_prefix(dir)
        .or_else(|_| path.strip_prefix(real_dir))
        .ok()?;
    safe_relative(rel).then(|| rel.to_str().map(str::to_string))?
}

/// Only plain names below the directory: a journal can never point elsewhere.
fn safe_relative(rel: &Path) -> bool {
    !rel.as_os_str().is_empty()
        && rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Writes the journal of `renames` (`(temporary file, target)`) into `dir`.
pub fn write_journal(dir: &Path, renames: &[(&Path, &Path)]) -> io::Result<()> {
    let real_dir = dir.canonicalize()?;
    let mut entries = Vec::with_capacity(renames.len());
    for (temp, target) in renames {
        match (
            journal_entry(dir, &real_dir, temp),
            journal_entry(dir, &real_dir, target),
        ) {
            (Some(t), Some(g)) => entries.push((t, g)),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} is not a UTF-8 path inside {}",
                        target.display(),
                        dir.display()
                    ),
                ))
            }
        }
    }
    let text = serde_json::to_vec(&JournalFile { renames: entries }).map_err(io::Error::other)?;
    write_atomic(&dir.join(JOURNAL), &text, Permissions::new_file(true))
}

/// Removes the journal of a completed write and flushes the directory.
pub fn remove_journal(dir: &Path) -> io::Result<()> {
    match fs::remove_file(dir.join(JOURNAL)) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Completes the write a killed run journalled in `dir`: renames every staged file that is
/// still there over its target, flushes, removes the journal. Returns the completed targets.
/// Call it only while holding the directory's lock.
pub fn complete_journal(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let path = dir.join(JOURNAL);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let journal: JournalFile = serde_json::from_slice(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} cannot be read ({e}); remove it and rerun (the files it names may be a \
                 mix of the old and the new set until then)",
                path.display()
            ),
        )
    })?;
    let mut done = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    for (temp, target) in &journal.renames {
        let (temp, target) = (Path::new(temp), Path::new(target));
        let temp_name = temp.file_name().map(|n| n.to_string_lossy().into_owned());
        if !safe_relative(temp)
            || !safe_relative(target)
            || !temp_name.is_some_and(|n| is_temp_name(&n))
        {
            continue;
        }
        let (temp, target) = (dir.join(temp), dir.join(target));
        // Already renamed before the kill: nothing left to do for this one.
        if fs::symlink_metadata(&temp).is_err() {
            continue;
        }
        fs::rename(&temp, &target)?;
        if let Some(parent) = target.parent() {
            dirs.insert(parent.to_path_buf());
        }
        done.push(target);
    }
    for d in dirs {
        sync_dir(&d)?;
    }
    remove_journal(dir)?;
    Ok(done)
}

/// Writes `contents` to a new temporary file next to `target`, with `perms`, and flushes it.
pub fn stage(target: &Path, contents: &[u8], perms: Permissions) -> io::Result<Staged> {
    // A bare name's parent is "", which the temporary file's path joins as the current
    // directory.
    let dir = target.parent().unwrap_or(Path::new("."));
    // NamedTempFile is created 0600 (O_EXCL), so even a secret is private from the start.
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(target))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    set_permissions(temp.as_file(), perms)?;
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    Ok(Staged {
        temp,
        target: target.to_path_buf(),
    })
}

#[cfg(unix)]
fn set_permissions(file: &File, perms: Permissions) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some((uid, gid)) = perms.owner {
        let meta = file.metadata()?;
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != uid || meta.gid() != gid {
            std::os::unix::fs::fchown(file, Some(uid), Some(gid)).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot give the new file the owner of the old one (uid {uid}, gid \
                         {gid}): {e}; run as that user or as root"
                    ),
                )
            })?;
        }
    }
    // After the owner: chown may clear set-id bits, and the mode is what we decided.
    file.set_permissions(fs::Permissions::from_mode(perms.mode))
}

#[cfg(not(unix))]
fn set_permissions(_file: &File, _perms: Permissions) -> io::Result<()> {
    Ok(())
}

/// Flushes a directory, so that renames in it survive a crash.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The mode and owner of an existing file (following symlinks), `None` if it does not exist.
#[cfg(unix)]
pub fn existing_permissions(path: &Path) -> io::Result<Option<Permissions>> {
    use std::os::unix::fs::MetadataExt;
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Permissions {
            mode: meta.mode() & 0o7777,
            owner: Some((meta.uid(), meta.gid())),
        })),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
pub fn existing_permissions(path: &Path) -> io::Result<Option<Permissions>> {
    match fs::metadata(path) {
        Ok(_) => Ok(Some(Permissions::new_file(false))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes one file atomically and durably (stage, rename, flush the directory).
pub fn write_atomic(target: &Path, contents: &[u8], perms: Permissions) -> io::Result<()> {
    let staged = stage(target, contents, perms)?;
    staged.commit()?;
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => sync_dir(p),
        _ => sync_dir(Path::new(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_files(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| is_temp_name(n))
            .collect()
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn staged_file_is_private_and_dropping_it_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join(".env");
        let staged = stage(&target, b"REDIS_PASSWORD=x\n", Permissions::new_file(true)).unwrap();
        assert!(is_temp_name(
            &staged.temp_path().file_name().unwrap().to_string_lossy()
        ));
        #[cfg(unix)]
        assert_eq!(mode(staged.temp_path()), 0o600);
        assert!(!target.exists());
        drop(staged);
        assert!(temp_files(dir.path()).is_empty());
        assert!(!target.exists());
    }

    #[test]
    fn temporary_files_carry_their_process_and_only_those_of_gone_processes_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join(".env");
        let staged = stage(&target, b"A=1\n", Permissions::new_file(true)).unwrap();
        let name = staged
            .temp_path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(temp_owner(&name), Some(std::process::id()));
        // Ours, and we are running: not stale.
        assert!(stale_temp_files(dir.path()).is_empty());
        // A process that is gone, and a name of an older version without a process id.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let dead = dir
            .path()
            .join(format!(".env.chatwoot-redis-{gone}-abc123.tmp"));
        let old = dir.path().join(".redis.conf.chatwoot-redis-Xy12ab.tmp");
        fs::write(&dead, "x").unwrap();
        fs::write(&old, "x").unwrap();
        assert_eq!(temp_owner(".redis.conf.chatwoot-redis-Xy12ab.tmp"), None);
        let mut want = vec![dead, old];
        want.sort();
        assert_eq!(stale_temp_files(dir.path()), want);
        drop(staged);
    }

    #[test]
    fn a_journal_is_completed_and_never_points_outside_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.conf"), "old a\n").unwrap();
        fs::write(d.join("b.conf"), "old b\n").unwrap();
        let a = stage(&d.join("a.conf"), b"new a\n", Permissions::new_file(false)).unwrap();
        let b = stage(&d.join("b.conf"), b"new b\n", Permissions::new_file(false)).unwrap();
        write_journal(
            d,
            &[
                (a.temp_path(), &d.join("a.conf")),
                (b.temp_path(), &d.join("b.conf")),
            ],
        )
        .unwrap();
        // Killed after the first rename: the journal completes the second.
        a.commit().unwrap();
        let b_temp = b.temp_path().to_path_buf();
        std::mem::forget(b); // as a kill would: the temporary file stays
        assert!(b_temp.exists());
        let done = complete_journal(d).unwrap();
        assert_eq!(done, vec![d.join("b.conf")]);
        assert_eq!(fs::read_to_string(d.join("a.conf")).unwrap(), "new a\n");
        assert_eq!(fs::read_to_string(d.join("b.conf")).unwrap(), "new b\n");
        assert!(!d.join(JOURNAL).exists());
        // A planted journal naming paths outside the directory does nothing.
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("victim"), "kept\n").unwrap();
        let planted = format!(
            "{{\"renames\":[[\".x.chatwoot-redis-1-a.tmp\",\"../{}/victim\"],[\"/etc/x.chatwoot-redis-1-a.tmp\",\"b.conf\"]]}}",
            outside.path().file_name().unwrap().to_string_lossy()
        );
        fs::write(d.join(JOURNAL), planted).unwrap();
        assert!(complete_journal(d).unwrap().is_empty());
        assert_eq!(
            fs::read_to_string(outside.path().join("victim")).unwrap(),
            "kept\n"
        );
        assert_eq!(fs::read_to_string(d.join("b.conf")).unwrap(), "new b\n");
    }

    #[test]
    fn only_our_own_temporary_names_count_as_temporary_files() {
        assert!(is_temp_name(".env.chatwoot-redis-12-abc.tmp"));
        // An operator's files that share one or two of the three marks are never ours.
        for name in [
            "notes.tmp",
            ".notes.tmp",
            "env.chatwoot-redis-12-abc.tmp",
            ".env.chatwoot-redis-12-abc",
            ".env.chatwoot-redis-12-abc.tmp.bak",
            "x.chatwoot-redis-1-a.tmp",
        ] {
            assert!(!is_temp_name(name), "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        for name in ["notes.tmp", ".notes.tmp", "env.chatwoot-redis-1-a.tmp"] {
            fs::write(dir.path().join(name), "an operator's file\n").unwrap();
        }
        assert!(stale_temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_planted_journal_never_renames_across_the_directory_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let outside = tempfile::tempdir().unwrap();
        let o = outside.path();
        let o_name = o.file_name().unwrap().to_string_lossy().into_owned();
        fs::write(d.join("b.conf"), "kept b\n").unwrap();
        fs::write(o.join("victim"), "kept victim\n").unwrap();
        // Real staged-looking files on both sides, so a rename would succeed if attempted.
        let inside_temp = ".b.conf.chatwoot-redis-1-a.tmp";
        fs::write(d.join(inside_temp), "planted\n").unwrap();
        let outside_temp = o.join(".x.chatwoot-redis-1-a.tmp");
        fs::write(&outside_temp, "planted\n").unwrap();
        fs::write(d.join("plain"), "not a temporary file\n").unwrap();
        let planted = serde_json::json!({ "renames": [
            [inside_temp, format!("../{o_name}/victim")],
            [inside_temp, o.join("victim").to_string_lossy()],
            [outside_temp.to_string_lossy(), "b.conf"],
            [format!("../{o_name}/.x.chatwoot-redis-1-a.tmp"), "b.conf"],
            ["", "b.conf"],
            [inside_temp, ""],
            ["plain", "b.conf"],
        ]});
        fs::write(d.join(JOURNAL), planted.to_string()).unwrap();
        assert!(complete_journal(d).unwrap().is_empty());
        assert_eq!(
            fs::read_to_string(o.join("victim")).unwrap(),
            "kept victim\n"
        );
        assert_eq!(fs::read_to_string(d.join("b.conf")).unwrap(), "kept b\n");
        assert!(d.join(inside_temp).exists() && outside_temp.exists());
        assert!(d.join("plain").exists());
        assert!(
            !d.join(JOURNAL).exists(),
            "the journal is removed all the same"
        );
    }

    #[test]
    fn removing_a_journal_that_is_not_there_is_fine_and_other_errors_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        remove_journal(dir.path()).unwrap();
        // A directory in the journal's place: remove_file fails, and the run must say so.
        fs::create_dir(dir.path().join(JOURNAL)).unwrap();
        let err = remove_journal(dir.path()).unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::NotFound);
        assert!(dir.path().join(JOURNAL).is_dir());
    }

    /// Run by [`a_bare_file_name_is_written_in_the_current_directory`] in a child process
    /// whose working directory is a temporary one (the working directory is per process).
    #[test]
    #[ignore = "a helper: run by a_bare_file_name_is_written_in_the_current_directory"]
    fn bare_name_child() {
        if std::env::var_os("WRITE_BARE_NAME_CHILD").is_none() {
            return;
        }
        write_atomic(
            Path::new("bare.conf"),
            b"bare\n",
            Permissions::new_file(false),
        )
        .unwrap();
        stage(
            Path::new("staged.conf"),
            b"staged\n",
            Permissions::new_file(false),
        )
        .unwrap()
        .commit()
        .unwrap();
    }

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "write::tests::bare_name_child",
                "--ignored",
                "--quiet",
            ])
            .current_dir(dir.path())
            .env("WRITE_BARE_NAME_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            fs::read_to_string(dir.path().join("bare.conf")).unwrap(),
            "bare\n"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("staged.conf")).unwrap(),
            "staged\n"
        );
        assert!(temp_files(dir.path()).iter().all(|n| !is_temp_name(n)));
    }

    #[test]
    fn write_replaces_atomically_with_the_given_mode() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("redis.conf");
        fs::write(&target, "old\n").unwrap();
        write_atomic(&target, b"new\n", Permissions::new_file(false)).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new\n");
        #[cfg(unix)]
        assert_eq!(mode(&target), 0o644);
        let secret = dir.path().join("redis-secrets.conf");
        write_atomic(&secret, b"requirepass x\n", Permissions::new_file(true)).unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&secret), 0o600);
        assert!(temp_files(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn existing_permissions_report_errors_other_than_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(existing_permissions(&dir.path().join("absent"))
            .unwrap()
            .is_none());
        assert!(existing_permissions(&file).unwrap().is_some());
        // A path through a regular file: ENOTDIR, not "no file there".
        let err = existing_permissions(&file.join("x")).unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn temp_owner_needs_a_plain_process_id_and_a_random_part() {
        assert_eq!(temp_owner(".env.chatwoot-redis-123-abc.tmp"), Some(123));
        // `u32::from_str` would take "+12"; a process id is digits only.
        assert_eq!(temp_owner(".env.chatwoot-redis-+12-abc.tmp"), None);
        assert_eq!(temp_owner(".env.chatwoot-redis-123-"), None);
        assert_eq!(temp_owner(".env.chatwoot-redis--abc.tmp"), None);
        assert_eq!(temp_owner(".env.chatwoot-redis-abc.tmp"), None);
    }

    #[test]
    fn a_journal_that_cannot_be_read_is_an_error_not_an_absent_journal() {
        let dir = tempfile::tempdir().unwrap();
        assert!(complete_journal(dir.path()).unwrap().is_empty());
        fs::create_dir(dir.path().join(JOURNAL)).unwrap();
        let err = complete_journal(dir.path()).unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::NotFound);
    }

    #[cfg(unix)]
    #[test]
    fn existing_permissions_keep_only_the_mode_bits() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(existing_permissions(&file).unwrap().unwrap().mode, 0o640);
    }

    /// A file staged over another user's file gets that user as owner (root updating the
    /// chatwoot user's `.env`); without the right to give it away, staging refuses.
    #[cfg(unix)]
    #[test]
    fn a_staged_file_takes_the_owner_it_is_given() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join(".env");
        let meta = fs::metadata(dir.path()).unwrap();
        let (my_uid, my_gid) = (meta.uid(), meta.gid());
        // Another user and group; another user in this group; this user in another group.
        for owner in [(4242, 4243), (4242, my_gid), (my_uid, 4243)] {
            let perms = Permissions {
                mode: 0o600,
                owner: Some(owner),
            };
            match stage(&target, b"x", perms) {
                Ok(staged) => {
                    let meta = fs::metadata(staged.temp_path()).unwrap();
                    assert_eq!((meta.uid(), meta.gid()), owner);
                    assert_eq!(meta.mode() & 0o7777, 0o600);
                }
                // Not root: the owner cannot be given away, and staging says so.
                Err(e) => {
                    assert_ne!(euid(), 0, "root may chown: {e}");
                    assert!(
                        e.to_string().contains("cannot give the new file the owner"),
                        "{e}"
                    );
                }
            }
        }
    }

    #[cfg(unix)]
    fn euid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }
}
