// The soak's load and sampler (bench/soak.sh starts the server and calls this).
//
// Load, `--concurrency` loops (default 6) each picking at random: a stream (play request, then
// 1-3 Range requests of the audio), a search (/v1/search or /v1/search/suggest on a word from
// the catalog), a playlist edit (add, or remove when the playlist is long), an event batch,
// a library save or removal. Plus `--sockets` WebSockets (default 20) subscribed to the user's
// "me" topic and the playlist's topic, a quarter of them closed and reopened every minute.
//
// Every `--sample-seconds` (default 60) it appends one CSV row: minute, the server's RSS (MB),
// open file descriptors, requests, errors (network errors, 5xx, and 4xx the load never
// expects), latency p50/p95/p99 (ms) of the interval's requests, WebSocket messages received,
// and the scans the server finished. `--minutes N` (default 60) is the length.
//
// usage: node bench/soak_driver.mjs --base URL --pid PID --client ID --user NAME --password PW
//          --csv OUT.csv [--minutes 60] [--concurrency 6] [--sockets 20] [--sample-seconds 60]
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = dirname(fileURLToPath(import.meta.url));
const WebSocket = createRequire(join(here, "..", "tests", "package.json"))("ws");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = args.base;
const pid = Number(args.pid);
const minutes = Number(args.minutes ?? 60);
const concurrency = Number(args.concurrency ?? 6);
const nSockets = Number(args.sockets ?? 20);
const sampleMs = Number(args["sample-seconds"] ?? 60) * 1000;
const csv = args.csv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

async function login() {
  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = "http://127.0.0.1:8888/callback";
  const scope = "user-library-read user-library-modify playlist-read-private playlist-modify-public " +
    "playlist-modify-private user-modify-playback-state user-read-recently-played user-read-private streaming";
  const form = new URLSearchParams({
    client_id: args.client, redirect_uri: redirect, response_type: "code", state: "s", scope,
    code_challenge: challenge, code_challenge_method: "S256", username: args.user, password: args.password, action: "approve",
  });
  const a = await fetch(base + "/authorize", { method: "POST", body: form, redirect: "manual" });
  const code = new URL(a.headers.get("location")).searchParams.get("code");
  if (!code) throw new Error("authorize gave no code: " + a.status);
  const t = await fetch(base + "/api/token", {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirect, client_id: args.client, code_verifier: verifier }),
  });
  const body = await t.json();
  if (!body.access_token) throw new Error("no token: " + JSON.stringify(body));
  return body;
}

let tokens = await login();
let token = tokens.access_token;
const auth = () => ({ authorization: `Bearer ${token}` });

// Interval counters.
let latencies = [];
let requests = 0;
let errors = 0;
let wsMessages = 0;
const errorKinds = new Map();
function error(kind) {
  errors++;
  errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
}

// One timed request; `ok` lists the statuses the load expects.
async function req(path, init = {}, ok = [200]) {
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(base + path, { ...init, headers: { ...auth(), ...(init.headers ?? {}) } });
    const body = Buffer.from(await res.arrayBuffer());
    latencies.push(performance.now() - t0);
    requests++;
    if (!ok.includes(res.status)) error(`${init.method ?? "GET"} ${path.replace(/[?].*/, "").replace(/[0-9A-Za-z]{22}/g, "{id}")} ${res.status}`);
    return { status: res.status, body, headers: res.headers };
  } catch (e) {
    requests++;
    error(`network ${e.cause?.code ?? e.message}`);
    return { status: 0, body: Buffer.alloc(0), headers: new Headers() };
  }
}
const json = (r) => (r.body.length ? JSON.parse(r.body.toString()) : null);

// The catalog: track ids and words to search for.
const tracks = [];
const words = new Set();
{
  const albums = json(await req("/v1/browse/new-releases?limit=50"));
  for (const a of albums.albums.items) {
    for (const w of a.name.split(/\s+/)) if (w.length > 2) words.add(w.toLowerCase());
    const t = json(await req(`/v1/albums/${a.id}/tracks?limit=50`));
    for (const x of t.items) {
      tracks.push(x.id);
      for (const w of x.name.split(/\s+/)) if (w.length > 2) words.add(w.toLowerCase());
    }
  }
}
const wordList = [...words];
const playlist = json(await req("/v1/me/playlists", { method: "POST", body: JSON.stringify({ name: "soak", public: false }), headers: { "content-type": "application/json" } }, [201]));
let playlistLength = 0;

const ops = {
  async stream() {
    const play = await req("/v1/me/player/play", { method: "POST", body: JSON.stringify({ track_id: pick(tracks) }), headers: { "content-type": "application/json" } });
    if (play.status !== 200) return;
    const p = json(play);
    if (p.ready === false) return;
    const url = new URL(p.url ?? `${base}/audio/${p.file_id}?token=${p.token}`);
    const size = Number(p.size) || 1;
    for (let i = 0, n = 1 + Math.floor(Math.random() * 3); i < n; i++) {
      const start = Math.floor(Math.random() * size);
      const end = Math.min(size - 1, start + Math.floor(Math.random() * 256 * 1024));
      await req(url.pathname + url.search, { headers: { range: `bytes=${start}-${end}` } }, [206]);
    }
  },
  async search() {
    const w = pick(wordList);
    if (Math.random() < 0.5) await req(`/v1/search?q=${encodeURIComponent(w)}&type=track,album,artist&limit=10`);
    else await req(`/v1/search/suggest?q=${encodeURIComponent(w.slice(0, 1 + Math.floor(Math.random() * w.length)))}`);
  },
  async edit() {
    if (playlistLength > 100) {
      const r = await req(`/v1/playlists/${playlist.id}/tracks`, { method: "PUT", body: JSON.stringify({ uris: [] }), headers: { "content-type": "application/json" } }, [200, 201]);
      if (r.status === 200 || r.status === 201) playlistLength = 0;
      return;
    }
    const r = await req(`/v1/playlists/${playlist.id}/tracks`, { method: "POST", body: JSON.stringify({ uris: [`spotify:track:${pick(tracks)}`] }), headers: { "content-type": "application/json" } }, [201]);
    if (r.status === 201) playlistLength++;
  },
  async events() {
    const batch = [];
    for (let i = 0; i < 5; i++) {
      const id = pick(tracks);
      const now = Date.now();
      batch.push({ type: "track_start", track_id: id, timestamp: now - 40_000 }, { type: "track_end", track_id: id, position_ms: 40_000, timestamp: now });
    }
    await req("/v1/me/player/events", { method: "POST", body: JSON.stringify(batch), headers: { "content-type": "application/json" } });
  },
  async library() {
    const method = Math.random() < 0.6 ? "PUT" : "DELETE";
    await req(`/v1/me/tracks?ids=${pick(tracks)},${pick(tracks)}`, { method });
  },
};
const weights = [["stream", 3], ["search", 4], ["edit", 2], ["events", 2], ["library", 1]];
const total = weights.reduce((s, [, w]) => s + w, 0);
function chooseOp() {
  let r = Math.random() * total;
  for (const [name, w] of weights) if ((r -= w) < 0) return ops[name];
  return ops.search;
}

// WebSockets: subscribed to "me" and the playlist.
const wsUrl = base.replace(/^http/, "ws") + "/v1/ws";
const sockets = new Set();
function openSocket() {
  const ws = new WebSocket(wsUrl, { headers: auth(), perMessageDeflate: false });
  ws.on("open", () => {
    ws.send(JSON.stringify({ type: "subscribe", topic: "me" }));
    ws.send(JSON.stringify({ type: "subscribe", topic: `playlist:${playlist.id}` }));
  });
  ws.on("message", () => wsMessages++);
  ws.on("error", (e) => error(`websocket ${e.code ?? e.message}`));
  ws.on("close", (code) => {
    sockets.delete(ws);
    if (!ws.closedByUs) error(`websocket closed ${code}`);
  });
  sockets.add(ws);
}
for (let i = 0; i < nSockets; i++) openSocket();

function serverSample() {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  return { rssMb, fds };
}
async function scans() {
  try {
    const m = await (await fetch(base + "/metrics")).text();
    return Number(/^segue_scans_total(?:\{\})? (\S+)/m.exec(m)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

writeFileSync(csv, "minute,rss_mb,fds,requests,errors,p50_ms,p95_ms,p99_ms,ws_messages,ws_open,scans\n");
const start = performance.now();
const end = start + minutes * 60_000;
{
  const s0 = serverSample();
  appendFileSync(csv, `0,${s0.rssMb.toFixed(1)},${s0.fds},0,0,,,,0,${sockets.size},${await scans()}\n`);
}
let stopping = false;
const loops = Array.from({ length: concurrency }, async () => {
  while (!stopping) await chooseOp()();
});
// Refresh the access token well before it expires (1 hour).
const refresher = setInterval(async () => {
  const r = await fetch(base + "/api/token", {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: args.client }),
  });
  const b = await r.json();
  if (b.access_token) {
    tokens = { ...tokens, ...b };
    token = b.access_token;
  } else error("refresh");
}, 30 * 60_000);

let sampleNo = 0;
const allErrors = new Map();
while (performance.now() < end) {
  await sleep(Math.min(sampleMs, end - performance.now()));
  sampleNo++;
  const lat = latencies.sort((a, b) => a - b);
  const s = serverSample();
  const line = [
    ((performance.now() - start) / 60_000).toFixed(2), s.rssMb.toFixed(1), s.fds, requests, errors,
    pct(lat, 50).toFixed(2), pct(lat, 95).toFixed(2), pct(lat, 99).toFixed(2), wsMessages, sockets.size, await scans(),
  ].join(",");
  appendFileSync(csv, line + "\n");
  console.error(`soak sample ${sampleNo}: ${line}${errorKinds.size ? " errors: " + JSON.stringify(Object.fromEntries(errorKinds)) : ""}`);
  for (const [k, v] of errorKinds) allErrors.set(k, (allErrors.get(k) ?? 0) + v);
  latencies = [];
  requests = 0;
  errors = 0;
  wsMessages = 0;
  errorKinds.clear();
  // Churn a quarter of the sockets.
  for (const ws of [...sockets].slice(0, Math.floor(nSockets / 4))) {
    ws.closedByUs = true;
    sockets.delete(ws);
    ws.close(1000);
  }
  while (sockets.size < nSockets) openSocket();
}
stopping = true;
clearInterval(refresher);
await Promise.all(loops);
for (const ws of sockets) {
  ws.closedByUs = true;
  ws.terminate();
}
console.log(`SOAK errors_by_kind=${JSON.stringify(Object.fromEntries(allErrors))}`);
process.exit(0);
