#!/usr/bin/env bash
# API benchmark: GET /v1/tracks/{id} with a bearer token (obtained through the OAuth PKCE flow),
# wrk with 2 threads and 64 keep-alive connections for ~10 s, ids chosen at random among the
# demo library's tracks. Segue runs with --access-log false, then with the access log on
# (stderr to /dev/null). Rate limits are raised to 100,000,000 per window so that the limiter
# still runs on every request but never refuses one (the defaults, 6000/3000 per 30 s, would
# turn the benchmark into a 429 benchmark).
#
# usage: bench/api.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need wrk curl openssl python3

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"

for alog in false true; do
  SP="$(free_port)"
  start_segue "$DATA" "$LIB" "$SP" "$alog"
  BASE="http://127.0.0.1:$SP"
  TOKEN="$(oauth_login "$BASE")"
  list_track_ids "$BASE" "$TOKEN" | sed 's|^|/v1/tracks/|' >"$WORK/paths.txt"
  first="$(head -1 "$WORK/paths.txt")"
  bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $TOKEN" "$BASE$first")
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE$first")
  [ "$code" = 200 ] || { echo "expected 200 from $first, got $code" >&2; exit 1; }
  label=segue; [ "$alog" = true ] && label=segue-accesslog
  echo "== api: $label, GET /v1/tracks/{id} ($(wc -l <"$WORK/paths.txt") ids, ~$bytes-byte bodies)" >&2
  line="$(BENCH_TOKEN="$TOKEN" BENCH_TARGETS="$WORK/paths.txt" run_wrk "$label" "$BENCH_DIR/api.lua" "$BASE")"
  echo "RESULT bench=api server=$label body_bytes=$bytes $line"
  stop_pid "$SEGUE_PID"
done
