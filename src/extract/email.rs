//! E-mail addresses hidden by an obfuscation service, decoded to the real address: Cloudflare's
//! `/cdn-cgi/l/email-protection#<hex>` links and `data-cfemail="<hex>"` elements, whose hex
//! changes on every request while the address does not.

/// The path of Cloudflare's e-mail protection links.
const PROTECTION_PATH: &str = "/cdn-cgi/l/email-protection";

/// Decodes Cloudflare's hex: the first byte is the key, every following byte is XORed with it;
/// the result is UTF-8 text, in which the page's own character references may remain
/// (`&#x69;nfo@…` when the site had written its address that way). `None` when it is not such hex.
pub fn decode_hex(hex: &str) -> Option<String> {
    let hex = hex.trim();
    if hex.len() < 4 || !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let key = bytes[0];
    let decoded: Vec<u8> = bytes[1..].iter().map(|b| b ^ key).collect();
    let text = String::from_utf8(decoded).ok()?;
    let text = unescape_references(&text);
    (!text.trim().is_empty() && !text.chars().any(char::is_control)).then_some(text)
}

/// The `mailto:` link behind a protected link's `href`, if it is one
/// (`/cdn-cgi/l/email-protection#<hex>`, relative or absolute).
pub fn protected_href(href: &str) -> Option<String> {
    let (path, hex) = href.trim().split_once('#')?;
    let path = path.split('?').next().unwrap_or(path);
    if !path.ends_with(PROTECTION_PATH) {
        return None;
    }
    let address = decode_hex(hex)?;
    Some(if address.starts_with("mailto:") {
        address
    } else {
        format!("mailto:{address}")
    })
}

/// True for a protected link's `href` without the hex part (the address is then in the
/// element's `data-cfemail`).
pub fn is_protection_href(href: &str) -> bool {
    let href = href.trim();
    let path = href.split(['#', '?']).next().unwrap_or(href);
    path.ends_with(PROTECTION_PATH)
}

/// Replaces numeric character references (`&#105;`, `&#x69;`) and the five XML entities.
fn unescape_references(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let name = &rest[1..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes like Cloudflare does, with a given key.
    fn encode(key: u8, text: &str) -> String {
        std::iter::once(key)
            .chain(text.bytes().map(|b| b ^ key))
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn the_same_address_decodes_alike_under_every_key() {
        for key in [0x00, 0x5a, 0x93, 0xff] {
            assert_eq!(
                decode_hex(&encode(key, "dpo@example.com")).as_deref(),
                Some("dpo@example.com")
            );
        }
        // Written out: key 0x93, then "a@b.c" XOR 0x93.
        assert_eq!(decode_hex("93f2d3f1bdf0").as_deref(), Some("a@b.c"));
    }

    #[test]
    fn character_references_inside_the_hidden_text_are_decoded() {
        let hex = encode(0x42, "&#x69;&#110;fo@example.org");
        assert_eq!(decode_hex(&hex).as_deref(), Some("info@example.org"));
        assert_eq!(
            unescape_references("a &amp; b &#x26; &bogus; &"),
            "a & b & &bogus; &"
        );
    }

    #[test]
    fn protected_links_become_mailto_links() {
        let hex = encode(0x17, "privacy@example.com");
        assert_eq!(
            protected_href(&format!("/cdn-cgi/l/email-protection#{hex}")).as_deref(),
            Some("mailto:privacy@example.com")
        );
        assert_eq!(
            protected_href(&format!(
                "https://www.example.com/cdn-cgi/l/email-protection#{hex}"
            ))
            .as_deref(),
            Some("mailto:privacy@example.com")
        );
        // A hidden `mailto:` with a subject stays one link.
        let hex = encode(0x17, "mailto:a@example.com?subject=Hi");
        assert_eq!(
            protected_href(&format!("/cdn-cgi/l/email-protection#{hex}")).as_deref(),
            Some("mailto:a@example.com?subject=Hi")
        );
        assert!(is_protection_href("/cdn-cgi/l/email-protection"));
    }

    #[test]
    fn anything_else_is_left_alone() {
        for href in [
            "/privacy#section-2",
            "/cdn-cgi/l/email-protection#zz12",
            "/cdn-cgi/l/email-protection#ab",
            "/cdn-cgi/l/email-protection",
            "mailto:a@example.com",
        ] {
            assert_eq!(protected_href(href), None, "{href}");
        }
        assert!(!is_protection_href("/privacy"));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex(""), None);
    }
}
