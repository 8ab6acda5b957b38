//! The README's walk from a fresh clone to the first alert, followed as a newcomer would: the
//! commands are read out of the README's section, in its order, and run through the binary in
//! a git clone of the shipped config, against local copies of the three pages and a local
//! Slack. The first command leaves `git status` clean; the first Slack alert shows the German
//! empty links.

use std::path::Path;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common::{fixture, html, run, slack_bodies, slack_ok, Workdir, SLACK_WEBHOOK_PATH};

const PAGE_PATH: &str = "/data-and-engagement-platform/help-and-support/privacy-policy";

/// The commands of the README's walk, as written: each `policy-watch …` line and each
/// `export NAME=…` of its code blocks, in order.
fn walk_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("\n## From a fresh clone to the first alert")
        .expect("the README has the walk");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut out = Vec::new();
    let mut fence = false;
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence && (line.starts_with("policy-watch ") || line.starts_with("export ")) {
            out.push(line.to_string());
        }
    }
    out
}

/// Runs git in `dir` as a committer named `t`; its stdout.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_readme_walk_reaches_a_first_slack_alert_that_shows_the_german_empty_links() {
    // The three pages of the shipped config, each on a server of its own.
    let (page, appcues, mixpanel, slack) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    let local = |text: &str| {
        text.replace("https://documentation.crossengage.io", &page.uri())
            .replace("https://www.appcues.com", &appcues.uri())
            .replace("https://mixpanel.com", &mixpanel.uri())
    };
    for (server, at, body) in [
        (&page, PAGE_PATH, local(&fixture("gitbook/base.html"))),
        (&appcues, "/privacy", fixture("vendor/appcues.html")),
        (&mixpanel, "/privacy/", fixture("vendor/mixpanel.html")),
    ] {
        Mock::given(path(at))
            .respond_with(html(body))
            .mount(server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;

    // A clone: the shipped config (pointed at the local pages) and the snapshot folder with
    // its README, committed.
    let w = Workdir::new("");
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policy-watch.toml"))
            .expect("policy-watch.toml");
    std::fs::write(w.config(), local(&shipped)).unwrap();
    std::fs::create_dir_all(w.snapshots()).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/README.md"),
        w.snapshots().join("README.md"),
    )
    .unwrap();
    git(w.path(), &["init", "--quiet"]);
    git(w.path(), &["add", "."]);
    git(w.path(), &["commit", "--quiet", "-m", "clone"]);

    let commands = walk_commands();
    let first_check = commands
        .iter()
        .position(|c| c.starts_with("policy-watch check"))
        .expect("the walk runs check");
    assert!(
        commands[first_check].contains("--dry-run"),
        "the walk's first check must be a dry run: {commands:?}"
    );
    let mut webhook = None;
    let mut last = None;
    for (i, command) in commands.iter().enumerate() {
        if let Some(assignment) = command.strip_prefix("export ") {
            let (name, _) = assignment.split_once('=').expect("NAME=value");
            assert_eq!(name, "SLACK_WEBHOOK_URL", "{command}");
            webhook = Some(format!("{}{SLACK_WEBHOOK_PATH}", slack.uri()));
            continue;
        }
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let mut cmd = w.cmd();
        cmd.args(&args);
        if let Some(url) = &webhook {
            cmd.env("SLACK_WEBHOOK_URL", url);
        }
        let out = run(cmd).await;
        // validate says "problem" (exit 1) for the page's empty links; the rest succeed.
        let expected = if args[0] == "validate" { 1 } else { 0 };
        assert_eq!(out.code, expected, "`{command}`: {out:?}");
        if i == first_check {
            assert!(out.stdout.starts_with("dry run: "), "{}", out.stdout);
            assert!(out
                .stdout
                .contains("erfahren Sie in der Privacy Policy auf"));
            assert_eq!(
                git(w.path(), &["status", "--porcelain"]),
                "",
                "the first check leaves the clone clean"
            );
        }
        if args[0] == "check" && !args.contains(&"--dry-run") {
            last = Some(out);
        }
    }
    assert!(
        last.is_some(),
        "the walk ends in a real check: {commands:?}"
    );

    // The first (and only) alerts that reached Slack: the CrossEngage page's findings, both
    // German empty links in their sentences.
    let posted = slack_bodies(&slack, SLACK_WEBHOOK_PATH).await;
    let crossengage: Vec<String> = posted
        .iter()
        .map(|b| b.to_string())
        .filter(|b| b.contains("CrossEngage privacy policy"))
        .collect();
    assert_eq!(crossengage.len(), 1, "{posted:#?}");
    let alert = &crossengage[0];
    assert!(alert.contains("New findings"), "{alert}");
    assert!(!alert.contains("earlier findings"), "{alert}");
    assert!(
        alert.contains("erfahren Sie in der Privacy Policy auf"),
        "{alert}"
    );
    assert!(
        alert.contains("der nachfolgenden Webseite entnehmen"),
        "{alert}"
    );
}
