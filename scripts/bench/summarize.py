#!/usr/bin/env python3
"""Helper of check300.sh (stdlib only).

    summarize.py record RESULTS.tsv LABEL EXIT_CODE TIME_V_OUTPUT SERVER_STATS_JSON
        appends one run (parsed from GNU time -v output) to RESULTS.tsv
    summarize.py table RESULTS.tsv
        prints every run, then the median per tool and run kind side by side, with the
        DESIGN.md ratios (policy-watch against urlwatch)
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
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
