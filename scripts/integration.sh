#!/bin/sh
# System tests: start the real server (tests/integration, tests/contract) against real audio.
set -eu
BUILD="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export SEGUE_BIN="$root/$BUILD/src/app/segue"
[ -x "$SEGUE_BIN" ] || { echo "integration: $SEGUE_BIN not built" >&2; exit 1; }
if [ -f "$root/tests/package.json" ]; then
  cd "$root/tests"
  npm test
else
  echo "integration: no system tests yet"
fi
