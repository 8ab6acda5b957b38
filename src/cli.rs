//! The command line (clap). The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;

/// Watches privacy policies: fetches each page, compares it with its stored snapshot, flags
/// broken and empty links, and posts what changed to Slack (or prints it).
///
/// Slack: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL. Logs: RUST_LOG.
/// Colour: NO_COLOR turns it off.
#[derive(Debug, Parser)]
#[command(name = "policy-watch", version, about, long_about)]
pub struct Cli {
    /// Config file [default: ./policy-watch.toml if it exists, else the built-in targets]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every target, compare, inspect, notify, then store the new snapshots.
    ///
    /// Exit status: 0 every target processed and every notification delivered; 1 a target
    /// could not be fetched or a notification not delivered; 2 bad configuration or usage.
    Check {
        /// Only this target (repeatable).
        #[arg(long = "target", value_name = "ID")]
        targets: Vec<String>,
        /// Do all the work but post nothing and write nothing; print what would be posted.
        #[arg(long)]
        dry_run: bool,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Fetch and show what changed against the stored snapshots; writes nothing, posts nothing.
    ///
    /// Exit status: 0 no change, 1 changes, 2 trouble (as diff(1) does).
    Diff {
        /// Targets to compare [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Fetch and store the current content as the snapshot, without notifying.
    ///
    /// Use it to record first baselines or to mark a change as reviewed. Findings state is
    /// left as it is.
    Accept {
        /// Targets to accept [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
    },
    /// Run only the link and empty-link checks and print the findings.
    ///
    /// Exit status: 0 no open broken or empty-link finding, 1 some, 2 trouble.
    Links {
        /// Targets to check [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the configured targets.
    Targets,
}
