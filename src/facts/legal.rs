//! Legal bases and law references: GDPR articles ("Art. 6(1)(f) GDPR", "Art. 6 Abs. 1 lit. f
//! DSGVO", "article 6.1.f du RGPD"), laws by name (CCPA, LGPD, BDSG, …) and the bases of
//! processing (legitimate interest, berechtigtes Interesse, intérêt légitime, …).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::text::Gated;

use super::{text::squash, Mention};

/// An article of a law: "Art. 6(1)(f) GDPR", "Article 27 GDPR", "Art. 6 Abs. 1 lit. a DSGVO".
static ARTICLE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)\b(?:art(?:icle|ikel)?\.?|§)\s*(?P<n>[0-9]{1,3})(?P<sub>(?:\s*\([0-9a-z]{1,3}\))*(?:\s*(?:para(?:graph)?\.?|abs(?:atz)?\.?|al(?:inéa)?\.?|\.)\s*[0-9]{1,2})?(?:\s*(?:lit(?:era)?\.?|sub|point|let(?:tre)?\.?)?\s*\(?[a-f]\)?(?:[^\p{L}]|$))?)\s*(?:(?:of\s+the\s+|der\s+|du\s+|de\s+la\s+|des\s+|de\s+l['’])?(?P<law>UK\s+GDPR|GDPR|DSGVO|RGPD|DS-GVO|BDSG|TTDSG|TDDDG|General\s+Data\s+Protection\s+Regulation|Datenschutz-Grundverordnung|règlement\s+général\s+sur\s+la\s+protection\s+des\s+données))",
    )
    .expect("article pattern")
});

/// Laws and frameworks named on their own, with a key each.
const LAWS: &[(&str, &str)] = &[
    (
        "gdpr",
        r"GDPR|General Data Protection Regulation|DSGVO|DS-GVO|Datenschutz-Grundverordnung|RGPD|[Rr]èglement général sur la protection des données",
    ),
    ("uk-gdpr", r"UK GDPR"),
    ("ccpa", r"CCPA|California Consumer Privacy Act"),
    ("cpra", r"CPRA|California Privacy Rights Act"),
    ("lgpd", r"LGPD|Lei Geral de Proteção de Dados"),
    ("pipeda", r"PIPEDA"),
    ("bdsg", r"BDSG|Bundesdatenschutzgesetz"),
    ("ttdsg", r"TTDSG|TDDDG"),
    (
        "coppa",
        r"COPPA|Children's Online Privacy Protection Act|Children’s Online Privacy Protection Act",
    ),
    ("hipaa", r"HIPAA"),
    ("dpa2018", r"Data Protection Act 2018"),
    (
        "dpf",
        r"Data Privacy Framework|EU-U\.S\. DPF|Privacy Shield",
    ),
    (
        "scc",
        r"Standard Contractual Clauses|Standardvertragsklauseln|clauses contractuelles types",
    ),
    ("ftc-act", r"Federal Trade Commission Act"),
    ("vcdpa", r"VCDPA|Virginia Consumer Data Protection Act"),
    (
        "ai-act",
        r"AI Act|KI-Verordnung|Artificial Intelligence Act",
    ),
    ("dsa", r"Digital Services Act|DSA"),
    ("dma", r"Digital Markets Act"),
    (
        "eprivacy",
        r"ePrivacy Directive|ePrivacy-Richtlinie|directive ePrivacy",
    ),
    ("informatique", r"[Ll]oi [Ii]nformatique et [Ll]ibertés"),
    ("pipl", r"PIPL|Personal Information Protection Law"),
    (
        "appi",
        r"APPI|Act on the Protection of Personal Information",
    ),
    ("popia", r"POPIA"),
];

/// The bases of processing, by name.
const BASES: &[(&str, &str)] = &[
    (
        "legitimate-interest",
        r"legitimate interests?|berechtigten? Interesse[ns]?|intérêts? légitimes?",
    ),
    (
        "contract",
        r"performance of (?:a|the|our) contract|necessary for the performance of a contract|Vertragserfüllung|Erfüllung eines Vertrags|exécution (?:d'un|d’un|du) contrat",
    ),
    (
        "legal-obligation",
        r"legal obligations?|compliance with a legal obligation|rechtlichen Verpflichtung|gesetzlichen Verpflichtung|obligation légale",
    ),
    (
        "vital-interest",
        r"vital interests?|lebenswichtige[n]? Interessen|intérêts vitaux",
    ),
    (
        "public-interest",
        r"public interest|öffentlichen Interesse|intérêt public",
    ),
];

static NAMED: LazyLock<Vec<(String, Regex)>> = LazyLock::new(|| {
    LAWS.iter()
        .map(|(k, p)| (format!("law:{k}"), p))
        .chain(BASES.iter().map(|(k, p)| (format!("basis:{k}"), p)))
        .map(|(k, p)| {
            let case = if k.starts_with("basis:") { "(?i)" } else { "" };
            (
                k,
                Regex::new(&format!(
                    r"{case}(?:^|[^\p{{L}}0-9])({p})(?:$|[^\p{{L}}0-9])"
                ))
                .expect("law pattern"),
            )
        })
        .collect()
});

/// The patterns of `NAMED` as one set: a text is read once to learn which it may name.
static NAMED_SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(NAMED.iter().map(|(_, re)| re.as_str())).expect("law patterns"));

/// Every legal basis or law reference in `text`. Keys: `art:<law>:<article>`, `law:<name>`,
/// `basis:<name>`.
pub(super) fn find(text: &str) -> Vec<Mention> {
    let mut out: Vec<Mention> = Vec::new();
    for c in ARTICLE.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let law = c.name("law").map_or("", |l| l.as_str());
        let law_key = match squash(law).as_str() {
            "ukgdpr" => "uk-gdpr",
            "bdsg" => "bdsg",
            "ttdsg" | "tdddg" => "ttdsg",
            _ => "gdpr",
        };
        let sub: String = c
            .name("sub")
            .map(|s| {
                squash(s.as_str())
                    .replace("para", "")
                    .replace("abs", "")
                    .replace("lit", "")
                    .replace("al", "")
            })
            .unwrap_or_default();
        let n = c.name("n").map_or("", |n| n.as_str());
        out.push(Mention {
            start: whole.start(),
            end: whole.end(),
            text: whole.as_str().trim().to_string(),
            key: format!("art:{law_key}:{n}{sub}"),
            about: None,
        });
    }
    let named = NAMED_SET.matches(text);
    for (_, (key, re)) in NAMED.iter().enumerate().filter(|(i, _)| named.matched(*i)) {
        let mut at = 0;
        while let Some(c) = re.captures_at(text, at) {
            let m = c.get(1).expect("group");
            at = m.end();
            // A law inside an article reference is that reference's.
            if out.iter().any(|o| o.start <= m.start() && m.end() <= o.end) {
                continue;
            }
            out.push(Mention {
                start: m.start(),
                end: m.end(),
                text: m.as_str().to_string(),
                key: key.clone(),
                about: None,
            });
        }
    }
    // "UK GDPR" is not also "GDPR".
    let uk: Vec<(usize, usize)> = out
        .iter()
        .filter(|m| m.key == "law:uk-gdpr")
        .map(|m| (m.start, m.end))
        .collect();
    out.retain(|m| m.key != "law:gdpr" || !uk.iter().any(|(s, e)| *s <= m.start && m.end <= *e));
    out.sort_by_key(|m| m.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<String> {
        find(t).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn articles_in_three_languages_are_the_same_reference() {
        assert_eq!(keys("based on Art. 6(1)(f) GDPR"), vec!["art:gdpr:61f"]);
        assert_eq!(
            keys("auf Grundlage von Art. 6 Abs. 1 lit. f DSGVO"),
            vec!["art:gdpr:61f"]
        );
        assert_eq!(
            keys("designated under Article 27 GDPR"),
            vec!["art:gdpr:27"]
        );
        assert_eq!(
            keys("notre intérêt légitime"),
            vec!["basis:legitimate-interest"]
        );
        assert_eq!(
            keys("under the CCPA and the UK GDPR"),
            vec!["law:ccpa", "law:uk-gdpr"]
        );
        assert!(keys("We use cookies.").is_empty());
    }
}
