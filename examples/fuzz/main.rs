//! Fuzzer (a measurement, not a test) for what policy-watch reads from files it does not
//! control and from the network: mutates seed inputs for a number of iterations or seconds and
//! checks that each gives a result or an error — never a panic, never a hang — and, for files,
//! that the error names the file.
//!
//! ```sh
//! cargo run --release --example fuzz -- config --seconds 300
//! cargo run --release --example fuzz -- html   --seconds 600
//! cargo build --release && cargo run --release --example fuzz -- store --seconds 600
//! ```
//!
//! Targets:
//! - `config`: a `policy-watch.toml` (the shipped one and one that sets every key), read with
//!   `Config::load`; an error must name the file.
//! - `html`: a page as a server sends it (the pages under `tests/fixtures`, the real ones of
//!   the alert-quality fixtures included), extracted with the default rules and with a
//!   `select`; time per input is measured.
//! - `store`: the snapshot folder, through the release binary (`--bin`, default
//!   `target/release/policy-watch`): a real folder (stored by `check` from a local server) with
//!   one or two of its files mutated — `<id>.md`, `.json`, `.html`, `.state.json`, the journal
//!   `.policy-watch/commit.json` with its staged files, an earlier release's `state.json`, the
//!   lock's holder — then `check`. It must exit 0, 1 or 2 within the time limit, name a mutated
//!   file whenever it complains, and touch nothing outside the folder.
//!
//! Options: `--iters N`, `--seconds S` (whichever ends first), `--seed N`, `--limit-ms MS`
//! (an input slower than this is a hang; default 5,000, and 20,000 for `store`), `--out DIR`
//! (default `target/fuzz`: failing inputs are written to `DIR/<target>/`, and the input in
//! hand to `DIR/<target>/current`, so that one that aborts the process is kept too).

mod mutate;
mod store;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mutate::{mutate, Rng};
use policy_watch::document::{self, Body};
use policy_watch::extract::Rules;
use policy_watch::Config;
use url::Url;

/// Where the last panic happened (file:line), as the panic hook saw it.
static PANIC_AT: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// What one run of the fuzzer is asked to do.
pub struct Args {
    pub target: String,
    pub iters: u64,
    pub seconds: u64,
    pub seed: u64,
    pub limit: Duration,
    pub out: PathBuf,
    pub bin: PathBuf,
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let target = it.next().unwrap_or_else(|| usage());
    let mut a = Args {
        target,
        iters: u64::MAX,
        seconds: 60,
        seed: 1,
        limit: Duration::ZERO,
        out: PathBuf::from("target/fuzz"),
        bin: PathBuf::from("target/release/policy-watch"),
    };
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let num = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--iters" => a.iters = num(),
            "--seconds" => a.seconds = num(),
            "--seed" => a.seed = num(),
            "--limit-ms" => a.limit = Duration::from_millis(num()),
            "--out" => a.out = PathBuf::from(&value),
            "--bin" => a.bin = PathBuf::from(&value),
            _ => usage(),
        }
    }
    if a.limit.is_zero() {
        a.limit = Duration::from_millis(if a.target == "store" { 20_000 } else { 5_000 });
    }
    a
}

fn usage() -> ! {
    eprintln!(
        "usage: fuzz config|html|store [--iters N] [--seconds S] [--seed N] [--limit-ms MS] [--out DIR] [--bin PATH]"
    );
    std::process::exit(2)
}

/// What the fuzzer found, kept as it goes.
#[derive(Default)]
pub struct Findings {
    pub iters: u64,
    pub failures: Vec<String>,
    /// The slowest input, in milliseconds.
    pub slowest_ms: u128,
}

impl Findings {
    /// Records a failing input under `dir`, with what was wrong.
    pub fn fail(&mut self, dir: &Path, what: &str, input: &[u8]) {
        let name = format!("fail-{}", self.failures.len());
        let _ = std::fs::write(dir.join(&name), input);
        eprintln!("FAIL ({}): {what}", dir.join(&name).display());
        self.failures.push(format!("{name}: {what}"));
    }
}

fn main() {
    let a = args();
    let dir = a.out.join(&a.target);
    std::fs::create_dir_all(&dir).expect("output folder");
    // Panics are caught and recorded per input, with where they happened; the default hook
    // would print each one.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *PANIC_AT.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }));
    let started = Instant::now();
    let cpu = cpu_seconds();
    let found = match a.target.as_str() {
        "config" => in_process(&a, &dir, config_seeds(), CONFIG_DICT, fuzz_config),
        "html" => in_process(&a, &dir, html_seeds(), HTML_DICT, fuzz_html),
        "store" => store::run(&a, &dir),
        _ => usage(),
    };
    println!(
        "fuzz {}: {} iterations in {:.0} s wall, {:.0} s CPU (this process and its children), slowest input {} ms, {} failing",
        a.target,
        found.iters,
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        found.slowest_ms,
        found.failures.len()
    );
    for f in &found.failures {
        println!("  {f}");
    }
    std::process::exit(i32::from(!found.failures.is_empty()));
}

/// User and system time of this process and of its waited-for children, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: `times` fills the struct it is given and has no other effect.
    let mut t: libc::tms = unsafe { std::mem::zeroed() };
    unsafe { libc::times(&mut t) };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (t.tms_utime + t.tms_stime + t.tms_cutime + t.tms_cstime) as f64 / hz
}

/// Whether the run is over.
pub fn done(a: &Args, started: Instant, iters: u64) -> bool {
    iters >= a.iters || started.elapsed() >= Duration::from_secs(a.seconds)
}

/// Runs `one` on mutated seeds in this process: a panic or an input slower than the limit is
/// a failure. The input in hand is written to `current` first, so that an input that aborts
/// the process (a stack overflow) is kept as well.
fn in_process(
    a: &Args,
    dir: &Path,
    seeds: Vec<Vec<u8>>,
    dict: &[&str],
    one: fn(&[u8], &Path) -> Result<(), String>,
) -> Findings {
    assert!(!seeds.is_empty(), "no seeds");
    let mut rng = Rng::new(a.seed);
    let mut found = Findings::default();
    let scratch = tempfile::tempdir().expect("scratch folder");
    let current = dir.join("current");
    let started = Instant::now();
    while !done(a, started, found.iters) {
        let mut input = rng.pick(&seeds).clone();
        mutate(&mut rng, &mut input, dict, &seeds, 512 * 1024);
        let _ = std::fs::write(&current, &input);
        let t = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| one(&input, scratch.path())));
        let took = t.elapsed();
        found.slowest_ms = found.slowest_ms.max(took.as_millis());
        match result {
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let at = PANIC_AT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                found.fail(dir, &format!("panic at {at}: {msg}"), &input);
            }
            Ok(Err(why)) => found.fail(dir, &why, &input),
            Ok(Ok(())) if took > a.limit => found.fail(
                dir,
                &format!("took {} ms ({} bytes)", took.as_millis(), input.len()),
                &input,
            ),
            Ok(Ok(())) => {}
        }
        found.iters += 1;
    }
    let _ = std::fs::remove_file(current);
    found
}

// --- config ------------------------------------------------------------------------------

const CONFIG_DICT: &[&str] = &[
    "[[target]]",
    "[http]",
    "[links]",
    "[browser]",
    "id = \"a\"",
    "id = \"../x\"",
    "url = \"http://127.0.0.1/\"",
    "url = \"file:///etc/passwd\"",
    "select = [\"main\", \"[data-x\"]",
    "remove = [\":has(\"]",
    "ignore = [\"(a+)+$\", \"[\"]",
    "render = \"always\"",
    "languages = [\"en\", \"xx\"]",
    "slack_webhook_env = \"\"",
    "slack_channel = \"#c\"",
    "timeout_secs = 0",
    "retries = 4294967296",
    "max_body_bytes = -1",
    "snapshot_dir = \"/\"",
    "snapshot_dir = \"\"",
    "site_url = \"javascript:alert(1)\"",
    "= ",
    "\"\"\"",
    "'''",
    "{ a = 1 }",
    "[[",
    "]]",
    "[a.b.c]",
    "inf",
    "nan",
];

/// A config that sets every key, and the shipped one.
fn config_seeds() -> Vec<Vec<u8>> {
    let full = r#"snapshot_dir = "snapshots"
site_url = "https://example.org/policies/"

[http]
user_agent = "fuzz"
timeout_secs = 10
retries = 2
backoff_ms = 100
max_body_bytes = 1_000_000
max_concurrency = 4
per_host = 2

[links]
exclude = ["^https://internal\\."]
accept = [200, 204]
timeout_secs = 5
retries = 1
max_concurrency = 8
per_host = 2

[browser]
executable = "chromium"
timeout_secs = 30

[[target]]
id = "a-policy"
name = "A policy"
url = "https://example.org/privacy"
select = ["[data-content-ref-root]", "main"]
remove = ["script", ".cookie"]
ignore = ["^Last updated"]
check_links = true
languages = ["en", "de"]
render = "auto"
slack_webhook_env = "A_HOOK"

[[target]]
id = "b"
name = "B"
url = "https://example.org/b.pdf"
slack_channel = "C0123"
"#;
    let shipped = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("policy-watch.toml"))
        .expect("policy-watch.toml");
    vec![full.as_bytes().to_vec(), shipped]
}

fn fuzz_config(input: &[u8], scratch: &Path) -> Result<(), String> {
    let path = scratch.join("policy-watch.toml");
    std::fs::write(&path, input).map_err(|e| format!("scratch: {e}"))?;
    match Config::load(&path) {
        Ok(_) => Ok(()),
        Err(e) => {
            let text = format!("{e:#}");
            if text.contains(&path.display().to_string()) {
                Ok(())
            } else {
                Err(format!("an error that does not name the file: {text}"))
            }
        }
    }
}

// --- html --------------------------------------------------------------------------------

const HTML_DICT: &[&str] = &[
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<main>",
    "<main data-content-ref-root>",
    "<article>",
    "<table><tr><td>",
    "<li>",
    "<ul>",
    "<ol start=\"-5\">",
    "<h1>",
    "<h6>",
    "<a href=\"\">",
    "<a href=\"#\">",
    "<a href=\"/cdn-cgi/l/email-protection#0b\">",
    "<span class=\"__cf_email__\" data-cfemail=\"zz\">",
    "<a href=\"https://x.example/?utm_source=a&gclid=b\">",
    "</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=#top\">",
    "<meta charset=\"utf-16\">",
    "<base href=\"javascript:x\">",
    "<template>",
    "<svg><foreignObject>",
    "<math>",
    "<noscript>",
    "<script>",
    "</script>",
    "<style>",
    "<select><option>",
    "<pre>",
    "<br>",
    "<hr>",
    "<img alt=\"x\">",
    "<![CDATA[",
    "<!--",
    "-->",
    "&nbsp;",
    "&#0;",
    "&#x110000;",
    "&amp",
    "<nav>",
    "<header>",
    "<footer>",
    "<dialog open>",
    "<div hidden>",
    "<div aria-hidden=\"true\">",
    "<div class=\"sr-only\">",
    "Last updated 3 days ago",
    "Zuletzt aktualisiert vor 3 Tagen",
    "<h2>Datenschutz</h2><p lang=\"de\">Wir verarbeiten Ihre Daten.</p>",
];

/// The fixture pages, and the real pages of the alert-quality fixtures (gzipped: read with
/// `gzip -dc`), up to 300 KB each.
fn html_seeds() -> Vec<Vec<u8>> {
    const MAX: usize = 300 * 1024;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = ["gitbook", "edge", "links", "vendor", "realworld/pages"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flat_map(|rd| rd.flatten().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut seeds = Vec::new();
    for p in paths {
        let name = p.to_string_lossy();
        let bytes = if name.ends_with(".html") {
            std::fs::read(&p).ok()
        } else if name.ends_with(".html.gz") {
            Command::new("gzip")
                .arg("-dc")
                .arg(&p)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| o.stdout)
        } else {
            None
        };
        seeds.extend(bytes.filter(|b| b.len() <= MAX));
    }
    seeds
}

fn fuzz_html(input: &[u8], _: &Path) -> Result<(), String> {
    thread_local! {
        static RULES: [Rules; 2] = [
            Rules::default(),
            Rules::new(
                Some(&["[data-content-ref-root]".into(), "main".into()]),
                &[".cookie".into()],
                &["^Last updated".into()],
            )
            .expect("rules compile"),
        ];
    }
    let url = Url::parse("https://example.org/legal/privacy").expect("url");
    // As the fetcher hands it on: decoded to text (here lossily, as a stored page is read).
    let body = Body::Html(String::from_utf8_lossy(input).into_owned());
    RULES.with(|rules| {
        for r in rules {
            if let Ok(page) = document::extract(&body, &url, r) {
                let _ = page.markdown();
            }
        }
    });
    Ok(())
}
