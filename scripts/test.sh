#!/bin/sh
# The whole test suite: unit tests (GoogleTest via CTest), the web player's unit tests, then
# the system tests that start the real server; then the database unit tests and every system test
# (browser tests included) again with every database on PostgreSQL 15 (a throwaway cluster started here on a Unix socket and removed at
# the end: scripts/pg-test-cluster.sh), with a throwaway Redis beside it for the tests of several
# nodes (scripts/redis-test.sh). Called by `make test` and, through it, by CI.
# SEGUE_TEST_ENGINES=sqlite (or postgres) runs one engine only.
set -eu
BUILD="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
engines="${SEGUE_TEST_ENGINES:-sqlite postgres}"
unset SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS
. "$root/scripts/node-env.sh"
for engine in $engines; do
  case "$engine" in
    sqlite)
      echo "== unit tests (SQLite)"
      (cd "$BUILD" && ctest --output-on-failure -j "$(nproc)")
      echo "== web player unit tests"
      (cd web && npm test --silent)
      if [ -x scripts/integration.sh ]; then
        echo "== integration, contract and browser tests (SQLite)"
        ./scripts/integration.sh "$BUILD"
      fi
      ;;
    postgres)
      pgdir="$(mktemp -d /tmp/segue-pg-XXXXXX)"
      redisdir="$(mktemp -d /tmp/segue-redis-XXXXXX)"
      trap './scripts/pg-test-cluster.sh stop "$pgdir"; ./scripts/redis-test.sh stop "$redisdir"' EXIT INT TERM
      SEGUE_TEST_POSTGRES="$(./scripts/pg-test-cluster.sh start "$pgdir")"
      # Redis for the tests of several nodes (tests/integration/cross_node.test.ts).
      SEGUE_TEST_REDIS="$(./scripts/redis-test.sh start "$redisdir")"
      export SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS
      echo "== unit tests (PostgreSQL at $pgdir)"
      (cd "$BUILD" && ctest --output-on-failure -j "$(nproc)" -L database)
      echo "== integration, contract and browser tests (PostgreSQL)"
      ./scripts/integration.sh "$BUILD"
      ./scripts/pg-test-cluster.sh stop "$pgdir"
      ./scripts/redis-test.sh stop "$redisdir"
      trap - EXIT INT TERM
      unset SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS
      ;;
    *) echo "test.sh: unknown engine $engine" >&2; exit 2 ;;
  esac
done
# A cluster on this machine (issue 17): system tests through a gateway, kills and outages under
# load. Needs PostgreSQL (started by the script), so it runs with the postgres engine.
case " $engines " in
  *" postgres "*)
    echo "== cluster tests (PostgreSQL, Redis, nodes behind a gateway, edges)"
    ./scripts/cluster-test.sh "$BUILD"
    ;;
esac
# The Debian package, installed on this machine, run as its user, purged (root only: it
# installs into the system). SEGUE_TEST_DEB=0 skips it.
if [ "$(id -u)" -eq 0 ] && [ "${SEGUE_TEST_DEB:-1}" != 0 ]; then
  echo "== Debian package (make deb, then installed, run and purged)"
  ./scripts/build-deb.sh "$BUILD" dist
  ./scripts/deb-test.sh
fi
echo "== all tests passed"
