//! The site's own chrome around a document: page-level header and footer, sidebars, banners,
//! dialogs and the containers of the common cookie-consent managers. None of it is content.

use std::sync::LazyLock;

use scraper::{ElementRef, Selector};

/// Containers of cookie-consent managers (vendors, not sites): OneTrust, Cookiebot,
/// Usercentrics, Osano, Didomi, Termly, iubenda, CookieYes, Complianz, Klaro, TrustArc,
/// Quantcast, Sourcepoint, Cookie Script, Borlabs, Axeptio, tarteaucitron, Cookie Notice,
/// GDPR Cookie Compliance, Cookie Consent (Osano's open-source banner and its successor).
pub const CONSENT_MANAGERS: &[&str] = &[
    "#onetrust-consent-sdk",
    "#onetrust-banner-sdk",
    "#CybotCookiebotDialog",
    "#CookiebotWidget",
    "#usercentrics-root",
    "#usercentrics-cmp-ui",
    ".osano-cm-window",
    ".osano-cm-dialog",
    "#didomi-host",
    "#didomi-notice",
    "#termly-code-snippet-support",
    "[data-termly-banner]",
    "#iubenda-cs-banner",
    "#iubenda-iframe",
    ".cky-consent-container",
    ".cky-modal",
    "#cookie-law-info-bar",
    "#cmplz-cookiebanner-container",
    ".cmplz-cookiebanner",
    "#klaro",
    ".klaro",
    "#truste-consent-track",
    "#consent_blackbar",
    "#teconsent",
    "#qc-cmp2-container",
    "[id^=sp_message_container]",
    "#cookiescript_injected",
    "#BorlabsCookieBox",
    "#axeptio_overlay",
    "#tarteaucitronRoot",
    "#cookie-notice",
    "#moove_gdpr_cookie_info_bar",
    ".cc-window",
    "#cc-main",
];

/// Chrome wherever it is: dialogs, explicit page landmarks, consent managers.
const ALWAYS: &str = "dialog, [role=dialog], [role=alertdialog], [aria-modal=true], \
    [role=banner], [role=contentinfo], [role=navigation], [role=search]";

static ALWAYS_SELECTOR: LazyLock<Selector> = LazyLock::new(|| {
    let list = std::iter::once(ALWAYS)
        .chain(CONSENT_MANAGERS.iter().copied())
        .collect::<Vec<_>>()
        .join(", ");
    Selector::parse(&list).expect("built-in chrome selectors")
});

/// Elements whose `header` or `footer` belongs to them, not to the page (HTML's sectioning
/// content and the landmarks that scope a header).
fn is_sectioning(el: &ElementRef<'_>) -> bool {
    matches!(
        el.value().name(),
        "article" | "aside" | "main" | "nav" | "section"
    ) || matches!(
        el.value().attr("role"),
        Some("main" | "article" | "region" | "complementary" | "document")
    )
}

/// True for an `h1` with text of its own outside links: a document's title, not a logo.
fn holds_title(el: &ElementRef<'_>) -> bool {
    let h1 = LazyLock::force(&H1);
    el.select(h1).any(|h| {
        h.descendants().any(|n| {
            n.value().as_text().is_some_and(|t| !t.trim().is_empty())
                && !n
                    .ancestors()
                    .take_while(|a| a.id() != h.id())
                    .any(|a| a.value().as_element().is_some_and(|e| e.name() == "a"))
        })
    })
}

static H1: LazyLock<Selector> = LazyLock::new(|| Selector::parse("h1").expect("h1"));

/// Whether an element is the site's chrome rather than content.
///
/// - Dialogs, explicit landmarks of the page (`banner`, `contentinfo`, `navigation`, `search`)
///   and consent managers' containers are chrome wherever they are.
/// - A sidebar (`aside`, `[role=complementary]`) is chrome unless it sits inside an `article`,
///   where it belongs to the text.
/// - A `header` or `footer` is chrome when it is page-level: no sectioning element
///   (`article`, `main`, `section`, …) holds it. A `header` that holds the page's title (an
///   `h1` with text of its own) is the document's header and stays.
pub fn is_chrome(el: &ElementRef<'_>) -> bool {
    let name = el.value().name();
    if ALWAYS_SELECTOR.matches(el) {
        return true;
    }
    let ancestors = || el.ancestors().filter_map(ElementRef::wrap);
    match name {
        "aside" => !ancestors().any(|a| a.value().name() == "article"),
        "header" | "footer" => {
            let scoped = ancestors().any(|a| is_sectioning(&a));
            let documents_own = name == "header" && holds_title(el);
            !scoped && !documents_own
        }
        _ if el.value().attr("role") == Some("complementary") => {
            !ancestors().any(|a| a.value().name() == "article")
        }
        _ => false,
    }
}

/// What [`CONSENT_MANAGERS`] look at: ids, classes and attribute names, for a cheap first test.
struct ConsentKeys {
    ids: Vec<&'static str>,
    classes: Vec<&'static str>,
    attrs: Vec<&'static str>,
}

static CONSENT_KEYS: LazyLock<ConsentKeys> = LazyLock::new(|| {
    let mut keys = ConsentKeys {
        ids: Vec::new(),
        classes: Vec::new(),
        attrs: Vec::new(),
    };
    for s in CONSENT_MANAGERS {
        if let Some(id) = s.strip_prefix('#') {
            keys.ids.push(id);
        } else if let Some(class) = s.strip_prefix('.') {
            keys.classes.push(class);
        } else if let Some(attr) = s.strip_prefix('[') {
            let end = attr
                .find([']', '=', '^', '*', '$', '~', '|'])
                .unwrap_or(attr.len());
            keys.attrs.push(&attr[..end]);
        }
    }
    keys
});

/// A cheap first test: only elements that pass it can be chrome, so [`is_chrome`] (which
/// matches selectors) runs on few elements.
pub fn may_be_chrome(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    if matches!(v.name(), "header" | "footer" | "aside" | "dialog") {
        return true;
    }
    let keys = &*CONSENT_KEYS;
    // One pass over the attributes (`Element::attr` would intern each name asked for).
    v.attrs.iter().any(|(q, _)| {
        let name: &str = &q.local;
        q.ns.is_empty() && (name == "role" || name == "aria-modal" || keys.attrs.contains(&name))
    }) || v.id().is_some_and(|id| keys.ids.contains(&id))
        || v.classes().any(|c| keys.classes.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    /// The chrome elements of a page, as `tag#id` or `tag.class`.
    fn chrome(html: &str) -> Vec<String> {
        let doc = Html::parse_document(html);
        doc.root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| may_be_chrome(e) && is_chrome(e))
            .map(|e| {
                let v = e.value();
                match (v.id(), v.classes().next()) {
                    (Some(id), _) => format!("{}#{id}", v.name()),
                    (None, Some(c)) => format!("{}.{c}", v.name()),
                    _ => v.name().to_string(),
                }
            })
            .collect()
    }

    #[test]
    fn page_level_header_footer_and_sidebar_are_chrome() {
        let html = "<body><header class=site><a href=/>Logo</a></header>\
            <div class=wrap><aside class=side>Related</aside><div class=doc><p>Text</p></div></div>\
            <div><footer class=foot>© Company</footer></div></body>";
        assert_eq!(chrome(html), ["header.site", "aside.side", "footer.foot"]);
    }

    #[test]
    fn a_documents_own_header_and_footer_stay() {
        // Inside sectioning content they belong to it.
        let html = "<body><main><header class=doc><h2>Privacy</h2><p>Effective 1 May</p></header>\
            <p>Text</p><footer class=end>Version 3</footer></main>\
            <article><header class=a>Title</header><aside class=note>Note</aside></article></body>";
        assert!(chrome(html).is_empty(), "{:?}", chrome(html));
        // A page-level header that holds the title is the document's header.
        let html =
            "<body><div><header class=doc><h1>Privacy policy</h1><p>Effective 1 May</p></header>\
            <p>Text</p></div></body>";
        assert!(chrome(html).is_empty(), "{:?}", chrome(html));
        // A logo in an h1 is not a title.
        let html = "<body><header class=site><h1><a href=/>Logo</a></h1></header></body>";
        assert_eq!(chrome(html), ["header.site"]);
    }

    #[test]
    fn dialogs_landmarks_and_consent_managers_are_chrome_anywhere() {
        let html = "<body><main>\
            <div id=onetrust-consent-sdk>Cookies</div>\
            <div id=CybotCookiebotDialog>Cookies</div>\
            <div class=cky-consent-container>Cookies</div>\
            <div class=modal role=dialog>Sign up</div>\
            <dialog>Hi</dialog>\
            <div class=pop aria-modal=true>Hi</div>\
            <div class=top role=banner>Site</div>\
            <div class=bottom role=contentinfo>©</div>\
            <div class=menu role=navigation>Menu</div>\
            <div class=side role=complementary>Ad</div>\
            <p class=text>Text</p></main></body>";
        assert_eq!(
            chrome(html),
            [
                "div#onetrust-consent-sdk",
                "div#CybotCookiebotDialog",
                "div.cky-consent-container",
                "div.modal",
                "dialog",
                "div.pop",
                "div.top",
                "div.bottom",
                "div.menu",
                "div.side"
            ]
        );
    }
}
