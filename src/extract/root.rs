//! Finding the document's container: the target's `select`; without one, a known document
//! container that holds a fair part of the page's text; else the element where the text is.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};

use super::rules::Rules;

/// A known container must hold at least this share of the page's text to be the document
/// (an `article` that is a cookie card, or a `main` around a teaser, does not).
const KNOWN_MIN_SHARE: f64 = 1.0 / 3.0;

/// The container found by content is the deepest element that holds at least this share of
/// the page's text (and the page's title, when it has one).
const CONTENT_SHARE: f64 = 0.8;

/// The chosen content root and how it was found.
pub struct Root<'a> {
    pub el: ElementRef<'a>,
    /// The selector that matched, or a description of the element found by its content.
    pub how: String,
}

static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").expect("body"));

/// Chooses the content root; `None` when configured selectors match nothing.
pub fn choose<'a>(doc: &'a Html, rules: &Rules) -> Option<Root<'a>> {
    if !rules.select_is_default() {
        return rules.select().find_map(|(s, sel)| {
            doc.select(sel).next().map(|el| Root {
                el,
                how: s.to_string(),
            })
        });
    }
    let body = doc.select(&BODY).next().unwrap_or(doc.root_element());
    let weights = Weights::of(body, rules);
    let total = weights.get(body);
    if total == 0 {
        // Nothing to weigh (a shell page): the first known container, as written.
        let known = rules
            .select()
            .find_map(|(s, sel)| doc.select(sel).next().map(|el| (el, s)));
        return Some(match known {
            Some((el, s)) => Root {
                el,
                how: s.to_string(),
            },
            None => Root {
                el: body,
                how: "body".into(),
            },
        });
    }
    for (s, sel) in rules.select() {
        // The match that holds the most text; the first one on a tie.
        let best = doc.select(sel).map(|el| (weights.get(el), el)).fold(
            None::<(usize, ElementRef<'a>)>,
            |best, (w, el)| match best {
                Some((bw, _)) if bw >= w => best,
                _ => Some((w, el)),
            },
        );
        if let Some((w, el)) = best {
            if w as f64 >= total as f64 * KNOWN_MIN_SHARE {
                return Some(Root {
                    el,
                    how: s.to_string(),
                });
            }
        }
    }
    let el = widen(by_content(body, &weights, total), body);
    let how = if el.id() == body.id() {
        "body".to_string()
    } else {
        format!("{} (found by its text)", describe(&el))
    };
    Some(Root { el, how })
}

/// The deepest element that holds at least [`CONTENT_SHARE`] of the text and the title.
fn by_content<'a>(body: ElementRef<'a>, weights: &Weights, total: usize) -> ElementRef<'a> {
    let need = (total as f64 * CONTENT_SHARE).ceil() as usize;
    // The title and the elements that hold it, found once: a walk down a deep page asks at
    // every level.
    let holds_title: Option<HashSet<NodeId>> = weights.title.map(|t| {
        let above = body.tree().get(t).into_iter().flat_map(|n| n.ancestors());
        std::iter::once(t).chain(above.map(|a| a.id())).collect()
    });
    let mut cur = body;
    loop {
        // At most one child can hold more than half of the text.
        let next = cur
            .children()
            .filter_map(ElementRef::wrap)
            .find(|c| weights.get(*c) >= need);
        match next {
            Some(c) if holds_title.as_ref().is_none_or(|h| h.contains(&c.id())) => cur = c,
            _ => return cur,
        }
    }
}

/// A root found by its text is widened to its parent while it is a list or a table (a
/// document's numbered clauses without their preamble), or while a short line just before it
/// dates or versions the document ("Last updated …", "Effective …", "Version …"): both belong
/// to the document. Never up to `body`, at most a few levels.
fn widen<'a>(mut el: ElementRef<'a>, body: ElementRef<'a>) -> ElementRef<'a> {
    for _ in 0..3 {
        let Some(parent) = el.parent().and_then(ElementRef::wrap) else {
            break;
        };
        if parent.id() == body.id() {
            break;
        }
        let list = matches!(
            el.value().name(),
            "ol" | "ul" | "dl" | "li" | "table" | "tbody"
        );
        if list || dated_before(el) {
            el = parent;
        } else {
            break;
        }
    }
    el
}

/// Lines that date or version a document, in English, German and French.
static DATED: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(last\s+(updated|modified|revised|changed)|updated|revised|effective|version|versions|revision|reference|zuletzt|stand|gültig|fassung|mise\s+à\s+jour|en\s+vigueur)\b",
    )
    .expect("dated line pattern")
});

/// A line of text this long or shorter can be a document's date line.
const DATED_MAX_CHARS: usize = 300;

/// Whether one of the few elements just before `el` is a short line that dates or versions the
/// document (it holds such a word and a digit).
fn dated_before(el: ElementRef<'_>) -> bool {
    el.prev_siblings()
        .filter_map(ElementRef::wrap)
        .take(3)
        .any(|sib| {
            let mut text = String::new();
            for t in sib.text() {
                text.push_str(t);
                if text.len() > DATED_MAX_CHARS {
                    return false;
                }
            }
            text.chars().any(|c| c.is_ascii_digit()) && DATED.is_match(&text)
        })
}

/// `tag#id` or `tag.class.class`, to say which element was found.
fn describe(el: &ElementRef<'_>) -> String {
    let v = el.value();
    let mut s = v.name().to_string();
    if let Some(id) = v.id() {
        s.push('#');
        s.push_str(id);
    } else {
        for c in v.classes().take(3) {
            s.push('.');
            s.push_str(c);
        }
    }
    s
}

/// How much readable text each element holds: characters other than spaces, outside links,
/// removed elements and chrome, so that menus, link lists and banners weigh nothing and a
/// change of chrome does not move the choice.
struct Weights {
    by_node: HashMap<NodeId, usize>,
    /// The first `h1` with text of its own, else the first such `h2`: the page's title.
    title: Option<NodeId>,
}

impl Weights {
    fn of(body: ElementRef<'_>, rules: &Rules) -> Weights {
        let mut by_node = HashMap::new();
        let mut title = None;
        let mut first_h2 = None;
        // Open elements with the weight gathered so far.
        let mut stack: Vec<(NodeId, usize)> = Vec::new();
        let mut skipping: Option<NodeId> = None;
        for edge in body.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Element(e) => {
                            let el = ElementRef::wrap(node).expect("element node");
                            let skip = node.id() != body.id()
                                && (e.name() == "a" || super::never_content(&el, rules));
                            if skip {
                                skipping = Some(node.id());
                            } else {
                                stack.push((node.id(), 0));
                            }
                        }
                        Node::Text(t) => {
                            if let Some(top) = stack.last_mut() {
                                top.1 += t.chars().filter(|c| !c.is_whitespace()).count();
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
                    if skipping.is_some() || !node.value().is_element() {
                        continue;
                    }
                    let (id, w) = stack.pop().expect("balanced tree");
                    if let Some(parent) = stack.last_mut() {
                        parent.1 += w;
                    }
                    if w > 0 {
                        by_node.insert(id, w);
                        match node.value().as_element().map(|e| e.name()) {
                            Some("h1") if title.is_none() => title = Some(id),
                            Some("h2") if first_h2.is_none() => first_h2 = Some(id),
                            _ => {}
                        }
                    }
                }
            }
        }
        // A page without an `h1` titles its document with its first `h2`: the same heading,
        // whichever level the site gives it this week.
        Weights {
            by_node,
            title: title.or(first_h2),
        }
    }

    fn get(&self, el: ElementRef<'_>) -> usize {
        self.by_node.get(&el.id()).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARA: &str = "<p>We process your personal data only for the purposes named in this policy and for no other purpose at all.</p>";

    fn found(html: &str) -> String {
        let doc = Html::parse_document(html);
        choose(&doc, &Rules::default()).unwrap().how
    }

    fn para(n: usize) -> String {
        PARA.repeat(n)
    }

    #[test]
    fn known_containers_win_in_order() {
        let html = format!(
            "<body><main><p>Intro</p><div data-content-ref-root>{}</div></main></body>",
            para(3)
        );
        assert_eq!(found(&html), "[data-content-ref-root]");
        let html = format!(
            "<body><div>{}</div><main>{}</main></body>",
            para(1),
            para(4)
        );
        assert_eq!(found(&html), "main");
    }

    #[test]
    fn a_known_container_with_little_of_the_text_is_passed_over() {
        // An article that is a cookie card, next to the document.
        let html = format!(
            "<body><article class=card><p>We use cookies.</p></article>\
             <div class=page><div class=doc><h1>Privacy policy</h1>{}</div></div></body>",
            para(6)
        );
        assert_eq!(found(&html), "div.doc (found by its text)");
        // Of several matches, the one with the most text.
        let html = format!(
            "<body><article class=teaser><p>Read more.</p></article><article class=doc>{}</article></body>",
            para(6)
        );
        let doc = Html::parse_document(&html);
        let root = choose(&doc, &Rules::default()).unwrap();
        assert_eq!(root.how, "article");
        assert_eq!(root.el.value().classes().next(), Some("doc"));
    }

    #[test]
    fn the_container_is_where_the_text_is_not_the_menus() {
        let menu = "<ul><li><a href=/a>Home</a></li><li><a href=/b>About our company</a></li><li><a href=/c>Careers</a></li></ul>";
        let html = format!(
            "<body><div class=top>{menu}{menu}<span>Menu</span></div>\
             <div class=outer><div class=inner><div class=text><h1>Privacy</h1>{}</div></div></div>\
             <div class=bottom>{menu}{menu}{menu}<p>© 2024</p></div></body>",
            para(5)
        );
        assert_eq!(found(&html), "div.text (found by its text)");
    }

    #[test]
    fn a_list_root_takes_in_its_preamble_and_a_date_line_its_document() {
        // The clauses are a numbered list that holds most of the text.
        let clauses = format!("<ol>{}</ol>", "<li>".to_string() + &para(6) + "</li>");
        let html = format!(
            "<body><div class=top><a href=/>Home</a></div><div class=terms><p>Last updated: May 1, 2025</p>\
             <p>These terms are between you and us.</p>{clauses}</div></body>"
        );
        assert_eq!(found(&html), "div.terms (found by its text)");
        // A date line just before the text is the document's.
        let html = format!(
            "<body><div class=page><div class=head><p>Reference: 20250220</p><p>Versions: 3</p></div>\
             <div class=legal>{}</div></div><div class=foot><a href=/x>Imprint</a></div></body>",
            para(8)
        );
        assert_eq!(found(&html), "div.page (found by its text)");
        // Without one, the root stays where the text is.
        let html = format!(
            "<body><div class=page><div class=head><p>Our products</p></div>\
             <div class=legal>{}</div></div></body>",
            para(8)
        );
        assert_eq!(found(&html), "div.legal (found by its text)");
    }

    #[test]
    fn the_title_above_the_text_is_kept_with_it() {
        let html = format!(
            "<body><div class=doc><h1>Privacy policy</h1><p>Effective 1 May 2024</p>\
             <div class=body>{}</div></div><div class=foot><a href=/x>Imprint</a></div></body>",
            para(8)
        );
        assert_eq!(found(&html), "div.doc (found by its text)");
    }

    #[test]
    fn without_an_h1_the_first_h2_is_the_title() {
        // The site turns its title from an `h2` into an `h1` (or back) one week: the root, and
        // so what is watched, stays the same.
        let page = |tag: &str| {
            format!(
                "<body><div class=head><{tag}>Privacy notice</{tag}><p>Last update: March 7, 2024</p></div>\
                 <div class=policy><div class=text>{}</div></div></body>",
                para(8)
            )
        };
        assert_eq!(found(&page("h2")), found(&page("h1")));
        assert_eq!(found(&page("h2")), "body");
        // Without a heading the root is where the text is.
        assert_eq!(found(&page("p")), "div.text (found by its text)");
    }

    #[test]
    fn the_choice_holds_when_chrome_changes() {
        let doc = format!("<div class=doc><h2>Terms</h2>{}</div>", para(5));
        let banner = "<div id=onetrust-consent-sdk><p>We and our 857 partners use cookies to store and access information on your device, for personalised ads and content, measurement and product development.</p></div>";
        let dialog = "<div role=dialog><p>Sign up for our newsletter and get the latest news about our products every week, straight to you.</p></div>";
        let a = found(&format!("<body><div class=wrap>{doc}</div></body>"));
        let b = found(&format!(
            "<body>{banner}<div class=wrap>{doc}</div>{dialog}</body>"
        ));
        assert_eq!(a, b);
        assert_eq!(a, "div.doc (found by its text)");
    }

    #[test]
    fn text_spread_over_the_page_leaves_the_body() {
        let html = format!(
            "<body><div class=a>{}</div><div class=b>{}</div></body>",
            para(3),
            para(3)
        );
        assert_eq!(found(&html), "body");
    }

    #[test]
    fn configured_selectors_are_taken_as_written() {
        let html = format!(
            "<body><article class=card><p>Cookies.</p></article><main>{}</main></body>",
            para(3)
        );
        let doc = Html::parse_document(&html);
        let rules = Rules::new(Some(&["article".to_string()]), &[], &[]).unwrap();
        let root = choose(&doc, &rules).unwrap();
        assert_eq!(root.how, "article");
        let rules = Rules::new(Some(&["#none".to_string()]), &[], &[]).unwrap();
        assert!(choose(&doc, &rules).is_none());
    }
}
