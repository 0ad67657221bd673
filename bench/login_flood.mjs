// Password guessing against POST /authorize while a user uses the API: `--clients` guessers
// (default 16) post wrong passwords for `--user` as fast as they get answers, and one client
// times GET /v1/me one request after another, first alone (baseline), then during the flood.
//
// usage: node bench/login_flood.mjs --base URL --client ID --redirect URI --user NAME --token T
//          [--clients 16] [--seconds 10]
// Prints one line: LOGIN_FLOOD clients=... seconds=... guesses_per_s=... checked_per_s=...
//   refused_429=... busy_503=... me_p50_ms_alone=... me_p99_ms_alone=... me_p50_ms=... me_p99_ms=...
// (checked: guesses whose password was actually verified (401); refused: answered 429 by the
// backoff before any hashing; busy: 503 because the password pool was full.)
import { performance } from "node:perf_hooks";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const base = args.base;
const clients = Number(args.clients ?? 16);
const seconds = Number(args.seconds ?? 10);

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

async function timeMe(untilMs) {
  const lat = [];
  while (performance.now() < untilMs) {
    const t0 = performance.now();
    const r = await fetch(base + "/v1/me", { headers: { authorization: `Bearer ${args.token}` } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`/v1/me answered ${r.status}`);
    lat.push(performance.now() - t0);
  }
  return lat;
}

const counts = { 401: 0, 429: 0, 503: 0, other: 0 };
let stop = false;
async function guesser(k) {
  let i = 0;
  while (!stop) {
    const body = new URLSearchParams({
      client_id: args.client,
      redirect_uri: args.redirect,
      response_type: "code",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      username: args.user,
      password: `guess-${k}-${i++}`,
      action: "approve",
    });
    const r = await fetch(base + "/authorize", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
    await r.arrayBuffer();
    if (r.status in counts) counts[r.status]++;
    else counts.other++;
  }
}

const alone = await timeMe(performance.now() + seconds * 1000);
const t0 = performance.now();
const flood = Array.from({ length: clients }, (_, k) => guesser(k));
const during = await timeMe(t0 + seconds * 1000);
stop = true;
await Promise.all(flood);
const elapsed = (performance.now() - t0) / 1000;
const total = counts[401] + counts[429] + counts[503] + counts.other;
const f = (x) => x.toFixed(1);
console.log(
  `LOGIN_FLOOD clients=${clients} seconds=${seconds} guesses_per_s=${f(total / elapsed)} ` +
    `checked_per_s=${f(counts[401] / elapsed)} refused_429=${counts[429]} busy_503=${counts[503]} other=${counts.other} ` +
    `me_p50_ms_alone=${f(pct(alone, 50))} me_p99_ms_alone=${f(pct(alone, 99))} ` +
    `me_p50_ms=${f(pct(during, 50))} me_p99_ms=${f(pct(during, 99))}`,
);
