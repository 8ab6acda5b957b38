//! `snapshots/<id>.extracted.json`: the stored raw document as extracted, written beside it.
//! A run that fetches the very same bytes from the same place again takes its content from here
//! instead of parsing the page (an unchanged run of a page that sends no validators parses
//! nothing). It only saves work: a file that is missing, damaged, foreign, of other rules or of
//! other content than the snapshot is not used, and the page is parsed as if it were not there.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use url::Url;

use crate::document::{Body, Document, ReadBy};
use crate::extract::Extracted;
use crate::hash::{content_hash, content_hash_of};

/// Version of this file's layout; a file of another version is not used.
const FORMAT: u32 = 1;

/// The largest extraction file that is read back. A page's content is far smaller than the page
/// (itself capped); a larger file is not one the store wrote.
pub(super) const MAX_EXTRACTION_BYTES: u64 = 256 << 20;

/// The file: what the content was extracted from, then the content.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct File<X> {
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
    extracted: X,
}

/// What the stored raw document extracted to, and what that depends on. The content is kept as
/// JSON text and parsed only when a read brings the very same document again: a run in which
/// the page changed pays for reading the file, not for parsing it.
#[derive(Debug, Clone)]
pub struct Extraction {
    file: File<Box<RawValue>>,
    /// The snapshot's content hash, which the content must match to be used (see
    /// [`valid_for`](Self::valid_for)).
    snapshot: Option<String>,
}

impl Extraction {
    /// What `body`, read from `final_url` as `read` says, extracted to with the rules of
    /// `rules_hash`.
    pub fn new(
        body: &Body,
        final_url: &Url,
        read: ReadBy,
        rules_hash: &str,
        extracted: &Extracted,
    ) -> Self {
        Extraction {
            file: File {
                format: FORMAT,
                raw_hash: content_hash_of(body.bytes()),
                final_url: final_url.to_string(),
                read,
                rules_hash: rules_hash.to_string(),
                extracted: serde_json::value::to_raw_value(extracted)
                    .expect("extracted content serialises"),
            },
            snapshot: None,
        }
    }

    /// The file's bytes as read back, if they are one the store wrote.
    pub(super) fn from_bytes(bytes: &[u8]) -> serde_json::Result<Self> {
        Ok(Extraction {
            file: serde_json::from_slice(bytes)?,
            snapshot: None,
        })
    }

    /// This file, if it can stand for the snapshot whose Markdown has `content_hash` under the
    /// rules of `rules_hash`: same layout and rules now, and its content checked against the
    /// snapshot's when it is used. Anything else (an earlier rules version, a snapshot stored
    /// without this file, a hand edit) is not used.
    pub fn valid_for(self, rules_hash: &str, content_hash: &str) -> Option<Self> {
        (self.file.format == FORMAT && self.file.rules_hash == rules_hash).then(|| Extraction {
            snapshot: Some(content_hash.to_string()),
            ..self
        })
    }

    /// The content of `doc`, when it is the very document this file was extracted from (the
    /// same bytes, from the same place, read the same way: extraction depends on nothing
    /// else) and it is the snapshot's content.
    pub fn of(&self, doc: &Document) -> Option<Extracted> {
        if doc.read != self.file.read || doc.final_url.as_str() != self.file.final_url {
            return None;
        }
        self.of_stored(&doc.body)
    }

    /// The content of the stored raw document `body` (after a 304), when this file was made
    /// from it and it is the snapshot's content.
    pub fn of_stored(&self, body: &Body) -> Option<Extracted> {
        if content_hash_of(body.bytes()) != self.file.raw_hash {
            return None;
        }
        let extracted: Extracted = serde_json::from_str(self.file.extracted.get())
            .inspect_err(|e| tracing::debug!(error = %e, "a kept extraction does not read"))
            .ok()?;
        let snapshot = self.snapshot.as_deref()?;
        (content_hash(&extracted.markdown()) == snapshot).then_some(extracted)
    }

    pub(super) fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.file).expect("an extraction serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Validators;
    use crate::extract::{Block, BlockKind, Inline};

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

    /// As stored for `doc`, then read back for a snapshot of `extracted`'s content.
    fn known(doc: &Document, extracted: Extracted) -> Extraction {
        let md = content_hash(&extracted.markdown());
        let file = Extraction::new(&doc.body, &doc.final_url, doc.read, "sha256:r", &extracted);
        Extraction::from_bytes(&file.bytes())
            .unwrap()
            .valid_for("sha256:r", &md)
            .unwrap()
    }

    #[test]
    fn only_the_same_bytes_from_the_same_place_read_the_same_way_are_known() {
        let doc = page("<p>We keep your data.</p>", "https://a.example/privacy");
        let x = known(&doc, content("We keep your data."));
        assert_eq!(x.of(&doc), Some(content("We keep your data.")));

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
        let x = Extraction::new(
            &doc.body,
            &doc.final_url,
            doc.read,
            "sha256:r",
            &content("a"),
        );
        let read_back = || Extraction::from_bytes(&x.bytes()).unwrap();
        let md = content_hash("a\n");
        assert!(read_back().valid_for("sha256:r", &md).is_some());
        assert!(read_back().valid_for("sha256:other", &md).is_none());
        let edited = read_back()
            .valid_for("sha256:r", &content_hash("b\n"))
            .unwrap();
        assert_eq!(edited.of(&doc), None, "its content is not the snapshot's");
        let older = String::from_utf8(x.bytes())
            .unwrap()
            .replace("\"format\":1", "\"format\":0");
        let older = Extraction::from_bytes(older.as_bytes()).unwrap();
        assert!(older.valid_for("sha256:r", &md).is_none());
        assert!(Extraction::from_bytes(b"{\"format\":1}").is_err());
    }
}
