//! `diff`: what changed against the stored snapshots (confirmed by a second fetch, as `check`
//! does); writes nothing, posts nothing. Exit 0: no change, 1: changes, 2: trouble.

use futures::StreamExt;
use jiff::Timestamp;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::error::Error;
use crate::observe::Mode;
use crate::outcome::{self, Input};
use crate::report::{self, Format, Status, Stream};

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
    let mut stream = Stream::new(
        format,
        true,
        report::Run {
            command: report::Command::Diff,
            dry_run: false,
            generated_at: now,
        },
    );
    out.print(&stream.begin()).map_err(print_failed)?;
    let progress = crate::progress::Progress::start(targets.len());
    // Read only: a state file `check` has not migrated yet is read as `check` would read it.
    // The remembered versions say a flip as `check` would say it.
    let wanted: std::collections::HashSet<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let legacy = runner.store.load_legacy_state(&wanted, now).ok().flatten();
    let mut reports = futures::stream::iter(targets)
        .map(|t| async {
            let _flight = progress.begin(&t.name);
            let loaded = runner.store.load_state(&t.id, legacy.as_ref(), now);
            let obs = runner.observer.observe(t, &runner.store, mode).await;
            outcome::decide(Input {
                obs: &obs,
                before: &loaded.state,
                findings: None,
                mode: outcome::Mode::Diff,
                now,
                site_url: None,
            })
            .report
        })
        .buffered(runner.config.http.max_concurrency);
    let (mut failed, mut changed) = (false, false);
    let citations = std::sync::OnceLock::new();
    while let Some(mut report) = reports.next().await {
        runner.cite(&citations, &mut report);
        failed |= report.status() == Status::Failed;
        changed |= report.is_news();
        out.print(&stream.target(&report)).map_err(print_failed)?;
    }
    out.print(&stream.end()).map_err(print_failed)?;
    Ok(ExitCode::worst(failed, changed))
}
