//! Blocks → the snapshot Markdown: one block per paragraph, links as `[text](href)`.

use super::{Block, BlockKind, Inline};

/// Renders blocks as Markdown, one block per line, blank lines between, ending in a newline.
/// Every block is exactly one line, so a line of the snapshot is a block of the policy.
pub fn render_markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&block_markdown(b));
        out.push('\n');
    }
    out
}

/// One block as one line of Markdown.
pub fn block_markdown(block: &Block) -> String {
    let mut body = String::new();
    for inline in &block.inlines {
        match inline {
            Inline::Text { text } => body.push_str(&escape_text(text)),
            Inline::Link(l) => {
                body.push('[');
                body.push_str(&escape_text(&l.text));
                body.push_str("](");
                let target = l.url.as_deref().or(l.href.as_deref()).unwrap_or("");
                body.push_str(&target.replace(' ', "%20").replace(')', "%29"));
                body.push(')');
            }
        }
    }
    match block.kind {
        BlockKind::Heading(level) => format!("{} {body}", "#".repeat(level.clamp(1, 6) as usize)),
        BlockKind::ListItem => format!("- {body}"),
        BlockKind::TableRow => format!("| {body} |"),
        BlockKind::Paragraph => escape_line_start(body),
    }
}

/// Square brackets in text would read as links.
fn escape_text(text: &str) -> String {
    if text.contains(['[', ']']) {
        text.replace('[', "\\[").replace(']', "\\]")
    } else {
        text.to_string()
    }
}

/// A paragraph that starts like a heading, list item, quote or table would read as one.
fn escape_line_start(body: String) -> String {
    let starts_like_markup = body.starts_with(['#', '-', '*', '+', '>', '|'])
        || body
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if starts_like_markup {
        format!("\\{body}")
    } else {
        body
    }
}
