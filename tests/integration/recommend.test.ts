// Recommendations end to end (issue 18): plays, early skips and saves sent as a client would,
// `segue recommend train` on the running server's data, the server picking the model up, and
// what users then get: their own ranking of what they have not played, seeds with tunables,
// related artists, genre seeds; bad input answered in Spotify's error shape; versions, rollback
// and metrics.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, metricSum, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { catalogLibrary, catalogTracks, TWO_TASTES } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let client: ReturnType<typeof addClient>;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
// The demo library's tracks by artist, artists in a stable order.
const byArtist = new Map<string, string[]>();
let artists: string[] = [];
let g1: string[] = []; // the first taste: two artists
let g2: string[] = []; // the second taste: two others
let held = ""; // a track of the first taste alice never played
let skipped = ""; // a track of the first taste alice skipped in its first seconds

function play(track: string, at: number, position = 45_000, extra: object = {}) {
  return [
    { type: "track_start", track_id: track, timestamp: at - position },
    { type: "track_end", track_id: track, position_ms: position, timestamp: at, ...extra },
  ];
}
async function send(token: string, events: object[]) {
  const r = await api(server.base, "/v1/me/player/events", { token, method: "POST", body: JSON.stringify(events) });
  assert.equal(r.status, 200, r.text);
}
function train() {
  const r = runSegue(["recommend", "train", "--data", data], undefined, 120_000);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const m = /^model (\S+): trained/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1];
}
async function waitModel(version: string) {
  for (let i = 0; i < 100; i++) {
    const r = await api(server.base, "/v1/me/recommendations?type=track&limit=1", { token: tokens.alice });
    if (r.status === 200 && r.body.model_version === version) return;
    await sleep(100);
  }
  assert.fail(`the server did not load model ${version} within 10 s`);
}
const myRecs = async (who: string, type: "track" | "artist", limit = 50) => {
  const r = await api(server.base, `/v1/me/recommendations?type=${type}&limit=${limit}`, { token: tokens[who] });
  assert.equal(r.status, 200, r.text);
  return r.body;
};

before(async () => {
  data = tempDir("segue-recommend-");
  for (const name of ["alice", "bob", "carol", "dave", "erin", "frank"]) users[name] = addUser(data, name);
  client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(TWO_TASTES, "segue-recommend-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  const catalog = await catalogTracks(server.base, tokens.alice);
  for (const [a, ids] of catalog.byArtist) byArtist.set(a, ids);
  artists = catalog.artists;
  assert.equal(artists.length, 5);
  assert.ok(artists.every((a) => byArtist.get(a)!.length === 4));
  g1 = artists.slice(0, 2);
  g2 = artists.slice(2, 4);
  const g1Tracks = g1.flatMap((a) => byArtist.get(a)!);
  const g2Tracks = g2.flatMap((a) => byArtist.get(a)!);
  held = byArtist.get(g1[1])!.at(-1)!;
  skipped = byArtist.get(g1[1])!.at(-2)!;
  const t0 = Date.now() - 3_600_000;
  // Three listeners of the first taste, three of the second; alice misses two tracks of hers:
  // one she never met, one she skipped at once. frank knows only the first artist.
  let at = t0;
  const plays = (tracks: string[], times = 2) => tracks.flatMap((t) => Array.from({ length: times }, () => play(t, (at += 60_000))).flat());
  await send(tokens.alice, [...plays(g1Tracks.filter((t) => t !== held && t !== skipped)), ...play(skipped, (at += 60_000), 4_000, { skip: true })]);
  await send(tokens.bob, plays(g1Tracks));
  await send(tokens.carol, plays(g1Tracks));
  await send(tokens.dave, plays(g2Tracks));
  await send(tokens.erin, plays(g2Tracks));
  await send(tokens.frank, plays(byArtist.get(g1[0])!));
  await waitConsumers(server, ["taste"]);
});
after(async () => server?.stop());

describe("before any model", () => {
  it("answers with popular tracks and a null model version, not an error", async () => {
    const body = await myRecs("alice", "track", 5);
    assert.equal(body.model_version, null);
    assert.ok(body.items.length > 0);
    assert.ok(body.items.every((x: any) => typeof x.track.id === "string"));
  });
  it("says so in `segue recommend status`", () => {
    const r = runSegue(["recommend", "status", "--data", data]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /no model yet/);
  });
});

describe("a trained model", () => {
  let v1 = "";
  before(async () => {
    v1 = train();
    await waitModel(v1);
  });

  it("ranks the unplayed tracks of the user's taste first, never a played or skipped one", async () => {
    const body = await myRecs("alice", "track");
    const ids: string[] = body.items.map((x: any) => x.track.id);
    const played = new Set(g1.flatMap((a) => byArtist.get(a)!).filter((t) => t !== held && t !== skipped));
    assert.equal(ids[0], held, "the one track of her taste she has not met comes first");
    assert.ok(!ids.includes(skipped), "a track skipped in its first seconds is not recommended back");
    assert.ok(ids.every((t) => !played.has(t)), "nothing she played");
    const scores = body.items.map((x: any) => x.score);
    assert.deepEqual(scores, [...scores].sort((a: number, b: number) => b - a), "best first");
  });

  it("ranks artists: frank, who knows one artist of a taste, gets its other artist first", async () => {
    const body = await myRecs("frank", "artist", 10);
    const ids: string[] = body.items.map((x: any) => x.artist.id);
    assert.equal(ids[0], g1[1]);
    assert.ok(!ids.includes(g1[0]), "not the artist he plays");
  });

  it("gives each user their own list", async () => {
    const dave = (await myRecs("dave", "track")).items.map((x: any) => x.track.id);
    const mine = new Set(g2.flatMap((a) => byArtist.get(a)!));
    assert.ok(dave.every((t: string) => !mine.has(t)), "dave played all of his taste: none of it comes back");
    assert.notDeepEqual(dave, (await myRecs("alice", "track")).items.map((x: any) => x.track.id));
  });

  it("recommends from seeds in Spotify's shape, with the seeds' pools", async () => {
    const r = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}&limit=10`, { token: tokens.dave });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.seeds.length, 1);
    assert.deepEqual(
      { id: r.body.seeds[0].id, type: r.body.seeds[0].type },
      { id: g1[0], type: "ARTIST" },
    );
    assert.ok(r.body.seeds[0].initialPoolSize >= r.body.tracks.length);
    const artistsOf = r.body.tracks.map((t: any) => t.artists[0].id);
    assert.ok(artistsOf.includes(g1[1]), "the related artist's tracks are among them");
    assert.ok(!artistsOf.some((a: string) => g2.includes(a)), "nothing of the other taste");
    // A seed track is never recommended back; a URI works as a seed too.
    const seed = byArtist.get(g1[0])![0];
    const t = await api(server.base, `/v1/recommendations?seed_tracks=spotify:track:${seed}&limit=20`, { token: tokens.dave });
    assert.equal(t.status, 200, t.text);
    assert.ok(t.body.tracks.length > 0);
    assert.ok(!t.body.tracks.some((x: any) => x.id === seed));
  });

  it("filters and pulls by tunable attributes", async () => {
    const none = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}&min_popularity=101`, { token: tokens.alice });
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.body.tracks, []);
    assert.equal(none.body.seeds[0].afterFilteringSize, 0);
    // Bounds on a catalog attribute: nothing is shorter than 1 ms, everything is under an hour.
    const tooShort = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}&max_duration_ms=1`, { token: tokens.alice });
    assert.deepEqual(tooShort.body.tracks, []);
    const some = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}&max_duration_ms=3600000&target_popularity=0`, { token: tokens.alice });
    assert.ok(some.body.tracks.length > 0);
    // Audio-feature bounds leave out what is not analysed yet rather than guessing.
    const feature = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}&min_tempo=0&max_tempo=400`, { token: tokens.alice });
    assert.equal(feature.status, 200, feature.text);
    for (const t of feature.body.tracks) {
      const f = await api(server.base, `/v1/audio-features/${t.id}`, { token: tokens.alice });
      assert.equal(f.status, 200, "only analysed tracks pass a tempo bound");
    }
  });

  it("refuses bad input in Spotify's error shape", async () => {
    const bad = async (q: string, status = 400) => {
      const r = await api(server.base, `/v1/recommendations?${q}`, { token: tokens.alice });
      assert.equal(r.status, status, `${q}: ${r.text}`);
      assert.ok(isSpotifyError(r.body, status), r.text);
      return r.body.error.message as string;
    };
    assert.match(await bad(""), /seed/i);
    const six = artists.concat(artists).slice(0, 6).join(",");
    assert.match(await bad(`seed_artists=${six}`), /at most 5/);
    assert.match(await bad(`seed_artists=${"A".repeat(22)}`), /unknown artist/);
    assert.match(await bad(`seed_tracks=../etc`), /base62/);
    assert.match(await bad(`seed_artists=${g1[0]}&min_tempo=abc`), /min_tempo/);
    assert.match(await bad(`seed_artists=${g1[0]}&min_energy=0.8&max_energy=0.2`), /min_energy/);
    assert.match(await bad(`seed_artists=${g1[0]}&limit=0`), /limit/);
    const t = await api(server.base, "/v1/me/recommendations?type=album", { token: tokens.alice });
    assert.equal(t.status, 400);
    assert.ok(isSpotifyError(t.body, 400));
  });

  it("lists related artists and the catalog's genres", async () => {
    const rel = await api(server.base, `/v1/artists/${g1[0]}/related-artists`, { token: tokens.alice });
    assert.equal(rel.status, 200, rel.text);
    assert.equal(rel.body.artists[0].id, g1[1]);
    assert.ok(!rel.body.artists.some((a: any) => a.id === g1[0]));
    const missing = await api(server.base, `/v1/artists/${"B".repeat(22)}/related-artists`, { token: tokens.alice });
    assert.equal(missing.status, 404);
    const genres = await api(server.base, "/v1/recommendations/available-genre-seeds", { token: tokens.alice });
    assert.equal(genres.status, 200);
    assert.deepEqual(genres.body.genres, ["electronic", "folk", "jazz"]);
    // A genre seed brings tracks of that genre, even of an artist nobody plays.
    const g = await api(server.base, `/v1/recommendations?seed_genres=Jazz&limit=10`, { token: tokens.alice });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.tracks.length, 4);
    assert.ok(g.body.tracks.every((t: any) => t.artists[0].id === artists[4]));
  });

  it("keeps versions: a new model replaces it, rollback brings it back, /metrics tells", async () => {
    const status = runSegue(["recommend", "status", "--data", data]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`model ${v1}: .* 6 users`));
    await sleep(1100); // versions are named by the second
    const v2 = train();
    assert.notEqual(v2, v1);
    await waitModel(v2);
    const back = runSegue(["recommend", "rollback", "--data", data]);
    assert.equal(back.status, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`current model is now ${v1}`));
    await waitModel(v1);
    assert.ok((await metricSum(server, "segue_recommend_model_version")) > 1.7e9);
    assert.ok((await metricSum(server, "segue_recommend_model_training_seconds")) > 0);
  });
});

describe("home", () => {
  const home = async (who: string, q = "device=Computer&utc_offset=60") => {
    const r = await api(server.base, `/v1/me/home?${q}`, { token: tokens[who] });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  it("builds shelves from the user's taste, ordered with logged propensities, an item once per page", async () => {
    const h = await home("alice");
    const ids: string[] = h.sections.map((s: any) => s.id);
    for (const want of ["recently_played", "recommended_tracks", `because_you_listened:${g1[0]}`, "new_releases"])
      assert.ok(ids.some((id) => id === want || id.startsWith(want)), `${want} in ${ids.join(", ")}`);
    assert.deepEqual(h.sections.map((s: any) => s.position), h.sections.map((_: any, i: number) => i));
    for (const s of h.sections) assert.ok(s.propensity > 0 && s.propensity <= 1, `${s.id}: ${s.propensity}`);
    assert.ok(["bandit", "editorial"].includes(h.experiment_arm));
    assert.match(h.impression_id, /^[0-9A-Za-z]{22}$/);
    const seen = new Set<string>();
    for (const s of h.sections)
      for (const it of s.items) {
        const key = `${it.type}:${it[it.type].id}`;
        assert.ok(!seen.has(key), `${key} twice on the page`);
        seen.add(key);
      }
    // Recommended tracks are ones she has not played; because-you-listened shows others' tracks.
    const recs = h.sections.find((s: any) => s.id === "recommended_tracks");
    const played = new Set(g1.flatMap((a) => byArtist.get(a)!).filter((t) => t !== held && t !== skipped));
    assert.ok(recs.items.every((it: any) => !played.has(it.track.id) && it.track.id !== skipped));
    assert.ok(seen.has(`track:${held}`), `the track of her taste she has not met is on her home: ${JSON.stringify(h.sections.map((s: any) => [s.id, s.items.map((i: any) => i[i.type].name ?? i[i.type].id)]))} held ${held}`);
    const because = h.sections.find((s: any) => s.id === `because_you_listened:${g1[0]}`);
    assert.ok(because.items.every((it: any) => it.track.artists[0].id !== g1[0]));
  });

  it("serves the cached shelves within the hour and rebuilds after a save", async () => {
    const first = await home("bob");
    const again = await home("bob");
    assert.equal(again.cached, true);
    assert.equal(again.generated_at, first.generated_at);
    assert.notEqual(again.impression_id, first.impression_id, "every page served is an impression");
    const save = await api(server.base, `/v1/me/tracks?ids=${byArtist.get(artists[4])![0]}`, { token: tokens.bob, method: "PUT" });
    assert.equal(save.status, 200, save.text);
    const after = await home("bob");
    assert.equal(after.cached, false);
    assert.ok((await metricSum(server, `segue_home_requests{cache="hit"}`)) >= 1);
    assert.ok((await metricSum(server, `segue_home_requests{cache="miss"}`)) >= 2);
  });

  it("refuses a bad offset and needs user-top-read", async () => {
    const r = await api(server.base, "/v1/me/home?utc_offset=5000", { token: tokens.alice });
    assert.equal(r.status, 400);
    assert.ok(isSpotifyError(r.body, 400));
    const noScope = (await login(server.base, client, users.alice, ALL_SCOPES.split(" ").filter((s) => s !== "user-top-read").join(" "))).access_token;
    assert.equal((await api(server.base, "/v1/me/home", { token: noScope })).status, 403);
  });

  it("counts pages and clicks per experiment arm", async () => {
    const h = await home("carol");
    const click = { type: "home_click", section: h.sections[0].id, item_uri: `segue:${h.sections[0].items[0].type}:${h.sections[0].items[0][h.sections[0].items[0].type].id}`, rank: 0, timestamp: Date.now() };
    await send(tokens.carol, [click]);
    await waitConsumers(server, ["taste"]);
    assert.ok((await metricSum(server, `segue_home_experiment_clicks{arm="${h.experiment_arm}"}`)) >= 1);
    await sleep(300); // impressions are written in the background
    const r = runSegue(["recommend", "experiments", "--data", data]);
    assert.equal(r.status, 0, r.stderr);
    const arm = new RegExp(`${h.experiment_arm}\\s+(\\d+) pages\\s+(\\d+) with a reward`).exec(r.stdout);
    assert.ok(arm, r.stdout);
    assert.ok(Number(arm[1]) >= 1);
    assert.ok(Number(arm[2]) >= 1, r.stdout);
  });
});

describe("who may ask", () => {
  it("needs user-top-read for the user's own ranking, and a user token", async () => {
    const noScope = (await login(server.base, client, users.alice, ALL_SCOPES.split(" ").filter((s) => s !== "user-top-read").join(" "))).access_token;
    const r = await api(server.base, "/v1/me/recommendations", { token: noScope });
    assert.equal(r.status, 403);
    assert.ok(isSpotifyError(r.body, 403));
    const none = await api(server.base, "/v1/me/recommendations", {});
    assert.equal(none.status, 401);
    // Seeds need only a token.
    const seeds = await api(server.base, `/v1/recommendations?seed_artists=${g1[0]}`, { token: noScope });
    assert.equal(seeds.status, 200);
  });
});
