// "Recommended songs" under a playlist learn from playlist co-membership (issue 18): public
// playlists of two users that hold the same tracks make those tracks each other's neighbours,
// and a third user's playlist of one of them gets the others first. A private playlist feeds no
// model trained across users (docs/formats/recommend.md, "Playlist co-membership and privacy"):
// while it is private, what others are recommended does not change at all; made public, its
// tracks join the others' recommendations (so the check could fail).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { catalogLibrary, catalogTracks, type CatalogRow } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
const byArtist = new Map<string, string[]>();
let artists: string[] = [];

// Twelve artists of two tracks, all of one genre and year: content tells no track from another,
// so what orders them is who put them together.
const ROWS: CatalogRow[] = "ABCDEFGHIJKL".split("").flatMap((l) =>
  [1, 2].map((i): CatalogRow => [`${l} song ${i}`, `Artist ${l}`, `${l} album`, "Pop", 2021]),
);

async function playlist(who: string, name: string, isPublic: boolean, tracks: string[]): Promise<string> {
  const p = await api(server.base, "/v1/me/playlists", { token: tokens[who], method: "POST", body: JSON.stringify({ name, public: isPublic }) });
  assert.equal(p.status, 201, p.text);
  const add = await api(server.base, `/v1/playlists/${p.body.id}/tracks`, {
    token: tokens[who],
    method: "POST",
    body: JSON.stringify({ uris: tracks.map((t) => `spotify:track:${t}`) }),
  });
  assert.equal(add.status, 201, add.text);
  return p.body.id;
}

async function train() {
  const r = runSegue(["recommend", "train", "--data", data], undefined, 120_000);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const version = /^model (\S+): trained/m.exec(r.stdout)![1];
  for (let i = 0; ; i++) {
    const m = await api(server.base, "/v1/me/recommendations?type=track&limit=1", { token: tokens.carol });
    if (m.status === 200 && m.body.model_version === version) break;
    assert.ok(i < 150, `the server did not load model ${version} within 15 s`);
    await sleep(100);
  }
  await sleep(500); // the content vectors are rebuilt right after the model is swapped in
}

async function recommended(who: string, id: string, limit = 50): Promise<string[]> {
  const r = await api(server.base, `/v1/playlists/${id}/recommendations?limit=${limit}`, { token: tokens[who] });
  assert.equal(r.status, 200, r.text);
  return r.body.tracks.map((t: any) => t.id);
}

const first = (a: string) => byArtist.get(a)![0];

before(async () => {
  data = tempDir("segue-comember-");
  for (const name of ["alice", "bob", "carol", "mallory"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(ROWS, "segue-comember-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  const catalog = await catalogTracks(server.base, tokens.alice);
  for (const [a, ids] of catalog.byArtist) byArtist.set(a, ids);
  artists = catalog.artists;
  assert.equal(artists.length, 12);
});
after(async () => server?.stop());

describe("recommended songs under a playlist", () => {
  let carols = "";
  let mallorys = "";
  let before: string[] = [];
  const together = () => [first(artists[1]), first(artists[2]), first(artists[3])]; // B, C, D
  const secret = () => [first(artists[10]), first(artists[11])]; // K, L: only in mallory's playlist

  it("picks up the tracks that other users' public playlists hold together with the playlist's", async () => {
    const a = first(artists[0]);
    await playlist("alice", "mix", true, [a, ...together()]);
    await playlist("bob", "also mine", true, [...together(), a]);
    carols = await playlist("carol", "one song", false, [a]);
    await train();
    const top = await recommended("carol", carols, 3);
    assert.deepEqual([...top].sort(), [...together()].sort(), `top 3 ${top}`);
    before = await recommended("carol", carols);
    assert.equal(before.length, 23, "every other track of the catalog, none of the playlist's");
    assert.ok(!before.includes(a));
  });

  it("learns nothing from another user's private playlist", async () => {
    mallorys = await playlist("mallory", "secret", false, [first(artists[0]), ...secret()]);
    await train();
    const now = await recommended("carol", carols);
    // The co-members first (in any order: their scores are equal), then every other track in
    // exactly the order it had before the private playlist existed.
    assert.deepEqual([...now.slice(0, 3)].sort(), [...together()].sort());
    assert.deepEqual(now.slice(3), before.slice(3), "a private playlist moved other users' recommendations");
    // Nor can carol seed anything with it.
    const theirs = await api(server.base, `/v1/playlists/${mallorys}/recommendations`, { token: tokens.carol });
    assert.equal(theirs.status, 404, theirs.text);
    // Mallory herself gets recommendations for her own private playlist.
    const own = await recommended("mallory", mallorys, 5);
    assert.ok(own.length > 0 && own.every((t) => !secret().includes(t) && t !== first(artists[0])));
  });

  it("uses the same playlist once it is public", async () => {
    const r = await api(server.base, `/v1/playlists/${mallorys}`, { token: tokens.mallory, method: "PUT", body: JSON.stringify({ public: true }) });
    assert.equal(r.status, 200, r.text);
    await train();
    const now = await recommended("carol", carols);
    assert.deepEqual([...now.slice(0, 3)].sort(), [...together()].sort(), `${now}`);
    // K and L now come right after the tracks two playlists share with carol's.
    assert.deepEqual([...now.slice(3, 5)].sort(), [...secret()].sort(), `${now}`);
  });
});
