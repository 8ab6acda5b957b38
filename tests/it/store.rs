//! The snapshot folder tried as an adversary would: a journal, lock or working folder planted
//! in it, alert state that was edited by hand, a disk that is nearly full, a snapshot that is
//! damaged rather than unreachable; and the per-target alert state (migrated from the single
//! `state.json` of earlier releases, pruned, written only when it changes).

use std::path::Path;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common::{
    all_files, reserve, serve, slack_bodies, slack_ok, slack_posted, target, Tmpfs, Workdir,
    FAST_HTTP, SLACK_BOT_TOKEN, SLACK_WEBHOOK_PATH,
};

/// A policy page whose paragraph says `word`.
pub(crate) fn page(word: &str) -> String {
    format!(
        "<html><body><main><h1>Privacy policy</h1>\
         <p>We collect your {word} to provide the service, and we keep it only as long as the contract with you runs.</p>\
         <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>\
         </main></body></html>"
    )
}

/// A page with an empty link (a finding reported once).
pub(crate) fn page_with_empty_link(word: &str) -> String {
    page(word).replace(
        "</main>",
        "<p>Read more in the <a href=\"https://vendor.example/privacy\"></a> of our vendor.</p></main>",
    )
}

/// Targets with these ids, each at `/<id>` on `server`.
pub(crate) fn targets(server: &MockServer, ids: &[&str]) -> Workdir {
    Workdir::new(&config_of(server, ids))
}

fn config_of(server: &MockServer, ids: &[&str]) -> String {
    ids.iter()
        .map(|id| target(id, &format!("{}/{id}", server.uri()), ""))
        .collect()
}

/// Rewrites the config of `w` to hold these targets.
pub(crate) fn reconfigure(w: &Workdir, server: &MockServer, ids: &[&str]) {
    let cfg = format!(
        "snapshot_dir = \"snapshots\"\n\n{FAST_HTTP}\n{}",
        config_of(server, ids)
    );
    std::fs::write(w.config(), cfg).unwrap();
}

fn work(w: &Workdir) -> std::path::PathBuf {
    w.snapshots().join(".policy-watch")
}

// --- The journal --------------------------------------------------------------------------

#[tokio::test]
async fn a_journal_naming_files_the_store_never_staged_is_refused_and_nothing_moves() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    serve(&server, "/t2", page("name")).await;
    let w = targets(&server, &["a", "t2"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let t2 = w.snapshot("t2.md");
    // What a hostile commit adds: a script beside the snapshots, and a journal force-added.
    let script = "#!/bin/sh\necho pwned > /tmp/pwned\n";
    std::fs::write(w.snapshots().join("notes.txt"), script).unwrap();
    let hooks = w.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let outside = w.path().join("outside.txt");
    std::fs::write(&outside, "keep me\n").unwrap();
    let abs = outside.display().to_string();
    for journal in [
        format!(r#"{{"renames":[["{abs}","../../victim"]]}}"#),
        r#"{"renames":[["../notes.txt","../../.git/hooks/pre-commit"]]}"#.to_string(),
        r#"{"renames":[["../notes.txt","t2.md"]]}"#.to_string(),
        r#"{"renames":[["notes.txt","t2.md"]]}"#.to_string(),
        r#"{"renames":[["a.md.1.0.tmp","a.md"],["t2.md.1.0.tmp","t2.md"]]}"#.to_string(),
        "#!/bin/sh\nnot a journal\n".to_string(),
    ] {
        reserve(&server, "/a", page("phone number")).await;
        serve(&server, "/t2", page("name")).await;
        let path = work(&w).join("commit.json");
        std::fs::write(&path, &journal).unwrap();
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 2, "{journal}: {run:?}");
        assert!(
            run.stderr.contains("refused") && run.stderr.contains("commit.json"),
            "the refusal names the journal: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("changed"),
            "nothing is delivered past a refused journal: {}",
            run.stdout
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            journal,
            "left alone"
        );
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me\n");
        assert_eq!(
            std::fs::read_to_string(w.snapshots().join("notes.txt")).unwrap(),
            script
        );
        assert!(!hooks.join("pre-commit").exists());
        assert!(!w.path().join("victim").exists() && !w.path().join("../victim").exists());
        assert_eq!(w.snapshot("t2.md"), t2);
        std::fs::remove_file(&path).unwrap();
    }
    // Once the journal is gone, the run goes on as usual.
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("{+phone number+}"), "{}", run.stdout);
}

// --- Links planted in the store's folder ----------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn a_lock_file_that_is_a_link_or_not_a_plain_file_is_refused_and_its_target_untouched() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    let w = targets(&server, &["a"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let victim = w.path().join("victim.txt");
    let lock = work(&w).join("lock");
    reserve(&server, "/a", page("phone number")).await;
    for how in ["symlink", "hard link", "fifo"] {
        std::fs::write(&victim, "precious\n").unwrap();
        std::fs::remove_file(&lock).unwrap();
        match how {
            "symlink" => std::os::unix::fs::symlink(&victim, &lock).unwrap(),
            "hard link" => std::fs::hard_link(&victim, &lock).unwrap(),
            _ => assert!(std::process::Command::new("mkfifo")
                .arg(&lock)
                .status()
                .unwrap()
                .success()),
        }
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 2, "{how}: {run:?}");
        assert!(
            run.stderr.contains("refused") && run.stderr.contains("lock"),
            "{how}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("changed"), "{how}: {}", run.stdout);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(w.run(&["check"]).await.code, 0);
}

#[cfg(unix)]
#[tokio::test]
async fn links_planted_where_the_store_writes_are_replaced_never_followed() {
    let server = MockServer::start().await;
    serve(&server, "/a", page_with_empty_link("e-mail")).await;
    let w = targets(&server, &["a"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let victim = w.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    for name in [
        ".policy-watch/.gitignore",
        ".policy-watch/running",
        "a.state.json",
    ] {
        let at = w.snapshots().join(name);
        let _ = std::fs::remove_file(&at);
        std::os::unix::fs::symlink(&victim, &at).unwrap();
    }
    reserve(&server, "/a", page_with_empty_link("phone number")).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("a.state.json") && run.stderr.contains("symbolic link"),
        "a linked state is not read, and says so: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("precious") && !run.stderr.contains("precious"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for name in [".policy-watch/.gitignore", "a.state.json"] {
        let meta = std::fs::symlink_metadata(w.snapshots().join(name)).unwrap();
        assert!(meta.file_type().is_file(), "{name} is a plain file again");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_working_folder_that_is_a_link_is_refused_before_any_alert() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    let w = targets(&server, &["a"]);
    std::fs::create_dir_all(w.snapshots()).unwrap();
    // Elsewhere, on another file system where there is one.
    let elsewhere = if Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm").unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    std::os::unix::fs::symlink(elsewhere.path(), work(&w)).unwrap();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(".policy-watch") && run.stderr.contains("symbolic link"),
        "the error names the working folder: {}",
        run.stderr
    );
    assert!(!run.stdout.contains("now watching"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing is written through the link"
    );
    assert!(!w.snapshots().join("a.md").exists());
}

#[tokio::test]
async fn a_working_folder_on_another_file_system_is_refused_before_any_alert() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    let w = targets(&server, &["a"]);
    let test = "a_working_folder_on_another_file_system_is_refused_before_any_alert";
    let Some(_fs) = Tmpfs::mount(&work(&w), "1m", test) else {
        return;
    };
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(".policy-watch") && run.stderr.contains("another file system"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("now watching"), "{}", run.stdout);
    assert!(!w.snapshots().join("a.md").exists());
}

// --- The lock ---------------------------------------------------------------------------------

#[tokio::test]
async fn an_unchanged_run_leaves_every_file_byte_identical_the_lock_included() {
    let server = MockServer::start().await;
    serve(&server, "/a", page_with_empty_link("e-mail")).await;
    serve(&server, "/b", page("name")).await;
    let w = targets(&server, &["a", "b"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let before = all_files(&w.snapshots());
    assert!(
        before.iter().any(|(n, _)| n.ends_with("lock")),
        "{before:?}"
    );
    for _ in 0..2 {
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(all_files(&w.snapshots()), before);
    }
}

#[tokio::test]
async fn escape_codes_in_the_lock_holder_never_reach_the_terminal() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a"))
        .respond_with(
            crate::common::html(page("e-mail")).set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let w = targets(&server, &["a"]);
    let mut first = w.cmd();
    first.arg("check");
    let first = tokio::task::spawn_blocking(move || first.output().unwrap());
    let holder = work(&w).join("running");
    for _ in 0..100 {
        if std::fs::read_to_string(&holder).is_ok_and(|s| !s.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::fs::write(&holder, "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mEVIL\r\n").unwrap();
    let second = w.run(&["check"]).await;
    assert_eq!(second.code, 2, "{second:?}");
    assert!(second.stderr.contains("EVIL"), "{}", second.stderr);
    assert!(
        !second.stderr.contains('\u{1b}') && !second.stderr.contains('\u{7}'),
        "raw escape codes on stderr: {:?}",
        second.stderr
    );
    assert_eq!(first.await.unwrap().status.code(), Some(0));
}

// --- Damaged, not unreachable ----------------------------------------------------------

#[tokio::test]
async fn a_snapshot_that_is_not_utf8_is_damaged_never_unreachable() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    serve(&server, "/b", page("name")).await;
    let w = targets(&server, &["a", "b"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    std::fs::write(w.snapshots().join("a.md"), b"\xff\xfe not text \xc0\n").unwrap();
    for _ in 0..3 {
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        let a = run.stdout.split("b policy").next().unwrap();
        assert!(
            a.contains("snapshot damaged") && a.contains("a.md") && a.contains("UTF-8"),
            "{}",
            run.stdout
        );
        assert!(
            !a.contains("unreachable") && !a.contains("fetch failed"),
            "{}",
            run.stdout
        );
    }
    assert_eq!(w.run(&["accept", "a"]).await.code, 0);
    assert_eq!(w.run(&["diff", "a"]).await.code, 0);
}

#[tokio::test]
async fn a_garbage_stored_page_under_new_rules_is_damaged_never_unreachable() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    let w = targets(&server, &["a"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    std::fs::write(
        w.snapshots().join("a.html"),
        "<html><body>\u{0}garbage</body></html>",
    )
    .unwrap();
    // A change of rules re-baselines from the stored page, which no longer holds one.
    let cfg = std::fs::read_to_string(w.config()).unwrap();
    std::fs::write(
        w.config(),
        cfg.replace("a policy\"", "a policy\"\nignore = [\"^Cookie notice\"]"),
    )
    .unwrap();
    for _ in 0..3 {
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.contains("snapshot damaged") && run.stdout.contains("a.html"),
            "{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains("unreachable") && !run.stdout.contains("fetch failed"),
            "{}",
            run.stdout
        );
    }
    assert_eq!(w.run(&["accept", "a"]).await.code, 0);
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
}

// --- A disk that is nearly full -----------------------------------------------------------------

/// A page of some 300 KB; `word` changes one paragraph.
fn big_page(word: &str) -> String {
    let mut body = String::from("<html><body><main><h1>Privacy policy</h1>");
    for i in 0..2600 {
        let w = if i == 1300 { word } else { "contact details" };
        body.push_str(&format!(
            "<p>Clause {i}: we keep the {w} of our customers only as long as the contract runs.</p>"
        ));
    }
    body.push_str("</main></body></html>");
    body
}

#[tokio::test]
async fn a_nearly_full_disk_holds_the_alert_back_instead_of_repeating_it() {
    let test = "a_nearly_full_disk_holds_the_alert_back_instead_of_repeating_it";
    let server = MockServer::start().await;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;
    serve(&server, "/a", big_page("e-mail")).await;
    let w = targets(&server, &["a"]);
    let Some(fs) = Tmpfs::mount(&w.path().join("fs"), "2m", test) else {
        return;
    };
    let cfg = std::fs::read_to_string(w.config()).unwrap();
    std::fs::write(
        w.config(),
        cfg.replace(
            "snapshot_dir = \"snapshots\"",
            "snapshot_dir = \"fs/snapshots\"",
        ),
    )
    .unwrap();
    let snapshots = fs.at.join("snapshots");
    let check = || {
        let mut cmd = w.cmd();
        cmd.env(
            "SLACK_WEBHOOK_URL",
            format!("{}{SLACK_WEBHOOK_PATH}", slack.uri()),
        )
        .arg("check");
        crate::common::run(cmd)
    };
    assert_eq!(check().await.code, 0);
    assert_eq!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(), 1);
    let stored = std::fs::read_to_string(snapshots.join("a.md")).unwrap();

    // The page changes while the disk has room for a few small files, not for the snapshot.
    reserve(&server, "/a", big_page("postal address")).await;
    fs.fill(64 * 1024);
    for _ in 0..3 {
        let run = check().await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("could not stage") && run.stderr.contains("No space"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.contains("not sent"), "{}", run.stdout);
        assert_eq!(
            std::fs::read_to_string(snapshots.join("a.md")).unwrap(),
            stored
        );
        let left: Vec<String> = std::fs::read_dir(snapshots.join(".policy-watch"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".gitignore" && n != "lock")
            .collect();
        assert!(left.is_empty(), "nothing staged is left behind: {left:?}");
    }
    assert_eq!(
        slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(),
        1,
        "no alert goes out that cannot be stored"
    );

    // Room again: the alert goes out once, and is stored.
    fs.free();
    let run = check().await;
    assert_eq!(run.code, 0, "{run:?}");
    let bodies = slack_bodies(&slack, SLACK_WEBHOOK_PATH).await;
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(bodies[1].to_string().contains("postal address"));
    assert!(std::fs::read_to_string(snapshots.join("a.md"))
        .unwrap()
        .contains("postal address"));
    assert_eq!(check().await.code, 0);
    assert_eq!(slack_bodies(&slack, SLACK_WEBHOOK_PATH).await.len(), 2);
}

// --- Per-target alert state ------------------------------------------------------------------

/// `snapshots/<id>.state.json` as JSON.
pub(crate) fn state_of(w: &Workdir, id: &str) -> serde_json::Value {
    serde_json::from_str(&w.snapshot(&format!("{id}.state.json"))).unwrap()
}

#[tokio::test]
async fn a_bad_alert_state_is_reset_and_reported_for_that_target_alone() {
    let server = MockServer::start().await;
    let ids = ["a", "b", "c", "d", "e", "f"];
    for id in ids {
        serve(&server, &format!("/{id}"), page_with_empty_link("e-mail")).await;
    }
    let w = targets(&server, &ids);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let good = w.snapshot("c.state.json");
    let hash = format!("sha256:{}", "0".repeat(64));
    let place = r#"{"lang":"en","section":0,"part":1,"heading":"A","hash":"0000000000000000"}"#;
    let edits: [(&str, String); 5] = [
        // A remembered date at the end of time.
        (
            "a",
            format!(r#"{{"versions":[{{"hash":"{hash}","seen":"9999-12-30T00:00:00Z"}}]}}"#),
        ),
        // Not JSON at all.
        ("b", "{not json".into()),
        // Hostile counts.
        (
            "d",
            r#"{"consecutive_failures":4000000000,"failure_alerted":true}"#.into(),
        ),
        // Far larger than any state policy-watch writes.
        (
            "e",
            format!(
                r#"{{"findings":{{"x":{{"kind":"empty_link","summary":"{}","consecutive":1,"reported":true}}}}}}"#,
                "x".repeat(5 << 20)
            ),
        ),
        // A language drift held open for a finding the state does not hold.
        (
            "f",
            format!(
                r#"{{"drift":[{{"id":"language-drift:f:de-1:part-2:en","changed":{place},"counterpart":{}}}]}}"#,
                place.replace("\"en\"", "\"de\"")
            ),
        ),
    ];
    for (id, text) in &edits {
        std::fs::write(w.snapshots().join(format!("{id}.state.json")), text).unwrap();
    }
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "every target is processed: {run:?}");
    for (id, why) in [
        ("a", "outside the years"),
        ("b", "not valid alert state"),
        ("d", "failures in a row"),
        ("e", "larger than"),
        ("f", "not among the findings"),
    ] {
        assert!(
            run.stderr.contains(&format!("{id}.state.json")) && run.stderr.contains(why),
            "{id}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("c.state.json"), "{}", run.stderr);
    assert_eq!(w.snapshot("c.state.json"), good, "c is left as it was");
    // A reset state knows no finding: reported again for those targets, never for c.
    assert_eq!(
        run.stdout.matches("new findings").count(),
        5,
        "{}",
        run.stdout
    );
    // Repaired in that run: the next one is quiet and warns of nothing.
    let again = w.run(&["check"]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(!again.stderr.contains("state.json"), "{}", again.stderr);
    assert!(!again.stdout.contains("new findings"), "{}", again.stdout);
    assert!(w.snapshot("e.state.json").len() < 4096);
}

#[tokio::test]
async fn a_hostile_posted_count_never_marks_a_thread_as_sent() {
    let server = MockServer::start().await;
    let slack = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    let w = targets(&server, &["a"]);
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline without Slack");
    reserve(&server, "/a", page("e-mail and phone number")).await;
    let with_slack = || {
        let mut cmd = w.cmd();
        cmd.env("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
            .env("SLACK_CHANNEL", "C0TEST")
            .env("SLACK_API_URL", format!("{}/api", slack.uri()))
            .arg("check");
        crate::common::run(cmd)
    };
    // Slack takes the summary and refuses the thread: the state remembers the summary.
    let posts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = posts.clone();
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(move |_: &wiremock::Request| {
            if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                slack_posted("1700000000.000100")
            } else {
                wiremock::ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"ok": false, "error": "not_in_channel"}))
            }
        })
        .mount(&slack)
        .await;
    assert_eq!(with_slack().await.code, 1);
    let mut state = state_of(&w, "a");
    assert_eq!(state["thread"]["posted"], 0, "{state}");
    // Someone claims the whole thread went out.
    state["thread"]["posted"] = 999.into();
    std::fs::write(w.snapshots().join("a.state.json"), state.to_string()).unwrap();

    slack.reset().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(slack_posted("1700000000.000200"))
        .mount(&slack)
        .await;
    let run = with_slack().await;
    assert_eq!(run.code, 0, "{run:?}");
    let bodies = slack_bodies(&slack, "/api/chat.postMessage").await;
    let text = serde_json::to_string(&bodies).unwrap();
    assert!(
        bodies.len() >= 2 && text.contains("phone number"),
        "the diff is posted, not taken as sent: {bodies:?}"
    );
}

#[tokio::test]
async fn a_single_state_json_is_migrated_once_and_removed() {
    let server = MockServer::start().await;
    serve(&server, "/a", page_with_empty_link("e-mail")).await;
    serve(&server, "/b", page_with_empty_link("name")).await;
    let w = targets(&server, &["a", "b"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let (a, b) = (state_of(&w, "a"), state_of(&w, "b"));
    let after_first = all_files(&w.snapshots());
    // The layout of an earlier release: one file, with a target that is gone and a bad entry.
    let legacy = serde_json::json!({"targets": {
        "a": a,
        "b": b,
        "gone": a,
    }});
    std::fs::write(
        w.snapshots().join("state.json"),
        serde_json::to_string_pretty(&legacy).unwrap(),
    )
    .unwrap();
    for id in ["a", "b"] {
        std::fs::remove_file(w.snapshots().join(format!("{id}.state.json"))).unwrap();
    }
    // A dry run reads it and writes nothing.
    let dry = w.run(&["check", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(!dry.stdout.contains("new findings"), "{}", dry.stdout);
    assert!(w.snapshots().join("state.json").exists());

    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stdout.contains("new findings"),
        "what was reported stays reported: {}",
        run.stdout
    );
    assert!(!w.snapshots().join("state.json").exists(), "migrated once");
    assert!(!w.snapshots().join("gone.state.json").exists());
    assert_eq!(
        all_files(&w.snapshots()),
        after_first,
        "the same files as a run of this release"
    );

    // A bad entry costs its target alone.
    let legacy = serde_json::json!({"targets": {
        "a": a,
        "b": {"versions": [{"hash": "sha256:00", "seen": "-009999-01-01T00:00:00Z"}]},
    }});
    std::fs::write(w.snapshots().join("state.json"), legacy.to_string()).unwrap();
    for id in ["a", "b"] {
        std::fs::remove_file(w.snapshots().join(format!("{id}.state.json"))).unwrap();
    }
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("b: its entry in") && !run.stderr.contains("a: its entry"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stdout.matches("new findings").count(),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(state_of(&w, "a"), a);
}

#[tokio::test]
async fn a_run_of_some_targets_neither_migrates_nor_prunes() {
    let server = MockServer::start().await;
    for id in ["a", "b", "c"] {
        serve(&server, &format!("/{id}"), page_with_empty_link(id)).await;
    }
    let w = targets(&server, &["a", "b", "c"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let (a, b) = (state_of(&w, "a"), state_of(&w, "b"));
    // An earlier release's single file, and a target since removed from the config.
    let legacy = serde_json::json!({"targets": {"a": a, "b": b}}).to_string();
    std::fs::write(w.snapshots().join("state.json"), &legacy).unwrap();
    for id in ["a", "b"] {
        std::fs::remove_file(w.snapshots().join(format!("{id}.state.json"))).unwrap();
    }
    reconfigure(&w, &server, &["a", "b"]);
    let before = all_files(&w.snapshots());

    // A run of one target (as a shard is) reads its entry where it is and writes nothing.
    let run = w.run(&["check", "a"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stdout.contains("new findings"),
        "what was reported stays reported: {}",
        run.stdout
    );
    assert_eq!(
        all_files(&w.snapshots()),
        before,
        "not migrated half-way, nothing pruned"
    );

    // A change of that target is stored in its own file; `state.json` stays whole.
    reserve(&server, "/a", page("e-mail")).await;
    serve(&server, "/b", page_with_empty_link("b")).await;
    let run = w.run(&["check", "a"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("resolved"), "{}", run.stdout);
    assert_eq!(w.snapshot("state.json"), legacy);
    assert!(w.snapshots().join("a.state.json").exists());
    assert!(!w.snapshots().join("b.state.json").exists());
    assert!(w.snapshots().join("c.state.json").exists(), "not pruned");

    // The first run that covers the whole config finishes the move and prunes.
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("new findings"), "{}", run.stdout);
    assert!(!w.snapshots().join("state.json").exists());
    assert_eq!(state_of(&w, "b"), b);
    assert!(!w.snapshots().join("c.state.json").exists(), "pruned");
}

#[tokio::test]
async fn the_alert_state_of_a_removed_target_is_pruned_by_a_whole_run() {
    let server = MockServer::start().await;
    for id in ["a", "b", "c"] {
        serve(&server, &format!("/{id}"), page("e-mail")).await;
    }
    let w = targets(&server, &["a", "b", "c"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    reconfigure(&w, &server, &["a", "b"]);
    // A run of some targets leaves what it did not look at.
    assert_eq!(w.run(&["check", "a"]).await.code, 0);
    assert!(w.snapshots().join("c.state.json").exists());
    assert_eq!(w.run(&["check"]).await.code, 0);
    assert!(!w.snapshots().join("c.state.json").exists(), "pruned");
    assert!(
        w.snapshots().join("c.md").exists(),
        "a removed target's history stays"
    );
    assert!(w.snapshots().join("b.state.json").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn a_run_rewrites_only_the_files_of_the_target_that_changed() {
    use std::os::unix::fs::MetadataExt;
    let server = MockServer::start().await;
    for id in ["a", "b", "c"] {
        serve(&server, &format!("/{id}"), page("e-mail")).await;
    }
    let w = targets(&server, &["a", "b", "c"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let inodes = |w: &Workdir| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(w.snapshots())
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().ino(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = inodes(&w);
    reserve(&server, "/b", page("postal address")).await;
    serve(&server, "/a", page("e-mail")).await;
    serve(&server, "/c", page("e-mail")).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("{+postal address+}"), "{}", run.stdout);
    let rewritten: Vec<&str> = before
        .iter()
        .zip(inodes(&w).iter())
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert_eq!(
        rewritten,
        [
            "b.extracted.json",
            "b.html",
            "b.json",
            "b.md",
            "b.state.json"
        ],
        "only b's files are written"
    );
}

#[tokio::test]
async fn a_stored_date_at_the_end_of_time_damages_that_target_alone() {
    let server = MockServer::start().await;
    serve(&server, "/a", page("e-mail")).await;
    serve(&server, "/b", page("name")).await;
    let w = targets(&server, &["a", "b"]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    for date in ["9999-12-30T00:00:00Z", "-009990-01-01T00:00:00Z"] {
        let mut meta: serde_json::Value = serde_json::from_str(&w.snapshot("a.json")).unwrap();
        meta["changed_at"] = date.into();
        std::fs::write(w.snapshots().join("a.json"), meta.to_string()).unwrap();
        reserve(&server, "/a", page("phone number")).await;
        serve(&server, "/b", page("postal address")).await;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "not every target stops: {run:?}");
        let a = run.stdout.split("b policy").next().unwrap();
        assert!(
            a.contains("snapshot damaged") && a.contains("lies outside the years"),
            "{date}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("{+postal address+}"),
            "b goes on: {}",
            run.stdout
        );
        assert_eq!(w.run(&["accept", "a"]).await.code, 0);
        reserve(&server, "/b", page("name")).await;
        serve(&server, "/a", page("phone number")).await;
        assert_eq!(w.run(&["accept", "b"]).await.code, 0);
    }
}
