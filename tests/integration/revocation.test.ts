// Access that ends must end everywhere at once (issue 14): WebSocket subscriptions lose a
// playlist when its membership or visibility takes the user's access away, sockets close when
// their token is revoked, and revocations made by the CLI (another process on the same
// database) reach the running server's tokens, stream tokens and sockets within a second.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../lib/ws.ts";
import { addUser, runSegue, sleep, startFixture, type Fixture, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login, postToken } from "../lib/oauth.ts";

let fx: Fixture;
let base: string;
let wsUrl: string;
let carol: User;
let dave: User;
let alice: string; // owner
let carolToken: string;
let daveToken: string;
let trackUris: string[] = [];
const clients: Client[] = [];

async function connect(token: string): Promise<Client> {
  const c = await Client.open(wsUrl, { authorization: `Bearer ${token}` });
  clients.push(c);
  return c;
}

/** Messages of `type` received within `ms` (the others are kept out of the way). */
async function collect(c: Client, ms: number): Promise<any[]> {
  await sleep(ms);
  return c.messages.splice(0);
}

async function newPlaylist(body: object): Promise<string> {
  const r = await api(base, "/v1/me/playlists", { method: "POST", token: alice, body: JSON.stringify({ name: "p", ...body }) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

async function addTrack(id: string, i: number): Promise<void> {
  const r = await api(base, `/v1/playlists/${id}/tracks`, { method: "POST", token: alice, body: JSON.stringify({ uris: [trackUris[i % trackUris.length]] }) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** Runs `fn` every 50 ms until it returns true or `ms` passes; returns the time it took. */
async function within(ms: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await fn()) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(`not within ${ms} ms`);
}

before(async () => {
  fx = await startFixture();
  base = fx.server.base;
  wsUrl = base.replace(/^http/, "ws") + "/v1/ws";
  carol = addUser(fx.data, "carol");
  dave = addUser(fx.data, "dave");
  alice = (await login(base, fx.confidential, fx.free, ALL_SCOPES)).access_token;
  carolToken = (await login(base, fx.confidential, carol, ALL_SCOPES)).access_token;
  daveToken = (await login(base, fx.confidential, dave, ALL_SCOPES)).access_token;
  const nr = await api(base, "/v1/browse/new-releases?limit=2", { token: alice });
  const tr = await api(base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=5`, { token: alice });
  trackUris = tr.body.items.map((t: any) => t.uri);
});

after(async () => {
  for (const c of clients) c.ws.terminate();
  const exit = await fx.server.stop();
  assert.equal(exit.code, 0, fx.server.stderr.slice(-3000));
});

describe("WebSocket access is re-evaluated when it changes", () => {
  it("a removed collaborator's subscription ends and gets no more updates", async () => {
    const id = await newPlaylist({ public: false, collaborative: true });
    const add = await api(base, `/v1/playlists/${id}/collaborators/${carol.id}`, { method: "PUT", token: alice });
    assert.ok(add.status < 300, JSON.stringify(add.body));
    const c = await connect(carolToken);
    const sub = await c.request({ type: "subscribe", topic: `playlist:${id}`, id: 1 });
    assert.equal(sub.type, "subscribed", JSON.stringify(sub));
    await addTrack(id, 0);
    const first = await c.next();
    assert.equal(first.type, "playlist_updated");

    const removed = await api(base, `/v1/playlists/${id}/collaborators/${carol.id}`, { method: "DELETE", token: alice });
    assert.ok(removed.status < 300, JSON.stringify(removed.body));
    await addTrack(id, 1); // right after the removal: must not reach carol
    const got = await collect(c, 600);
    assert.deepEqual(got.filter((m) => m.type === "playlist_updated"), [], "no updates after the removal");
    const ended = got.filter((m) => m.type === "subscription_ended");
    assert.equal(ended.length, 1, JSON.stringify(got));
    assert.equal(ended[0].topic, `playlist:${id}`);
    assert.equal(typeof ended[0].reason, "string");
    // The socket stays usable; subscribing again is refused.
    const again = await c.request({ type: "subscribe", topic: `playlist:${id}`, id: 2 });
    assert.equal(again.type, "error");
    assert.equal(again.status, 404);
    assert.deepEqual(await c.request({ type: "ping", id: 3 }), { type: "pong", id: 3 });
  });

  it("a follower of a playlist that goes private is unsubscribed", async () => {
    const id = await newPlaylist({ public: true });
    const c = await connect(daveToken);
    const sub = await c.request({ type: "subscribe", topic: `playlist:${id}`, id: 1 });
    assert.equal(sub.type, "subscribed", JSON.stringify(sub));
    await addTrack(id, 0);
    assert.equal((await c.next()).type, "playlist_updated");

    const hidden = await api(base, `/v1/playlists/${id}`, { method: "PUT", token: alice, body: JSON.stringify({ public: false }) });
    assert.ok(hidden.status < 300, JSON.stringify(hidden.body));
    await addTrack(id, 2);
    const got = await collect(c, 600);
    assert.deepEqual(got.filter((m) => m.type === "playlist_updated"), []);
    assert.deepEqual(got.filter((m) => m.type === "subscription_ended").map((m) => m.topic), [`playlist:${id}`]);
  });

  it("a subscriber who keeps access keeps getting updates through the change", async () => {
    const id = await newPlaylist({ public: true });
    const owner = await connect(alice);
    assert.equal((await owner.request({ type: "subscribe", topic: `playlist:${id}`, id: 1 })).type, "subscribed");
    await api(base, `/v1/playlists/${id}`, { method: "PUT", token: alice, body: JSON.stringify({ public: false }) });
    await addTrack(id, 3);
    const got = await collect(owner, 600);
    assert.equal(got.filter((m) => m.type === "playlist_updated").length, 1, JSON.stringify(got));
    assert.deepEqual(got.filter((m) => m.type === "subscription_ended"), []);
  });

  it("revoking the socket's token (logout) closes it with 1008", async () => {
    const t = await login(base, fx.confidential, dave, ALL_SCOPES);
    const c = await connect(t.access_token);
    assert.equal((await c.request({ type: "subscribe", topic: "me", id: 1 })).type, "subscribed");
    const r = await fetch(base + "/api/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: t.access_token, client_id: fx.confidential.id, client_secret: fx.confidential.secret! }).toString(),
    });
    assert.equal(r.status, 200);
    const closed = await Promise.race([c.closed, sleep(2000).then(() => null)]);
    assert.ok(closed, "the socket must close once its token is revoked");
    assert.equal(closed!.code, 1008);
    assert.match(closed!.reason, /revoked/);
  });
});

describe("revocations from the CLI reach the running server at once", () => {
  it("segue user revoke: the next request is refused within a second, sockets close, stream tokens end", async () => {
    const erin = addUser(fx.data, "erin");
    const t = await login(base, fx.confidential, erin, ALL_SCOPES);
    assert.equal((await api(base, "/v1/me", { token: t.access_token })).status, 200); // cached now
    const sock = await connect(t.access_token);
    assert.equal((await sock.request({ type: "subscribe", topic: "me", id: 1 })).type, "subscribed");
    const nr = await api(base, "/v1/browse/new-releases?limit=1", { token: t.access_token });
    const tr = await api(base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=1`, { token: t.access_token });
    const play = await api(base, "/v1/me/player/play", { method: "POST", token: t.access_token, body: JSON.stringify({ track_id: tr.body.items[0].id }) });
    assert.equal(play.status, 200, JSON.stringify(play.body));
    const streamUrl: string = play.body.stream_urls[0];
    assert.equal((await fetch(streamUrl, { headers: { range: "bytes=0-1023" } })).status, 206);

    const r = runSegue(["user", "revoke", "erin", "--data", fx.data]);
    assert.equal(r.status, 0, r.stderr);
    const t0 = Date.now();
    const took = await within(1000, async () => (await api(base, "/v1/me", { token: t.access_token })).status === 401);
    assert.ok(took <= 1000, `refused after ${took} ms`);
    const audio = await fetch(streamUrl, { headers: { range: "bytes=0-1023" } });
    assert.equal(audio.status, 403, "the stream token ends with the sessions");
    const closed = await Promise.race([sock.closed, sleep(Math.max(0, 1500 - (Date.now() - t0))).then(() => null)]);
    assert.ok(closed, "the socket must close");
    assert.equal(closed!.code, 1008);
    // The refresh token is gone too.
    const rt = await postToken(base, { grant_type: "refresh_token", refresh_token: t.refresh_token, client_id: fx.confidential.id, client_secret: fx.confidential.secret });
    assert.equal(rt.status, 400);
  });

  it("segue user passwd ends the user's stream tokens within a second", async () => {
    const frank = addUser(fx.data, "frank");
    const t = await login(base, fx.confidential, frank, ALL_SCOPES);
    const nr = await api(base, "/v1/browse/new-releases?limit=1", { token: t.access_token });
    const tr = await api(base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=1`, { token: t.access_token });
    const play = await api(base, "/v1/me/player/play", { method: "POST", token: t.access_token, body: JSON.stringify({ track_id: tr.body.items[0].id }) });
    const streamUrl: string = play.body.stream_urls[0];
    assert.equal((await fetch(streamUrl, { headers: { range: "bytes=0-99" } })).status, 206);
    // Another user's stream keeps working.
    const other = await api(base, "/v1/me/player/play", { method: "POST", token: alice, body: JSON.stringify({ track_id: tr.body.items[0].id }) });
    const r = runSegue(["user", "passwd", "frank", "--data", fx.data], "a brand new password\n");
    assert.equal(r.status, 0, r.stderr);
    await within(1000, async () => (await fetch(streamUrl, { headers: { range: "bytes=0-99" } })).status === 403);
    assert.equal((await fetch(other.body.stream_urls[0], { headers: { range: "bytes=0-99" } })).status, 206);
    // A new login with the new password streams again.
    const again = await login(base, fx.confidential, { ...frank, password: "a brand new password" }, ALL_SCOPES);
    const p2 = await api(base, "/v1/me/player/play", { method: "POST", token: again.access_token, body: JSON.stringify({ track_id: tr.body.items[0].id }) });
    assert.equal((await fetch(p2.body.stream_urls[0], { headers: { range: "bytes=0-99" } })).status, 206);
  });
});
