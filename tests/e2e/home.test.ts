// The home feed in the web player (issue 18): Debian's Chromium against a real Segue on a small
// catalog of two tastes, a model trained by `segue recommend train`. A listener of the first taste
// sees the server's shelves ("Recommended for you", "Because you listened to ..."); the page asked
// for them with its device and time zone, logged one home_impression, and a click on a track card
// plays it and reaches the event log as a home_click (read back through GET /v1/me/export).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { addClient, addUser, runSegue, sleep, startServer, tempDir, waitConsumers, type Server, type User } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { catalogLibrary, catalogTracks, TWO_TASTES } from "../lib/tastes.ts";
import { launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
let server: Server;
let data: string;
let browser: Browser;
let page: Page;
let errors: string[];
const users: Record<string, User> = {};
const tokens: Record<string, string> = {};
const byArtist = new Map<string, string[]>();
const homeRequests: URL[] = [];

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
/** alice's events in the log, as GET /v1/me/export writes them (JSON lines). */
async function exported(): Promise<any[]> {
  const r = await fetch(server.base + "/v1/me/export", { headers: { Authorization: `Bearer ${tokens.alice}` } });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

before(async () => {
  data = tempDir("segue-home-e2e-");
  users.alice = addUser(data, "alice", { tier: "premium" });
  for (const name of ["bob", "carol", "dave", "erin"]) users[name] = addUser(data, name);
  const client = addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(TWO_TASTES, "segue-home-e2e-lib-")] });
  for (const name of Object.keys(users)) tokens[name] = (await login(server.base, client, users[name], ALL_SCOPES)).access_token;
  const catalog = await catalogTracks(server.base, tokens.alice);
  for (const [a, ids] of catalog.byArtist) byArtist.set(a, ids);
  const artists = catalog.artists;
  assert.equal(artists.length, 5);
  const g1 = artists.slice(0, 2).flatMap((a) => byArtist.get(a)!);
  const g2 = artists.slice(2, 4).flatMap((a) => byArtist.get(a)!);
  let at = Date.now() - 3_600_000;
  const plays = (tracks: string[]) => tracks.flatMap((t) => [...play(t, (at += 60_000)), ...play(t, (at += 60_000))]);
  // alice leaves two tracks of her taste unplayed: the model has something of hers to offer.
  await send(tokens.alice, plays(g1.filter((_, i) => i !== 6 && i !== 7)));
  for (const who of ["bob", "carol"]) await send(tokens[who], plays(g1));
  for (const who of ["dave", "erin"]) await send(tokens[who], plays(g2));
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

  browser = await launchBrowser();
  // A time zone without summer time, so the offset the page sends is known: UTC+5:30.
  ({ page, errors } = await newPage(browser, { timezoneId: "Asia/Kolkata" }));
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (url.pathname === "/v1/me/home") homeRequests.push(url);
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("home feed", () => {
  it("shows the server's shelves; a track card plays and is logged as a home_click after the page's impression", async () => {
    await page.goto(server.base + "/");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").fill(users.alice.name);
    await page.getByLabel("Password").fill(users.alice.password);
    await page.getByRole("button", { name: "Log in and allow" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 2, name: "Recommended for you" }).waitFor();
    await main.getByRole("heading", { level: 2, name: /^Because you listened to (Ash Harbor|Birch Lane)$/ }).first().waitFor();
    // The page asked with its device and its clock's offset.
    assert.ok(homeRequests.length >= 1);
    assert.equal(homeRequests[0].searchParams.get("device"), "Computer");
    assert.equal(homeRequests[0].searchParams.get("utc_offset"), "330");
    // The shelves are in the order the server served them.
    const shown = await main.getByRole("heading", { level: 2 }).allInnerTexts();
    assert.ok(shown.length >= 2, shown.join(" | "));
    await screenshot(page, "home-feed");

    const shelf = main.getByRole("list", { name: "Recommended for you" });
    const card = shelf.getByRole("button").first();
    const trackName = (await card.locator(".card-title").innerText()).replace(/^Play\s+/, "").trim();
    const uri = await shelf.getByRole("listitem").first().getAttribute("data-uri");
    assert.match(uri ?? "", /^segue:track:[0-9A-Za-z]{22}$/);
    await card.click();
    const title = page.getByTestId("now-playing-title");
    await waitFor("the clicked track playing", async () => (await title.innerText()).includes(trackName));

    // Both events reached the log: the impression of the page, then the click with its rank.
    const events = await waitFor("home_impression and home_click in the export", async () => {
      const all = await exported();
      return all.some((e) => e.type === "home_click") && all.some((e) => e.type === "home_impression") ? all : null;
    });
    const impression = events.find((e) => e.type === "home_impression");
    assert.ok(impression.section_ids.includes("recommended_tracks"), JSON.stringify(impression));
    assert.ok(impression.section_ids.some((id: string) => id.startsWith("because_you_listened:")), JSON.stringify(impression));
    assert.equal(impression.section_ids.length, shown.length);
    assert.ok(impression.item_uris.includes(uri), JSON.stringify(impression));
    const click = events.find((e) => e.type === "home_click");
    assert.deepEqual({ section: click.section, item_uri: click.item_uri, rank: click.rank }, { section: "recommended_tracks", item_uri: uri, rank: 0 });
    assert.ok(events.indexOf(impression) < events.indexOf(click), "the impression is logged before the click");
    assert.deepEqual(errors, []);
  });
});
