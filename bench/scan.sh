#!/usr/bin/env bash
# Scan benchmark: files per second over N=10,000 generated tagged files (one short Ogg Vorbis
# file per catalog row, written by `segue demo-library DIR --catalog FILE.csv`), first scan into
# an empty data dir and rescan with nothing changed. Files are in the page cache (just written):
# this measures tag reading, hashing/stat and the SQL store, not a cold disk.
#
# usage: bench/scan.sh BUILD_DIR      (prints RESULT lines; see bench/run.sh)
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need python3
: "${BENCH_SCAN_FILES:=10000}"

python3 "$BENCH_DIR/make_catalog_csv.py" "$WORK/catalog.csv" "$BENCH_SCAN_FILES"
t0=$(date +%s.%N)
"$SEGUE" demo-library "$WORK/lib" --catalog "$WORK/catalog.csv" >/dev/null
t1=$(date +%s.%N)
FILES=$(find "$WORK/lib" -type f \( -name '*.ogg' -o -name '*.mp3' -o -name '*.flac' -o -name '*.opus' -o -name '*.m4a' -o -name '*.wav' \) | wc -l)
BYTES=$(du -sb "$WORK/lib" | cut -f1)
echo "generated $FILES files ($BYTES bytes) in $(python3 -c "print(f'{$t1-$t0:.1f}')") s" >&2

scan_once() {  # label
  local out t0 t1 wall n ms rate wrate
  t0=$(date +%s.%N)
  out="$("$SEGUE" scan --data "$WORK/data" --library "$WORK/lib" 2>"$WORK/scan.err")"
  t1=$(date +%s.%N)
  echo "    $out" | head -3 >&2
  n=$(sed -n 's/^scan: \([0-9]*\) files in .*/\1/p' <<<"$out")
  # The log line "library scan finished ... ms=N" has the scan's own time in milliseconds (the
  # summary line rounds to 0.1 s); wall time adds process start, opening the database and exit.
  ms=$(sed -n 's/.*library scan finished.* ms=\([0-9]*\).*/\1/p' "$WORK/scan.err" | tail -1)
  wall=$(python3 -c "print(f'{$t1-$t0:.2f}')")
  rate=$(python3 -c "print(f'{$n/max($ms,1)*1000:.0f}')")
  wrate=$(python3 -c "print(f'{$n/$wall:.0f}')")
  echo "RESULT bench=scan pass=$1 files=$n scan_s=$(python3 -c "print(f'{$ms/1000:.2f}')") wall_s=$wall files_per_s=$rate wall_files_per_s=$wrate"
}
mkdir -p "$WORK/data"
echo "== scan: first scan of $FILES files" >&2
scan_once first
echo "== scan: rescan, nothing changed" >&2
scan_once rescan
