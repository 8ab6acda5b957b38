//! The report as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`): removed words struck
//! through, added words in bold, page text escaped so it cannot inject markup.

use std::fmt::Write;

use super::{plural, with_context, Status, TargetReport, CONTEXT_WORDS};
use crate::diff::{Change, SpanOp};

/// The title of a run's Markdown report.
pub(super) fn begin(command: &str, dry_run: bool) -> String {
    let title = match command {
        "check" if dry_run => "policy-watch check (dry run)",
        "check" => "policy-watch check",
        "diff" => "policy-watch diff",
        "accept" => "policy-watch accept",
        "links" => "policy-watch links",
        _ => "policy-watch",
    };
    format!("## {title}\n")
}

/// One target's section (empty for a target with nothing to say) and its summary-table row.
pub(super) fn target_section(t: &TargetReport, list_open: bool) -> (String, String) {
    let headline = if list_open && t.status != Status::Failed {
        super::text::findings_headline(t)
    } else {
        t.headline()
    };
    let row = format!(
        "| [{}]({}) | {} | {} | {} |\n",
        escape(&t.name),
        t.url,
        headline,
        t.shown_count(),
        t.open_findings.len()
    );
    let mut out = String::new();
    if has_details(t) {
        out.push('\n');
        target(&mut out, t, &headline);
    }
    (out, row)
}

/// The summary table of every target, at the end of the report.
pub(super) fn end(rows: &[String]) -> String {
    let mut out = String::from("\n| Target | Status | Changes | Findings |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(r);
    }
    out
}

fn has_details(t: &TargetReport) -> bool {
    t.status != Status::Unchanged
        || t.is_news()
        || t.alternate.is_some()
        || t.store_error.is_some()
        || !t.open_findings.is_empty()
        || t.delivery_error.is_some()
        || t.rebaselined
}

fn target(out: &mut String, t: &TargetReport, headline: &str) {
    let _ = writeln!(out, "### {} — {headline}\n", escape(&t.name));
    let _ = writeln!(out, "<{}>\n", t.url);
    if let Some(note) = t.read_note() {
        let _ = writeln!(out, "_{}_\n", escape(note));
    }
    if let Some(from) = &t.moved_from {
        let _ = writeln!(
            out,
            "Now lands on <{}> (was <{from}>).\n",
            t.final_url.as_deref().unwrap_or("?")
        );
    }
    if let Some(err) = &t.error {
        let _ = writeln!(
            out,
            "**Failed:** {} — {} in a row; the snapshot was not touched.\n",
            escape(err),
            plural(
                t.consecutive_failures.max(1) as usize,
                "failed run",
                "failed runs"
            )
        );
    }
    if t.status == Status::Watching {
        let _ = writeln!(
            out,
            "Baseline stored ({} blocks); no diff on first sight.\n",
            t.blocks
        );
    }
    if t.status == Status::NoSnapshot {
        let _ = writeln!(
            out,
            "No snapshot yet: `policy-watch accept {}` or a `check` stores the baseline.\n",
            t.id
        );
    }
    if t.rebaselined {
        let _ = writeln!(
            out,
            "Extraction rules changed: the baseline was re-made from the stored page.\n"
        );
    }
    let shown = t.shown_count();
    if shown > 0 {
        let (removed, added) = t.word_counts();
        let _ = writeln!(
            out,
            "{}: {} removed, {added} added.\n",
            plural(shown, "change", "changes"),
            plural(removed, "word", "words")
        );
    }
    let meaning = super::meaning_lines(t);
    for line in &meaning {
        let _ = writeln!(out, "- 📌 {}", escape(line));
    }
    if !meaning.is_empty() {
        out.push('\n');
    }
    for c in t.shown_changes() {
        let line = match c {
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
        };
        let _ = writeln!(out, "- {line}");
    }
    if shown > 0 {
        out.push('\n');
    }
    for l in &t.links {
        let _ = writeln!(out, "- 🔗 {}", escape(&super::text::link_line(l)));
    }
    if !t.links.is_empty() {
        out.push('\n');
    }
    for f in &t.new_findings {
        let _ = writeln!(out, "- ⚠️ **new finding:** {}", escape(&f.message));
        if let Some(ctx) = &f.context {
            let _ = writeln!(out, "  > {}", escape(ctx));
        }
    }
    for f in &t.resolved_findings {
        let _ = writeln!(out, "- ✅ **resolved:** {}", escape(&f.message));
    }
    for f in t
        .open_findings
        .iter()
        .filter(|f| !t.new_findings.iter().any(|n| n.id == f.id))
    {
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
    if let Some(err) = &t.store_error {
        let _ = writeln!(
            out,
            "\n**Not stored:** {} — the next run reports this again.",
            escape(err)
        );
    }
    if let Some(at) = t.back_to {
        let _ = writeln!(
            out,
            "Back to the version first seen on {}.\n",
            at.strftime("%Y-%m-%d")
        );
    }
    if let Some(at) = t.alternate {
        let _ = writeln!(
            out,
            "Shows the version first seen on {} again (the page alternates between versions; said once).\n",
            at.strftime("%Y-%m-%d")
        );
    }
    if t.volatile > 0 {
        let _ = writeln!(
            out,
            "{} differed between two fetches and {} left out as volatile.\n",
            plural(t.volatile, "block", "blocks"),
            if t.volatile == 1 { "was" } else { "were" }
        );
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
