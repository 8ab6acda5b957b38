//! The command line as a user meets it: config discovery, clear errors for bad config, exit codes.

use wiremock::MockServer;

use crate::common::{fixture, serve, target, Workdir};

#[tokio::test]
async fn targets_lists_the_built_in_default_without_a_config() {
    let w = Workdir::new("");
    std::fs::remove_file(w.config()).unwrap();
    let run = w.run(&["targets"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for id in ["crossengage-privacy", "appcues-privacy", "mixpanel-privacy"] {
        assert!(run.stdout.contains(id), "{}", run.stdout);
    }
    assert!(run
        .stdout
        .contains("https://documentation.crossengage.io/data-and-engagement-platform/help-and-support/privacy-policy"));
}

#[tokio::test]
async fn config_in_the_current_folder_wins_over_the_default_and_flag_wins_over_both() {
    let w = Workdir::new(&target("local-one", "http://127.0.0.1:9/p", ""));
    let run = w.run(&["targets"]).await;
    assert!(
        run.stdout.contains("local-one") && !run.stdout.contains("appcues"),
        "{}",
        run.stdout
    );

    let other = w.path().join("other.toml");
    std::fs::write(&other, target("from-flag", "http://127.0.0.1:9/p", "")).unwrap();
    let run = w
        .run(&["--config", other.to_str().unwrap(), "targets"])
        .await;
    assert!(
        run.stdout.contains("from-flag") && !run.stdout.contains("local-one"),
        "{}",
        run.stdout
    );
}

/// Each bad config exits 2 naming the file, the line and the key — and never panics.
#[tokio::test]
async fn bad_config_is_a_clear_error_naming_file_line_and_key() {
    let ok = "[[target]]\nid = \"a\"\nname = \"A\"\nurl = \"http://127.0.0.1:9/\"\n";
    let cases = [
        (
            format!("{ok}selekt = [\"main\"]\n"),
            "policy-watch.toml:5",
            "selekt",
        ),
        (
            format!("{ok}select = [\"main >\"]\n"),
            "policy-watch.toml:5",
            "target.select",
        ),
        (
            format!("{ok}ignore = [\"([a-z\"]\n"),
            "policy-watch.toml:5",
            "target.ignore",
        ),
        (format!("{ok}{ok}"), "policy-watch.toml:6", "target.id"),
        (
            "[[target]]\nid = \"../x\"\nname = \"A\"\nurl = \"http://127.0.0.1:9/\"\n".to_string(),
            "policy-watch.toml:2",
            "target.id",
        ),
        (
            "[[target]]\nid = \"a\"\nname = \"A\"\nurl = \"not a url\"\n".to_string(),
            "policy-watch.toml:4",
            "target.url",
        ),
        (
            format!("[http]\ntimeout_secs = 0\n{ok}"),
            "policy-watch.toml:2",
            "http.timeout_secs",
        ),
        ("[[target]\n".to_string(), "policy-watch.toml:1", ""),
    ];
    for (text, place, key) in cases {
        let w = Workdir::new("");
        std::fs::write(w.config(), &text).unwrap();
        for cmd in ["check", "targets"] {
            let run = w.run(&[cmd]).await;
            assert_eq!(run.code, 2, "{text}: {run:?}");
            assert!(
                run.stderr.contains(place),
                "{text}: wanted {place} in {}",
                run.stderr
            );
            assert!(
                run.stderr.contains(key),
                "{text}: wanted {key} in {}",
                run.stderr
            );
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        }
        assert!(
            !w.snapshots().exists(),
            "a bad config must not write anything"
        );
    }
}

#[tokio::test]
async fn a_missing_config_file_is_named() {
    let w = Workdir::new("");
    let run = w.run(&["--config", "nope.toml", "targets"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("No such file").count(),
        1,
        "the OS error is said once: {}",
        run.stderr
    );
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let w = Workdir::new(&target("a", "http://127.0.0.1:9/", ""));
    assert_eq!(w.run(&["check", "--format", "yaml"]).await.code, 2);
    assert_eq!(w.run(&["frobnicate"]).await.code, 2);
    let unknown = w.run(&["check", "--target", "zzz"]).await;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("no target has the id `zzz` (configured: a)"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn a_damaged_snapshot_is_reported_and_left_alone() {
    let w = Workdir::new(&target("a", "http://127.0.0.1:9/", ""));
    std::fs::create_dir_all(w.snapshots()).unwrap();
    std::fs::write(w.snapshots().join("a.md"), "kept\n").unwrap();
    std::fs::write(w.snapshots().join("a.json"), "{broken").unwrap();
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("a.json") && run.stdout.contains("damaged"),
        "{}",
        run.stdout
    );
    assert_eq!(w.snapshot("a.md"), "kept\n");
    assert_eq!(w.snapshot("a.json"), "{broken");
}

#[tokio::test]
async fn without_a_config_the_built_in_targets_are_the_three_policies() {
    let run = Workdir::empty().run(&["targets"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for url in [
        "https://documentation.crossengage.io/data-and-engagement-platform/help-and-support/privacy-policy",
        "https://www.appcues.com/privacy",
        "https://mixpanel.com/privacy/",
    ] {
        assert!(run.stdout.contains(url), "{url} missing: {}", run.stdout);
    }
    let crossengage = run
        .stdout
        .lines()
        .find(|l| l.starts_with("crossengage-privacy "))
        .expect("the CrossEngage page is a target");
    assert!(
        crossengage.contains("link check") && crossengage.contains("en+de"),
        "{crossengage}"
    );
    // The listing is aligned: every URL starts in the same column.
    let columns: Vec<usize> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.find("https://").expect("a URL"))
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{}", run.stdout);
}

#[tokio::test]
async fn check_takes_target_ids_positionally_like_the_other_commands() {
    let server = MockServer::start().await;
    serve(&server, "/a", fixture("vendor/appcues.html")).await;
    serve(&server, "/b", fixture("vendor/mixpanel.html")).await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("a", &format!("{}/a", server.uri()), ""),
        target("b", &format!("{}/b", server.uri()), "")
    ));
    let run = w.run(&["check", "b"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("b policy — now watching"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("a policy"), "{}", run.stdout);
    assert!(w.snapshots().join("b.md").exists() && !w.snapshots().join("a.md").exists());
    // --target still works, and the two forms add up.
    let run = w.run(&["check", "a", "--target", "b"]).await;
    assert!(
        run.stdout.contains("a policy — now watching"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("b policy — unchanged"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn preview_shows_what_would_be_stored_and_writes_nothing() {
    let server = MockServer::start().await;
    serve(&server, "/p", fixture("gitbook/base.html")).await;
    let w = Workdir::new(&target("p", &format!("{}/p", server.uri()), ""));
    let run = w.run(&["preview", "p"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("content root `[data-content-ref-root]`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("## Data collection when using the CrossEngage"),
        "the Markdown itself: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Empty link"),
        "findings too: {}",
        run.stdout
    );
    assert!(!w.snapshots().exists(), "preview writes nothing");

    let json = w.run(&["preview", "p", "--format", "json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v["root"], "[data-content-ref-root]");
    assert!(v["markdown"].as_str().unwrap().contains("Appcues"));
    assert!(v["findings"].as_array().unwrap().len() >= 2);

    let unknown = w.run(&["preview", "nope"]).await;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no target has the id `nope`"),
        "{}",
        unknown.stderr
    );
}

#[tokio::test]
async fn validate_names_a_volatile_block_with_a_rule_that_would_quiet_it() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = MockServer::start().await;
    serve(&server, "/steady", fixture("vendor/appcues.html")).await;
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    wiremock::Mock::given(wiremock::matchers::path("/noisy"))
        .respond_with(move |_: &wiremock::Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            crate::common::html(fixture("vendor/appcues.html").replace(
                "</main>",
                &format!("<p>Page generated for session {n:06} at the edge.</p></main>"),
            ))
        })
        .mount(&server)
        .await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("steady", &format!("{}/steady", server.uri()), ""),
        target("noisy", &format!("{}/noisy", server.uri()), "")
    ));
    let sound = w.run(&["validate", "steady", "--interval", "0"]).await;
    assert_eq!(sound.code, 0, "{sound:?}");
    assert!(
        sound.stdout.contains("steady policy (steady) — sound"),
        "{}",
        sound.stdout
    );
    assert!(
        sound.stdout.contains("selector `main` matched"),
        "{}",
        sound.stdout
    );

    let noisy = w.run(&["validate", "noisy", "--interval", "0"]).await;
    assert_eq!(noisy.code, 1, "{noisy:?}");
    assert!(
        noisy
            .stdout
            .contains("volatile: Page generated for session"),
        "{}",
        noisy.stdout
    );
    assert!(
        noisy
            .stdout
            .contains(r#"suggest: ignore = ["^Page generated for session"]"#),
        "{}",
        noisy.stdout
    );
    assert!(!w.snapshots().exists(), "validate writes nothing");
}

#[tokio::test]
async fn validate_says_it_waits_and_does_not_call_a_page_with_empty_links_sound() {
    let server = MockServer::start().await;
    serve(&server, "/privacy-policy", fixture("gitbook/base.html")).await;
    let w = Workdir::new(&target(
        "crossengage-privacy",
        &format!("{}/privacy-policy", server.uri()),
        "",
    ));
    let run = w
        .run(&["validate", "crossengage-privacy", "--interval", "1"])
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("first fetch done; the second follows in 1 s"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("crossengage-privacy policy (crossengage-privacy) — problem"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("! 2 broken or empty links on the page"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_long_run_on_a_terminal_shows_what_it_waits_for_and_off_one_draws_nothing() {
    let server = MockServer::start().await;
    serve(&server, "/quick", fixture("vendor/appcues.html")).await;
    wiremock::Mock::given(wiremock::matchers::path("/slow"))
        .respond_with(
            crate::common::html(fixture("vendor/mixpanel.html"))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("slow", &format!("{}/slow", server.uri()), ""),
        target("quick", &format!("{}/quick", server.uri()), "")
    ));

    // On a terminal (util-linux `script` gives the run a pseudo-terminal): a status line.
    let mut tty = w.here(std::process::Command::new("script"));
    tty.args([
        "-qec",
        &format!("{} check --dry-run", crate::common::bin().display()),
        "/dev/null",
    ])
    .stdin(std::process::Stdio::null());
    let shown = tokio::task::spawn_blocking(move || tty.output().expect("script runs"))
        .await
        .unwrap();
    let screen = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{screen}");
    assert!(
        screen.contains("policy-watch: 1/2 done · waiting for slow policy ("),
        "no status line on the terminal:\n{screen}"
    );
    assert!(screen.contains("quick policy — now watching"), "{screen}");

    // Off a terminal (CI, a pipe): nothing is drawn.
    let piped = w.run(&["check", "--dry-run"]).await;
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(!piped.stderr.contains("waiting for"), "{}", piped.stderr);
    assert!(!piped.stderr.contains('\r'), "{:?}", piped.stderr);
}

#[tokio::test]
async fn completions_and_the_man_page_come_from_the_binary() {
    let w = Workdir::new("");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = w.run(&["completions", shell]).await;
        assert_eq!(out.code, 0, "{out:?}");
        // Every command can be completed.
        for command in [
            "check", "diff", "accept", "links", "preview", "validate", "targets",
        ] {
            assert!(out.stdout.contains(command), "{shell}: no {command}");
        }
    }
    let man = w.run(&["man"]).await;
    assert_eq!(man.code, 0, "{man:?}");
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH policy-watch 1"));
    let unknown = w.run(&["completions", "tcsh"]).await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
}

#[tokio::test]
async fn every_help_says_what_a_failed_fetch_exits_with() {
    let w = Workdir::new("");
    for (command, says) in [
        ("check", "1 a target could not be fetched"),
        ("accept", "1 a target could not be fetched"),
        ("diff", "unlike `check`, a failed fetch is 2"),
        ("links", "unlike `check`, a failed fetch"),
        ("preview", "unlike `check`, a failed fetch is 2"),
        ("validate", "unlike `check`, a failed fetch is 2"),
    ] {
        let help = w.run(&[command, "--help"]).await;
        let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(says), "{command} --help: {text}");
    }
}
