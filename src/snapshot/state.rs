//! Per-target alert state: `snapshots/<id>.state.json`, one file per target, so that a run
//! writes only the states that changed and two shards never write the same file. Read back
//! bounded and validated: a state that is not what policy-watch writes is reset for that target
//! alone, with the reason. The single `state.json` of earlier releases is migrated once.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::files::{read_own, replace, sync_dir, OpenError};
use super::Store;
use crate::alert::TargetState;
use crate::error::{Refusal, StateProblem, StoreError};

/// The largest per-target state that is read (policy-watch writes a few kilobytes).
pub const MAX_STATE_BYTES: u64 = 4 << 20;

/// The largest `state.json` of an earlier release that is read for migration.
const MAX_LEGACY_BYTES: u64 = 64 << 20;

/// The single state file of earlier releases.
pub const LEGACY_STATE: &str = "state.json";

/// What a per-target state file's name ends with.
const SUFFIX: &str = ".state.json";

/// A target's alert state as read from the folder.
#[derive(Debug, Default)]
pub struct LoadedState {
    pub state: TargetState,
    /// Why the stored state was not used (the state is then empty), if it was not.
    pub problem: Option<StateProblem>,
    /// Whether the folder holds exactly `state` for this target, in its own file or in a not
    /// yet migrated `state.json` (so storing it again is skipped: a partial run that changes
    /// nothing writes nothing).
    in_folder: bool,
}

impl LoadedState {
    /// Whether storing `after` would change nothing in the folder.
    pub fn holds(&self, after: &TargetState) -> bool {
        self.in_folder && self.state == *after
    }
}

/// The `state.json` of an earlier release, read for migration: each target's entry on its
/// own, so that a bad one costs that target alone.
#[derive(Debug)]
pub struct LegacyState {
    path: PathBuf,
    entries: BTreeMap<String, Result<TargetState, Arc<StateProblem>>>,
}

impl LegacyState {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Parses and validates one target's state.
fn parse(bytes: &[u8], now: Timestamp) -> Result<TargetState, StateProblem> {
    let state: TargetState = serde_json::from_slice(bytes).map_err(StateProblem::Syntax)?;
    state.validate(now)?;
    Ok(state)
}

/// The bytes of a per-target state file.
pub(super) fn state_bytes(state: &TargetState) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(state).expect("state serialises");
    text.push(b'\n');
    text
}

impl Store {
    /// `snapshots/<id>.state.json`.
    pub fn state_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}{SUFFIX}"))
    }

    /// The alert state of `id`: its own file, else its entry in a not yet migrated `state.json`
    /// (`legacy`), else empty. A state that cannot be read or is not valid is empty, with the
    /// reason in [`LoadedState::problem`].
    pub fn load_state(
        &self,
        id: &str,
        legacy: Option<&LegacyState>,
        now: Timestamp,
    ) -> LoadedState {
        let path = self.state_path(id);
        let read = match read_own(&path, MAX_STATE_BYTES) {
            Ok(r) => r,
            Err(OpenError::Refused(why)) => {
                return LoadedState {
                    problem: Some(StateProblem::Refused(why)),
                    ..LoadedState::default()
                }
            }
            Err(OpenError::Io(e)) => {
                return LoadedState {
                    problem: Some(StateProblem::Unreadable(e)),
                    ..LoadedState::default()
                }
            }
        };
        match read {
            Some(bytes) => match parse(&bytes, now) {
                Ok(state) => LoadedState {
                    state,
                    problem: None,
                    in_folder: true,
                },
                Err(problem) => LoadedState {
                    problem: Some(problem),
                    ..LoadedState::default()
                },
            },
            None => match legacy.and_then(|l| l.entries.get(id)) {
                Some(Ok(state)) => LoadedState {
                    state: state.clone(),
                    problem: None,
                    in_folder: true,
                },
                // Said here for a run that reads `state.json` without migrating it; a migrating
                // run has said it already, and this target has its own (empty) file by now.
                Some(Err(problem)) => LoadedState {
                    problem: Some(StateProblem::InLegacy {
                        path: legacy.map_or(PathBuf::from(LEGACY_STATE), |l| l.path.clone()),
                        problem: Arc::clone(problem),
                    }),
                    ..LoadedState::default()
                },
                None => LoadedState {
                    in_folder: true,
                    ..LoadedState::default()
                },
            },
        }
    }

    /// Stores `id`'s alert state on its own (through a temporary file and a rename).
    pub fn save_state(&self, id: &str, state: &TargetState) -> Result<(), StoreError> {
        let path = self.state_path(id);
        let work = self.work_dir_checked()?;
        replace(&work, &path, &state_bytes(state))
            .map_err(|error| StoreError::Write { path, error })?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// The `state.json` of an earlier release, if there is one. A file that is not plain, too
    /// large, or not shaped like one is an error (and left alone); a bad entry in it is kept
    /// as that target's problem.
    /// Only the entries of `wanted` are kept (the others are skipped unparsed).
    pub fn load_legacy_state(
        &self,
        wanted: &HashSet<&str>,
        now: Timestamp,
    ) -> Result<Option<LegacyState>, StateProblem> {
        let path = self.dir.join(LEGACY_STATE);
        let bytes = match read_own(&path, MAX_LEGACY_BYTES) {
            Ok(None) => return Ok(None),
            Ok(Some(b)) => b,
            Err(OpenError::Refused(why)) => return Err(StateProblem::Refused(why)),
            Err(OpenError::Io(e)) => return Err(StateProblem::Unreadable(e)),
        };
        #[derive(Deserialize)]
        struct File<'a> {
            #[serde(borrow, default)]
            targets: BTreeMap<String, &'a RawValue>,
        }
        let text = std::str::from_utf8(&bytes).map_err(StateProblem::NotText)?;
        let file: File<'_> = serde_json::from_str(text).map_err(StateProblem::Syntax)?;
        let entries = file
            .targets
            .into_iter()
            .filter(|(id, _)| wanted.contains(id.as_str()))
            .map(|(id, raw)| {
                let parsed = if raw.get().len() as u64 > MAX_STATE_BYTES {
                    Err(StateProblem::Refused(Refusal::TooLarge(MAX_STATE_BYTES)))
                } else {
                    parse(raw.get().as_bytes(), now)
                };
                (id, parsed.map_err(Arc::new))
            })
            .collect();
        Ok(Some(LegacyState { path, entries }))
    }

    /// Moves the entries of `legacy` for `ids` — every configured target: only a run that
    /// covers them all migrates — into their own files (a target that already has one keeps
    /// it), then removes `state.json`, so that the entries of targets no longer configured go
    /// with it. A run of some targets (`check ID…`, a shard) never migrates: it reads their
    /// entries in place (see [`load_state`](Self::load_state)), so that no run leaves the
    /// folder half in one layout and half in the other. Returns the targets whose entry was
    /// not valid (they start with an empty state). Safe to repeat after a kill.
    pub fn migrate_state<'l>(
        &self,
        legacy: &'l LegacyState,
        ids: &[&str],
    ) -> Result<Vec<(String, &'l Arc<StateProblem>)>, StoreError> {
        let work = self.work_dir_checked()?;
        let mut bad = Vec::new();
        for id in ids {
            let path = self.state_path(id);
            match legacy.entries.get(*id) {
                None => {}
                Some(Err(problem)) => bad.push((id.to_string(), problem)),
                Some(Ok(_)) if std::fs::symlink_metadata(&path).is_ok() => {}
                Some(Ok(state)) => replace(&work, &path, &state_bytes(state))
                    .map_err(|error| StoreError::Write { path, error })?,
            }
        }
        sync_dir(&self.dir);
        std::fs::remove_file(&legacy.path).map_err(|error| StoreError::Write {
            path: legacy.path.clone(),
            error,
        })?;
        sync_dir(&self.dir);
        Ok(bad)
    }

    /// Removes the state files of the ids for which `keep` is false (targets no longer
    /// configured, within the run's shard). Only a run that covers every configured target of
    /// its scope calls it: a run of some targets cannot tell a removed id from one it skipped.
    /// Returns the files removed.
    pub fn prune_states(&self, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, StoreError> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(Vec::new());
        };
        let mut removed = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(SUFFIX) else {
                continue;
            };
            if !crate::text::is_id_shaped(id) || keep(id) || e.file_type().is_ok_and(|t| t.is_dir())
            {
                continue;
            }
            let path = e.path();
            std::fs::remove_file(&path).map_err(|error| StoreError::Write {
                path: path.clone(),
                error,
            })?;
            removed.push(path);
        }
        if !removed.is_empty() {
            sync_dir(&self.dir);
        }
        Ok(removed)
    }
}
