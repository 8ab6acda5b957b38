//! Text helpers the fact rules share: the sentence around a mention, word search, case.

/// A context sentence is cut to about this many characters around its mention.
const CONTEXT_CHARS: usize = 240;

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
    fn the_sentence_around_a_mention() {
        let t = "We keep logs. Logs are kept for 30 days. Then they go.";
        let at = t.find("30").unwrap();
        assert_eq!(sentence(t, at, at + 7), "Logs are kept for 30 days.");
        assert!(contains_word("ask segment inc. now", "segment"));
        assert!(!contains_word("segmentation", "segment"));
    }
}
