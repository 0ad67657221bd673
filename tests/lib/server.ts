// Helpers that run the real `segue` binary: data directories, the demo library (written once per
// test run and shared by the test files), users, OAuth clients, and a server on a free port.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const SEGUE_BIN: string = (() => {
  const bin = process.env.SEGUE_BIN;
  if (!bin) throw new Error("SEGUE_BIN must name the segue binary (absolute path)");
  if (!fs.existsSync(bin)) throw new Error(`SEGUE_BIN ${bin} does not exist`);
  return path.resolve(bin);
})();

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

const tempDirs: string[] = [];
process.on("exit", () => {
  if (process.env.SEGUE_KEEP_TMP) return;
  for (const d of tempDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = "segue-test-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `segue ARGS...` to completion (synchronously), with optional stdin. */
export function runSegue(args: string[], input?: string, timeoutMs = 120_000): RunResult {
  const r = spawnSync(SEGUE_BIN, args, {
    input: input ?? "",
    encoding: "utf8",
    timeout: timeoutMs,
    env: cleanEnv(args),
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The PostgreSQL server of this test run (scripts/test.sh starts a throwaway cluster and sets
 * SEGUE_TEST_POSTGRES to its admin URL), or undefined when the run is on SQLite.
 */
export const TEST_POSTGRES: string | undefined = process.env.SEGUE_TEST_POSTGRES || undefined;
const createdDatabases = new Set<string>();

/**
 * The database URL of data directory `data` on a PostgreSQL run: one database per data
 * directory (created on first use), so every `segue` command and restart given the same
 * `--data` sees the same state, as the SQLite file in it would. Undefined on SQLite runs.
 */
export function databaseFor(data: string): string | undefined {
  if (!TEST_POSTGRES) return undefined;
  const name = "d" + crypto.createHash("sha256").update(path.resolve(data)).digest("hex").slice(0, 20);
  if (!createdDatabases.has(name)) {
    const r = spawnSync("psql", [TEST_POSTGRES, "-q", "-c", `CREATE DATABASE ${name}`], { encoding: "utf8" });
    if (r.status !== 0 && !/already exists/.test(r.stderr)) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
    createdDatabases.add(name);
  }
  const u = new URL(TEST_POSTGRES);
  u.pathname = "/" + name;
  return u.toString();
}

/**
 * The environment without SEGUE_* settings, so the developer's shell cannot change a test; on a
 * PostgreSQL run, SEGUE_DATABASE for the `--data` directory in `args`.
 */
export function cleanEnv(args: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEGUE_")) env[k] = v;
  const i = args.indexOf("--data");
  const db = i >= 0 && i + 1 < args.length ? databaseFor(args[i + 1]) : undefined;
  if (db) env.SEGUE_DATABASE = db;
  return env;
}

function mustRun(args: string[], input?: string): string {
  const r = runSegue(args, input);
  if (r.status !== 0) {
    throw new Error(`segue ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * The demo library, written once per test run. `node --test` runs every test file in a child
 * process of one runner, so the runner's pid names the shared directory. The library is written
 * into a staging directory and renamed into place, so a half-written library is never used.
 */
export function demoLibrary(): string {
  const key = process.env.SEGUE_TEST_RUN_ID ?? String(process.ppid);
  const dir = path.join(os.tmpdir(), `segue-demo-lib-${key}`);
  if (fs.existsSync(path.join(dir, ".segue-demo-library"))) return dir;
  removeStaleDemoLibraries(dir);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "segue-demo-staging-"));
  try {
    mustRun(["demo-library", staging]);
    try {
      fs.renameSync(staging, dir);
    } catch (e) {
      // Someone else won the race; theirs is as good as ours.
      if (!fs.existsSync(path.join(dir, ".segue-demo-library"))) throw e;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

function removeStaleDemoLibraries(keep: string): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith("segue-demo-lib-")) continue;
    const full = path.join(tmp, name);
    if (full === keep) continue;
    const pid = Number(name.slice("segue-demo-lib-".length));
    let alive = false;
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (!alive) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** Every regular file under `dir` (recursively), as absolute paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export interface User {
  name: string;
  password: string;
  id: string;
}

export function addUser(data: string, name: string, opts: { tier?: "free" | "premium"; password?: string } = {}): User {
  const password = opts.password ?? `pw-${name}-correct horse`;
  const args = ["user", "add", name, "--data", data];
  if (opts.tier) args.push("--tier", opts.tier);
  const out = mustRun(args, password + "\n");
  const m = /\(id ([0-9A-Za-z]{22})/.exec(out);
  if (!m) throw new Error(`user add printed no id: ${out}`);
  return { name, password, id: m[1] };
}

export interface Client {
  id: string;
  secret?: string;
  redirectUri: string;
  isPublic: boolean;
}

export function addClient(data: string, name: string, redirectUri: string, isPublic = false): Client {
  const args = ["client", "add", name, "--redirect-uri", redirectUri, "--data", data];
  if (isPublic) args.push("--public");
  const out = mustRun(args);
  const id = /^client_id: (\S+)$/m.exec(out)?.[1];
  const secret = /^client_secret: (\S+)$/m.exec(out)?.[1];
  if (!id) throw new Error(`client add printed no client_id: ${out}`);
  if (!isPublic && !secret) throw new Error(`confidential client without a secret: ${out}`);
  if (isPublic && secret) throw new Error(`public client got a secret: ${out}`);
  return { id, secret, redirectUri, isPublic };
}

export interface ServerOptions {
  data?: string;
  libraries?: string[];
  extraArgs?: string[];
  /** Wait until /healthz reports at least this many tracks (default 1 when a library is given). */
  minTracks?: number;
  env?: NodeJS.ProcessEnv;
  /** Also wait until /healthz says ready (the search index caught up; default true). */
  waitReady?: boolean;
}

export class Server {
  readonly base: string;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = "";
  stderr = "";
  constructor(
    readonly proc: ChildProcess,
    readonly port: number,
    readonly data: string,
    readonly libraries: string[],
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.base = `http://127.0.0.1:${port}`;
    this.exited = exited;
  }

  url(p: string): string {
    return this.base + p;
  }

  /**
   * The base URL of every process that answers for this server: its own base, or each node
   * behind a cluster's gateway (what a test reads per process, such as /metrics, it reads there).
   */
  nodeBases(): string[] {
    return [this.base];
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, then the exit status (code, or signal if it was killed). */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.proc.kill("SIGTERM");
    return this.waitExit(timeoutMs);
  }

  /** SIGKILL: the process gets no chance to clean up. */
  async kill9(): Promise<void> {
    if (this.running) this.proc.kill("SIGKILL");
    await this.waitExit(10_000);
  }

  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.proc.kill("SIGKILL");
        reject(new Error(`segue did not exit within ${timeoutMs} ms; stderr:\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const runningServers = new Set<Server>();
process.on("exit", () => {
  for (const s of runningServers) {
    if (!s.running) continue;
    // A cluster's gateway leads its own process group (its workers); a node does not.
    try {
      if (s instanceof ClusterServer) process.kill(-s.proc.pid!, "SIGKILL");
      else s.proc.kill("SIGKILL");
    } catch {
      s.proc.kill("SIGKILL");
    }
  }
});

/**
 * SEGUE_TEST_CLUSTER=N (N >= 2, on a PostgreSQL run with SEGUE_TEST_REDIS): every startServer()
 * starts N `segue serve` nodes on the data directory's database and the run's Redis, behind an
 * nginx gateway rendered by deploy/render, and the Server's base is the gateway: the system
 * tests then run against a cluster (scripts/cluster-test.sh, issue 17).
 */
export const TEST_CLUSTER: number = Number(process.env.SEGUE_TEST_CLUSTER || 0);

/** A gateway in front of several nodes, stopped and killed as one server. */
class ClusterServer extends Server {
  constructor(
    proc: ChildProcess,
    port: number,
    data: string,
    libraries: string[],
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    readonly nodes: Array<{ proc: ChildProcess; port: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }>,
  ) {
    super(proc, port, data, libraries, exited);
  }
  override nodeBases(): string[] {
    return this.nodes.map((n) => `http://127.0.0.1:${n.port}`);
  }
  override get running(): boolean {
    return super.running && this.nodes.every((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  }
  override async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    for (const n of this.nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill("SIGTERM");
    const results = await Promise.all(this.nodes.map((n) => n.exited));
    // SIGQUIT is nginx's graceful shutdown: what a node sent is still delivered to its client.
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGQUIT");
    await this.waitExit(timeoutMs);
    // The nodes' exit is what a test asks about (a clean shutdown is code 0).
    return results.find((r) => r.code !== 0) ?? results[0];
  }
  override async kill9(): Promise<void> {
    for (const n of this.nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill("SIGKILL");
    await Promise.all(this.nodes.map((n) => n.exited));
    // The gateway leads its own process group: its workers go with it.
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        process.kill(-this.proc.pid!, "SIGKILL");
      } catch {
        this.proc.kill("SIGKILL");
      }
    }
    await this.waitExit(10_000);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Every cluster of a test run shares one Redis, and every test client is 127.0.0.1: per-address
 * limits and login backoff counted there (segue:rl:*, segue:login:*) would carry over from one
 * test's cluster to the next. A cluster starts with none, as a single node starts with none in
 * memory.
 */
function forgetSharedLimits(redisUrl: string): void {
  const u = new URL(redisUrl);
  const where = u.hostname ? ["-h", u.hostname, "-p", u.port || "6379"] : ["-s", decodeURIComponent(u.pathname)];
  const script = "for _, p in ipairs(ARGV) do for _, k in ipairs(redis.call('KEYS', p)) do redis.call('DEL', k) end end return 0";
  const r = spawnSync("redis-cli", [...where, "EVAL", script, "0", "segue:rl:*", "segue:login:*"], { encoding: "utf8" });
  if (r.status !== 0 || r.stdout.trim() !== "(integer) 0" && r.stdout.trim() !== "0")
    throw new Error(`redis-cli could not clear the shared limits: ${r.stderr || r.stdout}`);
}

async function startCluster(opts: ServerOptions): Promise<Server> {
  const redis = process.env.SEGUE_TEST_REDIS;
  if (!TEST_POSTGRES || !redis) throw new Error("SEGUE_TEST_CLUSTER needs SEGUE_TEST_POSTGRES and SEGUE_TEST_REDIS");
  const data = opts.data ?? tempDir("segue-data-");
  fs.mkdirSync(data, { recursive: true });
  const libraries = opts.libraries ?? [];
  // The key every node signs stream tokens with: the CLI and all nodes share it.
  const key = path.join(data, "secret.key");
  if (!fs.existsSync(key)) fs.writeFileSync(key, crypto.randomBytes(32), { mode: 0o600 });
  const env = { ...cleanEnv(["--data", data]), SEGUE_REDIS: redis, ...opts.env };
  forgetSharedLimits(redis);
  const nodes: Array<{ proc: ChildProcess; port: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> = [];
  let stdout = "";
  let stderr = "";
  const gwPort = await freePort();
  for (let i = 1; i <= TEST_CLUSTER; i++) {
    const dir = path.join(data, `node${i}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(key, path.join(dir, "secret.key"));
    fs.mkdirSync(path.join(data, "transcodes"), { recursive: true, mode: 0o700 });
    const args = ["serve", "--data", dir, "--listen", "127.0.0.1:0", "--access-log", "false",
                  "--transcode-dir", path.join(data, "transcodes"), "--public-url", `http://127.0.0.1:${gwPort}`,
                  // The gateway reaches the nodes from 127.0.0.1: its X-Forwarded-For names the client.
                  "--trusted-proxies", "127.0.0.1/32"];
    for (const l of libraries) args.push("--library", l);
    args.push(...(opts.extraArgs ?? []));
    const proc = spawn(SEGUE_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.on("exit", (code, signal) => resolve({ code, signal }));
    });
    let out = "";
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`node ${i} printed no address within 20 s; stderr:\n${stderr}`));
      }, 20_000);
      proc.stdout!.setEncoding("utf8");
      proc.stderr!.setEncoding("utf8");
      proc.stdout!.on("data", (chunk: string) => {
        out += chunk;
        stdout += chunk;
        const m = /Segue is serving http:\/\/127\.0\.0\.1:(\d+) /.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.stderr!.on("data", (chunk: string) => (stderr += chunk));
      proc.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`node ${i} exited early (${code ?? signal}); stderr:\n${stderr}`));
      });
    });
    nodes.push({ proc, port, exited });
  }
  const gwDir = path.join(data, "gateway");
  const render = spawnSync(path.join(REPO_ROOT, "deploy", "render"),
    ["gateway", "--listen", `127.0.0.1:${gwPort}`, "--workers", "1", "--dir", gwDir, ...nodes.flatMap((n) => ["--node", `http://127.0.0.1:${n.port}`])],
    { encoding: "utf8" });
  if (render.status !== 0) throw new Error(`deploy/render gateway: ${render.stderr}`);
  const nginx = spawn("nginx", ["-c", path.join(gwDir, "nginx.conf"), "-p", gwDir, "-e", path.join(gwDir, "error.log"), "-g", "daemon off;"],
                      { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    nginx.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const server = new ClusterServer(nginx, gwPort, data, libraries, exited, nodes);
  server.stdout = stdout;
  server.stderr = stderr;
  for (const n of nodes) {
    n.proc.stdout!.on("data", (c: string) => (server.stdout += c));
    n.proc.stderr!.on("data", (c: string) => (server.stderr += c));
  }
  runningServers.add(server);
  for (const n of nodes) runningServers.add({ get running() { return n.proc.exitCode === null && n.proc.signalCode === null; }, proc: n.proc } as unknown as Server);
  exited.then(() => runningServers.delete(server));
  const minTracks = opts.minTracks ?? (libraries.length > 0 ? 1 : 0);
  await waitHealthy(server, minTracks, opts.waitReady ?? true);
  // Every node, not only the one the gateway asked: each keeps its own search index.
  for (const n of nodes) {
    const direct = new Server(n.proc, n.port, data, libraries, n.exited);
    await waitHealthy(direct, minTracks, opts.waitReady ?? true, 60_000, false);
  }
  return server;
}

/** Starts `segue serve` on 127.0.0.1 with port 0 and waits until it listens (and has scanned). */
export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  if (TEST_CLUSTER >= 2) return startCluster(opts);
  const data = opts.data ?? tempDir("segue-data-");
  const libraries = opts.libraries ?? [];
  const args = ["serve", "--data", data, "--listen", "127.0.0.1:0", "--access-log", "false"];
  for (const l of libraries) args.push("--library", l);
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(SEGUE_BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...cleanEnv(args), ...opts.env } });
  let stdout = "";
  let stderr = "";
  let server: Server | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`segue serve printed no address within 20 s; stderr:\n${stderr}`));
    }, 20_000);
    proc.stdout!.setEncoding("utf8");
    proc.stderr!.setEncoding("utf8");
    proc.stdout!.on("data", (chunk: string) => {
      stdout += chunk;
      if (server) server.stdout += chunk;
      const m = /Segue is serving http:\/\/127\.0\.0\.1:(\d+) /.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      if (server) server.stderr += chunk;
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`segue serve exited early (${code ?? signal}); stderr:\n${stderr}`));
    });
  });
  server = new Server(proc, port, data, libraries, exited);
  server.stdout = stdout;
  server.stderr = stderr;
  runningServers.add(server);
  const s = server;
  exited.then(() => runningServers.delete(s));
  const minTracks = opts.minTracks ?? (libraries.length > 0 ? 1 : 0);
  await waitHealthy(s, minTracks, opts.waitReady ?? true);
  return s;
}

async function waitHealthy(server: Server, minTracks: number, waitReady: boolean, timeoutMs = 60_000, scanned = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await fetch(server.url("/healthz"));
      const body = (await r.json()) as { status: string; tracks: number; ready?: boolean };
      last = JSON.stringify(body);
      if (r.status === 200 && body.status === "ok" && body.tracks >= minTracks) {
        // The catalog can be published before the scan's last batch; wait for the scan to end,
        // then (by default) for the search index to catch up with what the scan found.
        if (minTracks === 0 || !scanned || (await scanIdle(server))) {
          if (!waitReady || body.ready !== false) return;
          const again = (await (await fetch(server.url("/healthz"))).json()) as { ready?: boolean };
          last = JSON.stringify(again);
          if (again.ready !== false) return;
        }
      }
    } catch (e) {
      last = String(e);
    }
    await sleep(50);
  }
  throw new Error(`server not healthy with ${minTracks} tracks after ${timeoutMs} ms: ${last}`);
}

async function scanIdle(server: Server): Promise<boolean> {
  const text = await (await fetch(server.url("/metrics"))).text();
  const running = /^segue_scan_running\s+(\S+)/m.exec(text);
  const scans = /^segue_scans_total\s+(\S+)/m.exec(text);
  if (!running || !scans) return true; // metrics do not say; trust healthz
  return Number(running[1]) === 0 && Number(scans[1]) >= 1;
}

/**
 * The /metrics text of every process behind `server` (one for a single server, one per node of
 * a cluster, asked directly: a node refuses /metrics to a request a proxy forwarded).
 */
export async function metricsOfEach(server: Server): Promise<string[]> {
  return Promise.all(
    server.nodeBases().map(async (b) => {
      const r = await fetch(b + "/metrics");
      if (r.status !== 200) throw new Error(`GET ${b}/metrics: ${r.status}`);
      return r.text();
    }),
  );
}

/**
 * The sample `series` (a metric name with its labels as /metrics prints them, e.g.
 * `segue_ws_open_connections` or `segue_http_requests_total{route="/v1/me",status="200"}`)
 * summed over every process behind `server`; NaN when none has it.
 */
export async function metricSum(server: Server, series: string): Promise<number> {
  let sum = NaN;
  for (const text of await metricsOfEach(server)) {
    for (const line of text.split("\n")) {
      if (!line.startsWith(series)) continue;
      const rest = line.slice(series.length);
      if (!/^\s/.test(rest)) continue;
      const v = Number(rest.trim().split(/\s+/)[0]);
      sum = Number.isNaN(sum) ? v : sum + v;
    }
  }
  return sum;
}

/**
 * Waits until `holds` is true of the /metrics text of every process behind `server` (polled
 * every 100 ms); throws naming `what` after `timeoutMs`.
 */
export async function waitMetrics(server: Server, what: string, holds: (text: string) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await metricsOfEach(server)).every(holds)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not so in /metrics within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Waits until each of `consumers` ("history", "popularity", "top_items") has applied the event
 * log up to `offset` in every process behind `server`: its head there is at least `offset` and
 * the consumer's lag 0 (each node of a cluster keeps its own view of the consumers' state).
 * Without `offset`: the newest head any of them knows now.
 */
export async function waitConsumers(server: Server, consumers: string[], offset?: number, timeoutMs = 10_000): Promise<void> {
  const head = (m: string) => Number(/^segue_events_head_offset (\d+)/m.exec(m)?.[1] ?? -1);
  offset ??= Math.max(...(await metricsOfEach(server)).map(head));
  await waitMetrics(server, `consumers ${consumers.join(", ")} at offset ${offset}`, (m) => {
    return head(m) >= offset! && consumers.every((c) => new RegExp(`^segue_events_${c}_lag 0$`, "m").test(m));
  }, timeoutMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A data dir with two users and two clients, and a server on the demo library. */
export interface Fixture {
  server: Server;
  data: string;
  library: string;
  free: User;
  premium: User;
  confidential: Client;
  publicClient: Client;
}

export const REDIRECT = "http://127.0.0.1:8888/callback";

export async function startFixture(extraArgs: string[] = []): Promise<Fixture> {
  const data = tempDir("segue-data-");
  const library = demoLibrary();
  const free = addUser(data, "alice");
  const premium = addUser(data, "bob", { tier: "premium" });
  const confidential = addClient(data, "webapp", REDIRECT);
  const publicClient = addClient(data, "mobile", REDIRECT, true);
  const server = await startServer({ data, libraries: [library], extraArgs });
  return { server, data, library, free, premium, confidential, publicClient };
}
