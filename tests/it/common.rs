//! Shared by every integration test: fixtures, a local HTTP server (wiremock), the binary
//! (found here only, see [`bin`]) and a temporary working folder ([`Workdir`]) with its own
//! config, in which every run of the binary starts with the same clean environment. Nothing
//! here reaches beyond 127.0.0.1.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The bytes of `tests/fixtures/<rel>`.
pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// The text of `tests/fixtures/<rel>` (UTF-8 fixtures only).
pub fn fixture(rel: &str) -> String {
    String::from_utf8(fixture_bytes(rel)).expect("UTF-8 fixture")
}

/// An HTML response.
pub fn html(body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/html; charset=utf-8")
        .set_body_bytes(body.into())
}

/// Serves `body` as HTML at `at` (replacing whatever was served there before).
pub async fn serve(server: &MockServer, at: &str, body: impl Into<Vec<u8>>) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(html(body))
        .mount(server)
        .await;
}

/// Like [`serve`] but forgets every earlier mock first.
pub async fn reserve(server: &MockServer, at: &str, body: impl Into<Vec<u8>>) {
    server.reset().await;
    serve(server, at, body).await;
}

/// Flags that keep a browser the binary starts on 127.0.0.1: everything else goes to a dead
/// local proxy, so that a page's scripts, images and fonts never reach (or look up) a real
/// host.
pub const BROWSER_ARGS: (&str, &str) = (
    "POLICY_WATCH_BROWSER_ARGS",
    "--proxy-server=127.0.0.1:9 --proxy-bypass-list=127.0.0.1;localhost",
);

/// The binary under test. Every test runs it through [`Workdir`] (or, for a wrapper such as
/// `sh` or `script`, names it with this).
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("policy-watch")
}

/// The `[http]` settings fit for tests: short timeouts and backoff.
pub const FAST_HTTP: &str = "[http]\ntimeout_secs = 5\nretries = 2\nbackoff_ms = 50\n";

/// A temporary folder in which the binary runs: a `policy-watch.toml` (or none, for the
/// built-in targets) and a `snapshots/` folder.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    /// A folder whose config holds `targets_toml` (one or more `[[target]]` tables) after
    /// [`FAST_HTTP`].
    pub fn new(targets_toml: &str) -> Self {
        Workdir::with_config(&format!(
            "snapshot_dir = \"snapshots\"\n\n{FAST_HTTP}\n{targets_toml}"
        ))
    }

    /// A folder whose `policy-watch.toml` is exactly `config`.
    pub fn with_config(config: &str) -> Self {
        let w = Workdir::empty();
        std::fs::write(w.config(), config).expect("write config");
        w
    }

    /// A folder without a config: the binary runs on its built-in targets.
    pub fn empty() -> Self {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("policy-watch.toml")
    }

    pub fn snapshots(&self) -> PathBuf {
        self.dir.path().join("snapshots")
    }

    /// The text of `snapshots/<name>`.
    pub fn snapshot(&self, name: &str) -> String {
        std::fs::read_to_string(self.snapshots().join(name))
            .unwrap_or_else(|e| panic!("snapshots/{name}: {e}"))
    }

    /// Every file under `snapshots/` with its bytes, sorted by name.
    pub fn snapshot_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = match std::fs::read_dir(self.snapshots()) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                // The store's private folder ignores itself in git; its lock changes per run.
                .filter(|e| e.file_name() != ".policy-watch")
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("read snapshot file"),
                    )
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }

    /// The binary, run in this folder, with the clean environment of [`in_dir`].
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// The same as a `std` command: for a test that spawns, signals or kills the run, or picks
    /// its stdout.
    pub fn process(&self) -> std::process::Command {
        self.here(std::process::Command::new(bin()))
    }

    /// `cmd` (the binary, or a wrapper that runs it) set to run in this folder, as
    /// [`in_dir`] sets it up.
    pub fn here(&self, cmd: std::process::Command) -> std::process::Command {
        in_dir(self.path(), cmd)
    }
}

/// `cmd` (the binary, or a wrapper that runs it) set to run in `dir` with a clean environment:
/// no Slack settings, CI run or browser from the outer environment, a browser kept on
/// 127.0.0.1, no colour, warnings only (a test may add to it or override it).
pub fn in_dir(dir: &Path, mut cmd: std::process::Command) -> std::process::Command {
    cmd.current_dir(dir)
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("SLACK_CHANNEL")
        .env_remove("SLACK_API_URL")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("POLICY_WATCH_BROWSER")
        .env(BROWSER_ARGS.0, BROWSER_ARGS.1)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    cmd
}

/// A `[[target]]` table.
pub fn target(id: &str, url: &str, extra: &str) -> String {
    format!("[[target]]\nid = \"{id}\"\nname = \"{id} policy\"\nurl = \"{url}\"\n{extra}\n")
}

/// What a finished run of the binary said.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary off the async threads, so that the test's servers keep answering.
pub async fn run(mut cmd: Command) -> Run {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run policy-watch"))
        .await
        .expect("join");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Workdir {
    /// Runs `policy-watch <args>` in this folder.
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.cmd();
        cmd.args(args);
        run(cmd).await
    }
}

// --- Slack mock -------------------------------------------------------------------------

/// A webhook path shaped like a real one, so a leak would be easy to spot.
pub const SLACK_WEBHOOK_PATH: &str = "/services/T000/B000/SECRETxyz";
/// A bot token shaped like a real one.
pub const SLACK_BOT_TOKEN: &str = "xoxb-000-000-SECRETtoken";

/// What Slack answers a webhook post it took: `ok` as plain text.
pub fn slack_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/html")
        .set_body_string("ok")
}

/// What Slack answers an error on a webhook: the code as plain text.
pub fn slack_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "text/html")
        .set_body_string(code)
}

/// What `chat.postMessage` answers a message it took.
pub fn slack_posted(ts: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "ok": true,
        "channel": "C0TEST",
        "ts": ts,
        "message": { "ts": ts, "type": "message", "text": "" }
    }))
}

/// The JSON bodies the mock received on `at`, in order.
pub async fn slack_bodies(server: &MockServer, at: &str) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).expect("Slack got JSON"))
        .collect()
}

// --- A small file system, for a disk that is nearly full --------------------------------

/// A tmpfs of `size` mounted at a folder (root only), unmounted when dropped.
pub struct Tmpfs {
    pub at: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it) at `at`; `None`, with a line on
    /// stderr saying the test is skipped, where that cannot be done (not root, no `mount`).
    pub fn mount(at: &Path, size: &str, test: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("{test}: skipped: mounting a small tmpfs needs root");
            return None;
        }
        std::fs::create_dir_all(at).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("{test}: skipped: `mount -t tmpfs` failed here");
            return None;
        }
        Some(Tmpfs {
            at: at.to_path_buf(),
        })
    }

    /// Fills the file system with `<at>/filler` until no byte fits, then frees `leave` bytes
    /// of it (tmpfs counts whole pages, so the free space is `leave` rounded to pages).
    pub fn fill(&self, leave: u64) {
        use std::io::Write;
        let path = self.at.join("filler");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = f.sync_all();
        let len = f.metadata().expect("filler size").len();
        f.set_len(len.saturating_sub(leave)).expect("free some");
    }

    /// Removes the filler: the whole file system is free again but for what the test wrote.
    pub fn free(&self) {
        let _ = std::fs::remove_file(self.at.join("filler"));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.at)
            .status();
    }
}

/// Every file below `dir` (the store's own folder included), with its bytes, sorted.
pub fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}
