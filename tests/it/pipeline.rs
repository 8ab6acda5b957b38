//! The pipeline end to end, through the binary: pages served from a local server, snapshots in
//! a temporary folder, the report on stdout.

use crate::common::{fixture, fixture_bytes, html, reserve, serve, target, Workdir};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PAGE: &str = "/privacy-policy";

/// A working folder watching the GitBook page on `server`, with the page's real selectors.
async fn gitbook_watch(server: &MockServer) -> Workdir {
    serve(server, PAGE, fixture("gitbook/base.html")).await;
    Workdir::new(&target(
        "crossengage-privacy",
        &format!("{}{PAGE}", server.uri()),
        "select = [\"[data-content-ref-root]\", \"main\"]",
    ))
}

#[tokio::test]
async fn first_sight_stores_a_baseline_and_says_now_watching() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("now watching"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("{+"),
        "no diff on first sight: {}",
        run.stdout
    );

    let md = w.snapshot("crossengage-privacy.md");
    assert!(
        md.starts_with("## Data collection when using the CrossEngage"),
        "{md}"
    );
    assert!(md.contains("[https://www.appcues.com/privacy](https://www.appcues.com/privacy)"));
    assert!(
        md.contains("Privacy Policy auf[](https://www.appcues.com/privacy)."),
        "{md}"
    );
    for outside in [
        "Last updated",
        "Powered by GitBook",
        "Suggest an Improvement",
        "Accept",
    ] {
        assert!(!md.contains(outside), "{outside} leaked into the snapshot");
    }
    let meta: serde_json::Value =
        serde_json::from_str(&w.snapshot("crossengage-privacy.json")).unwrap();
    assert_eq!(meta["final_url"], format!("{}{PAGE}", server.uri()));
    assert!(meta["content_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(meta["rules_hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(w
        .snapshot("crossengage-privacy.html")
        .contains("data-content-ref-root"));
}

#[tokio::test]
async fn noise_only_edits_post_nothing_and_leave_every_file_byte_identical() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    assert_eq!(w.run(&["check"]).await.code, 0);
    let before = w.snapshot_files();
    for noise in [
        "noise-relative-date",
        "noise-nonce",
        "noise-sidebar",
        "noise-whitespace",
        "noise-cookie-banner-gone",
        "noise-nbsp",
    ] {
        reserve(&server, PAGE, fixture(&format!("gitbook/{noise}.html"))).await;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 0, "{noise}: {run:?}");
        assert!(run.stdout.contains("unchanged"), "{noise}: {}", run.stdout);
        assert!(
            !run.stdout.contains("changed,") && !run.stdout.contains("{+"),
            "{noise}: {}",
            run.stdout
        );
        assert_eq!(
            w.snapshot_files(),
            before,
            "{noise} touched a snapshot file"
        );
    }
}

/// (variant, words that must show as removed, words that must show as added)
const REAL_EDITS: &[(&str, &[&str], &[&str])] = &[
    ("edit-word", &[], &["phone number"]),
    (
        "edit-paragraph-added",
        &[],
        &["### Hotjar", "We also use Hotjar"],
    ),
    (
        "edit-german-links-fixed",
        // The empty links got their text: only that text is added.
        &[],
        &[
            "https://www.appcues.com/privacy",
            "https://mixpanel.com/privacy/",
        ],
    ),
];

#[tokio::test]
async fn every_real_edit_is_reported_with_its_words_then_stored() {
    for (variant, removed, added) in REAL_EDITS {
        let server = MockServer::start().await;
        let w = gitbook_watch(&server).await;
        assert_eq!(w.run(&["check"]).await.code, 0);
        let old_html = w.snapshot("crossengage-privacy.html");

        reserve(&server, PAGE, fixture(&format!("gitbook/{variant}.html"))).await;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 0, "{variant}: {run:?}");
        assert!(
            run.stdout.contains("— changed"),
            "{variant}: {}",
            run.stdout
        );
        for word in *removed {
            let marked = run.stdout.lines().any(|l| {
                l.split("[-")
                    .skip(1)
                    .any(|r| r.split("-]").next().unwrap_or("").contains(word))
            });
            assert!(
                marked,
                "{variant}: `{word}` not shown as removed:\n{}",
                run.stdout
            );
        }
        for word in *added {
            let marked = run.stdout.lines().any(|l| {
                l.split("{+")
                    .skip(1)
                    .any(|r| r.split("+}").next().unwrap_or("").contains(word))
            });
            assert!(
                marked,
                "{variant}: `{word}` not shown as added:\n{}",
                run.stdout
            );
        }
        // The snapshot advanced to the new content, with the new raw page.
        assert_ne!(
            w.snapshot("crossengage-privacy.html"),
            old_html,
            "{variant}"
        );
        let again = w.run(&["check"]).await;
        assert!(
            again.stdout.contains("unchanged"),
            "{variant}: {}",
            again.stdout
        );
    }
}

#[tokio::test]
async fn a_changed_link_target_is_told_once_as_a_link_change() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    assert_eq!(w.run(&["check"]).await.code, 0);
    reserve(&server, PAGE, fixture("gitbook/edit-link-target.html")).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("— changed"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "now points to https://mixpanel.com/legal/privacy-policy/ (was https://mixpanel.com/privacy/)"
        ),
        "{}",
        run.stdout
    );
    // Not also as a replaced `[url](url)`: the words a reader sees did not change.
    assert!(!run.stdout.contains("[-"), "{}", run.stdout);
    assert!(!run.stdout.contains("change:"), "{}", run.stdout);
    let stored = w.snapshot("crossengage-privacy.md");
    assert!(
        stored.contains("(https://mixpanel.com/legal/privacy-policy/)"),
        "{stored}"
    );
}

#[tokio::test]
async fn a_moved_paragraph_is_reported_as_moved_not_as_removed() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    reserve(&server, PAGE, fixture("gitbook/edit-paragraph-moved.html")).await;
    let run = w.run(&["diff"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("moved: "), "{}", run.stdout);
    assert!(!run.stdout.contains("[-"), "{}", run.stdout);
}

#[tokio::test]
async fn every_format_shows_removed_and_added_words() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    reserve(&server, PAGE, fixture("gitbook/edit-link-target.html")).await;

    let md = w.run(&["diff", "--format", "markdown"]).await;
    assert_eq!(md.code, 1);
    // Only the link target changed: told once, as a link change.
    assert!(
        md.stdout.contains("🔗 link") && md.stdout.contains("legal/privacy-policy"),
        "{}",
        md.stdout
    );
    assert!(!md.stdout.contains("~~"), "{}", md.stdout);
    assert!(md.stdout.contains("| Target | Status |"), "{}", md.stdout);

    let json = w.run(&["diff", "--format", "json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json report");
    let spans = &v["targets"][0]["changes"][0]["spans"];
    let ops: Vec<(&str, &str)> = spans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["op"].as_str().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert!(
        ops.iter()
            .any(|(op, t)| *op == "removed" && t.contains("mixpanel.com/privacy/")),
        "{ops:?}"
    );
    assert!(
        ops.iter()
            .any(|(op, t)| *op == "added" && t.contains("legal/privacy-policy")),
        "{ops:?}"
    );
}

#[tokio::test]
async fn diff_writes_nothing_and_exits_like_diff() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    let first = w.run(&["diff"]).await;
    assert_eq!(
        first.code, 1,
        "no snapshot yet counts as a change: {first:?}"
    );
    assert!(first.stdout.contains("no snapshot yet"), "{}", first.stdout);
    assert!(w.snapshot_files().is_empty(), "diff wrote files");

    w.run(&["accept"]).await;
    let same = w.run(&["diff", "crossengage-privacy"]).await;
    assert_eq!(same.code, 0, "{same:?}");

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let trouble = w.run(&["diff"]).await;
    assert_eq!(trouble.code, 2, "{trouble:?}");
    let unknown = w.run(&["diff", "no-such-target"]).await;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no-such-target"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn accept_marks_a_change_as_reviewed_without_alerting() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    reserve(&server, PAGE, fixture("gitbook/edit-word.html")).await;
    let accepted = w.run(&["accept", "crossengage-privacy"]).await;
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert!(w
        .snapshot("crossengage-privacy.md")
        .contains("phone number"));
    let check = w.run(&["check"]).await;
    assert!(check.stdout.contains("unchanged"), "{}", check.stdout);
}

#[tokio::test]
async fn dry_run_reports_but_writes_nothing() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    let run = w.run(&["check", "--dry-run"]).await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("now watching"));
    // A dry run says so, and says what would be stored rather than what was.
    assert!(run.stdout.starts_with("dry run: "), "{}", run.stdout);
    assert!(
        run.stdout.contains("baseline would be stored"),
        "{}",
        run.stdout
    );
    assert!(w.snapshot_files().is_empty(), "dry run wrote files");
}

#[tokio::test]
async fn a_redirect_that_lands_elsewhere_is_reported_and_recorded() {
    let server = MockServer::start().await;
    let redirect = |to: &str| ResponseTemplate::new(301).insert_header("location", to);
    Mock::given(path("/privacy/"))
        .respond_with(redirect("/legal/privacy"))
        .mount(&server)
        .await;
    serve(&server, "/legal/privacy", fixture("vendor/mixpanel.html")).await;
    let w = Workdir::new(&target(
        "mixpanel-privacy",
        &format!("{}/privacy/", server.uri()),
        "",
    ));
    assert_eq!(w.run(&["check"]).await.code, 0);
    let meta = w.snapshot("mixpanel-privacy.json");
    assert!(meta.contains("/legal/privacy\""), "{meta}");

    server.reset().await;
    Mock::given(path("/privacy/"))
        .respond_with(redirect("/en/privacy-policy"))
        .mount(&server)
        .await;
    serve(
        &server,
        "/en/privacy-policy",
        fixture("vendor/mixpanel.html"),
    )
    .await;
    let diff = w.run(&["diff"]).await;
    assert_eq!(diff.code, 1, "a moved final URL is a change: {diff:?}");
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("moved"), "{}", run.stdout);
    assert!(
        run.stdout.contains("/en/privacy-policy") && run.stdout.contains("/legal/privacy"),
        "{}",
        run.stdout
    );
    assert!(w
        .snapshot("mixpanel-privacy.json")
        .contains("/en/privacy-policy\""));
}

#[tokio::test]
async fn a_failing_server_never_touches_the_snapshot_and_recovery_is_quiet() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    assert_eq!(w.run(&["check"]).await.code, 0);
    let before: Vec<_> = w
        .snapshot_files()
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".state.json"))
        .collect();

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3) // the first try and two retries
        .mount(&server)
        .await;
    let failed = w.run(&["check"]).await;
    assert_eq!(failed.code, 1, "{failed:?}");
    assert!(failed.stdout.contains("HTTP 503"), "{}", failed.stdout);
    assert!(
        !failed.stdout.contains("[-"),
        "a failure is never shown as removed text"
    );
    server.verify().await;
    let after: Vec<_> = w
        .snapshot_files()
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".state.json"))
        .collect();
    assert_eq!(before, after);

    reserve(&server, PAGE, fixture("gitbook/base.html")).await;
    let back = w.run(&["check"]).await;
    assert_eq!(back.code, 0, "{back:?}");
    assert!(back.stdout.contains("unchanged"), "{}", back.stdout);
    assert_eq!(
        w.snapshot_files()
            .into_iter()
            .filter(|(n, _)| !n.ends_with(".state.json"))
            .collect::<Vec<_>>(),
        before
    );
}

#[tokio::test]
async fn a_503_that_recovers_within_the_retries_is_just_a_fetch() {
    let server = MockServer::start().await;
    Mock::given(path(PAGE))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let w = gitbook_watch(&server).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("now watching"));
}

#[tokio::test]
async fn an_oversized_page_is_a_fetch_failure() {
    let server = MockServer::start().await;
    let mut body = fixture_bytes("gitbook/base.html");
    body.resize(60 * 1024 * 1024, b' ');
    Mock::given(path(PAGE))
        .respond_with(html(body))
        .mount(&server)
        .await;
    let w = Workdir::new(&target("big", &format!("{}{PAGE}", server.uri()), ""));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("size cap"), "{}", run.stdout);
    assert!(!w.snapshots().join("big.md").exists());
}

#[tokio::test]
async fn a_page_that_extracts_to_nothing_is_a_failure_not_a_removed_policy() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    let md = w.snapshot("crossengage-privacy.md");
    for empty in ["edge/empty-shell.html", "edge/cookie-only.html"] {
        reserve(&server, PAGE, fixture(empty)).await;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "{empty}: {run:?}");
        assert!(
            run.stdout.contains("almost nothing")
                || run.stdout.contains("none of the content selectors"),
            "{empty}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("[-"), "{empty}: shown as removed text");
        assert_eq!(w.snapshot("crossengage-privacy.md"), md, "{empty}");
    }
}

#[tokio::test]
async fn a_non_html_answer_is_a_fetch_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/policy.pdf"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(b"\x89PNG\r\n\x1a\n".to_vec()),
        )
        .mount(&server)
        .await;
    // (A PDF is read since issue 15: tests/it/reach.rs.)
    let w = Workdir::new(&target("pdf", &format!("{}/policy.pdf", server.uri()), ""));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("not an HTML page"), "{}", run.stdout);
}

#[tokio::test]
async fn latin1_pages_are_decoded_by_meta_charset_and_by_detection() {
    let server = MockServer::start().await;
    for (at, file) in [
        ("/meta", "edge/latin1.html"),
        ("/plain", "edge/latin1-noheader.html"),
    ] {
        Mock::given(path(at))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/html")
                    .set_body_bytes(fixture_bytes(file)),
            )
            .mount(&server)
            .await;
    }
    let w = Workdir::new(&format!(
        "{}{}",
        target("meta", &format!("{}/meta", server.uri()), ""),
        target("plain", &format!("{}/plain", server.uri()), "")
    ));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for id in ["meta", "plain"] {
        let md = w.snapshot(&format!("{id}.md"));
        for word in ["Datenschutzerklärung", "Größe", "Verfügung"] {
            assert!(md.contains(word), "{id}: {word} missing in\n{md}");
        }
        assert!(!md.contains('\u{FFFD}'), "{id}: replacement characters");
    }
}

#[tokio::test]
async fn not_modified_answers_keep_everything_as_it_was() {
    let server = MockServer::start().await;
    Mock::given(path(PAGE))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(PAGE))
        .respond_with(html(fixture("gitbook/base.html")).insert_header("etag", "\"v1\""))
        .with_priority(2)
        .mount(&server)
        .await;
    let w = Workdir::new(&target("cp", &format!("{}{PAGE}", server.uri()), ""));
    w.run(&["check"]).await;
    let before = w.snapshot_files();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("unchanged"));
    assert_eq!(w.snapshot_files(), before);
    server.verify().await;
}

#[tokio::test]
async fn a_kept_extraction_that_disagrees_with_its_snapshot_is_not_trusted() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    let kept = w.snapshots().join("crossengage-privacy.extracted.json");
    let text = std::fs::read_to_string(&kept).expect("the extraction is kept beside the page");
    assert!(text.contains("Appcues"), "{text}");
    // Someone edits it by hand: it no longer says what the snapshot says.
    std::fs::write(&kept, text.replace("Appcues", "Appcuez")).unwrap();
    let before = w.snapshot_files();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("unchanged"), "{}", run.stdout);
    assert!(!run.stdout.contains("Appcuez"), "{}", run.stdout);
    assert_eq!(
        w.snapshot_files(),
        before,
        "an unchanged run writes nothing"
    );
    // A real change is still one, and the kept extraction is made again with it.
    reserve(&server, PAGE, fixture("gitbook/edit-word.html")).await;
    let edit = w.run(&["check"]).await;
    assert!(edit.stdout.contains("phone number"), "{}", edit.stdout);
    assert!(!std::fs::read_to_string(&kept).unwrap().contains("Appcuez"));
}

#[tokio::test]
async fn changed_extraction_rules_rebaseline_from_the_stored_page_instead_of_alerting() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    w.run(&["check"]).await;
    // The operator now also drops the vendor headings from the snapshot.
    let cfg = std::fs::read_to_string(w.config()).unwrap();
    std::fs::write(w.config(), format!("{cfg}remove = [\"h3\"]\n")).unwrap();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("unchanged"), "{}", run.stdout);
    assert!(run.stdout.contains("baseline re-made"), "{}", run.stdout);
    assert!(!w.snapshot("crossengage-privacy.md").contains("### Appcues"));
    // The page itself did change in the meantime: that is still reported.
    reserve(&server, PAGE, fixture("gitbook/edit-word.html")).await;
    let edit = w.run(&["check"]).await;
    assert!(edit.stdout.contains("phone number"), "{}", edit.stdout);
}

#[tokio::test]
async fn targets_are_fetched_concurrently_and_one_failure_spares_the_others() {
    let server = MockServer::start().await;
    serve(&server, "/appcues", fixture("vendor/appcues.html")).await;
    serve(&server, "/mixpanel", fixture("vendor/mixpanel.html")).await;
    let w = Workdir::new(&format!(
        "{}{}{}",
        target("appcues", &format!("{}/appcues", server.uri()), ""),
        target("gone", &format!("{}/gone", server.uri()), ""),
        target("mixpanel", &format!("{}/mixpanel", server.uri()), "")
    ));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("HTTP 404"));
    assert!(w.snapshots().join("appcues.md").exists());
    assert!(w.snapshots().join("mixpanel.md").exists());
    assert!(!w.snapshots().join("gone.md").exists());
    // Mixpanel's policy lives in an <article> with no <main>: found by the default roots.
    assert!(w
        .snapshot("mixpanel.md")
        .contains("| Category | Examples | Source |"));

    reserve(&server, "/appcues", fixture("vendor/appcues-noise.html")).await;
    serve(&server, "/mixpanel", fixture("vendor/mixpanel-edit.html")).await;
    let run = w
        .run(&["check", "--target", "appcues", "--target", "mixpanel"])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("appcues policy — unchanged"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("mixpanel policy — changed"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("[-30-]{+90+}"), "{}", run.stdout);
}

#[tokio::test]
async fn links_lists_every_open_finding_with_its_sentence_on_every_run() {
    let server = MockServer::start().await;
    let w = gitbook_watch(&server).await;
    // `check` reports them once; `links` lists what is open whenever asked.
    w.run(&["check"]).await;
    for _ in 0..2 {
        let run = w.run(&["links"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.contains("— 2 findings"), "{}", run.stdout);
        assert!(
            run.stdout.contains("erfahren Sie in der Privacy Policy auf [⟨empty link → https://www.appcues.com/privacy⟩]."),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("entnehmen: [⟨empty link → https://mixpanel.com/privacy/⟩]."),
            "{}",
            run.stdout
        );
    }
}
