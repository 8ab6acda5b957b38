//! Sections and languages: the content split at its top-level headings, each section's
//! language detected, and each translated section compared with its reference-language
//! counterpart (its visible external links and its vendor subsections).

use std::collections::HashMap;
use std::ops::Range;

use url::Url;
use whatlang::{Detector, Lang};

use super::{anchors, normalize_url, without_fragment, Finding, FindingKind, Page};
use crate::extract::{Block, BlockKind, Inline};

/// A section with less text than this gets no language: detection would be a guess.
const MIN_DETECT_CHARS: usize = 20;

/// A run of blocks from one top-level heading to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading's text; `None` for what comes before the first heading.
    pub heading: Option<String>,
    /// The heading's level (`h2` → 2).
    pub level: Option<u8>,
    /// The blocks it holds, its heading included.
    pub blocks: Range<usize>,
    /// Its language (ISO 639-1), when detected.
    pub lang: Option<String>,
}

impl Section {
    /// How a finding's `section` names it: `"de: Heading"`, `"Heading"`, `"de"`.
    pub fn label(&self) -> Option<String> {
        match (&self.lang, &self.heading) {
            (Some(l), Some(h)) => Some(format!("{l}: {h}")),
            (None, Some(h)) => Some(h.clone()),
            (Some(l), None) => Some(l.clone()),
            (None, None) => None,
        }
    }

    /// The section in words: `the German section “Heading”`.
    pub fn name(&self) -> String {
        let lang = self
            .lang
            .as_deref()
            .map(|l| format!("{} ", language_name(l)))
            .unwrap_or_default();
        match &self.heading {
            Some(h) => format!("the {lang}section “{h}”"),
            None => format!("the {lang}text before the first heading"),
        }
    }

    /// ` in the German section “Heading”`, or nothing for the start of a page without
    /// headings or languages.
    pub fn phrase(&self) -> String {
        if self.heading.is_none() && self.lang.is_none() {
            return String::new();
        }
        format!(" in {}", self.name())
    }
}

/// A language's English name, for messages.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "de" => "German",
        other => other,
    }
}

fn whatlang_code(code: &str) -> Option<Lang> {
    match code {
        "en" => Some(Lang::Eng),
        "de" => Some(Lang::Deu),
        _ => None,
    }
}

fn iso_code(lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::Eng => Some("en"),
        Lang::Deu => Some("de"),
        _ => None,
    }
}

/// Splits content into sections at its top-level headings: the smallest heading level on the
/// page, or the next one down when the smallest occurs only once, at the top (a page title).
/// What comes before the first such heading is a section without a heading.
pub fn split(blocks: &[Block]) -> Vec<Section> {
    let levels: Vec<u8> = blocks
        .iter()
        .filter_map(|b| match b.kind {
            BlockKind::Heading(l) => Some(l),
            _ => None,
        })
        .collect();
    let top = match levels.iter().min() {
        None => {
            return if blocks.is_empty() {
                Vec::new()
            } else {
                vec![Section {
                    heading: None,
                    level: None,
                    blocks: 0..blocks.len(),
                    lang: None,
                }]
            }
        }
        Some(&min) => {
            let lone_title = levels.iter().filter(|&&l| l == min).count() == 1 && levels[0] == min;
            match levels.iter().filter(|&&l| l > min).min() {
                Some(&next) if lone_title => next,
                _ => min,
            }
        }
    };

    let mut sections: Vec<Section> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let starts = matches!(block.kind, BlockKind::Heading(l) if l <= top);
        match sections.last_mut() {
            Some(s) if !starts => s.blocks.end = i + 1,
            _ => sections.push(Section {
                heading: starts.then(|| block.text()),
                level: match block.kind {
                    BlockKind::Heading(l) if starts => Some(l),
                    _ => None,
                },
                blocks: i..i + 1,
                lang: None,
            }),
        }
    }
    sections
}

/// Snapshot lines back into blocks: headings by their `#`s, the rest as paragraphs, each with
/// its text as a reader sees it (link targets left out).
pub fn markdown_blocks(lines: &[&str]) -> Vec<Block> {
    lines
        .iter()
        .map(|line| {
            let level = line.chars().take_while(|c| *c == '#').count();
            let (kind, text) = if (1..=6).contains(&level) && line[level..].starts_with(' ') {
                (BlockKind::Heading(level as u8), line[level..].trim())
            } else {
                (BlockKind::Paragraph, *line)
            };
            Block {
                kind,
                inlines: vec![Inline::Text {
                    text: crate::diff::plain(text),
                }],
            }
        })
        .collect()
}

/// Detects each section's language among `allowed` (ISO 639-1 codes). Sections with too
/// little text keep `None`.
pub fn detect(sections: &mut [Section], blocks: &[Block], allowed: &[String]) {
    let allow: Vec<Lang> = allowed.iter().filter_map(|c| whatlang_code(c)).collect();
    if allow.is_empty() {
        return;
    }
    let detector = Detector::with_allowlist(allow);
    for s in sections {
        let text = blocks[s.blocks.clone()]
            .iter()
            .map(Block::text)
            .collect::<Vec<_>>()
            .join("\n");
        s.lang = detect_text(&detector, &text);
    }
}

/// The language of one text with a prepared detector, as an ISO 639-1 code.
fn detect_text(detector: &Detector, text: &str) -> Option<String> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_DETECT_CHARS {
        return None;
    }
    detector
        .detect_lang(text)
        .and_then(iso_code)
        .map(str::to_string)
}

/// The language of `text` among `allowed` (ISO 639-1 codes).
pub fn detect_language(text: &str, allowed: &[String]) -> Option<String> {
    let allow: Vec<Lang> = allowed.iter().filter_map(|c| whatlang_code(c)).collect();
    if allow.is_empty() {
        return None;
    }
    detect_text(&Detector::with_allowlist(allow), text)
}

/// What the comparison of translated sections found.
#[derive(Debug, Default)]
pub struct Parity {
    /// Links and subsections a translated section lacks.
    pub findings: Vec<Finding>,
    /// (section, normalised URL) → the reference section that shows a link which this
    /// section has only as an empty anchor. That case is the empty-link finding's to tell.
    covered: HashMap<(usize, String), String>,
}

impl Parity {
    /// Which section of the reference language shows `url` visibly while section `section`
    /// has it only as an empty link.
    pub fn shown_elsewhere(&self, section: Option<usize>, url: &Url) -> Option<String> {
        self.covered.get(&(section?, normalize_url(url))).cloned()
    }
}

/// A link in a section: where it is and its normalised URL.
struct SectionLink<'a> {
    block: usize,
    inline: usize,
    text: &'a str,
    url: Url,
}

/// External links in a section, in order: on another site than the page, http(s).
fn external_links<'a>(page: &Page<'a>, section: &Section) -> Vec<SectionLink<'a>> {
    page.links()
        .filter(|(b, _, _)| section.blocks.contains(b))
        .filter_map(|(block, inline, link)| {
            let url = Url::parse(link.url.as_deref()?).ok()?;
            (matches!(url.scheme(), "http" | "https") && !page.is_own_site(&url)).then_some(
                SectionLink {
                    block,
                    inline,
                    text: link.text.trim(),
                    url,
                },
            )
        })
        .collect()
}

/// Headings inside a section below its own heading: its vendor subsections.
fn subsections(blocks: &[Block], section: &Section) -> Vec<String> {
    blocks[section.blocks.clone()]
        .iter()
        .enumerate()
        .filter(|(i, b)| {
            matches!(b.kind, BlockKind::Heading(_)) && !(*i == 0 && section.heading.is_some())
        })
        .map(|(_, b)| b.text())
        .collect()
}

/// With two or more languages, compares the n-th section of each further language with the
/// n-th section of the first (reference) language: every external link the reference shows
/// must be visible in the translation, and the translation must not have fewer subsections.
pub fn compare(page: &Page<'_>) -> Parity {
    let mut parity = Parity::default();
    let langs = &page.target.languages;
    let Some(reference) = langs.first() else {
        return parity;
    };
    let of = |lang: &str| -> Vec<usize> {
        page.sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.lang.as_deref() == Some(lang))
            .map(|(i, _)| i)
            .collect()
    };
    let refs = of(reference);
    for lang in &langs[1..] {
        for (n, (&r, &t)) in refs.iter().zip(of(lang).iter()).enumerate() {
            compare_pair(page, r, t, &format!("{lang}-{}", n + 1), &mut parity);
        }
    }
    parity
}

fn compare_pair(page: &Page<'_>, r: usize, t: usize, pair_key: &str, parity: &mut Parity) {
    let (rs, ts) = (&page.sections[r], &page.sections[t]);
    let target_links = external_links(page, ts);
    let mut seen = std::collections::HashSet::new();
    for link in external_links(page, rs) {
        let norm = normalize_url(&link.url);
        if link.text.is_empty() || !seen.insert(norm.clone()) {
            continue;
        }
        let same: Vec<&SectionLink> = target_links
            .iter()
            .filter(|l| normalize_url(&l.url) == norm)
            .collect();
        if same.iter().any(|l| !l.text.is_empty()) {
            continue;
        }
        if !same.is_empty() {
            let shown = match rs.lang.as_deref() {
                Some(l) => format!("the {} section", language_name(l)),
                None => rs.name(),
            };
            parity.covered.insert((t, norm), shown);
            continue;
        }
        let context = page.blocks().get(link.block).map(|b| {
            format!(
                "{}: {}",
                rs.lang.as_deref().map_or("reference", language_name),
                anchors::quote(b, link.inline, &format!("[{}]", link.text))
            )
        });
        parity.findings.push(Finding {
            id: format!(
                "missing-in-translation:{}:{pair_key}:{}",
                page.target.id,
                without_fragment(&link.url)
            ),
            kind: FindingKind::MissingInTranslation,
            message: format!(
                "{} lacks the link {} that {} shows",
                capitalise(&ts.name()),
                link.url,
                rs.name()
            ),
            context,
            url: Some(link.url.to_string()),
            section: ts.label(),
        });
    }

    let want = subsections(page.blocks(), rs);
    let have = subsections(page.blocks(), ts);
    if have.len() < want.len() {
        let have_lower: Vec<String> = have.iter().map(|h| h.to_lowercase()).collect();
        let missing: Vec<&str> = want
            .iter()
            .filter(|w| !have_lower.contains(&w.to_lowercase()))
            .map(String::as_str)
            .collect();
        let names = if missing.is_empty() {
            String::new()
        } else {
            format!(
                " (not there: {})",
                missing
                    .iter()
                    .map(|m| format!("“{m}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        parity.findings.push(Finding {
            id: format!(
                "missing-in-translation:{}:{pair_key}:subsections",
                page.target.id
            ),
            kind: FindingKind::MissingInTranslation,
            message: format!(
                "{} has {} vendor subsection(s), {} has {}{names}",
                capitalise(&ts.name()),
                have.len(),
                rs.name(),
                want.len()
            ),
            context: None,
            url: None,
            section: ts.label(),
        });
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Inline;

    fn block(kind: BlockKind, text: &str) -> Block {
        Block {
            kind,
            inlines: vec![Inline::Text { text: text.into() }],
        }
    }

    fn h(level: u8, text: &str) -> Block {
        block(BlockKind::Heading(level), text)
    }

    fn p(text: &str) -> Block {
        block(BlockKind::Paragraph, text)
    }

    #[test]
    fn sections_start_at_the_smallest_heading_level() {
        let blocks = vec![
            p("Intro"),
            h(2, "English"),
            h(3, "Appcues"),
            p("a"),
            h(2, "Deutsch"),
            h(3, "Appcues"),
            p("b"),
        ];
        let s = split(&blocks);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].heading, None);
        assert_eq!(s[0].blocks, 0..1);
        assert_eq!(s[1].heading.as_deref(), Some("English"));
        assert_eq!(s[1].blocks, 1..4);
        assert_eq!(s[2].blocks, 4..7);
        assert_eq!(subsections(&blocks, &s[2]), vec!["Appcues".to_string()]);
    }

    #[test]
    fn a_lone_title_heading_does_not_swallow_the_page() {
        let blocks = vec![
            h(1, "Privacy"),
            h(2, "English"),
            p("a"),
            h(2, "Deutsch"),
            p("b"),
        ];
        let s = split(&blocks);
        let headings: Vec<_> = s.iter().map(|s| s.heading.as_deref()).collect();
        assert_eq!(
            headings,
            vec![Some("Privacy"), Some("English"), Some("Deutsch")]
        );
        assert!(split(&[]).is_empty());
        assert_eq!(split(&[p("only text")]).len(), 1);
    }

    #[test]
    fn english_and_german_are_told_apart() {
        let allowed = vec!["en".to_string(), "de".to_string()];
        assert_eq!(
            detect_language(
                "The legal basis for data processing is Art. 6 para. 1 lit. f) GDPR. \
                 The legitimate interest lies in optimizing the user experience.",
                &allowed
            )
            .as_deref(),
            Some("en")
        );
        assert_eq!(
            detect_language(
                "Rechtsgrundlage für die Datenverarbeitung ist Art. 6 Abs.1 lit. f) DSGVO. \
                 Das berechtigte Interesse besteht in der Optimierung des Nutzererlebnisses.",
                &allowed
            )
            .as_deref(),
            Some("de")
        );
        // Too little text to tell.
        assert_eq!(detect_language("Appcues", &allowed), None);
        // A language outside the allowlist is never the answer.
        assert_eq!(
            detect_language(
                "Nous utilisons des cookies pour améliorer votre expérience sur notre site.",
                &["de".to_string()]
            )
            .as_deref(),
            Some("de")
        );
    }

    #[test]
    fn sections_are_labelled_with_language_and_heading() {
        let s = Section {
            heading: Some("Datenerhebung".into()),
            level: Some(2),
            blocks: 0..1,
            lang: Some("de".into()),
        };
        assert_eq!(s.label().as_deref(), Some("de: Datenerhebung"));
        assert_eq!(s.phrase(), " in the German section “Datenerhebung”");
    }
}
