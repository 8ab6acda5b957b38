//! Parties: organisations named by their legal form (Inc., GmbH, SAS, Ltd, B.V., AB, …), and
//! the entries of a vendor or sub-processor list or table ("Sentry: for logging errors",
//! "| Brainfish | Software service | Australia |").

use std::sync::LazyLock;

use regex::Regex;

use super::{places, text::squash, Mention};

/// A legal form, case-sensitive. The short ones that are also words (AS, SA, SE, AB, Co) need
/// a name in mixed case before them.
static FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<name>(?:[A-Z0-9][\p{L}0-9&.'’+-]*(?:,)?\s+(?:(?:and|&|of|de|du|des|la|le|für|und|y|e)\s+)?){1,6}?)
        (?P<form>
            Inc\.?|Incorporated|Corp\.?|Corporation|Ltd\.?|Limited|LLC|L\.L\.C\.|LLP|L\.P\.|
            GmbH(?:\s&\sCo\.\sKG)?|mbH|AG|SE|SAS|S\.A\.S\.?|S\.A\.|SA|SARL|S\.à\s?r\.l\.|S\.r\.l\.|SRL|S\.p\.A\.|
            B\.V\.?|BV|N\.V\.?|NV|plc|PLC|Pty\.?\s+Ltd\.?|Pte\.?\s+Ltd\.?|AB|Oy|ApS|A/S|AS|KG|UG|e\.V\.|
            s\.\s?r\.\s?o\.|sp\.\s?z\s?o\.o\.|K\.K\.|Sdn\.?\s+Bhd\.?|Ltda\.?|S\.L\.
        )(?:$|[^\p{L}0-9])",
    )
    .expect("legal form pattern")
});

/// Legal forms that are also common words or all-caps fragments.
const SHORT_FORMS: &[&str] = &[
    "AS", "SA", "SE", "AB", "AG", "KG", "UG", "NV", "BV", "Oy", "SRL",
];

/// Capitalised words that start a sentence rather than a name.
const LEADING: &[&str] = &[
    "The",
    "A",
    "An",
    "Our",
    "We",
    "By",
    "With",
    "And",
    "Or",
    "For",
    "From",
    "To",
    "In",
    "On",
    "At",
    "As",
    "If",
    "When",
    "This",
    "That",
    "These",
    "Those",
    "Such",
    "All",
    "Any",
    "Each",
    "Der",
    "Die",
    "Das",
    "Den",
    "Dem",
    "Des",
    "Ein",
    "Eine",
    "Einer",
    "Unser",
    "Unsere",
    "Von",
    "Mit",
    "Und",
    "Le",
    "La",
    "Les",
    "L'",
    "Un",
    "Une",
    "Notre",
    "Nos",
    "Par",
    "Avec",
    "Et",
    "Pour",
    "Chez",
    "Via",
    "See",
    "Contact",
    "Email",
    "E-mail",
    "Mail",
    "Address",
    "Including",
    "CC:",
    "Attn:",
    "Operator:",
    "Provider:",
    "Anbieter:",
    "Betreiber:",
];

/// Words of a list entry that say the entry is a service provider.
static SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:for\b|service|provider|hosting|host|analytics|processing|processor|payments?|support|crm|e-?mail|messag|logging|infrastructure|cloud|storage|monitoring|marketing|advertising|tracking|authentication|notifications?|dienst|anbieter|zahlungs|prestataire|hébergement|paiement|sous-traitant|sub-?processor)")
        .expect("service pattern")
});

/// A list entry's name: `Sentry: …`, `Intercom.com – …`.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-*•]\s+)?(?P<name>[A-Z][\p{L}0-9.&'’+-]*(?:\s[A-Z0-9][\p{L}0-9.&'’+-]*){0,2})\s*(?::|\s[–—-]\s)\s*(?P<rest>.+)$")
        .expect("entry pattern")
});

/// Where `text` names an organisation by its legal form: (start, end) of each.
pub(super) fn find_formal(text: &str) -> Vec<(usize, usize)> {
    formal(text).into_iter().map(|m| (m.start, m.end)).collect()
}

/// Every party named in `text`. The key is the name without its legal form, squashed.
pub(super) fn find(text: &str) -> Vec<Mention> {
    let mut out = formal(text);
    entries(text, &mut out);
    out
}

fn formal(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    for c in FORM.captures_iter(text) {
        let (Some(name), Some(form)) = (c.name("name"), c.name("form")) else {
            continue;
        };
        let form_s = form.as_str();
        let mut words: Vec<&str> = name.as_str().split_whitespace().collect();
        while words
            .first()
            .is_some_and(|w| LEADING.contains(w) || LEADING.contains(&w.trim_end_matches(',')))
        {
            words.remove(0);
        }
        // A name ends at a sentence: "… Services. Stripe, Inc." keeps "Stripe".
        if let Some(i) = words.iter().rposition(|w| {
            w.ends_with('.')
                && w.len() > 3
                && !w.contains(".com")
                && !w[..w.len() - 1].contains('.')
        }) {
            words.drain(..=i);
        }
        if words.is_empty() {
            continue;
        }
        let core = words.join(" ").trim_end_matches(',').to_string();
        let mixed = core.chars().any(char::is_lowercase);
        if SHORT_FORMS.contains(&form_s.trim_end_matches('.')) && !mixed {
            continue;
        }
        if !core.chars().any(char::is_alphabetic) || squash(&core).len() < 2 {
            continue;
        }
        let start = name.start() + name.as_str().find(words[0]).unwrap_or(0);
        let end = form.end();
        out.push(Mention {
            start,
            end,
            text: text[start..end].to_string(),
            key: squash(&core),
            about: None,
        });
    }
    out
}

/// Entries of a vendor table (a short name in the first cell, a country in another) or list
/// (a name, a colon, what it does for the service).
fn entries(text: &str, out: &mut Vec<Mention>) {
    let t = text.trim();
    if t.starts_with('|') {
        let cells: Vec<&str> = t.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() >= 3 {
            let first = cells[0];
            let located = cells[1..].iter().any(|c| !places::find(c).is_empty());
            if located && is_name(first) && !out.iter().any(|m| squash(first).contains(&m.key)) {
                let start = text.find(first).unwrap_or(0);
                out.push(Mention {
                    start,
                    end: start + first.len(),
                    text: first.to_string(),
                    key: squash(first),
                    about: None,
                });
            }
        }
    } else if let Some(c) = ENTRY.captures(t) {
        let (name, rest) = (c.name("name").expect("name"), c.name("rest").expect("rest"));
        let first_words: String = rest.as_str().chars().take(60).collect();
        if is_name(name.as_str())
            && SERVICE.is_match(&first_words)
            && !out.iter().any(|m| m.key == squash(name.as_str()))
        {
            let start = text.find(name.as_str()).unwrap_or(0);
            out.push(Mention {
                start,
                end: start + name.as_str().len(),
                text: name.as_str().to_string(),
                key: squash(name.as_str()),
                about: None,
            });
        }
    }
}

/// Words that head a list entry or a table column but name no one.
const GENERIC: &[&str] = &[
    "name",
    "names",
    "vendor",
    "provider",
    "service",
    "services",
    "purpose",
    "location",
    "country",
    "category",
    "categories",
    "type",
    "note",
    "notes",
    "example",
    "examples",
    "email",
    "e-mail",
    "address",
    "phone",
    "website",
    "cookies",
    "cookie",
    "security",
    "analytics",
    "marketing",
    "advertising",
    "payments",
    "payment",
    "support",
    "hosting",
    "storage",
    "other",
    "others",
    "important",
    "summary",
    "definition",
    "definitions",
    "scope",
    "subprocessor",
    "sub-processor",
    "processor",
    "controller",
    "data",
    "legal",
    "contact",
    "purpose of processing",
    "description",
    "anbieter",
    "zweck",
    "land",
    "dienst",
    "prestataire",
    "finalité",
    "pays",
    "fournisseur",
];

/// Whether `s` looks like one organisation's name: one to three words, capitalised, no
/// sentence, not a column heading.
fn is_name(s: &str) -> bool {
    let s = s.trim();
    let words = s.split_whitespace().count();
    (1..=3).contains(&words)
        && s.len() <= 40
        && s.chars().next().is_some_and(char::is_uppercase)
        && !s.ends_with('.')
        && !GENERIC.contains(&s.to_lowercase().as_str())
        && s.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && s.split_whitespace().skip(1).all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        })
}

/// The name of a party without its legal form, lowercase, for "named anywhere" questions.
pub(super) fn core(name: &str) -> Option<String> {
    let padded = format!("{name} ");
    let m = FORM.captures(&padded)?;
    let n = m
        .name("name")?
        .as_str()
        .trim()
        .trim_end_matches(',')
        .to_lowercase();
    let n = n.strip_prefix("the ").unwrap_or(&n).to_string();
    (n.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<String> {
        find(t).into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn organisations_by_legal_form() {
        assert_eq!(
            names("We share data with Segment.io, Inc. for analytics."),
            vec!["Segment.io, Inc."]
        );
        assert_eq!(
            names("Die Mixpanel GmbH verarbeitet Daten."),
            vec!["Mixpanel GmbH"]
        );
        assert_eq!(names("Hébergé par OVH SAS à Roubaix."), vec!["OVH SAS"]);
        assert_eq!(names("GitHub BV, Vijzelstraat 68-72"), vec!["GitHub BV"]);
        assert_eq!(
            names("Toriv AB (Org nr: 559052-0937), provides services"),
            vec!["Toriv AB"]
        );
        assert_eq!(
            names("Stripe Payments Europe, Limited (“SPEL”) processes payments"),
            vec!["Stripe Payments Europe, Limited"]
        );
        // All-caps legal text is not a company called "PROVIDED".
        assert!(names("THE SERVICE IS PROVIDED AS IS WITHOUT WARRANTY").is_empty());
        assert!(names("The Rocket Science Group LLC runs Mailchimp.")[0].starts_with("Rocket"));
    }

    #[test]
    fn vendor_lists_and_tables() {
        assert_eq!(
            names("- Sentry: for logging errors and bugs."),
            vec!["Sentry"]
        );
        assert_eq!(
            names("| Brainfish | Software service | Australia |"),
            vec!["Brainfish"]
        );
        // A column heading or a plain list is no party.
        assert!(names("| Name | Purpose | Location |").is_empty());
        assert!(names("- Security: we protect your data with encryption.").is_empty());
        assert!(names("- Cookies: small files stored by your browser").is_empty());
    }
}
