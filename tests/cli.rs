//! The command line as a user meets it: config discovery, clear errors for bad config, exit codes.

mod common;

use common::{target, Workdir};

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
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let w = Workdir::new(&target("a", "http://127.0.0.1:9/", ""));
    assert_eq!(w.run(&["check", "--format", "yaml"]).await.code, 2);
    assert_eq!(w.run(&["frobnicate"]).await.code, 2);
    let unknown = w.run(&["check", "--target", "zzz"]).await;
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("zzz") && unknown.stderr.contains("a"),
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

#[test]
fn the_shipped_config_is_the_built_in_default() {
    let shipped = policy_watch::Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policy-watch.toml"
    )))
    .unwrap();
    let builtin = policy_watch::Config::builtin().unwrap();
    let ids = |c: &policy_watch::Config| {
        c.targets
            .iter()
            .map(|t| (t.id.clone(), t.url.to_string(), t.rules.hash().to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&shipped), ids(&builtin));
}
