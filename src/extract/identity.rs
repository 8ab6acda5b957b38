//! Whether a page is still the document that was stored: a different page served in its place
//! (a home page, a sign-up wall, a hub of links, a "page not found" answered with 200) is not a
//! new version of the document.

use std::collections::HashSet;

use super::markdown::comparable;
use super::{Block, Inline};

/// How alike two snapshot texts are, as the tests below weigh them.
#[derive(Debug, Clone, PartialEq)]
pub struct Likeness {
    /// Share of the stored text (by characters) in blocks the new text still has.
    pub kept: f64,
    /// Share of the new text in blocks the stored text had.
    pub known: f64,
    /// Share of the distinct words of the smaller text that the other one uses too.
    pub words: f64,
    /// The first heading of each, when there is one.
    pub heading: (Option<String>, Option<String>),
}

fn lines(md: &str) -> Vec<String> {
    md.lines()
        .filter(|l| !l.trim().is_empty())
        .map(comparable)
        .collect()
}

fn heading(md: &str) -> Option<String> {
    md.lines()
        .find(|l| l.starts_with('#'))
        .map(|l| comparable(l).to_lowercase())
}

fn words(md: &str) -> HashSet<String> {
    md.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// Measures how much of `stored` survives in `now` (both snapshot Markdown).
pub fn likeness(stored: &str, now: &str) -> Likeness {
    let (a, b) = (lines(stored), lines(now));
    let (sa, sb): (HashSet<&str>, HashSet<&str>) = (
        a.iter().map(String::as_str).collect(),
        b.iter().map(String::as_str).collect(),
    );
    let share = |of: &[String], other: &HashSet<&str>| {
        let total: usize = of.iter().map(|l| l.len()).sum();
        let kept: usize = of
            .iter()
            .filter(|l| other.contains(l.as_str()))
            .map(|l| l.len())
            .sum();
        if total == 0 {
            0.0
        } else {
            kept as f64 / total as f64
        }
    };
    let (wa, wb) = (words(stored), words(now));
    let smaller = wa.len().min(wb.len()).max(1);
    Likeness {
        kept: share(&a, &sb),
        known: share(&b, &sa),
        words: wa.intersection(&wb).count() as f64 / smaller as f64,
        heading: (heading(stored), heading(now)),
    }
}

/// A page that held at least this much text is a reference to tell a stand-in from.
const STORED_MIN_CHARS: usize = 500;
/// Below this share of blocks kept (both ways), the two texts share almost nothing.
const KEPT_MAX: f64 = 0.15;
/// A stand-in uses few of the document's words; a rewrite of the document uses most of them.
const WORDS_MAX: f64 = 0.5;
/// A stand-in (home page, sign-up wall, hub) is rarely much longer than the document.
const GROWTH_MAX: usize = 2;

/// The new first heading when `now` is not the document `stored` holds: it shares almost none
/// of its blocks and few of its words, its first heading changed, and it is not much longer (a
/// page that suddenly holds far more text is more likely the document than a stand-in). Both
/// are snapshot Markdown, with their visible characters.
pub fn not_the_document(
    stored: &str,
    stored_chars: usize,
    now: &str,
    now_chars: usize,
) -> Option<String> {
    if stored_chars < STORED_MIN_CHARS || now_chars >= stored_chars * GROWTH_MAX {
        return None;
    }
    let l = likeness(stored, now);
    let stand_in = l.kept < KEPT_MAX
        && l.known < KEPT_MAX
        && l.words < WORDS_MAX
        && l.heading.0 != l.heading.1;
    stand_in.then(|| {
        now.lines()
            .find(|line| line.starts_with('#'))
            .or_else(|| now.lines().find(|line| !line.trim().is_empty()))
            .map(|line| comparable(line).chars().take(80).collect())
            .unwrap_or_default()
    })
}

/// A page of at most this much text can be an error page.
const ERROR_PAGE_MAX_CHARS: usize = 1500;

static ERROR_HEADING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?i)^\W*(error\W*)?(400|401|403|404|410|500|502|503)\b|\bnot found\b|",
        r"\bpage (isn['’]t|is not|was not|wasn['’]t|no longer) (available|found)|\bpage unavailable\b|",
        r"\bapplication error\b|\bsomething went wrong\b|^\W*oops\b|",
        r"\bseite (wurde )?nicht gefunden\b|\bseite (ist )?nicht (mehr )?verfügbar\b|",
        r"\bpage (introuvable|non trouvée|indisponible)\b|\berreur 404\b|",
        r"^\W*(sign|log) ?(in|up|on)\b|^\W*create (an |your )?account\b|^\W*anmelden\b|",
        r"^\W*registrieren\b|^\W*connexion\b|^\W*(se )?connecter\b|^\W*s['’]inscrire\b|",
        r"^\W*access denied\b",
    ))
    .expect("error page pattern")
});

/// The heading that makes a short page an error, sign-in or "not found" page served in place
/// of the document (often with status 200): the page's title or its first heading says so.
pub fn error_page(
    title: Option<&str>,
    first_heading: Option<&str>,
    chars: usize,
) -> Option<String> {
    if chars > ERROR_PAGE_MAX_CHARS {
        return None;
    }
    [first_heading, title]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|h| !h.is_empty() && ERROR_HEADING.is_match(h))
        .map(|h| h.chars().take(80).collect())
}

/// A page with at most this much text outside its links can be a redirect notice.
const REDIRECT_MAX_CHARS: usize = 300;

static REDIRECTING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?i)^\W*(redirecting\b|you (are being|will be) redirected\b|",
        r"(sie werden|du wirst) (jetzt |gleich )?weitergeleitet\b|weiterleitung\b|",
        r"redirection\b|vous (allez être|êtes) redirigée?s?\b)",
    ))
    .expect("redirect notice pattern")
});

/// The line that makes a page a redirect notice ("Redirecting to legal.example.com"): a page
/// whose script sends the reader elsewhere, with little text of its own beside its links. Not
/// the document, whatever chrome surrounds the notice.
pub fn redirect_notice(blocks: &[Block]) -> Option<String> {
    let own: usize = blocks
        .iter()
        .flat_map(|b| &b.inlines)
        .map(|i| match i {
            Inline::Text { text } => text.chars().count(),
            Inline::Link(_) => 0,
        })
        .sum();
    if own > REDIRECT_MAX_CHARS {
        return None;
    }
    blocks
        .iter()
        .map(Block::text)
        .find(|t| t.chars().count() <= 200 && REDIRECTING.is_match(t))
        .map(|t| t.chars().take(80).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(n: usize) -> String {
        let mut s = String::from("# Privacy policy\n\nEffective 1 May 2024\n");
        for i in 0..n {
            s.push_str(&format!(
                "\nWe process your personal data for purpose {i} and keep it for {i} months, \
                 then delete it; you may object at any time by writing to our data protection officer.\n"
            ));
        }
        s
    }

    fn chars(md: &str) -> usize {
        md.chars().filter(|c| !c.is_whitespace()).count()
    }

    #[test]
    fn a_home_page_in_place_of_the_policy_is_not_the_document() {
        let stored = policy(12);
        let home = "# Build faster with Acme\n\nStart free today.\n\n## Products\n\nCloud, \
            Edge and Studio for teams of every size.\n\n## Customers\n\nLoved by 10,000 teams.\n";
        assert_eq!(
            not_the_document(&stored, chars(&stored), home, chars(home)).as_deref(),
            Some("Build faster with Acme")
        );
    }

    #[test]
    fn a_rewritten_policy_is_still_the_document() {
        let stored = policy(12);
        // Every paragraph reworded, the title kept.
        let rewritten = stored.replace("We process", "Acme processes");
        assert_eq!(
            not_the_document(&stored, chars(&stored), &rewritten, chars(&rewritten)),
            None
        );
        // A new title, but the same words.
        let retitled = rewritten.replace("# Privacy policy", "# Privacy notice");
        assert_eq!(
            not_the_document(&stored, chars(&stored), &retitled, chars(&retitled)),
            None
        );
        // A page far longer than the stored one is the document, not a stand-in.
        let small =
            "# Legal\n\nOur documents are below: terms, privacy, cookies, imprint and more.\n"
                .repeat(8);
        let long = policy(40);
        assert_eq!(
            not_the_document(&small, chars(&small), &long, chars(&long)),
            None
        );
    }

    #[test]
    fn a_redirect_notice_among_menu_links_is_not_a_document() {
        let url = url::Url::parse("https://example.com/terms/").unwrap();
        let rules = crate::extract::Rules::default();
        let page = |notice: &str| {
            format!(
                "<body><main><p><a href=/>Example Logo</a></p><p><a href=/contact>Contact Sales</a></p>\
                 <p><a href=https://console.example.com/>Try Studio for free today</a></p><p>{notice}</p></main></body>"
            )
        };
        let err = crate::extract::extract(&page("Redirecting to legal.example.com"), &url, &rules);
        assert!(
            matches!(&err, Err(crate::error::ExtractError::ErrorPage { heading }) if heading.starts_with("Redirecting")),
            "{err:?}"
        );
        // A policy that speaks of redirecting is a document.
        let policy = format!(
            "<body><main><h1>Cookies</h1><p>Redirecting links may carry a tracking parameter.</p>{}</main></body>",
            "<p>We process your personal data only for the purposes named in this policy and for no other purpose.</p>".repeat(4)
        );
        assert!(crate::extract::extract(&policy, &url, &rules).is_ok());
    }

    #[test]
    fn short_error_and_sign_in_pages_are_told_by_their_heading() {
        for h in [
            "404",
            "Page not found",
            "This page isn’t available",
            "Application error: a client-side exception has occurred",
            "Seite nicht gefunden",
            "Page introuvable",
            "Sign in to continue",
            "Log in",
            "Create your account",
        ] {
            assert!(error_page(None, Some(h), 200).is_some(), "{h}");
        }
        assert!(error_page(Some("Oops! | Acme"), None, 200).is_some());
        assert_eq!(error_page(None, Some("Privacy policy"), 200), None);
        assert_eq!(
            error_page(None, Some("Cookies not found on our servers"), 9000),
            None
        );
        assert_eq!(
            error_page(None, Some("Signing up for the newsletter"), 200),
            None
        );
    }
}
