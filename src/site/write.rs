//! The site's output folder: every file goes under it, by a path of plain names, through real
//! folders only. A symbolic link anywhere on the way (the folder itself included) is refused,
//! never followed, so the site cannot be written outside `--out`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::SiteError;

/// The output folder, checked and created.
#[derive(Debug)]
pub struct OutDir {
    root: PathBuf,
}

impl OutDir {
    /// Takes `root` as the output folder, creating it (and its parents) if needed.
    pub fn open(root: &Path) -> Result<Self, SiteError> {
        match std::fs::symlink_metadata(root) {
            Ok(_) => ensure_dir(root)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(root).map_err(|error| SiteError::Write {
                    path: root.to_path_buf(),
                    error,
                })?;
                ensure_dir(root)?;
            }
            Err(error) => {
                return Err(SiteError::Write {
                    path: root.to_path_buf(),
                    error,
                })
            }
        }
        Ok(OutDir {
            root: root.to_path_buf(),
        })
    }

    /// Writes `bytes` to `rel`, a `/`-separated path of plain names under the folder: a new
    /// file in place; over an old one, through a temporary file beside it renamed over it (a
    /// rename replaces, never follows).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.iter().any(|p| !is_plain_name(p)) {
            return Err(SiteError::Outside {
                path: rel.to_string(),
            });
        }
        let (name, folders) = parts.split_last().expect("split gives one part at least");
        let mut dir = self.root.clone();
        for f in folders {
            dir.push(f);
            ensure_dir(&dir)?;
        }
        let path = dir.join(name);
        let failed = |error| SiteError::Write {
            path: path.clone(),
            error,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(SiteError::Symlink { path: path.clone() })
            }
            Ok(m) if m.is_dir() => {
                return Err(failed(std::io::Error::other("a folder is in the way")));
            }
            _ => {}
        }
        // A new file is created in place: `create_new` fails on anything already there, a
        // symbolic link included (it never follows one).
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                return f.write_all(bytes).map_err(|e| {
                    let _ = std::fs::remove_file(&path);
                    failed(e)
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed(e)),
        }
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(failed(e));
        }
        Ok(())
    }
}

/// A name that stays in its folder: not empty, not `.` or `..`, no separator.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// `dir` is a real folder (created if missing), not a symbolic link to one.
fn ensure_dir(dir: &Path) -> Result<(), SiteError> {
    let failed = |error| SiteError::Write {
        path: dir.to_path_buf(),
        error,
    };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(SiteError::Symlink {
            path: dir.to_path_buf(),
        }),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(failed(std::io::Error::other("a file is in the way"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => ensure_dir(dir),
            Err(e) => Err(failed(e)),
        },
        Err(e) => Err(failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_files_and_refuses_paths_that_leave_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = OutDir::open(&tmp.path().join("site")).unwrap();
        out.write("a/b/c.html", b"x").unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("site/a/b/c.html")).unwrap(),
            b"x"
        );
        for bad in ["../x.html", "a/../../x", "/etc/x", "a//b", ""] {
            assert!(
                matches!(out.write(bad, b"x"), Err(SiteError::Outside { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_symlink_inside_or_as_the_folder_is_refused_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir(&site).unwrap();
        std::os::unix::fs::symlink(&elsewhere, site.join("t")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("f"), site.join("f.html")).unwrap();
        let out = OutDir::open(&site).unwrap();
        assert!(matches!(
            out.write("t/index.html", b"x"),
            Err(SiteError::Symlink { .. })
        ));
        assert!(matches!(
            out.write("f.html", b"x"),
            Err(SiteError::Symlink { .. })
        ));
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert!(matches!(
            OutDir::open(&link),
            Err(SiteError::Symlink { .. })
        ));
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
