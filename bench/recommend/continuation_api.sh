#!/usr/bin/env bash
# Playlist continuation through the API (issue 18): the TidyTuesday Spotify songs
# (../shared/data/catalog/tidytuesday-2020-01-21-spotify-songs/) become a catalog (one short
# tagged file per track, `segue demo-library --catalog`: artist, "<spotify id> <title>", album,
# release year; no audio features, see docs/benchmarks.md), every playlist's visible half (the
# seeded split segue_recommend_continuation uses, written by its --dump-split) is imported as a
# public playlist of its own user through POST /v1/me/playlists/import, `segue recommend train`
# trains, and each owner asks GET /v1/playlists/{id}/recommendations?limit=max(20, R).
# R-precision, Recall@20 and NDCG@20 of the hidden halves next to popularity, item-kNN and the
# offline models on the same split in the same run (bench/recommend/continuation_api.py).
# usage: bench/recommend/continuation_api.sh BUILD_DIR   (knobs: BENCH_SEED (1),
# BENCH_THREADS (2 request threads), BENCH_KEEP=1 keeps the work dir)
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need python3 curl
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/../../../shared/data/catalog/tidytuesday-2020-01-21-spotify-songs"
offline="$(cd "${1:?}" && pwd)/bench/segue_recommend_continuation"
[ -x "$offline" ] || { echo "missing $offline (cmake --build BUILD --target segue_recommend_continuation)" >&2; exit 2; }
[ -f "$data/tracks.csv.gz" ] || { echo "missing $data/tracks.csv.gz" >&2; exit 2; }
SEED="${BENCH_SEED:-1}"
THREADS="${BENCH_THREADS:-2}"
DATA="$WORK/data"
LIB="$WORK/library"
echo "== $(machine_info); load $(cut -d' ' -f1-3 /proc/loadavg); seed $SEED; work dir $WORK" >&2

stamp() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(stamp)"; }

# The offline models on the same split (their figures, and the split itself), and the blend with
# content from the album year alone: what the server has without audio features.
"$offline" "$data" --seed "$SEED" --dump-split "$WORK/split.tsv" | sed "s/ model=/ seed=$SEED model=/"
"$offline" "$data" --seed "$SEED" --no-audio --only blend | sed "s/ model=blend/ seed=$SEED model=blend_year_only/"
"$offline" "$data" --seed "$SEED" --no-audio --only content | sed "s/ model=content/ seed=$SEED model=content_year_only/"
python3 "$here/continuation_api.py" prepare "$data" "$WORK/split.tsv" "$WORK"

PASSWORD="bench-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
t=$(stamp)
# The first alone: it creates the data dir's secret key, which two at once would race for.
head -1 "$WORK/users" | xargs -I{} sh -c 'printf "%s\n" "$1" | "$2" user add "$3" --data "$4" >/dev/null' _ "$PASSWORD" "$SEGUE" {} "$DATA"
tail -n +2 "$WORK/users" | xargs -P 2 -I{} sh -c 'printf "%s\n" "$1" | "$2" user add "$3" --data "$4" >/dev/null' _ "$PASSWORD" "$SEGUE" {} "$DATA"
echo "== $(wc -l <"$WORK/users") users added in $(since "$t") s" >&2

t=$(stamp)
"$SEGUE" demo-library "$LIB" --catalog "$WORK/catalog.csv" >/dev/null
echo "== catalog library ($(find "$LIB" -name '*.ogg' | wc -l) files, $(du -sh "$LIB" | cut -f1)) in $(since "$t") s" >&2
t=$(stamp)
"$SEGUE" scan --data "$DATA" --library "$LIB" >"$WORK/scan.out" 2>&1 || { cat "$WORK/scan.out" >&2; exit 1; }
echo "== scanned in $(since "$t") s: $(grep -v '^\s*$' "$WORK/scan.out" | tail -1)" >&2

REDIRECT="http://127.0.0.1:8888/callback"
CLIENT_ID="$("$SEGUE" client add bench --redirect-uri "$REDIRECT" --public --data "$DATA" | sed -n 's/^client_id: //p')"
[ -n "$CLIENT_ID" ] || { echo "client add printed no client_id" >&2; exit 1; }

# No "analysis" role: every file is a copy of one short template, so its analysis would give
# every track the same features. No scheduled training either: `segue recommend train` below.
PORT="$(free_port)"
t=$(stamp)
start_segue "$DATA" "$LIB" "$PORT" false --roles api,scanner,events --recommend-train-interval 0
echo "== server up (startup scan done) in $(since "$t") s" >&2
BASE="http://127.0.0.1:$PORT"
python3 "$here/continuation_api.py" create "$WORK" "$BASE" "$CLIENT_ID" "$REDIRECT" "$PASSWORD" "$THREADS"

t=$(stamp)
"$SEGUE" recommend train --data "$DATA" >"$WORK/train.out" 2>&1 || { cat "$WORK/train.out" >&2; exit 1; }
echo "RESULT bench=recommend_continuation_api_train wall_s=$(since "$t")"
tail -3 "$WORK/train.out" >&2
# The server loads the new model (and rebuilds its content vectors) within a 5 s poll.
for _ in $(seq 1 240); do
  curl -s "$BASE/metrics" | grep -Eq '^segue_recommend_model_version [1-9]' && break
  sleep 0.5
done
sleep 10
echo "== load before the queries $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$here/continuation_api.py" query "$WORK" "$BASE" "$THREADS"
