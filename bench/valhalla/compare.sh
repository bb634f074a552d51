#!/usr/bin/env bash
# civmap's walking service areas vs Valhalla's pedestrian isochrones on data/osm/helsinki.osm.pbf.
# Outside CI: fetches pyvalhalla 3.9.1's wheel (it carries valhalla_build_tiles and
# valhalla_service) into $VALHALLA_DIR (default /work/tools/valhalla, never the repo), builds
# the tiles, serves them on 127.0.0.1:$VALHALLA_PORT, runs the Rust comparison and stops the
# service. See bench/valhalla/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${VALHALLA_DIR:-/work/tools/valhalla}
PORT=${VALHALLA_PORT:-8002}
mkdir -p "$DIR"
cd "$DIR"
WHEEL=pyvalhalla-3.9.1-cp312-abi3-manylinux_2_28_x86_64.whl
if [ ! -f "$WHEEL" ]; then
  pip download pyvalhalla==3.9.1 --no-deps --python-version 3.12 \
    --platform manylinux_2_28_x86_64 --only-binary=:all: -d "$DIR"
fi
if [ ! -x wheel/valhalla/bin/valhalla_service ]; then
  rm -rf wheel && mkdir wheel && python3 -m zipfile -e "$WHEEL" wheel
  chmod +x wheel/valhalla/bin/*
fi
export LD_LIBRARY_PATH="$DIR/wheel/pyvalhalla.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
BIN="$DIR/wheel/valhalla/bin"
# Config: tiles in $DIR/tiles, no time zones or admin areas, one thread, our port.
python3 wheel/valhalla/valhalla_build_config.py --mjolnir-tile-dir "$DIR/tiles" \
  --mjolnir-tile-extract "$DIR/tiles.tar" --mjolnir-timezone '' --mjolnir-admin '' \
  --mjolnir-concurrency 1 --httpd-service-listen "tcp://127.0.0.1:$PORT" \
  > valhalla.json 2> build_config.log
rm -rf tiles && mkdir tiles
start=$(date +%s.%N)
"$BIN/valhalla_build_tiles" -c valhalla.json -j 1 "$ROOT/data/osm/helsinki.osm.pbf" > build_tiles.log 2>&1
echo "valhalla_build_tiles: $(echo "$(date +%s.%N) - $start" | bc) s (log: $DIR/build_tiles.log)"
"$BIN/valhalla_service" valhalla.json 1 > service.log 2>&1 &
SERVICE=$!
trap 'kill "$SERVICE" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/status" > /dev/null && break
  sleep 0.1
done
cd "$ROOT"
cargo run --release -p civmap-bench --bin valhalla_compare -- \
  --valhalla "http://127.0.0.1:$PORT" --out "$DIR/out"
