#!/usr/bin/env bash
# The playlist sequence CRDT on real editing traces (../shared/data/crdt-traces, element =
# one character) next to Yjs and Automerge from npm (node), in one run: time, memory, encoded
# snapshot size and load time, side by side (docs/benchmarks.md, "Playlist CRDT").
#
# usage: bench/crdt/run.sh BUILD_DIR      (prints RESULT lines and a table; bench/run.sh crdt)
# Knobs: CRDT_TRACES (trace folder), CRDT_SKIP_AUTOMERGE=1 (Automerge takes the longest).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
export CRDT_TRACES="${CRDT_TRACES:-$HERE/../../../shared/data/crdt-traces}"
EXE="$BUILD/bench/segue_crdt_bench"
[ -x "$EXE" ] || ninja -C "$BUILD" segue_crdt_bench >&2
if [ ! -d "$HERE/node_modules/yjs" ] || [ ! -d "$HERE/node_modules/@automerge/automerge" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund >&2)
fi
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
echo "== crdt: segue ($EXE)" >&2
"$EXE" "$CRDT_TRACES" | tee -a "$OUT"
echo "== crdt: yjs $(node -p "require('$HERE/node_modules/yjs/package.json').version")" >&2
for t in automerge-paper friendsforever clownschool; do
  (cd "$HERE" && node --expose-gc yjs.mjs "$t") | tee -a "$OUT"
done
if [ "${CRDT_SKIP_AUTOMERGE:-0}" != 1 ]; then
  echo "== crdt: automerge $(node -p "require('$HERE/node_modules/@automerge/automerge/package.json').version")" >&2
  for t in automerge-paper friendsforever clownschool; do
    (cd "$HERE" && node --expose-gc --max-old-space-size=8192 automerge.mjs "$t") | tee -a "$OUT" || echo "!!! automerge $t failed" >&2
  done
fi

python3 - "$OUT" <<'PY' >&2
import sys
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
def get(impl, trace):
    return next((r for r in rows if r["impl"] == impl and r["trace"] == trace), None)
print()
print("| trace | impl | wall ms | CPU ms | Yjs/impl (wall, CPU) | heap after (MB) | RSS delta (MB) | snapshot bytes | load ms | ok |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for trace in ("automerge-paper", "friendsforever", "clownschool"):
    y = get("yjs", trace)
    for impl in ("segue", "yjs", "automerge"):
        r = get(impl, trace)
        if not r:
            continue
        speed = f"{float(y['ms']) / float(r['ms']):.1f}x, {float(y['cpu_ms']) / float(r['cpu_ms']):.1f}x" if y else ""
        print(f"| {trace} | {impl} | {r['ms']} | {r['cpu_ms']} | {speed} | {int(r['heap_bytes'])/1e6:.1f} | "
              f"{int(r['rss_delta_kb'])/1024:.1f} | {int(r['snapshot_bytes']):,} | {r['load_ms']} | {r['ok']} |")
s, y = get("segue", "automerge-paper"), get("yjs", "automerge-paper")
if s and y:
    sp = float(y["ms"]) / float(s["ms"])
    cp = float(y["cpu_ms"]) / float(s["cpu_ms"])
    print()
    print(f"goals on automerge-paper: speed {sp:.1f}x Yjs wall, {cp:.1f}x CPU (>= 10x: {'met' if min(sp, cp) >= 10 else 'MISSED'}); "
          f"heap {int(s['heap_bytes'])/1e6:.1f} MB vs Yjs {int(y['heap_bytes'])/1e6:.1f} MB "
          f"({'met' if int(s['heap_bytes']) <= int(y['heap_bytes']) else 'MISSED'}); snapshot "
          f"{int(s['snapshot_bytes']):,} vs {int(y['snapshot_bytes']):,} bytes "
          f"({'met' if int(s['snapshot_bytes']) <= int(y['snapshot_bytes']) else 'MISSED'})")
PY
