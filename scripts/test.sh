#!/usr/bin/env bash
# civmap's test command (README "Test"): installs what the tests need when it is missing
# (Debian packages as root, npm modules), then runs fmt, clippy -D warnings and every test
# with every feature — unit, integration, doc, end-to-end (real binary) and browser tests.
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

# --- system packages ------------------------------------------------------------------
# Debian names. postgresql-15 is guarded so a preinstalled server is never upgraded.
APT_PACKAGES=(
  pkg-config clang libclang-dev            # bindgen for proj-sys
  libproj-dev proj-bin                     # --features proj
  libgdal-dev gdal-bin                     # --features gdal
  osmium-tool                              # OSM cross-checks
  wrk bc                                   # benchmark harnesses (bench/)
  nginx-light                              # the reference deployment (deploy/run.sh)
  chromium fonts-noto-cjk                  # browser tests, Chinese text in screenshots
  postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting  # PostGIS store and oracles
  python3 python3-venv curl                # schemathesis (PyPI) against the live server
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  log "installing missing packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "missing packages ${missing[*]}: run as root or install them" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Rust components ------------------------------------------------------------------
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

# --- the web map's npm modules (build.rs runs npm ci too; the browser test needs
#     playwright-core from the same lock file) -------------------------------------------
if [ ! -d web-map/node_modules/playwright-core ] || [ web-map/package-lock.json -nt web-map/node_modules/.package-lock.json ]; then
  log "npm ci (web-map)"
  (cd web-map && npm ci --no-audit --no-fund)
fi
log "web map: eslint and tsc --checkJs"
(cd web-map && npm run --silent lint && npm run --silent typecheck)

# --- the tile decoder's npm modules (tests/tests/tiles_decode.rs decodes tiles with
#     @mapbox/vector-tile and validates TileJSON with ajv) --------------------------------
if [ ! -d tests/decoder/node_modules/@mapbox/vector-tile ] || [ tests/decoder/package-lock.json -nt tests/decoder/node_modules/.package-lock.json ]; then
  log "npm ci (tests/decoder)"
  (cd tests/decoder && npm ci --no-audit --no-fund)
fi

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy -D warnings (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

log "cargo build (the binary the end-to-end tests run)"
cargo build --workspace --all-features

log "throwaway PostGIS cluster for the tests"
eval "$(bash scripts/pg-cluster.sh start)"
trap 'bash scripts/pg-cluster.sh stop "$CIVMAP_TEST_PG_DIR" >/dev/null 2>&1 || true' EXIT
echo "CIVMAP_TEST_PG_URL=$CIVMAP_TEST_PG_URL" >&2

log "cargo test (all features)"
cargo test --workspace --all-features --no-fail-fast 2>&1 | tee target/test-output.txt

log "load harness, short form: 20 s of wrk on a mixed route set (0 errors but shed 503s, RSS flat)"
CIVMAP_BIN=target/debug/civmap target/debug/load_harness --duration-s 20 --warmup-s 5

log "reference deployment (deploy/run.sh): primary, standby, 3 replicas, nginx; kill, edit, outage, promotion under wrk"
CIVMAP_BIN=target/debug/civmap WRK_S=5 bash deploy/run.sh 2>&1 | tee target/deploy-run.txt

log "schemathesis: property-based run against the live server's OpenAPI document"
bash scripts/schemathesis.sh target/debug/civmap

# libFuzzer's instrumentation needs nightly Rust, which cannot be fetched where only the
# registries are reachable: without it the smoke is skipped, loudly (the seed corpora are
# still replayed on stable by `cargo test`, fuzz-harness/tests/seeds.rs).
if [ "${CIVMAP_SKIP_FUZZ:-0}" = 1 ]; then
  log "fuzz smoke skipped (CIVMAP_SKIP_FUZZ=1)"
elif rustup run nightly rustc --version >/dev/null 2>&1; then
  log "fuzz smoke: every cargo-fuzz target for 30 s (nightly)"
  bash scripts/fuzz-smoke.sh
else
  log "WARNING: nightly Rust is not installed: fuzz smoke skipped (seed replay ran on stable)"
fi
