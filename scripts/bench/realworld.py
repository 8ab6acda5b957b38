#!/usr/bin/env python3
"""Replays real snapshot pairs through policy-watch and counts false alerts and caught changes.

For every pair of `pairs.json` (see ../shared/realworld/README.md): a fresh folder with a config
of one target that names only `id`, `name` and `url` (so every default applies), the URL being
the document's own path on a loopback server; `accept` with `before` served, then `diff` with
`after` served. `diff` exits 1 when it reports a change, 0 when not, 2 on trouble.

A false alert is a reported change on a `noise` pair; a caught change is a reported change on a
`real` pair. A page that fails (for example a redirect stub that extracts to nothing) reports no
change, as in a cron run, where one failed fetch is never announced: such pairs count as quiet and
are listed apart, as "before failed" (`accept` exited 1) or "after failed" (`diff` exited 2).
Only the Python standard library is used.
"""

import argparse
import collections
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


class Site:
    """A loopback HTTP server that serves, per path, the file chosen for it right now."""

    def __init__(self):
        self.files = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (the stdlib's name)
                path = urllib.parse.urlsplit(self.path).path
                f = site.files.get(path)
                if f is None:
                    body, status, ctype = b"not found", 404, "text/plain"
                else:
                    with open(f, "rb") as fh:
                        body = fh.read()
                    status, ctype = 200, "text/html; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def doc_path(url):
    """The path (and query) of the document's original URL, so relative links resolve as on the site."""
    parts = urllib.parse.urlsplit(url)
    return parts.path or "/"


def run_pair(i, pair, pages, binary, sites, work, timeout):
    site = sites.get()
    try:
        folder = os.path.join(work, f"pair{i:03d}")
        os.makedirs(folder, exist_ok=True)
        path = doc_path(pair["url"])
        url = f"http://127.0.0.1:{site.port}{path}"
        config = os.path.join(folder, "policy-watch.toml")
        with open(config, "w") as fh:
            fh.write('snapshot_dir = "snapshots"\n\n')
            fh.write("[[target]]\n")
            fh.write('id = "doc"\n')
            fh.write(f"name = {json.dumps(pair['document'])}\n")
            fh.write(f"url = {json.dumps(url)}\n")
        env = dict(os.environ, NO_COLOR="1", RUST_LOG="error")
        env.pop("SLACK_WEBHOOK_URL", None)
        env.pop("SLACK_BOT_TOKEN", None)

        def cli(*args):
            return subprocess.run(
                [binary, "--config", config, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
            )

        site.files = {path: os.path.join(pages, pair["before"])}
        accepted = cli("accept")
        site.files = {path: os.path.join(pages, pair["after"])}
        if accepted.returncode == 1:
            return i, "before-failed", accepted.stdout + accepted.stderr
        if accepted.returncode != 0:
            return i, "error", f"accept exited {accepted.returncode}: {accepted.stdout}{accepted.stderr}"
        diffed = cli("diff")
        out = diffed.stdout + diffed.stderr
        verdict = {0: "quiet", 1: "alert", 2: "after-failed"}.get(diffed.returncode, "error")
        return i, verdict, out
    except subprocess.TimeoutExpired:
        return i, "error", "timed out"
    finally:
        sites.put(site)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(root, "target", "release", "policy-watch"))
    ap.add_argument(
        "--pairs",
        default=os.path.join(root, "..", "shared", "realworld", "ota-demo-pairs.tar.xz"),
        help="the pairs archive (.tar.xz) or an unpacked folder holding pairs.json and pages/",
    )
    ap.add_argument("--jobs", type=int, default=2, help="pairs replayed at once (default 2)")
    ap.add_argument("--only", default="", help="replay only documents whose name contains this")
    ap.add_argument("--out", default="", help="write the diff output of every wrong pair to this folder")
    ap.add_argument("--json", default="", help="write every pair's verdict to this JSON file")
    ap.add_argument("--timeout", type=int, default=120, help="seconds allowed for one command")
    args = ap.parse_args()

    if not os.access(args.bin, os.X_OK):
        sys.exit(f"realworld: no policy-watch binary at {args.bin} (build it: cargo build --release)")

    tmp = tempfile.mkdtemp(prefix="pw-realworld-")
    try:
        if os.path.isdir(args.pairs):
            data = args.pairs
        else:
            data = os.path.join(tmp, "data")
            with tarfile.open(args.pairs) as tar:
                tar.extractall(data, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(data)
        with open(os.path.join(data, "pairs.json")) as fh:
            pairs = json.load(fh)
        pages = os.path.join(data, "pages")
        chosen = [(i, p) for i, p in enumerate(pairs) if args.only in p["document"]]

        import queue

        sites = queue.Queue()
        servers = [Site() for _ in range(max(1, args.jobs))]
        for s in servers:
            sites.put(s)
        work = os.path.join(tmp, "runs")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(run_pair, i, p, pages, args.bin, sites, work, args.timeout) for i, p in chosen
            ]
            results = {}
            for f in futures:
                i, verdict, out = f.result()
                results[i] = (verdict, out)
        elapsed = time.monotonic() - started
        for s in servers:
            s.close()

        report(pairs, chosen, results, elapsed, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(pairs, chosen, results, elapsed, args):
    per_doc = collections.OrderedDict()
    wrong = []
    errors = []
    failed = []
    for i, p in chosen:
        verdict, out = results[i]
        d = per_doc.setdefault(p["document"], collections.Counter())
        d[p["label"]] += 1
        if verdict == "error":
            errors.append((i, p, out))
            # Trouble is neither an alert nor silence; it counts as wrong for both labels.
            wrong.append((i, p, verdict))
            continue
        if verdict in ("before-failed", "after-failed"):
            failed.append((i, p, verdict))
        if verdict == "alert":
            d[p["label"] + "_alert"] += 1
        if (p["label"] == "noise") == (verdict == "alert"):
            wrong.append((i, p, verdict))

    tot = collections.Counter()
    for d in per_doc.values():
        tot.update(d)

    def pct(a, b):
        return f"{100.0 * a / b:5.1f}%" if b else "    -"

    print(f"{'document':48} {'noise alerted':>16} {'real caught':>14}")
    for doc, d in per_doc.items():
        n = f"{d['noise_alert']}/{d['noise']}" if d["noise"] else "-"
        r = f"{d['real_alert']}/{d['real']}" if d["real"] else "-"
        print(f"{doc:48} {n:>16} {r:>14}")
    print()
    print(
        f"overall: false alerts {tot['noise_alert']}/{tot['noise']} ({pct(tot['noise_alert'], tot['noise']).strip()}), "
        f"caught {tot['real_alert']}/{tot['real']} ({pct(tot['real_alert'], tot['real']).strip()}), "
        f"errors {len(errors)}; {len(chosen)} pairs in {elapsed:.1f} s"
    )
    if failed:
        print(f"pages that failed (no change reported, as in a cron run): {len(failed)}")
    print("target: false alerts <= 2%, caught >= 97%")
    if wrong:
        print()
        print("wrong pairs:")
        for i, p, verdict in wrong:
            what = {"alert": "false alert", "error": "error"}.get(verdict, "missed")
            print(f"  #{i:03d} {what:11} {p['label']:5} {p['document']}  {p['before']} -> {p['after']}")
    if failed:
        print()
        print("pairs with a page that failed:")
        for i, p, verdict in failed:
            print(f"  #{i:03d} {verdict:13} {p['label']:5} {p['document']}  {p['before']} -> {p['after']}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for i, p, verdict in wrong + failed:
            with open(os.path.join(args.out, f"pair{i:03d}.txt"), "w") as fh:
                fh.write(f"{p['label']} {verdict} {p['document']} {p['before']} -> {p['after']}\n\n")
                fh.write(results[i][1])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                [
                    {"index": i, "document": p["document"], "label": p["label"], "verdict": results[i][0],
                     "before": p["before"], "after": p["after"]}
                    for i, p in chosen
                ],
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
