#!/usr/bin/env bash
# consumers/archive/tests/pg.sh -- a private PostgreSQL 15 cluster for the archive's integration
# tests (Debian's postgresql-15 binaries; no system service is touched).
#
#   pg.sh start DIR PORT   initdb DIR/data if needed (UTF8, locale C.UTF-8, trust auth, owned by
#                          the `postgres` user when run as root), start it listening on
#                          127.0.0.1:PORT and on a unix socket in DIR, wait until it accepts
#                          connections, and print the conninfo for SYN_TEST_PG_CONNINFO on stdout.
#                          A no-op (conninfo printed again) if it already runs.
#   pg.sh stop DIR         fast shutdown, bounded; a no-op if it is not running.
#   pg.sh conninfo DIR PORT  print the conninfo only.
#
# Typical use (what scripts/test.sh does):
#   export SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start /tmp/syn-pg 55432)
#   ctest --preset integration -R archive
#   bash consumers/archive/tests/pg.sh stop /tmp/syn-pg
#
# Why C.UTF-8: pg_trgm only keeps characters the database's LC_CTYPE calls alphanumeric; under the
# C locale every Chinese character is dropped and trigram indexes cannot help Chinese queries
# (docs/ARCHIVE.md, "PostgreSQL").
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
START_TIMEOUT=${PG_START_TIMEOUT:-60}
STOP_TIMEOUT=${PG_STOP_TIMEOUT:-30}

die() { echo "pg.sh: error: $*" >&2; exit 1; }
info() { echo "pg.sh: $*" >&2; }

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# as_owner CMD...: run as the cluster owner (`postgres` when we are root; initdb refuses root).
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

conninfo() { # DIR PORT
  local user
  if [[ $(id -u) == 0 ]]; then user=postgres; else user=$(id -un); fi
  echo "host=$1 port=$2 user=$user dbname=postgres connect_timeout=5"
}

running() { # DIR
  [[ -f $1/data/postmaster.pid ]] && as_owner "$PG_BIN/pg_ctl" status -D "$1/data" >/dev/null 2>&1
}

cmd_start() {
  [[ $# == 2 ]] || usage
  local dir port
  dir=$(abs_dir "$1")
  port=$2
  [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$port'"
  [[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (apt-get install postgresql-15)"
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install postgresql-15)"
    chown postgres: "$dir"
    chmod 700 "$dir"
  fi
  if running "$dir"; then
    info "already running in $dir"
    conninfo "$dir" "$port"
    return 0
  fi
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    rm -rf "$dir/data"
    info "initdb $dir/data"
    as_owner "$PG_BIN/initdb" -D "$dir/data" --encoding=UTF8 --locale=C.UTF-8 --auth=trust \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  info "starting on 127.0.0.1:$port (socket in $dir)"
  # fsync off: a throwaway test cluster; the archive's durability is SQLite's and production PG's.
  as_owner "$PG_BIN/pg_ctl" start -D "$dir/data" -l "$dir/postgres.log" -w -t "$START_TIMEOUT" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" \
    >/dev/null || { tail -n 20 "$dir/postgres.log" >&2; die "pg_ctl start failed"; }
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$PG_BIN/pg_isready" -q -h "$dir" -p "$port"; do
    ((SECONDS < deadline)) || die "not accepting connections after ${START_TIMEOUT}s"
    sleep 0.2
  done
  conninfo "$dir" "$port"
}

cmd_stop() {
  [[ $# == 1 ]] || usage
  local dir=$1
  [[ -d $dir ]] || { info "no cluster in $dir"; return 0; }
  dir=$(cd "$dir" && pwd)
  if ! running "$dir"; then
    info "not running in $dir"
    return 0
  fi
  as_owner "$PG_BIN/pg_ctl" stop -D "$dir/data" -m fast -w -t "$STOP_TIMEOUT" >/dev/null ||
    as_owner "$PG_BIN/pg_ctl" stop -D "$dir/data" -m immediate -w -t "$STOP_TIMEOUT" >/dev/null
  info "stopped"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  conninfo) shift; [[ $# == 2 ]] || usage; conninfo "$(abs_dir "$1")" "$2" ;;
  *) usage ;;
esac
