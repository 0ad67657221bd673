#!/bin/sh
# System tests: start the real server (tests/integration, tests/contract) against real audio.
set -eu
BUILD="${1:-build}"
ONLY="${2:-}"   # "e2e": only the browser tests; "system": all but the browser tests
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/node-env.sh"
export SEGUE_BIN="$root/$BUILD/src/app/segue"
[ -x "$SEGUE_BIN" ] || { echo "integration: $SEGUE_BIN not built" >&2; exit 1; }
if [ -f "$root/tests/package.json" ]; then
  cd "$root/tests"
  if [ "$ONLY" != "e2e" ]; then npm test; fi
  # The web player in a real Chromium (Debian's, installed by setup.sh) against a real server.
  if [ "$ONLY" != "system" ] && ls e2e/*.test.ts >/dev/null 2>&1; then
    "$root/scripts/build-web.sh"
    npm run e2e
  fi
else
  echo "integration: no system tests yet"
fi
