//! Which findings to report: each is told once when it appears (after enough runs in a row for
//! the inconclusive kinds) and once when it is resolved, never on every run.

use std::collections::BTreeMap;

use super::Finding;
use crate::snapshot::FindingState;

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

/// Compares this run's findings with the remembered state.
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::FindingKind;

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
}
