#!/usr/bin/env bash
# Policy facts on real version changes: precision and recall per kind against hand labels.
#
#   scripts/bench/facts.sh              # unpack both collections, build, score (misses listed with -v)
#   scripts/bench/facts.sh --dump       # also write every real pair's diff (for labelling) to $OUT/dump.txt
#
# The pairs are Open Terms Archive's (../shared/realworld/, ODC-BY 1.0); the labels are
# scripts/bench/facts_labels.json (pair key -> the facts a reader would call out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${SHARED:-$root/../shared/realworld}
OUT=${OUT:-$(mktemp -d)}
for c in demo genai-contrib; do
  mkdir -p "$OUT/$c"
  [ -f "$OUT/$c/pairs.json" ] || tar -xJf "$shared/ota-$c-pairs.tar.xz" -C "$OUT/$c"
done
cargo build --release --example bench_facts --manifest-path "$root/Cargo.toml" >&2
bin="$root/target/release/examples/bench_facts"
args=(--pairs "$OUT/demo:demo" --pairs "$OUT/genai-contrib:genai" --labels "$here/facts_labels.json")
for a in "$@"; do
  case "$a" in
    --dump) args+=(--dump "$OUT/dump.txt") ;;
    -v) args+=(-v) ;;
  esac
done
"$bin" "${args[@]}"
echo "pairs unpacked in $OUT" >&2
