//! The report as terminal text: wdiff-style markers (`[-removed-]`, `{+added+}`) that stay
//! readable without colour, coloured on a terminal.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::words::{self, plural, with_context, CONTEXT_WORDS};
use super::{Event, Formatter, Run, Tally, TargetReport, View};
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

/// The text format: a part per target, and a closing line that counts how targets ended.
pub(super) struct Text {
    run: Run,
    styles: Styles,
    tally: Tally,
}

impl Text {
    pub(super) fn new(run: Run, color: bool) -> Self {
        Text {
            run,
            styles: Styles::new(color),
            tally: Tally::default(),
        }
    }
}

impl Formatter for Text {
    fn begin(&mut self) -> String {
        if self.run.dry_run {
            "dry run: what `check` would report; nothing is posted and nothing is written\n\n"
                .into()
        } else {
            String::new()
        }
    }

    fn target(&mut self, t: &TargetReport) -> String {
        self.tally.add(t.status());
        let mut out = String::new();
        target(
            &mut out,
            t,
            &self.styles,
            self.run.command.view(),
            self.run.dry_run,
        );
        out
    }

    fn end(&mut self) -> String {
        let seen = self.tally.total();
        if seen == 0 {
            return "no targets\n".into();
        }
        if seen == 1 || self.run.command.view() == View::Findings {
            return String::new();
        }
        let parts: Vec<String> = words::ENDINGS
            .iter()
            .map(|&s| (self.tally.count(s), words::ended(s)))
            .filter(|(n, _)| *n > 0)
            .map(|(n, name)| format!("{n} {name}"))
            .collect();
        format!(
            "{}: {}{}\n",
            plural(seen, "target", "targets"),
            parts.join(", "),
            if self.run.dry_run {
                " (dry run: nothing posted, nothing written)"
            } else {
                ""
            }
        )
    }
}

/// One target's part; `dry_run`: nothing is stored, so it says what would be.
fn target(out: &mut String, t: &TargetReport, st: &Styles, view: View, dry_run: bool) {
    let failure = t.failure();
    let headline = if view == View::Findings && failure.is_none() {
        words::findings_headline(t)
    } else {
        words::headline(t)
    };
    let head_style = if failure.is_some() {
        st.bad
    } else {
        st.heading
    };
    let _ = writeln!(out, "{} — {}", st.paint(head_style, &t.name), headline);
    let _ = writeln!(out, "  {}", st.paint(st.dim, &t.url));
    if let Some(note) = words::read_note(t) {
        let _ = writeln!(out, "  {}", st.paint(st.dim, note));
    }
    let change = t.change();
    if let Some(from) = change.and_then(|c| c.moved_from.as_deref()) {
        let _ = writeln!(out, "  {}", words::moved(t, from));
    }
    if let Some(f) = failure {
        let mut lines = f.error.lines();
        let _ = writeln!(out, "  error: {}", lines.next().unwrap_or(""));
        for l in lines {
            let _ = writeln!(out, "  {}", l.trim_start());
        }
        if f.consecutive > 1 {
            let _ = writeln!(
                out,
                "  {} in a row; {}",
                words::failed_runs(f.consecutive),
                words::SNAPSHOT_KEPT
            );
        } else {
            let _ = writeln!(out, "  {}", words::SNAPSHOT_KEPT);
        }
    }
    match &t.event {
        Event::Watching { blocks } => {
            let _ = writeln!(out, "  {}", words::baseline(*blocks, dry_run));
        }
        Event::NoSnapshot { .. } => {
            let _ = writeln!(out, "  {}", words::no_snapshot(&t.id));
        }
        _ => {}
    }
    let compared = t.compared();
    if compared.is_some_and(|c| c.rebaselined) {
        let _ = writeln!(out, "  {}", words::REBASELINED);
    }
    if let Some(count) = change.and_then(words::change_count) {
        let _ = writeln!(out, "  {}: {}", count.changes, count.words);
    }
    for line in words::meaning_lines(t) {
        let _ = writeln!(out, "  • {line}");
    }
    for c in change.into_iter().flat_map(|c| c.shown()) {
        change_line(out, c, st);
    }
    for l in change.into_iter().flat_map(|c| &c.links) {
        let _ = writeln!(out, "  ↪ {}", words::link_line(l));
    }
    let (listed, label) = match view {
        View::Findings => (&t.findings.open, "finding"),
        View::News => (&t.findings.new, "new"),
    };
    for f in listed {
        let _ = writeln!(out, "  ! {label}: {}", f.message);
        if let Some(ctx) = &f.context {
            let _ = writeln!(out, "      {ctx}");
        }
    }
    for f in &t.findings.resolved {
        let _ = writeln!(out, "  ✓ resolved: {}", f.message);
    }
    let still_open = t.findings.still_open().count();
    if still_open > 0 && view == View::News {
        let _ = writeln!(
            out,
            "  {} still open (reported before)",
            plural(still_open, "finding", "findings")
        );
    }
    if let Some(at) = change.and_then(|c| c.back_to) {
        let _ = writeln!(out, "  {}", words::back_to(at));
    }
    if let Event::Unchanged {
        alternate: Some(at),
        ..
    } = t.event
    {
        let _ = writeln!(
            out,
            "  {} (the page alternates; said once, quiet since)",
            words::alternate(at)
        );
    }
    if let Some(n) = compared.map(|c| c.volatile).filter(|n| *n > 0) {
        let _ = writeln!(out, "  {}: left out as volatile", words::volatile(n));
    }
    if let Some(err) = &t.delivery_error {
        let _ = writeln!(
            out,
            "  {}",
            st.paint(
                st.bad,
                &format!(
                    "{} (snapshot kept; the next run sends it again)",
                    words::not_delivered(err)
                )
            )
        );
    }
}

/// One changed block, its removed and added words marked.
fn change_line(out: &mut String, c: &Change, st: &Styles) {
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
