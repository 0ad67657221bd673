// `segue smart` (issue 18): smart playlists from the command line, against the data directory a
// running server uses; what the CLI makes the server serves (and the API's list and delete
// routes see the same). Rules come as JSON from a file or stdin; Navidrome .nsp files import;
// bad input is refused with exit code 2 and a message naming what is wrong, and creates nothing.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { addClient, addUser, runSegue, startServer, tempDir, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { catalogLibrary, type CatalogRow } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let files: string;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};

const ROWS: CatalogRow[] = [
  ["Harbor Dawn", "Ash Harbor", "Harbor Songs", "Folk", 1994],
  ["Harbor Noon", "Ash Harbor", "Harbor Songs", "Folk", 1994],
  ["Drift One", "Cobalt Drift", "Drift", "Electronic", 2021],
  ["Drift Two", "Cobalt Drift", "Drift", "Electronic", 2021],
  ["Old Smoke", "Ember Quartet", "Ember Sessions", "Jazz", 1965],
];

const call = (who: string, method: string, p: string, body?: unknown) =>
  api(server.base, p, { token: tokens[who], method, body: body === undefined ? undefined : JSON.stringify(body) });
const smart = (args: string[], input?: string) => runSegue(["smart", ...args, "--data", data], input);

async function titles(id: string): Promise<string[]> {
  const r = await call("alice", "GET", `/v1/playlists/${id}/tracks?limit=50`);
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((i: any) => i.track?.name);
}
async function playlistCount(who: string): Promise<number> {
  const r = await call(who, "GET", "/v1/me/playlists?limit=50");
  assert.equal(r.status, 200, r.text);
  return r.body.total;
}
/** The playlist id a create or import line starts with. */
function idIn(stdout: string, name: string): string {
  const line = stdout.split("\n").find((l) => l.trimEnd().endsWith(name));
  assert.ok(line, `no line for ${name} in ${JSON.stringify(stdout)}`);
  const id = line.split(/\s+/)[0];
  assert.match(id, /^[0-9A-Za-z]{22}$/);
  return id;
}

before(async () => {
  data = tempDir("segue-cli-smart-");
  files = tempDir("segue-cli-smart-files-");
  for (const name of ["alice", "bob"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(ROWS, "segue-cli-smart-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
});
after(async () => server?.stop());

let folk = "";
let jazz = "";

describe("segue smart create", () => {
  it("makes a private smart playlist from rules on stdin, filled at once and served by the running server", async () => {
    const r = smart(["create", "--user", "alice", "--name", "Folk by CLI", "--description", "from stdin"],
      JSON.stringify({ all: [{ is: { Genre: "folk" } }], sort: "-title" }));
    assert.equal(r.status, 0, r.stderr);
    folk = idIn(r.stdout, "Folk by CLI");
    assert.match(r.stdout, /\b2 tracks\s+private\b/);
    assert.deepEqual(await titles(folk), ["Harbor Noon", "Harbor Dawn"]);
    const rules = await call("alice", "GET", `/v1/playlists/${folk}/rules`);
    assert.equal(rules.status, 200, rules.text);
    assert.deepEqual(rules.body.rules, { all: [{ is: { genre: "folk" } }], sort: "-title" });
    const p = await call("alice", "GET", `/v1/playlists/${folk}`);
    assert.equal(p.body.public, false);
    assert.equal(p.body.description, "from stdin");
  });

  it("reads the rules from a file, public with --public", async () => {
    const file = path.join(files, "jazz.json");
    fs.writeFileSync(file, JSON.stringify({ any: [{ is: { genre: "jazz" } }, { lt: { year: 1970 } }] }));
    const r = smart(["create", "--user", "alice", "--name", "Old jazz", "--public", "--rules", file]);
    assert.equal(r.status, 0, r.stderr);
    jazz = idIn(r.stdout, "Old jazz");
    assert.deepEqual(await titles(jazz), ["Old Smoke"]);
    assert.equal((await call("bob", "GET", `/v1/playlists/${jazz}`)).body.public, true);
  });

  it("refuses bad rules, naming the problem, with exit code 2, and creates nothing", async () => {
    const before = await playlistCount("alice");
    const cases: [string[], string | undefined, RegExp][] = [
      [["create", "--user", "alice", "--name", "x"], "{ not json", /not valid JSON/],
      [["create", "--user", "alice", "--name", "x"], JSON.stringify({ all: [{ gt: { rating: 3 } }] }), /rating/],
      [["create", "--user", "alice", "--name", "x"], JSON.stringify({ all: [{ gt: { title: 3 } }] }), /gt/],
      [["create", "--user", "alice", "--name", "x"], JSON.stringify({ all: [{ is: { genre: "folk" } }], limit: 20000 }), /limit/],
      [["create", "--user", "alice", "--name", "x", "--rules", path.join(files, "missing.json")], undefined, /cannot read/],
      [["create", "--user", "alice"], "{}", /--name/],
      [["create", "--name", "x"], "{}", /--user/],
      [["create", "--user", "nobody", "--name", "x"], JSON.stringify({ all: [{ is: { genre: "folk" } }] }), /no user nobody/],
      [["frobnicate", "--user", "alice"], undefined, /list, show, create, import or delete/],
      [["show", "--user", "alice"], undefined, /exactly one playlist ID/],
      [["show", "--user", "alice", "not-an-id!"], undefined, /not a playlist id/],
    ];
    for (const [args, input, message] of cases) {
      const r = smart(args, input);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout} ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
    assert.equal(await playlistCount("alice"), before);
  });
});

describe("segue smart import", () => {
  it("imports .nsp files, each named by the file's name or else by its file name; a bad file is refused alone", async () => {
    const before = await playlistCount("alice");
    const named = path.join(files, "named.nsp");
    fs.writeFileSync(named, JSON.stringify({ name: "Electronic (nsp)", comment: "from Navidrome", all: [{ contains: { genre: "electro" } }], sort: "title", order: "desc" }));
    const unnamed = path.join(files, "Ninety-four.nsp");
    fs.writeFileSync(unnamed, JSON.stringify({ all: [{ is: { year: "1994" } }], limit: 1, sort: "title" }));
    const bad = path.join(files, "bad.nsp");
    fs.writeFileSync(bad, JSON.stringify({ name: "bad", all: [{ inPlaylist: { id: "x" } }] }));
    const r = smart(["import", "--user", "alice", named, bad, unnamed]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /bad\.nsp: .*inPlaylist/);
    const electronic = idIn(r.stdout, "Electronic (nsp)");
    const ninety = idIn(r.stdout, "Ninety-four");
    assert.deepEqual(await titles(electronic), ["Drift Two", "Drift One"]);
    assert.deepEqual(await titles(ninety), ["Harbor Dawn"]);
    const p = await call("alice", "GET", `/v1/playlists/${electronic}`);
    assert.equal(p.body.description, "from Navidrome");
    assert.equal(p.body.public, false);
    assert.equal(await playlistCount("alice"), before + 2);
  });
});

describe("segue smart list, show and delete, and the API's list and delete", () => {
  it("lists the user's own smart playlists, newest first, as GET /v1/me/smart-playlists does", async () => {
    const r = smart(["list", "--user", "alice"]);
    assert.equal(r.status, 0, r.stderr);
    const ids = r.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
    assert.equal(ids.length, 4, r.stdout);
    assert.deepEqual(ids.slice(2), [jazz, folk]);
    const api1 = await call("alice", "GET", "/v1/me/smart-playlists?limit=3");
    assert.equal(api1.status, 200, api1.text);
    assert.equal(api1.body.total, 4);
    assert.deepEqual(api1.body.items.map((p: any) => p.id), ids.slice(0, 3));
    assert.ok(api1.body.next, "a next page");
    const page2 = await call("alice", "GET", "/v1/me/smart-playlists?limit=3&offset=3");
    assert.deepEqual(page2.body.items.map((p: any) => p.id), [folk]);
    assert.deepEqual(page2.body.items[0].rules, { all: [{ is: { genre: "folk" } }], sort: "-title" });
    assert.ok(Date.parse(page2.body.items[0].refreshed_at) > 0);
    // bob has none; his list shows none of alice's, public or not.
    const bobs = smart(["list", "--user", "bob"]);
    assert.equal(bobs.status, 0, bobs.stderr);
    assert.match(bobs.stdout, /bob has no smart playlists/);
    assert.equal((await call("bob", "GET", "/v1/me/smart-playlists")).body.total, 0);
    const badLimit = await call("alice", "GET", "/v1/me/smart-playlists?limit=0");
    assert.equal(badLimit.status, 400);
    assert.ok(isSpotifyError(badLimit.body, 400), badLimit.text);
  });

  it("shows one playlist's rules to whoever may read it", () => {
    const r = smart(["show", "--user", "alice", folk]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Folk by CLI/);
    assert.match(r.stdout, /rules: \{"all":\[\{"is":\{"genre":"folk"\}\}\],"sort":"-title"\}/);
    const other = smart(["show", "--user", "bob", folk]); // private: not bob's to see
    assert.equal(other.status, 2);
    assert.match(other.stderr, /not found/i);
    assert.equal(smart(["show", "--user", "bob", jazz]).status, 0); // public
  });

  it("deletes the rules: the playlist stays with its tracks and stops following them", async () => {
    assert.equal(smart(["delete", "--user", "bob", jazz]).status, 2); // not bob's
    const r = smart(["delete", "--user", "alice", folk]);
    assert.equal(r.status, 0, r.stderr);
    const rules = await call("alice", "GET", `/v1/playlists/${folk}/rules`);
    assert.equal(rules.body.smart, false);
    assert.deepEqual(await titles(folk), ["Harbor Noon", "Harbor Dawn"]);
    const again = smart(["delete", "--user", "alice", folk]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not a smart playlist/);
    // Through the API: bob may not, alice may, once.
    const denied = await call("bob", "DELETE", `/v1/playlists/${jazz}/rules`);
    assert.equal(denied.status, 403, denied.text);
    const gone = await call("alice", "DELETE", `/v1/playlists/${jazz}/rules`);
    assert.equal(gone.status, 204, gone.text);
    const twice = await call("alice", "DELETE", `/v1/playlists/${jazz}/rules`);
    assert.equal(twice.status, 404, twice.text);
    const list = await call("alice", "GET", "/v1/me/smart-playlists");
    assert.equal(list.body.total, 2);
    assert.ok(!list.body.items.some((p: any) => p.id === folk || p.id === jazz));
  });
});
