#!/usr/bin/env python3
"""Sorts the real pairs policy-watch stays quiet on: which of them are misses a reader would see.

A pair labelled `real` (Open Terms Archive recorded a new version) that policy-watch does not alert
on is one of:

  a  the visible text of the page's body is the same before and after, once whitespace is
     folded (an image, an attribute, markup or spacing changed): not a miss;
  b  the body's text changed, but not inside Open Terms Archive's own selectors for the document
     (menus, banners, footers, consent layers around it): not a miss;
  c  the text inside Open Terms Archive's selectors changed: a candidate miss, to be read (the
     selector may hold chrome too, or the change may be an icon's or a date's that reads the same);
  d  one of the pages failed to extract (not a document, shrunk, a different page): no verdict.

Class a is computed here from the raw pages (Python standard library only: html.parser); classes
b, c and d come from the one-process replay's output:

  cargo run --release --example realworld_extract -- DIR --at-home --json V.json --out WRONG/
  scripts/bench/realworld_misses.py DIR V.json WRONG/ [--diff N]
  scripts/bench/realworld_misses.py --histories HISTDIR H.json   (H.json: the replay's --json of HISTDIR)

`V.json` gives each pair's verdict; `WRONG/pairNNNN.txt` holds, for each real pair not alerted,
what changed inside Open Terms Archive's selectors. Prints one line per pair (index, class, the
document, the first changed words of the body) and the count per class. `--diff N` prints up to
N changed lines of the body per pair.
"""

import difflib
import html.parser
import json
import os
import re
import sys
import unicodedata

# Elements whose content is not shown as text.
HIDDEN = {"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
         "section", "article", "header", "footer", "nav", "main", "aside", "br", "table", "dt",
         "dd", "blockquote", "pre", "form", "details", "summary", "figure", "figcaption", "hr"}


# Class names that frameworks give text meant for screen readers only ("(opens in a new tab)").
SCREEN_READER_ONLY = re.compile(r"(^|[\s_-])(sr-only|visually-hidden|screen-reader-text|visuallyhidden)($|[\s_-])")


def hidden_by_attrs(attrs):
    """An element the browser does not show: `hidden`, `aria-hidden`, `display:none`, or text
    for screen readers only."""
    d = dict(attrs)
    if "hidden" in d or d.get("aria-hidden") == "true":
        return True
    if SCREEN_READER_ONLY.search(d.get("class") or ""):
        return True
    style = (d.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class Visible(html.parser.HTMLParser):
    """The text of `<body>` a reader sees, one line per block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = None  # (tag, depth) of the hidden element we are inside
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
        if self.skip is not None:
            if tag == self.skip[0] and tag not in VOID:
                self.skip = (tag, self.skip[1] + 1)
            return
        if tag in VOID:
            if tag in BLOCK:
                self.out.append("\n")
            return
        if tag in HIDDEN or hidden_by_attrs(attrs):
            self.skip = (tag, 1)
            return
        encoded = dict(attrs).get("data-cfemail")
        if encoded:
            # An address the page's script decodes in the browser: the reader sees the address.
            self.out.append(cf_decode(encoded))
            self.skip = (tag, 1)
            return
        if tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if self.skip is not None:
            if tag == self.skip[0]:
                depth = self.skip[1] - 1
                self.skip = None if depth == 0 else (tag, depth)
            return
        if tag in BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if self.skip is None and self.in_body:
            self.out.append(data)

    def lines(self):
        # Invisible characters (word joiners, soft hyphens, zero-width spaces) are not seen.
        text = "".join(c for c in "".join(self.out) if unicodedata.category(c) != "Cf")
        return [l for l in (" ".join(x.split()) for x in text.split("\n")) if l]


def cf_decode(hexed):
    """The address behind `data-cfemail`: the first byte is the key XORed into the others."""
    try:
        b = bytes.fromhex(hexed)
        return bytes(x ^ b[0] for x in b[1:]).decode("utf-8", "replace")
    except ValueError:
        return ""


def visible_lines(path):
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8", "replace")
    p = Visible()
    try:
        p.feed(raw)
        p.close()
    except Exception:  # a malformed page: what was read so far
        pass
    return p.lines()


def ota_view(wrong_dir, index):
    """What the replay saw inside Open Terms Archive's selectors for this pair, if it wrote it."""
    path = os.path.join(wrong_dir, f"pair{index:04}.txt")
    if not os.path.exists(path):
        return None, None
    text = open(path, encoding="utf-8").read()
    m = re.search(r"--- with Open Terms Archive's selectors: (.*)", text)
    return (m.group(1).strip() if m else None), text


def histories(folder, verdicts_file):
    """`--histories`: each real step of `sequences.json`, against the step before it: whether the
    body's visible text changed, and whether the replay alerted on it."""
    seqs = json.load(open(os.path.join(folder, "sequences.json")))
    verdicts = {(v["document"], v["step"]): v["verdict"] for v in json.load(open(verdicts_file))}
    counts = {}
    for s in seqs:
        steps = s["steps"]
        for n, step in enumerate(steps):
            if step["label"] != "real" or n == 0:
                continue
            verdict = verdicts.get((s["document"], n), "?")
            before = visible_lines(os.path.join(folder, "pages", steps[n - 1]["page"]))
            after = visible_lines(os.path.join(folder, "pages", step["page"]))
            same = " ".join(before) == " ".join(after)
            key = ("alerted" if verdict == "alert" else verdict) + (
                ", same visible text" if same else ", text changed")
            counts[key] = counts.get(key, 0) + 1
            print(f"{s['document'][:60]:60} step {n:3} {key}")
    print("\nreal steps:", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


def main():
    args = sys.argv[1:]
    if args[:1] == ["--histories"] and len(args) == 3:
        return histories(args[1], args[2])
    show = 0
    if "--diff" in args:
        i = args.index("--diff")
        show = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    folder, verdicts_file, wrong_dir = args
    pairs = json.load(open(os.path.join(folder, "pairs.json")))
    verdicts = {v["index"]: v["verdict"] for v in json.load(open(verdicts_file))}
    counts = {}
    for i, p in enumerate(pairs):
        if p["label"] != "real" or verdicts.get(i) in (None, "alert"):
            continue
        verdict = verdicts[i]
        before = visible_lines(os.path.join(folder, "pages", p["before"]))
        after = visible_lines(os.path.join(folder, "pages", p["after"]))
        changed = [l for l in difflib.unified_diff(before, after, lineterm="", n=0)
                   if l[:1] in "+-" and not l.startswith(("+++", "---"))]
        if verdict.endswith("failed"):
            cls, why = "d", verdict
        elif " ".join(before) == " ".join(after):
            cls, why = "a", "same visible text"
        else:
            what, _ = ota_view(wrong_dir, i)
            if what in ("same", "links or images only"):
                cls, why = "b", f"inside OTA's selectors: {what}"
            elif what == "text changed":
                cls, why = "c", "text changed inside OTA's selectors"
            else:
                cls, why = "c?", f"OTA's view: {what}"
        counts[cls] = counts.get(cls, 0) + 1
        first = changed[0][:100] if changed else ""
        print(f"#{i:04} {cls:2} {p['document'][:60]:60} {why}  | {first}")
        for l in changed[:show]:
            print(f"        {l[:160]}")
    print("\nper class:", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
