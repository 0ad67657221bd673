// Real-time push over /v1/ws (docs/formats/realtime.md): authentication by header and by first
// message, the "me" topic (the user's library changed on another device), isolation between
// users, errors, limits and fan-out to many clients.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../lib/ws.ts";
import { metricSum, metricsOfEach, sleep, startFixture, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

let fx: Fixture;
let base: string;
let wsUrl: string;
let aliceA: string; // alice on one device
let aliceB: string; // alice on another device
let bob: string;
let trackIds: string[] = [];
let albumId: string;
const clients: Client[] = [];

async function connect(token?: string): Promise<Client> {
  const c = await Client.open(wsUrl, token ? { authorization: `Bearer ${token}` } : {});
  clients.push(c);
  return c;
}

before(async () => {
  fx = await startFixture();
  base = fx.server.base;
  wsUrl = base.replace(/^http/, "ws") + "/v1/ws";
  aliceA = (await login(base, fx.confidential, fx.free, ALL_SCOPES)).access_token;
  aliceB = (await login(base, fx.publicClient, fx.free, ALL_SCOPES)).access_token;
  bob = (await login(base, fx.confidential, fx.premium, ALL_SCOPES)).access_token;
  const nr = await api(base, "/v1/browse/new-releases?limit=5", { token: aliceA });
  albumId = nr.body.albums.items[0].id;
  const tr = await api(base, `/v1/albums/${albumId}/tracks?limit=5`, { token: aliceA });
  trackIds = tr.body.items.map((t: any) => t.id);
  assert.ok(trackIds.length >= 2);
});

after(async () => {
  for (const c of clients) c.ws.terminate();
  const exit = await fx.server.stop();
  assert.equal(exit.code, 0);
});

describe("/v1/ws authentication", () => {
  it("accepts a bearer token on the upgrade request", async () => {
    const c = await connect(aliceA);
    const r = await c.request({ type: "subscribe", topic: "me", id: 1 });
    assert.deepEqual(r, { type: "subscribed", topic: "me", id: 1 });
    await c.closeAndWait();
  });

  it("accepts a first auth message (browsers cannot set headers)", async () => {
    const c = await connect();
    const a = await c.request({ type: "auth", access_token: aliceA, id: "a1" });
    assert.equal(a.type, "authenticated");
    assert.equal(a.user_id, fx.free.id);
    assert.equal(a.id, "a1");
    assert.ok(a.expires_in > 0 && a.expires_in <= 3600);
    const r = await c.request({ type: "subscribe", topic: "me", id: 2 });
    assert.equal(r.type, "subscribed");
    assert.deepEqual(await c.request({ type: "ping", id: 3 }), { type: "pong", id: 3 });
    await c.closeAndWait();
  });

  it("a bad token in the auth message gets an error, then the connection closes", async () => {
    const c = await connect();
    const e = await c.request({ type: "auth", access_token: "not-a-token", id: 9 });
    assert.equal(e.type, "error");
    assert.equal(e.status, 401);
    assert.equal(e.id, 9);
    assert.match(e.message, /token/i);
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
  });

  it("a bad token in the header refuses the upgrade with Spotify's 401", async () => {
    await assert.rejects(Client.open(wsUrl, { authorization: "Bearer nope" }), (e: any) => {
      assert.equal(e.status, 401);
      assert.ok(isSpotifyError(JSON.parse(e.body), 401));
      return true;
    });
  });

  it("never takes the token from the URL", async () => {
    await assert.rejects(Client.open(`${wsUrl}?access_token=${aliceA}`), (e: any) => e.status === 400);
  });

  it("anything but auth before authenticating is an error and closes", async () => {
    const c = await connect();
    const e = await c.request({ type: "subscribe", topic: "me" });
    assert.equal(e.status, 401);
    assert.equal((await c.closed).code, 1008);
  });

  it("a connection that does not authenticate within 10 s is closed", { timeout: 20_000 }, async () => {
    const c = await connect();
    const t0 = Date.now();
    const closed = await c.closed;
    const waited = Date.now() - t0;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /timeout/i);
    assert.ok(waited >= 9_000 && waited < 15_000, `closed after ${waited} ms`);
  });

  it("refuses foreign origins, accepts its own", async () => {
    await assert.rejects(Client.open(wsUrl, { origin: "http://evil.example" }), (e: any) => e.status === 403);
    const c = await Client.open(wsUrl, { origin: base });
    await c.closeAndWait();
  });

  it("a plain GET of /v1/ws gets 426", async () => {
    const r = await api(base, "/v1/ws", { token: aliceA });
    assert.equal(r.status, 426);
  });
});

describe("the me topic", () => {
  it("a save on another device arrives as library_updated; other users see nothing", async () => {
    const mine = await connect(aliceA);
    assert.equal((await mine.request({ type: "subscribe", topic: "me" })).type, "subscribed");
    const theirs = await connect(bob);
    assert.equal((await theirs.request({ type: "subscribe", topic: "me" })).type, "subscribed");

    const ids = trackIds.slice(0, 2);
    const put = await api(base, "/v1/me/tracks", { method: "PUT", token: aliceB, body: JSON.stringify({ ids }) });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(await mine.next(), { type: "library_updated", topic: "me", kind: "tracks", ids, saved: true });

    const del = await api(base, `/v1/me/tracks?ids=${ids[0]}`, { method: "DELETE", token: aliceB });
    assert.equal(del.status, 200);
    assert.deepEqual(await mine.next(), { type: "library_updated", topic: "me", kind: "tracks", ids: [ids[0]], saved: false });

    const alb = await api(base, `/v1/me/albums?ids=${albumId}`, { method: "PUT", token: aliceB });
    assert.equal(alb.status, 200);
    assert.deepEqual(await mine.next(), { type: "library_updated", topic: "me", kind: "albums", ids: [albumId], saved: true });

    // A failed save publishes nothing.
    const bad = await api(base, "/v1/me/tracks?ids=0000000000000000000000", { method: "PUT", token: aliceB });
    assert.equal(bad.status, 404);

    await sleep(300);
    assert.deepEqual(mine.messages, []);
    assert.deepEqual(theirs.messages, [], "bob hears nothing of alice's library");

    // After unsubscribing, nothing more arrives.
    assert.deepEqual(await mine.request({ type: "unsubscribe", topic: "me", id: 5 }), { type: "unsubscribed", topic: "me", id: 5 });
    await api(base, `/v1/me/tracks?ids=${ids[1]}`, { method: "DELETE", token: aliceB });
    await sleep(300);
    assert.deepEqual(mine.messages, []);
  });

  it("unknown topics and arguments are errors that keep the connection", async () => {
    const c = await connect(aliceA);
    const e = await c.request({ type: "subscribe", topic: "weather", id: 1 });
    assert.deepEqual(e, { type: "error", status: 404, message: "Unknown topic", topic: "weather", id: 1 });
    const e2 = await c.request({ type: "subscribe", topic: `me:${fx.premium.id}` });
    assert.equal(e2.status, 404);
    const e3 = await c.request({ type: "subscribe" });
    assert.equal(e3.status, 400);
    const e4 = await c.request("not json");
    assert.equal(e4.status, 400);
    const e5 = await c.request({ type: "dance" });
    assert.equal(e5.status, 400);
    const e6 = await c.request({ type: "unsubscribe", topic: "me" });
    assert.equal(e6.status, 404);
    assert.equal((await c.request({ type: "subscribe", topic: "me" })).type, "subscribed");
    await c.closeAndWait();
  });

  it("needs user-library-read", async () => {
    const narrow = (await login(base, fx.confidential, fx.free, "user-read-private")).access_token;
    const c = await connect(narrow);
    const e = await c.request({ type: "subscribe", topic: "me" });
    assert.equal(e.status, 403);
    assert.match(e.message, /user-library-read/);
    await c.closeAndWait();
  });

  it("an oversized message closes the connection with 1009", async () => {
    const c = await connect(aliceA);
    c.send({ type: "ping", pad: "x".repeat(64 * 1024) });
    assert.equal((await c.closed).code, 1009);
  });

  it("200 concurrent clients all receive a publish", { timeout: 60_000 }, async () => {
    const many: Client[] = [];
    for (let i = 0; i < 200; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          // Half authenticate by header, half by message.
          const c = await connect((i + j) % 2 ? aliceA : undefined);
          if ((i + j) % 2 === 0) assert.equal((await c.request({ type: "auth", access_token: aliceB })).type, "authenticated");
          assert.equal((await c.request({ type: "subscribe", topic: "me" })).type, "subscribed");
          return c;
        }),
      );
      many.push(...batch);
    }
    // Summed over the processes serving them (one, or each node behind a gateway).
    const open = await metricSum(fx.server, "segue_ws_open_connections");
    assert.ok(open >= 200, `open WebSockets in /metrics: ${open}`);

    const put = await api(base, `/v1/me/tracks?ids=${trackIds[1]}`, { method: "PUT", token: aliceA });
    assert.equal(put.status, 200);
    const got = await Promise.all(many.map((c) => c.next(10_000)));
    for (const m of got) assert.deepEqual(m, { type: "library_updated", topic: "me", kind: "tracks", ids: [trackIds[1]], saved: true });
    await Promise.all(many.map((c) => c.closeAndWait()));

    for (const after of await metricsOfEach(fx.server)) assert.match(after, /^segue_ws_messages_total\{direction="out"\} \d+/m);
  });
});
