//! The report in words, once: every sentence a format shows ("now watching", "baseline
//! stored", "3 changes: 5 words removed, 2 added", "back to the version first seen on …") is
//! worded here, and each format only sets it its own way (markers, bold, emoji, escaping).

use jiff::Timestamp;

use super::{ContentChange, Event, Status, TargetReport};
use crate::diff::{LinkChange, Span, SpanOp};
use crate::document::ReadBy;
use crate::facts::Fact;

pub use crate::text::plural;

/// A short phrase for what happened: "changed", "now watching", "unreachable", "back", …
pub fn headline(t: &TargetReport) -> String {
    let mut parts: Vec<&str> = Vec::new();
    match &t.event {
        Event::Watching { .. } => parts.push("now watching"),
        // "back" is said once: "back, at an earlier version", not "back, back to …".
        Event::Changed(c) if c.back_to.is_some() && t.back => {
            parts.push("at an earlier version again")
        }
        Event::Changed(c) if c.back_to.is_some() => parts.push("back to an earlier version"),
        Event::Changed(c) if c.changes.is_empty() && c.moved_from.is_some() => parts.push("moved"),
        Event::Changed(_) => parts.push("changed"),
        Event::Failed(f) if f.damaged => parts.push("snapshot damaged"),
        Event::Failed(f) if f.unreachable => parts.push("unreachable"),
        Event::Failed(_) => parts.push("fetch failed"),
        Event::NoSnapshot { .. } => parts.push("no snapshot yet"),
        Event::Checked { .. } => parts.push("checked"),
        Event::Unchanged { .. } => {}
    }
    if t.back {
        parts.insert(0, "back");
    }
    if !t.findings.new.is_empty() {
        parts.push("new findings");
    }
    if !t.findings.resolved.is_empty() {
        parts.push("findings resolved");
    }
    if parts.is_empty() {
        parts.push("unchanged");
    }
    parts.join(", ")
}

/// "2 findings" / "no findings": the headline of a target in a report that lists findings.
pub fn findings_headline(t: &TargetReport) -> String {
    match t.findings.open.len() {
        0 => "no findings".to_string(),
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    }
}

/// How the document was read, worded for a reader; `None` for a plain HTTP fetch (the
/// usual way, which goes without saying in text and Markdown; the JSON always says it).
pub fn read_note(t: &TargetReport) -> Option<&'static str> {
    match t.read? {
        ReadBy::Http => None,
        ReadBy::Browser => Some("read in a headless browser (the page needs its scripts)"),
        ReadBy::Pdf => Some("read from the PDF's text"),
    }
}

/// How much changed: "4 changes" and "6 words removed, 15 added".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCount {
    pub changes: String,
    pub words: String,
}

/// How much changed, when a reader sees any change in the text.
pub fn change_count(c: &ContentChange) -> Option<ChangeCount> {
    let shown = c.shown_count();
    (shown > 0).then(|| {
        let (removed, added) = c.word_counts();
        ChangeCount {
            changes: plural(shown, "change", "changes"),
            words: format!(
                "{} removed, {added} added",
                plural(removed, "word", "words")
            ),
        }
    })
}

/// "baseline stored (16 blocks)", or what a dry run would store.
pub fn baseline(blocks: usize, dry_run: bool) -> String {
    let stored = if dry_run { "would be stored" } else { "stored" };
    format!("baseline {stored} ({blocks} blocks)")
}

/// A first sight, as a message that is the alert says it.
pub fn watching_sentence(blocks: usize) -> String {
    format!(
        "Now watching this page: the baseline is stored ({blocks} blocks). Changes are posted from the next run on."
    )
}

/// No snapshot, as a message that is the alert says it.
pub const NO_SNAPSHOT_SENTENCE: &str = "There is no snapshot of this page yet.";

/// A page that could not be read for `runs` runs in a row, as a message that is the alert
/// says it (`error` already escaped for the message).
pub fn failed_sentence(runs: u32, error: &str) -> String {
    let times = match runs.max(1) {
        1 => "once".to_string(),
        n => format!("{n} runs in a row"),
    };
    format!(
        "Could not fetch the page {times}: {error}. The stored snapshot is kept; a message follows when the page is back."
    )
}

/// "no snapshot yet: `policy-watch accept ID` or a `check` stores the baseline".
pub fn no_snapshot(id: &str) -> String {
    format!("no snapshot yet: `policy-watch accept {id}` or a `check` stores the baseline")
}

/// "2 failed runs".
pub fn failed_runs(n: u32) -> String {
    plural(n as usize, "failed run", "failed runs")
}

/// What a failure leaves as it was.
pub const SNAPSHOT_KEPT: &str = "the snapshot was not touched";

/// What a change of extraction rules did: a line, and a sentence.
pub const REBASELINED: &str = "extraction rules changed: baseline re-made from the stored page";
pub const REBASELINED_SENTENCE: &str =
    "Extraction rules changed: the baseline was re-made from the stored page.";

/// "back to the version first seen on 2026-01-01".
pub fn back_to(at: Timestamp) -> String {
    format!("back to the version first seen on {}", day(at))
}

/// "shows the version first seen on 2026-01-01 again".
pub fn alternate(at: Timestamp) -> String {
    format!("shows the version first seen on {} again", day(at))
}

/// "2 blocks differed between two fetches".
pub fn volatile(n: usize) -> String {
    format!(
        "{} differed between two fetches",
        plural(n, "block", "blocks")
    )
}

/// "now lands on NEW (was OLD)".
pub fn moved(t: &TargetReport, from: &str) -> String {
    format!(
        "now lands on {} (was {from})",
        t.final_url.as_deref().unwrap_or("?")
    )
}

/// "notification not delivered: WHY".
pub fn not_delivered(why: &str) -> String {
    format!("notification not delivered: {why}")
}

/// What the run's closing line calls the targets that ended with `status`.
pub fn ended(status: Status) -> &'static str {
    match status {
        Status::Watching => "now watching",
        Status::Changed => "changed",
        Status::Unchanged => "unchanged",
        Status::Failed => "failed",
        Status::NoSnapshot => "without snapshot",
        Status::Checked => "checked",
    }
}

/// The order in which the closing line counts them.
pub const ENDINGS: [Status; 6] = [
    Status::Watching,
    Status::Changed,
    Status::Unchanged,
    Status::Failed,
    Status::NoSnapshot,
    Status::Checked,
];

fn day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

/// How a format sets the parts of a link change: the link's text and an address.
pub trait LinkStyle {
    /// The link's (trimmed, non-empty) text.
    fn text(&self, text: &str) -> String;
    /// What stands for a link without text.
    fn no_text(&self) -> &'static str;
    fn address(&self, href: &str) -> String;
}

/// Text as it is: terminal text, and Markdown (which escapes the whole line).
struct Plain;

impl LinkStyle for Plain {
    fn text(&self, text: &str) -> String {
        text.to_string()
    }
    fn no_text(&self) -> &'static str {
        "(no text)"
    }
    fn address(&self, href: &str) -> String {
        href.to_string()
    }
}

/// One link change in words, its parts set by `style`: "“text” now points to X (was Y)",
/// "added: X", "removed: “text” → Y".
pub fn link_change(l: &LinkChange, style: &dyn LinkStyle) -> String {
    let text = l.text.trim();
    let label = if text.is_empty() {
        style.no_text().to_string()
    } else {
        format!("“{}”", style.text(text))
    };
    let at = |href: &str| style.address(href);
    match (&l.from, &l.to) {
        (Some(from), Some(to)) => format!("{label} now points to {} (was {})", at(to), at(from)),
        (None, Some(to)) if text == to => format!("added: {}", at(to)),
        (None, Some(to)) => format!("added: {label} → {}", at(to)),
        (Some(from), None) if text == from => format!("removed: {}", at(from)),
        (Some(from), None) => format!("removed: {label} → {}", at(from)),
        (None, None) => label,
    }
}

/// One link change as a line of text: "link “text” now points to X (was Y)".
pub fn link_line(l: &LinkChange) -> String {
    format!("link {}", link_change(l, &Plain))
}

/// Facts shown in a report before the rest are counted.
pub const FACTS_SHOWN: usize = 5;

/// The lines that say what a target's change means, one short line each: where the other
/// targets cite it, then at most [`FACTS_SHOWN`] facts and a line that counts the rest. Every
/// format shows these lines (escaped its own way) above the diff.
pub fn meaning_lines(t: &TargetReport) -> Vec<String> {
    let Some(c) = t.change() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    if !c.cited_in.is_empty() {
        out.push(crate::facts::citation_line(&t.name, &c.cited_in));
    }
    out.extend(c.facts.iter().take(FACTS_SHOWN).map(Fact::line));
    if c.facts.len() > FACTS_SHOWN {
        let rest = c.facts.len() - FACTS_SHOWN;
        out.push(format!("… and {}", plural(rest, "more fact", "more facts")));
    }
    out
}

/// Words of unchanged text kept on each side of a change when a block is shown.
pub const CONTEXT_WORDS: usize = 6;

/// The spans of a changed block with long runs of unchanged text cut down to a few words of
/// context around each change (an ellipsis marks a cut).
pub fn with_context(spans: &[Span], words: usize) -> Vec<Span> {
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
        let mut r = TargetReport::new(
            "x",
            "X",
            "https://a.example/",
            Event::Changed(Box::new(ContentChange {
                back_to: Some(Timestamp::UNIX_EPOCH),
                ..ContentChange::default()
            })),
        );
        assert_eq!(headline(&r), "back to an earlier version");
        r.back = true;
        assert_eq!(headline(&r), "back, at an earlier version again");
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

    #[test]
    fn a_link_change_is_worded_once_and_set_by_each_format() {
        let moved = LinkChange {
            text: "policy".into(),
            from: Some("https://a.example/old".into()),
            to: Some("https://a.example/new".into()),
        };
        assert_eq!(
            link_line(&moved),
            "link “policy” now points to https://a.example/new (was https://a.example/old)"
        );
        let bare = LinkChange {
            text: "https://a.example/".into(),
            from: None,
            to: Some("https://a.example/".into()),
        };
        assert_eq!(link_line(&bare), "link added: https://a.example/");
    }
}
