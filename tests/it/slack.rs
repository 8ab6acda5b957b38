//! Slack notifications: the Block Kit payload of each kind of message (insta snapshots), the
//! escaping of page text, and delivery end to end through the binary against a local Slack
//! mock — retries, `Retry-After`, failures that keep the snapshot, secrets that never show.

use std::time::{Duration, Instant};

use crate::common::{
    fixture, reserve, run, serve, slack_bodies, slack_error, slack_ok, slack_posted, target,
    Workdir, SLACK_BOT_TOKEN, SLACK_WEBHOOK_PATH,
};
use policy_watch::diff::{Change, Span, SpanOp};
use policy_watch::error::NotifyError;
use policy_watch::inspect::{Finding, FindingKind};
use policy_watch::notify::slack::{SlackNotifier, BLOCKS_MAX, HEADER_MAX, SECTION_MAX};
use policy_watch::notify::{Notifier, RunContext};
use policy_watch::report::{Compared, ContentChange, Event, Failure, TargetReport};
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const POLICY_URL: &str =
    "https://documentation.crossengage.io/data-and-engagement-platform/help-and-support/privacy-policy";
const WEBHOOK: &str = "https://hooks.slack.com/services/T000/B000/SECRETxyz";

// --- payloads -----------------------------------------------------------------------------

fn ctx() -> RunContext {
    RunContext {
        time: "2026-11-29T18:32:00Z".parse().unwrap(),
        run_url: Some("https://github.com/crossengage/policy-watch/actions/runs/4242".into()),
        commit_url: Some(
            "https://github.com/crossengage/policy-watch/commit/8144a01c0ffee0000000000000000000000000".into(),
        ),
    }
}

fn local_ctx() -> RunContext {
    RunContext {
        time: "2026-11-29T18:32:00Z".parse().unwrap(),
        run_url: None,
        commit_url: None,
    }
}

fn span(op: SpanOp, text: &str) -> Span {
    Span {
        op,
        text: text.to_string(),
    }
}

fn crossengage(event: Event) -> TargetReport {
    let mut r = TargetReport::new(
        "crossengage-privacy",
        "CrossEngage privacy policy",
        POLICY_URL,
        event,
    );
    r.final_url = Some(POLICY_URL.into());
    r
}

/// The CrossEngage page changed as `change` says; its content now has `blocks` blocks.
fn crossengage_changed(blocks: usize, change: ContentChange) -> TargetReport {
    crossengage(Event::Changed(Box::new(ContentChange {
        compared: Compared {
            blocks,
            ..Compared::default()
        },
        ..change
    })))
}

fn unchanged() -> Event {
    Event::Unchanged {
        compared: Compared {
            blocks: 16,
            ..Compared::default()
        },
        alternate: None,
    }
}

fn empty_link(n: u32, vendor: &str, url: &str, context: &str) -> Finding {
    Finding {
        id: format!("empty-link-{n}"),
        kind: FindingKind::EmptyLink,
        message: format!("A link to {url} has no text: a reader sees nothing where the {vendor} policy should be named"),
        context: Some(context.into()),
        url: Some(url.into()),
        section: Some(format!("{vendor} (de)")),
    }
}

fn appcues_empty_link() -> Finding {
    empty_link(
        1,
        "Appcues",
        "https://www.appcues.com/privacy",
        "… erfahren Sie in der Privacy Policy auf⟦⟧.",
    )
}

fn mixpanel_empty_link() -> Finding {
    empty_link(
        2,
        "Mixpanel",
        "https://mixpanel.com/privacy/",
        "… können Sie der nachfolgenden Webseite entnehmen: ⟦⟧.",
    )
}

fn changed_report() -> TargetReport {
    let changes = vec![
        Change::Changed {
            spans: vec![
                span(SpanOp::Equal, "When using the CrossEngage Data & Prediction Platform, we support you with the Appcues tool from Appcues Inc. 54 Canal St, 5th Floor, Boston, MA 02114. In this context, it is possible that user profile data such as name, e-mail"),
                span(SpanOp::Added, ", phone number"),
                span(SpanOp::Equal, " and timestamp of user account creation are transferred to the service provider."),
            ],
        },
        Change::Changed {
            spans: vec![
                span(SpanOp::Equal, "Further information from the third-party provider on data protection can be found on the following website: "),
                span(SpanOp::Removed, "[https://mixpanel.com/privacy/](https://mixpanel.com/privacy/)."),
                span(SpanOp::Added, "[https://mixpanel.com/privacy/](https://mixpanel.com/legal/privacy-policy/)."),
                span(SpanOp::Equal, " We delete your data as soon as it is no longer required for the stated purposes."),
            ],
        },
        Change::Added {
            text: "### Hotjar".into(),
        },
        Change::Added {
            text: "We also use Hotjar, a service of Hotjar Ltd. Further information: [https://www.hotjar.com/legal/policies/privacy/](https://www.hotjar.com/legal/policies/privacy/).".into(),
        },
        Change::Removed {
            text: "Mixpanel uses cookies for this purpose.".into(),
        },
    ];
    // As the pipeline does: the link changes are data beside the changes.
    let links = policy_watch::diff::link_changes(&changes);
    crossengage_changed(
        18,
        ContentChange {
            changes,
            links,
            ..ContentChange::default()
        },
    )
}

fn long_report() -> TargetReport {
    let changes = (1..=60)
        .map(|i| Change::Changed {
            spans: vec![
                span(
                    SpanOp::Equal,
                    &format!(
                        "Section {i}. {}",
                        "We process personal data only as described here. ".repeat(20)
                    ),
                ),
                span(SpanOp::Removed, "thirty"),
                span(SpanOp::Added, "ninety"),
                span(
                    SpanOp::Equal,
                    &format!(
                        " days. {}",
                        "The controller is responsible for the processing. ".repeat(20)
                    ),
                ),
            ],
        })
        .collect();
    crossengage_changed(
        120,
        ContentChange {
            changes,
            ..ContentChange::default()
        },
    )
}

fn hostile_report() -> TargetReport {
    let changes = vec![
        Change::Added {
            text: "Attention <!channel> and <!here> and <@U0123ABC>: read <https://evil.example|the new policy> *now* _please_ ~really~ `code` @channel & more".into(),
        },
        Change::Changed {
            spans: vec![
                span(SpanOp::Equal, "Contact us at "),
                span(SpanOp::Removed, "<mailto:dpo@example.com|dpo@example.com>"),
                span(SpanOp::Added, "<https://evil.example/phish|dpo@example.com>"),
                span(SpanOp::Equal, " for questions."),
            ],
        },
    ];
    let mut r = crossengage_changed(
        16,
        ContentChange {
            changes,
            ..ContentChange::default()
        },
    );
    r.findings.new = vec![Finding {
        id: "broken-1".into(),
        kind: FindingKind::Broken,
        message: "<!everyone> link is broken (HTTP 404)".into(),
        context: Some("see <https://evil.example|here>".into()),
        url: Some("https://evil.example/a|b>c".into()),
        section: None,
    }];
    r
}

fn webhook_preview(report: &TargetReport, ctx: &RunContext) -> Value {
    let n = SlackNotifier::webhook(WEBHOOK).unwrap();
    serde_json::from_str(&n.preview(report, ctx)).unwrap()
}

fn bot_preview(report: &TargetReport, ctx: &RunContext) -> Vec<Value> {
    let n = SlackNotifier::bot(SLACK_BOT_TOKEN, "C0TEST", None).unwrap();
    serde_json::from_str(&n.preview(report, ctx)).unwrap()
}

/// Every text in a message keeps Slack's limits.
fn assert_within_limits(message: &Value) {
    let blocks = message["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= BLOCKS_MAX, "{} blocks", blocks.len());
    assert!(
        message["text"].as_str().is_some_and(|t| !t.is_empty()),
        "no fallback text"
    );
    for b in blocks {
        match b["type"].as_str().unwrap() {
            "header" => {
                let t = b["text"]["text"].as_str().unwrap();
                assert!(t.chars().count() <= HEADER_MAX, "header: {t}");
            }
            "section" => {
                let t = b["text"]["text"].as_str().unwrap();
                assert!(
                    t.chars().count() <= SECTION_MAX,
                    "section of {}",
                    t.chars().count()
                );
            }
            "context" => {
                for e in b["elements"].as_array().unwrap() {
                    let t = e["text"].as_str().unwrap();
                    assert!(t.chars().count() <= SECTION_MAX);
                }
            }
            other => panic!("unexpected block type {other}"),
        }
    }
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"<!date\^\d+\^", "<!date^[unix time]^");
    s.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "[time]");
    s.add_filter(r"127\.0\.0\.1:\d+", "[server]");
    s
}

#[test]
fn changed_message_strikes_removed_words_and_bolds_added_ones() {
    let payload = webhook_preview(&changed_report(), &ctx());
    assert_within_limits(&payload);
    let text = payload.to_string();
    assert!(text.contains("*, phone number*"), "{text}");
    assert!(
        text.contains("now points to <https://mixpanel.com/legal/privacy-policy/|"),
        "{text}"
    );
    snapshot_settings().bind(|| insta::assert_json_snapshot!("changed", payload));
}

#[test]
fn now_watching_message_shows_first_findings() {
    let mut r = crossengage(Event::Watching { blocks: 16 });
    r.findings.new = vec![appcues_empty_link(), mixpanel_empty_link()];
    r.findings.open = r.findings.new.clone();
    let payload = webhook_preview(&r, &local_ctx());
    assert_within_limits(&payload);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("now_watching", payload));
}

#[test]
fn unreachable_message_says_the_snapshot_is_kept() {
    let mut r = crossengage(Event::Failed(Failure {
        error: "timed out after 30 s".into(),
        consecutive: 2,
        unreachable: true,
        damaged: false,
    }));
    r.final_url = None;
    let payload = webhook_preview(&r, &ctx());
    assert_within_limits(&payload);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("unreachable", payload));
}

#[test]
fn back_message() {
    let mut r = crossengage(unchanged());
    r.back = true;
    let payload = webhook_preview(&r, &ctx());
    assert_within_limits(&payload);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("back", payload));
}

#[test]
fn findings_message_lists_new_and_resolved() {
    let mut r = crossengage(unchanged());
    let broken = Finding {
        id: "broken-1".into(),
        kind: FindingKind::Broken,
        message: "https://www.appcues.com/privacy answers HTTP 404".into(),
        context: Some(
            "… can be found in the Privacy Policy at ⟦https://www.appcues.com/privacy⟧.".into(),
        ),
        url: Some("https://www.appcues.com/privacy".into()),
        section: Some("Appcues (en)".into()),
    };
    r.findings.new = vec![broken.clone()];
    r.findings.resolved = vec![appcues_empty_link()];
    r.findings.open = vec![broken, mixpanel_empty_link()];
    let payload = webhook_preview(&r, &ctx());
    assert_within_limits(&payload);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("findings", payload));
}

#[test]
fn moved_message_names_the_new_address() {
    let mut r = TargetReport::new(
        "mixpanel-privacy",
        "Mixpanel privacy policy",
        "https://mixpanel.com/privacy/",
        Event::Changed(Box::new(ContentChange {
            moved_from: Some("https://mixpanel.com/legal/privacy/".into()),
            ..ContentChange::default()
        })),
    );
    r.final_url = Some("https://mixpanel.com/legal/privacy-policy/".into());
    let payload = webhook_preview(&r, &local_ctx());
    assert_within_limits(&payload);
    snapshot_settings().bind(|| insta::assert_json_snapshot!("moved", payload));
}

#[test]
fn long_diff_is_shortened_and_says_where_the_rest_is() {
    let r = long_report();
    let payload = webhook_preview(&r, &ctx());
    assert_within_limits(&payload);
    let blocks = payload["blocks"].as_array().unwrap();
    let last = blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(last.contains("more changes — full diff in <https://github.com/crossengage/policy-watch/actions/runs/4242|"), "{last}");
    assert!(last.contains("snapshots/crossengage-privacy.md"), "{last}");
    snapshot_settings().bind(|| insta::assert_json_snapshot!("long_diff_shortened", payload));

    // Without GitHub, the snapshot's history is where the whole diff is.
    let payload = webhook_preview(&r, &local_ctx());
    let text = payload.to_string();
    assert!(
        text.contains("full diff in the history of `snapshots/crossengage-privacy.md`"),
        "{text}"
    );
}

#[test]
fn bot_summary_has_the_whole_diff_in_its_thread() {
    let r = long_report();
    let messages = bot_preview(&r, &ctx());
    assert!(messages.len() > 2, "{} messages", messages.len());
    let summary = &messages[0];
    assert_eq!(summary["channel"], "C0TEST");
    assert!(summary.get("thread_ts").is_none());
    assert_eq!(summary["unfurl_links"], false);
    for m in &messages {
        assert_within_limits(m);
    }
    for m in &messages[1..] {
        assert!(m["thread_ts"].is_string(), "{m}");
    }
    // Every change is in the thread, in full: each block's end is there.
    let thread: String = messages[1..].iter().map(|m| m.to_string()).collect();
    for i in 1..=60 {
        assert!(
            thread.contains(&format!("Section {i}. ")),
            "change {i} missing"
        );
    }
    assert_eq!(thread.matches("~thirty~ *ninety*").count(), 60);

    let short = bot_preview(&changed_report(), &ctx());
    assert_eq!(short.len(), 2, "a short diff fits one thread reply");
    snapshot_settings().bind(|| insta::assert_json_snapshot!("bot_changed", short));
}

#[test]
fn page_text_cannot_ping_link_or_format() {
    let r = hostile_report();
    let payload = webhook_preview(&r, &ctx());
    assert_within_limits(&payload);
    let text = serde_json::to_string(&payload).unwrap();
    for forbidden in [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U0123ABC>",
        "<https://evil.example|",
        "<https://evil.example/phish|",
        "*now*",
        "_please_",
        "~really~",
        "`code`",
        "@channel",
    ] {
        assert!(!text.contains(forbidden), "{forbidden} got through: {text}");
    }
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    // Every mrkdwn text is verbatim: Slack turns nothing in it into a link or mention by itself.
    for b in payload["blocks"].as_array().unwrap() {
        if b["type"] == "section" {
            assert_eq!(b["text"]["verbatim"], true, "{b}");
        }
    }
    snapshot_settings().bind(|| insta::assert_json_snapshot!("hostile_page", payload));
}

#[test]
fn bot_token_without_channel_is_a_clear_error() {
    let vars = |k: &str| (k == "SLACK_BOT_TOKEN").then(|| SLACK_BOT_TOKEN.to_string());
    let err = Notifier::from_vars(vars, &[], Duration::from_secs(30)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("SLACK_CHANNEL"), "{msg}");
    assert!(!msg.contains("SECRET"), "{msg}");
}

#[test]
fn empty_settings_mean_stdout() {
    let vars = |k: &str| k.starts_with("SLACK_").then(String::new);
    assert!(!Notifier::from_vars(vars, &[], Duration::from_secs(30))
        .unwrap()
        .is_remote());
}

// --- delivery, through the library ------------------------------------------------------------

async fn deliver_to(server: &MockServer, report: &TargetReport) -> Result<(), NotifyError> {
    let url = format!("{}{SLACK_WEBHOOK_PATH}", server.uri());
    let n = SlackNotifier::webhook(&url).unwrap();
    n.deliver(report, &ctx(), None).await.map_err(|u| u.error)
}

#[tokio::test]
async fn refused_message_is_not_retried_and_names_slack_error() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_error(410, "channel_is_archived"))
        .expect(1)
        .mount(&slack)
        .await;
    let err = deliver_to(&slack, &changed_report()).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, NotifyError::Rejected { .. }), "{msg}");
    assert!(msg.contains("channel_is_archived"), "{msg}");
    assert!(!msg.contains("SECRETxyz"), "{msg}");
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_given_up() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_error(503, "service_unavailable"))
        .expect(4)
        .mount(&slack)
        .await;
    // Short waits: how long they are is the retry policy's (its tests run in paused time);
    // here, that the notifier waits between its tries at all.
    let url = format!("{}{SLACK_WEBHOOK_PATH}", slack.uri());
    let n = SlackNotifier::webhook(&url)
        .unwrap()
        .with_pacing(Duration::from_millis(10), Duration::from_millis(40));
    let started = Instant::now();
    let err = n
        .deliver(&changed_report(), &ctx(), None)
        .await
        .unwrap_err()
        .error;
    assert!(matches!(err, NotifyError::Unreachable { .. }), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(40 + 80 + 160),
        "no backoff between the tries"
    );
    assert!(!err.to_string().contains("SECRETxyz"), "{err}");
}

/// The address of a port on 127.0.0.1 that nothing listens on (bound, then let go).
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn unreachable_slack_fails_without_showing_the_url() {
    let n = SlackNotifier::webhook(&format!("{}{SLACK_WEBHOOK_PATH}", closed_port())).unwrap();
    let err = n
        .deliver(&changed_report(), &ctx(), None)
        .await
        .unwrap_err()
        .error;
    let msg = err.to_string();
    assert!(matches!(err, NotifyError::Unreachable { .. }), "{msg}");
    assert!(
        !msg.contains("SECRETxyz") && !msg.contains("/services/"),
        "{msg}"
    );
}

// --- end to end, through the binary ---------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_to_slack_says_which_variable_to_check() {
    let pages = MockServer::start().await;
    let w = watched_and_edited(&pages).await;
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("{}{SLACK_WEBHOOK_PATH}", closed_port()),
    )
    .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("help: check the URL in SLACK_WEBHOOK_URL"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("SECRETxyz") && !out.stderr.contains("SECRETxyz"));
}

const PAGE: &str = "/privacy-policy";

/// A working folder watching the GitBook page (no link checks), with its baseline stored by a
/// run without Slack, and the page then edited.
async fn watched_and_edited(pages: &MockServer) -> Workdir {
    serve(pages, PAGE, fixture("gitbook/base.html")).await;
    let w = Workdir::new(&target(
        "crossengage-privacy",
        &format!("{}{PAGE}", pages.uri()),
        "select = [\"[data-content-ref-root]\", \"main\"]",
    ));
    let first = w.run(&["check"]).await;
    assert_eq!(first.code, 0, "{first:?}");
    reserve(pages, PAGE, fixture("gitbook/edit-word.html")).await;
    w
}

fn with_webhook(w: &Workdir, slack: &MockServer) -> assert_cmd::Command {
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("{}{SLACK_WEBHOOK_PATH}", slack.uri()),
    );
    cmd
}

#[tokio::test]
async fn slack_down_keeps_the_snapshot_and_the_next_run_delivers() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = watched_and_edited(&pages).await;
    let before = w.snapshot_files();

    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_error(500, "rollup_error"))
        .expect(4)
        .mount(&slack)
        .await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    let failed = run(cmd).await;
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_eq!(
        w.snapshot_files(),
        before,
        "an undelivered alert must not advance the snapshot"
    );
    assert!(
        failed.stdout.contains("not delivered") || failed.stderr.contains("not delivered"),
        "{failed:?}"
    );
    // Slack answered, with errors: it was reached, it did not take the message.
    assert!(
        failed
            .stdout
            .contains("Slack did not take the message: it answered HTTP 500"),
        "{}",
        failed.stdout
    );
    slack.verify().await;

    slack.reset().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .expect(1)
        .mount(&slack)
        .await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    let delivered = run(cmd).await;
    assert_eq!(delivered.code, 0, "{delivered:?}");
    assert!(w
        .snapshot("crossengage-privacy.md")
        .contains("phone number"));
    let bodies = slack_bodies(&slack, SLACK_WEBHOOK_PATH).await;
    let posted = bodies[0].to_string();
    assert!(posted.contains("phone number*"), "{posted}");
    assert!(posted.contains(": changed"), "{posted}");
}

#[tokio::test]
async fn rate_limited_message_is_delivered_after_retry_after() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = watched_and_edited(&pages).await;

    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_error(429, "rate_limited").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .expect(1)
        .mount(&slack)
        .await;
    let started = Instant::now();
    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let requests = slack.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After not honoured"
    );
    assert!(w
        .snapshot("crossengage-privacy.md")
        .contains("phone number"));
}

#[tokio::test]
async fn secrets_never_show_even_when_slack_fails() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = watched_and_edited(&pages).await;
    Mock::given(method("POST"))
        .respond_with(slack_error(404, "no_service"))
        .mount(&slack)
        .await;

    // A refused webhook, with every log line on.
    let mut cmd = with_webhook(&w, &slack);
    cmd.env("RUST_LOG", "trace")
        .args(["check", "--format", "json"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("no_service"),
        "the reason is reported: {out:?}"
    );
    for secret in ["SECRETxyz", "T000/B000"] {
        assert!(!out.stdout.contains(secret), "stdout shows {secret}");
        assert!(!out.stderr.contains(secret), "stderr shows {secret}");
    }

    // Slack unreachable: a connection error names no URL either.
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("{}{SLACK_WEBHOOK_PATH}", closed_port()),
    )
    .env("RUST_LOG", "debug")
    .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 1, "{out:?}");
    for secret in ["SECRETxyz", "T000/B000"] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{out:?}"
        );
    }

    // A bot token that Slack refuses.
    slack.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"ok": false, "error": "invalid_auth"})),
        )
        .mount(&slack)
        .await;
    let mut cmd = w.cmd();
    cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
        .env("SLACK_CHANNEL", "C0TEST")
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .env("RUST_LOG", "trace")
        .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("invalid_auth"), "{out:?}");
    assert!(
        !out.stdout.contains("SECRETtoken") && !out.stderr.contains("SECRETtoken"),
        "{out:?}"
    );
}

#[tokio::test]
async fn dry_run_prints_the_payload_and_posts_nothing() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = watched_and_edited(&pages).await;
    let before = w.snapshot_files();
    Mock::given(method("POST"))
        .respond_with(slack_ok())
        .expect(0)
        .mount(&slack)
        .await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.args(["check", "--dry-run"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    // One JSON object a line: the target, where it would go, and the exact bodies.
    let line: Value = serde_json::from_str(out.stdout.trim_end()).expect("one JSON line");
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert_eq!(line["target"], "crossengage-privacy", "{line}");
    assert_eq!(
        line["destination"], "incoming webhook (SLACK_WEBHOOK_URL)",
        "{line}"
    );
    let payload = &line["messages"][0];
    assert!(payload["blocks"].is_array(), "{payload}");
    assert!(out.stderr.contains("dry run"), "{}", out.stderr);
    assert!(out.stdout.contains("phone number*"), "{}", out.stdout);
    assert!(!out.stdout.contains("SECRETxyz"));
    assert_eq!(w.snapshot_files(), before);
    slack.verify().await;
}

#[tokio::test]
async fn bot_token_posts_a_summary_and_the_diff_in_its_thread() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = watched_and_edited(&pages).await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(header(
            "authorization",
            format!("Bearer {SLACK_BOT_TOKEN}").as_str(),
        ))
        .respond_with(slack_posted("1764441120.000100"))
        .expect(2)
        .mount(&slack)
        .await;
    let mut cmd = w.cmd();
    cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
        .env("SLACK_CHANNEL", "C0TEST")
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let bodies = slack_bodies(&slack, "/api/chat.postMessage").await;
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert_eq!(bodies[0]["channel"], "C0TEST");
    assert!(bodies[0].get("thread_ts").is_none(), "{}", bodies[0]);
    assert!(bodies[0]
        .to_string()
        .to_lowercase()
        .contains("full diff in the thread"));
    assert_eq!(bodies[1]["thread_ts"], "1764441120.000100");
    assert!(
        bodies[1].to_string().contains("phone number*"),
        "{}",
        bodies[1]
    );
    assert!(w
        .snapshot("crossengage-privacy.md")
        .contains("phone number"));
}

// --- per-target routing ---------------------------------------------------------------------

/// Two targets, `legal` and `eng`, each with a first page; `legal_extra` is its routing line.
async fn two_routed(pages: &MockServer, legal_extra: &str) -> Workdir {
    serve(pages, "/legal", fixture("gitbook/base.html")).await;
    serve(pages, "/eng", fixture("vendor/appcues.html")).await;
    Workdir::new(&format!(
        "{}{}",
        target("legal", &format!("{}/legal", pages.uri()), legal_extra),
        target("eng", &format!("{}/eng", pages.uri()), "")
    ))
}

#[tokio::test]
async fn a_target_with_its_own_webhook_posts_there_and_the_rest_to_the_default() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = two_routed(&pages, "slack_webhook_env = \"LEGAL_SLACK_WEBHOOK_URL\"").await;
    const LEGAL_PATH: &str = "/services/T000/B111/LEGALsecret";
    for p in [SLACK_WEBHOOK_PATH, LEGAL_PATH] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(slack_ok())
            .mount(&slack)
            .await;
    }
    let mut cmd = with_webhook(&w, &slack);
    cmd.env(
        "LEGAL_SLACK_WEBHOOK_URL",
        format!("{}{LEGAL_PATH}", slack.uri()),
    )
    .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let legal = slack_bodies(&slack, LEGAL_PATH).await;
    let default = slack_bodies(&slack, SLACK_WEBHOOK_PATH).await;
    assert_eq!(
        (legal.len(), default.len()),
        (1, 1),
        "{legal:?} {default:?}"
    );
    assert!(
        legal[0].to_string().contains("legal policy"),
        "{}",
        legal[0]
    );
    assert!(
        default[0].to_string().contains("eng policy"),
        "{}",
        default[0]
    );
    assert!(!out.stdout.contains("LEGALsecret") && !out.stderr.contains("LEGALsecret"));
}

#[tokio::test]
async fn a_target_whose_webhook_variable_is_unset_keeps_its_alert_for_the_next_run() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = two_routed(&pages, "slack_webhook_env = \"LEGAL_SLACK_WEBHOOK_URL\"").await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.env_remove("LEGAL_SLACK_WEBHOOK_URL").arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 1, "an alert that could not go out: {out:?}");
    assert!(
        out.stdout.contains("LEGAL_SLACK_WEBHOOK_URL"),
        "{}",
        out.stdout
    );
    assert!(
        !w.snapshots().join("legal.md").exists(),
        "not stored undelivered"
    );
    assert!(w.snapshots().join("eng.md").exists());
}

#[tokio::test]
async fn a_target_with_its_own_channel_posts_there_with_the_bot_token() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = two_routed(&pages, "slack_channel = \"#legal\"").await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(slack_posted("1764441120.000100"))
        .mount(&slack)
        .await;
    let mut cmd = w.cmd();
    cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
        .env("SLACK_CHANNEL", "C0ENG")
        .env("SLACK_API_URL", format!("{}/api", slack.uri()))
        .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let bodies = slack_bodies(&slack, "/api/chat.postMessage").await;
    let to = |channel: &str| {
        bodies
            .iter()
            .filter(|b| b["channel"] == channel)
            .map(|b| b.to_string())
            .collect::<String>()
    };
    assert!(to("#legal").contains("legal policy"), "{bodies:?}");
    assert!(to("C0ENG").contains("eng policy"), "{bodies:?}");
    assert!(!to("C0ENG").contains("legal policy"), "{bodies:?}");
}

#[tokio::test]
async fn a_channel_route_without_a_bot_token_is_a_settings_error() {
    let pages = MockServer::start().await;
    let slack = MockServer::start().await;
    let w = two_routed(&pages, "slack_channel = \"#legal\"").await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("slack_channel") && out.stderr.contains("SLACK_BOT_TOKEN"),
        "{}",
        out.stderr
    );
    assert!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.is_empty());
}

/// A policy page with a heading, a paragraph and a list, padded to a policy's length.
fn structured_page(heading: &str, items: &[&str], tail: &str) -> String {
    let items: String = items.iter().map(|i| format!("<li>{i}</li>")).collect();
    format!(
        "<html><body><main><h1>Privacy policy</h1>{heading}<p>{}</p><ul>{items}</ul>{tail}</main></body></html>",
        "We process personal data only as this policy describes, and only for as long as we need it. ".repeat(8)
    )
}

#[tokio::test]
async fn slack_shows_headings_and_list_items_as_it_renders_them_and_dry_run_says_where_each_goes() {
    let pages = MockServer::start().await;
    let before = structured_page(
        "<h3>Use of Information</h3>",
        &["Performance of contract", "Consent"],
        "",
    );
    let after = structured_page(
        "<h2>Use of Information</h2>",
        &[
            "Performance of a contract",
            "Consent",
            "Legitimate interest",
        ],
        "<h3>New processor 1</h3>",
    );
    serve(&pages, "/a", before.clone()).await;
    serve(&pages, "/b", before).await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("policy-a", &format!("{}/a", pages.uri()), ""),
        target("policy-b", &format!("{}/b", pages.uri()), "")
    ));
    assert_eq!(w.run(&["accept"]).await.code, 0);
    pages.reset().await;
    serve(&pages, "/a", after.clone()).await;
    serve(&pages, "/b", after).await;

    let slack = MockServer::start().await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.args(["check", "--dry-run"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    let targets: Vec<&str> = lines
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["policy-a", "policy-b"], "{}", out.stdout);
    assert!(lines
        .iter()
        .all(|l| l["destination"] == "incoming webhook (SLACK_WEBHOOK_URL)"));

    let sections: Vec<String> = lines[0]["messages"][0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "section")
        .map(|b| b["text"]["text"].as_str().unwrap().to_string())
        .collect();
    let all = sections.join("\n");
    assert!(
        !all.contains('#'),
        "Markdown heading markers reach Slack:\n{all}"
    );
    assert!(
        !all.contains("- "),
        "Markdown list markers reach Slack:\n{all}"
    );
    for shown in [
        "✏️ Use of Information _is now a level-2 heading (was level 3)_",
        "✏️ • Performance of *a* contract",
        "➕ • *Legitimate interest*",
        "➕ *New processor 1*",
    ] {
        assert!(
            sections.iter().any(|s| s == shown),
            "no `{shown}` in:\n{all}"
        );
    }
    assert!(slack
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}
