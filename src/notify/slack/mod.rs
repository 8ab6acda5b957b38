//! Slack delivery, a JSON post over HTTPS: an incoming webhook (one message per target) or a
//! bot token and channel (`chat.postMessage`: a summary per target, the full diff in its
//! thread). Paced to about one
//! message a second; 429 waits for `Retry-After`, 5xx and failed connections are retried with
//! backoff. A request that was sent but got no answer in time is not sent again in the run
//! (Slack may have taken it), and time is bounded per message and per run. Secrets never
//! appear in what it logs or returns.

mod blocks;
mod escape;
mod message;
mod settings;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use blocks::{ApiAnswer, ChatPost, Message, WebhookPost};
pub use message::{compose, Composed, Layout, BLOCKS_MAX, HEADER_MAX, SECTION_MAX};
pub use settings::configure;

use futures::future::BoxFuture;

use super::{Channel, RunContext, Undelivered};
use crate::alert::DeliveryProgress;
use crate::error::NotifyError;
use crate::report::TargetReport;
use crate::retry::{self, Attempt};

/// How errors name this channel.
const CHANNEL: &str = "Slack";

/// The Web API's base URL unless `SLACK_API_URL` says otherwise.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// Slack asks for about one message a second per channel.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Tries of one message before giving up (the next run sends it again).
const MAX_ATTEMPTS: u32 = 4;
/// The first wait after a 5xx or connection error; it doubles with each try.
const BACKOFF_START: Duration = Duration::from_millis(500);
/// How long one request may take unless [`SlackNotifier::with_timeout`] says otherwise
/// (`check` passes `[http] timeout_secs`), and its connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// All tries of one message end within this many request timeouts.
const MESSAGE_TIMEOUTS: u32 = 2;
/// All of a run's messages to Slack spend at most this many request timeouts waiting for
/// answers (pacing not counted); later messages wait for the next run.
const RUN_TIMEOUTS: u32 = 10;

/// How a notifier spaces its posts.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    interval: Duration,
    backoff: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            interval: MIN_INTERVAL,
            backoff: BACKOFF_START,
        }
    }
}

/// The HTTP client for both kinds of post (a webhook's and the Web API's), over ring's TLS: the
/// same client code as the pages' (one copy of the HTTP stack in the binary), set up as a plain
/// poster — no redirect followed, no proxy from the environment, no compression asked for.
type HttpClient = reqwest::Client;

/// What every Slack destination of a run shares: when the last message went out (Slack asks
/// for about one a second, whichever target or route it is for) and the time spent waiting
/// for answers.
#[derive(Debug, Default)]
struct Shared {
    last_post: Mutex<Option<Instant>>,
    spent_ms: AtomicU64,
}

impl Shared {
    fn spent(&self) -> Duration {
        Duration::from_millis(self.spent_ms.load(Ordering::Relaxed))
    }

    fn add(&self, d: Duration) {
        self.spent_ms.fetch_add(
            d.as_millis().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }
}

/// Where the messages go.
enum Destination {
    Webhook {
        url: Url,
    },
    Bot {
        token: String,
        channel: String,
        /// `chat.postMessage` under the Web API's address.
        endpoint: Url,
    },
}

/// Posts Block Kit messages to Slack.
pub struct SlackNotifier {
    destination: Destination,
    /// Pacing and the run's time, shared with the run's other Slack destinations.
    shared: Arc<Shared>,
    /// Text that must never be shown: the webhook URL (and its parts), the token.
    secrets: Vec<String>,
    /// Slack did not answer in this run: later messages are not tried.
    down: AtomicBool,
    /// Webhook and Web API posts go through this client.
    http: HttpClient,
    /// How long one request may take.
    timeout: Duration,
    /// The least time between two posts, and the first wait after a failed try.
    pacing: Pacing,
    /// Where messages go, in words that name no secret ("channel C0123", "incoming webhook
    /// (SLACK_WEBHOOK_URL)"), for `check --dry-run`.
    label: String,
    /// The variable to check when Slack cannot be reached at all.
    setting: String,
}

/// Names an alert by what its thread says, so that the next run recognises the same alert.
fn alert_key(composed: &Composed) -> String {
    let thread = serde_json::to_string(&composed.thread).unwrap_or_default();
    crate::hash::content_hash(&thread)
}

impl fmt::Debug for SlackNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.destination {
            Destination::Webhook { .. } => f.write_str("SlackNotifier(incoming webhook)"),
            Destination::Bot { channel, .. } => {
                write!(f, "SlackNotifier(bot token, channel {channel})")
            }
        }
    }
}

/// Why one try of a message failed, and what to do about it.
#[derive(Debug)]
enum Failure {
    /// Slack asks to wait this long.
    RateLimited(Duration),
    /// A 5xx or a connection that could not be made: worth another try.
    Transient(String),
    /// The request went out, and no answer came in time (or the connection broke while
    /// waiting): Slack may have taken it, so it is not sent again in this run.
    Uncertain(String),
    /// The run's time for Slack is used up.
    OutOfTime(String),
    /// Slack will not take this message as it is (bad settings, archived channel, …).
    Rejected(String),
}

impl SlackNotifier {
    /// Posts through an incoming webhook (`SLACK_WEBHOOK_URL`). The URL is a secret: it is
    /// never shown, not even when it is invalid.
    pub fn webhook(url: &str) -> Result<Self, NotifyError> {
        Self::webhook_from("SLACK_WEBHOOK_URL", url)
    }

    /// Posts through the incoming webhook held by the environment variable `var`, which the
    /// errors name (the URL itself is never shown).
    pub fn webhook_from(var: &str, url: &str) -> Result<Self, NotifyError> {
        let parsed = Url::parse(url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
            .ok_or_else(|| {
                settings(format!(
                    "{var} is not an http(s) URL (its value is not shown: it is a secret)\n  help: copy the webhook URL from your Slack app's \"Incoming Webhooks\" page; it starts with https://hooks.slack.com/services/"
                ))
            })?;
        let mut secrets = vec![url.trim().to_string(), parsed.to_string()];
        // A password (`https://u:SECRET@…`) and a user name are secrets too.
        for part in [parsed.password().unwrap_or(""), parsed.username()] {
            if part.len() >= 3 {
                secrets.push(part.to_string());
            }
        }
        let path = parsed.path();
        if path.len() > 1 {
            secrets.push(path.to_string());
            secrets.extend(path.split('/').filter(|s| s.len() >= 8).map(str::to_string));
        }
        if let Some(q) = parsed.query().filter(|q| q.len() >= 8) {
            secrets.push(q.to_string());
        }
        Self::new(Destination::Webhook { url: parsed }, secrets)
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
            return Err(settings(format!(
                "SLACK_API_URL is not an http(s) URL (its value is not shown: it may hold a secret)\n  help: leave it unset to use {DEFAULT_API_URL}"
            )));
        }
        let token = token.trim().to_string();
        let endpoint = Url::parse(&format!("{api_url}/chat.postMessage"))
            .map_err(|_| settings("SLACK_API_URL is not an http(s) URL (its value is not shown: it may hold a secret)"))?;
        let destination = Destination::Bot {
            token: token.clone(),
            channel: channel.trim().to_string(),
            endpoint,
        };
        let mut secrets = vec![token];
        // A password in the API's URL (a proxy's, say) is as secret as the token.
        if let Some(pw) = Url::parse(api_url)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
        {
            secrets.push(pw);
        }
        Self::new(destination, secrets)
    }

    fn new(destination: Destination, mut secrets: Vec<String>) -> Result<Self, NotifyError> {
        secrets.retain(|s| !s.is_empty());
        // Longest first, so that a part never hides inside a whole that is then left half-shown.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        super::secrets::register(&secrets);
        let http = http_client()?;
        let (label, setting) = match &destination {
            Destination::Webhook { .. } => (
                "incoming webhook (SLACK_WEBHOOK_URL)".to_string(),
                "SLACK_WEBHOOK_URL".to_string(),
            ),
            Destination::Bot { channel, .. } => {
                (format!("channel {channel}"), "SLACK_API_URL".to_string())
            }
        };
        Ok(SlackNotifier {
            destination,
            shared: Arc::default(),
            secrets,
            down: AtomicBool::new(false),
            http,
            timeout: REQUEST_TIMEOUT,
            pacing: Pacing::default(),
            label,
            setting,
        })
    }

    /// Each request may take `timeout`; one message's tries end within two of them, and the
    /// run's messages to Slack spend at most ten of them waiting for answers.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Paces its posts with `other`'s and counts its time on the same clock: the run's Slack
    /// destinations share both.
    fn sharing_with(mut self, other: &SlackNotifier) -> Self {
        self.shared = other.shared.clone();
        self
    }

    /// Posts at least `interval` apart, and a first wait of `backoff` after a failed try
    /// (Slack's limits ask for a second and half a second; tests ask for less).
    pub fn with_pacing(mut self, interval: Duration, backoff: Duration) -> Self {
        self.pacing = Pacing { interval, backoff };
        self
    }

    /// The secrets this destination holds, for what must never show them (the logs).
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// The same webhook notifier, its URL read from the variable `name` (a target's
    /// `slack_webhook_env`): errors and dry runs name that variable.
    pub fn from_variable(mut self, name: &str) -> Self {
        self.label = format!("incoming webhook ({name})");
        self.setting = name.to_string();
        self
    }

    /// Where messages go, in words that name no secret.
    pub fn label(&self) -> &str {
        &self.label
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
        resume: Option<&DeliveryProgress>,
    ) -> Result<(), Undelivered> {
        if self.down.load(Ordering::Relaxed) {
            return Err(Undelivered {
                error: unreachable(
                    "it did not answer earlier in this run; not tried again until the next run",
                ),
                progress: resume.cloned(),
            });
        }
        let composed = compose(report, ctx, self.layout());
        let alert = alert_key(&composed);
        // A summary whose thread is unfinished has replies still to post: a remembered count
        // that claims them all (or more) was not written by a partial delivery, and is ignored.
        let resume = resume
            .filter(|r| r.alert == alert && r.posted < composed.thread.len() && is_ts(&r.anchor));
        let (ts, skip) = match resume {
            Some(r) => (Some(r.anchor.clone()), r.posted),
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
                let progress = ts.as_ref().map(|ts| DeliveryProgress {
                    alert: alert.clone(),
                    anchor: ts.clone(),
                    posted: i,
                });
                let e = e.after(&format!(
                    "the summary was posted, but part {} of {parts} of the diff thread was not: ",
                    i + 1
                ));
                return Err(self.undelivered(e, progress));
            }
        }
        tracing::info!(target = %report.id, messages = 1 + parts - skip, "posted to Slack");
        Ok(())
    }

    /// A failed delivery; a Slack that does not answer is not tried again in this run, so
    /// that an outage costs one target's retries, not every target's.
    fn undelivered(&self, error: NotifyError, progress: Option<DeliveryProgress>) -> Undelivered {
        if error.is_unreachable() {
            self.down.store(true, Ordering::Relaxed);
        }
        Undelivered { error, progress }
    }

    /// The JSON bodies that [`deliver`](Self::deliver) would send, in order: the webhook
    /// payload, or the `chat.postMessage` requests (thread replies name the summary's `ts`,
    /// unknown before it is posted).
    pub fn payloads(&self, report: &TargetReport, ctx: &RunContext) -> Vec<serde_json::Value> {
        let composed = compose(report, ctx, self.layout());
        let values = match &self.destination {
            Destination::Webhook { .. } => vec![serde_json::to_value(WebhookPost {
                message: &composed.message,
            })],
            Destination::Bot { channel, .. } => {
                let ts = "<ts of the message above>";
                std::iter::once(ChatPost::new(channel, &composed.message, None))
                    .chain(
                        composed
                            .thread
                            .iter()
                            .map(|m| ChatPost::new(channel, m, Some(ts))),
                    )
                    .map(serde_json::to_value)
                    .collect()
            }
        };
        values
            .into_iter()
            .map(|v| v.expect("payload serialises"))
            .collect()
    }

    /// The payloads as pretty JSON: the webhook payload, or the array of `chat.postMessage`
    /// requests.
    pub fn preview(&self, report: &TargetReport, ctx: &RunContext) -> String {
        let mut values = self.payloads(report, ctx);
        let value = match &self.destination {
            Destination::Webhook { .. } => values.remove(0),
            Destination::Bot { .. } => serde_json::Value::Array(values),
        };
        let mut out = serde_json::to_string_pretty(&value).expect("JSON value prints");
        out.push('\n');
        out
    }

    /// Posts one message, paced and retried as the run's [`retry::Policy`] says, within the
    /// message's and the run's time; the message's `ts` when Slack gives one.
    async fn post(
        &self,
        content: &Message,
        thread_ts: Option<&String>,
    ) -> Result<Option<String>, NotifyError> {
        let deadline = Instant::now() + self.timeout * MESSAGE_TIMEOUTS;
        let run_budget = self.timeout * RUN_TIMEOUTS;
        let policy = retry::Policy::new(MAX_ATTEMPTS - 1, self.pacing.backoff).until(deadline);
        let result = retry::run(&policy, |attempt| async move {
            self.pace().await;
            let left = run_budget.saturating_sub(self.shared.spent());
            if left.is_zero() {
                return Attempt::Fail(Failure::OutOfTime(format!(
                    "Slack took {} s to answer in this run, its limit ({RUN_TIMEOUTS} × [http] timeout_secs)",
                    run_budget.as_secs()
                )));
            }
            let wait = self
                .timeout
                .min(deadline.saturating_duration_since(Instant::now()))
                .min(left);
            let started = Instant::now();
            let sent = tokio::time::timeout(wait, self.send(content, thread_ts))
                .await
                .unwrap_or_else(|_| {
                    Err(Failure::Uncertain(format!(
                        "no answer within {} s",
                        wait.as_secs_f32()
                    )))
                });
            self.shared.add(started.elapsed());
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
                Err(other) => Attempt::Fail(other),
            }
        })
        .await;
        result.map_err(|gave_up| match (gave_up.error, gave_up.wait_refused) {
            (_, Some(wait)) => rejected(format!(
                "Slack is rate-limiting these messages and asks to wait {} s; the next run sends it again",
                wait.as_secs()
            )),
            (error, None) if gave_up.out_of_time => unreachable(format!(
                "{} (tried {} times); no more tries within this message's {} s",
                failure_text(&error),
                gave_up.attempts,
                (self.timeout * MESSAGE_TIMEOUTS).as_secs()
            )),
            (Failure::RateLimited(_), None) => rejected(format!(
                "Slack kept answering 429 (rate limited) after {} tries",
                gave_up.attempts
            )),
            (Failure::Transient(why), None) => {
                // No answer at all: most often a mistyped URL or a machine that cannot reach
                // Slack, not Slack itself.
                let help = if why.starts_with("connection failed") {
                    match self.destination {
                        Destination::Webhook { .. } => format!(
                            "\n  help: check the URL in {} (its value is not shown: it is a secret) and that this machine can reach it",
                            self.setting
                        ),
                        Destination::Bot { .. } => format!(
                            "\n  help: check that this machine can reach Slack's Web API ({} if set, else {DEFAULT_API_URL})",
                            self.setting
                        ),
                    }
                } else {
                    String::new()
                };
                unreachable(format!(
                    "{why} (tried {} times){help}",
                    gave_up.attempts
                ))
            }
            (Failure::Uncertain(why), None) => unreachable(format!(
                "{why}; not sent again in this run, as Slack may have taken it (the next run sends it again)"
            )),
            (Failure::OutOfTime(why), None) => unreachable(why),
            (Failure::Rejected(why), None) => rejected(why),
        })
    }

    /// Waits until a second has passed since the run's last message to Slack went out.
    async fn pace(&self) {
        let mut last = self.shared.last_post.lock().await;
        if let Some(at) = *last {
            tokio::time::sleep_until(at + self.pacing.interval).await;
        }
        *last = Some(Instant::now());
    }

    /// One try of one message.
    async fn send(
        &self,
        content: &Message,
        thread_ts: Option<&String>,
    ) -> Result<Option<String>, Failure> {
        match &self.destination {
            Destination::Webhook { url } => {
                self.post_json(url, &WebhookPost { message: content }, None)
                    .await?;
                // Taken: any 2xx is a delivery, whatever its body or Content-Type (Slack
                // answers a plain `ok`, proxies and mocks what they like); a webhook gives no
                // `ts`, and its body is not read (a slow one must not turn a delivery into a
                // retry).
                Ok(None)
            }
            Destination::Bot {
                token,
                channel,
                endpoint,
            } => {
                let request = ChatPost::new(channel, content, thread_ts.map(String::as_str));
                let response = self.post_json(endpoint, &request, Some(token)).await?;
                let body = read_limited(response, ANSWER_BODY_MAX)
                    .await
                    .map_err(|why| {
                        Failure::Uncertain(format!(
                            "the connection broke before Slack's answer was read: {}",
                            self.redact(&why)
                        ))
                    })?;
                let answer: ApiAnswer = serde_json::from_slice(&body).map_err(|e| {
                    Failure::Rejected(format!(
                        "Slack's answer could not be read: {}",
                        self.redact(&e.to_string())
                    ))
                })?;
                if answer.ok {
                    return Ok(answer.ts);
                }
                let code = self.redact(answer.error.as_deref().unwrap_or("unknown_error"));
                Err(match code.as_str() {
                    "ratelimited" => Failure::RateLimited(MIN_INTERVAL),
                    "internal_error"
                    | "fatal_error"
                    | "service_unavailable"
                    | "request_timeout" => Failure::Transient(format!("it answered `{code}`")),
                    _ => Failure::Rejected(format!("`{code}`{}", hint(&code))),
                })
            }
        }
    }

    /// Posts `body` as JSON to `url` (with the bot token, when there is one); a 2xx answer is
    /// returned unread, any other is sorted into wait, retry or give up, with text that holds
    /// no secret.
    async fn post_json(
        &self,
        url: &Url,
        body: &impl serde::Serialize,
        token: Option<&str>,
    ) -> Result<reqwest::Response, Failure> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Failure::Rejected(format!("the message could not be encoded: {e}")))?;
        let mut request = self
            .http
            .post(url.as_str())
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(body)
            .build()
            .map_err(|e| Failure::Rejected(self.redact(&format!("bad request to Slack: {e}"))))?;
        let response = self.http.execute(request).await.map_err(|e| {
            let why = self.redact(&crate::error::chain(&e));
            if e.is_connect() {
                Failure::Transient(format!("connection failed: {why}"))
            } else {
                Failure::Uncertain(format!("the connection broke before Slack answered: {why}"))
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_limited(response, ERROR_BODY_MAX)
            .await
            .unwrap_or_default();
        let body = short(&self.redact(String::from_utf8_lossy(&body).trim()));
        let said = if body.is_empty() {
            String::new()
        } else {
            format!(" `{body}`")
        };
        Err(if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Failure::RateLimited(retry_after.unwrap_or(MIN_INTERVAL))
        } else if status.is_server_error() {
            Failure::Transient(format!("it answered HTTP {}{said}", status.as_u16()))
        } else {
            Failure::Rejected(format!("HTTP {}{said}{}", status.as_u16(), hint(&body)))
        })
    }

    /// Removes the webhook URL, the token and anything shaped like them from `text`.
    fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }
}

/// What an error answer may hold: Slack's code or a proxy's page, cut for a log line anyway.
const ERROR_BODY_MAX: usize = 64 * 1024;
/// What a `chat.postMessage` answer may hold: Slack echoes the message it posted, blocks and
/// all, so a full alert (50 blocks of up to 3,000 characters, escaped) comes back as several
/// hundred KB. An answer cut short would turn a posted message into one sent again.
const ANSWER_BODY_MAX: usize = 8 * 1024 * 1024;

/// An answer's body, up to `max` bytes: more is an error, read no further.
async fn read_limited(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is longer than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The client for Slack: ring (the crate's one crypto provider), the platform's certificate
/// verifier, and plain `http://` too, for local mocks. It follows no redirect and reads no
/// proxy from the environment, and asks for no compressed answer.
fn http_client() -> Result<HttpClient, NotifyError> {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .no_gzip()
        .no_deflate()
        .build()
        .map_err(|e| NotifyError::Tls {
            channel: CHANNEL,
            error: Arc::new(e),
        })
}

pub(crate) use super::secrets::redact;

/// The first line of a body, cut to a length fit for a log line.
fn short(text: &str) -> String {
    crate::text::truncate(text.lines().next().unwrap_or(""), 200)
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

/// What a failure says, for a message that names it.
fn failure_text(f: &Failure) -> String {
    match f {
        Failure::RateLimited(wait) => format!("Slack asks to wait {} s (429)", wait.as_secs()),
        Failure::Transient(why)
        | Failure::Uncertain(why)
        | Failure::OutOfTime(why)
        | Failure::Rejected(why) => why.clone(),
    }
}

/// Whether `text` has the shape of a Slack message timestamp (`1712345678.123456`).
fn is_ts(text: &str) -> bool {
    text.len() <= 32
        && text.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        })
}

fn rejected(reason: impl Into<String>) -> NotifyError {
    NotifyError::Rejected {
        channel: CHANNEL,
        reason: reason.into(),
    }
}

fn unreachable(reason: impl Into<String>) -> NotifyError {
    NotifyError::Unreachable {
        channel: CHANNEL,
        reason: reason.into(),
    }
}

fn settings(reason: impl Into<String>) -> NotifyError {
    NotifyError::Settings {
        channel: CHANNEL,
        reason: reason.into(),
    }
}

impl Channel for SlackNotifier {
    fn name(&self) -> &'static str {
        CHANNEL
    }

    fn label(&self) -> String {
        self.label.clone()
    }

    fn secrets(&self) -> Vec<String> {
        self.secrets.clone()
    }

    fn deliver<'a>(
        &'a self,
        report: &'a TargetReport,
        ctx: &'a RunContext,
        resume: Option<&'a DeliveryProgress>,
    ) -> BoxFuture<'a, Result<(), Undelivered>> {
        Box::pin(SlackNotifier::deliver(self, report, ctx, resume))
    }

    fn payloads(&self, report: &TargetReport, ctx: &RunContext) -> Vec<serde_json::Value> {
        SlackNotifier::payloads(self, report, ctx)
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
