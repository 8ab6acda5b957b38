//! Reading a page right, and confirming a change when the site fights back: UTF-16 without a
//! byte-order mark, a meta refresh to the page itself, a confirming fetch that fails, and a
//! page nested 200,000 elements deep.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{reserve, serve, target, Workdir};

const PAGE: &str = "/privacy";

/// A policy page whose paragraph says `word`; `head` goes into its `<head>`, `tail` after
/// its paragraphs.
fn page(word: &str, head: &str, tail: &str) -> String {
    format!(
        "<html><head>{head}</head><body><main><h1>Privacy policy</h1>\
         <p>We collect your {word} to provide the service, and we keep it only as long as the contract with you runs.</p>\
         <p>Our processors are listed on the vendors page; each of them signed a data processing agreement with us.</p>\
         {tail}</main></body></html>"
    )
}

#[tokio::test]
async fn utf16_without_a_bom_is_read_by_the_header_charset() {
    let server = MockServer::start().await;
    let text = page("Größe and e-mail address", "", "");
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (at, charset, body) in [
        ("/le", "utf-16", le.clone()),
        ("/le2", "utf-16le", le),
        ("/be", "UTF-16BE", be),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "content-type",
                        format!("text/html; charset={charset}").as_str(),
                    )
                    .set_body_bytes(body),
            )
            .mount(&server)
            .await;
    }
    let w = Workdir::new(&format!(
        "{}{}{}",
        target("le", &format!("{}/le", server.uri()), ""),
        target("le2", &format!("{}/le2", server.uri()), ""),
        target("be", &format!("{}/be", server.uri()), "")
    ));
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    for id in ["le", "le2", "be"] {
        let md = w.snapshot(&format!("{id}.md"));
        assert!(
            md.starts_with("# Privacy policy"),
            "{id}: the document, not its source: {md}"
        );
        assert!(
            md.contains("We collect your Größe and e-mail address"),
            "{id}: {md}"
        );
        assert!(!md.contains("<html") && !md.contains('\0'), "{id}: {md}");
        assert_eq!(md.matches("\n\n").count(), 2, "{id}: three blocks: {md}");
    }
}

#[tokio::test]
async fn a_meta_refresh_to_the_page_itself_is_not_a_redirect() {
    let server = MockServer::start().await;
    let refreshes = [
        "0;url=#top",
        "0; url=./",
        "0; url=.",
        "0; url=?utm_source=x",
        "-1; url=https://elsewhere.example/",
        "0; url=/privacy/self?utm_medium=mail#top",
    ];
    let mut toml = String::new();
    for (i, content) in refreshes.iter().enumerate() {
        let at = if i == 5 {
            "/privacy/self".to_string()
        } else {
            format!("/p{i}/")
        };
        serve(
            &server,
            &at,
            page(
                "e-mail address",
                &format!("<meta http-equiv=\"refresh\" content=\"{content}\">"),
                "",
            ),
        )
        .await;
        toml.push_str(&target(
            &format!("t{i}"),
            &format!("{}{at}", server.uri()),
            "",
        ));
    }
    // A refresh to another page at once is still a redirect stub, not the document.
    serve(
        &server,
        "/stub",
        page(
            "e-mail address",
            "<meta http-equiv=\"refresh\" content=\"0; url=/privacy/new\">",
            "",
        ),
    )
    .await;
    toml.push_str(&target("stub", &format!("{}/stub", server.uri()), ""));
    let w = Workdir::new(&toml);
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 1, "only the stub fails: {run:?}");
    for (i, content) in refreshes.iter().enumerate() {
        let md = w.snapshots().join(format!("t{i}.md"));
        assert!(
            md.is_file(),
            "`{content}` is the page itself: {}",
            run.stdout
        );
    }
    assert!(!w.snapshots().join("stub.md").exists());
}

/// Serves `first` to the first request and a 500 to every later one (the confirming fetch and
/// its retries), as a site that rate-limits a second request does.
async fn first_then_500(server: &MockServer, first: String) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(ResponseTemplate::new(200).set_body_raw(first, "text/html; charset=utf-8"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(PAGE))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_change_whose_confirming_fetch_fails_is_announced_by_the_second_run() {
    let server = MockServer::start().await;
    let token =
        |t: &str| format!("<p>Request reference {t}, shown on every visit of this page.</p>");
    serve(
        &server,
        PAGE,
        page("e-mail address", "", &token("tok-zero")),
    )
    .await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline");
    let stored = w.snapshot("acme.md");

    // Run 1: the first fetch sees the new text, the confirming one fails.
    first_then_500(&server, page("postal address", "", &token("tok-one"))).await;
    let one = w.run(&["check"]).await;
    assert_eq!(one.code, 1, "{one:?}");
    assert!(
        one.stdout
            .contains("the fetch that was to confirm it failed"),
        "{}",
        one.stdout
    );
    assert!(!one.stdout.contains("unreachable"), "{}", one.stdout);
    assert_eq!(w.snapshot("acme.md"), stored, "nothing stored unconfirmed");

    // Run 2: the same again, with another per-request token. What both first fetches saw the
    // same way is the change; the token is volatile.
    first_then_500(&server, page("postal address", "", &token("tok-two"))).await;
    let two = w.run(&["check"]).await;
    assert_eq!(two.code, 0, "{two:?}");
    assert!(two.stdout.contains("— changed"), "{}", two.stdout);
    assert!(two.stdout.contains("postal"), "{}", two.stdout);
    assert!(
        !two.stdout.contains("tok-two"),
        "the token is not the change: {}",
        two.stdout
    );
    assert!(w.snapshot("acme.md").contains("postal address"));

    // Nothing more to say.
    reserve(&server, PAGE, page("postal address", "", &token("tok-two"))).await;
    let three = w.run(&["check"]).await;
    assert_eq!(three.code, 0, "{three:?}");
    assert!(three.stdout.contains("— unchanged"), "{}", three.stdout);
}

#[tokio::test]
async fn a_first_fetch_seen_only_once_is_not_announced() {
    let server = MockServer::start().await;
    serve(&server, PAGE, page("e-mail address", "", "")).await;
    let w = Workdir::new(&target("acme", &format!("{}{PAGE}", server.uri()), ""));
    assert_eq!(w.run(&["check"]).await.code, 0, "baseline");
    let stored = w.snapshot("acme.md");
    // Two runs whose first fetches disagree: neither confirms the other.
    for word in ["postal address", "phone number"] {
        first_then_500(&server, page(word, "", "")).await;
        let run = w.run(&["check"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(w.snapshot("acme.md"), stored, "{word}: not announced");
    }
}

/// `page(word)` with its paragraphs `depth` `<div>`s deep, a sentence at every tenth level.
fn deep_page(word: &str, depth: usize) -> String {
    let mut open = String::with_capacity(depth * 12);
    for i in 0..depth {
        open.push_str("<div>");
        if i % 10 == 0 {
            open.push_str("Level. ");
        }
    }
    page(word, "", "")
        .replacen("<h1>", &format!("{open}<h1>"), 1)
        .replacen("</main>", &format!("{}</main>", "</div>".repeat(depth)), 1)
}

#[tokio::test]
async fn a_page_nested_200000_deep_is_read_and_the_other_targets_go_on() {
    let server = MockServer::start().await;
    serve(&server, "/deep", deep_page("e-mail address", 200_000)).await;
    serve(&server, "/plain", page("postal address", "", "")).await;
    let w = Workdir::new(&format!(
        "{}{}",
        target("deep", &format!("{}/deep", server.uri()), ""),
        target("plain", &format!("{}/plain", server.uri()), "")
    ));
    let first = w.run(&["check"]).await;
    assert_eq!(first.code, 0, "{first:?}");
    assert!(w
        .snapshot("deep.md")
        .contains("We collect your e-mail address"));
    assert!(w.snapshot("plain.md").contains("postal address"));

    // A word of it changes: told as a change, like any page's.
    reserve(
        &server,
        "/deep",
        deep_page("e-mail address and phone number", 200_000),
    )
    .await;
    serve(&server, "/plain", page("postal address", "", "")).await;
    let run = w.run(&["check"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("phone number"), "{}", run.stdout);
    assert!(w.snapshot("deep.md").contains("phone number"));
}
