#!/usr/bin/env bash
# A Segue cluster on one machine, every part a real process on loopback with its own folder and
# port: PostgreSQL (state), Redis (the bus between nodes), N Segue nodes (default 3) on one
# database and one library, an nginx gateway balancing them, and M nginx caching edges (default 2)
# in front of the gateway. The edges check edge tokens with Segue's nginx module (built into the
# segue binary's build dir by scripts/build-edge-module.sh when nginx-dev is installed), else in njs.
#
#   scripts/cluster.sh up [DIR]            starts what is not running; prints gateway=URL,
#                                          database=URL, redis=URL, node<i>=URL, edge<i>=URL lines
#   scripts/cluster.sh status [DIR]        one line per part: name, pid or "down", URL
#   scripts/cluster.sh down [DIR]          stops everything and removes DIR
#   scripts/cluster.sh kill [DIR] PART     kill -9 one part (node2, edge1, gateway, redis)
#   scripts/cluster.sh start [DIR] PART    starts one part again (same port, same folder)
#   scripts/cluster.sh pg-crash [DIR]      stops PostgreSQL with -m immediate (a crash)
#   scripts/cluster.sh pg-start [DIR]      starts PostgreSQL again
#
# DIR defaults to $TMPDIR/segue-cluster. Settings (environment, read by `up` only):
#   SEGUE_BIN (default build/src/app/segue), CLUSTER_NODES (3), CLUSTER_EDGES (2),
#   CLUSTER_LIBRARY (default: a demo library written into DIR/library),
#   CLUSTER_NODE_ARGS (extra `segue serve` flags for every node).
# The CLI reaches the cluster's state with `segue ... --database URL` (the printed database=URL).
# Every node shares the library, the transcode folder (DIR/shared/transcodes) and the keys
# (DIR/shared/secret.key, DIR/shared/edge.key): docs/deploy.md says why each must be shared.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

cmd="${1:-}"
[ -n "$cmd" ] || { sed -n '2,23p' "$0" >&2; exit 2; }
shift
dir="${TMPDIR:-/tmp}/segue-cluster"
if [ $# -gt 0 ] && [[ "$1" == /* || "$1" == ./* || "$1" == */* ]]; then dir="$1"; shift; fi
part="${1:-}"

state="$dir/cluster.env"
log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_http() {  # URL SECONDS
  local i=0 n=$(( $2 * 10 ))
  until curl -fs -o /dev/null --max-time 1 "$1"; do
    [ -z "${3:-}" ] || alive "$3" || return 1
    i=$((i + 1)); [ "$i" -le "$n" ] || return 1
    sleep 0.1
  done
}

load_state() {
  [ -f "$state" ] || die "no cluster in $dir (run: $0 up $dir)"
  # shellcheck disable=SC1090
  . "$state"
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

start_node() {  # i
  local i="$1" port_var="NODE$1_PORT" d="$dir/node$1"
  local port="${!port_var}"
  alive "$d/segue.pid" && return 0
  mkdir -p "$d"
  cp "$dir/shared/secret.key" "$d/secret.key"
  chmod 600 "$d/secret.key"
  local edges=""
  for ((e = 1; e <= EDGES; e++)); do
    local ep_var="EDGE${e}_PORT"
    edges+="${edges:+,}edge$e=http://127.0.0.1:${!ep_var}"
  done
  # Only the flags configure a node: SEGUE_* variables of the caller (SEGUE_BIN, ...) would be
  # read as settings.
  local unset=()
  for v in $(compgen -e | grep '^SEGUE_' || true); do unset+=(-u "$v"); done
  # shellcheck disable=SC2086
  env "${unset[@]}" \
    setsid "$SEGUE_BIN" serve --data "$d" --listen "127.0.0.1:$port" --library "$LIBRARY" \
      --database "$DATABASE" --redis "$REDIS" --transcode-dir "$dir/shared/transcodes" \
      --edge-key-file "$dir/shared/edge.key" ${edges:+--edges "$edges"} \
      --public-url "http://127.0.0.1:$GATEWAY_PORT" --trusted-proxies 127.0.0.1/32 --access-log false $NODE_ARGS \
      >"$d/stdout.log" 2>"$d/stderr.log" </dev/null &
  echo $! >"$d/segue.pid"
}

start_nginx() {  # name
  local d="$dir/$1"
  if [ -f "$d/nginx.pid" ] && alive "$d/nginx.pid"; then return 0; fi
  rm -f "$d/nginx.pid"
  "$(nginx_bin)" -c "$d/nginx.conf" -p "$d" -e "$d/error.log" 2>>"$d/start.log" || { cat "$d/start.log" >&2; return 1; }
}

render_gateway() {
  local args=(gateway --listen "127.0.0.1:$GATEWAY_PORT" --dir "$dir/gateway")
  for ((i = 1; i <= NODES; i++)); do
    local p="NODE${i}_PORT"
    args+=(--node "http://127.0.0.1:${!p}")
  done
  "$root/deploy/render" "${args[@]}"
}

# How the edges check edge tokens: Segue's nginx module, built (cached) into the build dir of
# the segue binary when nginx-dev is installed; else whatever deploy/render finds (the module
# installed in nginx's modules folder, or the njs fallback, half as fast per cache HIT).
edge_token_args() {
  local build_dir m
  build_dir="$(cd "$(dirname "$SEGUE_BIN")/../.." && pwd)"
  EDGE_TOKEN_ARGS=(--token-check auto)
  if [ -f "$build_dir/CMakeCache.txt" ] && [ -f /usr/share/nginx/src/conf_flags ]; then
    m="$("$root/scripts/build-edge-module.sh" "$build_dir")" || die "cannot build the edges' nginx module (scripts/build-edge-module.sh)"
    EDGE_TOKEN_ARGS=(--token-check c --module "$m")
  fi
}

render_edge() {  # e
  local p="EDGE$1_PORT"
  "$root/deploy/render" edge --listen "127.0.0.1:${!p}" --origin "http://127.0.0.1:$GATEWAY_PORT" \
    --edge-key-file "$dir/shared/edge.key" --name "edge$1" --dir "$dir/edge$1" "${EDGE_TOKEN_ARGS[@]}"
}

cmd_up() {
  local bin="${SEGUE_BIN:-$root/build/src/app/segue}"
  [ -x "$bin" ] || die "no segue binary at $bin (make build, or set SEGUE_BIN)"
  mkdir -p "$dir/shared/transcodes"
  dir="$(cd "$dir" && pwd)"
  # PostgreSQL runs as its own user when we are root: it must be able to reach DIR/pg.
  [ "$(id -u)" -ne 0 ] || chmod o+x "$dir"
  state="$dir/cluster.env"
  if [ ! -f "$state" ]; then
    local nodes="${CLUSTER_NODES:-3}" edges="${CLUSTER_EDGES:-2}" lib="${CLUSTER_LIBRARY:-}"
    if [ -z "$lib" ]; then
      lib="$dir/library"
      [ -f "$lib/.segue-demo-library" ] || "$bin" demo-library "$lib" >/dev/null
    fi
    {
      echo "SEGUE_BIN=$(printf %q "$(readlink -f "$bin")")"
      echo "NODES=$nodes"
      echo "EDGES=$edges"
      echo "LIBRARY=$(printf %q "$(readlink -f "$lib")")"
      echo "NODE_ARGS=$(printf %q "${CLUSTER_NODE_ARGS:-}")"
      echo "GATEWAY_PORT=$(free_port)"
      for ((i = 1; i <= nodes; i++)); do echo "NODE${i}_PORT=$(free_port)"; done
      for ((e = 1; e <= edges; e++)); do echo "EDGE${e}_PORT=$(free_port)"; done
    } >"$state.tmp"
    mv "$state.tmp" "$state"
  fi
  load_state
  # Keys every node shares: stream tokens signed by one node verify on another, and the edges
  # check edge tokens with the edge key.
  [ -f "$dir/shared/secret.key" ] || head -c 32 /dev/urandom >"$dir/shared/secret.key"
  [ -f "$dir/shared/edge.key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/shared/edge.key"
  chmod 600 "$dir/shared/"*.key

  local pg_url redis_url
  pg_url="$("$root/scripts/pg-test-cluster.sh" start "$dir/pg")"
  psql "$pg_url" -qtAc "SELECT 1 FROM pg_database WHERE datname='segue'" | grep -q 1 ||
    psql "$pg_url" -qc "CREATE DATABASE segue" >/dev/null
  DATABASE="${pg_url/\/postgres\?//segue?}"
  redis_url="$("$root/scripts/redis-test.sh" start "$dir/redis")"
  REDIS="$redis_url"
  grep -q '^DATABASE=' "$state" || { echo "DATABASE=$(printf %q "$DATABASE")"; echo "REDIS=$(printf %q "$REDIS")"; } >>"$state"

  # The first node alone first: it migrates the schema and scans the library; the others then
  # start on a migrated database.
  start_node 1
  wait_http "http://127.0.0.1:$NODE1_PORT/healthz" 60 "$dir/node1/segue.pid" || die "node1 did not answer; see $dir/node1/stderr.log"
  for ((i = 2; i <= NODES; i++)); do start_node "$i"; done
  for ((i = 2; i <= NODES; i++)); do
    local p="NODE${i}_PORT"
    wait_http "http://127.0.0.1:${!p}/healthz" 60 "$dir/node$i/segue.pid" || die "node$i did not answer; see $dir/node$i/stderr.log"
  done
  render_gateway
  start_nginx gateway
  wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz" 10 || die "the gateway does not answer; see $dir/gateway/error.log"
  edge_token_args
  for ((e = 1; e <= EDGES; e++)); do
    render_edge "$e"
    start_nginx "edge$e"
    local p="EDGE${e}_PORT"
    wait_http "http://127.0.0.1:${!p}/edge-health" 10 || die "edge$e does not answer; see $dir/edge$e/error.log"
  done
  print_urls
}

print_urls() {
  echo "gateway=http://127.0.0.1:$GATEWAY_PORT"
  echo "database=$DATABASE"
  echo "redis=$REDIS"
  echo "library=$LIBRARY"
  echo "dir=$dir"
  for ((i = 1; i <= NODES; i++)); do local p="NODE${i}_PORT"; echo "node$i=http://127.0.0.1:${!p}"; done
  for ((e = 1; e <= EDGES; e++)); do local p="EDGE${e}_PORT"; echo "edge$e=http://127.0.0.1:${!p}"; done
}

pid_file_of() {
  case "$1" in
    node*) echo "$dir/$1/segue.pid" ;;
    gateway|edge*) echo "$dir/$1/nginx.pid" ;;
    redis) echo "$dir/redis/redis.pid" ;;
    *) die "unknown part $1 (node<i>, edge<i>, gateway, redis)" ;;
  esac
}

cmd_status() {
  load_state
  local parts=(gateway redis)
  for ((i = 1; i <= NODES; i++)); do parts+=("node$i"); done
  for ((e = 1; e <= EDGES; e++)); do parts+=("edge$e"); done
  local pg="down"
  psql "$DATABASE" -qtAc "SELECT 1" >/dev/null 2>&1 && pg="up"
  echo "postgresql $pg $DATABASE"
  for p in "${parts[@]}"; do
    local f; f="$(pid_file_of "$p")"
    if alive "$f"; then echo "$p $(cat "$f")"; else echo "$p down"; fi
  done
}

cmd_kill() {
  load_state
  [ -n "$part" ] || die "kill: which part?"
  local f; f="$(pid_file_of "$part")"
  alive "$f" || { log "$part is not running"; return 0; }
  local pid; pid="$(cat "$f")"
  # Each part leads its own process group (nodes start under setsid, nginx and Redis daemonize
  # with setsid): the group goes at once, so nginx's workers and a node's transcode children do
  # not outlive it.
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  [[ "$part" == node* ]] || rm -f "$f"
}

cmd_start() {
  load_state
  [ -n "$part" ] || die "start: which part?"
  case "$part" in
    node*)
      start_node "${part#node}"
      local p="NODE${part#node}_PORT"
      wait_http "http://127.0.0.1:${!p}/healthz" 60 || die "$part did not answer; see $dir/$part/stderr.log"
      ;;
    gateway) start_nginx gateway ;;
    edge*) start_nginx "$part" ;;
    redis) "$root/scripts/redis-test.sh" start "$dir/redis" >/dev/null ;;
    *) die "unknown part $part" ;;
  esac
}

cmd_down() {
  [ -d "$dir" ] || return 0
  if [ -f "$state" ]; then
    load_state
    for ((e = 1; e <= EDGES; e++)); do part="edge$e" cmd_kill_quiet "edge$e"; done
    cmd_kill_quiet gateway
    for ((i = 1; i <= NODES; i++)); do
      local f="$dir/node$i/segue.pid"
      alive "$f" && kill "$(cat "$f")" 2>/dev/null || true
    done
    for ((i = 1; i <= NODES; i++)); do
      local f="$dir/node$i/segue.pid" n=0
      while alive "$f" && [ "$n" -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
      alive "$f" && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
  fi
  "$root/scripts/redis-test.sh" stop "$dir/redis" 2>/dev/null || true
  "$root/scripts/pg-test-cluster.sh" stop "$dir/pg" 2>/dev/null || true
  rm -rf "$dir"
}

cmd_kill_quiet() {
  local f="$dir/$1/nginx.pid"
  if alive "$f"; then
    "$(nginx_bin)" -c "$dir/$1/nginx.conf" -p "$dir/$1" -e "$dir/$1/error.log" -s stop 2>/dev/null || kill "$(cat "$f")" 2>/dev/null || true
  fi
  alive "$f" && kill -9 -- "-$(cat "$f" 2>/dev/null)" 2>/dev/null || true
}

case "$cmd" in
  up) cmd_up ;;
  status) cmd_status ;;
  urls) load_state; print_urls ;;
  down) cmd_down ;;
  kill) cmd_kill ;;
  start) cmd_start ;;
  pg-crash) load_state; "$root/scripts/pg-test-cluster.sh" crash "$dir/pg" ;;
  pg-start) load_state; "$root/scripts/pg-test-cluster.sh" start "$dir/pg" >/dev/null ;;
  *) die "unknown command $cmd (up, status, urls, down, kill, start, pg-crash, pg-start)" ;;
esac
