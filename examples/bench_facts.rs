//! Benchmark (a measurement, not a test): policy facts on real version changes.
//!
//! Reads Open Terms Archive pairs (`pairs.json` + `pages/`, see `../shared/realworld/README.md`),
//! extracts both sides of every `real` pair with only the URL configured, diffs them, and
//! - `--dump FILE`: writes each pair whose visible text changed, as `-`/`+` lines, for labelling;
//! - `--labels FILE`: runs the fact rules and prints precision and recall per kind against the
//!   hand-made labels (`scripts/bench/facts_labels.json`), and each miss and false fact.
//!
//! ```sh
//! scripts/bench/facts.sh                 # unpacks the two collections, builds, scores
//! cargo run --release --example bench_facts -- --pairs DIR:NAME ... --labels FILE
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use policy_watch::config::Config;
use policy_watch::diff::{diff, Change};
use policy_watch::extract::extract;
use policy_watch::facts::{self, Fact};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

struct Args {
    pairs: Vec<(PathBuf, String)>,
    dump: Option<PathBuf>,
    labels: Option<PathBuf>,
    verbose: bool,
}

fn args() -> Args {
    let mut a = Args {
        pairs: Vec::new(),
        dump: None,
        labels: None,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--pairs" => {
                let v = it.next().expect("--pairs DIR:NAME");
                let (dir, name) = v.rsplit_once(':').expect("DIR:NAME");
                a.pairs.push((PathBuf::from(dir), name.to_string()));
            }
            "--dump" => a.dump = Some(it.next().expect("--dump FILE").into()),
            "--labels" => a.labels = Some(it.next().expect("--labels FILE").into()),
            "-v" | "--verbose" => a.verbose = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// One real pair read and diffed: its key, document, the two Markdown texts and the changes.
struct Pair {
    key: String,
    document: String,
    old: String,
    new: String,
    changes: Vec<Change>,
}

fn markdown(dir: &Path, page: &str, url: &str) -> Option<String> {
    let html = std::fs::read(dir.join("pages").join(page)).ok()?;
    let html = String::from_utf8_lossy(&html);
    let toml = format!("[[target]]\nid = \"doc\"\nname = \"doc\"\nurl = {url:?}\n");
    let config = Config::parse(&toml, "<bench>", Path::new(".")).expect("config");
    let target = &config.targets[0];
    let url = Url::parse(url).ok()?;
    extract(&html, &url, &target.rules)
        .ok()
        .map(|e| e.markdown())
}

fn read_pairs(dir: &Path, name: &str) -> Vec<Pair> {
    let list: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pairs.json")).expect("pairs.json"))
            .expect("pairs json");
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        if p["label"] != "real" {
            continue;
        }
        let url = p["url"].as_str().unwrap_or_default();
        if !url.starts_with("http") {
            continue;
        }
        let (Some(old), Some(new)) = (
            markdown(dir, p["before"].as_str().unwrap_or_default(), url),
            markdown(dir, p["after"].as_str().unwrap_or_default(), url),
        ) else {
            continue;
        };
        let changes: Vec<Change> = diff(&old, &new)
            .iter()
            .filter_map(Change::as_read)
            .filter(|c| !matches!(c, Change::Moved { .. }))
            .collect();
        if changes.is_empty() {
            continue;
        }
        out.push(Pair {
            key: format!("{name}:{i}"),
            document: p["document"].as_str().unwrap_or_default().to_string(),
            old,
            new,
            changes,
        });
    }
    out
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn dump(pairs: &[Pair], out: &Path) {
    let mut s = String::new();
    for p in pairs {
        s.push_str(&format!(
            "=== {} {} ({} changes)\n",
            p.key,
            p.document,
            p.changes.len()
        ));
        for c in p.changes.iter().take(40) {
            match c {
                Change::Added { text } => s.push_str(&format!("+ {}\n", cut(text, 400))),
                Change::Removed { text } => s.push_str(&format!("- {}\n", cut(text, 400))),
                Change::Changed { spans } => {
                    let mut line = String::from("~ ");
                    for sp in policy_watch::report::with_context(spans, 8) {
                        match sp.op {
                            policy_watch::diff::SpanOp::Equal => line.push_str(&sp.text),
                            policy_watch::diff::SpanOp::Removed => {
                                line.push_str(&format!("[-{}-]", sp.text))
                            }
                            policy_watch::diff::SpanOp::Added => {
                                line.push_str(&format!("{{+{}+}}", sp.text))
                            }
                        }
                    }
                    s.push_str(&cut(&line, 700));
                    s.push('\n');
                }
                Change::Moved { .. } => {}
            }
        }
        if p.changes.len() > 40 {
            s.push_str(&format!("… {} more changes\n", p.changes.len() - 40));
        }
        let found = facts::facts(&p.old, &p.new, &p.changes);
        for f in &found {
            s.push_str(&format!("  FACT {}\n", show(f)));
        }
        s.push('\n');
    }
    std::fs::write(out, s).expect("write dump");
}

fn show(f: &Fact) -> String {
    format!(
        "{} {} {:?} -> {:?}{}",
        f.kind.as_str(),
        f.change.as_str(),
        f.before.as_deref().unwrap_or(""),
        f.after.as_deref().unwrap_or(""),
        f.about
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default()
    )
}

/// One labelled fact: its kind, what happened, and the texts (as the page wrote them; a
/// produced fact matches when its text holds the label's, or the other way round).
#[derive(Debug, Deserialize, Clone)]
struct Label {
    kind: String,
    change: String,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

fn norm(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn side_matches(label: &Option<String>, got: &Option<String>) -> bool {
    match (label, got) {
        (None, _) => true,
        (Some(l), Some(g)) => {
            let (l, g) = (norm(l), norm(g));
            !l.is_empty() && !g.is_empty() && (g.contains(&l) || l.contains(&g))
        }
        (Some(_), None) => false,
    }
}

fn matches(label: &Label, f: &Fact) -> bool {
    label.kind == f.kind.as_str()
        && label.change == f.change.as_str()
        && side_matches(&label.before, &f.before)
        && side_matches(&label.after, &f.after)
}

fn score(pairs: &[Pair], labels: &Path, verbose: bool) {
    let labels: BTreeMap<String, Vec<Label>> =
        serde_json::from_str(&std::fs::read_to_string(labels).expect("labels"))
            .expect("labels json");
    // kind -> (true positives, false positives, false negatives)
    let mut by_kind: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut labelled = 0;
    let mut without = 0;
    for p in pairs {
        let Some(want) = labels.get(&p.key) else {
            continue;
        };
        labelled += 1;
        if want.is_empty() {
            without += 1;
        }
        let got = facts::facts(&p.old, &p.new, &p.changes);
        let mut used = vec![false; got.len()];
        for l in want {
            let hit = got
                .iter()
                .enumerate()
                .find(|(i, f)| !used[*i] && matches(l, f))
                .map(|(i, _)| i);
            let e = by_kind.entry(l.kind.clone()).or_default();
            match hit {
                Some(i) => {
                    used[i] = true;
                    e[0] += 1;
                }
                None => {
                    e[2] += 1;
                    if verbose {
                        println!("MISS  {} {} {:?} -> {:?}", p.key, l.kind, l.before, l.after);
                    }
                }
            }
        }
        for (i, f) in got.iter().enumerate() {
            if !used[i] {
                // A second fact that matches an already matched label repeats it: not false.
                if want.iter().any(|l| matches(l, f)) {
                    continue;
                }
                by_kind.entry(f.kind.as_str().to_string()).or_default()[1] += 1;
                if verbose {
                    println!(
                        "FALSE {} {}  | {}",
                        p.key,
                        show(f),
                        cut(f.context.as_deref().unwrap_or(""), 160)
                    );
                }
            }
        }
    }
    println!(
        "{labelled} labelled version changes ({without} with no fact), {} read",
        pairs.len()
    );
    println!(
        "{:<14} {:>4} {:>4} {:>4} {:>10} {:>8}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    let mut total = [0usize; 3];
    for (k, [tp, fp, fneg]) in &by_kind {
        total[0] += tp;
        total[1] += fp;
        total[2] += fneg;
        println!(
            "{:<14} {:>4} {:>4} {:>4} {:>10} {:>8}",
            k,
            tp,
            fp,
            fneg,
            pct(*tp, tp + fp),
            pct(*tp, tp + fneg)
        );
    }
    let [tp, fp, fneg] = total;
    println!(
        "{:<14} {:>4} {:>4} {:>4} {:>10} {:>8}",
        "overall",
        tp,
        fp,
        fneg,
        pct(tp, tp + fp),
        pct(tp, tp + fneg)
    );
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

fn main() {
    let a = args();
    let mut pairs = Vec::new();
    for (dir, name) in &a.pairs {
        pairs.extend(read_pairs(dir, name));
    }
    if let Some(out) = &a.dump {
        dump(&pairs, out);
        let dir = out.with_extension("d");
        std::fs::create_dir_all(&dir).expect("dump dir");
        for p in &pairs {
            std::fs::write(dir.join(format!("{}.old.md", p.key)), &p.old).expect("write");
            std::fs::write(dir.join(format!("{}.new.md", p.key)), &p.new).expect("write");
        }
        println!(
            "{} pairs with a visible change written to {}",
            pairs.len(),
            out.display()
        );
    }
    if let Some(labels) = &a.labels {
        score(&pairs, labels, a.verbose);
    }
}
