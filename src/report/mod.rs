//! One model of a run: per target, what happened to it ([`Event`], each kind with its own
//! data), its findings and how its alert went. [`words`] words it once; each format — terminal
//! text, Markdown (GitHub job summary), JSON, and the Slack messages in `notify` — only renders
//! it, one file each behind one trait ([`Formatter`]).

mod json;
mod markdown;
mod text;
pub mod words;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::diff::{Change, LinkChange};
use crate::document::ReadBy;
use crate::facts::{Citation, Fact};
use crate::inspect::Finding;

pub use markdown::escape as escape_markdown;
pub use words::{meaning_lines, with_context, CONTEXT_WORDS, FACTS_SHOWN};

/// How to render a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Markdown,
    Json,
}

/// What became of one target in this run, in one word (the JSON `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Watching,
    Changed,
    Unchanged,
    Failed,
    NoSnapshot,
    Checked,
}

/// What happened to a target in this run, each kind with what it has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// First sight: the baseline was stored.
    Watching { blocks: usize },
    /// `diff` only: there is no snapshot to compare with yet.
    NoSnapshot { blocks: usize },
    /// The content (or where the URL lands) changed.
    Changed(Box<ContentChange>),
    /// Nothing changed that is news.
    Unchanged {
        compared: Compared,
        /// The page shows a remembered version again (first seen then); not announced again.
        alternate: Option<Timestamp>,
    },
    /// The page could not be fetched or extracted, or its snapshot is damaged; the snapshot
    /// was not touched.
    Failed(Failure),
    /// `links` only: fetched and inspected, not compared with the snapshot.
    Checked { blocks: usize },
}

/// What comparing the page with its snapshot found besides the changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compared {
    /// Blocks in the content now (for "N of M blocks changed").
    pub blocks: usize,
    /// The extraction rules changed and the baseline was re-made from the stored page.
    pub rebaselined: bool,
    /// Changed blocks left out because a second fetch did not confirm them.
    pub volatile: usize,
}

/// A change of the content or of where the URL lands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentChange {
    pub compared: Compared,
    pub changes: Vec<Change>,
    /// Links whose target changed, or that came or went, in these changes.
    pub links: Vec<LinkChange>,
    /// What the changes mean: new parties, changed periods, a new effective date…
    pub facts: Vec<Fact>,
    /// Where the other watched targets cite this one.
    pub cited_in: Vec<Citation>,
    /// Where the URL used to land, when that moved.
    pub moved_from: Option<String>,
    /// The page is back to a version first seen at this time (announced once).
    pub back_to: Option<Timestamp>,
}

impl ContentChange {
    /// The changes a reader sees in the text; a change of where links point and nothing
    /// else is told by the links list instead (once, not also as a replaced `[text](url)`).
    pub fn shown(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.only_link_targets())
    }

    /// How many changes [`shown`](Self::shown) holds.
    pub fn shown_count(&self) -> usize {
        self.shown().count()
    }

    /// Words removed and added over the shown changes.
    pub fn word_counts(&self) -> (usize, usize) {
        self.shown().fold((0, 0), |(r, a), c| {
            let (cr, ca) = c.word_counts();
            (r + cr, a + ca)
        })
    }
}

/// Why a target failed, and what its failures in a row come to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    /// Failures in a row, this one included (0 where no alert state is kept).
    pub consecutive: u32,
    /// This run announces that the target has become unreachable.
    pub unreachable: bool,
    /// The stored snapshot does not hold together; it was left as it is.
    pub damaged: bool,
}

/// A target's findings in this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Findings that appear in this run.
    pub new: Vec<Finding>,
    /// Findings that were reported before and are gone now.
    pub resolved: Vec<Finding>,
    /// Every finding open after this run (reported or not yet).
    pub open: Vec<Finding>,
}

impl Findings {
    /// Open findings that were reported before this run.
    pub fn still_open(&self) -> impl Iterator<Item = &Finding> {
        self.open
            .iter()
            .filter(|f| !self.new.iter().any(|n| n.id == f.id))
    }
}

/// One target's part of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetReport {
    pub id: String,
    pub name: String,
    pub url: String,
    /// Where the URL landed; absent when it could not be read.
    pub final_url: Option<String>,
    /// How the document was read in this run; absent when it could not be read, or was not
    /// compared (`links`).
    pub read: Option<ReadBy>,
    pub event: Event,
    /// This run announces that the target is back after being announced unreachable.
    pub back: bool,
    pub findings: Findings,
    /// Why the notification about this target was not delivered.
    pub delivery_error: Option<String>,
    /// The page of this change (or of this target) on the history site, with `site_url` set.
    pub page_url: Option<String>,
}

impl TargetReport {
    /// A report of `event` with nothing else in it yet.
    pub fn new(id: &str, name: &str, url: &str, event: Event) -> Self {
        TargetReport {
            id: id.to_string(),
            name: name.to_string(),
            url: url.to_string(),
            final_url: None,
            read: None,
            event,
            back: false,
            findings: Findings::default(),
            delivery_error: None,
            page_url: None,
        }
    }

    /// What happened, in one word.
    pub fn status(&self) -> Status {
        match self.event {
            Event::Watching { .. } => Status::Watching,
            Event::NoSnapshot { .. } => Status::NoSnapshot,
            Event::Changed(_) => Status::Changed,
            Event::Unchanged { .. } => Status::Unchanged,
            Event::Failed(_) => Status::Failed,
            Event::Checked { .. } => Status::Checked,
        }
    }

    /// The change, when the content changed.
    pub fn change(&self) -> Option<&ContentChange> {
        match &self.event {
            Event::Changed(c) => Some(c),
            _ => None,
        }
    }

    /// The failure, when the target failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.event {
            Event::Failed(f) => Some(f),
            _ => None,
        }
    }

    /// What the comparison found besides the changes (none without a comparison).
    pub fn compared(&self) -> Option<&Compared> {
        match &self.event {
            Event::Changed(c) => Some(&c.compared),
            Event::Unchanged { compared, .. } => Some(compared),
            _ => None,
        }
    }

    /// Blocks in the content now (0 when it could not be read).
    pub fn blocks(&self) -> usize {
        match &self.event {
            Event::Watching { blocks }
            | Event::NoSnapshot { blocks }
            | Event::Checked { blocks } => *blocks,
            Event::Changed(c) => c.compared.blocks,
            Event::Unchanged { compared, .. } => compared.blocks,
            Event::Failed(_) => 0,
        }
    }

    /// Whether this target has something to tell a person (and so a notification to send).
    pub fn is_news(&self) -> bool {
        matches!(
            self.event,
            Event::Watching { .. } | Event::Changed(_) | Event::NoSnapshot { .. }
        ) || self.failure().is_some_and(|f| f.unreachable)
            || self.back
            || !self.findings.new.is_empty()
            || !self.findings.resolved.is_empty()
    }
}

/// The command a run's report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Check,
    Diff,
    Accept,
    Links,
}

impl Command {
    /// Its name on the command line (the JSON `command`).
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Diff => "diff",
            Command::Accept => "accept",
            Command::Links => "links",
        }
    }

    /// What a target's part shows: `links` lists every open finding in full; the others
    /// tell what is new.
    pub fn view(self) -> View {
        match self {
            Command::Links => View::Findings,
            Command::Check | Command::Diff | Command::Accept => View::News,
        }
    }
}

/// What a target's part of a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// What happened, and the findings that are new or resolved.
    News,
    /// Every open finding, in full (the link check).
    Findings,
}

/// What a report says about the run as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub command: Command,
    /// Nothing is stored or posted: the report says what would be.
    pub dry_run: bool,
    pub generated_at: Timestamp,
}

/// One output format: the run's report, written target by target.
pub trait Formatter: Send {
    /// What comes before the first target.
    fn begin(&mut self) -> String;
    /// One target's part.
    fn target(&mut self, t: &TargetReport) -> String;
    /// What comes after the last target.
    fn end(&mut self) -> String;
}

/// How many targets ended how, for a closing line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: Vec<(Status, usize)>,
    total: usize,
}

impl Tally {
    pub fn add(&mut self, status: Status) {
        self.total += 1;
        match self.counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((status, 1)),
        }
    }

    /// Targets counted.
    pub fn total(&self) -> usize {
        self.total
    }

    /// How many ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

/// A report written target by target, as each target is done, so that a long run shows its
/// progress and a killed run has printed every alert it finished.
pub struct Stream {
    formatter: Box<dyn Formatter>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").finish_non_exhaustive()
    }
}

impl Stream {
    /// A report of `run` in `format`; `color` only matters for text.
    pub fn new(format: Format, color: bool, run: Run) -> Self {
        let formatter: Box<dyn Formatter> = match format {
            Format::Text => Box::new(text::Text::new(run, color)),
            Format::Markdown => Box::new(markdown::Markdown::new(run)),
            Format::Json => Box::new(json::Json::new(run)),
        };
        Stream { formatter }
    }

    /// What comes before the first target.
    pub fn begin(&mut self) -> String {
        self.formatter.begin()
    }

    /// One target's part.
    pub fn target(&mut self, t: &TargetReport) -> String {
        self.formatter.target(t)
    }

    /// What comes after the last target.
    pub fn end(&mut self) -> String {
        self.formatter.end()
    }
}
