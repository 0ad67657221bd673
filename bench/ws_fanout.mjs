// Fan-out of /v1/ws: N WebSockets of one user subscribe to "me"; each round saves (or removes) a
// track through the API from another token of that user and times, per subscriber, the delay
// from sending the PUT/DELETE to receiving library_updated. Also the server's memory per idle,
// subscribed WebSocket (VmRSS before and after opening them, divided by N).
//
// usage: node bench/ws_fanout.mjs --base URL --pid SEGUE_PID --client ID --user NAME --password PW
//          --track ID [--n 1000] [--rounds 30]
// Prints one line: WS n=... rounds=... p50_ms=... p99_ms=... all_p50_ms=... all_p99_ms=...
//   api_p50_ms=... before_kb=... after_kb=... per_conn_bytes=...
// (p50/p99: every delivery of every round; all_*: per round, until the last subscriber had it.)
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

// The `ws` package comes from the system tests' node_modules (tests/package.json).
const here = dirname(fileURLToPath(import.meta.url));
const WebSocket = createRequire(join(here, "..", "tests", "package.json"))("ws");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = args.base;
const n = Number(args.n ?? 1000);
const rounds = Number(args.rounds ?? 30);

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function login() {
  const verifier = randomBytes(48).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = "http://127.0.0.1:8888/callback";
  const form = new URLSearchParams({
    client_id: args.client, redirect_uri: redirect, response_type: "code", state: "s",
    scope: "user-library-read user-library-modify", code_challenge: challenge, code_challenge_method: "S256",
    username: args.user, password: args.password, action: "approve",
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
  return body.access_token;
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const subToken = await login();
const apiToken = await login();
const wsUrl = base.replace(/^http/, "ws") + "/v1/ws";

// Let the server settle, then the baseline.
await sleep(500);
const beforeKb = rssKb(args.pid);

let pending = 0; // subscribers still waiting in this round
let roundStart = 0;
let roundDone = () => {};
const delays = [];
const lastDelays = [];

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${subToken}` }, perMessageDeflate: false });
    ws.once("error", reject);
    ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", topic: "me" })));
    let subscribed = false;
    ws.on("message", (data) => {
      if (!subscribed) {
        const m = JSON.parse(data.toString());
        if (m.type !== "subscribed") return reject(new Error("not subscribed: " + data));
        subscribed = true;
        return resolve(ws);
      }
      // library_updated: no parsing needed to time it.
      const d = performance.now() - roundStart;
      delays.push(d);
      if (--pending === 0) {
        lastDelays.push(d);
        roundDone();
      }
    });
  });
}

const sockets = [];
const batch = 250;
for (let i = 0; i < n; i += batch) {
  const k = Math.min(batch, n - i);
  sockets.push(...(await Promise.all(Array.from({ length: k }, open))));
}
// Idle for a moment (lazy allocations settle), then measure.
await sleep(2000);
const afterKb = rssKb(args.pid);

const apiTimes = [];
for (let r = 0; r < rounds; ++r) {
  pending = n;
  const done = new Promise((resolve) => (roundDone = resolve));
  const method = r % 2 === 0 ? "PUT" : "DELETE";
  roundStart = performance.now();
  const res = await fetch(`${base}/v1/me/tracks?ids=${args.track}`, { method, headers: { authorization: `Bearer ${apiToken}` } });
  apiTimes.push(performance.now() - roundStart);
  if (res.status !== 200) throw new Error(`${method} /v1/me/tracks: ${res.status}`);
  await res.arrayBuffer();
  const timeout = sleep(30_000).then(() => {
    throw new Error(`round ${r}: ${pending} of ${n} subscribers got nothing within 30 s`);
  });
  await Promise.race([done, timeout]);
  await sleep(100);
}

for (const s of sockets) s.terminate();
delays.sort((a, b) => a - b);
lastDelays.sort((a, b) => a - b);
apiTimes.sort((a, b) => a - b);
const f = (x) => x.toFixed(2);
console.log(
  `WS n=${n} rounds=${rounds} p50_ms=${f(pct(delays, 50))} p99_ms=${f(pct(delays, 99))} ` +
    `all_p50_ms=${f(pct(lastDelays, 50))} all_p99_ms=${f(pct(lastDelays, 99))} api_p50_ms=${f(pct(apiTimes, 50))} ` +
    `before_kb=${beforeKb} after_kb=${afterKb} per_conn_bytes=${Math.round(((afterKb - beforeKb) * 1024) / n)}`,
);
process.exit(0);
