#!/usr/bin/env bash
# Streaming benchmark: 16 KB range requests over keep-alive (wrk, 2 threads, 64 connections,
# ~10 s) against Segue's /audio/{file_id}?token=... (stream-token checks on) and against nginx
# (sendfile on, 2 workers, access_log off) serving byte-identical copies of the same files, in the
# same run, with the same request sequence (bench/range.lua). Segue runs twice: with
# --access-log false and with the access log on (stderr to /dev/null).
#
# Two target sets: "largest" (the largest file of the demo library) and "all" (every file the
# demo library's tracks stream as, chosen at random per request).
#
# usage: bench/stream.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need wrk nginx curl openssl python3

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"

SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" false
BASE="http://127.0.0.1:$SP"
TOKEN="$(oauth_login "$BASE")"

# One stream per track via POST /v1/me/player/play (lossless preferred: the largest files).
mkdir -p "$WORK/www/audio"
list_track_ids "$BASE" "$TOKEN" >"$WORK/tracks.txt"
play_streams "$BASE" "$TOKEN" "$WORK/tracks.txt" >"$WORK/files.txt"
sort -u -k1,1 "$WORK/files.txt" | sort -k3,3n >"$WORK/files.sorted"
[ -s "$WORK/files.sorted" ] || { echo "no playable files" >&2; exit 1; }

# nginx gets byte-identical copies, fetched through Segue itself, at the same URL path.
: >"$WORK/all.txt"
while read -r fid tok size fmt; do
  curl -s -o "$WORK/www/audio/$fid" "$BASE/audio/$fid?token=$tok"
  got=$(stat -c %s "$WORK/www/audio/$fid")
  [ "$got" = "$size" ] || { echo "downloaded $got bytes of $fid, expected $size" >&2; exit 1; }
  echo "/audio/$fid?token=$tok $size" >>"$WORK/all.txt"
done <"$WORK/files.sorted"
tail -1 "$WORK/all.txt" >"$WORK/largest.txt"
read -r LFID _ LSIZE LFMT < <(tail -1 "$WORK/files.sorted")
NFILES=$(wc -l <"$WORK/all.txt")
TOTAL_BYTES=$(awk '{s+=$2} END {print s}' "$WORK/all.txt")
echo "files: $NFILES ($TOTAL_BYTES bytes); largest: $LFID $LFMT $LSIZE bytes" >&2

NP="$(free_port)"
start_nginx "$WORK/www" "$NP"
NBASE="http://127.0.0.1:$NP"

# Sanity: both answer the same 206 with the same 16 KB.
check_range() {
  local url="$1" out="$2" code
  code=$(curl -s -o "$out" -w '%{http_code}' -H 'Range: bytes=16384-32767' "$url")
  [ "$code" = 206 ] || { echo "expected 206 from $url, got $code" >&2; exit 1; }
  [ "$(stat -c %s "$out")" = 16384 ] || { echo "expected 16384 bytes from $url" >&2; exit 1; }
}
LPATH="$(cut -d' ' -f1 "$WORK/largest.txt")"
check_range "$BASE$LPATH" "$WORK/r1"
check_range "$NBASE$LPATH" "$WORK/r2"
cmp -s "$WORK/r1" "$WORK/r2" || { echo "Segue and nginx returned different bytes" >&2; exit 1; }

LUA="$BENCH_DIR/range.lua"
declare -A R
bench_set() {  # server-label base-url set
  local label="$1" url="$2" set="$3" line
  echo "== stream: $label, $set" >&2
  line="$(BENCH_TARGETS="$WORK/$set.txt" run_wrk "$label/$set" "$LUA" "$url")"
  R["$label/$set"]="$line"
  echo "RESULT bench=stream set=$set server=$label $line"
}

for set in largest all; do bench_set segue "$BASE" "$set"; done
for set in largest all; do bench_set nginx "$NBASE" "$set"; done

# Segue again, access log on (to /dev/null): same data dir, so the same tokens stay valid.
stop_pid "$SEGUE_PID"
SP2="$(free_port)"
start_segue "$DATA" "$LIB" "$SP2" true
check_range "http://127.0.0.1:$SP2$LPATH" "$WORK/r3"
for set in largest all; do bench_set segue-accesslog "http://127.0.0.1:$SP2" "$set"; done

field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
for set in largest all; do
  n=$(field "${R[nginx/$set]}" rps)
  for s in segue segue-accesslog; do
    v=$(field "${R[$s/$set]}" rps)
    ratio=$(python3 -c "print(f'{$v/$n:.2f}')")
    echo "RESULT bench=stream-ratio set=$set server=$s ratio=$ratio"
  done
done
echo "RESULT bench=stream-info files=$NFILES total_bytes=$TOTAL_BYTES largest_bytes=$LSIZE largest_format=$LFMT"
