//! Text normalisation: Unicode NFC, invisible characters dropped, every kind of space folded to one.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Characters a reader never sees: zero-width spaces and joiners, word joiner, BOM, soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Whitespace as a reader perceives it, including no-break and narrow spaces.
fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{00A0}' | '\u{2007}' | '\u{202F}')
}

/// Normalises a run of text: NFC, invisibles removed, whitespace runs folded to one space.
/// Leading and trailing space is kept (as one space) so that runs can be joined; see [`join`].
pub fn fold(raw: &str) -> String {
    // ASCII text is NFC and has no invisibles: only its spaces fold.
    if raw.is_ascii() {
        return fold_ascii(raw);
    }
    // Almost all text is already NFC; composing it anyway costs as much as parsing the page.
    if is_nfc_quick(raw.chars()) == IsNormalized::Yes {
        fold_nfc(raw)
    } else {
        fold_chars(raw.nfc(), raw.len())
    }
}

/// [`fold`] for ASCII text: each run of whitespace becomes one space; the rest is copied whole.
fn fold_ascii(raw: &str) -> String {
    // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form feed, return, space.
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ');
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if is_space(bytes[i]) {
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            out.push(' ');
        } else {
            while i < bytes.len() && !is_space(bytes[i]) {
                i += 1;
            }
            out.push_str(&raw[start..i]);
        }
    }
    out
}

/// [`fold`] for text already in NFC: copies runs of ordinary characters whole.
fn fold_nfc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    let mut run: Option<usize> = None;
    for (i, c) in raw.char_indices() {
        let space = is_space(c);
        if !space && !is_invisible(c) {
            if run.is_none() {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                run = Some(i);
            }
            continue;
        }
        if let Some(start) = run.take() {
            out.push_str(&raw[start..i]);
        }
        pending_space |= space;
    }
    if let Some(start) = run {
        out.push_str(&raw[start..]);
    }
    if pending_space {
        out.push(' ');
    }
    out
}

fn fold_chars(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if is_invisible(c) {
            continue;
        }
        if is_space(c) {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    if pending_space {
        out.push(' ');
    }
    out
}

/// Appends `piece` to `buf`, never producing two spaces in a row or a leading space.
pub fn join(buf: &mut String, piece: &str) {
    let piece = if buf.is_empty() || buf.ends_with(' ') {
        piece.trim_start_matches(' ')
    } else {
        piece
    };
    buf.push_str(piece);
}

/// Whole-text normalisation: NFC, invisibles dropped, spaces folded, then trimmed.
pub fn normalize(raw: &str) -> String {
    fold(raw).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_noise_folds_away() {
        assert_eq!(normalize("  Art.\u{A0}6 \n\t para.  1 "), "Art. 6 para. 1");
        assert_eq!(normalize("Mix\u{200B}panel"), "Mixpanel");
        // "e" + combining acute becomes the precomposed "é".
        assert_eq!(normalize("caf\u{65}\u{301}"), "caf\u{e9}");
    }

    #[test]
    fn both_paths_fold_alike() {
        for raw in [
            " a  b\u{200B}c\u{A0}d ",
            "x",
            "  ",
            "\u{200B}",
            "é\u{301} \t z",
            "ab\u{AD}cd  ",
        ] {
            assert_eq!(fold_nfc(raw), fold_chars(raw.chars(), raw.len()), "{raw:?}");
        }
        for raw in [
            "",
            " ",
            "x",
            "  a \t\n b\x0B\x0Cc\r ",
            "\n\nword",
            "word\n\n",
            "a  b   c",
        ] {
            assert_eq!(
                fold_ascii(raw),
                fold_chars(raw.chars(), raw.len()),
                "{raw:?}"
            );
            assert_eq!(fold(raw), fold_nfc(raw), "{raw:?}");
        }
    }

    #[test]
    fn join_keeps_single_spaces() {
        let mut s = String::new();
        join(&mut s, " a ");
        join(&mut s, " b");
        join(&mut s, "c ");
        assert_eq!(s, "a bc ");
    }
}
