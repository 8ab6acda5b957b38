//! Real pages from Open Terms Archive (tests/fixtures/realworld/, ODC-BY 1.0): each pair of
//! consecutive snapshots, replayed through the binary with only the URL configured, gets the
//! verdict it must get: `accept` the before page, then `diff` the after page (exit 1: a change
//! is reported, 0: none), and a reported change shows the words listed in its `shows`. Only the
//! command line is used, never library internals.

use std::path::{Path, PathBuf};

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::Workdir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realworld")
}

/// A stored page, served gzipped as it is stored: the client decodes it as a browser would.
fn page(name: &str) -> ResponseTemplate {
    let p = fixtures().join("pages").join(name);
    let body = std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()));
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/html; charset=utf-8")
        .insert_header("content-encoding", "gzip")
        .set_body_bytes(body)
}

async fn serve(server: &MockServer, at: &str, name: &str) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(page(name))
        .mount(server)
        .await;
}

/// What a run of the binary said: its exit code, and its stdout then its stderr.
struct Said {
    code: i32,
    output: String,
}

/// Runs the binary with `args` in `w`.
async fn run(w: &Workdir, args: &[&str]) -> Said {
    let mut cmd = w.cmd();
    cmd.args(args)
        .env("RUST_LOG", "error")
        .timeout(std::time::Duration::from_secs(120));
    let out = crate::common::run(cmd).await;
    Said {
        code: out.code,
        output: out.stdout + &out.stderr,
    }
}

/// The verdict on one pair: "alert", "quiet", or "before-fails"; with what the binary said.
async fn verdict(pair: &Value) -> (String, String) {
    let at = pair["path"].as_str().expect("path");
    let server = MockServer::start().await;
    // Only id, name and url: every default applies, as for a new user.
    let config = format!(
        "snapshot_dir = \"snapshots\"\n\n[http]\ntimeout_secs = 20\nretries = 0\n\n\
         [[target]]\nid = \"doc\"\nname = {}\nurl = \"{}{at}\"\n",
        pair["document"],
        server.uri()
    );
    let w = Workdir::with_config(&config);

    serve(&server, at, pair["before"].as_str().expect("before")).await;
    let accepted = run(&w, &["accept"]).await;
    match accepted.code {
        0 => {}
        1 => return ("before-fails".into(), accepted.output),
        c => return (format!("accept exited {c}"), accepted.output),
    }
    serve(&server, at, pair["after"].as_str().expect("after")).await;
    let diffed = run(&w, &["diff"]).await;
    let v = match diffed.code {
        0 => "quiet".to_string(),
        1 => "alert".to_string(),
        // Trouble with the page: not the document, so no change can be reported.
        2 => "after-fails".to_string(),
        c => format!("diff exited {c}"),
    };
    (v, diffed.output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_pairs_get_the_verdict_a_reader_expects() {
    let text = std::fs::read_to_string(fixtures().join("pairs.json")).expect("pairs.json");
    let pairs: Vec<Value> = serde_json::from_str(&text).expect("pairs.json parses");
    assert!(
        pairs.len() >= 20,
        "the regression subset holds at least 20 pairs"
    );
    for label in ["noise", "real"] {
        assert!(pairs.iter().any(|p| p["label"] == label), "no {label} pair");
    }

    // Two pairs at a time: each runs two processes against its own server.
    let mut wrong = Vec::new();
    for chunk in pairs.chunks(2) {
        let results = futures::future::join_all(chunk.iter().map(verdict)).await;
        for (pair, (got, output)) in chunk.iter().zip(results) {
            let expect = pair["expect"].as_str().expect("expect");
            // What a reader must see in the reported change: its changed words.
            let unseen: Vec<&str> = pair["shows"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|w| !output.contains(w))
                .collect();
            if got == expect && !unseen.is_empty() {
                wrong.push(format!(
                    "{} ({} → {}): the change does not show {unseen:?}\n{}",
                    pair["document"].as_str().unwrap_or("?"),
                    pair["before"].as_str().unwrap_or("?"),
                    pair["after"].as_str().unwrap_or("?"),
                    output.lines().take(30).collect::<Vec<_>>().join("\n"),
                ));
            }
            if got != expect {
                wrong.push(format!(
                    "{} ({} → {}), {}: expected {expect}, got {got}\n  covers: {}\n{}",
                    pair["document"].as_str().unwrap_or("?"),
                    pair["before"].as_str().unwrap_or("?"),
                    pair["after"].as_str().unwrap_or("?"),
                    pair["label"].as_str().unwrap_or("?"),
                    pair["covers"].as_str().unwrap_or("?"),
                    output.lines().take(30).collect::<Vec<_>>().join("\n"),
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} pairs got the wrong verdict:\n\n{}",
        wrong.len(),
        pairs.len(),
        wrong.join("\n\n")
    );
}

/// A cron job meets the site's home page served in place of the policy, twice, then the policy
/// again: no change is ever reported, "unreachable … not the document" is said once, and the
/// return is no change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_page_served_in_place_of_the_policy_is_a_failed_fetch_not_a_change() {
    let text = std::fs::read_to_string(fixtures().join("pairs.json")).expect("pairs.json");
    let pairs: Vec<Value> = serde_json::from_str(&text).expect("pairs.json parses");
    let pair = pairs
        .iter()
        .find(|p| p["expect"] == "after-fails")
        .expect("a pair whose after page is not the document");
    let at = pair["path"].as_str().expect("path");
    let server = MockServer::start().await;
    let config = format!(
        "snapshot_dir = \"snapshots\"\n\n[http]\ntimeout_secs = 20\nretries = 0\n\n\
         [[target]]\nid = \"doc\"\nname = \"Policy\"\nurl = \"{}{at}\"\n",
        server.uri()
    );
    let w = Workdir::with_config(&config);
    let policy = pair["before"].as_str().expect("before");
    let home = pair["after"].as_str().expect("after");

    serve(&server, at, policy).await;
    let first = run(&w, &["check"]).await;
    assert_eq!(first.code, 0, "{}", first.output);
    assert!(first.output.contains("now watching"), "{}", first.output);
    let stored = std::fs::read(w.snapshots().join("doc.md")).expect("snapshot");

    serve(&server, at, home).await;
    let once = run(&w, &["check"]).await;
    assert_eq!(
        once.code, 1,
        "a page that is not the document is a failed fetch: {}",
        once.output
    );
    assert!(once.output.contains("fetch failed"), "{}", once.output);
    assert!(once.output.contains("not the document"), "{}", once.output);
    let twice = run(&w, &["check"]).await;
    assert!(
        twice.output.contains("unreachable"),
        "said after two runs: {}",
        twice.output
    );
    for out in [&once.output, &twice.output] {
        assert!(!out.contains("changed"), "never a change: {out}");
    }
    assert_eq!(
        std::fs::read(w.snapshots().join("doc.md")).expect("snapshot"),
        stored,
        "the snapshot is not touched"
    );

    serve(&server, at, policy).await;
    let back = run(&w, &["check"]).await;
    assert_eq!(back.code, 0, "{}", back.output);
    assert!(
        !back.output.contains("changed"),
        "the return is no change: {}",
        back.output
    );
}
