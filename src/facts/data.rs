//! Categories of personal data, by their English, German and French names: a category that
//! the other version does not mention anywhere is newly collected (or no longer mentioned).

use std::sync::LazyLock;

use regex::RegexSet;

use super::text::Gated;

use super::Mention;

/// A category's key and the pattern of its names (case-insensitive).
const CATEGORIES: &[(&str, &str)] = &[
    (
        "email",
        // Also where another address shares the noun: "e-mail and postal address",
        // "E-Mail- und Postadresse", "adresse postale et électronique".
        r"e-?mail\s*(?:,|/|&|and|or)\s*(?:postal|mailing|billing|physical|home|street)\s+address(?:es)?|e-?mail-\s*(?:und|oder|/)\s*\w*(?:adressen?|anschriften?)|adresses?\s+postales?\s+(?:et|ou)\s+(?:e-?mail|électroniques?)|e-?mail\s+address(?:es)?|adresses?\s+(?:e-?mail|électroniques?|de\s+courriel)|e-?mail-adressen?",
    ),
    (
        "phone",
        r"(?:tele)?phone\s+numbers?|mobile\s+numbers?|telefonnummern?|handynummern?|num[ée]ros?\s+de\s+t[ée]l[ée]phone",
    ),
    (
        "postal",
        // Also "postal and e-mail address", "Post- und E-Mail-Adresse".
        r"(?:postal|mailing|billing)\s*(?:,|/|&|and|or)\s*e-?mail\s+address(?:es)?|post-\s*(?:und|oder|/)\s*e-?mail-adressen?|postal\s+address(?:es)?|mailing\s+address(?:es)?|billing\s+address(?:es)?|postanschrift(?:en)?|postadressen?|adresses?\s+postales?",
    ),
    ("ip", r"ip[\s-]address(?:es)?|ip-adressen?|adresses?\s+ip"),
    (
        "location",
        r"(?:precise\s+|approximate\s+|regional\s+)?geo-?location(?:\s+data)?|location\s+data|gps\s+data|standortdaten|donn[ée]es\s+de\s+(?:g[ée]o)?localisation",
    ),
    (
        "birth",
        r"dates?\s+of\s+birth|birth\s?dates?|geburtsdat(?:um|en)|dates?\s+de\s+naissance",
    ),
    (
        "payment",
        r"payment\s+(?:card\s+)?(?:information|data|details)|credit\s+card(?:\s+(?:numbers?|information|details))?|bank\s+account\s+(?:numbers?|details)|zahlungs(?:daten|informationen)|kreditkarten(?:daten|nummern?)?|bankverbindung(?:en)?|donn[ée]es\s+(?:de\s+paiement|bancaires)|cartes?\s+(?:de\s+cr[ée]dit|bancaires?)",
    ),
    (
        "biometric",
        r"biometric\s+(?:data|information|identifiers)|face\s?prints?|fingerprints?|biometrische\s+daten|donn[ée]es\s+biom[ée]triques",
    ),
    (
        "health",
        r"health\s+(?:data|information)|medical\s+(?:data|information|records)|gesundheitsdaten|donn[ée]es\s+(?:de\s+sant[ée]|m[ée]dicales)",
    ),
    (
        "government_id",
        r"social\s+security\s+numbers?|passport\s+(?:numbers?|data)|driver['’]?s?\s+licen[cs]e\s+numbers?|government[\s-]issued\s+id(?:entification)?|national\s+id(?:entification)?\s+numbers?|ausweis(?:daten|nummern?)|personalausweis|num[ée]ros?\s+de\s+s[ée]curit[ée]\s+sociale|pi[èe]ces?\s+d['’]identit[ée]",
    ),
    (
        "device_id",
        r"device\s+identifiers?|advertising\s+(?:id|identifiers?)|(?:idfa|gaid)\b|ger[äa]tekennungen?|identifiants?\s+(?:de\s+l['’]appareil|publicitaires?)",
    ),
    (
        "voice",
        r"voice\s+(?:data|recordings?)|audio\s+recordings?|sprachaufnahmen|enregistrements?\s+vocaux",
    ),
    (
        "photo",
        r"photographs|photos\s+of\s+you|images?\s+of\s+your\s+face|profile\s+pictures?",
    ),
    (
        "contacts",
        r"contact\s+lists?|address\s+books?|adressb[üu]ch(?:er)?|carnets?\s+d['’]adresses",
    ),
    (
        "browsing",
        r"browsing\s+history|search\s+history|browserverlauf|historique\s+de\s+navigation",
    ),
    (
        "racial",
        r"racial\s+or\s+ethnic\s+origin|ethnische\s+herkunft|origine\s+(?:raciale|ethnique)",
    ),
    (
        "sexual",
        r"sexual\s+orientation|sexuelle\s+orientierung|orientation\s+sexuelle",
    ),
    (
        "religion",
        r"religious\s+(?:or\s+philosophical\s+)?beliefs|religi[öo]se\s+überzeugungen|convictions\s+religieuses",
    ),
    (
        "political",
        r"political\s+opinions|politische\s+meinungen|opinions\s+politiques",
    ),
    (
        "genetic",
        r"genetic\s+data|genetische\s+daten|donn[ée]es\s+g[ée]n[ée]tiques",
    ),
    (
        "criminal",
        r"criminal\s+(?:records?|convictions?|offen[cs]es)|strafrechtliche\s+verurteilungen|condamnations\s+p[ée]nales",
    ),
    (
        "salary",
        r"salary|income\s+(?:data|information)|gehaltsdaten|salaire",
    ),
    (
        "username",
        r"user\s?names?|benutzernamen?|noms?\s+d['’]utilisateur",
    ),
    (
        "password",
        r"passwords?|passw[öo]rter|kennw[öo]rter|mots?\s+de\s+passe",
    ),
    (
        "ai",
        r"ai\s+outputs?|prompts?\s+and\s+outputs?|chat\s+(?:history|logs)|conversation\s+history",
    ),
];

/// Each category's pattern, and one set of their gates: a text is read once to learn which
/// categories it may name, rather than once per category.
static FINDER: LazyLock<(RegexSet, Vec<(&'static str, Gated)>)> = LazyLock::new(|| {
    let finders: Vec<(&'static str, Gated)> = CATEGORIES
        .iter()
        .map(|(key, pat)| {
            (
                *key,
                Gated::new(&format!(r"(?i)\b(?:{pat})\b")).expect("category pattern"),
            )
        })
        .collect();
    let gates = RegexSet::new(finders.iter().map(|(_, g)| g.gate())).expect("category gates");
    (gates, finders)
});

/// Every category of personal data named in `text`; the key is the category.
pub(super) fn find(text: &str) -> Vec<Mention> {
    let (gates, finders) = &*FINDER;
    let mut out = Vec::new();
    for i in gates.matches(text).iter() {
        let (key, re) = &finders[i];
        for m in re.find_iter(text) {
            out.push(Mention {
                start: m.start(),
                end: m.end(),
                text: m.as_str().to_string(),
                key: key.to_string(),
                about: None,
            });
        }
    }
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
    fn categories_in_three_languages() {
        assert_eq!(
            keys("We collect your IP address and date of birth."),
            vec!["ip", "birth"]
        );
        assert_eq!(
            keys("Wir verarbeiten Ihre IP-Adresse und Standortdaten."),
            vec!["ip", "location"]
        );
        assert_eq!(
            keys("Nous collectons votre adresse e-mail et vos données de paiement."),
            vec!["email", "payment"]
        );
        assert!(keys("We value your privacy.").is_empty());
    }

    #[test]
    fn an_address_named_beside_another_is_still_named() {
        for (text, want) in [
            (
                "We collect your e-mail and postal address.",
                vec!["email", "postal"],
            ),
            (
                "We collect your email, mailing addresses and IP address.",
                vec!["email", "postal", "ip"],
            ),
            (
                "We collect your postal and e-mail address.",
                vec!["postal", "email"],
            ),
            (
                "Wir speichern Ihre E-Mail- und Postadresse.",
                vec!["email", "postal"],
            ),
            (
                "Wir speichern Ihre Post- und E-Mail-Adresse.",
                vec!["postal", "email"],
            ),
            (
                "Nous conservons votre adresse postale et électronique.",
                vec!["email", "postal"],
            ),
        ] {
            let mut got = keys(text);
            got.dedup();
            let mut got_sorted = got.clone();
            got_sorted.sort();
            let mut want_sorted = want.clone();
            want_sorted.sort();
            assert_eq!(got_sorted, want_sorted, "{text}: {got:?}");
        }
    }
}
