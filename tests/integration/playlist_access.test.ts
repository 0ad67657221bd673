// Playlist access that must end when its reason ends (issue 14): collaboration turned off,
// removed collaborators and old invite links, invite limits and revocation, the cover of a
// private playlist, adding a collaborator by a name that may not exist, exports that show no
// server paths, and the operation log in pages.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addUser, startFixture, type Fixture, type Server } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login, catalogTrackUris } from "../lib/oauth.ts";

let f: Fixture;
let server: Server;
let alice: string; // owner
let bob: string;
let carol: string;
let carolId: string;
const tracks: string[] = [];

const call = (token: string, method: string, p: string, body?: unknown) =>
  api(server.base, p, { token, method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? undefined : { "content-type": "application/json" } });
const create = async (body: Record<string, unknown>) => (await call(alice, "POST", "/v1/me/playlists", body)).body;
const invite = async (id: string, body?: unknown) => {
  const r = await call(alice, "POST", `/v1/playlists/${id}/invites`, body);
  assert.equal(r.status, 201, r.text);
  return r.body;
};
const accept = (token: string, who: string) => call(who, "POST", `/v1/playlist-invites/${token}`);

before(async () => {
  f = await startFixture();
  server = f.server;
  const c = addUser(f.data, "carol");
  carolId = c.id;
  alice = (await login(server.base, f.publicClient, f.free, ALL_SCOPES)).access_token;
  bob = (await login(server.base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
  carol = (await login(server.base, f.publicClient, c, ALL_SCOPES)).access_token;
  tracks.push(...(await catalogTrackUris(server.base, alice, 20)));
  assert.ok(tracks.length >= 10);
});

after(async () => {
  await server?.stop();
});

describe("collaboration ends when the owner ends it", () => {
  it("turning collaboration off (or publishing) ends a collaborator's read and write access", async () => {
    const p = await create({ name: "Ends", public: false });
    const inv = await invite(p.id, { max_uses: 5 });
    assert.equal((await accept(inv.token, bob)).status, 200);
    assert.equal((await call(bob, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]] })).status, 201);
    assert.equal((await call(alice, "PUT", `/v1/playlists/${p.id}`, { collaborative: false })).status, 200);
    assert.equal((await call(bob, "GET", `/v1/playlists/${p.id}`)).status, 404);
    assert.equal((await call(bob, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[1]] })).status, 404);
    // Back on: nobody is readmitted, the old link is dead.
    assert.equal((await call(alice, "PUT", `/v1/playlists/${p.id}`, { collaborative: true })).status, 200);
    assert.equal((await call(bob, "GET", `/v1/playlists/${p.id}`)).status, 404);
    assert.equal((await accept(inv.token, bob)).status, 404);
    assert.deepEqual((await call(alice, "GET", `/v1/playlists/${p.id}/collaborators`)).body.items, []);

    const q = await create({ name: "Published", public: false });
    assert.equal((await accept((await invite(q.id)).token, bob)).status, 200);
    assert.equal((await call(alice, "PUT", `/v1/playlists/${q.id}`, { public: true })).status, 200);
    assert.equal((await call(bob, "GET", `/v1/playlists/${q.id}`)).status, 200, "public: readable by anyone");
    assert.equal((await call(bob, "POST", `/v1/playlists/${q.id}/tracks`, { uris: [tracks[1]] })).status, 403);
  });
});

describe("invites", () => {
  it("a removed collaborator cannot rejoin with the old link; a new one readmits them", async () => {
    const p = await create({ name: "Rejoin", public: false });
    const inv = await invite(p.id, { max_uses: 3 });
    assert.equal((await accept(inv.token, bob)).status, 200);
    assert.equal((await call(alice, "DELETE", `/v1/playlists/${p.id}/collaborators/${f.premium.id}`)).status, 200);
    const again = await accept(inv.token, bob);
    assert.equal(again.status, 404);
    assert.ok(isSpotifyError(again.body, 404));
    assert.equal((await call(bob, "GET", `/v1/playlists/${p.id}`)).status, 404);
    assert.equal((await accept(inv.token, carol)).status, 200, "the link still works for others");
    assert.equal((await accept((await invite(p.id)).token, bob)).status, 200);
  });

  it("accepting never changes visibility, links are single-use by default, and the owner lists and revokes them", async () => {
    const p = await create({ name: "Open", public: true });
    const inv = await invite(p.id);
    assert.equal(inv.max_uses, 1);
    assert.equal(typeof inv.id, "string");
    assert.notEqual(inv.id, inv.token);
    // Inviting is the owner making it collaborative (and private, as in Spotify) at once.
    const now = (await call(alice, "GET", `/v1/playlists/${p.id}`)).body;
    assert.equal(now.collaborative, true);
    assert.equal(now.public, false);
    // The owner publishes it again: the link made before cannot make it private.
    assert.equal((await call(alice, "PUT", `/v1/playlists/${p.id}`, { public: true })).status, 200);
    assert.equal((await accept(inv.token, bob)).status, 404);
    const after = (await call(alice, "GET", `/v1/playlists/${p.id}`)).body;
    assert.equal(after.public, true);
    assert.equal(after.collaborative, false);

    const q = await create({ name: "Limited", public: false });
    const one = await invite(q.id);
    const two = await invite(q.id, { max_uses: 2 });
    for (const bad of [0, 101, "2", 1.5]) assert.equal((await call(alice, "POST", `/v1/playlists/${q.id}/invites`, { max_uses: bad })).status, 400);
    assert.equal((await accept(one.token, bob)).status, 200);
    assert.equal((await accept(one.token, carol)).status, 404, "used up");
    const list = await call(alice, "GET", `/v1/playlists/${q.id}/invites`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((i: any) => i.id), [two.id]);
    assert.ok(!JSON.stringify(list.body).includes(two.token), "tokens are never listed");
    assert.equal((await call(bob, "GET", `/v1/playlists/${q.id}/invites`)).status, 403, "a collaborator is not the owner");
    assert.equal((await call(bob, "DELETE", `/v1/playlists/${q.id}/invites/${two.id}`)).status, 403);
    assert.equal((await call(alice, "DELETE", `/v1/playlists/${q.id}/invites/${two.id}`)).status, 200);
    assert.equal((await call(alice, "DELETE", `/v1/playlists/${q.id}/invites/${two.id}`)).status, 404);
    assert.equal((await accept(two.token, carol)).status, 404, "revoked");
    assert.deepEqual((await call(alice, "GET", `/v1/playlists/${q.id}/invites`)).body.items, []);
  });

  it("adding a collaborator by login name looks the same whether the name exists or not", async () => {
    const p = await create({ name: "By name", public: false });
    const known = await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/carol`);
    const unknown = await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/nobody-here`);
    assert.equal(known.status, 202);
    assert.equal(unknown.status, known.status);
    assert.deepEqual(Object.keys(unknown.body).sort(), Object.keys(known.body).sort());
    assert.equal(unknown.body.invitee, "nobody-here");
    assert.equal(known.body.invitee, "carol");
    // Carol is not in until she accepts what was addressed to her; others cannot use it.
    assert.equal((await call(carol, "GET", `/v1/playlists/${p.id}`)).status, 404);
    const mine = await call(carol, "GET", "/v1/me/playlist-invites");
    assert.equal(mine.status, 200);
    assert.equal(mine.body.items.length, 1);
    assert.equal(mine.body.items[0].playlist.id, p.id);
    assert.deepEqual((await call(bob, "GET", "/v1/me/playlist-invites")).body.items, []);
    assert.equal((await accept(known.body.id, bob)).status, 404);
    assert.equal((await accept(known.body.id, carol)).status, 200);
    assert.equal((await call(carol, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[2]] })).status, 201);
    // By user id it is immediate, as before.
    assert.equal((await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/${f.premium.id}`)).status, 200);
    assert.equal((await call(bob, "GET", `/v1/playlists/${p.id}`)).status, 200);
    assert.equal((await call(bob, "PUT", `/v1/playlists/${p.id}/collaborators/carol`)).status, 403);
  });
});

describe("covers of private playlists", () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]).toString("base64");
  const imageUrl = async (token: string, id: string) => (await call(token, "GET", `/v1/playlists/${id}`)).body.images[0].url as string;

  it("are served only through the URL readers get, which stops working for a removed collaborator", async () => {
    const p = await create({ name: "Cover", public: false });
    const up = await api(server.base, `/v1/playlists/${p.id}/images`, { token: alice, method: "PUT", body: jpeg, headers: { "content-type": "image/jpeg" } });
    assert.equal(up.status, 202, up.text);
    const url = await imageUrl(alice, p.id);
    assert.match(url, /[?&]k=[0-9a-f]{32}/);
    assert.equal((await fetch(url)).status, 200);
    const bare = await fetch(`${server.base}/images/playlists/${p.id}`);
    assert.equal(bare.status, 404);
    assert.equal((await fetch(url.replace(/k=[0-9a-f]{32}/, "k=" + "0".repeat(32)))).status, 404);
    // A collaborator sees the URL; once removed, it is dead; the owner's new one works.
    await call(alice, "PUT", `/v1/playlists/${p.id}/collaborators/${carolId}`);
    const carolsUrl = await imageUrl(carol, p.id);
    assert.equal((await fetch(carolsUrl)).status, 200);
    await call(alice, "DELETE", `/v1/playlists/${p.id}/collaborators/${carolId}`);
    assert.equal((await fetch(carolsUrl)).status, 404);
    assert.equal((await fetch(await imageUrl(alice, p.id))).status, 200);
    // Public: the bare URL works.
    await call(alice, "PUT", `/v1/playlists/${p.id}`, { public: true });
    assert.equal((await fetch(`${server.base}/images/playlists/${p.id}`)).status, 200);
  });
});

describe("export", () => {
  it("shows no server paths", async () => {
    const p = await create({ name: "Paths" });
    await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: tracks.slice(0, 3) });
    for (const format of ["m3u8", "xspf", "json"]) {
      const res = await fetch(`${server.base}/v1/playlists/${p.id}/export?format=${format}`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes(f.library), `${format} names the library folder:\n${text}`);
      assert.ok(!text.includes("file://"), format);
    }
    const abs = await fetch(`${server.base}/v1/playlists/${p.id}/export?format=m3u8&paths=absolute`, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(abs.status, 400);
  });
});

describe("the operation log", () => {
  it("comes in bounded pages with a next link that together give every op", async () => {
    const p = await create({ name: "Log" });
    for (let i = 0; i < 6; i++) await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: tracks.slice(0, 10) });
    const whole: any[] = [];
    let url: string | null = `/v1/playlists/${p.id}/ops?limit=25`;
    let pages = 0;
    while (url) {
      const r = await call(alice, "GET", url.replace(server.base, ""));
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.ops.length <= 25);
      whole.push(...r.body.ops);
      url = r.body.next;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(whole.length, 60);
    assert.equal(new Set(whole.map((o) => `${o.id.lamport}:${o.id.replica}`)).size, 60);
    const first = await call(alice, "GET", `/v1/playlists/${p.id}/ops`);
    assert.equal(first.body.limit, 500, "a bounded default");
    assert.equal((await call(alice, "GET", `/v1/playlists/${p.id}/ops?limit=100000`)).status, 400);
    assert.equal((await call(alice, "GET", `/v1/playlists/${p.id}/ops?cursor=nonsense`)).status, 400);
  });

  it("keeps a bounded history: a snapshot older than it is a 410, and every op from nothing still rebuilds the list", async () => {
    const p = await create({ name: "Long history" });
    const first = (await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[0]] })).body.snapshot_id;
    for (let i = 1; i < 260; i++) {
      const r = await call(alice, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [tracks[i % tracks.length]] });
      assert.equal(r.status, 201);
    }
    const versions = (await call(alice, "GET", `/v1/playlists/${p.id}/versions`)).body.items;
    assert.ok(versions.length >= 200 && versions.length <= 250, `${versions.length} versions kept`);
    const gone = await call(alice, "GET", `/v1/playlists/${p.id}/ops?since=${first}`);
    assert.equal(gone.status, 410);
    assert.ok(isSpotifyError(gone.body, 410));
    const kept = await call(alice, "GET", `/v1/playlists/${p.id}/ops?since=${versions[versions.length - 1].snapshot_id}`);
    assert.equal(kept.status, 200);
    let inserts = 0;
    let url: string | null = `/v1/playlists/${p.id}/ops?limit=100`;
    let last = "";
    while (url) {
      const r = await call(alice, "GET", url.replace(server.base, ""));
      assert.equal(r.status, 200);
      inserts += r.body.ops.filter((o: any) => o.kind === "insert" && o.value.length > 0).length;
      last = r.body.snapshot_id;
      url = r.body.next;
    }
    assert.equal(inserts, 260);
    assert.equal(last, versions[0].snapshot_id);
    assert.equal((await call(alice, "GET", `/v1/playlists/${p.id}/tracks?limit=1`)).body.total, 260);
  });
});
