//! The report as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`): removed words struck
//! through, added words in bold, page text escaped so it cannot inject markup.

use std::fmt::Write;

use super::words::{self, with_context, CONTEXT_WORDS};
use super::{Command, Event, Formatter, Run, TargetReport, View};
use crate::diff::{Change, SpanOp};

/// The Markdown format: a section per target with something to say, and a summary table of
/// every target at the end.
pub(super) struct Markdown {
    run: Run,
    /// The summary table's rows (one short line a target).
    rows: Vec<String>,
}

impl Markdown {
    pub(super) fn new(run: Run) -> Self {
        Markdown {
            run,
            rows: Vec::new(),
        }
    }
}

impl Formatter for Markdown {
    fn begin(&mut self) -> String {
        let title = match self.run.command {
            Command::Check if self.run.dry_run => "policy-watch check (dry run)",
            Command::Check => "policy-watch check",
            Command::Diff => "policy-watch diff",
            Command::Accept => "policy-watch accept",
            Command::Links => "policy-watch links",
        };
        format!("## {title}\n")
    }

    fn target(&mut self, t: &TargetReport) -> String {
        let headline = if self.run.command.view() == View::Findings && t.failure().is_none() {
            words::findings_headline(t)
        } else {
            words::headline(t)
        };
        self.rows.push(format!(
            "| [{}]({}) | {} | {} | {} |\n",
            escape(&t.name),
            t.url,
            headline,
            t.change().map_or(0, |c| c.shown_count()),
            t.findings.open.len()
        ));
        let mut out = String::new();
        if has_details(t) {
            out.push('\n');
            target(&mut out, t, &headline);
        }
        out
    }

    fn end(&mut self) -> String {
        let mut out =
            String::from("\n| Target | Status | Changes | Findings |\n|---|---|---|---|\n");
        for r in &self.rows {
            out.push_str(r);
        }
        out
    }
}

/// Whether a target has more to show than its row in the summary table.
fn has_details(t: &TargetReport) -> bool {
    match &t.event {
        Event::Unchanged {
            compared,
            alternate,
        } => {
            t.is_news()
                || alternate.is_some()
                || !t.findings.open.is_empty()
                || t.delivery_error.is_some()
                || compared.rebaselined
        }
        _ => true,
    }
}

/// "word" → "Word": a sentence's start.
fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn target(out: &mut String, t: &TargetReport, headline: &str) {
    let _ = writeln!(out, "### {} — {headline}\n", escape(&t.name));
    let _ = writeln!(out, "<{}>\n", t.url);
    if let Some(note) = words::read_note(t) {
        let _ = writeln!(out, "_{}_\n", escape(note));
    }
    let change = t.change();
    if let Some(from) = change.and_then(|c| c.moved_from.as_deref()) {
        let _ = writeln!(
            out,
            "Now lands on <{}> (was <{from}>).\n",
            t.final_url.as_deref().unwrap_or("?")
        );
    }
    match &t.event {
        Event::Failed(f) => {
            let _ = writeln!(
                out,
                "**Failed:** {} — {} in a row; {}.\n",
                escape(&f.error),
                words::failed_runs(f.consecutive.max(1)),
                words::SNAPSHOT_KEPT
            );
        }
        Event::Watching { blocks } => {
            let _ = writeln!(
                out,
                "{}; no diff on first sight.\n",
                capitalized(&words::baseline(*blocks, false))
            );
        }
        Event::NoSnapshot { .. } => {
            let _ = writeln!(out, "{}.\n", capitalized(&words::no_snapshot(&t.id)));
        }
        _ => {}
    }
    let compared = t.compared();
    if compared.is_some_and(|c| c.rebaselined) {
        let _ = writeln!(out, "{}\n", words::REBASELINED_SENTENCE);
    }
    if let Some(count) = change.and_then(words::change_count) {
        let _ = writeln!(out, "{}: {}.\n", count.changes, count.words);
    }
    let meaning = words::meaning_lines(t);
    for line in &meaning {
        let _ = writeln!(out, "- 📌 {}", escape(line));
    }
    if !meaning.is_empty() {
        out.push('\n');
    }
    let mut shown = 0;
    for c in change.into_iter().flat_map(|c| c.shown()) {
        let _ = writeln!(out, "- {}", change_line(c));
        shown += 1;
    }
    if shown > 0 {
        out.push('\n');
    }
    let links = change.map_or(&[][..], |c| &c.links[..]);
    for l in links {
        let _ = writeln!(out, "- 🔗 {}", escape(&words::link_line(l)));
    }
    if !links.is_empty() {
        out.push('\n');
    }
    for f in &t.findings.new {
        let _ = writeln!(out, "- ⚠️ **new finding:** {}", escape(&f.message));
        if let Some(ctx) = &f.context {
            let _ = writeln!(out, "  > {}", escape(ctx));
        }
    }
    for f in &t.findings.resolved {
        let _ = writeln!(out, "- ✅ **resolved:** {}", escape(&f.message));
    }
    for f in t.findings.still_open() {
        let _ = writeln!(out, "- open: {}", escape(&f.message));
        if let Some(ctx) = &f.context {
            let _ = writeln!(out, "  > {}", escape(ctx));
        }
    }
    if let Some(err) = &t.delivery_error {
        let _ = writeln!(
            out,
            "\n**Notification not delivered:** {} — the snapshot was kept, the next run sends it again.",
            escape(err)
        );
    }
    if let Some(at) = change.and_then(|c| c.back_to) {
        let _ = writeln!(out, "{}.\n", capitalized(&words::back_to(at)));
    }
    if let Event::Unchanged {
        alternate: Some(at),
        ..
    } = t.event
    {
        let _ = writeln!(
            out,
            "{} (the page alternates between versions; said once).\n",
            capitalized(&words::alternate(at))
        );
    }
    if let Some(n) = compared.map(|c| c.volatile).filter(|n| *n > 0) {
        let _ = writeln!(
            out,
            "{} and {} left out as volatile.\n",
            words::volatile(n),
            if n == 1 { "was" } else { "were" }
        );
    }
}

/// One changed block as a list item's text.
fn change_line(c: &Change) -> String {
    match c {
        Change::Added { text } => format!("**added:** **{}**", escape(text)),
        Change::Removed { text } => format!("**removed:** ~~{}~~", escape(text)),
        Change::Moved { text } => format!("**moved:** {}", escape(text)),
        Change::Changed { spans } => {
            let mut s = String::from("**changed:** ");
            for span in with_context(spans, CONTEXT_WORDS) {
                let lead = if span.text.starts_with(' ') { " " } else { "" };
                let trail = if span.text.ends_with(' ') { " " } else { "" };
                match span.op {
                    SpanOp::Equal => s.push_str(&escape(&span.text)),
                    SpanOp::Removed => {
                        let _ = write!(s, "{lead}~~{}~~{trail}", escape(span.text.trim()));
                    }
                    SpanOp::Added => {
                        let _ = write!(s, "{lead}**{}**{trail}", escape(span.text.trim()));
                    }
                }
            }
            s
        }
    }
}

/// Escapes text so that Markdown and HTML in it show as written.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}
