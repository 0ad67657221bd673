// Collaborative playlists in real time: two clients on /v1/ws insert at position 0 at once;
// both end with the same list and snapshot_id, in the seed's order (the smaller (lamport,
// replica) first); a client that reconnects catches up from the snapshot it has.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFixture, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { Client } from "../lib/ws.ts";

let f: Fixture;
let alice: string;
let bob: string;
let wsUrl: string;
const tracks: string[] = [];

const call = (token: string, method: string, p: string, body?: unknown) =>
  api(f.server.base, p, { token, method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? undefined : { "content-type": "application/json" } });

async function connect(token: string): Promise<Client> {
  const c = await Client.open(wsUrl, { authorization: `Bearer ${token}` });
  return c;
}

/** `playlist_updated` messages until one has `snapshot_id` equal to `want` and at least
 * `inserts` insert operations have arrived. Behind a gateway, two nodes' edits reach a
 * subscriber through Redis in either order (the later snapshot may come first); the operations
 * are CRDT operations, applied in any order, so what counts is that every one arrives. */
async function until(c: Client, want: string, inserts = 0): Promise<any[]> {
  const seen: any[] = [];
  let reached = false;
  for (;;) {
    const m = await c.next(5000);
    if (m.type !== "playlist_updated") continue;
    seen.push(m);
    if (m.snapshot_id === want) reached = true;
    const got = seen.flatMap((x) => x.ops).filter((o: any) => o.kind === "insert").length;
    if (reached && got >= inserts) return seen;
  }
}

const cmpId = (a: any, b: any) => (a.lamport !== b.lamport ? a.lamport - b.lamport : BigInt(a.replica) < BigInt(b.replica) ? -1 : 1);

before(async () => {
  f = await startFixture();
  wsUrl = f.server.base.replace("http://", "ws://") + "/v1/ws";
  alice = (await login(f.server.base, f.publicClient, f.free, ALL_SCOPES)).access_token;
  bob = (await login(f.server.base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
  const nr = await call(alice, "GET", "/v1/browse/new-releases?limit=50");
  for (const a of nr.body.albums.items) for (const t of (await call(alice, "GET", `/v1/albums/${a.id}`)).body.tracks.items) tracks.push(t.uri);
});

after(async () => {
  await f?.server.stop();
});

describe("playlists over /v1/ws", () => {
  it("two clients insert at position 0 at once: both land, both converge on one list and snapshot_id", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Live", public: false })).body;
    await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[9]] });
    const inv = (await call(alice, "POST", `/v1/playlists/${p.id}/invites`)).body;
    assert.equal((await call(bob, "POST", `/v1/playlist-invites/${inv.token}`)).status, 200);
    const start = (await call(alice, "GET", `/v1/playlists/${p.id}`)).body.snapshot_id;

    const [ca, cb] = await Promise.all([connect(alice), connect(bob)]);
    for (const c of [ca, cb]) {
      const r = await c.request({ type: "subscribe", topic: `playlist:${p.id}`, since: start, id: 1 });
      assert.equal(r.type, "subscribed", JSON.stringify(r));
      assert.equal(r.snapshot_id, start);
    }
    // Both insert at 0 of the list they saw (snapshot `start`): concurrent edits, whichever
    // the server happens to take first.
    const [ra, rb] = await Promise.all([
      call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]], position: 0, snapshot_id: start }),
      call(bob, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[1]], position: 0, snapshot_id: start }),
    ]);
    assert.equal(ra.status, 201);
    assert.equal(rb.status, 201);
    const final = (await call(alice, "GET", `/v1/playlists/${p.id}`)).body;
    const seenA = await until(ca, final.snapshot_id, 2);
    const seenB = await until(cb, final.snapshot_id, 2);
    // Both heard both inserts, as operations with ids.
    for (const seen of [seenA, seenB]) {
      const inserts = seen.flatMap((m) => m.ops).filter((o: any) => o.kind === "insert");
      assert.deepEqual(inserts.map((o: any) => o.value).sort(), [tracks[0], tracks[1]].sort());
    }
    // The order follows the rule: the insert with the smaller (lamport, replica) is first.
    const inserts = seenA.flatMap((m) => m.ops).filter((o: any) => o.kind === "insert");
    inserts.sort((x: any, y: any) => cmpId(x.id, y.id));
    const uris = final.tracks.items.map((i: any) => i.track.uri);
    assert.deepEqual(uris, [inserts[0].value, inserts[1].value, tracks[9]]);
    const bobsView = (await call(bob, "GET", `/v1/playlists/${p.id}`)).body;
    assert.equal(bobsView.snapshot_id, final.snapshot_id);
    assert.deepEqual(bobsView.tracks.items.map((i: any) => i.track.uri), uris);
    await Promise.all([ca.closeAndWait(), cb.closeAndWait()]);

    // A client that was away catches up from the snapshot it has: only the ops it missed.
    const late = await connect(bob);
    const r = await late.request({ type: "subscribe", topic: `playlist:${p.id}`, since: start, id: 2 });
    assert.equal(r.snapshot_id, final.snapshot_id);
    const catchUp = await late.next();
    assert.equal(catchUp.type, "playlist_updated");
    assert.equal(catchUp.since, start);
    assert.equal(catchUp.snapshot_id, final.snapshot_id);
    assert.equal(catchUp.ops.length, 2);
    // One with a snapshot the playlist never had gets everything, marked as a reset.
    const r2 = await late.request({ type: "subscribe", topic: `playlist:${p.id}`, since: "ffff", id: 3 });
    assert.ok(r2.type === "subscribed" || r2.type === "error", JSON.stringify(r2));
    if (r2.type === "subscribed") {
      const all = await late.next();
      assert.equal(all.reset, true);
      assert.equal(all.ops.filter((o: any) => o.kind === "insert").length, 3);
    }
    await late.closeAndWait();
  });

  it("refuses to subscribe to a playlist the user may not read", async () => {
    const p = (await call(alice, "POST", "/v1/me/playlists", { name: "Mine only", public: false })).body;
    const c = await connect(bob);
    const r = await c.request({ type: "subscribe", topic: `playlist:${p.id}`, id: 1 });
    assert.equal(r.type, "error");
    assert.equal(r.status, 404);
    // A public one is fine, and edits by its owner arrive.
    const pub = (await call(alice, "POST", "/v1/me/playlists", { name: "Everyone", public: true })).body;
    const ok = await c.request({ type: "subscribe", topic: `playlist:${pub.id}`, id: 2 });
    assert.equal(ok.type, "subscribed");
    const s = (await call(alice, "POST", `/v1/playlists/${pub.id}/tracks`, { uris: [tracks[2]] })).body.snapshot_id;
    const seen = await until(c, s);
    assert.equal(seen.at(-1).ops[0].value, tracks[2]);
    await c.closeAndWait();
  });
});
