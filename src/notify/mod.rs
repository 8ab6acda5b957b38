//! Where alerts go: Slack when it is configured in the environment, else stdout (the run's
//! report is printed either way).

pub mod slack;

use chrono::{DateTime, Utc};

use crate::alert::ThreadProgress;
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
    /// Block Kit messages to Slack, by incoming webhook or bot token.
    Slack(Box<slack::SlackNotifier>),
}

impl Notifier {
    /// Slack when `SLACK_WEBHOOK_URL` or `SLACK_BOT_TOKEN` + `SLACK_CHANNEL` are set, else stdout.
    pub fn from_env() -> Result<Self, NotifyError> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var`.
    ///
    /// Empty values count as unset (a workflow passes every secret, set or not). With a bot
    /// token the messages go to `SLACK_CHANNEL` through the Web API (`SLACK_API_URL`, for
    /// tests), with a summary per target and the diff in its thread; that wins over a webhook.
    /// A bot token without a channel is an error.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, NotifyError> {
        let get = |k: &str| {
            var(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let notifier = match (
            get("SLACK_BOT_TOKEN"),
            get("SLACK_CHANNEL"),
            get("SLACK_WEBHOOK_URL"),
        ) {
            (Some(token), Some(channel), webhook) => {
                if webhook.is_some() {
                    tracing::info!("SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are both set: posting with the bot token");
                }
                slack::SlackNotifier::bot(&token, &channel, get("SLACK_API_URL").as_deref())?
            }
            (Some(_), None, _) => {
                return Err(NotifyError::Settings(
                    "SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not\n  help: set SLACK_CHANNEL to the channel to post in (its id, C0123…, or its name) and invite the bot to it; or unset SLACK_BOT_TOKEN to use SLACK_WEBHOOK_URL".into(),
                ))
            }
            (None, _, Some(url)) => slack::SlackNotifier::webhook(&url)?,
            (None, _, None) => return Ok(Notifier::Stdout),
        };
        Ok(Notifier::Slack(Box::new(notifier)))
    }

    /// Whether messages leave the machine (as opposed to the printed report).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Notifier::Stdout)
    }

    /// Sends the alert about one target to Slack. The stdout notifier has nothing to send:
    /// the report printed for the target is the alert.
    pub async fn deliver(
        &self,
        report: &TargetReport,
        ctx: &RunContext,
        resume: Option<&ThreadProgress>,
    ) -> Result<(), slack::Undelivered> {
        match self {
            Notifier::Stdout => Ok(()),
            Notifier::Slack(slack) => slack.deliver(report, ctx, resume).await,
        }
    }

    /// What `check --dry-run` prints instead of sending: the payloads, for a remote notifier.
    pub fn preview(&self, report: &TargetReport, ctx: &RunContext) -> Option<String> {
        match self {
            Notifier::Stdout => None,
            Notifier::Slack(slack) => Some(slack.preview(report, ctx)),
        }
    }
}
