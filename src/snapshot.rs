//! The store under `snapshots/`: per target `<id>.md`, `<id>.json`, `<id>.html`, plus the
//! alert state in `state.json`. Reads only what it wrote and checks that it holds together;
//! writes atomically, and only what really changed; one run at a time holds it.
//!
//! Its own working files (the lock, temporary files before their rename) live in
//! `snapshots/.policy-watch/`, a folder whose `.gitignore` ignores the folder itself, so that
//! `git add snapshots/` never sees them, even after a killed run.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alert::State;
use crate::config::hex;
use crate::error::{StoreError, TargetError};

/// The store's private folder inside the snapshot folder.
const WORK_DIR: &str = ".policy-watch";

/// The private folder's `.gitignore`: it ignores the whole folder, itself included.
const SELF_IGNORE: &str = "# policy-watch's lock and temporary files: never committed\n*\n";

/// Version of the metadata layout.
pub const META_FORMAT: u32 = 1;

/// `snapshots/<id>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    pub id: String,
    /// The URL that was requested.
    pub url: String,
    /// Where redirects ended.
    pub final_url: String,
    /// `sha256:` of the Markdown snapshot.
    pub content_hash: String,
    /// When the content last changed (or was first seen).
    pub changed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Hash of the extraction rules that made the Markdown.
    pub rules_hash: String,
    /// Visible characters of text, to notice a page that suddenly extracts to almost nothing.
    pub text_chars: usize,
}

/// A stored snapshot: metadata and Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub meta: Meta,
    pub markdown: String,
}

/// `sha256:<hex>` of a text.
pub fn content_hash(text: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(text.as_bytes())))
}

/// The snapshot folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// The lock on a snapshot folder: held while a `check` or `accept` runs, released when dropped
/// or when the process dies (the kernel drops the lock of a dead process, so a stale lock is
/// taken over).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{id}.{ext}"))
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.join(WORK_DIR)
    }

    /// Takes the folder for this run: creates it if needed, locks it (a second run fails at
    /// once, naming the first), removes what a killed run left behind, and checks that a file
    /// can be written and synced there, before anything is delivered.
    pub fn lock(&self, command: &str) -> Result<Lock, StoreError> {
        let work = self.work_dir();
        let not_writable = |error| StoreError::NotWritable {
            dir: self.dir.clone(),
            error,
        };
        std::fs::create_dir_all(&work).map_err(not_writable)?;
        let ignore = work.join(".gitignore");
        if std::fs::read_to_string(&ignore).ok().as_deref() != Some(SELF_IGNORE) {
            let tmp = write_temp(&work, &ignore, SELF_IGNORE.as_bytes()).map_err(not_writable)?;
            std::fs::rename(&tmp, &ignore).map_err(not_writable)?;
        }
        let path = work.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(not_writable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    dir: self.dir.clone(),
                    holder: if holder.is_empty() {
                        "a run that is just starting".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(not_writable(error)),
        }
        let me = format!(
            "`policy-watch {command}`, process {}, since {}",
            std::process::id(),
            Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(not_writable)?;
        file.write_all(me.as_bytes()).map_err(not_writable)?;
        // A snapshot a killed run had committed is finished before anything is read.
        self.replay_journal().map_err(not_writable)?;
        self.remove_leftovers();
        // A folder that takes no file must fail the run before any alert goes out.
        let probe = work.join(format!("probe.{}.tmp", std::process::id()));
        let written = File::create(&probe).and_then(|mut f| {
            f.write_all(b"policy-watch write probe\n")?;
            f.sync_all()
        });
        let _ = std::fs::remove_file(&probe);
        written.map_err(not_writable)?;
        Ok(Lock { _file: file })
    }

    /// Temporary files of killed runs (only under the lock: no other run is writing).
    fn remove_leftovers(&self) {
        let mut leftovers: Vec<PathBuf> = Vec::new();
        for (dir, hidden_only) in [(self.work_dir(), false), (self.dir.clone(), true)] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                // Earlier releases put `.<file>.<pid>.<n>.tmp` beside the snapshots.
                if name.ends_with(".tmp") && (!hidden_only || name.starts_with('.')) {
                    leftovers.push(e.path());
                }
            }
        }
        for p in leftovers {
            tracing::info!(file = %p.display(), "removing a temporary file left by an interrupted run");
            let _ = std::fs::remove_file(p);
        }
    }

    /// The stored snapshot of `id`, if there is one. Half a snapshot, a Markdown file that no
    /// longer matches the hash in its metadata, or a file that is not a plain file is damaged,
    /// never "none" and never a change.
    pub fn load(&self, id: &str) -> Result<Option<Snapshot>, TargetError> {
        let md_path = self.path(id, "md");
        let meta_path = self.path(id, "json");
        let markdown = self.read_own(id, &md_path)?;
        let meta_text = self.read_own(id, &meta_path)?;
        let damaged = |path: &Path, why: String| TargetError::Damaged {
            id: id.to_string(),
            file: path.display().to_string(),
            why,
        };
        match (markdown, meta_text) {
            (None, None) => Ok(None),
            (Some(markdown), Some(meta_text)) => {
                let meta: Meta = serde_json::from_str(&meta_text)
                    .map_err(|e| damaged(&meta_path, format!("not valid metadata: {e}")))?;
                if meta.id != id {
                    return Err(damaged(
                        &meta_path,
                        format!("it belongs to target `{}`", meta.id),
                    ));
                }
                if content_hash(&markdown) != meta.content_hash {
                    return Err(damaged(
                        &md_path,
                        format!(
                            "it was changed after it was stored (its content no longer matches the hash in {})",
                            meta_path.display()
                        ),
                    ));
                }
                Ok(Some(Snapshot { meta, markdown }))
            }
            (Some(_), None) => Err(damaged(
                &meta_path,
                "missing while the Markdown snapshot exists".into(),
            )),
            (None, Some(_)) => Err(damaged(
                &md_path,
                "missing while the metadata exists".into(),
            )),
        }
    }

    /// Reads a file the store wrote: a symlink or anything but a plain file is refused, so
    /// that no other file on the machine can be passed off as a snapshot.
    fn read_own(&self, id: &str, path: &Path) -> Result<Option<String>, TargetError> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(TargetError::Store(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
            Ok(m) if !m.file_type().is_file() => return Err(TargetError::Damaged {
                id: id.to_string(),
                file: path.display().to_string(),
                why:
                    "not a plain file (a link or a folder); policy-watch reads only files it wrote"
                        .into(),
            }),
            Ok(_) => {}
        }
        read_optional(path).map_err(|e| TargetError::Store(e.to_string()))
    }

    /// Only the metadata of `id`'s snapshot, if it has a readable one.
    pub fn load_meta(&self, id: &str) -> Option<Meta> {
        let text = self.read_own(id, &self.path(id, "json")).ok()??;
        serde_json::from_str(&text).ok()
    }

    /// Whether the raw HTML of `id` is stored.
    pub fn has_html(&self, id: &str) -> bool {
        std::fs::symlink_metadata(self.path(id, "html")).is_ok_and(|m| m.file_type().is_file())
    }

    /// The raw HTML of the last content change.
    pub fn load_html(&self, id: &str) -> Result<Option<String>, TargetError> {
        self.read_own(id, &self.path(id, "html"))
    }

    /// Stores a snapshot (and the raw HTML, when given) as one commit: the new files are
    /// written and synced beside the store, a journal naming them is committed, then they are
    /// renamed into place and the journal removed. A run killed in between is finished by the
    /// next one ([`lock`](Self::lock) replays the journal), so the Markdown and its metadata
    /// never disagree. Files whose bytes would not change are not touched. Returns whether
    /// anything was written.
    pub fn save(&self, snapshot: &Snapshot, html: Option<&str>) -> Result<bool, StoreError> {
        let id = &snapshot.meta.id;
        let mut meta = serde_json::to_string_pretty(&snapshot.meta).expect("meta serialises");
        meta.push('\n');
        let mut files: Vec<(PathBuf, &[u8])> = Vec::new();
        if let Some(html) = html {
            files.push((self.path(id, "html"), html.as_bytes()));
        }
        files.push((self.path(id, "md"), snapshot.markdown.as_bytes()));
        files.push((self.path(id, "json"), meta.as_bytes()));
        files.retain(|(path, bytes)| !std::fs::read(path).is_ok_and(|old| old == *bytes));
        if files.is_empty() {
            return Ok(false);
        }
        let work = self.work_dir();
        let err_at = |path: &Path| {
            let path = path.to_path_buf();
            move |error| StoreError::Write { path, error }
        };
        std::fs::create_dir_all(&work).map_err(err_at(&work))?;
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let cleanup = |staged: &[(PathBuf, PathBuf)]| {
            for (tmp, _) in staged {
                let _ = std::fs::remove_file(tmp);
            }
        };
        for (path, bytes) in &files {
            match write_temp(&work, path, bytes) {
                Ok(tmp) => staged.push((tmp, path.clone())),
                Err(e) => {
                    cleanup(&staged);
                    return Err(err_at(path)(e));
                }
            }
        }
        let journal = Journal {
            renames: staged
                .iter()
                .map(|(tmp, dest)| (name_of(tmp), name_of(dest)))
                .collect(),
        };
        let text = serde_json::to_vec(&journal).expect("journal serialises");
        let journal_path = work.join(JOURNAL);
        let committed = write_temp(&work, &journal_path, &text).and_then(|tmp| {
            std::fs::rename(&tmp, &journal_path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        });
        if let Err(e) = committed {
            cleanup(&staged);
            return Err(err_at(&journal_path)(e));
        }
        sync_dir(&work);
        self.replay_journal().map_err(err_at(&journal_path))?;
        Ok(true)
    }

    /// Finishes a committed snapshot: renames what the journal names into place, then
    /// removes the journal. Safe to repeat after a kill at any point.
    fn replay_journal(&self) -> std::io::Result<()> {
        let work = self.work_dir();
        let journal_path = work.join(JOURNAL);
        let text = match std::fs::read(&journal_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        // A journal that cannot be read was never committed (it is renamed into place whole).
        if let Ok(journal) = serde_json::from_slice::<Journal>(&text) {
            for (tmp, dest) in &journal.renames {
                let (tmp, dest) = (work.join(tmp), self.dir.join(dest));
                if tmp.is_file() {
                    std::fs::rename(&tmp, &dest)?;
                }
            }
            sync_dir(&self.dir);
        }
        std::fs::remove_file(&journal_path)?;
        sync_dir(&work);
        Ok(())
    }

    /// The alert state; empty when none is stored yet.
    pub fn load_state(&self) -> Result<State, StoreError> {
        let path = self.dir.join("state.json");
        match read_optional(&path)? {
            None => Ok(State::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// Stores the alert state (nothing is written when it is unchanged).
    pub fn save_state(&self, state: &State) -> Result<bool, StoreError> {
        let mut text = serde_json::to_string_pretty(state).expect("state serialises");
        text.push('\n');
        self.write_if_changed(&self.dir.join("state.json"), text.as_bytes())
    }

    /// Writes through a temporary file in the private folder and a rename, so a reader never
    /// sees half a file and a killed run leaves nothing `git add` would see; skips the write
    /// when the bytes are already there. A failed write (a full disk) removes its temporary.
    fn write_if_changed(&self, path: &Path, bytes: &[u8]) -> Result<bool, StoreError> {
        if std::fs::read(path).is_ok_and(|old| old == bytes) {
            return Ok(false);
        }
        let err = |error| StoreError::Write {
            path: path.to_path_buf(),
            error,
        };
        let work = self.work_dir();
        std::fs::create_dir_all(&work).map_err(err)?;
        let tmp = write_temp(&work, path, bytes).map_err(err)?;
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        sync_dir(&self.dir);
        Ok(true)
    }
}

/// The file in the private folder that commits a snapshot: which temporaries become which
/// files (names only: both folders are the store's own).
const JOURNAL: &str = "commit.json";

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    renames: Vec<(String, String)>,
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Makes renames in `dir` durable (best effort: not every file system can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to a new temporary file in `work` named after `target`, synced; removes it
/// again when the write fails (a full disk).
fn write_temp(work: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let (tmp, mut file) = temp_file(work, target)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::Read {
            path: path.to_path_buf(),
            error,
        }),
    }
}

fn temp_file(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100u32 {
        let p = dir.join(format!("{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(md: &str) -> Snapshot {
        Snapshot {
            meta: Meta {
                format: META_FORMAT,
                id: "a".into(),
                url: "https://a.example/".into(),
                final_url: "https://a.example/".into(),
                content_hash: content_hash(md),
                changed_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                etag: None,
                last_modified: None,
                rules_hash: "r".into(),
                text_chars: md.len(),
            },
            markdown: md.into(),
        }
    }

    #[test]
    fn save_round_trips_and_skips_identical_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("snapshots"));
        assert_eq!(store.load("a").unwrap(), None);
        assert!(store.save(&snap("hello\n"), Some("<p>hello</p>")).unwrap());
        assert_eq!(store.load("a").unwrap(), Some(snap("hello\n")));
        assert!(!store.save(&snap("hello\n"), Some("<p>hello</p>")).unwrap());
        let leftovers: Vec<_> = std::fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn half_a_snapshot_is_an_error_not_a_first_sight() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        std::fs::write(dir.path().join("a.md"), "x").unwrap();
        assert!(matches!(store.load("a"), Err(TargetError::Damaged { .. })));
        std::fs::write(dir.path().join("a.json"), "{not json").unwrap();
        let err = store.load("a").unwrap_err().to_string();
        assert!(err.contains("a.json") && err.contains("damaged"), "{err}");
    }

    #[test]
    fn a_hand_edited_markdown_is_damaged_not_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.save(&snap("hello\n"), None).unwrap();
        std::fs::write(dir.path().join("a.md"), "hello, edited\n").unwrap();
        let err = store.load("a").unwrap_err().to_string();
        assert!(
            err.contains("a.md") && err.contains("changed after it was stored"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_snapshot_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.save(&snap("hello\n"), None).unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "secret host name\n").unwrap();
        std::fs::remove_file(dir.path().join("a.md")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.path().join("a.md")).unwrap();
        let err = store.load("a").unwrap_err().to_string();
        assert!(err.contains("not a plain file"), "{err}");
        assert!(!err.contains("secret host name"), "{err}");
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("snapshots"));
        let first = store.lock("check").unwrap();
        let err = store.lock("accept").unwrap_err().to_string();
        assert!(
            err.contains("policy-watch check") && err.contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        store
            .lock("accept")
            .expect("free again once the first run ends");
    }

    #[test]
    fn temporary_files_of_a_killed_run_are_removed_and_ignored_by_git() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let work = dir.path().join(WORK_DIR);
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("a.md.999.0.tmp"), "half").unwrap();
        std::fs::write(dir.path().join(".a.md.999.0.tmp"), "half").unwrap();
        let _lock = store.lock("check").unwrap();
        assert!(!work.join("a.md.999.0.tmp").exists());
        assert!(!dir.path().join(".a.md.999.0.tmp").exists());
        let ignore = std::fs::read_to_string(work.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    }
}
