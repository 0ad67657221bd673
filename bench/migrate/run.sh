#!/usr/bin/env bash
# `segue migrate`'s copy rate: an instance on SQLite (the demo library) populated through the API
# (bench/migrate/populate.mjs: users, library saves, playlist edits, playback events), stopped,
# then copied into a fresh PostgreSQL database of a throwaway cluster (scripts/pg-test-cluster.sh,
# with fsync and full_page_writes turned back on).
# Prints the populate summary and migrate's own (tables, rows, seconds, rows/s).
#
# usage: bench/migrate/run.sh BUILD_DIR [USERS] [EVENTS] [EDITS_PER_PLAYLIST]   (defaults 20 200000 100)
set -euo pipefail
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR [USERS] [EVENTS] [EDITS]" >&2; exit 2; }
USERS="${2:-20}"; EVENTS="${3:-200000}"; EDITS="${4:-100}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SEGUE="$(cd "$BUILD" && pwd)/src/app/segue"
WORK="$(mktemp -d /tmp/segue-migrate-bench.XXXXXX)"
PG="/tmp/segue-migrate-bench-pg.$$"  # outside WORK: the cluster runs as another user when root
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  "$ROOT/scripts/pg-test-cluster.sh" stop "$PG" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
. "$ROOT/scripts/node-env.sh"
unset SEGUE_DATABASE
ADMIN="$("$ROOT/scripts/pg-test-cluster.sh" start "$PG" | tail -1)"
# The test cluster runs without fsync; measure with durable commits.
psql "$ADMIN" -qc "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
DATA="$WORK/data"; LIB="$WORK/library"
"$SEGUE" demo-library "$LIB" >/dev/null
for i in $(seq 0 $((USERS - 1))); do echo "pw-u$i-correct horse" | "$SEGUE" user add "u$i" --data "$DATA" >/dev/null; done
CLIENT="$("$SEGUE" client add bench --redirect-uri http://127.0.0.1:9/callback --data "$DATA")"
CID="$(sed -n 's/^client_id: //p' <<<"$CLIENT")"; CSECRET="$(sed -n 's/^client_secret: //p' <<<"$CLIENT")"
"$SEGUE" serve --data "$DATA" --library "$LIB" --listen 127.0.0.1:0 --access-log false \
  --rate-limit-client 0 --rate-limit-user 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 200); do grep -q "Segue is serving" "$WORK/serve.out" && break; sleep 0.1; done
BASE="$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.out" | head -1)"
for _ in $(seq 200); do curl -fs "$BASE/healthz" | grep -q '"tracks":[1-9]' && break; sleep 0.1; done
node "$HERE/populate.mjs" "$BASE" "$CID" "$CSECRET" "$USERS" "$EVENTS" "$EDITS"
kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
psql "$ADMIN" -qc "CREATE DATABASE bench_target"
TARGET="${ADMIN/\/postgres\?/\/bench_target?}"
du -sh "$DATA/segue.db" "$DATA/events-derived" | sed 's/^/source: /'
"$SEGUE" migrate --data "$DATA" --to "$TARGET"
