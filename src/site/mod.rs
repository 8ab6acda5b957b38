//! `policy-watch site`: the snapshot folder's git history as a static web site with Atom
//! feeds — an index of the targets, a page per target with every recorded version and its
//! word diff (the same [`crate::diff`] the reports use), the full text of each version, a
//! comparison of any two, and feeds. It reads git with two commands (`history`), renders
//! targets in parallel, and writes only under the output folder (`write`). Building twice
//! from the same history gives the same bytes: nothing in it depends on the build's time.

mod feed;
mod history;
mod html;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use jiff::Timestamp;
use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::diff::{self, Change};
use crate::error::SiteError;
use crate::text::plural;
use feed::{Entry, EntryParts};
use history::Version;
use html::esc;
use write::OutDir;

/// Changes shown in a feed entry; the rest is on the page it links to.
const ENTRY_CHANGES_MAX: usize = 30;

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
                let r = render_target(job, &facts, versions, base, &out);
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

/// The sections of a version (its lines split at the top-level headings, as
/// [`crate::inspect::language::split`] does for blocks), each with its language when not English.
fn sections(
    lines: &[&str],
    cache: &mut HashMap<u64, Option<&'static str>>,
) -> Vec<(std::ops::Range<usize>, Option<&'static str>)> {
    let level = |l: &str| match html::Kind::of(l).0 {
        html::Kind::Heading(n) => Some(n),
        _ => None,
    };
    let levels: Vec<u8> = lines.iter().filter_map(|l| level(l)).collect();
    let top = match levels.iter().min() {
        None => 0,
        Some(&min) => {
            let lone_title = levels.iter().filter(|&&l| l == min).count() == 1 && levels[0] == min;
            match levels.iter().filter(|&&l| l > min).min() {
                Some(&next) if lone_title => next,
                _ => min,
            }
        }
    };
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let starts = level(l).is_some_and(|n| n <= top);
        match ranges.last_mut() {
            Some(r) if !starts => r.end = i + 1,
            _ => ranges.push(i..i + 1),
        }
    }
    let allowed = ["en".to_string(), "de".to_string()];
    ranges
        .into_iter()
        .map(|r| {
            let text: String = lines[r.clone()]
                .iter()
                .map(|l| diff::plain(l))
                .collect::<Vec<_>>()
                .join("\n");
            let mut h = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut h);
            let lang = *cache.entry(h.finish()).or_insert_with(|| {
                match crate::inspect::language::detect_language(&text, &allowed).as_deref() {
                    Some("de") => Some("de"),
                    _ => None,
                }
            });
            (r, lang)
        })
        .collect()
}

/// The comparison script's data: every distinct block once, each version as runs of block
/// numbers, and the changed pairs of blocks as the adjacent diffs worded them.
#[derive(Serialize)]
struct Data {
    versions: Vec<DataVersion>,
    text: Vec<String>,
    kind: Vec<&'static str>,
    /// Each block as the full text shows it (links written out), and its element.
    full: Vec<String>,
    tag: Vec<String>,
    lang: Vec<Option<&'static str>>,
    pairs: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct DataVersion {
    label: String,
    /// `[first, count, first, count, …]`.
    b: Vec<u32>,
}

fn runs(seq: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &id in seq {
        let n = out.len();
        if n >= 2 && out[n - 2] + out[n - 1] == id {
            out[n - 1] += 1;
        } else {
            out.push(id);
            out.push(1);
        }
    }
    out
}

fn render_target(
    job: &Job,
    facts: &Facts,
    versions: &[Version],
    base: Option<&Url>,
    out: &OutDir,
) -> Result<Rendered, SiteError> {
    let id = &job.id;
    let n = versions.len();

    // Every distinct block once; each version as block numbers.
    let mut pool: Vec<&str> = Vec::new();
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    let mut lines_of: Vec<Vec<&str>> = Vec::with_capacity(n);
    let mut seqs: Vec<Vec<u32>> = Vec::with_capacity(n);
    for v in versions {
        let lines = diff::blocks(&v.text);
        let seq = lines
            .iter()
            .map(|l| {
                *numbers.entry(l).or_insert_with(|| {
                    pool.push(l);
                    (pool.len() - 1) as u32
                })
            })
            .collect();
        lines_of.push(lines);
        seqs.push(seq);
    }
    // Sections and their languages; a block keeps the language of the first section it is in.
    let mut cache = HashMap::new();
    let mut block_lang: Vec<Option<Option<&'static str>>> = vec![None; pool.len()];
    let mut sections_of = Vec::with_capacity(n);
    for (lines, seq) in lines_of.iter().zip(&seqs) {
        let secs = sections(lines, &mut cache);
        for (r, lang) in &secs {
            for &b in &seq[r.clone()] {
                block_lang[b as usize].get_or_insert(*lang);
            }
        }
        sections_of.push(secs);
    }
    let lang_of = |md: &str| -> Option<&'static str> {
        numbers
            .get(md)
            .and_then(|&b| block_lang[b as usize])
            .flatten()
    };

    // Keys: the content hash; the newest version with a text has the plain anchor.
    let keys: Vec<String> = versions
        .iter()
        .map(|v| crate::hash::sha256_hex(v.text.as_bytes())[..12].to_string())
        .collect();
    let mut anchors: Vec<String> = vec![String::new(); n];
    let mut newest_of: HashMap<&str, usize> = HashMap::new();
    for i in (0..n).rev() {
        if newest_of.contains_key(keys[i].as_str()) {
            anchors[i] = format!("v-{}-{}", keys[i], short(&versions[i].commit));
        } else {
            newest_of.insert(&keys[i], i);
            anchors[i] = format!("v-{}", keys[i]);
        }
    }
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        first_of.entry(k).or_insert(i);
    }

    let name = esc(&job.name);
    let mut files = 0;
    let mut entries: Vec<Entry> = Vec::new();
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    let mut sections_html: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let v = &versions[i];
        let anchor = &anchors[i];
        let mut body = String::new();
        let mut summary;
        let back_to = first_of
            .get(keys[i].as_str())
            .filter(|&&f| f < i)
            .map(|&f| versions[f].date);
        if i == 0 {
            summary = format!(
                "First recorded version: {}.",
                plural(seqs[0].len(), "block", "blocks")
            );
        } else {
            let changes = diff::diff(&versions[i - 1].text, &v.text);
            let links = diff::link_changes(&changes);
            let (mut removed, mut added, mut shown) = (0, 0, 0);
            let mut diff_html = String::new();
            for c in &changes {
                if let Some(h) = html::change_html(c, &lang_of) {
                    if let Some(r) = c.as_read() {
                        let (r, a) = r.word_counts();
                        removed += r;
                        added += a;
                    }
                    diff_html.push_str(&h);
                    diff_html.push('\n');
                    shown += 1;
                }
                if let Change::Changed { .. } = c {
                    if let (Some(old), Some(new)) = c.sides() {
                        if let (Some(a), Some(b)) =
                            (numbers.get(old.as_str()), numbers.get(new.as_str()))
                        {
                            let mut words = match c.as_read() {
                                Some(Change::Changed { spans }) => html::spans_html(&spans),
                                _ => html::plain_html(&new),
                            };
                            words.push_str(&html::links_inline(&diff::link_changes(
                                std::slice::from_ref(c),
                            )));
                            pairs.insert(format!("{a}:{b}"), words);
                        }
                    }
                }
            }
            summary = if changes.is_empty() {
                "The text is the same as the version before.".to_string()
            } else {
                let mut s = format!(
                    "{} changed: {} removed, {} added",
                    plural(shown, "block", "blocks"),
                    plural(removed, "word", "words"),
                    added
                );
                if !links.is_empty() {
                    let _ = write!(
                        s,
                        "; {}",
                        plural(links.len(), "link changed", "links changed")
                    );
                }
                s.push('.');
                s
            };
            if let Some(at) = back_to {
                let _ = write!(summary, " Back to the text of {}.", date(at));
            }
            let links_html = html::links_html(&links);
            let _ = write!(
                body,
                "<div class=\"diff\">\n{diff_html}</div>\n{links_html}"
            );

            // The feed entry: the summary and the changed words, the first ones at least.
            let mut content = format!("<p>{}</p>", esc(&summary));
            let mut lines = diff_html.lines();
            for line in lines.by_ref().take(ENTRY_CHANGES_MAX) {
                content.push_str(line);
            }
            let rest = lines.count();
            if rest > 0 {
                let _ = write!(
                    content,
                    "<p>… and {} more on the page.</p>",
                    plural(rest, "change", "changes")
                );
            }
            content.push_str(&links_html);
            let title = if back_to.is_some() {
                format!("{} is back to an earlier version", job.name)
            } else {
                format!("{} changed", job.name)
            };
            entries.push(
                EntryParts {
                    target: id,
                    commit: &v.commit,
                    title: &title,
                    date: v.date,
                    link: &link(base, &format!("{id}/index.html#{anchor}")),
                    summary: &summary,
                    content_html: &content,
                }
                .render(),
            );
        }
        let current = if i + 1 == n { " (current)" } else { "" };
        sections_html.push(format!(
            "<section class=\"version\" id=\"{anchor}\" aria-labelledby=\"h-{anchor}\">\n<h3 id=\"h-{anchor}\">{}{current}</h3>\n<p class=\"sum\">{} · commit <span class=\"commit\">{}</span> · {}</p>\n{body}</section>\n",
            date(v.date),
            esc(&summary),
            short(&v.commit),
            if i + 1 == n {
                "<a href=\"#text\">Full text</a>".to_string()
            } else {
                // Drawn by the script from the page's data: without it, no link that would
                // show the current text under an older version's name.
                format!("<a class=\"js\" hidden href=\"#text-{i}\">Full text</a>")
            },
        ));
    }

    // The target's page.
    let mut body = format!(
        "<header class=\"top\"><nav aria-label=\"Breadcrumb\"><a href=\"../index.html\">All policies</a></nav></header>\n<main>\n<h1>{name}</h1>\n{}",
        facts_html(facts, n, None)
    );
    let _ = writeln!(
        body,
        "<p><a href=\"feed.xml\">Atom feed of this policy's changes</a>{}</p>",
        if n > 0 {
            " · <a href=\"#text\">Current text</a>".to_string()
        } else {
            String::new()
        }
    );
    let mut data_script = None;
    if n >= 2 {
        let options = |selected: usize| {
            let mut o = String::new();
            for i in (0..n).rev() {
                let _ = write!(
                    o,
                    "<option value=\"{i}\"{}>{} · {}</option>",
                    if i == selected { " selected" } else { "" },
                    date(versions[i].date),
                    short(&versions[i].commit)
                );
            }
            o
        };
        let _ = write!(
            body,
            "<form id=\"compare\" hidden>\n<h2>Compare two versions</h2>\n<label>From <select name=\"a\">{}</select></label>\n<label>to <select name=\"b\">{}</select></label>\n<button type=\"submit\">Compare</button>\n<div id=\"cmp-out\" aria-live=\"polite\"></div>\n</form>\n",
            options(n - 2),
            options(n - 1)
        );
        let top = html::top_level(&pool);
        let data = Data {
            versions: versions
                .iter()
                .zip(&seqs)
                .map(|(v, s)| DataVersion {
                    label: format!("{} · {}", date(v.date), short(&v.commit)),
                    b: runs(s),
                })
                .collect(),
            text: pool.iter().map(|l| html::plain_html(l)).collect(),
            kind: pool.iter().map(|l| html::Kind::of(l).0.class()).collect(),
            full: pool.iter().map(|l| html::block_inner(l)).collect(),
            tag: pool.iter().map(|l| html::block_tag(l, top)).collect(),
            lang: block_lang.iter().map(|l| l.flatten()).collect(),
            pairs,
        };
        let json = serde_json::to_string(&data)
            .expect("site data serialises")
            .replace('<', "\\u003c");
        data_script = Some(format!(
            "<script type=\"application/json\" id=\"pw-data\">{json}</script>\n"
        ));
    }
    if n == 0 {
        body.push_str("<p>No version of this policy is recorded in the history yet.</p>\n");
    } else {
        let _ = write!(
            body,
            "<h2>Versions, newest first</h2>\n<p class=\"legend\">Each version shows what changed against the one before it: removed words <del>struck through</del>, added words <ins>underlined</ins>.</p>\n"
        );
        for s in sections_html.iter().rev() {
            body.push_str(s);
        }
        let _ = write!(
            body,
            "<section id=\"text\" aria-labelledby=\"text-h\">\n<h2 id=\"text-h\">Full text of the current version ({}, commit <span class=\"commit\">{}</span>)</h2>\n<div id=\"text-body\">{}</div>\n</section>\n",
            date(versions[n - 1].date),
            short(&versions[n - 1].commit),
            html::full_text(&lines_of[n - 1], &sections_of[n - 1]),
        );
    }
    body.push_str("</main>");
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{name}: changes\" href=\"feed.xml\">\n"
    );
    let title = format!("{} — history", job.name);
    out.write(
        &format!("{id}/index.html"),
        html::page(&title, &head, &body, data_script.as_deref()).as_bytes(),
    )?;

    // Its feed, newest change first.
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.reverse();
    let feed_id = match base {
        Some(_) => link(base, &format!("{id}/feed.xml")),
        None => feed::urn(&format!("policy-watch feed {id}")),
    };
    let xml = feed::feed(
        &feed_id,
        &format!("{}: changes", job.name),
        &link(base, &format!("{id}/feed.xml")),
        &link(base, &format!("{id}/index.html")),
        &sorted,
    );
    out.write(&format!("{id}/feed.xml"), xml.as_bytes())?;
    files += 2;

    Ok(Rendered {
        facts: Facts {
            url: facts.url.clone(),
            final_url: facts.final_url.clone(),
            read: facts.read,
            findings: facts.findings.clone(),
        },
        versions: n,
        newest: versions
            .last()
            .map(|v| (v.date, anchors[n - 1].clone(), n > 1)),
        entries,
        files,
    })
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
    fn runs_of_block_numbers() {
        assert_eq!(runs(&[0, 1, 2, 7, 3, 4]), vec![0, 3, 7, 1, 3, 2]);
        assert!(runs(&[]).is_empty());
    }

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
