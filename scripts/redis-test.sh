#!/bin/sh
# A throwaway Redis for the tests, on a Unix socket only (no TCP port), configured as the event
# log on Redis Streams requires (events/redis_stream.h): an append-only file fsynced on every
# write (`appendonly yes`, `appendfsync always`), kept in DIR, so a restart on the same DIR keeps
# the data; no RDB snapshots.
#   scripts/redis-test.sh start DIR   starts redis-server with its socket in DIR (if it is not
#                                     running already); prints its URL (redis:///DIR/redis.sock)
#   scripts/redis-test.sh stop DIR    stops it and removes DIR
# (Stopping the process alone, e.g. kill "$(cat DIR/redis.pid)", and starting again on the same
# DIR is a Redis restart that keeps the data.)
# Debian's redis-server package provides the binary (scripts/setup.sh installs it).
set -eu
cmd="${1:?start|stop}"
dir="${2:?redis directory}"
command -v redis-server >/dev/null 2>&1 || { echo "redis-test: redis-server missing (apt-get install redis-server)" >&2; exit 1; }
sock="$dir/redis.sock"
running() { [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    sock="$dir/redis.sock"
    if ! running; then
      rm -f "$sock"
      redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$dir" \
        --save '' --appendonly yes --appendfsync always --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" ||
        { cat "$dir/redis.log" >&2 2>/dev/null; exit 1; }
      i=0
      until [ -S "$sock" ]; do
        i=$((i + 1))
        [ "$i" -le 100 ] || { echo "redis-test: no socket after 10 s" >&2; cat "$dir/redis.log" >&2; exit 1; }
        sleep 0.1
      done
    fi
    echo "redis://$sock"
    ;;
  stop)
    if running; then
      pid="$(cat "$dir/redis.pid")"
      kill "$pid"
      i=0
      while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
