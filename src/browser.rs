//! A headless Chromium already on the machine, driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: NUL-delimited JSON on the child's fds 3 and 4, so no WebSocket
//! and no protocol crate). One browser per run, started the first time a target needs it, a
//! few tabs at a time; it is killed with its whole process group when the run ends, and by
//! the kernel (`PR_SET_PDEATHSIG`) when policy-watch itself dies.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, OnceCell, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::error::BrowserError;

/// The environment variable that names the browser executable; it wins over the config.
pub const BROWSER_ENV: &str = "POLICY_WATCH_BROWSER";

/// Executable names looked up on PATH when neither the environment nor the config names one.
pub const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "chrome",
    "chromium-headless-shell",
];

/// Extra command-line flags for the browser, separated by spaces (e.g. `--no-sandbox` where
/// the machine allows no sandbox; the tests keep the browser on 127.0.0.1 with a proxy flag).
pub const BROWSER_ARGS_ENV: &str = "POLICY_WATCH_BROWSER_ARGS";

/// Tabs rendering at once: a render is CPU work for the browser, and the machine is small.
const TABS: usize = 3;

/// How long the page's network must be quiet before its document is read: Chromium's own
/// `networkIdle` lifecycle event (no request in flight for 500 ms) marks it.
const IDLE_EVENT: &str = "networkIdle";

/// `[browser]` settings.
#[derive(Debug, Clone)]
pub struct BrowserSettings {
    /// `[browser] executable`: a path, or a name looked up on PATH.
    pub executable: Option<PathBuf>,
    /// Time limit of one render (`[browser] timeout_secs`).
    pub timeout: Duration,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        BrowserSettings {
            executable: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A page as the browser shows it after its scripts ran.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Where the page ended up (after redirects, and after its scripts moved it).
    pub final_url: Url,
    /// `document.documentElement.outerHTML`.
    pub html: String,
    /// The HTTP status of the main document, when the browser saw its response.
    pub status: Option<u16>,
    /// The media type of the main document, when the browser saw its response.
    pub mime: Option<String>,
}

/// The run's browser: nothing until a target needs it, then one Chromium for every target.
pub struct Browser {
    settings: BrowserSettings,
    process: OnceCell<Result<Arc<Chromium>, BrowserError>>,
    tabs: Arc<Semaphore>,
}

impl Browser {
    pub fn new(settings: BrowserSettings) -> Self {
        Browser {
            settings,
            process: OnceCell::new(),
            tabs: Arc::new(Semaphore::new(TABS)),
        }
    }

    /// Renders `url` in a tab of its own and reads the document once the page's network is
    /// quiet. Starts the browser on first use; a browser that cannot be started fails every
    /// render of the run with the same error, and is not tried again.
    pub async fn render(&self, url: &Url, max_bytes: u64) -> Result<Rendered, BrowserError> {
        let chromium = self
            .process
            .get_or_init(|| async {
                let settings = self.settings.clone();
                // Finding and starting it blocks (a file search, a fork): off the async threads.
                tokio::task::spawn_blocking(move || Chromium::start(&settings))
                    .await
                    .unwrap_or_else(|e| Err(BrowserError::Crashed(Arc::new(e))))
                    .map(Arc::new)
            })
            .await
            .clone()?;
        if chromium.first_answer.get().is_none() {
            // A cold start on a busy machine (fonts, a new profile) can take a while.
            let wait = self.settings.timeout.max(Duration::from_secs(60));
            let version =
                tokio::time::timeout(wait, chromium.call(None, "Browser.getVersion", json!({})))
                    .await
                    .unwrap_or(Err(BrowserError::NoAnswer {
                        exe: chromium.exe.clone(),
                        secs: wait.as_secs(),
                    }))
                    .map_err(|e| chromium.explain(e))?;
            let ua = version["userAgent"].as_str().unwrap_or_default();
            // Headless Chromium says so in its User-Agent; a page's bot wall would then turn
            // it away like any script. It presents itself as the Chrome it is.
            let _ = chromium
                .first_answer
                .set(ua.replace("HeadlessChrome/", "Chrome/"));
        }
        let _tab = self
            .tabs
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| BrowserError::Protocol("tab slots closed".into()))?;
        let limit = self.settings.timeout;
        // The whole render, closing its tab included, within the limit and a little more: the
        // wait for a quiet network has the limit itself.
        let render = chromium.render(url, limit, max_bytes);
        match tokio::time::timeout(limit + Duration::from_secs(5), render).await {
            Ok(r) => r.map_err(|e| chromium.explain(e)),
            Err(_) => Err(BrowserError::Timeout {
                secs: limit.as_secs(),
            }),
        }
    }
}

/// Finds the browser executable: `POLICY_WATCH_BROWSER`, else `[browser] executable`, else
/// the usual names on PATH.
pub fn find_executable(configured: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(v) = std::env::var_os(BROWSER_ENV).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(&v);
        return resolve(&p).ok_or_else(|| BrowserError::Missing {
            what: format!("{BROWSER_ENV}={}", p.display()),
        });
    }
    if let Some(p) = configured {
        return resolve(p).ok_or_else(|| BrowserError::Missing {
            what: format!("[browser] executable = {:?}", p.display().to_string()),
        });
    }
    BROWSER_NAMES
        .iter()
        .find_map(|n| on_path(n))
        .ok_or(BrowserError::NotFound)
}

/// A path with a slash as it is; a bare name on PATH.
fn resolve(p: &Path) -> Option<PathBuf> {
    if p.components().count() > 1 || p.is_absolute() {
        is_executable(p).then(|| p.to_path_buf())
    } else {
        on_path(p.to_str()?)
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A reply to one command.
type Reply = Result<Value, BrowserError>;

/// What the reader thread routes.
#[derive(Default)]
struct Routes {
    /// Commands waiting for their answer, by id.
    pending: HashMap<u64, oneshot::Sender<Reply>>,
    /// Event streams of attached tabs, by session id.
    sessions: HashMap<String, mpsc::UnboundedSender<Value>>,
}

/// A running Chromium: its process group, the command pipe, and the threads that read its
/// answers and wait for its exit.
struct Chromium {
    exe: String,
    pid: i32,
    commands: Mutex<std::fs::File>,
    next_id: AtomicU64,
    routes: Arc<Mutex<Routes>>,
    /// Set by the reader thread when the browser's end of the pipe closed.
    gone: Arc<AtomicBool>,
    /// The last lines the browser wrote on stderr, for the error of a browser that died.
    stderr_tail: Arc<Mutex<String>>,
    /// The User-Agent the tabs present, once the browser answered its first command.
    first_answer: std::sync::OnceLock<String>,
    waiter: Mutex<Option<std::thread::JoinHandle<()>>>,
    profile: PathBuf,
}

impl Chromium {
    /// Starts the browser in a process group of its own, with a fresh profile folder.
    fn start(settings: &BrowserSettings) -> Result<Chromium, BrowserError> {
        let exe = find_executable(settings.executable.as_deref())?;
        let exe_name = exe.display().to_string();
        remove_stale_profiles();
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let profile = std::env::temp_dir().join(format!(
            "policy-watch-browser-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let start_err = |e: std::io::Error| BrowserError::Start {
            exe: exe_name.clone(),
            error: Arc::new(e),
        };
        std::fs::create_dir_all(&profile).map_err(start_err)?;

        // Two pipes: the browser reads commands on its fd 3 and writes answers on its fd 4.
        let (cmd_read, cmd_write) = pipe().map_err(start_err)?;
        let (ans_read, ans_write) = pipe().map_err(start_err)?;
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--headless",
            "--remote-debugging-pipe",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--mute-audio",
            "--hide-scrollbars",
            "--password-store=basic",
            "--use-mock-keychain",
        ]);
        cmd.arg(format!("--user-data-dir={}", profile.display()));
        if let Some(extra) = std::env::var_os(BROWSER_ARGS_ENV) {
            cmd.args(extra.to_string_lossy().split_whitespace());
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            // Chromium refuses to run as root with its sandbox on.
            cmd.arg("--no-sandbox");
        }
        cmd.arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        let (child_in, child_out) = (cmd_read.as_raw_fd(), ans_write.as_raw_fd());
        // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
        // functions (fcntl, dup2, prctl, getppid, _exit) on descriptors this process owns.
        let parent = unsafe { libc::getpid() };
        unsafe {
            cmd.pre_exec(move || {
                place_fds(child_in, child_out)?;
                // The kernel kills the browser when the thread that started it dies: that
                // thread lives as long as the browser (it waits for it), so this fires exactly
                // when policy-watch dies, SIGKILL included.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }

        // The thread that forks is the one the death signal watches: it waits for the browser.
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::Builder::new()
            .name("browser-wait".into())
            .spawn(move || match cmd.spawn() {
                Ok(mut child) => {
                    let stderr = child.stderr.take();
                    let _ = tx.send(Ok((child.id() as i32, stderr)));
                    let _ = child.wait();
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(start_err)?;
        let spawned = rx
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the starter thread died")));
        drop(cmd_read);
        drop(ans_write);
        let (pid, stderr) = match spawned {
            Ok(s) => s,
            Err(e) => {
                let _ = waiter.join();
                let _ = std::fs::remove_dir_all(&profile);
                return Err(start_err(e));
            }
        };
        tracing::info!(browser = %exe_name, pid, "started a headless browser");

        let stderr_tail = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = stderr {
            let tail = stderr_tail.clone();
            let _ = std::thread::Builder::new()
                .name("browser-stderr".into())
                .spawn(move || keep_tail(stderr, &tail));
        }
        let routes = Arc::new(Mutex::new(Routes::default()));
        let gone = Arc::new(AtomicBool::new(false));
        {
            let (routes, gone) = (routes.clone(), gone.clone());
            let answers = std::fs::File::from(ans_read);
            let _ = std::thread::Builder::new()
                .name("browser-read".into())
                .spawn(move || read_answers(answers, &routes, &gone));
        }
        Ok(Chromium {
            exe: exe_name,
            pid,
            commands: Mutex::new(std::fs::File::from(cmd_write)),
            next_id: AtomicU64::new(1),
            routes,
            gone,
            stderr_tail,
            first_answer: std::sync::OnceLock::new(),
            waiter: Mutex::new(Some(waiter)),
            profile,
        })
    }

    /// Sends one command; `None` as the session addresses the browser itself.
    fn send(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        reply: Option<oneshot::Sender<Reply>>,
    ) -> Result<(), BrowserError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s.to_string());
        }
        if let Some(reply) = reply {
            self.routes
                .lock()
                .expect("routes lock")
                .pending
                .insert(id, reply);
        }
        let mut bytes = serde_json::to_vec(&msg).expect("a command serialises");
        bytes.push(0);
        let written = self
            .commands
            .lock()
            .expect("command pipe lock")
            .write_all(&bytes);
        if written.is_err() || self.gone.load(Ordering::Acquire) {
            self.routes.lock().expect("routes lock").pending.remove(&id);
            return Err(BrowserError::Exited {
                exe: self.exe.clone(),
                stderr: String::new(),
            });
        }
        Ok(())
    }

    /// Sends one command and waits for its answer.
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Reply {
        let (tx, rx) = oneshot::channel();
        self.send(session, method, params, Some(tx))?;
        rx.await.unwrap_or_else(|_| {
            Err(BrowserError::Exited {
                exe: self.exe.clone(),
                stderr: String::new(),
            })
        })
    }

    /// An error of a browser that went away gets the last words it wrote on stderr.
    fn explain(&self, e: BrowserError) -> BrowserError {
        match e {
            BrowserError::Exited { exe, .. } => {
                let tail = self.stderr_tail.lock().expect("stderr lock").clone();
                BrowserError::Exited { exe, stderr: tail }
            }
            other => other,
        }
    }

    async fn render(
        self: &Arc<Self>,
        url: &Url,
        limit: Duration,
        max_bytes: u64,
    ) -> Result<Rendered, BrowserError> {
        let deadline = Instant::now() + limit;
        let created = self
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target_id = str_field(&created, "targetId")?;
        let mut tab = Tab {
            chromium: self.clone(),
            target_id,
            session: None,
        };
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": tab.target_id, "flatten": true }),
            )
            .await?;
        let session = str_field(&attached, "sessionId")?;
        let (tx, mut events) = mpsc::unbounded_channel();
        self.routes
            .lock()
            .expect("routes lock")
            .sessions
            .insert(session.clone(), tx);
        tab.session = Some(session.clone());
        let s = Some(session.as_str());
        self.call(s, "Page.enable", json!({})).await?;
        self.call(s, "Network.enable", json!({})).await?;
        self.call(
            s,
            "Page.setLifecycleEventsEnabled",
            json!({ "enabled": true }),
        )
        .await?;
        if let Some(ua) = self.first_answer.get().filter(|ua| !ua.is_empty()) {
            self.call(
                s,
                "Emulation.setUserAgentOverride",
                json!({ "userAgent": ua }),
            )
            .await?;
        }
        let nav = self
            .call(s, "Page.navigate", json!({ "url": url.as_str() }))
            .await?;
        if let Some(err) = nav["errorText"].as_str().filter(|e| !e.is_empty()) {
            return Err(BrowserError::Navigate {
                why: err.to_string(),
            });
        }
        let frame = str_field(&nav, "frameId")?;
        let mut loader = nav["loaderId"].as_str().unwrap_or_default().to_string();
        let (mut status, mut mime) = (None, None);
        let mut loaded = false;
        loop {
            let event = match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(ev)) => ev,
                Ok(None) => {
                    return Err(BrowserError::Exited {
                        exe: self.exe.clone(),
                        stderr: String::new(),
                    })
                }
                // A page that keeps its network busy (a long poll, a stream) but has loaded
                // is read as it is at the time limit; one that never loaded is a timeout.
                Err(_) if loaded => {
                    tracing::info!(%url, "the page's network never went quiet; reading it at the time limit");
                    break;
                }
                Err(_) => {
                    return Err(BrowserError::Timeout {
                        secs: limit.as_secs(),
                    })
                }
            };
            let p = &event["params"];
            match event["method"].as_str().unwrap_or_default() {
                "Network.responseReceived"
                    if p["type"] == "Document" && p["frameId"].as_str() == Some(&frame) =>
                {
                    status = p["response"]["status"].as_u64().map(|s| s as u16);
                    mime = p["response"]["mimeType"].as_str().map(str::to_string);
                }
                "Page.frameNavigated"
                    if p["frame"]["id"].as_str() == Some(&frame)
                        && p["frame"]["parentId"].is_null() =>
                {
                    // The page (or its scripts) moved to another document: wait for that one.
                    if let Some(l) = p["frame"]["loaderId"].as_str() {
                        if l != loader {
                            loader = l.to_string();
                            loaded = false;
                        }
                    }
                }
                "Page.lifecycleEvent"
                    if p["frameId"].as_str() == Some(&frame)
                        && p["loaderId"].as_str() == Some(&loader) =>
                {
                    match p["name"].as_str() {
                        Some("load") => loaded = true,
                        Some(IDLE_EVENT) => break,
                        _ => {}
                    }
                }
                "Inspector.targetCrashed" => {
                    return Err(BrowserError::Navigate {
                        why: "the tab crashed while rendering the page".into(),
                    })
                }
                _ => {}
            }
        }
        let read = self
            .call(
                s,
                "Runtime.evaluate",
                json!({
                    "expression": "[location.href, document.documentElement ? document.documentElement.outerHTML : '']",
                    "returnByValue": true,
                }),
            )
            .await?;
        let value = &read["result"]["value"];
        let (Some(href), Some(html)) = (value[0].as_str(), value[1].as_str()) else {
            return Err(BrowserError::Protocol(format!(
                "the document could not be read: {}",
                read["exceptionDetails"]["text"]
                    .as_str()
                    .unwrap_or("no value")
            )));
        };
        if html.len() as u64 > max_bytes {
            return Err(BrowserError::TooLarge { limit: max_bytes });
        }
        // A page whose scripts (or a refresh) sent it somewhere unreachable shows the
        // browser's own error page: that is not the document.
        let final_url = match Url::parse(href) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                return Err(BrowserError::Navigate {
                    why: format!("the page moved to {href}, which the browser could not load"),
                })
            }
        };
        drop(tab);
        Ok(Rendered {
            final_url,
            html: html.to_string(),
            status,
            mime,
        })
    }
}

impl Drop for Chromium {
    /// Kills the browser's whole process group, reaps it and removes its profile folder.
    fn drop(&mut self) {
        // SAFETY: signalling our own child's process group.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
        if let Some(w) = self.waiter.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
        tracing::debug!(pid = self.pid, "browser closed");
    }
}

/// One tab; closed when dropped, whether its render finished, failed or timed out.
struct Tab {
    chromium: Arc<Chromium>,
    target_id: String,
    session: Option<String>,
}

impl Drop for Tab {
    fn drop(&mut self) {
        if let Some(s) = &self.session {
            self.chromium
                .routes
                .lock()
                .expect("routes lock")
                .sessions
                .remove(s);
        }
        let _ = self.chromium.send(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target_id }),
            None,
        );
    }
}

fn str_field(v: &Value, key: &str) -> Result<String, BrowserError> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| BrowserError::Protocol(format!("no `{key}` in the answer {v}")))
}

/// Reads NUL-delimited answers and events and routes them; at the end of the pipe, every
/// waiting command gets an error.
fn read_answers(answers: std::fs::File, routes: &Mutex<Routes>, gone: &AtomicBool) {
    let mut reader = BufReader::new(answers);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(0, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&0) {
            buf.pop();
        }
        let Ok(msg) = serde_json::from_slice::<Value>(&buf) else {
            continue;
        };
        let mut routes = routes.lock().expect("routes lock");
        if let Some(id) = msg["id"].as_u64() {
            if let Some(tx) = routes.pending.remove(&id) {
                let reply = match msg.get("error") {
                    Some(err) => Err(BrowserError::Protocol(
                        err["message"].as_str().unwrap_or("error").to_string(),
                    )),
                    None => Ok(msg["result"].clone()),
                };
                let _ = tx.send(reply);
            }
        } else if let Some(s) = msg["sessionId"].as_str() {
            if let Some(tx) = routes.sessions.get(s) {
                let _ = tx.send(msg);
            }
        }
    }
    gone.store(true, Ordering::Release);
    let mut routes = routes.lock().expect("routes lock");
    routes.pending.clear();
    routes.sessions.clear();
}

/// Keeps the last 2 KB of what the browser writes on stderr.
fn keep_tail(mut stderr: impl Read, tail: &Mutex<String>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut t = tail.lock().expect("stderr lock");
        t.push_str(&String::from_utf8_lossy(&buf[..n]));
        if t.len() > 2048 {
            let cut = t.len() - 2048;
            let cut = (cut..t.len()).find(|&i| t.is_char_boundary(i)).unwrap_or(0);
            t.drain(..cut);
        }
    }
}

/// A pipe whose both ends close on exec (the child gets its copies through [`place_fds`]).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 just opened both and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// In the child: its command pipe on fd 3 and its answer pipe on fd 4, open across exec.
/// Both are first copied above 10, so that neither is overwritten while the other moves.
fn place_fds(commands: RawFd, answers: RawFd) -> std::io::Result<()> {
    // SAFETY: called between fork and exec on descriptors inherited from the parent.
    unsafe {
        let c = libc::fcntl(commands, libc::F_DUPFD_CLOEXEC, 10);
        let a = libc::fcntl(answers, libc::F_DUPFD_CLOEXEC, 10);
        if c < 0 || a < 0 || libc::dup2(c, 3) < 0 || libc::dup2(a, 4) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Removes profile folders left in the temporary folder by runs that were killed.
fn remove_stale_profiles() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("policy-watch-browser-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_executable_that_is_not_there_is_named() {
        let err = resolve(Path::new("/nonexistent/chromium"));
        assert!(err.is_none());
        let err = find_executable(Some(Path::new("/nonexistent/chromium")));
        // POLICY_WATCH_BROWSER may be set by whoever runs the tests; then it is named instead.
        if std::env::var_os(BROWSER_ENV).is_none() {
            assert!(
                err.unwrap_err()
                    .to_string()
                    .contains("/nonexistent/chromium"),
                "the missing path is named"
            );
        }
    }
}
