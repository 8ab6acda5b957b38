//! The channel of a run with nothing else configured: the report printed on stdout is the
//! alert. `check` counts it delivered once written and flushed (DESIGN.md, "What counts as
//! delivered on stdout").

use futures::future::BoxFuture;

use super::{Channel, RunContext, Undelivered};
use crate::alert::DeliveryProgress;
use crate::report::TargetReport;

/// The printed report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl Channel for Stdout {
    fn name(&self) -> &'static str {
        "stdout"
    }

    fn label(&self) -> String {
        "stdout".into()
    }

    fn prints(&self) -> bool {
        true
    }

    /// Nothing to send: `check` prints the target's report, and that is the alert.
    fn deliver<'a>(
        &'a self,
        _report: &'a TargetReport,
        _ctx: &'a RunContext,
        _resume: Option<&'a DeliveryProgress>,
    ) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(async { Ok(()) })
    }

    fn payloads(&self, _report: &TargetReport, _ctx: &RunContext) -> Vec<serde_json::Value> {
        Vec::new()
    }
}
