#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS + pgRouting cluster for the tests.
#
#   eval "$(bash scripts/pg-cluster.sh start)"   # exports CIVMAP_TEST_PG_URL, CIVMAP_TEST_PG_DIR
#   bash scripts/pg-cluster.sh stop "$CIVMAP_TEST_PG_DIR"
#   bash scripts/pg-cluster.sh pause DIR; bash scripts/pg-cluster.sh resume DIR   # an outage
#
# `start` makes a cluster in a fresh `mktemp -d` directory (initdb, trust auth, listening on
# 127.0.0.1 only on a free port, its socket in that directory, durability switched off for
# speed — never point it at data you want to keep), creates the database `civmap_test`
# with the postgis and pgrouting extensions, and prints two `export` lines on stdout.
# Everything else goes to stderr. `stop DIR` stops the cluster (immediate mode) and
# removes DIR; `pause DIR` stops the server (ending every session) but keeps DIR, `resume DIR` starts it
# again on the same port (the settings live in DIR/data/postgresql.conf). Installs nothing: scripts/test.sh installs the Debian packages.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=civmap_test

FAILED_DIR=""   # a half-made cluster that `die` cleans up

die() {
  echo "pg-cluster.sh: $*" >&2
  if [ -n "$FAILED_DIR" ]; then
    if [ -f "$FAILED_DIR/log" ]; then echo "--- server log:" >&2; cat "$FAILED_DIR/log" >&2; fi
    as_owner "$PGBIN/pg_ctl" -D "$FAILED_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$FAILED_DIR"
  fi
  exit 1
}

# Runs a PostgreSQL server binary as the cluster's owner: `postgres` when we are root
# (the server refuses to run as root), else the current user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || die "python3 is needed to find a free port"
}

start() {
  [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: install postgresql-15 (scripts/test.sh does)"
  [ -d /usr/share/postgresql/15/extension ] && ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 \
    || die "the postgis extension is missing: install postgresql-15-postgis-3 (scripts/test.sh does)"
  ls /usr/share/postgresql/15/extension/pgrouting.control >/dev/null 2>&1 \
    || die "the pgrouting extension is missing: install postgresql-15-pgrouting (scripts/test.sh does)"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
  fi

  local dir port
  dir=$(mktemp -d "${TMPDIR:-/tmp}/civmap-pg.XXXXXX") || die "mktemp failed"
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  FAILED_DIR=$dir
  trap 'die "start failed at line $LINENO"' ERR

  as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }

  # Settings go into postgresql.conf so that `resume` starts the same server.
  cat >>"$dir/data/postgresql.conf" <<CONF

# pg-cluster.sh: a throwaway test cluster, durability off for speed
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF

  # A port can be taken between choosing it and binding it: retry a few times.
  local ok=""
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "-p $port" start >&2; then
      ok=1
      break
    fi
  done
  [ -n "$ok" ] || die "the server did not start (see $dir/log)"
  echo "port = $port" >>"$dir/data/postgresql.conf"

  local psql=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE $DB" >&2 || die "CREATE DATABASE $DB failed"
  "${psql[@]}" -d "$DB" -c 'CREATE EXTENSION postgis; CREATE EXTENSION pgrouting' >&2 \
    || die "CREATE EXTENSION postgis/pgrouting failed"
  trap - ERR
  FAILED_DIR=""

  echo "export CIVMAP_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/$DB; export CIVMAP_TEST_PG_DIR=$dir"
}

stop() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: pg-cluster.sh stop DIR"
  [ -d "$dir/data" ] || die "$dir is not a cluster made by pg-cluster.sh start (no $dir/data)"
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || echo "pg-cluster.sh: pg_ctl stop failed (already stopped?)" >&2
  rm -rf "$dir"
}

pause() {
  local dir=${1:-}
  [ -n "$dir" ] && [ -d "$dir/data" ] || die "usage: pg-cluster.sh pause DIR (a cluster made by start)"
  # Fast, not immediate: with synchronous_commit=off an immediate stop can lose the last
  # commits; fast still ends every session at once, which is what an outage looks like.
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || die "pg_ctl stop failed for $dir"
}

resume() {
  local dir=${1:-}
  [ -n "$dir" ] && [ -d "$dir/data" ] || die "usage: pg-cluster.sh resume DIR (a cluster made by start)"
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >&2 \
    || die "the server in $dir did not start again (see $dir/log)"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  pause) pause "${2:-}" ;;
  resume) resume "${2:-}" ;;
  *) die "usage: pg-cluster.sh start | stop DIR | pause DIR | resume DIR" ;;
esac
