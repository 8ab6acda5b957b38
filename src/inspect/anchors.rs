//! Links a reader cannot see or cannot follow, each quoted in the sentence around it with
//! its place marked.

use url::Url;

use super::{Finding, FindingKind, Page};
use crate::extract::{Block, Inline, Link};

/// Words of a sentence shown before and after a link at most; longer sentences are cut.
const MAX_WORDS: usize = 12;
/// Words kept when a sentence has to be cut and no clause boundary helps.
const CUT_WORDS: usize = 8;

/// Why a reader cannot follow a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HrefProblem {
    /// No `href` attribute at all.
    Missing,
    /// `href=""`.
    Empty,
    /// `href="#"`.
    Hash,
    /// `href="javascript:…"`.
    Javascript,
}

impl HrefProblem {
    /// A short name, used in finding ids.
    fn key(self) -> &'static str {
        match self {
            HrefProblem::Missing => "no-href",
            HrefProblem::Empty => "empty-href",
            HrefProblem::Hash => "hash-href",
            HrefProblem::Javascript => "javascript-href",
        }
    }

    /// How the marker in a quote shows it.
    fn short(self) -> &'static str {
        match self {
            HrefProblem::Missing => "no href",
            HrefProblem::Empty => "empty href",
            HrefProblem::Hash => "href=\"#\"",
            HrefProblem::Javascript => "javascript: href",
        }
    }

    /// How a message says it.
    fn says(self) -> &'static str {
        match self {
            HrefProblem::Missing => "has no href",
            HrefProblem::Empty => "has an empty href",
            HrefProblem::Hash => "points only to \"#\"",
            HrefProblem::Javascript => "runs javascript: instead of linking",
        }
    }
}

/// What is wrong with an `href`, if anything.
pub fn href_problem(href: Option<&str>) -> Option<HrefProblem> {
    let Some(href) = href else {
        return Some(HrefProblem::Missing);
    };
    // Browsers ignore tabs and line breaks anywhere in a URL, and spaces around it.
    let cleaned: String = href
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if cleaned.is_empty() {
        Some(HrefProblem::Empty)
    } else if cleaned == "#" {
        Some(HrefProblem::Hash)
    } else if cleaned
        .get(..11)
        .is_some_and(|s| s.eq_ignore_ascii_case("javascript:"))
    {
        Some(HrefProblem::Javascript)
    } else {
        None
    }
}

/// A link a reader cannot see or cannot follow, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyLink {
    /// Index of its block.
    pub block: usize,
    /// Index of the link among its block's inlines.
    pub inline: usize,
    /// It shows no text (an image's alt text counts as text).
    pub no_text: bool,
    /// Why it cannot be followed, if it cannot.
    pub href: Option<HrefProblem>,
}

impl EmptyLink {
    /// The link itself.
    pub fn link<'b>(&self, blocks: &'b [Block]) -> Option<&'b Link> {
        match blocks.get(self.block)?.inlines.get(self.inline)? {
            Inline::Link(l) => Some(l),
            Inline::Text { .. } => None,
        }
    }

    /// Where it points, when it points somewhere.
    pub fn url(&self, blocks: &[Block]) -> Option<Url> {
        if self.href.is_some() {
            return None;
        }
        self.link(blocks)?
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }

    /// What the finding id is built from: the target URL, or the kind of bad href.
    fn key(&self, blocks: &[Block]) -> String {
        match (self.href, self.link(blocks)) {
            (Some(p), _) => p.key().to_string(),
            (None, Some(l)) => l.url.clone().or_else(|| l.href.clone()).unwrap_or_default(),
            (None, None) => String::new(),
        }
    }

    /// The marker that stands in the quote where the link is.
    pub fn marker(&self, blocks: &[Block]) -> String {
        let link = self.link(blocks);
        let text = link.map(|l| l.text.as_str()).unwrap_or("");
        match (self.no_text, self.href) {
            (true, None) => {
                let target = link
                    .and_then(|l| l.url.as_deref().or(l.href.as_deref()))
                    .unwrap_or("");
                format!("[⟨empty link → {target}⟩]")
            }
            (true, Some(p)) => format!("[⟨empty link, {}⟩]", p.short()),
            (false, Some(p)) => format!("[{text} ⟨{}⟩]", p.short()),
            (false, None) => format!("[{text}]"),
        }
    }
}

/// Every link in `blocks` that a reader cannot see or cannot follow, in page order.
pub fn find(blocks: &[Block]) -> Vec<EmptyLink> {
    let mut out = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        for (i, inline) in block.inlines.iter().enumerate() {
            let Inline::Link(link) = inline else {
                continue;
            };
            let no_text = link.text.trim().is_empty();
            let href = href_problem(link.href.as_deref());
            if no_text || href.is_some() {
                out.push(EmptyLink {
                    block: b,
                    inline: i,
                    no_text,
                    href,
                });
            }
        }
    }
    out
}

/// For each empty link, how many empty links with the same key (target URL or kind of bad
/// href) come before it, plus one: with the key it makes an id that does not change when
/// unrelated text changes, and that tells two empty links to the same URL apart.
pub fn ordinals(empties: &[EmptyLink], blocks: &[Block]) -> Vec<usize> {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    empties
        .iter()
        .map(|e| {
            let n = counts.entry(e.key(blocks)).or_default();
            *n += 1;
            *n
        })
        .collect()
}

/// The finding for one empty link. `shown_in` names the section of another language that
/// shows the same link visibly, when there is one.
pub fn finding(
    page: &Page<'_>,
    empty: &EmptyLink,
    ordinal: usize,
    shown_in: Option<&str>,
) -> Finding {
    let blocks = page.blocks();
    let link = empty.link(blocks);
    let text = link.map(|l| l.text.trim()).unwrap_or("");
    let place = page.section_phrase(empty.block);
    let mut message = match (empty.no_text, empty.href) {
        (true, None) => format!(
            "Empty link{place}: it points to {}, but a reader sees nothing there",
            link.and_then(|l| l.url.as_deref().or(l.href.as_deref()))
                .unwrap_or("?")
        ),
        (true, Some(p)) => format!(
            "Empty link{place}: it shows no text and {}, so a reader can neither see nor follow it",
            p.says()
        ),
        (false, Some(p)) => format!(
            "Link “{text}”{place} {}, so a reader cannot follow it",
            p.says()
        ),
        (false, None) => format!("Link “{text}”{place}"),
    };
    if let Some(other) = shown_in {
        message.push_str(&format!(" ({other} shows this link)"));
    }
    Finding {
        id: format!(
            "empty-link:{}:{}:{ordinal}",
            page.target.id,
            empty.key(blocks)
        ),
        kind: FindingKind::EmptyLink,
        message,
        context: page.quote(empty.block, empty.inline, &empty.marker(blocks)),
        url: link.and_then(|l| l.url.clone().or_else(|| l.href.clone())),
        section: page.section_label(empty.block),
    }
}

/// The sentence around the link at `inline` in `block`, with `marker` in the link's place.
/// Long sentences are cut at a clause boundary or to a few words, marked with `…`.
///
/// `"…erfahren Sie in der Privacy Policy auf [⟨empty link → https://www.appcues.com/privacy⟩]."`
pub fn quote(block: &Block, inline: usize, marker: &str) -> String {
    let mut before = String::new();
    let mut after = String::new();
    for (i, il) in block.inlines.iter().enumerate() {
        let text = match il {
            Inline::Text { text } => text.as_str(),
            Inline::Link(l) => l.text.as_str(),
        };
        if i < inline {
            before.push_str(text);
        } else if i > inline {
            after.push_str(text);
        }
    }

    let lead = before[sentence_start(&before)..].trim();
    let (lead, cut_lead) = shorten_lead(lead);
    let tail = after[..sentence_end(&after)].trim_end();
    let (tail, cut_tail) = shorten_tail(tail);

    let mut out = String::new();
    if cut_lead {
        out.push('…');
    }
    out.push_str(lead);
    if out
        .chars()
        .last()
        .is_some_and(|c| c != '…' && !"([{„“\"'‘/".contains(c))
    {
        out.push(' ');
    }
    out.push_str(marker);
    let trimmed = tail.trim_start();
    let spaced = tail.starts_with(char::is_whitespace)
        || trimmed
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || "([{„“".contains(c));
    if spaced && !trimmed.is_empty() {
        out.push(' ');
    }
    out.push_str(trimmed);
    if cut_tail {
        out.push('…');
    }
    out
}

/// Words that end in a full stop without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "abs", "art", "bzw", "ca", "co", "corp", "dr", "etc", "evtl", "ff", "ggf", "inc", "insb",
    "lit", "ltd", "mio", "mr", "mrs", "ms", "no", "nr", "para", "prof", "sec", "sog", "st", "str",
    "usw", "vgl", "vs", "zzgl",
];

/// Whether the word that ends at byte `dot` (the full stop itself) is an abbreviation.
fn is_abbreviation(text: &str, dot: usize) -> bool {
    let word_start = text[..dot]
        .rfind(char::is_whitespace)
        .map(|i| i + text[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let word = text[word_start..dot]
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if word.is_empty() {
        return false;
    }
    word.chars().count() == 1
        || word.contains('.')
        || (word.chars().all(|c| c.is_ascii_digit()) && word.len() <= 2)
        || ABBREVIATIONS.contains(&word.as_str())
}

/// Byte offsets just after each sentence end in `text`, with the index of the next sentence's
/// first character (or `text.len()` at the end).
fn sentence_ends(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if !matches!(c, '.' | '!' | '?') {
            k += 1;
            continue;
        }
        // Closing quotes and brackets belong to the sentence they end.
        let mut j = k + 1;
        while j < chars.len() && "\"'”’)]»".contains(chars[j].1) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        let mut n = j;
        while n < chars.len() && chars[n].1.is_whitespace() {
            n += 1;
        }
        let abbreviation = c == '.' && is_abbreviation(text, pos);
        // No space after it: "Abs.1", "example.com", or a link right after it.
        let spaced = n > j;
        let boundary = match chars.get(n).map(|&(_, c)| c) {
            None => spaced && !abbreviation,
            Some(next) => {
                spaced && !abbreviation && (next.is_uppercase() || "\"„“'‘(".contains(next))
            }
        };
        if boundary {
            out.push((end, chars.get(n).map_or(text.len(), |&(p, _)| p)));
        }
        k = j.max(k + 1);
    }
    out
}

/// Where the sentence that runs into the end of `before` starts.
fn sentence_start(before: &str) -> usize {
    sentence_ends(before)
        .into_iter()
        .rev()
        .find(|&(_, next)| next < before.len())
        .map_or(0, |(_, next)| next)
}

/// Where the sentence that starts `after` ends (after its closing punctuation).
fn sentence_end(after: &str) -> usize {
    sentence_ends(after)
        .first()
        .map_or(after.len(), |&(end, _)| end)
}

/// Byte offsets where each word of `s` starts.
fn word_starts(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        if !c.is_whitespace() && prev_space {
            out.push(i);
        }
        prev_space = c.is_whitespace();
    }
    out
}

/// The end of a sentence before a link: whole when short, else from the last clause that
/// has a few words, else its last words.
fn shorten_lead(lead: &str) -> (&str, bool) {
    let starts = word_starts(lead);
    if starts.len() <= MAX_WORDS {
        return (lead, false);
    }
    for (i, _) in lead
        .match_indices([',', ';', ':'])
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let rest = lead[i + 1..].trim_start();
        let words = word_starts(rest).len();
        if words >= 3 {
            if words <= MAX_WORDS {
                return (rest, true);
            }
            break;
        }
    }
    (&lead[starts[starts.len() - CUT_WORDS]..], true)
}

/// The rest of a sentence after a link: whole when short, else its first words.
fn shorten_tail(tail: &str) -> (&str, bool) {
    let starts = word_starts(tail);
    if starts.len() <= MAX_WORDS {
        return (tail, false);
    }
    (tail[..starts[CUT_WORDS]].trim_end(), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::BlockKind;

    fn text(t: &str) -> Inline {
        Inline::Text { text: t.into() }
    }

    fn link(t: &str, href: Option<&str>) -> Inline {
        Inline::Link(Link {
            text: t.into(),
            href: href.map(str::to_string),
            url: href.map(str::to_string),
        })
    }

    fn para(inlines: Vec<Inline>) -> Block {
        Block {
            kind: BlockKind::Paragraph,
            inlines,
        }
    }

    #[test]
    fn german_appcues_sentence_is_cut_at_its_last_clause() {
        let b = para(vec![
            text("Wir haben mit Appcues datenschutzrechtliche Verträge geschlossen, damit die Sicherheit Ihrer Daten stets gewährleitet ist. Mehr Informationen zu den Standardvertragsklauseln und über die Daten, die durch die Verwendung von Appcues verarbeitet werden, erfahren Sie in der Privacy Policy auf"),
            link("", Some("https://www.appcues.com/privacy")),
            text(". Ihre Daten werden gespeichert, solange Sie im Rahmen der Vertragsbeziehung notwendig sind."),
        ]);
        let e = &find(std::slice::from_ref(&b))[0];
        assert_eq!(
            quote(&b, 1, &e.marker(std::slice::from_ref(&b))),
            "…erfahren Sie in der Privacy Policy auf [⟨empty link → https://www.appcues.com/privacy⟩]."
        );
    }

    #[test]
    fn german_mixpanel_sentence_is_quoted_whole() {
        let b = para(vec![
            text("Weitere Informationen des Drittanbieters zum Datenschutz können Sie der nachfolgenden Webseite entnehmen: "),
            link("", Some("https://mixpanel.com/privacy/")),
            text(". Wir löschen Ihre Daten, sobald sie nicht mehr benötigt werden."),
        ]);
        assert_eq!(
            quote(&b, 1, "[⟨empty link → https://mixpanel.com/privacy/⟩]"),
            "Weitere Informationen des Drittanbieters zum Datenschutz können Sie der nachfolgenden Webseite entnehmen: [⟨empty link → https://mixpanel.com/privacy/⟩]."
        );
    }

    #[test]
    fn abbreviations_do_not_end_a_sentence() {
        let b = para(vec![
            text("Rechtsgrundlage ist Art. 6 Abs. 1 lit. f) DSGVO, siehe"),
            link("hier", Some("https://a.example/")),
            text(" und Dr. Müller. Next sentence."),
        ]);
        assert_eq!(
            quote(&b, 1, "[hier]"),
            "Rechtsgrundlage ist Art. 6 Abs. 1 lit. f) DSGVO, siehe [hier] und Dr. Müller."
        );
    }

    #[test]
    fn long_tails_are_cut_and_links_at_the_start_need_no_space() {
        let b = para(vec![
            link("Click", Some("#")),
            text(" here to read one two three four five six seven eight nine ten eleven twelve thirteen."),
        ]);
        assert_eq!(
            quote(&b, 0, "[Click ⟨href=\"#\"⟩]"),
            "[Click ⟨href=\"#\"⟩] here to read one two three four five…"
        );
    }

    #[test]
    fn bad_hrefs_are_recognised() {
        assert_eq!(href_problem(None), Some(HrefProblem::Missing));
        assert_eq!(href_problem(Some("  ")), Some(HrefProblem::Empty));
        assert_eq!(href_problem(Some("#")), Some(HrefProblem::Hash));
        assert_eq!(
            href_problem(Some(" Java\tScript:void(0)")),
            Some(HrefProblem::Javascript)
        );
        assert_eq!(href_problem(Some("#top")), None);
        assert_eq!(href_problem(Some("https://x.example/")), None);
    }

    #[test]
    fn two_empty_links_to_one_url_get_different_ordinals() {
        let blocks = vec![
            para(vec![text("A "), link("", Some("https://x.example/p"))]),
            para(vec![text("B "), link("", Some("https://x.example/p"))]),
            para(vec![text("C "), link("ok", None)]),
        ];
        let empties = find(&blocks);
        assert_eq!(empties.len(), 3);
        assert_eq!(ordinals(&empties, &blocks), vec![1, 2, 1]);
    }
}
