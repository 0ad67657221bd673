// Smart playlists in the web player (issue 18): Debian's Chromium against a real Segue whose demo
// library the server analysed. A user builds a smart playlist in the rule editor with a tempo
// range and sees exactly the catalog's tracks in that range (by the server's own audio features)
// on the playlist page; a bad range is refused with the server's message and creates nothing; a
// Navidrome .nsp file uploads; the list shows the playlists with their rules and plays them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { addClient, addUser, demoLibrary, sleep, startServer, tempDir, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { DEMO_TRACK_COUNT } from "../lib/demo.ts";
import { launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let user: User;
let token = "";
let browser: Browser;
let page: Page;
let errors: string[];
const tempoOf = new Map<string, number>(); // track name -> tempo (BPM)

async function smartCount(): Promise<number> {
  const r = await api(server.base, "/v1/me/smart-playlists", { token });
  assert.equal(r.status, 200, r.text);
  return r.body.total;
}

/** The track names of the playlist page, in order. */
async function rows(p: Page): Promise<string[]> {
  return p.getByRole("list", { name: "Playlist tracks" }).locator(".track-name").allInnerTexts().catch(() => []);
}

before(async () => {
  const data = tempDir("segue-smart-e2e-");
  user = addUser(data, "alice");
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [demoLibrary()], env: { SEGUE_ANALYSIS_WORKERS: "2" } });
  token = (await login(server.base, client, user, ALL_SCOPES)).access_token;
  const ids: string[] = [];
  const names = new Map<string, string>();
  const albums = await api(server.base, "/v1/browse/new-releases?limit=50", { token });
  for (const a of albums.body.albums.items) {
    const t = await api(server.base, `/v1/albums/${a.id}/tracks?limit=50`, { token });
    for (const x of t.body.items) {
      ids.push(x.id);
      names.set(x.id, x.name);
    }
  }
  assert.equal(ids.length, DEMO_TRACK_COUNT);
  // The server analyses the library in the background: wait for every track's features.
  const features = await waitFor("audio features of every track", async () => {
    const r = await api(server.base, `/v1/audio-features?ids=${ids.join(",")}`, { token });
    assert.equal(r.status, 200, r.text);
    if (r.body.audio_features.some((f: any) => !f)) {
      await sleep(500);
      return null;
    }
    return r.body.audio_features as any[];
  }, 240_000);
  for (const f of features) tempoOf.set(names.get(f.id)!, f.tempo);
  assert.equal(new Set(tempoOf.keys()).size, DEMO_TRACK_COUNT, "track names are distinct");
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("smart playlists in the web player", () => {
  let lo = 0;
  let hi = 0;
  let expected: string[] = [];

  it("builds a tempo-range playlist in the rule editor and shows exactly the tracks in that range", async () => {
    // A range around the middle half of the catalog's tempos, its ends between two tempos (no
    // track sits on an end, whatever the rounding).
    const tempos = [...new Set([...tempoOf.values()])].sort((a, b) => a - b);
    assert.ok(tempos.length >= 4, `tempos ${tempos.join(", ")}`);
    const i = Math.floor(tempos.length / 4);
    const j = Math.ceil((tempos.length * 3) / 4) - 1;
    lo = Math.round(((tempos[i - 1] + tempos[i]) / 2) * 100) / 100;
    hi = Math.round(((tempos[j] + tempos[j + 1]) / 2) * 100) / 100;
    expected = [...tempoOf].filter(([, t]) => t >= lo && t <= hi).sort((a, b) => a[1] - b[1]).map(([n]) => n);
    assert.ok(expected.length > 0 && expected.length < tempoOf.size, `${lo}-${hi}: ${expected.length} of ${tempoOf.size}`);

    await page.goto(server.base + "/");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").fill(user.name);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Log in and allow" }).click();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.waitFor();
    await nav.getByRole("link", { name: "Playlists" }).click();
    await page.getByRole("link", { name: "Smart playlists" }).click();
    await page.getByRole("heading", { level: 1, name: "Smart playlists" }).waitFor();
    await page.getByText("No smart playlists yet.").waitFor();
    await page.getByRole("link", { name: "New smart playlist" }).click();
    await page.getByRole("heading", { level: 1, name: "New smart playlist" }).waitFor();

    await page.getByLabel("Name").fill("Steady tempo");
    await page.getByLabel("Condition 1: field").selectOption({ label: "Tempo" });
    assert.equal(await page.getByLabel("Condition 1: operator").inputValue(), "inTheRange");
    // First a range the wrong way round: the server's message, and nothing made.
    await page.getByLabel("Condition 1: from").fill(String(hi));
    await page.getByLabel("Condition 1: to").fill(String(lo));
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").filter({ hasText: "the range's start is above its end" }).waitFor();
    assert.equal(await smartCount(), 0);

    await page.getByLabel("Condition 1: from").fill(String(lo));
    await page.getByLabel("Condition 1: to").fill(String(hi));
    await page.getByLabel("Sort by").selectOption({ label: "Tempo" });
    await screenshot(page, "smart-editor");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/playlist\/[0-9A-Za-z]{22}$/);
    await page.getByRole("heading", { level: 1, name: "Steady tempo" }).waitFor();
    await waitFor(`the tracks between ${lo} and ${hi} BPM`, async () => JSON.stringify(await rows(page)) === JSON.stringify(expected));
    await screenshot(page, "smart-playlist");
    assert.equal(await smartCount(), 1);
  });

  it("imports a .nsp file and lists both with their rules; the list plays one", async () => {
    await page.goto(server.base + "/smart");
    const nsp = { name: "Quick ones", comment: "from Navidrome", all: [{ gt: { bpm: String(hi) } }], sort: "bpm", order: "desc" };
    await page.getByTestId("nsp-file").setInputFiles({ name: "quick.nsp", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(nsp)) });
    // The import opens the new playlist's rules in the editor, as the form shows them.
    await page.getByRole("heading", { level: 1, name: "Edit “Quick ones”" }).waitFor();
    assert.equal(await page.getByLabel("Condition 1: field").inputValue(), "tempo");
    assert.equal(await page.getByLabel("Condition 1: operator").inputValue(), "gt");
    assert.equal(Number(await page.getByLabel("Condition 1: value").inputValue()), hi);

    // A file that is not a rules file: the server's message, and nothing made.
    await page.goto(server.base + "/smart");
    const list = page.getByRole("list", { name: "Your smart playlists" });
    await list.getByRole("listitem").nth(1).waitFor();
    await page.getByTestId("nsp-file").setInputFiles({ name: "bad.nsp", mimeType: "application/json", buffer: Buffer.from(JSON.stringify({ name: "Bad", all: [{ gt: { rating: 3 } }] })) });
    await page.getByRole("alert").filter({ hasText: /Could not import bad\.nsp: .*rating/ }).waitFor();
    assert.equal(await smartCount(), 2);

    const fast = [...tempoOf].filter(([, t]) => t > hi).length;
    const items = await list.getByRole("listitem").allInnerTexts();
    assert.equal(items.length, 2);
    assert.match(items[1], new RegExp(`Steady tempo[\\s\\S]*${expected.length} songs? · Tempo is between ${lo} and ${hi}`));
    assert.match(items[0], new RegExp(`Quick ones[\\s\\S]*${fast} songs? · Tempo is greater than ${hi}`));
    await screenshot(page, "smart-list");
    await list.getByRole("button", { name: "Play Steady tempo" }).click();
    const title = page.getByTestId("now-playing-title");
    await waitFor("the playlist's first track playing", async () => (await title.innerText()).includes(expected[0]));
    assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
  });
});
