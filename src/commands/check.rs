//! `check`: the run as a sequence of per-target transactions. For each target, in order:
//! observe (fetch, extract, compare, confirm) and inspect → decide ([`crate::outcome::decide`]:
//! what to announce, store and remember) → stage its snapshot and alert state (written and
//! synced, not yet in place) → deliver (Slack answered 2xx, or the target's report is printed
//! and flushed) → commit (renames only). A change is never stored before it is delivered, so a
//! run killed at any moment loses no alert and repeats at most the ones in flight; and since the
//! commit needs no disk space, a full disk stops an alert before it goes out, never after.
//!
//! Observing, deciding and staging run ahead, for the targets in flight at once; delivering and
//! committing go one target after the other, in order. Staged files are not in place and name no
//! journal that is: a run killed while targets wait with their files staged stored nothing of
//! them, and the next run removes those files before it starts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use futures::StreamExt;
use jiff::Timestamp;

use super::{on_store, ExitCode, Printer, Runner};
use crate::alert::{self, DeliveryProgress, TargetState};
use crate::error::{Error, StoreError};
use crate::facts::Citations;
use crate::notify::{Notifier, RunContext};
use crate::observe::{Mode, Pending};
use crate::outcome::{self, Input, Outcome};
use crate::progress::Progress;
use crate::report::{self, Format, Status, Stream, TargetReport};
use crate::shard::{Shard, ShardError};
use crate::snapshot::{LegacyState, LoadedState, Staged, Store};

pub(super) async fn run(
    runner: Runner,
    ids: &[String],
    shard: Option<Shard>,
    dry_run: bool,
    format: Format,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let targets = runner.select_shard(ids, shard)?;
    let notifier = Notifier::from_env(&targets, runner.config.http.timeout)?;
    let ctx = RunContext::from_env(Timestamp::now());
    // One run at a time, and a folder that takes files, before anything is delivered.
    let _lock = if dry_run {
        None
    } else {
        Some(runner.store.lock("check")?)
    };
    let legacy = prepare_state(&runner, &targets, shard, dry_run, ctx.time)?;
    let watched = runner.watched_urls();
    let mut run = Transactions {
        runner: &runner,
        notifier: &notifier,
        ctx: &ctx,
        dry_run,
        payloads_only: dry_run && notifier.is_remote(),
        stream: Stream::new(
            format,
            true,
            report::Run {
                command: report::Command::Check,
                dry_run,
                generated_at: ctx.time,
            },
        ),
        out: Stdout::new(out),
        citations: OnceLock::new(),
        books: Books::default(),
    };
    if !run.payloads_only {
        // A failure here is told below, target by target.
        let _ = run.out.put(&run.stream.begin());
    }
    // Targets are observed concurrently, at most so many at once, and handled in order: each
    // holds its page only until what it stores is staged, so memory stays bounded by the
    // targets in flight (and as many waiting for their turn), not by how many pages changed.
    // On a terminal, a status line on stderr says what is still being fetched. Each target's
    // alert state is read as its observation starts: it knows what an earlier first fetch saw
    // while its confirming fetch failed.
    let progress = Progress::start(targets.len());
    // Staging waits for the disk: a few targets at a time overlap those waits with each other
    // and with the fetches, each holding a few open files.
    let stage_slots = tokio::sync::Semaphore::new(STAGED_AT_ONCE);
    // Set once storing failed: targets still in flight stage nothing more.
    let broken = AtomicBool::new(false);
    let (runner_ref, watched_ref, legacy_ref) = (&runner, &watched, legacy.as_ref());
    let (slots_ref, broken_ref) = (&stage_slots, &broken);
    let mut observed = futures::stream::iter(targets)
        .map(|t| {
            let flight = progress.begin(&t.name);
            async move {
                let loaded = runner_ref.store.load_state(&t.id, legacy_ref, ctx.time);
                let mode = Mode {
                    confirm: true,
                    ..Mode::default()
                };
                let obs = runner_ref
                    .observer
                    .observe_after(
                        t,
                        &runner_ref.store,
                        mode,
                        loaded.state.unconfirmed.as_ref(),
                    )
                    .await;
                let findings = runner_ref.inspect(&obs, watched_ref).await;
                drop(flight);
                let Outcome {
                    report,
                    store,
                    after,
                } = outcome::decide(Input {
                    obs: &obs,
                    before: &loaded.state,
                    findings: findings.as_deref(),
                    mode: outcome::Mode::Check,
                    now: ctx.time,
                    site_url: runner_ref.config.site_url.as_ref(),
                });
                let id = obs.target.id.clone();
                drop(obs);
                // Staged before its turn to deliver, as it would be then: a full disk stops
                // the alert all the same.
                let staging = if dry_run || broken_ref.load(Ordering::Relaxed) {
                    Staging::Skipped
                } else {
                    let state = (!loaded.holds(&after)).then(|| after.clone());
                    let _slot = slots_ref.acquire().await;
                    match stage(&runner_ref.store, &id, store, state).await {
                        Ok(s) => Staging::Staged(s),
                        Err(e) => Staging::Failed(e),
                    }
                };
                Decided {
                    id,
                    report,
                    after,
                    loaded,
                    staging,
                }
            }
        })
        .buffered(runner.config.http.max_concurrency);
    // The stream's fetches move on only while it is polled: it is driven by a future of its
    // own, joined with the loop that takes the targets in order, so that observing goes on
    // while a transaction waits for its commit to reach the disk or for Slack. As many
    // observed targets as may be in flight wait there for their turn.
    let (ready, mut next) = tokio::sync::mpsc::channel(runner.config.http.max_concurrency.max(1));
    let observe_all = async move {
        while let Some(observed) = observed.next().await {
            if ready.send(observed).await.is_err() {
                break;
            }
        }
    };
    let handle_all = async {
        while let Some(decided) = next.recv().await {
            run.target(decided).await;
            if run.books.store_broken.is_some() {
                broken.store(true, Ordering::Relaxed);
            }
        }
    };
    futures::join!(observe_all, handle_all);
    progress.finish();
    run.finish()
}

/// How many targets stage their files at once.
const STAGED_AT_ONCE: usize = 4;

/// One target observed and decided, its files staged, waiting for its turn to be delivered.
struct Decided {
    id: String,
    report: TargetReport,
    /// The alert state to remember once the report is delivered.
    after: TargetState,
    loaded: LoadedState,
    staging: Staging,
}

/// What staging a target's snapshot and alert state came to.
enum Staging {
    /// Nothing was staged: a dry run, or storing failed earlier in the run.
    Skipped,
    Staged(Staged),
    Failed(StoreError),
}

/// What the run has come to so far, for its exit code.
#[derive(Debug, Default)]
struct Books {
    /// A target could not be fetched.
    failed: bool,
    /// An alert was not delivered.
    undelivered: bool,
    /// Storing failed after a delivery: no further alert goes out in this run.
    store_broken: Option<StoreError>,
    /// What a target had to store could not be staged.
    stage_failed: bool,
    /// Targets whose messages a dry run showed.
    previews: usize,
}

/// The run's per-target transactions and what they share.
struct Transactions<'a> {
    runner: &'a Runner,
    notifier: &'a Notifier,
    ctx: &'a RunContext,
    dry_run: bool,
    /// A dry run with Slack configured: stdout holds the payloads, not the report.
    payloads_only: bool,
    stream: Stream,
    out: Stdout<'a>,
    citations: OnceLock<Citations>,
    books: Books,
}

impl Transactions<'_> {
    /// One target's transaction, decided and staged already: deliver → commit.
    async fn target(&mut self, decided: Decided) {
        let Decided {
            id,
            mut report,
            after,
            loaded,
            staging,
        } = decided;
        if let Some(problem) = &loaded.problem {
            eprintln!(
                "policy-watch: {id}: the alert state in {} is not used and starts empty: {problem}\n  findings already reported for {id} may be reported again",
                self.runner.store.state_path(&id).display()
            );
        }
        let before = &loaded.state;
        self.runner.cite(&self.citations, &mut report);
        self.books.failed |= report.status() == Status::Failed;

        // What the delivery commits was staged before delivering: a full disk failed there.
        // Once storing has failed in this run, what was staged is dropped (its files removed).
        let mut staged: Option<Staged> = None;
        if !self.dry_run && self.books.store_broken.is_none() {
            match staging {
                Staging::Staged(s) => staged = Some(s),
                Staging::Failed(e) => {
                    eprintln!(
                        "policy-watch: could not stage what {id} has to store: {e}\n  nothing about {id} is sent in this run; the next run tries again"
                    );
                    report.delivery_error = Some(format!(
                        "not sent: what it has to store could not be written to the snapshot folder ({e})"
                    ));
                    self.books.stage_failed = true;
                }
                Staging::Skipped => {}
            }
        }

        // Deliver.
        let (delivered, progress) = self.deliver(&mut report, before.thread.as_ref()).await;
        self.books.undelivered |= !delivered && report.is_news();

        // Commit what was staged, or — undelivered — only what the alert state must keep.
        let Some(staged) = staged else {
            return;
        };
        let stored = if delivered {
            commit(&self.runner.store, staged).await
        } else {
            drop(staged);
            let mut kept: TargetState = alert::undelivered(before, &after);
            kept.thread = progress.or_else(|| before.thread.clone());
            if loaded.holds(&kept) {
                Ok(())
            } else {
                self.runner.store.save_state(&id, &kept)
            }
        };
        if let Err(e) = stored {
            // On stderr: stdout holds the report, which may be one JSON document.
            eprintln!(
                "policy-watch: could not store what was announced for {id}: {e}\n  the next run announces it again; no further alerts are sent in this run"
            );
            self.books.store_broken = Some(e);
        }
    }

    /// Delivers the report's news and prints the report: whether the news is out, and the
    /// progress of a Slack thread that is only partly out.
    async fn deliver(
        &mut self,
        report: &mut crate::report::TargetReport,
        resume: Option<&DeliveryProgress>,
    ) -> (bool, Option<DeliveryProgress>) {
        let mut delivered = true;
        let mut progress = None;
        if report.is_news() {
            if report.delivery_error.is_some() {
                delivered = false;
            } else if let Some(e) = &self.books.store_broken {
                report.delivery_error = Some(format!(
                    "not sent: the snapshot folder could not be written earlier in this run ({e})"
                ));
                delivered = false;
            } else if self.dry_run {
                if let Some(p) = self.notifier.preview(report, self.ctx) {
                    let _ = self.out.put(&p);
                    self.books.previews += 1;
                }
            } else if let Err(e) = self.notifier.deliver(report, self.ctx, resume).await {
                tracing::warn!(target = %report.id, error = %e.error, "notification not delivered");
                report.delivery_error = Some(e.error.to_string());
                progress = e.progress;
                delivered = false;
            }
        }
        if !self.payloads_only {
            // Where the printed report is the alert, it is out once written and flushed; a
            // closed pipe or a full disk is no delivery.
            if let Err(why) = self.out.put(&self.stream.target(report)) {
                if delivered && report.is_news() && self.notifier.prints(&report.id) {
                    eprintln!(
                        "policy-watch: {}: the alert was not delivered: stdout cannot be written ({why}); the next run shows it again",
                        report.id
                    );
                    delivered = false;
                }
            }
        }
        (delivered, progress)
    }

    /// The run's last words, and its exit code.
    fn finish(mut self) -> Result<ExitCode, Error> {
        let books = &self.books;
        if self.payloads_only {
            // stdout holds one JSON object a line (or nothing): the words go to stderr.
            if books.previews == 0 {
                eprintln!(
                    "policy-watch: dry run: nothing would be posted, and nothing was written"
                );
            } else {
                eprintln!(
                    "policy-watch: dry run: the messages for {} are shown above; none was posted, and nothing was written",
                    crate::text::plural(books.previews, "target", "targets"),
                );
            }
        } else {
            let _ = self.out.put(&self.stream.end());
        }
        Ok(ExitCode::worst(
            books.store_broken.is_some() || books.stage_failed,
            books.failed || books.undelivered || self.out.failed.is_some(),
        ))
    }
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

/// The alert state's layout, settled before the first target by a run that covers every
/// configured target of its scope: the `state.json` of an earlier release is migrated into one
/// file per target and removed, and the states of targets no longer configured are pruned. A
/// dry run or a run of some targets (`check ID…`) writes nothing here: it reads an unmigrated
/// `state.json` as it is (returned), so that no run leaves the folder half migrated.
///
/// A shard (`--shard I/N`, N > 1) writes only its own targets' files: it prunes only the ids
/// that hash into it, and it refuses to start while a `state.json` waits to be migrated, since
/// migrating it in part would leave it to the other shards half done.
fn prepare_state(
    runner: &Runner,
    targets: &[crate::config::Target],
    shard: Option<Shard>,
    dry_run: bool,
    now: Timestamp,
) -> Result<Option<LegacyState>, Error> {
    let store = &runner.store;
    let part = shard.filter(Shard::is_part);
    let in_scope = |id: &str| part.is_none_or(|s| s.holds(id));
    let configured: HashSet<&str> = runner
        .config
        .targets
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    let selected: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    // Whether this run covers every configured target of its scope (its shard, or all).
    let whole = configured
        .iter()
        .filter(|id| in_scope(id))
        .all(|id| selected.contains(id));
    let wanted: HashSet<&str> = selected.iter().copied().collect();
    let legacy = match store.load_legacy_state(&wanted, now) {
        Ok(Some(legacy)) if part.is_some() => {
            return Err(ShardError::Unmigrated {
                path: legacy.path().to_path_buf(),
            }
            .into())
        }
        Ok(legacy) => legacy,
        Err(problem) => {
            eprintln!(
                "policy-watch: {}: not used ({problem}); it is left as it is, and every target's alert state is read from its own file",
                store.dir().join(crate::snapshot::LEGACY_STATE).display()
            );
            None
        }
    };
    if dry_run || !whole {
        // Only a run that covers every configured target of its scope changes the layout; a
        // run of some targets reads `state.json` in place.
        return Ok(legacy);
    }
    if let Some(legacy) = &legacy {
        // Only an unsharded run of the whole config gets here with a legacy state (a shard
        // refuses to start while one waits).
        for (id, problem) in store.migrate_state(legacy, &selected)? {
            eprintln!(
                "policy-watch: {id}: its entry in {} is not used and its alert state starts empty: {problem}\n  findings already reported for {id} may be reported again",
                legacy.path().display()
            );
        }
    }
    for path in store.prune_states(|id| configured.contains(id) || !in_scope(id))? {
        tracing::info!(file = %path.display(), "removed the alert state of a target that is no longer configured");
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
    let id = id.to_string();
    on_store(store, move |store| {
        let snapshot = pending.as_ref().map(|p| (&p.snapshot, p.raw.as_ref()));
        store.stage(&id, snapshot, state.as_ref())
    })
    .await
}

/// Commits what was staged, on the blocking pool (renames, and syncs of the folders).
async fn commit(store: &Store, staged: Staged) -> Result<(), StoreError> {
    on_store(store, move |store| store.commit(staged)).await?;
    Ok(())
}
