#!/usr/bin/env bash
# The DESIGN.md `check` benchmark: 300 targets, ~100 KB GitBook-like pages, spread over 30
# loopback ports (hosts), every response delayed 50 ms. Runs `policy-watch check` twice (first
# run = baselines, second run = unchanged) and, unless URLWATCH=0, urlwatch 2.29 with
# `css: main` + `html2text` twice against the same URLs, each under /usr/bin/time -v, and prints
# wall time, user+sys CPU and max RSS side by side. A measurement, not a test: it never fails on
# slow figures.
#
# Usage: scripts/bench/check300.sh
#   PW_BIN=path         policy-watch binary (default: target/release/policy-watch, built first
#                       with `cargo build --release --bin policy-watch` unless SKIP_BUILD=1)
#   URLWATCH=0          skip urlwatch (default: run it; the venv is made on first use)
#   URLWATCH_VENV=dir   venv with urlwatch 2.29 (default: ~/.cache/policy-watch-bench/urlwatch-2.29)
#   REPEAT=n            repeat each pair of runs n times on fresh state (default 1); the
#                       summary shows the median of each figure
#   TARGETS=300 PORTS=30 KB=100 DELAY_MS=50
#   BASE_PORT=0         first of the PORTS ports (default 0: a random range of free ports)
#   RUN_TIMEOUT=300     seconds after which one tool run is killed
#   KEEP=1              keep the work folder (configs, outputs, snapshots) for inspection
#
# Everything is bounded in time: each run is under `timeout`; the page server is stopped when
# the script ends, and exits by itself anyway when idle for RUN_TIMEOUT + 60 s or after its
# lifetime.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

TARGETS="${TARGETS:-300}"
PORTS="${PORTS:-30}"
KB="${KB:-100}"
DELAY_MS="${DELAY_MS:-50}"
BASE_PORT="${BASE_PORT:-0}"
REPEAT="${REPEAT:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
URLWATCH="${URLWATCH:-1}"
URLWATCH_VENV="${URLWATCH_VENV:-$HOME/.cache/policy-watch-bench/urlwatch-2.29}"

TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  echo "error: $TIME is missing (GNU time; on Debian/Ubuntu: apt-get install time)" >&2
  exit 2
fi

if [ -z "${PW_BIN:-}" ]; then
  PW_BIN="$root/target/release/policy-watch"
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== cargo build --release --bin policy-watch" >&2
    (cd "$root" && cargo build --release --bin policy-watch >&2)
  fi
fi
[ -x "$PW_BIN" ] || { echo "error: no policy-watch binary at $PW_BIN" >&2; exit 2; }

if [ "$URLWATCH" != 0 ] && [ ! -x "$URLWATCH_VENV/bin/urlwatch" ]; then
  echo "== installing urlwatch 2.29 into $URLWATCH_VENV" >&2
  if ! { python3 -m venv "$URLWATCH_VENV" && "$URLWATCH_VENV/bin/pip" install -q "urlwatch==2.29"; } >&2; then
    echo "warning: could not install urlwatch; measuring policy-watch only" >&2
    URLWATCH=0
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pw-check300.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "work folder kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Lifetime: generous for every run of every repetition, but finite.
lifetime=$(( (REPEAT * 4 + 2) * RUN_TIMEOUT ))
python3 "$here/pages_server.py" --targets "$TARGETS" --ports "$PORTS" --base-port "$BASE_PORT" \
  --kb "$KB" --delay-ms "$DELAY_MS" --lifetime "$lifetime" --idle-exit "$((RUN_TIMEOUT + 60))" \
  --urls-file "$work/urls.txt" --ready-file "$work/ready" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  [ -e "$work/ready" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 2; }
  sleep 0.1
done
[ -e "$work/ready" ] || { echo "error: page server not ready after 30 s" >&2; exit 2; }
cat "$work/server.log" >&2
first_url="$(head -n 1 "$work/urls.txt")"
port="${first_url#http://127.0.0.1:}"
port="${port%%/*}"

stats() { curl -s --max-time 5 "http://127.0.0.1:$port/stats" || echo '{}'; }

# policy-watch config: only id, name and url per target (the defaults of a policy page).
write_pw_config() {
  local dir="$1" i=0
  mkdir -p "$dir"
  {
    echo 'snapshot_dir = "snapshots"'
    echo
    while read -r url; do
      printf '[[target]]\nid = "page-%03d"\nname = "Page %d"\nurl = "%s"\n\n' "$i" "$i" "$url"
      i=$((i + 1))
    done <"$work/urls.txt"
  } >"$dir/policy-watch.toml"
}

# urlwatch: urls.yaml with css: main + html2text, and a config that reports to stdout only.
write_urlwatch_config() {
  local dir="$1" i=0
  mkdir -p "$dir"
  {
    while read -r url; do
      [ "$i" -gt 0 ] && echo '---'
      printf 'name: "Page %d"\nurl: "%s"\nfilter:\n  - css: main\n  - html2text\n' "$i" "$url"
      i=$((i + 1))
    done <"$work/urls.txt"
  } >"$dir/urls.yaml"
  cat >"$dir/urlwatch.yaml" <<'EOF'
display:
  new: true
  error: true
  unchanged: false
  empty-diff: true
report:
  tz: null
  text:
    details: true
    footer: true
    line_length: 75
    minimal: false
    separate: false
  html:
    diff: unified
    separate: false
  markdown:
    details: true
    footer: true
    minimal: false
    separate: false
  stdout:
    color: false
    enabled: true
  email:
    enabled: false
job_defaults:
  all: {}
  shell: {}
  url: {}
  browser: {}
EOF
}

# measure LABEL DIR CMD...: one run under /usr/bin/time -v, recorded in $work/results.tsv.
measure() {
  local label="$1" dir="$2"
  shift 2
  stats >/dev/null # reset the server's counters
  local rc=0
  (cd "$dir" && env -u SLACK_WEBHOOK_URL -u SLACK_BOT_TOKEN -u SLACK_CHANNEL NO_COLOR=1 \
    "$TIME" -v -o "$work/$label.time" timeout "$RUN_TIMEOUT" "$@" \
    >"$work/$label.out" 2>"$work/$label.err") || rc=$?
  local served
  served="$(stats)"
  python3 "$here/summarize.py" record "$work/results.tsv" "$label" "$rc" "$work/$label.time" "$served"
}

for r in $(seq 1 "$REPEAT"); do
  pw="$work/pw-$r"
  write_pw_config "$pw"
  echo "== [$r/$REPEAT] policy-watch check, first run (baselines)" >&2
  measure "policy-watch.first.$r" "$pw" "$PW_BIN" --config "$pw/policy-watch.toml" check
  echo "== [$r/$REPEAT] policy-watch check, second run (unchanged)" >&2
  measure "policy-watch.second.$r" "$pw" "$PW_BIN" --config "$pw/policy-watch.toml" check
  if [ "$URLWATCH" != 0 ]; then
    uw="$work/uw-$r"
    write_urlwatch_config "$uw"
    echo "== [$r/$REPEAT] urlwatch 2.29, first run" >&2
    measure "urlwatch.first.$r" "$uw" "$URLWATCH_VENV/bin/urlwatch" \
      --urls "$uw/urls.yaml" --config "$uw/urlwatch.yaml" --cache "$uw/cache.db"
    echo "== [$r/$REPEAT] urlwatch 2.29, second run" >&2
    measure "urlwatch.second.$r" "$uw" "$URLWATCH_VENV/bin/urlwatch" \
      --urls "$uw/urls.yaml" --config "$uw/urlwatch.yaml" --cache "$uw/cache.db"
  fi
done

# Sanity: what the runs said (first lines), so that a broken run is not mistaken for a fast one.
for f in "$work"/*.1.out; do
  echo "-- $(basename "$f" .out): $(wc -l <"$f") lines of output, last: $(tail -n 1 "$f" | cut -c1-100)" >&2
done

echo
echo "check of $TARGETS targets, ~${KB} KB pages, $PORTS loopback ports, ${DELAY_MS} ms per response;" \
  "$(nproc) CPUs; policy-watch: $PW_BIN"
python3 "$here/summarize.py" table "$work/results.tsv"
