//! One writer per output directory: an exclusive `flock` on the directory itself.
//!
//! A render takes the lock before it compares the directory with the set for the last time
//! and holds it until every file is in place, so two runs never interleave their writes and
//! never delete each other's temporary files. A run that finds the lock taken says so and
//! waits a little (the other write takes milliseconds); past that it fails and writes
//! nothing. The kernel releases the lock when its holder exits, even under `kill -9`. Locking
//! the directory rather than a lock file in it leaves nothing behind that a repository of
//! generated files would have to ignore.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a run waits for another one before giving up.
pub const WAIT: Duration = Duration::from_secs(10);

/// The lock on one output directory; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another run held it for the whole wait.
    Busy {
        path: PathBuf,
        waited: Duration,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
}

#[cfg(unix)]
fn try_flock(file: &File) -> io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        Some(libc::EINTR) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(not(unix))]
fn try_flock(_file: &File) -> io::Result<bool> {
    Ok(true)
}

/// Takes the lock on `dir` (which must exist), waiting up to `wait`; `on_wait` is called
/// once, when the lock is found taken (to tell the user why nothing happens).
pub fn lock_dir(
    dir: &Path,
    wait: Duration,
    on_wait: &mut dyn FnMut(),
) -> Result<DirLock, LockError> {
    let path = dir.to_path_buf();
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC);
    }
    let file = options.open(&path).map_err(|source| LockError::Io {
        path: path.clone(),
        source,
    })?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match try_flock(&file) {
            Ok(true) => return Ok(DirLock { _file: file }),
            Ok(false) => {}
            Err(source) => return Err(LockError::Io { path, source }),
        }
        if !told {
            on_wait();
            told = true;
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Err(LockError::Busy { path, waited });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Is the process `pid` still running? (Unknown counts as running: its files are kept.)
#[cfg(unix)]
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
pub fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_fails_and_a_dropped_lock_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_dir(dir.path(), WAIT, &mut || {}).unwrap();
        let mut told = 0;
        let err = lock_dir(dir.path(), Duration::from_millis(50), &mut || told += 1).unwrap_err();
        assert!(matches!(err, LockError::Busy { .. }), "{err:?}");
        assert_eq!(told, 1);
        drop(first);
        lock_dir(dir.path(), Duration::from_millis(50), &mut || {}).unwrap();
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
    }
}
