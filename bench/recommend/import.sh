#!/usr/bin/env bash
# `segue import listens` speed (issue 18: at least 100,000 listens/s): BENCH_LISTENS (1,000,000)
# synthetic ListenBrainz lines (make_listens.py) into a fresh data dir with the demo library
# scanned: on SQLite, or on PostgreSQL when SEGUE_DATABASE names an empty database (the CLI
# reads it from the environment).
# usage: bench/recommend/import.sh BUILD_DIR
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need python3
N="${BENCH_LISTENS:-1000000}"
ENGINE=sqlite
[ -n "${SEGUE_DATABASE:-}" ] && ENGINE=postgres
"$SEGUE" demo-library "$WORK/library" >/dev/null
python3 "$(dirname "$0")/make_listens.py" "$WORK/listens.jsonl" "$N"
"$SEGUE" scan --data "$WORK/data" --library "$WORK/library" >/dev/null 2>&1
echo "== import: $N listens, $(du -h "$WORK/listens.jsonl" | cut -f1); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$SEGUE" import listens --data "$WORK/data" --create-users "$WORK/listens.jsonl" |
  sed -n "s/^import: \([0-9]*\) listens read in \([0-9.]*\) s (\([0-9]*\)\/s).*/RESULT bench=import_listens engine=$ENGINE listens=\1 seconds=\2 per_s=\3/p"
"$SEGUE" import listens --data "$WORK/data" "$WORK/listens.jsonl" --user bulk |
  sed -n "s/^import: \([0-9]*\) listens read in \([0-9.]*\) s (\([0-9]*\)\/s): \([0-9]*\) new.*/RESULT bench=import_listens engine=$ENGINE again=1 listens=\1 seconds=\2 per_s=\3 new=\4/p"
