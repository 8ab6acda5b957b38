#!/usr/bin/env python3
"""Makes the regression subset of the real snapshot pairs: tests/fixtures/realworld/.

Picks a few pairs of each kind from ../shared/realworld/ota-demo-pairs.tar.xz (small pages first),
gzips their pages (tests serve them with `Content-Encoding: gzip`), and writes pairs.json with
the verdict each pair must get. Two pairs are derived from a real page, because the archive has
no page whose links carry tracking parameters: the same page with different tracking parameters
on its links (noise), and with one link's other parameter changed (real).

A second list picks pairs of ../shared/realworld/ota-genai-contrib-pairs.tar.xz (site chrome,
redirector links, relative dates, a different page served in place of the document), a third
consecutive steps of ../shared/realworld/ota-genai-contrib-histories.tar.xz. A fourth derived
pair makes pair 193's redirect stub refresh to its own path with a trailing slash.

Usage: scripts/bench/realworld_fixtures.py [--pairs FILE.tar.xz|DIR] [--genai FILE.tar.xz|DIR]
       [--genai-histories FILE.tar.xz|DIR] [--out DIR]
"""

import argparse
import gzip
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse

# (index in pairs.json, what it covers, the verdict policy-watch must give).
# "alert": `diff` reports a change; "quiet": it does not; "before-fails": the before page is
# not a document (accept exits 1), so nothing can be reported.
PICKS = [
    (2, "e-mail addresses obfuscated per request (data-cfemail, email-protection links)", "quiet"),
    (3, "e-mail addresses obfuscated per request", "quiet"),
    (132, "obfuscated addresses whose hidden text holds character references", "quiet"),
    (133, "obfuscated addresses whose hidden text holds character references", "quiet"),
    (134, "obfuscated addresses whose hidden text holds character references", "quiet"),
    (147, "obfuscated addresses in terms of service", "quiet"),
    (0, "labelled real only because the obfuscation was switched off: the addresses are the same", "quiet"),
    (164, "site menu changed outside the document; no known container: found by its text", "quiet"),
    (168, "menu links moved to another host, footer reordered", "quiet"),
    (170, "a footer link added", "quiet"),
    (176, "a footer link added", "quiet"),
    (182, "a footer link removed ('Accessibility: not compliant')", "quiet"),
    (192, "footer links changed", "quiet"),
    (197, "a footer link removed", "quiet"),
    (200, "a footer link added", "quiet"),
    (201, "footer links changed", "quiet"),
    (203, "menu links changed", "quiet"),
    (204, "a footer link added", "quiet"),
    (193, "the before page is a redirect stub (meta refresh): not a document", "before-fails"),
    (217, "main with page-level header, footer, mobile menu and consent card around it", "quiet"),
    (218, "main with page-level header, footer, mobile menu and consent card around it", "quiet"),
    (130, "a real edit next to obfuscated addresses", "alert"),
    (131, "a real edit next to obfuscated addresses", "alert"),
    (144, "a real edit of terms of service with obfuscated addresses", "alert"),
    (183, "a real edit of a document found by its text", "alert"),
    (208, "a real edit inside main", "alert"),
    (209, "a real edit inside main", "alert"),
    (229, "a real edit of terms of service inside main", "alert"),
    (230, "a real edit of terms of service inside main", "alert"),
    (263, "labelled real: only heading levels changed (formatting, not text)", "quiet"),
]

# The same from the genai-contrib pairs ("after-fails": the after page is not the document, so
# `diff` fails for it and reports no change).
PICKS_GENAI = [
    (369, "a relative date: 'Updated this week' became 'Updated in the last hour'", "quiet"),
    (271, "a language picker (<select>) gained a language", "quiet"),
    (1043, "redirector links (l.php?u=<address>&h=<signature>) whose signature changes per fetch", "quiet"),
    (1319, "a placeholder <a> without href whose icon loaded in one fetch only", "quiet"),
    (1328, "a logo link drawn by an <img alt=''> in one fetch and an aria-hidden background in the other", "quiet"),
    (186, "the before page is a script error page ('Application error'): not a document", "before-fails"),
    (723, "a real edit ('Grok Teams' -> 'Grok Business') in the preamble above a root that is a numbered list", "alert"),
    (61, "labelled real: the site's home page served in place of the policy: not the document", "after-fails"),
    (1421, "a link dropped from a footer drawn as a div named 'footer' inside the document's container", "quiet"),
    (1518, "a footer of links to the site's own pages inside main (a page-level footer nested in main)", "quiet"),
    (1208, "a pager ('Previous … Page') under the document, its label changed", "quiet"),
    (951, "the before page is a redirect notice ('Redirecting to …' among menu links): not a document", "before-fails"),
    (1510, "a real edit ('Repls' -> 'Apps', a new date) on a page whose main holds menus and a footer", "alert",
     ["August 8", "Apps"]),
    (1200, "a real rewrite of terms on a page with a pager under the document", "alert",
     ["August 13", "Inputs"]),
    (627, "labelled real: only the page's <title>, which its scripts put in the body, came and went", "quiet"),
    (565, "labelled real: only a language switcher ('Other language versions', a link to the document in Japanese) appeared", "quiet"),
    (557, "labelled real: only a language switcher ('Other language versions') went", "quiet"),
]

# Consecutive steps of ../shared/realworld/ota-genai-contrib-histories.tar.xz, for what no pair
# shows: (document, step, what it covers, verdict). The pair is step - 1 -> step.
PICKS_GENAI_HISTORY = [
    ("Fireworks AI/Terms of Service", 7,
     "labelled real: only an announcement bar inside the root, promoting a model, changed its words", "quiet"),
    ("Bardeen/Privacy Policy", 26,
     "the title beside the policy's block turned from an h2 into an h1, a testimonial slider turned", "quiet"),
]

# The page the two derived pairs are made from (the after page of pair 197).
DERIVED_FROM = 197


def with_params(href, params):
    """The href with `params` appended to its query."""
    parts = urllib.parse.urlsplit(href)
    query = parts.query + ("&" if parts.query else "") + params
    return urllib.parse.urlunsplit(parts._replace(query=query))


def add_to_links(page, params, only_first=None):
    """Appends params to every absolute http(s) link, or only to the first one after `only_first`."""

    def repl(m):
        return f'href="{with_params(m.group(1), params)}"'

    pattern = re.compile(r'href="(https?://[^"#]+)"')
    if only_first is None:
        return pattern.sub(repl, page)
    start = page.index(only_first)
    m = pattern.search(page, start)
    return page[: m.start()] + repl(m) + page[m.end():]


def moved_first(page, after):
    """The first absolute link after `after` with `/moved` added to its path."""
    m = re.compile(r'href="(https?://[^"#?]+)').search(page, page.index(after))
    return page[: m.end()] + "/moved" + page[m.end():]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default=os.path.join(root, "..", "shared", "realworld", "ota-demo-pairs.tar.xz"))
    ap.add_argument(
        "--genai", default=os.path.join(root, "..", "shared", "realworld", "ota-genai-contrib-pairs.tar.xz")
    )
    ap.add_argument(
        "--genai-histories",
        default=os.path.join(root, "..", "shared", "realworld", "ota-genai-contrib-histories.tar.xz"),
    )
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "realworld"))
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="pw-fixtures-")
    try:
        if os.path.isdir(args.pairs):
            data = args.pairs
        else:
            data = tmp
            with tarfile.open(args.pairs) as tar:
                tar.extractall(data, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(data)
        pairs = json.load(open(os.path.join(data, "pairs.json")))
        pages = os.path.join(data, "pages")
        out_pages = os.path.join(args.out, "pages")
        shutil.rmtree(out_pages, ignore_errors=True)
        os.makedirs(out_pages)

        def store(name, text):
            raw = text.encode("utf-8") if isinstance(text, str) else text
            with open(os.path.join(out_pages, name + ".gz"), "wb") as fh:
                # mtime 0: the same input gives the same bytes.
                with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
                    gz.write(raw)

        chosen = []

        def pick(pairs, pages, picks, collection):
            for index, covers, expect, *shows in picks:
                p = pairs[index]
                for f in (p["before"], p["after"]):
                    store(f, open(os.path.join(pages, f), "rb").read())
                chosen.append(
                    {
                        "collection": collection,
                        "index": index,
                        "document": p["document"],
                        "path": urllib.parse.urlsplit(p["url"]).path or "/",
                        "label": p["label"],
                        "expect": expect,
                        "covers": covers,
                        "before": p["before"] + ".gz",
                        "after": p["after"] + ".gz",
                        "snapshot_before": p["snapshot_before"],
                        "snapshot_after": p["snapshot_after"],
                    }
                )
                if shows:
                    chosen[-1]["shows"] = shows[0]

        pick(pairs, pages, PICKS, "demo")
        if os.path.isdir(args.genai):
            genai = args.genai
        else:
            genai = os.path.join(tmp, "genai")
            with tarfile.open(args.genai) as tar:
                tar.extractall(genai, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(genai)
        pick(
            json.load(open(os.path.join(genai, "pairs.json"))),
            os.path.join(genai, "pages"),
            PICKS_GENAI,
            "genai-contrib",
        )

        if os.path.isdir(args.genai_histories):
            hist = args.genai_histories
        else:
            hist = os.path.join(tmp, "genai-histories")
            with tarfile.open(args.genai_histories) as tar:
                tar.extractall(hist, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(hist)
        sequences = {d["document"]: d for d in json.load(open(os.path.join(hist, "sequences.json")))}
        for document, step, covers, expect in PICKS_GENAI_HISTORY:
            seq = sequences[document]
            before, after = seq["steps"][step - 1], seq["steps"][step]
            for st in (before, after):
                store(st["page"], open(os.path.join(hist, "pages", st["page"]), "rb").read())
            chosen.append(
                {
                    "collection": "genai-contrib-histories",
                    "index": None,
                    "step": step,
                    "document": document,
                    "path": urllib.parse.urlsplit(seq["url"]).path or "/",
                    "label": after["label"],
                    "expect": expect,
                    "covers": covers,
                    "before": before["page"] + ".gz",
                    "after": after["page"] + ".gz",
                    "date_before": before["date"],
                    "date_after": after["date"],
                }
            )

        # The redirect stub of pair 193 with its refresh written as a path: on the loopback
        # host, as at the site's own address, it sends the browser to the same path with a
        # trailing slash, the document's other address.
        stub_pair = pairs[193]
        stub = open(os.path.join(pages, stub_pair["before"]), encoding="utf-8").read()
        absolute = 'content="0; url=https://opentermsarchive.org/en/legal-notice/"'
        assert absolute in stub, "pair 193's before page is a refresh to the legal notice"
        stub_stem = stub_pair["before"].removesuffix(".html")
        store(f"{stub_stem}--same-path.html", stub.replace(absolute, 'content="0; url=/en/legal-notice/"'))
        chosen.append(
            {
                "collection": "demo",
                "index": None,
                "document": stub_pair["document"],
                "path": urllib.parse.urlsplit(stub_pair["url"]).path,
                "label": "noise",
                "expect": "before-fails",
                "covers": "derived: the before page is a stub whose refresh sends the browser to the same path with a "
                "trailing slash (pair 193 at the site's own address): the way to the document, not the document",
                "before": f"{stub_stem}--same-path.html.gz",
                "after": stub_pair["after"] + ".gz",
                "snapshot_before": stub_pair["snapshot_before"],
                "snapshot_after": stub_pair["snapshot_after"],
                "derived": True,
            }
        )

        src = pairs[DERIVED_FROM]
        page = open(os.path.join(pages, src["after"]), encoding="utf-8").read()
        stem = src["after"].removesuffix(".html")
        variants = {
            "tracking-a": add_to_links(page, "utm_source=newsletter&utm_medium=email&gclid=Cj0KCQ1"),
            "tracking-b": add_to_links(page, "utm_source=feed&fbclid=IwAR2x&_ga=2.1234.5678&mc_eid=9f1"),
            "param-changed": add_to_links(
                add_to_links(page, "utm_source=newsletter&utm_medium=email&gclid=Cj0KCQ1"),
                "lang=fr",
                only_first='class="textcontent"',
            ),
            "path-changed": moved_first(
                add_to_links(page, "utm_source=newsletter&utm_medium=email&gclid=Cj0KCQ1"),
                'class="textcontent"',
            ),
        }
        for name, text in variants.items():
            store(f"{stem}--{name}.html", text)
        common = {
            "collection": "demo",
            "document": src["document"],
            "path": urllib.parse.urlsplit(src["url"]).path,
            "snapshot_before": src["snapshot_after"],
            "snapshot_after": src["snapshot_after"],
            "derived": True,
        }
        chosen.append(
            dict(
                common,
                index=None,
                label="noise",
                expect="quiet",
                covers="derived: tracking parameters on every link differ (utm_*, gclid, fbclid, _ga, mc_eid)",
                before=f"{stem}--tracking-a.html.gz",
                after=f"{stem}--tracking-b.html.gz",
            )
        )
        chosen.append(
            dict(
                common,
                index=None,
                label="real",
                expect="quiet",
                covers="derived: a link in the document gains another parameter (lang=fr), its text the same: "
                "a target that differs only in its query is not a change",
                before=f"{stem}--tracking-a.html.gz",
                after=f"{stem}--param-changed.html.gz",
            )
        )
        chosen.append(
            dict(
                common,
                index=None,
                label="real",
                expect="alert",
                covers="derived: a link in the document points to another path; tracking parameters alike",
                before=f"{stem}--tracking-a.html.gz",
                after=f"{stem}--path-changed.html.gz",
            )
        )
        with open(os.path.join(args.out, "pairs.json"), "w") as fh:
            json.dump(chosen, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        total = sum(os.path.getsize(os.path.join(out_pages, f)) for f in os.listdir(out_pages))
        print(f"{len(chosen)} pairs, {len(os.listdir(out_pages))} pages, {total / 1e6:.2f} MB in {args.out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
