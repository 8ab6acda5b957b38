//! The link check: every link in a page's content checked once over HTTP (HEAD, then GET),
//! redirects followed, transient failures retried, requests limited per host and overall;
//! plus the link checks that need no network (same-page `#fragment`s, `mailto:`/`tel:` syntax,
//! linked policies that are not watched).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, Method};
use tokio::sync::OnceCell;
use url::Url;

use super::{anchors, normalize_url, without_fragment, Finding, FindingKind, Page, Watched};
use crate::config::LinkSettings;
use crate::error::{ContactError, Error, FetchError};
use crate::fetch::{self, Limiter, MAX_REDIRECTS};
use crate::retry::{self, Attempt};
use crate::text::percent_decode;

/// The first pause between retries when none is configured; it doubles on every retry.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(500);

/// Words in a URL path that make a link look like a policy.
const POLICY_WORDS: &[&str] = &["privacy", "datenschutz", "legal", "terms"];

/// What a link check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// 2xx, or a status listed in `[links] accept`.
    Ok,
    /// 404, 410, or a host name that does not resolve.
    Broken,
    /// Timeouts, resets, refused connections, 5xx — after retries.
    Unreachable,
    /// 401, 403, 429 and other refusals: inconclusive, never called broken.
    Blocked,
}

/// The outcome of checking one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    pub verdict: Verdict,
    /// What was seen, for a person: `HTTP 404 Not Found`, `timed out after 20 s`.
    pub detail: String,
    /// The last HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Where redirects ended, when they led elsewhere.
    pub final_url: Option<Url>,
    /// Some redirect on the way was permanent (301, 308).
    pub permanent_redirect: bool,
    /// Requests rounds made (1 + retries).
    pub attempts: u32,
}

impl LinkStatus {
    fn new(verdict: Verdict, detail: impl Into<String>) -> Self {
        LinkStatus {
            verdict,
            detail: detail.into(),
            status: None,
            final_url: None,
            permanent_redirect: false,
            attempts: 1,
        }
    }
}

/// Checks links over HTTP. Build one per run and share it: it remembers every URL it has
/// checked, so a URL linked from several places or pages is requested once.
pub struct LinkChecker {
    client: Client,
    settings: LinkSettings,
    backoff: Duration,
    limiter: Limiter,
    cache: Mutex<HashMap<String, Arc<OnceCell<LinkStatus>>>>,
}

/// One answer at the end of a redirect chain.
struct Hop {
    status: u16,
    reason: Option<&'static str>,
    final_url: Url,
    permanent: bool,
    retry_after: Option<Duration>,
    /// The chain left http(s) (a redirect to `mailto:` or similar): nothing more to check.
    left_http: bool,
}

/// One round of requests: its status, whether trying again may help, and how long the
/// server asked us to wait.
struct Round {
    status: LinkStatus,
    transient: bool,
    retry_after: Option<Duration>,
}

impl LinkChecker {
    /// A checker with `[links]` settings, sending `user_agent`.
    pub fn new(settings: &LinkSettings, user_agent: &str) -> Result<Self, Error> {
        crate::tls::install_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        // Redirects are followed by hand, to notice the permanent ones.
        let client = Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(settings.per_host)
            .build()
            .map_err(Error::Client)?;
        Ok(LinkChecker {
            client,
            settings: settings.clone(),
            backoff: DEFAULT_BACKOFF,
            limiter: Limiter::new(settings.max_concurrency, settings.per_host),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the first pause between retries (`[http] backoff_ms`).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Whether `[links] exclude` leaves `url` out.
    pub fn is_excluded(&self, url: &str) -> bool {
        self.settings.exclude.iter().any(|re| re.is_match(url))
    }

    /// Checks one URL (its fragment ignored); a URL checked before in this run is not
    /// requested again.
    pub async fn check(&self, url: &Url) -> LinkStatus {
        let key = without_fragment(url);
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .entry(key)
                .or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        let mut bare = url.clone();
        bare.set_fragment(None);
        cell.get_or_init(|| self.probe(bare)).await.clone()
    }

    /// Checks many URLs at once, within the per-host and global limits; the statuses come
    /// back in the order of `urls`.
    pub async fn check_all(&self, urls: &[Url]) -> Vec<LinkStatus> {
        futures::future::join_all(urls.iter().map(|u| self.check(u))).await
    }

    /// Request rounds, retried as the run's [`retry::Policy`] says.
    async fn probe(&self, url: Url) -> LinkStatus {
        let policy = retry::Policy::new(self.settings.retries, self.backoff);
        let result = retry::run(&policy, |attempt| {
            let url = &url;
            async move {
                let round = self.round(url).await;
                let mut status = round.status;
                status.attempts = attempt + 1;
                if round.transient {
                    Attempt::Retry {
                        error: status,
                        after: round.retry_after,
                    }
                } else {
                    Attempt::Done(status)
                }
            }
        })
        .await;
        result.unwrap_or_else(|gave_up| gave_up.error)
    }

    /// One round: HEAD, and GET when HEAD does not say plainly that the link works (HEAD is
    /// refused with 405/501 by some servers, and answered wrongly by others).
    async fn round(&self, url: &Url) -> Round {
        match self.follow(url, Method::HEAD).await {
            Err(e) => self.transport(e),
            Ok(hop) if hop.left_http || self.is_accepted(hop.status) => self.judge(url, hop),
            Ok(hop) if hop.status == 429 => self.judge(url, hop),
            Ok(_) => match self.follow(url, Method::GET).await {
                Err(e) => self.transport(e),
                Ok(hop) => self.judge(url, hop),
            },
        }
    }

    fn is_accepted(&self, status: u16) -> bool {
        (200..300).contains(&status) || self.settings.accept.contains(&status)
    }

    /// Sends `method` to `url` and follows redirects by hand (each hop within the limits).
    async fn follow(&self, url: &Url, method: Method) -> Result<Hop, FetchError> {
        let mut current = url.clone();
        let mut method = method;
        let mut permanent = false;
        for _ in 0..=MAX_REDIRECTS {
            let resp = {
                let _permit = self.limiter.acquire(&current).await;
                self.client
                    .request(method.clone(), current.clone())
                    .send()
                    .await
                    .map_err(|e| fetch::classify(e, &current, self.settings.timeout))?
            };
            let status = resp.status();
            let next = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| current.join(loc).ok());
            match next {
                Some(next) if status.is_redirection() && status.as_u16() != 304 => {
                    permanent |= matches!(status.as_u16(), 301 | 308);
                    if status.as_u16() == 303 && method != Method::HEAD {
                        method = Method::GET;
                    }
                    if !matches!(next.scheme(), "http" | "https") {
                        return Ok(Hop {
                            status: status.as_u16(),
                            reason: status.canonical_reason(),
                            final_url: next,
                            permanent,
                            retry_after: None,
                            left_http: true,
                        });
                    }
                    current = next;
                }
                _ => {
                    return Ok(Hop {
                        status: status.as_u16(),
                        reason: status.canonical_reason(),
                        retry_after: fetch::retry_after(resp.headers()),
                        final_url: current,
                        permanent,
                        left_http: false,
                    })
                }
            }
        }
        Err(FetchError::TooManyRedirects {
            limit: MAX_REDIRECTS,
        })
    }

    /// Classifies the HTTP answer to a check that started at `start`.
    fn judge(&self, start: &Url, hop: Hop) -> Round {
        let detail = match hop.reason {
            Some(r) => format!("HTTP {} {r}", hop.status),
            None => format!("HTTP {}", hop.status),
        };
        let (verdict, transient, detail) = if hop.left_http {
            (
                Verdict::Ok,
                false,
                format!("redirects to {}", hop.final_url),
            )
        } else if self.is_accepted(hop.status) {
            (Verdict::Ok, false, detail)
        } else {
            match hop.status {
                404 | 410 => (Verdict::Broken, false, detail),
                429 => (Verdict::Blocked, true, format!("{detail} (rate limited)")),
                401 | 403 => (Verdict::Blocked, false, detail),
                500..=599 => (Verdict::Unreachable, true, detail),
                _ => (Verdict::Blocked, false, format!("{detail} (inconclusive)")),
            }
        };
        let moved = without_fragment(&hop.final_url) != without_fragment(start);
        Round {
            status: LinkStatus {
                verdict,
                detail,
                status: Some(hop.status),
                final_url: moved.then_some(hop.final_url),
                permanent_redirect: hop.permanent,
                attempts: 1,
            },
            transient,
            retry_after: hop.retry_after,
        }
    }

    /// Classifies a failure below HTTP.
    fn transport(&self, e: FetchError) -> Round {
        let (verdict, transient) = match &e {
            FetchError::Dns { .. } => (Verdict::Broken, false),
            FetchError::TooManyRedirects { .. } => (Verdict::Unreachable, false),
            _ => (Verdict::Unreachable, true),
        };
        Round {
            status: LinkStatus::new(verdict, e.to_string()),
            transient,
            retry_after: None,
        }
    }
}

/// Findings of the link check on one page: `#fragment`s that name no element, malformed
/// `mailto:`/`tel:` links, HTTP links that are broken, unreachable, blocked or permanently
/// redirected, and linked policies that are not watched. Links with an unusable href are the
/// empty-link check's to report; links matching `[links] exclude` are left out.
pub async fn findings(page: &Page<'_>, checker: &LinkChecker, watched: &Watched) -> Vec<Finding> {
    let Sorted { mut out, http } = sort_links(page, checker);
    let urls: Vec<Url> = http.iter().map(|(u, _)| u.clone()).collect();
    let statuses = checker.check_all(&urls).await;
    let mut lands_on: HashMap<String, String> = HashMap::new();
    for ((url, places), status) in http.iter().zip(&statuses) {
        if let Some(f) = landed(status) {
            lands_on.insert(normalize_url(url), normalize_url(f));
        }
        out.extend(http_finding(page, url, places, status));
    }
    out.extend(unwatched(page, checker, watched, &lands_on));
    out
}

/// A page's links, sorted before any request: findings that need none, and the http(s)
/// links to request, each URL once with every place it appears, in page order.
struct Sorted {
    out: Vec<Finding>,
    http: Vec<(Url, Vec<(usize, usize)>)>,
}

fn sort_links(page: &Page<'_>, checker: &LinkChecker) -> Sorted {
    let mut sorted = Sorted {
        out: Vec::new(),
        http: Vec::new(),
    };
    let mut reported = HashSet::new();
    let mut http_index: HashMap<String, usize> = HashMap::new();
    for (b, i, link) in page.links() {
        if anchors::href_problem(link.href.as_deref()).is_some() {
            continue;
        }
        let Some(url) = link.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
            // An href that does not even make a URL leads nowhere.
            let href = link.href.as_deref().unwrap_or("").trim();
            if !checker.is_excluded(href) && reported.insert(format!("href:{href}")) {
                sorted.out.push(not_a_url(page, (b, i), &link.text, href));
            }
            continue;
        };
        if checker.is_excluded(url.as_str()) {
            continue;
        }
        let found = match url.scheme() {
            "mailto" | "tel" => contact_syntax(&url)
                .err()
                .filter(|_| reported.insert(url.to_string()))
                .map(|why| malformed_contact(page, (b, i), &link.text, &url, &why.to_string())),
            "http" | "https" if is_same_page(page, &url) => {
                missing_fragment(page, (b, i), &link.text, &url)
                    .filter(|f| reported.insert(format!("#{}", f.1)))
                    .map(|f| f.0)
            }
            "http" | "https" => {
                let key = without_fragment(&url);
                match http_index.get(&key) {
                    Some(&n) => sorted.http[n].1.push((b, i)),
                    None => {
                        http_index.insert(key, sorted.http.len());
                        let mut bare = url.clone();
                        bare.set_fragment(None);
                        sorted.http.push((bare, vec![(b, i)]));
                    }
                }
                None
            }
            _ => None,
        };
        sorted.out.extend(found);
    }
    sorted
}

/// An href that does not make a URL.
fn not_a_url(page: &Page<'_>, (b, i): (usize, usize), text: &str, href: &str) -> Finding {
    let target = &page.target.id;
    Finding {
        id: format!("broken:{target}:href:{href}"),
        kind: FindingKind::Broken,
        message: format!(
            "Link “{}”{} has an href that is not a valid URL: {href}",
            text.trim(),
            page.section_phrase(b)
        ),
        context: page.quote(b, i, &marker(text, href, "not a valid URL")),
        url: Some(href.to_string()),
        section: page.section_label(b),
    }
}

/// A `mailto:` or `tel:` link that no mail program or phone could use.
fn malformed_contact(
    page: &Page<'_>,
    (b, i): (usize, usize),
    text: &str,
    url: &Url,
    why: &str,
) -> Finding {
    Finding {
        id: format!("broken:{}:{url}", page.target.id),
        kind: FindingKind::Broken,
        message: format!("Malformed {} link {url}: {why}", url.scheme()),
        context: page.quote(b, i, &marker(text, url.as_str(), why)),
        url: Some(url.to_string()),
        section: page.section_label(b),
    }
}

/// A link to this page whose `#fragment` names no element on it, with the fragment.
fn missing_fragment(
    page: &Page<'_>,
    (b, i): (usize, usize),
    text: &str,
    url: &Url,
) -> Option<(Finding, String)> {
    let fragment = url.fragment().filter(|f| !f.is_empty())?;
    let decoded = percent_decode(fragment);
    let ids = &page.extracted.ids;
    if ids.contains(fragment) || ids.contains(&decoded) || decoded.eq_ignore_ascii_case("top") {
        return None;
    }
    let finding = Finding {
        id: format!("broken-fragment:{}:#{fragment}", page.target.id),
        kind: FindingKind::BrokenFragment,
        message: format!(
            "Link to “#{decoded}”{} points to no element on this page",
            page.section_phrase(b)
        ),
        context: page.quote(b, i, &marker(text, url.as_str(), "no element has this id")),
        url: Some(url.to_string()),
        section: page.section_label(b),
    };
    Some((finding, fragment.to_string()))
}

/// Where a link that answered landed.
fn landed(status: &LinkStatus) -> Option<&Url> {
    status
        .final_url
        .as_ref()
        .filter(|_| status.verdict == Verdict::Ok)
}

/// What the answer to one http(s) link says about it, if anything: broken, unreachable,
/// blocked, or permanently redirected.
fn http_finding(
    page: &Page<'_>,
    url: &Url,
    places: &[(usize, usize)],
    status: &LinkStatus,
) -> Option<Finding> {
    let (b, i) = places[0];
    let also = if places.len() > 1 {
        format!(" ({} places)", places.len())
    } else {
        String::new()
    };
    let (kind, message) = match status.verdict {
        Verdict::Ok => match landed(status) {
            Some(f) if status.permanent_redirect => (
                FindingKind::Redirected,
                format!("Link {url} redirects permanently to {f}{also}: point it there"),
            ),
            _ => return None,
        },
        Verdict::Broken => (
            FindingKind::Broken,
            format!("Broken link {url}{also}: {}", status.detail),
        ),
        Verdict::Unreachable => (
            FindingKind::Unreachable,
            format!(
                "Unreachable link {url}{also}: {} ({} attempt(s))",
                status.detail, status.attempts
            ),
        ),
        Verdict::Blocked => (
            FindingKind::Blocked,
            format!(
                "Link {url}{also} could not be checked: {} — inconclusive, not counted as broken",
                status.detail
            ),
        ),
    };
    let why = match kind {
        FindingKind::Redirected => format!(
            "→ {}",
            status.final_url.as_ref().map(Url::as_str).unwrap_or("")
        ),
        _ => status.detail.clone(),
    };
    Some(Finding {
        id: format!(
            "{}:{}:{}",
            kind_key(kind),
            page.target.id,
            without_fragment(url)
        ),
        kind,
        message,
        context: page.quote(b, i, &marker(&link_text(page, b, i), url.as_str(), &why)),
        url: Some(url.to_string()),
        section: page.section_label(b),
    })
}

/// External links whose path looks like a policy and that no target watches (also not
/// after their redirects): informational, so that a new vendor on the page is noticed.
fn unwatched(
    page: &Page<'_>,
    checker: &LinkChecker,
    watched: &Watched,
    lands_on: &HashMap<String, String>,
) -> Vec<Finding> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (b, i, link) in page.links() {
        let Some(url) = link.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https")
            || page.is_own_site(&url)
            || checker.is_excluded(url.as_str())
            || !looks_like_policy(&url)
        {
            continue;
        }
        let norm = normalize_url(&url);
        let is_watched = watched.contains(&norm)
            || lands_on
                .get(&norm)
                .is_some_and(|landed| watched.contains(landed));
        if is_watched || !seen.insert(norm) {
            continue;
        }
        let text = link.text.trim();
        out.push(Finding {
            id: format!("unwatched:{}:{}", page.target.id, without_fragment(&url)),
            kind: FindingKind::Unwatched,
            message: format!(
                "Linked policy {url} is not watched: add it as a [[target]] to follow its changes"
            ),
            context: page.quote(
                b,
                i,
                &if text.is_empty() {
                    format!("[⟨empty link → {url}⟩]")
                } else {
                    format!("[{text}]")
                },
            ),
            url: Some(url.to_string()),
            section: page.section_label(b),
        });
    }
    out
}

/// Whether a URL's path names a policy: privacy, datenschutz, legal, terms.
pub fn looks_like_policy(url: &Url) -> bool {
    let path = url.path().to_lowercase();
    POLICY_WORDS.iter().any(|w| path.contains(w))
}

/// The prefix of finding ids of a kind.
fn kind_key(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Broken => "broken",
        FindingKind::Unreachable => "unreachable",
        FindingKind::Blocked => "blocked",
        FindingKind::EmptyLink => "empty-link",
        FindingKind::BrokenFragment => "broken-fragment",
        FindingKind::MissingInTranslation => "missing-in-translation",
        FindingKind::LanguageDrift => "language-drift",
        FindingKind::Unwatched => "unwatched",
        FindingKind::Redirected => "redirected",
    }
}

fn link_text(page: &Page<'_>, block: usize, inline: usize) -> String {
    match page.blocks().get(block).and_then(|b| b.inlines.get(inline)) {
        Some(crate::extract::Inline::Link(l)) => l.text.trim().to_string(),
        _ => String::new(),
    }
}

/// The marker of a link in a quote: its text, and what is wrong.
fn marker(text: &str, url: &str, why: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        format!("[⟨empty link → {url}⟩ ⟨{why}⟩]")
    } else {
        format!("[{text} ⟨{why}⟩]")
    }
}

/// Whether `url` points into the page itself (the fetched or the configured URL).
fn is_same_page(page: &Page<'_>, url: &Url) -> bool {
    let key = without_fragment(url);
    key == without_fragment(page.url) || key == without_fragment(&page.target.url)
}

/// Syntax of a `mailto:` or `tel:` link; nothing is sent anywhere.
pub fn contact_syntax(url: &Url) -> Result<(), ContactError> {
    let body = percent_decode(url.path());
    match url.scheme() {
        "mailto" => {
            if body.trim().is_empty() {
                return Err(ContactError::NoAddress);
            }
            for addr in body.split(',') {
                let addr = addr.trim();
                if !is_email(addr) {
                    return Err(ContactError::NotAnAddress(addr.to_string()));
                }
            }
            Ok(())
        }
        "tel" => {
            let number = body.split(';').next().unwrap_or("").trim();
            let digits = number.chars().filter(char::is_ascii_digit).count();
            let allowed = number
                .chars()
                .enumerate()
                .all(|(k, c)| c.is_ascii_digit() || " -.()/".contains(c) || (c == '+' && k == 0));
            if allowed && digits >= 3 {
                Ok(())
            } else {
                Err(ContactError::NotANumber(number.to_string()))
            }
        }
        _ => Ok(()),
    }
}

fn is_email(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && !local.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn mailto_and_tel_are_checked_for_syntax_only() {
        assert!(contact_syntax(&url("mailto:privacy@crossengage.io")).is_ok());
        assert!(contact_syntax(&url("mailto:a@x.example,b@y.example?subject=Hi")).is_ok());
        assert!(contact_syntax(&url("mailto:privacy(at)crossengage.io")).is_err());
        assert!(contact_syntax(&url("mailto:")).is_err());
        assert!(contact_syntax(&url("mailto:someone@localhost")).is_err());
        assert!(contact_syntax(&url("tel:+49%2030%201234567")).is_ok());
        assert!(contact_syntax(&url("tel:+1-555-0100;ext=12")).is_ok());
        assert!(contact_syntax(&url("tel:call-us")).is_err());
        assert!(contact_syntax(&url("tel:12")).is_err());
    }

    #[test]
    fn policy_paths_are_recognised() {
        assert!(looks_like_policy(&url(
            "https://www.hotjar.com/legal/policies/privacy/"
        )));
        assert!(looks_like_policy(&url("https://example.de/Datenschutz")));
        assert!(looks_like_policy(&url(
            "https://example.com/terms-of-service"
        )));
        assert!(!looks_like_policy(&url("https://example.com/pricing")));
        // The host alone does not make a policy.
        assert!(!looks_like_policy(&url("https://privacy.example.com/")));
    }
}
