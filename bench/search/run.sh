#!/usr/bin/env bash
# Search-as-you-type at 1,000,000 tracks: Segue (src/search: Searcher::suggest and ::search over
# Xapian) next to SQLite FTS5 with Navidrome-style prefix queries, in the same run and on the
# same keystrokes (docs/benchmarks.md, "Search").
#
# usage: bench/search/run.sh [BUILD_DIR]     (default: build-sbench; bench/run.sh BUILD search)
# Prints RESULT lines on stdout and a summary table on stderr (phase=open: the built Segue index
# closed and opened again, open_rss_mb = what opening added to RSS); the slowest keystrokes (SLOW) and
# the missed targets (MISS) go to BUILD_DIR/search-bench-details.txt.
# Knobs: SEARCH_BENCH_TRACKS (1000000), SEARCH_BENCH_QUERIES (500), SEARCH_BENCH_NATURAL (100 more
# queries in the forms the relaxed pass is for: "title by artist", an unknown word, hard typos), SEARCH_BENCH_SEED (42),
# SEARCH_BENCH_THREADS (1,2,4), SEARCH_BENCH_ENGINES (segue-suggest,segue-search,fts5,fts5-noprefix),
# SEARCH_BENCH_DATA (the TidyTuesday Spotify catalog folder), SEARCH_BENCH_KEEP=1 keeps the indexes,
# SEARCH_BENCH_JOBS (2, build parallelism).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${1:-$ROOT/build-sbench}"
[ -d "$BUILD" ] || { echo "no build dir $BUILD (cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release)" >&2; exit 2; }
BUILD="$(cd "$BUILD" && pwd)"
nice cmake --build "$BUILD" --target segue_search_bench -j "${SEARCH_BENCH_JOBS:-2}" >&2
EXE="$BUILD/bench/segue_search_bench"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
DETAILS="$BUILD/search-bench-details.txt"
ARGS=(--tracks "${SEARCH_BENCH_TRACKS:-1000000}" --queries "${SEARCH_BENCH_QUERIES:-500}" --natural "${SEARCH_BENCH_NATURAL:-100}"
      --seed "${SEARCH_BENCH_SEED:-42}" --threads "${SEARCH_BENCH_THREADS:-1,2,4}"
      --engines "${SEARCH_BENCH_ENGINES:-segue-suggest,segue-search,fts5,fts5-noprefix}"
      --dir "$BUILD/search-bench-tmp" --dump-queries "$BUILD/search-bench-queries.tsv")
[ -z "${SEARCH_BENCH_DATA:-}" ] || ARGS+=(--data "$SEARCH_BENCH_DATA")
[ "${SEARCH_BENCH_KEEP:-0}" != 1 ] || ARGS+=(--keep)
[ "${SEARCH_BENCH_REUSE:-0}" != 1 ] || ARGS+=(--reuse)
echo "== search: $EXE ${ARGS[*]}" >&2
echo "machine: $(nproc) cores, load before $(cut -d' ' -f1-3 /proc/loadavg); segue $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
"$EXE" "${ARGS[@]}" >"$OUT"
grep -E '^(SLOW|MISS) ' "$OUT" >"$DETAILS" || true
grep '^RESULT ' "$OUT"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); slow keystrokes and misses: $DETAILS" >&2

python3 - "$OUT" <<'PY' >&2
import sys
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
def get(**kw):
    return next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)
cat, qs = get(phase="catalog"), get(phase="queries")
if cat:
    print(f"\ncatalog: {int(cat['tracks']):,} tracks ({int(cat['real_tracks']):,} real), {int(cat['albums']):,} albums, "
          f"{int(cat['artists']):,} artists, {int(cat['vocabulary']):,} distinct words; seed {cat['seed']}")
if qs:
    print(f"replay: {qs['queries']} typed queries, {qs['keystrokes']} keystrokes ({qs['typo']} with a typo, "
          f"{qs['unaccented']} typed without accents; {qs['forms']})")
engines = [e for e in ("segue-suggest", "segue-search", "fts5", "fts5-noprefix") if get(engine=e, phase="replay")]
build_of = {"segue-suggest": "segue", "segue-search": "segue", "fts5": "fts5", "fts5-noprefix": "fts5-noprefix"}
threads = sorted({int(r["threads"]) for r in rows if r.get("phase") == "replay"})
def cell(e, f):
    try:
        return f(e)
    except (TypeError, KeyError, ValueError, ZeroDivisionError):
        return ""
lines = []
def b(e): return get(engine=build_of[e], phase="build")
lines.append(("index build (docs/s)", lambda e: f"{float(b(e)['docs_per_s']):,.0f} ({float(b(e)['seconds']):.0f} s)"))
lines.append(("index size on disk (MB)", lambda e: f"{int(b(e)['bytes'])/1e6:,.0f}"))
def o(e): return get(engine=build_of[e], phase="open")
lines.append(("index open: s / RSS added (MB)", lambda e: f"{float(o(e)['seconds']):.1f} / {o(e)['open_rss_mb']}"))
for t in threads:
    r = lambda e, t=t: get(engine=e, phase="replay", threads=str(t))
    tag = "single client" if t == 1 else f"{t} threads"
    lines.append((f"{tag}: p50 / p99 ms per keystroke", lambda e, r=r: f"{float(r(e)['p50_ms']):.2f} / {float(r(e)['p99_ms']):.2f}"))
    lines.append((f"{tag}: max ms", lambda e, r=r: f"{float(r(e)['max_ms']):.1f}"))
    lines.append((f"{tag}: throughput (keystrokes/s)", lambda e, r=r: f"{float(r(e)['qps']):,.0f}"))
for s in ("clean", "typo", "unaccented", "natural", "all"):
    h = lambda e, s=s: get(engine=e, phase="hits", subset=s)
    lines.append((f"hit rate top 10 / top 1, {s}", lambda e, h=h: f"{float(h(e)['hit10_pct']):.1f} % / {float(h(e)['hit1_pct']):.1f} % (n={h(e)['n']})"))
print()
print("| | " + " | ".join(engines) + " |")
print("|---|" + "---:|" * len(engines))
for label, f in lines:
    print(f"| {label} | " + " | ".join(cell(e, f) for e in engines) + " |")
print()
for seg in ("segue-suggest", "segue-search"):
    for t in threads:
        s, f = get(engine=seg, phase="replay", threads=str(t)), get(engine="fts5", phase="replay", threads=str(t))
        if s and f:
            print(f"FTS5 p99 / {seg} p99, {t} thread(s): {float(f['p99_ms']) / float(s['p99_ms']):.2f}x "
                  f"(p50: {float(f['p50_ms']) / float(s['p50_ms']):.2f}x)")
s, f = get(engine="segue-suggest", phase="replay", threads="1"), get(engine="fts5", phase="replay", threads="1")
if s:
    p99 = float(s["p99_ms"])
    print(f"goal: suggest p99 < 5 ms per keystroke (single client): {p99:.2f} ms -> {'met' if p99 < 5 else 'MISSED'}")
    if f:
        print(f"goal: faster than FTS5 on the same keystrokes (p99): {p99:.2f} vs {float(f['p99_ms']):.2f} ms -> "
              f"{'met' if p99 < float(f['p99_ms']) else 'MISSED'}")
    ht, hf = get(engine="segue-suggest", phase="hits", subset="typo"), get(engine="fts5", phase="hits", subset="typo")
    if ht and hf:
        print(f"typo tolerance (hit rate top 10 on the typo subset): segue {ht['hit10_pct']} % vs FTS5 {hf['hit10_pct']} %")
PY
