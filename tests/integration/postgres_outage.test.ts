// PostgreSQL going away under load (stopped with `pg_ctl -m immediate`, as a crash or a failover
// would): Segue answers 503 with Retry-After and says so once in its log, never crashes, and
// reconnects by itself when the server is back; nothing a client was told was saved is lost.
// Runs on PostgreSQL runs only (scripts/test.sh's second pass); the cluster is the test run's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT, TEST_POSTGRES, sleep, startFixture } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { DEMO_ALBUMS } from "../lib/demo.ts";

function cluster(cmd: "crash" | "start"): void {
  const dir = new URL(TEST_POSTGRES!).searchParams.get("host")!;
  const r = spawnSync(path.join(REPO_ROOT, "scripts", "pg-test-cluster.sh"), [cmd, dir], { encoding: "utf8" });
  assert.equal(r.status, 0, `pg-test-cluster.sh ${cmd}: ${r.stderr}`);
}

describe("PostgreSQL going away", { skip: TEST_POSTGRES ? false : "SQLite run" }, () => {
  it("gives 503 with Retry-After, no crash, reconnects by itself, and loses nothing acknowledged", async () => {
    const f = await startFixture();
    const base = f.server.base;
    try {
      const tok = (await login(base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
      // Every track of the demo library, through the API.
      const ids: string[] = [];
      for (const album of DEMO_ALBUMS) {
        const s = await api(base, `/v1/search?q=${encodeURIComponent(album.name)}&type=album&limit=1`, { token: tok });
        assert.equal(s.status, 200);
        const t = await api(base, `/v1/albums/${s.body.albums.items[0].id}/tracks?limit=50`, { token: tok });
        for (const item of t.body.items) ids.push(item.id);
      }
      assert.ok(ids.length >= 10, `${ids.length} tracks`);

      // A writer saving one track after another, and a reader, until told to stop.
      const acked = new Set<string>();
      const statuses = new Map<number, number>();
      let retryAfter: string | null = null;
      let stop = false;
      let i = 0;
      const writer = (async () => {
        while (!stop) {
          const id = ids[i++ % ids.length];
          const r = await api(base, `/v1/me/tracks?ids=${id}`, { method: "PUT", token: tok });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200) acked.add(id);
          if (r.status === 503) retryAfter = r.headers.get("retry-after");
          await sleep(5);
        }
      })();
      await sleep(500);
      const ackedBefore = acked.size;
      cluster("crash");
      await sleep(1500);
      // While it is down: 503 in Spotify's error shape, with Retry-After, and the process lives.
      const down = await api(base, `/v1/me/tracks?ids=${ids[0]}`, { method: "PUT", token: tok });
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.error.status, 503);
      assert.match(down.headers.get("retry-after") ?? "", /^\d+$/);
      assert.ok(f.server.running, "the server is still running");
      cluster("start");
      // Back by itself: the next requests succeed without a restart.
      let back = false;
      for (let k = 0; k < 100 && !back; k++) {
        const r = await api(base, `/v1/me/tracks?ids=${ids[1]}`, { method: "PUT", token: tok });
        back = r.status === 200;
        if (!back) await sleep(100);
      }
      assert.ok(back, "writes succeed again once PostgreSQL is back");
      await sleep(300);
      stop = true;
      await writer;
      assert.ok(ackedBefore > 0, "saves were acknowledged before the outage");
      assert.ok((statuses.get(503) ?? 0) > 0, `the writer saw 503s: ${JSON.stringify([...statuses])}`);
      assert.match(retryAfter ?? "", /^\d+$/);
      assert.deepEqual([...statuses.keys()].filter((s) => s !== 200 && s !== 503), [], "only 200 and 503");
      // Nothing acknowledged is lost.
      const list = [...acked];
      const contains = await api(base, `/v1/me/tracks/contains?ids=${list.join(",")}`, { token: tok });
      assert.equal(contains.status, 200);
      assert.deepEqual(contains.body, list.map(() => true));
      assert.match(f.server.stderr, /PostgreSQL is unavailable/);
      assert.match(f.server.stderr, /PostgreSQL is back/);
    } finally {
      cluster("start");
      await f.server.stop();
    }
  });
});
