//! Delivery as a user meets it: a report on stdout that cannot be written is no delivery, a
//! webhook's 2xx is one, a Slack that answers late is not asked twice, a routed webhook that
//! is not a URL fails only its own targets, and no log level prints a secret.

use std::process::{Command, Stdio};

use wiremock::MockServer;

use crate::common::{reserve, serve, target, Workdir};

const PAGE: &str = "/privacy";

/// A policy page whose paragraph says `word`.
fn page(word: &str) -> String {
    format!(
        "<html><body><main><h1>Privacy policy</h1>\
         <p>We collect your {word} to provide the service, and we keep it only as long as the contract with you runs.</p>\
         <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>\
         </main></body></html>"
    )
}

/// The binary as [`Workdir::cmd`] sets it up, as a `std` command whose stdout the test picks.
fn std_cmd(w: &Workdir) -> Command {
    in_workdir(
        Command::new(assert_cmd::cargo::cargo_bin("policy-watch")),
        w,
    )
}

/// `cmd` run in `w` with the environment of [`Workdir::cmd`].
fn in_workdir(mut cmd: Command, w: &Workdir) -> Command {
    cmd.current_dir(w.path())
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("SLACK_CHANNEL")
        .env_remove("SLACK_API_URL")
        .env_remove("GITHUB_RUN_ID")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` off the async threads: its exit code and stderr.
async fn status(mut cmd: Command) -> (i32, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run policy-watch"))
        .await
        .expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_report_that_cannot_be_written_to_stdout_is_not_delivered() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail address")).await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline");
    let stored = w.snapshot("acme.md");
    reserve(&server, PAGE, page("postal address")).await;

    // A reader that went away before anything was written (`check | head` gone early).
    let mut gone = std_cmd(&w);
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    gone.arg("check").stdout(writer);
    // Stdout closed from the start (`check >&-`).
    let mut closed = in_workdir(Command::new("sh"), &w);
    closed
        .args(["-c", "exec \"$0\" check >&-"])
        .arg(assert_cmd::cargo::cargo_bin("policy-watch"));
    // A full disk behind a redirect.
    let mut full = std_cmd(&w);
    full.arg("check").stdout(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    );

    for (how, cmd) in [
        ("closed pipe", gone),
        ("closed stdout", closed),
        ("full disk", full),
    ] {
        let (code, stderr) = status(cmd).await;
        assert_eq!(code, 1, "{how}: not delivered is exit 1: {stderr}");
        assert!(
            stderr.contains("acme: the alert was not delivered: stdout cannot be written"),
            "{how}: said on stderr: {stderr}"
        );
        assert_eq!(
            w.snapshot("acme.md"),
            stored,
            "{how}: the target is not advanced"
        );
    }

    // The next run that can write shows the change, and only then stores it.
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("postal"), "{}", run.stdout);
    assert!(w.snapshot("acme.md").contains("postal address"));
    assert_eq!(w.run(&["check"]).await.code, 0);
}
