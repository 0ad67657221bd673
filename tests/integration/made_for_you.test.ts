// Made for you end to end (issue 18): Discover Weekly, Release Radar and the Daily Mixes as the
// users' own playlists. A catalog of two tastes, plays sent as a client would, a model trained
// with `segue recommend train`, then POST /v1/me/made-for-you/refresh and what a user gets: no
// played track in Discover Weekly and at most two per artist, the new albums of played artists
// in Release Radar, one Daily Mix per taste; private to their owner; a second generation in the
// same period changes nothing. Then the server is stopped and started "eight days later" (the
// test knob test_clock_offset_s, docs/formats/made-for-you.md): the scheduler catches up by
// itself and Discover Weekly's tracks are replaced in the same playlist, whose history keeps
// the week before.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { catalogLibrary, type CatalogRow } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let lib: string;
let client: ReturnType<typeof addClient>;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
const artistOf = new Map<string, string>(); // track -> main artist
const albumOf = new Map<string, string>(); // track -> album
const tracksOf = new Map<string, string[]>(); // artist -> tracks
let folk: string[] = []; // the first taste's artists
let electro: string[] = []; // the second taste's
let newAlbum = ""; // the second album of an artist alice plays
let unplayedAlbum = ""; // an album of an artist alice never played
const alicePlayed = new Set<string>();

function play(track: string, at: number, position = 45_000) {
  return [
    { type: "track_start", track_id: track, timestamp: at - position },
    { type: "track_end", track_id: track, position_ms: position, timestamp: at },
  ];
}
async function send(token: string, events: object[]) {
  const r = await api(server.base, "/v1/me/player/events", { token, method: "POST", body: JSON.stringify(events) });
  assert.equal(r.status, 200, r.text);
}
async function start(env: Record<string, string>) {
  server = await startServer({ data, libraries: [lib], env });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
}
async function mixes(who: string) {
  const r = await api(server.base, "/v1/me/made-for-you", { token: tokens[who] });
  assert.equal(r.status, 200, r.text);
  return r.body.items as any[];
}
async function refresh(who: string) {
  const r = await api(server.base, "/v1/me/made-for-you/refresh", { token: tokens[who], method: "POST" });
  assert.equal(r.status, 200, r.text);
  return r.body;
}
async function tracksOfPlaylist(who: string, id: string): Promise<string[]> {
  const r = await api(server.base, `/v1/playlists/${id}/tracks?limit=100`, { token: tokens[who] });
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((x: any) => x.track.id);
}
const one = (items: any[], kind: string) => {
  const found = items.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind}: ${JSON.stringify(items.map((m) => m.kind))}`);
  return found[0];
};

before(async () => {
  data = tempDir("segue-mfy-");
  for (const name of ["alice", "bob", "carol", "dave", "erin"]) users[name] = addUser(data, name);
  client = addClient(data, "app", REDIRECT, true);
  // Sixteen artists of four tracks, eight folk and eight electronic; the first folk artist has
  // a second album.
  const rows: CatalogRow[] = [];
  const names: string[] = [];
  for (let i = 0; i < 16; i++) names.push(`${i < 8 ? "Folk" : "Synth"} Artist ${String.fromCharCode(65 + i)}`);
  for (const artist of names)
    for (let i = 1; i <= 4; i++) rows.push([`${artist} song ${i}`, artist, `${artist} album`, artist.startsWith("Folk") ? "Folk" : "Electronic", 2020]);
  for (let i = 1; i <= 3; i++) rows.push([`${names[0]} new song ${i}`, names[0], `${names[0]} returns`, "Folk", 2026]);
  lib = catalogLibrary(rows, "segue-mfy-lib-");
  // No scheduler while the first server runs: the refreshes below are the only generations.
  await start({ SEGUE_MADE_FOR_YOU_INTERVAL: "0" });
  const albums = await api(server.base, "/v1/browse/new-releases?limit=50", { token: tokens.alice });
  const nameOf = new Map<string, string>();
  for (const a of albums.body.albums.items) {
    nameOf.set(a.artists[0].id, a.artists[0].name);
    const t = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token: tokens.alice });
    for (const x of t.body.items) {
      artistOf.set(x.id, x.artists[0].id);
      albumOf.set(x.id, a.id);
      if (a.name.endsWith("returns")) newAlbum = a.id;
      else tracksOf.set(x.artists[0].id, [...(tracksOf.get(x.artists[0].id) ?? []), x.id]);
    }
  }
  const artists = [...tracksOf.keys()].sort((x, y) => nameOf.get(x)!.localeCompare(nameOf.get(y)!));
  assert.equal(artists.length, 16);
  folk = artists.slice(0, 8);
  electro = artists.slice(8);
  assert.ok(newAlbum);
  unplayedAlbum = albumOf.get(tracksOf.get(folk[7])![0])!;
  // bob and carol play all of folk, dave and erin all of electronic; alice two tracks of the
  // first four artists of each taste.
  let at = Date.now() - 3_600_000;
  const plays = (tracks: string[], times = 2) => tracks.flatMap((t) => Array.from({ length: times }, () => play(t, (at += 30_000))).flat());
  const all = (group: string[]) => group.flatMap((a) => tracksOf.get(a)!);
  const aliceTracks = [...folk.slice(0, 4), ...electro.slice(0, 4)].flatMap((a) => tracksOf.get(a)!.slice(0, 2));
  aliceTracks.forEach((t) => alicePlayed.add(t));
  await send(tokens.alice, plays(aliceTracks, 3));
  await send(tokens.bob, plays(all(folk)));
  await send(tokens.carol, plays(all(folk)));
  await send(tokens.dave, plays(all(electro)));
  await send(tokens.erin, plays(all(electro)));
  await waitConsumers(server, ["taste", "top_items"]);
  const trained = runSegue(["recommend", "train", "--data", data], undefined, 120_000);
  assert.equal(trained.status, 0, trained.stderr + trained.stdout);
  const version = /^model (\S+): trained/m.exec(trained.stdout)![1];
  for (let i = 0; ; i++) {
    const r = await api(server.base, "/v1/me/recommendations?type=track&limit=1", { token: tokens.alice });
    if (r.status === 200 && r.body.model_version === version) break;
    assert.ok(i < 100, "the server did not load the model within 10 s");
    await sleep(100);
  }
});
after(async () => server?.stop());

describe("made for you", () => {
  let first: any;
  before(async () => {
    assert.deepEqual(await mixes("alice"), [], "nothing before the first generation");
    first = await refresh("alice");
  });

  it("makes Discover Weekly of 30 tracks alice never played, at most two per artist", async () => {
    const dw = one(first.items, "discover_weekly");
    assert.equal(dw.playlist.name, "Discover Weekly");
    assert.match(dw.period, /^\d{4}-W\d{2}$/);
    const tracks = await tracksOfPlaylist("alice", dw.playlist.id);
    assert.equal(tracks.length, 30);
    assert.equal(new Set(tracks).size, 30, "no track twice");
    assert.ok(tracks.every((t) => !alicePlayed.has(t)), "nothing she played");
    const per = new Map<string, number>();
    for (const t of tracks) per.set(artistOf.get(t)!, (per.get(artistOf.get(t)!) ?? 0) + 1);
    assert.ok([...per.values()].every((n) => n <= 2), JSON.stringify([...per]));
    assert.ok(per.size >= 15, "spread over the artists");
  });

  it("is alice's own playlist: she reads it, plays from it and finds it among her playlists", async () => {
    const dw = one(await mixes("alice"), "discover_weekly");
    const got = await api(server.base, `/v1/playlists/${dw.playlist.id}`, { token: tokens.alice });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.owner.id, users.alice.id);
    assert.equal(got.body.public, false);
    const tracks = await tracksOfPlaylist("alice", dw.playlist.id);
    const played = await api(server.base, "/v1/me/player/play", { token: tokens.alice, method: "POST", body: JSON.stringify({ track_id: tracks[0] }) });
    assert.equal(played.status, 200, played.text);
    const mine = await api(server.base, "/v1/me/playlists?limit=50", { token: tokens.alice });
    assert.ok(mine.body.items.some((p: any) => p.id === dw.playlist.id));
  });

  it("puts the new album of an artist alice plays in Release Radar, and no artist she does not", async () => {
    const rr = one(first.items, "release_radar");
    assert.match(rr.period, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(new Date(rr.period + "T00:00:00Z").getUTCDay(), 5, "Release Radar's week starts on a Friday");
    const tracks = await tracksOfPlaylist("alice", rr.playlist.id);
    assert.ok(tracks.length > 0 && tracks.length <= 30);
    assert.ok(tracks.some((t) => albumOf.get(t) === newAlbum), "the new album of a played artist");
    const hers = new Set([...folk.slice(0, 4), ...electro.slice(0, 4)]);
    assert.ok(tracks.every((t) => hers.has(artistOf.get(t)!)), "only artists she plays");
    assert.ok(!tracks.some((t) => albumOf.get(t) === unplayedAlbum));
    const perAlbum = new Map<string, number>();
    for (const t of tracks) perAlbum.set(albumOf.get(t)!, (perAlbum.get(albumOf.get(t)!) ?? 0) + 1);
    assert.ok([...perAlbum.values()].every((n) => n <= 2));
  });

  it("makes one Daily Mix per taste, each of familiar tracks and new ones of that taste", async () => {
    const daily = first.items.filter((m: any) => m.kind === "daily_mix");
    assert.equal(daily.length, 2, JSON.stringify(daily.map((m: any) => m.playlist.name)));
    assert.deepEqual(daily.map((m: any) => m.playlist.name), ["Daily Mix 1", "Daily Mix 2"]);
    const tastes = new Set<string>();
    for (const m of daily) {
      const tracks = await tracksOfPlaylist("alice", m.playlist.id);
      const familiar = tracks.filter((t) => alicePlayed.has(t));
      const fresh = tracks.filter((t) => !alicePlayed.has(t));
      assert.ok(familiar.length >= 4 && fresh.length > 0, `${familiar.length} familiar, ${fresh.length} new`);
      const taste = (t: string) => (folk.includes(artistOf.get(t)!) ? "folk" : "electro");
      assert.equal(new Set(familiar.map(taste)).size, 1, "a mix's familiar tracks are of one taste");
      const mostlyOne = fresh.filter((t) => taste(t) === taste(familiar[0])).length;
      assert.ok(mostlyOne >= fresh.length * 0.8, "its new tracks mostly of the same taste");
      tastes.add(taste(familiar[0]));
    }
    assert.equal(tastes.size, 2);
  });

  it("keeps them from everybody else", async () => {
    for (const m of await mixes("alice")) {
      const r = await api(server.base, `/v1/playlists/${m.playlist.id}`, { token: tokens.bob });
      assert.equal(r.status, 404, r.text);
    }
    const bobs = await mixes("bob");
    const alices = new Set((await mixes("alice")).map((m) => m.playlist.id));
    assert.ok(bobs.every((m) => !alices.has(m.playlist.id)));
  });

  it("are made from the command line too (`segue recommend mixes --user`)", async () => {
    assert.deepEqual(await mixes("carol"), []);
    const r = runSegue(["recommend", "mixes", "--data", data, "--user", "carol"], undefined, 60_000);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^carol: \d+ created/m);
    const hers = await mixes("carol");
    const dw = one(hers, "discover_weekly");
    const tracks = await tracksOfPlaylist("carol", dw.playlist.id);
    assert.ok(tracks.length > 0 && tracks.every((t) => electro.includes(artistOf.get(t)!) || folk.includes(artistOf.get(t)!)));
    assert.ok(tracks.every((t) => !tracksOf.get(artistOf.get(t)!)!.includes(t) || !folk.includes(artistOf.get(t)!)), "carol played all of folk");
    const bad = runSegue(["recommend", "mixes", "--data", data, "--user", "nobody"]);
    assert.notEqual(bad.status, 0);
  });

  it("changes nothing when generated again in the same period", async () => {
    const before = await mixes("alice");
    const again = await refresh("alice");
    assert.equal(again.created, 0);
    assert.equal(again.replaced, 0);
    assert.equal(again.unchanged, before.length);
    const after = await mixes("alice");
    assert.deepEqual(
      after.map((m) => [m.kind, m.playlist.id, m.playlist.snapshot_id, m.period]),
      before.map((m) => [m.kind, m.playlist.id, m.playlist.snapshot_id, m.period]),
    );
  });

  it("takes a time zone and refuses an unknown one", async () => {
    const bad = await api(server.base, "/v1/me/preferences", { token: tokens.alice, method: "PUT", body: JSON.stringify({ time_zone: "Mars/Olympus" }) });
    assert.equal(bad.status, 400, bad.text);
    const good = await api(server.base, "/v1/me/preferences", { token: tokens.alice, method: "PUT", body: JSON.stringify({ time_zone: "Pacific/Kiritimati" }) });
    assert.equal(good.status, 200, good.text);
    assert.deepEqual(good.body, { private_session: false, time_zone: "Pacific/Kiritimati" });
    assert.equal((await api(server.base, "/v1/me/preferences", { token: tokens.alice })).body.time_zone, "Pacific/Kiritimati");
  });

  it("catches up after downtime: a server started a week later replaces Discover Weekly's tracks in the same playlist", async () => {
    const before = one(await mixes("alice"), "discover_weekly");
    const oldTracks = await tracksOfPlaylist("alice", before.playlist.id);
    const versions = await api(server.base, `/v1/playlists/${before.playlist.id}/versions`, { token: tokens.alice });
    assert.equal(versions.status, 200, versions.text);
    await server.stop();
    await start({ SEGUE_TEST_CLOCK_OFFSET_S: String(8 * 86400), SEGUE_MADE_FOR_YOU_INTERVAL: "1" });
    let now: any;
    for (let i = 0; ; i++) {
      now = one(await mixes("alice"), "discover_weekly");
      if (now.period !== before.period) break;
      assert.ok(i < 150, "the scheduler did not generate the new week within 15 s");
      await sleep(100);
    }
    assert.equal(now.playlist.id, before.playlist.id, "the same playlist");
    assert.notEqual(now.playlist.snapshot_id, before.playlist.snapshot_id);
    const tracks = await tracksOfPlaylist("alice", now.playlist.id);
    assert.equal(tracks.length, 30);
    assert.ok(tracks.every((t) => !alicePlayed.has(t)));
    const kept = tracks.filter((t) => oldTracks.includes(t)).length;
    assert.ok(kept <= 12, `last week's tracks make way for others (${kept} of 30 kept)`);
    const later = await api(server.base, `/v1/playlists/${now.playlist.id}/versions`, { token: tokens.alice });
    assert.ok(later.body.items.length > versions.body.items.length, "the history keeps the week before");
    // The other users were caught up too, by the scheduler alone.
    for (const who of ["bob", "dave"])
      for (let i = 0; !(await mixes(who)).some((m) => m.kind === "discover_weekly"); i++) {
        assert.ok(i < 150, `${who}'s mixes were not generated within 15 s`);
        await sleep(100);
      }
  });
});
