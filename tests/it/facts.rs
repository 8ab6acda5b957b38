//! Policy facts end to end: a vendor's changed policy lists what the change means and where
//! the company page cites that vendor (by name, or by a link to its site); a change without
//! facts shows none; a section of the bilingual page that changes while its counterpart in the
//! other language does not is a finding until the counterpart follows.

use serde_json::Value;
use wiremock::MockServer;

use crate::common::{fixture, reserve, serve, Workdir};

/// The CrossEngage page and its two vendors, as the built-in config watches them.
fn three_targets(base: &str) -> String {
    format!(
        "[[target]]\nid = \"crossengage-privacy\"\nname = \"CrossEngage privacy policy\"\nurl = \"{base}/privacy-policy\"\nselect = [\"[data-content-ref-root]\", \"main\"]\nlanguages = [\"en\", \"de\"]\n\n\
         [[target]]\nid = \"appcues-privacy\"\nname = \"Appcues privacy policy\"\nurl = \"{base}/appcues\"\n\n\
         [[target]]\nid = \"mixpanel-privacy\"\nname = \"Mixpanel privacy policy\"\nurl = \"{base}/mixpanel\"\n"
    )
}

async fn serve_all(server: &MockServer, mixpanel: &str) {
    server.reset().await;
    serve(server, "/privacy-policy", fixture("gitbook/base.html")).await;
    serve(server, "/appcues", fixture("vendor/appcues.html")).await;
    serve(server, "/mixpanel", mixpanel.to_string()).await;
}

fn target<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no target {id} in {report}"))
}

#[tokio::test]
async fn a_vendor_change_names_its_facts_and_where_the_company_page_cites_it() {
    let server = MockServer::start().await;
    let work = Workdir::new(&three_targets(&server.uri()));
    serve_all(&server, &fixture("vendor/mixpanel.html")).await;
    assert_eq!(work.run(&["check"]).await.code, 0);

    // Mixpanel keeps account data longer and names a new sub-processor.
    let edited = fixture("vendor/mixpanel-edit.html").replacen(
        "</ul>",
        "</ul><p>We use Segment.io, Inc. to route product analytics.</p>",
        1,
    );
    assert_ne!(edited, fixture("vendor/mixpanel-edit.html"));
    serve_all(&server, &edited).await;
    let run = work.run(&["check", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("json report");
    let mixpanel = target(&report, "mixpanel-privacy");
    let facts = mixpanel["facts"].as_array().expect("facts");
    let has = |kind: &str, change: &str, before: Option<&str>, after: Option<&str>| {
        facts.iter().any(|f| {
            f["kind"] == kind
                && f["change"] == change
                && before.is_none_or(|b| f["before"] == b)
                && after.is_none_or(|a| f["after"] == a)
        })
    };
    assert!(
        has("duration", "changed", Some("30 days"), Some("90 days")),
        "{facts:#?}"
    );
    assert!(
        has("party", "added", None, Some("Segment.io, Inc.")),
        "{facts:#?}"
    );
    let retention = facts.iter().find(|f| f["kind"] == "duration").unwrap();
    assert_eq!(retention["about"], "retention");
    assert!(
        retention["context"]
            .as_str()
            .unwrap()
            .contains("up to 90 days afterwards"),
        "{retention}"
    );
    // Where the CrossEngage page cites Mixpanel: its English and its German subsection.
    let cited = &mixpanel["cited_in"];
    assert_eq!(cited[0]["target"], "crossengage-privacy", "{cited}");
    assert_eq!(
        cited[0]["sections"],
        serde_json::json!(["§Mixpanel (EN)", "§Mixpanel (DE)"]),
        "{cited}"
    );
    // The unchanged targets say nothing of facts.
    assert_eq!(
        target(&report, "appcues-privacy")["facts"],
        serde_json::json!([])
    );

    // The same change in text: the lines stand above the word diff.
    serve_all(&server, &fixture("vendor/mixpanel.html")).await;
    let work2 = Workdir::new(&three_targets(&server.uri()));
    assert_eq!(work2.run(&["check"]).await.code, 0);
    serve_all(&server, &edited).await;
    let text = work2.run(&["diff", "mixpanel-privacy"]).await;
    assert_eq!(text.code, 1, "{}", text.stderr);
    let out = &text.stdout;
    let cited_line = out
        .find("• Mixpanel's policy changed; cited in CrossEngage privacy policy, §Mixpanel (EN) and §Mixpanel (DE)")
        .unwrap_or_else(|| panic!("{out}"));
    let retention_line = out
        .find("• Retention: 30 days → 90 days")
        .unwrap_or_else(|| panic!("{out}"));
    let party_line = out
        .find("• New party: Segment.io, Inc.")
        .unwrap_or_else(|| panic!("{out}"));
    let diff_line = out.find("  ~ ").unwrap_or_else(|| panic!("{out}"));
    assert!(
        cited_line < retention_line && retention_line < diff_line && party_line < diff_line,
        "{out}"
    );
    // And in Markdown.
    let md = work2
        .run(&["diff", "mixpanel-privacy", "--format", "markdown"])
        .await;
    assert!(
        md.stdout.contains("- 📌 Retention: 30 days → 90 days"),
        "{}",
        md.stdout
    );
}

#[tokio::test]
async fn a_change_with_no_facts_shows_none() {
    let server = MockServer::start().await;
    let work = Workdir::new(&three_targets(&server.uri()));
    serve_all(&server, &fixture("vendor/mixpanel.html")).await;
    assert_eq!(work.run(&["check"]).await.code, 0);
    // Only where a link points changed: a change, but no fact.
    reserve(
        &server,
        "/privacy-policy",
        fixture("gitbook/edit-link-target.html"),
    )
    .await;
    serve(&server, "/appcues", fixture("vendor/appcues.html")).await;
    serve(&server, "/mixpanel", fixture("vendor/mixpanel.html")).await;
    let run = work.run(&["diff", "--format", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("json report");
    let page = target(&report, "crossengage-privacy");
    assert_eq!(page["status"], "changed", "{page}");
    assert_eq!(page["facts"], serde_json::json!([]), "{page}");
    let text = work.run(&["diff", "crossengage-privacy"]).await;
    assert!(!text.stdout.contains('•'), "{}", text.stdout);
}

/// The CrossEngage page, the two vendors as they are, at `server`.
async fn serve_company(server: &MockServer, company: &str) {
    server.reset().await;
    serve(server, "/privacy-policy", company.to_string()).await;
    serve(server, "/appcues", fixture("vendor/appcues.html")).await;
    serve(server, "/mixpanel", fixture("vendor/mixpanel.html")).await;
}

/// `check --format json`, which must succeed, as JSON.
async fn check_json(work: &Workdir) -> Value {
    let run = work.run(&["check", "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("json report")
}

/// The ids and kinds of a report's findings of one list (`new_findings`, …).
fn findings_of<'a>(t: &'a Value, list: &str) -> Vec<&'a Value> {
    t[list]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The company page with a word added to its English Appcues paragraph, the German one as it
/// was.
fn english_appcues_changed(base: &str) -> String {
    let english = base.replacen(
        "smooth, personalized user onboarding",
        "smooth, personalized and guided user onboarding",
        1,
    );
    assert_ne!(
        english, base,
        "the fixture holds the English Appcues paragraph"
    );
    english
}

fn drifts<'a>(t: &'a Value, list: &str) -> Vec<&'a Value> {
    findings_of(t, list)
        .into_iter()
        .filter(|f| f["kind"] == "language_drift")
        .collect()
}

#[tokio::test]
async fn an_english_section_changed_alone_is_a_finding_until_the_german_one_follows() {
    let server = MockServer::start().await;
    let work = Workdir::new(&three_targets(&server.uri()));
    let base = fixture("gitbook/base.html");
    serve_company(&server, &base).await;
    assert_eq!(work.run(&["check"]).await.code, 0);

    // The English Appcues paragraph gains a word; the German one says what it said.
    let english = english_appcues_changed(&base);
    serve_company(&server, &english).await;
    let report = check_json(&work).await;
    let page = target(&report, "crossengage-privacy");
    assert_eq!(page["status"], "changed", "{page}");
    let opened = drifts(page, "new_findings");
    assert_eq!(opened.len(), 1, "{page}");
    assert_eq!(
        opened[0]["message"],
        "English §Appcues changed; the German section did not"
    );
    assert_eq!(opened[0]["section"], "de: Appcues");
    let id = opened[0]["id"].clone();
    let state = work.snapshot("crossengage-privacy.state.json");

    // The page stays as it is: the finding holds, nothing is said again, nothing is written.
    let report = check_json(&work).await;
    let page = target(&report, "crossengage-privacy");
    assert_eq!(page["status"], "unchanged", "{page}");
    assert!(drifts(page, "new_findings").is_empty(), "{page}");
    assert!(findings_of(page, "resolved_findings").is_empty(), "{page}");
    assert!(
        drifts(page, "open_findings").iter().any(|f| f["id"] == id),
        "still open: {page}"
    );
    assert_eq!(work.snapshot("crossengage-privacy.state.json"), state);

    // The German paragraph follows: resolved, once, and that change is no drift of its own.
    let both = english.replacen(
        "reibungslosen, personalisierten User Onboarding",
        "reibungslosen, personalisierten und geführten User Onboarding",
        1,
    );
    assert_ne!(both, english);
    serve_company(&server, &both).await;
    let report = check_json(&work).await;
    let page = target(&report, "crossengage-privacy");
    let resolved = findings_of(page, "resolved_findings");
    assert!(resolved.iter().any(|f| f["id"] == id), "{page}");
    assert!(drifts(page, "new_findings").is_empty(), "{page}");
    assert!(drifts(page, "open_findings").is_empty(), "{page}");
}

#[tokio::test]
async fn a_section_changed_alone_in_the_run_that_changes_the_rules_is_a_finding_too() {
    let server = MockServer::start().await;
    let work = Workdir::new(&three_targets(&server.uri()));
    let base = fixture("gitbook/base.html");
    serve_company(&server, &base).await;
    assert_eq!(work.run(&["check"]).await.code, 0);

    // The company page's rules change (an ignore rule that matches nothing on it) in the run
    // in which the English Appcues paragraph gains a word and the German one does not.
    let config = std::fs::read_to_string(work.config()).unwrap();
    let config = config.replacen(
        "languages = [\"en\", \"de\"]\n",
        "languages = [\"en\", \"de\"]\nignore = [\"^no block says this$\"]\n",
        1,
    );
    std::fs::write(work.config(), config).unwrap();
    let english = english_appcues_changed(&base);
    serve_company(&server, &english).await;
    let report = check_json(&work).await;
    let page = target(&report, "crossengage-privacy");
    assert_eq!(page["status"], "changed", "{page}");
    assert_eq!(page["rebaselined"], true, "{page}");
    let opened = drifts(page, "new_findings");
    assert_eq!(opened.len(), 1, "{page}");
    assert_eq!(
        opened[0]["message"],
        "English §Appcues changed; the German section did not"
    );
}

#[tokio::test]
async fn a_vendor_change_names_a_section_that_only_links_to_the_vendors_site() {
    // Three sites: the company page and each vendor on a server of its own.
    let (company, appcues, mixpanel) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    let config = format!(
        "[[target]]\nid = \"crossengage-privacy\"\nname = \"CrossEngage privacy policy\"\nurl = \"{}/privacy-policy\"\nselect = [\"[data-content-ref-root]\", \"main\"]\nlanguages = [\"en\", \"de\"]\n\n\
         [[target]]\nid = \"appcues-privacy\"\nname = \"Appcues privacy policy\"\nurl = \"{}/privacy\"\n\n\
         [[target]]\nid = \"mixpanel-privacy\"\nname = \"Mixpanel privacy policy\"\nurl = \"{}/privacy/\"\n",
        company.uri(),
        appcues.uri(),
        mixpanel.uri()
    );
    let work = Workdir::new(&config);
    // The page links to the vendors where they are served; its English Mixpanel section also
    // links to Appcues' site, without naming Appcues.
    let tours = format!(
        "<p class=\"paragraph\">Product tours inside the platform come from <a href=\"{}/product/tours\">our onboarding partner</a>.</p>",
        appcues.uri()
    );
    let page = fixture("gitbook/base.html")
        .replace(
            "https://www.appcues.com/privacy",
            &format!("{}/privacy", appcues.uri()),
        )
        .replace(
            "https://mixpanel.com/privacy/",
            &format!("{}/privacy/", mixpanel.uri()),
        )
        .replacen(
            "<p class=\"paragraph\">Further information from the third-party provider",
            &format!(
                "{tours}<p class=\"paragraph\">Further information from the third-party provider"
            ),
            1,
        );
    assert!(page.contains("/product/tours"));
    serve(&company, "/privacy-policy", page.clone()).await;
    serve(&appcues, "/privacy", fixture("vendor/appcues.html")).await;
    serve(&mixpanel, "/privacy/", fixture("vendor/mixpanel.html")).await;
    assert_eq!(work.run(&["check"]).await.code, 0);
    let stored = work.snapshot("crossengage-privacy.md");
    let english_mixpanel = stored
        .split("### Mixpanel")
        .nth(1)
        .and_then(|s| s.split("## ").next())
        .expect("the English Mixpanel section");
    assert!(
        english_mixpanel.contains("/product/tours"),
        "{english_mixpanel}"
    );
    assert!(!english_mixpanel.contains("Appcues"), "{english_mixpanel}");

    // Appcues' policy changes.
    let edited = fixture("vendor/appcues.html").replacen(
        "request a demo, subscribe",
        "request a demo, join a webinar, subscribe",
        1,
    );
    assert_ne!(edited, fixture("vendor/appcues.html"));
    appcues.reset().await;
    serve(&appcues, "/privacy", edited).await;
    let report = check_json(&work).await;
    let vendor = target(&report, "appcues-privacy");
    assert_eq!(vendor["status"], "changed", "{vendor}");
    let cited = &vendor["cited_in"];
    assert_eq!(cited[0]["target"], "crossengage-privacy", "{cited}");
    assert_eq!(
        cited[0]["sections"],
        serde_json::json!(["§Appcues (EN)", "§Mixpanel (EN)", "§Appcues (DE)"]),
        "named in both Appcues sections, linked from the English Mixpanel one: {cited}"
    );
}
