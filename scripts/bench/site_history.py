#!/usr/bin/env python3
"""Times `policy-watch site` on a synthetic snapshot history (a measurement, not a test).

Builds a git repository with TARGETS targets × VERSIONS versions of their snapshot Markdown
(by `git fast-import`, in seconds), with a heartbeat commit and an alert-state-only commit
every ten versions, then runs `policy-watch site` on it a few times and prints the wall time.

    scripts/bench/site_history.py                       # 50 targets × 200 versions
    scripts/bench/site_history.py --targets 5 --versions 20 --blocks 600
    BIN=target/release/policy-watch scripts/bench/site_history.py

Each version changes a few words in one to three paragraphs of its target, sometimes adds or
removes a paragraph, and now and then changes a link target.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

WORDS = (
    "we process personal data such as your name e-mail address phone number and usage data "
    "for the purposes of providing the service analytics marketing and security retention "
    "period months years controller processor legal basis legitimate interest consent "
    "contract recipients third countries safeguards rights access rectification erasure"
).split()


def paragraph(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--versions", type=int, default=200)
    ap.add_argument("--blocks", type=int, default=120, help="blocks per policy")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the repository and print its path")
    args = ap.parse_args()
    binary = os.environ.get("BIN", "target/release/policy-watch")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: cargo build --release first, or set BIN")
    binary = os.path.abspath(binary)
    rng = random.Random(19)
    work = tempfile.mkdtemp(prefix="site-bench-")
    repo = os.path.join(work, "repo")
    subprocess.run(["git", "init", "-q", repo], check=True)

    ids = [f"policy-{i:03d}" for i in range(args.targets)]
    docs = {}
    for t in ids:
        blocks = []
        for b in range(args.blocks):
            if b % 12 == 0:
                blocks.append(f"## Section {b // 12 + 1}")
            elif b % 7 == 0:
                blocks.append(f"See [our processors](https://{t}.example/processors/{b}) for details.")
            else:
                blocks.append(paragraph(rng, rng.randint(15, 45)))
        docs[t] = blocks

    out = []
    mark = 0
    when = 1_700_000_000

    def commit(files, message):
        nonlocal mark, when
        mark += 1
        when += 3600
        out.append("commit refs/heads/main\n")
        out.append(f"mark :{mark}\n")
        out.append(f"author bench <bench@example.invalid> {when} +0000\n")
        out.append(f"committer bench <bench@example.invalid> {when} +0000\n")
        msg = message.encode()
        out.append(f"data {len(msg)}\n{message}\n")
        if mark > 1:
            out.append(f"from :{mark - 1}\n")
        for path, text in files:
            data = text.encode()
            out.append(f"M 100644 inline snapshots/{path}\ndata {len(data)}\n")
            out.append(text)
            out.append("\n")

    commit([(f"{t}.md", "\n\n".join(docs[t]) + "\n") for t in ids] + [("README.md", "# Snapshots\n")], "baseline")
    for v in range(1, args.versions):
        files = []
        for t in ids:
            blocks = docs[t]
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(blocks))
                if blocks[i].startswith("## "):
                    continue
                if blocks[i].startswith("See ["):
                    blocks[i] = blocks[i].replace("/processors/", f"/processors/v{v}/", 1)
                    continue
                words = blocks[i].split()
                words[rng.randrange(len(words))] = rng.choice(WORDS)
                blocks[i] = " ".join(words)
            if rng.random() < 0.1:
                blocks.insert(rng.randrange(len(blocks)), paragraph(rng, 20))
            files.append((f"{t}.md", "\n\n".join(blocks) + "\n"))
        commit(files, f"snapshots: changed {v}")
        if v % 10 == 0:
            commit([(".heartbeat", f"{v}\n")], "snapshots: heartbeat")
            commit([("state.json", '{"targets": {}, "v": %d}\n' % v)], "snapshots: alert state updated")

    started = time.time()
    stream = "".join(out).encode()
    subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", repo, "checkout", "-q", "main"], check=True)
    with open(os.path.join(repo, "policy-watch.toml"), "w") as f:
        for t in ids:
            f.write(f'[[target]]\nid = "{t}"\nname = "{t} privacy policy"\nurl = "https://{t}.example/privacy"\n\n')
    print(f"history: {args.targets} targets x {args.versions} versions, "
          f"{len(stream) / 1e6:.0f} MB of Markdown, imported in {time.time() - started:.1f} s")

    times = []
    for _ in range(args.runs):
        site = os.path.join(work, "site")
        shutil.rmtree(site, ignore_errors=True)
        t0 = time.time()
        r = subprocess.run([binary, "site", "--out", site], cwd=repo, capture_output=True, text=True)
        times.append(time.time() - t0)
        if r.returncode != 0:
            sys.exit(f"site failed: {r.stderr}")
    print(r.stdout.strip())
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(site) for f in fs)
    print(f"site: {size / 1e6:.0f} MB; wall time over {args.runs} runs: "
          f"min {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s, max {max(times):.2f} s")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
