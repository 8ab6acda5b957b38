//! A run as a sequence of per-target transactions, tried as an adversary would: odd server
//! answers, a second run on the same folder, a folder that cannot be written, hand-edited or
//! linked snapshot files, an outage, a Slack that fails half-way, pages that alternate.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{
    fixture, html, reserve, serve, slack_bodies, slack_posted, target, Workdir, SLACK_BOT_TOKEN,
};

const PAGE: &str = "/privacy";

/// A policy page whose paragraph says `word`, with `extra` blocks after it.
fn page(word: &str, extra: &str) -> String {
    format!(
        "<html><body><main><h1>Privacy policy</h1>\
         <p>We collect your {word} to provide the service, and we keep it only as long as the contract with you runs.</p>\
         <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>\
         {extra}</main></body></html>"
    )
}

/// Three targets a, b, c on `server`, each at its own path.
fn three(server: &MockServer) -> Workdir {
    let t = |id: &str| target(id, &format!("{}/{id}", server.uri()), "");
    Workdir::new(&format!("{}{}{}", t("a"), t("b"), t("c")))
}

#[tokio::test]
async fn a_304_to_a_first_request_fails_that_target_alone() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail", "")).await;
    Mock::given(method("GET"))
        .and(path("/b"))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    serve(&server, "/c", page("name", "")).await;
    let w = three(&server);
    let run = w.run(&["check"]).await;
    assert_eq!(
        run.code, 1,
        "a failed target exits 1, never panics: {run:?}"
    );
    assert!(run.stdout.contains("304 Not Modified"), "{}", run.stdout);
    assert_eq!(
        run.stdout.matches("— now watching").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(w.snapshots().join("a.md").is_file() && w.snapshots().join("c.md").is_file());
    assert!(!w.snapshots().join("b.md").exists());
}

#[tokio::test]
async fn a_second_run_on_the_same_folder_is_refused_naming_the_first() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(html(page("e-mail", "")).set_delay(std::time::Duration::from_secs(3)))
        .mount(&server)
        .await;
    let w = Workdir::new(&target("slow", &format!("{}{PAGE}", server.uri()), ""));
    let mut first = w.process();
    first
        .args(["check"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().expect("first run");
    // Wait until the first run holds the lock (it says so in `running`).
    let holder = w.snapshots().join(".policy-watch/running");
    for _ in 0..100 {
        if std::fs::read_to_string(&holder).is_ok_and(|s| !s.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = w.run(&["check"]).await;
    assert_eq!(second.code, 2, "{second:?}");
    assert!(
        second.stderr.contains("another policy-watch run")
            && second.stderr.contains(&first.id().to_string()),
        "the refusal names the running one: {}",
        second.stderr
    );
    let accept = w.run(&["accept"]).await;
    assert_eq!(accept.code, 2, "accept is refused too: {accept:?}");
    let status = tokio::task::spawn_blocking(move || first.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // Once the first is done, the folder is free again.
    assert_eq!(w.run(&["check"]).await.code, 0);
}

#[tokio::test]
async fn a_folder_that_cannot_be_written_stops_the_run_before_any_alert() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail", "")).await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    std::fs::create_dir_all(w.snapshots()).unwrap();
    // A file where the store's own folder must go: no write can succeed, even as root.
    std::fs::write(w.snapshots().join(".policy-watch"), "in the way").unwrap();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot be written"), "{}", run.stderr);
    assert!(
        !run.stdout.contains("now watching"),
        "nothing is announced that cannot be stored: {}",
        run.stdout
    );
}

#[tokio::test]
async fn a_store_failure_after_delivery_stops_further_alerts_but_prints_every_report() {
    let server = MockServer::start().await;
    for p in ["/a", "/b", "/c"] {
        serve(&server, p, page("e-mail", "")).await;
    }
    let w = three(&server);
    std::fs::create_dir_all(w.snapshots().join("b.html")).unwrap();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    // a is delivered and stored; b is delivered, then its store fails.
    assert!(w.snapshots().join("a.json").is_file());
    assert!(!w.snapshots().join("b.json").exists());
    assert!(run.stderr.contains("could not store"), "{}", run.stderr);
    // c is still reported, but marked as not sent and not stored.
    let c = run.stdout.split("c policy").nth(1).expect("c reported");
    assert!(c.contains("not sent"), "{}", run.stdout);
    assert!(!w.snapshots().join("c.json").exists());
    let leftovers: Vec<_> = walk(&w.snapshots())
        .into_iter()
        .filter(|p| p.ends_with(".tmp") && !p.contains("/.policy-watch/"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "only the store's ignored folder holds temporaries: {leftovers:?}"
    );
    // The next run cannot finish b's commit either: it says so and alerts nothing.
    let again = w.run(&["check"]).await;
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("cannot be written"),
        "{}",
        again.stderr
    );
    assert!(!again.stdout.contains("now watching"), "{}", again.stdout);
}

#[tokio::test]
async fn a_hand_edited_snapshot_is_reported_as_damaged_and_left_alone() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail", "")).await;
    serve(&server, "/b", page("e-mail", "")).await;
    serve(&server, "/c", page("e-mail", "")).await;
    let w = three(&server);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let edited = w.snapshot("a.md").replace("e-mail", "postal address");
    std::fs::write(w.snapshots().join("a.md"), &edited).unwrap();
    reserve(&server, "/a", page("phone number", "")).await;
    serve(&server, "/b", page("e-mail", "")).await;
    serve(&server, "/c", page("name", "")).await;

    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let a = run.stdout.split("b policy").next().unwrap();
    assert!(
        a.contains("snapshot damaged") && a.contains("a.md"),
        "{}",
        run.stdout
    );
    assert!(
        !a.contains("postal address"),
        "a damaged file is not diffed: {a}"
    );
    assert_eq!(
        w.snapshot("a.md"),
        edited,
        "a damaged snapshot is not overwritten"
    );
    assert!(
        run.stdout.contains("{+name+}"),
        "the others go on: {}",
        run.stdout
    );

    // accept stores the page as it is now, which repairs the snapshot.
    assert_eq!(w.run(&["accept", "a"]).await.code, 0);
    assert!(w.snapshot("a.md").contains("phone number"));
    assert_eq!(w.run(&["diff", "a"]).await.code, 0);
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_snapshot_never_brings_another_file_into_the_report() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail", "")).await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0);
    let secret = w.path().join("secret.txt");
    std::fs::write(&secret, "root:x:0:0:SECRET-LINE\n").unwrap();
    std::fs::remove_file(w.snapshots().join("a.md")).unwrap();
    std::os::unix::fs::symlink(&secret, w.snapshots().join("a.md")).unwrap();
    for args in [&["check"][..], &["diff"][..]] {
        let run = w.run(args).await;
        assert!(run.code != 0, "{run:?}");
        assert!(run.stdout.contains("not a plain file"), "{}", run.stdout);
        assert!(!run.stdout.contains("SECRET-LINE"), "{}", run.stdout);
    }
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "root:x:0:0:SECRET-LINE\n"
    );
}

#[tokio::test]
async fn huge_concurrency_settings_are_config_errors_not_panics() {
    for (section, key, value) in [
        ("http", "max_concurrency", "4611686018427387904"),
        ("http", "per_host", "4611686018427387904"),
        ("links", "per_host", "4611686018427387904"),
        ("http", "backoff_ms", "4611686018427387904"),
        ("http", "retries", "4000000000"),
    ] {
        let w = Workdir::new(&target("a", "http://127.0.0.1:9/", ""));
        let cfg = format!(
            "[{section}]\n{key} = {value}\n\n{}",
            target("a", "http://127.0.0.1:9/", "")
        );
        std::fs::write(w.config(), &cfg).unwrap();
        let line = 2;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 2, "{section}.{key}: {run:?}");
        assert!(
            run.stderr.contains(&format!("policy-watch.toml:{line}:"))
                && run.stderr.contains(&format!("{section}.{key}")),
            "{section}.{key}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[tokio::test]
async fn an_outage_is_announced_once_and_then_writes_nothing() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail", "")).await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0);
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let mut states = Vec::new();
    let mut outputs = Vec::new();
    for _ in 0..4 {
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        outputs.push(run.stdout);
        states.push(w.snapshot_files());
    }
    assert!(outputs[1].contains("unreachable"), "{}", outputs[1]);
    assert!(!outputs[2].contains("unreachable") && !outputs[3].contains("unreachable"));
    assert_eq!(states[1], states[2], "an ongoing outage rewrites no file");
    assert_eq!(states[2], states[3]);
}

#[tokio::test]
async fn a_per_request_token_in_the_content_is_volatile_not_a_change() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            html(page(
                "e-mail",
                &format!("<p>Support reference for this visit: {n:08x}-token</p>"),
            ))
        })
        .mount(&server)
        .await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0);
    let before = w.snapshot_files();
    for _ in 0..2 {
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("— changed"), "{}", run.stdout);
        assert!(run.stdout.contains("volatile"), "{}", run.stdout);
    }
    assert_eq!(
        w.snapshot_files(),
        before,
        "nothing stored for a volatile block"
    );
    let diff = w.run(&["diff"]).await;
    assert_eq!(diff.code, 0, "{diff:?}");
}

#[tokio::test]
async fn a_truncated_transfer_is_not_an_alert_while_a_real_edit_is() {
    let server = MockServer::start().await;
    serve(
        &server,
        PAGE,
        page(
            "e-mail",
            "<p>Contact our data protection officer at dpo@example.com for any question.</p>",
        ),
    )
    .await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0);
    // The first answer of each run is cut short; the second is whole.
    let full = page(
        "phone number",
        "<p>Contact our data protection officer at dpo@example.com for any question.</p>",
    );
    let cut = full[..full.find("<p>Contact").unwrap()].to_string();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(move |_: &Request| {
            if counter.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                html(cut.clone())
            } else {
                html(full.clone())
            }
        })
        .mount(&server)
        .await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("[-e-mail-]{+phone number+}"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("[-Contact"),
        "the cut is not a removal: {}",
        run.stdout
    );
    assert!(
        w.snapshot("a.md").contains("dpo@example.com"),
        "the whole page is stored"
    );
}

#[tokio::test]
async fn a_page_that_alternates_is_announced_once_then_stays_quiet() {
    let server = MockServer::start().await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    let a = page("e-mail", "");
    let b = page("e-mail address", "");
    let mut said = Vec::new();
    for (body, expect) in [
        (&a, "now watching"),
        (&b, "changed"),
        (&a, "back to an earlier version"),
        (&b, "shows the version first seen"),
        (&a, "unchanged"),
    ] {
        reserve(&server, PAGE, body.clone()).await;
        let before = w.snapshot_files();
        if expect != "now watching" {
            // `diff` says what `check` is about to say, and writes nothing.
            let diffed = w.run(&["diff"]).await;
            let news = matches!(expect, "changed" | "back to an earlier version");
            assert_eq!(diffed.code, i32::from(news), "{expect}: {diffed:?}");
            assert!(
                diffed.stdout.contains(expect),
                "diff, expected {expect}: {}",
                diffed.stdout
            );
            assert_eq!(w.snapshot_files(), before, "diff writes nothing");
        }
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.contains(expect),
            "expected {expect}: {}",
            run.stdout
        );
        if expect.starts_with("shows") {
            assert_eq!(w.snapshot_files(), before, "a quiet flip writes nothing");
        }
        said.push(run.stdout);
    }
    // A version never seen before ends the quiet.
    reserve(&server, PAGE, page("postal address", "")).await;
    let run = w.run(&["check"]).await;
    assert!(run.stdout.contains("— changed"), "{}", run.stdout);
    assert!(run.stdout.contains("{+postal address+}"), "{}", run.stdout);
}

#[tokio::test]
async fn a_thread_that_failed_after_its_summary_is_finished_without_a_second_summary() {
    let server = MockServer::start().await;
    let slack = MockServer::start().await;
    serve(&server, PAGE, page("e-mail", "")).await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline without Slack");
    reserve(&server, PAGE, page("e-mail and phone number", "")).await;

    // Slack takes the summary, then fails every thread reply.
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(move |_: &Request| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                slack_posted("1700000000.000100")
            } else {
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"ok": false, "error": "not_in_channel"}))
            }
        })
        .mount(&slack)
        .await;
    let with_slack = |w: &Workdir| {
        let mut cmd = w.cmd();
        cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
            .env("SLACK_CHANNEL", "C0TEST")
            .env("SLACK_API_URL", format!("{}/api", slack.uri()))
            .arg("check");
        cmd
    };
    let run = crate::common::run(with_slack(&w)).await;
    assert_eq!(run.code, 1, "{run:?}");
    let first = slack_bodies(&slack, "/api/chat.postMessage").await;
    assert!(first.len() >= 2, "summary and a failed reply: {first:?}");
    assert!(first[0].get("thread_ts").is_none());

    // Slack works again: only the thread is posted, under the first summary.
    slack.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(slack_posted("1700000000.000200"))
        .mount(&slack)
        .await;
    let run = crate::common::run(with_slack(&w)).await;
    assert_eq!(run.code, 0, "{run:?}");
    let second = slack_bodies(&slack, "/api/chat.postMessage").await;
    assert!(!second.is_empty());
    for body in &second {
        assert_eq!(
            body["thread_ts"], "1700000000.000100",
            "no second summary, only replies under the first: {body}"
        );
    }
    // Delivered now: the snapshot moved on and the next run is quiet.
    assert!(w.snapshot("a.md").contains("phone number"));
    slack.reset().await;
    let run = crate::common::run(with_slack(&w)).await;
    assert_eq!(run.code, 0);
    assert!(slack_bodies(&slack, "/api/chat.postMessage")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_slack_that_never_answers_costs_one_target_not_every_target() {
    let server = MockServer::start().await;
    for p in ["/a", "/b", "/c"] {
        serve(&server, p, page("e-mail", "")).await;
    }
    let w = three(&server);
    // A port that nobody listens on: every connection is refused at once.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("http://127.0.0.1:{port}/services/T000/B000/SECRETxyz"),
    )
    .arg("check");
    let run = crate::common::run(cmd).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.matches("not tried again").count() == 2,
        "b and c are not retried: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("SECRETxyz") && !run.stderr.contains("SECRETxyz"));
    assert!(
        !w.snapshots().join("a.md").exists(),
        "nothing stored undelivered"
    );
}

#[tokio::test]
async fn no_working_file_is_ever_visible_to_git() {
    let server = MockServer::start().await;
    serve(&server, PAGE, fixture("gitbook/base.html")).await;
    let w = Workdir::new(&target("a", &format!("{}{PAGE}", server.uri()), ""));
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(w.path())
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    // A killed run's leftovers in the store's folder.
    std::fs::create_dir_all(w.snapshots().join(".policy-watch")).unwrap();
    std::fs::write(w.snapshots().join(".policy-watch/a.md.1.0.tmp"), "half").unwrap();
    assert_eq!(w.run(&["check"]).await.code, 0);
    git(&["add", "-A", "snapshots"]);
    let staged = git(&["diff", "--cached", "--name-only"]);
    let mut names: Vec<&str> = staged.lines().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "snapshots/a.extracted.json",
            "snapshots/a.html",
            "snapshots/a.json",
            "snapshots/a.md",
            "snapshots/a.state.json"
        ],
        "{staged}"
    );
}

/// Every file below `dir`, as paths relative to nothing in particular.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_report_streamed_target_by_target_is_still_one_json_document() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail", "")).await;
    Mock::given(method("GET"))
        .and(path("/b"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    serve(&server, "/c", page("name", "")).await;
    let w = three(&server);
    let run = w.run(&["check", "--format", "json"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let statuses: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["watching", "failed", "watching"]);
    assert_eq!(report["command"], "check");

    let md = w.run(&["check", "--format", "markdown"]).await;
    assert!(
        md.stdout.starts_with("## policy-watch check"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| Target | Status | Changes | Findings |"),
        "the summary table closes the report: {}",
        md.stdout
    );
}
