//! Where alerts go: Slack when it is configured in the environment, else stdout (the run's
//! report is printed either way).

mod secrets;
pub mod slack;

pub use secrets::redact_logged;

use jiff::Timestamp;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::alert::ThreadProgress;
use crate::config::{SlackRoute, Target};
use crate::error::NotifyError;
use crate::report::TargetReport;

/// What every message may say about the run it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    pub time: Timestamp,
    /// A link to the GitHub Actions run, when run there.
    pub run_url: Option<String>,
    /// A link to the commit the run checked out, when run there.
    pub commit_url: Option<String>,
}

impl RunContext {
    /// Reads `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID` and `GITHUB_SHA`.
    pub fn from_env(time: Timestamp) -> Self {
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

/// Where one target's alerts go.
#[derive(Debug)]
enum Way {
    /// No Slack settings: the report on stdout is the notification.
    Stdout,
    /// Block Kit messages to Slack, by incoming webhook or bot token.
    Slack(Box<slack::SlackNotifier>),
    /// The target names a destination that this run cannot reach (the reason).
    Missing(String),
}

/// The configured ways out: the run's default, and the targets that name their own Slack
/// destination (`slack_channel`, `slack_webhook_env`).
#[derive(Debug)]
pub struct Notifier {
    default: Way,
    routes: HashMap<String, Way>,
}

impl Notifier {
    /// Slack when `SLACK_WEBHOOK_URL` or `SLACK_BOT_TOKEN` + `SLACK_CHANNEL` are set, else
    /// stdout; plus each target's own destination.
    pub fn from_env(targets: &[Target]) -> Result<Self, NotifyError> {
        Self::from_vars(|k| std::env::var(k).ok(), targets)
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var`.
    ///
    /// Empty values count as unset (a workflow passes every secret, set or not). With a bot
    /// token the messages go to `SLACK_CHANNEL` through the Web API (`SLACK_API_URL`, for
    /// tests), with a summary per target and the diff in its thread; that wins over a webhook.
    /// A bot token without a channel is an error, and so is a target's `slack_channel`
    /// without a bot token while Slack is otherwise configured.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        targets: &[Target],
    ) -> Result<Self, NotifyError> {
        let get = |k: &str| {
            var(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = get("SLACK_BOT_TOKEN");
        let api_url = get("SLACK_API_URL");
        let default = match (&token, get("SLACK_CHANNEL"), get("SLACK_WEBHOOK_URL")) {
            (Some(token), Some(channel), webhook) => {
                if webhook.is_some() {
                    tracing::info!("SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are both set: posting with the bot token");
                }
                Way::Slack(Box::new(slack::SlackNotifier::bot(
                    token,
                    &channel,
                    api_url.as_deref(),
                )?))
            }
            (Some(_), None, _) => {
                return Err(NotifyError::Settings(
                    "SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not\n  help: set SLACK_CHANNEL to the channel to post in (its id, C0123…, or its name) and invite the bot to it; or unset SLACK_BOT_TOKEN to use SLACK_WEBHOOK_URL".into(),
                ))
            }
            (None, _, Some(url)) => Way::Slack(Box::new(slack::SlackNotifier::webhook(&url)?)),
            (None, _, None) => Way::Stdout,
        };
        let remote = !matches!(default, Way::Stdout);
        let mut routes = HashMap::new();
        for t in targets {
            let way = match &t.slack {
                None => continue,
                Some(SlackRoute::Channel(channel)) => match &token {
                    Some(token) => Way::Slack(Box::new(slack::SlackNotifier::bot(
                        token,
                        channel,
                        api_url.as_deref(),
                    )?)),
                    None if remote => {
                        return Err(NotifyError::Settings(format!(
                            "target `{}` names slack_channel `{channel}`, which needs SLACK_BOT_TOKEN (a webhook posts only to its own channel)\n  help: set SLACK_BOT_TOKEN and SLACK_CHANNEL, or give the target slack_webhook_env instead",
                            t.id
                        )))
                    }
                    None => continue,
                },
                Some(SlackRoute::WebhookEnv(name)) => match get(name) {
                    // A value that is no URL fails this route's targets alone.
                    Some(url) => match slack::SlackNotifier::webhook_from(name, &url) {
                        Ok(slack) => Way::Slack(Box::new(slack.from_variable(name))),
                        Err(e) => Way::Missing(format!(
                            "{e} (the webhook named by this target's slack_webhook_env); the next run sends it again"
                        )),
                    },
                    None if remote => Way::Missing(format!(
                        "{name} (the webhook named by this target's slack_webhook_env) is not set; the next run sends it again"
                    )),
                    None => continue,
                },
            };
            routes.insert(t.id.clone(), way);
        }
        Ok(Notifier { default, routes })
    }

    /// Each Slack request may take `timeout` (`[http] timeout_secs`); the bounds per message
    /// and per run follow from it, and the run's clock is shared by every destination.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        let clock = Arc::new(slack::RunClock::default());
        let set = |way: Way| match way {
            Way::Slack(s) => Way::Slack(Box::new(s.with_timeout(timeout, clock.clone()))),
            other => other,
        };
        self.default = set(self.default);
        self.routes = self.routes.into_iter().map(|(k, w)| (k, set(w))).collect();
        self
    }

    /// Every secret of every destination: what the logs must never show.
    pub fn secrets(&self) -> Vec<String> {
        std::iter::once(&self.default)
            .chain(self.routes.values())
            .filter_map(|w| match w {
                Way::Slack(s) => Some(s.secrets()),
                _ => None,
            })
            .flatten()
            .cloned()
            .collect()
    }

    fn way(&self, id: &str) -> &Way {
        self.routes.get(id).unwrap_or(&self.default)
    }

    /// Whether the printed report is the alert for target `id` (no Slack destination).
    pub fn prints(&self, id: &str) -> bool {
        matches!(self.way(id), Way::Stdout)
    }

    /// Whether any message leaves the machine (as opposed to the printed report).
    pub fn is_remote(&self) -> bool {
        !matches!(self.default, Way::Stdout) || !self.routes.is_empty()
    }

    /// Sends the alert about one target to Slack. The stdout notifier has nothing to send:
    /// the report printed for the target is the alert.
    pub async fn deliver(
        &self,
        report: &TargetReport,
        ctx: &RunContext,
        resume: Option<&ThreadProgress>,
    ) -> Result<(), slack::Undelivered> {
        match self.way(&report.id) {
            Way::Stdout => Ok(()),
            Way::Slack(slack) => slack.deliver(report, ctx, resume).await,
            Way::Missing(why) => Err(slack::Undelivered {
                error: NotifyError::Settings(why.clone()),
                progress: resume.cloned(),
            }),
        }
    }

    /// What `check --dry-run` prints instead of sending, for a remote way: one JSON object on
    /// one line, naming the target and where its messages would go, with the exact bodies
    /// that would be posted (`messages`), or why it could not be sent (`error`).
    pub fn preview(&self, report: &TargetReport, ctx: &RunContext) -> Option<String> {
        let line = match self.way(&report.id) {
            Way::Stdout => return None,
            Way::Slack(slack) => serde_json::json!({
                "target": report.id,
                "destination": slack.label(),
                "messages": slack.payloads(report, ctx),
            }),
            Way::Missing(why) => serde_json::json!({
                "target": report.id,
                "destination": null,
                "error": format!("not sendable: {why}"),
            }),
        };
        let mut out = serde_json::to_string(&line).expect("JSON value prints");
        out.push('\n');
        Some(out)
    }
}
