#!/usr/bin/env bash
# The three kinds of run a cron job meets, at several sizes, side by side with urlwatch 2.29
# (issue 21's table): the first run (every baseline stored), an unchanged run, and a run in
# which every page changed (each of its ~600 blocks: `pages_server.py` switches revision).
# A measurement, not a test: nothing fails when the figures are slow.
#
# Usage:
#   scripts/bench/runs.sh                       # N = 300 and 3,000, this tree's release binary
#   NS="300 3000 10000" scripts/bench/runs.sh   # 10,000 too (about 1 GB of pages served, lazily)
#   PW_BEFORE=/tmp/pw-old scripts/bench/runs.sh # an earlier release as well, in the same run
#   SHARDS=2 scripts/bench/runs.sh              # also `check --shard I/2`, both shards at once
#   SHARDS=2 URLWATCH=0 NS=3000 scripts/bench/runs.sh   # what 2 shards save on one machine
#
# Environment (defaults in brackets):
#   NS="300 3000"   target counts         REPEAT=1   repetitions (medians are quoted)
#   PW_BIN          policy-watch binary [target/release/policy-watch, built unless SKIP_BUILD=1]
#   PW_BEFORE       a second policy-watch binary, measured in the same repetitions [none]
#   URLWATCH=1      0: policy-watch only  URLWATCH_VENV [~/.cache/policy-watch-bench/urlwatch-2.29]
#   SHARDS=0        N > 1: also run the policy-watch binary as N concurrent shard processes
#   PORTS=30 KB=100 DELAY_MS=50  the pages (as check300.sh)   RUN_TIMEOUT=900 per run
#   KEEP=1          keep the work folder
#   PROFILE         a command line that wraps this tree's binary in one kind of run, e.g.
#                   PROFILE="perf record -e cpu-clock -F 1000 -g -o changed.perf" (a binary
#                   with symbols: `cargo build --profile profiling`, then PW_BIN=target/profiling/…)
#   PROFILE_RUN=changed  which run PROFILE wraps: first, unchanged or changed
#
# Every tool runs in a fresh folder per repetition, the tools of one repetition one after the
# other, so load from elsewhere on the machine hits them alike: quote ratios of medians taken
# in the same run, never figures from different runs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

NS="${NS:-300 3000}"
PORTS="${PORTS:-30}"
KB="${KB:-100}"
DELAY_MS="${DELAY_MS:-50}"
REPEAT="${REPEAT:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-900}"
URLWATCH="${URLWATCH:-1}"
SHARDS="${SHARDS:-0}"
URLWATCH_VENV="${URLWATCH_VENV:-$HOME/.cache/policy-watch-bench/urlwatch-2.29}"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "error: $TIME is missing (GNU time: apt-get install time)" >&2; exit 2; }

if [ -z "${PW_BIN:-}" ]; then
  PW_BIN="$root/target/release/policy-watch"
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release --bin policy-watch >&2)
  fi
fi
[ -x "$PW_BIN" ] || { echo "error: no policy-watch binary at $PW_BIN" >&2; exit 2; }
if [ -n "${PW_BEFORE:-}" ] && [ ! -x "$PW_BEFORE" ]; then
  echo "error: PW_BEFORE=$PW_BEFORE is not executable" >&2
  exit 2
fi
if [ "$URLWATCH" != 0 ] && [ ! -x "$URLWATCH_VENV/bin/urlwatch" ]; then
  echo "== installing urlwatch 2.29 into $URLWATCH_VENV" >&2
  if ! { python3 -m venv "$URLWATCH_VENV" && "$URLWATCH_VENV/bin/pip" install -q "urlwatch==2.29"; } >&2; then
    echo "warning: could not install urlwatch; measuring policy-watch only" >&2
    URLWATCH=0
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pw-runs.XXXXXX")"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

start_server() { # $1: targets
  rm -f "$work/ready" "$work/urls.txt"
  python3 "$here/pages_server.py" --targets "$1" --ports "$PORTS" --kb "$KB" \
    --delay-ms "$DELAY_MS" --lifetime $((REPEAT * 12 * RUN_TIMEOUT + 600)) \
    --idle-exit $((RUN_TIMEOUT + 60)) --urls-file "$work/urls.txt" --ready-file "$work/ready" \
    2>>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 300); do
    [ -e "$work/ready" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 2; }
    sleep 0.1
  done
  [ -e "$work/ready" ] || { echo "error: page server not ready" >&2; exit 2; }
  local first port
  first="$(head -n 1 "$work/urls.txt")"
  port="${first#http://127.0.0.1:}"
  base="http://127.0.0.1:${port%%/*}"
}
stats() { curl -s --max-time 5 "$base/stats" || echo '{}'; }
revision() { curl -s --max-time 5 "$base/rev/$1" >/dev/null; }

write_pw_config() { # $1: dir
  local i=0
  mkdir -p "$1"
  {
    echo 'snapshot_dir = "snapshots"'
    echo
    while read -r url; do
      printf '[[target]]\nid = "page-%05d"\nname = "Page %d"\nurl = "%s"\n\n' "$i" "$i" "$url"
      i=$((i + 1))
    done <"$work/urls.txt"
  } >"$1/policy-watch.toml"
}

write_urlwatch_config() { # $1: dir
  local i=0
  mkdir -p "$1"
  while read -r url; do
    [ "$i" -gt 0 ] && echo '---'
    printf 'name: "Page %d"\nurl: "%s"\nfilter:\n  - css: main\n  - html2text\n' "$i" "$url"
    i=$((i + 1))
  done <"$work/urls.txt" >"$1/urls.yaml"
  cat >"$1/urlwatch.yaml" <<'EOF'
display: {new: true, error: true, unchanged: false, empty-diff: true}
report:
  tz: null
  text: {details: true, footer: true, line_length: 75, minimal: false, separate: false}
  html: {diff: unified, separate: false}
  markdown: {details: true, footer: true, minimal: false, separate: false}
  stdout: {color: false, enabled: true}
  email: {enabled: false}
job_defaults: {all: {}, shell: {}, url: {}, browser: {}}
EOF
}

# measure LABEL DIR CMD...: one run under GNU time, recorded in $work/results.tsv.
measure() {
  local label="$1" dir="$2"
  shift 2
  stats >/dev/null
  local rc=0
  (cd "$dir" && env -u SLACK_WEBHOOK_URL -u SLACK_BOT_TOKEN -u SLACK_CHANNEL NO_COLOR=1 \
    "$TIME" -v -o "$work/$label.time" timeout "$RUN_TIMEOUT" "$@" \
    >"$work/$label.out" 2>"$work/$label.err") || rc=$?
  python3 "$here/summarize.py" record "$work/results.tsv" "$label" "$rc" "$work/$label.time" "$(stats)"
}

# measure_shards LABEL DIR BIN N: N shard processes of one check at once, each in its own copy
# of DIR (as N runners each have their own checkout: one snapshot folder takes one run at a
# time); wall is the slowest, CPU the sum, memory the sum of the peaks. Then, untimed, what the
# workflow's commit-shards job and the next checkout do: every shard's files into every copy.
measure_shards() {
  local label="$1" dir="$2" bin="$3" n="$4" i
  stats >/dev/null
  local pids=()
  for i in $(seq 1 "$n"); do
    mkdir -p "$dir/s$i"
    cp "$dir/policy-watch.toml" "$dir/s$i/"
    (cd "$dir/s$i" && env -u SLACK_WEBHOOK_URL -u SLACK_BOT_TOKEN -u SLACK_CHANNEL NO_COLOR=1 \
      "$TIME" -v -o "$work/$label.s$i.time" timeout "$RUN_TIMEOUT" "$bin" \
      --config "$dir/s$i/policy-watch.toml" check --shard "$i/$n" \
      >"$work/$label.s$i.out" 2>"$work/$label.s$i.err") &
    pids+=($!)
  done
  local rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  python3 "$here/summarize.py" record-shards "$work/results.tsv" "$label" "$rc" "$(stats)" \
    "$work/$label".s*.time
  mkdir -p "$dir/merged"
  for i in $(seq 1 "$n"); do
    find "$dir/s$i/snapshots" -maxdepth 1 -type f -exec cp -p -t "$dir/merged/" {} +
  done
  for i in $(seq 1 "$n"); do
    find "$dir/merged" -maxdepth 1 -type f -exec cp -p -t "$dir/s$i/snapshots/" {} +
  done
}

# wrap TOOL RUN: the PROFILE command line, when it wraps this tool's run of this kind.
wrap() {
  if [ -n "${PROFILE:-}" ] && [ "$1" = policy-watch ] && [ "$2" = "${PROFILE_RUN:-changed}" ]; then
    echo "$PROFILE"
  fi
}

run_pw() { # $1: tool label, $2: binary, $3: N, $4: repetition
  local dir="$work/$1-$3-$4"
  write_pw_config "$dir"
  revision 0
  echo "== [$4/$REPEAT] N=$3 $1: first run" >&2
  measure "$1.$3.first.$4" "$dir" $(wrap "$1" first) "$2" --config "$dir/policy-watch.toml" check
  echo "== [$4/$REPEAT] N=$3 $1: unchanged run" >&2
  measure "$1.$3.unchanged.$4" "$dir" $(wrap "$1" unchanged) "$2" --config "$dir/policy-watch.toml" check
  revision 1
  echo "== [$4/$REPEAT] N=$3 $1: every page changed" >&2
  measure "$1.$3.changed.$4" "$dir" $(wrap "$1" changed) "$2" --config "$dir/policy-watch.toml" check
  finished+=("$dir")
}

run_shards() { # $1: binary, $2: N, $3: repetition
  local dir="$work/shards-$2-$3" label="policy-watch×$SHARDS"
  write_pw_config "$dir"
  revision 0
  echo "== [$3/$REPEAT] N=$2 $SHARDS shards: first run" >&2
  measure_shards "$label.$2.first.$3" "$dir" "$1" "$SHARDS"
  echo "== [$3/$REPEAT] N=$2 $SHARDS shards: unchanged run" >&2
  measure_shards "$label.$2.unchanged.$3" "$dir" "$1" "$SHARDS"
  revision 1
  echo "== [$3/$REPEAT] N=$2 $SHARDS shards: every page changed" >&2
  measure_shards "$label.$2.changed.$3" "$dir" "$1" "$SHARDS"
  finished+=("$dir")
}

run_uw() { # $1: N, $2: repetition
  local dir="$work/urlwatch-$1-$2"
  write_urlwatch_config "$dir"
  local uw=("$URLWATCH_VENV/bin/urlwatch" --urls "$dir/urls.yaml" --config "$dir/urlwatch.yaml" --cache "$dir/cache.db")
  revision 0
  echo "== [$2/$REPEAT] N=$1 urlwatch: first run" >&2
  measure "urlwatch.$1.first.$2" "$dir" "${uw[@]}"
  echo "== [$2/$REPEAT] N=$1 urlwatch: unchanged run" >&2
  measure "urlwatch.$1.unchanged.$2" "$dir" "${uw[@]}"
  revision 1
  echo "== [$2/$REPEAT] N=$1 urlwatch: every page changed" >&2
  measure "urlwatch.$1.changed.$2" "$dir" "${uw[@]}"
  finished+=("$dir")
}

# The folders of finished runs, removed once every repetition of a size is done: a removal of
# thousands of files just before a run would make that run pay for it on a file system that
# skips recently freed inodes when it makes a file (ext4 without a journal scans past each of
# them on every file it creates), which a cron job on a fresh checkout never meets.
finished=()
for n in $NS; do
  start_server "$n"
  for r in $(seq 1 "$REPEAT"); do
    [ -n "${PW_BEFORE:-}" ] && run_pw "before" "$PW_BEFORE" "$n" "$r"
    run_pw "policy-watch" "$PW_BIN" "$n" "$r"
    [ "$SHARDS" -gt 1 ] && run_shards "$PW_BIN" "$n" "$r"
    [ "$URLWATCH" != 0 ] && run_uw "$n" "$r"
  done
  stop_server
  [ "${#finished[@]}" -gt 0 ] && rm -rf "${finished[@]}"
  finished=()
done

echo
echo "~${KB} KB pages over $PORTS loopback ports, ${DELAY_MS} ms per response; $(nproc) CPUs," \
  "load average now $(cut -d' ' -f1-3 /proc/loadavg); policy-watch: $PW_BIN${PW_BEFORE:+, before: $PW_BEFORE}"
python3 "$here/summarize.py" kinds "$work/results.tsv"
