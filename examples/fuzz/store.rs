//! The `store` target: a real snapshot folder, stored by the release binary from a local
//! server, with one or two of its files mutated (or made a link, a folder or a FIFO), then
//! `check` run on it. Every run must end by itself within the limit with exit 0, 1 or 2, name
//! a mutated file whenever it complains, keep every target's `.md` it did not find damaged,
//! and leave everything outside the folder as it was.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::mutate::{mutate, Rng};
use crate::{done, Args, Findings};

/// The targets of the folder under test.
const IDS: [&str; 2] = ["t0", "t1"];

/// Tokens of the files in the folder: JSON shapes, the names a journal may hold, dates.
const STORE_DICT: &[&str] = &[
    "{}",
    "[]",
    "null",
    "true",
    "\"\"",
    "{\"a\":",
    "[[",
    "]]",
    ",",
    ":",
    "\"content_hash\":\"sha256:00\"",
    "\"changed_at\":\"2100-01-01T00:00:00Z\"",
    "\"id\":\"t1\"",
    "\"id\":\"../x\"",
    "\"format\":2",
    "\"posted\":4294967295",
    "\"failures\":-1",
    "\"ts\":\"1.2\"",
    "\"renames\":[[\"t0.md.1.0.tmp\",\"t0.md\"]]",
    "\"renames\":[[\"../victim.txt\",\"t0.md\"]]",
    "\"renames\":[[\"t0.md.1.0.tmp\",\"../victim.txt\"]]",
    "t1.md",
    "t0.state.json",
    ".policy-watch/",
    "sha256:",
    "## ",
    "[](#)",
    "\n\n",
];

/// A small HTTP server on 127.0.0.1 whose pages carry version `version` (each connection
/// answered once, then closed).
fn serve(version: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let version = Arc::clone(&version);
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/");
                let body = page(path.trim_start_matches('/'), version.load(Ordering::SeqCst));
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://{addr}")
}

/// A policy page: English and German sections, a link, and in German an empty link (a
/// finding, so that the alert state holds one).
fn page(id: &str, version: usize) -> String {
    format!(
        "<!doctype html><html><head><title>{id}</title></head><body><main>\
         <h1>Privacy policy of {id}</h1>\
         <p>Version {version}: we collect your e-mail address to send you the newsletter you asked for, and keep it for {months} months.</p>\
         <p>Our processor is Appcues; its <a href=\"https://www.appcues.com/privacy\">privacy policy</a> says more.</p>\
         <h2>Datenschutz</h2>\
         <p>Wir erheben Ihre E-Mail-Adresse, um Ihnen den Newsletter zu senden. Mehr erfahren Sie in der Privacy Policy auf<a href=\"https://www.appcues.com/privacy\"></a>.</p>\
         </main></body></html>",
        months = 12 + version
    )
}

/// Copies the flat folder `from` (and its `.policy-watch/`) to `to`, which is emptied first.
fn copy_folder(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(from).expect("read folder").flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_folder(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// One run of `check` in `work`: exit code (None: killed by a signal), output, and whether it
/// overran `limit` (and was killed for it).
fn check(bin: &Path, work: &Path, limit: Duration) -> (Option<i32>, String, bool) {
    let mut child = Command::new(bin)
        .arg("check")
        .current_dir(work)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "error")
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("SLACK_BOT_TOKEN")
        .env_remove("SLACK_CHANNEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    let (mut out, mut err) = (
        child.stdout.take().expect("out"),
        child.stderr.take().expect("err"),
    );
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let mut errs = Vec::new();
    let started = Instant::now();
    let mut overran = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            overran = true;
            let _ = child.kill();
            break child.wait().expect("reap");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = err.read_to_end(&mut errs);
    let out = reader.join().unwrap_or_default();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&errs)
    );
    (status.code(), text, overran)
}

/// What one iteration did to the folder: the names a complaint must mention, and a record of
/// the change (for the failing input's file).
struct Mutation {
    names: Vec<String>,
    record: Vec<u8>,
}

/// The bytes of `path` when it is a plain file (never read through a link, nor from a FIFO
/// that an earlier mutation made, which would block).
fn plain(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.file_type()
        .is_file()
        .then(|| std::fs::read(path).ok())?
}

/// Writes `bytes` as a new plain file at `path`, in place of whatever was there.
fn put(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(path);
    std::fs::write(path, bytes).expect("write");
}

/// Applies one mutation to the folder `snap`.
fn apply(rng: &mut Rng, snap: &Path, seeds: &[Vec<u8>], m: &mut Mutation) {
    let work = snap.join(".policy-watch");
    let id = *rng.pick(&IDS);
    let note = |m: &mut Mutation, name: &str, bytes: &[u8]| {
        m.names.push(name.to_string());
        m.record
            .extend_from_slice(format!("=== {name} ({} bytes)\n", bytes.len()).as_bytes());
        m.record.extend_from_slice(bytes);
        m.record.push(b'\n');
    };
    match rng.below(9) {
        0..=4 => {
            // One of a target's own files.
            let ext = *rng.pick(&["md", "json", "json", "state.json", "state.json", "html"]);
            let name = format!("{id}.{ext}");
            let path = snap.join(&name);
            let mut bytes = plain(&path).unwrap_or_default();
            mutate(rng, &mut bytes, STORE_DICT, seeds, 256 * 1024);
            put(&path, &bytes);
            note(m, &name, &bytes);
        }
        5 | 6 => {
            // A journal a killed run would have left, with its staged files, mutated.
            let mut renames = Vec::new();
            for (k, ext) in ["md", "json", "state.json"].iter().enumerate() {
                let dest = format!("{id}.{ext}");
                let tmp = format!("{dest}.4242.{k}.tmp");
                if let Some(bytes) = plain(&snap.join(&dest)) {
                    put(&work.join(&tmp), &bytes);
                }
                renames.push(format!("[\"{tmp}\",\"{dest}\"]"));
            }
            let mut journal = format!("{{\"renames\":[{}]}}", renames.join(",")).into_bytes();
            if rng.chance(4) {
                // The staged copy of the Markdown, not the journal.
                let tmp = work.join(format!("{id}.md.4242.0.tmp"));
                let mut bytes = plain(&tmp).unwrap_or_default();
                mutate(rng, &mut bytes, STORE_DICT, seeds, 256 * 1024);
                put(&tmp, &bytes);
                note(m, &format!("{id}.md"), &bytes);
            } else {
                mutate(rng, &mut journal, STORE_DICT, seeds, 64 * 1024);
            }
            put(&work.join("commit.json"), &journal);
            note(m, "commit.json", &journal);
        }
        7 => {
            // The single state file of an earlier release, in place of the per-target ones.
            let mut entries = Vec::new();
            for t in IDS {
                let path = snap.join(format!("{t}.state.json"));
                let state = plain(&path).map_or_else(
                    || "{}".to_string(),
                    |b| String::from_utf8_lossy(&b).into_owned(),
                );
                let _ = std::fs::remove_file(&path);
                entries.push(format!("\"{t}\":{state}"));
            }
            let mut legacy = format!("{{{}}}", entries.join(",")).into_bytes();
            mutate(rng, &mut legacy, STORE_DICT, seeds, 256 * 1024);
            put(&snap.join("state.json"), &legacy);
            note(m, "state.json", &legacy);
        }
        _ => {
            // A file replaced by something that is not a plain file.
            let ext = *rng.pick(&["md", "json", "state.json", "html"]);
            let name = format!("{id}.{ext}");
            let path = snap.join(&name);
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_dir_all(&path);
            let what = match rng.below(3) {
                0 => {
                    std::os::unix::fs::symlink("../victim.txt", &path).expect("link");
                    "a link to ../victim.txt"
                }
                1 => {
                    std::fs::create_dir(&path).expect("folder");
                    "a folder"
                }
                _ => {
                    let c =
                        std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
                    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
                    unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
                    "a FIFO"
                }
            };
            note(m, &name, what.as_bytes());
        }
    }
}

pub fn run(a: &Args, dir: &Path) -> Findings {
    let bin = std::fs::canonicalize(&a.bin).unwrap_or_else(|_| {
        eprintln!(
            "{}: no binary (build it with `cargo build --release`, or pass --bin)",
            a.bin.display()
        );
        std::process::exit(2)
    });
    let version = Arc::new(AtomicUsize::new(1));
    let base = serve(Arc::clone(&version));
    let root = tempfile::tempdir().expect("work folder");
    let work = root.path().join("w");
    std::fs::create_dir_all(&work).expect("work folder");
    let targets: String = IDS
        .iter()
        .map(|id| format!("[[target]]\nid = \"{id}\"\nname = \"{id} policy\"\nurl = \"{base}/{id}\"\nlanguages = [\"en\", \"de\"]\n\n"))
        .collect();
    std::fs::write(
        work.join("policy-watch.toml"),
        format!(
            "snapshot_dir = \"snapshots\"\n\n[http]\ntimeout_secs = 5\nretries = 0\n\n{targets}"
        ),
    )
    .expect("config");
    let victim = b"not the store's: must stay as it is\n";
    std::fs::write(work.join("victim.txt"), victim).expect("victim");
    // The seed folder: a baseline, then a change (the state remembers versions and findings).
    for v in [1, 2] {
        version.store(v, Ordering::SeqCst);
        let (code, out, _) = check(&bin, &work, a.limit);
        assert!(code.is_some_and(|c| c == 0), "setup run {v}: {out}");
    }
    let snap = work.join("snapshots");
    let pristine = root.path().join("pristine");
    copy_folder(&snap, &pristine);
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(&pristine)
        .expect("seeds")
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();

    let mut rng = Rng::new(a.seed);
    let mut found = Findings::default();
    let current = dir.join("current");
    let started = Instant::now();
    while !done(a, started, found.iters) {
        copy_folder(&pristine, &snap);
        let mut m = Mutation {
            names: Vec::new(),
            record: Vec::new(),
        };
        apply(&mut rng, &snap, &seeds, &mut m);
        if rng.chance(4) {
            apply(&mut rng, &snap, &seeds, &mut m);
        }
        let _ = std::fs::write(&current, &m.record);
        let t = Instant::now();
        let (code, out, overran) = check(&bin, &work, a.limit);
        found.slowest_ms = found.slowest_ms.max(t.elapsed().as_millis());
        let mut wrong = Vec::new();
        if overran {
            wrong.push(format!("did not end within {} ms", a.limit.as_millis()));
        } else if !matches!(code, Some(0..=2)) {
            wrong.push(format!("exit {code:?}"));
        }
        if out.contains("panicked") {
            wrong.push("panicked".into());
        }
        let stderr = out.split("--- stderr ---").nth(1).unwrap_or("").trim();
        let complains = code != Some(0) || !stderr.is_empty();
        if complains && !overran && !m.names.iter().any(|n| out.contains(n.as_str())) {
            wrong.push(format!("complains without naming {:?}", m.names));
        }
        if std::fs::read(work.join("victim.txt")).ok().as_deref() != Some(&victim[..]) {
            wrong.push("victim.txt outside the folder was changed".into());
            std::fs::write(work.join("victim.txt"), victim).expect("victim");
        }
        let outside: Vec<String> = std::fs::read_dir(&work)
            .expect("work")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !["policy-watch.toml", "snapshots", "victim.txt"].contains(&n.as_str()))
            .collect();
        if !outside.is_empty() {
            wrong.push(format!("files appeared outside the folder: {outside:?}"));
        }
        for id in IDS {
            // A snapshot the run did not call damaged is never lost.
            let md = format!("{id}.md");
            if !m.names.contains(&md) && !snap.join(&md).is_file() && !out.contains(&md) {
                wrong.push(format!("{md} is gone"));
            }
        }
        if !wrong.is_empty() {
            let mut record = m.record.clone();
            record.extend_from_slice(format!("=== output\n{out}\n").as_bytes());
            found.fail(dir, &wrong.join("; "), &record);
        }
        found.iters += 1;
        if found.iters % 500 == 0 {
            eprintln!(
                "store: {} iterations, {} failing ({:.0} s)",
                found.iters,
                found.failures.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_file(current);
    found
}
