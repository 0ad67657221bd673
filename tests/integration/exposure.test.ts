// What the server gives away to whoever reaches it (issue 14): links built from a Host header
// the operator did not allow, /metrics to remote callers, world-readable data files, every
// connection slot to one client, and a disk filled with the access log of refused requests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { SEGUE_BIN, TEST_POSTGRES, addClient, cleanEnv, addUser, demoLibrary, listFiles, startFixture, tempDir, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, login, pkcePair } from "../lib/oauth.ts";

interface Raw { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request with any Host header (fetch does not let a caller set it). */
function raw(port: number, p: string, opts: { host?: string; method?: string; headers?: Record<string, string>; body?: string;
  address?: string; localAddress?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: opts.address ?? "127.0.0.1", port, path: p, method: opts.method ?? "GET", localAddress: opts.localAddress,
      agent: false, headers: { host: opts.host ?? `127.0.0.1:${port}`, ...(opts.headers ?? {}) } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

/** `segue serve` on an address of our choosing (startServer listens on 127.0.0.1 only). */
async function serveOn(listen: string, data: string, extra: string[] = []): Promise<{ proc: ChildProcess; port: number; stderr: () => string }> {
  // Without the test run's SEGUE_* variables (SEGUE_BIN is not a setting).
  const args = ["serve", "--data", data, "--listen", listen, "--web", "off", ...extra];
  const proc = spawn(SEGUE_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv(args) });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (c) => (err += c));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address; stderr:\n${err}`)), 20_000);
    proc.stdout!.on("data", (c) => {
      out += c;
      const m = /Segue is serving http:\/\/\S+?:(\d+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on("exit", (code) => reject(new Error(`exited ${code}; stderr:\n${err}`)));
  });
  return { proc, port, stderr: () => err };
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.on("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

/** An address of this machine that is not loopback (a "remote" caller), if there is one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

let f: Fixture;
let token: string;
let trackId: string;

before(async () => {
  f = await startFixture();
  token = (await login(f.server.base, f.confidential, f.free, ALL_SCOPES)).access_token;
  const nr = await api(f.server.base, "/v1/browse/new-releases?limit=1", { token });
  const tr = await api(f.server.base, `/v1/albums/${nr.body.albums.items[0].id}/tracks?limit=1`, { token });
  trackId = tr.body.items[0].id;
});
after(async () => {
  await f.server.stop();
});

describe("links and the first-party redirect never trust an unknown Host", () => {
  const webAuthorize = (host: string, redirect: string) => {
    const { challenge } = pkcePair();
    const q = new URLSearchParams({ client_id: "segue-web", redirect_uri: redirect, response_type: "code",
      code_challenge: challenge, code_challenge_method: "S256", scope: "user-read-private" });
    return raw(f.server.port, `/authorize?${q}`, { host });
  };

  it("Host: evil.example gets no login page for the built-in web client (421), its own address does", async () => {
    const evil = await webAuthorize("evil.example", "http://evil.example/callback");
    assert.equal(evil.status, 421, evil.body.slice(0, 300));
    assert.doesNotMatch(evil.body, /<form/);
    const posted = await raw(f.server.port, "/authorize", { host: "evil.example", method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "segue-web", redirect_uri: "http://evil.example/callback", response_type: "code",
        code_challenge: pkcePair().challenge, code_challenge_method: "S256", username: f.free.name, password: f.free.password }).toString() });
    assert.equal(posted.status, 421);
    assert.equal(posted.headers.location, undefined);
    const own = await webAuthorize(`127.0.0.1:${f.server.port}`, `${f.server.base}/callback`);
    assert.equal(own.status, 200, own.body.slice(0, 300));
    const local = await webAuthorize(`localhost:${f.server.port}`, `http://localhost:${f.server.port}/callback`);
    assert.equal(local.status, 200, "loopback names are allowed by default");
    const otherPort = await webAuthorize("localhost:9", "http://localhost:9/callback");
    assert.equal(otherPort.status, 421, "a loopback name on another port is not this server");
  });

  it("stream URLs and hrefs for an unknown Host point at the listen address", async () => {
    const r = await raw(f.server.port, "/v1/me/player/play", { host: "evil.example", method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ track_id: trackId }) });
    assert.equal(r.status, 200, r.body);
    const b = JSON.parse(r.body);
    assert.ok(b.stream_urls[0].startsWith(`${f.server.base}/audio/`), b.stream_urls[0]);
    assert.ok(b.track.href.startsWith(`${f.server.base}/v1/`), b.track.href);
    assert.doesNotMatch(r.body, /evil\.example/);
  });

  it("allowed_hosts adds host names links may use", async () => {
    const data = tempDir("segue-data-");
    const s = await serveOn("127.0.0.1:0", data, ["--allowed-host", "music.example", "--allowed-host", "nas.lan:8080"]);
    try {
      for (const [host, allowed] of [["music.example", true], [`music.example:${s.port}`, true], ["nas.lan:8080", true],
        ["nas.lan:9090", false], ["evil.example", false], [`127.0.0.1:${s.port}`, true]] as const) {
        const q = new URLSearchParams({ client_id: "segue-web", redirect_uri: `http://${host}/callback`, response_type: "code",
          code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
        const r = await raw(s.port, `/authorize?${q}`, { host });
        assert.equal(r.status, allowed ? 200 : 421, host);
      }
    } finally {
      await stopProc(s.proc);
    }
  });
});

describe("/metrics", () => {
  it("is served to loopback callers, not to a request a local proxy forwarded", async () => {
    const local = await raw(f.server.port, "/metrics");
    assert.equal(local.status, 200);
    assert.match(local.body, /segue_http_requests_total/);
    const proxied = await raw(f.server.port, "/metrics", { headers: { "x-forwarded-for": "203.0.113.9" } });
    assert.equal(proxied.status, 403);
    assert.equal(JSON.parse(proxied.body).error.status, 403);
  });

  it("is refused to remote callers unless they send the metrics token", async (t) => {
    const address = externalAddress();
    if (!address) return t.skip("no non-loopback interface on this machine");
    const data = tempDir("segue-data-");
    const secret = "metrics-token-0123456789";
    const s = await serveOn("0.0.0.0:0", data, ["--metrics-token", secret]);
    try {
      const remote = await raw(s.port, "/metrics", { address, host: `${address}:${s.port}` });
      assert.equal(remote.status, 403, remote.body);
      assert.doesNotMatch(remote.body, /segue_/);
      const wrong = await raw(s.port, "/metrics", { address, host: `${address}:${s.port}`, headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 403);
      const withToken = await raw(s.port, "/metrics", { address, host: `${address}:${s.port}`, headers: { authorization: `Bearer ${secret}` } });
      assert.equal(withToken.status, 200);
      assert.match(withToken.body, /segue_http_requests_total/);
      // Listening on every address, links follow the address the connection arrived on.
      const health = await raw(s.port, "/", { address, host: "evil.example" });
      assert.match(health.body, new RegExp(`http://${address.replace(/\./g, "\\.")}:${s.port}/v1`));
    } finally {
      await stopProc(s.proc);
    }
  });
});

describe("the data folder is the owner's only", () => {
  it("every file a real server creates, and an existing open folder is narrowed with a log line", async () => {
    const data = tempDir("segue-data-");
    addUser(data, "carol");
    addClient(data, "app", "http://127.0.0.1:9/callback", true);
    // On a PostgreSQL run the folder holds no database file, only keys, the index and caches.
    const sqliteFiles = TEST_POSTGRES ? [] : ["segue.db", "segue.db-wal", "segue.db-shm"];
    if (!TEST_POSTGRES) assert.equal(fs.statSync(path.join(data, "segue.db")).mode & 0o077, 0, "the CLI creates the database 0600");
    // As an older Segue left them.
    fs.chmodSync(data, 0o755);
    if (!TEST_POSTGRES) fs.chmodSync(path.join(data, "segue.db"), 0o644);
    const s = await serveOn("127.0.0.1:0", data, ["--library", demoLibrary()]);
    try {
      // Let the scan, the indexer and the consumers create their files.
      for (let i = 0; i < 100; i++) {
        if (fs.existsSync(path.join(data, "search")) && (TEST_POSTGRES || fs.existsSync(path.join(data, "segue.db-wal")))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(s.stderr(), /made it the owner's only/);
      const mode = (p: string) => fs.statSync(p).mode & 0o777;
      assert.equal(mode(data), 0o700);
      const all = [data, ...listFiles(data)];
      for (const dir of fs.readdirSync(data, { recursive: true }) as string[]) {
        const p = path.join(data, dir);
        if (fs.statSync(p).isDirectory()) all.push(p);
      }
      for (const name of [...sqliteFiles, "secret.key"])
        assert.ok(all.includes(path.join(data, name)), `${name} exists`);
      assert.ok(all.some((p) => p.startsWith(path.join(data, "search"))), "the search index exists");
      for (const p of all) assert.equal(mode(p) & 0o077, 0, `${p} is ${mode(p).toString(8)}`);
    } finally {
      await stopProc(s.proc);
    }
  });
});

describe("one client cannot take every connection slot", () => {
  it("a fourth connection from one address is closed while another address still connects", async () => {
    const data = tempDir("segue-data-");
    const s = await serveOn("127.0.0.1:0", data, ["--max-connections-per-address", "3"]);
    const open = (from: string) => new Promise<net.Socket | null>((resolve) => {
      const sock = net.connect({ host: "127.0.0.1", port: s.port, localAddress: from });
      let got = "";
      sock.on("data", (c) => {
        got += c;
        if (got.includes("\r\n\r\n")) resolve(sock);
      });
      sock.on("error", () => resolve(null));
      sock.on("close", () => resolve(null));
      sock.on("connect", () => sock.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = await open("127.0.0.2");
        assert.ok(c, `connection ${i}`);
        held.push(c);
      }
      assert.equal(await open("127.0.0.2"), null, "the fourth from 127.0.0.2 is closed");
      const other = await open("127.0.0.3");
      assert.ok(other, "127.0.0.3 still connects");
      other.destroy();
      const m = await raw(s.port, "/metrics");
      assert.match(m.body, /^segue_http_rejected_connections_per_address_total 1$/m);
    } finally {
      for (const c of held) c.destroy();
      await stopProc(s.proc);
    }
  });
});

describe("a flood of refused requests does not fill the log", () => {
  it("429s are counted in full and logged sampled, with a summary line", async () => {
    const data = tempDir("segue-data-");
    const user = addUser(data, "dave");
    const client = addClient(data, "app", "http://127.0.0.1:9/callback", true);
    const s = await serveOn("127.0.0.1:0", data, ["--access-log", "true", "--rate-limit-user", "5", "--io-threads", "1"]);
    try {
      const base = `http://127.0.0.1:${s.port}`;
      const t = (await login(base, client, user, "user-read-private")).access_token;
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        const r = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${t}` } });
        await r.arrayBuffer();
        if (r.status === 429) refused++;
      }
      assert.ok(refused >= 390, `refused ${refused}`);
      const m = await raw(s.port, "/metrics");
      const counted = Number(/^segue_http_requests_total\{route="\/v1\/me",status="429"\} (\d+)$/m.exec(m.body)?.[1]);
      assert.equal(counted, refused);
      await stopProc(s.proc);
      const lines = s.stderr().split("\n");
      const logged = lines.filter((l) => /msg=request /.test(l) && /status=429/.test(l)).length;
      const suppressed = lines.filter((l) => /requests not logged/.test(l) && /status=429/.test(l))
        .reduce((n, l) => n + Number(/suppressed=(\d+)/.exec(l)![1]), 0);
      assert.ok(logged < 100, `${logged} lines for ${refused} refusals`);
      assert.equal(logged + suppressed, refused);
    } finally {
      await stopProc(s.proc);
    }
  });
});
