//! Pages that need a browser, bot walls and PDFs, end to end through the binary: a page
//! built by its own scripts, a server that turns away anything but a browser, a PDF made
//! here, a missing browser, and a plain page that must never start one. The browser tests
//! drive a real Chromium; without one they say "skipped: no Chromium", except under CI=true,
//! where a missing browser fails them.

use std::path::{Path, PathBuf};

use wiremock::matchers::{method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::common::{html, run, serve, target, Workdir};

/// The Chromium the browser tests drive: `POLICY_WATCH_BROWSER`, else one on PATH.
pub fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("POLICY_WATCH_BROWSER")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            ["chromium", "chromium-browser", "google-chrome", "chrome"]
                .iter()
                .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no Chromium on this CI machine: .ci/run installs one (apt-get install chromium)"
        );
        eprintln!("skipped: no Chromium (install chromium or set POLICY_WATCH_BROWSER)");
    }
    found
}

/// A page that is an empty shell until its script fetches the policy from the same server,
/// and that adds a line of its own that differs on every render.
const SHELL: &str = r#"<!doctype html><html lang="en"><head><title>Privacy</title></head>
<body><main><div id="app"></div></main>
<script>
fetch('/policy.json').then(r => r.json()).then(d => {
  const app = document.getElementById('app');
  const h = document.createElement('h1'); h.textContent = d.title; app.appendChild(h);
  for (const text of d.paragraphs) {
    const p = document.createElement('p'); p.textContent = text; app.appendChild(p);
  }
  const stamp = document.createElement('p');
  stamp.textContent = 'Rendered for you at ' + Date.now() + '-' + Math.random();
  app.appendChild(stamp);
});
</script></body></html>"#;

fn policy_json(retention: &str) -> String {
    serde_json::json!({
        "title": "Privacy policy",
        "paragraphs": [
            "We collect your e-mail address to send you the newsletter you asked for.",
            format!("We keep your account data for {retention} after you close your account."),
            "We share usage data with Mixpanel, Inc. for product analytics, under a data processing agreement.",
        ]
    })
    .to_string()
}

async fn serve_json(server: &MockServer, at: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        .mount(server)
        .await;
}

fn with_browser(w: &Workdir, browser: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = w.cmd();
    cmd.env("POLICY_WATCH_BROWSER", browser).args(args);
    cmd
}

#[tokio::test]
async fn a_page_built_by_its_scripts_is_read_in_a_browser_and_its_per_render_line_is_volatile() {
    let Some(browser) = chromium() else { return };
    let server = MockServer::start().await;
    serve(&server, "/privacy", SHELL).await;
    serve_json(&server, "/policy.json", policy_json("12 months")).await;
    let w = Workdir::new(&target("app", &format!("{}/privacy", server.uri()), ""));

    let first = run(with_browser(&w, &browser, &["check"])).await;
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("now watching"), "{}", first.stdout);
    assert!(
        first.stdout.contains("read in a headless browser"),
        "{}",
        first.stdout
    );
    let md = w.snapshot("app.md");
    assert!(md.contains("# Privacy policy"), "{md}");
    assert!(md.contains("for 12 months after"), "{md}");
    assert!(md.contains("Mixpanel, Inc."), "{md}");
    assert!(w.snapshot("app.json").contains("\"read\": \"browser\""));
    // The raw page kept is the rendered one.
    assert!(w.snapshot("app.html").contains("for 12 months after"));

    // Nothing changed but the line the scripts make anew on every render: no alert, and
    // nothing written.
    let files = w.snapshot_files();
    let again = run(with_browser(&w, &browser, &["check"])).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert!(again.stdout.contains("volatile"), "{}", again.stdout);
    assert_eq!(w.snapshot_files(), files, "an unchanged run writes nothing");

    // The policy changes: one alert with the change, without the per-render line.
    server.reset().await;
    serve(&server, "/privacy", SHELL).await;
    serve_json(&server, "/policy.json", policy_json("24 months")).await;
    let changed = run(with_browser(&w, &browser, &["check", "--format", "json"])).await;
    assert_eq!(changed.code, 0, "{changed:?}");
    let report: serde_json::Value = serde_json::from_str(&changed.stdout).expect("JSON");
    let t = &report["targets"][0];
    assert_eq!(t["status"], "changed", "{t}");
    assert_eq!(t["read"], "browser", "{t}");
    let changes = t["changes"].to_string();
    assert!(changes.contains("24"), "{changes}");
    assert!(!changes.contains("Rendered for you"), "{changes}");

    // preview and validate say how the page is read; validate names the per-render line.
    let preview = run(with_browser(
        &w,
        &browser,
        &["preview", "app", "--format", "json"],
    ))
    .await;
    assert_eq!(preview.code, 0, "{preview:?}");
    let p: serde_json::Value = serde_json::from_str(&preview.stdout).expect("JSON");
    assert_eq!(p["read"], "browser");
    let validate = run(with_browser(
        &w,
        &browser,
        &["validate", "app", "--interval", "0"],
    ))
    .await;
    assert!(
        validate.stdout.contains("read by browser"),
        "{}",
        validate.stdout
    );
    assert!(
        validate.stdout.contains("volatile: Rendered for you at"),
        "{}",
        validate.stdout
    );
    let targets = w.run(&["targets"]).await;
    assert!(
        targets.stdout.contains("render auto, last read by browser"),
        "{}",
        targets.stdout
    );
}

/// A User-Agent that a bot wall lets through: a browser's, not a headless one's.
struct BrowserAgent;

impl Match for BrowserAgent {
    fn matches(&self, request: &Request) -> bool {
        request
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| {
                ua.starts_with("Mozilla/5.0") && ua.contains("Chrome/") && !ua.contains("Headless")
            })
    }
}

#[tokio::test]
async fn a_page_behind_a_bot_wall_is_read_in_a_browser() {
    let Some(browser) = chromium() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/privacy"))
        .and(BrowserAgent)
        .respond_with(html(
            "<html><body><main><h1>Privacy policy</h1><p>We collect your e-mail address to send you the newsletter you asked for, and nothing else.</p></main></body></html>",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/privacy"))
        .respond_with(ResponseTemplate::new(403).set_body_string("Forbidden"))
        .mount(&server)
        .await;
    let w = Workdir::new(&target("walled", &format!("{}/privacy", server.uri()), ""));

    // Without a browser the wall is all there is.
    let never = Workdir::new(&target(
        "walled",
        &format!("{}/privacy", server.uri()),
        "render = \"never\"",
    ));
    let plain = run(with_browser(&never, &browser, &["check"])).await;
    assert_eq!(plain.code, 1, "{plain:?}");
    assert!(plain.stdout.contains("HTTP 403"), "{}", plain.stdout);

    let run1 = run(with_browser(&w, &browser, &["check", "--format", "json"])).await;
    assert_eq!(run1.code, 0, "{run1:?}");
    let report: serde_json::Value = serde_json::from_str(&run1.stdout).expect("JSON");
    assert_eq!(report["targets"][0]["status"], "watching");
    assert_eq!(report["targets"][0]["read"], "browser");
    assert!(w.snapshot("walled.md").contains("nothing else"));
}

/// A PDF with one font (Helvetica) and, per page, lines of (type size, baseline, text).
pub fn make_pdf(pages: &[&[(f64, f64, &str)]]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    let n = pages.len();
    // 1: catalog, 2: pages, 3: font, then a page and its content per page.
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    for (i, lines) in pages.iter().enumerate() {
        let mut content = String::new();
        for (size, y, text) in lines.iter() {
            let escaped = text
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            content.push_str(&format!("BT /F1 {size} Tf 72 {y} Td ({escaped}) Tj ET\n"));
        }
        if lines.is_empty() {
            // A scan: an image-like filled box and no text.
            content.push_str("q 0.5 g 72 72 450 650 re f Q\n");
        }
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn policy_pdf(retention: &str) -> Vec<u8> {
    let keep = format!("We keep your account data for {retention} after you close");
    make_pdf(&[
        &[
            (20.0, 740.0, "Data Processing Agreement"),
            (
                11.0,
                700.0,
                "This agreement says how the processor handles personal data",
            ),
            (11.0, 686.0, "on behalf of the controller."),
            (11.0, 656.0, &keep),
            (11.0, 642.0, "your account."),
        ],
        &[
            (14.0, 740.0, "Sub-processors"),
            (
                11.0,
                710.0,
                "Mixpanel, Inc. hosts product analytics in the United States.",
            ),
        ],
    ])
}

async fn serve_pdf(server: &MockServer, at: &str, bytes: Vec<u8>) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/pdf")
                .set_body_bytes(bytes),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_pdf_policy_is_stored_as_paragraphs_and_its_changes_are_diffed() {
    let server = MockServer::start().await;
    let pdf = policy_pdf("12 months");
    serve_pdf(&server, "/dpa.pdf", pdf.clone()).await;
    let w = Workdir::new(&target("dpa", &format!("{}/dpa.pdf", server.uri()), ""));

    let first = w.run(&["check"]).await;
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first.stdout.contains("read from the PDF's text"),
        "{}",
        first.stdout
    );
    assert_eq!(
        w.snapshot("dpa.md"),
        "# Data Processing Agreement\n\n\
         This agreement says how the processor handles personal data on behalf of the controller.\n\n\
         We keep your account data for 12 months after you close your account.\n\n\
         ## Sub-processors\n\n\
         Mixpanel, Inc. hosts product analytics in the United States.\n"
    );
    assert_eq!(
        std::fs::read(w.snapshots().join("dpa.pdf")).expect("dpa.pdf"),
        pdf,
        "the raw PDF is kept"
    );
    assert!(!w.snapshots().join("dpa.html").exists());
    assert!(w.snapshot("dpa.json").contains("\"read\": \"pdf\""));

    let same = w.run(&["check"]).await;
    assert_eq!(same.code, 0, "{same:?}");
    assert!(same.stdout.contains("unchanged"), "{}", same.stdout);

    server.reset().await;
    serve_pdf(&server, "/dpa.pdf", policy_pdf("24 months")).await;
    let changed = w.run(&["check"]).await;
    assert_eq!(changed.code, 0, "{changed:?}");
    assert!(changed.stdout.contains("[-12-]"), "{}", changed.stdout);
    assert!(changed.stdout.contains("{+24+}"), "{}", changed.stdout);
    assert!(w.snapshot("dpa.md").contains("24 months"));

    let preview = w.run(&["preview", "dpa", "--format", "json"]).await;
    let p: serde_json::Value = serde_json::from_str(&preview.stdout).expect("JSON");
    assert_eq!(p["read"], "pdf");
    let validate = w.run(&["validate", "dpa", "--interval", "0"]).await;
    assert!(
        validate.stdout.contains("read by pdf"),
        "{}",
        validate.stdout
    );
    let targets = w.run(&["targets"]).await;
    assert!(
        targets.stdout.contains("last read by pdf"),
        "{}",
        targets.stdout
    );
}

#[tokio::test]
async fn a_scanned_pdf_fails_saying_it_looks_scanned() {
    let server = MockServer::start().await;
    serve_pdf(&server, "/scan.pdf", make_pdf(&[&[], &[]])).await;
    let w = Workdir::new(&target("scan", &format!("{}/scan.pdf", server.uri()), ""));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("looks scanned"), "{}", run.stdout);
    assert!(!w.snapshots().join("scan.md").exists());
}

#[tokio::test]
async fn a_page_that_needs_a_missing_browser_fails_alone_naming_policy_watch_browser() {
    let server = MockServer::start().await;
    serve(&server, "/shell", SHELL).await;
    serve(
        &server,
        "/plain",
        "<html><body><main><h1>Privacy policy</h1><p>We collect your e-mail address to send you the newsletter you asked for.</p></main></body></html>",
    )
    .await;
    let targets = format!(
        "{}{}",
        target("shell", &format!("{}/shell", server.uri()), ""),
        target("plain", &format!("{}/plain", server.uri()), "")
    );
    let w = Workdir::new(&targets);
    // No browser anywhere: an empty PATH, no variable.
    let empty = tempfile::tempdir().expect("tempdir");
    let mut cmd = w.cmd();
    cmd.env("PATH", empty.path()).arg("check");
    let run1 = run(cmd).await;
    assert_eq!(run1.code, 1, "{run1:?}");
    assert!(
        run1.stdout.contains("plain policy — now watching"),
        "{}",
        run1.stdout
    );
    assert!(
        run1.stdout.contains("this page needs a browser"),
        "{}",
        run1.stdout
    );
    assert!(
        run1.stdout.contains("POLICY_WATCH_BROWSER"),
        "{}",
        run1.stdout
    );
    assert!(
        run1.stdout.contains("apt-get install chromium"),
        "{}",
        run1.stdout
    );
    assert!(!w.snapshots().join("shell.md").exists());

    // A variable that names nothing is named in the error.
    let mut cmd = w.cmd();
    cmd.env("POLICY_WATCH_BROWSER", "/nonexistent/chromium")
        .arg("check");
    let run2 = run(cmd).await;
    assert_eq!(run2.code, 1, "{run2:?}");
    assert!(
        run2.stdout
            .contains("POLICY_WATCH_BROWSER=/nonexistent/chromium"),
        "{}",
        run2.stdout
    );
}

#[tokio::test]
async fn a_plain_page_never_starts_the_browser() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/plain",
        "<html><body><main><h1>Privacy policy</h1><p>We collect your e-mail address to send you the newsletter you asked for.</p></main></body></html>",
    )
    .await;
    serve(&server, "/shell", SHELL).await;
    let w = Workdir::new(&target("plain", &format!("{}/plain", server.uri()), ""));
    // A stand-in browser that only notes that it was started.
    let fake = w.path().join("fake-chromium");
    let marker = w.path().join("browser-started");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho started >> '{}'\nexit 1\n",
            marker.display()
        ),
    )
    .expect("write fake browser");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    for args in [
        &["check"][..],
        &["preview", "plain"],
        &["validate", "plain", "--interval", "0"],
        &["diff"],
    ] {
        let r = run(with_browser(&w, &fake, args)).await;
        // validate finds this short page thin (1): a judgement, not trouble.
        assert!(r.code < 2, "{args:?}: {r:?}");
        assert!(
            !marker.exists(),
            "{args:?} started the browser for a plain page"
        );
    }

    // The stand-in is the one a page that needs a browser would start.
    let shell = Workdir::new(&target("shell", &format!("{}/shell", server.uri()), ""));
    let r = run(with_browser(&shell, &fake, &["check"])).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(marker.exists(), "the page that needs a browser started it");
    assert!(
        r.stdout.contains("this page needs a browser"),
        "{}",
        r.stdout
    );
}
