# Shared helpers for the benchmark scripts (sourced, not run).
#
# Every script: `source bench/lib.sh; bench_init BUILD_DIR` makes a temp dir ($WORK), installs a
# trap that kills the background processes it started (by pid) and removes $WORK, and sets $SEGUE.
# Results are printed as lines `RESULT key=value ...` that bench/run.sh turns into a table.

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_PIDS=()
WORK=""
SEGUE=""

# Benchmark knobs (override from the environment).
: "${BENCH_DURATION:=10}"       # seconds per wrk run
: "${BENCH_THREADS:=2}"         # wrk threads
: "${BENCH_CONNECTIONS:=64}"    # wrk connections

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    # Give each a moment to exit cleanly, then force it.
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "$WORK" ] && [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$WORK"; fi
}

bench_init() {
  local build="${1:-}"
  [ -n "$build" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
  SEGUE="$(cd "$build" && pwd)/src/app/segue"
  [ -x "$SEGUE" ] || { echo "no segue binary at $SEGUE (build it first)" >&2; exit 2; }
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/segue-bench.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "missing required tool: $c" >&2; exit 2; }
  done
}

# A free TCP port on 127.0.0.1 (the kernel picks; tiny race before the server binds it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: until the URL answers anything over HTTP.
wait_http() {
  local url="$1" limit="${2:-30}" i
  for i in $(seq 1 $((limit * 10))); do
    if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.1
  done
  echo "server at $url did not come up" >&2
  return 1
}

# Starts `segue serve` in the background. Args: DATA LIBRARY PORT ACCESS_LOG(true|false) [extra flags].
# The load comes from one address (127.0.0.1): no rate limits and no per-address connection cap.
# Sets SEGUE_PID. stdout goes to $WORK/segue-PORT.out, stderr (the log) to /dev/null, or to
# BENCH_SEGUE_LOG when set (a file, kept after the run).
start_segue() {
  local data="$1" lib="$2" port="$3" alog="$4"
  shift 4
  "$SEGUE" serve --data "$data" --library "$lib" --listen "127.0.0.1:$port" --access-log "$alog" \
    --rate-limit-client 100000000 --rate-limit-user 100000000 --max-connections-per-address 0 \
    --audio-rate-limit 0 --image-rate-limit 0 "$@" \
    >"$WORK/segue-$port.out" 2>"${BENCH_SEGUE_LOG:-/dev/null}" &
  SEGUE_PID=$!
  BENCH_PIDS+=("$SEGUE_PID")
  wait_http "http://127.0.0.1:$port/metrics" 60
  # The server rescans the library at start; wait for that scan to finish so it does not
  # compete with the measurement.
  local i
  for i in $(seq 1 600); do
    local m
    m="$(curl -s "http://127.0.0.1:$port/metrics" || true)"
    if grep -Eq '^segue_scans_total(\{\})? [1-9]' <<<"$m"; then return 0; fi
    sleep 0.1
  done
  echo "the startup scan did not finish" >&2
  return 1
}

stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# Prepares a Segue data dir with the demo library scanned, a premium user and a public client.
# Args: DATA LIBRARY. Sets BENCH_CLIENT_ID, BENCH_REDIRECT, BENCH_USER, BENCH_PASSWORD.
prepare_segue_data() {
  local data="$1" lib="$2"
  mkdir -p "$data"
  [ -f "$lib/.segue-demo-library" ] || "$SEGUE" demo-library "$lib" >/dev/null 2>&1
  "$SEGUE" scan --data "$data" --library "$lib" >/dev/null 2>&1
  BENCH_USER=bench
  BENCH_PASSWORD="bench-password-$(date +%s)"
  printf '%s\n' "$BENCH_PASSWORD" | "$SEGUE" user add "$BENCH_USER" --tier premium --data "$data" >/dev/null
  BENCH_REDIRECT="http://127.0.0.1:8888/callback"
  BENCH_CLIENT_ID="$("$SEGUE" client add bench --redirect-uri "$BENCH_REDIRECT" --public --data "$data" |
    sed -n 's/^client_id: //p')"
  [ -n "$BENCH_CLIENT_ID" ] || { echo "client add printed no client_id" >&2; return 1; }
}

# OAuth 2.0 authorization code flow with PKCE, as a browser and a public client would do it.
# Args: BASE_URL. Prints the access token.
oauth_login() {
  local base="$1" scope="${2:-user-modify-playback-state user-read-private streaming}"
  local verifier challenge state location code token_json
  verifier="$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  challenge="$(printf '%s' "$verifier" | openssl dgst -binary -sha256 | base64 | tr '+/' '-_' | tr -d '=\n')"
  state="bench$RANDOM"
  location="$(curl -s -o /dev/null -w '%{redirect_url}' -X POST "$base/authorize" \
    --data-urlencode "client_id=$BENCH_CLIENT_ID" \
    --data-urlencode "redirect_uri=$BENCH_REDIRECT" \
    --data-urlencode "response_type=code" \
    --data-urlencode "scope=$scope" \
    --data-urlencode "state=$state" \
    --data-urlencode "code_challenge=$challenge" \
    --data-urlencode "code_challenge_method=S256" \
    --data-urlencode "username=$BENCH_USER" \
    --data-urlencode "password=$BENCH_PASSWORD" \
    --data-urlencode "action=allow")"
  code="$(printf '%s' "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')"
  [ -n "$code" ] || { echo "authorize did not redirect with a code (Location: $location)" >&2; return 1; }
  token_json="$(curl -s -X POST "$base/api/token" \
    --data-urlencode "grant_type=authorization_code" \
    --data-urlencode "code=$code" \
    --data-urlencode "redirect_uri=$BENCH_REDIRECT" \
    --data-urlencode "client_id=$BENCH_CLIENT_ID" \
    --data-urlencode "code_verifier=$verifier")"
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <<<"$token_json"
}

# Track ids of the catalog, via the API (new releases -> album tracks). Args: BASE_URL TOKEN.
list_track_ids() {
  local base="$1" token="$2"
  python3 - "$base" "$token" <<'EOF'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
albums = get("/v1/browse/new-releases?limit=50")["albums"]["items"]
for a in albums:
    for t in get("/v1/albums/%s/tracks?limit=50" % a["id"])["items"]:
        print(t["id"])
EOF
}

# machine_info: one line describing the machine.
machine_info() {
  local cpu
  cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "$(nproc) cores, $cpu, $(uname -sr)"
}

# Runs wrk with the given Lua script against URL; prints its RESULT-ish summary line.
# Args: LABEL SCRIPT URL [wrk args...]. The Lua script's done() prints `WRK rps=.. p50_ms=.. ...`.
run_wrk() {
  local label="$1" script="$2" url="$3"
  shift 3
  local out
  out="$(wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_DURATION}s" --timeout 5s \
    -s "$script" "$@" "$url" 2>&1)"
  echo "$out" | sed 's/^/    /' >&2
  local line
  line="$(echo "$out" | grep '^WRK ' | tail -1 | sed 's/^WRK //')"
  [ -n "$line" ] || { echo "wrk produced no summary for $label" >&2; return 1; }
  echo "$line"
}

# Starts nginx serving ROOT on PORT with sendfile, 2 workers, no access log, as a foreground
# process in the background (daemon off). Args: ROOT PORT [DEFAULT_TYPE] (the Content-Type of
# every file, default application/octet-stream). Sets NGINX_PID (the master).
start_nginx() {
  local root="$1" port="$2" ctype="${3:-application/octet-stream}" prefix="$WORK/nginx-$2"
  mkdir -p "$prefix/logs" "$prefix/tmp"
  # nginx (started as root) runs its workers as nobody: let them reach the files.
  chmod 755 "$WORK"
  chmod -R a+rX "$root"
  cat >"$prefix/nginx.conf" <<CONF
daemon off;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events {
  worker_connections 16384;
}
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  types {
    application/octet-stream bin;
  }
  default_type $ctype;
  server {
    listen 127.0.0.1:$port reuseport;
    root $root;
    location / { }
  }
}
CONF
  nginx -c "$prefix/nginx.conf" -p "$prefix" 2>"$prefix/logs/stderr.log" &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$port/" 30
}

# PIDs of nginx's worker processes (children of the master). Args: MASTER_PID.
nginx_workers() {
  pgrep -P "$1" | tr '\n' ' '
}

# play_streams BASE TOKEN TRACKS_FILE: one POST /v1/me/player/play per track id in TRACKS_FILE
# (lossless preferred: the largest files); prints "file_id token size format" per track.
play_streams() {
  local base="$1" token="$2" tracks="$3" tid
  while read -r tid; do
    curl -s -X POST "$base/v1/me/player/play" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "{\"track_id\": \"$tid\", \"quality\": \"lossless\"}" |
      python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["file_id"], o["token"], o["size"], o["format"])'
  done <"$tracks"
}
