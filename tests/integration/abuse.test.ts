// Limits against guessing and flooding (issue 14; numbers in src/api/spotify/abuse.h): login
// backoff per account and per address, the token endpoint's backoff, failed bearer tokens,
// /audio and /images per address, and WebSocket messages per connection. Each flood is refused
// with 429 and Retry-After while normal use passes. The tests share one address (127.0.0.1), so
// the order matters: each flood comes after the normal use it must not disturb.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { Client } from "../lib/ws.ts";
import { addUser, startFixture, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, login, postAuthorize, postToken } from "../lib/oauth.ts";

let fx: Fixture;
let base: string;
let token: string;
let streamUrl: string;
let imageUrl: string;

function fakeAccessToken(): string {
  return "segue_at_" + crypto.randomBytes(32).toString("base64url");
}

/** `n` requests, `concurrency` at a time; the statuses (and one 429's Retry-After). */
async function flood(n: number, concurrency: number, make: (i: number) => Promise<Response>) {
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await make(i);
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status === 429 && retryAfter === null) retryAfter = r.headers.get("retry-after");
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, retryAfter, count: (s: number) => statuses.filter((x) => x === s).length };
}

before(async () => {
  fx = await startFixture();
  base = fx.server.base;
  token = (await login(base, fx.confidential, fx.premium, ALL_SCOPES)).access_token;
  const nr = await api(base, "/v1/browse/new-releases?limit=1", { token });
  const album = nr.body.albums.items[0];
  imageUrl = album.images?.[0]?.url;
  const tr = await api(base, `/v1/albums/${album.id}/tracks?limit=1`, { token });
  const play = await api(base, "/v1/me/player/play", { method: "POST", token, body: JSON.stringify({ track_id: tr.body.items[0].id }) });
  assert.equal(play.status, 200, JSON.stringify(play.body));
  streamUrl = play.body.stream_urls[0];
});

after(async () => {
  const exit = await fx.server.stop();
  assert.equal(exit.code, 0);
});

describe("login backoff", () => {
  it("an account past 5 failures waits, with 429 and Retry-After, even for the right password; others log in", async () => {
    const victim = addUser(fx.data, "victim");
    for (let i = 0; i < 6; i++) {
      const r = await postAuthorize(base, { client: fx.confidential, user: victim, password: `guess number ${i}` });
      assert.equal(r.status, 401, `guess ${i}`);
    }
    const blocked = await fetch(base + "/authorize", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: fx.confidential.id, redirect_uri: fx.confidential.redirectUri, response_type: "code", username: victim.name, password: victim.password, action: "approve" }).toString(),
    });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
    assert.match(await blocked.text(), /Too many failed attempts/);
    // Another account from the same address is not affected.
    const ok = await postAuthorize(base, { client: fx.confidential, user: fx.free });
    assert.equal(ok.status, 302);
    // After the wait, the right password works and clears the account's count.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await postAuthorize(base, { client: fx.confidential, user: victim });
    assert.equal(later.status, 302);
  });

  it("the token endpoint backs off a client id after failed secrets, in the OAuth error shape", async () => {
    let last;
    for (let i = 0; i < 7; i++)
      last = await postToken(base, { grant_type: "client_credentials" }, { id: fx.confidential.id, secret: "wrong" + i });
    assert.equal(last!.status, 429);
    assert.equal(last!.body.error, "temporarily_unavailable");
    assert.match(last!.body.error_description, /retry after/);
    assert.ok(Number(last!.headers.get("retry-after")) >= 1);
  });
});

describe("per-address limits", () => {
  it("failed bearer tokens: 429 with Retry-After after 60 a minute; a good token still works", async () => {
    const r = await flood(200, 8, () => fetch(base + "/v1/me", { headers: { authorization: `Bearer ${fakeAccessToken()}` } }));
    // A rolling window: at least the limit passes, the rest is refused.
    assert.ok(r.count(401) >= 60 && r.count(401) <= 120, `${r.count(401)} 401s`);
    assert.equal(r.count(401) + r.count(429), 200);
    assert.ok(Number(r.retryAfter) >= 1);
    assert.equal((await api(base, "/v1/me", { token })).status, 200);
  });

  it("a player reading 10-30 KB ranges is never throttled; a flood of /audio is", async () => {
    const head = await fetch(streamUrl, { headers: { range: "bytes=0-0" } });
    const size = Number(head.headers.get("content-range")!.split("/")[1]);
    // A player: 400 ranges of 10-30 KB in order, as fast as it can.
    let pos = 0;
    for (let i = 0; i < 400; i++) {
      const len = 10_000 + ((i * 7919) % 20_000);
      if (pos >= size) pos = 0;
      const r = await fetch(streamUrl, { headers: { range: `bytes=${pos}-${Math.min(size, pos + len) - 1}` } });
      await r.arrayBuffer();
      assert.equal(r.status, 206, `range ${i}`);
      pos += len;
    }
    const f = await flood(3000, 32, () => fetch(streamUrl, { headers: { range: "bytes=0-99" } }));
    assert.ok(f.count(429) > 0, "the flood is refused");
    assert.ok(Number(f.retryAfter) >= 1);
  });

  it("a flood of /images is refused with 429", async () => {
    assert.ok(imageUrl, "the demo album has a cover");
    const f = await flood(1100, 32, () => fetch(imageUrl));
    assert.ok(f.count(200) + f.count(304) >= 900, JSON.stringify([f.count(200), f.count(429)]));
    assert.ok(f.count(429) > 0);
    assert.ok(Number(f.retryAfter) >= 1);
  });
});

describe("WebSocket messages per connection", () => {
  it("a burst of normal use passes; a flood closes the socket with 1008 after an error 429", async () => {
    const wsUrl = base.replace(/^http/, "ws") + "/v1/ws";
    const c = await Client.open(wsUrl, { authorization: `Bearer ${token}` });
    for (let i = 0; i < 60; i++) c.send({ type: "ping", id: i });
    for (let i = 0; i < 60; i++) assert.deepEqual(await c.next(), { type: "pong", id: i });
    const f = await Client.open(wsUrl, { authorization: `Bearer ${token}` });
    for (let i = 0; i < 1000; i++) f.send({ type: "ping", id: i });
    const closed = await f.closed;
    assert.equal(closed.code, 1008);
    const errors = f.messages.filter((m) => m.type === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].status, 429);
    assert.ok(f.messages.filter((m) => m.type === "pong").length <= 100);
    await c.closeAndWait();
  });
});

describe("login backoff per address", () => {
  it("an address past 20 failures waits whatever name it tries", async () => {
    for (let i = 0; i < 25; i++) {
      const r = await postAuthorize(base, { client: fx.confidential, user: { name: `nobody${i}`, password: "x".repeat(10), id: "" } });
      if (r.status === 429) {
        assert.ok(i >= 14, `refused after only ${i} failures`); // 6 failures came from the first test
        assert.match(r.body, /Too many failed attempts/);
        const other = await postAuthorize(base, { client: fx.confidential, user: fx.premium });
        assert.equal(other.status, 429, "the address waits, whatever account");
        return;
      }
      assert.equal(r.status, 401);
    }
    assert.fail("never refused");
  });
});
