//! Countries and regions, by their English, German and French names (and the usual short
//! forms: USA, U.S., UK, EU, EEA, EWR, EEE). A compact table in the source: the crates that list
//! ISO 3166 countries carry English names only, or need a data file per language.
//!
//! Not counted: a country inside a party's name ("Google Ireland Limited"), and a country in
//! brackets after a language name ("English (United States)", a language menu).

use std::sync::LazyLock;

use regex::Regex;

use super::Mention;

/// ISO 3166 code (or a region's short name), then its names, `;`-separated.
const PLACES: &[(&str, &str)] = &[
    ("EU", "European Union;the EU;EU;Europäische Union;Europäischen Union;EU-Mitgliedstaaten;Union européenne;l'Union européenne;l’Union européenne"),
    ("EEA", "European Economic Area;EEA;Europäischer Wirtschaftsraum;Europäischen Wirtschaftsraum;Europäischen Wirtschaftsraums;EWR;Espace économique européen;EEE"),
    ("US", "United States of America;United States;USA;U.S.A.;U.S.;Vereinigte Staaten;Vereinigten Staaten;États-Unis;Etats-Unis"),
    ("GB", "United Kingdom;UK;U.K.;Great Britain;Vereinigtes Königreich;Vereinigten Königreich;Großbritannien;Royaume-Uni;Grande-Bretagne"),
    ("CH", "Switzerland;Schweiz;Suisse"),
    ("DE", "Germany;Deutschland;Allemagne"),
    ("FR", "France;Frankreich"),
    ("IE", "Ireland;Irland;Irlande"),
    ("NL", "Netherlands;The Netherlands;Niederlande;Pays-Bas"),
    ("BE", "Belgium;Belgien;Belgique"),
    ("LU", "Luxembourg;Luxemburg"),
    ("AT", "Austria;Österreich;Autriche"),
    ("IT", "Italy;Italien;Italie"),
    ("ES", "Spain;Spanien;Espagne"),
    ("PT", "Portugal"),
    ("PL", "Poland;Polen;Pologne"),
    ("CZ", "Czech Republic;Czechia;Tschechien;Tschechische Republik;République tchèque;Tchéquie"),
    ("SK", "Slovakia;Slovak Republic;Slowakei;Slovaquie"),
    ("HU", "Hungary;Ungarn;Hongrie"),
    ("RO", "Romania;Rumänien;Roumanie"),
    ("BG", "Bulgaria;Bulgarien;Bulgarie"),
    ("GR", "Greece;Griechenland;Grèce"),
    ("HR", "Croatia;Kroatien;Croatie"),
    ("SI", "Slovenia;Slowenien;Slovénie"),
    ("EE", "Estonia;Estland;Estonie"),
    ("LV", "Latvia;Lettland;Lettonie"),
    ("LT", "Lithuania;Litauen;Lituanie"),
    ("FI", "Finland;Finnland;Finlande"),
    ("SE", "Sweden;Schweden;Suède"),
    ("DK", "Denmark;Dänemark;Danemark"),
    ("NO", "Norway;Norwegen;Norvège"),
    ("IS", "Iceland;Island;Islande"),
    ("LI", "Liechtenstein"),
    ("MT", "Malta;Malte"),
    ("CY", "Cyprus;Zypern;Chypre"),
    ("RS", "Serbia;Serbien;Serbie"),
    ("UA", "Ukraine"),
    ("RU", "Russia;Russian Federation;Russland;Russie"),
    ("BY", "Belarus;Weißrussland;Biélorussie"),
    ("TR", "Turkey;Türkiye;Türkei;Turquie"),
    ("IL", "Israel;Israël"),
    ("AE", "United Arab Emirates;UAE;Vereinigte Arabische Emirate;Émirats arabes unis"),
    ("SA", "Saudi Arabia;Saudi-Arabien;Arabie saoudite"),
    ("QA", "Qatar;Katar"),
    ("EG", "Egypt;Ägypten;Égypte"),
    ("ZA", "South Africa;Südafrika;Afrique du Sud"),
    ("NG", "Nigeria;Nigéria"),
    ("KE", "Kenya;Kenia"),
    ("MA", "Morocco;Marokko;Maroc"),
    ("TN", "Tunisia;Tunesien;Tunisie"),
    ("IN", "India;Indien;Inde"),
    ("PK", "Pakistan"),
    ("BD", "Bangladesh;Bangladesch"),
    ("LK", "Sri Lanka"),
    ("CN", "China;People's Republic of China;Chine"),
    ("HK", "Hong Kong;Hongkong"),
    ("TW", "Taiwan;Taïwan"),
    ("JP", "Japan;Japon"),
    ("KR", "South Korea;Republic of Korea;Korea;Südkorea;Corée du Sud"),
    ("SG", "Singapore;Singapur;Singapour"),
    ("MY", "Malaysia;Malaisie"),
    ("TH", "Thailand;Thaïlande"),
    ("VN", "Vietnam;Viet Nam"),
    ("PH", "Philippines;Philippinen"),
    ("ID", "Indonesia;Indonesien;Indonésie"),
    ("AU", "Australia;Australien;Australie"),
    ("NZ", "New Zealand;Neuseeland;Nouvelle-Zélande"),
    ("CA", "Canada;Kanada"),
    ("MX", "Mexico;Mexiko;Mexique"),
    ("BR", "Brazil;Brasilien;Brésil"),
    ("AR", "Argentina;Argentinien;Argentine"),
    ("CL", "Chile;Chili"),
    ("CO", "Colombia;Kolumbien;Colombie"),
    ("PE", "Peru;Pérou"),
    ("UY", "Uruguay"),
    ("CR", "Costa Rica"),
    ("AD", "Andorra;Andorre"),
    ("FO", "Faroe Islands;Färöer;Îles Féroé"),
    ("GG", "Guernsey;Guernesey"),
    ("JE", "Jersey"),
    ("IM", "Isle of Man;Île de Man"),
    ("AM", "Armenia;Armenien;Arménie"),
];

static FINDER: LazyLock<(Regex, Vec<(String, &'static str)>)> = LazyLock::new(|| {
    let mut names: Vec<(String, &'static str)> = PLACES
        .iter()
        .flat_map(|(code, names)| names.split(';').map(move |n| (n.to_string(), *code)))
        .collect();
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let alternation = names
        .iter()
        .map(|(n, _)| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|");
    // Case-sensitive, so that "us" is not the United States.
    let re = Regex::new(&format!(
        r"(?:^|[^\p{{L}}0-9])({alternation})(?:$|[^\p{{L}}0-9])"
    ))
    .expect("places pattern");
    (re, names)
});

/// Language names that may be followed by a country in brackets in a language menu.
static LANGUAGE_MENU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:english|français|francais|deutsch|español|portugu[eê]s|italiano|nederlands|中文|chinese|german|french|spanish)\s*\(\s*$")
        .expect("language menu pattern")
});

/// Every country or region named in `text`; the key is its code.
pub(crate) fn find(text: &str) -> Vec<Mention> {
    let (re, names) = &*FINDER;
    // Where parties are named: looked for once a name is found.
    let mut parties: Option<Vec<(usize, usize)>> = None;
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(c) = re.captures_at(text, at) {
        let m = c.get(1).expect("group");
        at = m.end();
        let name = m.as_str();
        // "Island" (Iceland in German) and "Jersey" (New Jersey) are too ambiguous alone.
        if matches!(name, "Island" | "Jersey" | "Korea" | "Chile" | "Georgia") {
            continue;
        }
        if text[..m.start()].ends_with("New ") {
            continue;
        }
        if parties
            .get_or_insert_with(|| super::party::find_formal(text))
            .iter()
            .any(|(s, e)| *s <= m.start() && m.end() <= *e)
        {
            continue;
        }
        if LANGUAGE_MENU.is_match(&text[..m.start()]) {
            continue;
        }
        let Some((_, code)) = names.iter().find(|(n, _)| n == name) else {
            continue;
        };
        out.push(Mention {
            start: m.start(),
            end: m.end(),
            text: name.trim_start_matches("the ").to_string(),
            key: code.to_string(),
            about: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(t: &str) -> Vec<String> {
        find(t).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn countries_in_three_languages() {
        assert_eq!(
            codes("Data is stored in the United States and Germany."),
            vec!["US", "DE"]
        );
        assert_eq!(
            codes("Daten werden in die Vereinigten Staaten übermittelt."),
            vec!["US"]
        );
        assert_eq!(
            codes("Les données sont transférées aux États-Unis et en Suisse."),
            vec!["US", "CH"]
        );
        assert_eq!(
            codes("outside the European Economic Area (EEA)"),
            vec!["EEA", "EEA"]
        );
    }

    #[test]
    fn names_in_parties_and_language_menus_are_not_countries() {
        assert!(codes("Google Ireland Limited, Gordon House").is_empty());
        assert!(codes("English (United States) Deutsch français (France)").is_empty());
        assert!(codes("We, us and our customers").is_empty());
    }
}
