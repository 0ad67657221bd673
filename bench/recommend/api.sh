#!/usr/bin/env bash
# The acceptance measurement of issue 18 through the API: the HetRec 2011 Last.fm plays
# (../shared/data/listening/hetrec2011-lastfm-2k/) become a catalog (one short track per
# artist, `segue demo-library --catalog`) and imported listens (`segue import listens
# --create-users`, 20 % of each user's artists hidden first), `segue recommend train` trains,
# `segue serve` serves, and every user, logged in through OAuth, asks
# GET /v1/me/recommendations?type=artist&limit=20. Recall@20 and NDCG@20 of the hidden artists
# next to popularity and item-kNN on the same split (bench/recommend/api.py has the details).
# usage: bench/recommend/api.sh BUILD_DIR   (knobs: BENCH_SEED (1), BENCH_LOGIN_THREADS (4),
# BENCH_KEEP=1 keeps the work dir)
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need python3 curl
here="$(cd "$(dirname "$0")" && pwd)"
hetrec="$here/../../../shared/data/listening/hetrec2011-lastfm-2k"
[ -f "$hetrec/user_artists.train.tsv" ] || { echo "missing $hetrec/user_artists.train.tsv" >&2; exit 2; }
SEED="${BENCH_SEED:-1}"
DATA="$WORK/data"
LIB="$WORK/library"
echo "== $(machine_info); load $(cut -d' ' -f1-3 /proc/loadavg); seed $SEED; work dir $WORK" >&2

stamp() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(stamp)"; }

t=$(stamp)
python3 "$here/api.py" prepare "$hetrec" "$WORK" "$SEED"
echo "== split and listens written in $(since "$t") s" >&2
python3 "$here/api.py" baselines "$WORK"

# Every HetRec user gets an account with the same password now, while the database is small:
# each CLI command checks the database's integrity when it opens it (PRAGMA quick_check), about
# a second once the listens are in, against 0.08 s here. The import then finds them by name
# (--create-users would create them, without a password, if they were not there).
PASSWORD="bench-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
t=$(stamp)
python3 -c 'import json,sys; [print(s["user"]) for s in json.load(open(sys.argv[1]))["users"]]' "$WORK/split.json" >"$WORK/users"
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

t=$(stamp)
"$SEGUE" import listens --data "$DATA" --create-users "$WORK/listens.jsonl" >"$WORK/import.out"
grep -m1 '^import:' "$WORK/import.out" >&2 || { cat "$WORK/import.out" >&2; exit 1; }
echo "== imported in $(since "$t") s; $(grep -c 'created user' "$WORK/import.out") users created by the import" >&2
rm -f "$WORK/listens.jsonl"

t=$(stamp)
"$SEGUE" recommend train --data "$DATA" >"$WORK/train.out" 2>&1 || { cat "$WORK/train.out" >&2; exit 1; }
train_s=$(since "$t")
cat "$WORK/train.out" >&2
echo "RESULT bench=recommend_api_train wall_s=$train_s"

REDIRECT="http://127.0.0.1:8888/callback"
CLIENT_ID="$("$SEGUE" client add bench --redirect-uri "$REDIRECT" --public --data "$DATA" | sed -n 's/^client_id: //p')"
[ -n "$CLIENT_ID" ] || { echo "client add printed no client_id" >&2; exit 1; }

PORT="$(free_port)"
t=$(stamp)
start_segue "$DATA" "$LIB" "$PORT" false
# and for the search index the server builds at start, so it does not compete with the queries.
for _ in $(seq 1 600); do
  curl -s "http://127.0.0.1:$PORT/healthz" | grep -q '"ready":true' && break
  sleep 0.5
done
echo "== server up (startup scan done, ready) in $(since "$t") s" >&2
python3 "$here/api.py" query "$WORK" "http://127.0.0.1:$PORT" "$CLIENT_ID" "$REDIRECT" "$PASSWORD" "${BENCH_LOGIN_THREADS:-4}"
