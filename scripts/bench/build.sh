#!/usr/bin/env bash
# The cold release build the cron job pays for (DESIGN.md: within 2.5 minutes on 2 cores, a
# binary under 10 MB): `cargo build --release --locked --timings` into an empty target folder
# (the registry stays cached), under GNU time and, when it is there, `perf stat` (instructions
# do not depend on what else the machine runs; wall and CPU time do — the load is printed with
# them). Prints the binary's size stripped, its largest sections, and the crates that took the
# longest. A measurement, not a test.
#
# Usage: scripts/bench/build.sh                 TARGET_DIR [/tmp/policy-watch-cold-build]
#        TARGET_DIR=/tmp/x JOBS=2 scripts/bench/build.sh
#
# The build keeps its symbols (CARGO_PROFILE_RELEASE_STRIP=false) so that their sizes can be
# read; the figure quoted is of a stripped copy, which is what `strip = "symbols"` ships.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${TARGET_DIR:-/tmp/policy-watch-cold-build}"
jobs="${JOBS:-2}"
out="$target/bench"

rm -rf "$target"
mkdir -p "$out"
perf=()
if command -v perf >/dev/null && perf stat -e instructions:u true 2>/dev/null; then
  perf=(perf stat -e instructions:u,task-clock -o "$out/perf.txt")
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR="$target" \
  "${perf[@]}" /usr/bin/time -v -o "$out/time.txt" \
  cargo build --release --locked --timings -j "$jobs" >"$out/build.log" 2>&1) \
  || { tail -20 "$out/build.log" >&2; exit 1; }
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

bin="$target/release/policy-watch"
strip -o "$out/policy-watch.stripped" "$bin"
python3 - "$out" "$bin" "$load_before" "$load_after" "$jobs" <<'PY'
import glob, json, re, subprocess, sys
out, binary, before, after, jobs = sys.argv[1:]
t = open(f"{out}/time.txt").read()
grab = lambda p: re.search(p, t).group(1)
wall = 0.0
for part in grab(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)").split(":"):
    wall = wall * 60 + float(part)
user, sys_ = float(grab(r"User time \(seconds\): ([\d.]+)")), float(grab(r"System time \(seconds\): ([\d.]+)"))
size = __import__("os").path.getsize(f"{out}/policy-watch.stripped")
print(f"cold build, -j {jobs}: wall {wall:.0f} s, CPU {user + sys_:.0f} s (user {user:.0f} + sys {sys_:.0f}), "
      f"load average {before} before, {after} after")
try:
    p = open(f"{out}/perf.txt").read()
    ins = re.search(r"([\d,.]+)\s+instructions:u", p)
    if ins:
        print(f"instructions (user space, whole build): {float(ins.group(1).replace(',', '')) / 1e12:.2f} × 10^12")
except FileNotFoundError:
    pass
print(f"binary, stripped: {size:,} B ({size / 1e6:.2f} MB)")
sections = subprocess.run(["size", "-A", f"{out}/policy-watch.stripped"], capture_output=True, text=True).stdout
rows = [l.split() for l in sections.splitlines() if l.startswith(".")]
rows.sort(key=lambda r: -int(r[1]))
print("largest sections: " + ", ".join(f"{r[0]} {int(r[1]) / 1e6:.2f} MB" for r in rows[:6]))
html = open(glob.glob(f"{out}/../cargo-timings/cargo-timing.html")[0]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
total = sum(u["duration"] for u in units)
print(f"crate compile times (sum {total:.0f} s over {len(units)} units), the longest:")
for u in sorted(units, key=lambda u: -u["duration"])[:15]:
    kind = "" if u["mode"] == "todo" else f" ({u['mode']})"
    print(f"  {u['duration']:6.1f} s  {u['name']} {u['version']}{kind}")
PY
