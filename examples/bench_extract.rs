//! Benchmark (a measurement, not a test): extract + diff of one ~10 MB GitBook-like page,
//! against scraper's parse time alone — the DESIGN.md target is "within 2×".
//!
//! ```sh
//! cargo run --release --example bench_extract            # 10 MB page, 7 rounds
//! cargo run --release --example bench_extract -- --mb 10 --iters 7 --phase check
//! ```
//!
//! The page is built at run time from `tests/fixtures/gitbook/base.html`: the document inside
//! `[data-content-ref-root]` is repeated with section numbers in every heading and paragraph (so
//! no two blocks are alike) until the page reaches the size asked for. An edited variant carries
//! a few real edits spread through it (changed words, a changed link target, an added, a removed
//! and a moved paragraph).
//!
//! Phases (`--phase KEY` runs one; default all). They run round-robin — one iteration of each in
//! turn, `--iters` times after a warm-up round — so that load from elsewhere on a shared machine
//! hits them alike. Reported: median and min wall time, the median CPU time of the thread (from
//! /proc/thread-self/schedstat), the ratio to parse for both, and the phase's peak RSS:
//! - `parse`     `scraper::Html::parse_document` alone (building and dropping the tree);
//! - `extract`   `extract` of the page (parse + walk + ids);
//! - `both`      `extract` of page and edited page + `markdown()` + `diff` (two parses: ≥ 2× parse
//!   by construction);
//! - `check`     what `check` does per page: `extract` of the edited page + `markdown()` + `diff`
//!   against the stored Markdown of the original (one parse) — the DESIGN.md figure;
//! - `unchanged` the same with the unchanged page (the diff short-cuts on equal blocks);
//! - `diff`      `diff` of the two Markdown texts alone;
//! - `markdown()` of an extracted page, always.
//!
//! Peak memory: before each run VmHWM is reset to the current RSS (`/proc/self/clear_refs`), so
//! the peak RSS shown is that phase's own, with the most one run grew RSS over the RSS before it
//! (memory the allocator keeps after a free is still RSS, so growth after the first runs reads
//! low; the first run of a phase on fresh memory shows its real need). The process's peak is
//! printed after setup and at the end, tracked across those resets — which also reset the
//! kernel's mark that `/usr/bin/time` reads, so its max RSS can read lower than ours.
//! scripts/bench/extract.sh runs this under `/usr/bin/time -v`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use policy_watch::config::Config;
use policy_watch::diff::{diff, Change};
use policy_watch::extract::extract;
use url::Url;

const ROOT_OPEN: &str = "<div data-content-ref-root class=\"page-content\">";
const PAGINATION: &str = "<div class=\"page-pagination\">";

struct Args {
    mb: f64,
    iters: usize,
    phase: String,
}

fn args() -> Args {
    let mut a = Args {
        mb: 10.0,
        iters: 7,
        phase: "all".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--mb" => a.mb = v().parse().expect("--mb NUMBER"),
            "--iters" => a.iters = v().parse().expect("--iters NUMBER"),
            "--phase" => a.phase = v(),
            "-h" | "--help" => {
                println!(
                    "bench_extract [--mb 10] [--iters 7] [--phase all|parse|extract|both|check|unchanged|diff]\n\
                     (one phase runs together with parse, for the ratio)"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a.iters = a.iters.max(1);
    a
}

/// The fixture split around the document: (before, the document's inner HTML, after).
fn split_fixture(html: &str) -> (&str, &str, &str) {
    let open = html
        .find(ROOT_OPEN)
        .expect("fixture has [data-content-ref-root]")
        + ROOT_OPEN.len();
    let pagination = html.find(PAGINATION).expect("fixture has the pagination");
    let close = html[..pagination]
        .rfind("</div>")
        .expect("content root closes");
    (&html[..open], &html[open..close], &html[close..])
}

/// One copy of the document with section numbers: ids and `#` anchors get a suffix, and every
/// heading and paragraph starts with "§copy.block".
fn numbered_copy(doc: &str, copy: usize, out: &mut String) {
    let mut block = 0;
    let mut rest = doc;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let gt = rest.find('>').expect("tag closes") + 1;
        let tag = &rest[..gt];
        rest = &rest[gt..];
        // Unique ids and fragment links per copy.
        let tag = tag
            .replace("id=\"", &format!("id=\"s{copy}-"))
            .replace("href=\"#", &format!("href=\"#s{copy}-"));
        out.push_str(&tag);
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(name.as_str(), "p" | "h2" | "h3" | "li") {
            block += 1;
            out.push_str(&format!("§{copy}.{block} "));
        }
    }
    out.push_str(rest);
}

/// Page of about `bytes` bytes: the fixture with its document repeated.
fn build_page(fixture: &str, bytes: usize) -> (String, usize) {
    let (head, doc, tail) = split_fixture(fixture);
    let mut one = String::new();
    numbered_copy(doc, 0, &mut one);
    let copies = (bytes.saturating_sub(head.len() + tail.len()) / one.len()).max(1);
    let mut page = String::with_capacity(bytes + one.len());
    page.push_str(head);
    for copy in 1..=copies {
        numbered_copy(doc, copy, &mut page);
    }
    page.push_str(tail);
    (page, copies)
}

/// The page with a few real edits, spread through it. Returns the edited page and what was done.
fn edit_page(page: &str, copies: usize) -> (String, Vec<String>) {
    let mut out = page.to_string();
    let mut done = Vec::new();
    let at = |frac: f64| ((copies as f64 * frac) as usize).clamp(1, copies);
    let replace_once = |out: &mut String, from: &str, to: &str| {
        let i = out
            .find(from)
            .unwrap_or_else(|| panic!("edit anchor {from:?} not found"));
        out.replace_range(i..i + from.len(), to);
    };

    // 1. A changed word (EN, Appcues paragraph).
    let c = at(0.1);
    replace_once(
        &mut out,
        &format!("§{c}.3 When using the CrossEngage"),
        &format!("§{c}.3 Whenever you use the CrossEngage"),
    );
    done.push(format!("§{c}.3 words changed"));
    // 2. A changed link target (EN, Appcues policy link).
    let c = at(0.25);
    let anchor = format!("§{c}.4 ");
    let i = out.find(&anchor).expect("block");
    let j = i + out[i..]
        .find("https://www.appcues.com/privacy\"")
        .expect("link");
    out.replace_range(
        j..j + "https://www.appcues.com/privacy\"".len(),
        "https://www.appcues.com/legal/privacy\"",
    );
    done.push(format!("§{c}.4 link target changed"));
    // 3. A paragraph added (after a DE paragraph).
    let c = at(0.4);
    let anchor = format!("§{c}.11 ");
    let i = out.find(&anchor).expect("block");
    let end = i + out[i..].find("</p>").expect("p closes") + "</p>".len();
    out.insert_str(
        end,
        &format!("\n<p class=\"paragraph\">§{c}.11a Neu: Wir speichern zusätzlich Ihre Telefonnummer, um Sie bei Rückfragen zu erreichen.</p>"),
    );
    done.push(format!("§{c}.11a paragraph added"));
    // 4. A paragraph removed.
    let c = at(0.55);
    let anchor = format!("<p class=\"paragraph\">§{c}.6 ");
    let i = out.find(&anchor).expect("block");
    let end = i + out[i..].find("</p>").expect("p closes") + "</p>".len();
    out.replace_range(i..end, "");
    done.push(format!("§{c}.6 paragraph removed"));
    // 5. A paragraph moved (two paragraphs swapped).
    let c = at(0.7);
    let a = format!("<p class=\"paragraph\">§{c}.14 ");
    let b = format!("<p class=\"paragraph\">§{c}.15 ");
    let ia = out.find(&a).expect("block");
    let ea = ia + out[ia..].find("</p>").expect("p closes") + 4;
    let ib = out.find(&b).expect("block");
    let eb = ib + out[ib..].find("</p>").expect("p closes") + 4;
    let (pa, pb) = (out[ia..ea].to_string(), out[ib..eb].to_string());
    out.replace_range(ib..eb, &pa);
    out.replace_range(ia..ea, &pb);
    done.push(format!("§{c}.14/15 paragraphs swapped"));
    // 6. A changed number (DE, legal basis) and 7. a changed word near the end.
    let c = at(0.85);
    replace_once(
        &mut out,
        &format!("§{c}.12 Rechtsgrundlage"),
        &format!("§{c}.12 Die Rechtsgrundlage"),
    );
    done.push(format!("§{c}.12 word added"));
    let c = copies;
    replace_once(
        &mut out,
        &format!("§{c}.6 We also use"),
        &format!("§{c}.6 We no longer use"),
    );
    done.push(format!("§{c}.6 words changed"));
    (out, done)
}

/// A field of /proc/self/status in KiB (`VmHWM:` is the peak resident set, `VmRSS:` the current).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn vm_hwm_kib() -> Option<u64> {
    proc_status_kib("VmHWM:")
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/self/clear_refs`), so that the
/// peak of one phase can be read after it; returns the RSS at the reset. Note: memory that the
/// allocator keeps after a free still counts in RSS, so deltas can read low.
fn reset_hwm() -> Option<u64> {
    note_peak();
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    proc_status_kib("VmRSS:")
}

/// The process's peak RSS over the whole run (KiB), kept across the resets of VmHWM.
static PEAK_KIB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Folds the current VmHWM into [`PEAK_KIB`]; returns the peak so far.
fn note_peak() -> Option<u64> {
    let hwm = vm_hwm_kib()?;
    Some(
        PEAK_KIB
            .fetch_max(hwm, std::sync::atomic::Ordering::Relaxed)
            .max(hwm),
    )
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

/// CPU time this thread has run, from /proc/thread-self/schedstat (nanoseconds); robust
/// against other load on the machine, unlike wall time.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

struct Stats {
    median: Duration,
    min: Duration,
    /// Median CPU time of this thread, when the kernel reports it.
    cpu: Option<Duration>,
}

/// One measured phase: its label and what it runs.
struct Phase<'a> {
    key: &'static str,
    label: &'static str,
    run: Box<dyn FnMut() + 'a>,
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    /// Highest VmHWM seen at the end of a run, and the most a run grew RSS over the RSS
    /// before it (KiB).
    peak: Option<(u64, u64)>,
}

impl<'a> Phase<'a> {
    fn new(key: &'static str, label: &'static str, run: impl FnMut() + 'a) -> Self {
        Phase {
            key,
            label,
            run: Box::new(run),
            wall: Vec::new(),
            cpu: Vec::new(),
            peak: None,
        }
    }

    fn once(&mut self, record: bool) {
        let before = reset_hwm();
        let c = thread_cpu();
        let t = Instant::now();
        (self.run)();
        let wall = t.elapsed();
        if let (Some(rss), Some(hwm)) = (before, proc_status_kib("VmHWM:")) {
            let (peak, growth) = self.peak.unwrap_or((0, 0));
            self.peak = Some((peak.max(hwm), growth.max(hwm.saturating_sub(rss))));
        }
        if record {
            self.wall.push(wall);
            if let (Some(c0), Some(c1)) = (c, thread_cpu()) {
                self.cpu.push(c1.saturating_sub(c0));
            }
        }
    }

    fn stats(&self) -> Stats {
        let mut wall = self.wall.clone();
        let mut cpu = self.cpu.clone();
        wall.sort();
        cpu.sort();
        Stats {
            median: wall[wall.len() / 2],
            min: wall[0],
            cpu: (cpu.len() == wall.len()).then(|| cpu[cpu.len() / 2]),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(label: &str, s: &Stats, parse: Option<&Stats>, peak: Option<(u64, u64)>) {
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let vs_parse = parse
        .map(|p| {
            let cpu = match (s.cpu, p.cpu) {
                (Some(a), Some(b)) => format!(" (CPU {:.2}×)", ratio(a, b)),
                _ => String::new(),
            };
            format!("  {:>5.2}× parse{cpu}", ratio(s.median, p.median))
        })
        .unwrap_or_default();
    let cpu = s
        .cpu
        .map(|c| format!("   CPU {:>7.1} ms", ms(c)))
        .unwrap_or_default();
    println!(
        "{label:<44} median {:>7.1} ms   min {:>7.1} ms{cpu}{vs_parse}{}",
        ms(s.median),
        ms(s.min),
        peak.map(|(hwm, growth)| format!(
            "   peak RSS {} (grew by up to {})",
            mib(Some(hwm)),
            mib(Some(growth))
        ))
        .unwrap_or_default(),
    );
}

fn main() {
    let a = args();
    let fixture_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gitbook/base.html");
    let fixture = std::fs::read_to_string(&fixture_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", fixture_path.display()));

    let (page, copies) = build_page(&fixture, (a.mb * 1_000_000.0) as usize);
    let (edited, edits) = edit_page(&page, copies);

    let config = Config::builtin().expect("built-in config");
    let target = config
        .targets
        .iter()
        .find(|t| t.id == "crossengage-privacy")
        .expect("built-in GitBook target")
        .clone();
    let url = Url::parse("https://documentation.crossengage.io/privacy-policy").unwrap();

    // Reference results, and a sanity check that the edits show as edits.
    let old_md = extract(&page, &url, &target.rules)
        .expect("extract")
        .markdown();
    let new_md = extract(&edited, &url, &target.rules)
        .expect("extract")
        .markdown();
    let changes = diff(&old_md, &new_md);
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    let blocks = policy_watch::diff::blocks(&old_md).len();

    println!(
        "page: {:.2} MB ({} copies of the fixture's document, {} blocks, Markdown {:.2} MB); edited: {:.2} MB",
        page.len() as f64 / 1e6,
        copies,
        blocks,
        old_md.len() as f64 / 1e6,
        edited.len() as f64 / 1e6
    );
    println!("edits: {}", edits.join("; "));
    println!(
        "diff found {} changes: {} changed, {} added, {} removed, {} moved",
        changes.len(),
        count(|c| matches!(c, Change::Changed { .. })),
        count(|c| matches!(c, Change::Added { .. })),
        count(|c| matches!(c, Change::Removed { .. })),
        count(|c| matches!(c, Change::Moved { .. })),
    );
    println!(
        "iterations: {} (+1 warm-up); VmHWM after setup {}",
        a.iters,
        mib(note_peak())
    );
    println!();

    let markdown_of = extract(&page, &url, &target.rules).unwrap();
    // Phases run round-robin, one iteration of each in turn, so that load from elsewhere on the
    // machine hits them alike and the ratios to parse stay fair.
    let mut phases = vec![
        Phase::new("parse", "(a) scraper::Html::parse_document", || {
            black_box(scraper::Html::parse_document(black_box(&page)));
        }),
        Phase::new("extract", "(b) extract", || {
            black_box(extract(black_box(&page), &url, &target.rules).unwrap());
        }),
        Phase::new("both", "(c) extract both + markdown + diff", || {
            let o = extract(black_box(&page), &url, &target.rules)
                .unwrap()
                .markdown();
            let n = extract(black_box(&edited), &url, &target.rules)
                .unwrap()
                .markdown();
            black_box(diff(&o, &n));
        }),
        Phase::new(
            "check",
            "(d) check: extract edited + diff vs stored",
            || {
                let n = extract(black_box(&edited), &url, &target.rules)
                    .unwrap()
                    .markdown();
                black_box(diff(black_box(&old_md), &n));
            },
        ),
        Phase::new("unchanged", "(e) check, unchanged page", || {
            let n = extract(black_box(&page), &url, &target.rules)
                .unwrap()
                .markdown();
            black_box(diff(black_box(&old_md), &n));
        }),
        Phase::new("diff", "(f) diff of the two Markdown texts alone", || {
            black_box(diff(black_box(&old_md), black_box(&new_md)));
        }),
    ];
    // One phase asked for: it runs with parse, the yardstick.
    phases.retain(|p| a.phase == "all" || a.phase == p.key || p.key == "parse");
    if a.phase != "all" && !phases.iter().any(|p| p.key == a.phase) {
        panic!("unknown --phase {}", a.phase);
    }
    if a.phase == "all" {
        phases.push(Phase::new(
            "markdown",
            "    markdown() of the extracted page",
            || {
                black_box(markdown_of.markdown());
            },
        ));
    }

    for i in 0..=a.iters {
        for p in phases.iter_mut() {
            p.once(i > 0); // the first round is a warm-up
        }
    }
    let parse = phases.iter().find(|p| p.key == "parse").map(|p| p.stats());
    for p in &phases {
        let s = p.stats();
        report(
            p.label,
            &s,
            parse.as_ref().filter(|_| p.key != "parse"),
            p.peak,
        );
    }
    println!();
    if let (Some(parse), Some(check)) = (
        parse.as_ref(),
        phases.iter().find(|p| p.key == "check").map(|p| p.stats()),
    ) {
        let wall = check.median.as_secs_f64() / parse.median.as_secs_f64();
        let cpu = match (check.cpu, parse.cpu) {
            (Some(c), Some(p)) => format!(", CPU {:.2}×", c.as_secs_f64() / p.as_secs_f64()),
            _ => String::new(),
        };
        println!(
            "DESIGN.md target, extract + diff of one 10 MB page within 2× of parse: (d) is {wall:.2}× (wall){cpu} — {}",
            if wall <= 2.0 { "met" } else { "NOT met" }
        );
    }
    println!(
        "peak memory of the process (highest VmHWM over the run): {}",
        mib(note_peak())
    );
}
