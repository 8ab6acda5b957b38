//! Small text helpers every stage words its output with: counted nouns, cutting, text made
//! safe to print, `%xx` escapes decoded, the shape of a target id.

/// `one` or `many`, as `n` asks: "change" or "changes".
pub fn noun<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// "1 change", "2 changes".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

/// `text` cut to at most `max` characters, the last of them `…` when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Text read from a file anyone who can commit can write (a snapshot, an alert state), made
/// safe to print on a terminal: control characters (escape codes, bells, carriage returns) and
/// invisible direction marks are shown escaped, and it is cut at `max` characters.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `%XX` escapes decoded (a `%` without two hex digits stays; invalid UTF-8 is replaced).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `id` is shaped like a target id, which names files in the snapshot folder: a plain,
/// portable file name (lowercase ASCII letters, digits, `-` and `_`, starting with a letter or
/// digit, at most 64 bytes). The config accepts a subset of these; the store reads and prunes
/// no other name.
pub fn is_id_shaped(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_nouns() {
        assert_eq!(plural(1, "change", "changes"), "1 change");
        assert_eq!(plural(0, "change", "changes"), "0 changes");
        assert_eq!(noun(3, "block", "blocks"), "blocks");
    }

    #[test]
    fn truncate_keeps_short_text_and_marks_a_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ääää", 2), "ä…");
    }

    #[test]
    fn printable_escapes_control_characters_and_cuts() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}", 80), "a\\u{1b}[31mb\\u{7}");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("über", 80), "über");
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("gr%C3%B6%C3%9Fe"), "größe");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a+b%2B"), "a+b+");
    }
}
