//! Slack delivery through slack-morphism: an incoming webhook (one message per target) or a bot
//! token and channel (a summary per target, the full diff in its thread). Paced to about one
//! message a second; 429 waits for `Retry-After`, 5xx and connection errors are retried with
//! backoff; secrets never appear in what it logs or returns.

mod escape;
mod message;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use regex::Regex;
use serde::Deserialize;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::{
    SlackApiChatPostMessageRequest, SlackApiPostWebhookMessageRequest, SlackApiToken,
    SlackApiTokenValue, SlackChannelId, SlackClient, SlackClientHyperConnector,
    SlackMessageContent, SlackTs,
};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

pub use message::{compose, Composed, Layout, BLOCKS_MAX, HEADER_MAX, SECTION_MAX};

use super::RunContext;
use crate::alert::ThreadProgress;
use crate::error::NotifyError;
use crate::report::TargetReport;
use crate::retry::{self, Attempt};

/// The Web API's base URL unless `SLACK_API_URL` says otherwise.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// Slack asks for about one message a second per channel.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Tries of one message before giving up (the next run sends it again).
const MAX_ATTEMPTS: u32 = 4;
/// The first wait after a 5xx or connection error; it doubles with each try.
const BACKOFF_START: Duration = Duration::from_millis(500);
/// How long one request may take, and its connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;

/// Where the messages go.
enum Destination {
    Webhook {
        url: Url,
    },
    Bot {
        token: SlackApiToken,
        channel: SlackChannelId,
    },
}

/// Posts Block Kit messages to Slack.
pub struct SlackNotifier {
    destination: Destination,
    client: SlackClient<Connector>,
    /// When the last message went out, for pacing.
    last_post: Mutex<Option<Instant>>,
    /// Text that must never be shown: the webhook URL (and its parts), the token.
    secrets: Vec<String>,
    /// Slack did not answer in this run: later messages are not tried.
    down: AtomicBool,
}

/// A notification that did not go out (or only in part).
#[derive(Debug)]
pub struct Undelivered {
    pub error: NotifyError,
    /// The summary is out and this much of its thread: remember it for the next run.
    pub progress: Option<ThreadProgress>,
}

/// Names an alert by what its thread says, so that the next run recognises the same alert.
fn alert_key(composed: &Composed) -> String {
    let thread = serde_json::to_string(&composed.thread).unwrap_or_default();
    crate::snapshot::content_hash(&thread)
}

impl fmt::Debug for SlackNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.destination {
            Destination::Webhook { .. } => f.write_str("SlackNotifier(incoming webhook)"),
            Destination::Bot { channel, .. } => {
                write!(f, "SlackNotifier(bot token, channel {})", channel.0)
            }
        }
    }
}

/// Why one try of a message failed, and what to do about it.
#[derive(Debug)]
enum Failure {
    /// Slack asks to wait this long.
    RateLimited(Duration),
    /// A 5xx, a timeout or a broken connection: worth another try.
    Transient(String),
    /// Slack will not take this message as it is (bad settings, archived channel, …).
    Rejected(String),
}

/// What `chat.postMessage` answers; only `ts` matters (the thread hangs from it), and a
/// missing field must not turn a delivered message into an error (it would be sent again).
#[derive(Debug, Deserialize)]
struct Posted {
    #[serde(default)]
    ts: Option<SlackTs>,
}

impl SlackNotifier {
    /// Posts through an incoming webhook (`SLACK_WEBHOOK_URL`). The URL is a secret: it is
    /// never shown, not even when it is invalid.
    pub fn webhook(url: &str) -> Result<Self, NotifyError> {
        let parsed = Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| {
                NotifyError::Settings(
                    "SLACK_WEBHOOK_URL is not an http(s) URL (its value is not shown: it is a secret)\n  help: copy the webhook URL from your Slack app's \"Incoming Webhooks\" page; it starts with https://hooks.slack.com/services/".into(),
                )
            })?;
        let mut secrets = vec![url.trim().to_string(), parsed.to_string()];
        let path = parsed.path();
        if path.len() > 1 {
            secrets.push(path.to_string());
            secrets.extend(path.split('/').filter(|s| s.len() >= 8).map(str::to_string));
        }
        if let Some(q) = parsed.query().filter(|q| q.len() >= 8) {
            secrets.push(q.to_string());
        }
        Self::new(
            Destination::Webhook { url: parsed },
            DEFAULT_API_URL,
            secrets,
        )
    }

    /// Posts with a bot token to a channel (`SLACK_BOT_TOKEN`, `SLACK_CHANNEL`), at the Web
    /// API under `api_url` (`SLACK_API_URL`, by default [`DEFAULT_API_URL`]).
    pub fn bot(token: &str, channel: &str, api_url: Option<&str>) -> Result<Self, NotifyError> {
        let api_url = api_url
            .unwrap_or(DEFAULT_API_URL)
            .trim()
            .trim_end_matches('/');
        let ok = Url::parse(api_url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !ok {
            return Err(NotifyError::Settings(format!(
                "SLACK_API_URL `{api_url}` is not an http(s) URL\n  help: leave it unset to use {DEFAULT_API_URL}"
            )));
        }
        let token = token.trim().to_string();
        let destination = Destination::Bot {
            token: SlackApiToken::new(SlackApiTokenValue(token.clone())),
            channel: SlackChannelId(channel.trim().to_string()),
        };
        Self::new(destination, api_url, vec![token])
    }

    fn new(
        destination: Destination,
        api_url: &str,
        mut secrets: Vec<String>,
    ) -> Result<Self, NotifyError> {
        secrets.retain(|s| !s.is_empty());
        // Longest first, so that a part never hides inside a whole that is then left half-shown.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let connector = SlackClientHyperConnector::with_connector(https_connector()?)
            .with_slack_api_url(api_url);
        Ok(SlackNotifier {
            destination,
            client: SlackClient::new(connector),
            last_post: Mutex::new(None),
            secrets,
            down: AtomicBool::new(false),
        })
    }

    fn layout(&self) -> Layout {
        match self.destination {
            Destination::Webhook { .. } => Layout::Single,
            Destination::Bot { .. } => Layout::Threaded,
        }
    }

    /// Sends the messages about one target: one message (webhook), or a summary and the diff
    /// in its thread (bot). `resume` names a summary an earlier run posted for this same alert:
    /// then only the rest of its thread is posted. On failure after the summary went out, the
    /// error carries the progress to remember, so that the next run does not post it twice.
    pub async fn deliver(
        &self,
        report: &TargetReport,
        ctx: &RunContext,
        resume: Option<&ThreadProgress>,
    ) -> Result<(), Undelivered> {
        if self.down.load(Ordering::Relaxed) {
            return Err(Undelivered {
                error: NotifyError::Unreachable(
                    "Slack did not answer earlier in this run; not tried again until the next run"
                        .into(),
                ),
                progress: resume.cloned(),
            });
        }
        let composed = compose(report, ctx, self.layout());
        let alert = alert_key(&composed);
        let resume = resume.filter(|r| r.alert == alert);
        let (ts, skip) = match resume {
            Some(r) => (Some(SlackTs(r.ts.clone())), r.posted),
            None => {
                let ts = self
                    .post(&composed.message, None)
                    .await
                    .map_err(|e| self.undelivered(e, None))?;
                (ts, 0)
            }
        };
        if ts.is_none() && !composed.thread.is_empty() {
            tracing::warn!(
                target = %report.id,
                "Slack gave no message timestamp: the diff is posted below the summary, not in a thread"
            );
        }
        let parts = composed.thread.len();
        for (i, part) in composed.thread.iter().enumerate().skip(skip) {
            if let Err(e) = self.post(part, ts.as_ref()).await {
                let progress = ts.as_ref().map(|ts| ThreadProgress {
                    alert: alert.clone(),
                    ts: ts.0.clone(),
                    posted: i,
                });
                let e = prefix(
                    e,
                    &format!(
                        "the summary was posted, but part {} of {parts} of the diff thread was not: ",
                        i + 1
                    ),
                );
                return Err(self.undelivered(e, progress));
            }
        }
        tracing::info!(target = %report.id, messages = 1 + parts - skip, "posted to Slack");
        Ok(())
    }

    /// A failed delivery; a Slack that does not answer is not tried again in this run, so
    /// that an outage costs one target's retries, not every target's.
    fn undelivered(&self, error: NotifyError, progress: Option<ThreadProgress>) -> Undelivered {
        if matches!(error, NotifyError::Unreachable(_)) {
            self.down.store(true, Ordering::Relaxed);
        }
        Undelivered { error, progress }
    }

    /// The JSON that [`deliver`](Self::deliver) would send: the webhook payload, or the
    /// `chat.postMessage` requests (thread replies name the summary's `ts`, unknown before it
    /// is posted).
    pub fn preview(&self, report: &TargetReport, ctx: &RunContext) -> String {
        let composed = compose(report, ctx, self.layout());
        let value = match &self.destination {
            Destination::Webhook { .. } => {
                serde_json::to_value(SlackApiPostWebhookMessageRequest::new(composed.message))
            }
            Destination::Bot { channel, .. } => {
                let mut requests = vec![chat_request(channel, composed.message, None)];
                let ts = SlackTs("<ts of the message above>".into());
                requests.extend(
                    composed
                        .thread
                        .into_iter()
                        .map(|m| chat_request(channel, m, Some(&ts))),
                );
                serde_json::to_value(requests)
            }
        };
        let mut out = serde_json::to_string_pretty(&value.expect("payload serialises"))
            .expect("JSON value prints");
        out.push('\n');
        out
    }

    /// Posts one message, paced and retried as the run's [`retry::Policy`] says; the
    /// message's `ts` when Slack gives one.
    async fn post(
        &self,
        content: &SlackMessageContent,
        thread_ts: Option<&SlackTs>,
    ) -> Result<Option<SlackTs>, NotifyError> {
        let policy = retry::Policy::new(MAX_ATTEMPTS - 1, BACKOFF_START);
        let result = retry::run(&policy, |attempt| async move {
            self.pace().await;
            let sent = tokio::time::timeout(REQUEST_TIMEOUT, self.send(content, thread_ts))
                .await
                .unwrap_or_else(|_| {
                    Err(Failure::Transient(format!(
                        "no answer within {} s",
                        REQUEST_TIMEOUT.as_secs()
                    )))
                });
            match sent {
                Ok(ts) => Attempt::Done(ts),
                Err(Failure::RateLimited(wait)) => {
                    tracing::warn!(
                        wait_secs = wait.as_secs_f32(),
                        attempt,
                        "Slack asked to slow down (429)"
                    );
                    Attempt::Retry {
                        error: Failure::RateLimited(wait),
                        after: Some(wait),
                    }
                }
                Err(Failure::Transient(why)) => {
                    tracing::warn!(error = %why, attempt, "Slack did not take the message");
                    Attempt::Retry {
                        error: Failure::Transient(why),
                        after: None,
                    }
                }
                Err(rejected) => Attempt::Fail(rejected),
            }
        })
        .await;
        result.map_err(|gave_up| match (gave_up.error, gave_up.wait_refused) {
            (_, Some(wait)) => NotifyError::Rejected(format!(
                "Slack is rate-limiting these messages and asks to wait {} s; the next run sends it again",
                wait.as_secs()
            )),
            (Failure::RateLimited(_), None) => NotifyError::Rejected(format!(
                "Slack kept answering 429 (rate limited) after {} tries",
                gave_up.attempts
            )),
            (Failure::Transient(why), None) => {
                NotifyError::Unreachable(format!("{why} (tried {} times)", gave_up.attempts))
            }
            (Failure::Rejected(why), None) => NotifyError::Rejected(why),
        })
    }

    /// Waits until a second has passed since the last message went out.
    async fn pace(&self) {
        let mut last = self.last_post.lock().await;
        if let Some(at) = *last {
            tokio::time::sleep_until(at + MIN_INTERVAL).await;
        }
        *last = Some(Instant::now());
    }

    /// One try of one message.
    async fn send(
        &self,
        content: &SlackMessageContent,
        thread_ts: Option<&SlackTs>,
    ) -> Result<Option<SlackTs>, Failure> {
        match &self.destination {
            Destination::Webhook { url } => {
                let request = SlackApiPostWebhookMessageRequest::new(content.clone());
                self.client
                    .post_webhook_message(url, &request)
                    .await
                    .map(|_| None)
                    .map_err(|e| self.classify(e))
            }
            Destination::Bot { token, channel } => {
                let request = chat_request(channel, content.clone(), thread_ts);
                let session = self.client.open_session(token);
                let posted: Posted = session
                    .http_session_api
                    .http_post("chat.postMessage", &request, None)
                    .await
                    .map_err(|e| self.classify(e))?;
                Ok(posted.ts)
            }
        }
    }

    /// Sorts a client error into wait, retry or give up, with text that holds no secret.
    fn classify(&self, error: SlackClientError) -> Failure {
        match error {
            SlackClientError::RateLimitError(e) => {
                Failure::RateLimited(e.retry_after.unwrap_or(MIN_INTERVAL))
            }
            SlackClientError::HttpError(e) => {
                let status = e.status_code;
                let body = self.redact(e.http_response_body.as_deref().unwrap_or("").trim());
                let body = short(&body);
                let said = if body.is_empty() {
                    String::new()
                } else {
                    format!(" `{body}`")
                };
                if status.is_server_error() {
                    Failure::Transient(format!("it answered HTTP {}{said}", status.as_u16()))
                } else {
                    Failure::Rejected(format!("HTTP {}{said}{}", status.as_u16(), hint(&body)))
                }
            }
            SlackClientError::ApiError(e) => {
                let code = self.redact(&e.code);
                match code.as_str() {
                    "ratelimited" => Failure::RateLimited(MIN_INTERVAL),
                    "internal_error"
                    | "fatal_error"
                    | "service_unavailable"
                    | "request_timeout" => Failure::Transient(format!("it answered `{code}`")),
                    _ => Failure::Rejected(format!("`{code}`{}", hint(&code))),
                }
            }
            SlackClientError::HttpProtocolError(e) => {
                let why = e
                    .cause
                    .as_deref()
                    .map(|c| error_chain(c as &(dyn std::error::Error + 'static)))
                    .unwrap_or_else(|| "unknown error".into());
                Failure::Transient(format!("connection failed: {}", self.redact(&why)))
            }
            SlackClientError::EndOfStream(_) => {
                Failure::Transient("the connection closed before Slack answered".into())
            }
            SlackClientError::ProtocolError(e) => Failure::Rejected(format!(
                "Slack's answer could not be read: {}",
                self.redact(&e.json_error.to_string())
            )),
            SlackClientError::SystemError(e) => {
                let why = e
                    .cause
                    .as_deref()
                    .map(|c| error_chain(c as &(dyn std::error::Error + 'static)))
                    .or(e.message.clone())
                    .unwrap_or_else(|| "unknown error".into());
                Failure::Transient(self.redact(&why))
            }
            SlackClientError::SocketModeProtocolError(e) => {
                Failure::Rejected(self.redact(&e.message))
            }
        }
    }

    /// Removes the webhook URL, the token and anything shaped like them from `text`.
    fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }
}

fn chat_request(
    channel: &SlackChannelId,
    content: SlackMessageContent,
    thread_ts: Option<&SlackTs>,
) -> SlackApiChatPostMessageRequest {
    // The alert's own links need no previews: they would push the diff out of sight.
    SlackApiChatPostMessageRequest::new(channel.clone(), content)
        .with_unfurl_links(false)
        .with_unfurl_media(false)
        .opt_thread_ts(thread_ts.cloned())
}

/// The TLS connector for Slack: ring (the crate's one crypto provider), the platform's
/// certificate verifier, and plain `http://` too, for local mocks.
fn https_connector() -> Result<HttpsConnector<HttpConnector>, NotifyError> {
    crate::fetch::install_crypto_provider();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_platform_verifier(rustls::crypto::ring::default_provider())
        .map_err(|e| NotifyError::Settings(format!("cannot set up TLS for Slack: {e}")))?;
    Ok(builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http))
}

/// Shapes of Slack secrets, for text that did not come from our own settings.
static SECRET_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"xox[a-z]-[A-Za-z0-9-]+|/services/[A-Za-z0-9/_-]+").expect("secret pattern")
});

/// `text` with every secret (and anything shaped like a Slack token or webhook path) replaced.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    SECRET_SHAPES.replace_all(&out, "[redacted]").into_owned()
}

/// An error and its causes, one after the other, without repeats.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The first line of a body, cut to a length fit for a log line.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 200 {
        let mut s: String = line.chars().take(199).collect();
        s.push('…');
        s
    } else {
        line.to_string()
    }
}

/// What to do about the error codes people run into.
fn hint(code: &str) -> &'static str {
    match code {
        "channel_not_found" => {
            "\n  help: check SLACK_CHANNEL (the channel's id, C0123…, or its name); for a private channel invite the bot first"
        }
        "not_in_channel" => "\n  help: invite the bot to the channel (/invite @your-bot)",
        "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
            "\n  help: check SLACK_BOT_TOKEN (the app's Bot User OAuth Token, xoxb-…)"
        }
        "missing_scope" => "\n  help: give the app the chat:write scope and reinstall it",
        "no_service" | "no_team" | "invalid_token" | "no_active_hooks" => {
            "\n  help: the webhook was removed or the URL is wrong: check SLACK_WEBHOOK_URL"
        }
        "channel_is_archived" | "is_archived" => {
            "\n  help: the channel is archived: unarchive it or point the webhook at another channel"
        }
        "action_prohibited" | "restricted_action" | "posting_to_general_channel_denied" => {
            "\n  help: a workspace admin restricts who may post in this channel"
        }
        "invalid_payload" | "invalid_blocks" | "invalid_blocks_format" | "msg_too_long"
        | "too_many_attachments" => {
            "\n  help: Slack refused the message's layout; this is a policy-watch bug, please report it with `check --dry-run` output"
        }
        _ => "",
    }
}

/// The same error with more said before it.
fn prefix(error: NotifyError, before: &str) -> NotifyError {
    match error {
        NotifyError::Rejected(m) => NotifyError::Rejected(format!("{before}{m}")),
        NotifyError::Unreachable(m) => NotifyError::Unreachable(format!("{before}{m}")),
        NotifyError::Settings(m) => NotifyError::Settings(format!("{before}{m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_their_shapes_are_redacted() {
        let secrets = vec![
            "https://hooks.slack.com/services/T000/B000/SECRETxyz".to_string(),
            "SECRETxyz".to_string(),
        ];
        let text = "error sending to https://hooks.slack.com/services/T000/B000/SECRETxyz: xoxb-123-456-abc and SECRETxyz";
        let out = redact(text, &secrets);
        assert!(!out.contains("SECRETxyz"), "{out}");
        assert!(!out.contains("xoxb-123"), "{out}");
        assert!(!out.contains("/services/T000"), "{out}");
    }

    #[test]
    fn an_invalid_webhook_url_is_not_echoed() {
        let err = SlackNotifier::webhook("not a url SECRETxyz").unwrap_err();
        assert!(!err.to_string().contains("SECRETxyz"), "{err}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let n =
            SlackNotifier::webhook("https://hooks.slack.com/services/T000/B000/SECRETxyz").unwrap();
        assert!(!format!("{n:?}").contains("SECRET"));
        let n = SlackNotifier::bot("xoxb-secret-token", "C123", None).unwrap();
        assert!(!format!("{n:?}").contains("xoxb"));
    }
}
