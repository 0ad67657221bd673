#!/usr/bin/env bash
# Web player files: whole-file GETs of index.html and every file of web/dist (what a browser
# fetches to open the player with a cold cache), over keep-alive (wrk, 2 threads, 64
# connections), from Segue (--web web/dist) and from nginx (sendfile on) serving a copy of the
# same directory, in the same run, with the same request sequence (bench/web.lua).
#
# usage: bench/web.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need wrk nginx curl python3

DIST="$BENCH_DIR/../web/dist"
[ -f "$DIST/index.html" ] || { echo "web/dist is not built (scripts/build-web.sh)" >&2; exit 1; }
DIST="$(cd "$DIST" && pwd)"
mkdir -p "$WORK/www" "$WORK/empty"
cp -r "$DIST/." "$WORK/www/"

# Targets: "/" (index.html) and every other file, source maps excluded (browsers fetch them
# only with the developer tools open).
{
  echo "/ $(stat -c %s "$WORK/www/index.html")"
  (cd "$WORK/www" && find . -type f ! -name '*.map' ! -name index.html -printf '/%P %s\n')
} >"$WORK/web.txt"
NFILES=$(wc -l <"$WORK/web.txt")
TOTAL=$(awk '{s+=$2} END {print s}' "$WORK/web.txt")
echo "web files: $NFILES ($TOTAL bytes)" >&2

DATA="$WORK/data"
mkdir -p "$DATA"
SP="$(free_port)"
start_segue "$DATA" "$WORK/empty" "$SP" false --web "$DIST"
NP="$(free_port)"
start_nginx "$WORK/www" "$NP"

# Sanity: the same bytes from both.
while read -r p _; do
  a="$(curl -s "http://127.0.0.1:$SP$p" | sha256sum)"
  b="$(curl -s "http://127.0.0.1:$NP$p" | sha256sum)"
  [ "$a" = "$b" ] || { echo "Segue and nginx differ on $p" >&2; exit 1; }
done <"$WORK/web.txt"

declare -A R
for label in segue nginx; do
  port=$SP
  [ "$label" = nginx ] && port=$NP
  echo "== web: $label" >&2
  line="$(BENCH_TARGETS="$WORK/web.txt" run_wrk "$label" "$BENCH_DIR/web.lua" "http://127.0.0.1:$port")"
  R[$label]="$line"
  echo "RESULT bench=web server=$label $line"
done
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
ratio=$(python3 -c "print(f'{$(field "${R[segue]}" rps)/$(field "${R[nginx]}" rps):.2f}')")
echo "RESULT bench=web-ratio server=segue ratio=$ratio"
echo "RESULT bench=web-info files=$NFILES total_bytes=$TOTAL"
