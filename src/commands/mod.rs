//! The commands of the command line, one file each, and what they share: the run's settings, store,
//! observer and link checker, the printer for stdout, and the exit codes.

mod accept;
mod check;
mod diff;
mod links;
mod preview;
mod site;
mod targets;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use url::Url;

use crate::config::{Config, Target};
use crate::error::{Error, StoreError};
use crate::facts::Citations;
use crate::inspect::{self, Finding, LinkChecker, Watched};
use crate::observe::{Observation, Observer};
use crate::report::Format;
use crate::shard::Shard;
use crate::snapshot::Store;

/// A command as the binary parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch, compare, inspect, notify, then store, one target at a time.
    Check {
        ids: Vec<String>,
        /// Only the targets of this shard (`--shard I/N`).
        shard: Option<Shard>,
        dry_run: bool,
        format: Format,
    },
    /// What changed against the stored snapshots; writes nothing, posts nothing.
    Diff { ids: Vec<String>, format: Format },
    /// Store the current content as the snapshot, without notifying.
    Accept { ids: Vec<String> },
    /// Only the link and empty-link checks.
    Links { ids: Vec<String>, format: Format },
    /// What would be stored for one target; writes nothing.
    Preview { id: String, format: Format },
    /// Fetch each target twice and say whether its rules hold.
    Validate {
        ids: Vec<String>,
        interval: Duration,
    },
    /// The configured targets.
    Targets,
    /// The snapshot folder's git history as a static web site under `out`.
    Site {
        out: PathBuf,
        base_url: Option<String>,
    },
}

/// A command and the config it runs with.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `--config PATH`, if given.
    pub config: Option<PathBuf>,
    pub command: Command,
}

/// The exit codes (the README lists them per command).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything done (check, accept), no change (diff), no open problem (links), sound
    /// (validate).
    Ok = 0,
    /// A target failed or a notification was not delivered (check, accept); changes (diff);
    /// open broken or empty links (links); a problem found (validate).
    Attention = 1,
    /// Bad configuration or usage, a snapshot folder that is held by another run or cannot
    /// be written; for diff, links, preview and validate also any trouble fetching.
    Trouble = 2,
}

impl ExitCode {
    /// The most serious of a command's outcomes: trouble over attention over fine.
    fn worst(trouble: bool, attention: bool) -> Self {
        if trouble {
            ExitCode::Trouble
        } else if attention {
            ExitCode::Attention
        } else {
            ExitCode::Ok
        }
    }
}

/// Runs one command on a runtime of its own: what the binary calls.
pub fn run_blocking(invocation: Invocation) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Runtime::new().map_err(Error::Runtime)?;
    let outcome = runtime.block_on(run(invocation));
    // Everything the command waited for is done; what is left on the blocking pool is an
    // extraction past its time budget whose result nobody wants: not waited for.
    runtime.shutdown_background();
    outcome
}

/// Runs one command; what it prints goes to stdout, logs to stderr.
pub async fn run(invocation: Invocation) -> Result<ExitCode, Error> {
    let config = Config::discover(invocation.config.as_deref())?;
    let out = Printer::stdout();
    match invocation.command {
        Command::Targets => targets::run(&config, &out),
        Command::Site { out: dir, base_url } => {
            let config = config;
            tokio::task::spawn_blocking(move || site::run(&config, &dir, base_url.as_deref(), &out))
                .await
                .map_err(|error| Error::Crashed {
                    what: "the site build",
                    error,
                })?
        }
        Command::Check {
            ids,
            shard,
            dry_run,
            format,
        } => check::run(Runner::new(config)?, &ids, shard, dry_run, format, &out).await,
        Command::Diff { ids, format } => diff::run(Runner::new(config)?, &ids, format, &out).await,
        Command::Accept { ids } => accept::run(Runner::new(config)?, &ids, &out).await,
        Command::Links { ids, format } => {
            links::run(Runner::new(config)?, &ids, format, &out).await
        }
        Command::Preview { id, format } => {
            preview::run(Runner::new(config)?, &id, format, &out).await
        }
        Command::Validate { ids, interval } => {
            validate::run(Runner::new(config)?, &ids, interval, &out).await
        }
    }
}

/// Everything a command that fetches needs: settings, the store, the observer and the link
/// checker (one per run, so that a link is checked once however many pages show it).
pub(crate) struct Runner {
    pub config: Config,
    pub store: Store,
    pub observer: Observer,
    pub links: LinkChecker,
}

impl Runner {
    fn new(config: Config) -> Result<Self, Error> {
        let links = LinkChecker::new(&config.links, &config.http.user_agent)?
            .with_backoff(config.http.backoff);
        Ok(Runner {
            store: Store::new(config.snapshot_dir.clone()),
            observer: Observer::new(&config)?,
            links,
            config,
        })
    }

    /// Every configured target counts as watched: under its configured URL and where it
    /// landed when last stored.
    fn watched_urls(&self) -> Watched {
        let stored: Vec<Url> = self
            .config
            .targets
            .iter()
            .filter_map(|t| Url::parse(&self.store.load_meta(&t.id)?.final_url).ok())
            .collect();
        Watched::new(self.config.targets.iter().map(|t| &t.url).chain(&stored))
    }

    /// Findings for one observation whose content was extracted (`None` otherwise, so that
    /// the remembered findings stay as they are). The page itself needs no place among the
    /// watched: links to its own site are never reported as unwatched.
    async fn inspect(&self, obs: &Observation, watched: &Watched) -> Option<Vec<Finding>> {
        let cur = obs.result.as_ref().ok()?;
        Some(
            inspect::inspect(
                &obs.target,
                &cur.final_url,
                &cur.extracted,
                watched,
                &self.links,
            )
            .await,
        )
    }

    /// Where the other configured targets cite the target of `report`, when its content
    /// changed. The citations of every target are gathered once per run, from the stored
    /// snapshots, the first time a change needs them.
    fn cite(
        &self,
        cell: &std::sync::OnceLock<Citations>,
        report: &mut crate::report::TargetReport,
    ) {
        let crate::report::Event::Changed(change) = &mut report.event else {
            return;
        };
        if change.changes.is_empty() {
            return;
        }
        let citations = cell.get_or_init(|| {
            let targets = &self.config.targets;
            Citations::build(
                targets,
                targets.iter().filter_map(|t| {
                    let snapshot = self.store.load(&t.id).ok()??;
                    Some((t.clone(), snapshot.markdown))
                }),
            )
        });
        change.cited_in = citations.of(&report.id);
    }

    fn select(&self, ids: &[String]) -> Result<Vec<Target>, Error> {
        Ok(self.config.select_targets(ids)?)
    }

    /// The targets named by `ids` (all when none) that belong to `shard` (all without one).
    fn select_shard(&self, ids: &[String], shard: Option<Shard>) -> Result<Vec<Target>, Error> {
        let mut targets = self.select(ids)?;
        if let Some(shard) = shard {
            targets.retain(|t| shard.holds(&t.id));
        }
        Ok(targets)
    }
}

/// Set when stdout was closed as the process started (`check >&-`): the runtime has put
/// `/dev/null` in its place, which would take every alert and show none.
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Tells the library that stdout was closed when the process started. The binary learns it
/// before the Rust runtime replaces a closed stdout with `/dev/null`.
pub fn note_stdout_closed_at_start() {
    STDOUT_CLOSED_AT_START.store(true, Ordering::Relaxed);
}

/// Writes to stdout as it goes, flushed after every piece, so that what is printed is out
/// before anything is stored. Colour is dropped when stdout is not a terminal or NO_COLOR is
/// set.
///
/// Two ways to print: [`print`](Self::print) for a command's own output, where a closed pipe
/// (`| head`) is not an error; and [`deliver`](Self::deliver) for `check`, where the printed
/// report is the alert: there every failure counts, a closed pipe and a stdout closed from the
/// start included.
pub(crate) struct Printer {
    sink: std::sync::Mutex<Box<dyn Write + Send>>,
    /// Stdout was closed when the process started.
    closed: bool,
}

impl Printer {
    fn stdout() -> Self {
        Printer {
            sink: std::sync::Mutex::new(Box::new(anstream::stdout())),
            closed: STDOUT_CLOSED_AT_START.load(Ordering::Relaxed),
        }
    }

    /// Prints and flushes `text`; a closed pipe is taken as a reader that has seen enough.
    pub fn print(&self, text: &str) -> std::io::Result<()> {
        match self.deliver(text) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Prints and flushes `text`, or says why it is not out: a closed pipe, a full disk, a
    /// stdout that was closed from the start.
    pub fn deliver(&self, text: &str) -> std::io::Result<()> {
        if self.closed {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "stdout is closed",
            ));
        }
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The status line on the terminal steps aside while the report is written.
        crate::progress::around(|| sink.write_all(text.as_bytes()).and_then(|()| sink.flush()))
    }
}

/// Runs a write of the store on the blocking pool, so that its file system calls and syncs never
/// hold an async thread.
async fn on_store<T: Send + 'static>(
    store: &Store,
    job: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    let dir = store.dir().to_path_buf();
    tokio::task::spawn_blocking(move || job(&store))
        .await
        .unwrap_or_else(|e| {
            Err(StoreError::Write {
                path: dir,
                error: std::io::Error::other(format!("storing crashed: {e}")),
            })
        })
}

/// An error of printing a command's own output (not an alert): the command cannot go on.
fn print_failed(e: std::io::Error) -> Error {
    Error::Output(e)
}
