// Roles (issue 16): a node runs the background loops its `roles` name (config `roles`,
// SEGUE_ROLES, --roles; default all), so a later deployment can split them across nodes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { SEGUE_BIN, demoLibrary, runSegue, sleep, startServer, tempDir } from "../lib/server.ts";

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
    const proc = spawn(SEGUE_BIN, ["serve", "--data", data, "--library", lib, "--roles", "scanner", "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
      // Without the test runner's SEGUE_* variables (SEGUE_BIN is not a setting).
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SEGUE_"))),
    });
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

  it("an unknown role is refused with one line naming it", () => {
    const r = runSegue(["serve", "--data", tempDir("segue-roles-"), "--roles", "api,mining"], undefined, 20_000);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^segue: roles: unknown role 'mining'/);
  });
});
