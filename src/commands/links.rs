//! `links`: only the link and empty-link checks; every finding open now is listed.
//! Exit 0: no open broken or empty-link finding, 1: some, 2: trouble.

use futures::StreamExt;
use jiff::Timestamp;

use super::{print_failed, ExitCode, Printer, Runner};
use crate::alert::TargetState;
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
    let watched = runner.watched_urls();
    // The stored snapshot plays no part: a damaged one does not stop the link check.
    let mode = Mode {
        allow_shrink: true,
        fresh: true,
        ..Mode::default()
    };
    let mut stream = Stream::new(
        format,
        true,
        report::Run {
            command: report::Command::Links,
            dry_run: false,
            generated_at: now,
        },
    );
    out.print(&stream.begin()).map_err(print_failed)?;
    // At most `http.max_concurrency` targets in flight, handled in order: memory stays bounded
    // by the targets in flight, as in `check`.
    let progress = crate::progress::Progress::start(targets.len());
    let mut observations = futures::stream::iter(targets)
        .map(|t| async {
            let _flight = progress.begin(&t.name);
            let obs = runner.observer.observe(t, &runner.store, mode).await;
            let found = runner.inspect(&obs, &watched).await;
            (obs, found)
        })
        .buffered(runner.config.http.max_concurrency);
    let (mut failed, mut problems) = (false, false);
    while let Some((obs, found)) = observations.next().await {
        let report = outcome::decide(Input {
            obs: &obs,
            before: &TargetState::default(),
            findings: found.as_deref(),
            mode: outcome::Mode::Links,
            now,
            site_url: None,
        })
        .report;
        failed |= report.status() == Status::Failed;
        problems |= report.findings.open.iter().any(|f| f.kind.is_problem());
        out.print(&stream.target(&report)).map_err(print_failed)?;
    }
    drop(observations);
    progress.finish();
    out.print(&stream.end()).map_err(print_failed)?;
    Ok(ExitCode::worst(failed, problems))
}
