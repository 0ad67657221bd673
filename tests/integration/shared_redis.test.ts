// What nodes share through Redis beyond the domain-event bus (issue 17): the per-user rate limit
// counted across nodes (two nodes together allow the limit, not twice it), and the event log on
// Redis Streams (`--event-log redis`: plays recorded through one node reach history and top items,
// consumers on the other node too). PostgreSQL runs only (SEGUE_TEST_POSTGRES); Redis from
// SEGUE_TEST_REDIS (scripts/test.sh), else a throwaway one started here with scripts/redis-test.sh.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import {
  REPO_ROOT, TEST_POSTGRES, addClient, addUser, databaseFor, demoLibrary, sleep, startServer, tempDir,
  type Client, type Server,
} from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

const REDIS_SCRIPT = path.join(REPO_ROOT, "scripts", "redis-test.sh");
const USER_LIMIT = 12;
let ownRedis: string | undefined;
let redis: string;
const servers: Server[] = [];

async function node(opts: { data?: string; database?: string; args: string[] }): Promise<Server> {
  const s = await startServer({
    data: opts.data ?? tempDir("segue-node-"),
    libraries: [demoLibrary()],
    extraArgs: ["--redis", redis, ...opts.args],
    env: opts.database ? { SEGUE_DATABASE: opts.database } : undefined,
  });
  servers.push(s);
  return s;
}

describe("state shared by nodes through Redis (PostgreSQL and Redis)", { skip: !TEST_POSTGRES && "PostgreSQL runs only (SEGUE_TEST_POSTGRES)" }, () => {
  before(() => {
    redis = process.env.SEGUE_TEST_REDIS ?? "";
    if (!redis) {
      ownRedis = tempDir("segue-redis-");
      const r = spawnSync(REDIS_SCRIPT, ["start", ownRedis], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      redis = r.stdout.trim();
    }
  });

  after(async () => {
    const exits = await Promise.all(servers.map((s) => s.stop()));
    if (ownRedis) spawnSync(REDIS_SCRIPT, ["stop", ownRedis]);
    for (const e of exits) if (e) assert.equal(e.code, 0);
  });

  it("two nodes together allow a user --rate-limit-user requests per window, then both answer 429", async () => {
    const dataA = tempDir("segue-node-a-");
    const alice = addUser(dataA, "alice");
    const bob = addUser(dataA, "bob");
    const client: Client = addClient(dataA, "app", "http://127.0.0.1:9/callback");
    const limit = ["--rate-limit-user", String(USER_LIMIT)];
    const a = await node({ data: dataA, args: limit });
    const b = await node({ database: databaseFor(dataA), args: [...limit, "--roles", "api"] });
    const ta = (await login(a.base, client, alice, ALL_SCOPES)).access_token;
    // Requests alternate between the nodes, spaced by more than the limiters' sync interval
    // (50 ms) so each node has heard of the other's count: the cluster allows the limit itself
    // (net/rate_limiter_shared.h states the bound for requests closer together).
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 2 * USER_LIMIT; ++i) {
      const n = i % 2 ? b : a;
      const r = await fetch(n.url("/v1/me"), { headers: { authorization: `Bearer ${ta}` } });
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
      await sleep(150);
    }
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= USER_LIMIT && ok <= USER_LIMIT + 1, `allowed ${ok} of ${statuses.join(",")}`);
    assert.deepEqual(statuses.slice(USER_LIMIT + 1), new Array(USER_LIMIT - 1).fill(429), statuses.join(","));
    assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
    // Both nodes refuse alice now; bob (another user) is still served by both.
    for (const n of [a, b]) assert.equal((await api(n.base, "/v1/me", { token: ta })).status, 429);
    const tb = (await login(a.base, client, bob, ALL_SCOPES)).access_token;
    for (const n of [a, b]) assert.equal((await api(n.base, "/v1/me", { token: tb })).status, 200);
  });

  it("with --event-log redis, plays sent to one node reach history and top items on both", async () => {
    const dataA = tempDir("segue-node-a-");
    const carol = addUser(dataA, "carol");
    const client = addClient(dataA, "app", "http://127.0.0.1:9/callback");
    const a = await node({ data: dataA, args: ["--event-log", "redis"] });
    const b = await node({ database: databaseFor(dataA), args: ["--event-log", "redis", "--roles", "api"] });
    const token = (await login(a.base, client, carol, ALL_SCOPES)).access_token;
    const nr = await api(a.base, "/v1/browse/new-releases?limit=2", { token });
    const tr = await api(a.base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=3`, { token });
    const [t0, t1] = tr.body.items.map((t: any) => t.id);
    const now = Date.now();
    const play = (track: string, at: number) => [
      { type: "track_start", track_id: track, timestamp: at - 45_000 },
      { type: "track_end", track_id: track, position_ms: 45_000, timestamp: at },
    ];
    const sent = await api(a.base, "/v1/me/player/events", {
      token, method: "POST", body: JSON.stringify([...play(t0, now - 30_000), ...play(t1, now - 20_000), ...play(t0, now - 10_000)]),
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.accepted, 6);
    const recent = await api(a.base, "/v1/me/player/recently-played?limit=10", { token });
    assert.equal(recent.status, 200, JSON.stringify(recent.body));
    assert.deepEqual(recent.body.items.map((i: any) => i.track.id), [t0, t1, t0]);
    const top = await api(a.base, "/v1/me/top/tracks?time_range=short_term", { token });
    assert.equal(top.status, 200);
    assert.deepEqual(top.body.items.slice(0, 2).map((x: any) => x.id), [t0, t1]);
    // Node B reads the same derived state (PostgreSQL), and its export reads the Redis stream.
    const recentB = await api(b.base, "/v1/me/player/recently-played?limit=10", { token });
    assert.deepEqual(recentB.body.items.map((i: any) => i.track.id), [t0, t1, t0]);
    const exp = await fetch(b.url("/v1/me/export"), { headers: { authorization: `Bearer ${token}` } });
    const lines = (await exp.text()).split("\n").filter((l) => l).map((l) => JSON.parse(l));
    assert.equal(lines.filter((e) => e.type === "track_end").length, 3);
    const offsets = lines.map((e) => e.offset);
    assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y));
    assert.equal(new Set(offsets).size, offsets.length);
  });
});
