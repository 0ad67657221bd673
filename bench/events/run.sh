#!/usr/bin/env bash
# Event pipeline: durable ingest (1,000 per append and 1 per append) through segue::events next
# to plain SQLite inserts (one prepared INSERT per row, one transaction per batch), and the lag
# from append to visible history, in one run (docs/benchmarks.md, "Event pipeline").
#
# usage: bench/events/run.sh BUILD_DIR [extra args: --seconds S --rate N --only NAME
#        --derived split|one --derived-sync normal|full --derived-cache-kib N --max-batch N]
set -euo pipefail
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR [--seconds S] [--rate N]" >&2; exit 2; }
shift
BUILD="$(cd "$BUILD" && pwd)"
EXE="$BUILD/bench/segue_events_bench"
ninja -C "$BUILD" segue_events_bench >&2
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
"$EXE" "$@" | tee "$OUT"
python3 - "$OUT" <<'PY'
import sys
rows = {}
for l in open(sys.argv[1]):
    if l.startswith("RESULT "):
        kv = dict(x.split("=", 1) for x in l.split()[1:])
        rows[kv["name"]] = kv
def eps(n): return float(rows[n]["events_per_s"]) if n in rows else None
print()
print("| scenario | events/s | vs plain SQLite | lag append->history p50 / p99 (ms) | lag at end | catch-up (s) |")
print("|---|---|---|---|---|---|")
for n, kv in rows.items():
    ref = eps("sqlite_batched" if "batched" in n or "paced" in n or "consumer" in n else "sqlite_single")
    ratio = f"{float(kv['events_per_s']) / ref:.2f}x" if ref else ""
    lag = f"{kv['p50_ms']} / {kv['p99_ms']}" if float(kv["p50_ms"]) >= 0 else "-"
    end = kv["final_lag"] if int(kv["final_lag"]) >= 0 else "-"
    cu = kv["catch_up_s"] if float(kv["catch_up_s"]) >= 0 else "-"
    print(f"| {n} | {float(kv['events_per_s']):,.0f} | {ratio} | {lag} | {end} | {cu} |")
PY
