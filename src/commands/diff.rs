//! `diff`: what changed against the stored snapshots (confirmed by a second fetch, as `check`
//! does); writes nothing, posts nothing. Exit 0: no change, 1: changes, 2: trouble.

use futures::StreamExt;
use jiff::Timestamp;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::error::Error;
use crate::observe::{assess, Mode};
use crate::report::{Format, Status, Stream};

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
    let mut reports = futures::stream::iter(targets)
        .map(|t| async {
            let _flight = progress.begin(&t.name);
            let obs = runner.observer.observe(t, &runner.store, mode).await;
            let mut report = assess(&obs, now).0;
            if report.status == Status::Watching {
                report.status = Status::NoSnapshot;
            }
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
