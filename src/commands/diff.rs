//! `diff`: what changed against the stored snapshots (confirmed by a second fetch, as `check`
//! does); writes nothing, posts nothing. Exit 0: no change, 1: changes, 2: trouble.

use futures::StreamExt;
use jiff::Timestamp;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::alert::{self, Content, Seen, Verdict};
use crate::error::Error;
use crate::observe::{assess, Mode, Observation};
use crate::report::{Format, Status, Stream, TargetReport};
use crate::snapshot::{content_hash, LegacyState};

pub(super) async fn run(
    runner: Runner,
    ids: &[String],
    format: Format,
    out: &Printer,
) -> Result<ExitCode, Error> {
    let targets = runner.select(ids)?;
    let now = Timestamp::now();
    let mode = Mode {
        confirm: true,
        ..Mode::default()
    };
    let mut stream = Stream::new(format, true, "diff", false, now);
    out.print(&stream.begin()).map_err(print_failed)?;
    let progress = crate::progress::Progress::start(targets.len());
    // Read only: a state file `check` has not migrated yet is read as `check` would read it.
    let wanted: std::collections::HashSet<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let legacy = runner.store.load_legacy_state(&wanted, now).ok().flatten();
    let mut reports = futures::stream::iter(targets)
        .map(|t| async {
            let _flight = progress.begin(&t.name);
            let obs = runner.observer.observe(t, &runner.store, mode).await;
            let mut report = assess(&obs, now).0;
            if report.status == Status::Watching {
                report.status = Status::NoSnapshot;
            }
            remembered(&runner, &obs, &mut report, legacy.as_ref(), now);
            report
        })
        .buffered(runner.config.http.max_concurrency);
    let (mut failed, mut changed) = (false, false);
    let citations = std::sync::OnceLock::new();
    while let Some(mut report) = reports.next().await {
        runner.cite(&citations, &mut report);
        failed |= report.status == Status::Failed;
        changed |= report.is_news();
        out.print(&stream.target(&report)).map_err(print_failed)?;
    }
    out.print(&stream.end()).map_err(print_failed)?;
    Ok(ExitCode::worst(failed, changed))
}

/// A change to a version the target remembers is said as `check` would say it: "back to the
/// version of …" the first time, and no change while the page keeps flipping between them.
fn remembered(
    runner: &Runner,
    obs: &Observation,
    report: &mut TargetReport,
    legacy: Option<&LegacyState>,
    now: Timestamp,
) {
    let (Ok(cur), Some(stored)) = (&obs.result, &obs.stored) else {
        return;
    };
    if report.status != Status::Changed || cur.changes.is_empty() {
        return;
    }
    let hash = content_hash(&cur.markdown);
    if hash == stored.meta.content_hash {
        return;
    }
    let loaded = runner.store.load_state(&report.id, legacy, now);
    let seen = Seen::Fetched {
        content: Content::Changed {
            hash: &hash,
            was: &stored.meta.content_hash,
            since: stored.meta.changed_at,
        },
        findings: None,
    };
    match alert::advance(&loaded.state, seen, now).0.content {
        Verdict::BackTo(at) => report.back_to = Some(at),
        Verdict::Flip(at) => {
            report.status = Status::Unchanged;
            report.changes.clear();
            report.links.clear();
            report.moved_from = None;
            report.alternate = Some(at);
        }
        Verdict::Quiet | Verdict::Announce => {}
    }
}
