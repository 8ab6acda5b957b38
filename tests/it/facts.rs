//! Policy facts end to end: a vendor's changed policy lists what the change means and where
//! the company page cites that vendor; a change without facts shows none.

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
