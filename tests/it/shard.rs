//! `check --shard I/N` through the binary: the shards of a config check every target exactly
//! once between them, each fetches and writes only its own targets' files, prunes only its own
//! removed targets, and none migrates the single `state.json` of an earlier release in part.

use std::collections::BTreeSet;

use wiremock::MockServer;

use crate::common::{all_files, serve, Workdir};
use crate::store::{page_with_empty_link, reconfigure, state_of, targets};

/// Ten target ids, as a config might name them.
const IDS: [&str; 10] = [
    "acme-privacy",
    "appcues-privacy",
    "mixpanel-privacy",
    "segment-privacy",
    "stripe-dpa",
    "hubspot-privacy",
    "intercom-subprocessors",
    "zendesk-privacy",
    "slack-privacy",
    "notion-terms",
];

async fn served(ids: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for id in ids {
        serve(&server, &format!("/{id}"), page_with_empty_link("e-mail")).await;
    }
    server
}

/// The target ids in a JSON report of `check`.
fn reported(stdout: &str) -> BTreeSet<String> {
    let report: serde_json::Value = serde_json::from_str(stdout).expect("a JSON report");
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

/// The ids whose pages the server was asked for.
async fn fetched(server: &MockServer) -> BTreeSet<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().trim_start_matches('/').to_string())
        .collect()
}

/// The target ids that have a file in the snapshot folder (outside the store's own folder).
fn ids_with_files(w: &Workdir) -> BTreeSet<String> {
    w.snapshot_files()
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.') && name != "README.md")
        .map(|(name, _)| name.split('.').next().unwrap_or_default().to_string())
        .collect()
}

/// Runs `check --shard <shard>` against freshly counted pages: the ids it reported, which are
/// the ids whose pages it fetched.
async fn check_shard(w: &Workdir, server: &MockServer, shard: &str) -> BTreeSet<String> {
    server.reset().await;
    for id in IDS {
        serve(server, &format!("/{id}"), page_with_empty_link("e-mail")).await;
    }
    let run = w
        .run(&["check", "--shard", shard, "--format", "json"])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let ids = reported(&run.stdout);
    assert_eq!(
        fetched(server).await,
        ids,
        "shard {shard} fetched only its targets"
    );
    ids
}

#[tokio::test]
async fn two_shards_check_every_target_once_and_write_only_their_own_files() {
    let server = served(&IDS).await;
    let w = targets(&server, &IDS);

    let one = check_shard(&w, &server, "1/2").await;
    let after_one = w.snapshot_files();
    assert_eq!(
        ids_with_files(&w),
        one,
        "shard 1 wrote only its targets' files"
    );
    let two = check_shard(&w, &server, "2/2").await;

    assert!(!one.is_empty() && !two.is_empty(), "{one:?} {two:?}");
    assert!(one.is_disjoint(&two), "{one:?} {two:?}");
    let all: BTreeSet<String> = IDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        &one | &two,
        all,
        "between them the shards check every target"
    );
    // Shard 2 left shard 1's files as they were, and added only its own.
    let after_two = w.snapshot_files();
    for file in &after_one {
        assert!(after_two.contains(file), "{} changed", file.0);
    }
    assert_eq!(ids_with_files(&w), all);
    for id in IDS {
        assert!(
            w.snapshots().join(format!("{id}.state.json")).exists(),
            "{id}"
        );
    }

    // The split is the same on every run: shard 1 again checks the same targets.
    assert_eq!(check_shard(&w, &server, "1/2").await, one);
}

#[tokio::test]
async fn a_bad_shard_is_a_usage_error_that_touches_nothing() {
    let server = served(&IDS[..2]).await;
    let w = targets(&server, &IDS[..2]);
    for (bad, says) in [
        ("0/2", "shards are numbered 1 to 2"),
        ("3/2", "shard 3 does not exist"),
        ("1/0", "at least 1"),
        ("two", "expected I/N"),
        ("1/2/3", "expected I/N"),
        ("", "expected I/N"),
    ] {
        let run = w.run(&["check", "--shard", bad]).await;
        assert_eq!(run.code, 2, "--shard {bad:?}: {run:?}");
        assert!(
            run.stderr.contains("--shard") && run.stderr.contains(says),
            "--shard {bad:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    assert!(fetched(&server).await.is_empty());
    assert!(w.snapshot_files().is_empty());
}

#[tokio::test]
async fn a_shard_prunes_only_the_removed_targets_of_its_own() {
    let server = served(&IDS).await;
    let w = targets(&server, &IDS);
    assert_eq!(w.run(&["check"]).await.code, 0);
    // Remove one target of each shard.
    let gone = |shard: u32| {
        *IDS.iter()
            .find(|id| policy_watch::shard::of(id, 2) == shard)
            .expect("a target in each shard")
    };
    let (gone1, gone2) = (gone(1), gone(2));
    let kept: Vec<&str> = IDS
        .iter()
        .copied()
        .filter(|id| ![gone1, gone2].contains(id))
        .collect();
    reconfigure(&w, &server, &kept);
    let state = |id: &str| w.snapshots().join(format!("{id}.state.json"));

    assert_eq!(w.run(&["check", "--shard", "1/2"]).await.code, 0);
    assert!(!state(gone1).exists(), "shard 1 prunes its removed target");
    assert!(
        state(gone2).exists(),
        "shard 1 leaves shard 2's files alone"
    );

    assert_eq!(w.run(&["check", "--shard", "2/2"]).await.code, 0);
    assert!(!state(gone2).exists(), "shard 2 prunes its removed target");
    for id in kept {
        assert!(state(id).exists(), "{id}");
    }
}

#[tokio::test]
async fn a_shard_leaves_the_single_state_json_of_an_earlier_release_to_a_whole_run() {
    let server = served(&IDS[..4]).await;
    let w = targets(&server, &IDS[..4]);
    assert_eq!(w.run(&["check"]).await.code, 0);
    let states: serde_json::Map<String, serde_json::Value> = IDS[..4]
        .iter()
        .map(|id| (id.to_string(), state_of(&w, id)))
        .collect();
    std::fs::write(
        w.snapshots().join("state.json"),
        serde_json::json!({ "targets": states }).to_string(),
    )
    .unwrap();
    for id in &IDS[..4] {
        std::fs::remove_file(w.snapshots().join(format!("{id}.state.json"))).unwrap();
    }
    let before = all_files(&w.snapshots());

    for shard in ["1/2", "2/2"] {
        let run = w.run(&["check", "--shard", shard]).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("state.json") && run.stderr.contains("without --shard"),
            "{}",
            run.stderr
        );
        assert_eq!(all_files(&w.snapshots()), before, "nothing written");
    }

    // One whole run migrates it; then the shards run.
    let whole = w.run(&["check"]).await;
    assert_eq!(whole.code, 0, "{whole:?}");
    assert!(!whole.stdout.contains("new findings"), "{}", whole.stdout);
    assert!(!w.snapshots().join("state.json").exists());
    for shard in ["1/2", "2/2"] {
        let run = w.run(&["check", "--shard", shard]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stdout.contains("new findings"), "{}", run.stdout);
    }
}
