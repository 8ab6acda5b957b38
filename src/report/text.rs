//! The report as terminal text: wdiff-style markers (`[-removed-]`, `{+added+}`) that stay
//! readable without colour, coloured on a terminal.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{plural, with_context, Status, TargetReport, CONTEXT_WORDS};
use crate::diff::{Change, SpanOp};

struct Styles {
    removed: Style,
    added: Style,
    heading: Style,
    dim: Style,
    bad: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        if !color {
            let plain = Style::new();
            return Styles {
                removed: plain,
                added: plain,
                heading: plain,
                dim: plain,
                bad: plain,
            };
        }
        Styles {
            removed: AnsiColor::Red.on_default().strikethrough(),
            added: AnsiColor::Green.on_default().bold(),
            heading: Style::new().bold(),
            dim: Style::new().dimmed(),
            bad: AnsiColor::Red.on_default().bold(),
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        format!("{style}{text}{style:#}")
    }
}

/// One target's part of a text report; `color` adds ANSI styles.
/// `dry_run`: nothing is stored, so the report says what would be.
pub(super) fn target_text(t: &TargetReport, color: bool, list_open: bool, dry_run: bool) -> String {
    let mut out = String::new();
    target(&mut out, t, &Styles::new(color), list_open, dry_run);
    out
}

/// `list_open`: show every open finding in full (the `links` command), not only new ones.
fn target(out: &mut String, t: &TargetReport, st: &Styles, list_open: bool, dry_run: bool) {
    let headline = if list_open && t.status != Status::Failed {
        findings_headline(t)
    } else {
        t.headline()
    };
    let head_style = if t.status == Status::Failed {
        st.bad
    } else {
        st.heading
    };
    let _ = writeln!(out, "{} — {}", st.paint(head_style, &t.name), headline);
    let _ = writeln!(out, "  {}", st.paint(st.dim, &t.url));
    if let Some(note) = t.read_note() {
        let _ = writeln!(out, "  {}", st.paint(st.dim, note));
    }
    if let Some(from) = &t.moved_from {
        let _ = writeln!(
            out,
            "  now lands on {} (was {})",
            t.final_url.as_deref().unwrap_or("?"),
            from
        );
    }
    if let Some(err) = &t.error {
        let mut lines = err.lines();
        let _ = writeln!(out, "  error: {}", lines.next().unwrap_or(""));
        for l in lines {
            let _ = writeln!(out, "  {}", l.trim_start());
        }
        if t.consecutive_failures > 1 {
            let _ = writeln!(
                out,
                "  {} in a row; the snapshot was not touched",
                plural(t.consecutive_failures as usize, "failed run", "failed runs")
            );
        } else {
            let _ = writeln!(out, "  the snapshot was not touched");
        }
    }
    if t.status == Status::Watching {
        let stored = if dry_run { "would be stored" } else { "stored" };
        let _ = writeln!(out, "  baseline {stored} ({} blocks)", t.blocks);
    }
    if t.status == Status::NoSnapshot {
        let _ = writeln!(
            out,
            "  no snapshot yet: `policy-watch accept {}` or a `check` stores the baseline",
            t.id
        );
    }
    if t.rebaselined {
        let _ = writeln!(
            out,
            "  extraction rules changed: baseline re-made from the stored page"
        );
    }
    let shown = t.shown_count();
    if shown > 0 {
        let (removed, added) = t.word_counts();
        let _ = writeln!(
            out,
            "  {}: {} removed, {added} added",
            plural(shown, "change", "changes"),
            plural(removed, "word", "words")
        );
    }
    for line in super::meaning_lines(t) {
        let _ = writeln!(out, "  • {line}");
    }
    for c in t.shown_changes() {
        match c {
            Change::Added { text } => {
                let _ = writeln!(out, "  + {}", st.paint(st.added, &format!("{{+{text}+}}")));
            }
            Change::Removed { text } => {
                let _ = writeln!(out, "  - {}", st.paint(st.removed, &format!("[-{text}-]")));
            }
            Change::Moved { text } => {
                let _ = writeln!(out, "  ↕ moved: {text}");
            }
            Change::Changed { spans } => {
                let mut line = String::new();
                let spans = with_context(spans, CONTEXT_WORDS);
                for (i, s) in spans.iter().enumerate() {
                    let marked = match s.op {
                        SpanOp::Equal => {
                            line.push_str(&s.text);
                            continue;
                        }
                        SpanOp::Removed => st.paint(st.removed, &format!("[-{}-]", s.text.trim())),
                        SpanOp::Added => st.paint(st.added, &format!("{{+{}+}}", s.text.trim())),
                    };
                    // The space a marked run had at its edge stays, outside the markers, where
                    // it separates it from unchanged words.
                    if s.text.starts_with(char::is_whitespace)
                        && !line.is_empty()
                        && !line.ends_with(char::is_whitespace)
                        && i > 0
                        && spans[i - 1].op == SpanOp::Equal
                    {
                        line.push(' ');
                    }
                    line.push_str(&marked);
                    let next = spans.get(i + 1);
                    if s.text.ends_with(char::is_whitespace)
                        && next.is_some_and(|n| {
                            n.op == SpanOp::Equal && !n.text.starts_with(char::is_whitespace)
                        })
                    {
                        line.push(' ');
                    }
                }
                let _ = writeln!(out, "  ~ {line}");
            }
        }
    }
    for l in &t.links {
        let _ = writeln!(out, "  ↪ {}", link_line(l));
    }
    let listed = if list_open {
        &t.open_findings
    } else {
        &t.new_findings
    };
    for f in listed {
        let label = if list_open { "finding" } else { "new" };
        let _ = writeln!(out, "  ! {label}: {}", f.message);
        if let Some(ctx) = &f.context {
            let _ = writeln!(out, "      {ctx}");
        }
    }
    for f in &t.resolved_findings {
        let _ = writeln!(out, "  ✓ resolved: {}", f.message);
    }
    let still_open = t
        .open_findings
        .iter()
        .filter(|f| !t.new_findings.iter().any(|n| n.id == f.id))
        .count();
    if still_open > 0 && !list_open {
        let _ = writeln!(
            out,
            "  {} still open (reported before)",
            plural(still_open, "finding", "findings")
        );
    }
    if let Some(at) = t.back_to {
        let _ = writeln!(
            out,
            "  back to the version first seen on {}",
            at.strftime("%Y-%m-%d")
        );
    }
    if let Some(at) = t.alternate {
        let _ = writeln!(
            out,
            "  shows the version first seen on {} again (the page alternates; said once, quiet since)",
            at.strftime("%Y-%m-%d")
        );
    }
    if t.volatile > 0 {
        let _ = writeln!(
            out,
            "  {} differed between two fetches: left out as volatile",
            plural(t.volatile, "block", "blocks")
        );
    }
    if let Some(err) = &t.store_error {
        let _ = writeln!(
            out,
            "  {}",
            st.paint(
                st.bad,
                &format!("not stored: {err} (the next run reports this again)")
            )
        );
    }
    if let Some(err) = &t.delivery_error {
        let _ = writeln!(
            out,
            "  {}",
            st.paint(st.bad, &format!("notification not delivered: {err} (snapshot kept; the next run sends it again)"))
        );
    }
}

/// "2 findings" / "no findings", for a report that lists findings only.
pub(super) fn findings_headline(t: &TargetReport) -> String {
    match t.open_findings.len() {
        0 => "no findings".to_string(),
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    }
}

/// One link change in words: "link “text” now points to X (was Y)".
pub(super) fn link_line(l: &crate::diff::LinkChange) -> String {
    let text = if l.text.trim().is_empty() {
        "(no text)".to_string()
    } else {
        format!("“{}”", l.text.trim())
    };
    match (&l.from, &l.to) {
        (Some(from), Some(to)) => format!("link {text} now points to {to} (was {from})"),
        (None, Some(to)) if l.text.trim() == to => format!("link added: {to}"),
        (None, Some(to)) => format!("link added: {text} → {to}"),
        (Some(from), None) if l.text.trim() == from => format!("link removed: {from}"),
        (Some(from), None) => format!("link removed: {text} → {from}"),
        (None, None) => format!("link {text}"),
    }
}
