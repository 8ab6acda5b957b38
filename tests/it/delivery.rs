//! Delivery as a user meets it: a report on stdout that cannot be written is no delivery, a
//! webhook's 2xx is one, a bot message Slack asks to wait for is posted once after the wait, a
//! bot message whose answer echoes a long alert is posted once, a Slack that answers late is not
//! asked twice, a routed webhook that is not a URL fails only its own targets, messages to
//! several routes keep Slack's pace, a malformed `SLACK_API_URL` is named and not shown, and no
//! log level prints a secret.

use std::process::{Command, Stdio};
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    reserve, run, serve, slack_bodies, slack_ok, slack_posted, target, Workdir, SLACK_BOT_TOKEN,
    SLACK_WEBHOOK_PATH,
};

const PAGE: &str = "/privacy";

/// A policy page whose paragraph says `word`.
fn page(word: &str) -> String {
    format!(
        "<html><body><main><h1>Privacy policy</h1>\
         <p>We collect your {word} to provide the service, and we keep it only as long as the contract with you runs.</p>\
         <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>\
         </main></body></html>"
    )
}

/// `cmd` run in `w` as [`Workdir::here`] sets it up, its stderr kept for the test.
fn in_workdir(cmd: Command, w: &Workdir) -> Command {
    let mut cmd = w.here(cmd);
    cmd.stderr(Stdio::piped());
    cmd
}

/// The binary run in `w`, its stderr kept; its stdout is the test's to pick.
fn std_cmd(w: &Workdir) -> Command {
    in_workdir(Command::new(crate::common::bin()), w)
}

/// Runs `cmd` off the async threads: its exit code and stderr.
async fn status(mut cmd: Command) -> (i32, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run policy-watch"))
        .await
        .expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_report_that_cannot_be_written_to_stdout_is_not_delivered() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail address")).await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline");
    let stored = w.snapshot("acme.md");
    reserve(&server, PAGE, page("postal address")).await;

    // A reader that went away before anything was written (`check | head` gone early).
    let mut gone = std_cmd(&w);
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    gone.arg("check").stdout(writer);
    // Stdout closed from the start (`check >&-`).
    let mut closed = in_workdir(Command::new("sh"), &w);
    closed
        .args(["-c", "exec \"$0\" check >&-"])
        .arg(crate::common::bin());
    // A full disk behind a redirect.
    let mut full = std_cmd(&w);
    full.arg("check").stdout(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    );

    for (how, cmd) in [
        ("closed pipe", gone),
        ("closed stdout", closed),
        ("full disk", full),
    ] {
        let (code, stderr) = status(cmd).await;
        assert_eq!(code, 1, "{how}: not delivered is exit 1: {stderr}");
        assert!(
            stderr.contains("acme: the alert was not delivered: stdout cannot be written"),
            "{how}: said on stderr: {stderr}"
        );
        assert_eq!(
            w.snapshot("acme.md"),
            stored,
            "{how}: the target is not advanced"
        );
    }

    // The next run that can write shows the change, and only then stores it.
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("postal"), "{}", run.stdout);
    assert!(w.snapshot("acme.md").contains("postal address"));
    assert_eq!(w.run(&["check"]).await.code, 0);
}

// --- Slack ------------------------------------------------------------------------------

/// The binary in `w` with `SLACK_WEBHOOK_URL` pointing at `slack`.
fn with_webhook(w: &Workdir, slack: &MockServer) -> assert_cmd::Command {
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("{}{SLACK_WEBHOOK_PATH}", slack.uri()),
    );
    cmd
}

/// `check` in `w` with a bot token, posting to channel C0TEST of the Web API at `api`.
fn bot_check(w: &Workdir, api: &str) -> assert_cmd::Command {
    let mut cmd = w.cmd();
    cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
        .env("SLACK_CHANNEL", "C0TEST")
        .env("SLACK_API_URL", api)
        .arg("check");
    cmd
}

#[tokio::test]
async fn a_webhook_that_answers_2xx_has_taken_the_message_whatever_its_body() {
    let pages = MockServer::start().await;
    serve(&pages, PAGE, page("e-mail address")).await;
    let slack = MockServer::start().await;
    let answers = [
        (
            "200, bare ok, no Content-Type",
            ResponseTemplate::new(200).set_body_bytes("ok"),
        ),
        ("201, empty", ResponseTemplate::new(201)),
        (
            "202, JSON that reads like an error",
            ResponseTemplate::new(202)
                .set_body_json(serde_json::json!({"ok": false, "error": "invalid_payload"})),
        ),
        ("204", ResponseTemplate::new(204)),
        (
            "200, HTML",
            ResponseTemplate::new(200).set_body_raw("<html>thanks</html>", "text/html"),
        ),
    ];
    for (how, answer) in answers {
        slack.reset().await;
        Mock::given(method("POST"))
            .and(path(SLACK_WEBHOOK_PATH))
            .respond_with(answer)
            .mount(&slack)
            .await;
        let w = Workdir::new(&target("acme", &format!("{}{PAGE}", pages.uri()), ""));
        let mut cmd = with_webhook(&w, &slack);
        cmd.arg("check");
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{how}: delivered: {out:?}");
        assert!(w.snapshots().join("acme.md").is_file(), "{how}: stored");
        // Nothing is sent again.
        let mut again = with_webhook(&w, &slack);
        again.arg("check");
        assert_eq!(run(again).await.code, 0, "{how}");
        assert_eq!(
            slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(),
            1,
            "{how}: posted once"
        );
    }
}

#[tokio::test]
async fn a_bot_message_slack_asks_to_wait_for_or_fails_for_a_moment_is_posted_once_after_it() {
    let pages = MockServer::start().await;
    serve(&pages, PAGE, page("e-mail address")).await;
    let slack = MockServer::start().await;
    // First a 429 with Retry-After, then Slack's own "ratelimited", then a 503: each is
    // tried again, and the fourth try is taken.
    let answers = [
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"ok": false, "error": "ratelimited"})),
        ResponseTemplate::new(503).set_body_string("upstream connect error"),
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/api/chat.postMessage"))
            .respond_with(answer)
            .up_to_n_times(1)
            .with_priority(i as u8 + 1)
            .mount(&slack)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(slack_posted("1764441120.000100"))
        .with_priority(10)
        .mount(&slack)
        .await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", pages.uri()), ""));
    let out = run(bot_check(&w, &format!("{}/api", slack.uri()))).await;
    assert_eq!(out.code, 0, "delivered after the retries: {out:?}");
    assert!(w.snapshots().join("acme.md").is_file(), "stored");
    let bodies = slack_bodies(&slack, "/api/chat.postMessage").await;
    assert_eq!(
        bodies.len(),
        4,
        "three refused tries and the one taken: {bodies:?}"
    );
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "the same message each time"
    );
    assert_eq!(bodies[0]["channel"], "C0TEST");
    assert_eq!(bodies[0]["unfurl_links"], false);
    // Nothing is sent again by the next run.
    let again = bot_check(&w, &format!("{}/api", slack.uri()));
    assert_eq!(run(again).await.code, 0);
    assert_eq!(slack_bodies(&slack, "/api/chat.postMessage").await.len(), 4);
}

#[tokio::test]
async fn a_bot_message_whose_answer_echoes_a_long_message_is_delivered_once() {
    let pages = MockServer::start().await;
    serve(&pages, PAGE, page("e-mail address")).await;
    let slack = MockServer::start().await;
    // Slack's answer to chat.postMessage echoes the message, blocks and all: a long alert's
    // answer is hundreds of KB.
    let blocks: Vec<serde_json::Value> = (0..50)
        .map(|i| serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{i} {}", "\u{e9}\"<>".repeat(700))}}))
        .collect();
    let answer = serde_json::json!({
        "ok": true,
        "channel": "C0TEST",
        "ts": "1764441120.000100",
        "message": { "ts": "1764441120.000100", "type": "message", "text": "", "blocks": blocks }
    });
    assert!(answer.to_string().len() > 200_000);
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&slack)
        .await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", pages.uri()), ""));
    for _ in 0..2 {
        let out = run(bot_check(&w, &format!("{}/api", slack.uri()))).await;
        assert_eq!(out.code, 0, "delivered: {out:?}");
    }
    assert_eq!(
        slack_bodies(&slack, "/api/chat.postMessage").await.len(),
        1,
        "posted once, not again by the next run"
    );
}

#[tokio::test]
async fn a_slack_that_answers_late_is_not_asked_again_in_that_run() {
    let pages = MockServer::start().await;
    serve(&pages, "/a", page("e-mail address")).await;
    serve(&pages, "/b", page("postal address")).await;
    let slack = MockServer::start().await;
    // Slack takes each message, but answers after the client's timeout.
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok().set_delay(Duration::from_secs(3)))
        .mount(&slack)
        .await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("a", &format!("{}/a", pages.uri()), ""),
        target("b", &format!("{}/b", pages.uri()), "")
    ));
    let config = std::fs::read_to_string(w.config())
        .unwrap()
        .replace("timeout_secs = 5", "timeout_secs = 1");
    std::fs::write(w.config(), config).unwrap();

    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    let late = run(cmd).await;
    assert_eq!(late.code, 1, "not known to be delivered: {late:?}");
    assert!(
        late.stdout.contains("no answer within 1 s")
            && late.stdout.contains("not sent again in this run"),
        "{}",
        late.stdout
    );
    // One request in all: the late one is not repeated, and the other target waits.
    assert_eq!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(), 1);
    assert!(!w.snapshots().join("a.md").exists() && !w.snapshots().join("b.md").exists());

    // Slack answers in time again: both go out, the late one a second time (the repeat the
    // README names), and then nothing more.
    slack.reset().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;
    let mut cmd = with_webhook(&w, &slack);
    cmd.arg("check");
    assert_eq!(run(cmd).await.code, 0);
    assert_eq!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(), 2);
}

#[tokio::test]
async fn a_routed_webhook_variable_that_is_not_a_url_fails_only_its_targets() {
    let pages = MockServer::start().await;
    serve(&pages, "/legal", page("e-mail address")).await;
    serve(&pages, "/eng", page("postal address")).await;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;
    let w = Workdir::new(&format!(
        "{}{}",
        target(
            "legal",
            &format!("{}/legal", pages.uri()),
            "slack_webhook_env = \"LEGAL_HOOK\""
        ),
        target("eng", &format!("{}/eng", pages.uri()), "")
    ));
    let mut cmd = with_webhook(&w, &slack);
    cmd.env("LEGAL_HOOK", "hooks.slack.com/services/oops-SECRETpart")
        .arg("check");
    let out = run(cmd).await;
    assert_eq!(
        out.code, 1,
        "that route's targets fail, not the run: {out:?}"
    );
    assert!(
        out.stdout.contains("LEGAL_HOOK is not an http(s) URL"),
        "names the variable: {}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("SLACK_WEBHOOK_URL is not"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("SECRETpart") && !out.stderr.contains("SECRETpart"));
    assert!(
        !w.snapshots().join("legal.md").exists(),
        "kept for the next run"
    );
    assert!(
        w.snapshots().join("eng.md").exists(),
        "the other route delivered"
    );
    assert_eq!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(), 1);
}

/// Records when each request came.
struct Clocked(std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>);

impl wiremock::Respond for Clocked {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        self.0.lock().unwrap().push(std::time::Instant::now());
        slack_ok()
    }
}

#[tokio::test]
async fn messages_to_different_slack_routes_are_paced_together() {
    // Slack asks for about one message a second: three targets, each routed to its own
    // webhook, must not post in a burst because each route is a destination of its own.
    let pages = MockServer::start().await;
    let mut config = String::new();
    for id in ["a", "b", "c"] {
        serve(&pages, &format!("/{id}"), page(id)).await;
        config += &target(
            id,
            &format!("{}/{id}", pages.uri()),
            &format!("slack_webhook_env = \"HOOK_{}\"", id.to_uppercase()),
        );
    }
    let slack = MockServer::start().await;
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .respond_with(Clocked(arrivals.clone()))
        .mount(&slack)
        .await;
    let w = Workdir::new(&config);
    let mut cmd = with_webhook(&w, &slack);
    for id in ["A", "B", "C"] {
        cmd.env(format!("HOOK_{id}"), format!("{}/hook/{id}", slack.uri()));
    }
    cmd.arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let mut paths: Vec<String> = slack
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/hook/A", "/hook/B", "/hook/C"],
        "one message per route"
    );
    let at = arrivals.lock().unwrap().clone();
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(900),
            "two messages {} ms apart",
            gap.as_millis()
        );
    }
}

#[tokio::test]
async fn a_malformed_slack_api_url_is_named_not_shown() {
    let pages = MockServer::start().await;
    serve(&pages, PAGE, page("e-mail address")).await;
    let w = Workdir::new(&target("legal", &format!("{}{PAGE}", pages.uri()), ""));
    // Someone pasted a token where the API's address goes.
    let mut cmd = w.cmd();
    cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
        .env("SLACK_CHANNEL", "C0TEST")
        .env("SLACK_API_URL", "xoxp-111-SECRETapi")
        .env("RUST_LOG", "trace")
        .arg("check");
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "bad settings: {out:?}");
    assert!(
        out.stderr.contains("SLACK_API_URL is not an http(s) URL"),
        "names the variable: {}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("SECRETapi") && !out.stderr.contains("SECRETapi"),
        "{out:?}"
    );
    assert!(!w.snapshots().join("legal.md").exists(), "nothing stored");
}

#[tokio::test]
async fn no_log_level_prints_a_secret() {
    let pages = MockServer::start().await;
    serve(&pages, "/legal", page("e-mail address")).await;
    serve(&pages, "/eng", page("postal address")).await;
    let slack = MockServer::start().await;
    const LEGAL_PATH: &str = "/services/T000/B111/LEGALsecret";
    for p in [SLACK_WEBHOOK_PATH, LEGAL_PATH] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(slack_ok())
            .mount(&slack)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(slack_posted("1764441120.000100"))
        .mount(&slack)
        .await;
    // `http://user:password@127.0.0.1:port/…`: a password in the URL, as some proxies want.
    let with_password = |p: &str| slack.uri().replace("://", "://hook:PWsecret99@") + p;
    let secrets = ["SECRETxyz", "LEGALsecret", "PWsecret99", "SECRETtoken"];
    for level in [
        "trace",
        "debug",
        "info,hyper=trace,hyper_util=trace,reqwest=trace",
    ] {
        let w = Workdir::new(&format!(
            "{}{}",
            target(
                "legal",
                &format!("{}/legal", pages.uri()),
                "slack_webhook_env = \"LEGAL_HOOK\""
            ),
            target("eng", &format!("{}/eng", pages.uri()), "")
        ));
        let mut cmd = w.cmd();
        cmd.env("SLACK_WEBHOOK_URL", with_password(SLACK_WEBHOOK_PATH))
            .env("LEGAL_HOOK", with_password(LEGAL_PATH))
            .env("RUST_LOG", level)
            .arg("check");
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{level}: {out:?}");
        assert!(!out.stderr.is_empty(), "{level}: logs were written");
        for s in secrets {
            assert!(
                !out.stderr.contains(s),
                "{level}: stderr shows {s}:\n{}",
                out.stderr
            );
            assert!(!out.stdout.contains(s), "{level}: stdout shows {s}");
        }

        // A bot token, with a password in the API's URL.
        let w = Workdir::new(&target("eng", &format!("{}/eng", pages.uri()), ""));
        let mut cmd = w.cmd();
        cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
            .env("SLACK_CHANNEL", "C0TEST")
            .env("SLACK_API_URL", with_password("/api"))
            .env("RUST_LOG", level)
            .arg("check");
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{level}: {out:?}");
        for s in secrets {
            assert!(
                !out.stderr.contains(s),
                "{level}: stderr shows {s}:\n{}",
                out.stderr
            );
        }
    }
    assert_eq!(slack_bodies(&slack, LEGAL_PATH).await.len(), 3);
}
