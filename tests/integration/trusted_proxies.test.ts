// X-Forwarded-For and `trusted_proxies` (issue 17): a peer not in the list keeps its own
// address whatever header it sends (spoofing changes no budget); a trusted peer's header names
// the client, read from the right, so made-up entries on the left change nothing. Budgets are
// shown with the per-address /images limit (checked before the image is looked up).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, type Server } from "../lib/server.ts";

const LIMIT = 5;
let untrusting: Server;
let trusting: Server;

async function image(s: Server, xff?: string): Promise<number> {
  const r = await fetch(s.url("/images/0000000000000000000000"), { headers: xff ? { "x-forwarded-for": xff } : {} });
  await r.arrayBuffer();
  return r.status;
}

before(async () => {
  const common = ["--image-rate-limit", String(LIMIT), "--access-log", "true", "--io-threads", "1"];
  [untrusting, trusting] = await Promise.all([
    startServer({ extraArgs: [...common, "--trusted-proxies", "10.0.0.0/8,fd00::/8"] }),
    startServer({ extraArgs: [...common, "--trusted-proxies", "127.0.0.1/32"] }),
  ]);
});

after(async () => {
  for (const s of [untrusting, trusting]) assert.equal((await s.stop()).code, 0);
});

describe("trusted_proxies", () => {
  it("a peer that is not trusted cannot change its budget with X-Forwarded-For", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) statuses.push(await image(untrusting, `203.0.113.${i + 1}, 10.0.0.${i + 1}`));
    assert.deepEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(404));
    assert.deepEqual(statuses.slice(LIMIT), [429, 429, 429], "every made-up address shares the peer's budget");
    assert.equal(await image(untrusting), 429, "and so does the peer without the header");
  });

  it("a trusted peer's X-Forwarded-For names the client, read from the right", async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal(await image(trusting, "203.0.113.7"), 404, `request ${i}`);
    assert.equal(await image(trusting, "203.0.113.7"), 429, "203.0.113.7 used its budget");
    // Made-up entries left of the client change nothing: the rightmost untrusted entry counts.
    assert.equal(await image(trusting, "198.51.100.1, 203.0.113.7"), 429);
    assert.equal(await image(trusting, "198.51.100.2,203.0.113.7"), 429);
    // A trusted hop (127.0.0.1, an edge) between client and peer is skipped.
    assert.equal(await image(trusting, "203.0.113.7, 127.0.0.1"), 429);
    // Another client behind the same proxy has a budget of its own, as has the proxy itself.
    assert.equal(await image(trusting, "203.0.113.8"), 404);
    assert.equal(await image(trusting, "[2001:db8::1]:4711"), 404);
    assert.equal(await image(trusting), 404, "no header: the peer's own address");
    // A malformed entry stops the walk at the hop that sent it: the peer's own budget.
    assert.equal(await image(trusting, "203.0.113.7, not-an-address"), 404);
  });

  it("the access log shows the client's address and the proxy it came through", async () => {
    // A successful request: every one is logged (refusals and errors are sampled).
    const r = await fetch(trusting.url("/healthz"), { headers: { "x-forwarded-for": "192.0.2.99" } });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    await new Promise((r) => setTimeout(r, 1300)); // the access log is flushed once a second
    const log = trusting.stdout + trusting.stderr;
    assert.match(log, /remote=192\.0\.2\.99 peer=127\.0\.0\.1/);
    const plain = untrusting.stdout + untrusting.stderr;
    assert.doesNotMatch(plain, /remote=203\.0\.113/);
  });

  it("a bad list is refused at start with the entry named", async () => {
    await assert.rejects(startServer({ extraArgs: ["--trusted-proxies", "10.0.0.1/8"] }), /trusted_proxies: '10\.0\.0\.1\/8'/);
  });
});
