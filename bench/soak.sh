#!/usr/bin/env bash
# Soak (issue 14): a long mixed load against one server (streams with Range, searches and
# suggestions, playlist edits, event batches, library changes, WebSockets with churn; see
# bench/soak_driver.mjs), with the server rescanning its library every SOAK_RESCAN seconds
# (default 60) as a long-running server does. Each minute the driver records the server's RSS,
# open descriptors, request and error counts, latency percentiles and WebSocket messages into
# a CSV; bench/plot_soak.py draws it (docs/soak.svg). Goal: flat memory and descriptors, zero
# errors.
#
# usage: bench/soak.sh BUILD_DIR [--minutes N] [--out DIR]     (default 60 minutes, out: docs/)
# Knobs: SOAK_CONCURRENCY (6), SOAK_SOCKETS (20), SOAK_RESCAN (60), SOAK_SAMPLE_SECONDS (60),
#        SOAK_LIBRARY (a folder to serve instead of the generated demo library).
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
shift
MINUTES=60
OUT="$BENCH_DIR/../docs"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
need node curl python3
: "${SOAK_CONCURRENCY:=6}"
: "${SOAK_SOCKETS:=20}"
: "${SOAK_RESCAN:=60}"
: "${SOAK_SAMPLE_SECONDS:=60}"
[ -d "$BENCH_DIR/../tests/node_modules/ws" ] || { echo "run npm ci in tests/ first (needs the ws package)" >&2; exit 2; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

DATA="$WORK/data"
LIB="${SOAK_LIBRARY:-$WORK/library}"
prepare_segue_data "$DATA" "$LIB"
SP="$(free_port)"
# The access log goes to a file (as in production), so its cost and size are part of the run.
SEGUE_ANALYSIS_WORKERS=0 start_segue "$DATA" "$LIB" "$SP" true --rescan-interval "$SOAK_RESCAN"
echo "soak: $MINUTES min against pid $SEGUE_PID on port $SP (rescan every ${SOAK_RESCAN}s)" >&2
. "$BENCH_DIR/../scripts/node-env.sh"
CSV="$OUT/soak.csv"
node "$BENCH_DIR/soak_driver.mjs" --base "http://127.0.0.1:$SP" --pid "$SEGUE_PID" --client "$BENCH_CLIENT_ID" \
  --user "$BENCH_USER" --password "$BENCH_PASSWORD" --csv "$CSV" --minutes "$MINUTES" \
  --concurrency "$SOAK_CONCURRENCY" --sockets "$SOAK_SOCKETS" --sample-seconds "$SOAK_SAMPLE_SECONDS" | tee "$WORK/soak.out"
kill -0 "$SEGUE_PID" 2>/dev/null || { echo "the server died during the soak" >&2; exit 1; }
python3 "$BENCH_DIR/plot_soak.py" "$CSV" "$OUT/soak.svg" "Segue soak: $MINUTES min, $(machine_info)"
python3 - "$CSV" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
first, last = rows[1] if len(rows) > 1 else rows[0], rows[-1]
errors = sum(int(r["errors"]) for r in rows)
requests = sum(int(r["requests"]) for r in rows)
p99 = sorted(float(r["p99_ms"]) for r in rows if r["p99_ms"])
print(f"RESULT bench=soak minutes={float(last['minute']):.0f} requests={requests} errors={errors} "
      f"rss_mb_first={first['rss_mb']} rss_mb_last={last['rss_mb']} rss_mb_max={max(float(r['rss_mb']) for r in rows)} "
      f"fds_first={first['fds']} fds_last={last['fds']} fds_max={max(int(r['fds']) for r in rows)} "
      f"p99_ms_median={p99[len(p99)//2] if p99 else 'nan'} scans={last['scans']}")
PY
