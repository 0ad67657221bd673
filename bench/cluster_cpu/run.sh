#!/usr/bin/env bash
# CPU per request, cluster mode against single-node embedded mode (issue 17). Two cores cannot
# show throughput growing with nodes, so this measures what decides it: the CPU time the whole
# server side spends per request.
#
#   embedded  one `segue serve` on SQLite (the default: <data>/segue.db), every role.
#   cluster   the same binary on a throwaway PostgreSQL 15 cluster (fsync and full_page_writes
#             ON: SEGUE_PG_DURABLE=1 scripts/pg-test-cluster.sh) and a throwaway redis-server
#             (scripts/redis-test.sh), both on Unix sockets, with two nodes: A (every role) and
#             B (--roles api,indexer, its own data dir, as in tests/integration/cross_node.test.ts).
#
# Both modes: --access-log false, rate limits off (--rate-limit-user 0 --rate-limit-client 0), the
# demo library. The load is two wrk processes (1 thread, BENCH_CPU_CONNECTIONS/2 connections each,
# BENCH_DURATION s); in cluster mode one drives node A and the other node B (half the load each),
# in embedded mode both drive the one node. Loads, over BENCH_USERS users' tokens:
#   reads     GET /v1/tracks/{id}, random ids of the demo library
#   playlist  POST /v1/playlists/{id}/tracks with one URI, over BENCH_PLAYLISTS playlists per user
#   library   PUT /v1/me/tracks?ids=ID and DELETE /v1/me/tracks?ids=ID (random ids, half each)
#   events    POST /v1/me/player/events, batches of 20 track_end events
#
# CPU: utime+stime (and the children's, cutime+cstime, which holds the exited ones) from
# /proc/PID/stat of every server-side process: the segue node(s); in cluster mode also the
# postmaster and all its children (backends, WAL writer, checkpointer, autovacuum...) and
# redis-server. It is sampled after the servers are quiet (less than 3 % of a core for 1 s), then
# when wrk ends, then again once they are quiet again (so work deferred past the load, such as the
# event consumers catching up, is counted). CPU per request = (quiet after - before) / requests.
# In cluster mode it also reports PostgreSQL transactions committed and rolled back per request.
#
# usage: bench/cluster_cpu/run.sh BUILD_DIR
#   knobs: BENCH_MODES ("embedded cluster"), BENCH_LOADS ("reads playlist library events"),
#          BENCH_DURATION (10), BENCH_CPU_CONNECTIONS (16), BENCH_USERS (4), BENCH_PLAYLISTS (8),
#          BENCH_EVENTS_PER_BATCH (20), BENCH_SPLIT (1: in cluster mode half the load on each node;
#          0: all of it on node A, node B idle but running and counted)
# Prints `RESULT bench=cluster_cpu mode=... load=...` lines, then a markdown table on stderr.
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need wrk curl openssl python3 psql redis-server
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
MODES="${BENCH_MODES:-embedded cluster}"
LOADS="${BENCH_LOADS:-reads playlist library events}"
: "${BENCH_CPU_CONNECTIONS:=16}"
: "${BENCH_USERS:=4}"
: "${BENCH_PLAYLISTS:=8}"
: "${BENCH_EVENTS_PER_BATCH:=20}"
: "${BENCH_SPLIT:=1}"
HALF=$((BENCH_CPU_CONNECTIONS / 2))
[ "$HALF" -ge 1 ] || { echo "BENCH_CPU_CONNECTIONS must be at least 2" >&2; exit 2; }
CLK="$(getconf CLK_TCK)"
LIB="$WORK/library"
"$SEGUE" demo-library "$LIB" >/dev/null 2>&1
SCOPES="user-read-private user-library-read user-library-modify playlist-read-private playlist-modify-private playlist-modify-public user-modify-playback-state"
LIMITS=(--rate-limit-user 0 --rate-limit-client 0)

PGDIR=""
REDISDIR=""
cleanup_services() {
  if [ -n "$PGDIR" ]; then "$ROOT/scripts/pg-test-cluster.sh" stop "$PGDIR"; fi
  if [ -n "$REDISDIR" ]; then "$ROOT/scripts/redis-test.sh" stop "$REDISDIR"; fi
  PGDIR=""
  REDISDIR=""
}
trap 'cleanup_services; bench_cleanup' EXIT

# cpu_ticks GROUP=PID[,PID...]...: prints "GROUP=TICKS ... total=TICKS", where a group's ticks are
# utime+stime+cutime+cstime of each listed process plus utime+stime of each of its live children.
cpu_ticks() {
  python3 - "$@" <<'PY'
import os, sys
def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    r = s[s.rindex(")") + 2:].split()  # r[0] is field 3 (state)
    return int(r[1]), int(r[11]) + int(r[12]), int(r[13]) + int(r[14])
groups = []
for arg in sys.argv[1:]:
    name, pids = arg.split("=", 1)
    groups.append((name, [int(p) for p in pids.split(",") if p]))
children = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            ppid, own, _ = stat(int(d))
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append((int(d), own))
out, total = [], 0
for name, pids in groups:
    n = 0
    for p in pids:
        _, own, reaped = stat(p)
        n += own + reaped
        n += sum(t for c, t in children.get(p, []) if c not in pids)
    out.append("%s=%d" % (name, n))
    total += n
print(" ".join(out + ["total=%d" % total]))
PY
}

ticks_of() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }

# wait_quiet GROUPS...: until the server side uses less than 3 % of a core over 1 s (at most 120 s).
wait_quiet() {
  local a b i
  a="$(ticks_of total "$(cpu_ticks "$@")")"
  for i in $(seq 1 120); do
    sleep 1
    b="$(ticks_of total "$(cpu_ticks "$@")")"
    if [ $((b - a)) -le $((CLK * 3 / 100)) ]; then return 0; fi
    a="$b"
  done
  echo "warning: the servers did not become quiet within 120 s" >&2
}

# start_node DATA PORT [flags...]: a node that does not scan (no wait for the startup scan).
start_node() {
  local data="$1" port="$2"
  shift 2
  mkdir -p "$data"
  "$SEGUE" serve --data "$data" --library "$LIB" --listen "127.0.0.1:$port" --access-log false \
    --max-connections-per-address 0 --audio-rate-limit 0 --image-rate-limit 0 "$@" \
    >"$WORK/segue-$port.out" 2>"${BENCH_SEGUE_LOG:-/dev/null}" &
  NODE_PID=$!
  BENCH_PIDS+=("$NODE_PID")
  wait_http "http://127.0.0.1:$port/metrics" 60
}

# make_users DATA: BENCH_USERS premium users and one public client (through the CLI, which
# reaches PostgreSQL through SEGUE_DATABASE when it is set); leaves their names in USERS.
make_users() {
  local data="$1" i
  mkdir -p "$data"
  USERS=()
  BENCH_PASSWORD="bench-password-$(date +%s)"
  for i in $(seq 1 "$BENCH_USERS"); do
    printf '%s\n' "$BENCH_PASSWORD" | "$SEGUE" user add "bench$i" --tier premium --data "$data" >/dev/null
    USERS+=("bench$i")
  done
  BENCH_REDIRECT="http://127.0.0.1:8888/callback"
  BENCH_CLIENT_ID="$("$SEGUE" client add bench --redirect-uri "$BENCH_REDIRECT" --public --data "$data" |
    sed -n 's/^client_id: //p')"
  [ -n "$BENCH_CLIENT_ID" ] || { echo "client add printed no client_id" >&2; return 1; }
}

# write_loads BASE: logs every user in, creates their playlists, writes $WORK/<load>.txt.
write_loads() {
  local base="$1" u
  : >"$WORK/tokens.txt"
  for u in "${USERS[@]}"; do
    BENCH_USER="$u"
    oauth_login "$base" "$SCOPES" >>"$WORK/tokens.txt"
  done
  list_track_ids "$base" "$(head -1 "$WORK/tokens.txt")" >"$WORK/ids.txt"
  python3 - "$base" "$WORK" "$BENCH_PLAYLISTS" "$BENCH_EVENTS_PER_BATCH" <<'PY'
import json, sys, time, urllib.request
base, work, per_user, per_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tokens = [l.strip() for l in open(work + "/tokens.txt") if l.strip()]
ids = [l.strip() for l in open(work + "/ids.txt") if l.strip()]
assert tokens and ids
def call(token, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
playlists = [(t, call(t, "POST", "/v1/me/playlists", {"name": "cpu bench %d" % i, "public": False})["id"])
             for t in tokens for i in range(per_user)]
with open(work + "/reads.txt", "w") as f:
    for t in tokens:
        for i in ids: f.write("GET\t/v1/tracks/%s\t%s\n" % (i, t))
with open(work + "/playlist.txt", "w") as f:
    for t, p in playlists:
        for i in ids: f.write("POST\t/v1/playlists/%s/tracks\t%s\t%s\n" % (p, t, json.dumps({"uris": ["spotify:track:" + i]})))
with open(work + "/library.txt", "w") as f:
    for t in tokens:
        for i in ids:
            f.write("PUT\t/v1/me/tracks?ids=%s\t%s\n" % (i, t))
            f.write("DELETE\t/v1/me/tracks?ids=%s\t%s\n" % (i, t))
now = int(time.time() * 1000)
with open(work + "/events.txt", "w") as f:
    for n, t in enumerate(tokens):
        for b in range(16):
            batch = [{"type": "track_end", "track_id": ids[(b * per_batch + i) % len(ids)], "position_ms": 60000,
                      "skip": False, "timestamp": now - 3600_000 + (n * 16 + b) * 1000 + i} for i in range(per_batch)]
            f.write("POST\t/v1/me/player/events\t%s\t%s\n" % (t, json.dumps(batch, separators=(",", ":"))))
PY
  # One of each, by hand, to be sure they are accepted before measuring.
  local load line method path token body code
  for load in reads playlist library events; do
    IFS=$'\t' read -r method path token body <"$WORK/$load.txt"
    local data=()
    [ -z "$body" ] || data=(-H 'Content-Type: application/json' --data "$body")
    code="$(curl -s -o /dev/null -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
      "${data[@]}" "$base$path")"
    case "$code" in 2??) ;; *) echo "$load: $method $path answered $code" >&2; return 1 ;; esac
  done
}

# pg_xacts: "COMMITS ROLLBACKS" of the bench database so far (PostgreSQL's statistics).
pg_xacts() {
  psql "$SEGUE_DATABASE" -Atq -F ' ' -c "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()"
}

# measure MODE LOAD URL_A URL_B GROUPS...: prints the RESULT line.
measure() {
  local mode="$1" load="$2" url_a="$3" url_b="$4"
  shift 4
  wait_quiet "$@"
  local before after_wrk after t0 t1 x0="0 0" x1="0 0"
  [ "$mode" != cluster ] || { x0="$(pg_xacts)"; sleep 0.2; }
  before="$(cpu_ticks "$@")"
  t0="$(date +%s.%N)"
  BENCH_REQUESTS="$WORK/$load.txt" BENCH_SEED=4100 wrk -t1 -c"$HALF" -d"${BENCH_DURATION}s" --timeout 5s \
    -s "$BENCH_DIR/cluster_cpu/requests.lua" "$url_a" >"$WORK/wrk-a.out" 2>&1 &
  local wa=$!
  BENCH_REQUESTS="$WORK/$load.txt" BENCH_SEED=4200 wrk -t1 -c"$HALF" -d"${BENCH_DURATION}s" --timeout 5s \
    -s "$BENCH_DIR/cluster_cpu/requests.lua" "$url_b" >"$WORK/wrk-b.out" 2>&1 &
  local wb=$!
  wait "$wa" "$wb"
  after_wrk="$(cpu_ticks "$@")"
  t1="$(date +%s.%N)"
  wait_quiet "$@"
  after="$(cpu_ticks "$@")"
  [ "$mode" != cluster ] || { sleep 1; x1="$(pg_xacts)"; }
  sed 's/^/    /' "$WORK/wrk-a.out" "$WORK/wrk-b.out" >&2
  python3 - "$mode" "$load" "$CLK" "$before" "$after_wrk" "$after" "$t0" "$t1" "$WORK/wrk-a.out" "$WORK/wrk-b.out" "$x0" "$x1" <<'PY'
import os, sys
mode, load, clk = sys.argv[1], sys.argv[2], int(sys.argv[3])
def ticks(s): return {k: int(v) for k, v in (kv.split("=") for kv in s.split())}
before, mid, after = ticks(sys.argv[4]), ticks(sys.argv[5]), ticks(sys.argv[6])
secs = float(sys.argv[8]) - float(sys.argv[7])
w = []
for path in sys.argv[9:11]:
    line = [l for l in open(path) if l.startswith("WRK ")]
    assert line, "wrk produced no summary: " + open(path).read()
    w.append({k: float(v) for k, v in (kv.split("=") for kv in line[-1].split()[1:])})
req = sum(x["requests"] for x in w)
assert req > 0
us = lambda k: (after[k] - before[k]) / clk * 1e6 / req
parts = " ".join("cpu_us_%s=%.1f" % (k, us(k)) for k in before if k != "total")
x0, x1 = [int(v) for v in sys.argv[11].split()], [int(v) for v in sys.argv[12].split()]
pg = " pg_commits_per_req=%.2f pg_rollbacks_per_req=%.3f" % ((x1[0] - x0[0]) / req, (x1[1] - x0[1]) / req) if mode == "cluster" else ""
tail = (after["total"] - mid["total"]) / max(1, after["total"] - before["total"])
print("RESULT bench=cluster_cpu mode=%s load=%s split=%s cpu_us_per_req=%.1f %s tail_share=%.3f cores_busy=%.2f "
      "rps=%.0f p99_ms=%.3f requests=%d non2xx=%d errors=%d%s" % (
      mode, load, os.environ.get("BENCH_SPLIT", "1") if mode == "cluster" else "-", us("total"), parts, tail, (mid["total"] - before["total"]) / clk / secs,
      sum(x["rps"] for x in w), max(x["p99_ms"] for x in w), req,
      sum(x["non2xx"] for x in w), sum(x["errors"] for x in w), pg))
PY
}
export BENCH_SPLIT

echo "== cluster_cpu: $(machine_info); segue $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
RESULTS="$WORK/results.txt"
: >"$RESULTS"
for mode in $MODES; do
  unset SEGUE_DATABASE
  case "$mode" in
    embedded)
      DATA="$WORK/data-embedded"
      make_users "$DATA"
      "$SEGUE" scan --data "$DATA" --library "$LIB" >/dev/null 2>&1
      PA="$(free_port)"
      start_segue "$DATA" "$LIB" "$PA" false "${LIMITS[@]}"
      URL_A="http://127.0.0.1:$PA"
      URL_B="$URL_A"
      GROUPS_=("segue=$SEGUE_PID")
      ;;
    cluster)
      PGDIR="$(mktemp -d /tmp/segue-pg-bench-XXXXXX)"
      REDISDIR="$(mktemp -d /tmp/segue-redis-bench-XXXXXX)"
      admin="$(SEGUE_PG_DURABLE=1 "$ROOT/scripts/pg-test-cluster.sh" start "$PGDIR")"
      psql "$admin" -q -c "CREATE DATABASE bench"
      export SEGUE_DATABASE="${admin/\/postgres\?//bench?}"
      REDIS="$("$ROOT/scripts/redis-test.sh" start "$REDISDIR")"
      DATA="$WORK/data-node-a"
      make_users "$DATA"
      "$SEGUE" scan --data "$DATA" --library "$LIB" >/dev/null 2>&1
      PA="$(free_port)"
      start_segue "$DATA" "$LIB" "$PA" false "${LIMITS[@]}" --database "$SEGUE_DATABASE" --redis "$REDIS"
      PID_A="$SEGUE_PID"
      PB="$(free_port)"
      start_node "$WORK/data-node-b" "$PB" "${LIMITS[@]}" --database "$SEGUE_DATABASE" --redis "$REDIS" --roles api,indexer
      URL_A="http://127.0.0.1:$PA"
      URL_B="http://127.0.0.1:$PB"
      [ "$BENCH_SPLIT" = 1 ] || URL_B="$URL_A"
      POSTMASTER="$(head -1 "$PGDIR/data/postmaster.pid")"
      GROUPS_=("segue=$PID_A,$NODE_PID" "postgres=$POSTMASTER" "redis=$(cat "$REDISDIR/redis.pid")")
      ;;
    *) echo "unknown mode $mode (embedded|cluster)" >&2; exit 2 ;;
  esac
  write_loads "$URL_A"
  for load in $LOADS; do
    echo "== cluster_cpu: $mode, $load" >&2
    line="$(measure "$mode" "$load" "$URL_A" "$URL_B" "${GROUPS_[@]}")"
    echo "$line"
    echo "$line" >>"$RESULTS"
  done
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
  cleanup_services
done
echo "== cluster_cpu: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# The table: CPU microseconds per request by mode, the ratio, requests/s and p99.
python3 - "$RESULTS" >&2 <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(x.split("=", 1) for x in line.split()[1:])
    rows[(kv["load"], kv["mode"])] = kv
loads = []
for (load, _) in rows:
    if load not in loads: loads.append(load)
names = {"reads": "`GET /v1/tracks/{id}`", "playlist": "playlist edit (1 URI)",
         "library": "library save/remove", "events": "events, batch of 20"}
print()
print("| operation | embedded CPU µs/req | cluster CPU µs/req (segue + postgres + redis) | cluster / embedded | embedded req/s (p99 ms) | cluster req/s (p99 ms) |")
print("|---|---:|---:|---:|---:|---:|")
for load in loads:
    e, c = rows.get((load, "embedded")), rows.get((load, "cluster"))
    ecpu = "%.0f" % float(e["cpu_us_per_req"]) if e else "—"
    ccpu = ("%.0f (%.0f + %.0f + %.0f)" % tuple(float(c[k]) for k in
            ("cpu_us_per_req", "cpu_us_segue", "cpu_us_postgres", "cpu_us_redis"))) if c else "—"
    ratio = "%.2fx" % (float(c["cpu_us_per_req"]) / float(e["cpu_us_per_req"])) if e and c else "—"
    def rp(r):
        if not r: return "—"
        bad = int(r["non2xx"]) + int(r["errors"])
        return "%s (%.1f)%s" % (format(int(r["rps"]), ","), float(r["p99_ms"]),
                                ", %d of %s failed" % (bad, format(int(r["requests"]), ",")) if bad else "")
    print("| %s | %s | %s | %s | %s | %s |" % (names.get(load, load), ecpu, ccpu, ratio, rp(e), rp(c)))
PY
