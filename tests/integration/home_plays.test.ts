// Home's play rewards and radio contexts end to end (issue 18): a play of 30 s or more started
// from a home shelf (the playback event's `source: "home:<section>"`) is counted as that page's
// reward by the taste consumer and `segue recommend experiments`, a shorter one is not, a bad
// source is refused; a radio's plays come back from recently-played as a "radio" context naming
// the seed, and home's "Recently played" shelf offers the station again.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { catalogLibrary, catalogTracks, TWO_TASTES, type CatalogTrack } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
let tracks: CatalogTrack[] = [];

async function send(who: string, events: object[]) {
  const r = await api(server.base, "/v1/me/player/events", { token: tokens[who], method: "POST", body: JSON.stringify(events) });
  return r;
}
async function home(who: string) {
  const r = await api(server.base, "/v1/me/home?device=Computer&utc_offset=0", { token: tokens[who] });
  assert.equal(r.status, 200, r.text);
  return r.body;
}
// Pages and pages with a reward, summed over the experiment's arms.
function rewardedPages(): { pages: number; rewarded: number; out: string } {
  const r = runSegue(["recommend", "experiments", "--data", data]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  let pages = 0;
  let rewarded = 0;
  for (const m of r.stdout.matchAll(/(\d+) pages\s+(\d+) with a reward/g)) {
    pages += Number(m[1]);
    rewarded += Number(m[2]);
  }
  return { pages, rewarded, out: r.stdout };
}

before(async () => {
  data = tempDir("segue-home-plays-");
  for (const name of ["alice", "bob", "carol"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(TWO_TASTES, "segue-home-plays-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  tracks = (await catalogTracks(server.base, tokens.alice)).tracks;
  assert.ok(tracks.length >= 8);
});
after(async () => server?.stop());

describe("plays started from home", () => {
  it("refuses a malformed source, naming the field, and records nothing of the batch", async () => {
    const r = await send("alice", [
      { type: "track_start", track_id: tracks[0].id, timestamp: Date.now() },
      { type: "track_end", track_id: tracks[0].id, position_ms: 40_000, source: "home:", timestamp: Date.now() },
    ]);
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.error.message, /events\[1\]\.source:/);
  });

  it("counts a play of 30 s or more from a shelf as the page's reward, and not a shorter one", async () => {
    const alice = await home("alice");
    const bob = await home("bob");
    assert.ok(alice.sections.length > 0 && bob.sections.length > 0);
    await sleep(300); // impressions are written in the background
    const before = rewardedPages();
    assert.ok(before.pages >= 2, before.out);
    assert.equal(before.rewarded, 0, before.out);

    // bob samples a track of his first shelf for 10 s: no reward.
    const bobShelf = bob.sections[0].id;
    const t = Date.now();
    assert.equal((await send("bob", [
      { type: "track_start", track_id: tracks[1].id, timestamp: t, source: `home:${bobShelf}` },
      { type: "track_end", track_id: tracks[1].id, position_ms: 10_000, skip: true, reason: "fwdbtn", timestamp: t + 10_000, source: `home:${bobShelf}` },
    ])).status, 200);
    // alice plays one from hers for 45 s, then another of the same context for a minute: one reward.
    const shelf = alice.sections[alice.sections.length - 1].id;
    const events = [tracks[2].id, tracks[3].id].flatMap((id, i) => [
      { type: "track_start", track_id: id, timestamp: t + i * 60_000, source: `home:${shelf}` },
      { type: "track_end", track_id: id, position_ms: 45_000 + i * 15_000, timestamp: t + i * 60_000 + 45_000, source: `home:${shelf}` },
    ]);
    const sent = await send("alice", events);
    assert.equal(sent.status, 200, sent.text);
    await waitConsumers(server, ["taste", "history"]);
    const afterPlays = rewardedPages();
    assert.equal(afterPlays.rewarded, 1, afterPlays.out);

    // The export gives the source back as sent.
    const exported = await fetch(server.url("/v1/me/export"), { headers: { authorization: `Bearer ${tokens.alice}` } });
    assert.equal(exported.status, 200);
    const lines = (await exported.text()).split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
    const ends = lines.filter((e) => e.type === "track_end");
    assert.deepEqual(ends.map((e) => e.source), [`home:${shelf}`, `home:${shelf}`]);
  });
});

describe("radio in recently played", () => {
  it("returns a radio context naming the seed, and home's Recently played offers the station again", async () => {
    const seedArtist = tracks[0].artist;
    const r = await api(server.base, "/v1/me/radio", { token: tokens.carol, method: "POST", body: JSON.stringify({ seed: `segue:artist:${seedArtist}`, limit: 3 }) });
    assert.equal(r.status, 200, r.text);
    const ctx = r.body.context_uri;
    assert.equal(ctx, `segue:radio:segue:artist:${seedArtist}`);
    const first = r.body.tracks[0].id;
    const t = Date.now() - 120_000;
    assert.equal((await send("carol", [
      { type: "track_start", track_id: first, timestamp: t, context_uri: ctx },
      { type: "track_end", track_id: first, position_ms: 60_000, timestamp: t + 60_000, context_uri: ctx },
    ])).status, 200);
    await waitConsumers(server, ["history", "taste"]);
    const recent = await api(server.base, "/v1/me/player/recently-played?limit=5", { token: tokens.carol });
    assert.equal(recent.status, 200, recent.text);
    assert.equal(recent.body.items.length, 1);
    assert.deepEqual(recent.body.items[0].context, {
      type: "radio",
      uri: ctx,
      href: `${server.base}/v1/artists/${seedArtist}`,
      external_urls: {},
      seed: { type: "artist", id: seedArtist, uri: `segue:artist:${seedArtist}`, name: tracks[0].artistName },
    });

    const h = await home("carol");
    const shelf = h.sections.find((s: any) => s.id === "recently_played");
    assert.ok(shelf, JSON.stringify(h.sections.map((s: any) => s.id)));
    const item = shelf.items.find((i: any) => i.type === "radio");
    assert.ok(item, JSON.stringify(shelf.items));
    assert.equal(item.radio.uri, ctx);
    assert.equal(item.radio.name, tracks[0].artistName);
    assert.deepEqual(item.radio.seed, { type: "artist", id: seedArtist, uri: `segue:artist:${seedArtist}` });
    assert.ok(Array.isArray(item.radio.images));
  });
});
