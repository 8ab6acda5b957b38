//! Effective dates: the document's own "effective", "last updated", "Stand", "mis à jour le"
//! date, in English, German and French spellings of dates (ISO, numeric, month names).

use std::sync::LazyLock;

use regex::Regex;

use super::text::Gated;

use super::{Fact, FactChange, FactKind, Version};

/// Month names and their numbers: English, German, French (and common abbreviations).
const MONTHS: &[(&str, u8)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("janv", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mars", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("octobre", 10),
    ("okt", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("dez", 12),
    ("déc", 12),
];

fn month(name: &str) -> Option<u8> {
    let n = name.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(m, _)| *m == n).map(|(_, v)| *v)
}

static DATE: LazyLock<Gated> = LazyLock::new(|| {
    let mut names: Vec<&str> = MONTHS.iter().map(|(m, _)| *m).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let m = names.join("|");
    Gated::new(&format!(
        r"(?i)\b(?:(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)|(?P<na>\d{{1,2}})[./](?P<nb>\d{{1,2}})[./](?P<ny>(?:19|20)\d\d)|(?P<md>{m})\.?\s+(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<dy>(?:19|20)\d\d)|(?P<ed>\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?P<em>{m})\.?,?\s+(?P<ey>(?:19|20)\d\d)|(?P<om>{m})\.?,?\s+(?P<oy>(?:19|20)\d\d))\b"
    ))
    .expect("date pattern")
});

/// Words that, just before a date, make it the document's own date.
static EFFECTIVE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)(?:effective|last\s+(?:updated|modified|revised|changed|amended)|\bupdated|\brevised|\bversion\b|\bdated?\b|in\s+force|\bstand\b|gültig|zuletzt|aktualisiert|letzte\s+(?:änderung|aktualisierung)|geändert|in\s+kraft|mise\s+à\s+jour|mis\s+à\s+jour|en\s+vigueur|date\s+d['’]effet|dernière\s+modification|modifiée?s?\s+le|applicable\s+(?:à\s+compter|from|as)|entrée\s+en\s+vigueur)[^.!?\n]{0,40}$",
    )
    .expect("effective pattern")
});

/// A date found in text: where, as written, and its day (year, month, day; day 0 when the
/// text names only the month).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Date {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub day: (u16, u8, u8),
}

/// Every date in `text`.
pub(crate) fn find(text: &str) -> Vec<Date> {
    DATE.captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u16>().ok());
            let day = if let Some(y) = num("iy") {
                (y, num("im")? as u8, num("id")? as u8)
            } else if let Some(y) = num("ny") {
                // 29/04/2022 or 04/29/2022: kept in the order written; equal days compare equal.
                (y, num("nb")? as u8, num("na")? as u8)
            } else if let Some(y) = num("dy") {
                (y, month(c.name("md")?.as_str())?, num("dd")? as u8)
            } else if let Some(y) = num("ey") {
                (y, month(c.name("em")?.as_str())?, num("ed")? as u8)
            } else {
                (num("oy")?, month(c.name("om")?.as_str())?, 0)
            };
            let (_, m, d) = day;
            let plausible = (1..=31).contains(&m) && d <= 31;
            plausible.then(|| Date {
                start: whole.start(),
                end: whole.end(),
                text: whole.as_str().trim().to_string(),
                day,
            })
        })
        .collect()
}

/// A word glued to a capitalised month by the page's layout ("UpdatedFebruary 15, 2024").
static GLUED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\p{Ll})(\p{Lu}\p{Ll}{2,}\.?\s+[0-9])").expect("glued pattern"));

/// The document's own dates in one block: those right after an effective-date phrase.
fn effective(block: &str) -> Vec<Date> {
    let block = GLUED.replace_all(block, "$1 $2");
    let block = block.as_ref();
    find(block)
        .into_iter()
        .filter(|d| {
            let before = &block[..d.start];
            // The phrase ends at most 40 characters before the date, in the same sentence.
            let from = before.char_indices().rev().nth(60).map_or(0, |(i, _)| i);
            EFFECTIVE.is_match(&before[from..])
        })
        .collect()
}

/// The effective dates of both versions compared: a date that the new version states where
/// the old one stated another is a change; one that only the new (old) version states is new
/// (gone).
pub(super) fn facts(old: &Version, new: &Version) -> Vec<Fact> {
    let all = |v: &Version| -> Vec<(Date, String)> {
        v.blocks
            .iter()
            .flat_map(|b| effective(b).into_iter().map(move |d| (d, b.clone())))
            .collect()
    };
    let mut before = all(old);
    let mut after = all(new);
    // What both state is no change, whatever its spelling.
    let mut i = 0;
    while i < before.len() {
        if let Some(j) = after.iter().position(|(a, _)| a.day == before[i].0.day) {
            after.remove(j);
            before.remove(i);
        } else {
            i += 1;
        }
    }
    let context = |(d, block): &(Date, String)| super::text::sentence(block, d.start, d.end);
    let mut out = Vec::new();
    let n = before.len().max(after.len());
    for k in 0..n {
        let (b, a) = (before.get(k), after.get(k));
        let change = match (b, a) {
            (Some(_), Some(_)) => FactChange::Changed,
            (None, Some(_)) => FactChange::Added,
            (Some(_), None) => FactChange::Removed,
            (None, None) => continue,
        };
        out.push(Fact {
            kind: FactKind::EffectiveDate,
            change,
            before: b.map(|(d, _)| d.text.clone()),
            after: a.map(|(d, _)| d.text.clone()),
            about: None,
            context: a.or(b).map(context),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::new(text)
    }

    fn said(old: &str, new: &str) -> Vec<(FactChange, Option<String>, Option<String>)> {
        facts(&v(old), &v(new))
            .into_iter()
            .map(|f| (f.change, f.before, f.after))
            .collect()
    }

    #[test]
    fn english_effective_date_changed() {
        assert_eq!(
            said(
                "Effective date: February 1, 2024\n\nWe keep data.\n",
                "Effective date: April 27, 2026\n\nWe keep data.\n"
            ),
            vec![(
                FactChange::Changed,
                Some("February 1, 2024".into()),
                Some("April 27, 2026".into())
            )]
        );
        assert_eq!(
            said(
                "Last Updated: November 13th 2025\n",
                "Last Updated: April 1st 2026\n"
            )
            .len(),
            1
        );
    }

    #[test]
    fn german_and_french_dates() {
        assert_eq!(
            said("Stand: 29.04.2022\n", "Stand: 13.12.2022\n"),
            vec![(
                FactChange::Changed,
                Some("29.04.2022".into()),
                Some("13.12.2022".into())
            )]
        );
        assert_eq!(
            said(
                "Zuletzt aktualisiert am 3. März 2023.\n",
                "Zuletzt aktualisiert am 1. Juli 2024.\n"
            )[0]
            .2
            .as_deref(),
            Some("1. Juli 2024")
        );
        assert_eq!(
            said(
                "Date de dernière mise à jour : 1er janvier 2023\n",
                "Date de dernière mise à jour : 15 mars 2024\n"
            )[0]
            .2
            .as_deref(),
            Some("15 mars 2024")
        );
    }

    #[test]
    fn the_same_day_written_otherwise_is_no_change_and_other_dates_are_not_effective() {
        assert!(said("Updated: December 1, 2025\n", "Updated: 1 December 2025\n").is_empty());
        // A change-log line names a date, but not as the document's own.
        assert!(said(
            "Intro.\n",
            "Intro.\n\n- April 16, 2026: Replaced Rollbar with Sentry.\n"
        )
        .is_empty());
        assert!(said(
            "We were founded on May 3, 2010.\n",
            "We were founded on May 4, 2010.\n"
        )
        .is_empty());
    }
}
