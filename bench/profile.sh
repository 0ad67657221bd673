#!/usr/bin/env bash
# CPU profile of Segue under the streaming or API load (not part of run.sh): runs wrk like
# bench/stream.sh / bench/api.sh while `perf record -g` samples the server, then prints the
# hottest symbols. Build with symbols (RelWithDebInfo) for readable output.
#
# usage: bench/profile.sh BUILD_DIR stream|api [ACCESS_LOG=false]
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
MODE="${2:-stream}"
ALOG="${3:-false}"
need wrk perf curl openssl python3

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"
SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" "$ALOG"
BASE="http://127.0.0.1:$SP"
TOKEN="$(oauth_login "$BASE")"
list_track_ids "$BASE" "$TOKEN" >"$WORK/tracks.txt"

if [ "$MODE" = stream ]; then
  play_streams "$BASE" "$TOKEN" "$WORK/tracks.txt" |
    while read -r fid tok size fmt; do echo "/audio/$fid?token=$tok $size"; done >"$WORK/targets.txt"
  sort -k2,2n "$WORK/targets.txt" | tail -1 >"$WORK/largest.txt"
  export BENCH_TARGETS="$WORK/largest.txt"
  SCRIPT="$BENCH_DIR/range.lua"
else
  sed 's|^|/v1/tracks/|' "$WORK/tracks.txt" >"$WORK/paths.txt"
  export BENCH_TARGETS="$WORK/paths.txt" BENCH_TOKEN="$TOKEN"
  SCRIPT="$BENCH_DIR/api.lua"
fi

perf record -e cpu-clock -F 999 -g -p "$SEGUE_PID" -o "$WORK/perf.data" -- sleep "$BENCH_DURATION" 2>/dev/null &
PERF_PID=$!
BENCH_PIDS+=("$PERF_PID")
run_wrk profile "$SCRIPT" "$BASE"
wait "$PERF_PID" || true
echo "== top symbols (self time)"
perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9]' | awk '{$1=$1; print}' | cut -c1-160 | head -40
echo "== by thread"
perf report -i "$WORK/perf.data" --no-children --sort tid --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9]' | awk '{$1=$1; print}' | head -12
