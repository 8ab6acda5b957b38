//! One target's page and feed: every recorded version with its word diff against the one
//! before, the full text of the current one, the data the page's comparison script reads, and
//! an Atom entry per change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use serde::Serialize;
use url::Url;

use super::feed::{self, Entry, EntryParts};
use super::history::Version;
use super::html::{self, esc};
use super::write::OutDir;
use super::{date, facts_html, link, short, Facts, Job, Rendered};
use crate::diff::{self, Change, LinkChange};
use crate::error::SiteError;
use crate::text::plural;

/// Changes shown in a feed entry; the rest is on the page it links to.
const ENTRY_CHANGES_MAX: usize = 30;

/// Writes `job`'s page and feed into `out`.
pub(super) fn render(
    job: &Job,
    facts: &Facts,
    versions: &[Version],
    base: Option<&Url>,
    out: &OutDir,
) -> Result<Rendered, SiteError> {
    let id = &job.id;
    let n = versions.len();
    let blocks = Blocks::new(versions);
    let anchors = Anchors::new(versions);
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut sections_html: Vec<String> = Vec::with_capacity(n);
    for (i, v) in versions.iter().enumerate() {
        let anchor = &anchors.anchors[i];
        let back_to = anchors.first(i).map(|f| versions[f].date);
        let (summary, body) = if i == 0 {
            let summary = format!(
                "First recorded version: {}.",
                plural(blocks.seqs[0].len(), "block", "blocks")
            );
            (summary, String::new())
        } else {
            let diffed = Diffed::new(&versions[i - 1], v, &blocks, &mut pairs);
            let mut summary = diffed.summary();
            if let Some(at) = back_to {
                let _ = write!(summary, " Back to the text of {}.", date(at));
            }
            let links_html = html::links_html(&diffed.links);
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
                    content_html: &entry_content(&summary, &diffed.html, &links_html),
                }
                .render(),
            );
            let body = format!("<div class=\"diff\">\n{}</div>\n{links_html}", diffed.html);
            (summary, body)
        };
        sections_html.push(version_section(i, n, v, anchor, &summary, &body));
    }

    let (body, data_script) = page_body(job, facts, versions, &blocks, &sections_html, pairs);
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}: changes\" href=\"feed.xml\">\n",
        esc(&job.name)
    );
    let title = format!("{} — history", job.name);
    out.write(
        &format!("{id}/index.html"),
        html::page(&title, &head, &body, data_script.as_deref()).as_bytes(),
    )?;
    out.write(
        &format!("{id}/feed.xml"),
        feed_xml(job, base, &entries).as_bytes(),
    )?;

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
            .map(|v| (v.date, anchors.anchors[n - 1].clone(), n > 1)),
        entries,
        files: 2,
    })
}

/// Every distinct block of a target's versions once, each version as block numbers, its
/// sections, and the language of each block (that of the first section it is in).
struct Blocks<'a> {
    pool: Vec<&'a str>,
    numbers: HashMap<&'a str, u32>,
    lines_of: Vec<Vec<&'a str>>,
    seqs: Vec<Vec<u32>>,
    sections_of: Vec<Vec<(Range<usize>, Option<&'static str>)>>,
    block_lang: Vec<Option<Option<&'static str>>>,
}

impl<'a> Blocks<'a> {
    fn new(versions: &'a [Version]) -> Self {
        let n = versions.len();
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
        Blocks {
            pool,
            numbers,
            lines_of,
            seqs,
            sections_of,
            block_lang,
        }
    }

    /// The language of the block `md`, when not English.
    fn lang_of(&self, md: &str) -> Option<&'static str> {
        self.numbers
            .get(md)
            .and_then(|&b| self.block_lang[b as usize])
            .flatten()
    }
}

/// Each version's anchor on the page: `v-` and its content hash, for the newest version with
/// that text (the one an alert links to); older ones add their commit.
struct Anchors {
    anchors: Vec<String>,
    /// The first version with each content hash.
    first_of: HashMap<String, usize>,
    keys: Vec<String>,
}

impl Anchors {
    fn new(versions: &[Version]) -> Self {
        let keys: Vec<String> = versions
            .iter()
            .map(|v| crate::hash::sha256_hex(v.text.as_bytes())[..12].to_string())
            .collect();
        let n = keys.len();
        let mut anchors: Vec<String> = vec![String::new(); n];
        let mut newer: HashSet<&str> = HashSet::new();
        for i in (0..n).rev() {
            anchors[i] = if !newer.insert(&keys[i]) {
                format!("v-{}-{}", keys[i], short(&versions[i].commit))
            } else {
                format!("v-{}", keys[i])
            };
        }
        let mut first_of = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            first_of.entry(k.clone()).or_insert(i);
        }
        Anchors {
            anchors,
            first_of,
            keys,
        }
    }

    /// The earlier version whose text version `i` has again, if any.
    fn first(&self, i: usize) -> Option<usize> {
        self.first_of.get(&self.keys[i]).copied().filter(|&f| f < i)
    }
}

/// What changed from one version to the next, as the page shows it.
struct Diffed {
    /// The changes shown, one element a line.
    html: String,
    links: Vec<LinkChange>,
    any: bool,
    shown: usize,
    removed: usize,
    added: usize,
}

impl Diffed {
    /// The diff of `before` → `after`; each changed pair of blocks is also worded into
    /// `pairs` (by block numbers), for the comparison script.
    fn new(
        before: &Version,
        after: &Version,
        blocks: &Blocks,
        pairs: &mut BTreeMap<String, String>,
    ) -> Self {
        let changes = diff::diff(&before.text, &after.text);
        let mut d = Diffed {
            html: String::new(),
            links: diff::link_changes(&changes),
            any: !changes.is_empty(),
            shown: 0,
            removed: 0,
            added: 0,
        };
        for c in &changes {
            if let Some(h) = html::change_html(c, &|md| blocks.lang_of(md)) {
                if let Some(r) = c.as_read() {
                    let (r, a) = r.word_counts();
                    d.removed += r;
                    d.added += a;
                }
                d.html.push_str(&h);
                d.html.push('\n');
                d.shown += 1;
            }
            if let Some((key, words)) = pair_words(c, blocks) {
                pairs.insert(key, words);
            }
        }
        d
    }

    /// "2 blocks changed: 3 words removed, 5 added; 1 link changed."
    fn summary(&self) -> String {
        if !self.any {
            return "The text is the same as the version before.".to_string();
        }
        let mut s = format!(
            "{} changed: {} removed, {} added",
            plural(self.shown, "block", "blocks"),
            plural(self.removed, "word", "words"),
            self.added
        );
        if !self.links.is_empty() {
            let _ = write!(
                s,
                "; {}",
                plural(self.links.len(), "link changed", "links changed")
            );
        }
        s.push('.');
        s
    }
}

/// A changed block as the comparison script shows it, keyed `old:new` by block numbers.
fn pair_words(c: &Change, blocks: &Blocks) -> Option<(String, String)> {
    let Change::Changed { .. } = c else {
        return None;
    };
    let (Some(old), Some(new)) = c.sides() else {
        return None;
    };
    let a = blocks.numbers.get(old.as_str())?;
    let b = blocks.numbers.get(new.as_str())?;
    let mut words = match c.as_read() {
        Some(Change::Changed { spans }) => html::spans_html(&spans),
        _ => html::plain_html(&new),
    };
    words.push_str(&html::links_inline(&diff::link_changes(
        std::slice::from_ref(c),
    )));
    Some((format!("{a}:{b}"), words))
}

/// A feed entry's content: the summary and the changed blocks, the first ones at least.
fn entry_content(summary: &str, diff_html: &str, links_html: &str) -> String {
    let mut content = format!("<p>{}</p>", esc(summary));
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
    content.push_str(links_html);
    content
}

/// Version `i` of `n` as a section of the page.
fn version_section(
    i: usize,
    n: usize,
    v: &Version,
    anchor: &str,
    summary: &str,
    body: &str,
) -> String {
    let current = if i + 1 == n { " (current)" } else { "" };
    let full_text = if i + 1 == n {
        "<a href=\"#text\">Full text</a>".to_string()
    } else {
        // Drawn by the script from the page's data: without it, no link that would show the
        // current text under an older version's name.
        format!("<a class=\"js\" hidden href=\"#text-{i}\">Full text</a>")
    };
    format!(
        "<section class=\"version\" id=\"{anchor}\" aria-labelledby=\"h-{anchor}\">\n<h3 id=\"h-{anchor}\">{}{current}</h3>\n<p class=\"sum\">{} · commit <span class=\"commit\">{}</span> · {full_text}</p>\n{body}</section>\n",
        date(v.date),
        esc(summary),
        short(&v.commit),
    )
}

/// The target's page inside `<body>`, and the comparison script's data when there are two
/// versions to compare.
fn page_body(
    job: &Job,
    facts: &Facts,
    versions: &[Version],
    blocks: &Blocks,
    sections_html: &[String],
    pairs: BTreeMap<String, String>,
) -> (String, Option<String>) {
    let n = versions.len();
    let mut body = format!(
        "<header class=\"top\"><nav aria-label=\"Breadcrumb\"><a href=\"../index.html\">All policies</a></nav></header>\n<main>\n<h1>{}</h1>\n{}",
        esc(&job.name),
        facts_html(facts, n, None)
    );
    let _ = writeln!(
        body,
        "<p><a href=\"feed.xml\">Atom feed of this policy's changes</a>{}</p>",
        if n > 0 {
            " · <a href=\"#text\">Current text</a>"
        } else {
            ""
        }
    );
    let data_script = (n >= 2).then(|| {
        body.push_str(&compare_form(versions));
        data_script(versions, blocks, pairs)
    });
    if n == 0 {
        body.push_str("<p>No version of this policy is recorded in the history yet.</p>\n");
    } else {
        body.push_str("<h2>Versions, newest first</h2>\n<p class=\"legend\">Each version shows what changed against the one before it: removed words <del>struck through</del>, added words <ins>underlined</ins>.</p>\n");
        for s in sections_html.iter().rev() {
            body.push_str(s);
        }
        let _ = write!(
            body,
            "<section id=\"text\" aria-labelledby=\"text-h\">\n<h2 id=\"text-h\">Full text of the current version ({}, commit <span class=\"commit\">{}</span>)</h2>\n<div id=\"text-body\">{}</div>\n</section>\n",
            date(versions[n - 1].date),
            short(&versions[n - 1].commit),
            html::full_text(&blocks.lines_of[n - 1], &blocks.sections_of[n - 1]),
        );
    }
    body.push_str("</main>");
    (body, data_script)
}

/// The form that compares two versions (shown by the script), the last two chosen.
fn compare_form(versions: &[Version]) -> String {
    let n = versions.len();
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
    format!(
        "<form id=\"compare\" hidden>\n<h2>Compare two versions</h2>\n<label>From <select name=\"a\">{}</select></label>\n<label>to <select name=\"b\">{}</select></label>\n<button type=\"submit\">Compare</button>\n<div id=\"cmp-out\" aria-live=\"polite\"></div>\n</form>\n",
        options(n - 2),
        options(n - 1)
    )
}

/// The comparison script's data, as a `<script type="application/json">`.
fn data_script(versions: &[Version], blocks: &Blocks, pairs: BTreeMap<String, String>) -> String {
    let pool = &blocks.pool;
    let top = html::top_level(pool);
    let data = Data {
        versions: versions
            .iter()
            .zip(&blocks.seqs)
            .map(|(v, s)| DataVersion {
                label: format!("{} · {}", date(v.date), short(&v.commit)),
                b: runs(s),
            })
            .collect(),
        text: pool.iter().map(|l| html::plain_html(l)).collect(),
        kind: pool.iter().map(|l| html::Kind::of(l).0.class()).collect(),
        full: pool.iter().map(|l| html::block_inner(l)).collect(),
        tag: pool.iter().map(|l| html::block_tag(l, top)).collect(),
        lang: blocks.block_lang.iter().map(|l| l.flatten()).collect(),
        pairs,
    };
    let json = serde_json::to_string(&data)
        .expect("site data serialises")
        .replace('<', "\\u003c");
    format!("<script type=\"application/json\" id=\"pw-data\">{json}</script>\n")
}

/// The target's feed, newest change first.
fn feed_xml(job: &Job, base: Option<&Url>, entries: &[Entry]) -> String {
    let id = &job.id;
    let sorted: Vec<&Entry> = entries.iter().rev().collect();
    let feed_id = match base {
        Some(_) => link(base, &format!("{id}/feed.xml")),
        None => feed::urn(&format!("policy-watch feed {id}")),
    };
    feed::feed(
        &feed_id,
        &format!("{}: changes", job.name),
        &link(base, &format!("{id}/feed.xml")),
        &link(base, &format!("{id}/index.html")),
        &sorted,
    )
}

/// The sections of a version (its lines split at the top-level headings, as
/// [`crate::inspect::language::split`] does for blocks), each with its language when not English.
fn sections(
    lines: &[&str],
    cache: &mut HashMap<u64, Option<&'static str>>,
) -> Vec<(Range<usize>, Option<&'static str>)> {
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
    let mut ranges: Vec<Range<usize>> = Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_block_numbers() {
        assert_eq!(runs(&[0, 1, 2, 7, 3, 4]), vec![0, 3, 7, 1, 3, 2]);
        assert!(runs(&[]).is_empty());
    }
}
