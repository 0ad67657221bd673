// Access control, generated from the server's own route table (`segue routes`, written in
// src/api/spotify/access.cc): every route is tried as the owner of its target, another user, a
// collaborator, a follower, a token without the route's scope, an app's client-credentials token
// and no token, and each gets the status the table's rule implies. A route without a case here
// fails the test; a route without a rule stops the server from starting. The table's review
// against Spotify's reference is checked against Spotify's OpenAPI document.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { addUser, runSegue, startFixture, type Fixture, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login, postToken } from "../lib/oauth.ts";
import { OPENAPI_PATH } from "../lib/openapi.ts";
import { Client as WsClient } from "../lib/ws.ts";

interface Rule {
  method: string;
  path: string;
  caller: string;
  scopes: string[];
  object: string;
  origin: string;
  spotify_scopes: string;
  note: string;
}
interface Table {
  routes: Rule[];
  topics: { kind: string; scopes: string[]; object: string; note: string }[];
}

type Who = "owner" | "other" | "collaborator" | "follower" | "noScope" | "app" | "none";
const ORDER: Who[] = ["none", "app", "noScope", "other", "follower", "collaborator", "owner"];

// The state a case runs against: ids of a playlist set up for it, and catalog ids.
interface Target {
  playlist: string; // owned by alice
  snapshot: string; // its first snapshot
  track: string; // a track id in it
  invite: string; // the id of an open invite ("priv" only)
  album: string;
  fileId: string;
}
// "priv": private and collaborative, bob a collaborator, dave followed it while it was public.
// "pub": public, dave a follower, no collaborator.
type Setup = "priv" | "pub";

interface Case {
  path: (t: Target) => string;
  body?: (t: Target) => unknown;
  rawBody?: (t: Target) => string;
  setup?: Setup;
  // Expected statuses; `ok` is the status of an allowed call (either of two where it depends
  // on background work, such as audio analysis).
  ok: number | [number, number];
  // Who is allowed besides the owner (default by rule: see expected()).
  deny?: Partial<Record<Who, number>>;
  // Run by the owner on each fresh target before the call (a route that needs more than the setup).
  prepare?: (t: Target) => Promise<void>;
}

let fx: Fixture;
let base: string;
let carol: User;
let dave: User;
const tokens = new Map<string, string>(); // "user|scopes" -> access token
let appToken: string;
let catalog: { track: string; album: string; tracks: string[]; fileId: string };

async function tokenFor(u: User, scopes: string): Promise<string> {
  const key = `${u.name}|${scopes}`;
  let t = tokens.get(key);
  if (!t) {
    t = (await login(base, fx.publicClient, u, scopes)).access_token;
    tokens.set(key, t);
  }
  return t;
}
const all = (u: User) => tokenFor(u, ALL_SCOPES);
const call = (token: string | undefined, method: string, p: string, body?: unknown, raw?: string) =>
  api(base, p, {
    token,
    method,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    headers: raw !== undefined ? { "content-type": "text/plain" } : body === undefined ? undefined : { "content-type": "application/json" },
  });

async function makeTarget(setup: Setup): Promise<Target> {
  const alice = await all(fx.free);
  const p = await call(alice, "POST", "/v1/me/playlists", { name: `target ${setup}`, public: true });
  assert.equal(p.status, 201, p.text);
  const id = p.body.id;
  let invite = "";
  const added = await call(alice, "POST", `/v1/playlists/${id}/tracks`, { uris: catalog.tracks.slice(0, 2).map((t) => `spotify:track:${t}`) });
  assert.equal(added.status, 201, added.text);
  assert.equal((await call(await all(dave), "PUT", `/v1/playlists/${id}/followers`)).status, 200);
  if (setup === "priv") {
    assert.equal((await call(alice, "PUT", `/v1/playlists/${id}`, { public: false, collaborative: true })).status, 200);
    const inv = await call(alice, "POST", `/v1/playlists/${id}/invites`, {});
    assert.equal(inv.status, 201, inv.text);
    const joined = await call(await all(fx.premium), "POST", `/v1/playlist-invites/${inv.body.token}`);
    assert.equal(joined.status, 200, joined.text);
    const open = await call(alice, "POST", `/v1/playlists/${id}/invites`, { max_uses: 3 });
    assert.equal(open.status, 201, open.text);
    invite = open.body.id;
    const cover = await call(alice, "PUT", `/v1/playlists/${id}/images`, undefined, coverJpegB64);
    assert.equal(cover.status, 202, cover.text);
  }
  return { playlist: id, snapshot: added.body.snapshot_id, track: catalog.tracks[0], invite, album: catalog.album, fileId: catalog.fileId };
}

const pl = (suffix = "") => (t: Target) => `/v1/playlists/${t.playlist}${suffix}`;
const fixed = (p: string) => () => p;
const trackUris = (t: Target) => ({ uris: [`spotify:track:${t.track}`] });

// One case per route of the table. Keys are "METHOD path" exactly as `segue routes` prints.
const CASES: Record<string, Case> = {
  // catalog and search: any token
  "GET /v1/tracks/{id}": { path: (t) => `/v1/tracks/${t.track}`, ok: 200 },
  "GET /v1/tracks": { path: (t) => `/v1/tracks?ids=${t.track}`, ok: 200 },
  "GET /v1/albums/{id}": { path: (t) => `/v1/albums/${t.album}`, ok: 200 },
  "GET /v1/albums": { path: (t) => `/v1/albums?ids=${t.album}`, ok: 200 },
  "GET /v1/albums/{id}/tracks": { path: (t) => `/v1/albums/${t.album}/tracks`, ok: 200 },
  "GET /v1/artists/{id}": { path: () => `/v1/artists/${artistId}`, ok: 200 },
  "GET /v1/artists": { path: () => `/v1/artists?ids=${artistId}`, ok: 200 },
  "GET /v1/artists/{id}/albums": { path: () => `/v1/artists/${artistId}/albums`, ok: 200 },
  "GET /v1/artists/{id}/top-tracks": { path: () => `/v1/artists/${artistId}/top-tracks`, ok: 200 },
  "GET /v1/browse/new-releases": { path: fixed("/v1/browse/new-releases"), ok: 200 },
  "GET /v1/browse/recently-added": { path: fixed("/v1/browse/recently-added"), ok: 200 },
  "GET /v1/audio-features/{id}": { path: (t) => `/v1/audio-features/${t.track}`, ok: [200, 404] },
  "GET /v1/audio-features": { path: (t) => `/v1/audio-features?ids=${t.track}`, ok: 200 },
  "GET /v1/audio-analysis/{id}": { path: (t) => `/v1/audio-analysis/${t.track}`, ok: [200, 404] },
  "GET /v1/library/duplicates": { path: fixed("/v1/library/duplicates"), ok: 200 },
  "GET /v1/search": { path: fixed("/v1/search?q=a&type=track"), ok: 200 },
  "GET /v1/search/suggest": { path: fixed("/v1/search/suggest?q=a"), ok: 200 },
  "GET /v1/me/search/recent": { path: fixed("/v1/me/search/recent"), ok: 200 },
  "POST /v1/me/search/recent": { path: fixed("/v1/me/search/recent"), body: () => ({ query: "lanterns" }), ok: 204 },
  "DELETE /v1/me/search/recent": { path: fixed("/v1/me/search/recent"), ok: 204 },
  "GET /v1/me/preferences": { path: fixed("/v1/me/preferences"), ok: 200 },
  "PUT /v1/me/preferences": { path: fixed("/v1/me/preferences"), body: () => ({ private_session: false }), ok: 200 },
  // the user's own data: every user reaches only their own, so "other" is allowed (on theirs)
  "GET /v1/me": { path: fixed("/v1/me"), ok: 200 },
  "GET /v1/me/tracks": { path: fixed("/v1/me/tracks"), ok: 200 },
  "PUT /v1/me/tracks": { path: (t) => `/v1/me/tracks?ids=${t.track}`, ok: 200 },
  "DELETE /v1/me/tracks": { path: (t) => `/v1/me/tracks?ids=${t.track}`, ok: 200 },
  "GET /v1/me/tracks/contains": { path: (t) => `/v1/me/tracks/contains?ids=${t.track}`, ok: 200 },
  "GET /v1/me/albums": { path: fixed("/v1/me/albums"), ok: 200 },
  "PUT /v1/me/albums": { path: (t) => `/v1/me/albums?ids=${t.album}`, ok: 200 },
  "DELETE /v1/me/albums": { path: (t) => `/v1/me/albums?ids=${t.album}`, ok: 200 },
  "GET /v1/me/albums/contains": { path: (t) => `/v1/me/albums/contains?ids=${t.album}`, ok: 200 },
  "POST /v1/me/player/play": { path: fixed("/v1/me/player/play"), body: (t) => ({ track_id: t.track }), ok: 200 },
  "POST /v1/me/player/events": {
    path: fixed("/v1/me/player/events"),
    body: (t) => ({ events: [{ type: "track_start", track_id: t.track, timestamp: Date.now() - 1000 }] }),
    ok: 200,
  },
  "GET /v1/me/player/recently-played": { path: fixed("/v1/me/player/recently-played"), ok: 200 },
  "DELETE /v1/me/player/recently-played": { path: fixed("/v1/me/player/recently-played"), ok: 204 },
  "GET /v1/me/top/{type}": { path: fixed("/v1/me/top/tracks"), ok: 200 },
  "GET /v1/me/export": { path: fixed("/v1/me/export"), ok: 200 },
  // recommendations (issue 18): shared catalog for any token; the user's own ranking
  "GET /v1/recommendations": { path: () => `/v1/recommendations?seed_artists=${artistId}`, ok: 200 },
  "GET /v1/recommendations/available-genre-seeds": { path: fixed("/v1/recommendations/available-genre-seeds"), ok: 200 },
  "GET /v1/artists/{id}/related-artists": { path: () => `/v1/artists/${artistId}/related-artists`, ok: 200 },
  "GET /v1/me/recommendations": { path: fixed("/v1/me/recommendations?type=track"), ok: 200 },
  "GET /v1/me/home": { path: fixed("/v1/me/home?device=Computer&utc_offset=60"), ok: 200 },
  "GET /v1/me/home/sections/{id}": { path: fixed("/v1/me/home/sections/new_releases?limit=5"), ok: 200 },
  "POST /v1/me/radio": { path: fixed("/v1/me/radio"), body: () => ({ seed: `spotify:artist:${artistId}`, limit: 3 }), ok: 200 },
  "GET /v1/playlists/{id}/recommendations": { path: pl("/recommendations?limit=3"), setup: "priv", ok: 200 },
  // smart playlists (issue 18): creating makes a playlist (the scope of its visibility); rules
  // read like items and are the owner's to change (a collaborator may edit items, not rules)
  "GET /v1/me/smart-playlists": { path: fixed("/v1/me/smart-playlists"), ok: 200 },
  "POST /v1/me/smart-playlists": {
    path: fixed("/v1/me/smart-playlists"),
    body: () => ({ name: "smart", public: false, rules: { all: [{ gt: { duration: 0 } }] } }),
    ok: 201,
  },
  "POST /v1/me/smart-playlists/import": {
    path: fixed("/v1/me/smart-playlists/import"),
    rawBody: () => JSON.stringify({ name: "nsp", all: [{ gt: { playCount: -1 } }] }),
    ok: 201,
  },
  "GET /v1/playlists/{id}/rules": { path: pl("/rules"), setup: "priv", ok: 200 },
  "PUT /v1/playlists/{id}/rules": {
    path: pl("/rules"),
    setup: "priv",
    body: () => ({ all: [{ gt: { duration: 0 } }] }),
    ok: 200,
    deny: { collaborator: 403 },
  },
  "DELETE /v1/playlists/{id}/rules": {
    path: pl("/rules"),
    setup: "priv",
    // The target becomes a smart playlist first, so the owner's delete has rules to delete.
    prepare: async (t) => {
      const r = await call(await all(fx.free), "PUT", `/v1/playlists/${t.playlist}/rules`, { all: [{ gt: { duration: 0 } }] });
      assert.equal(r.status, 200, r.text);
    },
    ok: 204,
    deny: { collaborator: 403 },
  },
  "GET /v1/me/made-for-you": { path: fixed("/v1/me/made-for-you"), ok: 200 },
  "POST /v1/me/made-for-you/refresh": { path: fixed("/v1/me/made-for-you/refresh"), ok: 200 },
  // playlists
  "GET /v1/me/playlists": { path: fixed("/v1/me/playlists"), ok: 200 },
  "POST /v1/me/playlists": { path: fixed("/v1/me/playlists"), body: () => ({ name: "new", public: false }), ok: 201 },
  "GET /v1/users/{user_id}/playlists": { path: () => `/v1/users/${fx.free.id}/playlists`, ok: 200 },
  "POST /v1/users/{user_id}/playlists": {
    path: () => `/v1/users/${fx.free.id}/playlists`,
    body: () => ({ name: "new", public: false }),
    ok: 201,
    // only alice may create under alice's id; the others' tokens are valid but refused
    deny: { other: 403, collaborator: 403, follower: 403 },
  },
  "GET /v1/playlists/{id}": { path: pl(), setup: "priv", ok: 200 },
  "PUT /v1/playlists/{id}": { path: pl(), setup: "priv", body: () => ({ name: "renamed" }), ok: 200, deny: { collaborator: 403 } },
  "GET /v1/playlists/{id}/tracks": { path: pl("/tracks"), setup: "priv", ok: 200 },
  "POST /v1/playlists/{id}/tracks": { path: pl("/tracks"), setup: "priv", body: trackUris, ok: 201 },
  "PUT /v1/playlists/{id}/tracks": { path: pl("/tracks"), setup: "priv", body: () => ({ range_start: 1, insert_before: 0 }), ok: 200 },
  "DELETE /v1/playlists/{id}/tracks": { path: pl("/tracks"), setup: "priv", body: (t) => ({ tracks: [{ uri: `spotify:track:${t.track}` }] }), ok: 200 },
  "GET /v1/playlists/{id}/items": { path: pl("/items"), setup: "priv", ok: 200 },
  "POST /v1/playlists/{id}/items": { path: pl("/items"), setup: "priv", body: trackUris, ok: 201 },
  "PUT /v1/playlists/{id}/items": { path: pl("/items"), setup: "priv", body: () => ({ range_start: 1, insert_before: 0 }), ok: 200 },
  "DELETE /v1/playlists/{id}/items": { path: pl("/items"), setup: "priv", body: (t) => ({ tracks: [{ uri: `spotify:track:${t.track}` }] }), ok: 200 },
  "PUT /v1/playlists/{id}/followers": { path: pl("/followers"), setup: "pub", ok: 200 },
  "DELETE /v1/playlists/{id}/followers": { path: pl("/followers"), setup: "pub", ok: 200 },
  "GET /v1/playlists/{id}/followers/contains": { path: pl("/followers/contains"), setup: "priv", ok: 200 },
  "GET /v1/playlists/{id}/images": { path: pl("/images"), setup: "priv", ok: 200 },
  "PUT /v1/playlists/{id}/images": { path: pl("/images"), setup: "priv", rawBody: () => coverJpegB64, ok: 202, deny: { collaborator: 403 } },
  "GET /v1/playlists/{id}/versions": { path: pl("/versions"), setup: "priv", ok: 200 },
  "GET /v1/playlists/{id}/versions/{snapshot_id}": { path: (t) => `/v1/playlists/${t.playlist}/versions/${t.snapshot}`, setup: "priv", ok: 200 },
  "POST /v1/playlists/{id}/versions/{snapshot_id}/restore": {
    path: (t) => `/v1/playlists/${t.playlist}/versions/${t.snapshot}/restore`,
    setup: "priv",
    ok: 200,
  },
  "GET /v1/playlists/{id}/ops": { path: pl("/ops"), setup: "priv", ok: 200 },
  "GET /v1/playlists/{id}/export": { path: pl("/export?format=m3u"), setup: "priv", ok: 200 },
  "POST /v1/me/playlists/import": {
    path: fixed("/v1/me/playlists/import?format=m3u&name=imported"),
    rawBody: () => "#EXTM3U\n#EXTINF:1,Nobody - Nothing\nnothing.mp3\n",
    ok: 201,
  },
  "POST /v1/playlists/{id}/invites": { path: pl("/invites"), setup: "priv", body: () => ({}), ok: 201, deny: { collaborator: 403 } },
  "GET /v1/playlists/{id}/invites": { path: pl("/invites"), setup: "priv", ok: 200, deny: { collaborator: 403 } },
  "DELETE /v1/playlists/{id}/invites/{invite_id}": {
    path: (t) => `/v1/playlists/${t.playlist}/invites/${t.invite}`,
    setup: "priv",
    ok: 200,
    deny: { collaborator: 403 },
  },
  "GET /v1/me/playlist-invites": { path: fixed("/v1/me/playlist-invites"), ok: 200 },
  "POST /v1/playlist-invites/{token}": { path: () => "", ok: 200 }, // special-cased below
  "GET /v1/playlists/{id}/collaborators": { path: pl("/collaborators"), setup: "priv", ok: 200 },
  "PUT /v1/playlists/{id}/collaborators/{user_id}": {
    path: (t) => `/v1/playlists/${t.playlist}/collaborators/${carol.id}`,
    setup: "priv",
    ok: 200,
    deny: { collaborator: 403 },
  },
  "DELETE /v1/playlists/{id}/collaborators/{user_id}": {
    path: (t) => `/v1/playlists/${t.playlist}/collaborators/${fx.premium.id}`,
    setup: "priv",
    ok: 200, // the owner removes bob; bob may leave
  },
};

// Routes without a bearer token: who may call them, checked with no credentials at all.
// `direct`: asked of the process itself, not through a gateway (a proxied caller is a remote one).
const OPEN: Record<string, { path: (t: Target) => string; method?: string; none: number | number[]; direct?: boolean }> = {
  "GET /healthz": { path: fixed("/healthz"), none: 200 },
  "GET /metrics": { path: fixed("/metrics"), none: 200, direct: true }, // a loopback caller (remote ones: exposure.test.ts)
  "GET /": { path: fixed("/"), none: 200 },
  "GET /web-config.json": { path: fixed("/web-config.json"), none: [200, 404] },
  "GET /authorize": { path: fixed("/authorize"), none: 400 },
  "POST /authorize": { path: fixed("/authorize"), none: 400 },
  "POST /api/token": { path: fixed("/api/token"), none: [400, 401] },
  "POST /api/revoke": { path: fixed("/api/revoke"), none: [400, 401] },
  "GET /audio/{file_id}": { path: (t) => `/audio/${t.fileId}`, none: [401, 403] },
  "GET /images/{id}": { path: fixed("/images/0000000000000000000000"), none: 404 },
  // a private playlist's cover without its key (the target has one: see makeTarget)
  "GET /images/playlists/{id}": { path: (t) => `/images/playlists/${t.playlist}`, none: 404 },
  // the WebSocket endpoint: a plain GET is told to upgrade; its topics are tested below
  "GET /v1/ws": { path: fixed("/v1/ws"), none: 426 },
};

// A real JPEG for cover uploads: the demo library's album art as the server serves it.
let coverJpegB64 = "";

let artistId = "";
let table: Table;

function scopesWithout(remove: string[]): string {
  return ALL_SCOPES.split(" ").filter((s) => !remove.includes(s)).join(" ");
}

// The scopes a token lacks in the "noScope" case: the route's own, or for a playlist rule the
// one its target's visibility needs.
function missingScopes(rule: Rule, setup: Setup | undefined): string[] | undefined {
  if (rule.scopes.length > 0) return rule.scopes;
  if (rule.object === "playlist_read") return setup === "pub" ? undefined : ["playlist-read-private", "playlist-read-collaborative"];
  if (rule.object === "playlist_modify") return setup === "pub" ? ["playlist-modify-public"] : ["playlist-modify-private"];
  if (rule.object === "by_body") return ["playlist-modify-private"]; // the cases create private playlists
  return undefined;
}

function expected(rule: Rule, c: Case, who: Who): number | [number, number] {
  if (who === "none") return 401;
  if (who === "app") return rule.caller === "any_token" ? c.ok : 403;
  if (who === "noScope") return 403;
  if (c.deny && who in c.deny) return c.deny[who]!;
  const playlistRule = rule.object === "playlist_read" || rule.object === "playlist_modify";
  if (playlistRule && c.setup === "priv") {
    if (who === "other" || who === "follower") return 404; // a private playlist is invisible to them
    if (who === "collaborator") return c.ok;
  }
  if (playlistRule && c.setup === "pub" && rule.object === "playlist_modify" && who !== "owner") return 403;
  return c.ok;
}

before(async () => {
  fx = await startFixture();
  base = fx.server.base;
  carol = addUser(fx.data, "carol");
  dave = addUser(fx.data, "dave");
  const r = runSegue(["routes"]);
  assert.equal(r.status, 0, r.stderr);
  table = JSON.parse(r.stdout);
  const alice = await all(fx.free);
  const nr = await call(alice, "GET", "/v1/browse/new-releases?limit=5");
  const album = nr.body.albums.items[0];
  artistId = album.artists[0].id;
  const full = await call(alice, "GET", `/v1/albums/${album.id}`);
  const tracks = full.body.tracks.items.map((t: any) => t.id);
  const play = await call(alice, "POST", "/v1/me/player/play", { track_id: tracks[0] });
  assert.equal(play.status, 200, play.text);
  catalog = { track: tracks[0], album: album.id, tracks, fileId: play.body.file_id };
  const art = await fetch(full.body.images[0].url);
  assert.equal(art.status, 200);
  coverJpegB64 = Buffer.from(await art.arrayBuffer()).toString("base64");
  appToken = (await postToken(base, { grant_type: "client_credentials" }, { id: fx.confidential.id, secret: fx.confidential.secret! })).body.access_token;
  assert.ok(appToken);
});

after(async () => {
  await fx?.server.stop();
});

describe("the route table", () => {
  it("has exactly one case here for every rule, and every rule one case", () => {
    const keys = table.routes.map((r) => `${r.method} ${r.path}`);
    assert.equal(new Set(keys).size, keys.length, "a route has two rules");
    const covered = new Set([...Object.keys(CASES), ...Object.keys(OPEN)]);
    const missing = keys.filter((k) => !covered.has(k));
    assert.deepEqual(missing, [], "routes without an access-control case in this file");
    const stale = [...covered].filter((k) => !keys.includes(k));
    assert.deepEqual(stale, [], "cases for routes the table no longer has");
    for (const r of table.routes) {
      const bearer = (r.caller === "user" || r.caller === "any_token") && r.path !== "/v1/ws";
      assert.equal(bearer, `${r.method} ${r.path}` in CASES, `${r.method} ${r.path}: bearer routes go in CASES, others in OPEN`);
      if (r.origin !== "spotify") assert.ok(r.note.length > 0, `${r.method} ${r.path}: a Segue or server route says why`);
    }
  });

  it("lists for each Spotify endpoint the scopes Spotify's reference lists", () => {
    const doc = parseYaml(fs.readFileSync(OPENAPI_PATH, "utf8"));
    // A route's reference operations: paths of the same shape, a parameter matching any segment
    // ("/me/top/{type}" is "/me/top/artists" and "/me/top/tracks" in the reference).
    const isParam = (seg: string) => seg.startsWith("{");
    const refOps = (route: string, method: string): any[] => {
      const want = route.replace(/^\/v1/, "").split("/");
      const find = (loose: boolean) => {
        const out: any[] = [];
        for (const [p, ops] of Object.entries<any>(doc.paths)) {
          const segs = p.split("/");
          if (segs.length !== want.length || !ops[method]) continue;
          const same = (s: string, i: number) => s === want[i] || (isParam(s) && isParam(want[i])) || (loose && isParam(want[i]));
          if (segs.every(same)) out.push(ops[method]);
        }
        return out;
      };
      const exact = find(false);
      return exact.length > 0 ? exact : find(true);
    };
    for (const r of table.routes.filter((x) => x.origin === "spotify")) {
      const ops = refOps(r.path, r.method.toLowerCase());
      assert.ok(ops.length > 0, `${r.method} ${r.path} is not in Spotify's reference; mark it origin segue`);
      const op = { security: ops.flatMap((o) => o.security ?? []) };
      const ref: string[] = [...new Set<string>(op.security.flatMap((s: any) => s.oauth_2_0 ?? []))];
      assert.deepEqual(
        r.spotify_scopes.split(" ").filter(Boolean).sort(),
        [...ref].sort(),
        `${r.method} ${r.path}: the table's review of Spotify's scopes is stale`,
      );
      // What we enforce is never more than the reference allows a client to have asked for.
      for (const s of r.scopes) assert.ok(ref.includes(s) || r.note.length > 0, `${r.method} ${r.path}: ${s} needs a note`);
    }
  });
});

describe("every bearer route, as every kind of caller", () => {
  it("answers each caller as its rule says and changes nothing when it refuses", async () => {
    const failures: string[] = [];
    const shared = await makeTarget("priv");
    for (const rule of table.routes) {
      const key = `${rule.method} ${rule.path}`;
      const c = CASES[key];
      if (!c) continue;
      if (key === "POST /v1/playlist-invites/{token}") continue; // its own test below
      const missing = missingScopes(rule, c.setup);
      for (const who of ORDER) {
        if (who === "noScope" && !missing) continue;
        const t = c.setup && rule.method !== "GET" ? await makeTarget(c.setup) : c.setup === "pub" ? await makeTarget("pub") : shared;
        if (c.prepare) await c.prepare(t);
        let token: string | undefined;
        switch (who) {
          case "owner": token = await all(fx.free); break;
          case "other": token = await all(carol); break;
          case "collaborator": token = await all(fx.premium); break;
          case "follower": token = await all(dave); break;
          case "noScope": token = await tokenFor(fx.free, scopesWithout(missing!)); break;
          case "app": token = appToken; break;
          case "none": token = undefined; break;
        }
        const before = c.setup ? await snapshotOf(t) : undefined;
        const res = await call(token, rule.method, c.path(t), c.body?.(t), c.rawBody?.(t));
        const wanted = expected(rule, c, who);
        const want = Array.isArray(wanted) ? (wanted.includes(res.status) ? res.status : wanted[0]) : wanted;
        const refused = res.status >= 400 && want >= 400;
        if (res.status !== want) failures.push(`${key} as ${who}: ${res.status} (want ${wanted}) ${res.text.slice(0, 160)}`);
        else if (refused && !isSpotifyError(res.body, want))
          failures.push(`${key} as ${who}: ${want} without Spotify's error object: ${res.text.slice(0, 160)}`);
        if (refused && c.setup) {
          const after = await snapshotOf(t);
          if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${key} as ${who}: refused (${want}) but changed the playlist`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it("lets only the owner create invites, and an invite only with playlist-modify-private", async () => {
    const t = await makeTarget("priv");
    const alice = await all(fx.free);
    const inv = await call(alice, "POST", `/v1/playlists/${t.playlist}/invites`, {});
    assert.equal(inv.status, 201);
    const path = `/v1/playlist-invites/${inv.body.token}`;
    assert.equal((await call(undefined, "POST", path)).status, 401);
    assert.equal((await call(appToken, "POST", path)).status, 403);
    assert.equal((await call(await tokenFor(carol, scopesWithout(["playlist-modify-private"])), "POST", path)).status, 403);
    assert.equal((await call(await all(carol), "POST", path)).status, 200);
  });
});

describe("routes without a bearer token", () => {
  it("answer an anonymous caller as their rule says", async () => {
    const t = await makeTarget("priv");
    const failures: string[] = [];
    for (const rule of table.routes) {
      const key = `${rule.method} ${rule.path}`;
      const o = OPEN[key];
      if (!o) continue;
      const res = o.direct
        ? await api(fx.server.nodeBases()[0], o.path(t), { method: rule.method })
        : await call(undefined, rule.method, o.path(t));
      const want = Array.isArray(o.none) ? o.none : [o.none];
      if (!want.includes(res.status)) failures.push(`${key}: ${res.status} (want ${want.join("|")})`);
    }
    assert.deepEqual(failures, []);
    // The 404 above is the missing key, not a missing cover: the URL the owner is given works.
    const owner = await call(await all(fx.free), "GET", `/v1/playlists/${t.playlist}/images`);
    assert.equal(owner.status, 200);
    assert.equal((await fetch(owner.body[0].url)).status, 200);
  });
});

describe("WebSocket topics", () => {
  it("has a rule for every topic kind the server knows, and applies it", async () => {
    assert.deepEqual(table.topics.map((t) => t.kind).sort(), ["me", "playlist"]);
    const t = await makeTarget("priv");
    const url = base.replace(/^http/, "ws") + "/v1/ws";
    const subscribe = async (token: string | undefined, topic: string) => {
      let c: WsClient;
      try {
        c = await WsClient.open(url, token ? { authorization: `Bearer ${token}` } : {});
      } catch (e: any) {
        return e.status as number;
      }
      const r = await c.request({ type: "subscribe", topic, id: 1 });
      c.ws.terminate();
      return r.type === "subscribed" ? 200 : (r.status as number);
    };
    const topic = `playlist:${t.playlist}`;
    assert.equal(await subscribe(await all(fx.free), topic), 200, "owner");
    assert.equal(await subscribe(await all(fx.premium), topic), 200, "collaborator");
    assert.equal(await subscribe(await all(carol), topic), 404, "other user");
    assert.equal(await subscribe(await all(dave), topic), 404, "follower of a playlist that went private");
    assert.equal(await subscribe(await tokenFor(fx.free, scopesWithout(["playlist-read-private", "playlist-read-collaborative"])), topic), 403, "no scope");
    assert.equal(await subscribe(appToken, topic), 403, "app token");
    assert.equal(await subscribe(undefined, topic), 401, "no token");
    assert.equal(await subscribe(await all(fx.free), "me"), 200, "me");
    assert.equal(await subscribe(await tokenFor(fx.free, scopesWithout(["user-library-read"])), "me"), 403, "me without user-library-read");
  });
});

// What a refused call must not change: the playlist's details, items and members as the owner
// sees them.
async function snapshotOf(t: Target): Promise<unknown> {
  const alice = await all(fx.free);
  const p = await call(alice, "GET", `/v1/playlists/${t.playlist}`);
  const collab = await call(alice, "GET", `/v1/playlists/${t.playlist}/collaborators`);
  return { status: p.status, snapshot: p.body?.snapshot_id, name: p.body?.name, public: p.body?.public, collaborative: p.body?.collaborative, members: collab.body?.items?.map((u: any) => u.id) };
}
