#!/usr/bin/env bash
# Tempo on a generated ground-truth set (48 WAV clips at 44.1 kHz, 20-30 s, 60-200 BPM: drums straight,
# swung, syncopated, waltzes with chords, full mixes, clicks, octave traps), Segue's analyzer
# next to aubio's `aubio tempo` (Debian aubio-tools) on the same files in the same run: accuracy
# within 4 %, allowing half/double (and a third/triple for 3/4), and speed in x realtime
# (docs/benchmarks.md, "Audio analysis").
#
# usage: bench/audio/run.sh BUILD_DIR     (prints RESULT lines and a table)
# Knobs: AUDIO_BENCH_CLIPS (48), AUDIO_BENCH_FAMILY (wide: 60-200 BPM, eight kinds; upbeat:
# 118-170 BPM rock, pop, syncopated, dance, breakbeat, shuffle, funk and punk with bass and chords),
# AUDIO_BENCH_SET (0, 1, 2...: other tempos and seeds; docs/benchmarks.md says which sets the
# analyzer was tuned on), AUDIO_BENCH_DIR (BUILD_DIR/audio-bench-clips).
set -euo pipefail
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
EXE="$BUILD/bench/segue_audio_bench"
[ -x "$EXE" ] || ninja -C "$BUILD" segue_audio_bench >&2
command -v aubio >/dev/null || { echo "aubio not found (apt-get install aubio-tools)" >&2; exit 1; }
CLIPS="${AUDIO_BENCH_CLIPS:-48}"
DIR="${AUDIO_BENCH_DIR:-$BUILD/audio-bench-clips}"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT

rm -rf "$DIR"
"$EXE" generate "$DIR" "$CLIPS" "${AUDIO_BENCH_SET:-0}" "${AUDIO_BENCH_FAMILY:-wide}"

echo "== audio: segue ($EXE, one thread; load before: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
"$EXE" analyze "$DIR" | tee -a "$OUT"

echo "== audio: $(aubio --version 2>&1 | head -1): aubio tempo -i FILE and aubio beat -i FILE (one process per clip)" >&2
tail -n +2 "$DIR/truth.tsv" | while IFS=$'\t' read -r file bpm kind meter; do
  # `aubio tempo` prints its estimate ("128.01 bpm", "... (uncertain)" or "unknown bpm").
  start=$(date +%s%N)
  said="$(aubio tempo -i "$DIR/$file" 2>/dev/null || true)"
  end=$(date +%s%N)
  tempo=$(printf '%s\n' "$said" | awk '$2 == "bpm" && $1 ~ /^[0-9.]+$/ { t = $1 } END { print t ? t : 0 }')
  echo "RESULT impl=aubio file=$file truth=$bpm kind=$kind meter=$meter tempo=$tempo ms=$(( (end - start) / 1000000 ))"
  # `aubio beat` prints beat times; 60 / their median interval is a second reading of aubio.
  start=$(date +%s%N)
  beats="$(aubio beat -i "$DIR/$file" 2>/dev/null || true)"
  end=$(date +%s%N)
  tempo=$(printf '%s\n' "$beats" | python3 -c '
import sys, statistics
t = [float(x) for x in sys.stdin.read().split()]
d = [b - a for a, b in zip(t, t[1:]) if b > a]
print(f"{60 / statistics.median(d):.2f}" if d else "0")')
  echo "RESULT impl=aubio-beat file=$file truth=$bpm kind=$kind meter=$meter tempo=$tempo ms=$(( (end - start) / 1000000 ))"
done | tee -a "$OUT"

python3 - "$OUT" "$DIR/truth.tsv" <<'PY' >&2
import sys
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
secs = {}
for l in open(sys.argv[1]):
    if l.startswith("RESULT impl=segue "):
        r = dict(kv.split("=", 1) for kv in l.split()[1:])
        secs[r["file"]] = float(r["seconds"])
def ok(tempo, truth, factors):
    return any(abs(tempo - truth * f) <= 0.04 * truth * f for f in factors)
def score(impl, kinds=None):
    rs = [r for r in rows if r["impl"] == impl and "truth" in r and (kinds is None or r["kind"] in kinds)]
    n = len(rs)
    a1 = sum(ok(float(r["tempo"]), float(r["truth"]), [1]) for r in rs)
    a2 = sum(ok(float(r["tempo"]), float(r["truth"]), [1, 0.5, 2] + ([1/3, 3] if r["meter"] == "3" else [])) for r in rs)
    return n, a1, a2
kinds = sorted({r["kind"] for r in rows if "kind" in r})
print()
print("| set | clips | within 4 %: Segue | aubio tempo | aubio beat (median interval) | allowing x2, /2 (x3, /3 in 3/4): Segue | aubio tempo | aubio beat |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
pct = lambda a, n: f"{a} ({100*a/n:.0f} %)"
for k in [None] + kinds:
    sel = None if k is None else [k]
    n, s1, s2 = score("segue", sel)
    _, b1, b2 = score("aubio", sel)
    _, c1, c2 = score("aubio-beat", sel)
    print(f"| {'all' if k is None else k} | {n} | {pct(s1, n)} | {pct(b1, n)} | {pct(c1, n)} | {pct(s2, n)} | {pct(b2, n)} | {pct(c2, n)} |")
tot = next(r for r in rows if r["impl"] == "segue-total")
audio_s = float(tot["audio_s"])
aubio_ms = sum(float(r["ms"]) for r in rows if r["impl"] == "aubio")
beat_ms = sum(float(r["ms"]) for r in rows if r["impl"] == "aubio-beat")
print()
print(f"audio: {audio_s:.1f} s in {len(secs)} clips")
print(f"Segue, one thread: features alone {tot['features_x_realtime']}x realtime in wall time ({1000*float(tot['analyze_s'])/audio_s:.2f} ms per audio second), "
      f"{tot['features_x_realtime_cpu']}x in thread CPU time; "
      f"decode (libavformat, libswresample 44.1 to 22.05 kHz) + features {tot['decode_and_features_x_realtime']}x realtime")
print(f"aubio tempo CLI, wall time per process: {audio_s / (aubio_ms / 1000):.0f}x realtime ({aubio_ms / audio_s:.2f} ms per audio second, Python start-up included); "
      f"aubio beat: {audio_s / (beat_ms / 1000):.0f}x realtime")
n, s1, s2 = score("segue")
_, b1, b2 = score("aubio")
_, c1, c2 = score("aubio-beat")
best = max(b1, c1)
print(f"tempo accuracy within 4 %: Segue {100*s1/n:.1f} % vs aubio {100*b1/n:.1f} % (tempo) / {100*c1/n:.1f} % (beat) "
      f"({'goal met' if s1 > best else 'goal MISSED'}); allowing octave errors: Segue {100*s2/n:.1f} % vs aubio {100*b2/n:.1f} % / {100*c2/n:.1f} %")
wrong = [r for r in rows if r["impl"] == "segue" and not ok(float(r["tempo"]), float(r["truth"]), [1])]
if wrong:
    print("Segue misses: " + ", ".join(f"{r['file']} {r['kind']} {r['truth']} -> {float(r['tempo']):.1f}" for r in wrong))
PY
