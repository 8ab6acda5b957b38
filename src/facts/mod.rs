//! Policy facts: what a change means — a new party, a changed retention period, a new
//! effective date — found by offline rules (English, German, French) in the two versions' text.
//!
//! Each kind has its own file: `dates` (effective dates), `contact`, `party`, `duration`
//! (periods and minimum ages), `places` (countries and regions), `data` (data categories),
//! `legal` (legal bases and laws) and `section` (headings). A kind finds *mentions* in a text;
//! this module decides what changed. "Added" and "removed" are judged against the whole other
//! version: a name that the old version already had anywhere is not new. Precision first: a rule
//! that is not sure says nothing.

mod cite;
mod contact;
mod data;
mod dates;
mod duration;
mod legal;
mod party;
mod places;
mod section;
mod text;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::diff::{plain, Change};

pub use cite::{citation_line, owner, Citation, Citations};

/// What a fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    EffectiveDate,
    Contact,
    Party,
    Duration,
    Country,
    DataCategory,
    LegalBasis,
    Age,
    Section,
}

impl FactKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::EffectiveDate => "effective_date",
            FactKind::Contact => "contact",
            FactKind::Party => "party",
            FactKind::Duration => "duration",
            FactKind::Country => "country",
            FactKind::DataCategory => "data_category",
            FactKind::LegalBasis => "legal_basis",
            FactKind::Age => "age",
            FactKind::Section => "section",
        }
    }

    /// How a report line names it: "Effective date", "New party" …
    pub fn label(self) -> &'static str {
        match self {
            FactKind::EffectiveDate => "Effective date",
            FactKind::Contact => "Contact",
            FactKind::Party => "Party",
            FactKind::Duration => "Period",
            FactKind::Country => "Country",
            FactKind::DataCategory => "Data",
            FactKind::LegalBasis => "Legal basis",
            FactKind::Age => "Minimum age",
            FactKind::Section => "Section",
        }
    }
}

/// What happened to the fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactChange {
    Added,
    Removed,
    Changed,
}

impl FactChange {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FactChange::Added => "added",
            FactChange::Removed => "removed",
            FactChange::Changed => "changed",
        }
    }
}

/// One fact of a change: its kind, what happened, the texts as the page wrote them, what a
/// period is about ("retention") and the sentence it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fact {
    pub kind: FactKind,
    pub change: FactChange,
    pub before: Option<String>,
    pub after: Option<String>,
    pub about: Option<String>,
    pub context: Option<String>,
}

impl Fact {
    /// One short line: "Retention: 12 months → 24 months", "New party: Segment.io, Inc.".
    pub fn line(&self) -> String {
        let about = self
            .about
            .as_deref()
            .map(text::capitalise)
            .unwrap_or_else(|| self.kind.label().to_string());
        let (b, a) = (self.before.as_deref(), self.after.as_deref());
        match (self.change, b, a) {
            (FactChange::Changed, Some(b), Some(a)) => format!("{about}: {b} → {a}"),
            (FactChange::Added, _, Some(a)) | (FactChange::Changed, None, Some(a)) => {
                match self.kind {
                    FactKind::Section => format!("New section: {a}"),
                    FactKind::EffectiveDate => format!("{about}: {a} (new)"),
                    _ => format!("New {}: {a}", about.to_lowercase_first()),
                }
            }
            (_, Some(b), _) => match self.kind {
                FactKind::Section => format!("Section removed: {b}"),
                _ => format!("{about} no longer named: {b}"),
            },
            _ => about,
        }
    }
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for String {
    fn to_lowercase_first(&self) -> String {
        // "Party" → "party", but "EU" stays.
        let mut c = self.chars();
        match (c.next(), c.clone().next()) {
            (Some(f), Some(s)) if s.is_lowercase() => f.to_lowercase().chain(c).collect(),
            _ => self.clone(),
        }
    }
}

/// A mention of a fact in a text: where it is, what it says, and what makes two mentions the
/// same (a normalised key: an address's digits, a country's code, a date's day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mention {
    pub start: usize,
    pub end: usize,
    /// The text as the page wrote it.
    pub text: String,
    /// What makes two mentions the same.
    pub key: String,
    /// What a value is about (a period's purpose); part of its identity for pairing.
    pub about: Option<String>,
}

/// One version of a document as the rules read it: its blocks as plain text.
pub(crate) struct Version {
    pub blocks: Vec<String>,
    /// The whole text, lowercased, for "is this named anywhere" questions: made when first
    /// asked (most changes ask none).
    lower: OnceCell<String>,
}

impl Version {
    fn new(markdown: &str) -> Self {
        let blocks: Vec<String> = crate::diff::blocks(markdown)
            .iter()
            .map(|b| plain(b))
            .collect();
        Version {
            blocks,
            lower: OnceCell::new(),
        }
    }

    /// The whole text, lowercased.
    pub fn lower(&self) -> &str {
        self.lower
            .get_or_init(|| self.blocks.join("\n").to_lowercase())
    }
}

/// One changed block: its text before and after (plain), `None` where it did not exist.
struct Side {
    old: Option<String>,
    new: Option<String>,
}

/// Facts of a change beyond this many are not looked for (a rewritten page).
const MAX_FACTS: usize = 200;

/// The facts of `changes`, which turn the snapshot Markdown `old` into `new`, in page order
/// (kind by kind).
pub fn facts(old: &str, new: &str, changes: &[Change]) -> Vec<Fact> {
    let sides: Vec<Side> = changes
        .iter()
        .filter(|c| !matches!(c, Change::Moved { .. }))
        .map(|c| {
            let (o, n) = c.sides();
            Side {
                old: o.map(|t| plain(&t)),
                new: n.map(|t| plain(&t)),
            }
        })
        .filter(|s| s.old != s.new)
        .collect();
    if sides.is_empty() {
        return Vec::new();
    }
    let old_v = Version::new(old);
    let new_v = Version::new(new);
    let mut out = Vec::new();
    out.extend(dates::facts(&old_v, &new_v));
    out.extend(section::facts(changes, &old_v, &new_v));
    let finders: [(FactKind, Finder); 4] = [
        (FactKind::Contact, contact::find),
        (FactKind::Party, party::find),
        (FactKind::LegalBasis, legal::find),
        (FactKind::DataCategory, data::find),
    ];
    for (kind, find) in finders {
        let mut found = named(kind, find, &sides, &old_v, &new_v);
        if kind == FactKind::Contact {
            without_nameless_roles(&mut found);
        }
        out.extend(found);
    }
    out.extend(named(
        FactKind::Country,
        places::find,
        &sides,
        &old_v,
        &new_v,
    ));
    out.extend(values(
        FactKind::Duration,
        duration::find,
        &sides,
        &old_v,
        &new_v,
    ));
    out.extend(values(
        FactKind::Age,
        duration::find_ages,
        &sides,
        &old_v,
        &new_v,
    ));
    out.truncate(MAX_FACTS);
    out
}

type Finder = fn(&str) -> Vec<Mention>;

/// A map keyed by block texts or mention keys: hashed fast (the texts are long, the maps are
/// rebuilt for every change), with a random seed all the same.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A role named without its holder says nothing more when the same change names the holder
/// ("EU Representative" beside "EU Representative: François Hodierne").
fn without_nameless_roles(found: &mut Vec<Fact>) {
    let words = |f: &Fact| f.after.clone().or(f.before.clone()).unwrap_or_default();
    let all: Vec<String> = found.iter().map(words).collect();
    found.retain(|f| {
        let w = words(f);
        !all.iter().any(|o| {
            o != &w && o.starts_with(w.trim_start_matches('#').trim()) && o.len() > w.len()
        })
    });
}

/// What one finder finds in the blocks of both versions, each distinct block read once. A
/// changed block is a block of one version or the other, so its mentions are looked up here
/// rather than found again: on a page where every block changed, this halves the work.
struct Found<'v> {
    find: Finder,
    blocks: Map<&'v str, Vec<Mention>>,
}

impl<'v> Found<'v> {
    fn new(find: Finder) -> Self {
        Found {
            find,
            blocks: Map::default(),
        }
    }

    /// The keys of every mention in a whole version, counted per block as it stands.
    fn keys(&mut self, v: &'v Version) -> Map<String, usize> {
        let find = self.find;
        let mut keys = Map::default();
        for b in &v.blocks {
            for m in self.blocks.entry(b.as_str()).or_insert_with(|| find(b)) {
                *keys.entry(m.key.clone()).or_insert(0) += 1;
            }
        }
        keys
    }

    /// The mentions in `text` (none without a text).
    fn of(&self, text: Option<&str>) -> Cow<'_, [Mention]> {
        match text {
            None => Cow::Borrowed(&[]),
            Some(t) => match self.blocks.get(t) {
                Some(found) => Cow::Borrowed(found.as_slice()),
                None => Cow::Owned((self.find)(t)),
            },
        }
    }
}

/// Named things (parties, contacts, countries, laws, data): added when the whole old version
/// names none like it, removed when the whole new version names none like it; a changed block
/// that drops one and brings one of the same kind in its place is a change (contacts, laws).
fn named(kind: FactKind, find: Finder, sides: &[Side], old: &Version, new: &Version) -> Vec<Fact> {
    let mut found = Found::new(find);
    let old_keys = found.keys(old);
    let new_keys = found.keys(new);
    let mut out = Vec::new();
    let mut seen: HashSet<(FactChange, String)> = HashSet::new();
    for s in sides {
        let gone: Vec<(Mention, &str)> = s
            .old
            .as_deref()
            .map(|t| {
                found
                    .of(Some(t))
                    .iter()
                    .filter(|m| {
                        !new_keys.contains_key(&m.key)
                            && !mentioned(kind, m, new, &new_keys)
                            && !held(kind, m, &old_keys)
                    })
                    .map(|m| (m.clone(), t))
                    .collect()
            })
            .unwrap_or_default();
        let came: Vec<(Mention, &str)> = s
            .new
            .as_deref()
            .map(|t| {
                found
                    .of(Some(t))
                    .iter()
                    .filter(|m| {
                        !old_keys.contains_key(&m.key)
                            && !mentioned(kind, m, old, &old_keys)
                            && !held(kind, m, &new_keys)
                    })
                    .map(|m| (m.clone(), t))
                    .collect()
            })
            .unwrap_or_default();
        let pairs_change = matches!(kind, FactKind::Contact | FactKind::LegalBasis)
            && s.old.is_some()
            && s.new.is_some();
        // In a changed block, what came in place of one that left the block is a change, even
        // when the one that left is still named elsewhere ("contact our DPO at [-a-]{+b+}").
        let left: Vec<(Mention, &str)> = match (pairs_change, s.old.as_deref(), s.new.as_deref()) {
            (true, Some(o), Some(n)) => {
                let now = found.of(Some(n));
                let here: HashSet<&str> = now.iter().map(|m| m.key.as_str()).collect();
                found
                    .of(Some(o))
                    .iter()
                    .filter(|m| !here.contains(m.key.as_str()) && !m.key.ends_with(':'))
                    .map(|m| (m.clone(), o))
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut came = dedup(came);
        let mut gone = dedup(gone);
        if pairs_change {
            let mut left = dedup(left);
            let mut i = 0;
            while i < left.len() {
                let Some(j) = came.iter().position(|c| same_family(&c.0, &left[i].0)) else {
                    i += 1;
                    continue;
                };
                let (c, t) = came.remove(j);
                let (g, _) = left.remove(i);
                gone.retain(|(m, _)| m.key != g.key);
                if seen.insert((FactChange::Changed, format!("{}>{}", g.key, c.key))) {
                    out.push(Fact {
                        kind,
                        change: FactChange::Changed,
                        before: Some(g.text),
                        after: Some(c.text.clone()),
                        about: None,
                        context: Some(text::sentence(t, c.start, c.end)),
                    });
                }
            }
        }
        for (m, t) in came {
            if seen.insert((FactChange::Added, m.key.clone())) {
                out.push(Fact {
                    kind,
                    change: FactChange::Added,
                    before: None,
                    after: Some(m.text.clone()),
                    about: None,
                    context: Some(text::sentence(t, m.start, m.end)),
                });
            }
        }
        for (m, t) in gone {
            if seen.insert((FactChange::Removed, m.key.clone())) {
                out.push(Fact {
                    kind,
                    change: FactChange::Removed,
                    before: Some(m.text.clone()),
                    after: None,
                    about: None,
                    context: Some(text::sentence(t, m.start, m.end)),
                });
            }
        }
    }
    out
}

/// Whether a mention is in a version at all, though not with the same key: a party named in
/// running text without its legal form; a role named without its holder where the other
/// version names one; an e-mail address glued to a neighbouring word by the page's layout.
fn mentioned(kind: FactKind, m: &Mention, v: &Version, keys: &Map<String, usize>) -> bool {
    match kind {
        // Named in running text without its legal form, or one of the names of an entry
        // ("Microsoft, MS Clarity", "Segment / Twilio") named already.
        FactKind::Party => {
            let core = party::core(&m.text).unwrap_or_else(|| m.text.to_lowercase());
            core.split([',', '/'])
                .map(str::trim)
                .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 3)
                .any(|p| text::contains_word(v.lower(), p))
        }
        FactKind::Contact if m.key.starts_with("role-") => {
            let family = m.key.split(':').next().unwrap_or_default();
            keys.keys().any(|k| k.starts_with(family))
        }
        FactKind::Contact if m.key.starts_with("mail:") => {
            let mail = &m.key["mail:".len()..];
            v.lower().contains(mail)
                || keys
                    .keys()
                    .filter_map(|k| k.strip_prefix("mail:"))
                    .any(|k| mail.ends_with(k))
        }
        _ => false,
    }
}

/// A role named without its holder, in a version that names the holder elsewhere: the named
/// mention speaks for it.
fn held(kind: FactKind, m: &Mention, own: &Map<String, usize>) -> bool {
    match kind {
        FactKind::Contact if m.key.starts_with("role-") && m.key.ends_with(':') => own
            .keys()
            .any(|k| k.starts_with(&m.key) && k.len() > m.key.len()),
        _ => false,
    }
}

/// Two mentions that can stand for each other in a changed block: e-mail for e-mail, address
/// for address, article for article.
fn same_family(a: &Mention, b: &Mention) -> bool {
    a.key.split(':').next() == b.key.split(':').next()
}

fn dedup(list: Vec<(Mention, &str)>) -> Vec<(Mention, &str)> {
    let mut seen = HashSet::new();
    list.into_iter()
        .filter(|(m, _)| seen.insert(m.key.clone()))
        .collect()
}

/// Values (periods, ages): in a changed block, a value that went and one that came in its
/// place are a change; a value that only came (or only went) is added (removed) when the
/// whole version holds it more often than the other did.
fn values(kind: FactKind, find: Finder, sides: &[Side], old: &Version, new: &Version) -> Vec<Fact> {
    let mut found = Found::new(find);
    let old_keys = found.keys(old);
    let new_keys = found.keys(new);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for s in sides {
        let before = found.of(s.old.as_deref());
        let after = found.of(s.new.as_deref());
        let mut gone: Vec<&Mention> = Vec::new();
        let mut left: Vec<&Mention> = after.iter().collect();
        for b in before.iter() {
            match left.iter().position(|a| a.key == b.key) {
                Some(i) => {
                    left.remove(i);
                }
                None => gone.push(b),
            }
        }
        let mut came = left;
        // Pair a value that went with one that came for the same purpose (or in the same
        // order when neither says one).
        let mut i = 0;
        while i < gone.len() {
            let g = gone[i];
            if let Some(j) = came.iter().position(|c| c.about == g.about) {
                let c = came.remove(j);
                gone.remove(i);
                if seen.insert((FactChange::Changed, g.key.clone(), c.key.clone())) {
                    out.push(Fact {
                        kind,
                        change: FactChange::Changed,
                        before: Some(g.text.clone()),
                        after: Some(c.text.clone()),
                        about: c.about.clone().or(g.about.clone()),
                        context: s.new.as_deref().map(|t| text::sentence(t, c.start, c.end)),
                    });
                }
            } else {
                i += 1;
            }
        }
        let count = |keys: &Map<String, usize>, k: &str| keys.get(k).copied().unwrap_or(0);
        for c in came {
            if count(&new_keys, &c.key) > count(&old_keys, &c.key)
                && seen.insert((FactChange::Added, String::new(), c.key.clone()))
            {
                out.push(Fact {
                    kind,
                    change: FactChange::Added,
                    before: None,
                    after: Some(c.text.clone()),
                    about: c.about.clone(),
                    context: s.new.as_deref().map(|t| text::sentence(t, c.start, c.end)),
                });
            }
        }
        for g in gone {
            if count(&old_keys, &g.key) > count(&new_keys, &g.key)
                && seen.insert((FactChange::Removed, g.key.clone(), String::new()))
            {
                out.push(Fact {
                    kind,
                    change: FactChange::Removed,
                    before: Some(g.text.clone()),
                    after: None,
                    about: g.about.clone(),
                    context: s.old.as_deref().map(|t| text::sentence(t, g.start, g.end)),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_named_beside_another_is_one_new_category_not_one_gone() {
        let old = "# Privacy\n\nWe collect your name and e-mail address to run your account.\n";
        let new = "# Privacy\n\nWe collect your name and e-mail and postal address to run your account.\n";
        let lines: Vec<String> = facts(old, new, &crate::diff::diff(old, new))
            .iter()
            .map(Fact::line)
            .collect();
        assert!(
            lines.iter().any(|l| l.contains("postal address")),
            "the postal address is newly named: {lines:?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("no longer named")),
            "the e-mail address is still named: {lines:?}"
        );
    }
}
