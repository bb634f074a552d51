#!/usr/bin/env bash
# Measures `civmap serve` start-up (spawn → first 200 from /health) and peak RSS, on the
# first start (generate + cache) and on a cached start, RUNS times each; prints medians.
# Usage: bash bench/startup.sh [RUNS] (builds the release binary first).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
cargo build --release -p civmap -q
BIN=target/release/civmap
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
measure() { # $1 = cache dir; prints "seconds rss_kib"
  local log; log=$(mktemp)
  local t0; t0=$(date +%s.%N)
  CIVMAP_CACHE_DIR="$1" /usr/bin/time -f 'RSS %M' "$BIN" serve --listen "127.0.0.1:$PORT" 2>"$log" &
  local pid=$!
  until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 0.02; done
  local t1; t1=$(date +%s.%N)
  # ask a heavy route once so RSS includes serving, then stop
  curl -sf "http://127.0.0.1:$PORT/api/v1/admin?level=community" >/dev/null
  pkill -INT -P "$pid" civmap || true
  wait "$pid" || true
  echo "$(echo "$t1 - $t0" | bc) $(grep -o 'RSS [0-9]*' "$log" | cut -d' ' -f2)"
  rm -f "$log"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
first=(); cached=(); rss_first=(); rss_cached=()
for _ in $(seq "$RUNS"); do
  dir=$(mktemp -d)
  read -r s r < <(measure "$dir"); first+=("$s"); rss_first+=("$r")
  read -r s r < <(measure "$dir"); cached+=("$s"); rss_cached+=("$r")
  rm -rf "$dir"
done
printf 'first start (generate + cache): median %.2f s, peak RSS median %d MiB\n' \
  "$(printf '%s\n' "${first[@]}" | median)" "$(( $(printf '%s\n' "${rss_first[@]}" | median | cut -d. -f1) / 1024 ))"
printf 'cached start:                   median %.2f s, peak RSS median %d MiB\n' \
  "$(printf '%s\n' "${cached[@]}" | median)" "$(( $(printf '%s\n' "${rss_cached[@]}" | median | cut -d. -f1) / 1024 ))"
