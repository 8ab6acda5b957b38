//! `policy-watch site`: the snapshot folder's git history as a static web site with Atom
//! feeds — an index of the targets, a page per target with every recorded version and its
//! word diff (the same [`crate::diff`] the reports use), the full text of each version, a
//! comparison of any two, and feeds. It reads git with two commands (`history`), renders
//! targets in parallel, and writes only under the output folder (`write`). Building twice
//! from the same history gives the same bytes: nothing in it depends on the build's time.

mod feed;
mod history;
mod html;
mod target;
mod write;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use jiff::Timestamp;
use url::Url;

use crate::config::Config;
use crate::error::SiteError;
use crate::text::plural;
use feed::Entry;
use history::Version;
use html::esc;
use write::OutDir;

/// What a build made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub targets: usize,
    pub versions: usize,
    pub changes: usize,
    pub files: usize,
    /// The repository is a shallow clone: the site shows only the versions it holds.
    pub shallow: bool,
}

/// The address of the page that shows the version whose snapshot Markdown hashes to
/// `content_hash` (`sha256:…`), on a site published at `site_url`: what a Slack alert links to.
pub fn change_page(site_url: &Url, target: &str, content_hash: &str) -> String {
    let hex = content_hash.strip_prefix("sha256:").unwrap_or(content_hash);
    link(
        Some(site_url),
        &format!("{target}/index.html#v-{}", &hex[..hex.len().min(12)]),
    )
}

/// The address of a target's page on a site published at `site_url`.
pub fn target_page(site_url: &Url, target: &str) -> String {
    link(Some(site_url), &format!("{target}/index.html"))
}

/// A base URL as given (`--base-url`, `site_url`): http(s), ending in `/`.
pub fn parse_base(url: &str) -> Result<Url, SiteError> {
    let bad = || SiteError::BaseUrl {
        url: url.to_string(),
    };
    let mut u = Url::parse(url.trim()).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(bad());
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u)
}

fn link(base: Option<&Url>, rel: &str) -> String {
    match base {
        Some(b) => b.join(rel).map_or_else(|_| rel.to_string(), String::from),
        None => rel.to_string(),
    }
}

/// Builds the site of `config`'s snapshot folder into `out`; links in feeds are absolute
/// under `base_url` when one is given (else under the config's `site_url`, else relative).
pub fn build(config: &Config, out: &Path, base_url: Option<&Url>) -> Result<Built, SiteError> {
    let base = base_url.or(config.site_url.as_ref());
    let snapshots = &config.snapshot_dir;
    if let (Some(o), Some(s)) = (resolved(out), resolved(snapshots)) {
        if o.starts_with(&s) {
            return Err(SiteError::OutInSnapshots {
                out: out.to_path_buf(),
                snapshots: snapshots.clone(),
            });
        }
    }
    let history = history::read(snapshots)?;
    let out = OutDir::open(out)?;

    // The configured targets in their order, then any other target the history holds.
    let mut jobs: Vec<Job> = config
        .targets
        .iter()
        .map(|t| Job {
            id: t.id.clone(),
            name: t.name.clone(),
            url: t.url.to_string(),
        })
        .collect();
    let known: HashSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
    for id in history.targets.keys().filter(|id| !known.contains(*id)) {
        jobs.push(Job {
            id: id.clone(),
            name: id.clone(),
            url: String::new(),
        });
    }
    let state = read_state(snapshots);
    let empty: Vec<Version> = Vec::new();

    let next = AtomicUsize::new(0);
    let done: Vec<Mutex<Option<Result<Rendered, SiteError>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let versions = history.targets.get(&job.id).unwrap_or(&empty);
                let meta = read_json(&snapshots.join(format!("{}.json", job.id)));
                let facts = Facts {
                    url: if job.url.is_empty() {
                        meta_str(&meta, "url").unwrap_or_default()
                    } else {
                        job.url.clone()
                    },
                    final_url: meta_str(&meta, "final_url"),
                    read: how_read(&meta),
                    findings: findings(&state, snapshots, &job.id),
                };
                let r = target::render(job, &facts, versions, base, &out);
                *done[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });

    let mut rendered: Vec<(Rendered, &Job)> = Vec::with_capacity(jobs.len());
    for (slot, job) in done.into_iter().zip(&jobs) {
        let r = slot
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .expect("every target rendered")?;
        rendered.push((r, job));
    }

    let mut built = Built {
        targets: rendered.len(),
        versions: 0,
        changes: 0,
        files: 0,
        shallow: history.shallow,
    };
    let mut entries: Vec<&Entry> = Vec::new();
    for (r, _) in &rendered {
        built.versions += r.versions;
        built.changes += r.entries.len();
        built.files += r.files;
        entries.extend(&r.entries);
    }
    entries.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then_with(|| a.target.cmp(&b.target))
            .then_with(|| a.commit.cmp(&b.commit))
    });
    let feed_id = match base {
        Some(b) => link(Some(b), "feed.xml"),
        None => feed::urn("policy-watch feed of every target"),
    };
    let all = feed::feed(
        &feed_id,
        "Watched policies: every change",
        &link(base, "feed.xml"),
        &link(base, "index.html"),
        &entries,
    );
    out.write("feed.xml", all.as_bytes())?;
    out.write(
        "index.html",
        index_page(&rendered, history.shallow).as_bytes(),
    )?;
    built.files += 2;
    Ok(built)
}

/// A path made absolute with every link in its existing part resolved, for comparing where
/// two paths lead.
fn resolved(p: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(p).ok()?;
    let mut existing = abs.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            out.extend(rest.iter().rev());
            return Some(out);
        }
        rest.push(existing.file_name()?);
        existing = existing.parent()?;
    }
}

/// A target to render: as configured, or as found in the history only.
struct Job {
    id: String,
    name: String,
    url: String,
}

/// What the index says of a target besides its history.
struct Facts {
    url: String,
    final_url: Option<String>,
    read: &'static str,
    /// The open findings, from the alert state; `None` when there is no alert state.
    findings: Option<Vec<String>>,
}

/// Date and anchor of a target's newest version, and whether that is a change (not the
/// baseline).
type Newest = (Timestamp, String, bool);

/// One target's part of the site, once its files are written.
struct Rendered {
    facts: Facts,
    versions: usize,
    newest: Option<Newest>,
    entries: Vec<Entry>,
    files: usize,
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn meta_str(meta: &Option<serde_json::Value>, key: &str) -> Option<String> {
    meta.as_ref()?.get(key)?.as_str().map(str::to_string)
}

/// How the target was last read, as its metadata's `read` field records it (the store leaves
/// the field out for a plain HTTP read).
fn how_read(meta: &Option<serde_json::Value>) -> &'static str {
    meta.as_ref()
        .and_then(|m| m.get("read"))
        .and_then(|r| serde_json::from_value::<crate::document::ReadBy>(r.clone()).ok())
        .unwrap_or_default()
        .as_str()
}

/// The alert state: `state.json` of every target, if the folder has one.
fn read_state(dir: &Path) -> Option<serde_json::Value> {
    read_json(&dir.join("state.json"))
}

/// The findings of `id` that were announced and not yet resolved: from its own
/// `<id>.state.json`, else from the shared `state.json`. `None`: no alert state at all.
fn findings(shared: &Option<serde_json::Value>, dir: &Path, id: &str) -> Option<Vec<String>> {
    let own = read_json(&dir.join(format!("{id}.state.json")));
    let target = match (&own, shared) {
        (Some(o), _) => Some(o),
        (None, Some(s)) => s.get("targets").and_then(|t| t.get(id)),
        (None, None) => return None,
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(map) = target
        .and_then(|t| t.get("findings"))
        .and_then(|f| f.as_object())
    {
        for f in map.values() {
            if f.get("reported").and_then(|r| r.as_bool()) == Some(true) {
                if let Some(s) = f.get("summary").and_then(|s| s.as_str()) {
                    out.push(s.to_string());
                }
            }
        }
    }
    Some(out)
}

fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

/// The facts of a target as a definition list; `newest` links its last change (index).
fn facts_html(f: &Facts, versions: usize, newest: Option<(&str, &Option<Newest>)>) -> String {
    let mut s = String::from("<dl class=\"facts\">\n");
    let _ = writeln!(s, "<dt>Address</dt><dd class=\"url\">{}</dd>", esc(&f.url));
    if let Some(fin) = f.final_url.as_ref().filter(|u| **u != f.url) {
        let _ = writeln!(s, "<dt>Lands on</dt><dd class=\"url\">{}</dd>", esc(fin));
    }
    let read = match f.read {
        "browser" => "in a headless browser",
        "pdf" => "as a PDF document",
        _ => "plain HTTP",
    };
    let _ = writeln!(s, "<dt>Read</dt><dd>{read}</dd>");
    let _ = writeln!(s, "<dt>Versions</dt><dd>{versions}</dd>");
    if let Some((id, newest)) = newest {
        let last = match newest {
            Some((at, anchor, true)) => {
                format!("<a href=\"{id}/index.html#{anchor}\">{}</a>", date(*at))
            }
            Some((at, _, false)) => format!("none since watching began ({})", date(*at)),
            None => "none recorded".to_string(),
        };
        let _ = writeln!(s, "<dt>Last change</dt><dd>{last}</dd>");
    }
    let findings = match &f.findings {
        None => "unknown (no alert state stored)".to_string(),
        Some(list) if list.is_empty() => "none".to_string(),
        Some(list) => {
            let mut l = String::from("<ul>");
            for item in list {
                let _ = write!(l, "<li>{}</li>", esc(item));
            }
            l.push_str("</ul>");
            l
        }
    };
    let _ = writeln!(s, "<dt>Open findings</dt><dd>{findings}</dd>");
    s.push_str("</dl>\n");
    s
}

fn index_page(rendered: &[(Rendered, &Job)], shallow: bool) -> String {
    let mut body = String::from("<main>\n<h1>Watched policies</h1>\n");
    let _ = writeln!(
        body,
        "<p>{} watched · <a href=\"feed.xml\">Atom feed of every change</a></p>",
        plural(rendered.len(), "policy", "policies")
    );
    if shallow {
        body.push_str("<p class=\"note\">Built from a shallow clone: only the versions in its last commits are shown.</p>\n");
    }
    body.push_str("<ul class=\"targets\">\n");
    for (r, job) in rendered {
        let _ = write!(
            body,
            "<li>\n<h2><a href=\"{0}/index.html\">{1}</a></h2>\n{2}</li>\n",
            esc(&job.id),
            esc(&job.name),
            facts_html(&r.facts, r.versions, Some((&job.id, &r.newest)))
        );
    }
    body.push_str("</ul>\n</main>");
    let head = "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Every change\" href=\"feed.xml\">\n";
    html::page("Watched policies", head, &body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_end_in_a_slash_and_pages_link_by_content_hash() {
        let b = parse_base("https://example.github.io/repo").unwrap();
        assert_eq!(b.as_str(), "https://example.github.io/repo/");
        assert_eq!(
            change_page(&b, "appcues", "sha256:0123456789abcdef"),
            "https://example.github.io/repo/appcues/index.html#v-0123456789ab"
        );
        assert!(parse_base("ftp://x/").is_err());
        assert!(parse_base("not a url").is_err());
    }
}
