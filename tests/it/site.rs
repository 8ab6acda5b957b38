//! `policy-watch site`: a snapshot history recorded through the binary in a temporary git
//! repository (a baseline, two changes, a heartbeat commit and a commit of alert state only),
//! the site built from it, its feeds parsed as Atom, and its pages read in headless Chromium
//! through a local server that logs every request the browser makes.
//!
//! Without Chromium the browser tests say "skipped" — and fail when CI=true.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixture, reserve, serve, slack_bodies, slack_ok, target, Workdir};
use crate::common::{Run, SLACK_WEBHOOK_PATH};

const PAGE: &str = "/privacy-policy";
const OTHER: &str = "/other";
const ID: &str = "crossengage-privacy";
/// The host the browser is told the site is on; only the logging proxy knows it.
const SITE_HOST: &str = "policy-site.test";

/// A second, small policy that never changes and holds an empty link (an open finding).
const OTHER_PAGE: &str = "<!DOCTYPE html><html><head><title>Other</title></head><body><main><h1>Other policy</h1><p>We collect only the data you give us when you write to us, and we keep it no longer than we need it to answer.</p><p>Our processors are listed in the <a href=\"https://other.example/processors\"></a> annex.</p></main></body></html>";

fn git(dir: &Path, args: &[&str], date: Option<&str>) -> String {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir)
        .args([
            "-c",
            "user.name=policy-watch test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args);
    if let Some(d) = date {
        cmd.env("GIT_AUTHOR_DATE", d).env("GIT_COMMITTER_DATE", d);
    }
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn commit(w: &Workdir, message: &str, date: &str) {
    git(w.path(), &["add", "-A", "snapshots"], None);
    git(w.path(), &["commit", "-q", "-m", message], Some(date));
}

/// The history as the watch job would leave it: baseline, change, heartbeat, a commit of
/// alert state only (the page was down twice), and a second change. Returns the folder and
/// the config text that was used.
async fn recorded_history(server: &MockServer, top: &str) -> Workdir {
    serve(server, PAGE, fixture("gitbook/base.html")).await;
    serve(server, OTHER, OTHER_PAGE).await;
    let targets = format!(
        "{}\n{}",
        target(
            ID,
            &format!("{}{PAGE}", server.uri()),
            "select = [\"[data-content-ref-root]\", \"main\"]\nlanguages = [\"en\", \"de\"]",
        )
        .replace("crossengage-privacy policy", "CrossEngage privacy policy"),
        target("other", &format!("{}{OTHER}", server.uri()), "")
    );
    let w = Workdir::new(&targets);
    if !top.is_empty() {
        let cfg = std::fs::read_to_string(w.config()).unwrap();
        std::fs::write(w.config(), format!("{top}\n{cfg}")).unwrap();
    }
    git(w.path(), &["init", "-q"], None);

    let check = |w: &Workdir| {
        let mut cmd = w.cmd();
        cmd.arg("check");
        crate::common::run(cmd)
    };
    let r = check(&w).await;
    assert_eq!(r.code, 0, "{r:?}");
    commit(
        &w,
        "snapshots: changed crossengage-privacy, other",
        "2026-03-02T06:17:00Z",
    );

    reserve(server, PAGE, fixture("gitbook/edit-word.html")).await;
    serve(server, OTHER, OTHER_PAGE).await;
    let r = check(&w).await;
    assert_eq!(r.code, 0, "{r:?}");
    commit(
        &w,
        "snapshots: changed crossengage-privacy",
        "2026-04-14T12:17:00Z",
    );

    std::fs::write(w.snapshots().join(".heartbeat"), "2026-05-01\n").unwrap();
    commit(
        &w,
        "snapshots: heartbeat 2026-05-01",
        "2026-05-01T03:00:00Z",
    );

    server.reset().await;
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(ResponseTemplate::new(503))
        .mount(server)
        .await;
    serve(server, OTHER, OTHER_PAGE).await;
    for _ in 0..2 {
        assert_eq!(check(&w).await.code, 1, "the page is down");
    }
    let changed = git(w.path(), &["status", "--porcelain", "snapshots"], None);
    assert!(
        !changed.is_empty() && !changed.contains(".md"),
        "only alert state changed: {changed}"
    );
    commit(&w, "snapshots: alert state updated", "2026-05-20T18:17:00Z");

    reserve(
        server,
        PAGE,
        fixture("gitbook/edit-german-links-fixed.html"),
    )
    .await;
    serve(server, OTHER, OTHER_PAGE).await;
    let r = check(&w).await;
    assert_eq!(r.code, 0, "{r:?}");
    commit(
        &w,
        "snapshots: changed crossengage-privacy",
        "2026-06-09T00:17:00Z",
    );
    w
}

fn site(w: &Workdir, out: &Path, extra: &[&str]) -> Run {
    let mut cmd = w.cmd();
    cmd.arg("site").arg("--out").arg(out).args(extra);
    let out = cmd.output().expect("run site");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir` with its bytes, by relative path.
/// The first child of `n` named `name` in the Atom namespace.
fn child<'a, 'input>(
    n: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    n.children()
        .find(|c| c.has_tag_name(("http://www.w3.org/2005/Atom", name)))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The texts of the `<tag>` elements (no nested tags) in `html`.
fn texts(html: &str, tag: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!("<{tag}>([^<]*)</{tag}>")).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// The version sections of a target page, newest first: (anchor id, HTML).
fn versions(page: &str) -> Vec<(String, String)> {
    let re =
        regex::Regex::new(r#"(?s)<section class="version" id="([^"]+)".*?</section>"#).unwrap();
    re.captures_iter(page)
        .map(|c| (c[1].to_string(), c[0].to_string()))
        .collect()
}

#[tokio::test]
async fn target_pages_show_every_version_newest_first_with_its_word_diff() {
    let server = MockServer::start().await;
    let w = recorded_history(&server, "").await;
    let out = w.path().join("site");
    let r = site(&w, &out, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("2 policies with 4 versions and 2 changes"),
        "{}",
        r.stdout
    );

    let index = read(&out, "index.html");
    assert!(index.contains("<html lang=\"en\">"));
    for name in ["CrossEngage privacy policy", "other policy"] {
        assert!(index.contains(name), "index names {name}");
    }
    assert!(index.contains("plain HTTP"), "how the target is read");
    assert!(index.contains("2026-06-09 00:17 UTC"), "its last change");
    // The other page's empty link is an open finding in its alert state.
    assert!(
        regex::Regex::new(r"(?s)other policy.*Open findings</dt><dd><ul><li>Empty link")
            .unwrap()
            .is_match(&index),
        "{index}"
    );

    let page = read(&out, &format!("{ID}/index.html"));
    let v = versions(&page);
    // Baseline and two changes; the heartbeat and the state-only commit are no versions.
    assert_eq!(v.len(), 3, "{page}");
    assert!(v[0].1.contains("2026-06-09 00:17 UTC (current)"));
    assert!(v[1].1.contains("2026-04-14 12:17 UTC"));
    assert!(v[2].1.contains("First recorded version: 16 blocks"));
    // The first change added words, the second took them out again and filled the German
    // section's empty links, each marked in its German paragraph.
    assert!(
        texts(&v[1].1, "ins")
            .iter()
            .any(|t| t.contains("phone number")),
        "{}",
        v[1].1
    );
    assert!(
        texts(&v[0].1, "del")
            .iter()
            .any(|t| t.contains("phone number")),
        "{}",
        v[0].1
    );
    assert!(
        regex::Regex::new(r#"<p class="p" lang="de">[^\n]*Privacy Policy auf<ins> https://www\.appcues\.com/privacy</ins>\."#)
            .unwrap()
            .is_match(&v[0].1),
        "{}",
        v[0].1
    );
    // The change's link targets are named.
    assert!(
        v[0].1
            .contains("The link “https://www.appcues.com/privacy”")
            || v[0].1.contains("New: "),
        "{}",
        v[0].1
    );

    // The full text of the current version is in the page, its German section marked as such;
    // the older ones are drawn by the script (see the browser test).
    let text = page
        .split("<section id=\"text\"")
        .nth(1)
        .and_then(|t| t.split("</article>").next())
        .expect("the current text is in the page");
    assert!(
        text.contains("<section lang=\"de\">\n<h2>Datenerhebung"),
        "{text}"
    );
    assert!(
        text.contains("Privacy Policy auf https://www.appcues.com/privacy <span class=\"href\">")
    );
    assert!(!text.contains("phone number"), "the current text");
}

#[tokio::test]
async fn feeds_are_atom_with_one_entry_per_change_and_stable_ids_and_bytes() {
    let server = MockServer::start().await;
    let w = recorded_history(&server, "").await;
    let base = "https://example.test/watch/";
    let (one, two) = (w.path().join("one"), w.path().join("two"));
    assert_eq!(site(&w, &one, &["--base-url", base]).code, 0);
    // A new commit of alert state only changes nothing on the site.
    std::fs::write(w.snapshots().join(".heartbeat"), "2026-07-01\n").unwrap();
    commit(
        &w,
        "snapshots: heartbeat 2026-07-01",
        "2026-07-01T03:00:00Z",
    );
    assert_eq!(site(&w, &two, &["--base-url", base]).code, 0);
    let (a, b) = (files(&one), files(&two));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between two builds of the same history"
        );
    }

    let atom = "http://www.w3.org/2005/Atom";
    for (rel, entries) in [
        ("feed.xml", 2),
        (format!("{ID}/feed.xml").as_str(), 2),
        ("other/feed.xml", 0),
    ] {
        let xml = read(&one, rel);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().namespace(), Some(atom), "{rel}");
        assert_eq!(root.tag_name().name(), "feed");

        for must in ["id", "title", "updated", "author"] {
            assert!(child(root, must).is_some(), "{rel} has no <{must}>");
        }
        let list: Vec<_> = root
            .children()
            .filter(|c| c.has_tag_name((atom, "entry")))
            .collect();
        assert_eq!(list.len(), entries, "{rel}: one entry per change");
        let mut ids = Vec::new();
        for e in &list {
            let id = child(*e, "id").and_then(|i| i.text()).unwrap().to_string();
            assert!(id.starts_with("urn:uuid:"), "{id}");
            ids.push(id);
            let href = child(*e, "link").and_then(|l| l.attribute("href")).unwrap();
            assert!(
                href.starts_with(&format!("{base}{ID}/index.html#v-")),
                "{href}"
            );
            let updated = child(*e, "updated").and_then(|u| u.text()).unwrap();
            assert!(updated.parse::<jiff::Timestamp>().is_ok(), "{updated}");
            let content = child(*e, "content").unwrap();
            assert_eq!(content.attribute("type"), Some("html"));
            assert!(
                content.text().unwrap().contains("<del>")
                    || content.text().unwrap().contains("<ins>"),
                "the changed words are in the entry"
            );
        }
        ids.dedup();
        assert_eq!(ids.len(), entries, "{rel}: ids are distinct");
    }
    // The newest change first, each linking to its own version.
    let all = read(&one, "feed.xml");
    let first = all.find("2026-06-09T00:17:00Z").unwrap();
    let second = all.find("<updated>2026-04-14T12:17:00Z").unwrap();
    assert!(first < second);
}

#[tokio::test]
async fn a_slack_alert_links_to_the_page_of_its_change() {
    let server = MockServer::start().await;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_WEBHOOK_PATH))
        .respond_with(slack_ok())
        .mount(&slack)
        .await;
    let base = "https://example.test/watch/";
    let w = recorded_history(&server, &format!("site_url = \"{base}\"")).await;
    // One more change, announced in Slack.
    reserve(&server, PAGE, fixture("gitbook/edit-word.html")).await;
    serve(&server, OTHER, OTHER_PAGE).await;
    let mut cmd = w.cmd();
    cmd.env(
        "SLACK_WEBHOOK_URL",
        format!("{}{SLACK_WEBHOOK_PATH}", slack.uri()),
    )
    .arg("check");
    let r = crate::common::run(cmd).await;
    assert_eq!(r.code, 0, "{r:?}");
    commit(
        &w,
        "snapshots: changed crossengage-privacy",
        "2026-07-04T06:17:00Z",
    );

    let meta: serde_json::Value = serde_json::from_str(&w.snapshot(&format!("{ID}.json"))).unwrap();
    let hash = meta["content_hash"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let page = format!("{base}{ID}/index.html#v-{}", &hash[..12]);
    let bodies = slack_bodies(&slack, SLACK_WEBHOOK_PATH).await;
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].to_string().contains(&format!("<{page}|history>")),
        "{}",
        bodies[0]
    );

    // The site (its base from site_url) has that version under that anchor.
    let out = w.path().join("site");
    assert_eq!(site(&w, &out, &[]).code, 0);
    let html = read(&out, &format!("{ID}/index.html"));
    let v = versions(&html);
    assert_eq!(v[0].0, format!("v-{}", &hash[..12]));
    assert!(read(&out, "feed.xml").contains(&page));
}

#[tokio::test]
async fn a_folder_outside_git_or_a_symlinked_output_is_refused() {
    let w = Workdir::new(&target("a", "https://a.example/", ""));
    std::fs::create_dir_all(w.snapshots()).unwrap();
    let r = site(&w, &w.path().join("site"), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("is not in a git repository"),
        "{}",
        r.stderr
    );
    assert!(!w.path().join("site").exists(), "nothing written");

    git(w.path(), &["init", "-q"], None);
    std::fs::write(w.snapshots().join("a.md"), "# A\n\nSome text.\n").unwrap();
    commit(&w, "a", "2026-01-01T00:00:00Z");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = w.path().join("site");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.join("a")).unwrap();
    let r = site(&w, &out, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("is a symbolic link"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing written through the link"
    );

    let r = site(&w, &w.snapshots().join("site"), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("inside the snapshot folder"),
        "{}",
        r.stderr
    );
}

// --- in a browser ---------------------------------------------------------------------------

/// Chromium, or `None` (with a line that says the test is skipped) when there is none. Under
/// CI=true a missing browser fails the test.
fn chromium(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("POLICY_WATCH_BROWSER")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: Chromium is needed in CI (apt-get install chromium)");
        }
        eprintln!("skipped {test}: no Chromium on this machine (apt-get install chromium)");
    }
    found
}

/// A local server that serves `root` as the site at `http://policy-site.test/`, as the browser's
/// proxy: every request the browser makes, to any host, comes here and is logged.
struct SiteServer {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl SiteServer {
    fn start(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let (root, log) = (root.clone(), l.clone());
                    std::thread::spawn(move || answer(stream, &root, &log));
                }
            }
        });
        SiteServer { port, log, stop }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn answer(mut stream: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (verb, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    log.lock().unwrap().push(format!("{verb} {target}"));
    let prefix = format!("http://{SITE_HOST}/");
    let file = target
        .strip_prefix(&prefix)
        .map(|p| p.split(['?', '#']).next().unwrap_or(""))
        .filter(|p| !p.split('/').any(|c| c == ".."))
        .and_then(|p| std::fs::read(root.join(p)).ok());
    let response = match file {
        Some(body) if verb == "GET" => {
            let kind = if target.ends_with(".xml") {
                "application/atom+xml"
            } else {
                "text/html; charset=utf-8"
            };
            let mut r = format!("HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).into_bytes();
            r.extend(body);
            r
        }
        _ => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&response);
}

/// Runs headless Chromium on `url` with `args` (its requests through `proxy`, when given).
fn browse(bin: &Path, proxy: Option<u16>, args: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("120").arg(bin).args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-component-extensions-with-background-pages",
        "--disable-breakpad",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,SafeBrowsing,InterestFeedContentSuggestions,PrivacySandboxSettings4",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    if let Some(port) = proxy {
        // Every host, loopback included, through the logging server.
        cmd.arg(format!("--proxy-server=http://127.0.0.1:{port}"))
            .arg("--proxy-bypass-list=<-loopback>");
    }
    let out = cmd.args(args).arg(url).output().expect("run chromium");
    assert!(
        out.status.success(),
        "chromium on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Chromium's own background services (component updates, its clock, account sign-in, its
/// connectivity checks), which it calls whatever page it shows, even with background networking
/// turned off: not requests of the page. Which of Google's service hosts it calls varies by
/// build and by run (one full test run here saw tunnels to www.google.com), so the whole service
/// domains count as the browser's. Every other host counts against the page.
fn is_browser_service(request: &str) -> bool {
    let target = request.split_whitespace().nth(1).unwrap_or("");
    let host = target
        .strip_prefix("http://")
        .unwrap_or(target)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    ["google.com", "googleapis.com", "gstatic.com", "gvt1.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Where the screenshots go: test output under target/, to look at, never compared.
fn screenshot_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn in_a_browser_the_pages_show_targets_and_changes_and_request_nothing_elsewhere() {
    let Some(bin) =
        chromium("in_a_browser_the_pages_show_targets_and_changes_and_request_nothing_elsewhere")
    else {
        return;
    };
    let server = MockServer::start().await;
    let w = recorded_history(&server, "").await;
    let out = w.path().join("site");
    assert_eq!(site(&w, &out, &[]).code, 0);

    // No page names another site in anything a browser would load or send a reader to.
    let attr = regex::Regex::new(
        r#"(?i)\b(src|href|action|srcset|poster|formaction)\s*=\s*["']?([^"'\s>]*)"#,
    )
    .unwrap();
    let scheme = regex::Regex::new("^[a-z][a-z0-9+.-]*:").unwrap();
    for (name, bytes) in files(&out).iter().filter(|f| f.0.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        for c in attr.captures_iter(&html) {
            let v = c[2].to_ascii_lowercase();
            assert!(
                !v.starts_with("//") && !scheme.is_match(&v),
                "{name}: {}",
                &c[0]
            );
        }
        for never in [
            "url(",
            "@import",
            "<img",
            "<iframe",
            "<link rel=\"stylesheet",
        ] {
            assert!(!html.contains(never), "{name} has {never}");
        }
    }

    let (bin, root) = (bin.clone(), out.clone());
    let (log, index, change) = tokio::task::spawn_blocking(move || {
        let srv = SiteServer::start(root);
        let shots = screenshot_dir();
        let at = |rel: &str| format!("http://{SITE_HOST}/{rel}");
        let index = browse(
            &bin,
            Some(srv.port),
            &["--dump-dom".into()],
            &at("index.html"),
        );
        let change = browse(
            &bin,
            Some(srv.port),
            &["--dump-dom".into()],
            &at(&format!("{ID}/index.html")),
        );
        for (rel, png, size) in [
            ("index.html", "index.png", "480,1000"),
            (
                &format!("{ID}/index.html") as &str,
                "change-page.png",
                "1000,1800",
            ),
        ] {
            let shot = shots.join(png);
            browse(
                &bin,
                Some(srv.port),
                &[
                    format!("--screenshot={}", shot.display()),
                    format!("--window-size={size}"),
                ],
                &at(rel),
            );
            assert!(
                std::fs::metadata(&shot)
                    .map(|m| m.len() > 10_000)
                    .unwrap_or(false),
                "{}",
                shot.display()
            );
            eprintln!("screenshot: {}", shot.display());
        }
        (srv.requests(), index, change)
    })
    .await
    .unwrap();

    assert!(
        log.iter()
            .any(|r| r == &format!("GET http://{SITE_HOST}/{ID}/index.html")),
        "the pages came through the logging server: {log:?}"
    );
    for request in &log {
        assert!(
            request.starts_with(&format!("GET http://{SITE_HOST}/")) || is_browser_service(request),
            "a request left the site: {request} (all: {log:?})"
        );
    }
    for name in ["CrossEngage privacy policy", "other policy"] {
        assert!(index.contains(name), "the index names {name}");
    }
    let v = versions(&change);
    assert_eq!(v.len(), 3);
    assert!(texts(&v[0].1, "del")
        .iter()
        .any(|t| t.contains("phone number")));
    assert!(texts(&v[1].1, "ins")
        .iter()
        .any(|t| t.contains("phone number")));
    // The script ran: the comparison form is shown.
    assert!(
        change.contains("<form id=\"compare\">"),
        "the form is unhidden by the script"
    );
}

#[tokio::test]
async fn in_a_browser_comparing_two_chosen_versions_shows_their_difference() {
    let Some(bin) = chromium("in_a_browser_comparing_two_chosen_versions_shows_their_difference")
    else {
        return;
    };
    let server = MockServer::start().await;
    let w = recorded_history(&server, "").await;
    let out = w.path().join("site");
    assert_eq!(site(&w, &out, &[]).code, 0);
    // Versions are numbered oldest first: the baseline (0) against the current one (2), read
    // straight from the files (file://), as a reader who saved the site would.
    let url = format!("file://{}/{ID}/index.html#compare-0-2", out.display());
    let dom = tokio::task::spawn_blocking(move || browse(&bin, None, &["--dump-dom".into()], &url))
        .await
        .unwrap();
    let cmp = dom
        .split("<div id=\"cmp-out\" aria-live=\"polite\">")
        .nth(1)
        .and_then(|s| s.split("</form>").next())
        .unwrap_or_else(|| panic!("no comparison shown: {dom}"));
    assert!(cmp.contains("→"), "{cmp}");
    // Between these two, only the German links were filled: the words added and taken out
    // again in between are not a difference.
    assert!(!cmp.contains("phone number"), "{cmp}");
    let ins = texts(cmp, "ins");
    assert!(
        ins.iter()
            .any(|t| t.contains("https://www.appcues.com/privacy")),
        "{cmp}"
    );
    assert!(cmp.contains("lang=\"de\""), "{cmp}");

    // The full text of an older version, drawn from the page's data: the baseline, with its
    // empty German links.
    let url = format!("file://{}/{ID}/index.html#text-0", out.display());
    let bin =
        chromium("in_a_browser_comparing_two_chosen_versions_shows_their_difference").unwrap();
    let dom = tokio::task::spawn_blocking(move || browse(&bin, None, &["--dump-dom".into()], &url))
        .await
        .unwrap();
    let text = dom
        .split("<section id=\"text\"")
        .nth(1)
        .expect("the text section");
    let text = text.split("</article>").next().unwrap();
    assert!(
        text.contains("Full text of the version of 2026-03-02 06:17 UTC"),
        "{text}"
    );
    assert!(
        text.contains("<span class=\"empty\">empty link</span>"),
        "{text}"
    );
    assert!(!text.contains("phone number"), "{text}");
    assert!(text.contains("<p lang=\"de\">Rechtsgrundlage"), "{text}");
}
