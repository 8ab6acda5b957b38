//! Slack's settings in the environment: `SLACK_WEBHOOK_URL`, or `SLACK_BOT_TOKEN` with
//! `SLACK_CHANNEL` (and `SLACK_API_URL`, for tests), plus each target's own `slack_channel` or
//! `slack_webhook_env`. One notifier per destination, all of them paced together.

use std::collections::HashMap;
use std::sync::Arc;

use super::{settings, SlackNotifier, CHANNEL};
use crate::config::{SlackRoute, Target};
use crate::error::NotifyError;
use crate::notify::{Channel, Env, Route, Routes};

/// Slack's routes, as the environment sets them up.
///
/// With a bot token the messages go to `SLACK_CHANNEL` through the Web API, with a summary per
/// target and the diff in its thread; that wins over a webhook. A bot token without a channel
/// is an error, and so is a target's `slack_channel` without a bot token while Slack is
/// otherwise configured. A target whose own webhook variable is unset or not a URL fails
/// alone. Targets that name the same destination share one notifier.
pub fn configure(env: &Env, targets: &[Target]) -> Result<Routes, NotifyError> {
    let token = env.get("SLACK_BOT_TOKEN");
    let api_url = env.get("SLACK_API_URL");
    let mut made = Made::new(env);
    let default = match (&token, env.get("SLACK_CHANNEL"), env.get("SLACK_WEBHOOK_URL")) {
        (Some(token), Some(channel), webhook) => {
            if webhook.is_some() {
                tracing::info!(
                    "SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are both set: posting with the bot token"
                );
            }
            Some(made.bot(token, &channel, api_url.as_deref())?)
        }
        (Some(_), None, _) => {
            return Err(settings(
                "SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not\n  help: set SLACK_CHANNEL to the channel to post in (its id, C0123…, or its name) and invite the bot to it; or unset SLACK_BOT_TOKEN to use SLACK_WEBHOOK_URL",
            ))
        }
        (None, _, Some(url)) => Some(made.webhook("SLACK_WEBHOOK_URL", &url)?),
        (None, _, None) => None,
    };
    let remote = default.is_some();
    let mut routes = Vec::new();
    for t in targets {
        let route = match &t.slack {
            None => continue,
            Some(SlackRoute::Channel(channel)) => match &token {
                Some(token) => Route::To(made.bot(token, channel, api_url.as_deref())?),
                None if remote => {
                    return Err(settings(format!(
                        "target `{}` names slack_channel `{channel}`, which needs SLACK_BOT_TOKEN (a webhook posts only to its own channel)\n  help: set SLACK_BOT_TOKEN and SLACK_CHANNEL, or give the target slack_webhook_env instead",
                        t.id
                    )))
                }
                None => continue,
            },
            Some(SlackRoute::WebhookEnv(name)) => match env.get(name) {
                Some(url) => match made.webhook(name, &url) {
                    Ok(slack) => Route::To(slack),
                    // A value that is no URL fails this route's targets alone.
                    Err(NotifyError::Settings { reason, .. }) => unsendable(format!(
                        "{reason} (the webhook named by this target's slack_webhook_env); the next run sends it again"
                    )),
                    Err(e) => return Err(e),
                },
                None if remote => unsendable(format!(
                    "{name} (the webhook named by this target's slack_webhook_env) is not set; the next run sends it again"
                )),
                None => continue,
            },
        };
        routes.push((t.id.clone(), route));
    }
    Ok(Routes {
        default,
        targets: routes,
    })
}

fn unsendable(why: String) -> Route {
    Route::Unsendable {
        channel: CHANNEL,
        why,
    }
}

/// The notifiers made so far, one per destination, sharing the first one's pacing and clock.
struct Made<'e, 'v> {
    env: &'e Env<'v>,
    by_destination: HashMap<String, Arc<SlackNotifier>>,
    first: Option<Arc<SlackNotifier>>,
}

impl<'e, 'v> Made<'e, 'v> {
    fn new(env: &'e Env<'v>) -> Self {
        Made {
            env,
            by_destination: HashMap::new(),
            first: None,
        }
    }

    fn bot(
        &mut self,
        token: &str,
        channel: &str,
        api_url: Option<&str>,
    ) -> Result<Arc<dyn Channel>, NotifyError> {
        self.get(format!("bot {}", channel.trim()), || {
            SlackNotifier::bot(token, channel, api_url)
        })
    }

    /// The webhook whose URL the variable `var` holds; errors and dry runs name the variable.
    fn webhook(&mut self, var: &str, url: &str) -> Result<Arc<dyn Channel>, NotifyError> {
        self.get(format!("webhook {var}"), || {
            SlackNotifier::webhook_from(var, url).map(|n| n.from_variable(var))
        })
    }

    fn get(
        &mut self,
        key: String,
        make: impl FnOnce() -> Result<SlackNotifier, NotifyError>,
    ) -> Result<Arc<dyn Channel>, NotifyError> {
        if let Some(n) = self.by_destination.get(&key) {
            return Ok(n.clone());
        }
        let mut n = make()?.with_timeout(self.env.timeout);
        if let Some(first) = &self.first {
            n = n.sharing_with(first);
        }
        let n = Arc::new(n);
        self.first.get_or_insert_with(|| n.clone());
        self.by_destination.insert(key, n.clone());
        Ok(n)
    }
}
