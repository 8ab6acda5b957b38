//! How the store touches files: every file it opens for writing is opened without following a
//! symbolic link, every file it reads must be a plain file it could have written (never a link,
//! a pipe or a device), reads are bounded, and what it quotes from a file is made printable.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::Refusal;

/// Adds "do not follow a symbolic link" (and "do not wait for a writer", for a pipe that stands
/// where a file should) to `options`.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options
}

/// Whether an open error means "the last part of the path is a symbolic link".
fn is_link_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Why a file of the store could not be opened: refused (a link, not a plain file) or an I/O
/// error.
#[derive(Debug)]
pub(super) enum OpenError {
    Refused(Refusal),
    Io(std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Refused(r) => r.fmt(f),
            OpenError::Io(e) => e.fmt(f),
        }
    }
}

impl From<OpenError> for std::io::Error {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Io(e) => e,
            OpenError::Refused(r) => std::io::Error::other(r.to_string()),
        }
    }
}

/// Refuses anything but a plain file with a single name (a hard link would let a write reach
/// a file elsewhere).
fn check_plain(file: &File, single_link: bool) -> Result<(), OpenError> {
    let meta = file.metadata().map_err(OpenError::Io)?;
    if !meta.file_type().is_file() {
        return Err(OpenError::Refused(Refusal::NotAFile));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if single_link && meta.nlink() > 1 {
            return Err(OpenError::Refused(Refusal::HardLinked));
        }
    }
    #[cfg(not(unix))]
    let _ = single_link;
    Ok(())
}

fn open_error(e: std::io::Error) -> OpenError {
    if is_link_error(&e) {
        OpenError::Refused(Refusal::Link)
    } else {
        OpenError::Io(e)
    }
}

/// Opens (creating it if needed) the lock file for reading and writing: never through a link,
/// and only a plain file with one name. It is never truncated nor rewritten.
pub(super) fn open_lock(path: &Path) -> Result<File, OpenError> {
    let file = no_follow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
    .map_err(open_error)?;
    check_plain(&file, true)?;
    Ok(file)
}

/// Reads a file the store wrote, if it exists: a link or anything but a plain file is refused,
/// so that no other file on the machine can be passed off as one of the store's; more than
/// `limit` bytes is refused too.
pub(super) fn read_own(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, OpenError> {
    let file = match no_follow(OpenOptions::new().read(true)).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(e)),
    };
    check_plain(&file, false)?;
    if file.metadata().map_err(OpenError::Io)?.len() > limit {
        return Err(OpenError::Refused(Refusal::TooLarge(limit)));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(OpenError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(OpenError::Refused(Refusal::TooLarge(limit)));
    }
    Ok(Some(bytes))
}

/// A new file that did not exist (never an existing one, never through a link).
fn create_new(path: &Path) -> std::io::Result<File> {
    no_follow(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// A temporary file written in the private folder, not synced yet.
pub(super) struct Temp {
    pub path: PathBuf,
    file: File,
}

impl Temp {
    /// Makes the file's content durable; removes it when that fails (a full disk).
    pub fn sync(self) -> std::io::Result<PathBuf> {
        let synced = self.file.sync_all();
        drop(self.file);
        match synced {
            Ok(()) => Ok(self.path),
            Err(e) => {
                let _ = std::fs::remove_file(&self.path);
                Err(e)
            }
        }
    }
}

/// Writes `bytes` to a new temporary file in `work` named after `target`
/// (`<name>.<pid>.<n>.tmp`), not synced; removes it again when the write fails (a full disk).
/// Several files written first and synced after ([`Temp::sync`]) cost the disk less than each
/// synced in turn: the folder's and the file system's own blocks that every new file changes
/// are written with the first sync, not once per file.
pub(super) fn create_temp(work: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<Temp> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = 'found: {
        for n in 0..100u32 {
            let p = work.join(format!("{name}.{}.{n}.tmp", std::process::id()));
            match create_new(&p) {
                Ok(f) => break 'found (p, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        return Err(std::io::Error::other("no free temporary file name"));
    };
    match file.write_all(bytes) {
        Ok(()) => Ok(Temp { path: tmp, file }),
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `bytes` to a new temporary file in `work` named after `target`
/// (`<name>.<pid>.<n>.tmp`), synced; removes it again when the write fails (a full disk).
pub(super) fn write_temp(work: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    create_temp(work, target, bytes)?.sync()
}

/// Writes `bytes` to `path` through a synced temporary file in `work` and a rename: a reader
/// never sees half a file, and a link at `path` is replaced, never followed.
pub(super) fn replace(work: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(work, path, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Makes renames in `dir` durable (best effort: not every file system can sync a folder).
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

pub use crate::text::printable;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_pipes_and_hard_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let link = dir.path().join("lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(matches!(
            open_lock(&link),
            Err(OpenError::Refused(Refusal::Link))
        ));
        assert!(matches!(
            read_own(&link, 100),
            Err(OpenError::Refused(Refusal::Link))
        ));
        std::fs::remove_file(&link).unwrap();
        std::fs::hard_link(&victim, &link).unwrap();
        assert!(matches!(
            open_lock(&link),
            Err(OpenError::Refused(Refusal::HardLinked))
        ));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(read_own(&sub, 100).is_err());
        std::fs::write(dir.path().join("big"), "x".repeat(101)).unwrap();
        assert!(matches!(
            read_own(&dir.path().join("big"), 100),
            Err(OpenError::Refused(Refusal::TooLarge(100)))
        ));
    }
}
