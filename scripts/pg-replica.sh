#!/usr/bin/env bash
# A throwaway PostgreSQL 15 primary with a hot standby (streaming replication), for the
# scale-out tests and the reference deployment (deploy/run.sh).
#
#   eval "$(bash scripts/pg-replica.sh start)"
#     # exports CIVMAP_TEST_PG_PRIMARY_URL, CIVMAP_TEST_PG_STANDBY_URL, CIVMAP_TEST_PG_REPLICA_DIR
#   bash scripts/pg-replica.sh promote "$CIVMAP_TEST_PG_REPLICA_DIR"      # standby → primary
#   bash scripts/pg-replica.sh pause-primary DIR; bash scripts/pg-replica.sh resume-primary DIR
#   bash scripts/pg-replica.sh stop "$CIVMAP_TEST_PG_REPLICA_DIR"
#
# `start` makes the primary with scripts/pg-cluster.sh (PostgreSQL 15's defaults already
# have wal_level = replica and max_wal_senders = 10; initdb's pg_hba.conf trusts
# replication connections from 127.0.0.1), then copies it with
# `pg_basebackup -R -X stream` into DIR/standby, which starts on another free port as a
# hot standby following the primary. Both listen on 127.0.0.1 only. Installs nothing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=civmap_test

die() { echo "pg-replica.sh: $*" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_of() { # the last `port = N` line of a postgresql.conf
  sed -n 's/^port = \([0-9]*\)$/\1/p' "$1" | tail -1
}

start() {
  local exports dir primary_port port
  exports=$(bash "$HERE/pg-cluster.sh" start) || die "the primary did not start"
  dir=$(sed -n 's/.*CIVMAP_TEST_PG_DIR=\([^ ;]*\).*/\1/p' <<<"$exports")
  [ -d "$dir/data" ] || die "no primary directory in pg-cluster.sh's output: $exports"
  primary_port=$(port_of "$dir/data/postgresql.conf")
  trap 'bash "$HERE/pg-cluster.sh" stop "$dir" >/dev/null 2>&1 || true; die "start failed at line $LINENO"' ERR
  # pg-cluster.sh turns synchronous_commit off for speed; then a commit's WAL may wait up
  # to 3 × wal_writer_delay (0.6 s) before it is flushed and streamed to the standby.
  # Committed means flushed here (fsync stays off: nothing is forced to disk).
  echo "synchronous_commit = on" >>"$dir/data/postgresql.conf"
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" reload >&2
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
    -D "$dir/standby" -R -X stream -c fast >&2
  local ok=""
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$PGBIN/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 \
      -o "-p $port" start >&2; then
      ok=1
      break
    fi
  done
  [ -n "$ok" ] || die "the standby did not start (see $dir/standby.log)"
  echo "port = $port" >>"$dir/standby/postgresql.conf"
  # the standby is streaming once it answers as one
  local t=0
  until [ "$("$PGBIN/psql" -X -At -h 127.0.0.1 -p "$port" -U postgres -d "$DB" \
      -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; do
    t=$((t + 1))
    [ "$t" -lt 300 ] || die "the standby did not accept connections within 30 s"
    sleep 0.1
  done
  trap - ERR
  echo "export CIVMAP_TEST_PG_PRIMARY_URL=postgres://postgres@127.0.0.1:$primary_port/$DB;" \
    "export CIVMAP_TEST_PG_STANDBY_URL=postgres://postgres@127.0.0.1:$port/$DB;" \
    "export CIVMAP_TEST_PG_REPLICA_DIR=$dir"
}

need_dir() {
  [ -n "${1:-}" ] && [ -d "$1/data" ] && [ -d "$1/standby" ] \
    || die "$2 DIR: DIR must be a pair made by pg-replica.sh start"
}

stop() {
  need_dir "${1:-}" stop
  as_owner "$PGBIN/pg_ctl" -D "$1/standby" -m immediate -w stop >&2 \
    || echo "pg-replica.sh: the standby was not running" >&2
  bash "$HERE/pg-cluster.sh" stop "$1"
}

promote() {
  need_dir "${1:-}" promote
  as_owner "$PGBIN/pg_ctl" -D "$1/standby" -w -t 60 promote >&2 || die "promote failed"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  promote) promote "${2:-}" ;;
  pause-primary) need_dir "${2:-}" pause-primary; bash "$HERE/pg-cluster.sh" pause "$2" ;;
  resume-primary) need_dir "${2:-}" resume-primary; bash "$HERE/pg-cluster.sh" resume "$2" ;;
  *) die "usage: pg-replica.sh start | stop DIR | promote DIR | pause-primary DIR | resume-primary DIR" ;;
esac
