//! One target observed: fetch its page, extract it off the async threads, compare it with the
//! stored snapshot and, when it differs, fetch it again to confirm what changed. Reads the
//! store; never writes it.

use std::borrow::Cow;
use std::collections::HashSet;

use jiff::Timestamp;
use url::Url;

use crate::alert::{Unconfirmed, UNCONFIRMED_KEPT};
use crate::config::{Config, Target};
use crate::diff::{self, Change};
use crate::document::{Body, Document, ReadBy, Validators};
use crate::error::{Error, ExtractError, TargetError};
use crate::extract::{not_the_document, reads_the_same, Extracted};
use crate::read::{Earlier, Read, Reader};
use crate::snapshot::{content_hash, Extraction, Meta, Raw, Snapshot, Store, META_FORMAT};

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
    /// The raw document, when one was fetched (not after a 304).
    pub raw: Option<Body>,
    /// How the document was read.
    pub read: ReadBy,
    pub final_url: Url,
    pub validators: Validators,
    /// The extraction rules changed since the snapshot was made; the baseline was re-made
    /// from the stored page.
    pub rebaselined: bool,
    /// That re-made baseline, which [`changes`](Self::changes) are against (when the stored
    /// page could be read again; else they are against the stored snapshot).
    pub remade: Option<String>,
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

/// Reads and compares documents: one reader (HTTP client, browser, parse slots) for the run.
pub struct Observer {
    reader: Reader,
}

impl Observer {
    pub fn new(config: &Config) -> Result<Self, Error> {
        Ok(Observer {
            reader: Reader::new(config)?,
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
        let stored_read = stored.map_or(ReadBy::Http, |s| s.meta.read);
        let has_raw = stored.is_some() && store.has_raw(&target.id, stored_read.media());
        let rules_changed = stored.is_some_and(|s| s.meta.rules_hash != target.rules.hash());
        // A conditional request only makes sense when the stored document can stand in for
        // the body, and when a plain request read it: the server's validators do not cover
        // what a rendered page's scripts fetch.
        let validators = stored
            .filter(|_| has_raw && stored_read != ReadBy::Browser)
            .map(|s| Validators {
                etag: s.meta.etag.clone(),
                last_modified: s.meta.last_modified.clone(),
            });
        // What the stored page extracted to, when it was stored: the very same bytes again are
        // not parsed.
        let known = stored.and_then(|s| {
            store
                .load_extraction(&target.id)?
                .valid_for(target.rules.hash(), &s.meta.content_hash)
        });
        let fetched = self
            .read(
                target,
                validators.as_ref(),
                None,
                known.as_ref().map(Earlier::Stored),
                stored,
                mode,
            )
            .await?;

        // The stored document with the current rules: the baseline after a rules change, the
        // content after a 304.
        let not_modified = matches!(fetched, Read::NotModified { .. });
        let restored = match stored {
            Some(s) if has_raw && (rules_changed || not_modified) => {
                self.restore(target, s, store, known.as_ref()).await?
            }
            _ => None,
        };
        // Borrowed from the snapshot unless re-made: an unchanged page copies nothing.
        let baseline: Option<Cow<'_, str>> = match (stored, &restored) {
            (Some(_), Some(r)) if rules_changed => Some(Cow::Owned(r.markdown())),
            (Some(s), _) => Some(Cow::Borrowed(s.markdown.as_str())),
            (None, _) => None,
        };

        let (extracted, raw, final_url, validators, read) = match fetched {
            Read::NotModified { final_url } => {
                let extracted = restored.ok_or_else(|| {
                    TargetError::Internal("304 Not Modified, but the stored page is gone")
                })?;
                (
                    extracted,
                    None,
                    final_url,
                    validators.unwrap_or_default(),
                    stored_read,
                )
            }
            Read::Document(doc, extracted) => (
                extracted,
                Some(doc.body),
                doc.final_url,
                doc.validators,
                doc.read,
            ),
            Read::Same => return Err(TargetError::Internal("a first read is never the same")),
        };
        let markdown = extracted.markdown();
        let mut current = Current {
            extracted,
            markdown,
            raw,
            read,
            final_url,
            validators,
            rebaselined: rules_changed,
            remade: match &baseline {
                Some(Cow::Owned(b)) => Some(b.clone()),
                _ => None,
            },
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
            current.raw = None;
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
        current.changes = changes;
        current.moved_from = moved.then(|| stored.meta.final_url.clone());
        if !mode.confirm || current.raw.is_none() {
            return Ok(current);
        }
        self.confirm(target, current, baseline, stored, earlier, mode)
            .await
    }

    /// The stored raw document extracted with the current rules (from what it extracted to
    /// when it was stored, when that still holds); `None` when it is gone. One that no longer
    /// extracts is damaged (`accept` repairs it) — the caller has read the page as served now
    /// first: when that fails too, the rules or the site are at fault, and that failure is what
    /// is reported.
    async fn restore(
        &self,
        target: &Target,
        stored: &Snapshot,
        store: &Store,
        known: Option<&Extraction>,
    ) -> Result<Option<Extracted>, TargetError> {
        let read = stored.meta.read;
        let Some(body) = store.load_raw(&target.id, read.media())? else {
            return Ok(None);
        };
        // A 304 parses nothing when the stored page's content is known.
        if let Some(extracted) = known.and_then(|k| k.of_stored(&body)) {
            return Ok(Some(extracted));
        }
        let doc = Document {
            final_url: Url::parse(&stored.meta.final_url).unwrap_or_else(|_| target.url.clone()),
            body,
            read,
            validators: Validators::default(),
        };
        match self.reader.extract(doc, target).await.1 {
            Ok(extracted) => Ok(Some(extracted)),
            Err(e) => Err(TargetError::Damaged {
                id: target.id.clone(),
                file: store
                    .raw_path(&target.id, read.media())
                    .display()
                    .to_string(),
                why: format!("the stored page does not extract with the current rules ({e})"),
            }),
        }
    }

    /// Confirms `current`'s changes against `baseline` (and its move away from where `stored`
    /// was read) with a second read: what changed the same way in both reads is the change;
    /// what differs between them is volatile (a per-request token, a truncated transfer, what a
    /// page's scripts make differently on each render). The second read goes the way the first
    /// went, without validators. When it fails, an `earlier` run's first read may confirm the
    /// change instead.
    async fn confirm(
        &self,
        target: &Target,
        mut current: Current,
        baseline: Cow<'_, str>,
        stored: &Snapshot,
        earlier: Option<&Unconfirmed>,
        mode: Mode,
    ) -> Result<Current, TargetError> {
        // The same bytes from the same place extract and diff the same: the second read
        // confirms every change without extracting or diffing again.
        let first = current.raw.as_ref().map(|body| Earlier::ThisRun {
            body,
            final_url: &current.final_url,
            read: current.read,
        });
        let second = self
            .read(target, None, Some(current.read), first, Some(stored), mode)
            .await;
        let (doc2, extracted2) = match second {
            Ok(Read::Same) => return Ok(current),
            Ok(Read::Document(doc, extracted)) => (doc, extracted),
            Ok(_) => {
                return Err(TargetError::Internal(
                    "a 304 answered a request without validators",
                ))
            }
            Err(error) => return by_earlier_run(current, stored, earlier, error),
        };
        let markdown2 = extracted2.markdown();
        // The same content from the same place diffs the same: the second read confirms every
        // change without diffing again.
        if markdown2 == current.markdown && doc2.final_url == current.final_url {
            return Ok(current);
        }
        let changes = std::mem::take(&mut current.changes);
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
        if doc2.final_url != current.final_url {
            current.moved_from = None;
        }
        // Keep the read with fewer changes beyond the confirmed ones: a truncated or
        // decorated transfer is never the one stored.
        if changes2.len() < changes.len() {
            current.extracted = extracted2;
            current.markdown = markdown2;
            current.raw = Some(doc2.body);
            current.read = doc2.read;
            current.final_url = doc2.final_url;
            current.validators = doc2.validators;
        }
        current.changes = confirmed;
        if current.changes.is_empty() && current.moved_from.is_none() {
            // Nothing confirmed: the snapshot stays as it is, and so does its content.
            current.markdown = baseline.into_owned();
            current.raw = None;
        }
        Ok(current)
    }

    /// Reads the target, and refuses a document that suddenly holds a fifth of the stored
    /// text.
    async fn read(
        &self,
        target: &Target,
        validators: Option<&Validators>,
        how: Option<ReadBy>,
        earlier: Option<Earlier<'_>>,
        stored: Option<&Snapshot>,
        mode: Mode,
    ) -> Result<Read, TargetError> {
        let read = self.reader.read(target, validators, how, earlier).await?;
        if let Read::Document(_, extracted) = &read {
            shrink_guard(stored, extracted, mode)?;
        }
        Ok(read)
    }
}

/// The confirming fetch failed (`error`): what this run's first fetch saw (`current`, with its
/// changes and whether the URL moved, not yet confirmed) is confirmed by as much of it as an
/// earlier run's first fetch saw the same way. Otherwise it is remembered, and the target fails
/// this run.
fn by_earlier_run(
    mut current: Current,
    stored: &Snapshot,
    earlier: Option<&Unconfirmed>,
    error: TargetError,
) -> Result<Current, TargetError> {
    let changes = std::mem::take(&mut current.changes);
    let moved = current.moved_from.is_some();
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
    /// The raw document to keep beside it (`<id>.html` or `<id>.pdf`), with what it extracted
    /// to.
    pub raw: Option<Raw>,
}

impl Current {
    /// The raw document read in this run, if one was, with what it extracted to: what is kept
    /// beside the snapshot.
    fn kept(&self, target: &Target) -> Option<Raw> {
        let body = self.raw.clone()?;
        let extraction = Extraction::new(
            &body,
            &self.final_url,
            self.read,
            target.rules.hash(),
            &self.extracted,
        );
        Some(Raw { body, extraction })
    }
}

impl Observation {
    /// What storing this observation writes: the new snapshot (and the raw document beside
    /// it) as of `now`; `None` when the store already holds exactly this, or nothing was
    /// read. Whether it is stored is [`crate::outcome::decide`]'s call.
    pub fn pending(&self, now: Timestamp) -> Option<Pending> {
        let t = &self.target;
        let cur = self.result.as_ref().ok()?;
        let text_chars = cur.extracted.text_len();
        let meta = |changed_at, validators: &Validators, text_chars, read| Meta {
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
            read,
        };

        let Some(stored) = &self.stored else {
            let snapshot = Snapshot {
                meta: meta(now, &cur.validators, text_chars, cur.read),
                markdown: cur.markdown.clone(),
            };
            return Some(Pending {
                snapshot,
                raw: cur.kept(t),
            });
        };

        let content_changed = !cur.changes.is_empty();
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
                    // A page that a bot wall lets through one run and not the next is still
                    // the same content: how it was read is noted when the content changes.
                    stored.meta.read,
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
                    cur.read,
                )
            },
            markdown: cur.markdown.clone(),
        };
        if snapshot == *stored && !(cur.rebaselined && cur.raw.is_some()) {
            return None;
        }
        let raw = if content_changed || cur.rebaselined {
            cur.kept(t)
        } else {
            None
        };
        Some(Pending { snapshot, raw })
    }
}
