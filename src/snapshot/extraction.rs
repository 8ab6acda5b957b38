//! `snapshots/<id>.extracted.json`: the stored raw document as extracted, written beside it.
//! A run that fetches the very same bytes from the same place again takes its content from here
//! instead of parsing the page (an unchanged run of a page that sends no validators parses
//! nothing). It only saves work: a file that is missing, damaged, foreign, of other rules or of
//! other content than the snapshot is not used, and the page is parsed as if it were not there.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::document::{Body, Document, ReadBy};
use crate::extract::Extracted;
use crate::hash::content_hash_of;

/// Version of this file's layout; a file of another version is not used.
const FORMAT: u32 = 1;

/// The largest extraction file that is read back. A page's content is far smaller than the page
/// (itself capped); a larger file is not one the store wrote.
pub(super) const MAX_EXTRACTION_BYTES: u64 = 256 << 20;

/// What the stored raw document extracted to, and what that depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    format: u32,
    /// `sha256:` of the raw document's bytes (`<id>.html` or `<id>.pdf`).
    raw_hash: String,
    /// Where the document was read (links are made absolute against it).
    final_url: String,
    /// How it was read.
    #[serde(default, skip_serializing_if = "ReadBy::is_http")]
    read: ReadBy,
    /// The extraction rules' hash (the extractor's version included).
    rules_hash: String,
    extracted: Extracted,
}

impl Extraction {
    /// What `body`, read from `final_url` as `read` says, extracted to with the rules of
    /// `rules_hash`.
    pub fn new(
        body: &Body,
        final_url: &Url,
        read: ReadBy,
        rules_hash: &str,
        extracted: Extracted,
    ) -> Self {
        Extraction {
            format: FORMAT,
            raw_hash: content_hash_of(body.bytes()),
            final_url: final_url.to_string(),
            read,
            rules_hash: rules_hash.to_string(),
            extracted,
        }
    }

    /// This file, if it can stand for the snapshot whose Markdown has `content_hash` under the
    /// rules of `rules_hash`: same layout, same rules, same content. Anything else (an earlier
    /// rules version, a snapshot stored without this file, a hand edit) is not used.
    pub fn valid_for(self, rules_hash: &str, content_hash: &str) -> Option<Self> {
        (self.format == FORMAT
            && self.rules_hash == rules_hash
            && crate::hash::content_hash(&self.extracted.markdown()) == content_hash)
            .then_some(self)
    }

    /// The content of `doc`, when it is the very document this file was extracted from: the
    /// same bytes, from the same place, read the same way (extraction depends on nothing else).
    pub fn of(&self, doc: &Document) -> Option<&Extracted> {
        (doc.read == self.read
            && doc.final_url.as_str() == self.final_url
            && content_hash_of(doc.body.bytes()) == self.raw_hash)
            .then_some(&self.extracted)
    }

    /// The content of the stored raw document `body` (after a 304), when this file was made
    /// from it.
    pub fn of_stored(&self, body: &Body) -> Option<&Extracted> {
        (content_hash_of(body.bytes()) == self.raw_hash).then_some(&self.extracted)
    }

    pub(super) fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an extraction serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Validators;
    use crate::extract::{Block, BlockKind, Inline};
    use crate::hash::content_hash;

    fn page(html: &str, url: &str) -> Document {
        Document {
            final_url: Url::parse(url).unwrap(),
            body: Body::Html(html.into()),
            read: ReadBy::Http,
            validators: Validators::default(),
        }
    }

    fn content(text: &str) -> Extracted {
        Extracted {
            blocks: vec![Block {
                kind: BlockKind::Paragraph,
                inlines: vec![Inline::Text { text: text.into() }],
            }],
            ids: Default::default(),
            lang: None,
            root: "main".into(),
        }
    }

    fn known(doc: &Document, extracted: Extracted) -> Extraction {
        Extraction::new(&doc.body, &doc.final_url, doc.read, "sha256:r", extracted)
    }

    #[test]
    fn only_the_same_bytes_from_the_same_place_read_the_same_way_are_known() {
        let doc = page("<p>We keep your data.</p>", "https://a.example/privacy");
        let x = known(&doc, content("We keep your data."));
        assert_eq!(x.of(&doc), Some(&content("We keep your data.")));

        let one_byte_more = page("<p>We keep your data!</p>", "https://a.example/privacy");
        assert_eq!(x.of(&one_byte_more), None);
        let elsewhere = page("<p>We keep your data.</p>", "https://a.example/privacy/");
        assert_eq!(x.of(&elsewhere), None);
        let rendered = Document {
            read: ReadBy::Browser,
            ..page("<p>We keep your data.</p>", "https://a.example/privacy")
        };
        assert_eq!(x.of(&rendered), None);
        assert!(x.of_stored(&doc.body).is_some());
        assert!(x.of_stored(&one_byte_more.body).is_none());
    }

    #[test]
    fn a_file_of_other_rules_or_other_content_is_not_used() {
        let doc = page("<p>a</p>", "https://a.example/");
        let x = known(&doc, content("We keep your data."));
        let md = content_hash("We keep your data.\n");
        assert!(x.clone().valid_for("sha256:r", &md).is_some());
        assert!(x.clone().valid_for("sha256:other", &md).is_none());
        let edited = content_hash("We sell your data.\n");
        assert!(x.clone().valid_for("sha256:r", &edited).is_none());
        let older = Extraction { format: 0, ..x };
        assert!(older.valid_for("sha256:r", &md).is_none());
    }
}
