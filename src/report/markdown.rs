//! The report as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`): removed words struck
//! through, added words in bold, page text escaped so it cannot inject markup.

use std::fmt::Write;

use super::{with_context, RunReport, Status, TargetReport, CONTEXT_WORDS};
use crate::diff::{Change, SpanOp};

/// Renders a run as Markdown.
pub fn render_markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let title = match report.command.as_str() {
        "check" if report.dry_run => "policy-watch check (dry run)",
        "check" => "policy-watch check",
        "diff" => "policy-watch diff",
        "accept" => "policy-watch accept",
        "links" => "policy-watch links",
        _ => "policy-watch",
    };
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(out, "| Target | Status | Changes | Findings |");
    let _ = writeln!(out, "|---|---|---|---|");
    let list_open = report.command == "links";
    let headline = |t: &TargetReport| {
        if list_open && t.status != Status::Failed {
            super::text::findings_headline(t)
        } else {
            t.headline()
        }
    };
    for t in &report.targets {
        let _ = writeln!(
            out,
            "| [{}]({}) | {} | {} | {} |",
            escape(&t.name),
            t.url,
            headline(t),
            t.changes.len(),
            t.open_findings.len()
        );
    }
    for t in report.targets.iter().filter(|t| has_details(t)) {
        out.push('\n');
        target(&mut out, t, &headline(t));
    }
    out
}

fn has_details(t: &TargetReport) -> bool {
    t.status != Status::Unchanged
        || t.is_news()
        || !t.open_findings.is_empty()
        || t.delivery_error.is_some()
        || t.rebaselined
}

fn target(out: &mut String, t: &TargetReport, headline: &str) {
    let _ = writeln!(out, "### {} — {headline}\n", escape(&t.name));
    let _ = writeln!(out, "<{}>\n", t.url);
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
            "**Fetch failed:** {} — {} run(s) in a row; the snapshot was not touched.\n",
            escape(err),
            t.consecutive_failures
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
    if !t.changes.is_empty() {
        let (removed, added) = t.word_counts();
        let _ = writeln!(
            out,
            "{} change(s): {removed} word(s) removed, {added} added.\n",
            t.changes.len()
        );
    }
    for c in &t.changes {
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
    if !t.changes.is_empty() {
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
