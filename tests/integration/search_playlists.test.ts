// Playlist search by description and by owner (issue 15): a public playlist is found by a word
// of its description and by its owner's display name, through /v1/search (in-memory pages and
// Xapian pages) and /v1/search/suggest; another user's private playlist is not found by its
// description, nor does its description leak into corrections.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { REDIRECT, addClient, addUser, demoLibrary, sleep, startServer, tempDir, type Server } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";

let server: Server;
let owner: string; // tokens
let other: string;
let reader: string;
let publicId: string;
let privateId: string;

async function eventually(check: () => Promise<void>): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      await check();
      return;
    } catch (e) {
      last = e;
      await sleep(100);
    }
  }
  throw last;
}

async function playlistIds(q: string, token: string, extra = ""): Promise<string[]> {
  const r = await api(server.base, `/v1/search?q=${encodeURIComponent(q)}&type=playlist${extra}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.body.playlists.items.map((p: any) => p.id);
}

async function suggestIds(q: string, token: string): Promise<string[]> {
  const r = await api(server.base, `/v1/search/suggest?q=${encodeURIComponent(q)}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.body.playlists.map((p: any) => p.id);
}

before(async () => {
  const data = tempDir("segue-data-");
  const zan = addUser(data, "zanzibarella");
  const bob = addUser(data, "bob");
  const carol = addUser(data, "carol");
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [demoLibrary()] });
  owner = (await login(server.base, client, zan, ALL_SCOPES)).access_token;
  other = (await login(server.base, client, bob, ALL_SCOPES)).access_token;
  reader = (await login(server.base, client, carol, ALL_SCOPES)).access_token;
  const pub = await api(server.base, `/v1/users/${zan.id}/playlists`, {
    method: "POST", token: owner,
    body: JSON.stringify({ name: "Evening Mix", description: "Quiet harbour lullabies for rainy evenings", public: true }),
  });
  assert.equal(pub.status, 201, pub.text);
  publicId = pub.body.id;
  const priv = await api(server.base, `/v1/users/${bob.id}/playlists`, {
    method: "POST", token: other,
    body: JSON.stringify({ name: "Stash", description: "Secret marzipan recordings", public: false }),
  });
  assert.equal(priv.status, 201, priv.text);
  privateId = priv.body.id;
  // Both are in the index once the owner finds their private one.
  await eventually(async () => {
    assert.deepEqual(await playlistIds("marzipan", other), [privateId]);
    assert.deepEqual(await playlistIds("harbour", reader), [publicId]);
  });
});
after(async () => server?.stop());

describe("playlists found by description and owner", () => {
  it("a public playlist is found by a word of its description, by anyone", async () => {
    assert.deepEqual(await playlistIds("harbour", reader), [publicId]);
    assert.deepEqual(await playlistIds("rainy lullabies", other), [publicId]);
    assert.deepEqual(await suggestIds("harbour lull", reader), [publicId]);
    // Xapian pages (a quoted phrase) too.
    assert.deepEqual(await playlistIds('"harbour lullabies"', reader), [publicId]);
  });

  it("a public playlist is found by its owner's display name", async () => {
    assert.deepEqual(await playlistIds("zanzibarella", reader), [publicId]);
    assert.deepEqual(await suggestIds("zanzibar", reader), [publicId]);
    const r = await api(server.base, "/v1/search?q=zanzibarella&type=playlist", { token: reader });
    assert.equal(r.body.playlists.items[0].owner.display_name, "zanzibarella");
    assert.deepEqual(await playlistIds('"zanzibarella"', reader), [publicId]);
  });

  it("another user's private playlist is not found by its description, nor corrected towards", async () => {
    for (const token of [reader, owner]) {
      assert.deepEqual(await playlistIds("marzipan", token), []);
      assert.deepEqual(await playlistIds('"marzipan recordings"', token), []);
      assert.deepEqual(await suggestIds("marzipan", token), []);
      const typo = await api(server.base, "/v1/search/suggest?q=marzipn", { token });
      assert.equal(typo.status, 200);
      assert.doesNotMatch(JSON.stringify(typo.body), /marzipan/i);
      const deep = await api(server.base, "/v1/search?q=marzipan&type=playlist&offset=60", { token });
      assert.equal(deep.status, 200);
      assert.equal(deep.body.playlists.total, 0);
      assert.doesNotMatch(JSON.stringify(deep.body.playlists.items), /marzipan|Stash/i);
    }
    // Its owner finds it.
    assert.deepEqual(await playlistIds("marzipan", other), [privateId]);
    assert.deepEqual(await suggestIds("marzipan", other), [privateId]);
  });

  it("an edited description is searchable at once and the old words no longer are", async () => {
    const put = await api(server.base, `/v1/playlists/${publicId}`, {
      method: "PUT", token: owner, body: JSON.stringify({ description: "Windswept moorland ballads" }),
    });
    assert.equal(put.status, 200, put.text);
    await eventually(async () => {
      assert.deepEqual(await playlistIds("moorland", reader), [publicId]);
      assert.deepEqual(await playlistIds("harbour", reader), []);
    });
  });
});
