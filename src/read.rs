//! The one place that reads a target: a plain HTTP fetch first, the run's headless browser
//! when the plain answer is not the document (as the target's `render` allows), and the
//! document's extractor, off the async threads. A new way to read a document touches this
//! file (or the fetcher, or the browser) and one extractor; nothing downstream.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::browser::Browser;
use crate::config::{Config, Render, Target};
use crate::document::{extract, Body, Document, Media, ReadBy, Validators};
use crate::error::{BrowserError, Error, ExtractError, FetchError, TargetError};
use crate::extract::Extracted;
use crate::fetch::{Fetched, Fetcher};
use crate::snapshot::Extraction;

/// What reading a target gave.
#[derive(Debug)]
pub enum Read {
    /// 304 to a conditional request: the stored document stands.
    NotModified { final_url: Url },
    /// The document and its content.
    Document(Document, Extracted),
    /// The same bytes from the same place, read the same way, as this run's earlier read
    /// ([`Earlier::ThisRun`]): its content stands, and nothing was extracted again.
    Same,
}

/// A document read and extracted before: a read that brings the same document again needs no
/// second extraction.
#[derive(Debug, Clone, Copy)]
pub enum Earlier<'a> {
    /// This run's first read (a confirming fetch of a page that did not change in between):
    /// the same document again is [`Read::Same`].
    ThisRun {
        body: &'a Body,
        final_url: &'a Url,
        read: ReadBy,
    },
    /// The stored raw document as extracted when it was stored: the same document again is
    /// read as that content, without parsing it.
    Stored(&'a Extraction),
}

impl Earlier<'_> {
    /// What `doc` reads as without extracting it, if it is the earlier document (extraction
    /// depends on nothing else).
    fn again(earlier: Option<Self>, doc: &Document) -> Option<Again> {
        match earlier? {
            Earlier::ThisRun {
                body,
                final_url,
                read,
            } => (read == doc.read && *final_url == doc.final_url && *body == doc.body)
                .then_some(Again::Same),
            Earlier::Stored(known) => known.of(doc).map(Again::Stored),
        }
    }
}

/// A document read again: the same as this run's earlier read, or the stored one.
enum Again {
    Same,
    Stored(Extracted),
}

impl Again {
    fn read(self, doc: Document) -> Read {
        match self {
            Again::Same => Read::Same,
            Again::Stored(extracted) => Read::Document(doc, extracted),
        }
    }
}

/// The time one document's extraction may take. A 10 MB page takes well under a second; a page
/// that takes longer than this (a shape no extractor rule foresaw) fails alone, saying so, and
/// the run goes on. The diff after it has budgets of its own (see `diff`).
pub const EXTRACT_BUDGET: Duration = Duration::from_secs(30);

/// Reads targets for a run: the HTTP fetcher, the run's browser (started only when a target
/// needs it), and one extraction per core at a time.
pub struct Reader {
    fetcher: Fetcher,
    browser: Browser,
    max_bytes: u64,
    parse_slots: Arc<tokio::sync::Semaphore>,
    extract_budget: Duration,
}

impl Reader {
    pub fn new(config: &Config) -> Result<Self, Error> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Reader {
            fetcher: Fetcher::new(&config.http)?,
            browser: Browser::new(config.browser.clone()),
            max_bytes: config.http.max_body_bytes,
            parse_slots: Arc::new(tokio::sync::Semaphore::new(cores)),
            extract_budget: EXTRACT_BUDGET,
        })
    }

    /// Reads `target` as its `render` says. `validators` make the plain request conditional;
    /// `how` is how an earlier read of this run went (a confirming read goes the same way), and
    /// `earlier` what an earlier read gave: the same document again is not extracted again.
    pub async fn read(
        &self,
        target: &Target,
        validators: Option<&Validators>,
        how: Option<ReadBy>,
        earlier: Option<Earlier<'_>>,
    ) -> Result<Read, TargetError> {
        if target.render == Render::Always || how == Some(ReadBy::Browser) {
            let why = if target.render == Render::Always {
                "render = \"always\""
            } else {
                "an earlier read of this run needed it"
            };
            return self.render(target, why, earlier).await;
        }
        let plain = match self.fetcher.fetch(&target.url, validators).await {
            Ok(Fetched::NotModified { final_url }) => return Ok(Read::NotModified { final_url }),
            Ok(Fetched::Document(doc)) => doc,
            Err(e) => {
                return match blocked(&e) {
                    Some(why) if target.render == Render::Auto => {
                        self.render(target, &why, earlier).await
                    }
                    _ => Err(e.into()),
                }
            }
        };
        if let Some(again) = Earlier::again(earlier, &plain) {
            return Ok(again.read(plain));
        }
        let (plain, extracted) = self.extract(plain, target).await;
        match extracted {
            Ok(x) if target.render == Render::Never => Ok(Read::Document(plain, x)),
            Ok(x) => match &plain.body {
                Body::Html(html) if looks_like_challenge(html) => {
                    self.render(target, "the server answered with a challenge page", earlier)
                        .await
                }
                _ => Ok(Read::Document(plain, x)),
            },
            Err(e) if target.render == Render::Auto && plain.body.media() == Media::Html => {
                match &e {
                    TargetError::Extract(
                        ExtractError::NearlyEmpty { .. }
                        | ExtractError::NoRoot { .. }
                        | ExtractError::ErrorPage { .. },
                    ) => {
                        let why = match e {
                            TargetError::Extract(ExtractError::NearlyEmpty { chars }) => format!(
                                "without its scripts the page extracts to almost nothing ({chars} characters of text)"
                            ),
                            other => format!("without its scripts: {other}"),
                        };
                        self.render(target, &why, earlier).await
                    }
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Renders the target in the browser and extracts what it shows; `why` says what the
    /// plain answer lacked, for the error of a browser that is missing.
    async fn render(
        &self,
        target: &Target,
        why: &str,
        earlier: Option<Earlier<'_>>,
    ) -> Result<Read, TargetError> {
        tracing::info!(target = %target.id, why, "rendering in a browser");
        let rendered = self
            .browser
            .render(&target.url, self.max_bytes)
            .await
            .map_err(|error| TargetError::Browser {
                why: why.to_string(),
                error,
            })?;
        if rendered.mime.as_deref().and_then(Media::of_type) == Some(Media::Pdf) {
            // The browser would only show its viewer: the file itself is fetched.
            return match self.fetcher.fetch(&rendered.final_url, None).await? {
                Fetched::Document(doc) => match Earlier::again(earlier, &doc) {
                    Some(again) => Ok(again.read(doc)),
                    None => {
                        let (doc, x) = self.extract(doc, target).await;
                        Ok(Read::Document(doc, x?))
                    }
                },
                Fetched::NotModified { .. } => Err(TargetError::Internal(
                    "a 304 answered a request without validators",
                )),
            };
        }
        if let Some(status) = rendered.status.filter(|s| *s >= 400) {
            return Err(TargetError::Browser {
                why: why.to_string(),
                error: BrowserError::Status { status },
            });
        }
        let doc = Document {
            final_url: rendered.final_url,
            body: Body::Html(rendered.html),
            read: ReadBy::Browser,
            validators: Validators::default(),
        };
        if let Some(again) = Earlier::again(earlier, &doc) {
            return Ok(again.read(doc));
        }
        let (doc, extracted) = self.extract(doc, target).await;
        Ok(Read::Document(doc, extracted?))
    }

    /// Extraction is CPU work: it runs on the blocking pool, off the async threads, at most
    /// one document per core at a time (documents waiting for a core hold only their bytes).
    /// The document is handed back, not copied. An extraction that takes longer than the
    /// budget fails this target; its thread keeps the core until it ends, and its result is
    /// dropped (the run does not wait for it at its end).
    pub async fn extract(
        &self,
        doc: Document,
        target: &Target,
    ) -> (Document, Result<Extracted, TargetError>) {
        let Ok(slot) = self.parse_slots.clone().acquire_owned().await else {
            return (doc, Err(TargetError::Internal("parse slots closed")));
        };
        let rules = target.rules.clone();
        let fallback = doc.final_url.clone();
        let work = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let result = extract(&doc.body, &doc.final_url, &rules);
            (doc, result)
        });
        let gone = |error: TargetError| {
            let doc = Document {
                final_url: fallback,
                body: Body::Html(String::new()),
                read: ReadBy::Http,
                validators: Validators::default(),
            };
            (doc, Err(error))
        };
        match tokio::time::timeout(self.extract_budget, work).await {
            Ok(Ok((doc, result))) => (doc, result.map_err(TargetError::from)),
            Ok(Err(e)) => gone(TargetError::Crashed { error: Arc::new(e) }),
            Err(_) => gone(
                ExtractError::TooSlow {
                    secs: self.extract_budget.as_secs(),
                }
                .into(),
            ),
        }
    }
}

/// Why a failed plain request may still be read in a browser: the answers that bot walls give
/// to clients that are not browsers.
fn blocked(e: &FetchError) -> Option<String> {
    match e {
        FetchError::Status {
            status: status @ (403 | 406 | 429),
        } => Some(format!(
            "the server answered HTTP {status} to a plain request"
        )),
        FetchError::Challenge { status } => Some(format!(
            "the server answered HTTP {status} with a challenge for browsers"
        )),
        _ => None,
    }
}

/// A bot wall's interstitial served with 200: the markers of the common ones, in the head of
/// the page. Passive bot-management scripts on real pages do not count.
fn looks_like_challenge(html: &str) -> bool {
    let mut end = html.len().min(16 * 1024);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let head = html[..end].to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "<title>just a moment...</title>",
        "<title>attention required! | cloudflare</title>",
        "window._cf_chl_opt",
        "_incapsula_resource",
        "captcha-delivery.com",
        "<title>access denied</title>",
    ];
    MARKERS.iter().any(|m| head.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_extraction_past_its_budget_fails_saying_so() {
        let config = Config::builtin().expect("built-in config");
        let mut reader = Reader::new(&config).expect("reader");
        let target = &config.targets[0];
        let page = format!(
            "<html><body><main>{}</main></body></html>",
            "<p>We process your personal data only for the purposes named here.</p>".repeat(20_000)
        );
        let doc = || Document {
            final_url: target.url.clone(),
            body: Body::Html(page.clone()),
            read: ReadBy::Http,
            validators: Validators::default(),
        };
        // A budget no page can keep.
        reader.extract_budget = Duration::ZERO;
        let (_, result) = reader.extract(doc(), target).await;
        let error = result.expect_err("past its budget").to_string();
        assert!(error.contains("took longer than"), "{error}");
        // Within the budget the same page reads.
        reader.extract_budget = EXTRACT_BUDGET;
        let (_, result) = reader.extract(doc(), target).await;
        assert!(result.is_ok(), "{result:?}");
    }

    #[tokio::test]
    async fn the_stored_page_served_again_is_read_as_stored_without_being_parsed() {
        use wiremock::matchers::path;
        use wiremock::{Mock, MockServer, ResponseTemplate};

        use crate::hash::content_hash;

        let server = MockServer::start().await;
        let page = |text: &str| {
            ResponseTemplate::new(200).set_body_raw(
                format!("<html><body><main><h1>Privacy</h1><p>{text}</p></main></body></html>"),
                "text/html; charset=utf-8",
            )
        };
        let serve = |text: &str| Mock::given(path("/privacy")).respond_with(page(text));
        let text = "We keep the data you give us for thirty days and delete it after that.";
        serve(text).mount(&server).await;
        let config = Config::builtin().expect("built-in config");
        let reader = Reader::new(&config).expect("reader");
        let mut target = config.targets[0].clone();
        target.url = Url::parse(&format!("{}/privacy", server.uri())).unwrap();
        target.render = Render::Never;
        let words = |read: Read| match read {
            Read::Document(_, x) => x.markdown(),
            other => panic!("not a document: {other:?}"),
        };

        let Read::Document(doc, parsed) = reader.read(&target, None, None, None).await.unwrap()
        else {
            panic!("not a document")
        };
        assert!(parsed.markdown().contains("thirty days"));
        // What the store kept for these bytes; marked, so that a parse would show.
        let mut kept = parsed.clone();
        kept.root = "kept".into();
        let known = Extraction::new(
            &doc.body,
            &doc.final_url,
            doc.read,
            target.rules.hash(),
            &kept,
        )
        .valid_for(target.rules.hash(), &content_hash(&kept.markdown()))
        .expect("the same rules");
        let again = reader
            .read(&target, None, None, Some(Earlier::Stored(&known)))
            .await
            .unwrap();
        let Read::Document(_, x) = again else {
            panic!("not a document")
        };
        assert_eq!(x.root, "kept", "the same bytes are read as stored");

        // One character more, and the page is parsed.
        server.reset().await;
        serve(&text.replace("days", "days!")).mount(&server).await;
        let changed = reader
            .read(&target, None, None, Some(Earlier::Stored(&known)))
            .await
            .unwrap();
        assert!(words(changed).contains("thirty days!"));
    }

    #[test]
    fn bot_walls_are_told_from_plain_failures() {
        assert!(blocked(&FetchError::Status { status: 403 }).is_some());
        assert!(blocked(&FetchError::Status { status: 429 }).is_some());
        assert!(blocked(&FetchError::Challenge { status: 503 }).is_some());
        assert!(blocked(&FetchError::Status { status: 404 }).is_none());
        assert!(blocked(&FetchError::Status { status: 503 }).is_none());
        assert!(looks_like_challenge(
            "<html><head><title>Just a moment...</title></head>"
        ));
        assert!(!looks_like_challenge(
            "<html><head><title>Privacy</title><script src=\"/cdn-cgi/challenge-platform/scripts/jsd/main.js\"></script>"
        ));
    }
}
