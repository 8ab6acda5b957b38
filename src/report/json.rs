//! The report as one JSON document: the run, and an object per target whose fields are the
//! stable interface scripts read (`status`, `changes`, `new_findings`, …).

use jiff::Timestamp;
use serde::Serialize;

use super::{Event, Formatter, Run, Status, TargetReport};
use crate::diff::{Change, LinkChange};
use crate::document::ReadBy;
use crate::facts::{Citation, Fact};
use crate::inspect::Finding;

/// The JSON format: written target by target, so that the pieces put together are one
/// document.
pub(super) struct Json {
    run: Run,
    seen: usize,
}

impl Json {
    pub(super) fn new(run: Run) -> Self {
        Json { run, seen: 0 }
    }
}

impl Formatter for Json {
    fn begin(&mut self) -> String {
        format!(
            "{{\n  \"generated_at\": {},\n  \"command\": {},\n  \"dry_run\": {},\n  \"targets\": [",
            serde_json::to_string(&self.run.generated_at).expect("time serialises"),
            serde_json::to_string(self.run.command.as_str()).expect("string serialises"),
            self.run.dry_run
        )
    }

    fn target(&mut self, t: &TargetReport) -> String {
        self.seen += 1;
        let body = serde_json::to_string_pretty(&Target::from(t)).expect("report serialises");
        let mut out = String::from(if self.seen > 1 { ",\n" } else { "\n" });
        for (i, line) in body.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
        out
    }

    fn end(&mut self) -> String {
        if self.seen == 0 {
            "]\n}\n".into()
        } else {
            "\n  ]\n}\n".into()
        }
    }
}

/// One target as the JSON shows it: a flat object, a field left out when it has nothing to
/// say (but `facts` and `blocks`, always there).
#[derive(Serialize)]
struct Target<'a> {
    id: &'a str,
    name: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_url: Option<&'a str>,
    /// Where the URL used to land, when that moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read: Option<ReadBy>,
    status: Status,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    changes: &'a [Change],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    links: &'a [LinkChange],
    facts: &'a [Fact],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    cited_in: &'a [Citation],
    blocks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "crate::is_default")]
    consecutive_failures: u32,
    #[serde(skip_serializing_if = "crate::is_default")]
    unreachable_alert: bool,
    #[serde(skip_serializing_if = "crate::is_default")]
    back: bool,
    #[serde(skip_serializing_if = "crate::is_default")]
    rebaselined: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    new_findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    resolved_findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    open_findings: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_error: Option<&'a str>,
    #[serde(skip_serializing_if = "crate::is_default")]
    damaged: bool,
    #[serde(skip_serializing_if = "crate::is_default")]
    volatile: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    back_to: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alternate: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_url: Option<&'a str>,
}

impl<'a> From<&'a TargetReport> for Target<'a> {
    fn from(t: &'a TargetReport) -> Self {
        let change = t.change();
        let failure = t.failure();
        let compared = t.compared().copied().unwrap_or_default();
        Target {
            id: &t.id,
            name: &t.name,
            url: &t.url,
            final_url: t.final_url.as_deref(),
            moved_from: change.and_then(|c| c.moved_from.as_deref()),
            read: t.read,
            status: t.status(),
            changes: change.map_or(&[], |c| &c.changes),
            links: change.map_or(&[], |c| &c.links),
            facts: change.map_or(&[], |c| &c.facts),
            cited_in: change.map_or(&[], |c| &c.cited_in),
            blocks: t.blocks(),
            error: failure.map(|f| f.error.as_str()),
            consecutive_failures: failure.map_or(0, |f| f.consecutive),
            unreachable_alert: failure.is_some_and(|f| f.unreachable),
            back: t.back,
            rebaselined: compared.rebaselined,
            new_findings: &t.findings.new,
            resolved_findings: &t.findings.resolved,
            open_findings: &t.findings.open,
            delivery_error: t.delivery_error.as_deref(),
            damaged: failure.is_some_and(|f| f.damaged),
            volatile: compared.volatile,
            back_to: change.and_then(|c| c.back_to),
            alternate: match t.event {
                Event::Unchanged { alternate, .. } => alternate,
                _ => None,
            },
            page_url: t.page_url.as_deref(),
        }
    }
}
