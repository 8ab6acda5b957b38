//! The alert state machine: given what was remembered about a target and what this run saw,
//! what to announce and what to remember. Pure: no I/O, no clock, no network.
//!
//! Remembered per target: failures in a row (counted only up to the alert threshold, so that a
//! target that stays down leaves the state byte-identical), whether "unreachable" was said,
//! the findings already reported, the last versions of the content (to recognise a page that
//! alternates between variants) and a Slack thread whose summary is out but whose diff is not.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::InvalidState;
use crate::inspect::drift::{self, Drift};
use crate::inspect::{Finding, FindingKind};

/// Failures in a row after which a target is announced as unreachable.
pub const FAILURES_BEFORE_ALERT: u32 = 2;

/// How many versions of a page's content are remembered.
pub const VERSIONS_KEPT: usize = 5;

/// What is remembered between runs about one target's alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    /// Fetches that failed in a row, counted up to [`FAILURES_BEFORE_ALERT`].
    #[serde(default, skip_serializing_if = "crate::is_default")]
    pub consecutive_failures: u32,
    /// Whether "unreachable" was announced for the current run of failures.
    #[serde(default, skip_serializing_if = "crate::is_default")]
    pub failure_alerted: bool,
    /// Findings by stable id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub findings: BTreeMap<String, FindingState>,
    /// The last versions of the content, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
    /// A return to a remembered version was announced; further flips stay quiet until a
    /// version never seen before appears.
    #[serde(default, skip_serializing_if = "crate::is_default")]
    pub flip_announced: bool,
    /// A Slack summary that was posted while its thread was not (bot token only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<DeliveryProgress>,
    /// A change the first fetch saw while the confirming fetch failed: the next run's first
    /// fetch confirms it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<Unconfirmed>,
    /// Language drifts still open: a section that changed while its counterpart in the other
    /// language did not (what resolves each is kept with it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
}

/// What the first fetch of a run saw when the second one, which was to confirm it, failed.
/// A later run whose first fetch sees the same thing takes that as the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unconfirmed {
    /// `sha256:` of the content the first fetch gave.
    pub content: String,
    /// Short hashes of the changes against the snapshot it saw (none when there were more
    /// than [`UNCONFIRMED_KEPT`]: then only the same content confirms them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// Where the page landed.
    pub final_url: String,
}

/// Changes of an unconfirmed fetch remembered one by one, at most.
pub const UNCONFIRMED_KEPT: usize = 200;

/// A finding as remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingState {
    pub kind: FindingKind,
    /// One line that says what it is.
    pub summary: String,
    /// Runs in a row in which it was seen (counted up to where it matters).
    pub consecutive: u32,
    /// Whether its appearance was reported.
    pub reported: bool,
}

/// One remembered version of a page's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// `sha256:` of the snapshot Markdown.
    pub hash: String,
    /// When it was first seen.
    pub seen: Timestamp,
}

/// An alert that went out in part (a Slack summary whose thread did not follow): the channel
/// that wrote it reads it on the next run, to send only the rest instead of all of it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryProgress {
    /// Identifies the alert (a hash of what it announces).
    pub alert: String,
    /// The message the rest hangs from (Slack: the summary's `ts`).
    #[serde(rename = "ts")]
    pub anchor: String,
    /// Follow-up messages already sent.
    pub posted: usize,
}

/// Findings remembered per target at most (a page with more is not a policy page).
pub const MAX_FINDINGS: usize = 20_000;

/// The longest finding id or summary that is remembered, in bytes.
const MAX_FINDING_TEXT: usize = 16 * 1024;

/// The earliest date a remembered version can carry.
const EARLIEST: Timestamp = Timestamp::constant(946_684_800, 0); // 2000-01-01

impl TargetState {
    /// Checks what was read back from the snapshot folder (which anyone who can commit to the
    /// repository can write) against what [`advance`] can produce: counts within their limits,
    /// content hashes that are hashes, dates between 2000 and a day after `now`, a Slack
    /// thread that names a real message. A state that fails is not used.
    pub fn validate(&self, now: Timestamp) -> Result<(), InvalidState> {
        if self.consecutive_failures > FAILURES_BEFORE_ALERT {
            return Err(InvalidState::Failures(
                self.consecutive_failures,
                FAILURES_BEFORE_ALERT,
            ));
        }
        if self.findings.len() > MAX_FINDINGS {
            return Err(InvalidState::TooManyFindings(
                self.findings.len(),
                MAX_FINDINGS,
            ));
        }
        for (i, (id, f)) in self.findings.iter().enumerate() {
            if id.is_empty() || id.len() > MAX_FINDING_TEXT || f.summary.len() > MAX_FINDING_TEXT {
                return Err(InvalidState::Finding(
                    i + 1,
                    "its id or summary is empty or too long",
                ));
            }
            if f.consecutive == 0 || f.consecutive > f.kind.runs_before_report() {
                return Err(InvalidState::Finding(
                    i + 1,
                    "a count of runs it cannot have",
                ));
            }
            if f.reported && f.consecutive < f.kind.runs_before_report() {
                return Err(InvalidState::Finding(
                    i + 1,
                    "marked reported before it was seen often enough",
                ));
            }
        }
        if self.versions.len() > VERSIONS_KEPT {
            return Err(InvalidState::TooManyVersions(
                self.versions.len(),
                VERSIONS_KEPT,
            ));
        }
        for (i, v) in self.versions.iter().enumerate() {
            let hex = v.hash.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(InvalidState::VersionHash(i + 1));
            }
            if !plausible_date(v.seen, now) {
                return Err(InvalidState::VersionDate(
                    i + 1,
                    v.seen.strftime("%Y-%m-%d").to_string(),
                ));
            }
        }
        if let Some(t) = &self.thread {
            // What the anchor means is the channel's (Slack checks its own shape); here only
            // that it is a short printable token.
            if t.anchor.is_empty()
                || t.anchor.len() > 128
                || !t.anchor.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(InvalidState::Thread("not a message id"));
            }
            if t.alert.is_empty()
                || t.alert.len() > 128
                || !t
                    .alert
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b':')
            {
                return Err(InvalidState::Thread("not an alert key"));
            }
            if t.posted > MAX_THREAD_PARTS {
                return Err(InvalidState::Thread(
                    "more replies posted than a thread has",
                ));
            }
        }
        drift::validate(&self.drift).map_err(|(n, why)| InvalidState::Drift(n, why))?;
        for (i, d) in self.drift.iter().enumerate() {
            // An open drift is an open finding: one without it is not what `advance` writes.
            if self
                .findings
                .get(&d.id)
                .is_none_or(|f| f.kind != FindingKind::LanguageDrift)
            {
                return Err(InvalidState::Drift(i + 1, "not among the findings"));
            }
        }
        if let Some(u) = &self.unconfirmed {
            let is_hex =
                |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
            if !u
                .content
                .strip_prefix("sha256:")
                .is_some_and(|h| is_hex(h, 64))
            {
                return Err(InvalidState::Unconfirmed("not a content hash"));
            }
            if u.changes.len() > UNCONFIRMED_KEPT || !u.changes.iter().all(|c| is_hex(c, 16)) {
                return Err(InvalidState::Unconfirmed(
                    "changes that policy-watch does not write",
                ));
            }
            if u.final_url.len() > 8192 || url::Url::parse(&u.final_url).is_err() {
                return Err(InvalidState::Unconfirmed("not a URL"));
            }
        }
        Ok(())
    }
}

/// Whether a date read back from the snapshot folder is one policy-watch could have written:
/// from 2000 to a day after `now` (a clock a little ahead is no damage).
pub fn plausible_date(t: Timestamp, now: Timestamp) -> bool {
    let latest = now
        .saturating_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(now);
    (EARLIEST..=latest).contains(&t)
}

/// More replies than any alert's thread is split into.
const MAX_THREAD_PARTS: usize = 10_000;

/// What this run saw of one target.
#[derive(Debug, Clone, Copy)]
pub enum Seen<'a> {
    /// The page could not be fetched or used.
    Failed,
    /// The stored snapshot is damaged: the page may well be reachable, so nothing is counted
    /// and nothing is announced until it is repaired.
    Damaged,
    /// The page was fetched and extracted.
    Fetched {
        content: Content<'a>,
        /// This run's findings; `None` when they were not looked for (the remembered ones
        /// then stay as they are).
        findings: Option<&'a [Finding]>,
    },
}

/// The content compared with the stored snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// No snapshot yet: this is the baseline.
    First { hash: &'a str },
    /// The same as stored (a moved final URL alone counts as the same content).
    Same,
    /// Different from the stored snapshot (`was`, stored `since`).
    Changed {
        hash: &'a str,
        was: &'a str,
        since: Timestamp,
    },
    /// The extraction rules changed: the baseline was re-made, old versions no longer compare.
    Rebaselined { hash: &'a str },
}

/// What to do about the content in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to say about the content.
    Quiet,
    /// First sight, or a version never seen before: announce it and store it.
    Announce,
    /// Back to a remembered version: announce once as such, and store it.
    BackTo(Timestamp),
    /// Flipping between remembered versions after the return was announced: say nothing and
    /// leave the snapshot as it is.
    Flip(Timestamp),
}

/// What a run has to tell about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcements {
    pub content: Verdict,
    /// The target has now failed often enough in a row to be announced as unreachable.
    pub unreachable: bool,
    /// The target answers again after it was announced unreachable.
    pub back: bool,
    /// Failures in a row, this one included (0 when fetched).
    pub consecutive_failures: u32,
    /// Findings to report as new now.
    pub opened: Vec<Finding>,
    /// Reported findings that are gone now.
    pub resolved: Vec<Finding>,
    /// Every finding seen in this run.
    pub open: Vec<Finding>,
}

/// The state after this run and what to announce. The caller remembers `after` only once the
/// announcements are delivered; otherwise [`undelivered`] says what to remember instead.
pub fn advance(
    before: &TargetState,
    seen: Seen<'_>,
    now: Timestamp,
) -> (Announcements, TargetState) {
    let mut after = before.clone();
    let mut out = Announcements {
        content: Verdict::Quiet,
        unreachable: false,
        back: false,
        consecutive_failures: 0,
        opened: Vec::new(),
        resolved: Vec::new(),
        open: Vec::new(),
    };
    match seen {
        Seen::Damaged => {}
        Seen::Failed => {
            // Counted only up to the threshold: an outage rewrites nothing once announced.
            after.consecutive_failures = before
                .consecutive_failures
                .saturating_add(1)
                .min(FAILURES_BEFORE_ALERT);
            out.consecutive_failures = before.consecutive_failures.saturating_add(1);
            if after.consecutive_failures >= FAILURES_BEFORE_ALERT && !before.failure_alerted {
                out.unreachable = true;
                after.failure_alerted = true;
            }
        }
        Seen::Fetched { content, findings } => {
            out.back = before.failure_alerted;
            after.consecutive_failures = 0;
            // Confirmed or not there any more: either way nothing is left to confirm.
            after.unconfirmed = None;
            after.failure_alerted = false;
            out.content = versions(&mut after, content, now);
            if matches!(out.content, Verdict::Announce | Verdict::BackTo(_)) {
                // This alert goes out whole: an unfinished thread of an earlier one is done.
                after.thread = None;
            }
            if let Some(found) = findings {
                let tracked = track(&before.findings, found);
                out.opened = tracked.opened;
                out.resolved = tracked.resolved;
                out.open = tracked.open;
                after.findings = tracked.state;
            }
        }
    }
    (out, after)
}

/// The state to remember when this run's announcements could not be delivered: nothing
/// announced may be remembered as announced, but failures in a row still count.
pub fn undelivered(before: &TargetState, after: &TargetState) -> TargetState {
    let mut kept = before.clone();
    kept.consecutive_failures = after.consecutive_failures;
    // What a first fetch saw is no announcement: it stays for the next run to confirm.
    kept.unconfirmed.clone_from(&after.unconfirmed);
    kept
}

/// Decides about the content and updates the remembered versions.
fn versions(after: &mut TargetState, content: Content<'_>, now: Timestamp) -> Verdict {
    let remember = |after: &mut TargetState, hash: &str, seen: Timestamp| {
        if !after.versions.iter().any(|v| v.hash == hash) {
            after.versions.push(Version {
                hash: hash.to_string(),
                seen,
            });
            let excess = after.versions.len().saturating_sub(VERSIONS_KEPT);
            after.versions.drain(..excess);
        }
    };
    match content {
        Content::First { hash } | Content::Rebaselined { hash } => {
            after.versions.clear();
            after.flip_announced = false;
            remember(after, hash, now);
            if matches!(content, Content::First { .. }) {
                Verdict::Announce
            } else {
                Verdict::Quiet
            }
        }
        // Unchanged content writes nothing new: versions are remembered when they change.
        Content::Same => Verdict::Quiet,
        Content::Changed { hash, was, since } => {
            // A state from before versions were remembered still knows the stored one.
            remember(after, was, since);
            match after.versions.iter().find(|v| v.hash == hash) {
                Some(v) if after.flip_announced => Verdict::Flip(v.seen),
                Some(v) => {
                    after.flip_announced = true;
                    Verdict::BackTo(v.seen)
                }
                None => {
                    after.flip_announced = false;
                    remember(after, hash, now);
                    Verdict::Announce
                }
            }
        }
    }
}

/// The result of comparing this run's findings with the remembered ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracked {
    /// The state to remember after this run.
    pub state: BTreeMap<String, FindingState>,
    /// Findings to report as new now.
    pub opened: Vec<Finding>,
    /// Reported findings that are gone now.
    pub resolved: Vec<Finding>,
    /// Every finding seen in this run.
    pub open: Vec<Finding>,
}

/// Compares this run's findings with the remembered state: each is told once when it appears
/// (after enough runs in a row for the inconclusive kinds) and once when it is resolved.
pub fn track(previous: &BTreeMap<String, FindingState>, current: &[Finding]) -> Tracked {
    let mut out = Tracked::default();
    for f in current {
        if out.state.contains_key(&f.id) {
            continue;
        }
        let prev = previous.get(&f.id);
        // Counted only up to where it matters, so that a finding that stays open leaves the
        // stored state byte-identical from run to run.
        let consecutive = prev
            .map_or(0, |p| p.consecutive)
            .saturating_add(1)
            .min(f.kind.runs_before_report());
        let was_reported = prev.is_some_and(|p| p.reported);
        let report_now = !was_reported && consecutive >= f.kind.runs_before_report();
        if report_now {
            out.opened.push(f.clone());
        }
        out.state.insert(
            f.id.clone(),
            FindingState {
                kind: f.kind,
                summary: f.message.clone(),
                consecutive,
                reported: was_reported || report_now,
            },
        );
        out.open.push(f.clone());
    }
    for (id, p) in previous {
        if p.reported && !out.state.contains_key(id) {
            out.resolved.push(Finding {
                id: id.clone(),
                kind: p.kind,
                message: p.summary.clone(),
                context: None,
                url: None,
                section: None,
            });
        }
    }
    crate::inspect::sort_findings(&mut out.resolved);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, kind: FindingKind) -> Finding {
        Finding {
            id: id.into(),
            kind,
            message: format!("{id} is bad"),
            context: None,
            url: None,
            section: None,
        }
    }

    #[test]
    fn reported_once_then_resolved_once() {
        let empty = finding("empty:1", FindingKind::EmptyLink);
        let run1 = track(&BTreeMap::new(), std::slice::from_ref(&empty));
        assert_eq!(run1.opened, vec![empty.clone()]);
        let run2 = track(&run1.state, std::slice::from_ref(&empty));
        assert!(run2.opened.is_empty() && run2.resolved.is_empty());
        assert_eq!(run2.open.len(), 1);
        let run3 = track(&run2.state, &[]);
        assert_eq!(run3.resolved.len(), 1);
        assert_eq!(run3.resolved[0].message, "empty:1 is bad");
        assert!(run3.state.is_empty());
        let run4 = track(&run3.state, &[]);
        assert!(run4.resolved.is_empty());
    }

    #[test]
    fn a_finding_that_stays_open_leaves_the_state_as_it_was() {
        let slow = finding("unreachable:x", FindingKind::Unreachable);
        let run1 = track(&BTreeMap::new(), std::slice::from_ref(&slow));
        let run2 = track(&run1.state, std::slice::from_ref(&slow));
        let run3 = track(&run2.state, std::slice::from_ref(&slow));
        assert_eq!(run3.state, run2.state);
        let empty = finding("empty:1", FindingKind::EmptyLink);
        let run1 = track(&BTreeMap::new(), std::slice::from_ref(&empty));
        assert_eq!(track(&run1.state, &[empty]).state, run1.state);
    }

    #[test]
    fn inconclusive_kinds_wait_for_a_second_run() {
        let slow = finding("unreachable:x", FindingKind::Unreachable);
        let run1 = track(&BTreeMap::new(), std::slice::from_ref(&slow));
        assert!(run1.opened.is_empty());
        let run2 = track(&run1.state, std::slice::from_ref(&slow));
        assert_eq!(run2.opened.len(), 1);
        // Seen once, then gone: never reported, so nothing to resolve.
        let once = track(&BTreeMap::new(), std::slice::from_ref(&slow));
        assert!(track(&once.state, &[]).resolved.is_empty());
    }
    fn at(day: u32) -> Timestamp {
        format!("2026-01-{day:02}T00:00:00Z").parse().unwrap()
    }

    /// Runs a page through a sequence of content hashes (None: a failed fetch) and returns
    /// what each run announced, one word a run.
    fn replay(steps: &[Option<&str>]) -> Vec<String> {
        let mut state = TargetState::default();
        let mut stored: Option<(String, Timestamp)> = None;
        let mut said = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let now = at(i as u32 + 1);
            let seen = match step {
                None => Seen::Failed,
                Some(h) => Seen::Fetched {
                    content: match &stored {
                        None => Content::First { hash: h },
                        Some((was, _)) if was == h => Content::Same,
                        Some((was, since)) => Content::Changed {
                            hash: h,
                            was,
                            since: *since,
                        },
                    },
                    findings: None,
                },
            };
            let (a, after) = advance(&state, seen, now);
            let word = match (a.content, a.unreachable, a.back) {
                (_, true, _) => "unreachable".to_string(),
                (Verdict::Announce, _, _) if stored.is_none() => "watching".into(),
                (Verdict::Announce, _, _) => "changed".into(),
                (Verdict::BackTo(d), _, _) => format!("back-to-{}", d.strftime("%d")),
                (Verdict::Flip(_), _, _) => "quiet-flip".into(),
                (Verdict::Quiet, _, true) => "back".into(),
                (Verdict::Quiet, _, false) => "-".into(),
            };
            if matches!(a.content, Verdict::Announce | Verdict::BackTo(_)) {
                stored = Some((step.unwrap().to_string(), now));
            }
            said.push(word);
            state = after;
        }
        said
    }

    #[test]
    fn alert_sequences() {
        let cases: &[(&[Option<&str>], &[&str])] = &[
            // First sight, then nothing new.
            (&[Some("a"), Some("a"), Some("a")], &["watching", "-", "-"]),
            // A real change is announced once.
            (
                &[Some("a"), Some("b"), Some("b")],
                &["watching", "changed", "-"],
            ),
            // A/B flipping: the return is announced once, later flips are quiet.
            (
                &[Some("a"), Some("b"), Some("a"), Some("b"), Some("a")],
                &["watching", "changed", "back-to-01", "quiet-flip", "-"],
            ),
            // A version never seen before ends the quiet.
            (
                &[
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    Some("b"),
                    Some("c"),
                    Some("a"),
                ],
                &[
                    "watching",
                    "changed",
                    "back-to-01",
                    "quiet-flip",
                    "changed",
                    "back-to-01",
                ],
            ),
            // Two failures in a row are announced once; the return once.
            (
                &[Some("a"), None, None, None, Some("a")],
                &["watching", "-", "unreachable", "-", "back"],
            ),
            // One failure alone says nothing.
            (&[Some("a"), None, Some("a")], &["watching", "-", "-"]),
        ];
        for (steps, expected) in cases {
            assert_eq!(&replay(steps), expected, "steps {steps:?}");
        }
    }

    #[test]
    fn an_outage_leaves_the_state_unchanged_after_it_is_announced() {
        let mut state = TargetState::default();
        let mut states = Vec::new();
        for day in 1..6 {
            state = advance(&state, Seen::Failed, at(day)).1;
            states.push(state.clone());
        }
        assert!(states[1].failure_alerted);
        assert_eq!(
            states[1], states[4],
            "runs 3..5 of an outage must rewrite nothing"
        );
    }

    #[test]
    fn an_undelivered_alert_is_not_remembered_as_announced() {
        let before = TargetState::default();
        let (a, after) = advance(
            &before,
            Seen::Fetched {
                content: Content::First { hash: "h" },
                findings: Some(&[finding("empty:1", FindingKind::EmptyLink)]),
            },
            at(1),
        );
        assert_eq!(a.opened.len(), 1);
        let kept = undelivered(&before, &after);
        assert!(kept.findings.is_empty() && kept.versions.is_empty());
    }

    #[test]
    fn only_a_few_versions_are_remembered() {
        let mut state = TargetState::default();
        let hashes: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
        let (_, s) = advance(
            &state,
            Seen::Fetched {
                content: Content::First { hash: &hashes[0] },
                findings: None,
            },
            at(1),
        );
        state = s;
        for w in hashes.windows(2) {
            let (_, s) = advance(
                &state,
                Seen::Fetched {
                    content: Content::Changed {
                        hash: &w[1],
                        was: &w[0],
                        since: at(1),
                    },
                    findings: None,
                },
                at(2),
            );
            state = s;
        }
        assert_eq!(state.versions.len(), VERSIONS_KEPT);
        assert_eq!(state.versions.last().unwrap().hash, "h9");
    }
}
