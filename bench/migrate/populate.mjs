// Fills a running Segue (on SQLite) through its API for bench/migrate/run.sh: USERS users each
// with library saves, two playlists of EDITS edits each, and EVENTS playback events (in batches
// of 1,000), plus preferences and recent searches. Prints what it wrote.
// usage: node populate.mjs BASE CLIENT_ID CLIENT_SECRET USERS EVENTS EDITS   (user names u0, u1 ...,
//        passwords "pw-u0-correct horse" ...)
import crypto from "node:crypto";

const [base, clientId, clientSecret, usersArg, eventsArg, editsArg] = process.argv.slice(2);
const USERS = Number(usersArg), EVENTS = Number(eventsArg), EDITS = Number(editsArg);
const REDIRECT = "http://127.0.0.1:9/callback";
const SCOPES = "user-modify-playback-state user-read-playback-state user-library-read user-library-modify user-read-recently-played user-top-read playlist-modify-private playlist-modify-public playlist-read-private user-read-private";

async function login(name) {
  const verifier = crypto.randomBytes(32).toString("base64url");
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const form = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, scope: SCOPES,
    code_challenge: challenge, code_challenge_method: "S256", state: "s", username: name, password: `pw-${name}-correct horse`, action: "approve" });
  const a = await fetch(`${base}/authorize`, { method: "POST", body: form, redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" } });
  const code = new URL(a.headers.get("location") ?? "http://x/").searchParams.get("code");
  if (!code) throw new Error(`authorize ${name}: ${a.status} ${await a.text()}`);
  const t = await fetch(`${base}/api/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId, client_secret: clientSecret }) });
  const body = await t.json();
  if (!body.access_token) throw new Error(`token ${name}: ${JSON.stringify(body)}`);
  return body.access_token;
}
async function call(token, method, p, body) {
  const r = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
  const text = await r.text();
  return text ? JSON.parse(text) : undefined;
}

const tokens = [];
for (let i = 0; i < USERS; ++i) tokens.push(await login(`u${i}`));
const tracks = [];
for (const a of (await call(tokens[0], "GET", "/v1/browse/new-releases?limit=50")).albums.items)
  for (const t of (await call(tokens[0], "GET", `/v1/albums/${a.id}/tracks?limit=50`)).items) tracks.push(t.id);
let saves = 0, edits = 0, events = 0;
for (const [u, token] of tokens.entries()) {
  for (let i = 0; i < tracks.length; i += 10) {
    await call(token, "PUT", `/v1/me/tracks?ids=${tracks.slice(i, i + 10).join(",")}`);
    saves += Math.min(10, tracks.length - i);
  }
  await call(token, "PUT", "/v1/me/preferences", { private_session: false });
  for (const q of ["lanterns", "marlow", "nadia"]) await call(token, "POST", "/v1/me/search/recent", { query: q });
  for (let p = 0; p < 2; ++p) {
    const pl = await call(token, "POST", "/v1/me/playlists", { name: `list ${u}.${p}` });
    for (let e = 0; e < EDITS; ++e) {
      await call(token, "POST", `/v1/playlists/${pl.id}/tracks`, { uris: [`segue:track:${tracks[(e * 7) % tracks.length]}`] });
      ++edits;
    }
  }
}
const perUser = Math.ceil(EVENTS / USERS / 1000) * 1000;
// Plays a minute apart, or closer so that none is older than 25 days (the API takes 30).
const gap = Math.min(60_000, Math.floor((25 * 86_400_000) / perUser));
const start = Date.now() - perUser * gap;
for (const [u, token] of tokens.entries()) {
  for (let done = 0; done < perUser; done += 1000) {
    const batch = [];
    for (let i = 0; i < 1000; i += 2) {
      const at = start + (done + i) * gap;
      const track = tracks[(u + done + i) % tracks.length];
      batch.push({ type: "track_start", track_id: track, timestamp: at - 50_000 });
      batch.push({ type: "track_end", track_id: track, position_ms: 50_000, timestamp: at });
    }
    await call(token, "POST", "/v1/me/player/events", batch);
    events += batch.length;
  }
}
// Let the consumers catch up before the server stops.
for (const token of tokens) await call(token, "GET", "/v1/me/player/recently-played?limit=1");
console.log(`populated: ${USERS} users, ${saves} saves, ${edits} playlist edits, ${events} events`);
