#!/bin/sh
# The whole test suite: unit tests (GoogleTest via CTest), then the system tests that start
# the real server. Called by `make test` and, through it, by CI.
set -eu
BUILD="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
echo "== unit tests"
(cd "$BUILD" && ctest --output-on-failure -j "$(nproc)")
echo "== web player unit tests"
. "$root/scripts/node-env.sh"
(cd web && npm test --silent)
if [ -x scripts/integration.sh ]; then
  echo "== integration and contract tests"
  ./scripts/integration.sh "$BUILD"
fi
echo "== all tests passed"
