//! A fetched document — its bytes, its media type and how it was read (`http`, `browser`,
//! `pdf`) — and extraction chosen by its media type (HTML or PDF). A new kind of document
//! touches this file and one extractor; how a target is read is the `read` module's.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ExtractError;
use crate::extract::{self, Extracted, Rules};

/// Stored HTTP validators of the last content change, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// How a document was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadBy {
    /// A plain HTTP request returned the page.
    #[default]
    Http,
    /// A headless browser rendered the page (its scripts ran).
    Browser,
    /// The document is a PDF; its text layer was read.
    Pdf,
}

impl ReadBy {
    /// `http`, `browser` or `pdf`, as the reports and the JSON say it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadBy::Http => "http",
            ReadBy::Browser => "browser",
            ReadBy::Pdf => "pdf",
        }
    }

    /// The media type of what was read this way.
    pub fn media(self) -> Media {
        match self {
            ReadBy::Http | ReadBy::Browser => Media::Html,
            ReadBy::Pdf => Media::Pdf,
        }
    }

    /// For `skip_serializing_if`: the default says nothing.
    pub fn is_http(&self) -> bool {
        *self == ReadBy::Http
    }
}

impl std::fmt::Display for ReadBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media types policy-watch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    Html,
    Pdf,
}

impl Media {
    /// The media type a `Content-Type` names, if it is one policy-watch reads.
    pub fn of_type(content_type: &str) -> Option<Media> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let is = |t: &str| essence.eq_ignore_ascii_case(t);
        if is("text/html") || is("application/xhtml+xml") {
            Some(Media::Html)
        } else if is("application/pdf") || is("application/x-pdf") {
            Some(Media::Pdf)
        } else {
            None
        }
    }

    /// What a body is: a PDF by its first bytes whatever the header says, else what the
    /// header says.
    pub fn sniff(content_type: Option<&str>, body: &[u8]) -> Option<Media> {
        if is_pdf(body) {
            return Some(Media::Pdf);
        }
        content_type.and_then(Media::of_type)
    }

    /// The extension of the stored raw document (`snapshots/<id>.<ext>`).
    pub fn ext(self) -> &'static str {
        match self {
            Media::Html => "html",
            Media::Pdf => "pdf",
        }
    }
}

/// Whether bytes are a PDF (`%PDF-`, perhaps after a little leading junk, as readers allow).
pub fn is_pdf(body: &[u8]) -> bool {
    body[..body.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// A document's content as it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An HTML page, decoded to text.
    Html(String),
    /// A PDF file's bytes.
    Pdf(Vec<u8>),
}

impl Body {
    pub fn media(&self) -> Media {
        match self {
            Body::Html(_) => Media::Html,
            Body::Pdf(_) => Media::Pdf,
        }
    }

    /// The bytes as stored in `snapshots/<id>.<ext>`.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Html(h) => h.as_bytes(),
            Body::Pdf(b) => b,
        }
    }

    /// A stored raw document of `media`, back from its bytes.
    pub fn from_stored(media: Media, bytes: Vec<u8>) -> Body {
        match media {
            Media::Html => Body::Html(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            Media::Pdf => Body::Pdf(bytes),
        }
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where the redirects (and, in a browser, the page's scripts) ended.
    pub final_url: Url,
    pub body: Body,
    pub read: ReadBy,
    pub validators: Validators,
}

/// Turns a document into content with the extractor of its media type. CPU work: call it
/// from a blocking thread.
pub fn extract(body: &Body, url: &Url, rules: &Rules) -> Result<Extracted, ExtractError> {
    match body {
        Body::Html(html) => extract::extract(html, url, rules),
        Body::Pdf(bytes) => extract::extract_pdf(bytes, rules),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_known_by_its_bytes_whatever_the_header_says() {
        assert_eq!(
            Media::sniff(Some("text/html"), b"%PDF-1.4\n..."),
            Some(Media::Pdf)
        );
        assert_eq!(
            Media::sniff(Some("application/pdf; qs=0.001"), b"<html>"),
            Some(Media::Pdf)
        );
        assert_eq!(
            Media::sniff(Some("text/html; charset=utf-8"), b"<html>"),
            Some(Media::Html)
        );
        assert_eq!(Media::sniff(Some("text/plain"), b"hello"), None);
        assert_eq!(
            Media::sniff(None, b"\xef\xbb\xbf%PDF-1.7"),
            Some(Media::Pdf)
        );
    }
}
