//! Bounded reads of input files: a file named on the command line may be a FIFO, a device
//! (`/dev/zero`, `/dev/urandom`) or simply huge. Only regular files are read, and at most a
//! cap; anything else is refused with a reason the caller turns into a message.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Why a bounded read refused or failed.
#[derive(Debug)]
pub enum Refused {
    /// The path is not a regular file (what it is instead: "a FIFO (named pipe)", …).
    NotRegular(&'static str),
    /// The file is larger than the cap (in bytes).
    TooLarge(u64),
    /// Opening or reading failed.
    Io(io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotRegular(kind) => {
                write!(f, "it is {kind}, not a regular file, so it is not read")
            }
            Refused::TooLarge(cap) => {
                write!(
                    f,
                    "it is larger than {cap} bytes, more than such a file ever needs"
                )
            }
            Refused::Io(e) => write!(f, "{e}"),
        }
    }
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Reads at most `cap` bytes from `reader`; more is `TooLarge` (reading stops at `cap + 1`).
pub fn read_capped_from(reader: impl Read, cap: u64) -> Result<Vec<u8>, Refused> {
    let mut data = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(Refused::Io)?;
    if data.len() as u64 > cap {
        return Err(Refused::TooLarge(cap));
    }
    Ok(data)
}

/// Reads a regular file of at most `cap` bytes. Anything else is refused before it is
/// opened (opening a FIFO would wait for a writer), and checked again on the open handle.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, Refused> {
    let meta = std::fs::metadata(path).map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotRegular(kind(&meta)));
    }
    if meta.len() > cap {
        return Err(Refused::TooLarge(cap));
    }
    let file = File::open(path).map_err(Refused::Io)?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotRegular(kind(&meta)));
    }
    read_capped_from(file, cap)
}

/// Like [`read_capped`], as UTF-8 text.
pub fn read_capped_text(path: &Path, cap: u64) -> Result<String, Refused> {
    let data = read_capped(path, cap)?;
    String::from_utf8(data).map_err(|_| {
        Refused::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "it is not UTF-8 text",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_up_to_the_cap() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").expect("write");
        assert_eq!(read_capped(&p, 10).expect("read"), b"0123456789");
        assert!(matches!(read_capped(&p, 9), Err(Refused::TooLarge(9))));
        assert!(matches!(
            read_capped(dir.path(), 9),
            Err(Refused::NotRegular("a directory"))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_reading() {
        let e = read_capped(Path::new("/dev/zero"), 1024).expect_err("refused");
        assert!(e.to_string().contains("character device"), "{e}");
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        // Would block forever if it were opened.
        let e = read_capped(&fifo, 1024).expect_err("refused");
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn a_stream_is_read_up_to_the_cap_only() {
        let endless = std::io::repeat(b'x');
        assert!(matches!(
            read_capped_from(endless, 4096),
            Err(Refused::TooLarge(4096))
        ));
        assert_eq!(read_capped_from(&b"abc"[..], 3).expect("read"), b"abc");
    }
}
