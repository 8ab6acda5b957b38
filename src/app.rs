//! Runs a parsed command line: loads the config, drives the pipeline, prints, and decides the
//! exit code.

use std::io::Write;

use chrono::Utc;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::error::Error;
use crate::notify::{Notifier, RunContext};
use crate::pipeline::{self, CheckOptions, Pipeline};
use crate::report::{Format, RunReport};

/// The exit codes of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything done (check, accept), no change (diff), no open problem (links).
    Ok = 0,
    /// A target failed or a notification was not delivered (check, accept); changes (diff);
    /// open broken or empty links (links).
    Attention = 1,
    /// Bad configuration or usage; for diff and links also any trouble fetching.
    Trouble = 2,
}

/// Runs one command; what it prints goes to stdout, logs to stderr.
pub async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let config = Config::discover(cli.config.as_deref())?;
    let now = Utc::now();
    match cli.command {
        Command::Targets => {
            let mut out = String::new();
            for t in &config.targets {
                let mut extras = Vec::new();
                if t.check_links {
                    extras.push("links".to_string());
                }
                if !t.languages.is_empty() {
                    extras.push(t.languages.join("+"));
                }
                let extras = if extras.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", extras.join(", "))
                };
                out.push_str(&format!("{}\t{}\t{}{extras}\n", t.id, t.name, t.url));
            }
            print(&out);
            Ok(ExitCode::Ok)
        }
        Command::Check {
            targets,
            dry_run,
            format,
        } => {
            let notifier = Notifier::from_env()?;
            let pipeline = Pipeline::new(config)?;
            let ctx = RunContext::from_env(now);
            let mut previews = Vec::new();
            let outcome = pipeline::check(
                &pipeline,
                &CheckOptions { targets, dry_run },
                &notifier,
                &ctx,
                &mut previews,
            )
            .await?;
            if dry_run && notifier.is_remote() {
                for p in &previews {
                    print(p);
                }
                if previews.is_empty() {
                    print("nothing would be posted\n");
                }
            } else {
                print_report(&outcome.report, format);
            }
            Ok(if outcome.any_failed || outcome.any_undelivered {
                ExitCode::Attention
            } else {
                ExitCode::Ok
            })
        }
        Command::Diff { ids, format } => {
            let pipeline = Pipeline::new(config)?;
            let outcome = pipeline::diff_targets(&pipeline, &ids, now).await?;
            print_report(&outcome.report, format);
            let changed = outcome.report.targets.iter().any(|t| t.is_news());
            Ok(if outcome.any_failed {
                ExitCode::Trouble
            } else if changed {
                ExitCode::Attention
            } else {
                ExitCode::Ok
            })
        }
        Command::Accept { ids } => {
            let pipeline = Pipeline::new(config)?;
            let outcome = pipeline::accept(&pipeline, &ids, now).await?;
            print_report(&outcome.report, Format::Text);
            Ok(if outcome.any_failed {
                ExitCode::Attention
            } else {
                ExitCode::Ok
            })
        }
        Command::Links { ids, format } => {
            let pipeline = Pipeline::new(config)?;
            let outcome = pipeline::links(&pipeline, &ids, now).await?;
            print_report(&outcome.report, format);
            let problems = outcome
                .report
                .targets
                .iter()
                .flat_map(|t| &t.open_findings)
                .any(|f| f.kind.is_problem());
            Ok(if outcome.any_failed {
                ExitCode::Trouble
            } else if problems {
                ExitCode::Attention
            } else {
                ExitCode::Ok
            })
        }
    }
}

fn print_report(report: &RunReport, format: Format) {
    // anstream drops the colour when stdout is not a terminal or NO_COLOR is set.
    print(&report.render(format, true));
}

fn print(text: &str) {
    let mut out = anstream::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
