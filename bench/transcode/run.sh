#!/usr/bin/env bash
# Transcoding speed per tier (Ogg Vorbis 96/160/320, Opus 96/160, AAC 128/256) from lossless
# sources: Segue's audio::transcode (streaming decode -> encode, one thread), with and without
# its output check, next to the ffmpeg CLI doing the same encodes on the same files in the same
# run (`ffmpeg -threads 1 -i IN -c:a libvorbis -b:a 160k OUT.ogg`, ...). Speeds are x realtime
# per core: seconds of audio per CPU second of the process (user + sys), so other load on the
# machine changes them less than wall time would.
#
# Sources: the first TRANSCODE_BENCH_FILES (default 4) tracks of the Wesnoth soundtrack (Debian
# wesnoth-1.16-music, installed by scripts/setup.sh), decoded to FLAC first (as a library of
# lossless rips would hold them).
#
# usage: bench/transcode/run.sh BUILD_DIR     (prints RESULT lines and a Markdown table)
set -euo pipefail
BUILD="${1:-}"
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
EXE="$BUILD/bench/segue_transcode_bench"
SEGUE="$BUILD/src/app/segue"
[ -x "$EXE" ] || ninja -C "$BUILD" segue_transcode_bench >&2
[ -x "$SEGUE" ] || ninja -C "$BUILD" segue >&2
# The reference: Debian's ffmpeg CLI (the same FFmpeg libraries Segue links).
if ! command -v ffmpeg >/dev/null; then
  echo "== installing ffmpeg (Debian) for the reference run" >&2
  apt-get install -y -qq ffmpeg >&2 || { apt-get update -qq >&2 && apt-get install -y -qq ffmpeg >&2; }
fi
MUSIC="$(ls -d /usr/share/games/wesnoth/*/data/core/music 2>/dev/null | head -1)"
[ -n "$MUSIC" ] || { echo "the Wesnoth soundtrack is missing (apt-get install wesnoth-1.16-music)" >&2; exit 1; }
N="${TRANSCODE_BENCH_FILES:-4}"
WORK="${TRANSCODE_BENCH_DIR:-$BUILD/transcode-bench}"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
rm -rf "$WORK"
mkdir -p "$WORK/src" "$WORK/segue" "$WORK/segue-verify" "$WORK/ffmpeg"

for f in $(ls "$MUSIC"/*.ogg | sort | head -n "$N"); do
  name="$(basename "$f" .ogg)"
  "$SEGUE" worker transcode "$f" "$WORK/src/$name.flac" flac 0 >/dev/null
done
echo "== sources: $N FLAC files from $MUSIC ($(du -sh "$WORK/src" | cut -f1)); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "== segue: $EXE (audio::transcode, one thread, output check off)" >&2
"$EXE" "$WORK/src" "$WORK/segue" | tee -a "$OUT"
echo "== segue: with the output check the server runs (decode the result again, compare duration and bitrate)" >&2
"$EXE" "$WORK/src" "$WORK/segue-verify" verify | tee -a "$OUT"

echo "== ffmpeg: $(ffmpeg -version | head -1)" >&2
ffmpeg_args() {  # codec-specific arguments for the same encode as Segue's
  case "$1" in
    vorbis) echo "-c:a libvorbis -b:a $2k" ;;
    opus) echo "-c:a libopus -b:a $2k -vbr constrained" ;;
    aac) echo "-c:a aac -b:a $2k -movflags +faststart" ;;
  esac
}
ext_of() { case "$1" in vorbis) echo ogg ;; opus) echo opus ;; aac) echo m4a ;; esac; }
for tier in vorbis:96 vorbis:160 vorbis:320 opus:96 opus:160 aac:128 aac:256; do
  codec="${tier%%:*}"; kbps="${tier##*:}"
  for f in "$WORK"/src/*.flac; do
    name="$(basename "$f" .flac)"
    out="$WORK/ffmpeg/$name-$codec$kbps.$(ext_of "$codec")"
    # shellcheck disable=SC2046
    times=$( { /usr/bin/time -f "%U %S %e" ffmpeg -nostdin -hide_banner -v error -threads 1 -y -i "$f" -vn -map_metadata -1 \
               $(ffmpeg_args "$codec" "$kbps") "$out" ; } 2>&1 | tail -1)
    read -r user sys wall <<<"$times"
    echo "RESULT impl=ffmpeg tier=$codec$kbps file=$name.flac cpu_s=$(python3 -c "print($user + $sys)") wall_s=$wall bytes=$(stat -c %s "$out")"
  done
done | tee -a "$OUT"

python3 - "$OUT" <<'PY'
import sys, collections
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
# The same sources for every implementation: their length as Segue's decoder measured it.
length = {r["file"]: r["audio_s"] for r in rows if "audio_s" in r}
for r in rows:
    r.setdefault("audio_s", length[r["file"]])
agg = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
for r in rows:
    a = agg[(r["tier"], r["impl"])]
    a[0] += float(r["audio_s"]); a[1] += float(r["cpu_s"]); a[2] += int(r["bytes"]) * 8 / 1000; a[3] += 1
tiers = ["vorbis96", "vorbis160", "vorbis320", "opus96", "opus160", "aac128", "aac256"]
print()
print("| tier | Segue x realtime/core | Segue with output check | ffmpeg CLI | Segue / ffmpeg | kbps Segue | kbps ffmpeg |")
print("|---|---:|---:|---:|---:|---:|---:|")
for t in tiers:
    s, v, f = agg[(t, "segue")], agg[(t, "segue-verify")], agg[(t, "ffmpeg")]
    x = lambda a: a[0] / a[1] if a[1] else 0
    kb = lambda a: a[2] / a[0] if a[0] else 0
    print(f"| {t} | {x(s):.0f}x | {x(v):.0f}x | {x(f):.0f}x | {x(s) / x(f) if x(f) else 0:.2f} | {kb(s):.0f} | {kb(f):.0f} |")
PY
