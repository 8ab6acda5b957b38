//! Language drift on a bilingual page: a section of one language changed in a run and its
//! counterpart in the other language did not ("English §Appcues changed; the German section
//! did not"). The page is unchanged in the runs that follow, yet the finding holds until the
//! counterpart changes too, so what it takes to resolve it is remembered in the target's alert
//! state: where its two sides are, what the changed side held before, and what the
//! counterpart held when it opened. Pure: the page versions and the run's confirmed changes in,
//! the drifts still open out.
//!
//! Sections are paired across languages as [`language::compare`] pairs them: the n-th section
//! of the reference (first) language with the n-th section of each other language. Inside a
//! pair, the parts that start at the section's own sub-headings are paired by position when
//! both sides have as many; otherwise the pair is judged as a whole.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::language::{self, language_name};
use super::{Finding, FindingKind};
use crate::diff::Change;
use crate::extract::BlockKind;

/// Open drifts remembered per target at most.
pub const MAX_DRIFTS: usize = 1_000;

/// The longest heading remembered for a place, in bytes.
const MAX_HEADING: usize = 1_024;

/// What a finding's id starts with.
const ID_PREFIX: &str = "language-drift:";

/// One side of a drift: a part of a language section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Its language (ISO 639-1).
    pub lang: String,
    /// The section's place among that language's sections (0 is the first).
    pub section: usize,
    /// The part's place in the section (0 is the section's own heading and what follows it up
    /// to the first sub-heading); `None` for the whole section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<usize>,
    /// Its heading as the page shows it now; empty for text before the first heading.
    pub heading: String,
    /// A short hash of its text: for the side that changed, as it was before the change; for
    /// the counterpart, as it was when the drift opened.
    pub hash: String,
}

impl Place {
    /// Whether the two name the same text, or one holds the other.
    fn overlaps(&self, other: &Place) -> bool {
        self.lang == other.lang
            && self.section == other.section
            && (self.part.is_none() || other.part.is_none() || self.part == other.part)
    }
}

/// An open drift, as the alert state remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The id of its finding.
    pub id: String,
    /// The side that changed.
    pub changed: Place,
    /// The side that did not.
    pub counterpart: Place,
}

impl Drift {
    /// The finding it stands for.
    pub fn finding(&self) -> Finding {
        let (c, o) = (&self.changed, &self.counterpart);
        let other = if o.heading == c.heading || o.heading.is_empty() {
            String::new()
        } else {
            format!(" §{}", o.heading)
        };
        Finding {
            id: self.id.clone(),
            kind: FindingKind::LanguageDrift,
            message: format!(
                "{} {} changed; the {} section{other} did not",
                language_name(&c.lang),
                place_name(c),
                language_name(&o.lang)
            ),
            context: None,
            url: None,
            section: Some(if o.heading.is_empty() {
                o.lang.clone()
            } else {
                format!("{}: {}", o.lang, o.heading)
            }),
        }
    }
}

fn place_name(p: &Place) -> String {
    if p.heading.is_empty() {
        "opening text".to_string()
    } else {
        format!("§{}", p.heading)
    }
}

/// What changed in this run: the stored version and the confirmed changes against it.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The stored snapshot Markdown the changes were found against.
    pub old: &'a str,
    /// The confirmed changes (volatile ones left out).
    pub changes: &'a [Change],
}

/// The drifts open after this run, oldest first: those of `open` that still hold on `new`
/// (the page as it is now, snapshot Markdown), then those this run's change (`run`) opened.
/// A drift is resolved when its counterpart changed, when the side that changed is back to
/// what it was, or when either side is no longer there (the page lost a section or is no
/// longer read in two languages).
pub fn advance(
    target_id: &str,
    languages: &[String],
    open: &[Drift],
    new: &str,
    run: Option<Run<'_>>,
) -> Vec<Drift> {
    if languages.len() < 2 || (open.is_empty() && run.is_none_or(|r| r.changes.is_empty())) {
        return Vec::new();
    }
    let now = Layout::new(new, languages);
    let before = run.map(|r| Layout::new(r.old, languages));
    let touched = run.map(|r| Touched::new(r.changes)).unwrap_or_default();

    let mut out: Vec<Drift> = Vec::new();
    // The places whose change in this run settles an open drift: that change is the answer to
    // the drift, not a drift of its own.
    let mut settled: Vec<&Place> = Vec::new();
    for d in open {
        let Some(counterpart) = now.locate(&d.counterpart) else {
            continue;
        };
        let counterpart_changed = now.hash(counterpart.clone()) != d.counterpart.hash
            && (touched.new_in(&now, counterpart)
                || before
                    .as_ref()
                    .and_then(|b| b.locate(&d.counterpart).map(|r| touched.old_in(b, r)))
                    .unwrap_or(false));
        if counterpart_changed {
            settled.push(&d.counterpart);
            continue;
        }
        if now
            .locate(&d.changed)
            .is_some_and(|r| now.hash(r) == d.changed.hash)
        {
            // Back to what it was: the two languages agree again.
            settled.push(&d.changed);
            continue;
        }
        if !out.iter().any(|o| o.id == d.id) {
            out.push(d.clone());
        }
    }
    if let Some(before) = &before {
        for d in opened(target_id, languages, before, &now, &touched) {
            let answers = settled.iter().any(|p| p.overlaps(&d.changed));
            if !answers && !out.iter().any(|o| o.id == d.id) {
                out.push(d);
            }
        }
    }
    out.truncate(MAX_DRIFTS);
    out
}

/// Checks drifts read back from the snapshot folder against what [`advance`] writes: a bounded
/// number, ids of this kind, each once, languages that are codes, headings of a bounded length
/// and hashes that are short hashes. Says which one fails and why.
pub fn validate(drifts: &[Drift]) -> Result<(), (usize, &'static str)> {
    if drifts.len() > MAX_DRIFTS {
        return Err((drifts.len(), "more open language drifts than are kept"));
    }
    let mut ids = HashSet::new();
    for (i, d) in drifts.iter().enumerate() {
        let n = i + 1;
        if !d.id.starts_with(ID_PREFIX) || d.id.len() > MAX_HEADING || !ids.insert(&d.id) {
            return Err((n, "not a language-drift id, or one given twice"));
        }
        for p in [&d.changed, &d.counterpart] {
            let lang_ok =
                (2..=3).contains(&p.lang.len()) && p.lang.bytes().all(|b| b.is_ascii_lowercase());
            let hash_ok = p.hash.len() == 16 && p.hash.bytes().all(|b| b.is_ascii_hexdigit());
            if !lang_ok || !hash_ok || p.heading.len() > MAX_HEADING {
                return Err((n, "a place that policy-watch does not write"));
            }
        }
        if d.changed.lang == d.counterpart.lang {
            return Err((n, "both sides in one language"));
        }
    }
    Ok(())
}

/// The drifts a change opens: per pair of sections, the parts of one side that changed while
/// the same parts of the other did not.
fn opened(
    target_id: &str,
    languages: &[String],
    before: &Layout<'_>,
    now: &Layout<'_>,
    touched: &Touched,
) -> Vec<Drift> {
    let mut out = Vec::new();
    let versions = Versions {
        before,
        now,
        touched,
    };
    let reference = &languages[0];
    for lang in &languages[1..] {
        let pairs = now.of(reference).iter().zip(now.of(lang)).enumerate();
        for (n, (r_now, t_now)) in pairs {
            let (Some(r_was), Some(t_was)) = (before.of(reference).get(n), before.of(lang).get(n))
            else {
                // A pair that was not there before: nothing to compare with.
                continue;
            };
            let r = versions.side(reference, n, r_was, r_now);
            let t = versions.side(lang, n, t_was, t_now);
            let pair_key = format!("{ID_PREFIX}{target_id}:{lang}-{}", n + 1);
            let parts_pair = r_now.parts.len() == t_now.parts.len();
            let parts = |c: &Changed| match c {
                Changed::No => Some(Vec::new()),
                Changed::Parts(p) => Some(p.clone()),
                Changed::Whole => None,
            };
            match (parts(&r.change), parts(&t.change)) {
                (Some(a), Some(b)) if parts_pair => {
                    for &k in a.iter().filter(|k| !b.contains(k)) {
                        out.push(versions.drift(&r, &t, Some(k), &pair_key));
                    }
                    for &k in b.iter().filter(|k| !a.contains(k)) {
                        out.push(versions.drift(&t, &r, Some(k), &pair_key));
                    }
                }
                _ if r.change == Changed::No && t.change == Changed::No => {}
                _ if t.change == Changed::No => out.push(versions.drift(&r, &t, None, &pair_key)),
                _ if r.change == Changed::No => out.push(versions.drift(&t, &r, None, &pair_key)),
                // Both changed, but not part by part: no telling which part lags.
                _ => {}
            }
        }
    }
    out
}

/// How one side of a pair changed in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Changed {
    No,
    /// These parts changed (the side kept its parts).
    Parts(Vec<usize>),
    /// It changed, and not part by part (a part came or went).
    Whole,
}

/// One side of a pair of sections: its language, its place among that language's sections,
/// the section before and now, and how it changed.
struct Side<'l> {
    lang: &'l str,
    n: usize,
    was: &'l Section,
    is: &'l Section,
    change: Changed,
}

/// The two versions of the page and what the run's confirmed changes touched.
struct Versions<'l, 'a> {
    before: &'l Layout<'a>,
    now: &'l Layout<'a>,
    touched: &'l Touched,
}

impl<'l> Versions<'l, '_> {
    /// How section `n` of `lang` changed from `was` to `is`.
    fn side(&self, lang: &'l str, n: usize, was: &'l Section, is: &'l Section) -> Side<'l> {
        // Changed: a different text, and a confirmed change in it (not only a volatile one).
        let changed = |b: &Range<usize>, i: &Range<usize>| {
            self.before.hash(b.clone()) != self.now.hash(i.clone())
                && (self.touched.old_in(self.before, b.clone())
                    || self.touched.new_in(self.now, i.clone()))
        };
        let change = if !changed(&was.lines, &is.lines) {
            Changed::No
        } else if was.parts.len() == is.parts.len() {
            let parts: Vec<usize> = (0..is.parts.len())
                .filter(|&k| changed(&was.parts[k].lines, &is.parts[k].lines))
                .collect();
            if parts.is_empty() {
                Changed::Whole
            } else {
                Changed::Parts(parts)
            }
        } else {
            Changed::Whole
        };
        Side {
            lang,
            n,
            was,
            is,
            change,
        }
    }

    /// The drift of `changed` against `other` (which did not change) at part `part`, or the
    /// whole section: where each side is now, the changed side's text as it was before, the
    /// other's as it is.
    fn drift(&self, changed: &Side<'_>, other: &Side<'_>, part: Option<usize>, key: &str) -> Drift {
        let place = |side: &Side<'_>, layout: &Layout<'_>, section: &Section| {
            let (heading, lines) = match part {
                Some(k) => (&side.is.parts[k].heading, section.parts[k].lines.clone()),
                None => (&side.is.heading, section.lines.clone()),
            };
            Place {
                lang: side.lang.to_string(),
                section: side.n,
                part,
                heading: heading.clone(),
                hash: layout.hash(lines),
            }
        };
        let unit = part.map_or("all".to_string(), |k| format!("part-{}", k + 1));
        Drift {
            id: format!("{key}:{unit}:{}", changed.lang),
            changed: place(changed, self.before, changed.was),
            counterpart: place(other, self.now, other.is),
        }
    }
}

/// A part of a section: from one of its headings to the next.
#[derive(Debug, Clone)]
struct Part {
    heading: String,
    lines: Range<usize>,
}

/// A section of one language, with its parts.
#[derive(Debug, Clone)]
struct Section {
    heading: String,
    lines: Range<usize>,
    parts: Vec<Part>,
}

/// A page version as the drift check sees it: its snapshot lines, and its sections by
/// language, in page order.
struct Layout<'a> {
    lines: Vec<&'a str>,
    by_lang: BTreeMap<String, Vec<Section>>,
}

impl<'a> Layout<'a> {
    fn new(markdown: &'a str, languages: &[String]) -> Self {
        let lines = crate::diff::blocks(markdown);
        let blocks = language::markdown_blocks(&lines);
        let mut sections = language::split(&blocks);
        language::detect(&mut sections, &blocks, languages);
        let mut by_lang: BTreeMap<String, Vec<Section>> = BTreeMap::new();
        for s in sections {
            let Some(lang) = s.lang else { continue };
            let heading = s.heading.clone().unwrap_or_default();
            let mut parts = vec![Part {
                heading: heading.clone(),
                lines: s.blocks.start..s.blocks.start + 1,
            }];
            for i in s.blocks.clone().skip(1) {
                if let BlockKind::Heading(_) = blocks[i].kind {
                    parts.push(Part {
                        heading: blocks[i].text(),
                        lines: i..i + 1,
                    });
                } else if let Some(p) = parts.last_mut() {
                    p.lines.end = i + 1;
                }
            }
            by_lang.entry(lang).or_default().push(Section {
                heading,
                lines: s.blocks,
                parts,
            });
        }
        Layout { lines, by_lang }
    }

    fn of(&self, lang: &str) -> &[Section] {
        self.by_lang.get(lang).map_or(&[], Vec::as_slice)
    }

    /// A short hash of the words of the lines in `range`, links and spacing left out: a link's
    /// text or target alone (an empty German link filled in) is the link checks' to tell, not a
    /// drift.
    fn hash(&self, range: Range<usize>) -> String {
        static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"\[(?:[^\]\\]|\\.)*\]\([^)\s]*\)").expect("link pattern")
        });
        let mut h = Sha256::new();
        for line in &self.lines[range] {
            let words: String = LINK
                .replace_all(line, "")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            h.update(words.as_bytes());
            h.update(b"\n");
        }
        h.finalize()[..8].iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Where `place` is on this page: its section, and its part at the same position when it
    /// still has the same heading, else the part of that heading. `None` when it is gone.
    fn locate(&self, place: &Place) -> Option<Range<usize>> {
        let section = self.of(&place.lang).get(place.section)?;
        let Some(k) = place.part else {
            return Some(section.lines.clone());
        };
        let same = |p: &&Part| p.heading == place.heading;
        section
            .parts
            .get(k)
            .filter(same)
            .or_else(|| section.parts.iter().find(same))
            .map(|p| p.lines.clone())
    }
}

/// The snapshot lines that this run's confirmed changes removed (old side) and wrote (new side).
#[derive(Debug, Default)]
struct Touched {
    old: HashSet<String>,
    new: HashSet<String>,
}

impl Touched {
    fn new(changes: &[Change]) -> Self {
        let mut t = Touched::default();
        for c in changes {
            // A block that only moved changed no section's words.
            if matches!(c, Change::Moved { .. }) {
                continue;
            }
            let (old, new) = c.sides();
            t.old.extend(old);
            t.new.extend(new);
        }
        t
    }

    fn old_in(&self, layout: &Layout<'_>, range: Range<usize>) -> bool {
        layout.lines[range].iter().any(|l| self.old.contains(*l))
    }

    fn new_in(&self, layout: &Layout<'_>, range: Range<usize>) -> bool {
        layout.lines[range].iter().any(|l| self.new.contains(*l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff;

    const EN_A: &str = "When you use the platform we support you with the onboarding tool, which helps new users get to know the product.";
    const EN_M: &str = "We also use an analytics service that stores and processes information about how users behave in our product.";
    const DE_A: &str = "Bei der Nutzung der Plattform unterstützen wir Sie durch das Werkzeug, das neuen Nutzern das Kennenlernen erleichtert.";
    const DE_M: &str = "Wir nutzen zudem einen Analysedienst, der Informationen über das Nutzerverhalten in unserem Produkt speichert und verarbeitet.";

    fn langs() -> Vec<String> {
        vec!["en".to_string(), "de".to_string()]
    }

    /// A bilingual page: a title, an English section and a German one, each with two vendor
    /// subsections.
    fn page(en_a: &str, en_m: &str, de_a: &str, de_m: &str) -> String {
        format!(
            "# Privacy Policy\n\n## Data collection when using the platform\n\n### Appcues\n\n{en_a}\n\n### Mixpanel\n\n{en_m}\n\n\
             ## Datenerhebung bei der Nutzung der Plattform\n\n### Appcues\n\n{de_a}\n\n### Mixpanel\n\n{de_m}\n"
        )
    }

    fn base() -> String {
        page(EN_A, EN_M, DE_A, DE_M)
    }

    /// The page with a word more in the English Appcues part.
    fn english_edited() -> String {
        page(&en_a_edited(), EN_M, DE_A, DE_M)
    }

    /// The English Appcues part with a word more.
    fn en_a_edited() -> String {
        EN_A.replace("new users", "new and returning users")
    }

    /// One run from `old` to `new` with `open` drifts: the drifts after it.
    fn step(open: &[Drift], old: &str, new: &str) -> Vec<Drift> {
        let changes = diff::diff(old, new);
        let run = (old != new).then_some(Run {
            old,
            changes: &changes,
        });
        advance("t", &langs(), open, new, run)
    }

    fn messages(drifts: &[Drift]) -> Vec<String> {
        drifts.iter().map(|d| d.finding().message).collect()
    }

    #[test]
    fn an_english_part_that_changes_alone_opens_a_drift_naming_it() {
        let edited = english_edited();
        let open = step(&[], &base(), &edited);
        assert_eq!(
            messages(&open),
            vec!["English §Appcues changed; the German section did not"]
        );
        let f = open[0].finding();
        assert_eq!(f.kind, FindingKind::LanguageDrift);
        assert_eq!(f.section.as_deref(), Some("de: Appcues"));
        assert_eq!(f.id, "language-drift:t:de-1:part-2:en");
        assert!(validate(&open).is_ok());
    }

    #[test]
    fn a_drift_stays_open_while_the_page_is_unchanged_and_closes_when_the_counterpart_follows() {
        let edited = english_edited();
        let open = step(&[], &base(), &edited);
        // Later runs see the same page: nothing changed, the drift holds.
        assert_eq!(step(&open, &edited, &edited), open);
        // The German part follows: resolved, and its change is no drift of its own.
        let followed = page(
            &en_a_edited(),
            EN_M,
            &DE_A.replace("neuen Nutzern", "neuen und wiederkehrenden Nutzern"),
            DE_M,
        );
        assert_eq!(step(&open, &edited, &followed), vec![]);
    }

    #[test]
    fn an_unrelated_change_elsewhere_leaves_a_drift_open() {
        let edited = english_edited();
        let open = step(&[], &base(), &edited);
        // Both Mixpanel parts change together: no new drift, and the Appcues one holds.
        let both = page(
            &en_a_edited(),
            &EN_M.replace("stores", "keeps"),
            DE_A,
            &DE_M.replace("speichert", "behält"),
        );
        assert_eq!(step(&open, &edited, &both), open);
    }

    #[test]
    fn a_german_part_that_changes_alone_drifts_the_other_way() {
        let edited = page(EN_A, EN_M, DE_A, &DE_M.replace("zudem", "außerdem"));
        assert_eq!(
            messages(&step(&[], &base(), &edited)),
            vec!["German §Mixpanel changed; the English section did not"]
        );
    }

    #[test]
    fn both_languages_changed_in_one_run_is_no_drift() {
        let edited = page(
            &en_a_edited(),
            EN_M,
            &DE_A.replace("neuen Nutzern", "neuen und wiederkehrenden Nutzern"),
            DE_M,
        );
        assert_eq!(step(&[], &base(), &edited), vec![]);
    }

    #[test]
    fn a_part_back_to_what_it_was_closes_its_drift_quietly() {
        let edited = english_edited();
        let open = step(&[], &base(), &edited);
        assert_eq!(step(&open, &edited, &base()), vec![]);
    }

    #[test]
    fn a_difference_no_confirmed_change_touches_opens_nothing() {
        // The English part differs, but the run's confirmed changes are elsewhere (the part's
        // difference was volatile between the two fetches).
        let old = base();
        let new = english_edited().replace("# Privacy Policy", "# Privacy Notice");
        let confirmed = diff::diff(&old, &old.replace("# Privacy Policy", "# Privacy Notice"));
        let run = Run {
            old: &old,
            changes: &confirmed,
        };
        assert_eq!(advance("t", &langs(), &[], &new, Some(run)), vec![]);
    }

    #[test]
    fn a_subsection_added_on_one_side_is_a_drift_of_the_whole_section() {
        let added = base().replace(
            "## Datenerhebung",
            "### Segment\n\nWe send product events to a customer data platform that routes them on.\n\n## Datenerhebung",
        );
        let open = step(&[], &base(), &added);
        assert_eq!(
            messages(&open),
            vec!["English §Data collection when using the platform changed; the German section §Datenerhebung bei der Nutzung der Plattform did not"]
        );
        assert_eq!(open[0].counterpart.part, None);
        // The German section gains its own part later: resolved.
        let followed = added.replace(
            "### Mixpanel\n\nWir",
            "### Segment\n\nWir senden Produktereignisse an eine Kundendatenplattform, die sie weiterleitet.\n\n### Mixpanel\n\nWir",
        );
        assert_ne!(followed, added);
        assert_eq!(step(&open, &added, &followed), vec![]);
    }

    #[test]
    fn parts_are_paired_by_position_not_by_heading() {
        // The German vendor headings are translated: still paired, first with first.
        let de =
            |p: String| p.replace("### Appcues\n\nBei", "### Werkzeug für den Einstieg\n\nBei");
        let old = de(base());
        let new = de(page(EN_A, &EN_M.replace("stores", "keeps"), DE_A, DE_M));
        let open = step(&[], &old, &new);
        assert_eq!(
            messages(&open),
            vec!["English §Mixpanel changed; the German section did not"]
        );
        let old = de(base());
        let new = de(page(
            &EN_A.replace("new users", "newcomers"),
            EN_M,
            DE_A,
            DE_M,
        ));
        assert_eq!(
            messages(&step(&[], &old, &new)),
            vec!["English §Appcues changed; the German section §Werkzeug für den Einstieg did not"]
        );
    }

    #[test]
    fn a_page_read_in_one_language_has_no_drift_and_drops_open_ones() {
        let edited = english_edited();
        let changes = diff::diff(&base(), &edited);
        let run = Run {
            old: &base(),
            changes: &changes,
        };
        let en = vec!["en".to_string()];
        assert_eq!(advance("t", &en, &[], &edited, Some(run)), vec![]);
        let open = step(&[], &base(), &edited);
        assert_eq!(advance("t", &en, &open, &edited, None), vec![]);
        // A page that lost its German section: nothing left to drift from.
        let english_only = edited[..edited.find("## Datenerhebung").unwrap()].to_string();
        assert_eq!(advance("t", &langs(), &open, &english_only, None), vec![]);
    }

    #[test]
    fn drifts_read_back_are_checked() {
        let edited = english_edited();
        let open = step(&[], &base(), &edited);
        let broken = |f: &dyn Fn(&mut Drift)| {
            let mut d = open.clone();
            f(&mut d[0]);
            validate(&d).unwrap_err()
        };
        assert_eq!(broken(&|d| d.id = "empty:1".into()).0, 1);
        assert_eq!(broken(&|d| d.changed.hash = "zz".into()).0, 1);
        assert_eq!(broken(&|d| d.counterpart.lang = "EN; rm".into()).0, 1);
        assert_eq!(broken(&|d| d.counterpart.lang = "en".into()).0, 1);
        assert_eq!(broken(&|d| d.changed.heading = "x".repeat(5000)).0, 1);
        let twice = vec![open[0].clone(), open[0].clone()];
        assert_eq!(validate(&twice).unwrap_err().0, 2);
    }
}
