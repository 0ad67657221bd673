// The event pipeline over HTTP: every event type in one batch, validation that appends nothing,
// listening history, top items and popularity derived by the consumers, the private session,
// export and deletion, `segue events`, and kill -9 during a sustained ingest.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, demoLibrary, metricsOfEach, runSegue, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let alice: User;
let bob: User;
let carol: User;
let client: ReturnType<typeof addClient>;
let ta: string; // alice's token
let tb: string;
let tc: string;
let tracks: { id: string; artist: string }[] = [];

const now = () => Date.now();
function play(track: string, at: number, position = 45_000, extra: object = {}) {
  return [
    { type: "track_start", track_id: track, timestamp: at - position },
    { type: "track_end", track_id: track, position_ms: position, timestamp: at, ...extra },
  ];
}
async function send(token: string, events: object[]) {
  return api(server.base, "/v1/me/player/events", { token, method: "POST", body: JSON.stringify(events) });
}
async function exportOf(token: string): Promise<any[]> {
  const r = await fetch(server.url("/v1/me/export"), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /application\/x-ndjson/);
  const text = await r.text();
  return text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

before(async () => {
  data = tempDir("segue-data-");
  alice = addUser(data, "alice");
  bob = addUser(data, "bob");
  carol = addUser(data, "carol");
  client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [demoLibrary()] });
  ta = (await login(server.base, client, alice, ALL_SCOPES)).access_token;
  tb = (await login(server.base, client, bob, ALL_SCOPES)).access_token;
  tc = (await login(server.base, client, carol, ALL_SCOPES)).access_token;
  const albums = await api(server.base, "/v1/browse/new-releases?limit=50", { token: ta });
  for (const a of albums.body.albums.items) {
    const t = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token: ta });
    for (const x of t.body.items) tracks.push({ id: x.id, artist: x.artists[0].id });
  }
  // Two tracks by different artists for the counting tests.
  const second = tracks.find((t) => t.artist !== tracks[0].artist)!;
  tracks = [tracks[0], second, ...tracks.filter((t) => t !== tracks[0] && t !== second)];
});
after(async () => server?.stop());

describe("ingest", () => {
  it("accepts every event type in one batch and says which offsets are durable", async () => {
    const t = now();
    const uri = `segue:track:${tracks[2].id}`;
    const batch = [
      { type: "track_start", track_id: tracks[2].id, timestamp: t - 5000 },
      { type: "track_end", track_id: tracks[2].id, position_ms: 5000, skip: true, reason: "fwdbtn", timestamp: t },
      { type: "search", query: "nadia", result_count: 7, timestamp: t },
      { type: "search_click", query: "nadia", item_uri: uri, rank: 1, timestamp: t },
      { type: "home_impression", section_ids: ["recently-played"], item_uris: [uri], timestamp: t },
      { type: "home_click", section: "recently-played", item_uri: uri, rank: 0, timestamp: t },
      { type: "playlist_edit", playlist_id: "0000000000000000000000", action: "add", timestamp: t },
      { type: "library_save", item_uri: uri, saved: true, timestamp: t },
    ];
    const r = await send(tb, batch);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.accepted, batch.length);
    assert.equal(r.body.last_offset - r.body.first_offset + 1, batch.length);
    const exported = await exportOf(tb);
    assert.deepEqual(exported.map((e) => e.type), batch.map((e) => e.type));
    assert.deepEqual(exported.map((e) => e.offset), batch.map((_, i) => r.body.first_offset + i));
    // A skip at 5 s is not a play.
    const recent = await api(server.base, "/v1/me/player/recently-played", { token: tb });
    assert.equal(recent.body.items.length, 0);
  });

  it("saving to and removing from the library are library_save events, recorded by the server", async () => {
    const id = tracks[5].id;
    assert.equal((await api(server.base, `/v1/me/tracks?ids=${id}`, { token: tb, method: "PUT" })).status, 200);
    assert.equal((await api(server.base, `/v1/me/tracks?ids=${id}`, { token: tb, method: "DELETE" })).status, 200);
    const saves = (await exportOf(tb)).filter((e) => e.type === "library_save" && e.item_uri === `segue:track:${id}`);
    assert.deepEqual(saves.map((e) => [e.item_uri, e.saved]), [[`segue:track:${id}`, true], [`segue:track:${id}`, false]]);
  });

  it("a bad event anywhere in a batch appends nothing and names the field", async () => {
    const before = (await exportOf(tb)).length;
    const t = now();
    for (const [bad, field] of [
      [{ type: "track_end", track_id: tracks[0].id, position_ms: -1, timestamp: t }, "position_ms"],
      [{ type: "warp_drive", timestamp: t }, "type"],
      [{ type: "track_start", track_id: "0000000000000000000000", timestamp: t }, "track_id"],
      [{ type: "search", query: 42, timestamp: t }, "query"],
      [{ type: "track_start", track_id: tracks[0].id, timestamp: t + 7 * 86_400_000 }, "timestamp"],
      [{ type: "track_start", track_id: tracks[0].id, timestamp: t - 31 * 86_400_000 }, "timestamp"], // backdated beyond 30 days
      [{ type: "track_start", track_id: tracks[0].id, v: 99, timestamp: t }, "v"],
    ] as const) {
      const r = await send(tb, [...play(tracks[0].id, t), bad]);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.ok(isSpotifyError(r.body, 400));
      assert.match(r.body.error.message, new RegExp(`events\\[2\\]\\.${field}`), r.body.error.message);
    }
    assert.equal((await exportOf(tb)).length, before);
    assert.equal((await send(tb, [])).status, 400);
    assert.equal((await api(server.base, "/v1/me/player/events", { method: "POST", body: "[]" })).status, 401);
  });
});

describe("the seed's contract (issue 16)", () => {
  it("takes {\"event\": \"track_end\", \"position_ms\", \"skip\"} as the seed wrote it, and \"type\" still", async () => {
    // A track and a time no other test's counts look at (popularity is recency-weighted).
    const track = tracks[8].id;
    const at = now() - 25 * 86_400_000;
    // One event object, exactly the seed's shape (plus the track it is about and when).
    const seed = await api(server.base, "/v1/me/player/events", {
      token: tc, method: "POST",
      body: JSON.stringify({ event: "track_end", track_id: track, position_ms: 185_000, skip: false, timestamp: at }),
    });
    assert.equal(seed.status, 200, seed.text);
    assert.equal(seed.body.accepted, 1);
    const typed = await send(tc, [{ type: "track_end", track_id: track, position_ms: 40_000, skip: false, timestamp: at + 1000 }]);
    assert.equal(typed.status, 200, typed.text);
    const exported = await exportOf(tc);
    assert.deepEqual(exported.map((e) => [e.type, e.position_ms, e.skip]), [["track_end", 185_000, false], ["track_end", 40_000, false]]);
    // Both count as plays.
    const recent = await api(server.base, "/v1/me/player/recently-played", { token: tc });
    assert.equal(recent.status, 200);
    assert.deepEqual(recent.body.items.map((i: any) => i.track.id), [track, track]);
    // An unknown event name is refused like an unknown type, naming the field.
    const bad = await send(tc, [{ event: "track_teleport", track_id: track }]);
    assert.equal(bad.status, 400);
    assert.ok(isSpotifyError(bad.body, 400));
    assert.match(bad.body.error.message, /^events\[0\]\.type: unknown event type/);
  });
});

describe("what the consumers derive", () => {
  it("history, top tracks and artists, and popularity follow the plays", async () => {
    const t = now() - 3_600_000;
    const events = [
      ...play(tracks[0].id, t),
      ...play(tracks[0].id, t + 60_000),
      ...play(tracks[0].id, t + 120_000),
      ...play(tracks[1].id, t + 180_000),
      ...play(tracks[1].id, t + 240_000, 10_000, { skip: true }), // skipped at 10 s: not a play
    ];
    const sent = await send(ta, events);
    assert.equal(sent.status, 200);
    const recent = await api(server.base, "/v1/me/player/recently-played?limit=10", { token: ta });
    assert.equal(recent.status, 200, recent.text);
    assert.deepEqual(recent.body.items.map((i: any) => i.track.id), [tracks[1].id, tracks[0].id, tracks[0].id, tracks[0].id]);

    for (const range of ["short_term", "medium_term", "long_term"]) {
      const top = await api(server.base, `/v1/me/top/tracks?time_range=${range}`, { token: ta });
      assert.equal(top.status, 200, top.text);
      assert.deepEqual(top.body.items.slice(0, 2).map((x: any) => x.id), [tracks[0].id, tracks[1].id], range);
      assert.equal(top.body.total, 2);
    }
    const artists = await api(server.base, "/v1/me/top/artists?limit=1", { token: ta });
    assert.equal(artists.body.items[0].id, tracks[0].artist);
    assert.equal(artists.body.total, 2);
    assert.ok(artists.body.next, "paging: a next page");
    assert.equal((await api(server.base, "/v1/me/top/tracks?time_range=forever", { token: ta })).status, 400);
    assert.equal((await api(server.base, "/v1/me/top/albums", { token: ta })).status, 404);
    const narrow = (await login(server.base, client, alice, "user-read-private")).access_token;
    assert.equal((await api(server.base, "/v1/me/top/tracks", { token: narrow })).status, 403);

    // Popularity is eventually consistent: the popularity consumer applies in batches (in every
    // process that answers: each node of a cluster holds it in memory).
    await waitConsumers(server, ["popularity"], sent.body.last_offset);
    const a = await api(server.base, `/v1/tracks/${tracks[0].id}`, { token: ta });
    const b = await api(server.base, `/v1/tracks/${tracks[1].id}`, { token: ta });
    const unplayed = await api(server.base, `/v1/tracks/${tracks[3].id}`, { token: ta });
    assert.equal(a.body.popularity, 100); // the most played track
    assert.ok(b.body.popularity > 0 && b.body.popularity < 100, String(b.body.popularity));
    assert.equal(unplayed.body.popularity, 0);
    const topOfArtist = await api(server.base, `/v1/artists/${tracks[0].artist}/top-tracks`, { token: ta });
    assert.equal(topOfArtist.body.tracks[0].id, tracks[0].id);
  });

  it("a private session records nothing in history or counts, but the export still lists it", async () => {
    const popularity = async () => (await api(server.base, `/v1/tracks/${tracks[4].id}`, { token: tb })).body.popularity;
    await waitConsumers(server, ["popularity"]);
    const before = await popularity();
    const t = now();
    // The per-session flag on the events...
    assert.equal((await send(tb, play(tracks[4].id, t, 50_000, { private_session: true }).map((e) => ({ ...e, private_session: true })))).status, 200);
    // ...and the user setting.
    const put = await api(server.base, "/v1/me/preferences", { token: tb, method: "PUT", body: JSON.stringify({ private_session: true }) });
    assert.equal(put.status, 200, put.text);
    assert.equal((await send(tb, play(tracks[4].id, t + 60_000))).status, 200);
    await api(server.base, "/v1/me/preferences", { token: tb, method: "PUT", body: JSON.stringify({ private_session: false }) });
    const recent = await api(server.base, "/v1/me/player/recently-played", { token: tb });
    assert.ok(!recent.body.items.some((i: any) => i.track.id === tracks[4].id));
    await waitConsumers(server, ["popularity"]);
    assert.equal(await popularity(), before);
    const exported = (await exportOf(tb)).filter((e) => e.track_id === tracks[4].id);
    assert.equal(exported.length, 4);
    assert.ok(exported.every((e) => e.private_session === true));
  });

  it("deleting history forgets the user's plays and their share of the counts", async () => {
    const t = now();
    assert.equal((await send(tb, play(tracks[0].id, t))).status, 200);
    const recent = await api(server.base, "/v1/me/player/recently-played", { token: tb });
    assert.equal(recent.body.items.length, 1);
    const del = await api(server.base, "/v1/me/player/recently-played", { token: tb, method: "DELETE" });
    assert.equal(del.status, 204);
    assert.equal((await api(server.base, "/v1/me/player/recently-played", { token: tb })).body.items.length, 0);
    assert.equal((await exportOf(tb)).length, 0);
    assert.equal((await api(server.base, "/v1/me/top/tracks", { token: tb })).body.total, 0);
    // Alice's plays are untouched.
    assert.equal((await api(server.base, "/v1/me/player/recently-played", { token: ta })).body.items.length, 4);
    assert.equal((await api(server.base, `/v1/tracks/${tracks[0].id}`, { token: ta })).body.popularity, 100);
  });
});

describe("shared counts are bounded per user (issue 14)", () => {
  it("one user's batch of 1,000 backdated plays counts as a few plays, not popularity 100", async () => {
    const t = now();
    // Honest plays: tracks[0] has alice's 3 and two of bob's today.
    assert.equal((await send(tb, [...play(tracks[0].id, t - 120_000), ...play(tracks[0].id, t - 60_000)])).status, 200);
    const target = tracks[6].id;
    const before = (await api(server.base, `/v1/tracks/${target}`, { token: tb })).body.popularity;
    assert.equal(before, 0);
    const flood = Array.from({ length: 1000 }, (_, i) => ({
      type: "track_end", track_id: target, position_ms: 60_000, timestamp: t - 20 * 86_400_000 + i * 60_000,
    }));
    const r = await send(tb, flood);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.accepted, 1000);
    let pop = 0;
    for (let i = 0; i < 50 && pop === 0; i++) {
      pop = (await api(server.base, `/v1/tracks/${target}`, { token: tb })).body.popularity;
      if (pop === 0) await new Promise((res) => setTimeout(res, 100));
    }
    // Let the consumer finish the whole batch before reading the final figure.
    await waitConsumers(server, ["popularity"], r.body.last_offset);
    pop = (await api(server.base, `/v1/tracks/${target}`, { token: tb })).body.popularity;
    assert.ok(pop > 0 && pop < 100, `popularity ${pop}`);
    assert.equal((await api(server.base, `/v1/tracks/${tracks[0].id}`, { token: tb })).body.popularity, 100);
    // Bob's own top tracks still count every play.
    const top = await api(server.base, "/v1/me/top/tracks?time_range=long_term&limit=1", { token: tb });
    assert.equal(top.body.items[0].id, target);
  });
});

describe("operations", () => {
  it("/metrics shows each consumer's lag; segue events shows and replays them", async () => {
    // Each process serving (every node of a cluster) shows them; the log's head is the newest
    // any of them knows (a node hears of other nodes' appends within a second).
    let head = 0;
    for (const m of await metricsOfEach(server)) {
      for (const c of ["history", "popularity", "top_items"]) assert.match(m, new RegExp(`^segue_events_${c}_lag \\d+`, "m"));
      head = Math.max(head, Number(/^segue_events_head_offset (\d+)/m.exec(m)![1]));
    }
    assert.ok(head > 0);
    const before = await api(server.base, "/v1/me/player/recently-played?limit=50", { token: ta });
    await server.stop();
    const shown = runSegue(["events", "--data", data]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`log head: ${head}`));
    assert.match(shown.stdout, /^history\s+\d+\s+0\s+-$/m);
    const replayed = runSegue(["events", "--data", data, "--replay", "history"]);
    assert.equal(replayed.status, 0, replayed.stderr);
    assert.match(replayed.stdout, /replayed history from the log/);
    server = await startServer({ data, libraries: [demoLibrary()] });
    ta = (await login(server.base, client, alice, ALL_SCOPES)).access_token;
    const after = await api(server.base, "/v1/me/player/recently-played?limit=50", { token: ta });
    const plays = (r: any) => r.body.items.map((i: any) => [i.track.id, i.played_at, i.context?.uri ?? null]);
    assert.deepEqual(plays(after), plays(before));
    assert.ok(plays(after).length > 0);
  });

  it("kill -9 during a sustained ingest loses no acknowledged event and counts match a recount", async () => {
    const acked: number[] = [];
    let stop = false;
    // Every play gets its own timestamp: history pages by time, like Spotify's cursors.
    let clock = now() - 20 * 86_400_000; // within the 30 days a client may backdate
    const producer = async (k: number) => {
      while (!stop) {
        const batch = Array.from({ length: 50 }, (_, i) => play(tracks[(k + i) % tracks.length].id, (clock += 1000))).flat();
        try {
          const r = await send(ta, batch);
          if (r.status === 200) for (let o = r.body.first_offset; o <= r.body.last_offset; o++) acked.push(o);
        } catch {
          return; // the server is gone
        }
      }
    };
    const producers = [producer(0), producer(1), producer(2)];
    await new Promise((r) => setTimeout(r, 1500));
    const killed = server.kill9(); // every process of it (each node of a cluster) at once
    stop = true;
    await Promise.all(producers);
    await killed;
    assert.ok(acked.length > 1000, `only ${acked.length} events acknowledged`);

    server = await startServer({ data, libraries: [demoLibrary()] });
    ta = (await login(server.base, client, alice, ALL_SCOPES)).access_token;
    const exported = await exportOf(ta);
    const offsets = exported.map((e) => e.offset);
    assert.equal(new Set(offsets).size, offsets.length, "an event is in the log twice");
    const have = new Set(offsets);
    const lost = acked.filter((o) => !have.has(o));
    assert.deepEqual(lost, [], `${lost.length} acknowledged events lost`);
    // The history consumer's plays equal a recount from the log.
    await waitConsumers(server, ["history"], Math.max(...offsets), 60_000);
    const counted = exported.filter((e) => e.type === "track_end" && !e.private_session && e.position_ms >= 30_000).length;
    let plays = 0;
    let before: string | undefined;
    for (;;) {
      const r = await api(server.base, `/v1/me/player/recently-played?limit=50${before ? `&before=${before}` : ""}`, { token: ta });
      plays += r.body.items.length;
      if (!r.body.next || r.body.items.length === 0) break;
      before = r.body.cursors.before;
    }
    assert.equal(plays, counted);
  });
});
