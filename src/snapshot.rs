//! The store under `snapshots/`: per target `<id>.md`, `<id>.json`, `<id>.html`, plus the
//! alert state in `state.json`. Reads, and writes atomically only what really changed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::hex;
use crate::error::StoreError;

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
    pub changed_at: DateTime<Utc>,
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

/// What is remembered between runs about one target's alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    /// Fetches that failed in a row.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub consecutive_failures: u32,
    /// Whether "unreachable" was announced for the current run of failures.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failure_alerted: bool,
    /// Findings by stable id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub findings: BTreeMap<String, FindingState>,
}

/// A finding as remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingState {
    pub kind: crate::inspect::FindingKind,
    /// One line that says what it is.
    pub summary: String,
    /// Runs in a row in which it was seen.
    pub consecutive: u32,
    /// Whether its appearance was reported.
    pub reported: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `snapshots/state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub targets: BTreeMap<String, TargetState>,
}

/// The snapshot folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
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

    /// The stored snapshot of `id`, if there is one. Half a snapshot is an error, never "none".
    pub fn load(&self, id: &str) -> Result<Option<Snapshot>, StoreError> {
        let md_path = self.path(id, "md");
        let meta_path = self.path(id, "json");
        let markdown = read_optional(&md_path)?;
        let meta_text = read_optional(&meta_path)?;
        match (markdown, meta_text) {
            (None, None) => Ok(None),
            (Some(markdown), Some(meta_text)) => {
                let meta: Meta =
                    serde_json::from_str(&meta_text).map_err(|e| StoreError::Corrupt {
                        path: meta_path.clone(),
                        message: e.to_string(),
                    })?;
                Ok(Some(Snapshot { meta, markdown }))
            }
            (Some(_), None) => Err(StoreError::Corrupt {
                path: meta_path,
                message: "missing while the Markdown snapshot exists".into(),
            }),
            (None, Some(_)) => Err(StoreError::Corrupt {
                path: md_path,
                message: "missing while the metadata exists".into(),
            }),
        }
    }

    /// Only the metadata of `id`'s snapshot, if it has one.
    pub fn load_meta(&self, id: &str) -> Result<Option<Meta>, StoreError> {
        let path = self.path(id, "json");
        match read_optional(&path)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path,
                    message: e.to_string(),
                }),
        }
    }

    /// Whether the raw HTML of `id` is stored.
    pub fn has_html(&self, id: &str) -> bool {
        self.path(id, "html").is_file()
    }

    /// The raw HTML of the last content change.
    pub fn load_html(&self, id: &str) -> Result<Option<String>, StoreError> {
        read_optional(&self.path(id, "html"))
    }

    /// Stores a snapshot (and the raw HTML, when given). Files whose bytes would not change
    /// are not touched. Returns whether anything was written.
    pub fn save(&self, snapshot: &Snapshot, html: Option<&str>) -> Result<bool, StoreError> {
        let id = &snapshot.meta.id;
        let mut meta = serde_json::to_string_pretty(&snapshot.meta).expect("meta serialises");
        meta.push('\n');
        let mut written = false;
        if let Some(html) = html {
            written |= write_if_changed(&self.path(id, "html"), html.as_bytes())?;
        }
        written |= write_if_changed(&self.path(id, "md"), snapshot.markdown.as_bytes())?;
        // The metadata goes last: a snapshot is complete once its hash matches its Markdown.
        written |= write_if_changed(&self.path(id, "json"), meta.as_bytes())?;
        Ok(written)
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
        write_if_changed(&self.dir.join("state.json"), text.as_bytes())
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes through a temporary file in the same folder and a rename, so a reader never sees
/// half a file; skips the write when the bytes are already there.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, StoreError> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let err = |source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile_in(dir, path).map_err(err)?;
    tmp.1.write_all(bytes).map_err(err)?;
    tmp.1.sync_all().map_err(err)?;
    drop(tmp.1);
    std::fs::rename(&tmp.0, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp.0);
        err(e)
    })?;
    Ok(true)
}

fn tempfile_in(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100u32 {
        let p = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
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
                changed_at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                    .unwrap()
                    .into(),
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
        assert!(matches!(store.load("a"), Err(StoreError::Corrupt { .. })));
        std::fs::write(dir.path().join("a.json"), "{not json").unwrap();
        let err = store.load("a").unwrap_err().to_string();
        assert!(err.contains("a.json") && err.contains("damaged"), "{err}");
    }
}
