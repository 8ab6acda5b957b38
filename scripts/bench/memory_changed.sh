#!/usr/bin/env bash
# Peak memory of a `check` in which every page changed: N targets of about KB kilobytes each
# (default 200 × 1,100 KB), served from one loopback server. The first run stores the
# baselines, then every page is rewritten and the second run announces every change (and
# confirms each with a second fetch). Before the runs became per-target transactions, every
# changed page waited in memory for delivery (500 changed 1.1 MB pages: 1.1 GB peak); now
# memory is bounded by the targets in flight (`http.max_concurrency`, default 64).
# A measurement, not a test. Needs GNU time (/usr/bin/time).
#
# Usage: scripts/bench/memory_changed.sh     TARGETS=200 KB=1100 CONCURRENCY=64 SKIP_BUILD=1
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
TARGETS="${TARGETS:-200}"
KB="${KB:-1100}"
CONCURRENCY="${CONCURRENCY:-64}"
PW_BIN="${PW_BIN:-$root/target/release/policy-watch}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$root" && cargo build --release --bin policy-watch >&2)
fi
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/site"

write_pages() { # $1: the revision word every page carries
  python3 - "$work/site" "$TARGETS" "$KB" "$1" <<'PY'
import sys
site, n, kb, rev = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for i in range(n):
    paras, size, k = [], 0, 0
    while size < kb * 1024:
        p = f"<p>Page {i} paragraph {k}: this policy ({rev}) says how we collect, use and keep personal data, and which rights you have under the GDPR.</p>\n"
        paras.append(p); size += len(p); k += 1
    with open(f"{site}/p{i}.html", "w") as f:
        f.write(f"<!doctype html><html><body><main><h1>Policy {i}</h1>{''.join(paras)}</main></body></html>")
PY
}

write_pages first
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 900 python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
server=$!
sleep 1
{
  printf '[http]\nretries = 0\ntimeout_secs = 60\nmax_body_bytes = 50_000_000\nmax_concurrency = %s\n\n' "$CONCURRENCY"
  for i in $(seq 0 $((TARGETS - 1))); do
    printf '[[target]]\nid = "p%s"\nname = "Page %s"\nurl = "http://127.0.0.1:%s/p%s.html"\n\n' "$i" "$i" "$port" "$i"
  done
} > "$work/policy-watch.toml"

measure() { # $1: label
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$PW_BIN" --config "$work/policy-watch.toml" check > "$work/out.txt" 2>/dev/null || true
  read -r wall user sys rss < "$work/time"
  printf '%-28s wall %6.2f s  cpu %6.2f s  peak RSS %5d MiB  (%s changed)\n' \
    "$1" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$(grep -c ' — changed' "$work/out.txt" || true)"
}
measure "first run (baselines)"
write_pages second
measure "every page changed"
