//! The command line (clap), part of the binary only. The doc comments here are the `--help`
//! text; [`Cli::into_invocation`] hands the library a plain command.

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use policy_watch::report::Format;
use policy_watch::shard::Shard;
use policy_watch::{Command as Run, Invocation};

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

/// How to print a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    /// For a terminal: `[-removed-]` and `{+added+}`, coloured on a terminal.
    #[default]
    Text,
    /// GitHub-flavoured Markdown, for a job summary.
    Markdown,
    /// One JSON document.
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every target, compare, inspect, notify, then store the new snapshots.
    ///
    /// Each target is a transaction: its alert is delivered (Slack answered, or its report
    /// printed) before its snapshot is stored.
    ///
    /// Exit status: 0 every target processed and every notification delivered; 1 a target
    /// could not be fetched or a notification not delivered; 2 bad configuration or usage,
    /// another run holds the snapshot folder, or it cannot be written.
    Check {
        /// Targets to check [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Only this target (repeatable; the same as naming it).
        #[arg(long = "target", value_name = "ID")]
        targets: Vec<String>,
        /// Only the targets of shard I of N (1 ≤ I ≤ N), picked by a stable hash of each id:
        /// N runs with 1/N … N/N check every target once and write disjoint files.
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        /// Do all the work but post nothing and write nothing; print what would be posted.
        #[arg(long)]
        dry_run: bool,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Fetch and show what changed against the stored snapshots; writes nothing, posts nothing.
    ///
    /// Exit status: 0 no change, 1 changes, 2 trouble: bad configuration or usage, or a page
    /// could not be fetched (as diff(1) does: unlike `check`, a failed fetch is 2 here, so
    /// that it is never read as "changes").
    Diff {
        /// Targets to compare [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Fetch and store the current content as the snapshot, without notifying.
    ///
    /// Use it to record first baselines, to mark a change as reviewed, or to replace a
    /// damaged snapshot. Findings state is left as it is.
    ///
    /// Exit status: 0 stored; 1 a target could not be fetched (the others are stored); 2 bad
    /// configuration or usage, or the snapshot folder is held by another run or cannot be
    /// written.
    Accept {
        /// Targets to accept [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
    },
    /// Run only the link and empty-link checks and print the findings.
    ///
    /// Exit status: 0 no open broken or empty-link finding, 1 some, 2 trouble: bad
    /// configuration or usage, or a page could not be fetched (unlike `check`, a failed fetch
    /// is 2 here, so that it is never read as "findings").
    Links {
        /// Targets to check [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Report format on stdout.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Fetch one target and print exactly what would be stored for it; writes nothing.
    ///
    /// Shows the chosen content root, the Markdown snapshot and the findings: the tool for
    /// writing a target. Exit status: 0 shown, 2 bad configuration or usage, or the page
    /// could not be fetched or used (unlike `check`, a failed fetch is 2 here).
    Preview {
        /// The target to preview.
        #[arg(value_name = "ID")]
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Fetch each target twice, a few seconds apart, and say whether its rules hold.
    ///
    /// Says which selector matched and how much text it holds, and lists the blocks that
    /// differ between the two fetches with a suggested `ignore` rule. For CI on config
    /// changes. Broken or empty links on the page are a problem too. Exit status: 0 sound,
    /// 1 a problem found, 2 trouble: bad configuration or usage, or a page could not be
    /// fetched (unlike `check`, a failed fetch is 2 here, so that it is never read as a
    /// problem of the rules).
    Validate {
        /// Targets to validate [default: all].
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Seconds between the two fetches.
        #[arg(long, value_name = "SECS", default_value_t = 5)]
        interval: u64,
    },
    /// List the configured targets.
    ///
    /// Exit status: 0 listed, 2 bad configuration or usage.
    Targets,
    /// Build the policies' history as a static web site with Atom feeds.
    ///
    /// Read from the git history of the snapshot folder (every commit that changed a target's
    /// Markdown is a version); writes only under --out, never through a symbolic link. The
    /// site requests nothing from elsewhere: it works from file:// and on GitHub Pages.
    /// Exit status: 0 built, 2 trouble (no git repository, a folder that cannot be written).
    Site {
        /// Folder to write the site into.
        #[arg(long, value_name = "DIR", default_value = "site")]
        out: PathBuf,
        /// Address the site is published at, for absolute links in the feeds [default: the
        /// config's site_url].
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Print shell completions for SHELL (bash, zsh, fish, powershell, elvish).
    ///
    /// bash: `policy-watch completions bash > ~/.local/share/bash-completion/completions/policy-watch`;
    /// zsh: save as `_policy-watch` in a folder on $fpath; fish: save as
    /// `~/.config/fish/completions/policy-watch.fish`. Exit status: 0.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, for packagers: `policy-watch man > policy-watch.1`.
    #[command(hide = true)]
    Man,
}

/// What the command line asks for: a run of the library, or text that clap writes itself.
pub enum Parsed {
    Run(Invocation),
    /// Completions or the man page, ready to print.
    Print(Vec<u8>),
}

impl Cli {
    /// The library's view of this command line.
    pub fn into_invocation(self) -> Parsed {
        let command = match self.command {
            Command::Check {
                mut ids,
                targets,
                shard,
                dry_run,
                format,
            } => {
                ids.extend(targets);
                Run::Check {
                    ids,
                    shard,
                    dry_run,
                    format: format.into(),
                }
            }
            Command::Diff { ids, format } => Run::Diff {
                ids,
                format: format.into(),
            },
            Command::Accept { ids } => Run::Accept { ids },
            Command::Links { ids, format } => Run::Links {
                ids,
                format: format.into(),
            },
            Command::Preview { id, format } => Run::Preview {
                id,
                format: format.into(),
            },
            Command::Validate { ids, interval } => Run::Validate {
                ids,
                interval: Duration::from_secs(interval),
            },
            Command::Targets => Run::Targets,
            Command::Site { out, base_url } => Run::Site { out, base_url },
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "policy-watch", &mut out);
                return Parsed::Print(out);
            }
            Command::Man => {
                let mut out = Vec::new();
                clap_mangen::Man::new(Cli::command())
                    .render(&mut out)
                    .expect("writing to memory does not fail");
                return Parsed::Print(out);
            }
        };
        Parsed::Run(Invocation {
            config: self.config,
            command,
        })
    }
}
