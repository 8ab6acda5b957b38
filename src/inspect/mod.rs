//! Findings about a page: broken links, links a reader cannot see or follow, German sections
//! that lack what their English counterpart shows, and sections of one language that changed
//! while their counterpart did not.

pub mod anchors;
pub mod drift;
pub mod language;
pub mod links;

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Target;
use crate::extract::{Block, Extracted, Inline, Link};

pub use links::{LinkChecker, LinkStatus, Verdict};

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// 404, 410, or a host name that does not resolve.
    Broken,
    /// Timeouts, resets, 5xx after retries.
    Unreachable,
    /// 401, 403, 429: inconclusive, never called broken.
    Blocked,
    /// A link a reader cannot see or cannot follow.
    EmptyLink,
    /// A `#fragment` that names no element on the page.
    BrokenFragment,
    /// A section in one language lacks what its counterpart in another shows.
    MissingInTranslation,
    /// A section in one language changed and its counterpart in another did not (open until
    /// the counterpart changes too).
    LanguageDrift,
    /// A linked policy that is not a configured target (informational).
    Unwatched,
    /// A link that redirects permanently: it works, but should point to where it lands now
    /// (informational).
    Redirected,
}

impl FindingKind {
    /// Whether `links` counts it as an open problem (exit code 1).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            FindingKind::Broken | FindingKind::EmptyLink | FindingKind::BrokenFragment
        )
    }

    /// Where findings of this kind stand in a report: what a reader must fix first (broken
    /// and empty links), then the inconclusive link checks, then the informational kinds.
    pub fn rank(self) -> u8 {
        match self {
            FindingKind::Broken => 0,
            FindingKind::EmptyLink => 1,
            FindingKind::BrokenFragment => 2,
            FindingKind::Unreachable => 3,
            FindingKind::Blocked => 4,
            FindingKind::MissingInTranslation => 5,
            FindingKind::LanguageDrift => 6,
            FindingKind::Redirected => 7,
            FindingKind::Unwatched => 8,
        }
    }

    /// How many runs in a row it must be seen before it is reported.
    pub fn runs_before_report(self) -> u32 {
        match self {
            FindingKind::Unreachable | FindingKind::Blocked => 2,
            _ => 1,
        }
    }
}

/// One finding on one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs while the problem is the same.
    pub id: String,
    pub kind: FindingKind,
    /// One line a person understands.
    pub message: String,
    /// The sentence around the problem, with its place marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The link concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The section heading (and language) it sits in, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// Every finding about one extracted page, grouped by kind in [`FindingKind::rank`] order
/// (broken and empty links first) and in page order within a kind. A link that is broken (a
/// 404, a host that does not resolve) is not also suggested as an unwatched policy.
///
/// `page_url` is where the page was fetched from in the end; `watched` holds the URLs of every
/// configured target, so that links to them are not reported as unwatched; `checker` is shared
/// by every page of a run, so a URL linked from several pages is checked once.
pub async fn inspect(
    target: &Target,
    page_url: &Url,
    extracted: &Extracted,
    watched: &Watched,
    checker: &LinkChecker,
) -> Vec<Finding> {
    let page = Page::new(target, page_url, extracted);

    let empties = anchors::find(&extracted.blocks);
    let parity = language::compare(&page);
    let mut findings: Vec<Finding> = empties
        .iter()
        .zip(anchors::ordinals(&empties, &extracted.blocks))
        .map(|(empty, ordinal)| {
            let shown_in = empty
                .url(&extracted.blocks)
                .and_then(|u| parity.shown_elsewhere(page.section_of(empty.block), &u));
            anchors::finding(&page, empty, ordinal, shown_in.as_deref())
        })
        .collect();
    findings.extend(parity.findings);

    if target.check_links {
        findings.extend(links::findings(&page, checker, watched).await);
    }

    // Ids are unique by construction; a duplicate would make the state forget one of them.
    let mut seen = BTreeSet::new();
    findings.retain(|f| seen.insert(f.id.clone()));
    let page_of = |u: &str| u.split('#').next().unwrap_or(u).to_string();
    let broken: HashSet<String> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::Broken)
        .filter_map(|f| f.url.as_deref().map(page_of))
        .collect();
    findings.retain(|f| {
        f.kind != FindingKind::Unwatched
            || f.url
                .as_deref()
                .is_none_or(|u| !broken.contains(&page_of(u)))
    });
    sort_findings(&mut findings);
    findings
}

/// Groups findings by kind, most pressing first, keeping their order within a kind.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by_key(|f| f.kind.rank());
}

/// One page as the checks see it: its target, where it was fetched from, its content and its
/// sections (with their languages when the target names languages).
pub struct Page<'a> {
    pub target: &'a Target,
    pub url: &'a Url,
    pub extracted: &'a Extracted,
    pub sections: Vec<language::Section>,
}

impl<'a> Page<'a> {
    pub fn new(target: &'a Target, url: &'a Url, extracted: &'a Extracted) -> Self {
        let mut sections = language::split(&extracted.blocks);
        if !target.languages.is_empty() {
            language::detect(&mut sections, &extracted.blocks, &target.languages);
        }
        Page {
            target,
            url,
            extracted,
            sections,
        }
    }

    pub fn blocks(&self) -> &'a [Block] {
        &self.extracted.blocks
    }

    /// Every link in the content with its place: (block index, inline index, link).
    pub fn links(&self) -> impl Iterator<Item = (usize, usize, &'a Link)> + 'a {
        self.extracted
            .blocks
            .iter()
            .enumerate()
            .flat_map(|(b, block)| {
                block
                    .inlines
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, inline)| match inline {
                        Inline::Link(l) => Some((b, i, l)),
                        Inline::Text { .. } => None,
                    })
            })
    }

    /// The index of the section that holds block `block`.
    pub fn section_of(&self, block: usize) -> Option<usize> {
        self.sections.iter().position(|s| s.blocks.contains(&block))
    }

    /// How a finding names the section of block `block`: `"de: Heading"`, `"Heading"`, or
    /// `None` before the first heading of a page without languages.
    pub fn section_label(&self, block: usize) -> Option<String> {
        self.section_of(block)
            .and_then(|i| self.sections[i].label())
    }

    /// The section of block `block` in words, for a message: `in the German section “…”`.
    pub fn section_phrase(&self, block: usize) -> String {
        self.section_of(block)
            .map(|i| self.sections[i].phrase())
            .unwrap_or_default()
    }

    /// The context quote for the link at (`block`, `inline`) with `marker` in its place.
    pub fn quote(&self, block: usize, inline: usize, marker: &str) -> Option<String> {
        self.blocks()
            .get(block)
            .map(|b| anchors::quote(b, inline, marker))
    }

    /// Whether `url` is on this page's own site (same scheme, host and port as the page or
    /// its configured URL).
    pub fn is_own_site(&self, url: &Url) -> bool {
        [self.url, &self.target.url]
            .iter()
            .any(|p| p.origin() == url.origin())
    }
}

/// A URL reduced to what makes two links "the same place": no scheme difference between http
/// and https, no `www.`, no fragment, no trailing slash, no default port.
pub fn normalize_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let port = match (url.scheme(), url.port()) {
        (_, None) | ("http", Some(80)) | ("https", Some(443)) => String::new(),
        (_, Some(p)) => format!(":{p}"),
    };
    let path = url.path().trim_end_matches('/');
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    if matches!(url.scheme(), "http" | "https") {
        format!("{host}{port}{path}{query}")
    } else {
        let mut u = url.clone();
        u.set_fragment(None);
        u.to_string()
    }
}

/// `url` without its fragment, as a string: the key a link is checked and identified by.
pub fn without_fragment(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// The normalised forms of the watched URLs, for lookups.
/// The pages a run watches, normalised once per run, so that a link to one of them is not
/// reported as an unwatched policy.
#[derive(Debug, Clone, Default)]
pub struct Watched(HashSet<String>);

impl Watched {
    pub fn new<'a>(urls: impl IntoIterator<Item = &'a Url>) -> Self {
        Watched(urls.into_iter().map(normalize_url).collect())
    }

    /// Whether the normalised URL `norm` is watched.
    pub fn contains(&self, norm: &str) -> bool {
        self.0.contains(norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_urls_ignore_scheme_www_slash_and_fragment() {
        let a = Url::parse("https://www.mixpanel.com/privacy/#top").unwrap();
        let b = Url::parse("http://mixpanel.com/privacy").unwrap();
        assert_eq!(normalize_url(&a), normalize_url(&b));
        let c = Url::parse("https://mixpanel.com/privacy?lang=de").unwrap();
        assert_ne!(normalize_url(&a), normalize_url(&c));
        let d = Url::parse("http://127.0.0.1:8080/x/").unwrap();
        assert_eq!(normalize_url(&d), "127.0.0.1:8080/x");
    }
}
