#!/usr/bin/env bash
# Runs every benchmark in one go and prints a table (`make bench` calls it).
#
# usage: bench/run.sh BUILD_DIR [stream|api|memory|scan|web|micro]...   (default: all of them)
#
# Each benchmark script starts its own servers on free ports in a temp dir and cleans up. The
# raw RESULT lines are also saved to $BENCH_OUT (default: BUILD_DIR/bench-results.txt).
# Knobs: BENCH_DURATION (s per wrk run, 10), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
# BENCH_IDLE_CONNS (10000), BENCH_SCAN_FILES (10000).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR [stream|api|memory|scan|web|micro]..." >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
shift
WHICH=("$@")
[ ${#WHICH[@]} -gt 0 ] || WHICH=(stream api memory scan web micro crdt ws)
OUT="${BENCH_OUT:-$BUILD/bench-results.txt}"
: >"$OUT"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); segue: $(cd "$HERE/.." && git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

status=0
for b in "${WHICH[@]}"; do
  case "$b" in
    stream | api | memory | scan | web | ws)
      echo "### $b (bench/$b.sh)" >&2
      if ! "$HERE/$b.sh" "$BUILD" | tee -a "$OUT"; then
        echo "!!! bench/$b.sh failed" >&2
        status=1
      fi
      ;;
    micro)
      exe="$BUILD/bench/segue_micro_bench"
      if [ -x "$exe" ]; then
        echo "### micro ($exe)" >&2
        "$exe" --benchmark_min_time=0.2 2>/dev/null | sed -n 's/^\(BM_[^ ]*\) *\([0-9.]*\) ns .*/RESULT bench=micro name=\1 ns=\2/p' |
          tee -a "$OUT" || true
      else
        echo "### micro: $exe not built (needs Google Benchmark); skipped" >&2
      fi
      ;;
    crdt)
      echo "### crdt (bench/crdt/run.sh)" >&2
      if ! "$HERE/crdt/run.sh" "$BUILD" | tee -a "$OUT"; then
        echo "!!! bench/crdt/run.sh failed" >&2
        status=1
      fi
      ;;
    search) echo "### search (bench/search/run.sh)" >&2; "$HERE/search/run.sh" "$BUILD" | tee -a "$OUT" || { echo "!!! bench/search/run.sh failed" >&2; status=1; } ;;
    *) echo "unknown benchmark '$b'" >&2; exit 2 ;;
  esac
done

python3 - "$OUT" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    if line.startswith("RESULT "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))

def pick(**kw):
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]

print()
print("| benchmark | server | requests/s | p50 ms | p99 ms | other | goal |")
print("|---|---|---:|---:|---:|---|---|")
for s in ("largest", "all"):
    nginx = pick(bench="stream", set=s, server="nginx")
    for r in pick(bench="stream", set=s):
        ratio = pick(bench="stream-ratio", set=s, server=r["server"])
        other = f"{r['mb_s']} MB/s"
        goal = ""
        if ratio:
            other += f", {ratio[0]['ratio']}x nginx"
            goal = ">= 0.8x nginx: " + ("met" if float(ratio[0]["ratio"]) >= 0.8 else "MISSED")
        if r.get("non2xx", "0") != "0" or r.get("errors", "0") != "0":
            other += f", non-2xx {r['non2xx']}, errors {r['errors']}"
        print(f"| stream 16 KB ranges ({s}) | {r['server']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {other} | {goal} |")
for r in pick(bench="api"):
    goal = ">= 30000 req/s: " + ("met" if float(r["rps"]) >= 30000 else "MISSED")
    other = f"{r['body_bytes']} B bodies"
    if r.get("non2xx", "0") != "0" or r.get("errors", "0") != "0":
        other += f", non-2xx {r['non2xx']}, errors {r['errors']}"
    print(f"| GET /v1/tracks/{{id}} | {r['server']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {other} | {goal} |")
for r in pick(bench="memory"):
    per = int(r["per_conn_bytes"])
    other = (f"{r['n']} idle conns ({r['alive']} alive): RSS {int(r['before_kb'])/1024:.1f} -> "
             f"{int(r['after_kb'])/1024:.1f} MiB, {per/1024:.1f} KiB/conn; after close {int(r['closed_kb'])/1024:.1f} MiB")
    print(f"| memory per idle connection | {r['server']} | | | | {other} | |")
for r in pick(bench="scan"):
    print(f"| scan ({r['pass']}) | segue scan | | | | {r['files']} files in {r['scan_s']} s = {r['files_per_s']} files/s "
          f"(wall {r['wall_s']} s = {r['wall_files_per_s']} files/s) | |")
for r in pick(bench="micro"):
    print(f"| micro {r['name']} | | | | | {r['ns']} ns | |")
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
