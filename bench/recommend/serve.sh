#!/usr/bin/env bash
# Serving speed of recommendations at catalog scale (issue 18: GET /v1/recommendations and an
# uncached home at p99 under 20 ms with a 1,000,000-track catalog; a cached home under 2 ms).
# A synthetic catalog (bench/recommend/fill.cc: tracks, albums, artists, genres, audio features
# for 90 %) goes into a data dir through the catalog's and analysis' own store functions, the
# users' listening through `segue import listens --create-users`; `segue recommend train`
# trains; `segue serve` (roles api and events: no scanner, since the audio files do not exist)
# answers; bench/recommend/serve.py logs BENCH_LOGIN_USERS users in through OAuth and measures,
# one request at a time over one keep-alive connection:
#   - GET /v1/recommendations with 1-5 random seeds (tracks, artists, genres), half with tunables;
#   - GET /v1/me/home, first uncached (the answer says "cached": false) then cached, and
#     uncached again after a save (a strong signal drops the user's cached shelves);
#   - GET /v1/me/recommendations?type=track.
# usage: bench/recommend/serve.sh BUILD_DIR   (knobs: BENCH_TRACKS (1000000), BENCH_USERS (10000),
# BENCH_LISTENS_PER_USER (200), BENCH_LOGIN_USERS (200), BENCH_REQUESTS (2000), BENCH_KEEP=1,
# BENCH_DATA=DIR reuses (or keeps, when new) a filled and trained data dir)
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need python3 curl
here="$(cd "$(dirname "$0")" && pwd)"
fill="$(cd "$1" && pwd)/bench/segue_recommend_fill"
[ -x "$fill" ] || { echo "missing $fill (cmake --build $1 --target segue_recommend_fill)" >&2; exit 2; }
TRACKS="${BENCH_TRACKS:-1000000}"
USERS="${BENCH_USERS:-10000}"
LOGINS="${BENCH_LOGIN_USERS:-200}"
DATA="${BENCH_DATA:-$WORK/data}"
LIB="$WORK/library"  # empty: the server runs no scanner
mkdir -p "$LIB"
stamp() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(stamp)"; }
echo "== $(machine_info); load $(cut -d' ' -f1-3 /proc/loadavg); $TRACKS tracks, $USERS users; data $DATA" >&2

if [ ! -f "$DATA/.bench-filled" ]; then
  mkdir -p "$DATA"
  PASSWORD="bench-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
  echo "$PASSWORD" >"$DATA/.bench-password"
  t=$(stamp)
  # The logged-in users first, while the database is small (each CLI command checks its
  # integrity when it opens it); the import finds them by name. The first alone: it creates the
  # data dir's secret key.
  seq 1 "$LOGINS" | awk '{ printf "u%05d\n", $1 }' >"$DATA/.bench-users"
  head -1 "$DATA/.bench-users" | xargs -I{} sh -c 'printf "%s\n" "$1" | "$2" user add "$3" --tier premium --data "$4" >/dev/null' _ "$PASSWORD" "$SEGUE" {} "$DATA"
  tail -n +2 "$DATA/.bench-users" | xargs -P 2 -I{} sh -c 'printf "%s\n" "$1" | "$2" user add "$3" --tier premium --data "$4" >/dev/null' _ "$PASSWORD" "$SEGUE" {} "$DATA"
  echo "== $LOGINS users added in $(since "$t") s" >&2
  t=$(stamp)
  "$fill" "$DATA" "$DATA/listens.jsonl" --tracks "$TRACKS" --users "$USERS" --listens-per-user "${BENCH_LISTENS_PER_USER:-200}"
  echo "== catalog filled in $(since "$t") s" >&2
  t=$(stamp)
  "$SEGUE" import listens --data "$DATA" --create-users "$DATA/listens.jsonl" >"$WORK/import.out"
  grep -m1 '^import:' "$WORK/import.out" >&2 || { cat "$WORK/import.out" >&2; exit 1; }
  echo "== imported in $(since "$t") s" >&2
  t=$(stamp)
  "$SEGUE" recommend train --data "$DATA" >"$WORK/train.out" 2>&1 || { cat "$WORK/train.out" >&2; exit 1; }
  grep -v '^\s*$' "$WORK/train.out" | tail -3 >&2
  echo "RESULT bench=recommend_serve_train tracks=$TRACKS wall_s=$(since "$t")"
  REDIRECT="http://127.0.0.1:8888/callback"
  "$SEGUE" client add bench --redirect-uri "$REDIRECT" --public --data "$DATA" | sed -n 's/^client_id: //p' >"$DATA/.bench-client"
  touch "$DATA/.bench-filled"
fi
PASSWORD="$(cat "$DATA/.bench-password")"
CLIENT_ID="$(cat "$DATA/.bench-client")"
[ -n "$CLIENT_ID" ] || { echo "no bench client in $DATA" >&2; exit 1; }

PORT="$(free_port)"
t=$(stamp)
"$SEGUE" serve --data "$DATA" --library "$LIB" --listen "127.0.0.1:$PORT" --roles api,events \
  --rate-limit-client 100000000 --rate-limit-user 100000000 --max-connections-per-address 0 \
  >"$WORK/segue.out" 2>"${BENCH_SEGUE_LOG:-/dev/null}" &
SEGUE_PID=$!
BENCH_PIDS+=("$SEGUE_PID")
wait_http "http://127.0.0.1:$PORT/metrics" 600
# Ready once the model and the content index are in memory.
for _ in $(seq 1 1200); do
  curl -s "http://127.0.0.1:$PORT/metrics" | grep -Eq '^segue_recommend_content_tracks(\{\})? [1-9]' && break
  sleep 0.5
done
echo "== server up, model and content index loaded, in $(since "$t") s; RSS $(ps -o rss= -p "$SEGUE_PID" | awk '{printf "%.0f MB", $1/1024}')" >&2
python3 "$here/serve.py" "http://127.0.0.1:$PORT" "$CLIENT_ID" "http://127.0.0.1:8888/callback" "$PASSWORD" \
  "$DATA/.bench-users" "$DATA/listens.jsonl.seeds" "${BENCH_REQUESTS:-2000}" "$TRACKS"
echo "== server RSS after: $(ps -o rss= -p "$SEGUE_PID" | awk '{printf "%.0f MB", $1/1024}')" >&2
