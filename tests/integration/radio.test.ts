// Radio and "Recommended songs" under a playlist end to end (issue 18): two tastes of listeners
// on a small catalog, a model trained by `segue recommend train`, then stations asked for batch
// after batch as the web player does (POST /v1/me/radio with the station's played and skipped
// tracks), and GET /v1/playlists/{id}/recommendations.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { catalogLibrary, catalogTracks, TWO_TASTES } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
const byArtist = new Map<string, string[]>();
const artistOf = new Map<string, string>();
let g1: string[] = []; // the first taste: two artists
let g2: string[] = []; // the second taste: two others
let lone = ""; // an artist nobody plays

function play(track: string, at: number) {
  return [
    { type: "track_start", track_id: track, timestamp: at - 45_000 },
    { type: "track_end", track_id: track, position_ms: 45_000, timestamp: at },
  ];
}
async function send(token: string, events: object[]) {
  const r = await api(server.base, "/v1/me/player/events", { token, method: "POST", body: JSON.stringify(events) });
  assert.equal(r.status, 200, r.text);
}
async function radio(who: string, body: object) {
  return api(server.base, "/v1/me/radio", { token: tokens[who], method: "POST", body: JSON.stringify(body) });
}
async function batch(who: string, body: object): Promise<string[]> {
  const r = await radio(who, body);
  assert.equal(r.status, 200, r.text);
  return r.body.tracks.map((t: any) => t.id);
}
const artistsIn = (ids: string[]) => ids.map((t) => artistOf.get(t)!);

before(async () => {
  data = tempDir("segue-radio-");
  for (const name of ["alice", "bob", "carol", "dave", "erin", "frank"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(TWO_TASTES, "segue-radio-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  const catalog = await catalogTracks(server.base, tokens.alice);
  for (const [a, ids] of catalog.byArtist) byArtist.set(a, ids);
  for (const t of catalog.tracks) artistOf.set(t.id, t.artist);
  const artists = catalog.artists;
  assert.equal(artists.length, 5);
  g1 = artists.slice(0, 2);
  g2 = artists.slice(2, 4);
  lone = artists[4];
  let at = Date.now() - 3_600_000;
  const plays = (tracks: string[]) => tracks.flatMap((t) => [...play(t, (at += 60_000)), ...play(t, (at += 60_000))]);
  const g1Tracks = g1.flatMap((a) => byArtist.get(a)!);
  const g2Tracks = g2.flatMap((a) => byArtist.get(a)!);
  for (const who of ["alice", "bob", "carol"]) await send(tokens[who], plays(g1Tracks));
  for (const who of ["dave", "erin"]) await send(tokens[who], plays(g2Tracks));
  await send(tokens.frank, plays(byArtist.get(g1[0])!));
  await waitConsumers(server, ["taste"]);
  const r = runSegue(["recommend", "train", "--data", data], undefined, 120_000);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const version = /^model (\S+): trained/m.exec(r.stdout)![1];
  for (let i = 0; ; i++) {
    const m = await api(server.base, "/v1/me/recommendations?type=track&limit=1", { token: tokens.alice });
    if (m.status === 200 && m.body.model_version === version) break;
    assert.ok(i < 100, `the server did not load model ${version} within 10 s`);
    await sleep(100);
  }
});
after(async () => server?.stop());

describe("a radio station", () => {
  it("from an artist of the first taste stays in that taste, batch after batch, without repeats", async () => {
    const seed = `spotify:artist:${g1[0]}`;
    const r = await radio("frank", { seed, limit: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.context_uri, `segue:radio:segue:artist:${g1[0]}`);
    const first: string[] = r.body.tracks.map((t: any) => t.id);
    assert.equal(first.length, 5);
    assert.ok(artistsIn(first).every((a) => g1.includes(a)), `first batch: ${artistsIn(first)}`);
    assert.ok(artistsIn(first).includes(g1[1]), "the seed's related artist comes in, not only the seed");
    // The next batch: what the station has not played, still the first taste (eight tracks).
    const second = await batch("frank", { seed: r.body.context_uri, played: first, limit: 3 });
    assert.equal(second.length, 3);
    assert.ok(artistsIn(second).every((a) => g1.includes(a)), `second batch: ${artistsIn(second)}`);
    assert.deepEqual(new Set([...first, ...second]), new Set(g1.flatMap((a) => byArtist.get(a)!)));
  });

  it("never repeats the station's history and does not run dry while the catalog has more", async () => {
    const played: string[] = [];
    for (let i = 0; i < 6; i++) {
      const ids = await batch("dave", { seed: `segue:artist:${g2[0]}`, played, limit: 3 });
      assert.equal(ids.length, 3, `batch ${i}`);
      assert.ok(ids.every((t) => !played.includes(t)), `batch ${i} repeats ${ids.filter((t) => played.includes(t))}`);
      assert.equal(new Set(ids).size, ids.length);
      if (i < 2) assert.ok(artistsIn(ids).every((a) => g2.includes(a)), `batch ${i}: ${artistsIn(ids)}`);
      played.push(...ids);
    }
    assert.equal(new Set(played).size, 18);
  });

  it("drops an artist skipped early from later batches, where playing it through keeps it", async () => {
    const seed = `spotify:artist:${g1[0]}`;
    const first = await batch("bob", { seed, limit: 4 });
    const other = first.filter((t) => artistOf.get(t) === g1[1]);
    assert.ok(other.length > 0, `the related artist is in the first batch: ${artistsIn(first)}`);
    const rest = first.filter((t) => !other.includes(t));
    const skippedNext = await batch("bob", { seed, played: rest, skipped: other, limit: 4 });
    assert.ok(!artistsIn(skippedNext).includes(g1[1]), `skipped artist came back: ${artistsIn(skippedNext)}`);
    assert.ok(skippedNext.every((t) => !first.includes(t)));
    // The same station with those tracks played through: the artist stays on.
    const playedNext = await batch("bob", { seed, played: first, limit: 4 });
    assert.ok(artistsIn(playedNext).includes(g1[1]), `played artist missing: ${artistsIn(playedNext)}`);
  });

  it("starts a track's radio with the track, then tracks like it", async () => {
    const seedTrack = byArtist.get(g2[1])![2];
    const ids = await batch("erin", { seed: `spotify:track:${seedTrack}`, limit: 4 });
    assert.equal(ids[0], seedTrack);
    assert.ok(artistsIn(ids).every((a) => g2.includes(a)), `${artistsIn(ids)}`);
  });

  it("starts from an album, and from a playlist its owner may read", async () => {
    const albums = await api(server.base, `/v1/artists/${lone}/albums`, { token: tokens.alice });
    assert.equal(albums.status, 200, albums.text);
    const album = albums.body.items[0].id;
    const fromAlbum = await radio("alice", { seed: `segue:album:${album}`, limit: 3 });
    assert.equal(fromAlbum.status, 200, fromAlbum.text);
    assert.equal(fromAlbum.body.context_uri, `segue:radio:segue:album:${album}`);
    assert.ok(fromAlbum.body.tracks.length === 3);
    assert.ok(artistsIn(fromAlbum.body.tracks.map((t: any) => t.id)).includes(lone));
  });
});

describe("a playlist as a seed", () => {
  let playlist = "";
  let inPlaylist: string[] = [];
  before(async () => {
    const p = await api(server.base, "/v1/me/playlists", { token: tokens.alice, method: "POST", body: JSON.stringify({ name: "mine", public: false }) });
    assert.equal(p.status, 201, p.text);
    playlist = p.body.id;
    inPlaylist = [...byArtist.get(g1[0])!.slice(0, 3), byArtist.get(g1[1])![0]];
    const add = await api(server.base, `/v1/playlists/${playlist}/tracks`, {
      token: tokens.alice,
      method: "POST",
      body: JSON.stringify({ uris: inPlaylist.map((t) => `spotify:track:${t}`) }),
    });
    assert.equal(add.status, 201, add.text);
  });

  it("plays a radio of its owner's private playlist and refuses it to another user", async () => {
    const mine = await radio("alice", { seed: `spotify:playlist:${playlist}`, limit: 5 });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.context_uri, `segue:radio:segue:playlist:${playlist}`);
    assert.ok(artistsIn(mine.body.tracks.map((t: any) => t.id)).every((a: string) => g1.includes(a)));
    const theirs = await radio("dave", { seed: `spotify:playlist:${playlist}`, limit: 5 });
    assert.equal(theirs.status, 404, theirs.text);
    assert.ok(isSpotifyError(theirs.body, 404), theirs.text);
  });

  it("recommends songs under the playlist, none of its own, only to those who may read it", async () => {
    const r = await api(server.base, `/v1/playlists/${playlist}/recommendations?limit=4`, { token: tokens.alice });
    assert.equal(r.status, 200, r.text);
    const ids: string[] = r.body.tracks.map((t: any) => t.id);
    assert.ok(ids.length > 0 && ids.length <= 4);
    assert.ok(ids.every((t) => !inPlaylist.includes(t)), "none of the playlist's tracks");
    // The four first-taste tracks the playlist lacks come first.
    assert.ok(artistsIn(ids).every((a) => g1.includes(a)), `${artistsIn(ids)}`);
    assert.equal(new Set(ids).size, ids.length);
    const other = await api(server.base, `/v1/playlists/${playlist}/recommendations`, { token: tokens.dave });
    assert.equal(other.status, 404, other.text);
    assert.ok(isSpotifyError(other.body, 404));
    const bad = await api(server.base, `/v1/playlists/${playlist}/recommendations?limit=0`, { token: tokens.alice });
    assert.equal(bad.status, 400, bad.text);
  });
});

describe("bad input", () => {
  it("is refused in Spotify's error shape", async () => {
    const cases: [object | string, number][] = [
      [{}, 400],
      [{ seed: "segue:show:4iV5W9uYEdYUVa79Axb7Rh" }, 400],
      [{ seed: "not a uri" }, 400],
      [{ seed: `segue:artist:${g1[0]}`, limit: 0 }, 400],
      [{ seed: `segue:artist:${g1[0]}`, limit: 51 }, 400],
      [{ seed: `segue:artist:${g1[0]}`, played: "x" }, 400],
      [{ seed: `segue:artist:${g1[0]}`, skipped: ["not an id!"] }, 400],
      ["[1,2", 400],
      [{ seed: "segue:artist:0000000000000000000000" }, 404],
      [{ seed: "spotify:track:0000000000000000000000" }, 404],
      [{ seed: "spotify:playlist:0000000000000000000000" }, 404],
    ];
    for (const [body, status] of cases) {
      const r = await api(server.base, "/v1/me/radio", { token: tokens.alice, method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(isSpotifyError(r.body, status), r.text);
    }
  });
});
