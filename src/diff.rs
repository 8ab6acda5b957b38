//! Block-level changes between two snapshots (added, removed, changed, moved), with word-level
//! detail inside changed blocks; built on `similar`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

/// How long the block diff of one page may search for the smallest diff.
const BLOCK_DIFF_BUDGET: Duration = Duration::from_millis(300);
/// A page with more blocks than this that keeps less than a tenth of them was rewritten.
const REWRITE_MIN_BLOCKS: usize = 1_000;
/// How long the word diff of one block may search for the smallest diff.
const WORD_DIFF_BUDGET: Duration = Duration::from_millis(100);

/// Two blocks at least this alike (0..1) count as one changed block rather than remove + add.
const PAIR_RATIO: f32 = 0.5;

/// One piece of a changed block.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub op: SpanOp,
    pub text: String,
}

/// What happened to a span of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanOp {
    Equal,
    Removed,
    Added,
}

/// A change of one block. Block text is the block's snapshot Markdown line, so a changed link
/// target is a changed word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    Added { text: String },
    Removed { text: String },
    Changed { spans: Vec<Span> },
    Moved { text: String },
}

impl Change {
    /// Words added and removed by this change: (removed, added).
    pub fn word_counts(&self) -> (usize, usize) {
        let words = |s: &str| s.split_whitespace().count();
        match self {
            Change::Added { text } => (0, words(text)),
            Change::Removed { text } => (words(text), 0),
            Change::Moved { .. } => (0, 0),
            Change::Changed { spans } => spans.iter().fold((0, 0), |(r, a), s| match s.op {
                SpanOp::Removed => (r + words(&s.text), a),
                SpanOp::Added => (r, a + words(&s.text)),
                SpanOp::Equal => (r, a),
            }),
        }
    }
}

/// A link whose target changed, or that came or went, in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkChange {
    /// The link's visible text (empty for an invisible link).
    pub text: String,
    /// Where it pointed before (`None`: a new link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Where it points now (`None`: the link is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Change {
    /// The block before and after, as snapshot Markdown (`None` where it did not exist).
    pub fn sides(&self) -> (Option<String>, Option<String>) {
        match self {
            Change::Added { text } => (None, Some(text.clone())),
            Change::Removed { text } => (Some(text.clone()), None),
            Change::Moved { text } => (Some(text.clone()), Some(text.clone())),
            Change::Changed { spans } => {
                let side = |keep: SpanOp| {
                    spans
                        .iter()
                        .filter(|s| s.op == SpanOp::Equal || s.op == keep)
                        .map(|s| s.text.as_str())
                        .collect::<String>()
                };
                (Some(side(SpanOp::Removed)), Some(side(SpanOp::Added)))
            }
        }
    }

    /// The same change as a reader sees it: links shown by their text alone. `None` when
    /// nothing a reader sees changed (only where links point): [`link_changes`] says that.
    pub fn as_read(&self) -> Option<Change> {
        let (before, after) = self.sides();
        let has_link = |t: &Option<String>| t.as_deref().is_some_and(|t| LINK.is_match(t));
        if !has_link(&before) && !has_link(&after) {
            return Some(self.clone());
        }
        match (before, after) {
            (Some(old), Some(new)) => {
                let (old, new) = (plain(&old), plain(&new));
                if matches!(self, Change::Moved { .. }) {
                    Some(Change::Moved { text: new })
                } else if old == new {
                    None
                } else {
                    Some(Change::Changed {
                        spans: word_spans(&old, &new),
                    })
                }
            }
            (None, Some(new)) => Some(Change::Added { text: plain(&new) }),
            (Some(old), None) => Some(Change::Removed { text: plain(&old) }),
            (None, None) => None,
        }
    }
}

/// `[text](href)` in snapshot Markdown (text with `\[`/`\]` escapes).
static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)").expect("link pattern")
});

/// The links of a snapshot block: (text, href).
fn links_of(markdown: &str) -> Vec<(String, String)> {
    LINK.captures_iter(markdown)
        .map(|c| (unescape(&c[1]), c[2].to_string()))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("\\[", "[").replace("\\]", "]")
}

/// A snapshot block as a reader sees it: each link replaced by its text.
pub fn plain(markdown: &str) -> String {
    LINK.replace_all(markdown, |c: &regex::Captures<'_>| unescape(&c[1]))
        .into_owned()
}

/// The links whose target changed, and those that came or went, over all changes (each
/// once). A link whose text and target both stay is not listed, wherever it moved.
pub fn link_changes(changes: &[Change]) -> Vec<LinkChange> {
    let mut out: Vec<LinkChange> = Vec::new();
    let mut seen: HashSet<LinkChange> = HashSet::new();
    for change in changes {
        if matches!(change, Change::Moved { .. }) {
            continue;
        }
        let (old, new) = change.sides();
        let old = old.map(|t| links_of(&t)).unwrap_or_default();
        let new = new.map(|t| links_of(&t)).unwrap_or_default();
        let mut gone: Vec<&(String, String)> = old.iter().filter(|o| !new.contains(o)).collect();
        for n in new.iter().filter(|n| !old.contains(n)) {
            // The same text pointing elsewhere is a changed target, not a new link.
            let was = gone.iter().position(|(text, _)| *text == n.0);
            let lc = LinkChange {
                text: n.0.clone(),
                from: was.map(|i| gone.remove(i).1.clone()),
                to: Some(n.1.clone()),
            };
            if seen.insert(lc.clone()) {
                out.push(lc);
            }
        }
        for (text, href) in gone {
            let lc = LinkChange {
                text: text.clone(),
                from: Some(href.clone()),
                to: None,
            };
            if seen.insert(lc.clone()) {
                out.push(lc);
            }
        }
    }
    out
}

/// The blocks of a snapshot: its non-empty lines.
pub fn blocks(markdown: &str) -> Vec<&str> {
    markdown.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// The changes that turn `old` into `new` (both snapshot Markdown), in the new text's order.
pub fn diff(old: &str, new: &str) -> Vec<Change> {
    let old_blocks = blocks(old);
    let new_blocks = blocks(new);
    if old_blocks == new_blocks {
        return Vec::new();
    }
    // A page rewritten from top to bottom shares no block with its snapshot, where an exact
    // diff costs O(N·D): past the deadline the diff is approximate (still correct, less
    // minimal), so a hostile or rewritten page costs a bounded time.
    let kept: HashSet<&str> = old_blocks.iter().copied().collect();
    let common = new_blocks.iter().filter(|b| kept.contains(*b)).count();
    let size = old_blocks.len().max(new_blocks.len());
    let ops = if common == 0 || (size > REWRITE_MIN_BLOCKS && common * 10 < size) {
        // (Almost) nothing in common: the page was rewritten. Every block is taken as
        // replaced, which needs no search (an exact diff would cost O(N·D) here); blocks that
        // did stay are dropped again when the replaced ones are paired.
        vec![DiffOp::Replace {
            old_index: 0,
            old_len: old_blocks.len(),
            new_index: 0,
            new_len: new_blocks.len(),
        }]
    } else {
        similar::capture_diff_slices_deadline(
            Algorithm::Patience,
            &old_blocks,
            &new_blocks,
            Some(Instant::now() + BLOCK_DIFF_BUDGET),
        )
    };

    // First pass: raw removals and additions, pairing alike blocks of one replace into "changed".
    let mut changes: Vec<Change> = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => changes.extend(old_blocks[old_index..old_index + old_len].iter().map(|t| {
                Change::Removed {
                    text: t.to_string(),
                }
            })),
            DiffOp::Insert {
                new_index, new_len, ..
            } => changes.extend(new_blocks[new_index..new_index + new_len].iter().map(|t| {
                Change::Added {
                    text: t.to_string(),
                }
            })),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => pair_replaced(
                &old_blocks[old_index..old_index + old_len],
                &new_blocks[new_index..new_index + new_len],
                &mut changes,
            ),
        }
    }

    // Second pass: a removed block that comes back unchanged elsewhere has moved. Sets, not
    // scans: a page rewritten from top to bottom has thousands of changes.
    let removed: HashSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Removed { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let moved: HashSet<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Added { text } if removed.contains(text.as_str()) => Some(text.clone()),
            _ => None,
        })
        .collect();
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    for c in changes {
        match &c {
            Change::Removed { text } if moved.contains(text) => {}
            Change::Added { text } if moved.contains(text) => {
                out.push(Change::Moved { text: text.clone() })
            }
            _ => out.push(c),
        }
    }
    out
}

fn pair_replaced(old: &[&str], new: &[&str], out: &mut Vec<Change>) {
    let mut o = 0;
    let mut n = 0;
    while o < old.len() && n < new.len() {
        if old[o] == new[n] {
            // The same block on both sides is no change.
            o += 1;
            n += 1;
        } else if similarity(old[o], new[n]) >= PAIR_RATIO {
            out.push(Change::Changed {
                spans: word_spans(old[o], new[n]),
            });
            o += 1;
            n += 1;
        } else if old.len() - o > new.len() - n {
            out.push(Change::Removed {
                text: old[o].to_string(),
            });
            o += 1;
        } else {
            out.push(Change::Added {
                text: new[n].to_string(),
            });
            n += 1;
        }
    }
    out.extend(old[o..].iter().map(|t| Change::Removed {
        text: t.to_string(),
    }));
    out.extend(new[n..].iter().map(|t| Change::Added {
        text: t.to_string(),
    }));
}

fn similarity(a: &str, b: &str) -> f32 {
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(WORD_DIFF_BUDGET)
        .diff_words(a, b)
        .ratio()
}

/// Word-level spans of a changed block; neighbouring spans of one kind are merged.
pub fn word_spans(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(WORD_DIFF_BUDGET)
        .diff_words(old, new);
    let mut spans: Vec<Span> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => SpanOp::Equal,
            ChangeTag::Delete => SpanOp::Removed,
            ChangeTag::Insert => SpanOp::Added,
        };
        match spans.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => spans.push(Span {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    // Whitespace-only edits between runs read better inside the neighbouring equal text.
    spans.retain(|s| !(s.op != SpanOp::Equal && s.text.trim().is_empty()));
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if last.op == s.op => last.text.push_str(&s.text),
            _ => merged.push(s),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed_added(spans: &[Span]) -> (String, String) {
        let pick = |op| {
            spans
                .iter()
                .filter(|s| s.op == op)
                .map(|s| s.text.trim())
                .collect::<Vec<_>>()
                .join(" ")
        };
        (pick(SpanOp::Removed), pick(SpanOp::Added))
    }

    #[test]
    fn same_text_no_changes() {
        assert!(diff("a\n\nb\n", "a\n\nb\n").is_empty());
    }

    #[test]
    fn a_changed_word_is_shown_as_removed_and_added() {
        let c = diff(
            "# T\n\nWe keep your name and e-mail.\n",
            "# T\n\nWe keep your name, phone and e-mail.\n",
        );
        assert_eq!(c.len(), 1);
        let Change::Changed { spans } = &c[0] else {
            panic!("{c:?}")
        };
        let (removed, added) = removed_added(spans);
        assert_eq!(removed, "name");
        assert_eq!(added, "name, phone");
    }

    #[test]
    fn a_link_target_change_is_a_change() {
        let c = diff(
            "See [policy](https://a.example/old).\n",
            "See [policy](https://a.example/new).\n",
        );
        let Change::Changed { spans } = &c[0] else {
            panic!("{c:?}")
        };
        let (removed, added) = removed_added(spans);
        assert!(removed.contains("/old"), "{removed}");
        assert!(added.contains("/new"), "{added}");
    }

    #[test]
    fn added_removed_and_moved_blocks() {
        let old = "A first block of text.\n\nB second block.\n\nC third block here.\n";
        let new =
            "C third block here.\n\nA first block of text.\n\nB second block.\n\nD brand new.\n";
        let c = diff(old, new);
        assert!(
            c.contains(&Change::Moved {
                text: "C third block here.".into()
            }),
            "{c:?}"
        );
        assert!(
            c.contains(&Change::Added {
                text: "D brand new.".into()
            }),
            "{c:?}"
        );
        assert!(
            !c.iter().any(|x| matches!(x, Change::Removed { .. })),
            "{c:?}"
        );
    }

    #[test]
    fn unlike_blocks_are_removed_and_added() {
        let c = diff(
            "Totally different words here.\n",
            "Nothing alike at all, see?\n",
        );
        assert_eq!(c.len(), 2, "{c:?}");
    }

    #[test]
    fn a_changed_link_target_is_carried_as_data() {
        let old = "See the [Mixpanel privacy policy](https://mixpanel.com/privacy/) for more.\n";
        let new =
            "See the [Mixpanel privacy policy](https://mixpanel.com/legal/privacy/) for more.\n";
        let changes = diff(old, new);
        assert_eq!(
            link_changes(&changes),
            vec![LinkChange {
                text: "Mixpanel privacy policy".into(),
                from: Some("https://mixpanel.com/privacy/".into()),
                to: Some("https://mixpanel.com/legal/privacy/".into()),
            }]
        );
        // A reader sees no other change: the words are the same.
        assert_eq!(changes[0].as_read(), None);
    }

    #[test]
    fn links_that_come_and_go_and_text_read_without_link_syntax() {
        let old = "Ask [us](mailto:a@example.com) or write.\n";
        let new = "Ask [our office](https://example.com/contact) or write.\n";
        let changes = diff(old, new);
        let links = link_changes(&changes);
        assert!(links.contains(&LinkChange {
            text: "our office".into(),
            from: None,
            to: Some("https://example.com/contact".into())
        }));
        assert!(links.contains(&LinkChange {
            text: "us".into(),
            from: Some("mailto:a@example.com".into()),
            to: None
        }));
        let read = changes[0].as_read().expect("the words changed");
        let (before, after) = read.sides();
        assert_eq!(before.as_deref(), Some("Ask us or write."));
        assert_eq!(after.as_deref(), Some("Ask our office or write."));
    }

    #[test]
    fn a_rewritten_page_reports_every_changed_block_and_no_unchanged_one() {
        let page = |rev: &str| {
            let mut s = String::from("# Privacy policy\n");
            for i in 0..1500 {
                s.push_str(&format!(
                    "Paragraph {i} of the policy, revision {rev}, says what we keep.\n"
                ));
            }
            s.push_str("Contact: privacy@example.com\n");
            s
        };
        let changes = diff(&page("one"), &page("two"));
        assert_eq!(changes.len(), 1500, "one change per rewritten paragraph");
        for c in &changes {
            let (before, after) = c.sides();
            assert_ne!(before, after, "an unchanged block is no change: {c:?}");
            assert!(!format!("{c:?}").contains("Contact:"), "{c:?}");
        }
    }
}
