//! Block Kit messages made from one target's report: a header that names the policy and what
//! happened, a context line (address, time, GitHub run), the changes with removed words struck
//! through and added words in bold, link changes, findings — kept within Slack's limits.

use super::blocks::{Block, Message, Text};
use super::escape;
use crate::diff::{Change, LinkChange, Span, SpanOp};
use crate::inspect::{Finding, FindingKind};
use crate::notify::RunContext;
use crate::report::words::{self, with_context, LinkStyle, CONTEXT_WORDS};
use crate::report::{Event, TargetReport};
use crate::text::{noun, truncate};

/// Slack's limit for the text of a section block.
pub const SECTION_MAX: usize = 3000;
/// Slack's limit for the text of a header block.
pub const HEADER_MAX: usize = 150;
/// Slack's limit for blocks in one message.
pub const BLOCKS_MAX: usize = 50;

/// What a section may hold, with a margin under [`SECTION_MAX`].
const SECTION_BUDGET: usize = 2900;
/// One change in a message that shows several (the thread shows it whole).
const CHANGE_BUDGET: usize = 700;
/// Changes shown in a webhook message, and the text they may fill together.
const SINGLE_CHANGES_MAX: usize = 15;
const SINGLE_TEXT_BUDGET: usize = 9000;
/// Changes shown in the summary that heads a thread.
const SUMMARY_CHANGES_MAX: usize = 3;
/// Blocks and text of one message in the diff thread.
const THREAD_BLOCKS_MAX: usize = 40;
const THREAD_TEXT_BUDGET: usize = 20_000;
/// Messages in one diff thread (at about one a second); past that the thread points to the
/// full diff elsewhere.
const THREAD_MESSAGES_MAX: usize = 10;
/// Blocks kept free for links, findings and the "more" line after the changes.
const TAIL_BLOCKS: usize = 6;

/// How a report becomes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One message that shows as much of the diff as fits and says where the rest is
    /// (incoming webhook: no threads).
    Single,
    /// A summary, and the whole diff in its thread (bot token).
    Threaded,
}

/// The messages for one target: the one posted to the channel, and the thread replies.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    pub message: Message,
    pub thread: Vec<Message>,
}

/// Makes the messages about one target.
pub fn compose(report: &TargetReport, ctx: &RunContext, layout: Layout) -> Composed {
    let thread = match layout {
        Layout::Threaded => thread_messages(report, ctx),
        Layout::Single => Vec::new(),
    };
    let mut blocks = vec![header(report), context(report, ctx)];
    if let Some(status) = status_text(report) {
        blocks.push(section(status));
    }

    let (max_changes, text_budget) = match layout {
        Layout::Single => (SINGLE_CHANGES_MAX, SINGLE_TEXT_BUDGET),
        Layout::Threaded => (SUMMARY_CHANGES_MAX, SINGLE_TEXT_BUDGET),
    };
    if let Some(meaning) = meaning_text(report) {
        blocks.push(section(meaning));
    }
    let max_changes = max_changes.min(BLOCKS_MAX - blocks.len() - TAIL_BLOCKS);
    let mut shown = 0;
    let mut used = 0;
    let mut cut = false;
    // What a reader sees changed: link syntax left out (link targets are listed below).
    let change = report.change();
    let read = readable(change.map_or(&[], |c| &c.changes));
    for change in &read {
        if shown == max_changes {
            break;
        }
        let (text, was_cut) = change_summary(change);
        let len = text.chars().count();
        if shown > 0 && used + len > text_budget {
            break;
        }
        used += len;
        cut |= was_cut;
        shown += 1;
        blocks.push(section(text));
    }
    let omitted = read.len() - shown;

    if let Some(links) = links_text(change.map_or(&[], |c| &c.links)) {
        blocks.push(section(links));
    }
    blocks.extend(findings_blocks(report));

    match layout {
        Layout::Single if omitted > 0 || cut => {
            blocks.push(context_line(more_line(report, ctx, omitted, cut)));
        }
        Layout::Threaded if !thread.is_empty() => {
            let parts = thread.len();
            let in_thread = format!(
                "the thread ({parts} {})",
                noun(parts, "message", "messages")
            );
            blocks.push(context_line(if omitted > 0 {
                format!(
                    "🧵 … {omitted} more {} — full diff in {in_thread}",
                    noun(omitted, "change", "changes")
                )
            } else {
                format!("🧵 Full diff in {in_thread}")
            }));
        }
        _ => {}
    }
    debug_assert!(blocks.len() <= BLOCKS_MAX);

    Composed {
        message: Message::new(fallback_text(report), blocks),
        thread,
    }
}

/// The changes as a reader sees them: links by their text (a change of link targets alone is
/// left to the links list), and each block as Slack shows it — no Markdown markers.
fn readable(changes: &[Change]) -> Vec<Shown> {
    changes
        .iter()
        .filter_map(Change::as_read)
        .map(|c| Shown::new(&c))
        .collect()
}

/// What kind of block a snapshot line is, by its Markdown marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Heading(usize),
    Item,
    Paragraph,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Heading(_) => "heading",
            Shape::Item => "list item",
            Shape::Paragraph => "paragraph",
        }
    }
}

/// A snapshot line's shape and its text without the marker (`## Title` → a heading
/// "Title", `- item` → a list item, `\# not a heading` → a paragraph "# not a heading").
/// Table rows keep their cells as written.
fn shape(line: &str) -> (Shape, &str) {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) {
        if let Some(rest) = line[hashes..].strip_prefix(' ') {
            return (Shape::Heading(hashes), rest);
        }
    }
    if let Some(rest) = line.strip_prefix("- ") {
        return (Shape::Item, rest);
    }
    match line.strip_prefix('\\') {
        Some(rest) if rest.starts_with(['#', '-', '*', '+', '>', '|']) || starts_numbered(rest) => {
            (Shape::Paragraph, rest)
        }
        _ => (Shape::Paragraph, line),
    }
}

/// "1. …": a paragraph that the snapshot escapes so that it does not read as a list.
fn starts_numbered(text: &str) -> bool {
    text.split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// One change as a Slack section shows it: the marker that leads it (➕, ✏️, a bullet for a
/// list item), its words without Markdown markers, and a note on a change of the block's kind.
struct Shown {
    lead: String,
    change: Change,
    note: Option<String>,
}

impl Shown {
    fn new(change: &Change) -> Self {
        let plain = |text: &str| {
            let (shape, body) = shape(text);
            (shape, body.to_string())
        };
        let bullet = |shape: Shape| if shape == Shape::Item { " •" } else { "" };
        match change {
            Change::Added { text } => {
                let (shape, text) = plain(text);
                Shown {
                    lead: format!("➕{}", bullet(shape)),
                    change: Change::Added { text },
                    note: None,
                }
            }
            Change::Removed { text } => {
                let (shape, text) = plain(text);
                Shown {
                    lead: format!("➖{}", bullet(shape)),
                    change: Change::Removed { text },
                    note: None,
                }
            }
            Change::Moved { text } => {
                let (shape, text) = plain(text);
                let what = match shape {
                    Shape::Heading(_) => "_moved heading:_",
                    Shape::Item => "_moved:_ •",
                    Shape::Paragraph => "_moved:_",
                };
                Shown {
                    lead: format!("↕️ {what}"),
                    change: Change::Moved { text },
                    note: None,
                }
            }
            Change::Changed { spans } => {
                let (old, new) = change.sides();
                let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
                let ((was, old_body), (now, new_body)) = (shape(&old), shape(&new));
                if old_body == new_body {
                    // Only the kind of block changed (a heading's level, a paragraph that
                    // became a list item): the words are the same.
                    let note = match (was, now) {
                        (Shape::Heading(a), Shape::Heading(b)) => {
                            format!("_is now a level-{b} heading (was level {a})_")
                        }
                        _ => format!("_is now a {} (was a {})_", now.name(), was.name()),
                    };
                    return Shown {
                        lead: "✏️".into(),
                        change: Change::Moved {
                            text: new_body.to_string(),
                        },
                        note: Some(note),
                    };
                }
                let spans = if old.len() == old_body.len() && new.len() == new_body.len() {
                    spans.clone()
                } else {
                    crate::diff::word_spans(old_body, new_body)
                };
                let lead = match now {
                    Shape::Heading(_) => "✏️ _heading:_",
                    Shape::Item => "✏️ •",
                    Shape::Paragraph => "✏️",
                };
                Shown {
                    lead: lead.into(),
                    change: Change::Changed { spans },
                    note: (was != now
                        && !matches!((was, now), (Shape::Heading(_), Shape::Heading(_))))
                    .then(|| format!("_(was a {}, now a {})_", was.name(), now.name())),
                }
            }
        }
    }
}

/// The whole diff, each changed block in full, chunked into thread replies.
fn thread_messages(report: &TargetReport, ctx: &RunContext) -> Vec<Message> {
    let read = readable(report.change().map_or(&[], |c| &c.changes));
    if read.is_empty() {
        return Vec::new();
    }
    // Each chunk: its sections, and the index of the first change that starts in it.
    let mut chunks: Vec<(Vec<String>, usize)> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut current_first = 0;
    let mut chars = 0;
    for (i, change) in read.iter().enumerate() {
        for text in change_full(change) {
            let len = text.chars().count();
            if !current.is_empty()
                && (current.len() + 1 >= THREAD_BLOCKS_MAX || chars + len > THREAD_TEXT_BUDGET)
            {
                chunks.push((std::mem::take(&mut current), current_first));
                chars = 0;
            }
            if current.is_empty() {
                current_first = i;
            }
            chars += len;
            current.push(text);
        }
    }
    if !current.is_empty() {
        chunks.push((current, current_first));
    }

    let omitted = if chunks.len() > THREAD_MESSAGES_MAX {
        let first_left_out = chunks[THREAD_MESSAGES_MAX].1;
        chunks.truncate(THREAD_MESSAGES_MAX);
        Some(read.len() - first_left_out)
    } else {
        None
    };
    let parts = chunks.len();
    let name = escape::text(&report.name);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, (sections, _))| {
            let part = format!("part {} of {parts}", i + 1);
            let mut blocks = vec![context_line(format!("Full diff of *{name}* — {part}"))];
            blocks.extend(sections.into_iter().map(section));
            if i + 1 == parts {
                if let Some(n) = omitted {
                    blocks.push(context_line(more_line(report, ctx, n, true)));
                }
            }
            Message::new(format!("{name}: full diff, {part}"), blocks)
        })
        .collect()
}

/// "Policy name: what happened" in a header block, emoji first.
fn header(report: &TargetReport) -> Block {
    let text = format!(
        "{} {}: {}",
        emoji(report),
        report.name,
        words::headline(report)
    );
    let text = truncate(&text, HEADER_MAX);
    Block::Header {
        text: Text::Plain { text, emoji: true },
    }
}

fn emoji(report: &TargetReport) -> &'static str {
    match &report.event {
        Event::Failed(f) if f.unreachable => return "🚫",
        Event::Failed(_) => return "⚠️",
        Event::Changed(_) => return "📝",
        Event::Watching { .. } | Event::NoSnapshot { .. } => return "👀",
        Event::Unchanged { .. } | Event::Checked { .. } => {}
    }
    if report.back {
        "✅"
    } else if !report.findings.new.is_empty() {
        "⚠️"
    } else {
        "✅"
    }
}

/// The address (and where it lands now), the time, and the GitHub run and commit.
fn context(report: &TargetReport, ctx: &RunContext) -> Block {
    let mut parts = vec![escape::url(&report.url)];
    if let Some(from) = report.change().and_then(|c| c.moved_from.as_ref()) {
        let now = report.final_url.as_deref().unwrap_or("?");
        parts.push(format!(
            "now lands on {} (was {})",
            escape::url(now),
            escape::url(from)
        ));
    }
    let fallback = ctx.time.strftime("%Y-%m-%d %H:%M UTC");
    parts.push(format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{fallback}>",
        ctx.time.as_second()
    ));
    if let Some(run) = &ctx.run_url {
        parts.push(escape::link(run, "GitHub run"));
    }
    if let Some(commit) = &ctx.commit_url {
        let sha = commit.rsplit('/').next().unwrap_or_default();
        let short: String = sha.chars().take(7).collect();
        parts.push(escape::link(commit, &format!("commit {short}")));
    }
    if let Some(page) = &report.page_url {
        parts.push(escape::link(page, "history"));
    }
    context_line(parts.join(" · "))
}

/// What happened, in a sentence or two.
fn status_text(report: &TargetReport) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    if report.back {
        lines.push("✅ The page can be fetched again.".to_string());
    }
    match &report.event {
        Event::Watching { blocks } => lines.push(words::watching_sentence(*blocks)),
        Event::NoSnapshot { .. } => lines.push(words::NO_SNAPSHOT_SENTENCE.to_string()),
        Event::Failed(f) => lines.push(words::failed_sentence(
            f.consecutive,
            &escape::text(&f.error),
        )),
        Event::Changed(c) => {
            if let Some(count) = words::change_count(c) {
                lines.push(format!("*{}*: {}.", count.changes, count.words));
            }
        }
        Event::Unchanged { .. } | Event::Checked { .. } => {}
    }
    if report.compared().is_some_and(|c| c.rebaselined) {
        lines.push(words::REBASELINED_SENTENCE.to_string());
    }
    (!lines.is_empty()).then(|| truncate_section(lines.join("\n")))
}

/// A change as one section with a few words of context; `true` if it had to be cut.
fn change_summary(shown: &Shown) -> (String, bool) {
    let runs = match &shown.change {
        Change::Changed { spans } => with_context(spans, CONTEXT_WORDS),
        other => change_runs(other),
    };
    let pieces = pieces(&runs, CHANGE_BUDGET);
    let cut = pieces.len() > 1;
    let mut text = format!(
        "{} {}",
        shown.lead,
        pieces.into_iter().next().unwrap_or_default()
    );
    if cut {
        text.push_str(" …");
    }
    if let Some(note) = &shown.note {
        text.push(' ');
        text.push_str(note);
    }
    (text, cut)
}

/// A change in full, over as many sections as it needs.
fn change_full(shown: &Shown) -> Vec<String> {
    let mut parts: Vec<String> = pieces(&change_runs(&shown.change), SECTION_BUDGET - 60)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                format!("{} {p}", shown.lead)
            } else {
                p
            }
        })
        .collect();
    if let (Some(note), Some(last)) = (&shown.note, parts.last_mut()) {
        last.push(' ');
        last.push_str(note);
    }
    parts
}

/// The spans of a change: an added, removed or moved block as one span.
fn change_runs(change: &Change) -> Vec<Span> {
    let span = |op, text: &str| Span {
        op,
        text: text.to_string(),
    };
    match change {
        Change::Added { text } => vec![span(SpanOp::Added, text)],
        Change::Removed { text } => vec![span(SpanOp::Removed, text)],
        Change::Moved { text } => vec![span(SpanOp::Equal, text)],
        Change::Changed { spans } => spans.clone(),
    }
}

/// What a marked run costs besides its text: two markers and up to two spaces.
const MARK_COST: usize = 4;

/// Renders spans as mrkdwn, split at word boundaries into pieces of at most `budget`
/// characters; every piece is complete (markers closed), so each can be a section of its own.
pub fn pieces(spans: &[Span], budget: usize) -> Vec<String> {
    let budget = budget.max(40);
    let mut out: Vec<String> = Vec::new();
    let mut runs: Vec<(SpanOp, String)> = Vec::new();
    let mut cost = 0;
    for span in spans {
        for word in span.text.split_inclusive(char::is_whitespace) {
            for part in hard_split(word, budget / 5) {
                let len = escape::text_len(part);
                let continues = runs.last().is_some_and(|(op, _)| *op == span.op);
                let add = len + if continues { 0 } else { MARK_COST };
                if cost + add > budget && !runs.is_empty() {
                    out.push(render(&runs));
                    runs.clear();
                    cost = 0;
                }
                match runs.last_mut() {
                    Some((op, text)) if *op == span.op => text.push_str(part),
                    _ => {
                        runs.push((span.op, part.to_string()));
                        cost += MARK_COST;
                    }
                }
                cost += len;
            }
        }
    }
    if !runs.is_empty() {
        out.push(render(&runs));
    }
    out.retain(|p| !p.trim().is_empty());
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// A word longer than `max` characters (a huge URL, a line without spaces) in pieces.
fn hard_split(word: &str, max: usize) -> Vec<&str> {
    let max = max.max(1);
    if word.chars().count() <= max {
        return vec![word];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for (n, (i, _)) in word.char_indices().enumerate() {
        if n > 0 && n % max == 0 {
            parts.push(&word[start..i]);
            start = i;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// Characters after which an opening marker still reads as one.
fn opens_after(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '\'' | '“' | '‘' | '„')
}

/// Characters before which a closing marker still reads as one.
fn closes_before(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\'' | '”' | '’'
        )
}

/// Runs of page text as mrkdwn: removed text `~struck~`, added text `*bold*`, all escaped.
/// Markers get a space around them where Slack would otherwise not read them as markers.
fn render(runs: &[(SpanOp, String)]) -> String {
    let mut out = String::new();
    let mut after_mark = false;
    for (op, raw) in runs {
        match op {
            SpanOp::Equal => {
                let text = escape::text(raw);
                if after_mark && text.chars().next().is_some_and(|c| !closes_before(c)) {
                    out.push(' ');
                }
                out.push_str(&text);
                after_mark = false;
            }
            SpanOp::Removed | SpanOp::Added => {
                let inner = raw.trim();
                if inner.is_empty() {
                    continue;
                }
                let starts_blank = raw.starts_with(char::is_whitespace);
                if (starts_blank || out.chars().last().is_some_and(|c| !opens_after(c)))
                    && !out.ends_with(char::is_whitespace)
                    && !out.is_empty()
                {
                    out.push(' ');
                }
                let mark = if *op == SpanOp::Removed { '~' } else { '*' };
                out.push(mark);
                out.push_str(&escape::text(inner));
                out.push(mark);
                if raw.ends_with(char::is_whitespace) {
                    out.push(' ');
                    after_mark = false;
                } else {
                    after_mark = true;
                }
            }
        }
    }
    out.trim().to_string()
}

/// Link changes as Slack shows them: the text escaped, each address a link.
struct SlackLinks;

impl LinkStyle for SlackLinks {
    fn text(&self, text: &str) -> String {
        escape::text(text)
    }
    fn no_text(&self) -> &'static str {
        "_(no text)_"
    }
    fn address(&self, href: &str) -> String {
        if href.is_empty() {
            "_(no address)_".to_string()
        } else {
            escape::url(href)
        }
    }
}

/// The link changes of a diff, one line each.
fn link_lines(links: &[LinkChange]) -> Vec<String> {
    links
        .iter()
        .filter(|l| l.from.is_some() || l.to.is_some())
        .map(|l| format!("• {}", words::link_change(l, &SlackLinks)))
        .collect()
}

/// What the change means (policy facts, citations), one short escaped line each.
fn meaning_text(report: &TargetReport) -> Option<String> {
    let lines: Vec<String> = words::meaning_lines(report)
        .iter()
        .map(|l| format!("• {}", escape::text(l)))
        .collect();
    (!lines.is_empty()).then(|| list("📌 *What changed*", &lines, "facts"))
}

fn links_text(links: &[LinkChange]) -> Option<String> {
    let lines = link_lines(links);
    (!lines.is_empty()).then(|| list("🔗 *Links*", &lines, "link changes"))
}

/// A titled list in one section; what does not fit is counted.
fn list(title: &str, lines: &[String], what: &str) -> String {
    let mut out = title.to_string();
    for (i, line) in lines.iter().enumerate() {
        let rest = lines.len() - i;
        let tail = format!("\n… and {rest} more {what}");
        if out.chars().count() + 1 + line.chars().count() + tail.chars().count() > SECTION_BUDGET {
            out.push_str(&tail);
            return out;
        }
        out.push('\n');
        out.push_str(line);
    }
    out
}

fn kind_label(kind: FindingKind) -> String {
    #[allow(unreachable_patterns)]
    let label = match kind {
        FindingKind::Broken => "Broken link",
        FindingKind::Unreachable => "Unreachable link",
        FindingKind::Blocked => "Link check blocked",
        FindingKind::EmptyLink => "Empty link",
        FindingKind::BrokenFragment => "Broken anchor",
        FindingKind::MissingInTranslation => "Missing in translation",
        FindingKind::Unwatched => "Linked policy not watched",
        // A kind added later reads as its serialised name ("redirected" → "Redirected").
        _ => return humanize(kind),
    };
    label.to_string()
}

fn humanize(kind: FindingKind) -> String {
    let name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "Finding".into())
        .replace('_', " ");
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn finding_line(f: &Finding, detail: bool) -> String {
    let label = kind_label(f.kind);
    let message = f.message.trim();
    // "Empty link in …" reads better as "*Empty link* in …" than "*Empty link* — Empty link in …".
    let mut line = match message.get(..label.len()) {
        Some(head) if head.eq_ignore_ascii_case(&label) => {
            format!("• *{head}*{}", escape::text(&message[label.len()..]))
        }
        _ => format!("• *{label}* — {}", escape::text(message)),
    };
    // A section is named once: not again when the message already names its heading
    // (the label may carry a language code before it, "de: Datenerhebung …").
    let heading = |s: &str| {
        let s = s.trim();
        match s.split_once(": ") {
            Some((code, rest)) if code.len() <= 3 && code.chars().all(char::is_alphabetic) => {
                rest.trim().to_string()
            }
            _ => s.to_string(),
        }
    };
    if let Some(section) = f
        .section
        .as_deref()
        .filter(|s| !s.trim().is_empty() && !message.contains(&heading(s)))
    {
        line.push_str(&format!(" (in “{}”)", escape::text(section.trim())));
    }
    if detail {
        if let Some(context) = f.context.as_deref().filter(|s| !s.trim().is_empty()) {
            let context = truncate(context.trim(), 300);
            line.push_str(&format!("\n      “{}”", escape::text(&context)));
        }
        if let Some(url) = f
            .url
            .as_deref()
            .filter(|u| !u.trim().is_empty() && !f.message.contains(u.trim()))
        {
            line.push_str(&format!("\n      {}", escape::url(url)));
        }
    }
    line
}

/// New findings with their context, resolved ones, and a count of those still open.
fn findings_blocks(report: &TargetReport) -> Vec<Block> {
    let mut blocks = Vec::new();
    let findings = &report.findings;
    if !findings.new.is_empty() {
        // Grouped by kind, the ones to fix first (broken and empty links) at the top, so that
        // what a long list cuts off is the informational end.
        let mut new = findings.new.clone();
        crate::inspect::sort_findings(&mut new);
        let lines: Vec<String> = new.iter().map(|f| finding_line(f, true)).collect();
        let mut title = format!("⚠️ *New findings ({})*", lines.len());
        if let Some(counts) = kind_counts(&new) {
            title.push_str(": ");
            title.push_str(&counts);
        }
        blocks.push(section(list(&title, &lines, "findings")));
    }
    if !findings.resolved.is_empty() {
        let lines: Vec<String> = findings
            .resolved
            .iter()
            .map(|f| finding_line(f, false))
            .collect();
        let title = format!("✅ *Resolved ({})*", lines.len());
        blocks.push(section(list(&title, &lines, "findings")));
    }
    let still_open = findings.still_open().count();
    if still_open > 0 && (!findings.new.is_empty() || !findings.resolved.is_empty()) {
        blocks.push(context_line(format!(
            "{still_open} earlier {} still open.",
            noun(still_open, "finding is", "findings are")
        )));
    }
    blocks
}

/// "2 broken links, 1 empty link, …" for findings of more than one kind, in their order.
fn kind_counts(findings: &[Finding]) -> Option<String> {
    let mut counts: Vec<(FindingKind, usize)> = Vec::new();
    for f in findings {
        match counts.last_mut() {
            Some((kind, n)) if *kind == f.kind => *n += 1,
            _ => counts.push((f.kind, 1)),
        }
    }
    if counts.len() < 2 {
        return None;
    }
    let words = |kind: FindingKind, n: usize| -> String {
        #[allow(unreachable_patterns)]
        let (one, many) = match kind {
            FindingKind::Broken => ("broken link", "broken links"),
            FindingKind::EmptyLink => ("empty link", "empty links"),
            FindingKind::BrokenFragment => ("broken anchor", "broken anchors"),
            FindingKind::Unreachable => ("unreachable link", "unreachable links"),
            FindingKind::Blocked => ("link check blocked", "link checks blocked"),
            FindingKind::MissingInTranslation => {
                ("missing in translation", "missing in translation")
            }
            FindingKind::Redirected => ("redirected link", "redirected links"),
            FindingKind::Unwatched => ("linked policy not watched", "linked policies not watched"),
            _ => return format!("{n} {}", humanize(kind).to_lowercase()),
        };
        crate::text::plural(n, one, many)
    };
    Some(
        counts
            .into_iter()
            .map(|(kind, n)| words(kind, n))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// "… N more changes — full diff in …", pointing to the run's summary and the snapshot history.
fn more_line(report: &TargetReport, ctx: &RunContext, omitted: usize, cut: bool) -> String {
    let history = format!("the history of `snapshots/{}.md`", escape::code(&report.id));
    let place = match &ctx.run_url {
        Some(run) => format!(
            "{} and in {history}",
            escape::link(run, "the GitHub run's summary")
        ),
        None => history,
    };
    if omitted > 0 {
        format!(
            "… {omitted} more {} — full diff in {place}",
            noun(omitted, "change", "changes")
        )
    } else if cut {
        format!("… long changes were shortened — full diff in {place}")
    } else {
        format!("Full diff in {place}")
    }
}

/// The message's `text`: what notifications and screen readers show.
fn fallback_text(report: &TargetReport) -> String {
    let mut text = format!(
        "{}: {}",
        escape::text(&report.name),
        escape::text(&words::headline(report))
    );
    if let Some(count) = report.change().and_then(words::change_count) {
        text.push_str(&format!(" — {} ({})", count.changes, count.words));
    }
    if !report.findings.new.is_empty() {
        let n = report.findings.new.len();
        text.push_str(&format!(" — {n} new {}", noun(n, "finding", "findings")));
    }
    if let Some(f) = report.failure() {
        text.push_str(&format!(" — {}", escape::text(&f.error)));
    }
    truncate_section(format!("{text} {}", escape::url(&report.url)))
}

fn mrkdwn(text: String) -> Text {
    // verbatim: Slack does not turn bare URLs, channel names or mentions into links; every
    // link in our messages is written out as <address|label>.
    Text::Markup {
        text,
        verbatim: true,
    }
}

fn section(text: String) -> Block {
    Block::Section {
        text: mrkdwn(truncate_section(text)),
    }
}

fn context_line(text: String) -> Block {
    Block::Context {
        elements: vec![mrkdwn(truncate_section(text))],
    }
}

/// A last guard for the section limit (callers stay under it already).
fn truncate_section(text: String) -> String {
    if text.chars().count() <= SECTION_MAX {
        text
    } else {
        // Cut before any entity or link that the cut would break.
        let mut cut = truncate(&text, SECTION_MAX - 1);
        if let Some(i) = cut.rfind(['&', '<']) {
            if !cut[i..].contains([';', '>']) {
                cut.truncate(i);
            }
        }
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(op: SpanOp, text: &str) -> Span {
        Span {
            op,
            text: text.to_string(),
        }
    }

    #[test]
    fn removed_is_struck_and_added_is_bold_with_spaces_where_needed() {
        let spans = vec![
            span(SpanOp::Equal, "for up to "),
            span(SpanOp::Removed, "30"),
            span(SpanOp::Added, "90"),
            span(SpanOp::Equal, " days."),
        ];
        assert_eq!(pieces(&spans, 1000), vec!["for up to ~30~ *90* days."]);

        let spans = vec![
            span(SpanOp::Equal, "name, e-mail"),
            span(SpanOp::Added, ", phone number"),
            span(SpanOp::Equal, " and timestamp"),
        ];
        assert_eq!(
            pieces(&spans, 1000),
            vec!["name, e-mail *, phone number* and timestamp"]
        );
    }

    #[test]
    fn long_text_is_split_into_complete_pieces() {
        let long = "word ".repeat(2000);
        let spans = vec![span(SpanOp::Added, &long)];
        let parts = pieces(&spans, 1000);
        assert!(parts.len() >= 10, "{}", parts.len());
        for p in &parts {
            assert!(p.chars().count() <= 1000, "{}", p.chars().count());
            assert!(p.starts_with('*') && p.ends_with('*'), "{p}");
        }
    }

    #[test]
    fn a_word_without_spaces_is_split_too() {
        let spans = vec![span(SpanOp::Equal, &"x".repeat(10_000))];
        for p in pieces(&spans, 2900) {
            assert!(p.chars().count() <= 2900);
        }
    }

    #[test]
    fn link_target_change_is_listed() {
        let spans = vec![
            span(SpanOp::Equal, "See [policy]("),
            span(SpanOp::Removed, "https://a.example/old)."),
            span(SpanOp::Added, "https://a.example/new)."),
        ];
        let lines = link_lines(&crate::diff::link_changes(&[Change::Changed { spans }]));
        assert_eq!(
            lines,
            vec!["• “policy” now points to <https://a.example/new|https://a.example/new> (was <https://a.example/old|https://a.example/old>)"]
        );
    }

    #[test]
    fn header_keeps_the_limit() {
        let r = TargetReport::new(
            "x",
            &"N".repeat(400),
            "https://a.example/",
            Event::Changed(Box::new(crate::report::ContentChange {
                changes: vec![Change::Added { text: "a".into() }],
                ..Default::default()
            })),
        );
        let Block::Header { text } = header(&r) else {
            panic!()
        };
        assert!(text.as_str().chars().count() <= HEADER_MAX);
    }
}
