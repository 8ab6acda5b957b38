#!/usr/bin/env python3
"""Replays real snapshot histories through `policy-watch check`, as a cron job would have met them.

`../shared/realworld/ota-demo-histories.tar.xz` holds, per document, its `url` and its last
snapshots in order (`sequences.json`: `steps`, each a `page` under `pages/`, a `date` and a
`label`: `baseline` for the first, then `noise` or `real`). For each document, in one fresh folder
kept across all its steps (so the alert state and the remembered versions carry over, as in the
cron job's commit): a config of one target with only `id`, `name` and `url` (every default
applies), the URL being the document's own path on a loopback server; then, for every step, that
step's file is served and `policy-watch --config X check` runs with no Slack variable set, so the
report goes to stdout.

The step counts as an alert when the target's headline (`<name> — <headline>`, see
`TargetReport::headline` in src/report/mod.rs) says `changed`, `back to an earlier version` or
`moved`. `unchanged` (a quiet flip back to a remembered version included: "shows the version
first seen … again"), `now watching`, `fetch failed`/`unreachable` are not. Findings alone
(`new findings`, `findings resolved`) are counted apart, as they are not content alerts.

Printed: per document and overall, alerts on noise steps, alerts on real steps, real steps caught,
and the alerts a reviewer reads per real change caught; quiet flips, failed fetches and
findings-only notices apart. `--out DIR` writes the stdout of every wrong step (alerted noise,
missed real) and of every failed one, to read. Only the Python standard library is used.

Usage: scripts/bench/realworld --histories [--archive FILE.tar.xz|DIR] [--jobs 2] [--only TEXT]
                                           [--out DIR] [--json FILE] [--bin PATH]
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # no __pycache__ left in the repo by the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realworld import Site, doc_path  # noqa: E402 (the pairs harness's loopback server)

ALERT_WORDS = ("changed", "back to an earlier version", "moved")
FINDING_WORDS = ("new findings", "findings resolved")
FAIL_WORDS = ("fetch failed", "unreachable", "snapshot damaged")


def headline(stdout, name):
    """The headline of the target's report (what follows `<name> — `), or None."""
    prefix = f"{name} — "
    for line in stdout.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def classify(head, stdout):
    """alert | quiet-flip | unchanged | watching | failed | findings | unknown."""
    if head is None:
        return "unknown"
    parts = [p.strip() for p in head.split(",")]
    if any(p in ALERT_WORDS for p in parts):
        return "alert"
    if any(p in FAIL_WORDS for p in parts):
        return "failed"
    if "now watching" in parts:
        return "watching"
    if any(p in FINDING_WORDS for p in parts):
        return "findings"
    if "shows the version first seen on" in stdout:
        return "quiet-flip"
    return "unchanged"


def run_document(doc, pages, binary, work, timeout, http_timeout):
    site = Site()
    try:
        safe = "".join(c if c.isalnum() else "_" for c in doc["document"])
        folder = os.path.join(work, safe)
        os.makedirs(folder, exist_ok=True)
        path = doc_path(doc["url"])
        url = f"http://127.0.0.1:{site.port}{path}"
        config = os.path.join(folder, "policy-watch.toml")
        with open(config, "w") as fh:
            fh.write('snapshot_dir = "snapshots"\n\n')
            fh.write("[http]\n")
            fh.write("retries = 0\n")
            fh.write(f"timeout_secs = {http_timeout}\n")
            fh.write("backoff_ms = 0\n\n")
            fh.write("[[target]]\n")
            fh.write('id = "doc"\n')
            fh.write(f"name = {json.dumps(doc['document'])}\n")
            fh.write(f"url = {json.dumps(url)}\n")
        env = dict(os.environ, NO_COLOR="1", RUST_LOG="error")
        for k in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SLACK_API_URL"):
            env.pop(k, None)
        steps = []
        for n, step in enumerate(doc["steps"]):
            # The same file for every request of this step: `check` confirms a change by a
            # second fetch, which sees what a cron job's second fetch a moment later would.
            site.files = {path: os.path.join(pages, step["page"])}
            try:
                r = subprocess.run(
                    [binary, "--config", config, "check"],
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    env=env,
                )
                out, code = r.stdout, r.returncode
                head = headline(out, doc["document"])
                verdict = classify(head, out)
                if code not in (0, 1):
                    verdict = "error"
                err = r.stderr
            except subprocess.TimeoutExpired:
                out, code, head, verdict, err = "", -1, None, "error", "timed out"
            steps.append(
                {
                    "step": n,
                    "page": step["page"],
                    "date": step["date"],
                    "label": step["label"],
                    "exit": code,
                    "headline": head,
                    "verdict": verdict,
                    "stdout": out,
                    "stderr": err,
                }
            )
        return doc["document"], steps
    finally:
        site.close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(root, "target", "release", "policy-watch"))
    ap.add_argument(
        "--archive",
        default=os.path.join(root, "..", "shared", "realworld", "ota-demo-histories.tar.xz"),
        help="the histories archive (.tar.xz) or an unpacked folder holding sequences.json and pages/",
    )
    ap.add_argument("--jobs", type=int, default=2, help="documents replayed at once (default 2)")
    ap.add_argument("--only", default="", help="replay only documents whose name contains this")
    ap.add_argument("--out", default="", help="write the check output of every wrong step to this folder")
    ap.add_argument("--json", default="", help="write every step's verdict to this JSON file")
    ap.add_argument("--timeout", type=int, default=120, help="seconds allowed for one command")
    ap.add_argument("--http-timeout", type=int, default=10, help="[http] timeout_secs in the config")
    args = ap.parse_args()

    if not os.access(args.bin, os.X_OK):
        sys.exit(f"realworld_histories: no policy-watch binary at {args.bin} (build it: cargo build --release)")

    tmp = tempfile.mkdtemp(prefix="pw-histories-")
    try:
        if os.path.isdir(args.archive):
            data = args.archive
        else:
            data = os.path.join(tmp, "data")
            with tarfile.open(args.archive) as tar:
                tar.extractall(data, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(data)
        with open(os.path.join(data, "sequences.json")) as fh:
            docs = json.load(fh)
        pages = os.path.join(data, "pages")
        chosen = [d for d in docs if args.only in d["document"]]
        work = os.path.join(tmp, "runs")
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(run_document, d, pages, args.bin, work, args.timeout, args.http_timeout)
                for d in chosen
            ]
            results = collections.OrderedDict(f.result() for f in futures)
        elapsed = time.monotonic() - started
        report(results, elapsed, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(results, elapsed, args):
    tot = collections.Counter()
    rows = []
    wrong = []
    failed = []
    for doc, steps in results.items():
        c = collections.Counter()
        for s in steps:
            c[s["label"]] += 1
            c["v_" + s["verdict"]] += 1
            if s["verdict"] == "alert":
                c["alerts"] += 1
                c[s["label"] + "_alert"] += 1
            if s["label"] == "noise" and s["verdict"] == "alert":
                wrong.append((doc, s, "false alert"))
            if s["label"] == "real" and s["verdict"] != "alert":
                wrong.append((doc, s, "missed"))
            if s["label"] == "baseline" and s["verdict"] not in ("watching",):
                wrong.append((doc, s, "baseline " + s["verdict"]))
            if s["verdict"] in ("error", "unknown"):
                wrong.append((doc, s, s["verdict"]))
            if s["verdict"] == "failed":
                failed.append((doc, s))
            parts = [p.strip() for p in (s["headline"] or "").split(",")]
            if "unreachable" in parts:
                c["unreachable"] += 1
        tot.update(c)
        rows.append((doc, c))

    def per_real(c):
        return f"{c['alerts'] / c['real_alert']:.1f}" if c["real_alert"] else ("-" if not c["alerts"] else "∞")

    print(
        f"{'document':44} {'noise alerted':>13} {'real caught':>11} {'alerts':>6} "
        f"{'flips':>5} {'failed':>6} {'findings':>8}"
    )
    for doc, c in rows:
        n = f"{c['noise_alert']}/{c['noise']}"
        r = f"{c['real_alert']}/{c['real']}" if c["real"] else "-"
        print(
            f"{doc:44} {n:>13} {r:>11} {c['alerts']:>6} {c['v_quiet-flip']:>5} "
            f"{c['v_failed']:>6} {c['v_findings']:>8}"
        )
    print()
    steps = tot["noise"] + tot["real"]
    print(
        f"overall: {tot['alerts']} alerts on {steps} steps after the baselines: "
        f"{tot['noise_alert']} on {tot['noise']} noise steps, {tot['real_alert']} on {tot['real']} real steps "
        f"(real changes caught {tot['real_alert']}/{tot['real']}); "
        f"alerts read per real change caught: {per_real(tot)}"
    )
    print(
        f"quiet flips to a remembered version {tot['v_quiet-flip']}, failed fetches {tot['v_failed']} "
        f"(of which announced as unreachable: {tot['unreachable']}), "
        f"findings-only notices {tot['v_findings']}, errors {tot['v_error'] + tot['v_unknown']}; "
        f"{len(results)} documents in {elapsed:.1f} s"
    )
    if wrong:
        print()
        print("wrong steps:")
        for doc, s, what in wrong:
            print(f"  {doc:44} step {s['step']:2} {what:12} {s['label']:8} {s['page']}  [{s['headline']}]")
    if failed:
        print()
        print("steps whose page failed (never an alert; an `unreachable` notice once the failures persist):")
        for doc, s in failed:
            print(f"  {doc:44} step {s['step']:2} {s['label']:8} {s['page']}  [{s['headline']}]")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        for doc, s, what in wrong + [(doc, s, "failed") for doc, s in failed]:
            safe = "".join(ch if ch.isalnum() else "_" for ch in doc)
            with open(os.path.join(args.out, f"{safe}__step{s['step']:02d}.txt"), "w") as fh:
                fh.write(f"{s['label']} {what} {doc} step {s['step']} {s['page']} exit {s['exit']}\n\n")
                fh.write(s["stdout"])
                if s["stderr"]:
                    fh.write("\n--- stderr ---\n" + s["stderr"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {doc: [{k: v for k, v in s.items() if k not in ("stdout", "stderr")} for s in steps]
                 for doc, steps in results.items()},
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
