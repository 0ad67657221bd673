#!/bin/sh
# A throwaway PostgreSQL 15 cluster for the tests, on a Unix socket only (no TCP port).
#   scripts/pg-test-cluster.sh start DIR   initdb into DIR (if empty) and start it; prints the
#                                          admin URL (postgresql:///postgres?host=DIR)
#   scripts/pg-test-cluster.sh stop DIR    stops it (fast) and removes DIR
#   scripts/pg-test-cluster.sh crash DIR   stops it with -m immediate (as a crash would), keeps DIR
# Debian's postgresql-15 package provides the binaries (scripts/setup.sh installs it). The
# cluster trades durability against power loss for speed (fsync off; commits still reach the kernel before they are acknowledged): the tests kill Segue,
# and stop PostgreSQL with -m immediate, but never the machine. The benchmarks use their own
# cluster with fsync on: SEGUE_PG_DURABLE=1 (bench/store/run.sh).
set -eu
cmd="${1:?start|stop}"
dir="${2:?cluster directory}"
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "pg-test-cluster: $bin/initdb missing (apt-get install postgresql-15)" >&2; exit 1; }
# PostgreSQL refuses to run as root: run it as the owner of DIR (nobody-like user when root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    speed="-c fsync=off -c full_page_writes=off"
    [ -n "${SEGUE_PG_DURABLE:-}" ] && speed=""
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-k $dir -c listen_addresses= $speed -c max_connections=400 -c shared_buffers=128MB" >/dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    fi
    echo "postgresql:///postgres?host=$dir&user=postgres"
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  crash)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop|crash DIR" >&2; exit 2 ;;
esac
