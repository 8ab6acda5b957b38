//! Atom feeds (RFC 4287): one entry per recorded change, its id made from the target and the
//! commit (the same on every rebuild, whatever the base URL), its content the changed words.

use std::fmt::Write as _;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// One change as a feed entry, ready to be placed in any feed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub date: Timestamp,
    pub target: String,
    pub commit: String,
    pub xml: String,
}

/// `text` escaped for XML text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A name-based `urn:uuid:` (the version-5 layout over SHA-256) of `name`: stable ids.
pub fn urn(name: &str) -> String {
    let h = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::hash::hex(&b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The stable id of the entry for the change `commit` made to `target`.
pub fn entry_id(target: &str, commit: &str) -> String {
    urn(&format!("policy-watch change {target} {commit}"))
}

/// An `<entry>`.
pub struct EntryParts<'a> {
    pub target: &'a str,
    pub commit: &'a str,
    pub title: &'a str,
    pub date: Timestamp,
    pub link: &'a str,
    pub summary: &'a str,
    pub content_html: &'a str,
}

impl EntryParts<'_> {
    pub fn render(&self) -> Entry {
        let mut xml = String::with_capacity(self.content_html.len() * 2 + 512);
        let _ = write!(
            xml,
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            entry_id(self.target, self.commit),
            esc(self.title),
            self.date,
            esc(self.link),
            esc(self.summary),
            esc(self.content_html),
        );
        Entry {
            date: self.date,
            target: self.target.to_string(),
            commit: self.commit.to_string(),
            xml,
        }
    }
}

/// A whole feed of `entries` (newest first, as given).
pub fn feed(id: &str, title: &str, self_link: &str, page_link: &str, entries: &[&Entry]) -> String {
    // The newest entry's date: a rebuild of the same history gives the same bytes.
    let updated = entries
        .iter()
        .map(|e| e.date)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n<id>{}</id>\n<title>{}</title>\n<updated>{updated}</updated>\n<author><name>policy-watch</name></author>\n<generator>policy-watch</generator>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        esc(id),
        esc(title),
        esc(self_link),
        esc(page_link),
    );
    for e in entries {
        out.push_str(&e.xml);
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_uuids_that_differ_by_target_and_commit() {
        let a = entry_id("appcues", "abc");
        assert_eq!(a, entry_id("appcues", "abc"));
        assert_ne!(a, entry_id("appcues", "abd"));
        assert_ne!(a, entry_id("mixpanel", "abc"));
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(&a["urn:uuid:".len() + 14..][..1], "5");
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(esc("a<b>&\"'\u{1}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
    }
}
