#!/usr/bin/env bash
# The DESIGN.md extract benchmark: extract + diff of one ~10 MB GitBook-like page against
# scraper's parse time alone (target: within 2×). Runs examples/bench_extract.rs under
# /usr/bin/time -v and prints its report, then wall time, CPU and max RSS of the whole process.
# A measurement, not a test: it never fails on slow figures.
#
# Usage: scripts/bench/extract.sh [bench_extract args, e.g. --iters 9 --mb 10 --phase check]
#   BIN=path         a bench_extract binary built elsewhere (default: cargo build --release
#                    --example bench_extract, then target/release/examples/bench_extract)
#   RUN_TIMEOUT=600  seconds after which the run is killed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ -z "${BIN:-}" ]; then
  echo "== cargo build --release --example bench_extract" >&2
  (cd "$root" && cargo build --release --example bench_extract >&2)
  BIN="$root/target/release/examples/bench_extract"
fi

TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  echo "note: $TIME is missing (GNU time; on Debian/Ubuntu: apt-get install time); running without it" >&2
  (cd "$root" && timeout "${RUN_TIMEOUT:-600}" "$BIN" "$@")
  exit
fi

out="$(mktemp "${TMPDIR:-/tmp}/pw-bench-extract.XXXXXX")"
trap 'rm -f "$out"' EXIT
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && "$TIME" -v -o "$out" timeout "${RUN_TIMEOUT:-600}" "$BIN" "$@")
echo
awk -F': ' '
  /Elapsed \(wall clock\)/ { print "whole process (/usr/bin/time -v): wall " $2 }
  /User time/ { u = $2 }
  /System time/ { s = $2 }
  /Maximum resident set size/ { printf "  user %.2f s + sys %.2f s, max RSS %.1f MiB\n", u, s, $2 / 1024 }
' "$out"
