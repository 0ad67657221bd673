// Readiness of search (issue 15): while the search index is built for the first time, /healthz
// says live but not ready, /metrics shows the progress, and /v1/search and /v1/search/suggest
// answer 503 with Retry-After instead of empty pages; once built, everything answers, and neither
// a rescan nor a restart makes search answer 503 again. The test knob SEGUE_TEST_INDEX_DELAY_MS
// slows the indexer down (10 documents per pause) so that the build of the demo library lasts
// a few seconds.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REDIRECT, addClient, addUser, demoLibrary, runSegue, sleep, startServer, tempDir, type Client, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

// Long enough that the build outlasts starting the server: one process, or two nodes and a
// gateway one after the other (SEGUE_TEST_CLUSTER), each node building its own index.
const DELAY_MS = "1500";
let server: Server | undefined;
after(async () => server?.stop());

interface Health {
  status: string;
  live: boolean;
  ready: boolean;
  tracks: number;
  search: { ready: boolean; building: boolean; indexed: number; pending: number };
}

// Readiness and progress are each process's own (every node of a cluster builds its own
// index): `base` is the server's, or one node's (Server.nodeBases()).
async function health(base: string, query = ""): Promise<{ status: number; body: Health }> {
  const r = await fetch(`${base}/healthz${query}`);
  return { status: r.status, body: (await r.json()) as Health };
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name}\\s+(\\S+)`, "m").exec(text);
  assert.ok(m, `no ${name} in /metrics`);
  return Number(m[1]);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("search readiness", () => {
  let data: string;
  let extra: string;
  let token: string;
  let user: User;
  let client: Client;

  before(async () => {
    data = tempDir("segue-data-");
    user = addUser(data, "alice");
    client = addClient(data, "app", REDIRECT, true);
    extra = tempDir("segue-extra-lib-");
    server = await startServer({
      data, libraries: [demoLibrary(), extra], waitReady: false,
      env: { SEGUE_TEST_INDEX_DELAY_MS: DELAY_MS }, extraArgs: ["--rescan-interval", "1"],
    });
    token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
  });

  it("during the initial build: live but not ready, progress in /metrics, search and suggest answer 503 with Retry-After", async () => {
    const s = server!;
    for (const b of s.nodeBases()) {
      const h = await health(b);
      assert.equal(h.status, 200, "live: /healthz answers 200 for existing callers");
      assert.equal(h.body.status, "ok");
      assert.equal(h.body.live, true);
      assert.equal(h.body.ready, false, JSON.stringify(h.body));
      assert.equal(h.body.search.ready, false);
      assert.equal(h.body.search.building, true);
      assert.ok(h.body.search.pending > 0, JSON.stringify(h.body));
      assert.ok(h.body.tracks > 0);
      const r = await health(b, "?ready=1");
      assert.equal(r.status, 503, "a load balancer asking for readiness gets 503");
      assert.equal(r.body.live, true);

      assert.equal(await metric(b, "segue_search_ready"), 0);
      assert.equal(await metric(b, "segue_search_building"), 1);
      assert.ok((await metric(b, "segue_search_documents_pending")) > 0);
    }

    for (const p of ["/v1/search?q=nadia&type=artist,track", "/v1/search/suggest?q=nadia"]) {
      const res = await api(s.base, p, { token });
      assert.equal(res.status, 503, `${p}: ${res.text}`);
      assert.ok(isSpotifyError(res.body, 503), res.text);
      assert.match(res.body.error.message, /search index is being built/);
      const after = Number(res.headers.get("retry-after"));
      assert.ok(Number.isInteger(after) && after >= 1 && after <= 30, `Retry-After ${res.headers.get("retry-after")}`);
    }
    // Bad input is still bad input.
    assert.equal((await api(s.base, "/v1/search?type=track", { token })).status, 400);
    assert.equal((await api(s.base, "/v1/search?q=x&type=nope", { token })).status, 400);
  });

  it("once built: ready, ?ready=1 answers 200, progress complete, search and suggest answer", async () => {
    const s = server!;
    for (const b of s.nodeBases()) {
      // Progress is visible while it lasts: documents written go up.
      const seen = await until("documents written", async () => ((await metric(b, "segue_search_documents_indexed")) > 0 ? true : undefined));
      assert.ok(seen);
      const h = await until("ready", async () => {
        const x = await health(b);
        return x.body.ready ? x : undefined;
      });
      assert.equal(h.status, 200);
      assert.equal(h.body.search.building, false);
      assert.equal(h.body.search.pending, 0);
      assert.ok(h.body.search.indexed >= h.body.tracks, JSON.stringify(h.body));
      assert.equal((await health(b, "?ready=1")).status, 200);
      assert.equal(await metric(b, "segue_search_ready"), 1);
      assert.equal(await metric(b, "segue_search_building"), 0);
      assert.equal(await metric(b, "segue_search_documents_pending"), 0);
      assert.ok((await metric(b, "segue_search_documents")) >= h.body.tracks);
      assert.ok((await metric(b, "segue_search_index_batches")) >= 1);
      // 10 documents per pause of DELAY_MS: the build's batch took at least one pause.
      assert.ok((await metric(b, "segue_search_last_batch_seconds")) >= Number(DELAY_MS) / 1000);
    }

    const r = await api(s.base, "/v1/search?q=nadia&type=artist", { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.artists.items[0]?.name, "Nadia Oré");
    const sg = await api(s.base, "/v1/search/suggest?q=nadia", { token });
    assert.equal(sg.status, 200, sg.text);
    assert.equal(sg.body.artists[0]?.name, "Nadia Oré");
  });

  it("a rescan that adds files is indexed in the background while search keeps answering", async () => {
    const s = server!;
    // Three new tracks (and their albums and artists) appear in the second library folder.
    const dir = tempDir("segue-extra-src-");
    fs.writeFileSync(path.join(dir, "catalog.csv"), [
      "title,artist,album,genre,year",
      "Quillwort Morning,Esker Vane,Fen Light,folk,2001",
      "Quillwort Noon,Esker Vane,Fen Light,folk,2001",
      "Quillwort Night,Esker Vane,Fen Light,folk,2001",
    ].join("\n"));
    const made = runSegue(["demo-library", path.join(dir, "lib"), "--catalog", path.join(dir, "catalog.csv")]);
    assert.equal(made.status, 0, made.stderr);
    fs.cpSync(path.join(dir, "lib"), path.join(extra, "new"), { recursive: true });
    let sawPending = false;
    const found = await until("the new tracks in search", async () => {
      const h = await health(s.base);
      assert.equal(h.status, 200);
      assert.equal(h.body.ready, true, `a rescan does not make the server unready: ${JSON.stringify(h.body)}`);
      if (h.body.search.pending > 0) sawPending = true;
      const r = await api(s.base, "/v1/search?q=quillwort&type=track", { token });
      assert.equal(r.status, 200, `a rescan never makes search answer 503: ${r.text}`);
      const sg = await api(s.base, "/v1/search/suggest?q=quillw", { token });
      assert.equal(sg.status, 200, sg.text);
      return r.body.tracks.items.length === 3 ? r.body : undefined;
    });
    assert.equal(found.tracks.items.length, 3);
    assert.ok(sawPending, "the rescan's documents were seen pending (written in the background)");
  });

  it("a restart over a complete index answers search at once", async () => {
    await server!.stop();
    server = await startServer({ data, libraries: [demoLibrary(), extra], waitReady: false, minTracks: 0, env: { SEGUE_TEST_INDEX_DELAY_MS: DELAY_MS } });
    const s = server;
    token = (await login(s.base, client, user, ALL_SCOPES)).access_token;
    const r = await api(s.base, "/v1/search?q=nadia&type=artist", { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.artists.items[0]?.name, "Nadia Oré");
    for (const b of s.nodeBases()) await until("ready", async () => ((await health(b)).body.ready ? true : undefined));
  });
});
