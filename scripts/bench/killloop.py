#!/usr/bin/env python3
"""Kill loop: `check` killed with SIGKILL at random moments, then a clean run; counts the alerts
lost and repeated, and checks that the snapshot folder is never left damaged (stdlib only).

    scripts/bench/killloop.py [--bin target/release/policy-watch] [--rounds 150] [--targets 24]
                              [--seed 1] [--bot-every 4] [--faults 0.05] [--keep]

A measurement, not a test: nothing here runs in `cargo test`. Build the binary first
(`cargo build --release`). Everything runs on 127.0.0.1: one local server serves the pages and
plays Slack (incoming webhooks and the Web API's chat.postMessage), recording every post.

The targets (ids t00, t01, …) are split three ways, as a config with per-target routes is:
  - W (--webhooks, default half): each its own webhook (`slack_webhook_env`);
  - C (--channels, default 3/4 of the rest): each its own channel (`slack_channel`, bot token:
    a summary and the diff in its thread);
  - D: no route of their own: the run's default way out.
A round uses one of two ways out: "stdout" (no Slack default: C and D print their reports,
which are then the alert) or, every --bot-every rounds, "bot" (SLACK_BOT_TOKEN +
SLACK_CHANNEL: D posts to the default channel). Slack's pace (about a message a second)
makes every post cost a second of wall time: fewer routed targets make a faster loop.

Each round changes the page of a random subset of the targets (a new revision token in the
text), then runs `check` and kills it (SIGKILL): at a random moment of a run's length, or a
random few milliseconds after the k-th Slack post of the run (so that kills land inside
delivery and commit). Sometimes it kills two or three runs in a row, and sometimes the pages
change again between two of them. In killed runs a page request fails (503) with probability
--faults, so that a confirming fetch fails now and then. Then a clean run, which must exit 0.

Counted, per target and revision, from what the server recorded and what the runs printed:
  - lost: the last revision of a round that no run delivered, or a revision that a later alert
    diffs against (it was stored) although no run delivered it;
  - repeated: a revision delivered by more than one message (a webhook post, a bot summary, a
    printed report), each attributed to the kill that left it in flight; a kill that leaves
    more than one alert repeated, or a repeat not preceded by a kill, is flagged;
  - damaged: a clean run that fails (exit ≠ 0), says "damaged" or "not used", leaves a
    journal, a temporary or a stray file behind, or stores a page other than the one served.
At the end one more run with nothing changed must post nothing and leave every file
byte-identical.
"""

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = re.compile(r"rev(\d+)x(t\d+)q")
FILLER = (
    "We process the personal data you give us to provide the service, to answer your "
    "questions and to keep our systems secure. We keep it only as long as the purpose needs it, "
    "and you can ask us at any time what we hold about you, have it corrected or deleted."
)


class World:
    """What the server serves and what it recorded, shared with the server's threads."""

    def __init__(self, ids, seed):
        self.lock = threading.Lock()
        self.rev = {i: 0 for i in ids}
        self.faults = 0.0
        self.rng = random.Random(seed ^ 0x5EED)
        self.posts = []  # (run, kind, route, body) in the order received
        self.run = None
        self.posted = threading.Condition(self.lock)
        self.ts = 1_700_000_000_000_000

    def page(self, tid):
        rev = self.rev[tid]
        paras = "".join(f"<p>{FILLER} (Section {k} of {tid}.)</p>" for k in range(1, 9))
        return (
            f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Policy of {tid}</title></head>"
            f"<body><main><h1>Privacy policy of {tid}</h1>"
            f"<p>This is revision rev{rev}x{tid}q of the policy, which says how we collect and keep your data.</p>"
            f"{paras}<h2>Processors</h2><p>Our processors are listed on the vendors page; each signed "
            f"a data processing agreement.</p></main></body></html>"
        ).encode()


def make_handler(world):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, ctype):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            m = re.fullmatch(r"/p/(t\d+)", self.path)
            if not m or m.group(1) not in world.rev:
                return self.answer(404, b"not found\n", "text/plain")
            with world.lock:
                fail = world.rng.random() < world.faults
                body = world.page(m.group(1))
            if fail:
                return self.answer(503, b"busy\n", "text/plain")
            self.answer(200, body, "text/html; charset=utf-8")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"unparsed": raw.decode("utf-8", "replace")}
            with world.lock:
                if self.path.startswith("/hook/"):
                    kind, route, reply = "hook", self.path[len("/hook/"):], None
                elif self.path == "/api/chat.postMessage":
                    world.ts += 1
                    ts = f"{world.ts // 1_000_000}.{world.ts % 1_000_000:06d}"
                    kind, route = "bot", body.get("channel", "?")
                    body = dict(body, _ts=ts)
                    reply = {"ok": True, "channel": route, "ts": ts, "message": {"ts": ts, "type": "message", "text": ""}}
                else:
                    kind, route, reply = "other", self.path, None
                world.posts.append((world.run, kind, route, body))
                world.posted.notify_all()
                pause = world.rng.random() * 0.02
            time.sleep(pause)  # Slack takes a moment to answer
            if reply is None:
                self.answer(200, b"ok", "text/html")
            else:
                self.answer(200, json.dumps(reply).encode(), "application/json; charset=utf-8")

    return Handler


def tokens(text):
    """{target id: set of revisions} named in `text`."""
    out = collections.defaultdict(set)
    for rev, tid in TOKEN.findall(text):
        out[tid].add(int(rev))
    return out


class Loop:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.ids = [f"t{i:02d}" for i in range(a.targets)]
        n = len(self.ids)
        self.group = {}
        hooks = n // 2 if a.webhooks is None else min(a.webhooks, n)
        channels = (n - hooks) * 3 // 4 if a.channels is None else min(a.channels, n - hooks)
        for k, tid in enumerate(self.ids):
            self.group[tid] = "W" if k < hooks else ("C" if k < hooks + channels else "D")
        self.world = World(self.ids, a.seed)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.world))
        self.server.daemon_threads = True
        # A killed run hangs up on the answer it was waiting for: nothing to report.
        self.server.handle_error = lambda request, address: None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.dir = tempfile.mkdtemp(prefix="killloop-")
        self.snapshots = os.path.join(self.dir, "snapshots")
        with open(os.path.join(self.dir, "policy-watch.toml"), "w") as f:
            f.write('snapshot_dir = "snapshots"\n\n[http]\ntimeout_secs = 5\nretries = 1\nbackoff_ms = 20\n\n')
            for tid in self.ids:
                f.write(f'[[target]]\nid = "{tid}"\nname = "{tid} policy"\nurl = "{self.base}/p/{tid}"\n')
                if self.group[tid] == "W":
                    f.write(f'slack_webhook_env = "KILLLOOP_HOOK_{tid.upper()}"\n')
                elif self.group[tid] == "C":
                    f.write(f'slack_channel = "C{tid.upper()}"\n')
                f.write("\n")
        self.runs = 0
        self.log = []  # the runs of the round in hand, for a round that went wrong
        self.span = {"stdout": 1.0, "bot": 5.0}  # a clean run's length, measured as the loop goes
        # Figures.
        self.kills = 0
        self.kills_in_delivery = 0
        self.alerts = 0
        self.lost = []
        self.repeats = []
        self.unexplained = []
        self.damaged = []
        self.other_messages = 0
        self.thread_replies_repeated = 0
        self.repeat_kinds = collections.Counter()  # "hook", "bot" (a summary), "printed"

    # --- running the binary -------------------------------------------------------------

    def env(self, way):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITHUB_"))}
        env.update(NO_COLOR="1", RUST_LOG="error")
        for tid in self.ids:
            env[f"KILLLOOP_HOOK_{tid.upper()}"] = f"{self.base}/hook/{tid}"
        if way == "bot":
            env.update(SLACK_BOT_TOKEN="xoxb-000-000-killloop", SLACK_CHANNEL="CDEFAULT", SLACK_API_URL=f"{self.base}/api")
        return env

    def check(self, way, kill=None):
        """Runs `check`; `kill` is ("timer", seconds) or ("post", k, seconds). Returns
        (run label, exit code or None when killed, stdout, stderr, killed during delivery)."""
        self.runs += 1
        label = self.runs
        with self.world.lock:
            self.world.run = label
            start_posts = len(self.world.posts)
        started = time.monotonic()
        p = subprocess.Popen(
            [self.a.bin, "check"], cwd=self.dir, env=self.env(way),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, err = [], []
        readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
                   for s, b in ((p.stdout, out), (p.stderr, err))]
        for r in readers:
            r.start()
        killed = in_delivery = False
        if kill is not None:
            if kill[0] == "timer":
                deadline = started + kill[1]
                while p.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.001)
            else:
                _, k, after = kill
                with self.world.lock:
                    while p.poll() is None and len(self.world.posts) - start_posts < k:
                        self.world.posted.wait(0.01)
                if p.poll() is None:
                    in_delivery = True
                    time.sleep(after)
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                killed = True
        code = p.wait()
        for r in readers:
            r.join()
        if killed:
            # A request the killed run had sent may still wait to be read: let the server
            # record it under this run before the next one starts.
            time.sleep(0.15)
        self.log.append(f"run {label} ({way}): kill {kill}, {'killed' if killed else f'exit {code}'}"
                        + (f", stderr: {err[0].decode('utf-8', 'replace').strip()[:1500]}" if err[0].strip() else ""))
        if not killed and kill is None:
            self.span[way] = 0.7 * self.span[way] + 0.3 * (time.monotonic() - started)
        return label, (None if killed else code), out[0].decode("utf-8", "replace"), err[0].decode("utf-8", "replace"), killed and in_delivery

    # --- one round ----------------------------------------------------------------------

    def change(self, share):
        changed = [t for t in self.ids if self.rng.random() < share]
        with self.world.lock:
            for t in changed:
                self.world.rev[t] = self.round_rev(t)
        return changed

    def round_rev(self, tid):
        self.serial += 1
        return self.serial

    def delivered(self, way, runs, printed):
        """The alerts delivered in `runs`, in order: (run, target, revisions named, kind, key)."""
        out = []
        with self.world.lock:
            posts = [p for p in self.world.posts if p[0] in runs]
        threads = {}
        for run, kind, route, body in posts:
            text = json.dumps(body, ensure_ascii=False)
            if kind == "bot" and body.get("thread_ts"):
                threads.setdefault(body["thread_ts"], []).append((run, text))
                continue
            tid = route if kind == "hook" else None
            if kind == "bot":
                tid = route[1:].lower() if route != "CDEFAULT" else None
            out.append([run, tid, text, kind, body.get("_ts")])
        # A bot summary carries what its thread carries, and the replies name its target.
        for msg in out:
            if msg[3] == "bot":
                replies = threads.pop(msg[4], [])
                msg[2] += "".join(t for _, t in replies)
                seen = collections.Counter(t for _, t in replies)
                self.thread_replies_repeated += sum(c - 1 for c in seen.values())
        for ts, replies in threads.items():
            # A thread finished under a summary of an earlier run.
            for run, text in replies:
                out.append([run, None, text, "reply", ts])
        result = []
        for run, tid, text, kind, _ in out:
            named = tokens(text)
            if tid is None:
                tid = next(iter(named), None) if len(named) == 1 else None
            if tid is None or tid not in named:
                self.other_messages += 1
                continue
            result.append((run, tid, named[tid], kind))
        if way == "stdout":
            printing = {t for t in self.ids if self.group[t] in "CD"}
            for run, text in printed:
                for tid, revs in tokens(text).items():
                    if tid in printing:
                        result.append((run, tid, revs, "printed"))
        result.sort(key=lambda r: r[0])
        return result

    def round(self, n):
        a = self.a
        way = "bot" if a.bot_every and n % a.bot_every == a.bot_every - 1 else "stdout"
        before = dict(self.world.rev)
        self.log = []
        problems = len(self.lost) + len(self.unexplained) + len(self.damaged)
        changed = set(self.change(self.rng.uniform(0.4, 1.0)))
        runs, printed, killed_runs, delivery_kills = [], [], set(), set()
        for k in range(self.rng.choice([1, 1, 1, 2, 3])):
            if k and self.rng.random() < 0.3:
                changed |= set(self.change(0.3))
            self.world.faults = a.faults
            if way == "bot" or self.rng.random() < 0.5:
                expected = max(1, len([t for t in changed if way == "bot" or self.group[t] == "W"]))
                kill = ("post", self.rng.randint(1, expected + 1), self.rng.random() * 0.03)
            else:
                kill = ("timer", self.rng.random() * self.span[way] * 1.1)
            label, code, out, err, in_delivery = self.check(way, kill)
            self.world.faults = 0.0
            runs.append(label)
            printed.append((label, out))
            if code is None:
                self.kills += 1
                killed_runs.add(label)
                if in_delivery:
                    self.kills_in_delivery += 1
                    delivery_kills.add(label)
        label, code, out, err, _ = self.check(way)
        runs.append(label)
        printed.append((label, out))
        self.verify_clean(n, code, out, err)

        # What was delivered, per target and revision.
        msgs = self.delivered(way, set(runs), printed)
        count = collections.Counter()
        first_run = {}
        kinds = {}
        seen = {t: {before[t]} for t in self.ids}
        for run, tid, revs, kind in msgs:
            new = max(revs)
            if new == before[tid] and len(revs) == 1 and kind != "printed":
                continue  # a message about an unchanged page (a finding, an outage)
            if kind == "printed" and new == before[tid]:
                continue  # the unchanged report of a target
            old = min(revs)
            if old != new and old not in seen[tid]:
                self.lost.append(f"round {n}: {tid} rev {old} was stored without being delivered (run {run} diffs against it)")
            seen[tid].add(new)
            count[(tid, new)] += 1
            kinds.setdefault((tid, new), []).append(kind)
            first_run.setdefault((tid, new), run)
        for tid in changed:
            final = self.world.rev[tid]
            self.alerts += 1
            if count[(tid, final)] == 0:
                self.lost.append(f"round {n}: {tid} rev {final} was never delivered")
        # Revisions delivered by a killed run but superseded before the clean run count too.
        self.alerts += sum(1 for (tid, rev) in count if rev != self.world.rev[tid])
        per_kill = collections.Counter()
        for (tid, rev), c in count.items():
            if c > 1:
                run = first_run[(tid, rev)]
                self.repeats.append((n, tid, rev, c - 1, run, run in delivery_kills))
                self.repeat_kinds[kinds[(tid, rev)][-1]] += c - 1
                if run in killed_runs:
                    per_kill[run] += 1
                else:
                    self.unexplained.append(f"round {n}: {tid} rev {rev} delivered {c} times, first by run {run}, which was not killed")
        for run, c in per_kill.items():
            if c > 1:
                self.unexplained.append(f"round {n}: killed run {run} left {c} alerts to repeat (only the one in flight may be)")
        if self.a.verbose and len(self.lost) + len(self.unexplained) + len(self.damaged) > problems:
            print(f"--- round {n} went wrong; its runs and what they delivered:", file=sys.stderr)
            for line in self.log:
                print("  " + line, file=sys.stderr)
            for run, tid, revs, kind in msgs:
                print(f"  run {run}: {kind} {tid} revisions {sorted(revs)}", file=sys.stderr)

    def verify_clean(self, n, code, out, err):
        problems = []
        if code != 0:
            problems.append(f"exit {code}")
        for word in ("damaged", "not used", "panicked"):
            if word in out or word in err:
                problems.append(f"says {word!r}")
        work = os.path.join(self.snapshots, ".policy-watch")
        for name in sorted(os.listdir(self.snapshots)):
            if name == ".policy-watch":
                continue
            if not re.fullmatch(r"t\d+\.(md|json|html|extracted\.json|state\.json)", name):
                problems.append(f"stray file {name}")
        for name in sorted(os.listdir(work)) if os.path.isdir(work) else []:
            if name not in (".gitignore", "lock", "running"):
                problems.append(f"left in .policy-watch: {name}")
        for tid in self.ids:
            try:
                with open(os.path.join(self.snapshots, f"{tid}.md"), encoding="utf-8") as f:
                    stored = tokens(f.read()).get(tid, set())
            except OSError as e:
                stored = {f"unreadable: {e}"}
            if stored != {self.world.rev[tid]}:
                problems.append(f"{tid}.md holds {sorted(map(str, stored))}, the page is at {self.world.rev[tid]}")
        if problems:
            said = [line for line in out.splitlines() if "error" in line or "not sent" in line]
            self.damaged.append(f"round {n}: " + "; ".join(problems)
                                + "".join(f"\n  said: {line.strip()}" for line in said[:10])
                                + (f"\n  stderr: {err.strip()[:2000]}" if err.strip() else ""))

    def folder(self):
        files = {}
        for root, _, names in os.walk(self.snapshots):
            for name in names:
                p = os.path.join(root, name)
                with open(p, "rb") as f:
                    files[os.path.relpath(p, self.snapshots)] = f.read()
        return files

    def main(self):
        a = self.a
        self.serial = 0
        t0 = time.monotonic()
        cpu0 = os.times()
        # The baselines ("now watching"), in both ways out, then the loop.
        for way in ("stdout", "bot"):
            _, code, out, err, _ = self.check(way)
            if code != 0:
                sys.exit(f"the first run failed (exit {code}):\n{err}")
        with self.world.lock:
            self.world.posts.clear()
        rounds = 0
        for n in range(a.rounds):
            if a.minutes and time.monotonic() - t0 > a.minutes * 60:
                break
            self.round(n)
            rounds += 1
            if a.progress and (n + 1) % a.progress == 0:
                print(f"round {n + 1}: {self.kills} kills, {self.alerts} alerts, {len(self.lost)} lost, "
                      f"{sum(r[3] for r in self.repeats)} repeated, {len(self.damaged)} damaged "
                      f"({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
        # Nothing changed: nothing posted, nothing written.
        before = self.folder()
        with self.world.lock:
            posts = len(self.world.posts)
        _, code, out, err, _ = self.check("stdout")
        with self.world.lock:
            quiet = len(self.world.posts) == posts
        identical = self.folder() == before
        cpu = os.times()
        children = (cpu.children_user - cpu0.children_user) + (cpu.children_system - cpu0.children_system)

        repeated = sum(r[3] for r in self.repeats)
        groups = collections.Counter(self.group.values())
        print(f"targets: {groups['W']} on their own webhooks, {groups['C']} on their own bot channels, {groups['D']} on the default way out")
        print(f"kill loop, seed {a.seed}: {rounds} rounds, {self.runs} runs of check, {self.kills} killed "
              f"({self.kills_in_delivery} of them a few ms after a Slack post)")
        print(f"alerts: {self.alerts}; lost: {len(self.lost)}; repeated: {repeated} "
              f"({sum(1 for r in self.repeats if r[5])} after a kill during delivery); "
              f"thread replies sent twice under one summary: {self.thread_replies_repeated}; "
              f"unexplained: {len(self.unexplained)}; damaged folders: {len(self.damaged)}")
        print(f"repeated, by way out: {dict(self.repeat_kinds)}; other messages (outages, back): {self.other_messages}")
        print(f"unchanged run: exit {code}, {'nothing posted' if quiet else 'POSTED'}, "
              f"{'folder byte-identical' if identical else 'FOLDER CHANGED'}")
        print(f"wall {time.monotonic() - t0:.0f} s, CPU of the runs {children:.0f} s")
        for line in self.lost + self.unexplained + self.damaged:
            print("  " + line)
        if a.keep:
            print(f"kept: {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.server.shutdown()
        bad = self.lost or self.unexplained or self.damaged or code != 0 or not quiet or not identical
        return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "..", "target", "release", "policy-watch"))
    ap.add_argument("--rounds", type=int, default=150)
    ap.add_argument("--targets", type=int, default=24)
    ap.add_argument("--minutes", type=float, default=0, help="start no round after this many minutes (0: no limit)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--webhooks", type=int, help="targets routed to a webhook of their own (default: half)")
    ap.add_argument("--channels", type=int, help="targets routed to a bot channel of their own (default: 3/4 of the rest)")
    ap.add_argument("--bot-every", type=int, default=4, help="every Nth round posts with a bot token (0: never)")
    ap.add_argument("--faults", type=float, default=0.05, help="share of page requests answered 503 in killed runs")
    ap.add_argument("--progress", type=int, default=10, help="a line on stderr every N rounds (0: none)")
    ap.add_argument("--verbose", action="store_true", help="print the runs and messages of a round that went wrong")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    if not os.access(a.bin, os.X_OK):
        sys.exit(f"{a.bin}: not an executable; build it with `cargo build --release`")
    sys.exit(Loop(a).main())


if __name__ == "__main__":
    main()
