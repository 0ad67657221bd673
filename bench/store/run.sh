#!/usr/bin/env bash
# The same API workloads on SQLite and on PostgreSQL in one run (issue 16):
#   reads     GET /v1/tracks/{id}                              (served from memory)
#   playlist  POST /v1/playlists/{id}/tracks, one track each, over 64 playlists
#   library   PUT and DELETE /v1/me/tracks?ids=ID (a save or a removal each)
#   events    POST /v1/me/player/events, batches of 100 events (events/s = 100 x requests/s)
# wrk, BENCH_THREADS x BENCH_CONNECTIONS for BENCH_DURATION s each (bench/lib.sh defaults).
# PostgreSQL is a fresh cluster of Debian's postgresql-15 on a Unix socket with fsync ON and
# full_page_writes ON (durable, as in production); SQLite is Segue's default (WAL,
# synchronous=FULL). Every write is durable before its response on both.
#
# Engine `postgres-redis` (issue 17): PostgreSQL as above plus the event log on Redis Streams
# (`--redis URL --event-log redis`; Debian's redis-server from scripts/redis-test.sh on a Unix
# socket, `appendonly yes`, `appendfsync always`: an append is fsynced before its response).
#
# usage: bench/store/run.sh BUILD_DIR [ENGINES]    (ENGINES default "sqlite postgres";
#        also postgres-redis; BENCH_LOADS="playlist events" runs a subset)
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need wrk curl openssl python3 psql
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
ENGINES="${2:-sqlite postgres}"
LIB="$WORK/library"
PGDIR=""
REDISDIR=""
cleanup_pg() {
  if [ -n "$PGDIR" ]; then "$ROOT/scripts/pg-test-cluster.sh" stop "$PGDIR"; fi
  PGDIR=""
  if [ -n "$REDISDIR" ]; then "$ROOT/scripts/redis-test.sh" stop "$REDISDIR"; fi
  REDISDIR=""
}
trap 'cleanup_pg; bench_cleanup' EXIT

SCOPES="user-read-private user-library-read user-library-modify playlist-read-private playlist-modify-private playlist-modify-public user-modify-playback-state"

for engine in $ENGINES; do
  DATA="$WORK/data-$engine"
  unset SEGUE_DATABASE
  extra=""
  if [ "$engine" = postgres-redis ]; then
    REDISDIR="$(mktemp -d /tmp/segue-redis-bench-XXXXXX)"
    extra="--redis $("$ROOT/scripts/redis-test.sh" start "$REDISDIR") --event-log redis"
  fi
  if [ "$engine" = postgres ] || [ "$engine" = postgres-redis ]; then
    PGDIR="$(mktemp -d /tmp/segue-pg-bench-XXXXXX)"
    admin="$(SEGUE_PG_DURABLE=1 "$ROOT/scripts/pg-test-cluster.sh" start "$PGDIR")"
    psql "$admin" -q -c "CREATE DATABASE bench"
    export SEGUE_DATABASE="${admin/\/postgres\?//bench?}"
  fi
  prepare_segue_data "$DATA" "$LIB"
  SP="$(free_port)"
  start_segue "$DATA" "$LIB" "$SP" false $extra ${BENCH_SEGUE_FLAGS:-}
  BASE="http://127.0.0.1:$SP"
  TOKEN="$(oauth_login "$BASE" "$SCOPES")"
  list_track_ids "$BASE" "$TOKEN" >"$WORK/ids.txt"
  python3 - "$BASE" "$TOKEN" "$WORK" <<'PY'
import json, sys, time, urllib.request
base, token, work = sys.argv[1:4]
ids = [l.strip() for l in open(work + "/ids.txt") if l.strip()]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
playlists = [call("POST", "/v1/me/playlists", {"name": "bench %d" % i, "public": False})["id"] for i in range(64)]
with open(work + "/reads.txt", "w") as f:
    for t in ids: f.write("GET\t/v1/tracks/%s\n" % t)
with open(work + "/playlist.txt", "w") as f:
    for p in playlists:
        for t in ids: f.write("POST\t/v1/playlists/%s/tracks\t%s\n" % (p, json.dumps({"uris": ["spotify:track:" + t]})))
with open(work + "/library.txt", "w") as f:
    for t in ids:
        f.write("PUT\t/v1/me/tracks?ids=%s\n" % t)
        f.write("DELETE\t/v1/me/tracks?ids=%s\n" % t)
now = int(time.time() * 1000)
with open(work + "/events.txt", "w") as f:
    for b in range(64):
        batch = [{"type": "track_end", "track_id": ids[(b * 100 + i) % len(ids)], "position_ms": 60000,
                  "skip": False, "timestamp": now - 3600_000 + b * 1000 + i} for i in range(100)]
        f.write("POST\t/v1/me/player/events\t%s\n" % json.dumps(batch, separators=(",", ":")))
PY
  for load in ${BENCH_LOADS:-reads playlist library events}; do
    echo "== store: $engine, $load" >&2
    line="$(BENCH_TOKEN="$TOKEN" BENCH_REQUESTS="$WORK/$load.txt" run_wrk "$engine-$load" "$BENCH_DIR/store/requests.lua" "$BASE")"
    echo "RESULT bench=store engine=$engine load=$load $line"
  done
  stop_pid "$SEGUE_PID"
  cleanup_pg
done
