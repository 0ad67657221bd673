#!/usr/bin/env bash
# Full audio analysis (decoding, EBU R128 loudness and true peak, Chromaprint fingerprint, tempo,
# beats, key, features, sections, segments) over the Wesnoth soundtrack (Debian's
# wesnoth-1.16-music, 41 tracks), as the server runs it: `segue analyze --jobs 1`, one child
# process per file. In the same run, on the same files, `aubio tempo` (aubio-tools), which finds
# beats only. Figures: x realtime per core (seconds of audio / CPU seconds of all processes).
#
# usage: bench/analysis/run.sh [BUILD_DIR]    (default: build-release; Release build of `segue`)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${1:-$ROOT/build-release}"
MUSIC="${ANALYSIS_BENCH_MUSIC:-/usr/share/games/wesnoth/1.16/data/core/music}"
[ -d "$MUSIC" ] || { echo "no music at $MUSIC (apt-get install wesnoth-1.16-music)" >&2; exit 2; }
command -v aubio >/dev/null || { echo "aubio not found (apt-get install aubio-tools)" >&2; exit 2; }
[ -d "$BUILD" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
BUILD="$(cd "$BUILD" && pwd)"
nice cmake --build "$BUILD" --target segue -j 2 >&2
SEGUE="$BUILD/src/app/segue"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, load before $(cut -d' ' -f1-3 /proc/loadavg); segue $(cd "$ROOT" && git rev-parse --short HEAD)" >&2
# Index the files first (a scan), so the timed run is the analysis alone.
"$SEGUE" scan --data "$WORK/data" --library "$MUSIC" >/dev/null
/usr/bin/time -f "%e %U %S" -o "$WORK/segue.time" "$SEGUE" analyze --data "$WORK/data" --jobs 1 >"$WORK/segue.out" 2>/dev/null
read -r s_wall s_user s_sys <"$WORK/segue.time"
audio=$(sed -nE 's/.* ([0-9.]+) s of audio in .*/\1/p' "$WORK/segue.out")
files=$(sed -nE 's/^analyzed ([0-9]+) of.*/\1/p' "$WORK/segue.out")
failed=$(sed -nE 's/.*\(([0-9]+) failed\).*/\1/p' "$WORK/segue.out")

# What starting a worker costs (why workers are long-lived): 20 starts of a process linked with
# FFmpeg that finds nothing to analyze.
/usr/bin/time -f "%e %U %S" -o "$WORK/spawn.time" sh -c "for i in \$(seq 20); do '$SEGUE' worker analyze /nonexistent >/dev/null 2>&1 || true; done"
read -r p_wall p_user p_sys <"$WORK/spawn.time"

# aubio tempo on the same files, one process per file like Segue's workers.
find "$MUSIC" -type f -name '*.ogg' | sort >"$WORK/files"
/usr/bin/time -f "%e %U %S" -o "$WORK/aubio.time" sh -c 'while IFS= read -r f; do aubio tempo -i "$f" >/dev/null 2>&1; done' <"$WORK/files"
read -r a_wall a_user a_sys <"$WORK/aubio.time"

python3 - "$audio" "$files" "$failed" "$s_wall" "$s_user" "$s_sys" "$a_wall" "$a_user" "$a_sys" "$p_wall" "$p_user" "$p_sys" <<'PY'
import sys
audio, files, failed = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s_wall, s_user, s_sys, a_wall, a_user, a_sys, p_wall, p_user, p_sys = map(float, sys.argv[4:])
s_cpu, a_cpu = s_user + s_sys, a_user + a_sys
print(f"RESULT tool=segue-analyze files={files} failed={failed} audio_s={audio:.0f} wall_s={s_wall:.2f} cpu_s={s_cpu:.2f} x_realtime_per_core={audio / s_cpu:.0f}")
print(f"RESULT tool=aubio-tempo files={files} audio_s={audio:.0f} wall_s={a_wall:.2f} cpu_s={a_cpu:.2f} x_realtime_per_core={audio / a_cpu:.0f}")
print(f"\n| | Segue full analysis | aubio tempo (beats only) |\n|---|---|---|", file=sys.stderr)
print(f"| audio | {audio:.0f} s ({files} files) | same files |", file=sys.stderr)
print(f"| wall time | {s_wall:.2f} s | {a_wall:.2f} s |", file=sys.stderr)
print(f"| CPU time | {s_cpu:.2f} s | {a_cpu:.2f} s |", file=sys.stderr)
print(f"| x realtime per core | {audio / s_cpu:.0f}x | {audio / a_cpu:.0f}x |", file=sys.stderr)
print(f"RESULT tool=worker-start starts=20 cpu_ms_per_start={(p_user + p_sys) / 20 * 1000:.0f} wall_ms_per_start={p_wall / 20 * 1000:.0f}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
