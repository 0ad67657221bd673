#!/usr/bin/env bash
# Real-time fan-out over /v1/ws: bench/ws_fanout.mjs opens N WebSockets of one user (auth by
# header), subscribes each to "me", then saves/removes a track through the API from another token
# of the same user and times the delivery of library_updated at every subscriber (p50/p99 over
# all deliveries, and per round until the last one). It also reports the server's memory per
# idle subscribed WebSocket (VmRSS before/after, divided by N). The client is one node process
# on the same machine: at 10,000 subscribers its own event loop is part of the delay measured.
#
# usage: bench/ws.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
# Knobs: BENCH_WS_SUBSCRIBERS ("1000 10000"), BENCH_WS_ROUNDS (30).
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need node curl python3
: "${BENCH_WS_SUBSCRIBERS:=1000 10000}"
: "${BENCH_WS_ROUNDS:=30}"
[ -d "$BENCH_DIR/../tests/node_modules/ws" ] || { echo "run npm ci in tests/ first (needs the ws package)" >&2; exit 2; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"

for n in $BENCH_WS_SUBSCRIBERS; do
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n + 200)) ]; then
    echo "ulimit -n is $(ulimit -n); skipping $n subscribers" >&2
    continue
  fi
  SP="$(free_port)"
  start_segue "$DATA" "$LIB" "$SP" false
  BASE="http://127.0.0.1:$SP"
  TOKEN="$(oauth_login "$BASE")"
  list_track_ids "$BASE" "$TOKEN" >"$WORK/tracks.txt"
  TID="$(head -1 "$WORK/tracks.txt")"
  echo "== ws: $n subscribers, $BENCH_WS_ROUNDS rounds" >&2
  line="$(node "$BENCH_DIR/ws_fanout.mjs" --base "$BASE" --pid "$SEGUE_PID" --client "$BENCH_CLIENT_ID" \
    --user "$BENCH_USER" --password "$BENCH_PASSWORD" --track "$TID" --n "$n" --rounds "$BENCH_WS_ROUNDS" |
    sed -n 's/^WS //p')"
  [ -n "$line" ] || { echo "ws_fanout.mjs printed no result" >&2; exit 1; }
  echo "    $line" >&2
  echo "RESULT bench=ws server=segue $line"
  stop_pid "$SEGUE_PID"
done
