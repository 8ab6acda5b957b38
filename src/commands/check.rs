//! `check`: the run as a sequence of per-target transactions. For each target, in order:
//! observe (fetch, extract, compare, confirm) and inspect → decide what to announce →
//! stage its snapshot and alert state (written and synced, not yet in place) → deliver (Slack
//! answered 2xx, or the target's report is printed and flushed) → commit (renames only). A
//! change is never stored before it is delivered, so a run killed at any moment loses no alert
//! and repeats at most the ones in flight; and since the commit needs no disk space, a full
//! disk stops an alert before it goes out, never after.

use std::collections::HashSet;

use futures::StreamExt;
use jiff::Timestamp;

use super::{ExitCode, Printer, Runner};
use crate::alert::{self, Content, Seen, TargetState, Unconfirmed, Verdict};
use crate::error::{Error, StoreError, TargetError};
use crate::inspect::Finding;
use crate::notify::{Notifier, RunContext};
use crate::observe::{assess, Mode, Pending};
use crate::progress::Progress;
use crate::report::{Format, Status, Stream, TargetReport};
use crate::snapshot::{content_hash, LegacyState, Staged, Store};

/// A stored snapshot's content hash and when it last changed.
type Stored = (String, Timestamp);

/// One target observed, compared and inspected: what it has to say and what to store.
struct Done {
    report: TargetReport,
    pending: Option<Pending>,
    findings: Option<Vec<Finding>>,
    /// The content as the alert state sees it (hash now, hash and date stored).
    content: Option<(String, Option<Stored>)>,
    /// A change seen while the confirming fetch failed, to remember.
    unconfirmed: Option<Unconfirmed>,
}

pub(super) async fn run(
    runner: Runner,
    ids: &[String],
    dry_run: bool,
    format: Format,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let targets = runner.select(ids)?;
    let notifier = Notifier::from_env(&targets)?.with_timeout(runner.config.http.timeout);
    let ctx = RunContext::from_env(Timestamp::now());
    // One run at a time, and a folder that takes files, before anything is delivered.
    let _lock = if dry_run {
        None
    } else {
        Some(runner.store.lock("check")?)
    };
    let legacy = prepare_state(&runner, &targets, dry_run, ctx.time)?;
    let watched = runner.watched_urls();
    let payloads_only = dry_run && notifier.is_remote();

    let mut stream = Stream::new(format, true, "check", dry_run, ctx.time);
    let mut out = Stdout::new(out);
    if !payloads_only {
        // A failure here is told below, target by target.
        let _ = out.put(&stream.begin());
    }
    // Targets are observed concurrently, at most so many at once, and handled in order: each
    // holds its page only until its transaction ends, so memory stays bounded by the targets
    // in flight, not by how many pages changed.
    // On a terminal, a status line on stderr says what is still being fetched. Each target's
    // alert state is read as its observation starts: it knows what an earlier first fetch saw
    // while its confirming fetch failed.
    let progress = Progress::start(targets.len());
    let (runner_ref, watched_ref, legacy_ref) = (&runner, &watched, legacy.as_ref());
    let mut done = futures::stream::iter(targets)
        .map(|t| {
            let flight = progress.begin(&t.name);
            async move {
                let loaded = runner_ref.store.load_state(&t.id, legacy_ref, ctx.time);
                let earlier = loaded.state.unconfirmed.as_ref();
                let d = observe(runner_ref, t, watched_ref, ctx.time, earlier).await;
                drop(flight);
                (d, loaded)
            }
        })
        .buffered(runner.config.http.max_concurrency);

    let (mut any_failed, mut any_undelivered) = (false, false);
    let mut store_broken: Option<StoreError> = None;
    let mut stage_failed = false;
    let mut previews = 0;
    let citations = std::sync::OnceLock::new();
    while let Some((
        Done {
            mut report,
            mut pending,
            findings,
            content,
            unconfirmed,
        },
        loaded,
    )) = done.next().await
    {
        let id = report.id.clone();
        if let Some(problem) = &loaded.problem {
            eprintln!(
                "policy-watch: {id}: the alert state in {} is not used and starts empty: {problem}\n  findings already reported for {id} may be reported again",
                runner.store.state_path(&id).display()
            );
        }
        let before = &loaded.state;
        let seen = match (&content, report.status) {
            (None, _) if report.damaged => Seen::Damaged,
            (None, _) => Seen::Failed,
            (Some((hash, stored)), status) => Seen::Fetched {
                content: match stored {
                    None => Content::First { hash },
                    Some(_) if report.rebaselined && report.changes.is_empty() => {
                        Content::Rebaselined { hash }
                    }
                    Some((was, since)) if status == Status::Changed && hash != was => {
                        Content::Changed {
                            hash,
                            was,
                            since: *since,
                        }
                    }
                    Some(_) => Content::Same,
                },
                findings: findings.as_deref(),
            },
        };
        let (said, mut after) = alert::advance(before, seen, ctx.time);
        if unconfirmed.is_some() {
            after.unconfirmed = unconfirmed;
        }
        any_failed |= report.status == Status::Failed;
        apply(&mut report, &said);
        if let Some(site) = &runner.config.site_url {
            // The site shows a version under its content hash, so the page of a change is
            // known before the commit that records it.
            report.page_url = Some(match (&content, report.status) {
                (Some((hash, _)), Status::Changed | Status::Watching) => {
                    crate::site::change_page(site, &id, hash)
                }
                _ => crate::site::target_page(site, &id),
            });
        }
        runner.cite(&citations, &mut report);
        if let Verdict::Flip(_) = said.content {
            // A remembered variant again: nothing to say, nothing to store.
            pending = None;
        }

        // Stage what the delivery commits, before delivering: a full disk fails here.
        let mut staged: Option<Staged> = None;
        if !dry_run && store_broken.is_none() {
            let state = (!loaded.holds(&after)).then(|| after.clone());
            match stage(&runner.store, &id, pending.take(), state).await {
                Ok(s) => staged = Some(s),
                Err(e) => {
                    eprintln!(
                        "policy-watch: could not stage what {id} has to store: {e}\n  nothing about {id} is sent in this run; the next run tries again"
                    );
                    report.delivery_error = Some(format!(
                        "not sent: what it has to store could not be written to the snapshot folder ({e})"
                    ));
                    stage_failed = true;
                }
            }
        }

        // Deliver.
        let mut delivered = true;
        let mut progress = None;
        if report.is_news() {
            if report.delivery_error.is_some() {
                delivered = false;
            } else if let Some(e) = &store_broken {
                report.delivery_error = Some(format!(
                    "not sent: the snapshot folder could not be written earlier in this run ({e})"
                ));
                delivered = false;
            } else if dry_run {
                if let Some(p) = notifier.preview(&report, &ctx) {
                    let _ = out.put(&p);
                    previews += 1;
                }
            } else if let Err(e) = notifier
                .deliver(&report, &ctx, before.thread.as_ref())
                .await
            {
                tracing::warn!(target = %id, error = %e.error, "notification not delivered");
                report.delivery_error = Some(e.error.to_string());
                progress = e.progress;
                delivered = false;
            }
        }
        if !payloads_only {
            // Where the printed report is the alert, it is out once written and flushed; a
            // closed pipe or a full disk is no delivery.
            if let Err(why) = out.put(&stream.target(&report)) {
                if delivered && report.is_news() && notifier.prints(&id) {
                    eprintln!(
                        "policy-watch: {id}: the alert was not delivered: stdout cannot be written ({why}); the next run shows it again"
                    );
                    delivered = false;
                }
            }
        }
        any_undelivered |= !delivered && report.is_news();

        // Commit what was staged, or — undelivered — only what the alert state must keep.
        let Some(staged) = staged else {
            continue;
        };
        let stored = if delivered {
            commit(&runner.store, staged).await
        } else {
            drop(staged);
            let mut kept: TargetState = alert::undelivered(before, &after);
            kept.thread = progress.or_else(|| before.thread.clone());
            if loaded.holds(&kept) {
                Ok(())
            } else {
                runner.store.save_state(&id, &kept)
            }
        };
        if let Err(e) = stored {
            // On stderr: stdout holds the report, which may be one JSON document.
            eprintln!(
                "policy-watch: could not store what was announced for {id}: {e}\n  the next run announces it again; no further alerts are sent in this run"
            );
            store_broken = Some(e);
        }
    }
    progress.finish();
    if payloads_only {
        // stdout holds one JSON object a line (or nothing): the words go to stderr.
        if previews == 0 {
            eprintln!("policy-watch: dry run: nothing would be posted, and nothing was written");
        } else {
            eprintln!(
                "policy-watch: dry run: the messages for {} are shown above; none was posted, and nothing was written",
                crate::report::plural(previews, "target", "targets"),
            );
        }
    } else {
        let _ = out.put(&stream.end());
    }
    Ok(ExitCode::worst(
        store_broken.is_some() || stage_failed,
        any_failed || any_undelivered || out.failed.is_some(),
    ))
}

/// Stdout for `check`: once a write failed, nothing more is written (a JSON document would
/// be broken anyway), and every later piece counts as not printed, for the same reason.
struct Stdout<'a> {
    printer: &'a Printer,
    /// Why the first write that failed did.
    failed: Option<String>,
}

impl<'a> Stdout<'a> {
    fn new(printer: &'a Printer) -> Self {
        Stdout {
            printer,
            failed: None,
        }
    }

    /// Writes and flushes `text`; why it is not out, when it is not. The first failure is
    /// said on stderr.
    fn put(&mut self, text: &str) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(why.clone());
        }
        self.printer.deliver(text).map_err(|e| {
            eprintln!("policy-watch: cannot write to stdout: {e}; the report is incomplete");
            let why = e.to_string();
            self.failed = Some(why.clone());
            why
        })
    }
}

/// Observes, assesses and inspects one target; its page is dropped once compared.
async fn observe(
    runner: &Runner,
    target: crate::config::Target,
    watched: &crate::inspect::Watched,
    now: Timestamp,
    earlier: Option<&Unconfirmed>,
) -> Done {
    let mode = Mode {
        confirm: true,
        ..Mode::default()
    };
    let obs = runner
        .observer
        .observe_after(target, &runner.store, mode, earlier)
        .await;
    let unconfirmed = match &obs.result {
        Err(TargetError::Unconfirmed { seen, .. }) => Some(seen.clone()),
        _ => None,
    };
    let findings = runner.inspect(&obs, watched).await;
    let (report, pending) = assess(&obs, now);
    let content = obs.result.as_ref().ok().map(|cur| {
        (
            content_hash(&cur.markdown),
            obs.stored
                .as_ref()
                .map(|s| (s.meta.content_hash.clone(), s.meta.changed_at)),
        )
    });
    Done {
        report,
        pending,
        findings,
        content,
        unconfirmed,
    }
}

/// What the alert state decided, written into the target's report.
fn apply(report: &mut TargetReport, said: &alert::Announcements) {
    if report.status == Status::Failed {
        report.consecutive_failures = said.consecutive_failures;
        report.unreachable_alert = said.unreachable;
    }
    report.back = said.back;
    report.new_findings = said.opened.clone();
    report.resolved_findings = said.resolved.clone();
    report.open_findings = said.open.clone();
    match said.content {
        Verdict::BackTo(at) => report.back_to = Some(at),
        Verdict::Flip(at) => {
            report.status = Status::Unchanged;
            report.changes.clear();
            report.links.clear();
            report.facts.clear();
            report.moved_from = None;
            report.alternate = Some(at);
        }
        Verdict::Quiet | Verdict::Announce => {}
    }
}

/// The alert state's layout, settled before the first target: the `state.json` of an earlier
/// release is migrated into one file per target (and removed once a run covers every configured
/// target), and a run that covers them all prunes the states of targets no longer configured.
/// A dry run writes nothing: it reads an unmigrated `state.json` as it is (returned).
fn prepare_state(
    runner: &Runner,
    targets: &[crate::config::Target],
    dry_run: bool,
    now: Timestamp,
) -> Result<Option<LegacyState>, Error> {
    let store = &runner.store;
    let configured: HashSet<&str> = runner
        .config
        .targets
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    let selected: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let whole = configured.iter().all(|id| selected.contains(id));
    let wanted: HashSet<&str> = selected.iter().copied().collect();
    let legacy = match store.load_legacy_state(&wanted, now) {
        Ok(legacy) => legacy,
        Err(problem) => {
            eprintln!(
                "policy-watch: {}: not used ({problem}); it is left as it is, and every target's alert state is read from its own file",
                store.dir().join(crate::snapshot::LEGACY_STATE).display()
            );
            None
        }
    };
    if dry_run {
        return Ok(legacy);
    }
    if let Some(legacy) = &legacy {
        for (id, problem) in store.migrate_state(legacy, &selected, whole)? {
            eprintln!(
                "policy-watch: {id}: its entry in {} is not used and its alert state starts empty: {problem}\n  findings already reported for {id} may be reported again",
                legacy.path().display()
            );
        }
    }
    if whole {
        for path in store.prune_states(&configured)? {
            tracing::info!(file = %path.display(), "removed the alert state of a target that is no longer configured");
        }
    }
    Ok(None)
}

/// Stages a target's snapshot and alert state on the blocking pool (the writes are synced).
async fn stage(
    store: &Store,
    id: &str,
    pending: Option<Pending>,
    state: Option<TargetState>,
) -> Result<Staged, StoreError> {
    let (store, id) = (store.clone(), id.to_string());
    let dir = store.dir().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let snapshot = pending.as_ref().map(|p| (&p.snapshot, p.raw.as_ref()));
        store.stage(&id, snapshot, state.as_ref())
    })
    .await
    .map_err(|e| crashed(dir, e))?
}

/// Commits what was staged, on the blocking pool (renames, and syncs of the folders).
async fn commit(store: &Store, staged: Staged) -> Result<(), StoreError> {
    let store = store.clone();
    let dir = store.dir().to_path_buf();
    tokio::task::spawn_blocking(move || store.commit(staged))
        .await
        .map_err(|e| crashed(dir, e))??;
    Ok(())
}

fn crashed(dir: std::path::PathBuf, e: tokio::task::JoinError) -> StoreError {
    StoreError::Write {
        path: dir,
        error: std::io::Error::other(format!("storing crashed: {e}")),
    }
}
