#!/usr/bin/env bash
# Initial search index build (issue 15): how long after `segue serve` starts the server is ready
# (/healthz "ready": true; searches answered 503 with Retry-After until then), on a library of
# N generated tagged files (bench/make_catalog_csv.py: real TidyTuesday rows first).
#
# Three starts on one data dir:
#   1. scanned: the library was scanned beforehand (`segue scan`), the index is empty, so the
#      start is the pure initial build of every document;
#   2. restart: the same data dir again, index complete (searches answer at once);
#   3. fresh: an empty data dir, so the start scans and then builds.
# "build_s" is the indexer's own "search index built ... ms=N" log line; "ready_s" is from
# starting the process to the first /healthz that says ready (polled every 20 ms).
#
# usage: bench/search_ready.sh BUILD_DIR [ROWS]     (ROWS default 28352: the whole real catalog)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need python3
need curl
ROWS="${2:-28352}"

python3 "$BENCH_DIR/make_catalog_csv.py" "$WORK/catalog.csv" "$ROWS"
"$SEGUE" demo-library "$WORK/lib" --catalog "$WORK/catalog.csv" >/dev/null
FILES=$(find "$WORK/lib" -type f -name '*.ogg' | wc -l)
echo "generated $FILES files" >&2

start_until_ready() {  # label data_dir
  local label="$1" data="$2" t0 port="" pid ready_s build_ms docs health
  : >"$WORK/serve.out"
  t0=$(date +%s.%N)
  "$SEGUE" serve --data "$data" --library "$WORK/lib" --listen 127.0.0.1:0 --web off --access-log false \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
  pid=$!
  BENCH_PIDS+=("$pid")
  for _ in $(seq 1 3000); do
    port=$(sed -n 's/^Segue is serving http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/serve.out")
    [ -n "$port" ] && break
    sleep 0.01
  done
  [ -n "$port" ] || { echo "serve printed no port" >&2; cat "$WORK/serve.err" >&2; exit 1; }
  for _ in $(seq 1 60000); do
    health=$(curl -s "http://127.0.0.1:$port/healthz" || true)
    if grep -q '"ready":true,"search"\|"live":true,"ready":true' <<<"$health" && grep -q '"tracks":[1-9]' <<<"$health"; then break; fi
    sleep 0.02
  done
  ready_s=$(python3 -c "import time; print(f'{time.time()-$t0:.2f}')")
  build_ms=$(sed -n 's/.*search index built.* ms=\([0-9]*\).*/\1/p' "$WORK/serve.err" | tail -1)
  docs=$(sed -n 's/.*"indexed":\([0-9]*\).*/\1/p' <<<"$health")
  echo "    $health" >&2
  echo "RESULT bench=search_ready start=$label files=$FILES documents=$docs ready_s=$ready_s build_s=$(python3 -c "print(f'{${build_ms:-0}/1000:.2f}')")"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

mkdir -p "$WORK/data" "$WORK/fresh"
"$SEGUE" scan --data "$WORK/data" --library "$WORK/lib" >/dev/null 2>&1
echo "== start on a scanned library, empty index" >&2
start_until_ready scanned "$WORK/data"
echo "== restart, index complete" >&2
start_until_ready restart "$WORK/data"
echo "== start on an empty data dir (scan, then build)" >&2
start_until_ready fresh "$WORK/fresh"
