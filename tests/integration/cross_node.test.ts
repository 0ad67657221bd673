// Domain events across nodes (issue 17): two `segue serve` nodes on one PostgreSQL database and
// one Redis (setting `redis`). A WebSocket subscriber on node B hears an edit made through node
// A's API; a library save on A reaches the user's `me` topic on B; B's search index follows a
// playlist created on A; a revocation on A (CLI or API) closes the user's socket on B.
// PostgreSQL runs only (SEGUE_TEST_POSTGRES); Redis from SEGUE_TEST_REDIS (scripts/test.sh),
// else a throwaway one started here with scripts/redis-test.sh.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { Client as WsClient } from "../lib/ws.ts";
import {
  REPO_ROOT, TEST_POSTGRES, addClient, addUser, databaseFor, demoLibrary, runSegue, sleep, startServer, tempDir,
  type Client, type Server, type User,
} from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

const REDIS_SCRIPT = path.join(REPO_ROOT, "scripts", "redis-test.sh");
let ownRedis: string | undefined; // the directory of a Redis started here
let a: Server;
let b: Server;
let alice: User;
let client: Client;
let token: string;
let trackUris: string[] = [];
const sockets: WsClient[] = [];

async function connect(node: Server, t: string): Promise<WsClient> {
  const c = await WsClient.open(node.base.replace(/^http/, "ws") + "/v1/ws", { authorization: `Bearer ${t}` });
  sockets.push(c);
  return c;
}

/** The next message of `type` (others are dropped), or throws after `ms`. */
async function nextOfType(c: WsClient, type: string, ms = 5000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await c.next(Math.max(1, deadline - Date.now()));
    if (m.type === type) return m;
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

describe("domain events across nodes (PostgreSQL and Redis)", { skip: !TEST_POSTGRES && "PostgreSQL runs only (SEGUE_TEST_POSTGRES)" }, () => {
  before(async () => {
    let redis = process.env.SEGUE_TEST_REDIS;
    if (!redis) {
      ownRedis = tempDir("segue-redis-");
      const r = spawnSync(REDIS_SCRIPT, ["start", ownRedis], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      redis = r.stdout.trim();
    }
    const lib = demoLibrary();
    const dataA = tempDir("segue-node-a-");
    alice = addUser(dataA, "alice");
    client = addClient(dataA, "app", "http://127.0.0.1:9/callback");
    a = await startServer({ data: dataA, libraries: [lib], extraArgs: ["--redis", redis] });
    // Node B: its own data directory (search index, caches), node A's database, no scanner.
    b = await startServer({
      data: tempDir("segue-node-b-"),
      libraries: [lib],
      extraArgs: ["--redis", redis, "--roles", "api,indexer"],
      env: { SEGUE_DATABASE: databaseFor(dataA) },
    });
    for (const n of [a, b]) assert.match(n.stderr, /redis bus: receiving other nodes' events/);
    token = (await login(a.base, client, alice, ALL_SCOPES)).access_token;
    const nr = await api(a.base, "/v1/browse/new-releases?limit=2", { token });
    const tr = await api(a.base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=5`, { token });
    trackUris = tr.body.items.map((t: any) => t.uri);
    assert.ok(trackUris.length >= 2);
  });

  after(async () => {
    for (const c of sockets) c.ws.terminate();
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    if (ownRedis) spawnSync(REDIS_SCRIPT, ["stop", ownRedis]);
    for (const e of exits) if (e) assert.equal(e.code, 0);
  });

  it("an edit through node A reaches a playlist subscriber on node B (delay measured)", async () => {
    const p = await api(a.base, "/v1/me/playlists", { method: "POST", token, body: JSON.stringify({ name: "Across", public: false }) });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const onA = await connect(a, token);
    const onB = await connect(b, token);
    for (const c of [onA, onB]) assert.equal((await c.request({ type: "subscribe", topic: `playlist:${p.body.id}`, id: 1 })).type, "subscribed");
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 0; i < 30; ++i) {
      const t0 = performance.now();
      const gotA = nextOfType(onA, "playlist_updated").then((m) => ({ m, at: performance.now() }));
      const gotB = nextOfType(onB, "playlist_updated").then((m) => ({ m, at: performance.now() }));
      const r = await api(a.base, `/v1/playlists/${p.body.id}/tracks`, { method: "POST", token, body: JSON.stringify({ uris: [trackUris[i % trackUris.length]] }) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const [ma, mb] = await Promise.all([gotA, gotB]);
      assert.equal(ma.m.snapshot_id, r.body.snapshot_id);
      assert.deepEqual(mb.m, ma.m, "node B sends what node A sends");
      local.push(ma.at - t0);
      remote.push(mb.at - t0);
    }
    const fmt = (xs: number[]) => `median ${percentile(xs, 50).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`cross-node playlist_updated, ${remote.length} edits from the POST on node A: on node A ${fmt(local)}; on node B ${fmt(remote)}`);
    assert.ok(percentile(remote, 90) < 200, `p90 ${percentile(remote, 90)} ms`);
    // Nothing was sent twice.
    await sleep(200);
    assert.deepEqual(onB.messages.filter((m) => m.type === "playlist_updated"), []);
  });

  it("node B reads and edits a playlist node A changed after B had read it", async () => {
    const p = await api(a.base, "/v1/me/playlists", { method: "POST", token, body: JSON.stringify({ name: "Both", public: false }) });
    const items = async (node: Server) => {
      const r = await api(node.base, `/v1/playlists/${p.body.id}/tracks`, { token });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items.map((x: any) => x.track.uri);
    };
    const add = async (node: Server, uri: string) => {
      const r = await api(node.base, `/v1/playlists/${p.body.id}/tracks`, { method: "POST", token, body: JSON.stringify({ uris: [uri] }) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    };
    assert.deepEqual(await items(b), []); // node B holds the playlist in memory now
    await add(a, trackUris[0]);
    assert.deepEqual(await items(b), [trackUris[0]]);
    await add(b, trackUris[1]);
    await add(a, trackUris[0]);
    assert.deepEqual(await items(a), [trackUris[0], trackUris[1], trackUris[0]]);
    assert.deepEqual(await items(b), [trackUris[0], trackUris[1], trackUris[0]]);
  });

  it("a library save on node A arrives as library_updated on node B", async () => {
    const onB = await connect(b, token);
    assert.equal((await onB.request({ type: "subscribe", topic: "me", id: 1 })).type, "subscribed");
    const ids = [trackUris[0].split(":").pop()!];
    const put = await api(a.base, "/v1/me/tracks", { method: "PUT", token, body: JSON.stringify({ ids }) });
    assert.ok(put.status < 300, JSON.stringify(put.body));
    assert.deepEqual(await nextOfType(onB, "library_updated"), { type: "library_updated", topic: "me", kind: "tracks", ids, saved: true });
  });

  it("node B's search index follows a playlist created on node A", async () => {
    const p = await api(a.base, "/v1/me/playlists", {
      method: "POST", token, body: JSON.stringify({ name: "Crossing", description: "zanzibar quokka harmonies", public: true }),
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const deadline = Date.now() + 5000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      const r = await api(b.base, "/v1/search?q=quokka&type=playlist", { token });
      ids = (r.body.playlists?.items ?? []).map((x: any) => x.id);
      if (ids.includes(p.body.id)) break;
      await sleep(50);
    }
    assert.deepEqual(ids, [p.body.id]);
  });

  it("revocations on node A close the user's socket on node B (CLI and API)", async () => {
    const closesOnB = async (user: User, revoke: (t: { access_token: string }) => Promise<void>) => {
      const t = await login(a.base, client, user, ALL_SCOPES);
      const sock = await connect(b, t.access_token);
      assert.equal((await sock.request({ type: "subscribe", topic: "me", id: 1 })).type, "subscribed");
      const t0 = performance.now();
      await revoke(t);
      const closed = await Promise.race([sock.closed, sleep(1500).then(() => null)]);
      assert.ok(closed, "the socket on node B must close within 1.5 s");
      assert.equal(closed!.code, 1008);
      return performance.now() - t0;
    };
    const erin = addUser(a.data, "erin");
    const cli = await closesOnB(erin, async () => {
      const r = runSegue(["user", "revoke", "erin", "--data", a.data]);
      assert.equal(r.status, 0, r.stderr);
    });
    const frank = addUser(a.data, "frank");
    const viaApi = await closesOnB(frank, async (t) => {
      const r = await fetch(a.base + "/api/revoke", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: t.access_token, client_id: client.id, client_secret: client.secret! }).toString(),
      });
      assert.equal(r.status, 200);
    });
    console.log(`revocation to a closed socket on node B: segue user revoke ${cli.toFixed(0)} ms (incl. the CLI process), POST /api/revoke on node A ${viaApi.toFixed(0)} ms`);
  });
});
