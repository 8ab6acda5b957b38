//! One model of a run (per target: status, changes, findings), rendered as terminal text,
//! Markdown (GitHub job summary) or JSON.

mod markdown;
mod text;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::diff::{Change, LinkChange};
use crate::document::ReadBy;
use crate::facts::{Citation, Fact};
use crate::inspect::Finding;

pub use markdown::escape as escape_markdown;

/// How to render a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Markdown,
    Json,
}

/// What became of one target in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// First sight: the baseline was stored.
    Watching,
    /// The content (or where the URL lands) changed.
    Changed,
    /// Nothing changed.
    Unchanged,
    /// The page could not be fetched or extracted; the snapshot was not touched.
    Failed,
    /// `diff` only: there is no snapshot to compare with yet.
    NoSnapshot,
    /// `links` only: fetched and inspected, not compared with the snapshot.
    Checked,
}

/// One target's part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReport {
    pub id: String,
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// Where the URL used to land, when that moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// How the document was read in this run (`http`, `browser`, `pdf`); absent when it
    /// could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadBy>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Links whose target changed, or that came or went, in these changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkChange>,
    /// What the changes mean: new parties, changed periods, a new effective date…
    #[serde(default)]
    pub facts: Vec<Fact>,
    /// Where the other watched targets cite this one (its name or a link to its site).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cited_in: Vec<Citation>,
    /// Blocks in the new content (for "N of M blocks changed").
    #[serde(default)]
    pub blocks: usize,
    /// Why the target failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failures in a row, this one included.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub consecutive_failures: u32,
    /// This run announces that the target has become unreachable.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unreachable_alert: bool,
    /// This run announces that the target is back after being announced unreachable.
    #[serde(default, skip_serializing_if = "is_false")]
    pub back: bool,
    /// The extraction rules changed and the baseline was re-made from the stored HTML.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rebaselined: bool,
    /// Findings that appear in this run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_findings: Vec<Finding>,
    /// Findings that were reported before and are gone now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_findings: Vec<Finding>,
    /// Every finding open after this run (reported or not yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_findings: Vec<Finding>,
    /// Why the notification about this target was not delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
    /// The stored snapshot does not hold together; it was left as it is.
    #[serde(default, skip_serializing_if = "is_false")]
    pub damaged: bool,
    /// Changed blocks left out because a second fetch did not confirm them.
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub volatile: usize,
    /// The page is back to a version first seen at this time (announced once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_to: Option<Timestamp>,
    /// The page shows a remembered version again (first seen then); not announced again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate: Option<Timestamp>,
    /// The snapshot (or alert state) could not be stored after the alert went out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_error: Option<String>,
    /// The page of this change (or of this target) on the history site, with `site_url` set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
}

fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TargetReport {
    /// A report with nothing in it yet.
    pub fn new(id: &str, name: &str, url: &str, status: Status) -> Self {
        TargetReport {
            id: id.to_string(),
            name: name.to_string(),
            url: url.to_string(),
            final_url: None,
            moved_from: None,
            read: None,
            status,
            changes: Vec::new(),
            links: Vec::new(),
            facts: Vec::new(),
            cited_in: Vec::new(),
            blocks: 0,
            error: None,
            consecutive_failures: 0,
            unreachable_alert: false,
            back: false,
            rebaselined: false,
            new_findings: Vec::new(),
            resolved_findings: Vec::new(),
            open_findings: Vec::new(),
            delivery_error: None,
            damaged: false,
            volatile: 0,
            back_to: None,
            alternate: None,
            store_error: None,
            page_url: None,
        }
    }

    /// Whether this target has something to tell a person (and so a notification to send).
    pub fn is_news(&self) -> bool {
        matches!(
            self.status,
            Status::Watching | Status::Changed | Status::NoSnapshot
        ) || self.unreachable_alert
            || self.back
            || !self.new_findings.is_empty()
            || !self.resolved_findings.is_empty()
    }

    /// A short phrase for what happened: "changed", "now watching", "unreachable", "back", …
    pub fn headline(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        match self.status {
            Status::Watching => parts.push("now watching"),
            // "back" is said once: "back, at an earlier version", not "back, back to …".
            Status::Changed if self.back_to.is_some() && self.back => {
                parts.push("at an earlier version again")
            }
            Status::Changed if self.back_to.is_some() => parts.push("back to an earlier version"),
            Status::Changed if self.changes.is_empty() && self.moved_from.is_some() => {
                parts.push("moved")
            }
            Status::Changed => parts.push("changed"),
            Status::Failed if self.damaged => parts.push("snapshot damaged"),
            Status::Failed if self.unreachable_alert => parts.push("unreachable"),
            Status::Failed => parts.push("fetch failed"),
            Status::NoSnapshot => parts.push("no snapshot yet"),
            Status::Checked => parts.push("checked"),
            Status::Unchanged => {}
        }
        if self.back {
            parts.insert(0, "back");
        }
        if !self.new_findings.is_empty() {
            parts.push("new findings");
        }
        if !self.resolved_findings.is_empty() {
            parts.push("findings resolved");
        }
        if parts.is_empty() {
            parts.push("unchanged");
        }
        parts.join(", ")
    }

    /// How the document was read, worded for a reader; `None` for a plain HTTP fetch (the
    /// usual way, which goes without saying in text and Markdown; the JSON always says it).
    pub fn read_note(&self) -> Option<&'static str> {
        match self.read? {
            ReadBy::Http => None,
            ReadBy::Browser => Some("read in a headless browser (the page needs its scripts)"),
            ReadBy::Pdf => Some("read from the PDF's text"),
        }
    }

    /// Words removed and added over all changes.
    pub fn word_counts(&self) -> (usize, usize) {
        self.shown_changes().fold((0, 0), |(r, a), c| {
            let (cr, ca) = c.word_counts();
            (r + cr, a + ca)
        })
    }

    /// The changes a reader sees in the text; a change of where links point and nothing
    /// else is told by the links list instead (once, not also as a replaced `[text](url)`).
    pub fn shown_changes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.only_link_targets())
    }

    /// How many changes [`TargetReport::shown_changes`] holds.
    pub fn shown_count(&self) -> usize {
        self.shown_changes().count()
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub generated_at: Timestamp,
    /// The command that made it: check, diff, accept or links.
    pub command: String,
    pub dry_run: bool,
    pub targets: Vec<TargetReport>,
}

impl RunReport {
    /// Renders the report in a format; `color` only matters for text.
    pub fn render(&self, format: Format, color: bool) -> String {
        let mut stream = Stream::new(
            format,
            color,
            &self.command,
            self.dry_run,
            self.generated_at,
        );
        let mut out = stream.begin();
        for t in &self.targets {
            out.push_str(&stream.target(t));
        }
        out.push_str(&stream.end());
        out
    }
}

/// A report written target by target, as each target is done, so that a long run shows its
/// progress and a killed run has printed every alert it finished. The pieces put together
/// are the same report [`RunReport::render`] gives.
#[derive(Debug)]
pub struct Stream {
    format: Format,
    color: bool,
    command: String,
    dry_run: bool,
    generated_at: Timestamp,
    seen: usize,
    /// Markdown: the summary table's rows (one short line a target).
    rows: Vec<String>,
    /// Text: how many targets ended how, for the closing line.
    tally: [usize; 6],
}

impl Stream {
    pub fn new(
        format: Format,
        color: bool,
        command: &str,
        dry_run: bool,
        generated_at: Timestamp,
    ) -> Self {
        Stream {
            format,
            color,
            command: command.to_string(),
            dry_run,
            generated_at,
            seen: 0,
            rows: Vec::new(),
            tally: [0; 6],
        }
    }

    fn list_open(&self) -> bool {
        self.command == "links"
    }

    /// What comes before the first target.
    pub fn begin(&mut self) -> String {
        match self.format {
            Format::Text if self.dry_run => {
                "dry run: what `check` would report; nothing is posted and nothing is written\n\n"
                    .into()
            }
            Format::Text => String::new(),
            Format::Markdown => markdown::begin(&self.command, self.dry_run),
            Format::Json => format!(
                "{{\n  \"generated_at\": {},\n  \"command\": {},\n  \"dry_run\": {},\n  \"targets\": [",
                serde_json::to_string(&self.generated_at).expect("time serialises"),
                serde_json::to_string(&self.command).expect("string serialises"),
                self.dry_run
            ),
        }
    }

    /// One target's part.
    pub fn target(&mut self, t: &TargetReport) -> String {
        self.seen += 1;
        self.tally[t.status as usize] += 1;
        match self.format {
            Format::Text => text::target_text(t, self.color, self.list_open(), self.dry_run),
            Format::Markdown => {
                let (section, row) = markdown::target_section(t, self.list_open());
                self.rows.push(row);
                section
            }
            Format::Json => {
                let body = serde_json::to_string_pretty(t).expect("report serialises");
                let mut out = String::from(if self.seen > 1 { ",\n" } else { "\n" });
                for (i, line) in body.lines().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str("    ");
                    out.push_str(line);
                }
                out
            }
        }
    }

    /// What comes after the last target.
    pub fn end(&mut self) -> String {
        match self.format {
            Format::Text if self.seen == 0 => "no targets\n".into(),
            Format::Text if self.seen > 1 && !self.list_open() => {
                const NAMES: [&str; 6] = [
                    "now watching",
                    "changed",
                    "unchanged",
                    "failed",
                    "without snapshot",
                    "checked",
                ];
                let parts: Vec<String> = self
                    .tally
                    .iter()
                    .zip(NAMES)
                    .filter(|(n, _)| **n > 0)
                    .map(|(n, name)| format!("{n} {name}"))
                    .collect();
                format!(
                    "{}: {}{}\n",
                    plural(self.seen, "target", "targets"),
                    parts.join(", "),
                    if self.dry_run {
                        " (dry run: nothing posted, nothing written)"
                    } else {
                        ""
                    }
                )
            }
            Format::Text => String::new(),
            Format::Markdown => markdown::end(&self.rows),
            Format::Json if self.seen == 0 => "]\n}\n".into(),
            Format::Json => "\n  ]\n}\n".into(),
        }
    }
}

use crate::text::plural;

/// Facts shown in a report before the rest are counted.
pub const FACTS_SHOWN: usize = 5;

/// The lines that say what a target's change means, one short line each: where the other
/// targets cite it, then at most [`FACTS_SHOWN`] facts and a line that counts the rest. Every
/// format shows these lines (escaped its own way) above the diff.
pub fn meaning_lines(t: &TargetReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !t.cited_in.is_empty() {
        out.push(crate::facts::citation_line(t));
    }
    out.extend(t.facts.iter().take(FACTS_SHOWN).map(Fact::line));
    if t.facts.len() > FACTS_SHOWN {
        let rest = t.facts.len() - FACTS_SHOWN;
        out.push(format!("… and {}", plural(rest, "more fact", "more facts")));
    }
    out
}

/// Words of unchanged text kept on each side of a change when a block is shown.
pub const CONTEXT_WORDS: usize = 6;

/// The spans of a changed block with long runs of unchanged text cut down to a few words of
/// context around each change (an ellipsis marks a cut).
pub fn with_context(spans: &[crate::diff::Span], words: usize) -> Vec<crate::diff::Span> {
    use crate::diff::{Span, SpanOp};
    let last = spans.len().saturating_sub(1);
    spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.op != SpanOp::Equal {
                return s.clone();
            }
            let w: Vec<&str> = s.text.split_whitespace().collect();
            let lead = if s.text.starts_with(char::is_whitespace) {
                " "
            } else {
                ""
            };
            let trail = if s.text.ends_with(char::is_whitespace) {
                " "
            } else {
                ""
            };
            let text = if i == 0 && w.len() > words {
                format!("… {}{trail}", w[w.len() - words..].join(" "))
            } else if i == last && i != 0 && w.len() > words {
                format!("{lead}{} …", w[..words].join(" "))
            } else if i != 0 && i != last && w.len() > 2 * words {
                format!(
                    "{lead}{} … {}{trail}",
                    w[..words].join(" "),
                    w[w.len() - words..].join(" ")
                )
            } else {
                s.text.clone()
            };
            Span { op: s.op, text }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::word_spans;

    #[test]
    fn a_page_back_at_an_earlier_version_says_back_once() {
        let mut r = TargetReport::new("x", "X", "https://a.example/", Status::Changed);
        r.back_to = Some(Timestamp::UNIX_EPOCH);
        assert_eq!(r.headline(), "back to an earlier version");
        r.back = true;
        assert_eq!(r.headline(), "back, at an earlier version again");
    }

    #[test]
    fn context_is_cut_around_the_change() {
        let old = "one two three four five six seven eight nine ten eleven twelve";
        let new = "one two three four five six SEVEN eight nine ten eleven twelve";
        let spans = with_context(&word_spans(old, new), 2);
        let joined: String = spans.iter().map(|s| s.text.as_str()).collect();
        assert!(joined.starts_with("… five six "), "{joined}");
        assert!(joined.ends_with(" eight nine …"), "{joined}");
    }
}
