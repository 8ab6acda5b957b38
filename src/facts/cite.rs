//! Across targets: where the other watched pages cite a target — by its name ("Mixpanel") or
//! by a link to its site — so that a vendor's changed policy names the places that depend on
//! it ("cited in CrossEngage privacy policy, §Mixpanel (EN) and §Mixpanel (DE)").

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::Target;
use crate::extract::{Block, BlockKind};
use crate::inspect::language;

/// One watched page that cites a target, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The citing target's id and name.
    pub target: String,
    pub name: String,
    /// The sections that cite it: "§Mixpanel (EN)".
    pub sections: Vec<String>,
}

/// Words of a target's name that say what kind of document it is, not whose.
const DOCUMENT_WORDS: &[&str] = &[
    "privacy",
    "policy",
    "notice",
    "statement",
    "terms",
    "of",
    "service",
    "use",
    "and",
    "cookie",
    "cookies",
    "data",
    "processing",
    "agreement",
    "dpa",
    "legal",
    "datenschutz",
    "datenschutzerklärung",
    "erklärung",
    "politique",
    "de",
    "confidentialité",
    "conditions",
    "subprocessors",
    "sub-processors",
    "the",
];

/// The name a target's owner goes by: its name without the document words ("Mixpanel
/// privacy policy" → "Mixpanel"); `None` when too short to search for.
pub fn owner(target: &Target) -> Option<String> {
    let words: Vec<&str> = target
        .name
        .split_whitespace()
        .filter(|w| {
            !DOCUMENT_WORDS.contains(
                &w.to_lowercase()
                    .trim_matches(|c: char| !c.is_alphanumeric()),
            )
        })
        .collect();
    let name = words.join(" ");
    (name.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(name)
}

/// The host a target lives on, without `www.`, with its port when the URL names one (two
/// sites on one machine are two sites).
fn host(target: &Target) -> Option<String> {
    let h = target.url.host_str()?.to_ascii_lowercase();
    let h = h.strip_prefix("www.").unwrap_or(&h);
    Some(match target.url.port() {
        Some(port) => format!("{h}:{port}"),
        None => h.to_string(),
    })
}

/// Where every target is cited by the others, from their stored snapshot Markdown; built once
/// per run, when the first change needs it: one pass over each page, whatever the number of
/// targets.
#[derive(Debug, Default)]
pub struct Citations {
    by_target: HashMap<String, Vec<Citation>>,
}

impl Citations {
    /// Looks through `pages` (each target with its snapshot Markdown) for the names and sites
    /// of `targets`.
    pub fn build(targets: &[Target], pages: impl Iterator<Item = (Target, String)>) -> Self {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_host: HashMap<String, usize> = HashMap::new();
        let mut shared: Vec<String> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            if let Some(n) = owner(t) {
                by_name.insert(n.to_lowercase(), i);
            }
            if let Some(h) = host(t) {
                if by_host.insert(h.clone(), i).is_some() {
                    shared.push(h);
                }
            }
        }
        // A site that several targets live on (a company's privacy policy and its terms) does
        // not say which of them a link to it cites: those are cited by name only.
        for h in shared {
            by_host.remove(&h);
        }
        let alternation = |keys: Vec<&String>| {
            let mut keys: Vec<String> = keys.into_iter().map(|k| regex::escape(k)).collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            keys.join("|")
        };
        let names = (!by_name.is_empty()).then(|| {
            Regex::new(&format!(
                r"(?i)(?:^|[^\p{{L}}0-9])({})(?:$|[^\p{{L}}0-9])",
                alternation(by_name.keys().collect())
            ))
            .expect("names pattern")
        });
        let hosts = (!by_host.is_empty()).then(|| {
            Regex::new(&format!(
                r"(?i)\]\([a-z]+://(?:www\.)?({})[/:)?#]",
                alternation(by_host.keys().collect())
            ))
            .expect("hosts pattern")
        });
        let mut out = Citations::default();
        for (page, markdown) in pages {
            let lines: Vec<&str> = crate::diff::blocks(&markdown);
            let blocks = language::markdown_blocks(&lines);
            let mut sections = language::split(&blocks);
            if !page.languages.is_empty() {
                language::detect(&mut sections, &blocks, &page.languages);
            }
            let mut found: HashMap<usize, Vec<String>> = HashMap::new();
            for (b, line) in lines.iter().enumerate() {
                let mut cited: Vec<usize> = Vec::new();
                if let Some(re) = &names {
                    let mut at = 0;
                    while let Some(c) = re.captures_at(line, at) {
                        let m = c.get(1).expect("group");
                        at = m.end();
                        if let Some(i) = by_name.get(&m.as_str().to_lowercase()) {
                            cited.push(*i);
                        }
                    }
                }
                if let Some(re) = &hosts {
                    for c in re.captures_iter(line) {
                        if let Some(i) = by_host.get(&c[1].to_lowercase()) {
                            cited.push(*i);
                        }
                    }
                }
                for i in cited {
                    if targets[i].id == page.id {
                        continue;
                    }
                    let label = label(&blocks, &sections, b);
                    let list = found.entry(i).or_default();
                    if !list.contains(&label) {
                        list.push(label);
                    }
                }
            }
            for (i, sections) in found {
                out.by_target
                    .entry(targets[i].id.clone())
                    .or_default()
                    .push(Citation {
                        target: page.id.clone(),
                        name: page.name.clone(),
                        sections,
                    });
            }
        }
        for list in out.by_target.values_mut() {
            list.sort_by(|a, b| a.target.cmp(&b.target));
        }
        out
    }

    /// Where the other targets cite `id`.
    pub fn of(&self, id: &str) -> Vec<Citation> {
        self.by_target.get(id).cloned().unwrap_or_default()
    }
}

/// "§Heading (EN)": the nearest heading at or above block `b`, and its section's language.
fn label(blocks: &[Block], sections: &[language::Section], b: usize) -> String {
    let heading = blocks[..=b]
        .iter()
        .rev()
        .find(|x| matches!(x.kind, BlockKind::Heading(_)))
        .map(Block::text);
    let lang = sections
        .iter()
        .find(|s| s.blocks.contains(&b))
        .and_then(|s| s.lang.clone())
        .map(|l| format!(" ({})", l.to_uppercase()))
        .unwrap_or_default();
    match heading {
        Some(h) => format!("§{h}{lang}"),
        None => format!("the opening text{lang}"),
    }
}

/// "Mixpanel's policy changed; cited in CrossEngage privacy policy, §Mixpanel (EN) and
/// §Mixpanel (DE)".
pub fn citation_line(name: &str, cited_in: &[Citation]) -> String {
    let owner = {
        let words: Vec<&str> = name
            .split_whitespace()
            .filter(|w| !DOCUMENT_WORDS.contains(&w.to_lowercase().as_str()))
            .collect();
        if words.is_empty() {
            name.to_string()
        } else {
            words.join(" ")
        }
    };
    let places: Vec<String> = cited_in
        .iter()
        .map(|c| format!("{}, {}", c.name, and_list(&c.sections)))
        .collect();
    format!("{owner}'s policy changed; cited in {}", places.join("; "))
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A company page whose first section links to a vendor's site without naming the vendor.
    const PAGE: &str = "## Data collection when using the platform\n\n### Onboarding\n\nOur in-product guides come from [our onboarding partner](https://www.appcues.com/product).\n\n### Analytics\n\nWe measure how the product is used.\n";

    fn vendor(targets: &[Target], host: &str) -> Target {
        targets
            .iter()
            .find(|t| t.url.host_str() == Some(host))
            .expect("a built-in vendor")
            .clone()
    }

    /// The built-in targets, the onboarding vendor under a name its site's address does not
    /// hold (so that only the link can cite it).
    fn targets() -> Vec<Target> {
        let mut targets = Config::builtin().expect("built-in config").targets;
        for t in &mut targets {
            if t.url.host_str() == Some("www.appcues.com") {
                t.name = "Acme Tours privacy policy".into();
            }
        }
        targets
    }

    #[test]
    fn a_link_to_a_vendors_site_cites_it_without_its_name() {
        let targets = targets();
        let company = targets[0].clone();
        let cited = Citations::build(&targets, std::iter::once((company.clone(), PAGE.into())));
        let appcues = cited.of(&vendor(&targets, "www.appcues.com").id);
        assert_eq!(appcues.len(), 1, "{appcues:?}");
        assert_eq!(appcues[0].target, company.id);
        assert_eq!(appcues[0].sections.len(), 1, "{appcues:?}");
        assert!(
            appcues[0].sections[0].starts_with("§Onboarding"),
            "{appcues:?}"
        );
        assert!(cited.of(&vendor(&targets, "mixpanel.com").id).is_empty());
    }

    #[test]
    fn a_site_that_two_targets_share_cites_neither_by_link() {
        let mut targets = targets();
        let mut terms = vendor(&targets, "www.appcues.com");
        terms.id = "vendor-terms".into();
        terms.name = "Zeta terms".into();
        terms.url = url::Url::parse("https://appcues.com/terms").unwrap();
        targets.push(terms);
        let company = targets[0].clone();
        let cited = Citations::build(&targets, std::iter::once((company, PAGE.into())));
        assert!(cited.of("vendor-terms").is_empty());
        assert!(cited.of(&vendor(&targets, "www.appcues.com").id).is_empty());
    }
}
