#!/usr/bin/env bash
# Bounded fuzz smoke (CI): every cargo-fuzz target of fuzz/ for FUZZ_SECONDS (default 30)
# from its committed seeds, one after the other; fails on the first crash, leak, timeout or
# out-of-memory, leaving the input in fuzz/artifacts/TARGET/.
#
#   bash scripts/fuzz-smoke.sh                  # every target, 30 s each
#   FUZZ_SECONDS=1800 bash scripts/fuzz-smoke.sh routes bodies   # the issue's long runs
#
# Needs the nightly toolchain (libFuzzer's instrumentation is nightly-only); installs
# cargo-fuzz when missing. New corpus entries go to fuzz/corpus/TARGET (not committed);
# the seeds in fuzz/seeds/TARGET are only read. Builds without a sanitizer: the code is
# safe Rust (unsafe_code is forbidden), so ASan would only slow the search down.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TARGETS=(import_geojson import_csv import_osm address routes tile_path bodies)
if (($#)); then TARGETS=("$@"); fi
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/fuzz}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz-smoke: the nightly toolchain is missing; install it with: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz-smoke: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

BUILD=(-O -a -s none --target-dir "$FUZZ_TARGET_DIR")
cargo +nightly fuzz build "${BUILD[@]}"

for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  printf '\n== fuzz %s for %s s\n' "$t" "$SECONDS_PER_TARGET" >&2
  # -rss_limit_mb: the server targets hold one township of the city (~0.3 GB)
  cargo +nightly fuzz run "${BUILD[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1
done
