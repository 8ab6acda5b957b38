//! Page inspection end to end against local servers: the link check, empty links, the German
//! section against the English one, and the `links` and `check` commands on top of them.

use std::time::{Duration, Instant};

use policy_watch::inspect::{Finding, FindingKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, html, reserve, serve, target, Workdir, FAST_HTTP};

/// Where GitBook serves the CrossEngage page; the tests serve it at the same path.
const PAGE_PATH: &str = "/data-and-engagement-platform/help-and-support/privacy-policy";

/// The GitBook page and the two vendors it links to, each on its own local server (so the
/// vendor links are external to the page, as they are on the real page).
struct GitBook {
    page: MockServer,
    appcues: MockServer,
    mixpanel: MockServer,
}

impl GitBook {
    /// Starts the three servers; the vendors answer any method with their policy page.
    async fn start() -> Self {
        let g = GitBook {
            page: MockServer::start().await,
            appcues: MockServer::start().await,
            mixpanel: MockServer::start().await,
        };
        Mock::given(path("/privacy"))
            .respond_with(html(fixture("vendor/appcues.html")))
            .mount(&g.appcues)
            .await;
        Mock::given(path("/privacy/"))
            .respond_with(html(fixture("vendor/mixpanel.html")))
            .mount(&g.mixpanel)
            .await;
        g
    }

    fn page_url(&self) -> String {
        format!("{}{PAGE_PATH}", self.page.uri())
    }

    fn appcues_privacy(&self) -> String {
        format!("{}/privacy", self.appcues.uri())
    }

    fn mixpanel_privacy(&self) -> String {
        format!("{}/privacy/", self.mixpanel.uri())
    }

    /// A GitBook fixture with the vendor URLs pointing at the local vendor servers.
    fn html(&self, file: &str) -> String {
        fixture(&format!("gitbook/{file}"))
            .replace("https://www.appcues.com", &self.appcues.uri())
            .replace("https://mixpanel.com", &self.mixpanel.uri())
    }

    async fn serve(&self, file: &str) {
        reserve(&self.page, PAGE_PATH, self.html(file)).await;
    }

    /// The three targets of the shipped config, pointing at the local servers.
    fn targets(&self) -> String {
        [
            target(
                "crossengage-privacy",
                &self.page_url(),
                "select = [\"[data-content-ref-root]\", \"main\"]\ncheck_links = true\nlanguages = [\"en\", \"de\"]",
            ),
            target("appcues-privacy", &self.appcues_privacy(), ""),
            target("mixpanel-privacy", &self.mixpanel_privacy(), ""),
        ]
        .concat()
    }

    /// Requests the vendor servers received.
    async fn vendor_requests(&self) -> usize {
        let a = self.appcues.received_requests().await.unwrap_or_default();
        let m = self.mixpanel.received_requests().await.unwrap_or_default();
        a.len() + m.len()
    }
}

/// Config text with the tests' fast `[http]` settings, then `rest` (tables).
fn config_text(rest: &str) -> String {
    format!("{FAST_HTTP}\n{rest}")
}

/// Runs `policy-watch links --format json` on `ids` and returns each target's findings.
async fn links(config: &str, ids: &[&str]) -> Vec<Vec<Finding>> {
    let w = Workdir::with_config(config);
    let run = w.run(&[&["links", "--format", "json"], ids].concat()).await;
    assert!(run.code == 0 || run.code == 1, "links failed: {run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON report");
    // `links` compares nothing: a page it read is "checked", with the blocks it holds.
    for t in report["targets"].as_array().expect("targets") {
        if t["status"] != "failed" {
            assert_eq!(t["status"], "checked", "{t}");
            assert!(t["blocks"].as_u64().is_some_and(|n| n > 0), "{t}");
        }
    }
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            serde_json::from_value(t.get("open_findings").cloned().unwrap_or_default())
                .unwrap_or_default()
        })
        .collect()
}

fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

// ---------------------------------------------------------------------------
// The GitBook page

#[tokio::test]
async fn gitbook_page_flags_exactly_the_two_empty_german_links() {
    let g = GitBook::start().await;
    g.serve("base.html").await;
    let found = links(&config_text(&g.targets()), &["crossengage-privacy"]).await;
    let found = &found[0];

    assert_eq!(
        kinds(found),
        vec![FindingKind::EmptyLink, FindingKind::EmptyLink],
        "{found:#?}"
    );
    let appcues = g.appcues_privacy();
    let mixpanel = g.mixpanel_privacy();
    assert_eq!(
        found[0].context.as_deref(),
        Some(
            format!("…erfahren Sie in der Privacy Policy auf [⟨empty link → {appcues}⟩].").as_str()
        )
    );
    assert_eq!(
        found[1].context.as_deref(),
        Some(
            format!(
                "Weitere Informationen des Drittanbieters zum Datenschutz können Sie der nachfolgenden Webseite entnehmen: [⟨empty link → {mixpanel}⟩]."
            )
            .as_str()
        )
    );
    let german = "de: Datenerhebung bei der Nutzung der CrossEngage Data & Prediction Plattform.";
    for (f, url) in found.iter().zip([&appcues, &mixpanel]) {
        assert_eq!(f.section.as_deref(), Some(german));
        assert_eq!(f.url.as_deref(), Some(url.as_str()));
        assert!(
            f.message
                .starts_with("Empty link in the German section “Datenerhebung"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .ends_with("but a reader sees nothing there (the English section shows this link)"),
            "{}",
            f.message
        );
    }
    assert_ne!(found[0].id, found[1].id);
    // Every link resolved: the two vendor URLs were checked (once each, HEAD answered 200).
    assert_eq!(g.vendor_requests().await, 2);
}

#[tokio::test]
async fn fixed_german_links_leave_no_finding() {
    let g = GitBook::start().await;
    g.serve("edit-german-links-fixed.html").await;
    let found = links(&config_text(&g.targets()), &["crossengage-privacy"]).await;
    assert!(found[0].is_empty(), "{:#?}", found[0]);
}

#[tokio::test]
async fn empty_link_ids_do_not_change_when_unrelated_text_changes() {
    let g = GitBook::start().await;
    let config = config_text(&g.targets());
    g.serve("base.html").await;
    let before = links(&config, &["crossengage-privacy"]).await;
    g.serve("edit-word.html").await;
    let after = links(&config, &["crossengage-privacy"]).await;
    let ids = |f: &[Finding]| f.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&before[0]), ids(&after[0]));
    assert_eq!(before[0].len(), 2);
}

#[tokio::test]
async fn vendor_added_only_in_english_is_missing_in_german_and_unwatched() {
    let g = GitBook::start().await;
    let hotjar = MockServer::start().await;
    Mock::given(path("/legal/policies/privacy/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hotjar)
        .await;
    let page = g
        .html("edit-paragraph-added.html")
        .replace("https://www.hotjar.com", &hotjar.uri());
    reserve(&g.page, PAGE_PATH, page).await;
    let found = links(&config_text(&g.targets()), &["crossengage-privacy"]).await;
    let found = &found[0];
    let hotjar_url = format!("{}/legal/policies/privacy/", hotjar.uri());

    assert_eq!(
        kinds(found),
        vec![
            FindingKind::EmptyLink,
            FindingKind::EmptyLink,
            FindingKind::MissingInTranslation,
            FindingKind::MissingInTranslation,
            FindingKind::Unwatched,
        ],
        "{found:#?}"
    );
    let missing_link = &found[2];
    assert_eq!(missing_link.url.as_deref(), Some(hotjar_url.as_str()));
    assert!(
        missing_link
            .message
            .starts_with("The German section “Datenerhebung"),
        "{}",
        missing_link.message
    );
    assert!(missing_link.message.contains(&hotjar_url));
    let subsections = &found[3];
    assert!(
        subsections
            .message
            .contains("has 2 vendor subsection(s), the English section “Data collection when using the CrossEngage Data & Prediction platform.” has 3 (not there: “Hotjar”)"),
        "{}",
        subsections.message
    );
    assert_eq!(found[4].url.as_deref(), Some(hotjar_url.as_str()));
    assert!(found[4].message.contains("is not watched"));
}

#[tokio::test]
async fn broken_links_come_first_and_a_broken_policy_link_is_not_also_unwatched() {
    let g = GitBook::start().await;
    let hotjar = MockServer::start().await;
    Mock::given(path("/legal/policies/privacy/"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&hotjar)
        .await;
    let page = g
        .html("edit-paragraph-added.html")
        .replace("https://www.hotjar.com", &hotjar.uri());
    reserve(&g.page, PAGE_PATH, page).await;
    let found = links(&config_text(&g.targets()), &["crossengage-privacy"]).await;
    let found = &found[0];

    // The broken link leads, although the page shows it after the empty German links; the
    // translation gaps (informational) come last, and a policy link that is broken is not
    // also proposed as a page to watch.
    assert_eq!(
        kinds(found),
        vec![
            FindingKind::Broken,
            FindingKind::EmptyLink,
            FindingKind::EmptyLink,
            FindingKind::MissingInTranslation,
            FindingKind::MissingInTranslation,
        ],
        "{found:#?}"
    );
}

// ---------------------------------------------------------------------------
// The HTTP link check, one page with one link of each kind

/// Serves `links/statuses.html` with every link it names mounted, runs `links` on it and
/// returns its findings, the link server and how long the check took.
async fn statuses() -> (Vec<Finding>, MockServer, Duration) {
    let server = MockServer::start().await;
    let page = fixture("links/statuses.html").replace("https://links.example", &server.uri());
    serve(&server, "/subprocessors", page).await;
    let ok = || ResponseTemplate::new(200);
    Mock::given(path("/ok"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/forbidden"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ok())
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path("/r/start"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/r/middle"))
        .mount(&server)
        .await;
    Mock::given(path("/r/middle"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/r/end"))
        .mount(&server)
        .await;
    Mock::given(path("/r/end"))
        .respond_with(ok())
        .mount(&server)
        .await;
    Mock::given(path("/excluded/track"))
        .respond_with(ok())
        .expect(0)
        .mount(&server)
        .await;

    let config = config_text(&format!(
        "[links]\nexclude = [\"/excluded/\"]\n\n{}",
        target(
            "subprocessors",
            &format!("{}/subprocessors", server.uri()),
            "check_links = true"
        )
    ));
    let started = Instant::now();
    let found = links(&config, &[]).await.remove(0);
    (found, server, started.elapsed())
}

fn about<'a>(found: &'a [Finding], url_end: &str) -> Vec<&'a Finding> {
    found
        .iter()
        .filter(|f| f.url.as_deref().is_some_and(|u| u.ends_with(url_end)))
        .collect()
}

#[tokio::test]
async fn link_answering_404_is_broken() {
    let (found, _server, _) = statuses().await;
    let gone = about(&found, "/gone");
    assert_eq!(gone.len(), 1, "{found:#?}");
    assert_eq!(gone[0].kind, FindingKind::Broken);
    assert!(
        gone[0].message.contains("HTTP 404 Not Found"),
        "{}",
        gone[0].message
    );
    assert_eq!(
        gone[0].context.as_deref(),
        Some("The old sub-processor list was in [the archive ⟨HTTP 404 Not Found⟩], which no longer exists.")
    );
}

#[tokio::test]
async fn link_answering_403_is_blocked_not_broken() {
    let (found, _server, _) = statuses().await;
    let forbidden = about(&found, "/forbidden");
    assert_eq!(forbidden.len(), 1);
    assert_eq!(forbidden[0].kind, FindingKind::Blocked);
    assert!(!forbidden[0].kind.is_problem());
    assert!(forbidden[0].message.contains("not counted as broken"));
}

#[tokio::test]
async fn rate_limited_link_is_ok_after_waiting_for_retry_after() {
    let (found, server, took) = statuses().await;
    assert!(about(&found, "/busy").is_empty(), "{found:#?}");
    let busy = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/busy")
        .count();
    assert_eq!(busy, 2, "one 429, then one 200");
    // The backoff is 50 ms: only Retry-After explains a wait of a second.
    assert!(took >= Duration::from_millis(950), "took {took:?}");
}

#[tokio::test]
async fn redirect_chain_is_ok_and_the_permanent_move_is_noted() {
    let (found, server, _) = statuses().await;
    let moved = about(&found, "/r/start");
    assert_eq!(moved.len(), 1, "{found:#?}");
    assert_eq!(moved[0].kind, FindingKind::Redirected);
    assert!(!moved[0].kind.is_problem());
    let end = format!("{}/r/end", server.uri());
    assert!(
        moved[0]
            .message
            .contains(&format!("redirects permanently to {end}")),
        "{}",
        moved[0].message
    );
}

#[tokio::test]
async fn fragment_naming_no_element_is_flagged() {
    let (found, _server, _) = statuses().await;
    let fragments: Vec<&Finding> = found
        .iter()
        .filter(|f| f.kind == FindingKind::BrokenFragment)
        .collect();
    assert_eq!(fragments.len(), 1, "{found:#?}");
    assert!(fragments[0].message.contains("“#retention-periods”"));
    assert_eq!(
        fragments[0].context.as_deref(),
        Some("See how to contact us and [our retention periods ⟨no element has this id⟩] below.")
    );
}

#[tokio::test]
async fn mailto_and_tel_links_are_checked_for_syntax_only() {
    let (found, _server, _) = statuses().await;
    let contact: Vec<&Finding> = found
        .iter()
        .filter(|f| {
            f.url
                .as_deref()
                .is_some_and(|u| u.starts_with("mailto:") || u.starts_with("tel:"))
        })
        .collect();
    let urls: Vec<&str> = contact.iter().filter_map(|f| f.url.as_deref()).collect();
    assert_eq!(
        urls,
        vec!["mailto:privacy(at)example.com", "tel:call-us-now"]
    );
    assert!(contact.iter().all(|f| f.kind == FindingKind::Broken));
}

#[tokio::test]
async fn link_whose_href_is_no_url_is_broken() {
    let (found, _server, _) = statuses().await;
    let typo = about(&found, "https://exa mple.com/privacy");
    assert_eq!(typo.len(), 1, "{found:#?}");
    assert_eq!(typo[0].kind, FindingKind::Broken);
    assert_eq!(
        typo[0].context.as_deref(),
        Some("A typo in an address: [the example policy ⟨not a valid URL⟩].")
    );
}

#[tokio::test]
async fn excluded_link_and_sidebar_link_are_not_checked() {
    // The mock for /excluded/track expects no request (checked when the server drops); the
    // sidebar link is outside the content and would be a 404.
    let (found, server, _) = statuses().await;
    assert!(about(&found, "/excluded/track").is_empty());
    assert!(about(&found, "/sidebar-gone").is_empty());
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(!paths.iter().any(|p| p == "/sidebar-gone"), "{paths:?}");
    // Everything else on the page is what the other tests look at, and nothing more.
    assert_eq!(
        kinds(&found),
        // Grouped by kind, broken links first (issue 18), in page order within a kind.
        vec![
            FindingKind::Broken, // https://exa mple.com/privacy
            FindingKind::Broken, // mailto:privacy(at)example.com
            FindingKind::Broken, // tel:call-us-now
            FindingKind::Broken, // /gone
            FindingKind::BrokenFragment,
            FindingKind::Blocked,
            FindingKind::Redirected,
        ],
        "{found:#?}"
    );
}

#[tokio::test]
async fn slow_link_is_unreachable_after_the_link_timeout() {
    let server = MockServer::start().await;
    let page = fixture("links/slow.html").replace("https://links.example", &server.uri());
    serve(&server, "/status", page).await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let config = config_text(&format!(
        "[links]\ntimeout_secs = 1\nretries = 1\n\n{}",
        target(
            "status",
            &format!("{}/status", server.uri()),
            "check_links = true"
        )
    ));
    let started = Instant::now();
    let found = links(&config, &[]).await.remove(0);
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(kinds(&found), vec![FindingKind::Unreachable], "{found:#?}");
    assert!(
        found[0]
            .message
            .contains("timed out after 1 s (2 attempt(s))"),
        "{}",
        found[0].message
    );
}

#[tokio::test]
async fn clean_page_has_no_findings_at_all() {
    let server = MockServer::start().await;
    let page = fixture("links/clean.html").replace("https://links.example", &server.uri());
    serve(&server, "/privacy", page).await;
    for p in ["/processors", "/"] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
    }
    let config = config_text(&target(
        "clean",
        &format!("{}/privacy", server.uri()),
        "check_links = true\nlanguages = [\"en\", \"de\"]",
    ));
    let found = links(&config, &[]).await.remove(0);
    assert!(found.is_empty(), "{found:#?}");
}

// ---------------------------------------------------------------------------
// The binary: `links` exit codes, and `check` reporting once, then resolving once

#[tokio::test]
async fn links_command_exits_1_on_empty_german_links_and_0_once_fixed() {
    let g = GitBook::start().await;
    let work = Workdir::new(&g.targets());

    g.serve("base.html").await;
    let out = work
        .cmd()
        .args(["links", "crossengage-privacy", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let open = report["targets"][0]["open_findings"]
        .as_array()
        .expect("findings");
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|f| f["kind"] == "empty_link"));

    g.serve("edit-german-links-fixed.html").await;
    let out = work
        .cmd()
        .args(["links", "crossengage-privacy"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn links_command_exits_2_when_the_page_cannot_be_fetched() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let work = Workdir::new(&target(
        "missing",
        &format!("{}/gone", server.uri()),
        "check_links = true",
    ));
    let out = work.cmd().arg("links").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn empty_german_links_are_reported_once_then_resolved_once() {
    let g = GitBook::start().await;
    let work = Workdir::new(&g.targets());
    let check = || {
        let out = work
            .cmd()
            .args(["check", "--target", "crossengage-privacy"])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let count = |text: &str, needle: &str| text.lines().filter(|l| l.contains(needle)).count();

    g.serve("base.html").await;
    let run1 = check();
    assert_eq!(
        count(&run1, "! new: Empty link in the German section"),
        2,
        "{run1}"
    );
    assert_eq!(count(&run1, "new:"), 2, "{run1}");
    assert!(
        run1.contains("…erfahren Sie in der Privacy Policy auf [⟨empty link → "),
        "{run1}"
    );
    assert_eq!(count(&run1, "resolved:"), 0, "{run1}");

    let run2 = check();
    assert_eq!(count(&run2, "new:"), 0, "{run2}");
    assert_eq!(count(&run2, "resolved:"), 0, "{run2}");

    g.serve("edit-german-links-fixed.html").await;
    let run3 = check();
    assert_eq!(count(&run3, "new:"), 0, "{run3}");
    assert_eq!(
        count(&run3, "✓ resolved: Empty link in the German section"),
        2,
        "{run3}"
    );

    // Resolved means forgotten: a fourth run says nothing about the links.
    let run4 = check();
    assert_eq!(count(&run4, "resolved:"), 0, "{run4}");
    assert_eq!(count(&run4, "new:"), 0, "{run4}");
}
