//! `accept`: store the current content as the snapshot, without notifying; the findings state
//! stays as it is. It also repairs a damaged snapshot, since it stores what the page is now.

use futures::StreamExt;
use jiff::Timestamp;

use super::{on_store, print_failed, ExitCode, Printer, Runner};
use crate::alert::TargetState;
use crate::error::{Error, TargetError};
use crate::observe::Mode;
use crate::outcome::{self, Input};
use crate::report::{self, Format, Status, Stream};

pub(super) async fn run(runner: Runner, ids: &[String], out: &Printer) -> Result<ExitCode, Error> {
    let targets = runner.select(ids)?;
    let now = Timestamp::now();
    let _lock = runner.store.lock("accept")?;
    let mode = Mode {
        allow_shrink: true,
        ..Mode::default()
    };
    let mut stream = Stream::new(
        Format::Text,
        true,
        report::Run {
            command: report::Command::Accept,
            dry_run: false,
            generated_at: now,
        },
    );
    out.print(&stream.begin()).map_err(print_failed)?;
    // At most `http.max_concurrency` targets in flight, stored in order; the writes run on the
    // blocking pool.
    let progress = crate::progress::Progress::start(targets.len());
    let (runner, progress) = (&runner, &progress);
    let mut observed = futures::stream::iter(targets)
        .map(|target| async move {
            let _flight = progress.begin(&target.name);
            let mut obs = runner.observer.observe(target, &runner.store, mode).await;
            if matches!(obs.result, Err(TargetError::Damaged { .. })) {
                // Accepting means "store what the page is now": observe it as if first seen.
                let fresh = Mode {
                    fresh: true,
                    ..mode
                };
                obs = runner
                    .observer
                    .observe(obs.target, &runner.store, fresh)
                    .await;
            }
            // The findings state stays as it is: accept remembers nothing new.
            outcome::decide(Input {
                obs: &obs,
                before: &TargetState::default(),
                findings: None,
                mode: outcome::Mode::Accept,
                now,
                site_url: None,
            })
        })
        .buffered(runner.config.http.max_concurrency);
    let mut failed = false;
    while let Some(outcome) = observed.next().await {
        let report = outcome.report;
        failed |= report.status() == Status::Failed;
        if let Some(p) = outcome.store {
            on_store(&runner.store, move |store| {
                store.save(&p.snapshot, p.raw.as_ref())
            })
            .await?;
        }
        out.print(&stream.target(&report)).map_err(print_failed)?;
    }
    out.print(&stream.end()).map_err(print_failed)?;
    Ok(ExitCode::worst(false, failed))
}
