#!/usr/bin/env bash
# The kill -9 loop (issue 14): KILLS (default 100) SIGKILLs at random moments of a mixed write
# load through the HTTP API (playlist edits, library saves, events, preference changes by
# three users), each followed by a restart and the checks of tests/lib/crash_loop.ts: nothing
# acknowledged lost, playlist/library totals equal their items, recently-played equals the
# log's plays, and every event consumer's tables equal `segue events --replay` on a copy.
# `make crash-loop` runs it; tests/integration/crash_recovery.test.ts runs 10 kills in `make test`.
#
# usage: bench/crash_loop.sh BUILD_DIR [KILLS] [SEED]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$(cd "${1:?usage: $0 BUILD_DIR [KILLS] [SEED]}" && pwd)"
KILLS="${2:-100}"
SEED="${3:-$(( $(date +%s) % 1000000 ))}"
. "$ROOT/scripts/node-env.sh"
export SEGUE_BIN="$BUILD/src/app/segue"
[ -x "$SEGUE_BIN" ] || { echo "no segue binary at $SEGUE_BIN (build it first)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "missing required tool: sqlite3" >&2; exit 2; }
cd "$ROOT/tests"
exec node --import tsx -e "
import { runCrashLoop } from './lib/crash_loop.ts';
const t0 = Date.now();
const r = await runCrashLoop({ kills: $KILLS, seed: $SEED, log: (l) => console.error(l) });
const ms = r.restartMs.slice().sort((a, b) => a - b);
console.log('RESULT bench=crash_loop kills=' + r.kills + ' checks=' + r.checks + ' seed=$SEED' +
  ' replay_comparisons=' + r.replayComparisons + ' acked_playlist_ops=' + r.acknowledged.playlistOps + ' acked_library_ops=' + r.acknowledged.libraryOps +
  ' acked_events=' + r.acknowledged.events + ' acked_preference_ops=' + r.acknowledged.preferenceOps +
  ' in_flight_at_kill=' + r.inFlightAtKill + ' in_flight_landed=' + r.landedInFlight +
  ' restart_p50_ms=' + ms[Math.floor(ms.length / 2)] + ' restart_max_ms=' + ms[ms.length - 1] +
  ' wall_s=' + ((Date.now() - t0) / 1000).toFixed(0));
"
