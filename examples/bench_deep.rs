//! Benchmark (a measurement, not a test): extract + diff of a page of deeply nested `<div>`s,
//! against scraper's parse time alone, for growing depths — to show that the cost grows about
//! linearly with the depth (a quadratic cost shows as a time that quadruples when the depth
//! doubles).
//!
//! ```sh
//! cargo run --release --example bench_deep                       # depths 25k 50k 100k 200k
//! cargo run --release --example bench_deep -- 50000 200000       # the depths given
//! cargo run --release --example bench_deep -- --plain-max 0      # skip the plain parse
//! ```
//!
//! Two shapes per depth: `bare` (the nesting, then a policy's paragraphs at the bottom) and
//! `text` (a sentence at every level, then the paragraphs). For each: scraper's own
//! `Html::parse_document` alone — the parse as it was before the depth cap, quadratic in the
//! depth, so only up to `--plain-max` (default 50,000) — and `extract` + `markdown()` + `diff`
//! against a stored version with one word edited, what `check` does with one page. One run
//! each (a deep page is slow to build and drop).

use std::time::{Duration, Instant};

use policy_watch::diff::diff;
use policy_watch::extract::{extract, Rules};
use url::Url;

const PARAS: &str = "<h1>Privacy policy</h1>\
    <p>We process your personal data only for the purposes named in this policy and for no other purpose.</p>\
    <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>";

/// A page with `depth` nested `<div>`s; with `text`, a sentence at every level.
fn deep_page(depth: usize, text: bool) -> String {
    let mut s = String::with_capacity(depth * 40 + 1024);
    s.push_str("<!doctype html><html><body><main>");
    for i in 0..depth {
        s.push_str("<div>");
        if text {
            s.push_str(&format!("Level {i} of the page. "));
        }
    }
    s.push_str(PARAS);
    for _ in 0..depth {
        s.push_str("</div>");
    }
    s.push_str("</main></body></html>");
    s
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn main() {
    let mut plain_max = 50_000;
    let depths: Vec<usize> = {
        let mut given: Vec<usize> = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if a == "--plain-max" {
                plain_max = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--plain-max DEPTH");
            } else {
                given.push(a.parse().expect("a depth (a number of nested divs)"));
            }
        }
        if given.is_empty() {
            vec![25_000, 50_000, 100_000, 200_000]
        } else {
            given
        }
    };
    let url = Url::parse("http://127.0.0.1/privacy").expect("url");
    let rules = Rules::default();
    println!(
        "{:>8} {:>5} {:>13} {:>12} {:>7}",
        "depth", "shape", "plain parse", "extract+diff", "blocks"
    );
    for &depth in &depths {
        for text in [false, true] {
            let page = deep_page(depth, text);
            let edited = page.replace("no other purpose", "no other purposes");
            let parse = (depth <= plain_max).then(|| {
                let (t, doc) = time(|| scraper::Html::parse_document(&page));
                drop(doc);
                format!("{:.2}s", t.as_secs_f64())
            });
            let stored = extract(&page, &url, &rules)
                .map(|e| e.markdown())
                .unwrap_or_default();
            let (check, blocks) = time(|| match extract(&edited, &url, &rules) {
                Ok(e) => {
                    let md = e.markdown();
                    let changes = diff(&stored, &md);
                    assert!(!changes.is_empty(), "the edit is seen");
                    e.blocks.len()
                }
                Err(e) => panic!("depth {depth}: {e}"),
            });
            println!(
                "{depth:>8} {:>5} {:>13} {:>11.2}s {blocks:>7}",
                if text { "text" } else { "bare" },
                parse.unwrap_or_else(|| "-".into()),
                check.as_secs_f64(),
            );
        }
    }
}
