// Caching edges as the multi-CDN (issue 17): `segue serve` with two real nginx edges rendered by
// deploy/render (slice + proxy_cache + the edge-token check). Play answers list the healthy
// edges first and the origin last; an edge serves the origin's bytes, caches them by file and
// slice (the second fetch is a HIT that never reaches the origin), refuses a tampered, expired,
// malformed or other file's token with 403 by itself, and an edge that stops drops out of play
// answers within seconds and comes back when it is up again.
// All of it twice: with the token checked by Segue's nginx module (deploy/nginx/module, built
// here by scripts/build-edge-module.sh into the build dir, cached) and by the njs fallback
// (deploy/nginx/edge_token.js); both must give the same answers, refusals included.
// Needs Debian's nginx, nginx-dev and the njs module (scripts/setup.sh installs them); a variant
// whose part is missing is skipped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { REPO_ROOT, SEGUE_BIN, addClient, addUser, demoLibrary, sleep, startServer, tempDir, type Server } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

const NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so";
const RENDER = path.join(REPO_ROOT, "deploy", "render");

type Check = "c" | "njs";
// The C module, built into the build dir SEGUE_BIN belongs to (build/src/app/segue).
const BUILD_DIR = path.resolve(path.dirname(SEGUE_BIN), "..", "..");
let cModule = "";

function missing(check: Check): string | false {
  const v = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  if (v.error || v.status !== 0) return "nginx is not installed (scripts/setup.sh installs it)";
  if (check === "njs" && !fs.existsSync(NJS_MODULE)) {
    return `the njs module ${NJS_MODULE} is missing (libnginx-mod-http-js; scripts/setup.sh installs it)`;
  }
  if (check === "c") {
    if (!fs.existsSync("/usr/share/nginx/src/conf_flags")) return "nginx-dev is not installed (scripts/setup.sh installs it)";
    const b = spawnSync(path.join(REPO_ROOT, "scripts", "build-edge-module.sh"), [BUILD_DIR], { encoding: "utf8" });
    assert.equal(b.status, 0, `scripts/build-edge-module.sh failed: ${b.stderr}`);
    cModule = b.stdout.trim();
    assert.ok(fs.existsSync(cModule), cModule);
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

class Edge {
  proc: ChildProcess | undefined;
  stderr = "";
  constructor(readonly name: string, readonly port: number, readonly dir: string) {}
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  render(origin: string, keyFile: string, check: Check): void {
    const r = spawnSync(RENDER, ["edge", "--listen", `127.0.0.1:${this.port}`, "--origin", origin, "--edge-key-file", keyFile,
      "--dir", this.dir, "--name", this.name, "--workers", "1", "--token-check", check, ...(check === "c" ? ["--module", cModule] : [])],
      { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "", "deploy/render prints nothing on success");
    assert.equal(r.stderr, "");
  }
  async start(): Promise<void> {
    this.stderr = "";
    this.proc = spawn("nginx", ["-c", path.join(this.dir, "nginx.conf"), "-p", this.dir, "-g", "daemon off;"],
      { stdio: ["ignore", "ignore", "pipe"] });
    this.proc.stderr!.setEncoding("utf8");
    this.proc.stderr!.on("data", (c: string) => (this.stderr += c));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) break;
      try {
        if ((await fetch(this.base + "/edge-health")).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    throw new Error(`edge ${this.name} did not come up: ${this.stderr}\n${fs.readFileSync(path.join(this.dir, "error.log"), "utf8")}`);
  }
  /** Stops nginx (SIGTERM: the master takes its workers down) and waits for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }
}

for (const check of ["c", "njs"] as const) {
  const skip = missing(check);
  if (skip) console.log(`# edges.test.ts (token check ${check}) skipped: ${skip}`);
  let server: Server;
  let token: string;
  let keyFile: string;
  let edgeKey: string;
  const edges: Edge[] = [];
  const tracks: string[] = [];

  async function play(trackId: string): Promise<any> {
    const r = await api(server.base, "/v1/me/player/play", { method: "POST", token, body: JSON.stringify({ track_id: trackId }) });
    assert.equal(r.status, 200, r.text);
    return r.body;
  }

  /** Polls play answers until `pred` holds for the listed edge names, or fails after `ms`. */
  async function waitForEdges(pred: (names: string[]) => boolean, ms: number): Promise<{ body: any; elapsed: number }> {
    const start = Date.now();
    let names: string[] = [];
    while (Date.now() - start < ms) {
      const body = await play(tracks[0]);
      names = body.edges.map((e: any) => e.name);
      if (pred(names)) return { body, elapsed: Date.now() - start };
      await sleep(100);
    }
    throw new Error(`play answers still list edges [${names.join(", ")}] after ${ms} ms`);
  }

  /** Requests /audio the origin has answered so far (any status). */
  async function originAudioRequests(): Promise<number> {
    const text = await (await fetch(server.url("/metrics"))).text();
    let n = 0;
    for (const m of text.matchAll(/^segue_http_requests_total\{route="\/audio\/\{file_id\}"[^}]*\} (\d+)$/gm)) n += Number(m[1]);
    return n;
  }

  async function get(url: string, range?: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
    const r = await fetch(url, { headers: range ? { range } : {} });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()), headers: r.headers };
  }

  function edgeTokenOf(url: string): string {
    return new URL(url).searchParams.get("token")!;
  }

  function signEdgeToken(payload: string): string {
    const mac = crypto.createHmac("sha256", edgeKey).update(payload).digest("base64url");
    return Buffer.from(payload).toString("base64url") + "." + mac;
  }

  describe(`caching edges (nginx) as the multi-CDN, token checked by ${check === "c" ? "Segue's nginx module" : "njs"}`, { skip }, () => {
    before(async () => {
      const dir = tempDir("segue-edges-");
      keyFile = path.join(dir, "edge.key");  // created by segue (0600), then read by deploy/render
      for (const name of ["e1", "e2"]) edges.push(new Edge(name, await freePort(), path.join(dir, name)));
      const data = path.join(dir, "data");
      const user = addUser(data, "alice");
      const client = addClient(data, "app", "http://127.0.0.1:9/callback");
      server = await startServer({
        data,
        libraries: [demoLibrary()],
        extraArgs: ["--edges", `e1=${edges[0].base}@eu,e2=${edges[1].base}@us*2`, "--edge-key-file", keyFile],
      });
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      edgeKey = fs.readFileSync(keyFile, "utf8").trim();
      assert.match(edgeKey, /^[0-9a-f]{64}$/);
      for (const e of edges) {
        e.render(server.base, keyFile, check);
        await e.start();
      }
      token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
      const nr = await api(server.base, "/v1/browse/new-releases?limit=50", { token });
      for (const a of nr.body.albums.items) {
        const tr = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token });
        for (const t of tr.body.items) {
          // Tracks whose chosen file can be streamed now (an encoding still being made is origin-only).
          const p = await api(server.base, "/v1/me/player/play", { method: "POST", token, body: JSON.stringify({ track_id: t.id }) });
          if (p.status === 200 && p.body.ready && !tracks.some((x) => x === t.id)) tracks.push(t.id);
        }
      }
      assert.ok(tracks.length >= 3, `only ${tracks.length} tracks are ready to stream`);
    });

    after(async () => {
      for (const e of edges) await e.stop();
      if (server) assert.equal((await server.stop()).code, 0);
    });

    it("play answers list the healthy edges first, ranked, and the origin last", async () => {
      const { body } = await waitForEdges((n) => n.length === 2, 10_000);
      assert.equal(body.stream_urls.length, 3);
      assert.deepEqual(body.edges.map((e: any) => [e.name, e.region, e.url]),
        body.stream_urls.slice(0, 2).map((u: string, i: number) => [body.edges[i].name, body.edges[i].name === "e1" ? "eu" : "us", u]));
      for (const [i, u] of body.stream_urls.slice(0, 2).entries()) {
        const url = new URL(u);
        const edge = edges.find((e) => e.name === body.edges[i].name)!;
        assert.equal(url.origin, edge.base);
        assert.equal(url.pathname, `/audio/${body.file_id}`);
        assert.notEqual(url.searchParams.get("token"), body.token, "edges get an edge token, not the stream token");
      }
      const origin = new URL(body.stream_urls[2]);
      assert.equal(origin.origin, server.base);
      assert.equal(origin.searchParams.get("token"), body.token);
      const metrics = await (await fetch(server.url("/metrics"))).text();
      assert.match(metrics, /^segue_edge_healthy\{edge="e1"\} 1$/m);
      assert.match(metrics, /^segue_edge_healthy\{edge="e2"\} 1$/m);
      assert.match(metrics, /^segue_edge_latency_seconds\{edge="e2"\} [0-9.e-]+$/m);
    });

    it("an edge serves the origin's bytes, and a second fetch of the slice is a HIT that does not reach the origin", async () => {
      const body = await play(tracks[1]);
      const edgeUrl = body.stream_urls[0];
      const originUrl = body.stream_urls[body.stream_urls.length - 1];
      const whole = await get(originUrl);
      assert.equal(whole.status, 200);
      assert.equal(whole.body.length, body.size);

      const before = await originAudioRequests();
      const first = await get(edgeUrl, "bytes=16384-32767");
      assert.equal(first.status, 206);
      assert.equal(first.headers.get("x-cache-status"), "MISS");
      assert.equal(first.headers.get("content-range"), `bytes 16384-32767/${body.size}`);
      assert.deepEqual(first.body, whole.body.subarray(16384, 32768));
      const afterMiss = await originAudioRequests();
      assert.ok(afterMiss > before, "the miss went to the origin");

      // Another range of the same 1 MB slice, and the same one again: both from the cache.
      const second = await get(edgeUrl, "bytes=0-16383");
      assert.equal(second.status, 206);
      assert.equal(second.headers.get("x-cache-status"), "HIT");
      assert.deepEqual(second.body, whole.body.subarray(0, 16384));
      const again = await get(edgeUrl, "bytes=16384-32767");
      assert.equal(again.headers.get("x-cache-status"), "HIT");
      assert.deepEqual(again.body, first.body);
      // A later play's token (a different token for the same file) hits the same cache entry.
      const later = await play(tracks[1]);
      const other = await get(later.stream_urls.find((u: string) => u.startsWith(new URL(edgeUrl).origin))!, "bytes=100-199");
      assert.equal(other.headers.get("x-cache-status"), "HIT");
      assert.deepEqual(other.body, whole.body.subarray(100, 200));
      // The whole file through the edge is byte-identical too.
      const full = await get(edgeUrl);
      assert.equal(full.status, 200);
      assert.deepEqual(full.body, whole.body);
      assert.equal(await originAudioRequests(), afterMiss, "no request after the first miss reached the origin");
    });

    it("the origin accepts an edge token (what an edge forwards on a miss)", async () => {
      const body = await play(tracks[2]);
      const edgeToken = edgeTokenOf(body.stream_urls[0]);
      const r = await get(server.url(`/audio/${body.file_id}?token=${encodeURIComponent(edgeToken)}`), "bytes=0-99");
      assert.equal(r.status, 206);
      assert.equal(r.body.length, 100);
    });

    it("an edge refuses a tampered, expired, malformed or other file's token with 403 and the reason, without asking the origin", async () => {
      const a = await play(tracks[0]);
      const b = await play(tracks[2]);
      assert.notEqual(a.file_id, b.file_id);
      const edge = new URL(a.stream_urls[0]).origin;
      const good = edgeTokenOf(a.stream_urls[0]);
      const [payloadB64, mac] = good.split(".");
      const payload = Buffer.from(payloadB64, "base64url").toString();
      const [, file, user] = payload.split(".");
      const past = Math.floor(Date.now() / 1000) - 10;
      const future = past + 3600;
      const lastChar = mac.slice(-1);
      // The same last 6-bit group with a spare bit set: decodes to the same 32 bytes.
      const spareBit = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(lastChar) + 1];
      // [what, the query string after "?" (raw; null: none), the reason]
      const cases: Array<[string, string | null, string]> = [
        ["a flipped signature", `token=${payloadB64}.${mac.slice(0, -2)}${mac.endsWith("AA") ? "BB" : "AA"}`, "invalid edge token signature"],
        ["a later expiry, not re-signed", `token=${Buffer.from(`e1.${file}.${user}.${past + 999999}`).toString("base64url")}.${mac}`, "invalid edge token signature"],
        ["the MAC with a spare bit set", `token=${payloadB64}.${mac.slice(0, -1)}${spareBit}`, "invalid edge token signature"],
        ["a MAC one character short", `token=${payloadB64}.${mac.slice(0, -1)}`, "invalid edge token signature"],
        ["a MAC one character long", `token=${payloadB64}.${mac}A`, "invalid edge token signature"],
        ["an expired token", `token=${signEdgeToken(`e1.${file}.${user}.${past}`)}`, "edge token expired"],
        ["the origin's stream token", `token=${encodeURIComponent(a.token)}`, "invalid edge token signature"],
        ["another file's token", `token=${edgeTokenOf(b.stream_urls[0])}`, "edge token is for another file"],
        ["another version", `token=${signEdgeToken(`e2.${file}.${user}.${future}`)}`, "unknown edge token version"],
        ["five fields", `token=${signEdgeToken(`e1.${file}.${user}.${future}.x`)}`, "unknown edge token version"],
        ["an expiry with a leading zero", `token=${signEdgeToken(`e1.${file}.${user}.0${future}`)}`, "malformed edge token expiry"],
        ["an expiry that is not a number", `token=${signEdgeToken(`e1.${file}.${user}.1e3`)}`, "malformed edge token expiry"],
        ["an empty expiry", `token=${signEdgeToken(`e1.${file}.${user}.`)}`, "malformed edge token expiry"],
        ["a 13-digit expiry", `token=${signEdgeToken(`e1.${file}.${user}.1000000000000`)}`, "malformed edge token expiry"],
        ["two dots", `token=${payloadB64}.${mac}.x`, "malformed edge token"],
        ["no dot", `token=${payloadB64}${mac}`, "malformed edge token"],
        ["nothing before the dot", `token=.${mac}`, "malformed edge token"],
        ["nothing after the dot", `token=${payloadB64}.`, "malformed edge token"],
        ["standard base64 characters", `token=${payloadB64}+/.${mac}`, "malformed edge token"],
        ["a percent-encoded token", `token=${encodeURIComponent(`${payloadB64}.${mac}`).replace("Z", "%5A")}`, "malformed edge token"],
        ["a token of 513 characters", `token=${"A".repeat(513 - 1 - mac.length)}.${mac}`, "malformed edge token"],
        ["a token of 8 KB", `token=${"A".repeat(8000)}.${mac}`, "malformed edge token"],
        ["no token", null, "Missing stream token"],
        ["an empty token", "token=", "Missing stream token"],
        ["the token under another name", `tok=${good}`, "Missing stream token"],
      ];
      const before = await originAudioRequests();
      for (const [what, query, reason] of cases) {
        const r = await fetch(`${edge}/audio/${a.file_id}` + (query === null ? "" : `?${query}`), { headers: { range: "bytes=0-99" } });
        assert.equal(r.status, 403, what);
        assert.match(r.headers.get("content-type") ?? "", /^application\/json/, what);
        assert.equal(r.headers.get("x-edge"), new URL(a.stream_urls[0]).origin === edges[0].base ? "e1" : "e2", what);
        // The same bytes from both checks.
        assert.equal(await r.text(), `{"error":{"status":403,"message":"${reason}"}}\n`, what);
      }
      // A payload of 4k+1 base64url characters (no whole number of bytes), bytes that are not
      // UTF-8 and a long run of 0xff bytes in the payload: refused, for the signature.
      let quarter = payloadB64;
      while (quarter.length % 4 !== 1) quarter += "A";
      for (const payload of [quarter, Buffer.from([0, 255, 46, 46, 46, 0xc3]).toString("base64url"), "_".repeat(300)]) {
        const r = await fetch(`${edge}/audio/${a.file_id}?token=${payload}.${mac}`);
        assert.equal(r.status, 403, payload);
        assert.equal(await r.text(), `{"error":{"status":403,"message":"invalid edge token signature"}}\n`, payload);
      }
      // A HEAD is refused too, without a body.
      const head = await fetch(`${edge}/audio/${a.file_id}?token=x.y`, { method: "HEAD" });
      assert.equal(head.status, 403);
      assert.equal((await head.text()), "");
      assert.equal(await originAudioRequests(), before, "no refused request reached the origin");
      // The untampered token still works.
      const ok = await get(`${edge}/audio/${a.file_id}?token=${encodeURIComponent(good)}`, "bytes=0-99");
      assert.equal(ok.status, 206);
    });

    it("Segue's module refuses to start without a usable edge key, saying why", { skip: check !== "c" }, () => {
      const dir = tempDir("segue-edge-key-");
      const e = new Edge("ek", 9, path.join(dir, "edge"));
      e.render(server.base, keyFile, "c");
      const conf = path.join(e.dir, "nginx.conf");
      const test = () => spawnSync("nginx", ["-t", "-c", conf, "-p", e.dir], { encoding: "utf8" });
      assert.equal(test().status, 0, test().stderr);
      const cases: Array<[string, () => void, RegExp]> = [
        ["an empty key file", () => fs.writeFileSync(path.join(e.dir, "edge.key"), ""), /edge key file ".*edge\.key" does not hold an edge key .*: it is empty/],
        ["a short key", () => fs.writeFileSync(path.join(e.dir, "edge.key"), "ab".repeat(31) + "\n"), /does not hold an edge key \(64 to 256 hex characters/],
        ["a key that is not hex", () => fs.writeFileSync(path.join(e.dir, "edge.key"), edgeKey.slice(0, -1) + "g"), /does not hold an edge key/],
        ["a key of 4 KB", () => fs.writeFileSync(path.join(e.dir, "edge.key"), "a".repeat(5000)), /does not hold an edge key/],
        ["no key file", () => fs.rmSync(path.join(e.dir, "edge.key")), /cannot open the edge key file ".*edge\.key"/],
        ["the check on without a key file", () => {
          fs.writeFileSync(path.join(e.dir, "edge.key"), edgeKey);
          fs.writeFileSync(conf, fs.readFileSync(conf, "utf8").replace(/^\s*segue_edge_token_key_file .*$/m, ""));
        }, /"segue_edge_token on" needs "segue_edge_token_key_file"/],
      ];
      for (const [what, change, message] of cases) {
        change();
        const r = test();
        assert.notEqual(r.status, 0, what);
        assert.match(r.stderr, message, what);
      }
    });

    it("an edge that stops drops out of play answers within seconds and returns when it is back", async () => {
      await waitForEdges((n) => n.length === 2, 10_000);
      const gone = edges[0];
      await gone.stop();
      const down = await waitForEdges((n) => !n.includes(gone.name), 4_000);
      assert.ok(down.elapsed <= 3_500, `dropped after ${down.elapsed} ms`);
      assert.deepEqual(down.body.edges.map((e: any) => e.name), ["e2"]);
      assert.equal(down.body.stream_urls.length, 2);
      assert.equal(new URL(down.body.stream_urls[1]).origin, server.base, "the origin stays last");
      assert.match(await (await fetch(server.url("/metrics"))).text(), /^segue_edge_healthy\{edge="e1"\} 0$/m);
      assert.match(server.stderr, /edge unhealthy/);

      await gone.start();
      const up = await waitForEdges((n) => n.includes(gone.name), 5_000);
      assert.ok(up.elapsed <= 3_500, `back after ${up.elapsed} ms`);
      assert.equal(up.body.stream_urls.length, 3);
    });
  });
}
