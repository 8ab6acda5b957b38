//! The store under `snapshots/`: per target `<id>.md`, `<id>.json`, `<id>.html` (what it
//! extracted to in `<id>.extracted.json`) and the alert state `<id>.state.json`. Reads only what it wrote and checks that it holds together; writes
//! atomically, and only what really changed; one run at a time holds it.
//!
//! Its own working files (the lock, who holds it, files staged for a commit) live in
//! `snapshots/.policy-watch/`, a folder whose `.gitignore` ignores the folder itself, so that
//! `git add snapshots/` never sees them, even after a killed run. Nothing there is trusted: a
//! link is never followed, and a journal that names anything but files the store staged is
//! refused.

mod extraction;
mod files;
mod journal;
mod state;

use std::fs::File;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::alert::TargetState;
use crate::document::{Body, Media, ReadBy};
use crate::error::{Refusal, StoreError, TargetError};
use files::{create_temp, open_lock, read_own, replace, sync_dir, write_temp, OpenError};
use journal::{Journal, JOURNAL};

pub use extraction::Extraction;
pub use files::printable;
pub use state::{LegacyState, LoadedState, LEGACY_STATE};

/// The store's private folder inside the snapshot folder.
const WORK_DIR: &str = ".policy-watch";

/// The private folder's `.gitignore`: it ignores the whole folder, itself included.
const SELF_IGNORE: &str = "# policy-watch's lock and temporary files: never committed\n*\n";

/// The file in the private folder that says which run holds the lock (the lock file itself is
/// never written, so that it stays byte-identical from run to run).
const HOLDER: &str = "running";

/// `<id>.extracted.json`: what the raw document extracted to.
const EXTRACTION: &str = "extracted.json";

/// The largest snapshot file that is read back (pages are capped well below this).
const MAX_SNAPSHOT_BYTES: u64 = 1 << 30;

/// What the store says about a linked or foreign private folder.
const WORK_DIR_HELP: &str = "policy-watch keeps its lock and the files it stages in a plain folder inside the snapshot folder, on the same file system; remove this one (nothing in it is needed between runs) and run again";

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
    /// How the document was read when its content last changed (absent: `http`).
    #[serde(default, skip_serializing_if = "ReadBy::is_http")]
    pub read: ReadBy,
}

/// A stored snapshot: metadata and Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub meta: Meta,
    pub markdown: String,
}

pub use crate::hash::content_hash;

/// The raw document kept beside a snapshot (`<id>.html` or `<id>.pdf`), and what it extracted
/// to.
#[derive(Debug, Clone)]
pub struct Raw {
    pub body: Body,
    pub extraction: Extraction,
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
    holder: PathBuf,
    _file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Still under the lock: the file lock goes only when `_file` is dropped after this.
        let _ = std::fs::remove_file(&self.holder);
    }
}

/// One target's files, written and synced in the private folder with the journal that commits
/// them, not yet in place. Staged before its alert is delivered, so that once the alert is out
/// the commit needs no more disk space: only renames. Dropped without [`Store::commit`], it
/// removes its files.
#[derive(Debug, Default)]
#[must_use = "a staged snapshot is committed or dropped"]
pub struct Staged {
    journal: Option<PathBuf>,
    temps: Vec<PathBuf>,
    /// The raw document of the other kind, removed once committed (a page that is now a PDF
    /// keeps one raw file).
    stale: Option<PathBuf>,
}

impl Staged {
    fn discard(&mut self) {
        for tmp in self.temps.drain(..).chain(self.journal.take()) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        self.discard();
    }
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

    /// `snapshots/<id>.html` or `snapshots/<id>.pdf`.
    pub fn raw_path(&self, id: &str, media: Media) -> PathBuf {
        self.path(id, media.ext())
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.join(WORK_DIR)
    }

    /// The private folder, created if needed; a link, or a folder on another file system (where
    /// nothing staged could be renamed into place), is refused.
    fn work_dir_checked(&self) -> Result<PathBuf, StoreError> {
        let work = self.work_dir();
        let refused = |why| StoreError::Refused {
            path: work.clone(),
            why,
            help: WORK_DIR_HELP,
        };
        let meta = match std::fs::symlink_metadata(&work) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&work).map_err(|error| StoreError::NotWritable {
                    dir: self.dir.clone(),
                    error,
                })?;
                std::fs::symlink_metadata(&work)
            }
            other => other,
        }
        .map_err(|error| StoreError::NotWritable {
            dir: self.dir.clone(),
            error,
        })?;
        if meta.file_type().is_symlink() {
            return Err(refused(Refusal::Link));
        }
        if !meta.is_dir() {
            return Err(StoreError::NotWritable {
                dir: self.dir.clone(),
                error: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} is in the way of the store's own folder", work.display()),
                ),
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if std::fs::metadata(&self.dir).is_ok_and(|d| d.dev() != meta.dev()) {
                return Err(refused(Refusal::OtherFileSystem));
            }
        }
        Ok(work)
    }

    /// Takes the folder for this run: creates it if needed, locks it (a second run fails at
    /// once, naming the first), finishes or refuses what a killed run left behind, and checks
    /// that a file can be written and synced there, before anything is delivered.
    pub fn lock(&self, command: &str) -> Result<Lock, StoreError> {
        let not_writable = |error| StoreError::NotWritable {
            dir: self.dir.clone(),
            error,
        };
        std::fs::create_dir_all(&self.dir).map_err(not_writable)?;
        let work = self.work_dir_checked()?;
        let ignore = work.join(".gitignore");
        if !matches!(read_own(&ignore, 4096), Ok(Some(b)) if b == SELF_IGNORE.as_bytes()) {
            replace(&work, &ignore, SELF_IGNORE.as_bytes()).map_err(not_writable)?;
        }
        let path = work.join("lock");
        let file = open_lock(&path).map_err(|e| match e {
            OpenError::Refused(why) => StoreError::Refused {
                path: path.clone(),
                why,
                help: "policy-watch makes its lock a plain file of its own; remove this one and run again",
            },
            OpenError::Io(error) => not_writable(error),
        })?;
        let holder = work.join(HOLDER);
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let said = read_own(&holder, 4096).ok().flatten().unwrap_or_default();
                let said = String::from_utf8_lossy(&said);
                let said = printable(said.trim(), 200);
                return Err(StoreError::Locked {
                    dir: self.dir.clone(),
                    holder: if said.is_empty() {
                        "a run that is just starting".into()
                    } else {
                        said
                    },
                });
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(not_writable(error)),
        }
        let me = format!(
            "`policy-watch {command}`, process {}, since {}\n",
            std::process::id(),
            Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
        );
        replace(&work, &holder, me.as_bytes()).map_err(not_writable)?;
        let lock = Lock {
            holder,
            _file: file,
        };
        // A snapshot a killed run had committed is finished before anything is read.
        journal::replay(&self.dir, &work).map_err(|e| match e {
            e @ StoreError::Refused { .. } => e,
            e => StoreError::Unfinished {
                dir: self.dir.clone(),
                journal: work.join(JOURNAL),
                error: Box::new(e),
            },
        })?;
        self.remove_leftovers();
        // A folder that takes no file must fail the run before any alert goes out.
        let probe = write_temp(
            &work,
            Path::new("probe"),
            b"policy-watch write probe
",
        )
        .map_err(not_writable)?;
        let _ = std::fs::remove_file(&probe);
        Ok(lock)
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
                if name.ends_with(".tmp")
                    && (!hidden_only || name.starts_with('.'))
                    && e.file_type().is_ok_and(|t| !t.is_dir())
                {
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
    /// longer matches the hash in its metadata, a file that is not UTF-8 text, or one that is
    /// not a plain file is damaged, never "none" and never a change.
    pub fn load(&self, id: &str) -> Result<Option<Snapshot>, TargetError> {
        let md_path = self.path(id, "md");
        let meta_path = self.path(id, "json");
        let markdown = self.read_text(id, &md_path)?;
        let meta_text = self.read_text(id, &meta_path)?;
        let damaged = |path: &Path, why: String| TargetError::Damaged {
            id: id.to_string(),
            file: path.display().to_string(),
            why,
        };
        match (markdown, meta_text) {
            (None, None) => Ok(None),
            (Some(markdown), Some(meta_text)) => {
                let meta: Meta = serde_json::from_str(&meta_text).map_err(|e| {
                    damaged(
                        &meta_path,
                        format!("not valid metadata: {}", printable(&e.to_string(), 200)),
                    )
                })?;
                if meta.id != id {
                    return Err(damaged(
                        &meta_path,
                        format!("it belongs to target `{}`", printable(&meta.id, 80)),
                    ));
                }
                if !crate::alert::plausible_date(meta.changed_at, Timestamp::now()) {
                    return Err(damaged(
                        &meta_path,
                        format!(
                            "its change date {} lies outside the years policy-watch could have stored it",
                            meta.changed_at.strftime("%Y-%m-%d")
                        ),
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

    /// Reads a text file the store wrote: a link or anything but a plain file is refused, so
    /// that no other file on the machine can be passed off as a snapshot, and bytes that are
    /// not UTF-8 (the store writes only UTF-8) are damage, not a failed fetch.
    fn read_text(&self, id: &str, path: &Path) -> Result<Option<String>, TargetError> {
        let damaged = |why: String| TargetError::Damaged {
            id: id.to_string(),
            file: path.display().to_string(),
            why,
        };
        match read_own(path, MAX_SNAPSHOT_BYTES) {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) => String::from_utf8(bytes).map(Some).map_err(|e| {
                damaged(format!(
                    "not UTF-8 text (byte {} is not); policy-watch writes only UTF-8",
                    e.utf8_error().valid_up_to()
                ))
            }),
            Err(OpenError::Refused(Refusal::Link | Refusal::NotAFile)) => Err(damaged(
                "not a plain file (a link or a folder); policy-watch reads only files it wrote"
                    .into(),
            )),
            Err(OpenError::Refused(why)) => Err(damaged(why.to_string())),
            Err(OpenError::Io(error)) => Err(unreadable(path, error)),
        }
    }

    /// Only the metadata of `id`'s snapshot, if it has a readable one.
    pub fn load_meta(&self, id: &str) -> Option<Meta> {
        let text = self.read_text(id, &self.path(id, "json")).ok()??;
        serde_json::from_str(&text).ok()
    }

    /// Whether the raw document of `id` (`<id>.html` or `<id>.pdf`) is stored.
    pub fn has_raw(&self, id: &str, media: Media) -> bool {
        std::fs::symlink_metadata(self.path(id, media.ext())).is_ok_and(|m| m.file_type().is_file())
    }

    /// The raw document of the last content change.
    pub fn load_raw(&self, id: &str, media: Media) -> Result<Option<Body>, TargetError> {
        let path = self.path(id, media.ext());
        match media {
            Media::Html => Ok(self.read_text(id, &path)?.map(Body::Html)),
            Media::Pdf => match read_own(&path, MAX_SNAPSHOT_BYTES) {
                Ok(bytes) => Ok(bytes.map(Body::Pdf)),
                Err(OpenError::Refused(why)) => Err(TargetError::Damaged {
                    id: id.to_string(),
                    file: path.display().to_string(),
                    why: why.to_string(),
                }),
                Err(OpenError::Io(error)) => Err(unreadable(&path, error)),
            },
        }
    }

    /// What the stored raw document of `id` extracted to (`<id>.extracted.json`), if the
    /// store wrote one that reads. It only saves work, so a file that does not read is not used
    /// (the page is parsed instead), and says so in the log.
    pub fn load_extraction(&self, id: &str) -> Option<Extraction> {
        let path = self.path(id, EXTRACTION);
        let bytes = match read_own(&path, extraction::MAX_EXTRACTION_BYTES) {
            Ok(bytes) => bytes?,
            Err(e) => {
                tracing::debug!(file = %path.display(), error = %e, "not used");
                return None;
            }
        };
        Extraction::from_bytes(&bytes)
            .inspect_err(|e| tracing::debug!(file = %path.display(), error = %e, "not used"))
            .ok()
    }

    /// Stores a snapshot (and the raw document, when given, with what it extracted to) at once:
    /// [`stage`](Self::stage) then [`commit`](Self::commit). Returns whether anything was
    /// written.
    pub fn save(&self, snapshot: &Snapshot, raw: Option<&Raw>) -> Result<bool, StoreError> {
        let staged = self.stage(&snapshot.meta.id, Some((snapshot, raw)), None)?;
        self.commit(staged)
    }

    /// Stages one target's commit: its snapshot (and raw document with what it extracted to)
    /// and its alert state, each when given and different from what the folder holds, are
    /// written and synced as temporary files in the private folder, with the journal that
    /// names them. Nothing is in place yet; a full disk fails here, before the alert is
    /// delivered, and leaves nothing behind.
    pub fn stage(
        &self,
        id: &str,
        snapshot: Option<(&Snapshot, Option<&Raw>)>,
        state: Option<&TargetState>,
    ) -> Result<Staged, StoreError> {
        // Borrowed where the caller holds the bytes: a page is not copied to be written.
        let meta = snapshot.map(|(snapshot, _)| {
            let mut meta = serde_json::to_string_pretty(&snapshot.meta).expect("meta serialises");
            meta.push('\n');
            meta
        });
        let extraction = snapshot
            .and_then(|(_, raw)| raw)
            .map(|raw| raw.extraction.bytes());
        let state = state.map(state::state_bytes);
        // (path, bytes, whether it must survive a crash of the machine)
        let mut files: Vec<(PathBuf, &[u8], bool)> = Vec::new();
        let mut stale = None;
        if let (Some((snapshot, raw)), Some(meta)) = (snapshot, &meta) {
            if let Some(raw) = raw {
                files.push((
                    self.path(id, raw.body.media().ext()),
                    raw.body.bytes(),
                    true,
                ));
                let other = match raw.body.media() {
                    Media::Html => Media::Pdf,
                    Media::Pdf => Media::Html,
                };
                stale = Some(self.path(id, other.ext())).filter(|p| p.is_file());
            }
            if let Some(extraction) = &extraction {
                // Not synced: it only saves work, and whatever a crash of the machine leaves of
                // it does not parse or does not match the snapshot, and is passed over.
                files.push((self.path(id, EXTRACTION), extraction, false));
            }
            files.push((self.path(id, "md"), snapshot.markdown.as_bytes(), true));
            // Written last: the metadata is the commit point of a snapshot.
            files.push((self.path(id, "json"), meta.as_bytes(), true));
        }
        if let Some(state) = &state {
            files.push((self.state_path(id), state, true));
        }
        files.retain(|(path, bytes, _)| {
            !matches!(read_own(path, MAX_SNAPSHOT_BYTES), Ok(Some(old)) if old == *bytes)
        });
        let mut staged = Staged::default();
        staged.stale = stale;
        if files.is_empty() {
            return Ok(staged);
        }
        let work = self.work_dir_checked()?;
        // Every file is written first and synced after, the journal with them: the blocks that
        // each new file changes (the folder's, the file system's maps) are then written once,
        // with the first sync, instead of once per file. Nothing is renamed until the commit,
        // so none of them counts before all of them are synced.
        let mut renames = Vec::new();
        let mut written = Vec::new();
        for (path, bytes, durable) in &files {
            let tmp = create_temp(&work, path, bytes).map_err(|error| StoreError::Write {
                path: path.clone(),
                error,
            })?;
            renames.push((name_of(&tmp.path), name_of(path)));
            staged.temps.push(tmp.path.clone());
            // A file that need not survive a crash of the machine is not synced.
            if *durable {
                written.push((path.clone(), tmp));
            }
        }
        let journal = Journal { renames };
        debug_assert_eq!(journal.check(), Ok(()));
        let text = serde_json::to_vec(&journal).expect("journal serialises");
        let journal_path = work.join(JOURNAL);
        // Named after the target too: the journals of several staged targets wait side by side.
        let tmp =
            create_temp(&work, &work.join(format!("{id}.{JOURNAL}")), &text).map_err(|error| {
                StoreError::Write {
                    path: journal_path.clone(),
                    error,
                }
            })?;
        staged.journal = Some(tmp.path.clone());
        written.push((journal_path, tmp));
        for (path, tmp) in written {
            tmp.sync()
                .map_err(|error| StoreError::Write { path, error })?;
        }
        Ok(staged)
    }

    /// Commits what [`stage`](Self::stage) wrote: the journal is renamed into place (the commit
    /// point), then the files, then the journal is removed. Only renames: nothing here needs
    /// disk space. A run killed in between is finished by the next one ([`lock`](Self::lock)
    /// replays the journal). Returns whether anything was written.
    pub fn commit(&self, mut staged: Staged) -> Result<bool, StoreError> {
        let Some(tmp) = staged.journal.take() else {
            return Ok(false);
        };
        let work = self.work_dir();
        let journal_path = work.join(JOURNAL);
        if let Err(error) = std::fs::rename(&tmp, &journal_path) {
            staged.journal = Some(tmp);
            return Err(StoreError::Write {
                path: journal_path,
                error,
            });
        }
        // Committed: from here on the next run finishes it if this one cannot.
        staged.temps.clear();
        sync_dir(&work);
        journal::replay(&self.dir, &work)?;
        if let Some(stale) = staged.stale.take() {
            let _ = std::fs::remove_file(stale);
        }
        Ok(true)
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file of the store that cannot be read: the target fails alone, with the cause kept.
fn unreadable(path: &Path, error: std::io::Error) -> TargetError {
    TargetError::Store(std::sync::Arc::new(StoreError::Read {
        path: path.to_path_buf(),
        error,
    }))
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
                read: ReadBy::Http,
            },
            markdown: md.into(),
        }
    }

    /// A raw document as stored, with what it extracted to.
    fn raw(body: Body) -> Raw {
        let url = url::Url::parse("https://a.example/").unwrap();
        let read = match body.media() {
            Media::Html => ReadBy::Http,
            Media::Pdf => ReadBy::Pdf,
        };
        let extracted = crate::extract::Extracted {
            blocks: Vec::new(),
            ids: Default::default(),
            lang: None,
            root: "body".into(),
        };
        let extraction = Extraction::new(&body, &url, read, "r", &extracted);
        Raw { body, extraction }
    }

    #[test]
    fn an_extraction_file_that_is_a_link_or_not_json_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("snapshots"));
        let page = raw(Body::Html("<p>hello</p>".into()));
        store.save(&snap("hello\n"), Some(&page)).unwrap();
        let path = store.dir().join("a.extracted.json");
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::rename(&path, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(
            store.load_extraction("a").is_none(),
            "a link is not followed"
        );
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "{not json").unwrap();
        assert!(store.load_extraction("a").is_none());
        assert_eq!(
            store.load("a").unwrap(),
            Some(snap("hello\n")),
            "the snapshot stands"
        );
    }

    #[test]
    fn a_page_that_became_a_pdf_keeps_only_the_pdf() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store
            .save(
                &snap("page\n"),
                Some(&raw(Body::Html("<p>page</p>".into()))),
            )
            .unwrap();
        assert!(store.has_raw("a", Media::Html));
        let pdf = Body::Pdf(b"%PDF-1.4 ...".to_vec());
        store.save(&snap("pdf\n"), Some(&raw(pdf.clone()))).unwrap();
        assert!(!store.has_raw("a", Media::Html), "the stale page is gone");
        assert_eq!(store.load_raw("a", Media::Pdf).unwrap(), Some(pdf));
    }

    #[test]
    fn save_round_trips_and_skips_identical_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("snapshots"));
        assert_eq!(store.load("a").unwrap(), None);
        let page = raw(Body::Html("<p>hello</p>".into()));
        assert!(store.save(&snap("hello\n"), Some(&page)).unwrap());
        assert_eq!(store.load("a").unwrap(), Some(snap("hello\n")));
        let kept = store.load_extraction("a").expect("kept beside the page");
        assert_eq!(kept.bytes(), page.extraction.bytes());
        assert!(!store.save(&snap("hello\n"), Some(&page)).unwrap());
        let leftovers: Vec<_> = std::fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn many_targets_staged_at_once_are_each_committed_whole() {
        // `check` stages targets ahead of their turn to deliver: more of them wait at once
        // than there are temporary names for any one file name.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let _lock = store.lock("check").unwrap();
        let page = |i: usize| {
            let mut s = snap(&format!("page {i}\n"));
            s.meta.id = format!("t{i}");
            s
        };
        let staged: Vec<Staged> = (0..150)
            .map(|i| {
                let s = page(i);
                let kept = raw(Body::Html(format!("<p>page {i}</p>")));
                store
                    .stage(&s.meta.id, Some((&s, Some(&kept))), None)
                    .unwrap_or_else(|e| panic!("staging target {i}: {e}"))
            })
            .collect();
        for (i, s) in staged.into_iter().enumerate() {
            assert!(store.commit(s).unwrap());
            assert_eq!(store.load(&format!("t{i}")).unwrap(), Some(page(i)));
        }
        let left: Vec<String> = std::fs::read_dir(store.work_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp") || n == JOURNAL)
            .collect();
        assert!(left.is_empty(), "{left:?}");
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
