//! `check` killed (SIGKILL) at seeded random moments, with stdout and with a Slack mock as the
//! way out: no alert is lost, none is repeated but the one in flight, no snapshot is left
//! inconsistent, and no temporary file is left where `git add` would see it. Also with the
//! snapshot folder on a small tmpfs that is nearly full when the run is killed (as root).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common::{slack_bodies, slack_ok, target, Tmpfs, Workdir, SLACK_WEBHOOK_PATH};

/// A small deterministic generator (xorshift), so that a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn page(id: &str, round: usize) -> String {
    format!(
        "<html><body><main><h1>Privacy policy of {id}</h1>\
         <p>This is revision rev{round}x{id} of the policy, which says how we collect and keep your data.</p>\
         <p>Our processors are listed on the vendors page; each signed a data processing agreement.</p>\
         </main></body></html>"
    )
}

/// The alert that round `round` of target `id` must produce, as it shows in a report or a
/// Slack payload.
fn alert(id: &str, round: usize) -> String {
    format!("rev{round}x{id}")
}

struct Harness {
    server: MockServer,
    w: Workdir,
    ids: Vec<String>,
    slack: Option<MockServer>,
    snapshots: std::path::PathBuf,
    /// The small file system the snapshot folder is on, when the folder is to be nearly full.
    tight: Option<Tmpfs>,
}

impl Harness {
    async fn new(n: usize, slack: bool) -> Self {
        let server = MockServer::start().await;
        let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
        let targets: String = ids
            .iter()
            .map(|id| target(id, &format!("{}/{id}", server.uri()), ""))
            .collect();
        let slack = if slack {
            let s = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path(SLACK_WEBHOOK_PATH))
                .respond_with(slack_ok())
                .mount(&s)
                .await;
            Some(s)
        } else {
            None
        };
        let w = Workdir::new(&targets);
        Harness {
            server,
            snapshots: w.snapshots(),
            w,
            ids,
            slack,
            tight: None,
        }
    }

    /// The same, with the snapshot folder on a 2 MiB tmpfs (`None` where none can be mounted).
    async fn on_tmpfs(n: usize, slack: bool, test: &str) -> Option<Self> {
        let mut h = Harness::new(n, slack).await;
        let fs = Tmpfs::mount(&h.w.path().join("fs"), "2m", test)?;
        let cfg = std::fs::read_to_string(h.w.config()).unwrap();
        std::fs::write(
            h.w.config(),
            cfg.replace(
                "snapshot_dir = \"snapshots\"",
                "snapshot_dir = \"fs/snapshots\"",
            ),
        )
        .unwrap();
        h.snapshots = fs.at.join("snapshots");
        h.tight = Some(fs);
        Some(h)
    }

    async fn serve_round(&self, round: usize) {
        self.server.reset().await;
        for id in &self.ids {
            crate::common::serve(&self.server, &format!("/{id}"), page(id, round)).await;
        }
    }

    fn command(&self) -> Command {
        let mut cmd = self.w.process();
        cmd.arg("check")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(s) = &self.slack {
            cmd.env(
                "SLACK_WEBHOOK_URL",
                format!("{}{SLACK_WEBHOOK_PATH}", s.uri()),
            );
        }
        cmd
    }

    /// Runs `check`, killing it after `kill_after` if given; what it printed.
    async fn check(&self, kill_after: Option<Duration>) -> String {
        self.check_killed(kill_after).await.0
    }

    /// Runs `check`, killing it after `kill_after` if given; what it printed, and whether the
    /// kill came before the run had ended by itself.
    async fn check_killed(&self, kill_after: Option<Duration>) -> (String, bool) {
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.command().spawn().expect("spawn check");
        tokio::task::spawn_blocking(move || {
            if let Some(after) = kill_after {
                let start = Instant::now();
                while start.elapsed() < after {
                    if child.try_wait().expect("wait").is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                let _ = child.kill();
            }
            let mut out = String::new();
            child
                .stdout
                .take()
                .expect("stdout")
                .read_to_string(&mut out)
                .expect("read stdout");
            let status = child.wait().expect("wait");
            (out, status.signal() == Some(libc::SIGKILL))
        })
        .await
        .expect("join")
    }

    /// What the way out received: the printed reports, or the Slack payloads since the last
    /// call.
    async fn delivered(&self, printed: &str) -> String {
        match &self.slack {
            None => printed.to_string(),
            Some(s) => {
                let bodies = slack_bodies(s, SLACK_WEBHOOK_PATH).await;
                s.reset().await;
                Mock::given(method("POST"))
                    .and(path(SLACK_WEBHOOK_PATH))
                    .respond_with(slack_ok())
                    .mount(s)
                    .await;
                bodies.iter().map(|b| b.to_string()).collect()
            }
        }
    }

    /// Every snapshot holds together and nothing but snapshot files is visible.
    async fn assert_consistent(&self, seed: u64, round: usize) {
        let snapshots = self.snapshots.clone();
        if !snapshots.exists() {
            return; // killed before anything was written
        }
        for entry in std::fs::read_dir(&snapshots).expect("snapshots") {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == ".policy-watch"
                    || [".md", ".json", ".html"].iter().any(|e| name.ends_with(e))
                        && !name.starts_with('.'),
                "seed {seed} round {round}: stray file {name}"
            );
        }
        if let Ok(ignore) = std::fs::read_to_string(snapshots.join(".policy-watch/.gitignore")) {
            assert!(
                ignore.lines().any(|l| l == "*"),
                "the store's folder ignores itself"
            );
        }
        let mut cmd = self.w.cmd();
        cmd.arg("diff");
        let run = crate::common::run(cmd).await;
        assert!(
            !run.stdout.contains("damaged"),
            "seed {seed} round {round}: {}",
            run.stdout
        );
    }
}

async fn kill_at_random(slack: bool, targets: usize, rounds: usize, seed: u64) {
    run_kills(Harness::new(targets, slack).await, rounds, seed).await;
}

async fn run_kills(h: Harness, rounds: usize, seed: u64) {
    let mut rng = Rng(seed);
    h.serve_round(0).await;
    let first = h.check(None).await;
    let _ = h.delivered(&first).await;
    // How long a whole run takes, to spread the kills over it.
    h.serve_round(1).await;
    let started = Instant::now();
    let whole = h.check(None).await;
    let span = started.elapsed().as_millis() as u64;
    let got = h.delivered(&whole).await;
    for id in &h.ids {
        assert_eq!(
            got.matches(&alert(id, 1)).count(),
            1,
            "calibration run: {got}"
        );
    }

    let (mut kills, mut held_back, mut repeats) = (0, 0, 0);
    for round in 2..rounds + 2 {
        h.serve_round(round).await;
        let at = Duration::from_millis(rng.below(span + 20));
        // On a tmpfs: a few pages free, from none to about what every target needs.
        if let Some(fs) = &h.tight {
            fs.fill(rng.below(4 * h.ids.len() as u64 + 4) * 4096);
        }
        let (killed, was_killed) = h.check_killed(Some(at)).await;
        let killed = h.delivered(&killed).await;
        kills += usize::from(was_killed);
        if let Some(fs) = &h.tight {
            fs.free();
        }
        let after = h.check(None).await;
        let after = h.delivered(&after).await;
        let mut repeated = 0;
        for id in &h.ids {
            let a = alert(id, round);
            let (k, r) = (killed.matches(&a).count(), after.matches(&a).count());
            assert!(
                k + r >= 1,
                "seed {seed} round {round} (killed after {at:?}): the alert for {id} was lost\nkilled run: {killed}\nnext run: {after}"
            );
            if k > 0 && r > 0 {
                repeated += 1;
            }
            if k == 0 {
                held_back += 1;
            }
        }
        repeats += repeated;
        assert!(
            repeated <= 1,
            "seed {seed} round {round}: {repeated} alerts repeated; only the one in flight may be"
        );
        h.assert_consistent(seed, round).await;
    }
    // Kills spread over a whole run's length mostly land inside one: a test in which every
    // run ended before its kill has tested nothing.
    assert!(
        kills > 0,
        "seed {seed}: none of {rounds} runs was killed before it ended"
    );
    eprintln!(
        "{kills} kills{}: {} alerts, 0 lost, {repeats} repeated, {held_back} sent only by the next run",
        if h.tight.is_some() {
            " on a nearly full tmpfs"
        } else {
            ""
        },
        rounds * h.ids.len()
    );
}

#[tokio::test]
async fn killed_runs_lose_no_printed_alert() {
    kill_at_random(false, 6, 30, 0x5eed_0001).await;
}

#[tokio::test]
async fn killed_runs_lose_no_slack_alert() {
    kill_at_random(true, 2, 10, 0x5eed_0002).await;
}

#[tokio::test]
async fn killed_runs_on_a_nearly_full_folder_lose_no_alert_and_repeat_none_but_the_one_in_flight() {
    // Slack as the way out: a report printed while the folder is full says "not sent", but it
    // still shows the change, so only Slack tells what was really delivered.
    let test =
        "killed_runs_on_a_nearly_full_folder_lose_no_alert_and_repeat_none_but_the_one_in_flight";
    let Some(h) = Harness::on_tmpfs(3, true, test).await else {
        return;
    };
    run_kills(h, 20, 0x5eed_0003).await;
}

#[tokio::test]
async fn a_killed_run_leaves_no_temporary_file_in_sight() {
    // Kill very early and very late, many times: whatever a run left, the next one cleans.
    let h = Harness::new(3, false).await;
    for round in 0..6 {
        h.serve_round(round).await;
        let _ = h.check(Some(Duration::from_millis(5 * round as u64))).await;
        h.assert_consistent(0, round).await;
    }
}

/// Processes as /proc lists them: (pid, parent, process group), zombies left out (a zombie
/// is dead already; only its entry waits for a parent to reap it).
fn processes() -> Vec<(u32, u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // "pid (comm) state ppid pgrp …": the name may hold spaces and parentheses.
            let rest = &stat[stat.rfind(')')? + 2..];
            let mut fields = rest.split(' ');
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            let pgrp = fields.next()?.parse().ok()?;
            (state != "Z").then_some((pid, ppid, pgrp))
        })
        .collect()
}

#[tokio::test]
async fn a_killed_run_leaves_no_browser_behind() {
    let Some(browser) = crate::reach::chromium() else {
        return;
    };
    let server = MockServer::start().await;
    crate::common::serve(
        &server,
        "/app",
        "<html><body><main><div id=\"app\"></div></main><script>\
         fetch('/policy.json').then(r => r.json()).then(d => {\
           document.getElementById('app').textContent = d.text; });\
         </script></body></html>",
    )
    .await;
    // The policy arrives late, so that the kill lands while the browser renders.
    Mock::given(method("GET"))
        .and(path("/policy.json"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(1500))
                .set_body_string(
                    serde_json::json!({
                        "text": "We collect your e-mail address to send you the newsletter you asked for."
                    })
                    .to_string(),
                ),
        )
        .mount(&server)
        .await;
    let w = Workdir::new(&target("app", &format!("{}/app", server.uri()), ""));
    // The browser's profile folders go here, where the test can look for leftovers.
    let tmp = tempfile::tempdir().expect("tempdir");
    let command = || {
        let mut cmd = w.process();
        cmd.arg("check")
            .env("POLICY_WATCH_BROWSER", &browser)
            .env("TMPDIR", tmp.path())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let mut rng = Rng(0x5eed_b40e);
    let rounds = 4;
    for round in 0..rounds {
        let mut child = command().spawn().expect("spawn check");
        let pid = child.id();
        let since = Instant::now();
        // The browser is check's child, and the leader of its own process group.
        let leader = loop {
            if let Some((p, _, _)) = processes().into_iter().find(|(_, pp, _)| *pp == pid) {
                break p;
            }
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "round {round}: no browser was started"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        tokio::time::sleep(Duration::from_millis(rng.below(1200))).await;
        child.kill().expect("kill check");
        child.wait().expect("reap check");
        let killed = Instant::now();
        loop {
            let left: Vec<u32> = processes()
                .into_iter()
                .filter(|(_, _, g)| *g == leader)
                .map(|(p, _, _)| p)
                .collect();
            if left.is_empty() {
                break;
            }
            assert!(
                killed.elapsed() < Duration::from_secs(10),
                "round {round}: browser processes {left:?} outlived the killed check"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // A run that finishes cleans up after itself and after the killed ones.
    let out = command().output().expect("run check");
    assert!(out.status.success(), "{out:?}");
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("read tmp")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("policy-watch-browser-"))
        .collect();
    assert!(leftovers.is_empty(), "profile folders left: {leftovers:?}");
}
