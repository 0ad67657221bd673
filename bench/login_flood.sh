#!/usr/bin/env bash
# Password guessing and API latency (issue 14): bench/login_flood.mjs runs 16 clients posting
# wrong passwords to /authorize for one account while another client times GET /v1/me, alone
# and then during the flood. With the login backoff and the separate password-hashing pool,
# guesses are refused before any Argon2 work and /v1/me keeps its latency.
#
# usage: bench/login_flood.sh BUILD_DIR      (prints a RESULT line; see bench/run.sh)
# Knobs: BENCH_LOGIN_CLIENTS (16), BENCH_LOGIN_SECONDS (10).
source "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
need node curl python3 openssl
: "${BENCH_LOGIN_CLIENTS:=16}"
: "${BENCH_LOGIN_SECONDS:=10}"

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"
printf 'victim-password-1234\n' | "$SEGUE" user add victim --data "$DATA" >/dev/null
SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" false
BASE="http://127.0.0.1:$SP"
TOKEN="$(oauth_login "$BASE")"
echo "== login flood: $BENCH_LOGIN_CLIENTS guessers, ${BENCH_LOGIN_SECONDS}s" >&2
line="$(node "$BENCH_DIR/login_flood.mjs" --base "$BASE" --client "$BENCH_CLIENT_ID" --redirect "$BENCH_REDIRECT" \
  --user victim --token "$TOKEN" --clients "$BENCH_LOGIN_CLIENTS" --seconds "$BENCH_LOGIN_SECONDS" |
  sed -n 's/^LOGIN_FLOOD //p')"
[ -n "$line" ] || { echo "login_flood.mjs printed no result" >&2; exit 1; }
echo "    $line" >&2
echo "RESULT bench=login_flood server=segue $line"
stop_pid "$SEGUE_PID"
