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

/// A block's snapshot line as it is compared for a change a reader would notice: without its
/// heading level (`#### 1.` and `1.` read alike), without the escape that keeps a paragraph from
/// reading as markup, and with every link target's query left out (a link whose text is the
/// same and whose target differs only in a date or signature in its query, or in a UUID in its
/// path, is the same link), and with typographic quotes read as plain ones (`We’re` and `We're`
/// are the same words).
pub fn comparable(line: &str) -> String {
    let mut body = line.trim();
    let hashes = body.len() - body.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && body[hashes..].starts_with(' ') {
        body = body[hashes..].trim_start();
    }
    let body = body.strip_prefix('\\').unwrap_or(body);
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("](") {
        let (head, tail) = rest.split_at(i + 2);
        out.push_str(head);
        let end = tail.find(')').unwrap_or(tail.len());
        let target = &tail[..end];
        match target.find('?') {
            Some(q) => {
                push_path(&mut out, &target[..q]);
                if let Some(f) = target[q..].find('#') {
                    out.push_str(&target[q + f..]);
                }
            }
            None => push_path(&mut out, target),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if out.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}']) {
        out = out
            .replace(['\u{2018}', '\u{2019}'], "'")
            .replace(['\u{201c}', '\u{201d}'], "\"");
    }
    out
}

/// A UUID (`8-4-4-4-12` hex digits): in a link's path, a per-visit or per-session token.
static UUID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    )
    .expect("uuid pattern")
});

/// A link target's path as it is compared: a UUID in it is read as any UUID (sites put a
/// session or visit token there, `…/redirect/website.v1.<uuid>/settings`, new on each fetch).
fn push_path(out: &mut String, path: &str) {
    if path.contains('-') {
        out.push_str(&UUID.replace_all(path, "<uuid>"));
    } else {
        out.push_str(path);
    }
}

/// True when two snapshot texts differ only in what [`comparable`] leaves out: no change a
/// reader would notice.
pub fn reads_the_same(a: &str, b: &str) -> bool {
    let lines = |s: &'_ str| {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .map(comparable)
            .collect::<Vec<_>>()
    };
    lines(a) == lines(b)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_link_queries_are_not_compared() {
        assert_eq!(
            comparable("#### 1. Introduction"),
            comparable("\\1. Introduction")
        );
        assert_eq!(comparable("## Terms"), "Terms");
        assert_eq!(
            comparable("See [the form](https://a.example/f?app_info%5Bdate%5D=Sun+May+03#top)."),
            "See [the form](https://a.example/f#top)."
        );
        assert_ne!(comparable("#hashtag"), comparable("hashtag"));
        assert!(reads_the_same(
            "#### 1. Intro\n\nText\n",
            "\\1. Intro\n\nText\n"
        ));
        assert!(!reads_the_same(
            "#### 1. Intro\n\nText\n",
            "\\1. Intro\n\nOther\n"
        ));
        assert_ne!(comparable("- One"), comparable("- Two"));
        assert_eq!(
            comparable("We\u{2019}re here, \u{201c}you\u{201d}"),
            comparable("We're here, \"you\"")
        );
        assert_ne!(
            comparable("[a](https://a.example/x?q=1)"),
            comparable("[a](https://a.example/y?q=1)")
        );
        // A session token in the path is the same link; any other change of the path is not.
        assert!(reads_the_same(
            "Your [Privacy Settings](https://a.example/redirect/v1.d137b5a2-b2bf-455d-aa2f-e7829acf46ab/settings).\n",
            "Your [Privacy Settings](https://a.example/redirect/v1.34955F32-88C9-4467-924B-7225765A205A/settings).\n"
        ));
        assert!(!reads_the_same(
            "[a](https://a.example/d137b5a2-b2bf-455d-aa2f-e7829acf46ab/settings)\n",
            "[a](https://a.example/d137b5a2-b2bf-455d-aa2f-e7829acf46ab/account)\n"
        ));
        assert!(!reads_the_same(
            "[a](https://a.example/v1.d137b5a2-b2bf-455d-aa2f-e7829acf46ab/x)\n",
            "[b](https://a.example/v1.34955f32-88c9-4467-924b-7225765a205a/x)\n"
        ));
    }
}
