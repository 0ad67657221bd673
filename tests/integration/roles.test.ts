// Roles (issue 16): a node runs the background loops its `roles` name (config `roles`,
// SEGUE_ROLES, --roles; default all), so a later deployment can split them across nodes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { SEGUE_BIN, addClient, addUser, cleanEnv, demoLibrary, runSegue, sleep, startServer, tempDir } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

async function healthz(base: string): Promise<{ tracks: number; ready?: boolean }> {
  return (await (await fetch(base + "/healthz")).json()) as { tracks: number; ready?: boolean };
}

describe("roles", () => {
  it("without the scanner role no scan happens; with it (SEGUE_ROLES) the library is scanned", async () => {
    const data = tempDir("segue-roles-");
    const lib = demoLibrary();
    const api = await startServer({ data, libraries: [lib], extraArgs: ["--roles", "api,indexer,events"], minTracks: 0 });
    try {
      await sleep(1500); // a scan of the demo library takes well under this
      assert.equal((await healthz(api.base)).tracks, 0);
      const metrics = await (await fetch(api.url("/metrics"))).text();
      assert.match(metrics, /^segue_catalog_tracks 0$/m);
      assert.doesNotMatch(metrics, /^segue_scans_total/m, "no scan loop on a node without the scanner role");
      assert.match(api.stderr, /roles started.*api,events,indexer/);
    } finally {
      assert.equal((await api.stop()).code, 0);
    }
    const scanning = await startServer({ data, libraries: [lib], env: { SEGUE_ROLES: "api,scanner,indexer" } });
    try {
      assert.ok((await healthz(scanning.base)).tracks > 0);
      const metrics = await (await fetch(scanning.url("/metrics"))).text();
      assert.match(metrics, /^segue_scans_total [1-9]/m);
    } finally {
      assert.equal((await scanning.stop()).code, 0);
    }
  });

  it("a node without the api role serves nothing, runs its loops and stops on SIGTERM", async () => {
    const data = tempDir("segue-roles-");
    const lib = demoLibrary();
    const args = ["serve", "--data", data, "--library", lib, "--roles", "scanner", "--listen", "127.0.0.1:0"];
    // Without the test runner's SEGUE_* variables (SEGUE_BIN is not a setting); on a PostgreSQL
    // run, the database of this data directory.
    const proc = spawn(SEGUE_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv(args) });
    let stdout = "";
    let stderr = "";
    proc.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    proc.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    let done = false;
    const exited = new Promise<number | null>((resolve) =>
      proc.on("exit", (code) => {
        done = true;
        resolve(code);
      }),
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!/scan finished/.test(stderr) && !done && Date.now() < deadline) await sleep(50);
      assert.match(stderr, /scan finished/, `the scanner ran; stderr:\n${stderr}`);
      assert.match(stdout, /running without the API/);
      assert.doesNotMatch(stdout, /Segue is serving/);
    } finally {
      proc.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
    // What it scanned is there for an API node on the same data (which does not scan itself).
    const api = await startServer({ data, libraries: [lib], extraArgs: ["--roles", "api,indexer"] });
    try {
      assert.ok((await healthz(api.base)).tracks > 0);
    } finally {
      await api.stop();
    }
  });

  it("without the events role no consumer runs in the background; a node with it catches up", async () => {
    const data = tempDir("segue-roles-");
    const lib = demoLibrary();
    const alice = addUser(data, "alice");
    const client = addClient(data, "app", "http://127.0.0.1:9/callback", true);
    const lag = async (base: string, consumer: string) => {
      const m = new RegExp(`^segue_events_${consumer}_lag (\\S+)$`, "m").exec(await (await fetch(base + "/metrics")).text());
      assert.ok(m, `segue_events_${consumer}_lag is exported`);
      return Number(m[1]);
    };
    const noEvents = await startServer({ data, libraries: [lib], extraArgs: ["--roles", "api,scanner,indexer"] });
    let track = "";
    try {
      const token = (await login(noEvents.base, client, alice, ALL_SCOPES)).access_token;
      const albums = await api(noEvents.base, "/v1/browse/new-releases?limit=1", { token });
      const tracks = await api(noEvents.base, `/v1/albums/${albums.body.albums.items[0].id}/tracks?limit=1`, { token });
      track = tracks.body.items[0].id;
      const t = Date.now() - 60_000;
      const sent = await api(noEvents.base, "/v1/me/player/events", {
        token,
        method: "POST",
        body: JSON.stringify([
          { type: "track_start", track_id: track, timestamp: t - 45_000 },
          { type: "track_end", track_id: track, position_ms: 45_000, timestamp: t },
        ]),
      });
      assert.equal(sent.status, 200, sent.text);
      await sleep(1000); // consumer threads apply within milliseconds
      assert.equal(await lag(noEvents.base, "popularity"), 2, "the events stay in the log, unapplied");
      assert.equal(await lag(noEvents.base, "history"), 2);
      // A read that needs its consumer brings it up to date on the request's worker (as the
      // CLI does), so what the user just did is still there.
      const recent = await api(noEvents.base, "/v1/me/player/recently-played", { token });
      assert.deepEqual(recent.body.items.map((i: any) => i.track.id), [track]);
      assert.equal(await lag(noEvents.base, "popularity"), 2, "nothing applies the others");
    } finally {
      assert.equal((await noEvents.stop()).code, 0);
    }
    const all = await startServer({ data, libraries: [lib] });
    try {
      const deadline = Date.now() + 20_000;
      while ((await lag(all.base, "popularity")) > 0 && Date.now() < deadline) await sleep(100);
      assert.equal(await lag(all.base, "popularity"), 0, "the events role's consumers caught up from the log");
    } finally {
      await all.stop();
    }
  });

  it("an unknown role is refused with one line naming it", () => {
    const r = runSegue(["serve", "--data", tempDir("segue-roles-"), "--roles", "api,mining"], undefined, 20_000);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^segue: roles: unknown role 'mining'/);
  });
});
