//! Chrome inside the content root: blocks that a site repeats around every document and that
//! change without the document — carousels and sliders, breadcrumbs, pagers, "related
//! articles", share bars, and menus or footers made of links to the site's own pages. Told by
//! structure (how much of a block is links, and where they point) and by the generic words that
//! site builders and frameworks put in class names and labels, never by one site's names.

use std::collections::HashMap;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Node};
use url::Url;

use super::{attr, never_content, rules::Rules};

/// Words that name a widget of site chrome, whatever the site: in a class name or a label
/// (`fs-slider-1_slide`, `DocsArticle_related`, `aria-label="Related articles"`).
const WIDGET_WORDS: &[&str] = &[
    "carousel",
    "slider",
    "slideshow",
    "swiper",
    "slick",
    "testimonial",
    "testimonials",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "pager",
    "paginator",
    "related",
    "share",
    "sharing",
    "announcement",
    "announcements",
    "promo",
    "promotion",
    "promotional",
];

/// Words that name a language switcher (`lang-container`, `locale-picker`,
/// `aria-label="Select language"`): chrome while it is short and leads somewhere.
const LANGUAGE_WORDS: &[&str] = &["lang", "language", "languages", "locale", "locales", "i18n"];

/// A language switcher holds at most this many characters (other than spaces): a list of
/// language names, not a section of the document in one language.
const LANGUAGE_MAX_CHARS: usize = 150;

/// Parts of an id that say what kind of box it is, not what it holds (`announcementBar`,
/// `lang-menu`): an id made of a widget word and such parts names a widget.
const BOX_WORDS: &[&str] = &[
    "bar",
    "banner",
    "box",
    "block",
    "btn",
    "button",
    "component",
    "container",
    "dropdown",
    "item",
    "list",
    "menu",
    "picker",
    "root",
    "section",
    "selector",
    "switch",
    "switcher",
    "toggle",
    "wrap",
    "wrapper",
];

/// Words that name a menu, header or footer: such a block is chrome when it is mostly links.
const MENU_WORDS: &[&str] = &[
    "footer", "header", "navbar", "nav", "menu", "menubar", "dropdown", "sidebar", "topbar",
    "sitemap",
];

/// A widget or menu block is chrome only while it holds at most this share of the root's text:
/// a wrapper named `related-layout` around the whole document is not a widget.
const MAX_SHARE: f64 = 0.25;

/// A menu, header or footer is chrome when at least this share of its text is links.
const MENU_LINK_SHARE: f64 = 0.6;

/// A block of links to the site's own pages: at least this many links, this share of its
/// text in links, this share of them to the site, and short link texts on average.
const LIST_MIN_LINKS: usize = 3;
const LIST_LINK_SHARE: f64 = 0.8;
const LIST_OWN_SHARE: f64 = 0.8;
const LIST_MAX_AVG_LINK_CHARS: usize = 40;

/// What a block holds, in characters other than spaces.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    text: usize,
    link_text: usize,
    links: usize,
    own_links: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.text += o.text;
        self.link_text += o.link_text;
        self.links += o.links;
        self.own_links += o.own_links;
    }
}

/// The counts of every element under the root, taken in one pass before the root is read.
pub struct Widgets {
    by_node: HashMap<NodeId, Counts>,
    root_text: usize,
}

impl Widgets {
    /// Counts the text and links of every element under `root`, leaving out what is never
    /// content (removed, hidden, page chrome). `own` are the site's hosts: the page's, and
    /// the one its canonical address names.
    pub fn of(root: ElementRef<'_>, rules: &Rules, page: &Url, own: &[String]) -> Widgets {
        let mut by_node = HashMap::new();
        let mut stack: Vec<(NodeId, Counts)> = Vec::new();
        let mut skipping: Option<NodeId> = None;
        let mut link_depth = 0usize;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Element(e) => {
                            let el = ElementRef::wrap(node).expect("element node");
                            let skip = node.id() != root.id() && never_content(&el, rules);
                            if skip {
                                skipping = Some(node.id());
                                continue;
                            }
                            let mut c = Counts::default();
                            if e.name() == "a" {
                                link_depth += 1;
                                if let Some(href) = attr(e, "href") {
                                    c.links = 1;
                                    if is_own(href, page, own) {
                                        c.own_links = 1;
                                    }
                                }
                            }
                            stack.push((node.id(), c));
                        }
                        Node::Text(t) => {
                            if let Some(top) = stack.last_mut() {
                                let n = t.chars().filter(|c| !c.is_whitespace()).count();
                                top.1.text += n;
                                if link_depth > 0 {
                                    top.1.link_text += n;
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                        continue;
                    }
                    if skipping.is_some() {
                        continue;
                    }
                    let Node::Element(e) = node.value() else {
                        continue;
                    };
                    if e.name() == "a" {
                        link_depth = link_depth.saturating_sub(1);
                    }
                    let (id, c) = stack.pop().expect("balanced tree");
                    if let Some(parent) = stack.last_mut() {
                        parent.1.add(c);
                    }
                    if c.text > 0 {
                        by_node.insert(id, c);
                    }
                }
            }
        }
        let root_text = by_node.get(&root.id()).map_or(0, |c| c.text);
        Widgets { by_node, root_text }
    }

    /// Whether `el` (not the root) is a block of site chrome inside the root.
    pub fn is_chrome(&self, el: &ElementRef<'_>) -> bool {
        let Some(c) = self.by_node.get(&el.id()) else {
            return false;
        };
        if c.text as f64 > self.root_text as f64 * MAX_SHARE {
            return false;
        }
        let v = el.value();
        if names_any(v, WIDGET_WORDS) {
            return true;
        }
        if c.text <= LANGUAGE_MAX_CHARS && c.links > 0 && names_any(v, LANGUAGE_WORDS) {
            return true;
        }
        let links_share = c.link_text as f64 / c.text as f64;
        if links_share >= MENU_LINK_SHARE
            && (matches!(v.name(), "header" | "footer") || names_any(v, MENU_WORDS))
        {
            return true;
        }
        c.links >= LIST_MIN_LINKS
            && links_share >= LIST_LINK_SHARE
            && c.own_links as f64 >= c.links as f64 * LIST_OWN_SHARE
            && c.link_text <= c.links * LIST_MAX_AVG_LINK_CHARS
    }
}

/// Whether a link leads to a page of the same site (a relative link, or one to an own host).
fn is_own(href: &str, page: &Url, own: &[String]) -> bool {
    let href = href.trim();
    if href.starts_with('#') || href.is_empty() {
        return true;
    }
    match page.join(href) {
        Ok(u) => match u.host_str() {
            Some(h) => own.iter().any(|o| same_site(h, o)),
            None => false,
        },
        Err(_) => false,
    }
}

/// Hosts of one site: the same host, or two hosts under one registered name
/// (`trust.example.com` and `example.com`; `shop.example.co.uk` and `example.co.uk`).
fn same_site(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || site(a).eq_ignore_ascii_case(site(b))
}

/// A host's registered name, without a list of public suffixes: its last two labels, or three
/// when the last two read as a country's second level (`co.uk`, `com.au`). An address is
/// its own site.
fn site(host: &str) -> &str {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.rsplitn(4, '.').collect();
    let keep = match labels.as_slice() {
        [tld, second, ..] if tld.len() == 2 && second.len() <= 3 && labels.len() >= 3 => 3,
        _ => 2,
    };
    if labels.len() <= keep {
        return host;
    }
    let cut: usize = labels[..keep].iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    &host[host.len() - cut..]
}

/// Whether one of `words` names the element in its class, its id or its label. A class or id
/// is cut into words at every non-letter and at each lower-to-upper case step
/// (`DocsArticle_relatedList` → docs, article, related, list).
fn names_any(v: &scraper::node::Element, words: &[&str]) -> bool {
    let hit = |s: &str| pieces(s).any(|p| words.iter().any(|w| w.eq_ignore_ascii_case(p)));
    v.classes().any(hit)
        || attr(v, "aria-label").is_some_and(|l| l.split_whitespace().any(hit))
        || v.id().is_some_and(|id| {
            // An id is often made from a heading ("how-we-share-your-data"): only a name made
            // of a widget word, with numbers or words that name a kind of box at most, counts.
            let is = |p: &str, list: &[&str]| list.iter().any(|w| w.eq_ignore_ascii_case(p));
            let mut named = false;
            for p in pieces(id).filter(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
                if is(p, words) {
                    named = true;
                } else if !is(p, BOX_WORDS) {
                    return false;
                }
            }
            named
        })
}

/// The words of a class name or id. Letters beyond ASCII belong to the word (`Übersicht`,
/// `menü`): cuts fall only at ASCII bytes, which are always character boundaries.
fn pieces(s: &str) -> impl Iterator<Item = &str> {
    let b = s.as_bytes();
    let in_word = |c: u8| c.is_ascii_alphanumeric() || !c.is_ascii();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i <= b.len() {
            let at = i;
            i += 1;
            let boundary = at == b.len()
                || !in_word(b[at])
                || (at > start
                    && ((b[at].is_ascii_uppercase() && b[at - 1].is_ascii_lowercase())
                        || (b[at].is_ascii_digit() != b[at - 1].is_ascii_digit())));
            if boundary {
                let word = &s[start..at];
                start = if at < b.len() && !in_word(b[at]) {
                    at + 1
                } else {
                    at
                };
                if !word.is_empty() {
                    return Some(word);
                }
            }
        }
        None
    })
}

/// The site's own hosts: the page's, and those its canonical address (`<link rel=canonical>`,
/// `og:url`) names — a page served from a mirror or a proxy still links to its own site.
pub fn own_hosts(doc: &scraper::Html, page: &Url) -> Vec<String> {
    use std::sync::LazyLock;
    static CANONICAL: LazyLock<scraper::Selector> = LazyLock::new(|| {
        scraper::Selector::parse("link[rel~=canonical][href], meta[property='og:url'][content]")
            .expect("canonical selector")
    });
    let mut hosts: Vec<String> = page.host_str().map(str::to_string).into_iter().collect();
    for el in doc.select(&CANONICAL) {
        let v = el.value();
        let href = v.attr("href").or_else(|| v.attr("content")).unwrap_or("");
        if let Some(h) = page
            .join(href)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::extract;

    const PARA: &str = "<p>We process your personal data only for the purposes named in this policy and for no other purpose at all.</p>";

    /// The snapshot Markdown of a page whose `main` holds the document and `extra`.
    fn md(extra: &str) -> String {
        let html = format!(
            "<body><main><h1>Privacy policy</h1>{}{extra}</main></body>",
            PARA.repeat(8)
        );
        let url = Url::parse("https://example.com/privacy").unwrap();
        extract(&html, &url, &Rules::default()).unwrap().markdown()
    }

    #[test]
    fn widgets_named_as_such_inside_the_document_are_left_out() {
        let plain = md("");
        for widget in [
            "<div class=\"fs-slider-1_list\"><a href=/a><p>5h saved per week</p></a><p>Pat, analyst</p></div>",
            "<section aria-label=\"Related articles\"><ul><li><a href=https://help.example.org/1>Child safety</a></li></ul></section>",
            "<div class=\"Docs_breadcrumbs__x\"><a href=/>Home</a> / Legal</div>",
            "<div id=pagination><a href=/terms>Previous: Terms</a></div>",
        ] {
            assert_eq!(md(widget), plain, "{widget}");
        }
    }

    #[test]
    fn announcement_bars_and_language_switchers_inside_the_document_are_left_out() {
        let plain = md("");
        for chrome in [
            // A bar that promotes this week's product, named by its id.
            "<section id=announcementBar><a href=/models/new><p>Model X is live! Try it today.</p></a></section>",
            "<div class=\"promo-strip\"><p>Save 20% this month</p><a href=/pricing>See plans</a></div>",
            // A language switcher: a button and a list of the document in other languages.
            "<div class=lang-container><button>Other language versions →</button>\
             <div><a href=https://cdn.example.org/ja-JP/privacy.html>日本語 (ja-JP)</a></div></div>",
            "<nav aria-label=\"Select language\"><a href=/de/privacy>Deutsch</a></nav>",
            "<div id=langMenu><a href=/fr/privacy>Français</a></div>",
        ] {
            assert_eq!(md(chrome), plain, "{chrome}");
        }
    }

    #[test]
    fn sections_of_the_document_named_after_a_language_or_a_heading_stay() {
        // A part of the document in one language is long, and has no link to lean on.
        let part = "<div class=lang-de><p>Wir verarbeiten Ihre Daten nur für die in dieser Erklärung genannten Zwecke und löschen sie danach.</p>\
             <p>Sie können jederzeit widersprechen, indem Sie unserem Datenschutzbeauftragten schreiben.</p></div>";
        assert!(md(part).contains("Wir verarbeiten"), "{}", md(part));
        // An id made from a heading that holds a widget word is the document's section.
        let heading = "<section id=\"share-with-partners\"><p>We share your data with partners only with your consent.</p></section>";
        assert!(md(heading).contains("with partners"), "{}", md(heading));
        let language = "<p id=\"language-of-the-terms\">These terms are written in English; <a href=/fr/terms>a French translation</a> is provided for convenience.</p>";
        assert!(
            md(language).contains("written in English"),
            "{}",
            md(language)
        );
    }

    #[test]
    fn a_block_named_in_letters_beyond_ascii_is_read_not_a_crash() {
        // A small labelled block inside the document: its label is looked at for widget words.
        for named in [
            "<div aria-label=\"Übersicht\"><p>Kurzer Hinweis zur Verarbeitung.</p></div>",
            "<div class=\"hinweis-für-nutzer2ä\"><p>Kurzer Hinweis zur Verarbeitung.</p></div>",
            "<div id=\"menü\"><p>Kurzer Hinweis zur Verarbeitung.</p></div>",
        ] {
            assert!(md(named).contains("Kurzer Hinweis"), "{named}");
        }
        assert_eq!(
            pieces("Übersicht-menü_Leiste2ä").collect::<Vec<_>>(),
            ["Übersicht", "menü", "Leiste", "2", "ä"]
        );
    }

    #[test]
    fn menus_and_footers_made_of_links_inside_the_document_are_left_out() {
        let plain = md("");
        let own = "<ul><li><a href=/pricing>Pricing</a></li><li><a href=https://www.example.com/blog>Blog</a></li>\
            <li><a href=https://status.example.com/>Status</a></li><li><a href=/careers>Careers</a></li></ul>";
        assert_eq!(md(own), plain, "a list of links to the site's own pages");
        let footer =
            "<footer><p>© 2026 Example</p><a href=/terms>Terms</a><a href=/privacy>Privacy</a>\
            <a href=https://x.example.net/>Follow us on the network</a></footer>";
        assert_eq!(md(footer), plain, "a footer of links, though inside main");
        let named = "<div class=\"v03-footer-section\"><a href=/blog>Blog</a><a href=https://other.example.org/x>Case studies</a></div>";
        assert_eq!(md(named), plain, "a block named footer, mostly links");
    }

    #[test]
    fn the_documents_own_lists_footer_and_links_stay() {
        // Sub-processors linked on their own sites.
        let vendors = "<ul><li><a href=https://aws.example.org/>Amazon Web Services</a></li>\
            <li><a href=https://stripe.example.net/>Stripe</a></li><li><a href=https://intercom.example.io/>Intercom</a></li></ul>";
        assert!(md(vendors).contains("Stripe"), "{}", md(vendors));
        // A list of the site's pages with sentences of their own.
        let rights = "<ul><li>You may ask for a copy of your data on <a href=/export>the export page</a> at any time.</li>\
            <li>You may delete it on <a href=/delete>the account page</a>, which removes it within 30 days.</li>\
            <li>You may object by writing to <a href=/contact>our officer</a>, who answers within a month.</li></ul>";
        assert!(md(rights).contains("within 30 days"), "{}", md(rights));
        // The document's own footer: a version line, not links.
        let end = "<footer><p>Version 3, effective 1 May 2026. Earlier versions: <a href=/v2>version 2</a>.</p></footer>";
        assert!(md(end).contains("Version 3"), "{}", md(end));
        // A wrapper named after a widget that holds the whole document is not a widget.
        let html = format!(
            "<body><div class=related-layout><h1>Terms</h1>{}</div></body>",
            PARA.repeat(8)
        );
        let url = Url::parse("https://example.com/terms").unwrap();
        let out = extract(&html, &url, &Rules::default()).unwrap().markdown();
        assert!(out.contains("We process"), "{out}");
    }

    #[test]
    fn class_names_are_cut_into_words() {
        let words = |s| pieces(s).collect::<Vec<_>>();
        assert_eq!(words("fs-slider-1_slide"), ["fs", "slider", "1", "slide"]);
        assert_eq!(
            words("DocsArticle_relatedList__tzZU6"),
            ["Docs", "Article", "related", "List", "tz", "ZU", "6"]
        );
        assert_eq!(
            words("navbar1_dropdown-link"),
            ["navbar", "1", "dropdown", "link"]
        );
        assert_eq!(words("--x"), ["x"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn hosts_under_one_registered_name_are_one_site() {
        assert_eq!(site("trust.example.com"), "example.com");
        assert_eq!(site("example.com"), "example.com");
        assert_eq!(site("shop.example.co.uk"), "example.co.uk");
        assert_eq!(site("127.0.0.1"), "127.0.0.1");
        assert!(same_site("www.example.com", "app.example.com"));
        assert!(!same_site("example.com", "other.com"));
        assert!(!same_site("intercom-help.eu", "example.eu"));
    }
}
