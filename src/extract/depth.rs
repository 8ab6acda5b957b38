//! Parsing a page with its nesting depth capped, as browsers do. HTML's tree builder looks
//! through the whole stack of open elements for every `<div>`, `<p>`, `<li>` or heading it
//! meets (is a `<p>` open to close?), so a page of tens of thousands of nested elements costs
//! time that grows with the square of its depth (50,000 nested `<div>`s took 54 s to parse).
//! Chromium stops nesting at 512 levels and puts deeper elements beside each other; here the
//! start and end tags of elements deeper than [`MAX_DEPTH`] are left out, so their content
//! lands in the element at that depth — the text stays, only the nesting past it goes. No
//! policy page comes near that depth, so a real page parses exactly as before.

use std::cell::RefCell;
use std::collections::HashMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};
use html5ever::tree_builder::{TreeBuilder, TreeSink};
use html5ever::{LocalName, TokenizerResult};
use scraper::{Html, HtmlTreeSink};

/// How deep elements nest at most (Chromium's limit).
pub const MAX_DEPTH: usize = 512;

/// Parses a whole document, as `Html::parse_document` does, with its depth capped.
pub fn parse_document(html: &str) -> Html {
    let builder = TreeBuilder::new(HtmlTreeSink::new(Html::new_document()), Default::default());
    let tokenizer = Tokenizer::new(
        Capped {
            inner: builder,
            open: RefCell::default(),
        },
        Default::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    while let TokenizerResult::Script(_) = tokenizer.feed(&input) {}
    tokenizer.end();
    tokenizer.sink.inner.sink.finish()
}

/// Elements that do not stay open on the stack as a nesting level a page can pile up: void
/// elements, elements whose end tag may be left out (the next one closes them), the document's
/// own three, and the elements whose content the tokenizer reads differently (left to the tree
/// builder whatever their depth, so that a script's text never reads as markup).
fn counted(name: &str) -> bool {
    !matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "colgroup"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
            | "a"
            | "html"
            | "head"
            | "body"
            | "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
            | "template"
            | "svg"
            | "math"
    )
}

/// The counted elements open now, as the tags went: those within the cap (passed on) and those
/// past it (left out), each with how many of each name it holds.
#[derive(Default)]
struct Open {
    kept: Vec<LocalName>,
    kept_names: HashMap<LocalName, usize>,
    over: Vec<LocalName>,
    over_names: HashMap<LocalName, usize>,
}

impl Open {
    /// Whether `tag` is passed on to the tree builder.
    fn pass(&mut self, tag: &Tag) -> bool {
        if !counted(&tag.name) {
            return true;
        }
        match tag.kind {
            TagKind::StartTag if tag.self_closing => self.kept.len() < MAX_DEPTH,
            TagKind::StartTag => {
                if self.kept.len() < MAX_DEPTH {
                    *self.kept_names.entry(tag.name.clone()).or_default() += 1;
                    self.kept.push(tag.name.clone());
                    true
                } else {
                    *self.over_names.entry(tag.name.clone()).or_default() += 1;
                    self.over.push(tag.name.clone());
                    false
                }
            }
            TagKind::EndTag => {
                if self.over_names.get(&tag.name).is_some_and(|n| *n > 0) {
                    // Closes a left-out element (and any left open inside it): left out too.
                    close(&mut self.over, &mut self.over_names, &tag.name);
                    false
                } else {
                    if self.kept_names.get(&tag.name).is_some_and(|n| *n > 0) {
                        // Closes a passed-on element: what was left out inside it is closed.
                        self.over.clear();
                        self.over_names.clear();
                        close(&mut self.kept, &mut self.kept_names, &tag.name);
                    }
                    true
                }
            }
        }
    }
}

/// Pops `stack` down to and including the last `name` (known to be there).
fn close(stack: &mut Vec<LocalName>, names: &mut HashMap<LocalName, usize>, name: &LocalName) {
    while let Some(top) = stack.pop() {
        if let Some(n) = names.get_mut(&top) {
            *n -= 1;
        }
        if top == *name {
            break;
        }
    }
}

/// The tree builder behind a filter that leaves out the tags nested past the cap.
struct Capped<S> {
    inner: S,
    open: RefCell<Open>,
}

impl<S: TokenSink> TokenSink for Capped<S> {
    type Handle = S::Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Self::Handle> {
        if let Token::TagToken(tag) = &token {
            if !self.open.borrow_mut().pass(tag) {
                return TokenSinkResult::Continue;
            }
        }
        self.inner.process_token(token, line_number)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;

    fn depth_of_deepest(doc: &Html) -> usize {
        doc.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_page_within_the_cap_parses_as_it_always_did() {
        let html = "<!doctype html><html><head><title>T</title><script>if (a<b) { x('<div>') }</script></head>\
            <body><main><div class=a><p>One<p>Two <b>bold</b></div><ul><li>x<li>y</ul>\
            <table><tr><td>c</table><svg><g><path/></g></svg><div><div>deep</div></div></main></body></html>";
        let plain = Html::parse_document(html);
        let capped = parse_document(html);
        assert_eq!(capped.html(), plain.html());
    }

    #[test]
    fn elements_past_the_cap_lose_their_nesting_not_their_text() {
        let depth = 5_000;
        let html = format!(
            "<html><body><main>{}<p>The policy text.</p>{}</main><p>After.</p></body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let doc = parse_document(&html);
        assert!(
            depth_of_deepest(&doc) < MAX_DEPTH + 10,
            "{}",
            depth_of_deepest(&doc)
        );
        let text: String = doc.root_element().text().collect();
        assert_eq!(text, "The policy text.After.");
        // The paragraph after the deep part is still outside `main`.
        let main = Selector::parse("main").unwrap();
        let inside: String = doc.select(&main).next().unwrap().text().collect();
        assert_eq!(inside, "The policy text.");
    }

    #[test]
    fn left_open_elements_past_the_cap_are_closed_with_their_container() {
        // Unclosed divs deep inside a section: the section's end closes them all.
        let html = format!(
            "<body><section>{}<p>x</p></section><p>y</p></body>",
            "<div>".repeat(MAX_DEPTH * 2)
        );
        let doc = parse_document(&html);
        let section = Selector::parse("section").unwrap();
        let inside: String = doc.select(&section).next().unwrap().text().collect();
        assert_eq!(inside, "x");
    }
}
