//! A target's extraction rules compiled once: content roots, removals and ignore patterns,
//! with the built-in defaults, and the hash that says when stored baselines must be re-made.

use std::sync::{Arc, LazyLock};

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Selector};
use sha2::{Digest, Sha256};

use super::EXTRACTOR_VERSION;

/// Document containers tried in order when a target names no `select`. A match that holds only
/// a small part of the page's text is passed over; when none fits, the container is found by
/// its content (see `root`), and `body` is the last resort.
pub const DEFAULT_SELECT: &[&str] = &["[data-content-ref-root]", "main", "article", "[role=main]"];

/// Elements that never count as content, whatever the target says.
pub const BUILTIN_REMOVE: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    // A page's title, even where a script streamed it into the body: no browser shows it there.
    "title",
    "svg",
    "iframe",
    "nav",
    "select",
    ".sr-only",
    ".visually-hidden",
    "[hidden]",
    "[aria-hidden=true]",
];

/// Relative dates ("Last updated 1 year ago", "Updated this week", "Zuletzt aktualisiert vor 3
/// Tagen", "Mis à jour il y a 2 jours") change with time, not with the policy: blocks that are
/// only such a line are ignored. English, German and French, in either word order.
pub const BUILTIN_IGNORE: &[&str] = &[
    r"(?i)^(last\s+)?(updated|modified|edited|changed)\b.{0,40}\b(\d+|an?|one|few|several)\s+(moments?|seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago\.?$",
    r"(?i)^(last\s+)?(updated|modified|edited|changed):?\s+(just now|today|yesterday|recently|(this|last)\s+(week|month|year)|(in|within)\s+the\s+(last|past)\s+(\d+\s+|few\s+)?(minutes?|hours?|days?|weeks?|months?))\.?$",
    r"(?i)^(zuletzt\s+)?(aktualisiert|geändert|bearbeitet)\b.{0,40}\bvor\s+(\d+|einem|einer|eins|wenigen)\s+(sekunden?|minuten?|stunden?|tag(en)?|wochen?|monat(en)?|jahr(en)?)\.?$",
    r"(?i)^(zuletzt\s+)?(aktualisiert|geändert|bearbeitet):?\s+(gerade eben|heute|gestern|(diese|letzte)\s+woche|(diesen|letzten)\s+monat|(dieses|letztes)\s+jahr|in\s+der\s+letzten\s+(stunde|woche)|in\s+den\s+letzten\s+(\d+\s+)?(minuten|stunden|tagen|wochen))\.?$",
    r"(?i)^(zuletzt\s+)?(gerade eben|heute|gestern|(diese|letzte)\s+woche|(diesen|letzten)\s+monat|(dieses|letztes)\s+jahr|in\s+der\s+letzten\s+(stunde|woche)|vor\s+(\d+|einem|einer|wenigen)\s+(sekunden?|minuten?|stunden?|tag(en)?|wochen?|monat(en)?|jahr(en)?))\s+(aktualisiert|geändert|bearbeitet)\.?$",
    // A clock (a site's local time in its footer: "CA 12:09 PM", "14:30 CET").
    r"(?i)^[a-z]{0,4}\s*\d{1,2}:\d{2}(:\d{2})?\s*(am|pm)?(\s*[a-z]{2,5})?$",
    r"(?i)^(dernière\s+)?(mis|mise)\s+à\s+jour\s*:?\s+(il\s+y\s+a\s+(\d+|une?|quelques)\s+(secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|années?)|à\s+l['’]instant|aujourd['’]hui|hier|récemment|cette\s+(semaine|année)|ce\s+mois(-ci)?|la\s+semaine\s+dernière|le\s+mois\s+dernier|(dans|au\s+cours\s+de)\s+la\s+dernière\s+(heure|semaine))\.?$",
];

/// A user's pattern (a target's `ignore`, `links.exclude`), compiled, or what is wrong with it.
///
/// The binary's regexes know Unicode's general categories (`\p{L}`, `\p{Lu}`), case-insensitive
/// matching and Unicode `\w`, `\d`, `\s` and `\b`, not scripts, ages, the other Unicode
/// properties or the segmentation classes (their tables were about 200 KB of the binary). A
/// pattern naming one of those is refused here, with what is known, whatever the regex crate
/// was built with (the test build's has every table: its dev-dependencies ask for them).
pub fn user_regex(pattern: &str) -> Result<Regex, String> {
    let invalid = |why: &dyn std::fmt::Display| format!("`{pattern}` is not a valid regex: {why}");
    if let Some(class) = unknown_unicode_class(pattern) {
        return Err(invalid(&format_args!(
            "the Unicode class `{class}` is not known here: general categories such as \\p{{L}} \
             or \\p{{Lu}} are, scripts such as \\p{{Greek}}, ages and other Unicode properties \
             are not (list the characters in a class instead, e.g. [α-ω])"
        )));
    }
    Regex::new(pattern).map_err(|e| invalid(&e))
}

/// The first `\p{…}` or `\P{…}` in `pattern` that is not a general category (nor `Any`,
/// `ASCII`, `Assigned`), as written. A pattern that does not parse is the regex crate's to
/// report.
fn unknown_unicode_class(pattern: &str) -> Option<String> {
    use regex_syntax::ast::{self, Ast, ClassSetItem, ClassUnicode, ClassUnicodeKind};

    /// Unicode's general categories, short and long names and their aliases, matched loosely
    /// (case, spaces, `_` and `-` ignored) as the regex crate matches them.
    const KNOWN: &str = "\
        any ascii assigned c other cc control cntrl cf format cn unassigned co privateuse cs \
        surrogate l letter lc casedletter ll lowercaseletter lm modifierletter lo otherletter \
        lt titlecaseletter lu uppercaseletter m mark combiningmark mc spacingmark me \
        enclosingmark mn nonspacingmark n number nd decimalnumber digit nl letternumber no \
        othernumber p punctuation punct pc connectorpunctuation pd dashpunctuation pe \
        closepunctuation pf finalpunctuation pi initialpunctuation po otherpunctuation ps \
        openpunctuation s symbol sc currencysymbol sk modifiersymbol sm mathsymbol so \
        othersymbol z separator zl lineseparator zp paragraphseparator zs spaceseparator";
    fn loose(name: &str) -> String {
        name.chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect()
    }
    fn unknown(class: &ClassUnicode) -> Option<String> {
        let known = |name: &str| {
            let name = loose(name);
            KNOWN.split_whitespace().any(|k| k == name)
        };
        let (ok, written) = match &class.kind {
            ClassUnicodeKind::OneLetter(c) => (known(&c.to_string()), c.to_string()),
            ClassUnicodeKind::Named(name) => (known(name), name.clone()),
            ClassUnicodeKind::NamedValue { name, value, .. } => (
                matches!(loose(name).as_str(), "gc" | "generalcategory") && known(value),
                format!("{name}={value}"),
            ),
        };
        (!ok).then_some(written)
    }
    struct Finder(Option<String>);
    impl ast::Visitor for Finder {
        type Output = Option<String>;
        type Err = ();
        fn finish(self) -> Result<Option<String>, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
            if let Ast::ClassUnicode(class) = ast {
                self.0 = self.0.take().or_else(|| unknown(class));
            }
            Ok(())
        }
        fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), ()> {
            if let ClassSetItem::Unicode(class) = item {
                self.0 = self.0.take().or_else(|| unknown(class));
            }
            Ok(())
        }
    }
    let parsed = ast::parse::Parser::new().parse(pattern).ok()?;
    ast::visit(&parsed, Finder(None)).ok().flatten()
}

/// The built-in selectors and patterns, compiled once per process and shared by every target:
/// one compile, not one per target, and one match cache per pattern. (A cloned `Regex` shares
/// its program but gets a cache of its own, which grows to ~90 KB once used: 300 targets held
/// 110 MB of them.)
struct Builtin {
    select: Vec<(String, Selector)>,
    ignore: Vec<Arc<Regex>>,
}

static BUILTIN: LazyLock<Builtin> = LazyLock::new(|| Builtin {
    select: DEFAULT_SELECT
        .iter()
        .map(|s| {
            (
                s.to_string(),
                Selector::parse(s).expect("built-in selector"),
            )
        })
        .collect(),
    ignore: BUILTIN_IGNORE
        .iter()
        .map(|p| Arc::new(Regex::new(p).expect("built-in ignore pattern")))
        .collect(),
});

/// Which list of the rules a bad entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleList {
    Select,
    Remove,
    Ignore,
}

/// An entry of a target's rules that does not compile: which list, which entry, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub list: RuleList,
    /// Position of the entry in its list as the target wrote it.
    pub index: usize,
    pub message: String,
}

/// A target's extraction rules, compiled. Cheap to share; build it once per target.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The content roots, first match wins; `None` when the target named none (the defaults,
    /// with the content-based search behind them).
    select: Option<Vec<(String, Selector)>>,
    /// The target's own removals, as written (the built-in ones always apply).
    remove_written: Vec<String>,
    /// Built-in and own removals as one selector list.
    remove: Selector,
    /// Built-in (shared) and own ignore patterns.
    ignore: Vec<Arc<Regex>>,
    hash: String,
}

impl Default for Rules {
    /// The rules of a target that names only its URL.
    fn default() -> Self {
        Rules::new(None, &[], &[]).expect("built-in rules compile")
    }
}

impl Rules {
    /// Compiles a target's rules. `select: None` means the target named no content root.
    pub fn new(
        select: Option<&[String]>,
        remove: &[String],
        ignore: &[String],
    ) -> Result<Rules, RuleError> {
        let parse = |list: RuleList, index: usize, s: &str| {
            Selector::parse(s).map_err(|e| RuleError {
                list,
                index,
                message: format!("`{s}` is not a valid CSS selector: {e}"),
            })
        };
        let select = match select {
            None => None,
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, s)| Ok((s.clone(), parse(RuleList::Select, i, s)?)))
                    .collect::<Result<Vec<_>, RuleError>>()?,
            ),
        };
        for (i, s) in remove.iter().enumerate() {
            parse(RuleList::Remove, i, s)?;
        }
        // Each entry parses alone, so the joined list parses too.
        let joined = BUILTIN_REMOVE
            .iter()
            .copied()
            .chain(remove.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ");
        let remove_selector = parse(RuleList::Remove, 0, &joined)?;
        let mut compiled = BUILTIN.ignore.clone();
        for (index, p) in ignore.iter().enumerate() {
            compiled.push(Arc::new(user_regex(p).map_err(|message| RuleError {
                list: RuleList::Ignore,
                index,
                message,
            })?));
        }

        let mut h = Sha256::new();
        h.update(EXTRACTOR_VERSION.to_le_bytes());
        match &select {
            None => h.update(b"select:default\0"),
            Some(list) => {
                for (s, _) in list {
                    h.update(s.as_bytes());
                    h.update([0]);
                }
            }
        }
        h.update([1]);
        for s in remove {
            h.update(s.as_bytes());
            h.update([0]);
        }
        h.update([1]);
        for p in ignore {
            h.update(p.as_bytes());
            h.update([0]);
        }
        let hash = format!("sha256:{}", crate::hash::hex(&h.finalize()));

        Ok(Rules {
            select,
            remove_written: remove.to_vec(),
            remove: remove_selector,
            ignore: compiled,
            hash,
        })
    }

    /// True when the target named no `select`: the default containers and the content-based
    /// search apply.
    pub fn select_is_default(&self) -> bool {
        self.select.is_none()
    }

    /// The content roots tried in order (the defaults when the target named none).
    pub fn select(&self) -> impl Iterator<Item = (&str, &Selector)> {
        self.select
            .as_deref()
            .unwrap_or(&BUILTIN.select)
            .iter()
            .map(|(s, sel)| (s.as_str(), sel))
    }

    /// The target's own removals as written (the built-in ones come on top).
    pub fn remove_written(&self) -> &[String] {
        &self.remove_written
    }

    /// Built-in and own removals as one selector list.
    pub fn remove(&self) -> &Selector {
        &self.remove
    }

    /// Whether `el` is removed: matches [`remove`](Self::remove). Without removals of the
    /// target's own, elements that cannot match a built-in one are told at once.
    pub fn removes(&self, el: &ElementRef<'_>) -> bool {
        if self.remove_written.is_empty() && !may_match_builtin_remove(el.value()) {
            return false;
        }
        self.remove.matches(el)
    }

    /// Built-in and own ignore patterns.
    pub fn ignore(&self) -> &[Arc<Regex>] {
        &self.ignore
    }

    /// A hash of everything that decides how a page becomes blocks, the extractor's version
    /// included. When it changes, the stored raw HTML is re-extracted to make a new baseline.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// False only for elements that no selector of [`BUILTIN_REMOVE`] can match: not one of its
/// tags, no `hidden` or `aria-hidden` attribute, no class that holds `sr-only` or
/// `visually-hidden`. Compared without regard to case, so that it holds whatever the
/// document's mode and namespace.
fn may_match_builtin_remove(e: &Element) -> bool {
    const TAGS: &[&str] = &[
        "script", "style", "noscript", "template", "title", "svg", "iframe", "nav", "select",
    ];
    let name: &str = &e.name.local;
    if TAGS.iter().any(|t| name.eq_ignore_ascii_case(t)) {
        return true;
    }
    e.attrs.iter().any(|(q, value)| {
        let attr: &str = &q.local;
        attr.eq_ignore_ascii_case("hidden")
            || attr.eq_ignore_ascii_case("aria-hidden")
            || (attr.eq_ignore_ascii_case("class") && {
                let v = value.to_ascii_lowercase();
                v.contains("sr-only") || v.contains("visually-hidden")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_rules_try_the_known_containers() {
        let r = Rules::default();
        assert!(r.select_is_default());
        let tried: Vec<_> = r.select().map(|(s, _)| s).collect();
        assert_eq!(tried, DEFAULT_SELECT);
        assert_eq!(r.ignore().len(), BUILTIN_IGNORE.len());
    }

    #[test]
    fn configured_select_is_not_default_even_when_it_names_the_defaults() {
        let r = Rules::new(Some(&strings(DEFAULT_SELECT)), &[], &[]).unwrap();
        assert!(!r.select_is_default());
        assert_ne!(r.hash(), Rules::default().hash());
    }

    #[test]
    fn a_bad_entry_names_its_list_and_position() {
        let e = Rules::new(Some(&strings(&["main", "div["])), &[], &[]).unwrap_err();
        assert_eq!((e.list, e.index), (RuleList::Select, 1));
        assert!(e.message.contains("div["), "{}", e.message);
        let e = Rules::new(None, &strings(&[".ok", "##"]), &[]).unwrap_err();
        assert_eq!((e.list, e.index), (RuleList::Remove, 1));
        let e = Rules::new(None, &[], &strings(&["(unclosed"])).unwrap_err();
        assert_eq!((e.list, e.index), (RuleList::Ignore, 0));
    }

    #[test]
    fn removals_add_to_the_built_in_ones() {
        let r = Rules::new(None, &strings(&[".promo"]), &strings(&["^Ad$"])).unwrap();
        let doc = scraper::Html::parse_fragment("<p class=promo>x</p><script></script><p>y</p>");
        let removed = doc
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
            .filter(|e| r.remove().matches(e))
            .count();
        assert_eq!(removed, 2);
        assert!(r.ignore().iter().any(|re| re.is_match("Ad")));
        assert!(r
            .ignore()
            .iter()
            .any(|re| re.is_match("Last updated 2 days ago")));
    }

    #[test]
    fn the_quick_test_never_passes_over_a_built_in_removal() {
        let html = "<!-- quirks mode: classes compare without case --><p class=SR-Only>a</p>\
            <div class='x visually-hidden'>b</div><span HIDDEN>c</span><i aria-hidden=true>d</i>\
            <i aria-hidden=false>e</i><NAV>f</NAV><svg><foreignObject><p>g</p></foreignObject></svg>\
            <Script>h</Script><iframe></iframe><template><p>i</p></template><p class=sr>j</p>\
            <div>k</div><noscript>l</noscript><style>m</style>";
        let r = Rules::default();
        for doc in [
            scraper::Html::parse_document(html),
            scraper::Html::parse_document(&format!("<!DOCTYPE html>{html}")),
        ] {
            let mut matched = 0;
            for e in doc
                .root_element()
                .descendants()
                .filter_map(ElementRef::wrap)
            {
                let full = r.remove().matches(&e);
                assert_eq!(r.removes(&e), full, "{:?}", e.value());
                if full {
                    assert!(may_match_builtin_remove(e.value()), "{:?}", e.value());
                    matched += 1;
                }
            }
            assert!(matched >= 10, "{matched}");
        }
    }

    #[test]
    fn hash_follows_every_rule_and_nothing_else() {
        let a = Rules::new(None, &strings(&[".x"]), &[]).unwrap();
        let same = Rules::new(None, &strings(&[".x"]), &[]).unwrap();
        assert_eq!(a.hash(), same.hash());
        assert!(a.hash().starts_with("sha256:"));
        for other in [
            Rules::new(None, &[], &[]).unwrap(),
            Rules::new(None, &strings(&[".y"]), &[]).unwrap(),
            Rules::new(None, &strings(&[".x"]), &strings(&["a"])).unwrap(),
            Rules::new(Some(&strings(&["main"])), &strings(&[".x"]), &[]).unwrap(),
        ] {
            assert_ne!(a.hash(), other.hash());
        }
    }

    #[test]
    fn builtin_ignore_matches_relative_dates_only() {
        let r = Rules::default();
        let ignored = |s: &str| r.ignore().iter().any(|re| re.is_match(s));
        assert!(ignored("Last updated 1 year ago"));
        assert!(ignored("Last updated 3 days ago"));
        assert!(ignored("Zuletzt aktualisiert vor 3 Tagen"));
        assert!(ignored("Updated yesterday"));
        for relative in [
            "Updated this week",
            "Updated in the last hour",
            "Last updated: within the past 24 hours",
            "Updated over a week ago",
            "Aktualisiert diese Woche",
            "In der letzten Stunde aktualisiert",
            "Vor 2 Tagen aktualisiert",
            "Mis à jour cette semaine",
            "Mis à jour il y a 3 jours",
            "Dernière mise à jour : aujourd’hui",
            "Mis à jour dans la dernière heure",
        ] {
            assert!(ignored(relative), "{relative}");
        }
        assert!(!ignored(
            "Updated this week: the retention period is now 30 days."
        ));
        assert!(!ignored("Mis à jour le 3 mars 2025"));
        for clock in ["CA12:09 PM", "12:08 AM", "14:30 CET", "9:05"] {
            assert!(ignored(clock), "{clock}");
        }
        assert!(!ignored("Call us 9:00 to 17:00 on weekdays"));
        assert!(!ignored("Last updated: March 3, 2025"));
        assert!(!ignored(
            "We delete your data 2 years ago after the contract ends."
        ));
    }
}
