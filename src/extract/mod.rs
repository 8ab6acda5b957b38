//! HTML → an ordered list of content blocks (heading, paragraph, list item, table row), each with
//! its normalised text and its links; `select`, `remove` and `ignore` rules applied.

mod chrome;
mod depth;
mod email;
mod identity;
mod markdown;
mod normalize;
mod pdf;
mod root;
mod rules;
mod tracking;
mod widgets;

use std::collections::BTreeSet;

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ExtractError;

pub use chrome::CONSENT_MANAGERS;
pub use identity::{error_page, likeness, not_the_document, Likeness};
pub use markdown::{block_markdown, comparable, reads_the_same, render_markdown};
pub use normalize::normalize;
pub use pdf::{extract_pdf, PDF_ROOT};
pub use rules::{
    user_regex, RuleError, RuleList, Rules, BUILTIN_IGNORE, BUILTIN_REMOVE, DEFAULT_SELECT,
};
pub use tracking::TRACKING_PARAMS;

/// Bumped whenever a change here would extract the same HTML differently, so that stored
/// baselines are re-made from the stored HTML instead of alerting.
/// 2: obfuscated e-mail addresses decoded, tracking parameters left out of link targets,
/// site chrome left out, the content root found by its text when no container fits.
/// 3: redirector links compared by the address they hold, `<select>` and placeholder anchors
/// left out, an `aria-hidden` drawing inside a link counted as its icon.
/// 4: a root found by its text widened over a list's preamble or a date line just before it.
/// 5: chrome inside the root left out (widgets named as such, link-made menus and footers,
/// blocks of links to the site's own pages); a redirect notice is not a document.
/// 6: a `<title>` inside the body (streamed there by a page's scripts) is not content.
/// 7: a short stub that refreshes to the document's other address is no document; language
/// switchers and announcement or promotion bars inside the root are chrome; without an `h1`,
/// the first `h2` is the title that the root found by its text must hold.
pub const EXTRACTOR_VERSION: u32 = 7;

/// The text of a link that shows only an unnamed image or icon.
pub const ICON_TEXT: &str = "(icon)";

/// Content with less visible text than this counts as "extracts to almost nothing".
pub const MIN_CONTENT_CHARS: usize = 50;

/// What a content block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "level")]
pub enum BlockKind {
    Heading(u8),
    Paragraph,
    ListItem,
    TableRow,
}

/// A link as a reader meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Visible text, normalised; an image's alt text counts. Empty for an invisible link.
    pub text: String,
    /// The `href` attribute as written; `None` when there is none.
    pub href: Option<String>,
    /// The href made absolute against the page URL, when it can be.
    pub url: Option<String>,
}

/// A piece of a block: running text or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Inline {
    Text { text: String },
    Link(Link),
}

/// One block of content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub inlines: Vec<Inline>,
}

impl Block {
    /// The block's text as a reader sees it (links contribute their visible text).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for i in &self.inlines {
            match i {
                Inline::Text { text } => s.push_str(text),
                Inline::Link(l) => s.push_str(&l.text),
            }
        }
        s
    }

    /// The block's links in order.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.inlines.iter().filter_map(|i| match i {
            Inline::Link(l) => Some(l),
            Inline::Text { .. } => None,
        })
    }
}

/// A page turned into content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub blocks: Vec<Block>,
    /// Every element id (and `<a name>`) on the whole page, for `#fragment` checks.
    pub ids: BTreeSet<String>,
    /// The page's declared language (`<html lang>`), if any.
    pub lang: Option<String>,
    /// The selector that found the content root.
    pub root: String,
}

impl Extracted {
    /// The snapshot Markdown of these blocks.
    pub fn markdown(&self) -> String {
        render_markdown(&self.blocks)
    }

    /// Visible characters of text in all blocks.
    pub fn text_len(&self) -> usize {
        // What `b.text().chars().count()` sums, without building each block's text.
        self.blocks
            .iter()
            .flat_map(|b| &b.inlines)
            .map(|i| match i {
                Inline::Text { text } => text.chars().count(),
                Inline::Link(l) => l.text.chars().count(),
            })
            .sum()
    }
}

/// Extracts a page with a target's rules. Runs synchronously: call it from a blocking thread.
pub fn extract(html: &str, page_url: &Url, rules: &Rules) -> Result<Extracted, ExtractError> {
    // Nesting capped as browsers cap it: a page nested tens of thousands deep parses in linear
    // time, with its text.
    let doc = depth::parse_document(html);

    let refresh = refresh_at_once(&doc, page_url);
    if refresh == Refresh::Elsewhere {
        // A stub that sends the browser elsewhere at once has no content of its own.
        return Err(ExtractError::NearlyEmpty { chars: 0 });
    }
    let root = root::choose(&doc, rules).ok_or_else(|| ExtractError::NoRoot {
        selectors: rules
            .select()
            .map(|(s, _)| s)
            .collect::<Vec<_>>()
            .join(", "),
    })?;

    let own = widgets::own_hosts(&doc, page_url);
    let mut walker = Walker::new(page_url, rules);
    walker.widgets = Some(widgets::Widgets::of(root.el, rules, page_url, &own));
    walker.walk(root.el);
    let mut blocks = walker.blocks;
    blocks.retain(|b| {
        let text = b.text();
        !rules.ignore().iter().any(|re| re.is_match(&text))
    });

    let mut ids = BTreeSet::new();
    for node in doc.tree.nodes() {
        if let Some(el) = node.value().as_element() {
            if let Some(id) = el.id() {
                ids.insert(id.to_string());
            }
            if el.name() == "a" {
                if let Some(name) = el.attr("name") {
                    ids.insert(name.to_string());
                }
            }
        }
    }
    let lang = doc
        .root_element()
        .value()
        .attr("lang")
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty());

    let extracted = Extracted {
        blocks,
        ids,
        lang,
        root: root.how,
    };
    let chars = extracted.text_len();
    if chars < MIN_CONTENT_CHARS || (refresh == Refresh::OtherAddress && chars < STUB_MAX_CHARS) {
        // A few words that send the browser on to the document's other address at once
        // ("You should be redirected quickly, if not click here") are the way to the
        // document, not the document.
        return Err(ExtractError::NearlyEmpty { chars });
    }
    let first_heading = extracted
        .blocks
        .iter()
        .find(|b| matches!(b.kind, BlockKind::Heading(_)))
        .map(Block::text);
    if let Some(heading) =
        identity::error_page(title(&doc).as_deref(), first_heading.as_deref(), chars)
    {
        return Err(ExtractError::ErrorPage { heading });
    }
    if let Some(heading) = identity::redirect_notice(&extracted.blocks) {
        return Err(ExtractError::ErrorPage { heading });
    }
    Ok(extracted)
}

/// The page's `<title>`, normalised.
fn title(doc: &Html) -> Option<String> {
    static TITLE: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("head title").expect("title selector"));
    doc.select(&TITLE)
        .next()
        .map(|t| normalize(&t.text().collect::<String>()))
}

/// Where a `<meta http-equiv=refresh>` sends the browser within a few seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    /// No refresh, a slow one, one a browser ignores, or one to this very address (a reload).
    None,
    /// To another document: the page is a redirect stub, not the document.
    Elsewhere,
    /// To another address of the same document (a trailing slash added or dropped, `./`,
    /// tracking parameters): the page is the document only when it has text of its own.
    OtherAddress,
}

/// Visible characters below which a page that refreshes to the document's other address is a
/// stub on the way there.
const STUB_MAX_CHARS: usize = 200;

/// Where the page's refresh, if any, sends the browser at once. A refresh that a browser
/// ignores (a negative or unreadable delay), a slow one, or one to the page's own address
/// (a `#fragment`, the same URL) is none; one that names the page's document at another
/// address — `./` or `.`, only tracking parameters (`?utm_source=…`), a trailing slash — is
/// [`Refresh::OtherAddress`].
fn refresh_at_once(doc: &Html, page_url: &Url) -> Refresh {
    static REFRESH: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
        Selector::parse("head meta[http-equiv=refresh i]").expect("refresh selector")
    });
    let mut found = Refresh::None;
    for meta in doc.select(&REFRESH) {
        let Some(content) = meta.value().attr("content") else {
            continue;
        };
        let (delay, rest) = content.split_once([';', ',']).unwrap_or((content, ""));
        let soon = refresh_delay(delay).is_some_and(|d| d <= 5.0);
        let rest = rest.trim();
        let target = rest
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("url="))
            .map_or(rest, |_| &rest[4..])
            .trim()
            .trim_matches(['"', '\'']);
        if !soon || target.is_empty() {
            continue;
        }
        let Ok(to) = page_url.join(target) else {
            continue;
        };
        if !same_document(target, &to, page_url) {
            return Refresh::Elsewhere;
        }
        let bare = |u: &Url| {
            let mut u = u.clone();
            u.set_fragment(None);
            u
        };
        if bare(&to) != bare(page_url) {
            found = Refresh::OtherAddress;
        }
    }
    found
}

/// The delay of a refresh as browsers read it: digits (and a fraction) at the start; `None`
/// for anything else, a minus sign included (the refresh is then ignored).
fn refresh_delay(delay: &str) -> Option<f64> {
    let d = delay.trim();
    let end = d
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(d.len());
    let number = &d[..end];
    if !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    number.trim_end_matches('.').parse().ok()
}

/// Whether a refresh to `raw` (resolved: `to`) stays on the page at `page`.
fn same_document(raw: &str, to: &Url, page: &Url) -> bool {
    // `#top`, `?…`, `.` and `./` name the page's own place.
    let path = raw.split(['?', '#']).next().unwrap_or("");
    if matches!(path, "" | "." | "./") && to.origin() == page.origin() {
        return queries_agree(to, page);
    }
    to.origin() == page.origin()
        && to.path().trim_end_matches('/') == page.path().trim_end_matches('/')
        && queries_agree(to, page)
}

/// The two URLs' queries without the parameters that only track.
fn queries_agree(a: &Url, b: &Url) -> bool {
    let kept = |u: &Url| {
        let mut q: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !tracking::is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        q.sort();
        q
    };
    kept(a) == kept(b)
}

/// Never content, wherever it is: removed by the rules, hidden inline, or the site's chrome.
pub(crate) fn never_content(el: &ElementRef<'_>, rules: &Rules) -> bool {
    rules.removes(el) || hidden_by_style(el) || (chrome::may_be_chrome(el) && chrome::is_chrome(el))
}

/// An inline `display: none`.
pub(crate) fn hidden_by_style(el: &ElementRef<'_>) -> bool {
    attr(el.value(), "style").is_some_and(|s| s.replace(' ', "").contains("display:none"))
}

/// The value of `e`'s attribute `name` (in no namespace), as `Element::attr` gives it, but
/// found by comparing names: `Element::attr` first interns `name` as an atom, which costs more
/// than scanning an element's few attributes. For the tests made on every element.
pub(crate) fn attr<'a>(e: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(q, _)| q.ns.is_empty() && &*q.local == name)
        .map(|(_, v)| &**v)
}

/// Elements that end one block and start another.
fn block_kind(name: &str) -> Option<BlockKind> {
    Some(match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => BlockKind::Heading(name.as_bytes()[1] - b'0'),
        "li" | "dt" | "dd" => BlockKind::ListItem,
        "tr" => BlockKind::TableRow,
        "p" | "div" | "section" | "article" | "main" | "header" | "footer" | "aside" | "ul"
        | "ol" | "dl" | "table" | "thead" | "tbody" | "tfoot" | "caption" | "blockquote"
        | "pre" | "figure" | "figcaption" | "details" | "summary" | "address" | "form"
        | "fieldset" | "hr" | "body" | "html" => BlockKind::Paragraph,
        _ => return None,
    })
}

struct OpenLink {
    node: ego_tree::NodeId,
    href: Option<String>,
    text: String,
    /// `aria-label` or `title`: the name of a link that shows only an icon.
    label: Option<String>,
    /// The link shows an image or icon that a sighted reader sees.
    has_icon: bool,
}

struct Walker<'a> {
    page_url: &'a Url,
    rules: &'a Rules,
    blocks: Vec<Block>,
    kinds: Vec<BlockKind>,
    current: Vec<Inline>,
    link: Option<OpenLink>,
    /// Cells seen in the table row being read.
    cells: usize,
    /// Chrome inside the root (carousels, pagers, menus of links), counted before the walk.
    widgets: Option<widgets::Widgets>,
}

impl<'a> Walker<'a> {
    fn new(page_url: &'a Url, rules: &'a Rules) -> Self {
        Walker {
            page_url,
            rules,
            blocks: Vec::new(),
            kinds: vec![BlockKind::Paragraph],
            current: Vec::new(),
            link: None,
            cells: 0,
            widgets: None,
        }
    }

    fn walk(&mut self, root: ElementRef<'_>) {
        // The element whose inside is skipped, and whether it was opened (an element whose
        // text is replaced, such as a hidden e-mail address, is closed as usual).
        let mut skipping: Option<(ego_tree::NodeId, bool)> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => self.text(t),
                        Node::Element(e) => {
                            let el = ElementRef::wrap(node).expect("element node");
                            if self.is_removed(&el, node.id() == root.id()) {
                                self.note_icon(&el);
                                skipping = Some((node.id(), false));
                            } else {
                                self.open(&el);
                                // `[email protected]` inside stands for the decoded address.
                                if let Some(address) =
                                    attr(e, "data-cfemail").and_then(email::decode_hex)
                                {
                                    self.text(&address);
                                    skipping = Some((node.id(), true));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some((id, opened)) = skipping {
                        if id == node.id() {
                            skipping = None;
                            if opened {
                                if let Some(el) = ElementRef::wrap(node) {
                                    self.close(&el);
                                }
                            }
                            continue;
                        }
                    }
                    if skipping.is_some() {
                        continue;
                    }
                    if let Some(el) = ElementRef::wrap(node) {
                        self.close(&el);
                    }
                }
            }
        }
        self.flush();
    }

    /// Removed by the rules, hidden inline, or the site's chrome (the root itself never is).
    fn is_removed(&self, el: &ElementRef<'_>, is_root: bool) -> bool {
        self.rules.removes(el)
            || hidden_by_style(el)
            || (!is_root
                && ((chrome::may_be_chrome(el) && chrome::is_chrome(el))
                    || self.widgets.as_ref().is_some_and(|w| w.is_chrome(el))))
    }

    fn in_row(&self) -> bool {
        self.kinds.last() == Some(&BlockKind::TableRow)
    }

    fn text(&mut self, raw: &str) {
        let folded = normalize::fold(raw);
        if folded.is_empty() {
            return;
        }
        if let Some(link) = &mut self.link {
            normalize::join(&mut link.text, &folded);
        } else {
            self.push_text(&folded);
        }
    }

    fn push_text(&mut self, folded: &str) {
        if let Some(Inline::Text { text }) = self.current.last_mut() {
            text.push_str(folded);
        } else {
            self.current.push(Inline::Text {
                text: folded.to_string(),
            });
        }
    }

    fn open(&mut self, el: &ElementRef<'_>) {
        let name = el.value().name();
        if self.link.is_some() {
            // Inside a link everything is the link's text; blocks inside it are just spaces.
            if let Some(link) = &mut self.link {
                if name == "img" {
                    link.has_icon = true;
                    if let Some(alt) = el.value().attr("alt") {
                        normalize::join(&mut link.text, &normalize::fold(alt));
                    }
                } else if block_kind(name).is_some() || name == "br" {
                    link.text.push(' ');
                }
            }
            return;
        }
        match name {
            "a" => {
                let label = ["aria-label", "title"]
                    .iter()
                    .filter_map(|a| el.value().attr(a))
                    .map(normalize)
                    .find(|l| !l.is_empty());
                let href = el.value().attr("href").map(|h| {
                    // An address hidden by an obfuscation service is the `mailto:` it stands for.
                    email::protected_href(h)
                        .or_else(|| {
                            email::is_protection_href(h)
                                .then(|| el.value().attr("data-cfemail"))
                                .flatten()
                                .and_then(email::decode_hex)
                                .map(|a| format!("mailto:{a}"))
                        })
                        .unwrap_or_else(|| h.to_string())
                });
                self.link = Some(OpenLink {
                    node: el.id(),
                    href,
                    text: String::new(),
                    label,
                    has_icon: false,
                });
            }
            "br" => self.push_text(" "),
            "td" | "th" if self.in_row() => {
                if self.cells > 0 {
                    self.push_text(" | ");
                }
                self.cells += 1;
            }
            _ => match block_kind(name) {
                Some(_) if self.in_row() && name != "tr" && name != "table" => self.push_text(" "),
                Some(kind) => {
                    self.flush();
                    // A paragraph inside a list item is still that list item (GitBook writes `li > p`).
                    let kind = match (kind, self.kinds.last()) {
                        (BlockKind::Paragraph, Some(BlockKind::ListItem)) => BlockKind::ListItem,
                        _ => kind,
                    };
                    self.kinds.push(kind);
                    if kind == BlockKind::TableRow {
                        self.cells = 0;
                    }
                }
                None => {}
            },
        }
    }

    fn close(&mut self, el: &ElementRef<'_>) {
        let name = el.value().name();
        if let Some(link) = &self.link {
            if link.node == el.id() {
                let link = self.link.take().expect("open link");
                self.push_link(link);
            }
            return;
        }
        if let Some(kind) = block_kind(name) {
            if self.in_row() && name != "tr" && name != "table" {
                self.push_text(" ");
                return;
            }
            self.flush();
            if self.kinds.len() > 1 {
                self.kinds.pop();
            }
            if kind == BlockKind::TableRow {
                self.cells = 0;
            }
        }
    }

    /// An icon inside a link is not content, but it makes the link visible.
    fn note_icon(&mut self, el: &ElementRef<'_>) {
        // `aria-hidden` hides an icon from screen readers only; `hidden` hides it from everyone.
        // Whatever an `aria-hidden` element draws (an image, an icon font, a background) a
        // sighted reader sees.
        let v = el.value();
        let visible = attr(v, "hidden").is_none() && !hidden_by_style(el);
        let drawn = matches!(v.name(), "svg" | "img" | "picture")
            || (attr(v, "aria-hidden") == Some("true")
                && !v
                    .classes()
                    .any(|c| c.contains("sr-only") || c.contains("visually-hidden")));
        if let Some(link) = &mut self.link {
            if visible && drawn {
                link.has_icon = true;
            }
        }
    }

    fn push_link(&mut self, link: OpenLink) {
        // Spaces at the edges of a link's text belong to the sentence around it.
        if link.text.starts_with(' ') {
            self.push_text(" ");
        }
        let mut text = link.text.trim().to_string();
        if text.is_empty() && link.href.is_none() && link.label.is_none() {
            // An `<a>` without `href` or text is a placeholder or a scripted button: nothing to
            // read and nothing to follow (whether its icon has loaded or not).
            return;
        }
        if text.is_empty() {
            // A link that shows only an icon is visible: name it by its label, or as an icon.
            text = match link.label {
                Some(label) => label,
                None if link.has_icon => ICON_TEXT.to_string(),
                None => String::new(),
            };
        }
        let href = link.href.map(|h| h.trim().to_string());
        let url = href
            .as_deref()
            .filter(|h| !h.is_empty())
            .and_then(|h| self.page_url.join(h).ok())
            .map(|u| match u.scheme() {
                "http" | "https" => tracking::compared(u.as_str()),
                _ => String::from(u),
            });
        let trailing = link.text.ends_with(' ') && !text.is_empty();
        self.current.push(Inline::Link(Link { text, href, url }));
        if trailing {
            self.push_text(" ");
        }
    }

    /// Ends the block being read, if it holds anything.
    fn flush(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let kind = *self.kinds.last().unwrap_or(&BlockKind::Paragraph);
        let mut inlines: Vec<Inline> = Vec::with_capacity(self.current.len());
        let mut last_space = true; // no leading space in a block
        for inline in self.current.drain(..) {
            match inline {
                Inline::Text { text } => {
                    let t = collapse_spaces(text, &mut last_space);
                    if !t.is_empty() {
                        inlines.push(Inline::Text { text: t });
                    }
                }
                Inline::Link(l) => {
                    if !l.text.is_empty() {
                        last_space = false;
                    }
                    inlines.push(Inline::Link(l));
                }
            }
        }
        // Trim the block's trailing space.
        while let Some(Inline::Text { text }) = inlines.last_mut() {
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            if text.is_empty() {
                inlines.pop();
            } else {
                break;
            }
        }
        if inlines.is_empty() {
            return;
        }
        self.blocks.push(Block { kind, inlines });
    }
}

/// `text` with every run of spaces made one space, and none at its start when `last_space`
/// (the text before it ended in a space); `last_space` is updated. Text that needs no change
/// (nearly all of it: it was folded as it was read) is returned as it is, not copied.
fn collapse_spaces(text: String, last_space: &mut bool) -> String {
    if text.is_empty() {
        return text;
    }
    let needs_work = text.contains("  ") || (*last_space && text.starts_with(' '));
    if !needs_work {
        *last_space = text.ends_with(' ');
        return text;
    }
    let mut t = String::with_capacity(text.len());
    for piece in text.split_inclusive(' ') {
        let word = piece.trim_end_matches(' ');
        if !word.is_empty() {
            t.push_str(word);
            *last_space = false;
        }
        if word.len() < piece.len() && !*last_space {
            t.push(' ');
            *last_space = true;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_collapse_as_one_char_at_a_time_would() {
        // The rule written out char by char, as `flush` used to apply it.
        let slow = |text: &str, last_space: &mut bool| {
            let mut t = String::new();
            for c in text.chars() {
                if c == ' ' {
                    if *last_space {
                        continue;
                    }
                    *last_space = true;
                } else {
                    *last_space = false;
                }
                t.push(c);
            }
            t
        };
        for text in [
            "",
            " ",
            "  ",
            "a",
            " a",
            "a ",
            "a  b",
            " | x | ",
            "ä  ö ",
            "  a   b  ",
        ] {
            for last in [false, true] {
                let (mut l1, mut l2) = (last, last);
                let fast = collapse_spaces(text.to_string(), &mut l1);
                assert_eq!(fast, slow(text, &mut l2), "{text:?} after {last}");
                assert_eq!(l1, l2, "{text:?} after {last}");
            }
        }
    }

    fn url() -> Url {
        Url::parse("https://example.com/privacy/").unwrap()
    }

    fn ex(html: &str) -> Extracted {
        extract(html, &url(), &Rules::default()).unwrap()
    }

    fn md(html: &str) -> String {
        ex(html).markdown()
    }

    const FILL: &str =
        "<p>Enough text to count as a real page of content, well over the minimum.</p>";

    #[test]
    fn blocks_keep_order_kinds_and_links() {
        let html = format!(
            "<html><body><nav>Menu</nav><main><h2>Title <span>here</span></h2>\
             <p>See <a href=\"/terms\"> our terms</a>, please.</p>\
             <ul><li>One</li><li>Two <b>bold</b></li></ul>\
             <table><tr><th>Data</th><th>Purpose</th></tr><tr><td><p>Name</p></td><td>Login</td></tr></table>{FILL}</main></body></html>"
        );
        assert_eq!(
            md(&html),
            "## Title here\n\nSee [our terms](https://example.com/terms), please.\n\n- One\n\n- Two bold\n\n\
             | Data | Purpose |\n\n| Name | Login |\n\n\
             Enough text to count as a real page of content, well over the minimum.\n"
        );
    }

    #[test]
    fn hidden_and_scripted_content_never_counts() {
        let html = format!(
            "<main><script>var x = 1;</script><style>p{{}}</style><p>Visible<span class=\"sr-only\"> hidden</span>\
             <span aria-hidden=\"true\">icon</span><svg><text>svg</text></svg></p>\
             <p style=\"display: none\">gone</p><noscript>no js</noscript>{FILL}</main>"
        );
        let out = md(&html);
        assert!(out.starts_with("Visible\n"), "{out}");
        for hidden in ["hidden", "icon", "svg", "gone", "no js", "var x"] {
            assert!(!out.contains(hidden), "{hidden} leaked: {out}");
        }
    }

    #[test]
    fn a_title_streamed_into_the_body_is_not_content() {
        // Scripts that render a page put its `<title>` where they are, in the body; a browser
        // shows it in the tab only. With and without it, the page reads the same.
        let page = |title: &str| {
            format!("<html><head></head><body>{title}<p>Visible text of the policy.</p>{FILL}</body></html>")
        };
        let with = md(&page("<title>Example - Terms of Service</title>"));
        assert!(!with.contains("Terms of Service"), "{with}");
        assert_eq!(with, md(&page("")));
    }

    #[test]
    fn empty_links_are_kept_with_their_place() {
        let html = format!(
            "<main><p>Mehr erfahren Sie auf<a href=\"https://a.example/p\"></a>.</p>{FILL}</main>"
        );
        let ex = ex(&html);
        let b = &ex.blocks[0];
        assert_eq!(b.text(), "Mehr erfahren Sie auf.");
        let link = b.links().next().unwrap();
        assert_eq!(link.text, "");
        assert_eq!(link.url.as_deref(), Some("https://a.example/p"));
        assert_eq!(
            block_markdown(b),
            "Mehr erfahren Sie auf[](https://a.example/p)."
        );
    }

    #[test]
    fn icon_links_are_visible_and_named_by_their_label() {
        let html = format!(
            "<main><p>Follow <a href=\"/tw\" aria-label=\"Twitter\"><svg></svg></a> \
             <a href=\"/gh\"><svg></svg></a> <a href=\"/x\"><img src=\"x.png\"></a> \
             <a href=\"/e\"></a></p>{FILL}</main>"
        );
        let ex = ex(&html);
        let texts: Vec<_> = ex.blocks[0].links().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Twitter", ICON_TEXT, ICON_TEXT, ""]);
    }

    #[test]
    fn pickers_placeholders_and_icons_read_alike_however_they_are_drawn() {
        let page = |logo: &str, button: &str| {
            format!(
                "<main><p>Language <select><option>English</option><option>Deutsch</option></select></p>\
                 <p><a href=\"/\">{logo}</a> <a class=btn>{button}</a> <a>Top</a></p>{FILL}</main>"
            )
        };
        let a = md(&page("<img src=logo.png alt=\"\">", ""));
        let b = md(&page(
            "<span aria-hidden=\"true\" style=\"background-image:url(x.svg)\"></span>",
            "<svg><path d=\"M0\"/></svg>",
        ));
        assert_eq!(a, b);
        assert!(
            a.starts_with("Language\n\n[(icon)](https://example.com/) [Top]()\n"),
            "{a}"
        );
        assert!(!a.contains("Deutsch"), "{a}");
    }

    #[test]
    fn first_matching_selector_wins_and_no_match_is_an_error() {
        let html = format!("<main><p>Crumbs</p><div data-content-ref-root><p>Doc</p>{FILL}</div><p>Last updated 1 year ago</p></main>");
        let out = md(&html);
        assert!(out.starts_with("Doc\n"), "{out}");
        assert!(!out.contains("Crumbs"));
        let rules = Rules::new(Some(&["#nope".to_string()]), &[], &[]).unwrap();
        assert!(matches!(
            extract(&html, &url(), &rules),
            Err(ExtractError::NoRoot { .. })
        ));
    }

    #[test]
    fn nearly_empty_page_is_an_error() {
        assert!(matches!(
            extract(
                "<html><body><div id=root></div><script>app()</script></body></html>",
                &url(),
                &Rules::default()
            ),
            Err(ExtractError::NearlyEmpty { .. })
        ));
    }

    /// Cloudflare's encoding of `text` with `key`.
    fn cf(key: u8, text: &str) -> String {
        std::iter::once(key)
            .chain(text.bytes().map(|b| b ^ key))
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn hidden_email_addresses_read_as_the_address_whatever_the_key() {
        let page = |key: u8| {
            format!(
                "<main><p>Write to <a href=\"/cdn-cgi/l/email-protection#{}\">\
                 <span class=\"__cf_email__\" data-cfemail=\"{}\">[email&#160;protected]</span></a>.</p>\
                 <p>Or <span class=\"__cf_email__\" data-cfemail=\"{}\">[email&#160;protected]</span> \
                 or <a href=\"/cdn-cgi/l/email-protection\" class=\"__cf_email__\" data-cfemail=\"{}\">[email&#160;protected]</a>.</p>{FILL}</main>",
                cf(key, "dpo@example.com"),
                cf(key.wrapping_add(7), "dpo@example.com"),
                cf(key ^ 0x55, "help@example.com"),
                cf(key ^ 0x0f, "legal@example.com"),
            )
        };
        let a = md(&page(0x21));
        assert_eq!(a, md(&page(0xc4)), "a new key is not a change");
        assert!(
            a.starts_with(
                "Write to [dpo@example.com](mailto:dpo@example.com).\n\n\
             Or help@example.com or [legal@example.com](mailto:legal@example.com).\n"
            ),
            "{a}"
        );
        assert!(!a.contains("protected"), "{a}");
        // A changed address is a change.
        let changed = page(0x21).replace(
            &cf(0x21, "dpo@example.com"),
            &cf(0x21, "privacy@example.com"),
        );
        assert_ne!(md(&changed), a);
    }

    #[test]
    fn link_targets_are_compared_without_tracking_parameters() {
        let page = |q: &str| {
            format!("<main><p>See <a href=\"/terms?lang=en&{q}\">terms</a>.</p>{FILL}</main>")
        };
        let a = md(&page("utm_source=mail&gclid=1"));
        assert_eq!(a, md(&page("utm_source=feed&fbclid=2&_ga=3")));
        assert!(
            a.starts_with("See [terms](https://example.com/terms?lang=en)."),
            "{a}"
        );
        assert_ne!(a, md(&page("lang=de")), "other parameters still count");
    }

    #[test]
    fn page_chrome_is_left_out_but_the_documents_header_stays() {
        let html = format!(
            "<body><header class=site><a href=/>Home</a><p>Acme Inc. Free trial for 30 days!</p></header>\
             <div id=onetrust-consent-sdk><p>We use cookies for many purposes, please accept them.</p></div>\
             <div role=dialog><p>Subscribe to our newsletter</p></div>\
             <div class=page><aside><p>Related: our security page</p></aside>\
             <div class=doc><header><h1>Privacy policy</h1><p>Effective from 1 May 2024</p></header>\
             {FILL}{FILL}{FILL}{FILL}</div></div>\
             <footer><p>© 2024 Acme Inc. All rights reserved.</p></footer></body>"
        );
        let out = md(&html);
        assert!(
            out.starts_with("# Privacy policy\n\nEffective from 1 May 2024\n\nEnough text"),
            "{out}"
        );
        for chrome in ["Acme", "cookies", "newsletter", "Related", "©"] {
            assert!(!out.contains(chrome), "{chrome} leaked: {out}");
        }
    }

    #[test]
    fn the_document_is_found_by_its_text_when_no_container_matches() {
        let menu = "<ul><li><a href=/a>Product</a></li><li><a href=/b>Pricing</a></li></ul>";
        let page = |extra: &str| {
            format!(
                "<body><div class=top>{menu}{extra}</div><div class=content><div class=text>\
                 <h1>Terms</h1>{FILL}{FILL}{FILL}</div></div><div class=bottom>{menu}{menu}</div></body>"
            )
        };
        let a = ex(&page(""));
        assert_eq!(a.root, "div.text (found by its text)");
        assert!(!a.markdown().contains("Product"), "{}", a.markdown());
        let b = ex(&page("<ul><li><a href=/c>Careers</a></li></ul>"));
        assert_eq!(a.markdown(), b.markdown(), "menus changing is not a change");
    }

    #[test]
    fn a_page_that_redirects_at_once_has_no_content() {
        let stub = format!(
            "<html><head><meta http-equiv=\"refresh\" content=\"0; url=https://example.com/en/privacy/\"></head>\
             <body>{FILL}</body></html>"
        );
        assert!(matches!(
            extract(&stub, &url(), &Rules::default()),
            Err(ExtractError::NearlyEmpty { .. })
        ));
        // A slow refresh, one a browser ignores, or one of the page itself, is not a redirect.
        for content in [
            "600",
            "0",
            "300; url=/other",
            "0; url=https://example.com/privacy/",
            "0; url=https://example.com/privacy",
            "0;url=#top",
            "0; url=./",
            "0; url=.",
            "0; url=?utm_source=x",
            "0;URL='https://example.com/privacy?utm_campaign=y#x'",
            "-1; url=/elsewhere",
            "soon; url=/elsewhere",
        ] {
            let page = format!(
                "<html><head><meta http-equiv=refresh content=\"{content}\"></head><body>{FILL}{FILL}{FILL}</body></html>"
            );
            assert!(
                extract(&page, &url(), &Rules::default()).is_ok(),
                "{content}"
            );
        }
    }

    #[test]
    fn a_stub_that_refreshes_to_the_documents_other_address_is_no_document() {
        // Served at `/privacy/`, it sends the browser on to `/privacy` (or the reverse): a few
        // words on the way to the document, which a reader never sees.
        for target in [
            "https://example.com/privacy",
            "/privacy",
            "/privacy/?utm_source=x",
        ] {
            let stub = format!(
                "<html><head><title>You should be redirected quickly</title>\
                 <meta http-equiv=refresh content=\"0; url={target}\"></head>\
                 <body><p>You should be redirected quickly, if not <a href=\"{target}\">click here</a>.</p></body></html>"
            );
            assert!(
                matches!(
                    extract(&stub, &url(), &Rules::default()),
                    Err(ExtractError::NearlyEmpty { .. })
                ),
                "{target}"
            );
        }
        // A refresh to this very address is a reload: the few words are the page.
        let reload = "<html><head><meta http-equiv=refresh content=\"0; url=https://example.com/privacy/#top\"></head>\
             <body><p>You should be redirected quickly, if not <a href=\"/privacy/\">click here</a>.</p></body></html>";
        assert!(extract(reload, &url(), &Rules::default()).is_ok());
    }
}
