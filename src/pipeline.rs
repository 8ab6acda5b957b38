//! The pipeline end to end: fetch every target, extract, compare with its snapshot, inspect,
//! notify, then store. The commands `check`, `diff`, `accept` and `links` are its uses.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use url::Url;

use crate::config::{Config, Target};
use crate::diff::{diff, Change};
use crate::error::{Error, ExtractError};
use crate::extract::{extract, Extracted};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::inspect::{self, Finding, LinkChecker};
use crate::notify::{Notifier, RunContext};
use crate::report::{RunReport, Status, TargetReport};
use crate::snapshot::{content_hash, Meta, Snapshot, State, Store, TargetState, META_FORMAT};

/// Failures in a row after which a target is announced as unreachable.
pub const FAILURES_BEFORE_ALERT: u32 = 2;

/// A page that had at least this much text and now has less than a fifth of it counts as a
/// failed fetch, not as a cut policy.
const SHRINK_MIN_CHARS: usize = 500;

/// What was fetched and extracted for one target in this run.
#[derive(Debug)]
pub struct Current {
    /// The extracted content; `None` only after a 304 when no raw HTML is stored.
    pub extracted: Option<Extracted>,
    pub markdown: String,
    /// The raw page, when a body was fetched (not after a 304).
    pub html: Option<String>,
    pub final_url: Url,
    pub validators: Validators,
    /// The stored content to compare with: the stored Markdown, or the stored raw page
    /// re-extracted with new rules.
    pub baseline: Option<String>,
    /// The extraction rules changed since the snapshot was made.
    pub rebaselined: bool,
}

/// One target seen in this run.
#[derive(Debug)]
pub struct Observation {
    pub target: Target,
    pub stored: Option<Snapshot>,
    pub result: Result<Current, String>,
}

/// Everything a command needs: settings, the store, the HTTP client and the link checker
/// (one per run, so that a link is checked once however many pages show it).
pub struct Pipeline {
    pub config: Config,
    pub store: Store,
    fetcher: Fetcher,
    links: LinkChecker,
    /// One parse per core at a time.
    parse_slots: tokio::sync::Semaphore,
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub report: RunReport,
    /// Some target could not be fetched or extracted.
    pub any_failed: bool,
    /// Some notification was not delivered.
    pub any_undelivered: bool,
}

impl Outcome {
    /// The outcome of a command that notifies no one.
    fn of(command: &str, now: DateTime<Utc>, targets: Vec<TargetReport>, any_failed: bool) -> Self {
        Outcome {
            report: RunReport {
                generated_at: now,
                command: command.into(),
                dry_run: false,
                targets,
            },
            any_failed,
            any_undelivered: false,
        }
    }
}

impl Pipeline {
    pub fn new(config: Config) -> Result<Self, Error> {
        let fetcher = Fetcher::new(&config.http)?;
        let links = LinkChecker::new(&config.links, &config.http.user_agent)?
            .with_backoff(config.http.backoff);
        let store = Store::new(config.snapshot_dir.clone());
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Pipeline {
            config,
            store,
            fetcher,
            links,
            parse_slots: tokio::sync::Semaphore::new(cores),
        })
    }

    /// Fetches and extracts targets concurrently (extraction on blocking threads).
    pub async fn observe_all(&self, targets: &[Target], allow_shrink: bool) -> Vec<Observation> {
        let futures = targets
            .iter()
            .cloned()
            .map(|t| self.observe(t, allow_shrink));
        futures::future::join_all(futures).await
    }

    /// Fetches and extracts one target; never touches the store.
    pub async fn observe(&self, target: Target, allow_shrink: bool) -> Observation {
        let stored = match self.store.load(&target.id) {
            Ok(s) => s,
            Err(e) => {
                return Observation {
                    target,
                    stored: None,
                    result: Err(e.to_string()),
                }
            }
        };
        let result = self.current(&target, stored.as_ref(), allow_shrink).await;
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
        allow_shrink: bool,
    ) -> Result<Current, String> {
        let has_html = stored.is_some() && self.store.has_html(&target.id);
        let rules = target.rules.hash();
        let rules_changed = stored.is_some_and(|s| s.meta.rules_hash != rules);
        // A conditional request only makes sense when the stored page can stand in for the body.
        let validators = stored.filter(|_| has_html).map(|s| Validators {
            etag: s.meta.etag.clone(),
            last_modified: s.meta.last_modified.clone(),
        });
        let fetched = self
            .fetcher
            .fetch(&target.url, validators.as_ref())
            .await
            .map_err(|e| e.to_string())?;

        // The stored page with the current rules: the baseline after a rules change, the
        // content after a 304.
        let restored = match stored {
            Some(s)
                if has_html
                    && (rules_changed || matches!(fetched, Fetched::NotModified { .. })) =>
            {
                let url = Url::parse(&s.meta.final_url).unwrap_or_else(|_| target.url.clone());
                match self.store.load_html(&target.id) {
                    Ok(Some(html)) => self.extract(html, url, target).await.1.ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        // Only a rules change needs a baseline other than the stored Markdown.
        let baseline = restored
            .as_ref()
            .filter(|_| rules_changed)
            .map(Extracted::markdown);

        match fetched {
            Fetched::NotModified { final_url } => {
                let s = stored.expect("304 only answers a conditional request");
                let markdown = restored
                    .as_ref()
                    .map(|r| r.markdown())
                    .unwrap_or_else(|| s.markdown.clone());
                Ok(Current {
                    extracted: restored,
                    markdown,
                    html: None,
                    final_url,
                    validators: validators.unwrap_or_default(),
                    baseline,
                    rebaselined: rules_changed,
                })
            }
            Fetched::Page(page) => {
                let (html, extracted) = self
                    .extract(page.html, page.final_url.clone(), target)
                    .await;
                let extracted = extracted?;
                let chars = extracted.text_len();
                if let Some(s) = stored {
                    if !allow_shrink
                        && s.meta.text_chars >= SHRINK_MIN_CHARS
                        && chars * 5 < s.meta.text_chars
                    {
                        return Err(ExtractError::Shrunk {
                            now: chars,
                            before: s.meta.text_chars,
                        }
                        .to_string());
                    }
                }
                Ok(Current {
                    markdown: extracted.markdown(),
                    extracted: Some(extracted),
                    html: Some(html),
                    final_url: page.final_url,
                    validators: page.validators,
                    baseline,
                    rebaselined: rules_changed,
                })
            }
        }
    }
}

impl Pipeline {
    /// Extraction is CPU work: it runs on the blocking pool, off the async threads, at most
    /// one page per core at a time (pages waiting for a core hold only their HTML).
    /// The HTML is handed back, not copied.
    async fn extract(
        &self,
        html: String,
        url: Url,
        target: &Target,
    ) -> (String, Result<Extracted, String>) {
        let _slot = self.parse_slots.acquire().await.expect("semaphore open");
        let target = target.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let result = extract(&html, &url, &target.rules);
            (html, result)
        })
        .await;
        match joined {
            Ok((html, result)) => (html, result.map_err(|e: ExtractError| e.to_string())),
            Err(e) => (String::new(), Err(format!("extraction crashed: {e}"))),
        }
    }
}

/// What to store for a target once its alert is out.
#[derive(Debug, Clone)]
pub struct Pending {
    pub snapshot: Snapshot,
    pub html: Option<String>,
}

/// Compares an observation with its snapshot: the report, and what to store.
pub fn assess(obs: &Observation, now: DateTime<Utc>) -> (TargetReport, Option<Pending>) {
    let t = &obs.target;
    let mut report = TargetReport::new(&t.id, &t.name, t.url.as_str(), Status::Unchanged);
    let cur = match &obs.result {
        Err(e) => {
            report.status = Status::Failed;
            report.error = Some(e.clone());
            return (report, None);
        }
        Ok(cur) => cur,
    };
    report.final_url = Some(cur.final_url.to_string());
    report.blocks = crate::diff::blocks(&cur.markdown).len();
    report.rebaselined = cur.rebaselined;
    let text_chars = cur
        .extracted
        .as_ref()
        .map(Extracted::text_len)
        .or_else(|| obs.stored.as_ref().map(|s| s.meta.text_chars))
        .unwrap_or(0);

    let Some(stored) = &obs.stored else {
        report.status = Status::Watching;
        let snapshot = Snapshot {
            meta: Meta {
                format: META_FORMAT,
                id: t.id.clone(),
                url: t.url.to_string(),
                final_url: cur.final_url.to_string(),
                content_hash: content_hash(&cur.markdown),
                changed_at: now,
                etag: cur.validators.etag.clone(),
                last_modified: cur.validators.last_modified.clone(),
                rules_hash: t.rules.hash().to_string(),
                text_chars,
            },
            markdown: cur.markdown.clone(),
        };
        return (
            report,
            Some(Pending {
                snapshot,
                html: cur.html.clone(),
            }),
        );
    };

    let baseline = cur.baseline.as_deref().unwrap_or(&stored.markdown);
    let changes: Vec<Change> = diff(baseline, &cur.markdown);
    let content_changed = !changes.is_empty();
    let moved = stored.meta.final_url != cur.final_url.as_str();
    if moved {
        report.moved_from = Some(stored.meta.final_url.clone());
    }
    if content_changed || moved {
        report.status = Status::Changed;
    }
    report.changes = changes;

    let keep_validators = !content_changed && !cur.rebaselined;
    let meta = Meta {
        format: META_FORMAT,
        id: t.id.clone(),
        url: t.url.to_string(),
        final_url: cur.final_url.to_string(),
        content_hash: content_hash(&cur.markdown),
        changed_at: if content_changed {
            now
        } else {
            stored.meta.changed_at
        },
        etag: if keep_validators {
            stored.meta.etag.clone()
        } else {
            cur.validators.etag.clone()
        },
        last_modified: if keep_validators {
            stored.meta.last_modified.clone()
        } else {
            cur.validators.last_modified.clone()
        },
        rules_hash: t.rules.hash().to_string(),
        text_chars: if content_changed || cur.rebaselined {
            text_chars
        } else {
            stored.meta.text_chars
        },
    };
    let snapshot = Snapshot {
        meta,
        markdown: cur.markdown.clone(),
    };
    let html = if content_changed {
        cur.html.clone()
    } else {
        None
    };
    (report, Some(Pending { snapshot, html }))
}

/// Options of `check`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub targets: Vec<String>,
    pub dry_run: bool,
}

/// `check`: fetch, compare, inspect, notify, then store what was delivered.
/// `previews` receives what a dry run would have sent (Slack payloads).
pub async fn check(
    pipeline: &Pipeline,
    opts: &CheckOptions,
    notifier: &Notifier,
    ctx: &RunContext,
    previews: &mut Vec<String>,
) -> Result<Outcome, Error> {
    let targets = pipeline.config.select_targets(&opts.targets)?;
    let mut state = pipeline.store.load_state()?;
    let watched = pipeline.watched_urls();
    // Printing cannot fail, so without Slack each target is stored as soon as it is done.
    let save_now = !opts.dry_run && !notifier.is_remote();
    // Targets are processed concurrently, but only so many at once: each holds its page and
    // parse until it is compared, inspected and (maybe) stored.
    let processed: Vec<Processed> = futures::stream::iter(targets)
        .map(|t| pipeline.process(t, &watched, ctx.time, save_now))
        .buffered(pipeline.config.http.max_concurrency)
        .try_collect()
        .await?;

    let mut reports = Vec::with_capacity(processed.len());
    let (mut any_failed, mut any_undelivered) = (false, false);
    for Processed {
        mut report,
        pending,
        findings,
    } in processed
    {
        let id = report.id.clone();
        let before = state.targets.get(&id).cloned().unwrap_or_default();
        let mut after = before.clone();

        if report.status == Status::Failed {
            any_failed = true;
            after.consecutive_failures = before.consecutive_failures.saturating_add(1);
            report.consecutive_failures = after.consecutive_failures;
            if after.consecutive_failures >= FAILURES_BEFORE_ALERT && !before.failure_alerted {
                report.unreachable_alert = true;
                after.failure_alerted = true;
            }
        } else {
            report.back = before.failure_alerted;
            after.consecutive_failures = 0;
            after.failure_alerted = false;
        }
        if let Some(found) = findings {
            let tracked = inspect::track(&before.findings, &found);
            report.new_findings = tracked.opened;
            report.resolved_findings = tracked.resolved;
            report.open_findings = tracked.open;
            after.findings = tracked.state;
        }

        let delivered = if !report.is_news() {
            true
        } else if opts.dry_run {
            previews.extend(notifier.preview(&report, ctx));
            true
        } else {
            match notifier.deliver(&report, ctx).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(target = %id, error = %e, "notification not delivered");
                    report.delivery_error = Some(e.to_string());
                    any_undelivered = true;
                    false
                }
            }
        };

        if delivered {
            if let Some(p) = pending.filter(|_| !opts.dry_run) {
                pipeline.save(p).await?;
            }
            set_state(&mut state, &id, after);
        } else {
            // Nothing announced may be remembered as announced; failures still count.
            let mut kept = before;
            kept.consecutive_failures = after.consecutive_failures;
            set_state(&mut state, &id, kept);
        }
        reports.push(report);
    }
    if !opts.dry_run {
        pipeline.store.save_state(&state)?;
    }
    Ok(Outcome {
        report: RunReport {
            generated_at: ctx.time,
            command: "check".into(),
            dry_run: opts.dry_run,
            targets: reports,
        },
        any_failed,
        any_undelivered,
    })
}

/// One target fetched, compared and inspected; its page and parse are no longer held.
struct Processed {
    report: TargetReport,
    /// What is still to store once the alert is out (`None`: nothing, or already stored).
    pending: Option<Pending>,
    findings: Option<Vec<Finding>>,
}

impl Pipeline {
    /// Fetches, extracts, compares and inspects one target; with `save_now`, stores it too.
    async fn process(
        &self,
        target: Target,
        watched: &[Url],
        now: DateTime<Utc>,
        save_now: bool,
    ) -> Result<Processed, Error> {
        let obs = self.observe(target, false).await;
        let findings = self.inspect_one(&obs, watched).await;
        let (report, mut pending) = assess(&obs, now);
        drop(obs);
        if save_now {
            if let Some(p) = pending.take() {
                self.save(p).await?;
            }
        }
        Ok(Processed {
            report,
            pending,
            findings,
        })
    }

    /// Stores a snapshot on the blocking pool (the writes are synced to disk).
    async fn save(&self, p: Pending) -> Result<(), Error> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.save(&p.snapshot, p.html.as_deref()))
            .await
            .map_err(|e| Error::Internal(format!("storing a snapshot crashed: {e}")))??;
        Ok(())
    }

    /// Every configured target counts as watched: under its configured URL and where it
    /// landed when last stored.
    fn watched_urls(&self) -> Vec<Url> {
        let stored = self.config.targets.iter().filter_map(|t| {
            let meta = self.store.load_meta(&t.id).ok()??;
            Url::parse(&meta.final_url).ok()
        });
        self.config
            .targets
            .iter()
            .map(|t| t.url.clone())
            .chain(stored)
            .collect()
    }

    /// Findings for one observation whose content was extracted (`None` otherwise, so that
    /// the remembered findings stay as they are).
    async fn inspect_one(&self, obs: &Observation, watched: &[Url]) -> Option<Vec<Finding>> {
        let cur = obs.result.as_ref().ok()?;
        let extracted = cur.extracted.as_ref()?;
        let mut watched = watched.to_vec();
        watched.push(cur.final_url.clone());
        Some(
            inspect::inspect(
                &obs.target,
                &cur.final_url,
                extracted,
                &watched,
                &self.links,
            )
            .await,
        )
    }
}

fn set_state(state: &mut State, id: &str, ts: TargetState) {
    if ts == TargetState::default() {
        state.targets.remove(id);
    } else {
        state.targets.insert(id.to_string(), ts);
    }
}

/// Findings for every observation whose content was extracted.
async fn inspect_all(
    pipeline: &Pipeline,
    observations: &[Observation],
) -> Vec<Option<Vec<Finding>>> {
    let watched = pipeline.watched_urls();
    let futures = observations
        .iter()
        .map(|obs| pipeline.inspect_one(obs, &watched));
    futures::future::join_all(futures).await
}

/// `diff`: what changed against the stored snapshots; writes nothing, posts nothing.
pub async fn diff_targets(
    pipeline: &Pipeline,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let targets = pipeline.config.select_targets(ids)?;
    let observations = pipeline.observe_all(&targets, false).await;
    let mut any_failed = false;
    let reports = observations
        .iter()
        .map(|obs| {
            let (mut report, _) = assess(obs, now);
            if report.status == Status::Watching {
                report.status = Status::NoSnapshot;
            }
            any_failed |= report.status == Status::Failed;
            report
        })
        .collect();
    Ok(Outcome::of("diff", now, reports, any_failed))
}

/// `accept`: store the current content as the snapshot, without notifying; findings state
/// stays as it is.
pub async fn accept(
    pipeline: &Pipeline,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let targets = pipeline.config.select_targets(ids)?;
    let observations = pipeline.observe_all(&targets, true).await;
    let mut any_failed = false;
    let mut reports = Vec::new();
    for obs in &observations {
        let (report, pending) = assess(obs, now);
        any_failed |= report.status == Status::Failed;
        if let Some(p) = pending {
            pipeline.save(p).await?;
        }
        reports.push(report);
    }
    Ok(Outcome::of("accept", now, reports, any_failed))
}

/// `links`: only the link and empty-link checks; every finding open now is listed.
pub async fn links(
    pipeline: &Pipeline,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let targets = pipeline.config.select_targets(ids)?;
    let observations = pipeline.observe_all(&targets, true).await;
    let findings = inspect_all(pipeline, &observations).await;
    let mut any_failed = false;
    let reports = observations
        .iter()
        .zip(findings)
        .map(|(obs, found)| {
            let t = &obs.target;
            let mut report = TargetReport::new(&t.id, &t.name, t.url.as_str(), Status::Unchanged);
            match &obs.result {
                Err(e) => {
                    any_failed = true;
                    report.status = Status::Failed;
                    report.error = Some(e.clone());
                }
                Ok(cur) => report.final_url = Some(cur.final_url.to_string()),
            }
            report.open_findings = found.unwrap_or_default();
            report
        })
        .collect();
    Ok(Outcome::of("links", now, reports, any_failed))
}
