//! Periods ("30 days", "zwölf Monate", "trois ans") with what they are about (retention,
//! deletion, notice, …), and minimum ages ("under 16", "unter 16 Jahren", "moins de 15 ans").

use std::sync::LazyLock;

use regex::Regex;

use super::text::Gated;

use super::Mention;

/// Number words up to the ones periods use, English, German, French.
const NUMBERS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("eighteen", 18),
    ("twenty", 20),
    ("twenty-four", 24),
    ("thirty", 30),
    ("forty-five", 45),
    ("sixty", 60),
    ("ninety", 90),
    ("ein", 1),
    ("eine", 1),
    ("einen", 1),
    ("einem", 1),
    ("zwei", 2),
    ("drei", 3),
    ("vier", 4),
    ("fünf", 5),
    ("sechs", 6),
    ("sieben", 7),
    ("acht", 8),
    ("neun", 9),
    ("zehn", 10),
    ("zwölf", 12),
    ("vierzehn", 14),
    ("achtzehn", 18),
    ("dreißig", 30),
    ("sechzig", 60),
    ("neunzig", 90),
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("sept", 7),
    ("huit", 8),
    ("dix", 10),
    ("douze", 12),
    ("quatorze", 14),
    ("quinze", 15),
    ("trente", 30),
    ("soixante", 60),
    ("quatre-vingt-dix", 90),
];

/// Units and their canonical names.
const UNITS: &[(&str, &str)] = &[
    ("hour", "h"),
    ("hours", "h"),
    ("stunde", "h"),
    ("stunden", "h"),
    ("heure", "h"),
    ("heures", "h"),
    ("day", "d"),
    ("days", "d"),
    ("tag", "d"),
    ("tage", "d"),
    ("tagen", "d"),
    ("werktage", "d"),
    ("werktagen", "d"),
    ("kalendertage", "d"),
    ("kalendertagen", "d"),
    ("jour", "d"),
    ("jours", "d"),
    ("week", "w"),
    ("weeks", "w"),
    ("woche", "w"),
    ("wochen", "w"),
    ("semaine", "w"),
    ("semaines", "w"),
    ("month", "m"),
    ("months", "m"),
    ("monat", "m"),
    ("monate", "m"),
    ("monaten", "m"),
    ("mois", "m"),
    ("year", "y"),
    ("years", "y"),
    ("jahr", "y"),
    ("jahre", "y"),
    ("jahren", "y"),
    ("an", "y"),
    ("ans", "y"),
    ("année", "y"),
    ("années", "y"),
];

static PERIOD: LazyLock<Gated> = LazyLock::new(|| {
    let mut words: Vec<&str> = NUMBERS.iter().map(|(w, _)| *w).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let mut units: Vec<&str> = UNITS.iter().map(|(u, _)| *u).collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.len()));
    Gated::new(&format!(
        r"(?i)\b(?:(?P<w>{w})\s*\((?P<wd>[0-9]{{1,4}})\)|(?P<d>[0-9]{{1,4}})|(?P<w2>{w}))(?:\s|-)(?:(?:business|calendar|working|consecutive|full|ouvrés|ouvrables|calendaires)\s+)?(?P<u>{u})\b",
        w = words.join("|"),
        u = units.join("|")
    ))
    .expect("period pattern")
});

/// After a period: it is an age, not a period ("13 years old", "16 Jahre alt", "18 ans et plus").
static AGE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:old|of\s+age|or\s+older|and\s+older|alt|und\s+älter|oder\s+älter|et\s+plus|ou\s+plus|révolus)\b")
        .expect("age-after pattern")
});

/// Before a period: "under the age of", "aged", "unter", "moins de" make it an age.
static AGE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:age[ds]?\s+(?:of\s+)?|under\s+(?:the\s+age\s+of\s+)?|at\s+least\s+|over\s+|younger\s+than\s+|older\s+than\s+|minimum\s+age\s+(?:of\s+)?|unter\s+|mindestens\s+|über\s+|alter\s+von\s+|moins\s+de\s+|plus\s+de\s+|âgée?s?\s+de\s+(?:moins\s+de\s+|plus\s+de\s+|au\s+moins\s+)?|l['’]âge\s+de\s+)$")
        .expect("age-before pattern")
});

/// A minimum age: "under 16", "under the age of 13", "at least 18 years old", "unter 16
/// Jahren", "moins de 15 ans", "16 years of age".
static AGE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(r"(?i)(?:\b(?:under|younger\s+than|below)\s+(?:the\s+age\s+of\s+|age\s+)?|\bat\s+least\s+|\bminimum\s+age\s+(?:of\s+|is\s+)?|\baged?\s+(?:of\s+)?|\bunter\s+|\bmindestens\s+|\bAlter\s+von\s+|\bmoins\s+de\s+|\bl['’]âge\s+(?:minimum\s+)?de\s+|\bâgée?s?\s+d['’]au\s+moins\s+|\bâgée?s?\s+de\s+(?:moins\s+de\s+)?)(?P<n>1[0-9]|2[01])\b(?:\s*(?:years?|yrs|Jahren?|ans))?|\b(?P<m>1[0-9]|2[01])\s*(?:years?\s+(?:of\s+age|old)|Jahre\s+alt|ans\s+(?:ou\s+plus|et\s+plus|révolus))|\b(?P<l>1[0-9])\.\s*Lebensjahr")
        .expect("age pattern")
});

/// What a sentence says a period is for.
const ABOUT: &[(&str, &str)] = &[
    (
        "retention",
        r"retain|retention|kept|keep|store[ds]?\b|storage|conserv|aufbewahr|speicher|gespeichert|conservé|conservées|conservation",
    ),
    (
        "deletion",
        r"delet|eras|purg|anonymi|lösch|gelöscht|supprim|effac",
    ),
    (
        "notice",
        r"notice|notif|advance|inform you|benachrichtig|ankündig|vorher|préavis|informer",
    ),
    (
        "withdrawal",
        r"withdraw|cancel|widerruf|kündig|rétract|résili",
    ),
    ("refund", r"refund|erstatt|rembours"),
    (
        "response",
        r"respond|response|reply|antwort|beantwort|répond|réponse",
    ),
    ("inactivity", r"inactiv|inaktiv"),
    ("breach", r"breach|verletzung|violation"),
];

static ABOUT_RE: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    ABOUT
        .iter()
        .map(|(k, p)| (*k, Regex::new(&format!("(?i){p}")).expect("about pattern")))
        .collect()
});

fn number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    NUMBERS.iter().find(|(n, _)| *n == w).map(|(_, v)| *v)
}

fn unit(word: &str) -> Option<&'static str> {
    let w = word.to_lowercase();
    UNITS.iter().find(|(u, _)| *u == w).map(|(_, v)| *v)
}

/// What the sentence around `start..end` of `text` says a period is for.
fn about(text: &str, start: usize, end: usize) -> Option<String> {
    let s = super::text::sentence(text, start, end);
    ABOUT_RE
        .iter()
        .find(|(_, re)| re.is_match(&s))
        .map(|(k, _)| k.to_string())
}

/// Every period in `text` (ages left out); the key is the amount in its unit and its purpose.
pub(super) fn find(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    for c in PERIOD.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let n = c
            .name("wd")
            .or(c.name("d"))
            .and_then(|d| d.as_str().parse::<u32>().ok())
            .or_else(|| {
                c.name("w")
                    .or(c.name("w2"))
                    .and_then(|w| number(w.as_str()))
            });
        let (Some(n), Some(u)) = (n, c.name("u").and_then(|u| unit(u.as_str()))) else {
            continue;
        };
        // "an" (French for year) only after a figure: "1 an", not "un an" of "one".
        if c.name("u")
            .is_some_and(|u| u.as_str().eq_ignore_ascii_case("an"))
            && c.name("d").is_none()
        {
            continue;
        }
        if AGE_AFTER.is_match(&text[whole.end()..]) || AGE_BEFORE.is_match(&text[..whole.start()]) {
            continue;
        }
        // A year of a date ("2024 years" never), or an absurd amount.
        if n == 0 || n > 1000 {
            continue;
        }
        let about = about(text, whole.start(), whole.end());
        out.push(Mention {
            start: whole.start(),
            end: whole.end(),
            text: whole.as_str().to_string(),
            key: format!("{n}{u}:{}", about.as_deref().unwrap_or("")),
            about,
        });
    }
    out
}

/// Every minimum age in `text`; the key is the age.
pub(super) fn find_ages(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    for c in AGE.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let Some(n) = c.name("n").or(c.name("m")).or(c.name("l")) else {
            continue;
        };
        // An age needs a word for children, minors or age in its sentence.
        let s = super::text::sentence(text, whole.start(), whole.end()).to_lowercase();
        let childish = [
            "child",
            "minor",
            "age",
            "old",
            "kinder",
            "minderjährig",
            "jahre",
            "jugendlich",
            "enfant",
            "mineur",
            "ans",
            "parent",
            "teen",
        ];
        if !childish.iter().any(|w| s.contains(w)) {
            continue;
        }
        out.push(Mention {
            start: whole.start(),
            end: whole.end(),
            text: whole.as_str().trim().to_string(),
            key: n.as_str().to_string(),
            about: Some("minimum age".into()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<String> {
        find(t).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn periods_with_what_they_are_for() {
        assert_eq!(keys("We retain logs for 30 days."), vec!["30d:retention"]);
        assert_eq!(
            keys("We delete your data within thirty (30) days."),
            vec!["30d:deletion"]
        );
        assert_eq!(
            keys("Die Daten werden nach zwölf Monaten gelöscht."),
            vec!["12m:deletion"]
        );
        assert_eq!(
            keys("Les données sont conservées pendant 3 ans."),
            vec!["3y:retention"]
        );
        assert_eq!(
            keys("You have fourteen (14) calendar days to withdraw."),
            vec!["14d:withdrawal"]
        );
    }

    #[test]
    fn ages_are_not_periods_and_are_found_as_ages() {
        assert!(keys("Users must be at least 16 years old.").is_empty());
        let ages = |t: &str| find_ages(t).into_iter().map(|m| m.key).collect::<Vec<_>>();
        assert_eq!(
            ages("Our services are not directed to children under 13."),
            vec!["13"]
        );
        assert_eq!(
            ages("Kinder unter 16 Jahren dürfen den Dienst nicht nutzen."),
            vec!["16"]
        );
        assert_eq!(
            ages("Le service n'est pas destiné aux mineurs de moins de 15 ans."),
            vec!["15"]
        );
        assert!(ages("Section 13 applies.").is_empty());
    }
}
