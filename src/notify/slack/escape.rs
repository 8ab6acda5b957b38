//! Page text made inert for Slack mrkdwn: it shows as written and cannot format, mention or
//! link anything.
//!
//! Slack decodes only `&amp;`, `&lt;` and `&gt;`, and has no backslash escape for its
//! formatting characters. So `&`, `<` and `>` become entities (no `<!channel>`, `<@U…>` or
//! `<https://…|label>` can form), and `*`, `_`, `~` and `` ` `` are replaced by look-alike
//! characters that Slack does not read as markup (no bold, italic, strike-through or code can
//! start inside page text). `@here`, `@channel` and `@everyone` get an invisible word joiner
//! after the `@` in case a client ever parses bare mentions. Line breaks become spaces so page
//! text never starts a line (and with it a quote or a list).

/// An invisible character that keeps `@` from reading as part of a bare mention.
const WORD_JOINER: char = '\u{2060}';

/// Bare mentions Slack may parse without angle brackets.
const BARE_MENTIONS: [&str; 3] = ["here", "channel", "everyone"];

/// Escapes page text for a mrkdwn text object.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8);
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' => out.push('\u{2217}'), // ∗ ASTERISK OPERATOR
            '_' => out.push('\u{02CD}'), // ˍ MODIFIER LETTER LOW MACRON
            '~' => out.push('\u{223C}'), // ∼ TILDE OPERATOR
            '`' => out.push('\u{02CB}'), // ˋ MODIFIER LETTER GRAVE ACCENT
            '\n' | '\r' | '\t' => out.push(' '),
            '@' => {
                out.push('@');
                let lower = rest.get(..9).unwrap_or(rest).to_ascii_lowercase();
                if BARE_MENTIONS.iter().any(|m| lower.starts_with(m)) {
                    out.push(WORD_JOINER);
                }
            }
            c if c.is_control() => out.push(' '),
            c if is_bidi_control(c) => out.push(BIDI_SHOWN_AS),
            c => out.push(c),
        }
    }
    out
}

/// What a bidirectional control character becomes: visible, and unable to reorder the text
/// around it (U+202E could make `gpj.exe` read as `exe.jpg`).
const BIDI_SHOWN_AS: char = '\u{FFFD}';

/// The invisible characters that change the direction of the text after them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// How many characters [`text`] makes of `raw` (Slack's limits count characters).
pub fn text_len(raw: &str) -> usize {
    // Entities are 4–5 characters; the rest is one for one (a word joiner may follow an `@`).
    raw.chars()
        .map(|c| match c {
            '&' => 5,
            '<' | '>' => 4,
            '@' => 2,
            _ => 1,
        })
        .sum()
}

/// Text for inside a code span (`` `…` ``): formatting is off there, but entities still count
/// and a backtick would end the span.
pub fn code(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '`' => '\u{02CB}'.to_string(),
            c if c.is_control() => " ".to_string(),
            c if is_bidi_control(c) => BIDI_SHOWN_AS.to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// A link whose label is its own address, so it cannot pretend to go elsewhere. Only `http`,
/// `https` and `mailto` become links; anything else is shown as text.
pub fn url(raw: &str) -> String {
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    let linkable = ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s));
    if !linkable {
        return text(trimmed);
    }
    format!("<{}|{}>", link_target(trimmed), text(trimmed))
}

/// A link with a label of our own (the label is escaped like page text).
pub fn link(target: &str, label: &str) -> String {
    format!("<{}|{}>", link_target(target.trim()), text(label))
}

/// The address part of `<address|label>`: `|`, `<`, `>` and blanks would end or break it.
fn link_target(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            c if is_bidi_control(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '|' => out.push_str("%7C"),
            ' ' => out.push_str("%20"),
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_cannot_reorder_what_slack_shows() {
        let s = text("invoice\u{202E}gpj.exe and \u{2066}isolated\u{2069}");
        assert!(!s.chars().any(is_bidi_control), "{s:?}");
        assert!(
            s.contains('\u{FFFD}'),
            "the control is shown, not hidden: {s:?}"
        );
        assert_eq!(text_len("a\u{202E}b"), s_len("a\u{202E}b"));
        let l = url("https://example.com/\u{202E}fdp.exe");
        assert!(!l.chars().any(is_bidi_control), "{l:?}");
        assert!(l.contains("%E2%80%AE"), "{l}");
    }

    fn s_len(raw: &str) -> usize {
        text(raw).chars().count()
    }

    #[test]
    fn angle_brackets_cannot_mention_or_link() {
        let s = text("Hi <!channel> see <https://evil.example|click> & <@U123>");
        assert!(!s.contains('<') && !s.contains('>'), "{s}");
        assert_eq!(
            s,
            "Hi &lt;!channel&gt; see &lt;https://evil.example|click&gt; &amp; &lt;@U123&gt;"
        );
    }

    #[test]
    fn formatting_characters_do_not_format() {
        let s = text("*bold* _it_ ~gone~ `code`");
        assert!(!s.contains(['*', '_', '~', '`']), "{s}");
    }

    #[test]
    fn bare_mentions_are_broken() {
        let s = text("ping @channel and @Here, mail a@b.example");
        assert!(s.contains("@\u{2060}channel"), "{s}");
        assert!(s.contains("@\u{2060}Here"), "{s}");
        assert!(s.contains("a@b.example"), "{s}");
    }

    #[test]
    fn text_len_matches_text() {
        for raw in ["a & b <c> @here *x*", "plain", "", "@", "ü<>"] {
            assert!(text(raw).chars().count() <= text_len(raw), "{raw}");
        }
    }

    #[test]
    fn urls_link_to_themselves_only() {
        assert_eq!(
            url("https://a.example/x?a=1&b=2"),
            "<https://a.example/x?a=1&amp;b=2|https://a.example/x?a=1&amp;b=2>"
        );
        assert_eq!(
            url("https://evil.example|click"),
            "<https://evil.example%7Cclick|https://evil.example|click>"
        );
        assert_eq!(url("javascript:alert(1)"), "javascript:alert(1)");
    }
}
