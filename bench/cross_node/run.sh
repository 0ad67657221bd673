#!/bin/sh
# Domain events across nodes (issue 17): two `segue serve` nodes on one throwaway PostgreSQL and
# one throwaway Redis (Unix sockets), measured by the system test that also checks it,
# tests/integration/cross_node.test.ts: from the POST of a playlist edit on node A to
# `playlist_updated` on WebSockets of node A and node B (30 edits), and from a revocation on
# one node to the socket closing on the other. Prints the test's measurement lines.
#
# usage: bench/cross_node/run.sh BUILD_DIR
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: bench/cross_node/run.sh BUILD_DIR}" && pwd)"
pgdir="$(mktemp -d /tmp/segue-pg-bench-XXXXXX)"
redisdir="$(mktemp -d /tmp/segue-redis-bench-XXXXXX)"
trap '"$root/scripts/pg-test-cluster.sh" stop "$pgdir"; "$root/scripts/redis-test.sh" stop "$redisdir"' EXIT INT TERM
SEGUE_TEST_POSTGRES="$("$root/scripts/pg-test-cluster.sh" start "$pgdir")"
SEGUE_TEST_REDIS="$("$root/scripts/redis-test.sh" start "$redisdir")"
SEGUE_BIN="$build/src/app/segue"
export SEGUE_TEST_POSTGRES SEGUE_TEST_REDIS SEGUE_BIN
. "$root/scripts/node-env.sh"
cd "$root/tests"
node --import tsx --test integration/cross_node.test.ts 2>&1 | grep -E "^# (cross-node|revocation)|^# (pass|fail) "
