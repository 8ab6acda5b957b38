//! Block-level changes between two snapshots (added, removed, changed, moved), with word-level
//! detail inside changed blocks; built on `similar`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp};

/// How long the block diff of one page may search for the smallest diff.
const BLOCK_DIFF_BUDGET: Duration = Duration::from_millis(300);
/// A page with more blocks than this that keeps less than a tenth of them was rewritten.
const REWRITE_MIN_BLOCKS: usize = 1_000;
/// How long the word diff of one block may search for the smallest diff.
const WORD_DIFF_BUDGET: Duration = Duration::from_millis(100);
/// How long the word detail of all changed blocks of one page may take; past it, a changed
/// block is shown by its changed middle, which costs linear time.
const WORDS_PAGE_BUDGET: Duration = Duration::from_millis(500);

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
        // Words, not punctuation: ", phone number" is two words.
        let words = |s: &str| {
            s.split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count()
        };
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

    /// Whether a side of the change can hold a link: a link starts with `[`.
    fn may_hold_link(&self) -> bool {
        match self {
            Change::Added { text } | Change::Removed { text } | Change::Moved { text } => {
                text.contains('[')
            }
            Change::Changed { spans } => spans.iter().any(|s| s.text.contains('[')),
        }
    }

    /// Whether only where links point changed: a reader sees the same words, and the links
    /// list tells the change ([`link_changes`]).
    pub fn only_link_targets(&self) -> bool {
        if !matches!(self, Change::Changed { .. }) || !self.may_hold_link() {
            return false;
        }
        match self.sides() {
            (Some(old), Some(new)) => {
                (LINK.is_match(&old) || LINK.is_match(&new)) && plain(&old) == plain(&new)
            }
            _ => false,
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
    if !markdown.contains('[') {
        return markdown.to_string();
    }
    LINK.replace_all(markdown, |c: &regex::Captures<'_>| unescape(&c[1]))
        .into_owned()
}

/// The links whose target changed, and those that came or went, over all changes (each
/// once). A link whose text and target both stay is not listed, wherever it moved.
pub fn link_changes(changes: &[Change]) -> Vec<LinkChange> {
    let mut out: Vec<LinkChange> = Vec::new();
    let mut seen: HashSet<LinkChange> = HashSet::new();
    for change in changes {
        if matches!(change, Change::Moved { .. }) || !change.may_hold_link() {
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
///
/// Its cost is near-linear in the size of the two texts, whatever their shape: the block
/// diff and the word detail of the changed blocks each have a time budget per page, past
/// which the diff is coarser (blocks replaced whole, a changed block shown by its changed
/// middle) but still correct: every change is reported, and no unchanged block.
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
    let budget = Budget::new(WORDS_PAGE_BUDGET);
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
                &budget,
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

/// The time the word detail of one page may take in all.
struct Budget {
    until: Instant,
}

impl Budget {
    fn new(time: Duration) -> Self {
        Budget {
            until: Instant::now() + time,
        }
    }

    /// The deadline of one block's search: its own limit, or the page's, whichever is first.
    fn deadline(&self) -> Option<Instant> {
        let now = Instant::now();
        (now < self.until).then(|| self.until.min(now + WORD_DIFF_BUDGET))
    }
}

/// The tokens of one block, kept while the pairing walk stays on it: each block is cut into
/// tokens once, however many blocks of the other side it is compared with.
struct Cached<'a> {
    index: usize,
    tokens: Vec<&'a str>,
}

impl<'a> Cached<'a> {
    fn new() -> Self {
        Cached {
            index: usize::MAX,
            tokens: Vec::new(),
        }
    }

    fn get(&mut self, index: usize, text: &'a str) -> &[&'a str] {
        if self.index != index {
            self.index = index;
            self.tokens = tokens(text);
        }
        &self.tokens
    }
}

fn pair_replaced(old: &[&str], new: &[&str], out: &mut Vec<Change>, budget: &Budget) {
    let mut o = 0;
    let mut n = 0;
    let (mut old_tokens, mut new_tokens) = (Cached::new(), Cached::new());
    while o < old.len() && n < new.len() {
        if old[o] == new[n] {
            // The same block on both sides is no change.
            o += 1;
            n += 1;
            continue;
        }
        let a = old_tokens.get(o, old[o]);
        let b = new_tokens.get(n, new[n]);
        if alike(a, b, budget) {
            out.push(Change::Changed {
                spans: token_spans(old[o], a, new[n], b, budget),
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

/// Whether two blocks share at least [`PAIR_RATIO`] of their tokens (as `similar`'s ratio:
/// twice the matched tokens over all tokens). Cheap bounds first: most pairs are decided by
/// their sizes or by what their start and end share, without a search.
fn alike(a: &[&str], b: &[&str], budget: &Budget) -> bool {
    let total = a.len() + b.len();
    if total == 0 {
        return true;
    }
    let ratio = |matched: usize| 2.0 * matched as f32 / total as f32;
    if ratio(a.len().min(b.len())) < PAIR_RATIO {
        return false;
    }
    let (prefix, suffix) = common_ends(a, b);
    if ratio(prefix + suffix) >= PAIR_RATIO {
        return true;
    }
    let Some(deadline) = budget.deadline() else {
        // Out of time: what the ends share decides.
        return false;
    };
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let matched: usize =
        similar::capture_diff_slices_deadline(Algorithm::Myers, a_mid, b_mid, Some(deadline))
            .iter()
            .map(|op| match op {
                DiffOp::Equal { len, .. } => *len,
                _ => 0,
            })
            .sum();
    ratio(prefix + suffix + matched) >= PAIR_RATIO
}

/// How many tokens two sequences share at their start, and then at their end.
fn common_ends(a: &[&str], b: &[&str]) -> (usize, usize) {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (prefix, suffix)
}

/// A text cut for the word diff: runs of letters and digits, runs of whitespace, a URL
/// whole (`https://…`, `mailto:…`, up to a space, `)`, `]` or `>` and without the sentence's
/// closing punctuation), and every other character alone. Punctuation is thus a change of
/// its own: inserting ", phone number" after "e-mail" leaves "e-mail" unchanged.
fn tokens(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 3 + 1);
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().expect("not at the end");
        let len = if c.is_whitespace() {
            run(rest, char::is_whitespace)
        } else if starts_url(rest) && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '<'))
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
            url.len().max(c.len_utf8())
        } else if c.is_alphanumeric() {
            run(rest, char::is_alphanumeric)
        } else {
            c.len_utf8()
        };
        out.push(&text[i..i + len]);
        i += len;
    }
    out
}

/// The length in bytes of the run of characters at the start of `text` that `keep` accepts.
fn run(text: &str, keep: fn(char) -> bool) -> usize {
    text.find(|c: char| !keep(c)).unwrap_or(text.len())
}

fn starts_url(text: &str) -> bool {
    ["https://", "http://", "mailto:"].iter().any(|scheme| {
        text.as_bytes()
            .get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme.as_bytes()))
    })
}

/// Word-level spans of a changed block: words and punctuation are compared separately, then
/// neighbouring runs are merged (see `token_spans`).
pub fn word_spans(old: &str, new: &str) -> Vec<Span> {
    let (a, b) = (tokens(old), tokens(new));
    token_spans(old, &a, new, &b, &Budget::new(WORD_DIFF_BUDGET))
}

/// Where a token of `text` starts, in bytes.
fn offset(text: &str, token: &str) -> usize {
    token.as_ptr() as usize - text.as_ptr() as usize
}

/// The text a range of tokens covers.
fn covered<'a>(text: &'a str, tokens: &[&str], from: usize, to: usize) -> &'a str {
    if from >= to {
        return "";
    }
    let start = offset(text, tokens[from]);
    let last = tokens[to - 1];
    &text[start..offset(text, last) + last.len()]
}

/// The spans of a changed block from its tokens. The common start and end need no search;
/// the middle is diffed (patience) within the block's and the page's time, else shown as
/// removed and added whole. Then runs are merged so that they read as the change does:
/// whitespace replaced by whitespace is equal text, and the punctuation or space left equal
/// between two replacements joins them (`[-data-protection-]{+privacy-team+}`, not
/// four pieces around a hyphen).
fn token_spans(old: &str, a: &[&str], new: &str, b: &[&str], budget: &Budget) -> Vec<Span> {
    let (prefix, suffix) = common_ends(a, b);
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    let mut raw: Vec<(SpanOp, &str)> = Vec::new();
    raw.push((SpanOp::Equal, covered(old, a, 0, prefix)));
    let middle = match budget.deadline() {
        Some(deadline) if prefix < a_end && prefix < b_end => {
            similar::capture_diff_slices_deadline(
                Algorithm::Patience,
                &a[prefix..a_end],
                &b[prefix..b_end],
                Some(deadline),
            )
        }
        _ => vec![DiffOp::Replace {
            old_index: 0,
            old_len: a_end - prefix,
            new_index: 0,
            new_len: b_end - prefix,
        }],
    };
    for op in middle {
        let (o, n) = (op.old_range(), op.new_range());
        let (o, n) = (
            o.start + prefix..o.end + prefix,
            n.start + prefix..n.end + prefix,
        );
        match op {
            DiffOp::Equal { .. } => raw.push((SpanOp::Equal, covered(old, a, o.start, o.end))),
            _ => {
                raw.push((SpanOp::Removed, covered(old, a, o.start, o.end)));
                raw.push((SpanOp::Added, covered(new, b, n.start, n.end)));
            }
        }
    }
    raw.push((SpanOp::Equal, covered(old, a, a_end, a.len())));
    raw.retain(|(_, t)| !t.is_empty());
    // Whitespace replaced by whitespace reads better as the equal text it is (a space that
    // came or went alone stays a change: both sides must still read as they do).
    for i in 1..raw.len() {
        let (a, b) = (raw[i - 1], raw[i]);
        if a.0 == SpanOp::Removed
            && b.0 == SpanOp::Added
            && a.1.trim().is_empty()
            && b.1.trim().is_empty()
        {
            raw[i - 1] = (SpanOp::Removed, "");
            raw[i] = (SpanOp::Equal, b.1);
        }
    }
    raw.retain(|(_, t)| !t.is_empty());
    merge_runs(&raw)
}

/// Merges raw runs: equal text that holds no letter or digit between two replacements becomes
/// part of both sides of one change; the removed and added text of neighbouring changes are joined
/// (removed first); equal runs in a row are one.
fn merge_runs(raw: &[(SpanOp, &str)]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let (op, text) = raw[i];
        if op == SpanOp::Equal {
            match spans.last_mut() {
                Some(last) if last.op == SpanOp::Equal => last.text.push_str(text),
                _ => spans.push(Span {
                    op,
                    text: text.to_string(),
                }),
            }
            i += 1;
            continue;
        }
        // A change: gather it with every later change that only punctuation separates.
        let (mut removed, mut added) = (String::new(), String::new());
        let mut j = i;
        loop {
            while j < raw.len() && raw[j].0 != SpanOp::Equal {
                match raw[j].0 {
                    SpanOp::Removed => removed.push_str(raw[j].1),
                    _ => added.push_str(raw[j].1),
                }
                j += 1;
            }
            // Only replacements join (a word changed, a hyphen, another word changed): an
            // insertion next to punctuation stays an insertion.
            let joins = j + 1 < raw.len()
                && !removed.is_empty()
                && !added.is_empty()
                && !raw[j].1.chars().any(char::is_alphanumeric)
                && raw[j + 1].0 == SpanOp::Removed
                && raw.get(j + 2).is_some_and(|next| next.0 == SpanOp::Added);
            if !joins {
                break;
            }
            removed.push_str(raw[j].1);
            added.push_str(raw[j].1);
            j += 1;
        }
        for (op, text) in [(SpanOp::Removed, removed), (SpanOp::Added, added)] {
            if !text.is_empty() {
                spans.push(Span { op, text });
            }
        }
        i = j;
    }
    spans
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
        // Words and punctuation are compared apart: "name" stays, ", phone" is added.
        let (removed, added) = removed_added(spans);
        assert_eq!(removed, "");
        assert_eq!(added, ", phone");
    }

    fn marked(spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| match s.op {
                SpanOp::Equal => s.text.clone(),
                SpanOp::Removed => format!("[-{}-]", s.text),
                SpanOp::Added => format!("{{+{}+}}", s.text),
            })
            .collect()
    }

    #[test]
    fn punctuation_is_diffed_apart_from_words_and_runs_are_merged() {
        let spans = word_spans(
            "profile data such as name, e-mail and timestamp",
            "profile data such as name, e-mail, phone number and timestamp",
        );
        assert_eq!(
            marked(&spans),
            "profile data such as name, e-mail{+, phone number+} and timestamp"
        );
        // A deleted list tail is a deletion, not a replacement.
        let spans = word_spans("We keep name, e-mail, phone.", "We keep name, e-mail.");
        assert_eq!(marked(&spans), "We keep name, e-mail[-, phone-].");
        // Changes that only a hyphen or a space separates read as one.
        let spans = word_spans(
            "Ask our data-protection officer.",
            "Ask our privacy-team officer.",
        );
        assert_eq!(
            marked(&spans),
            "Ask our [-data-protection-]{+privacy-team+} officer."
        );
    }

    #[test]
    fn a_url_is_one_token_without_the_sentence_full_stop() {
        assert_eq!(
            tokens("see https://a.example/x?y=1."),
            vec!["see", " ", "https://a.example/x?y=1", "."]
        );
        assert_eq!(
            tokens("[us](mailto:a@b.example)"),
            vec!["[", "us", "]", "(", "mailto:a@b.example", ")"]
        );
        let spans = word_spans(
            "See https://a.example/old for more.",
            "See https://a.example/new for more.",
        );
        assert_eq!(
            marked(&spans),
            "See [-https://a.example/old-]{+https://a.example/new+} for more."
        );
    }

    #[test]
    fn spans_rebuild_both_sides() {
        let old = "Wir speichern Ihre Daten 30 Tage (siehe §4).";
        let new = "Wir speichern Ihre Daten 90 Tage, siehe §5.";
        let c = Change::Changed {
            spans: word_spans(old, new),
        };
        assert_eq!(c.sides(), (Some(old.to_string()), Some(new.to_string())));
        assert_eq!(c.word_counts(), (2, 2), "{c:?}");
    }

    #[test]
    fn one_huge_token_against_many_short_blocks_is_paired_in_linear_time() {
        // One block of a single 1 MB token, replaced by 50,000 short blocks: each short block
        // used to be compared with the whole token, re-cut into words every time.
        let old = format!("{}\n", "x".repeat(1_000_000));
        let new: String = (0..50_000).map(|i| format!("b{i}\n\n")).collect();
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 50_001);
        assert!(
            matches!(changes.last(), Some(Change::Removed { .. }))
                || matches!(changes.first(), Some(Change::Removed { .. }))
        );
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
