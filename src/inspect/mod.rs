//! Findings about a page: broken links, links a reader cannot see or follow, and German
//! sections that lack what their English counterpart shows.

pub mod state;

use serde::{Deserialize, Serialize};

pub use state::{track, Tracked};

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
    /// A linked policy that is not a configured target (informational).
    Unwatched,
}

impl FindingKind {
    /// Whether `links` counts it as an open problem (exit code 1).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            FindingKind::Broken | FindingKind::EmptyLink | FindingKind::BrokenFragment
        )
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

use url::Url;

use crate::config::Target;
use crate::extract::Extracted;

/// Every finding about one extracted page.
pub async fn inspect(
    _target: &Target,
    _page_url: &Url,
    _extracted: &Extracted,
    _watched: &[Url],
) -> Vec<Finding> {
    Vec::new()
}
