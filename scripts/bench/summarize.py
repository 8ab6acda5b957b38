#!/usr/bin/env python3
"""Helper of check300.sh (stdlib only).

    summarize.py record RESULTS.tsv LABEL EXIT_CODE TIME_V_OUTPUT SERVER_STATS_JSON
        appends one run (parsed from GNU time -v output) to RESULTS.tsv
    summarize.py table RESULTS.tsv
        prints every run, then the median per tool and run kind side by side, with the
        DESIGN.md ratios (policy-watch against urlwatch)
    summarize.py record-shards RESULTS.tsv LABEL EXIT_CODE SERVER_STATS_JSON TIME_V_OUTPUT...
        appends one run made of concurrent shard processes: wall of the slowest, CPU summed,
        peak memory summed
    summarize.py kinds RESULTS.tsv
        (runs.sh) labels TOOL.N.KIND.REP: for each N and run kind, the median wall / CPU / peak
        of every tool side by side, and each policy-watch's ratio to urlwatch
"""

import json
import re
import statistics
import sys

FIELDS = ["label", "rc", "wall_s", "user_s", "sys_s", "maxrss_kib", "requests"]


def parse_time_v(path):
    text = open(path).read()

    def grab(pattern):
        m = re.search(pattern, text)
        return m.group(1) if m else None

    wall = grab(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)")
    secs = 0.0
    if wall:
        for part in wall.split(":"):
            secs = secs * 60 + float(part)
    return {
        "wall_s": secs,
        "user_s": float(grab(r"User time \(seconds\): ([\d.]+)") or 0),
        "sys_s": float(grab(r"System time \(seconds\): ([\d.]+)") or 0),
        "maxrss_kib": int(grab(r"Maximum resident set size \(kbytes\): (\d+)") or 0),
    }


def record(results, label, rc, time_path, served):
    row = {"label": label, "rc": rc, **parse_time_v(time_path)}
    try:
        row["requests"] = json.loads(served).get("requests", "?")
    except ValueError:
        row["requests"] = "?"
    with open(results, "a") as f:
        f.write("\t".join(str(row[k]) for k in FIELDS) + "\n")
    print(
        f"   {label}: exit {rc}, wall {row['wall_s']:.2f} s, CPU {row['user_s'] + row['sys_s']:.2f} s "
        f"(user {row['user_s']:.2f} + sys {row['sys_s']:.2f}), max RSS {row['maxrss_kib'] / 1024:.1f} MiB, "
        f"{row['requests']} requests served",
        file=sys.stderr,
    )


def record_shards(results, label, rc, served, *time_paths):
    parts = [parse_time_v(p) for p in time_paths]
    row = {
        "label": label,
        "rc": rc,
        "wall_s": max(p["wall_s"] for p in parts),
        "user_s": sum(p["user_s"] for p in parts),
        "sys_s": sum(p["sys_s"] for p in parts),
        "maxrss_kib": sum(p["maxrss_kib"] for p in parts),
    }
    try:
        row["requests"] = json.loads(served).get("requests", "?")
    except ValueError:
        row["requests"] = "?"
    with open(results, "a") as f:
        f.write("\t".join(str(row[k]) for k in FIELDS) + "\n")
    print(
        f"   {label}: exit {rc}, wall {row['wall_s']:.2f} s (slowest of {len(parts)}), CPU "
        f"{row['user_s'] + row['sys_s']:.2f} s, summed max RSS {row['maxrss_kib'] / 1024:.1f} MiB, "
        f"{row['requests']} requests served",
        file=sys.stderr,
    )


def kinds(results):
    rows = []
    for line in open(results):
        r = dict(zip(FIELDS, line.rstrip("\n").split("\t")))
        tool, n, kind, rep = r["label"].rsplit(".", 3)
        rows.append(
            {
                "tool": tool,
                "n": int(n),
                "kind": kind,
                "rc": r["rc"],
                "wall": float(r["wall_s"]),
                "cpu": float(r["user_s"]) + float(r["sys_s"]),
                "rss": int(r["maxrss_kib"]) / 1024,
                "requests": r["requests"],
            }
        )
    print(f"{'run':<44} {'exit':>4} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'requests':>8}")
    for r in rows:
        label = f"{r['tool']} {r['n']} {r['kind']}"
        print(f"{label:<44} {r['rc']:>4} {r['wall']:>8.2f} {r['cpu']:>8.2f} {r['rss']:>9.1f} {r['requests']:>8}")
    groups = {}
    for r in rows:
        groups.setdefault((r["n"], r["kind"], r["tool"]), []).append(r)
    med = {
        k: {m: statistics.median(x[m] for x in v) for m in ("wall", "cpu", "rss")} | {"reps": len(v)}
        for k, v in groups.items()
    }
    tools = []
    for r in rows:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    order = {"first": 0, "unchanged": 1, "changed": 2}
    print()
    print("medians; ratio = policy-watch / urlwatch, wall and CPU (targets: unchanged <= 0.20, first and changed <= 0.50)")
    head = f"| run | targets | " + " | ".join(f"{t} wall / CPU / peak" for t in tools)
    others = [t for t in tools if t != "urlwatch"]
    if "urlwatch" in tools:
        head += " | " + " | ".join(f"{t} ratio wall / CPU" for t in others)
    print(head + " |")
    print("|" + "---|" * (2 + len(tools) + (len(others) if "urlwatch" in tools else 0)))
    for n, kind in sorted({(k[0], k[1]) for k in med}, key=lambda x: (x[0], order.get(x[1], 9))):
        cells = []
        for t in tools:
            m = med.get((n, kind, t))
            cells.append(f"{m['wall']:.2f} s / {m['cpu']:.2f} s / {m['rss']:.0f} MiB" if m else "-")
        u = med.get((n, kind, "urlwatch"))
        if u:
            for t in others:
                m = med.get((n, kind, t))
                cells.append(f"{m['wall'] / u['wall']:.2f} / {m['cpu'] / u['cpu']:.2f}" if m and u["wall"] and u["cpu"] else "-")
        print(f"| {kind} | {n:,} | " + " | ".join(cells) + " |")
    sharded = [t for t in tools if t.startswith("policy-watch×")]
    if sharded and "policy-watch" in tools:
        print()
        print("shards on one machine: one process's wall / the shards' wall (slowest shard), and CPU summed:")
        for t in sharded:
            for n, kind in sorted({(k[0], k[1]) for k in med}, key=lambda x: (x[0], order.get(x[1], 9))):
                one, many = med.get((n, kind, "policy-watch")), med.get((n, kind, t))
                if one and many and many["wall"]:
                    print(
                        f"  {t} {n:,} {kind:<10} wall {one['wall']:.2f} s -> {many['wall']:.2f} s "
                        f"({one['wall'] / many['wall']:.2f}x faster), CPU {one['cpu']:.2f} s -> {many['cpu']:.2f} s"
                    )
    ns = sorted({k[0] for k in med})
    if len(ns) > 1:
        print()
        print(f"per-target cost at N={ns[-1]:,} against N={ns[0]:,} (target <= 1.2x), wall / CPU:")
        for t in tools:
            for kind in sorted({k[1] for k in med}, key=lambda x: order.get(x, 9)):
                a, b = med.get((ns[0], kind, t)), med.get((ns[-1], kind, t))
                if a and b and a["wall"] and a["cpu"]:
                    w = (b["wall"] / ns[-1]) / (a["wall"] / ns[0])
                    c = (b["cpu"] / ns[-1]) / (a["cpu"] / ns[0])
                    print(f"  {t:<20} {kind:<10} {w:.2f}x / {c:.2f}x")


def table(results):
    rows = []
    for line in open(results):
        vals = line.rstrip("\n").split("\t")
        r = dict(zip(FIELDS, vals))
        for k in ("wall_s", "user_s", "sys_s"):
            r[k] = float(r[k])
        r["maxrss_kib"] = int(r["maxrss_kib"])
        r["cpu_s"] = r["user_s"] + r["sys_s"]
        tool, kind, rep = r["label"].rsplit(".", 2)
        r.update(tool=tool, kind=kind, rep=rep)
        rows.append(r)

    print(f"{'run':<28} {'exit':>4} {'wall s':>7} {'user s':>7} {'sys s':>6} {'CPU s':>6} {'max RSS MiB':>11} {'requests':>8}")
    for r in rows:
        print(
            f"{r['label']:<28} {r['rc']:>4} {r['wall_s']:>7.2f} {r['user_s']:>7.2f} {r['sys_s']:>6.2f} "
            f"{r['cpu_s']:>6.2f} {r['maxrss_kib'] / 1024:>11.1f} {r['requests']:>8}"
        )

    med = {}
    for r in rows:
        med.setdefault((r["tool"], r["kind"]), []).append(r)
    summary = {
        key: {k: statistics.median(x[k] for x in rs) for k in ("wall_s", "cpu_s", "maxrss_kib")}
        for key, rs in med.items()
    }
    print()
    n = max(len(v) for v in med.values())
    print(f"median of {n} repetition(s):")
    tools = sorted({t for t, _ in summary}, key=lambda t: (t != "policy-watch", t))
    header = f"{'':<14}" + "".join(f"{t + ' ' + k:>26}" for t in tools for k in ("first", "second"))
    print(header)
    for metric, label, fmt in (
        ("wall_s", "wall s", "{:.2f}"),
        ("cpu_s", "user+sys s", "{:.2f}"),
        ("maxrss_kib", "max RSS MiB", None),
    ):
        line = f"{label:<14}"
        for t in tools:
            for k in ("first", "second"):
                v = summary.get((t, k), {}).get(metric)
                if v is None:
                    s = "-"
                elif metric == "maxrss_kib":
                    s = f"{v / 1024:.1f}"
                else:
                    s = fmt.format(v)
                line += f"{s:>26}"
        print(line)

    if "urlwatch" in tools and "policy-watch" in tools:
        print()
        print("DESIGN.md target: wall >= 5x faster, CPU <= 1/2, max RSS <= 1/2 of urlwatch's")
        for k in ("first", "second"):
            p, u = summary.get(("policy-watch", k)), summary.get(("urlwatch", k))
            if not p or not u:
                continue
            speed = u["wall_s"] / p["wall_s"] if p["wall_s"] else float("inf")
            cpu = p["cpu_s"] / u["cpu_s"] if u["cpu_s"] else float("inf")
            rss = p["maxrss_kib"] / u["maxrss_kib"] if u["maxrss_kib"] else float("inf")
            print(
                f"  {k:<6} run: {speed:5.2f}x faster ({'met' if speed >= 5 else 'NOT met'}), "
                f"CPU {cpu:.2f} of urlwatch's ({'met' if cpu <= 0.5 else 'NOT met'}), "
                f"max RSS {rss:.2f} of urlwatch's ({'met' if rss <= 0.5 else 'NOT met'})"
            )


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "record" and len(sys.argv) == 7:
        record(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    elif len(sys.argv) >= 7 and sys.argv[1] == "record-shards":
        record_shards(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "kinds":
        kinds(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
