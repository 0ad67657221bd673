#!/usr/bin/env bash
# Caching edges (issue 17), two measurements in one run on the demo library:
#
# (a) 16 KB range requests (wrk, bench/range.lua: the same request sequence for every server)
#     served as edge cache HITs by an nginx edge rendered by deploy/render (token checked by njs
#     on every request, access log on, as deployed), next to plain nginx serving byte-identical
#     copies of the same files from disk (bench/lib.sh start_nginx: sendfile, no access log) and
#     to the origin itself (segue /audio with stream tokens). Set "all": every file a track
#     streams as (lossless preferred), chosen at random per request. Both nginx run 2 workers.
# (b) The edge hit ratio under a skewed play workload: BENCH_PLAYS plays (default 5000), tracks
#     drawn from Zipf(s = 1) over the catalog, each play POSTs /v1/me/player/play (default
#     quality) and fetches BENCH_RANGES (default 3) random 16 KB ranges through the first URL of
#     the answer, with two edges (cold caches) in front of the origin. Reports the share of
#     those requests the edges answered from cache (X-Cache-Status HIT) and the share of audio
#     requests that reached the origin (its /metrics).
#
# Knobs (environment):
#   BENCH_EDGE_VARIANTS="full nolog nojs ..."  edge configurations measured in (a), each its own
#     nginx (2 workers, own cache, warmed first), in one run next to nginx from disk (measured
#     before and after the variants; the ratio is against the mean of the two). "full" is the
#     configuration deploy/render writes; the others are that file with parts switched off or
#     changed, joined with "+" (e.g. "nolog+nojs"). Every variant but those with cmod is rendered
#     with --token-check njs:
#       nolog     access_log off
#       lognobuf  the access log unbuffered (as before the tuning); logbuf: buffer=64k flush=1s
#       cmod      the token checked by Segue's nginx module instead of njs (deploy/render
#                 --token-check c; scripts/build-edge-module.sh builds it into BUILD_DIR)
#       nojs      no token check (the `if ($edge_denied)` removed: njs never runs)
#       jsnop     njs runs per request, but edge_token.js replaced by one that only reads the
#                 token argument (the cost of njs itself, without the check's work)
#       noslice   no slice module: whole files cached under $uri, ranges cut from them
#       noofc     open_file_cache off (every HIT opens the cache file)
#       reuseport `listen ... reuseport` (the kernel spreads connections over the workers)
#       noreuseport the listen socket shared by the workers (as before the tuning)
#       bare      nolog+nojs+noslice
#       oldjs     edge_token.js as first shipped (commit 068fc92, see bench/edge/variant.py)
#       before    the configuration and the check before the tuning (lognobuf+noofc+noreuseport+oldjs)
#     Default: "full".
#   BENCH_PLAYS=0 skips (b); BENCH_EDGE_ORIGIN=0 skips the origin's run in (a).
#
# Besides req/s, (a) reports each nginx's CPU per request (its workers' user + system time over
# the wrk run / requests, from /proc) and cpu_ratio: nginx from disk's CPU per request over the
# edge's. On a shared machine req/s move with what else runs; CPU per request much less.
#
# usage: bench/edge/run.sh BUILD_DIR      (prints RESULT lines)
source "$(dirname "$0")/../lib.sh"
bench_init "${1:-}"
need wrk nginx curl openssl python3
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || { echo "missing the njs module (libnginx-mod-http-js)" >&2; exit 2; }
: "${BENCH_PLAYS:=5000}"
: "${BENCH_RANGES:=3}"
: "${BENCH_EDGE_VARIANTS:=full}"
: "${BENCH_EDGE_ORIGIN:=1}"
RENDER="$BENCH_DIR/../deploy/render"
CMOD=""
if [[ " $BENCH_EDGE_VARIANTS " == *cmod* ]]; then
  CMOD="$("$BENCH_DIR/../scripts/build-edge-module.sh" "${SEGUE%/src/app/segue}")" || { echo "cannot build the edge module" >&2; exit 2; }
fi

DATA="$WORK/data"
LIB="$WORK/library"
prepare_segue_data "$DATA" "$LIB"
openssl rand -hex 32 >"$WORK/edge.key"

E1P="$(free_port)"
E2P="$(free_port)"
SP="$(free_port)"
start_segue "$DATA" "$LIB" "$SP" false \
  --edges "e1=http://127.0.0.1:$E1P@a,e2=http://127.0.0.1:$E2P@b" --edge-key-file "$WORK/edge.key"
BASE="http://127.0.0.1:$SP"

start_edge() {  # NAME PORT: renders and starts an edge (2 workers) in front of the origin
  local name="$1" port="$2" dir="$WORK/edge-$1"
  "$RENDER" edge --listen "127.0.0.1:$port" --origin "$BASE" --edge-key-file "$WORK/edge.key" \
    --dir "$dir" --name "$name" --workers 2 --token-check njs
  nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' 2>"$dir/stderr.log" &
  BENCH_PIDS+=("$!")
  wait_http "http://127.0.0.1:$port/edge-health" 30
}
start_edge e1 "$E1P"
start_edge e2 "$E2P"
TOKEN="$(oauth_login "$BASE")"
list_track_ids "$BASE" "$TOKEN" >"$WORK/tracks.txt"
NTRACKS=$(wc -l <"$WORK/tracks.txt")

# Both edges listed (the prober saw them) before anything is measured.
for _ in $(seq 1 100); do
  n="$(curl -s -X POST "$BASE/v1/me/player/play" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"track_id\": \"$(head -1 "$WORK/tracks.txt")\"}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["edges"]))')"
  [ "$n" = 2 ] && break
  sleep 0.1
done
[ "$n" = 2 ] || { echo "play answers do not list both edges" >&2; exit 1; }

# ---- (b) first, on cold caches: the hit ratio under a Zipf play workload.
origin_audio() {
  curl -s "$BASE/metrics" | awk '/^segue_http_requests_total\{route="\/audio\/\{file_id\}"/ {s += $2} END {print s + 0}'
}
if [ "$BENCH_PLAYS" -gt 0 ]; then
echo "== edge hit ratio: $BENCH_PLAYS plays, Zipf(s=1) over $NTRACKS tracks, $BENCH_RANGES ranges each" >&2
O0="$(origin_audio)"
python3 - "$BASE" "$TOKEN" "$WORK/tracks.txt" "$BENCH_PLAYS" "$BENCH_RANGES" >"$WORK/zipf.txt" <<'PY'
import http.client, json, random, sys, time, urllib.parse
base, token, tracks_file, plays, ranges = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
tracks = [l.strip() for l in open(tracks_file) if l.strip()]
rng = random.Random(17)
rng.shuffle(tracks)  # which tracks are popular does not follow the catalog's order
weights = [1.0 / (k + 1) for k in range(len(tracks))]  # Zipf, s = 1
conns = {}
def conn(netloc):
    c = conns.get(netloc)
    if c is None:
        c = conns[netloc] = http.client.HTTPConnection(netloc, timeout=30)
    return c
def request(url, method="GET", body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    for attempt in range(2):
        c = conn(u.netloc)
        try:
            c.request(method, u.path + ("?" + u.query if u.query else ""), body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        except (http.client.HTTPException, OSError):
            c.close()
            conns.pop(u.netloc, None)
            if attempt: raise
def play(tid):
    st, _, body = request(base + "/v1/me/player/play", "POST", json.dumps({"track_id": tid}),
                          {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    assert st == 200, (st, body[:200])
    return json.loads(body)
# Encodings the tracks' default quality needs are made first (as transcode_ahead would): the
# workload measures caching, not transcoding.
deadline = time.time() + 300
for tid in tracks:
    while not play(tid)["ready"]:
        assert time.time() < deadline, "encodings not ready after 300 s"
        time.sleep(0.5)
status_count, by_edge, first_kind = {}, {}, {"edge": 0, "origin": 0}
t0 = time.time()
for i in range(plays):
    tid = rng.choices(tracks, weights)[0]
    o = play(tid)
    url = o["stream_urls"][0]
    edge = o["edges"][0]["name"] if o["edges"] else "origin"
    first_kind["edge" if o["edges"] else "origin"] += 1
    size = o["size"]
    for _ in range(ranges):
        slots = max(1, size // 16384)
        first = rng.randrange(slots) * 16384
        last = min(size - 1, first + 16383)
        st, h, data = request(url, headers={"Range": "bytes=%d-%d" % (first, last)})
        assert st == 206 and len(data) == last - first + 1, (st, len(data), url)
        cs = h.get("x-cache-status", "ORIGIN")
        status_count[cs] = status_count.get(cs, 0) + 1
        by_edge.setdefault(edge, {}).setdefault(cs, 0)
        by_edge[edge][cs] += 1
total = sum(status_count.values())
print("requests", total)
print("seconds", "%.1f" % (time.time() - t0))
print("first_url_edge", first_kind["edge"], "first_url_origin", first_kind["origin"])
for k, v in sorted(status_count.items()): print("status", k, v)
for e, d in sorted(by_edge.items()): print("edge", e, " ".join("%s=%d" % kv for kv in sorted(d.items())))
print("hit_ratio", "%.4f" % (status_count.get("HIT", 0) / total))
PY
cat "$WORK/zipf.txt" | sed 's/^/    /' >&2
O1="$(origin_audio)"
REQS="$(awk '$1 == "requests" {print $2}' "$WORK/zipf.txt")"
HIT="$(awk '$1 == "hit_ratio" {print $2}' "$WORK/zipf.txt")"
ORIGIN_SHARE="$(python3 -c "print(f'{($O1 - $O0) / $REQS:.4f}')")"
echo "RESULT bench=edge-zipf plays=$BENCH_PLAYS tracks=$NTRACKS ranges_per_play=$BENCH_RANGES requests=$REQS hit_ratio=$HIT origin_requests=$((O1 - O0)) origin_share=$ORIGIN_SHARE"
fi

# ---- (a) 16 KB ranges: edge HITs vs nginx from disk vs the origin.
# One lossless-preferred play per track (the largest files, as bench/stream.sh): the file id, its
# stream token (origin), its edge token (from the first edge URL of the same answer) and size.
python3 - "$BASE" "$TOKEN" "$WORK/tracks.txt" >"$WORK/files.txt" <<'PY'
import json, sys, urllib.parse, urllib.request
base, token, tracks_file = sys.argv[1], sys.argv[2], sys.argv[3]
seen = set()
for tid in (l.strip() for l in open(tracks_file)):
    if not tid: continue
    req = urllib.request.Request(base + "/v1/me/player/play", data=json.dumps({"track_id": tid, "quality": "lossless"}).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    o = json.load(urllib.request.urlopen(req))
    if o["file_id"] in seen or not o["edges"]: continue
    seen.add(o["file_id"])
    edge_token = urllib.parse.parse_qs(urllib.parse.urlsplit(o["edges"][0]["url"]).query)["token"][0]
    print(o["file_id"], o["token"], edge_token, o["size"])
PY
mkdir -p "$WORK/www/audio"
: >"$WORK/origin-all.txt"
: >"$WORK/edge-all.txt"
EDGE="http://127.0.0.1:$E1P"
while read -r fid tok etok size; do
  curl -s -o "$WORK/www/audio/$fid" "$BASE/audio/$fid?token=$tok"
  [ "$(stat -c %s "$WORK/www/audio/$fid")" = "$size" ] || { echo "short download of $fid" >&2; exit 1; }
  # Warm edge e1's cache with the whole file (every 1 MB slice), and check it is byte-identical.
  curl -s -o "$WORK/edge-copy" "$EDGE/audio/$fid?token=$etok"
  cmp -s "$WORK/edge-copy" "$WORK/www/audio/$fid" || { echo "edge e1 returned other bytes for $fid" >&2; exit 1; }
  echo "/audio/$fid?token=$tok $size" >>"$WORK/origin-all.txt"
  echo "/audio/$fid?token=$etok $size" >>"$WORK/edge-all.txt"
done <"$WORK/files.txt"
NFILES=$(wc -l <"$WORK/edge-all.txt")
TOTAL_BYTES=$(awk '{s+=$2} END {print s}' "$WORK/edge-all.txt")
[ "$NFILES" -gt 0 ] || { echo "no playable files" >&2; exit 1; }
echo "files: $NFILES ($TOTAL_BYTES bytes)" >&2
# The nginx copy answers the edge's paths too (it ignores the query string).
cp "$WORK/edge-all.txt" "$WORK/nginx-all.txt"

NP="$(free_port)"
start_nginx "$WORK/www" "$NP"
NGINX_DISK_PID="$NGINX_PID"

# One edge per variant: deploy/render's configuration, edited (bench/edge/variant.py), its own
# port, cache and 2 workers; warmed with every file (byte-identical), then every file checked to
# be a HIT.
declare -A VPORT VMASTER
for v in $BENCH_EDGE_VARIANTS; do
  [[ "$v" =~ ^[a-z+]+$ ]] || { echo "bad variant name '$v'" >&2; exit 2; }
  vdir="$WORK/edge-v-${v//+/-}"
  vport="$(free_port)"
  check=(--token-check njs)
  [[ "+$v+" != *+cmod+* ]] || check=(--token-check c --module "$CMOD")
  "$RENDER" edge --listen "127.0.0.1:$vport" --origin "$BASE" --edge-key-file "$WORK/edge.key" \
    --dir "$vdir" --name "v-${v//+/-}" --workers 2 "${check[@]}"
  python3 "$BENCH_DIR/edge/variant.py" "$vdir/nginx.conf" "$v"
  nginx -c "$vdir/nginx.conf" -p "$vdir" -g 'daemon off;' 2>"$vdir/stderr.log" &
  BENCH_PIDS+=("$!")
  VMASTER[$v]="$!"
  wait_http "http://127.0.0.1:$vport/edge-health" 30
  VPORT[$v]="$vport"
  while read -r path size; do
    curl -s -o "$WORK/edge-copy" "http://127.0.0.1:$vport$path"
    cmp -s "$WORK/edge-copy" "$WORK/www/${path%%\?*}" || { echo "edge variant $v returned other bytes for $path" >&2; exit 1; }
  done <"$WORK/edge-all.txt"
  while read -r path size; do
    st="$(curl -s -o /dev/null -D - -H 'Range: bytes=0-16383' "http://127.0.0.1:$vport$path" | tr -d '\r' | awk 'tolower($1) == "x-cache-status:" {print $2}')"
    [ "$st" = HIT ] || { echo "edge variant $v did not answer $path from its cache ($st)" >&2; exit 1; }
  done <"$WORK/edge-all.txt"
  # A token check that is on must still refuse a bad token.
  if [[ "$v" != *nojs* && "$v" != *bare* && "$v" != *jsnop* ]]; then
    p1="$(head -1 "$WORK/edge-all.txt" | cut -d' ' -f1)"
    c="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$vport${p1}x")"
    [ "$c" = 403 ] || { echo "edge variant $v accepted a bad token ($c)" >&2; exit 1; }
  fi
done

LUA="$BENCH_DIR/range.lua"
declare -A R
# CPU time (user + system, clock ticks) of an nginx master's workers so far.
workers_ticks() {
  local w s=0
  for w in $(ps --ppid "$1" -o pid=); do
    s=$((s + $(awk '{print $14 + $15}' "/proc/$w/stat" 2>/dev/null || echo 0)))
  done
  echo "$s"
}
bench_set() {  # label base-url targets [nginx master pid]
  local label="$1" url="$2" targets="$3" master="${4:-}" line t0 t1 n
  echo "== edge ranges: $label (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  [ -z "$master" ] || t0="$(workers_ticks "$master")"
  line="$(BENCH_TARGETS="$targets" run_wrk "$label" "$LUA" "$url")"
  if [ -n "$master" ]; then
    # The workers' CPU per request: unlike req/s, hardly moved by what else runs on the machine.
    t1="$(workers_ticks "$master")"
    n="$(sed -n 's/.*\brequests=\([0-9]*\).*/\1/p' <<<"$line")"
    line+=" cpu_us_per_req=$(python3 -c "print(f'{($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / $n:.1f}')")"
  fi
  R["$label"]="$line"
  echo "RESULT bench=edge-ranges set=all server=$label load=$(cut -d' ' -f1 /proc/loadavg) $line"
}
O2="$(origin_audio)"
bench_set nginx-disk "http://127.0.0.1:$NP" "$WORK/nginx-all.txt" "$NGINX_DISK_PID"
for v in $BENCH_EDGE_VARIANTS; do
  bench_set "edge-$v" "http://127.0.0.1:${VPORT[$v]}" "$WORK/edge-all.txt" "${VMASTER[$v]}"
done
[ "$(origin_audio)" = "$O2" ] || echo "note: the origin saw $(( $(origin_audio) - O2 )) audio requests during the edge runs" >&2
bench_set nginx-disk-2 "http://127.0.0.1:$NP" "$WORK/nginx-all.txt" "$NGINX_DISK_PID"
[ "$BENCH_EDGE_ORIGIN" = 0 ] || bench_set origin "$BASE" "$WORK/origin-all.txt"

field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
n1=$(field "${R[nginx-disk]}" rps)
n2=$(field "${R[nginx-disk-2]}" rps)
n=$(python3 -c "print(($n1 + $n2) / 2)")
servers=""
for v in $BENCH_EDGE_VARIANTS; do servers+=" edge-$v"; done
[ "$BENCH_EDGE_ORIGIN" = 0 ] || servers+=" origin"
c1=$(field "${R[nginx-disk]}" cpu_us_per_req)
c2=$(field "${R[nginx-disk-2]}" cpu_us_per_req)
c=$(python3 -c "print(($c1 + $c2) / 2)")
for s in $servers; do
  v=$(field "${R[$s]}" rps)
  # cpu_ratio: nginx from disk's CPU per request over this server's (1.00: as cheap; the rate
  # the server would reach with the CPU nginx has).
  cr=""
  ec=$(field "${R[$s]}" cpu_us_per_req)
  [ -z "$ec" ] || cr=" nginx_cpu_us_per_req=$c1/$c2 cpu_us_per_req=$ec cpu_ratio=$(python3 -c "print(f'{$c/$ec:.2f}')")"
  echo "RESULT bench=edge-ranges-ratio set=all server=$s vs=nginx-disk-mean nginx_rps=$n1/$n2 ratio=$(python3 -c "print(f'{$v/$n:.2f}')")$cr"
done
echo "RESULT bench=edge-info files=$NFILES total_bytes=$TOTAL_BYTES"
