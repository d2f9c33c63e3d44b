#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the multi-node load runs (LoadRun --nodes), as the engine's
# tests start one (testing/TestPostgres): Debian's binaries, initdb in DIR as the postgres user
# (PostgreSQL refuses root), 127.0.0.1 only, fsync off (a measuring device, never data to keep).
#
#   benchmarks/pg-throwaway.sh start DIR PORT    # then postgresql://postgres@127.0.0.1:PORT/postgres
#   benchmarks/pg-throwaway.sh createdb DIR PORT NAME
#   benchmarks/pg-throwaway.sh stop DIR
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cmd=$1 dir=$2
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case "$cmd" in
  start)
    port=$3
    if [ ! -d "$dir/data" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
      as_pg "$BIN/initdb -D $dir/data -U postgres -A trust >/dev/null"
    fi
    as_pg "$BIN/pg_ctl -D $dir/data -l $dir/pg.log -w -t 60 -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200' start </dev/null >/dev/null"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  createdb)
    port=$3 name=$4
    as_pg "$BIN/psql -h 127.0.0.1 -p $port -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c 'CREATE DATABASE $name'"
    echo "postgresql://postgres@127.0.0.1:$port/$name"
    ;;
  stop)
    as_pg "$BIN/pg_ctl -D $dir/data -m fast -w stop </dev/null >/dev/null"
    ;;
  *) echo "usage: $0 start DIR PORT | createdb DIR PORT NAME | stop DIR" >&2; exit 2 ;;
esac
