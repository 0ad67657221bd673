// The kill -9 loop (issue 14): a mixed write load through the real HTTP API of a real server
// (playlist edits, library saves and removals, player events, preference changes by several
// users at once), SIGKILL at a random moment, restart on the same data directory, and after
// each restart:
//  - nothing acknowledged is lost: every playlist, library and preference equals what the
//    clients were told (a request cut by the kill may have landed or not: either is accepted,
//    then the client's model follows the server), every acknowledged event offset is in the
//    user's export, none twice, and the tokens issued before the first kill still work;
//  - every derived count matches a recount: a playlist's tracks.total equals its items, the
//    library's total equals its items, recently-played equals the plays in the export, and
//    each event consumer's tables equal what `segue events --replay` rebuilds from the log.
// Used by tests/integration/crash_recovery.test.ts (10 kills) and bench/crash_loop.sh (100).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { addClient, addUser, databaseFor, demoLibrary, runSegue, startServer, tempDir, TEST_POSTGRES, type Server, type User } from "./server.ts";
import { ALL_SCOPES, login } from "./oauth.ts";

export interface CrashLoopOptions {
  kills: number;
  /** Random kill moment after the load starts, in ms. */
  minLoadMs?: number;
  maxLoadMs?: number;
  seed?: number;
  /** Compare the consumers with `segue events --replay` after every Nth restart (and the
   * last); the API-visible checks run after every restart. Default 1. */
  replayEvery?: number;
  log?: (line: string) => void;
}

export interface CrashLoopReport {
  kills: number;
  acknowledged: { playlistOps: number; libraryOps: number; events: number; preferenceOps: number };
  inFlightAtKill: number;
  landedInFlight: number;
  checks: number;
  replayComparisons: number;
  restartMs: number[];
}

interface Req {
  status: number;
  body: any;
}

class ServerGone extends Error {}

/** Deterministic PRNG (mulberry32) so a failing run can be repeated with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type PendingCheck = { describe: string; landed: () => void };

interface Actor {
  user: User;
  token: string;
  playlist: string;
  playlistName: string;
  items: string[]; // track URIs in order
  library: Set<string>; // saved track ids
  privateSession: boolean;
  acked: number[]; // acknowledged event offsets
  /** The request in flight: what the state would be had it landed. */
  pending?: { kind: "playlist" | "library" | "prefs" | "events"; apply: (s: LiveState) => LiveState };
}

interface LiveState {
  items: string[];
  name: string;
  library: Set<string>;
  privateSession: boolean;
}

export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopReport> {
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const rand = rng(seed);
  log(`crash loop: ${opts.kills} kills, seed ${seed}`);
  const minLoad = opts.minLoadMs ?? 150;
  const maxLoad = opts.maxLoadMs ?? 1200;
  const data = tempDir("segue-crash-");
  const library = demoLibrary();
  const client = addClient(data, "crash", "http://127.0.0.1:9/callback", true);
  const users = ["alice", "bob", "carol"].map((n) => addUser(data, n, { tier: "premium" }));
  const serverArgs = ["--rescan-interval", "0", "--rate-limit-user", "0", "--rate-limit-client", "0"];
  const serverEnv = { SEGUE_ANALYSIS_WORKERS: "0" }; // no background analysis competing with the load
  let server: Server = await startServer({ data, libraries: [library], extraArgs: serverArgs, env: serverEnv });

  const call = async (token: string, p: string, method = "GET", body?: unknown): Promise<Req> => {
    let res: Response;
    try {
      res = await fetch(server.url(p), {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ServerGone();
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new ServerGone();
    }
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed };
  };

  // Tracks of the demo library.
  const actors: Actor[] = [];
  for (const u of users) {
    const token = (await login(server.base, client, u, ALL_SCOPES)).access_token;
    actors.push({ user: u, token, playlist: "", playlistName: "", items: [], library: new Set(), privateSession: false, acked: [] });
  }
  const tracks: string[] = [];
  const albums = await call(actors[0].token, "/v1/browse/new-releases?limit=50");
  for (const a of albums.body.albums.items) {
    const t = await call(actors[0].token, `/v1/albums/${a.id}/tracks?limit=50`);
    for (const x of t.body.items) tracks.push(x.id);
  }
  if (tracks.length < 5) throw new Error(`demo library has only ${tracks.length} tracks`);
  for (const a of actors) {
    const r = await call(a.token, "/v1/me/playlists", "POST", { name: `crash ${a.user.name}`, public: true });
    if (r.status !== 201) throw new Error(`create playlist: ${r.status} ${JSON.stringify(r.body)}`);
    a.playlist = r.body.id;
    a.playlistName = r.body.name;
  }

  const report: CrashLoopReport = {
    kills: 0,
    acknowledged: { playlistOps: 0, libraryOps: 0, events: 0, preferenceOps: 0 },
    inFlightAtKill: 0,
    landedInFlight: 0,
    checks: 0,
    replayComparisons: 0,
    restartMs: [],
  };
  let clock = Date.now();
  const nextTs = () => (clock = Math.max(clock + 1, Date.now()));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];

  // One operation of the mixed load; the model is updated only on acknowledgement.
  const step = async (a: Actor): Promise<void> => {
    const r = rand();
    if (r < 0.3) {
      const uri = `spotify:track:${pick(tracks)}`;
      a.pending = { kind: "playlist", apply: (s) => ({ ...s, items: [...s.items, uri] }) };
      const res = await call(a.token, `/v1/playlists/${a.playlist}/tracks`, "POST", { uris: [uri] });
      if (res.status !== 201) throw new Error(`add: ${res.status} ${JSON.stringify(res.body)}`);
      a.items.push(uri);
      report.acknowledged.playlistOps++;
    } else if (r < 0.4 && a.items.length > 0) {
      const uri = pick(a.items);
      const expect = a.items.filter((u) => u !== uri);
      a.pending = { kind: "playlist", apply: (s) => ({ ...s, items: expect }) };
      const res = await call(a.token, `/v1/playlists/${a.playlist}/tracks`, "DELETE", { tracks: [{ uri }] });
      if (res.status !== 200) throw new Error(`remove: ${res.status} ${JSON.stringify(res.body)}`);
      a.items = expect;
      report.acknowledged.playlistOps++;
    } else if (r < 0.45) {
      const name = `crash ${a.user.name} ${Math.floor(rand() * 1e6)}`;
      a.pending = { kind: "playlist", apply: (s) => ({ ...s, name }) };
      const res = await call(a.token, `/v1/playlists/${a.playlist}`, "PUT", { name });
      if (res.status !== 200) throw new Error(`rename: ${res.status} ${JSON.stringify(res.body)}`);
      a.playlistName = name;
      report.acknowledged.playlistOps++;
    } else if (r < 0.65) {
      const ids = [pick(tracks), pick(tracks)];
      const save = rand() < 0.65;
      const expect = new Set(a.library);
      for (const id of ids) save ? expect.add(id) : expect.delete(id);
      a.pending = { kind: "library", apply: (s) => ({ ...s, library: expect }) };
      const res = await call(a.token, "/v1/me/tracks", save ? "PUT" : "DELETE", { ids });
      if (res.status !== 200) throw new Error(`library: ${res.status} ${JSON.stringify(res.body)}`);
      a.library = expect;
      report.acknowledged.libraryOps++;
    } else if (r < 0.7 && a.user.name === "carol") {
      // Only carol switches private sessions (her events then stay out of history and counts).
      const value = !a.privateSession;
      a.pending = { kind: "prefs", apply: (s) => ({ ...s, privateSession: value }) };
      const res = await call(a.token, "/v1/me/preferences", "PUT", { private_session: value });
      if (res.status !== 200) throw new Error(`preferences: ${res.status} ${JSON.stringify(res.body)}`);
      a.privateSession = value;
      report.acknowledged.preferenceOps++;
    } else {
      const batch: object[] = [];
      const plays = 1 + Math.floor(rand() * 10);
      for (let i = 0; i < plays; i++) {
        const id = pick(tracks);
        const end = nextTs();
        batch.push({ type: "track_start", track_id: id, timestamp: end - 1 });
        batch.push({ type: "track_end", track_id: id, position_ms: 45_000, timestamp: end });
      }
      batch.push({ type: "search", query: "crash loop", result_count: 3, timestamp: nextTs() });
      a.pending = { kind: "events", apply: (s) => s };
      const res = await call(a.token, "/v1/me/player/events", "POST", batch);
      if (res.status !== 200) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
      for (let o = res.body.first_offset; o <= res.body.last_offset; o++) a.acked.push(o);
      report.acknowledged.events += res.body.last_offset - res.body.first_offset + 1;
    }
    a.pending = undefined;
  };

  for (let k = 0; k < opts.kills; k++) {
    let stop = false;
    const workers = actors.map(async (a) => {
      while (!stop) {
        try {
          await step(a);
        } catch (e) {
          if (e instanceof ServerGone) return;
          throw e;
        }
      }
    });
    const loadMs = minLoad + rand() * (maxLoad - minLoad);
    await Promise.race([new Promise((r) => setTimeout(r, loadMs)), Promise.all(workers)]);
    await server.kill9();
    stop = true;
    await Promise.all(workers);
    report.kills++;
    report.inFlightAtKill += actors.filter((a) => a.pending).length;

    const t0 = Date.now();
    server = await startServer({ data, libraries: [library], extraArgs: serverArgs, env: serverEnv });
    report.restartMs.push(Date.now() - t0);
    const replay = (k + 1) % (opts.replayEvery ?? 1) === 0 || k + 1 === opts.kills;
    try {
      await verify(server, actors, call, report, replay);
    } catch (e) {
      // A failed check must not leave a server running (the test process would never exit).
      await server.kill9();
      throw e;
    }
    log(
      `kill ${k + 1}/${opts.kills}: after ${Math.round(loadMs)} ms of load; restart ${report.restartMs.at(-1)} ms; ` +
        `acknowledged so far: ${JSON.stringify(report.acknowledged)}`,
    );
  }
  await server.stop();
  return report;
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

async function pages(call: (t: string, p: string) => Promise<Req>, token: string, first: string): Promise<{ items: any[]; total: number }> {
  const items: any[] = [];
  let total = -1;
  let next: string | null = first;
  while (next) {
    const r = await call(token, next);
    if (r.status !== 200) throw new Error(`GET ${next}: ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...r.body.items);
    total = r.body.total;
    next = r.body.next ? new URL(r.body.next).pathname + new URL(r.body.next).search : null;
  }
  return { items, total };
}

async function verify(
  server: Server,
  actors: Actor[],
  call: (t: string, p: string, m?: string, b?: unknown) => Promise<Req>,
  report: CrashLoopReport,
  replay: boolean,
): Promise<void> {
  for (const a of actors) {
    const who = a.user.name;
    // Tokens issued before the kills still work (an acknowledged token is not lost either).
    const pl = await call(a.token, `/v1/playlists/${a.playlist}`);
    if (pl.status !== 200) throw new Error(`${who}: GET playlist after restart: ${pl.status} ${JSON.stringify(pl.body)}`);
    const { items, total } = await pages(call, a.token, `/v1/playlists/${a.playlist}/tracks?limit=100`);
    const live: LiveState = {
      items: items.map((it) => it.track.uri.replace(/^segue:/, "spotify:")),
      name: pl.body.name,
      library: new Set(),
      privateSession: false,
    };
    if (total !== items.length || pl.body.tracks.total !== items.length)
      throw new Error(`${who}: playlist says ${pl.body.tracks.total} (page total ${total}) but has ${items.length} items`);
    const lib = await pages(call, a.token, "/v1/me/tracks?limit=50");
    if (lib.total !== lib.items.length) throw new Error(`${who}: library total ${lib.total} but ${lib.items.length} items`);
    live.library = new Set(lib.items.map((it) => it.track.id));
    const prefs = await call(a.token, "/v1/me/preferences");
    live.privateSession = prefs.body.private_session;

    const expected: LiveState = { items: a.items.map((u) => u.replace(/^segue:/, "spotify:")), name: a.playlistName, library: a.library, privateSession: a.privateSession };
    const equal = (x: LiveState, y: LiveState) =>
      same(x.items, y.items) && x.name === y.name && sameSet(x.library, y.library) && x.privateSession === y.privateSession;
    if (!equal(live, expected)) {
      // Only the request the kill cut may have landed, and only entirely.
      const p = a.pending;
      if (!p || !equal(live, p.apply(expected))) {
        throw new Error(
          `${who}: state after restart differs from what was acknowledged` +
            `${p ? ` (and from the in-flight ${p.kind} request)` : ""}:\n` +
            `  playlist ${JSON.stringify(live.items)} vs ${JSON.stringify(expected.items)}\n` +
            `  name ${live.name} vs ${expected.name}\n  library ${[...live.library].sort()} vs ${[...expected.library].sort()}\n` +
            `  private_session ${live.privateSession} vs ${expected.privateSession}`,
        );
      }
      a.items = live.items;
      a.playlistName = live.name;
      a.library = live.library;
      a.privateSession = live.privateSession;
      report.landedInFlight++;
    }
    a.pending = undefined;

    // Events: every acknowledged offset is in the export, none twice.
    const ex = await fetch(server.url("/v1/me/export"), { headers: { authorization: `Bearer ${a.token}` } });
    if (ex.status !== 200) throw new Error(`${who}: export ${ex.status}`);
    const exported = (await ex.text()).split("\n").filter((l) => l).map((l) => JSON.parse(l));
    const offsets = exported.map((e) => e.offset);
    if (new Set(offsets).size !== offsets.length) throw new Error(`${who}: an event is in the log twice`);
    const have = new Set(offsets);
    const lost = a.acked.filter((o) => !have.has(o));
    if (lost.length) throw new Error(`${who}: ${lost.length} acknowledged events lost (e.g. offset ${lost[0]})`);
    (a as any).exported = exported;
  }

  // The consumers catch up, then derived counts equal recounts.
  await waitLagZero(server);
  for (const a of actors) {
    const exported: any[] = (a as any).exported;
    const plays = exported.filter((e) => e.type === "track_end" && !e.private_session && e.position_ms >= 30_000).length;
    const hist = await recentlyPlayedCount(call, a.token);
    if (hist !== plays) throw new Error(`${a.user.name}: recently-played has ${hist} plays, the log ${plays}`);
  }
  if (replay) {
    compareWithReplay(server.data);
    report.replayComparisons++;
  }
  report.checks++;
}

async function recentlyPlayedCount(call: (t: string, p: string) => Promise<Req>, token: string): Promise<number> {
  let n = 0;
  let before: string | undefined;
  for (;;) {
    const r = await call(token, `/v1/me/player/recently-played?limit=50${before ? `&before=${before}` : ""}`);
    if (r.status !== 200) throw new Error(`recently-played: ${r.status}`);
    n += r.body.items.length;
    if (!r.body.next || r.body.items.length === 0) return n;
    before = r.body.cursors.before;
  }
}

async function waitLagZero(server: Server): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = "";
  while (Date.now() < deadline) {
    const m = await (await fetch(server.url("/metrics"))).text();
    const lags = [...m.matchAll(/^segue_events_(\w+)_lag (\S+)$/gm)];
    last = lags.map((x) => `${x[1]}=${x[2]}`).join(" ");
    if (lags.length > 0 && lags.every((x) => Number(x[2]) === 0)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`event consumers did not catch up: ${last}`);
}

function sqlite(db: string, sql: string): string {
  // The dumps grow with the log (MBs after 100 kills): well past spawnSync's 1 MB default.
  const r = spawnSync("sqlite3", ["-readonly", db, sql], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`sqlite3 ${db}: ${r.error ?? r.stderr}`);
  return r.stdout;
}

// What each consumer derived (plays, history rows, top items; decayed scores rounded).
const CONSUMER_DUMPS: Record<string, string[]> = {
  history: ["SELECT user_id, played_at, seq, track_id, context_uri FROM event_history ORDER BY user_id, played_at, seq"],
  popularity: [
    "SELECT kind, id, plays, printf('%.6g', score), last_played FROM event_item_stats ORDER BY kind, id",
    "SELECT artist_id, track_id FROM event_artist_tracks ORDER BY 1, 2",
  ],
  top_items: ["SELECT user_id, kind, id, plays, printf('%.6g', s_short), printf('%.6g', s_medium), printf('%.6g', s_long), last_played FROM event_user_top ORDER BY 1, 2, 3"],
  // The recommendation models' signals (issue 18) and the home bandit's click rewards.
  taste: [
    "SELECT user_id, kind, id, plays, printf('%.6g', play_score), skips, printf('%.6g', skip_score), clicks, printf('%.6g', click_score), last_ms FROM taste_signals ORDER BY 1, 2, 3",
    "SELECT user_id, at_ms, section, item_uri, offset_id FROM home_clicks ORDER BY 1, 2, 5",
  ],
};

function psql(url: string, sql: string): string {
  const r = spawnSync("psql", [url, "-X", "-A", "-t", "-F", "|", "-c", sql], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`psql: ${r.error ?? r.stderr}`);
  return r.stdout;
}

/** On PostgreSQL: the same comparison on a pg_dump copy of the server's database (every
 * consumer's state lives there; scores printed as float4, as %.6g does on SQLite). */
function compareWithReplayPostgres(data: string): void {
  compareWithReplayFrom(databaseFor(data)!, path.join(data, "secret.key"));
}

/** The same comparison for any PostgreSQL database `from` (a cluster's), whose nodes share the
 * key in `keyFile`; the copy goes to a database of this test run's PostgreSQL. */
export function compareWithReplayFrom(from: string, keyFile: string): void {
  const copy = tempDir("segue-recount-");
  const to = databaseFor(copy)!;
  const dump = spawnSync("pg_dump", ["--no-owner", from], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (dump.status !== 0) throw new Error(`pg_dump: ${dump.stderr}`);
  const load = spawnSync("psql", [to, "-X", "-q", "-v", "ON_ERROR_STOP=1"], { input: dump.stdout, encoding: "utf8", maxBuffer: 1 << 30 });
  if (load.status !== 0) throw new Error(`psql restore: ${load.stderr}`);
  fs.copyFileSync(keyFile, path.join(copy, "secret.key"));
  // Scores to 6 significant digits, as printf('%.6g') gives on SQLite. The score columns are
  // marked in the query, since PostgreSQL prints a whole-valued double without a decimal point
  // ("3683842263749") and a value that is not as "3683842263749.5".
  const pg = (q: string) => q.replace(/printf\('%\.6g', (\w+)\)/g, "'g:' || $1::text");
  const six = (out: string) =>
    out.split("\n").map((line) => line.split("|").map((v) => (v.startsWith("g:") ? Number(v.slice(2)).toPrecision(6) : v)).join("|")).join("\n");
  const psqlSix = (url: string, q: string) => six(psql(url, pg(q)));
  for (const [name, dumps] of Object.entries(CONSUMER_DUMPS)) {
    const before = dumps.map((q) => psqlSix(to, q));
    const r = runSegue(["events", "--data", copy, "--replay", name]);
    if (r.status !== 0) throw new Error(`segue events --replay ${name}: ${r.stderr}`);
    const after = dumps.map((q) => psqlSix(to, q));
    for (let i = 0; i < dumps.length; i++) {
      if (before[i] === after[i]) continue;
      const b = before[i].split("\n"), a = after[i].split("\n");
      let j = 0;
      while (j < Math.min(b.length, a.length) && b[j] === a[j]) ++j;
      throw new Error(`consumer ${name} differs from its replay (${dumps[i]}): ${b.length} vs ${a.length} rows; first difference: ${b[j]} vs ${a[j]}`);
    }
  }
}

/** Copies the (quiescent) databases with sqlite3 .backup, replays every consumer on the copy
 * and compares its tables with what the running server derived. */
function compareWithReplay(data: string): void {
  if (TEST_POSTGRES) return compareWithReplayPostgres(data);
  const copy = tempDir("segue-recount-");
  const derived = path.join(data, "events-derived");
  fs.mkdirSync(path.join(copy, "events-derived"));
  const backup = (from: string, to: string) => {
    const r = spawnSync("sqlite3", [from, `.backup '${to}'`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sqlite3 backup ${from}: ${r.stderr}`);
  };
  backup(path.join(data, "segue.db"), path.join(copy, "segue.db"));
  for (const f of fs.readdirSync(derived)) if (f.endsWith(".db")) backup(path.join(derived, f), path.join(copy, "events-derived", f));
  fs.copyFileSync(path.join(data, "secret.key"), path.join(copy, "secret.key"));
  const names = fs.readdirSync(path.join(copy, "events-derived")).filter((f) => f.endsWith(".db")).map((f) => f.slice(0, -3));
  if (names.length === 0) throw new Error("no consumer databases in events-derived/");
  for (const name of names) {
    const dumps = CONSUMER_DUMPS[name];
    if (!dumps) throw new Error(`no recount query for consumer ${name}: add one to CONSUMER_DUMPS`);
    const db = path.join(copy, "events-derived", `${name}.db`);
    const before = dumps.map((q) => sqlite(db, q));
    const r = runSegue(["events", "--data", copy, "--replay", name]);
    if (r.status !== 0) throw new Error(`segue events --replay ${name}: ${r.stderr}`);
    const after = dumps.map((q) => sqlite(db, q));
    for (let i = 0; i < dumps.length; i++) {
      if (before[i] !== after[i]) {
        const b = before[i].split("\n");
        const a = after[i].split("\n");
        const j = b.findIndex((line, k) => line !== a[k]);
        throw new Error(`consumer ${name} differs from its replay (${dumps[i]}): ${b.length} vs ${a.length} rows; first difference: ${b[j]} vs ${a[j]}`);
      }
    }
  }
  fs.rmSync(copy, { recursive: true, force: true });
}
