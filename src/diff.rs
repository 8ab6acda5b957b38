//! Block-level changes between two snapshots (added, removed, changed, moved), with word-level
//! detail inside changed blocks; built on `similar`.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

/// Two blocks at least this alike (0..1) count as one changed block rather than remove + add.
const PAIR_RATIO: f32 = 0.5;

/// One piece of a changed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub op: SpanOp,
    pub text: String,
}

/// What happened to a span of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanOp {
    Equal,
    Removed,
    Added,
}

/// A change of one block. Block text is the block's snapshot Markdown line, so a changed link
/// target is a changed word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    let ops = similar::capture_diff_slices(Algorithm::Patience, &old_blocks, &new_blocks);

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

    // Second pass: a removed block that comes back unchanged elsewhere has moved.
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    let mut moved: Vec<String> = Vec::new();
    for c in &changes {
        if let Change::Added { text } = c {
            let came_back = changes
                .iter()
                .any(|o| matches!(o, Change::Removed { text: r } if r == text));
            if came_back && !moved.contains(text) {
                moved.push(text.clone());
            }
        }
    }
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
        if similarity(old[o], new[n]) >= PAIR_RATIO {
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
        .diff_words(a, b)
        .ratio()
}

/// Word-level spans of a changed block; neighbouring spans of one kind are merged.
pub fn word_spans(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
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
}
