//! Sections: a heading added, removed or renamed. A heading that only moved, was renumbered or
//! changed case is no fact.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{text::squash, Fact, FactChange, FactKind, Version};
use crate::diff::{plain, Change};

/// `## 4.2 Title` → `Title`: the heading's level marks and leading numbering.
static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:#+\s*)?(?:(?:[0-9]+|[ivxlc]+|[a-z])(?:[.)]|(?:\.[0-9]+)+\.?)\s+|§\s*[0-9]+\s*)?",
    )
    .expect("numbering pattern")
});

/// A heading's text without its Markdown marks (`None` for a block that is no heading).
fn heading(markdown: &str) -> Option<String> {
    let t = markdown.trim_start();
    t.starts_with('#')
        .then(|| plain(t.trim_start_matches('#').trim()))
        .filter(|h| !h.is_empty())
}

/// What makes two headings the same: the words without numbering, case or punctuation.
fn key(h: &str) -> String {
    squash(&NUMBERING.replace(&h.to_lowercase(), ""))
}

fn headings(v: &Version) -> HashSet<String> {
    v.blocks
        .iter()
        .filter(|b| b.starts_with('#'))
        .filter_map(|b| heading(b))
        .map(|h| key(&h))
        .collect()
}

pub(super) fn facts(changes: &[Change], old: &Version, new: &Version) -> Vec<Fact> {
    let old_h = headings(old);
    let new_h = headings(new);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for c in changes {
        if matches!(c, Change::Moved { .. }) {
            continue;
        }
        let (b, a) = c.sides();
        let (b, a) = (
            b.as_deref().and_then(heading),
            a.as_deref().and_then(heading),
        );
        let fact = match (b, a) {
            (Some(b), Some(a)) if key(&b) != key(&a) => {
                let (kb, ka) = (key(&b), key(&a));
                match (new_h.contains(&kb), old_h.contains(&ka)) {
                    // The old title is still there and the new one was elsewhere: no rename.
                    (true, true) => None,
                    (true, false) => Some((FactChange::Added, None, Some(a))),
                    (false, true) => Some((FactChange::Removed, Some(b), None)),
                    (false, false) => Some((FactChange::Changed, Some(b), Some(a))),
                }
            }
            (None, Some(a)) if !old_h.contains(&key(&a)) => {
                Some((FactChange::Added, None, Some(a)))
            }
            (Some(b), None) if !new_h.contains(&key(&b)) => {
                Some((FactChange::Removed, Some(b), None))
            }
            _ => None,
        };
        if let Some((change, before, after)) = fact {
            if key(before.as_deref().or(after.as_deref()).unwrap_or("")).is_empty() {
                continue;
            }
            if seen.insert((before.clone(), after.clone())) {
                out.push(Fact {
                    kind: FactKind::Section,
                    change,
                    context: after.clone().or(before.clone()),
                    before,
                    after,
                    about: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;

    fn said(old: &str, new: &str) -> Vec<(FactChange, Option<String>, Option<String>)> {
        facts(&diff(old, new), &Version::new(old), &Version::new(new))
            .into_iter()
            .map(|f| (f.change, f.before, f.after))
            .collect()
    }

    #[test]
    fn headings_added_removed_and_renamed() {
        let old = "# Policy\n\n## Cookies\n\nWe use cookies.\n\n## Contact\n\nWrite to us.\n";
        let new = "# Policy\n\n## Cookies and tracking\n\nWe use cookies.\n\n## EU Representative\n\nOur representative.\n\n## Contact\n\nWrite to us.\n";
        let got = said(old, new);
        assert!(
            got.contains(&(
                FactChange::Changed,
                Some("Cookies".into()),
                Some("Cookies and tracking".into())
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&(FactChange::Added, None, Some("EU Representative".into()))),
            "{got:?}"
        );
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn renumbered_or_relevelled_headings_are_no_fact() {
        assert!(said("## 5. Cookies\n\ntext\n", "## 6. Cookies\n\ntext\n").is_empty());
        assert!(said("### Datenschutz\n\ntext\n", "## Datenschutz\n\ntext\n").is_empty());
        assert!(said(
            "## Publisher of the Platform\n",
            "## Publisher of the platform\n"
        )
        .is_empty());
    }
}
