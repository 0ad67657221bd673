#!/usr/bin/env bash
# Memory per idle keep-alive connection: bench/idle_conns.py opens N=10,000 connections, sends
# one cheap request on each (Segue: GET /v1/tracks/{id} with a bearer token; nginx: GET of a
# static copy of that same JSON), keeps them open and idle, and compares the server's RSS before
# and after (Segue: the process' VmRSS; nginx: the sum over its 2 workers), divided by N.
# Measured well within the 75 s idle timeout of both servers.
#
# usage: bench/memory.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need nginx curl openssl python3
: "${BENCH_IDLE_CONNS:=10000}"

# Both the client and the servers need > N descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((BENCH_IDLE_CONNS + 200)) ]; then
  echo "ulimit -n is $(ulimit -n); need more than $BENCH_IDLE_CONNS" >&2
  exit 1
fi

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"

SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" false
BASE="http://127.0.0.1:$SP"
TOKEN="$(oauth_login "$BASE")"
list_track_ids "$BASE" "$TOKEN" >"$WORK/tracks.txt"
TID="$(head -1 "$WORK/tracks.txt")"
mkdir -p "$WORK/www/v1/tracks"
curl -s -H "Authorization: Bearer $TOKEN" -o "$WORK/www/v1/tracks/$TID" "$BASE/v1/tracks/$TID"
chmod 755 "$WORK"; chmod -R a+rX "$WORK/www"
# Warm up the route so lazily created state (metric series, caches) is in the baseline.
for _ in 1 2 3; do curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/v1/tracks/$TID"; done

echo "== memory: segue, $BENCH_IDLE_CONNS idle connections" >&2
line="$(python3 "$BENCH_DIR/idle_conns.py" --port "$SP" --path "/v1/tracks/$TID" \
  --header "Authorization: Bearer $TOKEN" --pids "$SEGUE_PID" --n "$BENCH_IDLE_CONNS" | sed -n 's/^MEM //p')"
echo "    $line" >&2
echo "RESULT bench=memory server=segue $line"
stop_pid "$SEGUE_PID"

NP="$(free_port)"
start_nginx "$WORK/www" "$NP"
curl -s -o /dev/null "http://127.0.0.1:$NP/v1/tracks/$TID"
WORKERS="$(nginx_workers "$NGINX_PID" | tr ' ' ',' | sed 's/,$//')"
echo "== memory: nginx (workers $WORKERS), $BENCH_IDLE_CONNS idle connections" >&2
line="$(python3 "$BENCH_DIR/idle_conns.py" --port "$NP" --path "/v1/tracks/$TID" \
  --pids "$WORKERS" --n "$BENCH_IDLE_CONNS" | sed -n 's/^MEM //p')"
echo "    $line" >&2
echo "RESULT bench=memory server=nginx $line"
