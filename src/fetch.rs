//! HTTP: timeouts, retries with backoff, a redirect limit, a streamed size cap, conditional
//! requests and charset decoding. Also the per-host and global limits on requests in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use encoding_rs::Encoding;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::HttpSettings;
use crate::document::{Body, Document, Media, ReadBy};
use crate::error::{causes, Error, FetchError};
use crate::retry::{self, Attempt};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

pub use crate::document::Validators;

/// The outcome of a successful request.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the server says nothing changed since the validators we sent.
    NotModified { final_url: Url },
    /// An HTML page (decoded) or a PDF, as the server sent it.
    Document(Document),
}

/// Builds the HTTP client every stage shares.
pub fn client(user_agent: &str, timeout: Duration) -> Result<Client, Error> {
    crate::tls::install_crypto_provider();
    Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .pool_max_idle_per_host(8)
        .build()
        .map_err(Error::Client)
}

/// Limits requests in flight: over all hosts, and per host.
#[derive(Debug)]
pub struct Limiter {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Holding this lets one request run.
pub struct Permit {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Limiter {
    pub fn new(global: usize, per_host: usize) -> Self {
        Limiter {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a place for a request to `url`'s host.
    pub async fn acquire(&self, url: &Url) -> Permit {
        let host_sem = {
            let mut hosts = self.hosts.lock().expect("limiter lock");
            let key = format!(
                "{}:{}",
                url.host_str().unwrap_or(""),
                url.port_or_known_default().unwrap_or(0)
            );
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // Take the host's place first so that a busy host does not hold global places.
        let host = host_sem.acquire_owned().await.expect("semaphore open");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        Permit {
            _global: global,
            _host: host,
        }
    }
}

/// Fetches pages: timeouts, retries, redirects, a size cap, charset decoding.
pub struct Fetcher {
    client: Client,
    settings: HttpSettings,
    limiter: Limiter,
}

impl Fetcher {
    pub fn new(settings: &HttpSettings) -> Result<Self, Error> {
        Ok(Fetcher {
            client: client(&settings.user_agent, settings.timeout)?,
            settings: settings.clone(),
            limiter: Limiter::new(settings.max_concurrency, settings.per_host),
        })
    }

    /// Fetches `url`, retrying transient failures as the run's [`retry::Policy`] says.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let policy = retry::Policy::new(self.settings.retries, self.settings.backoff);
        retry::run(&policy, |_| async {
            let _permit = self.limiter.acquire(url).await;
            match self.fetch_once(url, validators).await {
                Ok(f) => Attempt::Done(f),
                Err((error, after)) if error.is_transient() => {
                    tracing::info!(%url, %error, "fetch failed; it may be tried again");
                    Attempt::Retry { error, after }
                }
                Err((error, _)) => Attempt::Fail(error),
            }
        })
        .await
        .map_err(|gave_up| gave_up.error)
    }

    async fn fetch_once(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, (FetchError, Option<Duration>)> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,*/*;q=0.5",
            ),
        );
        if let Some(v) = validators {
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = v
                .last_modified
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let conditional = headers.contains_key(header::IF_NONE_MATCH)
            || headers.contains_key(header::IF_MODIFIED_SINCE);
        let mut resp = self
            .client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| (classify(e, url, self.settings.timeout), None))?;
        let status = resp.status();
        let final_url = resp.url().clone();
        if status == StatusCode::NOT_MODIFIED {
            // 304 only answers a conditional request; to any other it is an odd answer.
            if !conditional {
                return Err((FetchError::NotModifiedUnasked, None));
            }
            return Ok(Fetched::NotModified { final_url });
        }
        if !status.is_success() {
            // A bot wall's challenge (Cloudflare marks it so): trying again will not help.
            let challenge = resp
                .headers()
                .get("cf-mitigated")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"challenge"));
            if challenge {
                return Err((
                    FetchError::Challenge {
                        status: status.as_u16(),
                    },
                    None,
                ));
            }
            let retry_after = retry_after(resp.headers());
            return Err((
                FetchError::Status {
                    status: status.as_u16(),
                },
                retry_after,
            ));
        }
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // A type that is neither a page nor a PDF is refused before its body is read; a
        // generic type (`application/octet-stream`) is judged by its first bytes below.
        if let Some(ct) = &content_type {
            if Media::of_type(ct).is_none() && !is_generic_type(ct) {
                return Err((
                    FetchError::NotHtml {
                        content_type: ct.clone(),
                    },
                    None,
                ));
            }
        }
        let limit = self.settings.max_body_bytes;
        if resp.content_length().is_some_and(|len| len > limit) {
            return Err((FetchError::TooLarge { limit }, None));
        }
        let validators = Validators {
            etag: header_string(resp.headers(), header::ETAG),
            last_modified: header_string(resp.headers(), header::LAST_MODIFIED),
        };
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err((FetchError::TooLarge { limit }, None));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err((classify(e, url, self.settings.timeout), None)),
            }
        }
        let media = Media::sniff(content_type.as_deref(), &body)
            .or_else(|| (content_type.is_none() && looks_like_html(&body)).then_some(Media::Html));
        let Some(media) = media else {
            return Err((
                FetchError::NotHtml {
                    content_type: content_type
                        .unwrap_or_else(|| "(none, and the body is not HTML)".into()),
                },
                None,
            ));
        };
        let (body, read) = match media {
            Media::Pdf => (Body::Pdf(body), ReadBy::Pdf),
            Media::Html => {
                let (html, encoding) = decode(&body, content_type.as_deref());
                tracing::debug!(%url, encoding = encoding.name(), bytes = body.len(), "fetched");
                (Body::Html(html), ReadBy::Http)
            }
        };
        Ok(Fetched::Document(Document {
            final_url,
            body,
            read,
            validators,
        }))
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A type that says nothing of the content: the bytes decide.
fn is_generic_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/octet-stream")
        || essence.eq_ignore_ascii_case("binary/octet-stream")
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html") || head.contains("<body")
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v)
        .ok()?;
    let secs = (when.as_second() - jiff::Timestamp::now().as_second()).max(0);
    Some(Duration::from_secs(secs as u64))
}

/// Maps a transport error to what a user can act on. Never includes the URL's query.
pub fn classify(e: reqwest::Error, url: &Url, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout {
            secs: timeout.as_secs(),
        };
    }
    if e.is_redirect() {
        return FetchError::TooManyRedirects {
            limit: MAX_REDIRECTS,
        };
    }
    let lower = causes(&e).to_ascii_lowercase();
    if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no address associated")
    {
        return FetchError::Dns {
            host: url.host_str().unwrap_or("").to_string(),
        };
    }
    // reqwest's error names the URL, whose query may hold a token: it is kept without it.
    let connect = e.is_connect() || lower.contains("connection") || e.is_body() || e.is_request();
    let error = Arc::new(e.without_url());
    if connect {
        return FetchError::Connect { error };
    }
    FetchError::Other { error }
}

/// Decodes a body: byte-order mark, then the HTTP header's charset, then `<meta charset>`,
/// then detection.
///
/// UTF-16 without a byte-order mark is taken from the header alone, and only when the body
/// has the zero bytes that UTF-16 markup must have (which half of each pair holds them says
/// little or big endian); a `<meta>` that claims UTF-16 was itself read as ASCII, so the page
/// is UTF-8, as browsers take it.
pub fn decode(body: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    let is_utf16 = |e: &'static Encoding| e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE;
    let encoding = Encoding::for_bom(body)
        .map(|(enc, _)| enc)
        .or_else(|| {
            content_type.and_then(charset_param).and_then(|e| {
                if is_utf16(e) {
                    utf16_order(body)
                } else {
                    Some(e)
                }
            })
        })
        .or_else(|| meta_charset(body).map(|e| if is_utf16(e) { encoding_rs::UTF_8 } else { e }))
        .unwrap_or_else(|| {
            let mut det = chardetng::EncodingDetector::new();
            det.feed(body, true);
            det.guess(None, true)
        });
    let (text, used, _had_errors) = encoding.decode(body);
    (text.into_owned(), used)
}

/// The byte order of a body in UTF-16 without a byte-order mark, by where its zero bytes are
/// (markup is ASCII, so one byte of most pairs is zero); `None` when it has none: then the
/// header's UTF-16 is wrong.
fn utf16_order(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(4096) & !1];
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let pairs = head.len() / 2;
    if pairs == 0 || even.max(odd) * 4 < pairs {
        None
    } else if odd >= even {
        Some(encoding_rs::UTF_16LE)
    } else {
        Some(encoding_rs::UTF_16BE)
    }
}

fn charset_param(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
        } else {
            None
        }
    })
}

fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?i)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_\-:.]+)"#)
            .expect("meta charset regex")
    });
    let head = &body[..body.len().min(4096)];
    let caps = re.captures(head)?;
    Encoding::for_label(caps.get(1)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_as_seconds_or_as_an_http_date() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h)
        };
        assert_eq!(with("7"), Some(Duration::from_secs(7)));
        // An HTTP date in the past means "now"; one in the future, the time until then.
        assert_eq!(with("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let date = later.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let wait = with(&date).expect("an HTTP date parses");
        assert!((100..=120).contains(&wait.as_secs()), "{wait:?} for {date}");
        assert_eq!(with("soon"), None);
    }

    #[test]
    fn header_then_meta_then_detection() {
        let latin1 =
            b"<html><head><meta charset=\"iso-8859-1\"></head><body>Gr\xf6\xdfe</body></html>";
        let (text, enc) = decode(latin1, Some("text/html"));
        assert!(text.contains("Größe"), "{text}");
        assert_eq!(enc.name(), "windows-1252");
        // The header wins over the meta tag.
        let (text, _) = decode(
            "<meta charset=\"iso-8859-1\">Größe".as_bytes(),
            Some("text/html; charset=utf-8"),
        );
        assert!(text.contains("Größe"));
        // No declaration at all: detected.
        let (text, _) = decode(
            b"<html><body><p>Die Datenschutzerkl\xe4rung regelt die Verarbeitung Ihrer Daten f\xfcr unsere Gr\xf6\xdfe.</p></body></html>",
            None,
        );
        assert!(text.contains("Datenschutzerklärung"), "{text}");
    }

    #[test]
    fn utf16_without_a_bom_is_taken_from_the_header() {
        let text = "<html><body><p>Größe und Datenschutz</p></body></html>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (label, body) in [
            ("utf-16", &le),
            ("utf-16le", &le),
            ("UTF-16BE", &be),
            ("utf-16", &be),
        ] {
            let (got, _) = decode(body, Some(&format!("text/html; charset={label}")));
            assert_eq!(got, text, "{label}");
        }
        // A header that says UTF-16 over a body that is not: the body's own bytes win.
        let (got, enc) = decode(text.as_bytes(), Some("text/html; charset=utf-16"));
        assert_eq!((got.as_str(), enc), (text, encoding_rs::UTF_8));
        // A <meta> claiming UTF-16 was read as ASCII: UTF-8.
        let meta = "<meta charset=utf-16><p>Größe</p>";
        assert_eq!(decode(meta.as_bytes(), Some("text/html")).0, meta);
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
    }
}
