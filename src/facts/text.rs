//! Text helpers the fact rules share: the sentence around a mention, word search, case, and
//! patterns with word boundaries that stay fast on non-ASCII text.

use regex::Regex;

/// A context sentence is cut to about this many characters around its mention.
const CONTEXT_CHARS: usize = 240;

/// A pattern with word boundaries (`\b`), gated by the same pattern without them.
///
/// Unicode word boundaries are what the regex crate's fast engine cannot decide on text with a
/// non-ASCII character (`§`, `’`, `ü`, `é`: on a German or French page, nearly every block);
/// it then falls back to engines whose cost is the text times the pattern. A boundary only
/// restricts where a pattern matches, so the pattern without them matches wherever the pattern
/// does, and it runs on the fast engine: a text the gate does not match is not searched, and a
/// text it does match is searched from where the gate's first match starts (no match of the
/// pattern starts before it). From there on, when the rest of the text is ASCII, the pattern
/// with ASCII boundaries (which the fast engine decides) says the same as the pattern: on ASCII
/// characters both kinds of boundary agree. The results are the pattern's own.
pub(crate) struct Gated {
    re: Regex,
    ascii: Regex,
    gate: Regex,
}

impl Gated {
    pub fn new(pattern: &str) -> Result<Gated, regex::Error> {
        Ok(Gated {
            re: Regex::new(pattern)?,
            ascii: Regex::new(&ascii_boundaries(pattern))?,
            gate: Regex::new(&without_boundaries(pattern))?,
        })
    }

    /// The gate's pattern: what matches wherever the pattern does.
    pub fn gate(&self) -> &str {
        self.gate.as_str()
    }

    /// Where the next match at or after `at` can start at the earliest, and the regex that
    /// decides it from there; `ascii_from`: where the ASCII end of `text` begins.
    fn next(&self, text: &str, at: usize, ascii_from: usize) -> Option<(usize, &Regex)> {
        let from = self.gate.find_at(text, at)?.start();
        // A boundary at `from` looks at the character before it too.
        let context = text[..from]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        Some((
            from,
            if context >= ascii_from {
                &self.ascii
            } else {
                &self.re
            },
        ))
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.next(text, 0, ascii_from(text))
            .is_some_and(|(from, re)| re.is_match_at(text, from))
    }

    pub fn find<'h>(&self, text: &'h str) -> Option<regex::Match<'h>> {
        let (from, re) = self.next(text, 0, ascii_from(text))?;
        re.find_at(text, from)
    }

    /// Every match, as the pattern's `find_iter` finds them.
    pub fn find_iter<'h>(&self, text: &'h str) -> std::vec::IntoIter<regex::Match<'h>> {
        self.every(
            text,
            |re, from| re.find_at(text, from),
            |m| m.range(),
            || self.re.find_iter(text).collect(),
        )
    }

    /// Every match with its groups, as the pattern's `captures_iter` finds them.
    pub fn captures_iter<'h>(&self, text: &'h str) -> std::vec::IntoIter<regex::Captures<'h>> {
        self.every(
            text,
            |re, from| re.captures_at(text, from),
            |c| c.get(0).expect("a match has its whole").range(),
            || self.re.captures_iter(text).collect(),
        )
    }

    /// Every match found by `at` (one search from a place, with the regex [`next`](Self::next)
    /// picks), gate match to gate match; `span` is where a match lies. After an empty match,
    /// where the next search starts is the crate's to say: `all` is the pattern's own answer.
    fn every<T>(
        &self,
        text: &str,
        at: impl Fn(&Regex, usize) -> Option<T>,
        span: impl Fn(&T) -> std::ops::Range<usize>,
        all: impl FnOnce() -> Vec<T>,
    ) -> std::vec::IntoIter<T> {
        let tail = ascii_from(text);
        let mut out = Vec::new();
        let mut from_here = 0;
        while let Some((from, re)) = self.next(text, from_here, tail) {
            let Some(found) = at(re, from) else {
                break;
            };
            let range = span(&found);
            if range.is_empty() {
                return all().into_iter();
            }
            from_here = range.end;
            out.push(found);
        }
        out.into_iter()
    }
}

/// Where the part of `text` that is ASCII to its end begins.
fn ascii_from(text: &str) -> usize {
    text.bytes()
        .rposition(|b| !b.is_ascii())
        .map_or(0, |i| i + 1)
}

/// `pattern` with its word-boundary assertions made ASCII ones (`(?-u:\b)`).
fn ascii_boundaries(pattern: &str) -> String {
    each_boundary(pattern, |b| format!("(?-u:{b})"))
}

/// `pattern` without its word-boundary assertions (`\b`, `\B`, `\b{…}`); an escaped
/// backslash stays.
fn without_boundaries(pattern: &str) -> String {
    each_boundary(pattern, |_| String::new())
}

/// `pattern` with each word-boundary assertion (`\b`, `\B`, `\b{…}`, as written) replaced by
/// what `replace` makes of it; every other escape, an escaped backslash included, stays.
fn each_boundary(pattern: &str, replace: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(b @ ('b' | 'B')) => {
                let mut boundary = format!("\\{b}");
                if chars.peek() == Some(&'{') {
                    for c in chars.by_ref() {
                        boundary.push(c);
                        if c == '}' {
                            break;
                        }
                    }
                }
                out.push_str(&replace(&boundary));
            }
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether `c` ends a sentence when followed by a space and a capital (or the end).
fn ends_sentence(text: &str, at: usize) -> bool {
    let rest = &text[at + 1..];
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (None, _) => true,
        (Some(' '), Some(n)) => n.is_uppercase() || n == '"' || n == '“' || n == '(',
        _ => false,
    }
}

/// The sentence of `text` that holds `start..end`, cut around the mention when long.
pub fn sentence(text: &str, start: usize, end: usize) -> String {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    let mut from = 0;
    for (i, c) in text[..start].char_indices() {
        if matches!(c, '.' | '!' | '?' | ';' | '|') && ends_sentence(text, i) {
            from = i + c.len_utf8();
        }
    }
    let mut to = text.len();
    for (i, c) in text[end..].char_indices() {
        let at = end + i;
        if matches!(c, '.' | '!' | '?' | ';' | '|') && ends_sentence(text, at) {
            to = at + c.len_utf8();
            break;
        }
    }
    let s = text[from..to].trim();
    if s.chars().count() <= CONTEXT_CHARS {
        return s.to_string();
    }
    // Cut around the mention.
    let rel = start.saturating_sub(from);
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = chars.iter().position(|(i, _)| *i >= rel).unwrap_or(0);
    let lo = at.saturating_sub(CONTEXT_CHARS / 3);
    let hi = (lo + CONTEXT_CHARS).min(chars.len());
    let piece: String = chars[lo..hi].iter().map(|(_, c)| c).collect();
    format!(
        "{}{}{}",
        if lo > 0 { "… " } else { "" },
        piece.trim(),
        if hi < chars.len() { " …" } else { "" }
    )
}

/// Whether `needle` (lowercase) occurs in `hay` (lowercase) as whole words.
pub fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle).any(|(i, m)| {
        !word(hay[..i].chars().next_back()) && !word(hay[i + m.len()..].chars().next())
    })
}

/// Lowercase letters and digits only: what two spellings of one name share.
pub fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gated_pattern_finds_what_the_pattern_finds() {
        assert_eq!(
            without_boundaries(r"(?i)\bart\.?\s*\\b[0-9]+\b{end}\B"),
            r"(?i)art\.?\s*\\b[0-9]+"
        );
        let pattern = r"(?i)\b(?:tag|tage|jahr|jahre)\b";
        let (gated, plain) = (Gated::new(pattern).unwrap(), Regex::new(pattern).unwrap());
        for text in [
            "§4 Wir speichern Daten 3 Jahre lang, höchstens 30 Tage nach Ende.",
            "Jahrestag: nicht hier; Tagebuch auch nicht; Jahreüber",
            "§ ohne Treffer ü",
            "",
        ] {
            let found = |f: Vec<regex::Match<'_>>| f.iter().map(|m| m.range()).collect::<Vec<_>>();
            assert_eq!(
                found(gated.find_iter(text).collect()),
                found(plain.find_iter(text).collect()),
                "{text}"
            );
            assert_eq!(gated.is_match(text), plain.is_match(text), "{text}");
        }
    }

    #[test]
    fn ascii_boundaries_decide_only_where_the_text_is_ascii() {
        assert_eq!(
            ascii_boundaries(r"(?i)\bart\.?\s*\\b[0-9]+\b{end}\B"),
            r"(?i)(?-u:\b)art\.?\s*\\b[0-9]+(?-u:\b{end})(?-u:\B)"
        );
        let patterns = [
            r"\bart\b",
            r"(?i)\b(?:tag|tage|jahr|jahre|an|ans)\b",
            r"\b[0-9]{1,3}\s+(?:jours|days|Tage)\b",
            r"(?i)\b(?:e-?mail|adresse e-mail|name)\b",
            r"(?x) \b(?P<n>[0-9]{1,4}) \s+ (?P<w>[\p{L}]+)\b | \bdé\b",
        ];
        // Non-ASCII letters beside a boundary (where ASCII and Unicode boundaries differ), at
        // the start, in the middle, at the end, and none at all.
        let texts = [
            "écart art",
            "art écart naïve art",
            "§1.2 art 30 days, 2 Tage",
            "30 jours é 12 days art",
            "an écart ans an",
            "Jahre: 3 Jahre, 4 Tagé und 5 Tage",
            "Name, e-mail, adresse e-mail, émail",
            "dé 12 abc 5 dé",
            "12 ab 7 xyz",
            "art",
            "",
        ];
        for pattern in patterns {
            let (gated, plain) = (Gated::new(pattern).unwrap(), Regex::new(pattern).unwrap());
            for text in texts {
                let spans =
                    |f: Vec<regex::Match<'_>>| f.iter().map(|m| m.range()).collect::<Vec<_>>();
                assert_eq!(
                    spans(gated.find_iter(text).collect()),
                    spans(plain.find_iter(text).collect()),
                    "{pattern} on {text}"
                );
                let groups = |c: Vec<regex::Captures<'_>>| {
                    c.iter()
                        .map(|c| c.iter().map(|g| g.map(|g| g.range())).collect::<Vec<_>>())
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    groups(gated.captures_iter(text).collect()),
                    groups(plain.captures_iter(text).collect()),
                    "{pattern} on {text}"
                );
                assert_eq!(
                    gated.is_match(text),
                    plain.is_match(text),
                    "{pattern} on {text}"
                );
                assert_eq!(
                    gated.find(text).map(|m| m.range()),
                    plain.find(text).map(|m| m.range()),
                    "{pattern} on {text}"
                );
            }
        }
    }

    #[test]
    fn the_sentence_around_a_mention() {
        let t = "We keep logs. Logs are kept for 30 days. Then they go.";
        let at = t.find("30").unwrap();
        assert_eq!(sentence(t, at, at + 7), "Logs are kept for 30 days.");
        assert!(contains_word("ask segment inc. now", "segment"));
        assert!(!contains_word("segmentation", "segment"));
    }
}
