// Catalog endpoints on the demo library: grouping, paging, ids, images and error shapes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFixture, startServer, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { DEMO_ALBUMS, DEMO_TRACK_COUNT, demoAlbum } from "../lib/demo.ts";
import { jpegSize } from "../lib/media.ts";

let f: Fixture;
let token: string;
const get = (p: string) => api(f.server.base, p, { token });

interface Snapshot {
  albums: Map<string, any>; // name -> full album object
  tracks: Map<string, any>; // title -> simplified track
}

async function snapshot(): Promise<Snapshot> {
  const nr = await get("/v1/browse/new-releases?limit=50");
  assert.equal(nr.status, 200);
  const albums = new Map<string, any>();
  const tracks = new Map<string, any>();
  for (const a of nr.body.albums.items) {
    const full = await get(`/v1/albums/${a.id}`);
    assert.equal(full.status, 200);
    albums.set(a.name, full.body);
    for (const t of full.body.tracks.items) tracks.set(t.name, t);
  }
  return { albums, tracks };
}

let snap: Snapshot;

before(async () => {
  f = await startFixture();
  token = (await login(f.server.base, f.confidential, f.free, ALL_SCOPES)).access_token;
  snap = await snapshot();
});

after(async () => {
  if (f.server.running) {
    const exit = await f.server.stop();
    assert.equal(exit.code, 0);
  }
});

describe("album grouping", () => {
  it("the demo library has 4 albums and 13 tracks", () => {
    assert.deepEqual([...snap.albums.keys()].sort(), DEMO_ALBUMS.map((a) => a.name).sort());
    assert.equal(snap.tracks.size, DEMO_TRACK_COUNT);
  });

  it("the compilation by Various Artists is one album with its three tracks", async () => {
    const a = snap.albums.get("Side Streets: A Collection");
    assert.equal(a.album_type, "compilation");
    assert.equal(a.total_tracks, 3);
    assert.deepEqual(a.artists.map((x: any) => x.name), ["Various Artists"]);
    assert.deepEqual(
      a.tracks.items.map((t: any) => [t.name, t.artists.map((x: any) => x.name)]),
      demoAlbum("Side Streets: A Collection").tracks.map((t) => [t.title, t.artists]),
    );
    // No track of the compilation shows up as its own album.
    for (const t of a.tracks.items) {
      const full = await get(`/v1/tracks/${t.id}`);
      assert.equal(full.body.album.id, a.id);
    }
  });

  it("the two-disc album lists disc 1 then disc 2, each in track order", () => {
    const a = snap.albums.get("Night Cartography");
    assert.deepEqual(
      a.tracks.items.map((t: any) => [t.disc_number, t.track_number, t.name]),
      demoAlbum("Night Cartography").tracks.map((t) => [t.disc, t.number, t.title]),
    );
  });

  it("release dates keep their precision", () => {
    const prec = (n: string) => [snap.albums.get(n).release_date, snap.albums.get(n).release_date_precision];
    assert.deepEqual(prec("Harbor Lights"), ["2019-09-06", "day"]);
    assert.deepEqual(prec("Side Streets: A Collection"), ["2024-03", "month"]);
    assert.deepEqual(prec("Glass Orchard"), ["2023", "year"]);
  });
});

describe("paging objects", () => {
  it("album tracks page by page: limit, offset, next, previous, total", async () => {
    const a = snap.albums.get("Night Cartography");
    const seen: string[] = [];
    let url: string | null = `/v1/albums/${a.id}/tracks?limit=1`;
    let pages = 0;
    let expectedOffset = 0;
    while (url) {
      const r = await get(url.replace(f.server.base, ""));
      assert.equal(r.status, 200);
      const p = r.body;
      assert.equal(p.limit, 1);
      assert.equal(p.offset, expectedOffset);
      assert.equal(p.total, 4);
      assert.equal(p.items.length, 1);
      if (expectedOffset === 0) assert.equal(p.previous, null);
      else assert.equal(new URL(p.previous).searchParams.get("offset"), String(expectedOffset - 1));
      if (expectedOffset === 3) assert.equal(p.next, null);
      else assert.equal(new URL(p.next).searchParams.get("offset"), String(expectedOffset + 1));
      assert.equal(new URL(p.href).searchParams.get("offset"), String(expectedOffset));
      seen.push(p.items[0].name);
      url = p.next;
      expectedOffset++;
      pages++;
      assert.ok(pages <= 4, "too many pages");
    }
    assert.deepEqual(seen, demoAlbum("Night Cartography").tracks.map((t) => t.title));
  });

  it("new releases: a middle page links both ways; an offset past the end is empty", async () => {
    const r = await get("/v1/browse/new-releases?limit=2&offset=1");
    const p = r.body.albums;
    assert.equal(p.total, 4);
    assert.equal(p.items.length, 2);
    const next = new URL(p.next);
    assert.equal(next.pathname, "/v1/browse/new-releases");
    assert.equal(next.searchParams.get("offset"), "3");
    assert.equal(next.searchParams.get("limit"), "2");
    assert.equal(new URL(p.previous).searchParams.get("offset"), "0");
    const all = (await get("/v1/browse/new-releases?limit=50")).body.albums.items.map((a: any) => a.id);
    assert.deepEqual(p.items.map((a: any) => a.id), all.slice(1, 3));
    const past = (await get("/v1/browse/new-releases?offset=10")).body.albums;
    assert.deepEqual(past.items, []);
    assert.equal(past.next, null);
    assert.equal(past.total, 4);
  });

  for (const q of ["limit=51", "limit=0", "limit=abc", "limit=-1"]) {
    it(`${q} is a 400 naming limit`, async () => {
      const r = await get(`/v1/browse/new-releases?${q}`);
      assert.equal(r.status, 400);
      assert.ok(isSpotifyError(r.body, 400), r.text);
      assert.match(r.body.error.message, /limit/);
    });
  }

  it("limit=50 is allowed; offset=-1 is a 400 naming offset", async () => {
    assert.equal((await get("/v1/browse/new-releases?limit=50")).status, 200);
    const r = await get("/v1/browse/new-releases?offset=-1");
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /offset/);
  });
});

describe("ids", () => {
  it("every id is 22-char base62 and every uri names its type", () => {
    const check = (o: any, type: string) => {
      assert.match(o.id, /^[0-9A-Za-z]{22}$/, `${type} id ${o.id}`);
      assert.equal(o.type, type);
      assert.equal(o.uri, `segue:${type}:${o.id}`);
      assert.ok(o.href.endsWith(`/v1/${type}s/${o.id}`), o.href);
    };
    for (const a of snap.albums.values()) {
      check(a, "album");
      a.artists.forEach((x: any) => check(x, "artist"));
      for (const t of a.tracks.items) {
        check(t, "track");
        t.artists.forEach((x: any) => check(x, "artist"));
      }
    }
    const ids = [...snap.tracks.values()].map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, "track ids are unique");
  });

  it("GET /v1/tracks and /v1/albums with ids keep order and give null for unknown ids", async () => {
    const t = [...snap.tracks.values()];
    const unknown = "0000000000000000000000";
    const r = await get(`/v1/tracks?ids=${t[2].id},${unknown},${t[0].id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.tracks.map((x: any) => x?.id ?? null), [t[2].id, null, t[0].id]);
    const tooMany = await get(`/v1/albums?ids=${Array(21).fill(t[0].id).join(",")}`);
    assert.equal(tooMany.status, 400);
  });
});

describe("images", () => {
  it("album images point to /images/ID?size=N and serve JPEGs of that size", async () => {
    let checked = 0;
    for (const a of snap.albums.values()) {
      assert.equal(a.images.length, 3, `${a.name} has images`);
      for (const im of a.images) {
        const u = new URL(im.url);
        assert.match(u.pathname, /^\/images\/[0-9A-Za-z]{22}$/);
        assert.ok(["640", "300", "64"].includes(u.searchParams.get("size")!), im.url);
        const res = await fetch(f.server.base + u.pathname + u.search);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "image/jpeg");
        const size = jpegSize(new Uint8Array(await res.arrayBuffer()));
        assert.ok(size, `${im.url} is not a JPEG with a SOF marker`);
        const requested = Number(u.searchParams.get("size"));
        assert.ok(Math.max(size!.width, size!.height) <= requested, `${im.url}: ${JSON.stringify(size)} exceeds ${requested}`);
        if (requested === 64) assert.equal(Math.max(size!.width, size!.height), 64, "covers are larger than 64 px");
        // Dimensions in the object are either the served ones or unknown (null), never invented.
        if (im.width === null || im.height === null) assert.deepEqual([im.width, im.height], [null, null]);
        else assert.deepEqual(size, { width: im.width, height: im.height }, `${im.url}`);
        checked++;
      }
    }
    assert.equal(checked, 12);
    assert.deepEqual(snap.albums.get("Harbor Lights").images.map((im: any) => new URL(im.url).searchParams.get("size")), ["640", "300", "64"]);
  });

  it("album images state their real dimensions (the scanner probes each cover once)", async () => {
    // With numbers here, the previous test has checked them against the served JPEGs.
    for (const a of snap.albums.values()) for (const im of a.images) {
      assert.equal(typeof im.width, "number", `${a.name}: ${im.url}`);
      assert.equal(typeof im.height, "number", `${a.name}: ${im.url}`);
    }
  });

  it("an image ETag revalidates with 304; bad sizes are 400, unknown ids 404", async () => {
    const im = snap.albums.get("Harbor Lights").images[1];
    const u = new URL(im.url);
    const first = await fetch(f.server.base + u.pathname + u.search);
    const etag = first.headers.get("etag");
    assert.ok(etag);
    const again = await fetch(f.server.base + u.pathname + u.search, { headers: { "if-none-match": etag! } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(f.server.base + u.pathname + "?size=123")).status, 400);
    assert.equal((await fetch(f.server.base + "/images/0000000000000000000000")).status, 404);
  });
});

describe("errors", () => {
  it("unknown ids are 404 in Spotify's error shape", async () => {
    for (const kind of ["tracks", "albums", "artists"]) {
      const r = await get(`/v1/${kind}/0000000000000000000000`);
      assert.equal(r.status, 404, kind);
      assert.ok(isSpotifyError(r.body, 404), r.text);
      assert.deepEqual(Object.keys(r.body), ["error"]);
    }
    for (const p of ["/v1/albums/0000000000000000000000/tracks", "/v1/artists/0000000000000000000000/albums"]) {
      assert.equal((await get(p)).status, 404, p);
    }
  });

  it("malformed ids are 400", async () => {
    for (const p of ["/v1/tracks/abc", "/v1/albums/not-a-valid-id-at-all!!", "/v1/artists/" + "a".repeat(23), "/v1/tracks?ids=abc,def"]) {
      const r = await get(p);
      assert.equal(r.status, 400, p);
      assert.ok(isSpotifyError(r.body, 400), r.text);
    }
  });

  it("a wrong method is 405 with Allow", async () => {
    const id = [...snap.tracks.values()][0].id;
    const r = await api(f.server.base, `/v1/tracks/${id}`, { method: "DELETE", token });
    assert.equal(r.status, 405);
    assert.ok(isSpotifyError(r.body, 405), r.text);
    assert.match(r.headers.get("allow") ?? "", /GET/);
  });

  it("an unknown path is 404", async () => {
    const r = await get("/v1/nothing-here");
    assert.equal(r.status, 404);
    assert.ok(isSpotifyError(r.body, 404));
  });

  it("no token is 401 with WWW-Authenticate", async () => {
    const id = [...snap.tracks.values()][0].id;
    for (const p of [`/v1/tracks/${id}`, "/v1/me", "/v1/browse/new-releases"]) {
      const r = await api(f.server.base, p);
      assert.equal(r.status, 401, p);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
      assert.ok(isSpotifyError(r.body, 401), r.text);
    }
    const basic = await api(f.server.base, "/v1/me", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
    assert.equal(basic.status, 401);
  });
});

describe("restart", () => {
  it("ids are stable across a restart with the same data directory", async () => {
    const before = [...snap.tracks.values()].map((t) => [t.name, t.id]).sort();
    const albumsBefore = [...snap.albums.values()].map((a) => [a.name, a.id, a.images[0].url.split("?")[0].split("/").pop()]).sort();
    const exit = await f.server.stop();
    assert.equal(exit.code, 0);
    f.server = await startServer({ data: f.data, libraries: [f.library] });
    // The old token survives the restart (tokens live in the database).
    const again = await snapshot();
    const after = [...again.tracks.values()].map((t) => [t.name, t.id]).sort();
    const albumsAfter = [...again.albums.values()].map((a) => [a.name, a.id, a.images[0].url.split("?")[0].split("/").pop()]).sort();
    assert.deepEqual(after, before);
    assert.deepEqual(albumsAfter, albumsBefore);
  });
});
