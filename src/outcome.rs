//! What one target's run decides, in one pure function: from what was observed, what was
//! remembered and what was found, the report, what to store and what to remember. Every command
//! that looks at a target calls [`decide`] with its [`Mode`]; none patches a report of its own.
//!
//! The alert state speaks first ([`alert::advance`], fed from the observation), and the report is
//! built once from the observation and what the alert state said, so nothing is undone: a page
//! back at a version it keeps flipping to is reported unchanged from the start, not as a change
//! taken back.

use jiff::Timestamp;
use url::Url;

use crate::alert::{self, Announcements, Content, Seen, TargetState, Verdict};
use crate::error::TargetError;
use crate::inspect::drift::{self, Drift};
use crate::inspect::Finding;
use crate::observe::{Observation, Pending};
use crate::report::{Compared, ContentChange, Event, Failure, Findings, Status, TargetReport};
use crate::snapshot::content_hash;

/// What a command makes of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Announce what is news, store what changed, remember what was announced.
    Check,
    /// Say what changed against the snapshot (a flip as `check` would say it); store nothing,
    /// remember nothing; a target without a snapshot has none yet.
    Diff,
    /// Store what the page is now; announce nothing, remember nothing new.
    Accept,
    /// List every finding open now; the snapshot plays no part.
    Links,
    /// Show what would be stored; store nothing.
    Preview,
}

/// Everything [`decide`] needs.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub obs: &'a Observation,
    /// What the alert state remembered before this run.
    pub before: &'a TargetState,
    /// This run's findings (`None` when the content was not inspected: the remembered ones
    /// stay as they are).
    pub findings: Option<&'a [Finding]>,
    pub mode: Mode,
    pub now: Timestamp,
    /// The history site, when configured: the report links to the change's page on it.
    pub site_url: Option<&'a Url>,
}

/// What a target's run comes to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What to tell (printed, posted).
    pub report: TargetReport,
    /// What to store once the report is delivered.
    pub store: Option<Pending>,
    /// The alert state to remember once the report is delivered.
    pub after: TargetState,
}

/// Decides one target's run. Pure: no I/O, no clock.
pub fn decide(input: Input<'_>) -> Outcome {
    let Input {
        obs,
        before,
        findings,
        mode,
        now,
        site_url,
    } = input;
    let hash = obs
        .result
        .as_ref()
        .ok()
        .map(|cur| content_hash(&cur.markdown));
    // The alert state speaks first, from the observation.
    let (said, after) = match mode {
        Mode::Check => {
            // Language drifts stay open across runs: gathered here with this run's findings.
            let drift = findings.and(open_drift(obs, before));
            let gathered = drift.as_ref().filter(|d| !d.is_empty()).map(|d| {
                let mut all = findings.unwrap_or_default().to_vec();
                all.extend(d.iter().map(Drift::finding));
                crate::inspect::sort_findings(&mut all);
                all
            });
            let findings = gathered.as_deref().or(findings);
            let (said, mut after) =
                alert::advance(before, seen(obs, hash.as_deref(), findings), now);
            if let Err(TargetError::Unconfirmed { seen, .. }) = &obs.result {
                after.unconfirmed = Some(seen.clone());
            }
            if let Some(drift) = drift {
                after.drift = drift;
            }
            (Some(said), after)
        }
        // Only what the remembered versions say about the content; nothing is remembered.
        Mode::Diff => {
            let said = match seen(obs, hash.as_deref(), None) {
                s @ Seen::Fetched {
                    content: Content::Changed { .. },
                    ..
                } => Some(alert::advance(before, s, now).0),
                _ => None,
            };
            (said, before.clone())
        }
        Mode::Accept | Mode::Links | Mode::Preview => (None, before.clone()),
    };
    let verdict = said.as_ref().map_or(Verdict::Quiet, |s| s.content);

    let mut report = report(obs, mode, said.as_ref(), findings);
    if let (Some(site), Mode::Check) = (site_url, mode) {
        // The site shows a version under its content hash, so the page of a change is known
        // before the commit that records it.
        report.page_url = Some(match (&hash, report.status()) {
            (Some(hash), Status::Changed | Status::Watching) => {
                crate::site::change_page(site, &report.id, hash)
            }
            _ => crate::site::target_page(site, &report.id),
        });
    }
    let store = match (mode, verdict) {
        // A remembered variant again: nothing to store.
        (_, Verdict::Flip(_)) | (Mode::Diff | Mode::Links, _) => None,
        (Mode::Check | Mode::Accept | Mode::Preview, _) => obs.pending(now),
    };
    Outcome {
        report,
        store,
        after,
    }
}

/// The language drifts open after this run (`None` when the content was not read): the
/// remembered ones that still hold, and those this run's confirmed change opens, judged
/// against the text the change was found against (after a rules change, the baseline re-made
/// from the stored page).
fn open_drift(obs: &Observation, before: &TargetState) -> Option<Vec<Drift>> {
    let cur = obs.result.as_ref().ok()?;
    let run = obs.stored.as_ref().map(|s| drift::Run {
        old: cur.remade.as_deref().unwrap_or(&s.markdown),
        changes: &cur.changes,
    });
    let t = &obs.target;
    Some(drift::advance(
        &t.id,
        &t.languages,
        &before.drift,
        &cur.markdown,
        run,
    ))
}

/// What the alert state sees of an observation: its content as a hash against the stored
/// one, and the findings.
fn seen<'a>(
    obs: &'a Observation,
    hash: Option<&'a str>,
    findings: Option<&'a [Finding]>,
) -> Seen<'a> {
    let (cur, hash) = match (&obs.result, hash) {
        (Err(TargetError::Damaged { .. }), _) => return Seen::Damaged,
        (Ok(cur), Some(hash)) => (cur, hash),
        _ => return Seen::Failed,
    };
    let content = match &obs.stored {
        None => Content::First { hash },
        Some(_) if cur.rebaselined && cur.changes.is_empty() => Content::Rebaselined { hash },
        Some(s)
            if (!cur.changes.is_empty() || cur.moved_from.is_some())
                && hash != s.meta.content_hash =>
        {
            Content::Changed {
                hash,
                was: &s.meta.content_hash,
                since: s.meta.changed_at,
            }
        }
        Some(_) => Content::Same,
    };
    Seen::Fetched { content, findings }
}

/// The report of one target, built once from the observation and what the alert state said.
fn report(
    obs: &Observation,
    mode: Mode,
    said: Option<&Announcements>,
    findings: Option<&[Finding]>,
) -> TargetReport {
    let t = &obs.target;
    let announced = said.filter(|_| mode == Mode::Check);
    let event = event(obs, mode, said);
    let mut report = TargetReport::new(&t.id, &t.name, t.url.as_str(), event);
    if let Some(said) = announced {
        report.back = said.back;
        report.findings = Findings {
            new: said.opened.clone(),
            resolved: said.resolved.clone(),
            open: said.open.clone(),
        };
    }
    if mode == Mode::Links {
        report.findings.open = findings.map(<[Finding]>::to_vec).unwrap_or_default();
    }
    if let Ok(cur) = &obs.result {
        report.final_url = Some(cur.final_url.to_string());
        // `links` does not compare: how the page was read plays no part there.
        report.read = (mode != Mode::Links).then_some(cur.read);
    }
    report
}

/// What happened to the target.
fn event(obs: &Observation, mode: Mode, said: Option<&Announcements>) -> Event {
    let cur = match &obs.result {
        Err(e) => {
            let announced = said.filter(|_| mode == Mode::Check);
            return Event::Failed(Failure {
                error: e.to_string(),
                consecutive: announced.map_or(0, |s| s.consecutive_failures),
                unreachable: announced.is_some_and(|s| s.unreachable),
                damaged: matches!(e, TargetError::Damaged { .. }),
            });
        }
        Ok(cur) => cur,
    };
    let blocks = crate::diff::blocks(&cur.markdown).len();
    if mode == Mode::Links {
        // Fetched and inspected, not compared.
        return Event::Checked { blocks };
    }
    let Some(stored) = &obs.stored else {
        return if mode == Mode::Diff {
            Event::NoSnapshot { blocks }
        } else {
            Event::Watching { blocks }
        };
    };
    let compared = Compared {
        blocks,
        rebaselined: cur.rebaselined,
        volatile: cur.volatile,
    };
    let verdict = said.map_or(Verdict::Quiet, |s| s.content);
    if let Verdict::Flip(at) = verdict {
        // A remembered variant again: nothing to say about the content.
        return Event::Unchanged {
            compared,
            alternate: Some(at),
        };
    }
    let content_changed = !cur.changes.is_empty();
    if !content_changed && cur.moved_from.is_none() {
        return Event::Unchanged {
            compared,
            alternate: None,
        };
    }
    Event::Changed(Box::new(ContentChange {
        compared,
        changes: cur.changes.clone(),
        links: crate::diff::link_changes(&cur.changes),
        facts: if content_changed {
            crate::facts::facts(&stored.markdown, &cur.markdown, &cur.changes)
        } else {
            Vec::new()
        },
        cited_in: Vec::new(),
        moved_from: cur.moved_from.clone(),
        back_to: match verdict {
            Verdict::BackTo(at) => Some(at),
            _ => None,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{FindingState, Unconfirmed, Version};
    use crate::document::{ReadBy, Validators};
    use crate::error::ExtractError;
    use crate::extract::Extracted;
    use crate::inspect::FindingKind;
    use crate::observe::Current;
    use crate::snapshot::Snapshot;

    const A: &str = "# Privacy\n\nWe keep your e-mail address for a year.\n";
    const B: &str = "# Privacy\n\nWe keep your e-mail address for two years.\n";

    fn day(d: i8) -> Timestamp {
        jiff::civil::date(2026, 1, d)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
    }

    fn target() -> crate::config::Target {
        crate::config::Config::builtin().unwrap().targets[0].clone()
    }

    /// The page as read now (`markdown`), compared with `stored` as `observe` compares it.
    fn current(markdown: &str, stored: Option<&Snapshot>) -> Current {
        let changes = match stored {
            Some(s) if s.markdown != markdown => crate::diff::diff(&s.markdown, markdown),
            _ => Vec::new(),
        };
        Current {
            extracted: Extracted {
                blocks: Vec::new(),
                ids: Default::default(),
                lang: None,
                root: "main".into(),
            },
            markdown: markdown.into(),
            raw: None,
            read: ReadBy::Http,
            final_url: target().url,
            validators: Validators::default(),
            rebaselined: false,
            remade: None,
            changes,
            moved_from: None,
            volatile: 0,
        }
    }

    /// The snapshot a first sight of `markdown` on `at` stores.
    fn stored(markdown: &str, at: Timestamp) -> Snapshot {
        let first = Observation {
            target: target(),
            stored: None,
            result: Ok(current(markdown, None)),
        };
        first.pending(at).expect("a first sight stores").snapshot
    }

    fn seen_page(markdown: &str, stored_md: Option<(&str, Timestamp)>) -> Observation {
        let stored = stored_md.map(|(md, at)| stored(md, at));
        Observation {
            target: target(),
            result: Ok(current(markdown, stored.as_ref())),
            stored,
        }
    }

    fn failed(stored_md: &str, error: TargetError) -> Observation {
        Observation {
            target: target(),
            stored: Some(stored(stored_md, day(1))),
            result: Err(error),
        }
    }

    fn shrunk() -> TargetError {
        ExtractError::Shrunk {
            now: 10,
            before: 900,
        }
        .into()
    }

    fn finding(id: &str) -> Finding {
        Finding {
            id: id.into(),
            kind: FindingKind::EmptyLink,
            message: format!("{id}: a link with no text"),
            context: None,
            url: None,
            section: None,
        }
    }

    /// A state that remembers `A` (day 1) and `B` (day 2).
    fn remembers_a_and_b(flip_announced: bool) -> TargetState {
        let version = |md: &str, at| Version {
            hash: content_hash(md),
            seen: at,
        };
        TargetState {
            versions: vec![version(A, day(1)), version(B, day(2))],
            flip_announced,
            ..TargetState::default()
        }
    }

    /// What a case expects of the outcome.
    struct Expect {
        status: Status,
        headline: &'static str,
        stores: bool,
        /// The alert state is remembered as it was.
        after_same: bool,
    }

    fn check(name: &str, input: Input<'_>, expect: &Expect) -> Outcome {
        let out = decide(input);
        assert_eq!(out.report.status(), expect.status, "{name}: status");
        assert_eq!(
            crate::report::words::headline(&out.report),
            expect.headline,
            "{name}: headline"
        );
        assert_eq!(out.store.is_some(), expect.stores, "{name}: stores");
        assert_eq!(
            out.after == *input.before,
            expect.after_same,
            "{name}: alert state kept as it was"
        );
        out
    }

    #[test]
    fn each_kind_of_run_decides_report_store_and_state() {
        let empty = TargetState::default();
        let after_first = {
            let obs = seen_page(A, None);
            decide(input(&obs, &empty, None, Mode::Check)).after
        };
        let flipped_once = remembers_a_and_b(false);
        let flipped_twice = remembers_a_and_b(true);
        let failed_once = TargetState {
            consecutive_failures: 1,
            ..after_first.clone()
        };
        let first = seen_page(A, None);
        let same = seen_page(A, Some((A, day(1))));
        let changed = seen_page(B, Some((A, day(1))));
        let back = seen_page(A, Some((B, day(2))));
        let down = failed(A, shrunk());
        #[rustfmt::skip]
        let cases: &[(&str, Input<'_>, Expect)] = &[
            ("first sight", input(&first, &empty, None, Mode::Check),
                Expect { status: Status::Watching, headline: "now watching", stores: true, after_same: false }),
            ("unchanged", input(&same, &after_first, None, Mode::Check),
                Expect { status: Status::Unchanged, headline: "unchanged", stores: false, after_same: true }),
            ("changed", input(&changed, &after_first, None, Mode::Check),
                Expect { status: Status::Changed, headline: "changed", stores: true, after_same: false }),
            ("back to a remembered version", input(&back, &flipped_once, None, Mode::Check),
                Expect { status: Status::Changed, headline: "back to an earlier version", stores: true, after_same: false }),
            ("flip, said once already", input(&back, &flipped_twice, None, Mode::Check),
                Expect { status: Status::Unchanged, headline: "unchanged", stores: false, after_same: true }),
            ("a first failure", input(&down, &after_first, None, Mode::Check),
                Expect { status: Status::Failed, headline: "fetch failed", stores: false, after_same: false }),
            ("a second failure", input(&down, &failed_once, None, Mode::Check),
                Expect { status: Status::Failed, headline: "unreachable", stores: false, after_same: false }),
            ("diff, first sight", input(&first, &empty, None, Mode::Diff),
                Expect { status: Status::NoSnapshot, headline: "no snapshot yet", stores: false, after_same: true }),
            ("diff, changed", input(&changed, &after_first, None, Mode::Diff),
                Expect { status: Status::Changed, headline: "changed", stores: false, after_same: true }),
            ("diff, back to a remembered version", input(&back, &flipped_once, None, Mode::Diff),
                Expect { status: Status::Changed, headline: "back to an earlier version", stores: false, after_same: true }),
            ("diff, flip", input(&back, &flipped_twice, None, Mode::Diff),
                Expect { status: Status::Unchanged, headline: "unchanged", stores: false, after_same: true }),
            ("diff, failure", input(&down, &failed_once, None, Mode::Diff),
                Expect { status: Status::Failed, headline: "fetch failed", stores: false, after_same: true }),
            ("accept, changed", input(&changed, &after_first, None, Mode::Accept),
                Expect { status: Status::Changed, headline: "changed", stores: true, after_same: true }),
            ("accept, first sight", input(&first, &empty, None, Mode::Accept),
                Expect { status: Status::Watching, headline: "now watching", stores: true, after_same: true }),
            ("links", input(&first, &empty, None, Mode::Links),
                Expect { status: Status::Checked, headline: "checked", stores: false, after_same: true }),
            ("preview", input(&first, &empty, None, Mode::Preview),
                Expect { status: Status::Watching, headline: "now watching", stores: true, after_same: true }),
        ];
        for (name, input, expect) in cases {
            check(name, *input, expect);
        }
    }

    fn input<'a>(
        obs: &'a Observation,
        before: &'a TargetState,
        findings: Option<&'a [Finding]>,
        mode: Mode,
    ) -> Input<'a> {
        Input {
            obs,
            before,
            findings,
            mode,
            now: day(3),
            site_url: None,
        }
    }

    #[test]
    fn a_flip_is_reported_unchanged_from_the_start() {
        let back = seen_page(A, Some((B, day(2))));
        for mode in [Mode::Check, Mode::Diff] {
            let out = decide(input(&back, &remembers_a_and_b(true), None, mode));
            let r = &out.report;
            assert_eq!(
                r.event,
                Event::Unchanged {
                    compared: Compared {
                        blocks: 2,
                        rebaselined: false,
                        volatile: 0
                    },
                    alternate: Some(day(1))
                },
                "{mode:?}: no change, no facts, only the version it shows again"
            );
            assert!(!r.is_news(), "{mode:?}: a quiet flip is no news");
        }
        // The first return is told with the date of the version it returns to.
        let out = decide(input(&back, &remembers_a_and_b(false), None, Mode::Check));
        let change = out.report.change().expect("a change");
        assert_eq!(change.back_to, Some(day(1)));
        assert!(!change.changes.is_empty());
        assert!(out.after.flip_announced);
    }

    #[test]
    fn an_unconfirmed_change_is_remembered_and_confirmed_next_run() {
        let before = {
            let obs = seen_page(A, None);
            decide(input(&obs, &TargetState::default(), None, Mode::Check)).after
        };
        let seen = Unconfirmed {
            content: content_hash(B),
            changes: Vec::new(),
            final_url: target().url.to_string(),
        };
        let unconfirmed = failed(
            A,
            TargetError::Unconfirmed {
                error: Box::new(shrunk()),
                seen: seen.clone(),
            },
        );
        let run1 = decide(input(&unconfirmed, &before, None, Mode::Check));
        assert_eq!(run1.report.status(), Status::Failed);
        assert!(run1.store.is_none(), "nothing confirmed, nothing stored");
        assert_eq!(run1.after.unconfirmed, Some(seen));
        // The next run's observation confirms it (observe did): the change is announced and
        // nothing is left to confirm.
        let confirmed = seen_page(B, Some((A, day(1))));
        let run2 = decide(input(&confirmed, &run1.after, None, Mode::Check));
        assert_eq!(run2.report.status(), Status::Changed);
        assert!(run2.store.is_some());
        assert_eq!(run2.after.unconfirmed, None);
        // Diff remembers nothing of it.
        let diffed = decide(input(&unconfirmed, &before, None, Mode::Diff));
        assert_eq!(diffed.after, before);
    }

    #[test]
    fn a_finding_is_told_when_it_opens_and_when_it_is_resolved() {
        let page = seen_page(A, Some((A, day(1))));
        let empty = [finding("empty:1")];
        let opened = decide(input(
            &page,
            &TargetState::default(),
            Some(&empty),
            Mode::Check,
        ));
        assert_eq!(opened.report.findings.new, empty.to_vec());
        assert_eq!(
            crate::report::words::headline(&opened.report),
            "new findings"
        );
        assert!(opened.report.is_news());
        let still = decide(input(&page, &opened.after, Some(&empty), Mode::Check));
        assert!(still.report.findings.new.is_empty() && !still.report.is_news());
        assert_eq!(still.report.findings.open.len(), 1);
        let resolved = decide(input(&page, &still.after, Some(&[]), Mode::Check));
        assert_eq!(resolved.report.findings.resolved.len(), 1);
        assert_eq!(
            crate::report::words::headline(&resolved.report),
            "findings resolved"
        );
        assert!(resolved.after.findings.is_empty());
        // A failed fetch inspects nothing: the remembered findings stay open, unresolved.
        let down = failed(A, shrunk());
        let out = decide(input(&down, &opened.after, None, Mode::Check));
        assert!(out.report.findings.resolved.is_empty());
        assert_eq!(out.after.findings, opened.after.findings);
        // `links` lists every finding open now, reported before or not.
        let reported = TargetState {
            findings: [(
                "empty:1".to_string(),
                FindingState {
                    kind: FindingKind::EmptyLink,
                    summary: "x".into(),
                    consecutive: 1,
                    reported: true,
                },
            )]
            .into(),
            ..TargetState::default()
        };
        let links = decide(input(&page, &reported, Some(&empty), Mode::Links));
        assert_eq!(links.report.findings.open, empty.to_vec());
        assert!(links.report.findings.new.is_empty());
        assert_eq!(links.after, reported);
    }

    #[test]
    fn the_site_page_names_the_version_of_a_change() {
        let site = Url::parse("https://watch.example/").unwrap();
        let changed = seen_page(B, Some((A, day(1))));
        let before = TargetState::default();
        let out = decide(Input {
            site_url: Some(&site),
            ..input(&changed, &before, None, Mode::Check)
        });
        let hex = &content_hash(B)["sha256:".len()..][..12];
        assert!(
            out.report
                .page_url
                .as_deref()
                .unwrap()
                .ends_with(&format!("#v-{hex}")),
            "{:?}",
            out.report.page_url
        );
        let same = seen_page(A, Some((A, day(1))));
        let out = decide(Input {
            site_url: Some(&site),
            ..input(&same, &before, None, Mode::Check)
        });
        assert!(out.report.page_url.unwrap().ends_with("/index.html"));
    }
}
