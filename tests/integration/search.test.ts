// Search over HTTP: search-as-you-type suggestions, "did you mean", recent searches and the
// private session, errors and scopes, and playlists entering the index as they change.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFixture, waitMetrics, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";

let f: Fixture;
let alice: string; // tokens
let bob: string;

// Every process's index (each node of a cluster keeps its own).
async function waitReady(): Promise<void> {
  await waitMetrics(f.server, "the search index ready", (m) => /^segue_search_ready\s+1/m.test(m));
}

async function suggest(q: string, token = alice) {
  const r = await api(f.server.base, `/v1/search/suggest?q=${encodeURIComponent(q)}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// Polls until `check` passes: the index follows announcements on its own thread.
async function eventually(check: () => Promise<void>): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      await check();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

before(async () => {
  f = await startFixture();
  alice = (await login(f.server.base, f.publicClient, f.free, ALL_SCOPES)).access_token;
  bob = (await login(f.server.base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
  await waitReady();
});
after(async () => f?.server.stop());

describe("suggestions as you type", () => {
  it("each keystroke of an artist's name converges on the artist as the top result", async () => {
    const typed = "nadia ore";
    let lastTop = "";
    for (let i = 2; i <= typed.length; i++) {
      const s = await suggest(typed.slice(0, i));
      assert.equal(s.q, typed.slice(0, i));
      for (const k of ["tracks", "albums", "artists", "playlists"]) assert.ok(Array.isArray(s[k]), k);
      if (s.top_result) lastTop = `${s.top_result.type}:${s.top_result.item.name}`;
    }
    assert.equal(lastTop, "artist:Nadia Oré");
    const s = await suggest("nadia ore");
    assert.equal(s.artists[0].name, "Nadia Oré");
    assert.ok(s.tracks.length > 0 && s.tracks.length <= 4);
    assert.equal(s.tracks[0].type, "track");
  });

  it("a prefix of a title finds it, with the album and artist objects filled in", async () => {
    const s = await suggest("northb");
    assert.equal(s.top_result.type, "track");
    assert.equal(s.top_result.item.name, "Northbound Static");
    assert.equal(s.top_result.item.album.name, "Night Cartography");
    assert.equal(s.corrected_query, null);
  });

  it("a misspelt word is corrected and says so (did you mean)", async () => {
    const s = await suggest("paper satelites");
    assert.equal(s.top_result.item.name, "Paper Satellites");
    assert.equal(s.corrected_query, "paper satellites");
    const r = await api(f.server.base, "/v1/search?q=coper%20lanterns&type=artist", { token: alice });
    assert.equal(r.status, 200);
    assert.equal(r.body.artists.items[0].name, "The Copper Lanterns");
    assert.equal(r.body.corrected_query, "copper lanterns");
  });

  it("natural phrasing, short-word typos, numbers as words and an unknown word still find it (relaxed pass)", async () => {
    const search = async (q: string, type = "track") => {
      const r = await api(f.server.base, `/v1/search?q=${encodeURIComponent(q)}&type=${type}`, { token: alice });
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    // "by" need not match; the answer says how it read the query.
    let r = await search("quiet voltage by nadia ore");
    assert.equal(r.tracks.items[0].name, "Quiet Voltage");
    assert.equal(r.corrected_query, "quiet voltage nadia ore");
    // A typo in a three-letter word, and a word no document has, left out.
    r = await search("low tdie letters karaoke");
    assert.equal(r.tracks.items[0].name, "Low Tide Letters");
    assert.equal(r.corrected_query, "low tide letters");
    // "3" in the catalog, "three" typed.
    r = await search("orchard at three am");
    assert.equal(r.tracks.items[0].name, "Orchard at 3 AM");
    // As you type, the same.
    const s = await suggest("paper satellites by the copper lanterns");
    assert.equal(s.top_result.item.name, "Paper Satellites");
    // What the strict rules find comes first: "lanterns" alone is strict, no reading given.
    r = await search("lanterns");
    assert.equal(r.corrected_query, null);
  });

  it("nothing found is an empty answer, not an error", async () => {
    const s = await suggest("zzzzqqqq");
    assert.equal(s.top_result, null);
    assert.deepEqual(s.tracks, []);
  });
});

describe("errors and scopes", () => {
  it("bad requests get Spotify's error shape", async () => {
    for (const [p, status] of [
      ["/v1/search?type=track", 400],
      ["/v1/search?q=x", 400],
      ["/v1/search?q=x&type=song", 400],
      ["/v1/search?q=x&type=track&limit=51", 400],
      ["/v1/search?q=year:abc&type=track", 400],
      ["/v1/search/suggest", 400],
      [`/v1/search/suggest?q=${"a".repeat(600)}`, 400],
    ] as const) {
      const r = await api(f.server.base, p, { token: alice });
      assert.equal(r.status, status, p);
      assert.ok(isSpotifyError(r.body, status), `${p}: ${r.text}`);
    }
    const r = await api(f.server.base, "/v1/search?q=x&type=track");
    assert.equal(r.status, 401);
  });

  it("half-typed text suggests nothing instead of failing; full search refuses it", async () => {
    const s = await api(f.server.base, "/v1/search/suggest?q=%24", { token: alice });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.top_result, null);
    for (const k of ["tracks", "albums", "artists", "playlists"]) assert.deepEqual(s.body[k], [], k);
    const next = await api(f.server.base, "/v1/search/suggest?q=%24tram", { token: alice });
    assert.equal(next.body.tracks[0]?.name, "Tram Lines");
    const full = await api(f.server.base, "/v1/search?q=%24&type=track", { token: alice });
    assert.equal(full.status, 400);
    assert.ok(isSpotifyError(full.body, 400), full.text);
  });

  it("types Segue has no content for yet answer with empty pages", async () => {
    const r = await api(f.server.base, "/v1/search?q=tram&type=track,show,episode", { token: alice });
    assert.equal(r.status, 200);
    assert.equal(r.body.tracks.items[0].name, "Tram Lines");
    assert.deepEqual(r.body.shows.items, []);
    assert.equal(r.body.episodes.total, 0);
  });

  it("recent searches need user-read-private", async () => {
    const narrow = (await login(f.server.base, f.publicClient, f.free, "user-library-read")).access_token;
    const r = await api(f.server.base, "/v1/me/search/recent", { token: narrow });
    assert.equal(r.status, 403);
  });
});

describe("recent searches", () => {
  it("are kept per user, newest first, and can be removed one by one or all", async () => {
    const post = (q: string, token = alice) =>
      api(f.server.base, "/v1/me/search/recent", { method: "POST", token, body: JSON.stringify({ query: q }) });
    assert.equal((await post("compass")).status, 204);
    assert.equal((await post("nadia")).status, 204);
    assert.equal((await post("compass")).status, 204);
    assert.equal((await post("other user", bob)).status, 204);
    let r = await api(f.server.base, "/v1/me/search/recent", { token: alice });
    assert.deepEqual(r.body.items.map((x: any) => x.query), ["compass", "nadia"]);
    assert.match(r.body.items[0].searched_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal((await post("   ")).status, 400);
    assert.equal((await api(f.server.base, "/v1/me/search/recent", { method: "POST", token: alice, body: "{}" })).status, 400);
    await api(f.server.base, "/v1/me/search/recent?query=compass", { method: "DELETE", token: alice });
    r = await api(f.server.base, "/v1/me/search/recent", { token: alice });
    assert.deepEqual(r.body.items.map((x: any) => x.query), ["nadia"]);
    await api(f.server.base, "/v1/me/search/recent", { method: "DELETE", token: alice });
    r = await api(f.server.base, "/v1/me/search/recent", { token: alice });
    assert.deepEqual(r.body.items, []);
    r = await api(f.server.base, "/v1/me/search/recent", { token: bob });
    assert.deepEqual(r.body.items.map((x: any) => x.query), ["other user"]);
  });

  it("are not recorded in a private session", async () => {
    let r = await api(f.server.base, "/v1/me/preferences", { method: "PUT", token: alice, body: JSON.stringify({ private_session: true }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.private_session, true);
    await api(f.server.base, "/v1/me/search/recent", { method: "POST", token: alice, body: JSON.stringify({ query: "secret" }) });
    r = await api(f.server.base, "/v1/me/search/recent", { token: alice });
    assert.ok(!r.body.items.some((x: any) => x.query === "secret"));
    r = await api(f.server.base, "/v1/me/preferences", { method: "PUT", token: alice, body: JSON.stringify({ private_session: false }) });
    assert.equal(r.body.private_session, false);
    await api(f.server.base, "/v1/me/search/recent", { method: "POST", token: alice, body: JSON.stringify({ query: "open" }) });
    r = await api(f.server.base, "/v1/me/search/recent", { token: alice });
    assert.equal(r.body.items[0].query, "open");
    r = await api(f.server.base, "/v1/me/preferences", { method: "PUT", token: alice, body: JSON.stringify({ private_session: "yes" }) });
    assert.equal(r.status, 400);
  });
});

describe("playlists in search", () => {
  it("a private playlist is found by its owner only, and by everyone once public", async () => {
    const me = (await api(f.server.base, "/v1/me", { token: alice })).body.id;
    const created = await api(f.server.base, `/v1/users/${me}/playlists`, {
      method: "POST", token: alice, body: JSON.stringify({ name: "Zephyr Road Trip", public: false }),
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    await eventually(async () => {
      const s = await suggest("zephyr", alice);
      assert.equal(s.playlists[0]?.id, id);
    });
    assert.deepEqual((await suggest("zephyr", bob)).playlists, []);
    const put = await api(f.server.base, `/v1/playlists/${id}`, { method: "PUT", token: alice, body: JSON.stringify({ public: true, name: "Zephyr Sunday" }) });
    assert.equal(put.status, 200, put.text);
    await eventually(async () => {
      const s = await suggest("zephyr sun", bob);
      assert.equal(s.playlists[0]?.id, id);
      assert.equal(s.playlists[0].name, "Zephyr Sunday");
    });
  });

  it("the spelling correction never suggests words of someone else's private playlist (issue 14)", async () => {
    const me = (await api(f.server.base, "/v1/me", { token: alice })).body.id;
    const created = await api(f.server.base, `/v1/users/${me}/playlists`, {
      method: "POST", token: alice, body: JSON.stringify({ name: "Quixotelike Confessions", public: false }),
    });
    assert.equal(created.status, 201, created.text);
    // Alice's own private playlist: her misspelling is corrected towards it.
    await eventually(async () => {
      const s = await suggest("quixotelkie", alice);
      assert.equal(s.corrected_query, "quixotelike");
    });
    for (const q of ["quixotelkie", "quixotelkie confesions"]) {
      const s = await suggest(q, bob);
      assert.doesNotMatch(JSON.stringify(s), /quixotelike/i, q);
      const r = await api(f.server.base, `/v1/search?q=${encodeURIComponent(q)}&type=track,artist,album,playlist`, { token: bob });
      assert.equal(r.status, 200);
      assert.doesNotMatch(JSON.stringify(r.body), /quixotelike/i, q);
    }
    // Pages past the first 50 and filtered queries take the Xapian path.
    const deep = await api(f.server.base, "/v1/search?q=quixotelkie&type=playlist&offset=60", { token: bob });
    assert.equal(deep.status, 200);
    assert.doesNotMatch(JSON.stringify(deep.body), /quixotelike/i);
    const year = await api(f.server.base, `/v1/search?q=${encodeURIComponent("quixotelkie year:1900-2100")}&type=track,playlist`, { token: bob });
    assert.equal(year.status, 200);
    assert.doesNotMatch(JSON.stringify(year.body), /quixotelike/i);
    const yearSuggest = await suggest("quixotelkie year:1900-2100", bob);
    assert.doesNotMatch(JSON.stringify(yearSuggest), /quixotelike/i);
  });
});
