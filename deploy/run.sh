#!/usr/bin/env bash
# The reference deployment on one machine, on loopback, and its failover checks:
# a PostgreSQL primary, a hot standby made with pg_basebackup (scripts/pg-replica.sh),
# three `civmap serve --db STANDBY --notify-db PRIMARY` replicas and nginx in front
# (deploy/nginx.conf). Then, with wrk running through nginx:
#   1. throughput with 1 replica and with 3;
#   2. one replica killed (SIGKILL) and restarted under load: 0 failed requests, it rejoins;
#   3. an edit on the primary: every replica answers the new state within 1 s;
#   4. the primary stopped: reads through nginx answer, /readyz says degraded, writes 503;
#   5. the standby promoted under load; the replicas (no restart) write to it:
#      0 failed requests, writes work again, nothing lost.
# Every wait is bounded; everything it started is stopped on exit (by PID).
#
#   CIVMAP_BIN=target/release/civmap bash deploy/run.sh        # needs nginx-light, wrk
#
# Set WRK_S (seconds per wrk run, default 10). Exit status 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${CIVMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/civmap}
WRK_S=${WRK_S:-10}
[ -x "$BIN" ] || { echo "run.sh: $BIN not found: build it (cargo build --release -p civmap) or set CIVMAP_BIN" >&2; exit 2; }
command -v nginx >/dev/null || { echo "run.sh: nginx missing: apt-get install nginx-light (scripts/test.sh does)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "run.sh: wrk missing: apt-get install wrk" >&2; exit 2; }

say() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/civmap-deploy.XXXXXX")
chmod 755 "$WORK"
declare -a REPLICA_PID REPLICA_PORT
NGINX_PID=""
PAIR=""
cleanup() {
  set +e
  for pid in "${REPLICA_PID[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
  sleep 0.5
  [ -n "$PAIR" ] && bash scripts/pg-replica.sh stop "$PAIR" >/dev/null 2>&1
  echo "logs were in $WORK (removed)"
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for SECONDS WHAT COMMAND…: polls COMMAND every 0.1 s
wait_for() {
  local limit=$1 what=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    (( SECONDS - t0 < limit )) || fail "$what: not within $limit s"
    sleep 0.1
  done
}

status_is() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" = "$1" ]; }

say "PostgreSQL primary + hot standby"
eval "$(bash scripts/pg-replica.sh start)"
PAIR=$CIVMAP_TEST_PG_REPLICA_DIR
PRIMARY=$CIVMAP_TEST_PG_PRIMARY_URL
STANDBY=$CIVMAP_TEST_PG_STANDBY_URL
echo "primary $PRIMARY"; echo "standby $STANDBY"
"$BIN" db push --url "$PRIMARY"
echo 'deploy-secret-1' | "$BIN" user add ops.planner --role planner --password-stdin --db "$PRIMARY" >/dev/null

# start_replica I DB [NOTIFY]
start_replica() {
  local i=$1 db=$2 notify=${3:-}
  local port=${REPLICA_PORT[$i]:-$(free_port)}
  REPLICA_PORT[$i]=$port
  local args=(serve --listen "127.0.0.1:$port" --db "$db")
  [ -n "$notify" ] && args+=(--notify-db "$notify")
  RUST_LOG=civmap=info "$BIN" "${args[@]}" >>"$WORK/replica-$i.log" 2>&1 &
  REPLICA_PID[$i]=$!
}
ready() { wait_for 300 "replica $1 ready" status_is 200 "http://127.0.0.1:${REPLICA_PORT[$1]}/readyz"; }

# Writes (and LISTEN) go to whichever of the two accepts writes: the primary, and after a
# failover the promoted standby. libpq's multi-host form; the replicas need no restart.
hostport() { local u=${1#*@}; echo "${u%%/*}"; }
WRITABLE="${PRIMARY%%@*}@$(hostport "$PRIMARY"),$(hostport "$STANDBY")/${PRIMARY##*/}?target_session_attrs=read-write"
echo "write URL $WRITABLE"

say "three replicas (--db standby --notify-db primary,standby read-write)"
for i in 0 1 2; do start_replica "$i" "$STANDBY" "$WRITABLE"; done
for i in 0 1 2; do ready "$i"; echo "replica $i on :${REPLICA_PORT[$i]} ready (pid ${REPLICA_PID[$i]})"; done

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/tmp" "$WORK/nginx/tiles-cache"
chmod -R 777 "$WORK/nginx"
# nginx_conf N: the config with the first N replicas
nginx_conf() {
  local ups="" i
  for ((i = 0; i < $1; i++)); do ups+="server 127.0.0.1:${REPLICA_PORT[$i]} max_fails=1 fail_timeout=3s; "; done
  sed -e "s#@PREFIX@#$WORK/nginx#g" -e "s#@LISTEN@#127.0.0.1:$NGINX_PORT#g" -e "s#@UPSTREAMS@#$ups#" \
    deploy/nginx.conf >"$WORK/nginx/nginx.conf"
  nginx -t -q -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
}
nginx_conf 1
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' &
NGINX_PID=$!
FRONT="http://127.0.0.1:$NGINX_PORT"
wait_for 20 "nginx up" status_is 200 "$FRONT/livez"
READ="/api/v1/facilities/nearest?lon=120.16&lat=30.27&k=3&category=elder_canteen"

# run_wrk NAME SECONDS: wrk through nginx; prints req/s; fails on any failed request
run_wrk() {
  wrk -t2 -c16 -d"$2"s --timeout 10s "$FRONT$READ" >"$WORK/wrk-$1.txt" 2>&1
  local rps non2xx sockerr
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$1.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-$1.txt")
  sockerr=$(awk '/Socket errors/' "$WORK/wrk-$1.txt")
  echo "$1: ${rps} req/s, non-2xx: ${non2xx:-0}, ${sockerr:-socket errors: none}"
  [ -z "$non2xx" ] && [ -z "$sockerr" ] || { cat "$WORK/wrk-$1.txt"; fail "$1: failed requests"; }
}

say "1. throughput through nginx (wrk -t2 -c16, $WRK_S s; 2 cores shared by everything)"
run_wrk "one-replica" "$WRK_S"
nginx_conf 3
kill -HUP "$NGINX_PID"
sleep 1
run_wrk "three-replicas" "$WRK_S"

say "2. kill replica 1 under load, bring it back"
: >"$WORK/nginx/access.log"
wrk -t2 -c16 -d"$((WRK_S + 10))"s --timeout 10s "$FRONT$READ" >"$WORK/wrk-kill.txt" 2>&1 &
WRK_PID=$!
sleep 3
kill -KILL "${REPLICA_PID[1]}"; wait "${REPLICA_PID[1]}" 2>/dev/null || true
echo "replica 1 killed"
sleep 3
start_replica 1 "$STANDBY" "$WRITABLE"
ready 1
echo "replica 1 restarted and ready"
wait "$WRK_PID" || true
non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-kill.txt"); sockerr=$(awk '/Socket errors/' "$WORK/wrk-kill.txt")
echo "during the kill: $(awk '/requests in/' "$WORK/wrk-kill.txt"), non-2xx: ${non2xx:-0}, ${sockerr:-socket errors: none}"
[ -z "$non2xx" ] && [ -z "$sockerr" ] || { cat "$WORK/wrk-kill.txt"; fail "requests failed while a replica died"; }
# it rejoined: nginx sends it requests again (nginx tries a failed server again after
# fail_timeout, 3 s; on a loaded machine give it up to 30 s)
: >"$WORK/nginx/access.log"
rejoined() {
  for _ in $(seq 1 20); do curl -s -o /dev/null "$FRONT$READ"; done
  grep -q "127.0.0.1:${REPLICA_PORT[1]} 200" "$WORK/nginx/access.log"
}
wait_for 30 "replica 1 rejoins behind nginx" rejoined
echo "replica 1 answers through nginx again"

say "3. an edit on the primary reaches every replica within 1 s"
nearest_id() { curl -s "http://127.0.0.1:$1/api/v1/facilities/nearest?lon=119.5&lat=29.9&k=1&category=elder_canteen" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["properties"]["id"])'; }
# one poller for all three, started before the INSERT so no process start-up is timed
python3 - "$PRIMARY" "${REPLICA_PORT[@]}" <<'PY' || fail "the edit did not reach every replica within 1 s"
import json, subprocess, sys, time, urllib.request
primary, ports = sys.argv[1], sys.argv[2:]
q = "/api/v1/facilities/nearest?lon=119.5&lat=29.9&k=1&category=elder_canteen"
def nearest(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{q}", timeout=5) as r:
        return json.load(r)["features"][0]["properties"]["id"]
subprocess.run(["psql", "-X", "-q", primary, "-c",
    "INSERT INTO civmap.facilities (id, name, category, geom) VALUES "
    "('deploy-1', '部署食堂', 'elder_canteen', ST_SetSRID(ST_MakePoint(119.5, 29.9), 4326))"], check=True)
t0, seen = time.monotonic(), {}
while len(seen) < len(ports) and time.monotonic() - t0 < 5:
    for p in ports:
        if p not in seen and nearest(p) == "deploy-1":
            seen[p] = time.monotonic() - t0
    time.sleep(0.005)
print("edit committed; served by " + ", ".join(f":{p} after {seen[p]:.3f} s" if p in seen else f":{p} NOT within 5 s" for p in ports))
sys.exit(0 if len(seen) == len(ports) and max(seen.values()) < 1.0 else 1)
PY

say "4. the primary stops"
bash scripts/pg-replica.sh pause-primary "$PAIR"
for i in 0 1 2; do
  wait_for 30 "replica $i degraded" sh -c "curl -s http://127.0.0.1:${REPLICA_PORT[$i]}/readyz | grep -q '\"status\":\"degraded\"'"
done
echo "every /readyz: degraded"
status_is 200 "$FRONT$READ" || fail "reads through nginx while the primary is down"
[ "$(nearest_id "$NGINX_PORT")" = deploy-1 ] || fail "the edit is still served"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"name":"ops.planner","password":"deploy-secret-1"}' "$FRONT/api/v1/auth/token")
[ "$code" = 503 ] || fail "a write with the primary down answered $code, not 503"
echo "reads 200, writes 503"

say "5. promote the standby under load: the replicas find it by themselves, no restart"
wrk -t2 -c16 -d"$((WRK_S + 10))"s --timeout 10s "$FRONT$READ" >"$WORK/wrk-failover.txt" 2>&1 &
WRK_PID=$!
sleep 2
bash scripts/pg-replica.sh promote "$PAIR"
login_ok() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"name":"ops.planner","password":"deploy-secret-1"}' "http://127.0.0.1:$1/api/v1/auth/token")" = 200 ]
}
for i in 0 1 2; do
  wait_for 60 "replica $i writes to the promoted standby" login_ok "${REPLICA_PORT[$i]}"
  ready "$i"
  echo "replica $i writes to the promoted standby (same process, pid ${REPLICA_PID[$i]})"
done
wait "$WRK_PID" || true
non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-failover.txt"); sockerr=$(awk '/Socket errors/' "$WORK/wrk-failover.txt")
echo "during the promotion: $(awk '/requests in/' "$WORK/wrk-failover.txt"), non-2xx: ${non2xx:-0}, ${sockerr:-socket errors: none}"
[ -z "$non2xx" ] && [ -z "$sockerr" ] || { cat "$WORK/wrk-failover.txt"; fail "requests failed during the promotion"; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"name":"ops.planner","password":"deploy-secret-1"}' "$FRONT/api/v1/auth/token")
[ "$code" = 200 ] || fail "a write after promotion answered $code"
for i in 0 1 2; do [ "$(nearest_id "${REPLICA_PORT[$i]}")" = deploy-1 ] || fail "replica $i lost the edit"; done
echo "writes 200 again; the user and the edit made before the failover are there"

say "tiles through nginx's cache"
TILE="/tiles/admin/10/853/421.mvt"
curl -s -o /dev/null -D "$WORK/t1" "$FRONT$TILE"; curl -s -o /dev/null -D "$WORK/t2" "$FRONT$TILE"
echo "first: $(grep -i x-cache-status "$WORK/t1" | tr -d '\r'), second: $(grep -i x-cache-status "$WORK/t2" | tr -d '\r')"
grep -qi 'x-cache-status: HIT' "$WORK/t2" || fail "the second tile request was not a cache hit"

say "ALL CHECKS PASSED"
