#!/usr/bin/env bash
# Sizing on paper, measured part: memory and time of one `civmap serve` replica at city
# scales 1, 2 and 4 (doorplates, streets and facilities × K; `civmap serve --scale K`
# generates and caches the city). For each: seconds to listening, seconds to ready (the
# coverage engine built), VmRSS after a warm-up of coverage requests, VmHWM (peak), and
# the time of one uncached whole-city coverage request.
#
#   CIVMAP_BIN=/path/to/civmap bash deploy/sizing.sh [SCALES…]      # default: 1 2 4
set -euo pipefail
BIN=${CIVMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/civmap}
[ -x "$BIN" ] || { echo "sizing.sh: $BIN not found (set CIVMAP_BIN)" >&2; exit 2; }
SCALES=("$@"); [ ${#SCALES[@]} -gt 0 ] || SCALES=(1 2 4)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
STATE=$(mktemp -d); PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$STATE"' EXIT
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$PID/status"; }
echo "| scale | doorplates | listening s | ready s | RSS MiB | peak MiB | coverage request s |"
echo "|---|---|---|---|---|---|---|"
for k in "${SCALES[@]}"; do
  # generate (and cache) first, so the timings below are of loading, not generating
  "$BIN" coverage report --category elder_canteen --minutes 1 --level district --scale "$k" >/dev/null
  port=$(free_port)
  t0=$(date +%s.%N)
  CIVMAP_STATE_DIR=$STATE RUST_LOG=civmap=warn "$BIN" serve --listen "127.0.0.1:$port" --scale "$k" >/dev/null 2>&1 &
  PID=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/livez"; do
    kill -0 "$PID" || { echo "serve --scale $k died" >&2; exit 1; }; sleep 0.05
  done
  t1=$(date +%s.%N)
  for _ in $(seq 1 6000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break; sleep 0.1
  done
  t2=$(date +%s.%N)
  doorplates=$(curl -s "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["doorplates"])')
  tc=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/api/v1/coverage?category=elder_canteen&minutes=15&level=township")
  for c in home_care_centre children_home neighbourhood_centre; do
    curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/coverage?category=$c&minutes=20&level=community"
  done
  rss=$(kib VmRSS); hwm=$(kib VmHWM)
  printf '| %s | %s | %.1f | %.1f | %d | %d | %s |\n' "$k" "$doorplates" \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)" $((rss / 1024)) $((hwm / 1024)) "$tc"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
