//! The journal that commits one target's snapshot: `.policy-watch/commit.json` names which
//! temporary files the store staged become which of that target's files. It is obeyed only
//! when every name in it is one the store itself stages — `<id>.md`, `<id>.json`, `<id>.html`,
//! `<id>.pdf`, `<id>.extracted.json` or `<id>.state.json` of one target id, from
//! `<that name>.<pid>.<n>.tmp` in the private folder. Anything else (a path, a `..`, another file's name, a link) is refused
//! whole: nothing is renamed, nothing is deleted, and the run stops before any delivery.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{printable, read_own, sync_dir, OpenError};
use crate::error::{Refusal, StoreError};

/// The journal's file name in the private folder.
pub(super) const JOURNAL: &str = "commit.json";

/// A journal is a handful of names; anything larger is not one.
const MAX_JOURNAL_BYTES: u64 = 64 * 1024;

/// The extensions of a target's files, as the journal may name them.
const EXTENSIONS: [&str; 6] = ["md", "json", "html", "pdf", "state.json", "extracted.json"];

/// What help a refused journal comes with.
const HELP: &str = "policy-watch writes this journal only for files it staged itself; it did not obey it and left it and every file it names as they are. If it was not left by a killed policy-watch run (check `git log -- snapshots/.policy-watch`), someone put it there: remove it and look at what it names";

/// Which temporaries become which files (names only: both folders are the store's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Journal {
    pub renames: Vec<(String, String)>,
}

/// The target id of a file name the store commits (`<id>.<ext>`), if it is one.
fn target_of(dest: &str) -> Option<&str> {
    // The longest extension first: `a.state.json` is a state file, not the metadata of `a.state`.
    let mut exts = EXTENSIONS;
    exts.sort_by_key(|e| std::cmp::Reverse(e.len()));
    exts.iter().find_map(|ext| {
        let id = dest.strip_suffix(ext)?.strip_suffix('.')?;
        crate::text::is_id_shaped(id).then_some(id)
    })
}

/// Whether `tmp` is `<dest>.<pid>.<n>.tmp`, the name [`write_temp`](super::files::write_temp)
/// gives a file it stages for `dest`.
fn is_staged_for(tmp: &str, dest: &str) -> bool {
    let Some(rest) = tmp
        .strip_prefix(dest)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    let mut parts = rest.split('.');
    let digits = |p: Option<&str>| {
        p.is_some_and(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

impl Journal {
    /// Checks that the journal names only files the store stages, for one target.
    pub(super) fn check(&self) -> Result<(), Refusal> {
        if self.renames.is_empty() || self.renames.len() > EXTENSIONS.len() {
            return Err(Refusal::NotAJournal(format!(
                "{} renames",
                self.renames.len()
            )));
        }
        let mut id: Option<&str> = None;
        let mut seen: Vec<&str> = Vec::new();
        for (tmp, dest) in &self.renames {
            let Some(of) = target_of(dest) else {
                return Err(Refusal::ForeignName(printable(dest, 120)));
            };
            if !is_staged_for(tmp, dest) {
                return Err(Refusal::ForeignName(printable(tmp, 120)));
            }
            if id.is_some_and(|id| id != of) {
                return Err(Refusal::MixedTargets);
            }
            if seen.contains(&dest.as_str()) {
                return Err(Refusal::NotAJournal(format!(
                    "`{}` is named twice",
                    printable(dest, 120)
                )));
            }
            seen.push(dest);
            id = Some(of);
        }
        Ok(())
    }
}

/// Finishes a committed snapshot: checks the journal, renames what it names into place, then
/// removes it. Safe to repeat after a kill at any point. The store renames its journal into
/// place whole, so one that does not parse, or names anything the store does not stage, is not
/// the store's: it is refused and left alone.
pub(super) fn replay(dir: &Path, work: &Path) -> Result<(), StoreError> {
    let path = work.join(JOURNAL);
    let refused = |why| StoreError::Refused {
        path: path.clone(),
        why,
        help: HELP,
    };
    let text = match read_own(&path, MAX_JOURNAL_BYTES) {
        Ok(None) => return Ok(()),
        Ok(Some(t)) => t,
        Err(OpenError::Refused(why)) => return Err(refused(why)),
        Err(OpenError::Io(error)) => return Err(StoreError::Read { path, error }),
    };
    let journal: Journal = serde_json::from_slice(&text)
        .map_err(|e| refused(Refusal::NotAJournal(printable(&e.to_string(), 200))))?;
    journal.check().map_err(refused)?;
    // Every temporary must be a plain file the store made (or gone: already renamed).
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (tmp, dest) in &journal.renames {
        let tmp = work.join(tmp);
        let odd = |what: &str| {
            refused(Refusal::ForeignName(format!(
                "{} ({what})",
                printable(&tmp.display().to_string(), 120)
            )))
        };
        match std::fs::symlink_metadata(&tmp) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(StoreError::Read { path: tmp, error }),
            Ok(m) if m.file_type().is_symlink() => return Err(odd("a symbolic link")),
            Ok(m) if !m.file_type().is_file() => return Err(odd("not a plain file")),
            Ok(_) => moves.push((tmp, dir.join(dest))),
        }
    }
    for (tmp, dest) in moves {
        std::fs::rename(&tmp, &dest).map_err(|error| StoreError::Write { path: dest, error })?;
    }
    sync_dir(dir);
    // The removal is not synced: a journal that comes back after a crash names files whose
    // content is in place already (the renames are synced just above), so replaying it again
    // changes nothing. The next commit's sync of the private folder makes the removal durable.
    std::fs::remove_file(&path).map_err(|error| StoreError::Write {
        path: path.clone(),
        error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(renames: &[(&str, &str)]) -> Journal {
        Journal {
            renames: renames
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn only_names_the_store_stages_for_one_target_pass() {
        assert_eq!(
            journal(&[
                ("a.html.12.0.tmp", "a.html"),
                ("a.extracted.json.12.4.tmp", "a.extracted.json"),
                ("a.md.12.1.tmp", "a.md"),
                ("a.json.12.2.tmp", "a.json"),
                ("a.state.json.12.3.tmp", "a.state.json"),
            ])
            .check(),
            Ok(())
        );
        for bad in [
            journal(&[("/abs/src", "../../victim")]),
            journal(&[("notes.txt", "../.git/hooks/pre-commit")]),
            journal(&[("notes.txt", "t2.md")]),
            journal(&[("t2.md.1.0.tmp/../../x", "t2.md")]),
            journal(&[("a.md.1.0.tmp", "a.md"), ("b.md.1.0.tmp", "b.md")]),
            journal(&[("README.md.1.0.tmp", "README.md")]),
            journal(&[(".gitignore.1.0.tmp", ".gitignore")]),
            journal(&[("a.md.x.0.tmp", "a.md")]),
            journal(&[("a.md.1.0.tmp", "a.md"), ("a.md.1.1.tmp", "a.md")]),
            journal(&[]),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_refused_journal_moves_and_deletes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("snapshots");
        let work = dir.join(".policy-watch");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(dir.join("notes.txt"), "#!/bin/sh\n").unwrap();
        let text = r#"{"renames":[["../notes.txt","../../victim"]]}"#;
        std::fs::write(work.join(JOURNAL), text).unwrap();
        let err = replay(&dir, &work).unwrap_err().to_string();
        assert!(
            err.contains("commit.json") && err.contains("../../victim"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(work.join(JOURNAL)).unwrap(), text);
        assert!(dir.join("notes.txt").is_file());
        assert!(!root.path().join("victim").exists());
    }
}
