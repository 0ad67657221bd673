#!/usr/bin/env bash
# GET /v1/tracks/{id} from Segue next to nginx serving the same JSON bodies from files, in one
# run (issue 17: "`GET /v1/tracks/{id}` next to nginx serving the same JSON from a file").
#
# Segue (demo library, --access-log false, rate limits raised so the limiter runs but never
# refuses, as bench/api.sh) answers each track's JSON once; the bodies are written as files
# ROOT/v1/tracks/ID and served by nginx (bench/lib.sh start_nginx: 2 workers, sendfile, no
# access log, Content-Type application/json). Then the same wrk load (bench/api.lua: the same
# paths, the same per-thread seeds, so the same request sequence, with the bearer token, which
# nginx ignores; BENCH_THREADS x BENCH_CONNECTIONS x BENCH_DURATION) runs against both,
# alternating, BENCH_ROUNDS times (default 2): segue, nginx, segue, nginx, ... Each run prints a
# RESULT line; the last lines give the median req/s of each and the ratio segue / nginx.
#
# usage: bench/api_vs_nginx.sh BUILD_DIR      (prints RESULT lines)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need wrk curl openssl python3 nginx cmp
: "${BENCH_ROUNDS:=2}"
[[ "$BENCH_ROUNDS" =~ ^[1-9][0-9]?$ ]] || { echo "BENCH_ROUNDS: expected 1..99" >&2; exit 2; }

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"
SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" false
BASE="http://127.0.0.1:$SP"
TOKEN="$(oauth_login "$BASE")"
list_track_ids "$BASE" "$TOKEN" | sed 's|^|/v1/tracks/|' >"$WORK/paths.txt"
NPATHS=$(wc -l <"$WORK/paths.txt")
[ "$NPATHS" -gt 0 ] || { echo "no tracks" >&2; exit 1; }

# Each body fetched twice (it must not change between requests, else a file is no reference),
# written where nginx finds it under the same path.
WWW="$WORK/www"
while read -r p; do
  mkdir -p "$WWW$(dirname "$p")"
  code=$(curl -s -o "$WWW$p" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE$p")
  [ "$code" = 200 ] || { echo "expected 200 from $p, got $code" >&2; exit 1; }
  curl -s -o "$WORK/again" -H "Authorization: Bearer $TOKEN" "$BASE$p"
  cmp -s "$WORK/again" "$WWW$p" || { echo "$p answered two different bodies" >&2; exit 1; }
done <"$WORK/paths.txt"
BYTES=$(cat "$WWW"/v1/tracks/* | wc -c)
AVG=$((BYTES / NPATHS))

NP="$(free_port)"
start_nginx "$WWW" "$NP" application/json
NGINX="http://127.0.0.1:$NP"
# nginx answers every path with the byte-identical body and a JSON content type.
first="$(head -1 "$WORK/paths.txt")"
curl -s -o "$WORK/again" "$NGINX$first"
cmp -s "$WORK/again" "$WWW$first" || { echo "nginx answered other bytes for $first" >&2; exit 1; }
ctype="$(curl -s -o /dev/null -w '%{content_type}' "$NGINX$first")"
[ "$ctype" = application/json ] || { echo "nginx answered Content-Type '$ctype' for $first" >&2; exit 1; }

echo "== api vs nginx: GET /v1/tracks/{id}, $NPATHS ids, ~$AVG-byte bodies, $BENCH_ROUNDS rounds" >&2
declare -A RPS
RPS[segue]="" RPS[nginx]=""
for round in $(seq 1 "$BENCH_ROUNDS"); do
  for server in segue nginx; do
    url="$BASE"; [ "$server" = nginx ] && url="$NGINX"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    echo "== round $round: $server (load $load)" >&2
    line="$(BENCH_TOKEN="$TOKEN" BENCH_TARGETS="$WORK/paths.txt" run_wrk "$server" "$BENCH_DIR/api.lua" "$url")"
    echo "RESULT bench=api-vs-nginx server=$server round=$round load=$load body_bytes=$AVG $line"
    RPS[$server]+="$(sed -n 's/.*\brps=\([0-9.]*\).*/\1/p' <<<"$line") "
  done
done
python3 - "${RPS[segue]}" "${RPS[nginx]}" <<'PY'
import statistics, sys
s = [float(x) for x in sys.argv[1].split()]
n = [float(x) for x in sys.argv[2].split()]
ms, mn = statistics.median(s), statistics.median(n)
ratios = " ".join(f"{a / b:.2f}" for a, b in zip(s, n))
print(f"RESULT bench=api-vs-nginx-ratio rounds={len(s)} segue_median_rps={ms:.0f} nginx_median_rps={mn:.0f} "
      f"ratio={ms / mn:.2f} round_ratios={ratios.replace(' ', ',')}")
PY
