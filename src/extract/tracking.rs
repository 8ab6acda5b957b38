//! Link targets without what only tracks a visit or carries a session: such query parameters
//! change per visit or per campaign, not with the policy. Host, path, fragment and every other
//! parameter still count.

/// Query parameters that only track a visit or carry a session, compared case-insensitively.
/// An entry ending in `*` is a prefix. The README lists them.
pub const TRACKING_PARAMS: &[&str] = &[
    // Campaign tags (Google Analytics and everyone who copied them).
    "utm_*",
    // Ad-click ids.
    "gclid",
    "gclsrc",
    "gbraid",
    "wbraid",
    "dclid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "epik",
    "irclickid",
    "srsltid",
    "s_kwcid",
    "ef_id",
    // Analytics cross-domain and mailing ids.
    "_ga",
    "_gl",
    "_gac",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "_kx",
    "vero_id",
    "vero_conv",
    "oly_anon_id",
    "oly_enc_id",
    "ref_src",
    "ref_url",
    // HubSpot.
    "hsCtaTracking",
    "__hstc",
    "__hssc",
    "__hsfp",
    "_hsenc",
    "_hsmi",
    "hsa_*",
    // Sessions.
    "jsessionid",
    "phpsessid",
    "aspsessionid*",
    "sid",
    "sessionid",
    "session_id",
    "cfid",
    "cftoken",
    // Per-request tokens.
    "nonce",
    "csrf*",
    "_csrf",
    "xsrf*",
    "authenticity_token",
    // Cache busters.
    "_",
    "cb",
    "cachebuster",
    "cache_buster",
    "nocache",
    "timestamp",
    "rnd",
    "rand",
    "random",
];

/// Parameters that often carry the time of the request; with a Unix time in seconds as their
/// value they are left out.
const TIME_PARAMS: &[&str] = &["t", "ts", "time", "_t", "v", "ver", "version", "date", "d"];

/// Whether a query parameter's name is in [`TRACKING_PARAMS`].
pub fn is_tracking_param(name: &str) -> bool {
    TRACKING_PARAMS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix)),
        None => name.eq_ignore_ascii_case(p),
    })
}

/// A value that describes the visitor's browser or the moment of the visit, not a document:
/// a user-agent string, a date with a time of day (`2024-05-01T12:34:56Z`), a Unix time in
/// milliseconds, or one in seconds under a name that says time.
fn is_volatile_value(name: &str, value: &str) -> bool {
    let v = percent_decode(value);
    if v.bytes().all(|b| b.is_ascii_digit()) {
        let n: u64 = v.parse().unwrap_or(0);
        // 2011-09 … 2033-05, in milliseconds (13 digits) or seconds (10 digits).
        return (v.len() == 13 && (1_300_000_000_000..2_000_000_000_000).contains(&n))
            || (v.len() == 10
                && (1_300_000_000..2_000_000_000).contains(&n)
                && TIME_PARAMS.iter().any(|t| name.eq_ignore_ascii_case(t)));
    }
    if v.contains("Mozilla/") || v.contains("AppleWebKit/") || v.contains("Gecko/") {
        return true;
    }
    let b = v.as_bytes();
    // yyyy-mm-dd followed by T or a space and hh:mm.
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && matches!(b[10], b'T' | b' ')
        && b[11..13].iter().all(u8::is_ascii_digit)
        && b[13] == b':'
        && b[14..16].iter().all(u8::is_ascii_digit)
}

/// Decodes `%xx` and `+` (for the checks above only; the URL itself keeps its spelling).
fn percent_decode(s: &str) -> String {
    crate::text::percent_decode(&s.replace('+', " "))
}

/// The URL without tracking and session parameters (and without a `;jsessionid=…` path
/// parameter). Other parameters keep their order and spelling; a query left empty is dropped.
pub fn strip_tracking(url: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    // `;jsessionid=…` (any case) in the path: a session carried in the URL.
    let path_clean = match path.to_ascii_lowercase().find(";jsessionid=") {
        Some(i) => &path[..i],
        None => path,
    };
    let kept: Option<Vec<&str>> = query.map(|q| {
        q.split('&')
            .filter(|pair| {
                if pair.is_empty() {
                    return false;
                }
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let name = percent_decode(name);
                !is_tracking_param(&name) && !is_volatile_value(&name, value)
            })
            .collect()
    });
    let unchanged = path_clean.len() == path.len()
        && match (query, &kept) {
            (Some(q), Some(k)) => k.len() == q.split('&').count(),
            _ => true,
        };
    if unchanged {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len());
    out.push_str(path_clean);
    if let Some(k) = kept.filter(|k| !k.is_empty()) {
        out.push('?');
        out.push_str(&k.join("&"));
    }
    out.push_str(fragment);
    Cow::Owned(out)
}

/// A link target as it is compared: without tracking parameters, and a redirector's link (one
/// whose query holds a whole `http(s)` address, such as `l.php?u=<address>&h=<signature>`) as
/// the address it holds, since its other parameters are signatures and per-visit tokens.
pub fn compared(url: &str) -> String {
    match held_url(url) {
        Some(inner) => strip_tracking(&inner).into_owned(),
        None => strip_tracking(url).into_owned(),
    }
}

/// The first query parameter of `url` whose decoded value is an absolute `http(s)` URL.
fn held_url(url: &str) -> Option<String> {
    let before_fragment = url.split('#').next()?;
    let (_, query) = before_fragment.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (_, value) = pair.split_once('=')?;
        let mut v = percent_decode(value);
        // Some redirectors encode the address twice.
        if v.starts_with("http%3A") || v.starts_with("https%3A") {
            v = percent_decode(&v);
        }
        let lower = v.get(..8)?.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return None;
        }
        url::Url::parse(&v).ok().map(String::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_are_left_out() {
        assert_eq!(
            strip_tracking("https://a.example/p?utm_source=x&utm_Medium=y&gclid=1"),
            "https://a.example/p"
        );
        assert_eq!(
            strip_tracking("https://a.example/p?id=7&fbclid=abc&lang=de#top"),
            "https://a.example/p?id=7&lang=de#top"
        );
        assert_eq!(
            strip_tracking("https://a.example/p?__hstc=1.2&__hssc=3&__hsfp=4&_hsenc=p2&_hsmi=5&hsCtaTracking=u"),
            "https://a.example/p"
        );
        assert_eq!(
            strip_tracking("https://a.example/p?_ga=2.1&_gl=1*abc&mc_cid=1&mc_eid=2&msclkid=3"),
            "https://a.example/p"
        );
    }

    #[test]
    fn sessions_in_the_query_or_the_path_are_left_out() {
        assert_eq!(
            strip_tracking("https://a.example/terms;jsessionid=ABC123?x=1"),
            "https://a.example/terms?x=1"
        );
        assert_eq!(
            strip_tracking("https://a.example/t?PHPSESSID=9f&sid=42&page=2"),
            "https://a.example/t?page=2"
        );
    }

    #[test]
    fn values_that_describe_the_visit_are_left_out() {
        let ua = "Mozilla%2F5.0%20(X11%3B%20Linux)%20AppleWebKit%2F537.36";
        assert_eq!(
            strip_tracking(&format!("https://a.example/r?ua={ua}&doc=privacy")),
            "https://a.example/r?doc=privacy"
        );
        assert_eq!(
            strip_tracking("https://a.example/r?at=2024-05-01T12%3A34%3A56Z&doc=1"),
            "https://a.example/r?doc=1"
        );
        assert_eq!(
            strip_tracking("https://a.example/f.pdf?v=1697729518&_t=1697729518123&p=2"),
            "https://a.example/f.pdf?p=2"
        );
        assert_eq!(
            strip_tracking("https://a.example/login?nonce=x1&csrf_token=y2&next=%2Fterms"),
            "https://a.example/login?next=%2Fterms"
        );
        // An id that only looks like a time stays, unless its name says time.
        assert_eq!(
            strip_tracking("https://a.example/article?id=1697729518"),
            "https://a.example/article?id=1697729518"
        );
        // A date alone may name a version of a document: it stays.
        assert_eq!(
            strip_tracking("https://a.example/archive?date=2024-05-01"),
            "https://a.example/archive?date=2024-05-01"
        );
    }

    #[test]
    fn a_redirector_link_is_the_address_it_holds() {
        let a = "https://l.example.com/l.php?u=https%3A%2F%2Fhelp.example.org%2Fad_preferences%3Fentry%3Dpolicy%26utm_source%3Dx&h=AT0sig1";
        let b = "https://l.example.com/l.php?u=https%3A%2F%2Fhelp.example.org%2Fad_preferences%3Fentry%3Dpolicy&h=AT9other";
        assert_eq!(
            compared(a),
            "https://help.example.org/ad_preferences?entry=policy"
        );
        assert_eq!(compared(a), compared(b));
        let c = "https://l.example.com/l.php?u=https%3A%2F%2Fhelp.example.org%2Fother&h=AT0sig1";
        assert_ne!(compared(a), compared(c), "another address is another link");
        assert_eq!(
            compared("https://a.example/p?id=7&utm_source=x"),
            "https://a.example/p?id=7"
        );
        assert_eq!(
            compared("https://a.example/go?to=mailto%3Ax%40y.z"),
            "https://a.example/go?to=mailto%3Ax%40y.z"
        );
    }

    #[test]
    fn everything_else_keeps_its_spelling() {
        for url in [
            "https://a.example/p",
            "https://a.example/p?q=a+b&x=%20y",
            "https://a.example/p?ref=main",
            "https://a.example/p#utm_source=x",
            "mailto:a@example.com?subject=utm",
            "https://a.example/session/sid",
        ] {
            assert_eq!(strip_tracking(url), url);
        }
        assert!(!is_tracking_param("side"));
        assert!(is_tracking_param("UTM_CONTENT"));
        assert!(is_tracking_param("hsa_acc"));
    }
}
