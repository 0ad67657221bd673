#!/bin/sh
# `make cluster-test` (part of `make test`): Segue as a cluster on this machine (issue 17).
#  1. System tests against a gateway: the integration and contract tests listed in
#     tests/cluster/system-tests.txt, with every server they start replaced by two `segue serve`
#     nodes on one PostgreSQL database and one Redis behind an nginx gateway
#     (SEGUE_TEST_CLUSTER=2, tests/lib/server.ts); the list says why the others are left out.
#  2. tests/cluster/*.test.ts: scripts/cluster.sh's three nodes, gateway and two edges, killed
#     and restarted under load (chaos.test.ts), and cross-node delivery at p99.
# Throwaway PostgreSQL and Redis are started here and removed at the end.
set -eu
BUILD="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/node-env.sh"
export SEGUE_BIN="$root/$BUILD/src/app/segue"
[ -x "$SEGUE_BIN" ] || { echo "cluster-test: $SEGUE_BIN not built" >&2; exit 1; }
unset SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS SEGUE_TEST_CLUSTER
pgdir="$(mktemp -d /tmp/segue-pg-XXXXXX)"
redisdir="$(mktemp -d /tmp/segue-redis-XXXXXX)"
trap '"$root/scripts/pg-test-cluster.sh" stop "$pgdir"; "$root/scripts/redis-test.sh" stop "$redisdir"' EXIT INT TERM
SEGUE_TEST_POSTGRES="$(./scripts/pg-test-cluster.sh start "$pgdir")"
SEGUE_TEST_REDIS="$(./scripts/redis-test.sh start "$redisdir")"
export SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS
cd tests
files="$(grep -v '^#' cluster/system-tests.txt | sed 's/[[:space:]]*#.*//' | grep -v '^[[:space:]]*$')"
echo "== system tests against a gateway in front of two nodes"
# shellcheck disable=SC2086
SEGUE_TEST_CLUSTER=2 node --import tsx --test --test-concurrency=1 $files
echo "== cluster tests: chaos and cross-node delivery (scripts/cluster.sh)"
node --import tsx --test --test-concurrency=1 cluster/*.test.ts
