// `segue migrate --data DIR --to postgresql://...` (issue 16): an instance populated through the
// API on SQLite is copied into an empty PostgreSQL database, restarted on it, and answers every
// recorded request the same, with the same access token; a non-empty target is refused with
// nothing written. PostgreSQL runs only (SEGUE_TEST_POSTGRES).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { TEST_POSTGRES, databaseFor, demoLibrary, runSegue, startServer, tempDir, type Client, type Server, type User } from "../lib/server.ts";
import { DEMO_TRACK_COUNT } from "../lib/demo.ts";
import { ALL_SCOPES, api, login, refresh } from "../lib/oauth.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
// The source instance must run on SQLite although this is a PostgreSQL run: `--data=DIR` (one
// argument) keeps the harness from pointing SEGUE_DATABASE at a database for DIR, and servers get
// an empty SEGUE_DATABASE.
const SQLITE = { SEGUE_DATABASE: "", SEGUE_ANALYSIS_WORKERS: "2" };

function addUserSqlite(data: string, name: string): User {
  const password = `pw-${name}-correct horse`;
  const r = runSegue(["user", "add", name, `--data=${data}`], password + "\n");
  assert.equal(r.status, 0, r.stderr);
  const id = /\(id ([0-9A-Za-z]{22})/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  return { name, password, id };
}

function addClientSqlite(data: string, name: string): Client {
  const r = runSegue(["client", "add", name, "--redirect-uri", REDIRECT, `--data=${data}`]);
  assert.equal(r.status, 0, r.stderr);
  const id = /^client_id: (\S+)$/m.exec(r.stdout)![1];
  const secret = /^client_secret: (\S+)$/m.exec(r.stdout)![1];
  return { id, secret, redirectUri: REDIRECT, isPublic: false };
}

function psql(url: string, sql: string): string {
  const r = spawnSync("psql", [url, "-qAt", "-c", sql], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function metric(server: Server, name: string): Promise<number> {
  const text = await (await fetch(server.url("/metrics"))).text();
  const m = new RegExp(`^${name}\\s+(\\S+)`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

describe("segue migrate", { skip: TEST_POSTGRES ? false : "SQLite run" }, () => {
  let server: Server | undefined;
  after(async () => server?.stop());

  const data = tempDir("segue-data-");
  const target = TEST_POSTGRES ? databaseFor(tempDir("segue-target-"))! : "";
  let alice: User;
  let bob: User;
  let client: Client;
  let ta = "";
  let tb = "";
  let refreshA = "";
  let playlistId = "";
  let firstSnapshot = "";
  let tracks: string[] = [];
  const recorded = new Map<string, { status: number; text: string }>();

  async function get(token: string, p: string) {
    const r = await fetch(server!.url(p), { headers: { authorization: `Bearer ${token}` } });
    // Links name the server's address, which changes with the restart.
    return { status: r.status, text: (await r.text()).replaceAll(server!.base, "BASE") };
  }
  async function call(token: string, method: string, p: string, body?: object) {
    return api(server!.base, p, { token, method, body: body ? JSON.stringify(body) : undefined });
  }
  function requests(): [string, string][] {
    const ids = tracks.slice(0, 6).join(",");
    return [
      [ta, "/v1/me"],
      [ta, "/v1/me/tracks?limit=50"],
      [ta, `/v1/me/tracks/contains?ids=${ids}`],
      [ta, "/v1/me/albums"],
      [ta, "/v1/me/playlists"],
      [ta, `/v1/playlists/${playlistId}`],
      [ta, `/v1/playlists/${playlistId}/tracks`],
      [ta, `/v1/playlists/${playlistId}/versions`],
      [ta, `/v1/playlists/${playlistId}/versions/${firstSnapshot}`],
      [ta, `/v1/playlists/${playlistId}/ops?since=${firstSnapshot}`],
      [ta, "/v1/me/player/recently-played?limit=50"],
      [ta, "/v1/me/top/tracks?time_range=short_term"],
      [ta, "/v1/me/top/artists?time_range=long_term"],
      [ta, "/v1/me/search/recent"],
      [ta, "/v1/me/preferences"],
      [ta, `/v1/audio-features?ids=${ids}`],
      [ta, `/v1/tracks?ids=${ids}`],
      [ta, "/v1/search?q=lanterns&type=track,album,artist,playlist"],
      [ta, "/v1/me/export"],
      [tb, "/v1/me"],
      [tb, "/v1/me/playlists"],
      [tb, "/v1/me/player/recently-played"],
      [tb, "/v1/me/preferences"],
    ];
  }

  it("populates an instance on SQLite through the API", async () => {
    alice = addUserSqlite(data, "alice");
    bob = addUserSqlite(data, "bob");
    client = addClientSqlite(data, "app");
    server = await startServer({ data, libraries: [demoLibrary()], env: SQLITE });
    assert.ok(fs.existsSync(path.join(data, "segue.db")), "the source runs on SQLite");
    const la = await login(server.base, client, alice, ALL_SCOPES);
    ta = la.access_token;
    refreshA = la.refresh_token!;
    tb = (await login(server.base, client, bob, ALL_SCOPES)).access_token;
    const albums = (await call(ta, "GET", "/v1/browse/new-releases?limit=50")).body.albums.items;
    for (const a of albums) {
      const t = await call(ta, "GET", `/v1/albums/${a.id}/tracks?limit=50`);
      for (const x of t.body.items) tracks.push(x.id);
    }
    assert.ok(tracks.length >= 8);
    const uris = tracks.map((id) => `segue:track:${id}`);

    assert.equal((await call(ta, "PUT", `/v1/me/tracks?ids=${tracks.slice(0, 4).join(",")}`)).status, 200);
    assert.equal((await call(ta, "PUT", `/v1/me/albums?ids=${albums[0].id}`)).status, 200);
    assert.equal((await call(ta, "DELETE", `/v1/me/tracks?ids=${tracks[1]}`)).status, 200);

    const p = (await call(ta, "POST", "/v1/me/playlists", { name: "Road trip", description: "before" })).body;
    playlistId = p.id;
    firstSnapshot = (await call(ta, "POST", `/v1/playlists/${p.id}/tracks`, { uris: uris.slice(0, 3) })).body.snapshot_id;
    assert.equal((await call(ta, "POST", `/v1/playlists/${p.id}/tracks`, { uris: [uris[5]], position: 0 })).status, 201);
    assert.equal((await call(ta, "PUT", `/v1/playlists/${p.id}/tracks`, { uris: [uris[7], uris[6]] })).status, 200);
    assert.equal((await call(ta, "PUT", `/v1/playlists/${p.id}`, { name: "Road trip 2", description: "after" })).status, 200);
    assert.equal((await call(ta, "POST", `/v1/playlists/${p.id}/versions/${firstSnapshot}/restore`)).status, 200);
    assert.equal((await call(tb, "POST", "/v1/me/playlists", { name: "Bob's", public: false })).status, 201);

    const now = Date.now();
    const plays: object[] = [];
    for (let i = 0; i < 6; ++i) {
      const at = now - (6 - i) * 60_000;
      plays.push({ type: "track_start", track_id: tracks[i % 3], timestamp: at - 45_000 });
      plays.push({ type: "track_end", track_id: tracks[i % 3], position_ms: 45_000, timestamp: at });
    }
    assert.equal((await call(ta, "POST", "/v1/me/player/events", plays)).status, 200);
    assert.equal((await call(tb, "POST", "/v1/me/player/events", plays.slice(0, 2))).status, 200);
    assert.equal((await call(tb, "PUT", "/v1/me/preferences", { private_session: true })).status, 200);
    for (const q of ["lanterns", "marlow"])
      assert.equal((await call(ta, "POST", "/v1/me/search/recent", { query: q })).status, 204);

    // Analysis of the whole library, so audio-features answer from stored results.
    const deadline = Date.now() + 120_000;
    while ((await metric(server, "segue_analysis_files_analyzed")) < DEMO_TRACK_COUNT && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));

    for (const [token, p] of requests()) {
      const r = await get(token, p);
      assert.equal(r.status, 200, `${p}: ${r.text.slice(0, 300)}`);
      recorded.set(`${token === ta ? "alice" : "bob"} ${p}`, r);
    }
    assert.equal(JSON.parse(recorded.get(`alice /v1/me/player/recently-played?limit=50`)!.text).items.length, 6);
    assert.equal((await server.stop()).code, 0);
    server = undefined;
    assert.ok(fs.existsSync(path.join(data, "events-derived", "history.db")), "the consumers kept their state in their own files");
  });

  it("refuses a target with any table, writing nothing", () => {
    const busy = databaseFor(tempDir("segue-busy-"))!;
    psql(busy, "CREATE TABLE notes (body TEXT)");
    const r = runSegue(["migrate", `--data=${data}`, "--to", busy]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /not empty \(1 tables: notes\)/);
    assert.equal(psql(busy, "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'"), "notes");
  });

  it("copies everything into an empty database, then refuses to copy again", () => {
    const r = runSegue(["migrate", `--data=${data}`, "--to", target]);
    assert.equal(r.status, 0, r.stderr);
    // Every table the server created is in the PostgreSQL schema (all_migrations() lists every module).
    assert.doesNotMatch(r.stderr, /skipped/);
    const m = /^migrate: (\d+) tables, (\d+) rows in [\d.]+ s/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) >= 20 && Number(m[2]) > 100, r.stdout);
    const users = psql(target, "SELECT string_agg(name, ',' ORDER BY name) FROM users");
    assert.equal(users, "alice,bob");
    // alice's 12 playback events, bob's 2, and the library changes.
    const rows = psql(target, "SELECT COUNT(*) FROM event_log");
    assert.ok(Number(rows) >= 14, rows);
    const again = runSegue(["migrate", `--data=${data}`, "--to", target]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /target database is not empty/);
    assert.equal(psql(target, "SELECT COUNT(*) FROM event_log"), rows, "the refused run wrote nothing");
  });

  it("restarts on PostgreSQL and answers every recorded request the same, with the same token", async () => {
    // Move the SQLite files away: whatever the server answers comes from PostgreSQL.
    fs.renameSync(path.join(data, "segue.db"), path.join(data, "segue.db.migrated"));
    if (fs.existsSync(path.join(data, "events-derived")))
      fs.renameSync(path.join(data, "events-derived"), path.join(data, "events-derived.migrated"));
    server = await startServer({ data, libraries: [demoLibrary()], extraArgs: ["--database", target], env: { SEGUE_ANALYSIS_WORKERS: "2" } });
    assert.ok(!fs.existsSync(path.join(data, "segue.db")), "the restarted server is on PostgreSQL");
    for (const [token, p] of requests()) {
      const before = recorded.get(`${token === ta ? "alice" : "bob"} ${p}`)!;
      const now = await get(token, p);
      assert.equal(now.status, before.status, p);
      if (before.text.startsWith("{") && !p.endsWith("/export")) assert.deepEqual(JSON.parse(now.text), JSON.parse(before.text), p);
      else assert.equal(now.text, before.text, p);
    }
    // The analysis was copied, not done again.
    assert.equal(await metric(server, "segue_analysis_files_analyzed"), DEMO_TRACK_COUNT);
  });

  it("keeps grants and sequences working after the move", async () => {
    const r = await refresh(server!.base, client, refreshA);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const fresh = r.body.access_token as string;
    assert.equal((await call(fresh, "GET", "/v1/me")).body.id, alice.id);
    assert.ok((await login(server!.base, client, bob, ALL_SCOPES)).access_token, "passwords were copied");
    // New events continue the log after the copied ones; playlists keep their history.
    const at = Date.now();
    const ev = [
      { type: "track_start", track_id: tracks[4], timestamp: at - 40_000 },
      { type: "track_end", track_id: tracks[4], position_ms: 40_000, timestamp: at },
    ];
    assert.equal((await call(fresh, "POST", "/v1/me/player/events", ev)).status, 200);
    const played = (await call(fresh, "GET", "/v1/me/player/recently-played?limit=50")).body.items;
    assert.equal(played.length, 7);
    assert.equal(played[0].track.id, tracks[4]);
    const add = await call(fresh, "POST", `/v1/playlists/${playlistId}/tracks`, { uris: [`segue:track:${tracks[4]}`] });
    assert.equal(add.status, 201);
    const versions = (await call(fresh, "GET", `/v1/playlists/${playlistId}/versions`)).body.items;
    assert.equal(versions[0].version, versions[1].version + 1);
    assert.equal((await call(fresh, "PUT", `/v1/me/tracks?ids=${tracks[7]}`)).status, 200);
  });
});
