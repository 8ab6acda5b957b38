//! Where alerts go. A [`Channel`] is one way out: [`Stdout`] (the printed report is the alert)
//! or [`slack`]. Each channel reads its own settings from the environment in a `configure`
//! function registered in `CHANNELS`; [`Notifier`] holds what they set up: the run's default
//! channel and the targets routed elsewhere. A new channel is one file with a `Channel` and a
//! `configure`, and its line in `CHANNELS`.

mod secrets;
pub mod slack;
mod stdout;

pub use secrets::redact_logged;
pub use stdout::Stdout;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;

use crate::alert::DeliveryProgress;
use crate::config::Target;
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

/// One way an alert leaves the run.
///
/// A channel owns how it paces its messages (shared by every target it serves) and what a
/// partial delivery means: the `DeliveryProgress` it returns is handed back to it, and only
/// to it, on the next run's try of the same alert.
pub trait Channel: fmt::Debug + Send + Sync {
    /// The channel's name, as its errors say it ("Slack").
    fn name(&self) -> &'static str;

    /// Where its messages go, in words that name no secret, for `check --dry-run`.
    fn label(&self) -> String;

    /// Whether the printed report is the alert (nothing is sent elsewhere).
    fn prints(&self) -> bool {
        false
    }

    /// What it holds that the logs must never show (URLs, tokens).
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Sends the alert about one target. `resume` is what an earlier run's partial delivery of
    /// an alert to this channel left; the channel decides whether it is this alert's.
    fn deliver<'a>(
        &'a self,
        report: &'a TargetReport,
        ctx: &'a RunContext,
        resume: Option<&'a DeliveryProgress>,
    ) -> BoxFuture<'a, Result<(), Undelivered>>;

    /// The exact bodies [`deliver`](Self::deliver) would send, in order (`check --dry-run`).
    fn payloads(&self, report: &TargetReport, ctx: &RunContext) -> Vec<serde_json::Value>;
}

/// A notification that did not go out (or only in part).
#[derive(Debug)]
pub struct Undelivered {
    pub error: NotifyError,
    /// What went out, for the next run to resume from (e.g. a Slack summary and part of its
    /// thread).
    pub progress: Option<DeliveryProgress>,
}

/// What a channel's `configure` may read: the environment and the run's settings.
pub struct Env<'a> {
    var: &'a dyn Fn(&str) -> Option<String>,
    /// How long one request may take (`[http] timeout_secs`).
    pub timeout: Duration,
}

impl Env<'_> {
    /// The variable `name`, trimmed; empty counts as unset (a workflow passes every secret,
    /// set or not).
    pub fn get(&self, name: &str) -> Option<String> {
        (self.var)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

/// Where one channel's settings send alerts.
#[derive(Debug, Default)]
pub struct Routes {
    /// Where every target goes unless routed elsewhere, if these settings name a place.
    pub default: Option<Arc<dyn Channel>>,
    /// Targets (by id) that name their own destination.
    pub targets: Vec<(String, Route)>,
}

/// Where one target's alerts go.
#[derive(Debug, Clone)]
pub enum Route {
    To(Arc<dyn Channel>),
    /// The target names a destination this run cannot reach: its alerts fail alone, and the
    /// next run sends them again.
    Unsendable {
        channel: &'static str,
        why: String,
    },
}

/// A channel's setup from the environment.
type Configure = fn(&Env, &[Target]) -> Result<Routes, NotifyError>;

/// Every channel but stdout, in order: the first whose settings name a default place is the
/// run's default (stdout when none does).
const CHANNELS: &[Configure] = &[slack::configure];

/// The configured ways out: the run's default, and the targets routed elsewhere.
#[derive(Debug)]
pub struct Notifier {
    default: Route,
    routes: HashMap<String, Route>,
}

impl Notifier {
    /// Every registered channel's settings read from the environment; each request may take
    /// `timeout`.
    pub fn from_env(targets: &[Target], timeout: Duration) -> Result<Self, NotifyError> {
        Self::from_vars(|k| std::env::var(k).ok(), targets, timeout)
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        targets: &[Target],
        timeout: Duration,
    ) -> Result<Self, NotifyError> {
        let env = Env { var: &var, timeout };
        let mut default = None;
        let mut routes = HashMap::new();
        for configure in CHANNELS {
            let set = configure(&env, targets)?;
            if let Some(channel) = set.default {
                match &default {
                    None => default = Some(channel),
                    Some(first) => tracing::info!(
                        "{} and {} are both configured: alerts go to {}",
                        first.label(),
                        channel.label(),
                        first.label()
                    ),
                }
            }
            for (id, route) in set.targets {
                routes.entry(id).or_insert(route);
            }
        }
        let default = Route::To(default.unwrap_or_else(|| Arc::new(Stdout)));
        Ok(Notifier { default, routes })
    }

    /// Every secret of every destination: what the logs must never show.
    pub fn secrets(&self) -> Vec<String> {
        std::iter::once(&self.default)
            .chain(self.routes.values())
            .filter_map(|r| match r {
                Route::To(channel) => Some(channel.secrets()),
                Route::Unsendable { .. } => None,
            })
            .flatten()
            .collect()
    }

    fn route(&self, id: &str) -> &Route {
        self.routes.get(id).unwrap_or(&self.default)
    }

    /// Whether the printed report is the alert for target `id`.
    pub fn prints(&self, id: &str) -> bool {
        matches!(self.route(id), Route::To(c) if c.prints())
    }

    /// Whether any message leaves the machine (as opposed to the printed report).
    pub fn is_remote(&self) -> bool {
        !matches!(&self.default, Route::To(c) if c.prints()) || !self.routes.is_empty()
    }

    /// Sends the alert about one target where it is routed.
    pub async fn deliver(
        &self,
        report: &TargetReport,
        ctx: &RunContext,
        resume: Option<&DeliveryProgress>,
    ) -> Result<(), Undelivered> {
        match self.route(&report.id) {
            Route::To(channel) => channel.deliver(report, ctx, resume).await,
            Route::Unsendable { channel, why } => Err(Undelivered {
                error: NotifyError::Settings {
                    channel,
                    reason: why.clone(),
                },
                progress: resume.cloned(),
            }),
        }
    }

    /// What `check --dry-run` prints instead of sending, for a channel that sends: one JSON
    /// object on one line, naming the target and where its messages would go, with the exact
    /// bodies that would be posted (`messages`), or why they could not be sent (`error`).
    pub fn preview(&self, report: &TargetReport, ctx: &RunContext) -> Option<String> {
        let line = match self.route(&report.id) {
            Route::To(channel) if channel.prints() => return None,
            Route::To(channel) => serde_json::json!({
                "target": report.id,
                "destination": channel.label(),
                "messages": channel.payloads(report, ctx),
            }),
            Route::Unsendable { why, .. } => serde_json::json!({
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
