//! `[http]` (fetching pages) and `[links]` (the link check): timeouts, retries, limits.

use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use serde_spanned::Spanned;

use super::source::{Bounds, Source};
use crate::error::ConfigError;

/// HTTP settings for fetching pages.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub retries: u32,
    pub max_body_bytes: u64,
    /// Requests in flight at once over all hosts; also how many targets a command has in
    /// flight.
    pub max_concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// First pause between retries; it doubles on every retry.
    pub backoff: Duration,
}

/// Settings of the link check.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub exclude: Vec<Regex>,
    pub timeout: Duration,
    pub retries: u32,
    pub max_concurrency: usize,
    pub per_host: usize,
    /// Status codes that count as fine besides 2xx.
    pub accept: Vec<u16>,
}

/// `policy-watch/<version> (+<repository url>)`.
pub fn default_user_agent() -> String {
    format!(
        "policy-watch/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

// Defaults, and upper bounds beyond which a value is surely a typo (some would overflow a
// timer or a semaphore).
pub(super) const TIMEOUT_SECS: Bounds<u64> = Bounds {
    default: 30,
    min: 1,
    max: 3_600,
};
const RETRIES: Bounds<u32> = Bounds {
    default: 2,
    min: 0,
    max: 10,
};
const MAX_BODY_BYTES: Bounds<u64> = Bounds {
    default: 10_000_000,
    min: 1,
    max: 1 << 30,
};
const MAX_CONCURRENCY: Bounds<usize> = Bounds {
    default: 64,
    min: 1,
    max: 1_024,
};
const PER_HOST: Bounds<usize> = Bounds {
    default: 4,
    min: 1,
    max: 64,
};
const BACKOFF_MS: Bounds<u64> = Bounds {
    default: 500,
    min: 0,
    max: 60_000,
};
const LINK_TIMEOUT_SECS: Bounds<u64> = Bounds {
    default: 20,
    ..TIMEOUT_SECS
};

/// `[http]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileHttp {
    user_agent: Option<String>,
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    max_body_bytes: Option<Spanned<u64>>,
    max_concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
    backoff_ms: Option<Spanned<u64>>,
}

impl FileHttp {
    /// Checked, with the defaults for what is not written.
    pub fn resolve(self, src: &Source<'_>) -> Result<HttpSettings, ConfigError> {
        Ok(HttpSettings {
            user_agent: self.user_agent.unwrap_or_else(default_user_agent),
            timeout: Duration::from_secs(src.bounded(
                self.timeout_secs.as_ref(),
                "http.timeout_secs",
                TIMEOUT_SECS,
            )?),
            retries: src.bounded(self.retries.as_ref(), "http.retries", RETRIES)?,
            max_body_bytes: src.bounded(
                self.max_body_bytes.as_ref(),
                "http.max_body_bytes",
                MAX_BODY_BYTES,
            )?,
            max_concurrency: src.bounded(
                self.max_concurrency.as_ref(),
                "http.max_concurrency",
                MAX_CONCURRENCY,
            )?,
            per_host: src.bounded(self.per_host.as_ref(), "http.per_host", PER_HOST)?,
            backoff: Duration::from_millis(src.bounded(
                self.backoff_ms.as_ref(),
                "http.backoff_ms",
                BACKOFF_MS,
            )?),
        })
    }
}

/// `[links]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLinks {
    exclude: Option<Vec<Spanned<String>>>,
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    max_concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
    accept: Option<Vec<u16>>,
}

impl FileLinks {
    /// Checked, with the defaults for what is not written.
    pub fn resolve(self, src: &Source<'_>) -> Result<LinkSettings, ConfigError> {
        let mut exclude = Vec::new();
        for pat in self.exclude.iter().flatten() {
            exclude.push(crate::extract::user_regex(pat.get_ref()).map_err(|message| {
                src.at(
                    pat.span(),
                    "links.exclude",
                    message,
                    "write a Rust regex (https://docs.rs/regex), e.g. \"^https://example\\\\.com/\"",
                )
            })?);
        }
        Ok(LinkSettings {
            exclude,
            timeout: Duration::from_secs(src.bounded(
                self.timeout_secs.as_ref(),
                "links.timeout_secs",
                LINK_TIMEOUT_SECS,
            )?),
            retries: src.bounded(self.retries.as_ref(), "links.retries", RETRIES)?,
            max_concurrency: src.bounded(
                self.max_concurrency.as_ref(),
                "links.max_concurrency",
                MAX_CONCURRENCY,
            )?,
            per_host: src.bounded(self.per_host.as_ref(), "links.per_host", PER_HOST)?,
            accept: self.accept.unwrap_or_default(),
        })
    }
}
