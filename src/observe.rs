//! One target observed: fetch its page, extract it off the async threads, compare it with the
//! stored snapshot and, when it differs, fetch it again to confirm what changed. Reads the
//! store; never writes it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use url::Url;

use crate::alert::{Unconfirmed, UNCONFIRMED_KEPT};
use crate::config::{Config, Target};
use crate::diff::{self, Change};
use crate::error::{Error, ExtractError, TargetError};
use crate::extract::{extract, not_the_document, reads_the_same, Extracted};
use crate::fetch::{Fetched, Fetcher, Page, Validators};
use crate::report::{Status, TargetReport};
use crate::snapshot::{content_hash, Meta, Snapshot, Store, META_FORMAT};

/// A page that had at least this much text and now has less than a fifth of it counts as a
/// failed fetch, not as a cut policy.
const SHRINK_MIN_CHARS: usize = 500;

/// How a command wants a target observed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// Fetch a second time to confirm a change (check, diff).
    pub confirm: bool,
    /// A page that shrank a lot is taken as it is (accept, links, preview).
    pub allow_shrink: bool,
    /// Leave the stored snapshot out: observe the page as if seen for the first time.
    pub fresh: bool,
}

/// What was fetched, extracted and compared for one target in this run.
#[derive(Debug)]
pub struct Current {
    pub extracted: Extracted,
    pub markdown: String,
    /// The raw page, when a body was fetched (not after a 304).
    pub html: Option<String>,
    pub final_url: Url,
    pub validators: Validators,
    /// The extraction rules changed since the snapshot was made; the baseline was re-made
    /// from the stored page.
    pub rebaselined: bool,
    /// Confirmed changes against the stored snapshot (empty without one).
    pub changes: Vec<Change>,
    /// Where the URL landed before, when that moved (confirmed).
    pub moved_from: Option<String>,
    /// Changed blocks left out because the two fetches disagreed about them.
    pub volatile: usize,
}

/// One target seen in this run.
#[derive(Debug)]
pub struct Observation {
    pub target: Target,
    pub stored: Option<Snapshot>,
    pub result: Result<Current, TargetError>,
}

/// Fetches and extracts pages: one HTTP client for the run, one parse per core at a time.
pub struct Observer {
    fetcher: Fetcher,
    parse_slots: Arc<tokio::sync::Semaphore>,
}

impl Observer {
    pub fn new(config: &Config) -> Result<Self, Error> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Observer {
            fetcher: Fetcher::new(&config.http)?,
            parse_slots: Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }

    /// Observes one target against what `store` holds for it.
    pub async fn observe(&self, target: Target, store: &Store, mode: Mode) -> Observation {
        self.observe_after(target, store, mode, None).await
    }

    /// Like [`observe`](Self::observe), knowing what an earlier run's first fetch saw when its
    /// confirming fetch failed (`earlier`): when this run's confirming fetch fails too, what
    /// both first fetches saw the same way is confirmed.
    pub async fn observe_after(
        &self,
        target: Target,
        store: &Store,
        mode: Mode,
        earlier: Option<&Unconfirmed>,
    ) -> Observation {
        let loaded = if mode.fresh {
            Ok(None)
        } else {
            store.load(&target.id)
        };
        let stored = match loaded {
            Ok(s) => s,
            Err(e) => {
                return Observation {
                    target,
                    stored: None,
                    result: Err(e),
                }
            }
        };
        let result = self
            .current(&target, stored.as_ref(), store, mode, earlier)
            .await;
        Observation {
            target,
            stored,
            result,
        }
    }

    async fn current(
        &self,
        target: &Target,
        stored: Option<&Snapshot>,
        store: &Store,
        mode: Mode,
        earlier: Option<&Unconfirmed>,
    ) -> Result<Current, TargetError> {
        let has_html = stored.is_some() && store.has_html(&target.id);
        let rules_changed = stored.is_some_and(|s| s.meta.rules_hash != target.rules.hash());
        // A conditional request only makes sense when the stored page can stand in for the body.
        let validators = stored.filter(|_| has_html).map(|s| Validators {
            etag: s.meta.etag.clone(),
            last_modified: s.meta.last_modified.clone(),
        });
        let fetched = self.fetcher.fetch(&target.url, validators.as_ref()).await?;

        // The stored page with the current rules: the baseline after a rules change, the
        // content after a 304.
        let not_modified = matches!(fetched, Fetched::NotModified { .. });
        let restored = match stored {
            Some(s) if has_html && (rules_changed || not_modified) => {
                let url = Url::parse(&s.meta.final_url).unwrap_or_else(|_| target.url.clone());
                match store.load_html(&target.id)? {
                    Some(html) => Some(self.extract(html, url, target).await.1),
                    None => None,
                }
            }
            _ => None,
        };
        // A stored page that no longer extracts is damaged (`accept` repairs it) — unless the
        // page as served now fails too: then the rules or the site are at fault, and that
        // failure is what is reported.
        let restored = match restored {
            Some(Err(e)) => {
                if let Fetched::Page(page) = fetched {
                    self.read(page, target, stored, mode).await?;
                }
                return Err(TargetError::Damaged {
                    id: target.id.clone(),
                    file: store.html_path(&target.id).display().to_string(),
                    why: format!("the stored page does not extract with the current rules ({e})"),
                });
            }
            Some(Ok(r)) => Some(r),
            None => None,
        };
        // Borrowed from the snapshot unless re-made: an unchanged page copies nothing.
        let baseline: Option<Cow<'_, str>> = match (stored, &restored) {
            (Some(_), Some(r)) if rules_changed => Some(Cow::Owned(r.markdown())),
            (Some(s), _) => Some(Cow::Borrowed(s.markdown.as_str())),
            (None, _) => None,
        };

        let (extracted, html, final_url, validators) = match fetched {
            Fetched::NotModified { final_url } => {
                let extracted = restored.ok_or_else(|| {
                    TargetError::Internal("304 Not Modified, but the stored page is gone".into())
                })?;
                (extracted, None, final_url, validators.unwrap_or_default())
            }
            Fetched::Page(page) => {
                let (html, extracted, final_url, validators) =
                    self.read(page, target, stored, mode).await?;
                (extracted, Some(html), final_url, validators)
            }
        };
        let markdown = extracted.markdown();
        let mut current = Current {
            extracted,
            markdown,
            html,
            final_url,
            validators,
            rebaselined: rules_changed,
            changes: Vec::new(),
            moved_from: None,
            volatile: 0,
        };
        let (Some(stored), Some(baseline)) = (stored, baseline) else {
            return Ok(current);
        };
        if !mode.allow_shrink && *baseline != current.markdown {
            // A different page served in place of the document (a home page, a sign-up wall,
            // a hub) fails like a page that extracts to nothing; its return is no change.
            let chars = current.extracted.text_len();
            if let Some(heading) =
                not_the_document(&baseline, stored.meta.text_chars, &current.markdown, chars)
            {
                return Err(ExtractError::NotTheDocument { heading }.into());
            }
        }
        if *baseline != current.markdown && reads_the_same(&baseline, &current.markdown) {
            // Only formatting or link queries differ: the stored version stands, untouched.
            current.markdown = baseline.to_string();
            current.html = None;
        }
        let changes = if *baseline == current.markdown {
            Vec::new()
        } else {
            diff::diff(&baseline, &current.markdown)
        };
        let moved = stored.meta.final_url != current.final_url.as_str();
        if changes.is_empty() && !moved {
            return Ok(current);
        }
        if !mode.confirm || current.html.is_none() {
            current.changes = changes;
            current.moved_from = moved.then(|| stored.meta.final_url.clone());
            return Ok(current);
        }

        // Confirm: what changed the same way in a second fetch is the change; what differs
        // between the two fetches is volatile (a per-request token, a truncated transfer).
        // An unconditional request: the fetcher turns a 304 to it into an error of its own.
        let second = match self.fetcher.fetch(&target.url, None).await {
            Ok(Fetched::Page(page)) => self.read(page, target, Some(stored), mode).await,
            Ok(Fetched::NotModified { .. }) => Err(TargetError::Internal(
                "a 304 answered a request without validators".into(),
            )),
            Err(e) => Err(e.into()),
        };
        let (html2, extracted2, final_url2, validators2) = match second {
            Ok(read) => read,
            Err(error) => {
                return by_earlier_run(current, changes, moved, stored, earlier, error);
            }
        };
        let markdown2 = extracted2.markdown();
        let changes2 = diff::diff(&baseline, &markdown2);
        // Sets, not scans: a page rewritten from top to bottom has thousands of changes.
        let first: HashSet<&Change> = changes.iter().collect();
        let second: HashSet<&Change> = changes2.iter().collect();
        let confirmed: Vec<Change> = changes
            .iter()
            .filter(|c| second.contains(c))
            .cloned()
            .collect();
        current.volatile = (changes.len() - confirmed.len())
            + changes2.iter().filter(|c| !first.contains(c)).count();
        current.moved_from =
            (moved && final_url2 == current.final_url).then(|| stored.meta.final_url.clone());
        // Keep the fetch with fewer changes beyond the confirmed ones: a truncated or
        // decorated transfer is never the one stored.
        if changes2.len() < changes.len() {
            current.extracted = extracted2;
            current.markdown = markdown2;
            current.html = Some(html2);
            current.final_url = final_url2;
            current.validators = validators2;
        }
        current.changes = confirmed;
        if current.changes.is_empty() && current.moved_from.is_none() {
            // Nothing confirmed: the snapshot stays as it is, and so does its content.
            current.markdown = baseline.into_owned();
            current.html = None;
        }
        Ok(current)
    }

    /// A fetched page extracted, and refused when it suddenly holds a fifth of the stored
    /// text: (raw HTML, content, final URL, validators).
    async fn read(
        &self,
        page: Page,
        target: &Target,
        stored: Option<&Snapshot>,
        mode: Mode,
    ) -> Result<(String, Extracted, Url, Validators), TargetError> {
        let (html, extracted) = self
            .extract(page.html, page.final_url.clone(), target)
            .await;
        let extracted = extracted?;
        shrink_guard(stored, &extracted, mode)?;
        Ok((html, extracted, page.final_url, page.validators))
    }

    /// Extraction is CPU work: it runs on the blocking pool, off the async threads, at most
    /// one page per core at a time (pages waiting for a core hold only their HTML).
    /// The HTML is handed back, not copied.
    async fn extract(
        &self,
        html: String,
        url: Url,
        target: &Target,
    ) -> (String, Result<Extracted, TargetError>) {
        let Ok(_slot) = self.parse_slots.clone().acquire_owned().await else {
            return (
                html,
                Err(TargetError::Internal("parse slots closed".into())),
            );
        };
        let target = target.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let result = extract(&html, &url, &target.rules);
            (html, result)
        })
        .await;
        match joined {
            Ok((html, result)) => (html, result.map_err(TargetError::from)),
            Err(e) => (
                String::new(),
                Err(TargetError::Internal(format!("extraction crashed: {e}"))),
            ),
        }
    }
}

/// The confirming fetch failed (`error`): what this run's first fetch saw (`current`, with
/// `changes` and whether the URL `moved`) is confirmed by as much of it as an earlier run's
/// first fetch saw the same way. Otherwise it is remembered, and the target fails this run.
fn by_earlier_run(
    mut current: Current,
    changes: Vec<Change>,
    moved: bool,
    stored: &Snapshot,
    earlier: Option<&Unconfirmed>,
    error: TargetError,
) -> Result<Current, TargetError> {
    let seen = Unconfirmed {
        content: content_hash(&current.markdown),
        changes: if changes.len() <= UNCONFIRMED_KEPT {
            changes.iter().map(change_key).collect()
        } else {
            Vec::new()
        },
        final_url: current.final_url.to_string(),
    };
    if let Some(e) = earlier {
        let confirmed: Vec<Change> = if e.content == seen.content {
            changes.clone()
        } else {
            let keys: HashSet<&str> = e.changes.iter().map(String::as_str).collect();
            changes
                .iter()
                .filter(|c| keys.contains(change_key(c).as_str()))
                .cloned()
                .collect()
        };
        let moved_too = moved && e.final_url == seen.final_url;
        if !confirmed.is_empty() || moved_too {
            tracing::info!(
                target = %stored.meta.id,
                %error,
                "the confirming fetch failed; the change is confirmed by the first fetch of the run before"
            );
            current.volatile = changes.len() - confirmed.len();
            current.changes = confirmed;
            current.moved_from = moved_too.then(|| stored.meta.final_url.clone());
            return Ok(current);
        }
    }
    Err(TargetError::Unconfirmed {
        error: Box::new(error),
        seen,
    })
}

/// A short, stable name of one change, for the alert state.
fn change_key(c: &Change) -> String {
    let json = serde_json::to_string(c).unwrap_or_default();
    content_hash(&json)["sha256:".len()..]
        .chars()
        .take(16)
        .collect()
}

/// A page that suddenly extracts to a fifth of its stored text is a failed fetch, not a cut.
fn shrink_guard(
    stored: Option<&Snapshot>,
    extracted: &Extracted,
    mode: Mode,
) -> Result<(), TargetError> {
    let chars = extracted.text_len();
    match stored {
        Some(s)
            if !mode.allow_shrink
                && s.meta.text_chars >= SHRINK_MIN_CHARS
                && chars * 5 < s.meta.text_chars =>
        {
            Err(ExtractError::Shrunk {
                now: chars,
                before: s.meta.text_chars,
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// What to store for a target once its alert is out.
#[derive(Debug, Clone)]
pub struct Pending {
    pub snapshot: Snapshot,
    pub html: Option<String>,
}

/// Compares an observation with its snapshot: the report, and what to store (`None` when
/// nothing needs storing).
pub fn assess(obs: &Observation, now: Timestamp) -> (TargetReport, Option<Pending>) {
    let t = &obs.target;
    let mut report = TargetReport::new(&t.id, &t.name, t.url.as_str(), Status::Unchanged);
    let cur = match &obs.result {
        Err(e) => {
            report.status = Status::Failed;
            report.error = Some(e.to_string());
            report.damaged = matches!(e, TargetError::Damaged { .. });
            return (report, None);
        }
        Ok(cur) => cur,
    };
    report.final_url = Some(cur.final_url.to_string());
    report.blocks = diff::blocks(&cur.markdown).len();
    report.rebaselined = cur.rebaselined;
    report.volatile = cur.volatile;
    let text_chars = cur.extracted.text_len();
    let meta = |changed_at, validators: &Validators, text_chars| Meta {
        format: META_FORMAT,
        id: t.id.clone(),
        url: t.url.to_string(),
        final_url: cur.final_url.to_string(),
        content_hash: content_hash(&cur.markdown),
        changed_at,
        etag: validators.etag.clone(),
        last_modified: validators.last_modified.clone(),
        rules_hash: t.rules.hash().to_string(),
        text_chars,
    };

    let Some(stored) = &obs.stored else {
        report.status = Status::Watching;
        let snapshot = Snapshot {
            meta: meta(now, &cur.validators, text_chars),
            markdown: cur.markdown.clone(),
        };
        let html = cur.html.clone();
        return (report, Some(Pending { snapshot, html }));
    };

    let content_changed = !cur.changes.is_empty();
    report.moved_from = cur.moved_from.clone();
    if content_changed || cur.moved_from.is_some() {
        report.status = Status::Changed;
    }
    report.changes = cur.changes.clone();
    report.links = diff::link_changes(&cur.changes);
    if content_changed {
        report.facts = crate::facts::facts(&stored.markdown, &cur.markdown, &cur.changes);
    }

    let keep = !content_changed && !cur.rebaselined;
    let snapshot = Snapshot {
        meta: if keep {
            // Unchanged content keeps its validators and size, so nothing is rewritten.
            let mut m = meta(
                stored.meta.changed_at,
                &Validators {
                    etag: stored.meta.etag.clone(),
                    last_modified: stored.meta.last_modified.clone(),
                },
                stored.meta.text_chars,
            );
            if cur.moved_from.is_none() {
                m.final_url = stored.meta.final_url.clone();
            }
            m
        } else {
            meta(
                if content_changed {
                    now
                } else {
                    stored.meta.changed_at
                },
                &cur.validators,
                text_chars,
            )
        },
        markdown: cur.markdown.clone(),
    };
    if snapshot == *stored && !(cur.rebaselined && cur.html.is_some()) {
        return (report, None);
    }
    let html = if content_changed || cur.rebaselined {
        cur.html.clone()
    } else {
        None
    };
    (report, Some(Pending { snapshot, html }))
}
