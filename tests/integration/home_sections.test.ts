// "Show all" of a home section (issue 18): GET /v1/me/home/sections/{id} answers one section of
// the caller's home in full, paged: more than its shelf's ten items, the shelf's items among
// them, an item once; 404 for a section the caller's home does not have, 400 for a bad page.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addClient, addUser, startServer, tempDir, type Server } from "../lib/server.ts";
import { ALL_SCOPES, api, isSpotifyError, login } from "../lib/oauth.ts";
import { catalogLibrary, type CatalogRow } from "../lib/tastes.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
// Fourteen albums of one track by fourteen artists: "New releases for you" has more than a shelf.
const ROWS: CatalogRow[] = Array.from({ length: 14 }, (_, i): CatalogRow => [`Song ${i + 1}`, `Artist ${i + 1}`, `Album ${i + 1}`, "Folk", 2000 + i]);
let server: Server;
let token = "";

before(async () => {
  const data = tempDir("segue-home-sections-");
  const user = addUser(data, "alice");
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(ROWS, "segue-home-sections-lib-")] });
  token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
});
after(async () => server?.stop());

const get = (p: string) => api(server.base, p, { token });
const ids = (items: any[]) => items.map((i) => `${i.type}:${i[i.type].id}`);

describe("GET /v1/me/home/sections/{id}", () => {
  it("pages through a section with more items than its shelf, the shelf's among them", async () => {
    const home = await get("/v1/me/home");
    assert.equal(home.status, 200, home.text);
    const shelf = home.body.sections.find((s: any) => s.id === "new_releases");
    assert.ok(shelf, home.text);
    assert.equal(shelf.items.length, 10); // a shelf's size

    const first = await get("/v1/me/home/sections/new_releases?limit=6");
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.id, "new_releases");
    assert.equal(first.body.title, shelf.title);
    const page = first.body.items;
    assert.equal(page.total, 14);
    assert.equal(page.limit, 6);
    assert.equal(page.offset, 0);
    assert.equal(page.items.length, 6);
    assert.ok(page.next.includes("/v1/me/home/sections/new_releases?offset=6&limit=6"), page.next);
    const rest = [];
    for (let offset = 6; offset < 14; offset += 6) {
      const r = await get(`/v1/me/home/sections/new_releases?limit=6&offset=${offset}`);
      assert.equal(r.status, 200, r.text);
      rest.push(...r.body.items.items);
    }
    const all = ids([...page.items, ...rest]);
    assert.equal(all.length, 14);
    assert.equal(new Set(all).size, 14, "an item once");
    for (const id of ids(shelf.items)) assert.ok(all.includes(id), `${id} of the shelf`);
    // The newest first, as on the shelf: the albums are 2000..2013.
    const years = [...page.items, ...rest].map((i: any) => Number(i.album.release_date.slice(0, 4)));
    assert.deepEqual(years, [...years].sort((a, b) => b - a));
  });

  it("answers a section id with its percent-encoded colon, and 404 for one the home does not have", async () => {
    const home = await get("/v1/me/home");
    for (const s of home.body.sections) {
      const r = await get(`/v1/me/home/sections/${encodeURIComponent(s.id)}?limit=50`);
      assert.equal(r.status, 200, `${s.id}: ${r.text}`);
      assert.equal(r.body.id, s.id);
      assert.ok(r.body.items.total >= s.items.length, s.id);
    }
    for (const missing of ["no_such_section", "because_you_listened:0000000000000000000000"]) {
      const r = await get(`/v1/me/home/sections/${encodeURIComponent(missing)}`);
      assert.equal(r.status, 404, r.text);
      assert.ok(isSpotifyError(r.body, 404), r.text);
    }
  });

  it("refuses a bad page with 400", async () => {
    for (const q of ["limit=0", "limit=51", "offset=-1"]) {
      const r = await get(`/v1/me/home/sections/new_releases?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
    }
  });
});
