// Playlists over HTTP: access rules, invites, stale snapshots, history and restore, bad input,
// and durability: every change acknowledged with a snapshot_id survives kill -9.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addUser, startFixture, startServer, type Fixture, type Server } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login, catalogTrackUris } from "../lib/oauth.ts";

let f: Fixture;
let server: Server;
let alice: string; // tokens
let bob: string;
let carol: string;
let carolId: string;
const tracks: string[] = []; // track URIs of the demo library

const call = (token: string, method: string, p: string, body?: unknown) =>
  api(server.base, p, { token, method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? undefined : { "content-type": "application/json" } });
async function names(token: string, id: string): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = (await call(token, "GET", `/v1/playlists/${id}/tracks?limit=100&offset=${offset}`)).body;
    out.push(...(page.items as any[]).map((i) => i.track.uri));
    if (!page.next) return out;
  }
}

async function tokensFor(s: Server): Promise<void> {
  alice = (await login(s.base, f.publicClient, f.free, ALL_SCOPES)).access_token;
  bob = (await login(s.base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
}

before(async () => {
  f = await startFixture();
  server = f.server;
  const c = addUser(f.data, "carol");
  carolId = c.id;
  await tokensFor(server);
  carol = (await login(server.base, f.publicClient, c, ALL_SCOPES)).access_token;
  tracks.push(...(await catalogTrackUris(server.base, alice, 50)));
  assert.ok(tracks.length >= 10);
});

after(async () => {
  await server?.stop();
});

describe("playlists over HTTP", () => {
  it("keeps private playlists invisible and public ones read-only to others", async () => {
    const priv = (await call(alice, "POST", "/v1/me/playlists", { name: "Secret", public: false })).body;
    const pub = (await call(alice, "POST", "/v1/me/playlists", { name: "Open", public: true })).body;
    assert.equal((await call(bob, "GET", `/v1/playlists/${priv.id}`)).status, 404);
    assert.equal((await call(bob, "POST", `/v1/playlists/${priv.id}/tracks`, { uris: [tracks[0]] })).status, 404);
    assert.equal((await call(bob, "GET", `/v1/playlists/${pub.id}`)).status, 200);
    const denied = await call(bob, "POST", `/v1/playlists/${pub.id}/tracks`, { uris: [tracks[0]] });
    assert.equal(denied.status, 403);
    assert.ok(isSpotifyError(denied.body, 403));
    const list = await call(bob, "GET", `/v1/users/${f.free.id}/playlists`);
    const ids = list.body.items.map((p: any) => p.id);
    assert.ok(ids.includes(pub.id) && !ids.includes(priv.id));
    assert.equal((await call(bob, "PUT", `/v1/playlists/${pub.id}`, { name: "Mine now" })).status, 403);
  });

  it("invites a collaborator who can then edit, and shows who added what", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Together", public: false })).body;
    const inv = await call(alice, "POST", `/v1/playlists/${p.id}/invites`);
    assert.equal(inv.status, 201);
    assert.ok(inv.body.url.endsWith(`/invite/${inv.body.token}`));
    assert.equal((await call(bob, "POST", `/v1/playlists/${p.id}/invites`)).status, 404);
    const joined = await call(bob, "POST", `/v1/playlist-invites/${inv.body.token}`);
    assert.equal(joined.status, 200);
    assert.equal(joined.body.collaborative, true);
    assert.equal((await call(bob, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[1]] })).status, 201);
    const items = (await call(alice, "GET", `/v1/playlists/${p.id}/tracks`)).body.items;
    assert.equal(items[0].added_by.id, f.premium.id);
    const collab = await call(alice, "GET", `/v1/playlists/${p.id}/collaborators`);
    assert.deepEqual(collab.body.items.map((u: any) => u.id), [f.premium.id]);
    assert.equal((await call(carol, "POST", "/v1/playlist-invites/not-a-real-token")).status, 404);
    // Invite by user: only the owner may, by id or login name; then carol edits too.
    assert.equal((await call(bob, "PUT", `/v1/playlists/${p.id}/collaborators/carol`)).status, 403);
    // By login name: an invite that only that user can accept (an unknown name looks the same).
    assert.equal((await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/nobody-here`)).status, 202);
    const named = await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/carol`);
    assert.equal(named.status, 202);
    assert.equal((await call(carol, "POST", `/v1/playlist-invites/${named.body.id}`)).status, 200);
    assert.equal((await call(carol, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[2]] })).status, 201);
    assert.equal((await call(alice, "DELETE", `/v1/playlists/${p.id}/collaborators/${carolId}`)).status, 200);
    assert.equal((await call(carol, "GET", `/v1/playlists/${p.id}`)).status, 404);
  });

  it("applies a stale request against the snapshot it names", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Stale" })).body;
    const s1 = (await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: tracks.slice(0, 3) })).body.snapshot_id;
    await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[5]], position: 0 });
    const r = await call(alice, "DELETE", `/v1/playlists/${p.id}/tracks`, { tracks: [{ uri: tracks[1], positions: [1] }], snapshot_id: s1 });
    assert.equal(r.status, 200);
    assert.deepEqual(await names(alice, p.id), [tracks[5], tracks[0], tracks[2]]);
    const wrong = await call(alice, "DELETE", `/v1/playlists/${p.id}/tracks`, { tracks: [{ uri: tracks[0], positions: [1] }], snapshot_id: s1 });
    assert.equal(wrong.status, 400, "position 1 of s1 is not tracks[0]");
    const unknown = await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]], snapshot_id: "0000" });
    assert.equal(unknown.status, 400);
  });

  it("lists versions, shows one and restores it", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "History" })).body;
    const s1 = (await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: tracks.slice(0, 3) })).body.snapshot_id;
    await call(alice, "PUT", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[7]] });
    const versions = (await call(alice, "GET", `/v1/playlists/${p.id}/versions`)).body.items;
    assert.deepEqual(versions.map((v: any) => v.version), [2, 1, 0]);
    assert.equal(versions[1].snapshot_id, s1);
    assert.equal(versions[1].summary, "added 3 tracks");
    assert.equal(versions[0].changed_by.id, f.free.id);
    const old = await call(alice, "GET", `/v1/playlists/${p.id}/versions/${s1}`);
    assert.deepEqual(old.body.items.map((i: any) => i.track.uri), tracks.slice(0, 3));
    const r = await call(alice, "POST", `/v1/playlists/${p.id}/versions/${s1}/restore`);
    assert.equal(r.status, 200);
    assert.deepEqual(await names(alice, p.id), tracks.slice(0, 3));
    const ops = await call(alice, "GET", `/v1/playlists/${p.id}/ops?since=${versions[0].snapshot_id}`);
    assert.equal(ops.body.snapshot_id, r.body.snapshot_id);
    assert.ok(ops.body.ops.length >= 4, "removes of the replacement and re-inserts");
  });

  it("refuses bad input with Spotify errors and changes nothing", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Strict" })).body;
    await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]] });
    const before = (await call(alice, "GET", `/v1/playlists/${p.id}`)).body.snapshot_id;
    for (const [method, body] of [
      ["POST", { uris: ["segue:album:0000000000000000000000"] }],
      ["POST", { uris: ["segue:track:0000000000000000000000"] }],
      ["POST", { uris: [tracks[1]], position: 7 }],
      ["POST", { uris: "nope" }],
      ["PUT", { range_start: 0, insert_before: 9 }],
      ["DELETE", { tracks: "x" }],
    ] as const) {
      const r = await call(alice, method, `/v1/playlists/${p.id}/tracks`, body);
      assert.ok(r.status === 400 || r.status === 404, `${method} ${JSON.stringify(body)} -> ${r.status}`);
      assert.ok(isSpotifyError(r.body, r.status));
    }
    assert.equal((await call(alice, "POST", "/v1/me/playlists", { name: "" })).status, 400);
    assert.equal((await call(alice, "POST", "/v1/me/playlists", { public: true })).status, 400);
    assert.equal((await call(alice, "GET", `/v1/playlists/${p.id}`)).body.snapshot_id, before);
  });

  it("two clients inserting at position 0 at once both land, in one order for everyone", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Race", public: false })).body;
    const inv = (await call(alice, "POST", `/v1/playlists/${p.id}/invites`)).body;
    await call(bob, "POST", `/v1/playlist-invites/${inv.token}`);
    const [a, b] = await Promise.all([
      call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]], position: 0 }),
      call(bob, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[1]], position: 0 }),
    ]);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const seenByAlice = await names(alice, p.id);
    assert.deepEqual([...seenByAlice].sort(), [tracks[0], tracks[1]].sort());
    assert.deepEqual(await names(bob, p.id), seenByAlice);
  });
});

describe("import and export", () => {
  it("exports M3U8, XSPF and JSON that import back to the same tracks, and reports what it cannot match", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Round trip" })).body;
    const list = [tracks[3], tracks[0], tracks[3], tracks[8]];
    await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: list });
    for (const format of ["m3u8", "xspf", "json"]) {
      const res = await fetch(`${server.base}/v1/playlists/${p.id}/export?format=${format}`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 200, format);
      assert.match(res.headers.get("content-disposition") ?? "", new RegExp(`Round_trip\\.${format}`));
      const text = await res.text();
      const imp = await fetch(`${server.base}/v1/me/playlists/import?format=${format}&name=Imported%20${format}`, {
        method: "POST", headers: { authorization: `Bearer ${bob}` }, body: text });
      assert.equal(imp.status, 201, `${format}: ${await imp.clone().text()}`);
      const body = await imp.json();
      assert.equal(body.imported, 4);
      assert.deepEqual(body.unmatched, []);
      assert.equal(body.playlist.public, false);
      assert.deepEqual(await names(bob, body.playlist.id), list, format);
    }
    const m3u = "#EXTM3U\n#EXTINF:31,Nobody - Not In This Library\n/music/nowhere.mp3\n" +
      "#EXTINF:-1,Marlow Vance - Low Tide Letters\nsomewhere/else/low-tide.ogg\n";
    const r = await fetch(`${server.base}/v1/me/playlists/import?filename=mix.m3u8`, { method: "POST", headers: { authorization: `Bearer ${bob}` }, body: m3u });
    assert.equal(r.status, 201);
    const rep = await r.json();
    assert.equal(rep.entries, 2);
    assert.equal(rep.imported, 1);
    assert.equal(rep.unmatched.length, 1);
    assert.equal(rep.unmatched[0].title, "Not In This Library");
    assert.ok(rep.unmatched[0].reason.length > 0);
    assert.equal(rep.matched_how[0].index, 1);
    const bad = await fetch(`${server.base}/v1/me/playlists/import?format=xspf`, { method: "POST", headers: { authorization: `Bearer ${bob}` },
      body: '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><playlist/>' });
    assert.equal(bad.status, 400);
    assert.ok(isSpotifyError(await bad.json(), 400));
  });
});

describe("durability", () => {
  it("keeps every acknowledged change through kill -9", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Durable" })).body;
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (token: string, k: number) => {
      let i = 0;
      while (!stop) {
        const uri = tracks[(k * 7 + i++) % tracks.length];
        try {
          const r = await call(token, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [uri] });
          if (r.status === 201) acknowledged.push(uri);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [writer(alice, 0), writer(alice, 1), writer(alice, 2), writer(alice, 3)];
    await new Promise((r) => setTimeout(r, 1500));
    await server.kill9();
    stop = true;
    await Promise.all(writers);
    assert.ok(acknowledged.length > 20, `only ${acknowledged.length} adds were acknowledged`);
    server = await startServer({ data: f.data, libraries: [f.library] });
    await tokensFor(server);
    const after = await names(alice, p.id);
    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const have = count(after);
    for (const [uri, n] of count(acknowledged)) assert.ok((have.get(uri) ?? 0) >= n, `${uri}: ${n} acknowledged, ${have.get(uri) ?? 0} after restart`);
    // Nothing beyond what was sent: at most one unacknowledged add per writer.
    assert.ok(after.length <= acknowledged.length + 4, `${after.length} items for ${acknowledged.length} acknowledged adds`);
  });
});
