//! Rule work on real pages (a measurement, not a test): the extraction verdicts of
//! `scripts/bench/realworld`, computed in one process, so that a rule can be tried on every pair
//! and history of a collection in a minute instead of replaying each through the binary.
//!
//! ```sh
//! cargo run --release --example realworld_extract -- DIR [--only TEXT] [--out DIR] [--json FILE] [--at-home] [--all]
//! ```
//!
//! `DIR` is an unpacked archive of `../shared/realworld/`: with `pairs.json`, each pair is
//! extracted before and after with only the URL configured (every default rule) and counts as an
//! alert when the snapshot Markdown differs and the after page is taken as the document; with
//! `sequences.json`, each history is stepped through as `check` would meet it (a failed page
//! never alerts and is announced once after two in a row; a return to one of the last five
//! versions is announced once, then flips stay quiet). The binary's replay
//! (`scripts/bench/realworld`) stays the figure of record; this is the quick look between rules.
//! `--out` writes the block changes of every wrong pair or step there, to read (with `--all`, of
//! every alerted one too, to read what a reviewer would be shown). `--at-home`
//! reads each page at its own address instead of the loopback one, as a real fetch would: a
//! relative link and an absolute link to the same page then agree, and links to the site's own
//! hosts are known as such (the replay's loopback host hides both).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use policy_watch::diff::{diff, Change, SpanOp};
use policy_watch::extract::{extract, not_the_document, reads_the_same, Rules};
use serde_json::Value;
use url::Url;

/// One page as the default rules read it: its Markdown and visible characters, or why it failed.
#[derive(Clone)]
enum Read {
    Page { markdown: String, chars: usize },
    Failed(String),
}

fn read(pages: &Path, name: &str, url: &Url, rules: &Rules) -> Read {
    let bytes = match std::fs::read(pages.join(name)) {
        Ok(b) => b,
        Err(e) => return Read::Failed(format!("unreadable: {e}")),
    };
    let html = String::from_utf8_lossy(&bytes);
    match extract(&html, url, rules) {
        Ok(ex) => Read::Page {
            markdown: ex.markdown(),
            chars: ex.text_len(),
        },
        Err(e) => Read::Failed(e.to_string()),
    }
}

/// Why `now` is not taken as the new version of `stored` (the checks `observe` makes), if so.
fn refused(stored: (&str, usize), now: (&str, usize)) -> Option<String> {
    if stored.1 >= 500 && now.1 * 5 < stored.1 {
        return Some(format!("shrunk: {} of {} characters", now.1, stored.1));
    }
    not_the_document(stored.0, stored.1, now.0, now.1).map(|h| format!("not the document: {h}"))
}

/// What changed between a pair's pages inside Open Terms Archive's own selectors (its view of the
/// document): "text changed" (the words a reader sees), "links or images only", "same", or why
/// it cannot tell; with the block changes.
fn ota_view(pages: &Path, pair: &Value, url: &Url) -> (&'static str, String) {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    let select = list(&pair["ota_select"]);
    if select.is_empty() {
        return ("no selector", String::new());
    }
    // Open Terms Archive takes every match of every selector, in the page's order.
    let Ok(all) = scraper::Selector::parse(&select.join(", ")) else {
        return ("selector not understood", String::new());
    };
    let Ok(rules) = Rules::new(Some(&["body".to_string()]), &list(&pair["ota_remove"]), &[]) else {
        return ("selector not understood", String::new());
    };
    let text = |name: &Value| -> Option<(String, String)> {
        let bytes = std::fs::read(pages.join(name.as_str()?)).ok()?;
        let doc = scraper::Html::parse_document(&String::from_utf8_lossy(&bytes));
        let mut picked = String::from("<html><body>");
        let mut last: Option<ego_tree::NodeId> = None;
        for el in doc.select(&all) {
            // A match inside the previous one is already in.
            if last.is_some_and(|l| el.ancestors().any(|a| a.id() == l)) {
                continue;
            }
            last = Some(el.id());
            picked.push_str(&el.html());
        }
        picked.push_str("</body></html>");
        let ex = extract(&picked, url, &rules).ok()?;
        let plain = ex
            .blocks
            .iter()
            .map(|b| b.text())
            .collect::<Vec<_>>()
            .join("\n");
        Some((ex.markdown(), plain))
    };
    match (text(&pair["before"]), text(&pair["after"])) {
        (Some((m0, t0)), Some((m1, t1))) => {
            // An image's alt text or an icon is not the document's text.
            let words = |t: &str| {
                t.lines()
                    .map(|l| {
                        l.replace(policy_watch::extract::ICON_TEXT, "")
                            .trim()
                            .to_string()
                    })
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            };
            let what = if words(&t0) != words(&t1) {
                "text changed"
            } else if m0 != m1 {
                "links or images only"
            } else {
                "same"
            };
            let t0: String = t0.lines().map(|l| format!("{l}\n")).collect();
            let t1: String = t1.lines().map(|l| format!("{l}\n")).collect();
            (what, render(&diff(&t0, &t1)))
        }
        _ => ("selector matches nothing", String::new()),
    }
}

fn render(changes: &[Change]) -> String {
    let mut s = String::new();
    for c in changes {
        match c {
            Change::Added { text } => s.push_str(&format!("+ {text}\n")),
            Change::Removed { text } => s.push_str(&format!("- {text}\n")),
            Change::Moved { text } => s.push_str(&format!("~ {text}\n")),
            Change::Changed { spans } => {
                s.push_str("* ");
                for sp in spans {
                    match sp.op {
                        SpanOp::Equal => s.push_str(&sp.text),
                        SpanOp::Removed => s.push_str(&format!("[-{}-]", sp.text)),
                        SpanOp::Added => s.push_str(&format!("{{+{}+}}", sp.text)),
                    }
                }
                s.push('\n');
            }
        }
    }
    s
}

struct Args {
    dir: PathBuf,
    only: String,
    out: Option<PathBuf>,
    json: Option<PathBuf>,
    at_home: bool,
    all: bool,
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        dir: PathBuf::new(),
        only: String::new(),
        out: None,
        json: None,
        at_home: false,
        all: false,
    };
    while let Some(x) = it.next() {
        match x.as_str() {
            "--only" => a.only = it.next().expect("--only TEXT"),
            "--out" => a.out = it.next().map(PathBuf::from),
            "--json" => a.json = it.next().map(PathBuf::from),
            "--at-home" => a.at_home = true,
            "--all" => a.all = true,
            _ => a.dir = PathBuf::from(x),
        }
    }
    assert!(
        a.dir.is_dir(),
        "usage: realworld_extract DIR [--only TEXT] [--out DIR] [--json FILE] [--at-home] [--all]"
    );
    a
}

/// The document's own address (`--at-home`), or its path on a loopback host, as the binary's
/// replay serves it.
fn page_url(url: &str, at_home: bool) -> Url {
    match Url::parse(url) {
        Ok(u) if at_home => u,
        _ => loopback(url),
    }
}

/// The document's path on a loopback host, as the replay serves it.
fn loopback(url: &str) -> Url {
    let path = Url::parse(url).map_or_else(|_| "/".to_string(), |u| u.path().to_string());
    Url::parse("http://127.0.0.1:9/")
        .and_then(|base| base.join(&path))
        .expect("a loopback URL")
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect()
}

/// `--where PAGE TEXT`: the chosen root, and the elements around each text node holding TEXT.
fn where_is(page: &str, needle: &str) {
    let html = String::from_utf8_lossy(&std::fs::read(page).expect("page")).into_owned();
    let url = Url::parse("http://127.0.0.1:9/").unwrap();
    match extract(&html, &url, &Rules::default()) {
        Ok(ex) => println!("root: {} ({} chars)", ex.root, ex.text_len()),
        Err(e) => println!("extract: {e}"),
    }
    let doc = scraper::Html::parse_document(&html);
    for node in doc.tree.nodes() {
        let Some(t) = node.value().as_text() else {
            continue;
        };
        if !t.contains(needle) {
            continue;
        }
        println!("--- {:?}", t.trim().chars().take(120).collect::<String>());
        for a in node.ancestors().filter_map(scraper::ElementRef::wrap) {
            let v = a.value();
            let attrs: Vec<String> = v
                .attrs()
                .filter(|(k, _)| !matches!(*k, "href" | "src" | "d" | "srcset"))
                .map(|(k, v)| format!("{k}={:?}", v.chars().take(60).collect::<String>()))
                .collect();
            println!("  <{} {}>", v.name(), attrs.join(" "));
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--where") {
        return where_is(&argv[2], &argv[3]);
    }
    let a = args();
    if let Some(out) = &a.out {
        std::fs::create_dir_all(out).expect("--out folder");
    }
    let rules = Rules::default();
    let pages = a.dir.join("pages");
    let started = std::time::Instant::now();
    let mut cache: HashMap<String, Read> = HashMap::new();
    let mut get = |name: &str, url: &Url| {
        cache
            .entry(name.to_string())
            .or_insert_with(|| read(&pages, name, url, &rules))
            .clone()
    };
    let mut verdicts = Vec::new();
    if a.dir.join("pairs.json").exists() {
        let pairs: Vec<Value> =
            serde_json::from_slice(&std::fs::read(a.dir.join("pairs.json")).expect("pairs.json"))
                .expect("pairs.json is JSON");
        // per document: [noise, noise alerted, real, real caught, failed]
        let mut per: BTreeMap<String, [usize; 5]> = BTreeMap::new();
        let mut wrong = Vec::new();
        let mut ota_text_missed = 0;
        for (i, p) in pairs.iter().enumerate() {
            let doc = p["document"].as_str().unwrap_or("?");
            if !doc.contains(&a.only) {
                continue;
            }
            let url = page_url(p["url"].as_str().unwrap_or("/"), a.at_home);
            let real = p["label"] == "real";
            let before = get(p["before"].as_str().unwrap_or(""), &url);
            let after = get(p["after"].as_str().unwrap_or(""), &url);
            let (verdict, detail) = match (&before, &after) {
                (Read::Failed(e), _) => ("before-failed", e.clone()),
                (_, Read::Failed(e)) => ("after-failed", e.clone()),
                (
                    Read::Page {
                        markdown: m0,
                        chars: c0,
                    },
                    Read::Page {
                        markdown: m1,
                        chars: c1,
                    },
                ) => match refused((m0, *c0), (m1, *c1)) {
                    Some(why) => ("after-failed", why),
                    None => {
                        if std::env::var_os("LIKENESS").is_some() && m0 != m1 {
                            let l = policy_watch::extract::likeness(m0, m1);
                            println!(
                                "likeness #{i:04} {} kept {:.2} known {:.2} words {:.2} {:?} -> {:?} ({c0} -> {c1} chars)",
                                p["label"], l.kept, l.known, l.words, l.heading.0, l.heading.1
                            );
                        }
                        let changes = if m0 == m1 || reads_the_same(m0, m1) {
                            Vec::new()
                        } else {
                            diff(m0, m1)
                        };
                        if changes.is_empty() {
                            ("quiet", String::new())
                        } else {
                            ("alert", render(&changes))
                        }
                    }
                },
            };
            let row = per.entry(doc.to_string()).or_default();
            row[if real { 2 } else { 0 }] += 1;
            if verdict == "alert" {
                row[if real { 3 } else { 1 }] += 1;
            }
            if verdict.ends_with("failed") {
                row[4] += 1;
            }
            if real != (verdict == "alert") || verdict.ends_with("failed") {
                let mut detail = detail.clone();
                if real {
                    let (what, ota) = ota_view(&pages, p, &url);
                    detail =
                        format!("{detail}\n--- with Open Terms Archive's selectors: {what}\n{ota}");
                    if what == "text changed" {
                        ota_text_missed += 1;
                    }
                }
                wrong.push((i, doc.to_string(), real, verdict, detail));
            }
            verdicts.push(serde_json::json!({"index": i, "document": doc, "label": p["label"], "verdict": verdict}));
        }
        let mut tot = [0usize; 5];
        println!(
            "{:56} {:>9} {:>9} {:>6}",
            "document", "noise", "real", "failed"
        );
        for (doc, r) in &per {
            for k in 0..5 {
                tot[k] += r[k];
            }
            if r[1] > 0 || r[2] > r[3] || r[4] > 0 {
                println!(
                    "{doc:56} {:>9} {:>9} {:>6}",
                    format!("{}/{}", r[1], r[0]),
                    format!("{}/{}", r[3], r[2]),
                    r[4]
                );
            }
        }
        println!(
            "\noverall: false alerts {}/{} ({:.1}%), caught {}/{} ({:.1}%), failed {}; {:.1} s",
            tot[1],
            tot[0],
            100.0 * tot[1] as f64 / tot[0].max(1) as f64,
            tot[3],
            tot[2],
            100.0 * tot[3] as f64 / tot[2].max(1) as f64,
            tot[4],
            started.elapsed().as_secs_f64()
        );
        println!(
            "real pairs not alerted whose text changed inside Open Terms Archive's selectors: {ota_text_missed}"
        );
        for (i, doc, real, verdict, detail) in &wrong {
            let label = if *real { "real" } else { "noise" };
            let ota = detail
                .split_once("--- with Open Terms Archive's selectors: ")
                .map_or("", |(_, r)| r.lines().next().unwrap_or(""));
            println!("  #{i:04} {verdict:13} {label:5} {doc}  {ota}");
            if let Some(out) = &a.out {
                let _ = std::fs::write(
                    out.join(format!("pair{i:04}.txt")),
                    format!(
                        "{label} {verdict} {doc} {} -> {}\n\n{detail}",
                        pairs[*i]["before"], pairs[*i]["after"]
                    ),
                );
            }
        }
    } else {
        let seqs: Vec<Value> = serde_json::from_slice(
            &std::fs::read(a.dir.join("sequences.json")).expect("pairs.json or sequences.json"),
        )
        .expect("sequences.json is JSON");
        let (
            mut noise,
            mut noise_alert,
            mut real,
            mut real_alert,
            mut alerts,
            mut failed,
            mut flips,
        ) = (0, 0, 0, 0, 0, 0, 0);
        for s in &seqs {
            let doc = s["document"].as_str().unwrap_or("?");
            if !doc.contains(&a.only) {
                continue;
            }
            let url = page_url(s["url"].as_str().unwrap_or("/"), a.at_home);
            let mut stored: Option<(String, usize)> = None;
            let mut versions: Vec<String> = Vec::new();
            let mut flip_announced = false;
            let mut fails = 0;
            let mut doc_alerts = 0;
            for (n, step) in s["steps"].as_array().into_iter().flatten().enumerate() {
                let label = step["label"].as_str().unwrap_or("");
                let page = get(step["page"].as_str().unwrap_or(""), &url);
                let (verdict, detail) = match (&page, &stored) {
                    (Read::Failed(e), _) => ("failed", e.clone()),
                    (Read::Page { markdown, chars }, None) => {
                        stored = Some((markdown.clone(), *chars));
                        versions = vec![markdown.clone()];
                        ("watching", String::new())
                    }
                    (Read::Page { markdown, chars }, Some((m0, c0))) => {
                        if let Some(why) = refused((m0, *c0), (markdown, *chars)) {
                            ("failed", why)
                        } else if m0 == markdown
                            || reads_the_same(m0, markdown)
                            || diff(m0, markdown).is_empty()
                        {
                            ("unchanged", String::new())
                        } else {
                            let changes = render(&diff(m0, markdown));
                            if versions.iter().any(|v| v == markdown) {
                                if flip_announced {
                                    ("flip", changes)
                                } else {
                                    flip_announced = true;
                                    stored = Some((markdown.clone(), *chars));
                                    ("alert", format!("back to an earlier version\n{changes}"))
                                }
                            } else {
                                flip_announced = false;
                                versions.push(markdown.clone());
                                if versions.len() > 5 {
                                    versions.remove(0);
                                }
                                stored = Some((markdown.clone(), *chars));
                                ("alert", changes)
                            }
                        }
                    }
                };
                if verdict == "failed" {
                    fails += 1;
                    failed += 1;
                } else {
                    fails = 0;
                }
                if verdict == "flip" {
                    flips += 1;
                }
                let is_alert = verdict == "alert";
                if is_alert {
                    alerts += 1;
                    doc_alerts += 1;
                }
                match label {
                    "noise" => {
                        noise += 1;
                        noise_alert += is_alert as usize;
                    }
                    "real" => {
                        real += 1;
                        real_alert += is_alert as usize;
                    }
                    _ => {}
                }
                let wrong = (label == "noise" && is_alert)
                    || (label == "real" && !is_alert)
                    || verdict == "failed";
                if wrong || (a.all && is_alert) {
                    println!(
                        "  {doc:50} step {n:3} {label:6} {verdict}{}",
                        if fails == 2 { " (announced)" } else { "" }
                    );
                    if let Some(out) = &a.out {
                        let _ = std::fs::write(
                            out.join(format!("{}__step{n:03}.txt", safe(doc))),
                            format!(
                                "{label} {verdict} {doc} step {n} {}\n\n{detail}",
                                step["page"]
                            ),
                        );
                    }
                }
                verdicts.push(serde_json::json!({"document": doc, "step": n, "label": label, "verdict": verdict}));
            }
            let _ = doc_alerts;
        }
        println!(
            "\noverall: {alerts} alerts: {noise_alert} on {noise} noise steps, {real_alert} on {real} real steps; \
             alerts per real change caught: {:.2}; failed steps {failed}, quiet flips {flips}; {:.1} s",
            alerts as f64 / real_alert.max(1) as f64,
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(j) = &a.json {
        std::fs::write(j, serde_json::to_string_pretty(&verdicts).unwrap()).expect("--json file");
    }
}
