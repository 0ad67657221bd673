// Smart playlists end to end (issue 18): rule playlists made over HTTP fill from a custom
// catalog; plays, saves and newly scanned files move tracks in without anyone touching the
// playlist (the server refreshes after each catalog change and every smart_refresh_interval,
// here 1 s, so the tests poll the playlist for up to 15 s); a Navidrome .nsp file imports;
// rules are private to who may read the playlist and the owner's to change; bad rules are
// refused in Spotify's error shape and create or change nothing.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let lib: string;
let csvDir: string;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
const titleOf = new Map<string, string>(); // track id -> title
const idOf = new Map<string, string>(); // title -> track id

const call = (who: string, method: string, p: string, body?: unknown, raw?: string) =>
  api(server.base, p, { token: tokens[who], method, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });

function makeLibrary(dir: string, rows: string[]) {
  const csv = path.join(csvDir, `${path.basename(dir)}.csv`);
  fs.writeFileSync(csv, ["title,artist,album,genre,year", ...rows].join("\n") + "\n");
  const made = runSegue(["demo-library", dir, "--catalog", csv], undefined, 120_000);
  assert.equal(made.status, 0, made.stderr);
}

async function learnTracks() {
  const albums = await call("alice", "GET", "/v1/browse/new-releases?limit=50");
  for (const a of albums.body.albums.items) {
    const t = await call("alice", "GET", `/v1/albums/${a.id}/tracks?limit=50`);
    for (const x of t.body.items) {
      titleOf.set(x.id, x.name);
      idOf.set(x.name, x.id);
    }
  }
}

async function titles(who: string, id: string): Promise<string[]> {
  const r = await call(who, "GET", `/v1/playlists/${id}/tracks?limit=100`);
  assert.equal(r.status, 200, r.text);
  // A track this node's catalog does not have yet is null (in a cluster a node follows another's
  // scan within a second): "?" until it has.
  return r.body.items.map((i: any) => i.track?.name ?? "?");
}

// Polls the playlist until `holds` is true of its titles (refreshes run in the background).
async function waitTitles(id: string, holds: (t: string[]) => boolean, what: string): Promise<string[]> {
  let last: string[] = [];
  for (let i = 0; i < 150; i++) {
    last = await titles("alice", id);
    if (holds(last)) return last;
    await sleep(100);
  }
  assert.fail(`${what}: the playlist still holds ${JSON.stringify(last)} after 15 s`);
}

function play(track: string, at: number) {
  return [
    { type: "track_start", track_id: track, timestamp: at - 45_000 },
    { type: "track_end", track_id: track, position_ms: 45_000, timestamp: at },
  ];
}

async function myPlaylistCount(who: string): Promise<number> {
  const r = await call(who, "GET", "/v1/me/playlists?limit=50");
  assert.equal(r.status, 200, r.text);
  return r.body.total;
}

before(async () => {
  data = tempDir("segue-smart-");
  for (const name of ["alice", "bob"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  csvDir = tempDir("segue-smart-csv-");
  lib = path.join(tempDir("segue-smart-lib-"), "library");
  makeLibrary(lib, [
    "Harbor Dawn,Ash Harbor,Harbor Songs,Folk,1994",
    "Harbor Noon,Ash Harbor,Harbor Songs,Folk,1994",
    "Harbor Dusk,Ash Harbor,Harbor Songs,Folk,1994",
    "Drift One,Cobalt Drift,Drift,Electronic,2021",
    "Drift Two,Cobalt Drift,Drift,Electronic,2021",
    "Old Smoke,Ember Quartet,Ember Sessions,Jazz,1965",
    "Old Rain,Ember Quartet,Ember Sessions,Jazz,1965",
  ]);
  server = await startServer({ data, libraries: [lib], extraArgs: ["--rescan-interval", "1", "--smart-refresh-interval", "1"] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  await learnTracks();
  assert.equal(idOf.size, 7);
});
after(async () => server?.stop());

let folk = ""; // alice's private "Folk of the 90s"

describe("a rule playlist", () => {
  it("is created with its rules and filled at once, sorted", async () => {
    const r = await call("alice", "POST", "/v1/me/smart-playlists", {
      name: "Folk of the 90s",
      description: "made by rules",
      public: false,
      rules: { all: [{ is: { Genre: "folk" } }, { inTheRange: { year: [1990, 1999] } }], sort: "title" },
    });
    assert.equal(r.status, 201, r.text);
    folk = r.body.id;
    assert.equal(r.body.name, "Folk of the 90s");
    assert.equal(r.body.public, false);
    assert.equal(r.body.tracks.total, 3);
    // The canonical form: Segue's field names, the sort as a string.
    assert.deepEqual(r.body.rules, { all: [{ is: { genre: "folk" } }, { inTheRange: { year: [1990, 1999] } }], sort: "title" });
    assert.deepEqual(await titles("alice", folk), ["Harbor Dawn", "Harbor Dusk", "Harbor Noon"]);
    const g = await call("alice", "GET", `/v1/playlists/${folk}/rules`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.smart, true);
    assert.deepEqual(g.body.rules, r.body.rules);
    assert.ok(Date.parse(g.body.refreshed_at) > Date.now() - 60_000, g.text);
  });

  it("is an ordinary playlist too: listed, readable, with a version history", async () => {
    const mine = await call("alice", "GET", "/v1/me/playlists?limit=50");
    assert.ok(mine.body.items.some((p: any) => p.id === folk));
    const v = await call("alice", "GET", `/v1/playlists/${folk}/versions`);
    assert.equal(v.status, 200, v.text);
    assert.ok(v.body.items.length >= 1);
    // An ordinary playlist has no rules.
    const plain = await call("alice", "POST", "/v1/me/playlists", { name: "plain", public: false });
    const g = await call("alice", "GET", `/v1/playlists/${plain.body.id}/rules`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.smart, false);
    assert.equal(g.body.rules, null);
  });

  it("takes new rules from its owner and refills at once", async () => {
    const r = await call("alice", "PUT", `/v1/playlists/${folk}/rules`, { any: [{ is: { genre: "electronic" } }], sort: "-title" });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.rules, { any: [{ is: { genre: "electronic" } }], sort: "-title" });
    assert.deepEqual(await titles("alice", folk), ["Drift Two", "Drift One"]);
    const back = await call("alice", "PUT", `/v1/playlists/${folk}/rules`, {
      all: [{ is: { genre: "folk" } }, { inTheRange: { year: [1990, 1999] } }],
      sort: "title",
    });
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(await titles("alice", folk), ["Harbor Dawn", "Harbor Dusk", "Harbor Noon"]);
  });
});

describe("staying current", () => {
  it("moves a track into a 'played more than once' playlist after it is played", async () => {
    const r = await call("alice", "POST", "/v1/me/smart-playlists", {
      name: "On repeat",
      public: false,
      rules: { all: [{ gt: { playcount: 1 } }], sort: "-playcount" },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.tracks.total, 0);
    const t0 = Date.now() - 600_000;
    const events = [
      ...play(idOf.get("Drift One")!, t0 + 60_000),
      ...play(idOf.get("Drift One")!, t0 + 120_000),
      ...play(idOf.get("Drift One")!, t0 + 180_000),
      ...play(idOf.get("Old Rain")!, t0 + 240_000),
      ...play(idOf.get("Old Rain")!, t0 + 300_000),
      ...play(idOf.get("Old Smoke")!, t0 + 360_000), // once: stays out
    ];
    const sent = await call("alice", "POST", "/v1/me/player/events", events);
    assert.equal(sent.status, 200, sent.text);
    await waitConsumers(server, ["top_items"]);
    const got = await waitTitles(r.body.id, (t) => t.length === 2, "two tracks played more than once");
    assert.deepEqual(got, ["Drift One", "Old Rain"]); // by play count, most first
    // bob's plays are bob's: alice's playlist does not move.
    const bobs = await call("bob", "POST", "/v1/me/player/events", [...play(idOf.get("Old Smoke")!, t0 + 400_000), ...play(idOf.get("Old Smoke")!, t0 + 450_000)]);
    assert.equal(bobs.status, 200, bobs.text);
    await waitConsumers(server, ["top_items"]);
    await sleep(2_500); // two refresh intervals
    assert.deepEqual(await titles("alice", r.body.id), ["Drift One", "Old Rain"]);
  });

  it("adds a track when its owner saves it", async () => {
    const r = await call("alice", "POST", "/v1/me/smart-playlists", { name: "Saved jazz", public: false, rules: { all: [{ is: { loved: true } }, { is: { genre: "jazz" } }] } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.tracks.total, 0);
    const s = await call("alice", "PUT", `/v1/me/tracks?ids=${idOf.get("Old Smoke")}`);
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(await waitTitles(r.body.id, (t) => t.length === 1, "the saved track"), ["Old Smoke"]);
  });

  it("picks up a newly scanned file that matches", async () => {
    makeLibrary(path.join(lib, "later"), ["Harbor Midnight,Ash Harbor,Harbor Later,Folk,1997", "Drift Three,Cobalt Drift,Drift Later,Electronic,2022"]);
    const got = await waitTitles(folk, (t) => t.includes("Harbor Midnight"), "the new folk track");
    assert.deepEqual(got, ["Harbor Dawn", "Harbor Dusk", "Harbor Midnight", "Harbor Noon"]);
  });
});

describe("Navidrome .nsp import", () => {
  it("creates a smart playlist named and described by the file", async () => {
    const nsp = JSON.stringify({
      name: "Old jazz",
      comment: "before 1970, one track",
      all: [{ is: { genre: "Jazz" } }, { lt: { year: 1970 } }, { gt: { playCount: -1 } }],
      sort: "title",
      order: "desc",
      limit: 1,
    });
    const r = await call("alice", "POST", "/v1/me/smart-playlists/import", undefined, nsp);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.name, "Old jazz");
    assert.equal(r.body.description, "before 1970, one track");
    assert.equal(r.body.public, false);
    assert.deepEqual(r.body.rules, { all: [{ is: { genre: "Jazz" } }, { lt: { year: 1970 } }, { gt: { playcount: -1 } }], sort: "-title", limit: 1 });
    assert.deepEqual(await titles("alice", r.body.id), ["Old Smoke"]);
    // ?name= wins over the file's name.
    const named = await call("alice", "POST", "/v1/me/smart-playlists/import?name=Renamed", undefined, nsp);
    assert.equal(named.status, 201, named.text);
    assert.equal(named.body.name, "Renamed");
  });

  it("refuses an unknown Navidrome field by name and creates nothing", async () => {
    const before = await myPlaylistCount("alice");
    const r = await call("alice", "POST", "/v1/me/smart-playlists/import", undefined, JSON.stringify({ name: "x", all: [{ gt: { rating: 3 } }] }));
    assert.equal(r.status, 400, r.text);
    assert.ok(isSpotifyError(r.body, 400), r.text);
    assert.match(r.body.error.message, /unknown field 'rating'/);
    const noName = await call("alice", "POST", "/v1/me/smart-playlists/import", undefined, JSON.stringify({ all: [{ gt: { year: 3 } }] }));
    assert.equal(noName.status, 400, noName.text);
    assert.match(noName.body.error.message, /name/);
    assert.equal(await myPlaylistCount("alice"), before);
  });
});

describe("who may read and change rules", () => {
  it("hides a private playlist's rules from another user and lets them change nothing", async () => {
    const g = await call("bob", "GET", `/v1/playlists/${folk}/rules`);
    assert.equal(g.status, 404, g.text);
    assert.ok(isSpotifyError(g.body, 404), g.text);
    const p = await call("bob", "PUT", `/v1/playlists/${folk}/rules`, { all: [{ is: { genre: "jazz" } }] });
    assert.equal(p.status, 404, p.text);
    const mine = await call("alice", "GET", `/v1/playlists/${folk}/rules`);
    assert.deepEqual(mine.body.rules.all[0], { is: { genre: "folk" } });
  });

  it("shows a public playlist's rules to others but keeps them the owner's to change", async () => {
    const r = await call("alice", "POST", "/v1/me/smart-playlists", { name: "Public electronic", public: true, rules: { all: [{ is: { genre: "electronic" } }] } });
    assert.equal(r.status, 201, r.text);
    const g = await call("bob", "GET", `/v1/playlists/${r.body.id}/rules`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body.rules, { all: [{ is: { genre: "electronic" } }] });
    const p = await call("bob", "PUT", `/v1/playlists/${r.body.id}/rules`, { all: [{ is: { genre: "jazz" } }] });
    assert.equal(p.status, 403, p.text);
    assert.ok(isSpotifyError(p.body, 403), p.text);
    const after = await call("alice", "GET", `/v1/playlists/${r.body.id}/rules`);
    assert.deepEqual(after.body.rules, { all: [{ is: { genre: "electronic" } }] });
  });
});

describe("bad rules", () => {
  it("are answered 400 in Spotify's shape, naming the problem, and create or change nothing", async () => {
    const before = await myPlaylistCount("alice");
    const cases: [unknown, RegExp][] = [
      [{ all: [{ gt: { title: "a" } }] }, /gt does not apply to title/],
      [{ all: [{ is: { popularity: 3 } }] }, /unknown field 'popularity'/],
      [{ all: [{ around: { year: 3 } }] }, /unknown operator 'around'/],
      [{ all: [{ inTheRange: { year: [2000] } }] }, /inTheRange year/],
      [{ all: [{ before: { dateadded: "yesterday" } }] }, /YYYY-MM-DD/],
      [{ all: [{ is: { year: 1 } }], limit: 99999 }, /limit/],
      [{ sort: "year" }, /missing all or any/],
      ["not an object", /expected a JSON object/],
    ];
    for (const [rules, message] of cases) {
      const r = await call("alice", "POST", "/v1/me/smart-playlists", { name: "bad", public: false, rules });
      assert.equal(r.status, 400, `${JSON.stringify(rules)}: ${r.text}`);
      assert.ok(isSpotifyError(r.body, 400), r.text);
      assert.match(r.body.error.message, message);
    }
    const missing = await call("alice", "POST", "/v1/me/smart-playlists", { name: "no rules", public: false });
    assert.equal(missing.status, 400, missing.text);
    assert.equal(await myPlaylistCount("alice"), before);
    // Bad new rules leave the old ones and the items alone.
    const snapshot = (await call("alice", "GET", `/v1/playlists/${folk}`)).body.snapshot_id;
    const p = await call("alice", "PUT", `/v1/playlists/${folk}/rules`, { all: [{ lt: { genre: 3 } }] });
    assert.equal(p.status, 400, p.text);
    assert.ok(isSpotifyError(p.body, 400), p.text);
    assert.deepEqual((await call("alice", "GET", `/v1/playlists/${folk}/rules`)).body.rules.all[0], { is: { genre: "folk" } });
    assert.equal((await call("alice", "GET", `/v1/playlists/${folk}`)).body.snapshot_id, snapshot);
  });
});
