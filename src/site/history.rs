//! The snapshot folder's git history, read with the `git` command in two calls: `git log
//! --raw` lists every commit that changed a target's `<id>.md` with the blob it left, and one
//! `git cat-file --batch` reads those blobs. Commits that touch only alert state, metadata or
//! the heartbeat change no `.md`, so they are no versions.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use jiff::Timestamp;

use crate::error::SiteError;

/// One recorded version of a target's snapshot Markdown.
#[derive(Debug, Clone)]
pub struct Version {
    /// The commit that recorded it (40 hex digits).
    pub commit: String,
    /// The commit's author date: when the run that stored it happened.
    pub date: Timestamp,
    /// The Markdown as committed (shared between versions with the same blob).
    pub text: Arc<str>,
}

/// Every target's versions, oldest first, by target id.
#[derive(Debug, Default)]
pub struct History {
    pub targets: BTreeMap<String, Vec<Version>>,
    /// The repository is a shallow clone: older versions are missing.
    pub shallow: bool,
}

/// Reads the history of the snapshot folder `dir`.
pub fn read(dir: &Path) -> Result<History, SiteError> {
    if !dir.is_dir() {
        return Err(SiteError::NoSnapshots {
            dir: dir.to_path_buf(),
        });
    }
    let probe = git(
        dir,
        &[
            "rev-parse",
            "--is-inside-work-tree",
            "--is-shallow-repository",
        ],
    )
    .output()
    .map_err(|error| SiteError::GitMissing { error })?;
    let said = String::from_utf8_lossy(&probe.stdout);
    if !probe.status.success() || !said.starts_with("true") {
        return Err(SiteError::NotInGit {
            dir: dir.to_path_buf(),
        });
    }
    let shallow = said.lines().nth(1) == Some("true");
    let has_commits = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])
        .stdout(Stdio::null())
        .status()
        .map_err(|error| SiteError::GitMissing { error })?
        .success();
    if !has_commits {
        return Ok(History {
            targets: BTreeMap::new(),
            shallow,
        });
    }

    // Newest first, as git lists them; paths relative to the snapshot folder.
    let args = [
        "log",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-color",
        "--topo-order",
        "--relative",
        "--format=C %H %at",
        "--",
        ".",
    ];
    let log = run(dir, &args)?;
    let mut found: Vec<(String, String, i64, String)> = Vec::new(); // id, commit, time, blob
    let mut commit: Option<(String, i64)> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("C ") {
            let mut parts = rest.split(' ');
            let hash = parts.next().unwrap_or_default().to_string();
            let time = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
            commit = Some((hash, time));
        } else if let Some(raw) = line.strip_prefix(':') {
            let (Some((meta, path)), Some((hash, time))) = (raw.split_once('\t'), &commit) else {
                continue;
            };
            let Some(id) = path.strip_suffix(".md").filter(|id| is_target_id(id)) else {
                continue;
            };
            let fields: Vec<&str> = meta.split_whitespace().collect();
            // `:old_mode new_mode old_blob new_blob status`; a deleted file is no version.
            if let [_, _, _, blob, status] = fields[..] {
                if !status.starts_with('D') && blob.bytes().any(|b| b != b'0') {
                    found.push((id.to_string(), hash.clone(), *time, blob.to_string()));
                }
            }
        }
    }

    // Asked in the order of the history, not sorted: git then walks each delta chain once
    // and keeps its bases cached (ten times faster on a long history than a sorted list).
    let mut asked: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let blobs: Vec<String> = found
        .iter()
        .filter(|f| asked.insert(f.3.as_str()))
        .map(|f| f.3.clone())
        .collect();
    let texts = cat_blobs(dir, &blobs)?;

    let mut targets: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    for (id, commit, time, blob) in found.into_iter().rev() {
        let Some(text) = texts.get(&blob) else {
            continue;
        };
        targets.entry(id).or_default().push(Version {
            commit,
            date: Timestamp::from_second(time).unwrap_or(Timestamp::UNIX_EPOCH),
            text: text.clone(),
        });
    }
    Ok(History { targets, shallow })
}

/// A file stem that can be a target's: what the config accepts as an id (the snapshot
/// folder's README.md is not one).
fn is_target_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn git(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_PAGER", "cat")
        .stdin(Stdio::null());
    cmd
}

/// Runs git and returns what it printed; a failure carries git's own words.
fn run(dir: &Path, args: &[&str]) -> Result<String, SiteError> {
    let out = git(dir, args)
        .output()
        .map_err(|error| SiteError::GitMissing { error })?;
    if !out.status.success() {
        return Err(SiteError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    String::from_utf8(out.stdout).map_err(|e| SiteError::GitText {
        args: args.join(" "),
        error: e.utf8_error(),
    })
}

/// The contents of `blobs`, read by one `git cat-file --batch`.
fn cat_blobs(dir: &Path, blobs: &[String]) -> Result<HashMap<String, Arc<str>>, SiteError> {
    let failed = |stderr: String| SiteError::Git {
        args: "cat-file --batch".into(),
        stderr,
    };
    let unread = |error: std::io::Error| SiteError::GitRead {
        args: "cat-file --batch",
        error,
    };
    let mut child = git(dir, &["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| SiteError::GitMissing { error })?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let asked: Vec<String> = blobs.to_vec();
    // Written from a thread of its own: git answers while it reads, and a full pipe either
    // way would stall both sides.
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(stdin);
        for b in asked {
            w.write_all(b.as_bytes())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    });
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut out = HashMap::with_capacity(blobs.len());
    let mut header = String::new();
    for blob in blobs {
        header.clear();
        reader.read_line(&mut header).map_err(unread)?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        let size: usize = match fields[..] {
            [_, "blob", size] => size.parse().map_err(|_| failed(header.clone()))?,
            _ => return Err(failed(format!("{blob}: {}", header.trim()))),
        };
        let mut bytes = vec![0; size + 1];
        reader.read_exact(&mut bytes).map_err(unread)?;
        bytes.pop(); // the newline after the contents
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        out.insert(blob.clone(), Arc::from(text));
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}
