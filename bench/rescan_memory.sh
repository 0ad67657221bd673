#!/usr/bin/env bash
# Memory across periodic rescans of an unchanged library (issue 14): a library of N tracks
# (default 28,335, from the TidyTuesday catalog via bench/make_catalog_csv.py and
# `segue demo-library --catalog`) is scanned once by `segue scan`, then `segue serve` rescans
# it every INTERVAL seconds; after each rescan the server's VmRSS is read. Prints the RSS
# after the start-up scan and after each of RESCANS rescans, and the growth per rescan.
# Analysis and the access log are off so that only the rescans run.
#
# usage: bench/rescan_memory.sh BUILD_DIR [RESCANS=12] [INTERVAL=20] [TRACKS=28335]
# The generated library is kept in $RESCAN_LIB (default /tmp/segue-rescan-lib-TRACKS) for the
# next run; delete it to regenerate. RESCAN_SEGUE=/path/to/segue measures another binary (an
# older build, for a before/after comparison).
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
SEGUE="${RESCAN_SEGUE:-$SEGUE}"
RESCANS="${2:-12}"
INTERVAL="${3:-20}"
TRACKS="${4:-28335}"
need curl python3
LIB="${RESCAN_LIB:-${TMPDIR:-/tmp}/segue-rescan-lib-$TRACKS}"
if [ ! -f "$LIB/.done" ]; then
  echo "generating a $TRACKS-track library in $LIB (once)" >&2
  rm -rf "$LIB"
  python3 "$BENCH_DIR/make_catalog_csv.py" "$WORK/catalog.csv" "$TRACKS"
  "$SEGUE" demo-library "$LIB" --catalog "$WORK/catalog.csv" >/dev/null
  touch "$LIB/.done"
fi
DATA="$WORK/data"
mkdir -p "$DATA"
"$SEGUE" scan --data "$DATA" --library "$LIB" >/dev/null 2>&1
PORT="$(free_port)"
SEGUE_ANALYSIS_WORKERS=0 "$SEGUE" serve --data "$DATA" --library "$LIB" --listen "127.0.0.1:$PORT" \
  --access-log false --rescan-interval "$INTERVAL" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SEGUE_PID=$!
BENCH_PIDS+=("$SEGUE_PID")
wait_http "http://127.0.0.1:$PORT/metrics" 120

scans() { curl -s "http://127.0.0.1:$PORT/metrics" | sed -n 's/^segue_scans_total\({}\)\? \([0-9.]*\).*/\2/p' | cut -d. -f1; }
rss_kb() { sed -n 's/^VmRSS:\s*\([0-9]*\).*/\1/p' "/proc/$SEGUE_PID/status"; }
wait_scans() {  # until segue_scans_total >= $1
  local i
  for i in $(seq 1 $(( (INTERVAL + 600) * 10 ))); do
    local n; n="$(scans)"
    [ -n "$n" ] && [ "$n" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "scan $1 did not finish" >&2; return 1
}
wait_scans 1
# The search indexer's first sync of the whole catalog (a fresh index) follows the start-up
# scan; the baseline is taken once it is done.
for i in $(seq 1 3000); do
  curl -s "http://127.0.0.1:$PORT/metrics" | grep -Eq '^segue_search_ready(\{\})? 1' && break
  sleep 0.2
done
sleep 2
base="$(rss_kb)"
echo "after the start-up scan: $((base / 1024)) MB" >&2
echo "RESULT bench=rescan_memory scan=0 rss_kb=$base"
prev=$base
for k in $(seq 1 "$RESCANS"); do
  wait_scans $((k + 1))
  sleep 2
  now="$(rss_kb)"
  echo "rescan $k: $((now / 1024)) MB ($(( (now - prev) )) kB)" >&2
  echo "RESULT bench=rescan_memory scan=$k rss_kb=$now delta_kb=$((now - prev))"
  prev=$now
done
grep -o 'library scan finished.*' "$WORK/serve.err" | tail -2 | sed 's/^/    /' >&2
python3 -c "print(f'RESULT bench=rescan_memory tracks=$TRACKS rescans=$RESCANS interval_s=$INTERVAL rss_mb_start={$base/1024:.1f} rss_mb_end={$prev/1024:.1f} growth_kb_per_rescan={($prev-$base)/$RESCANS:.0f}')"
