// Search as you type, end to end: a real Segue serving the demo library, Debian's Chromium. The
// user types letter by letter (no accent, a typo), the results follow, the arrow keys and Enter
// open and play results, the committed search is in "Recent searches" after a reload, the Songs
// filter lists every song found, axe-core finds nothing, and the page fits a phone.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFixture, type Fixture } from "../lib/server.ts";
import { audioState, launchBrowser, screenshot, waitFor } from "../lib/browser.ts";
import { demoAlbum } from "../lib/demo.ts";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let f: Fixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];
const suggested: string[] = [];
const nadiaSongs = [...demoAlbum("Glass Orchard").tracks.map((t) => t.title), "Tram Lines", "Evening Exchange"];

async function logIn(p: Page): Promise<void> {
  await p.goto(f.server.base + "/");
  await p.getByRole("button", { name: "Log in" }).click();
  await p.waitForURL(/\/authorize\?/);
  await p.getByLabel("Username").fill(f.premium.name);
  await p.getByLabel("Password").fill(f.premium.password);
  await p.getByRole("button", { name: "Log in and allow" }).click();
  await p.getByRole("navigation", { name: "Main" }).waitFor();
}

const box = () => page.getByRole("searchbox", { name: /Search/ });
const topResult = () => page.getByRole("region", { name: "Top result" });
const topName = async () => (await topResult().locator(".search-top-name").innerText()).trim();
const focused = () => page.evaluate(() => {
  const el = document.activeElement as HTMLElement | null;
  return { tag: el?.tagName ?? "", text: (el?.getAttribute("aria-label") ?? el?.innerText ?? "").trim(), type: el?.getAttribute("type") ?? "" };
});

/** Types `text` one key at a time; returns the top result's name after each key (once it settled). */
async function typeSlowly(text: string): Promise<string[]> {
  const tops: string[] = [];
  for (const ch of text) {
    const before = suggested.length;
    await page.keyboard.type(ch);
    await waitFor(`a suggest request after "${ch}"`, async () => suggested.length > before);
    await page.waitForTimeout(60);
    tops.push(await topResult().count() ? await topName() : "");
  }
  return tops;
}

/** Runs axe-core on the page; returns the serious and critical violations. */
async function audit(p: Page): Promise<string[]> {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(" ")).slice(0, 5) }));
  });
  return result
    .filter((v: any) => v.impact === "serious" || v.impact === "critical")
    .map((v: any) => `${v.id} (${v.impact}): ${v.nodes.join(", ")}`);
}

before(async () => {
  f = await startFixture(["--stream-token-ttl", "3600"]);
  browser = await launchBrowser();
  // axe-core is injected as an inline script, which the player's CSP rightly forbids.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname === "/v1/search/suggest") suggested.push(url.searchParams.get("q") ?? "");
  });
});

after(async () => {
  await browser?.close();
  await f?.server.stop();
});

describe("search as you type", () => {
  it("opens Search from the navigation with the box focused", async () => {
    await logIn(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
    await page.getByRole("heading", { level: 1, name: "Search" }).waitFor();
    await waitFor("the search box to have focus", async () => (await focused()).type === "search");
    // A new user has no recent searches yet.
    await page.getByText("Your recent searches appear here").waitFor();
  });

  it("follows every letter: “nadia ore” without the accent finds Nadia Oré", async () => {
    const tops = await typeSlowly("nadia ore");
    assert.deepEqual(suggested, ["n", "na", "nad", "nadi", "nadia", "nadia ", "nadia o", "nadia or", "nadia ore"],
      "one suggest request per keystroke");
    assert.equal(tops.at(-1), "Nadia Oré");
    assert.ok(tops.slice(2).every((t) => t !== ""), `a top result from "nad" on: ${JSON.stringify(tops)}`);
    await waitFor("the URL to carry the query", async () => new URL(page.url()).search === "?q=nadia+ore");
    const songs = await page.getByRole("list", { name: "Songs" }).locator(".track-name").allInnerTexts();
    assert.ok(songs.length > 0 && songs.every((s) => nadiaSongs.includes(s)), `Nadia's songs: ${songs.join(", ")}`);
    await page.getByRole("list", { name: "Albums" }).getByRole("link", { name: "Glass Orchard" }).waitFor();
    await screenshot(page, "search-results");
  });

  it("tolerates a typo and says what it searched for (“coper lant”)", async () => {
    await box().fill("");
    await page.getByRole("list", { name: "Recent searches" }).or(page.getByText("Your recent searches appear here")).waitFor();
    suggested.length = 0;
    const tops = await typeSlowly("coper lant");
    assert.equal(tops.at(-1), "The Copper Lanterns", `tops: ${JSON.stringify(tops)}`);
    assert.equal(suggested.length, "coper lant".length);
    const line = page.locator(".search-corrected");
    await line.waitFor();
    assert.match(await line.innerText(), /^Showing results for copper/i);
    const corrected = (await line.getByRole("button").innerText()).trim();
    await line.getByRole("button").click();
    await waitFor("the box to hold the correction", async () => (await box().inputValue()) === corrected);
    await waitFor("the correction line to go", async () => (await line.count()) === 0);
    assert.equal(await topName(), "The Copper Lanterns");
  });

  it("opens a result with ArrowDown and Enter, and plays a song the same way", async () => {
    await box().fill("");
    await box().click();
    await typeSlowly("nadia ore");
    await waitFor("Nadia Oré on top", async () => (await topName()) === "Nadia Oré");

    await page.keyboard.press("ArrowDown");
    assert.match((await focused()).text, /^Nadia Oré/);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Nadia Oré" }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/artist\//);

    // Back to the results: the query comes back from the URL.
    await page.goBack();
    await page.getByRole("heading", { level: 1, name: "Search" }).waitFor();
    assert.equal(await box().inputValue(), "nadia ore");
    await waitFor("Nadia Oré on top again", async () => (await topResult().count()) > 0 && (await topName()) === "Nadia Oré");

    await box().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const first = await focused();
    assert.match(first.text, /^Play /, `the first song's Play button: ${JSON.stringify(first)}`);
    const song = first.text.slice("Play ".length);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowUp");
    assert.equal((await focused()).text, `Play ${song}`);
    await page.keyboard.press("Escape");
    assert.equal((await focused()).type, "search");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await waitFor("the now-playing title", async () => (await page.getByTestId("now-playing-title").innerText()).includes(song));
    await waitFor("playback", async () => ((await audioState(page))?.currentTime ?? 0) > 0.3);
  });

  it("keeps the committed search: after a reload with an empty box it is a recent search", async () => {
    await box().fill("");
    await waitFor("the URL without a query", async () => new URL(page.url()).search === "");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Search" }).waitFor();
    assert.equal(await box().inputValue(), "");
    const recent = page.getByRole("list", { name: "Recent searches" });
    await recent.waitFor();
    const items = (await recent.locator(".recent-text").allInnerTexts()).map((t) => t.trim());
    assert.equal(items[0], "nadia ore", `newest first: ${items.join(" | ")}`);
    assert.equal(items.filter((t) => t === "nadia ore").length, 1, "recorded once");
    await screenshot(page, "search-recent");

    // Choosing one searches it again.
    await recent.getByRole("button", { name: "nadia ore", exact: true }).click();
    assert.equal(await box().inputValue(), "nadia ore");
    await waitFor("its results", async () => (await topResult().count()) > 0 && (await topName()) === "Nadia Oré");
  });

  it("finds no accessibility violations with results, with recent searches and with no results", async () => {
    await page.waitForLoadState("networkidle").catch(() => {});
    assert.deepEqual(await audit(page), [], "results");

    await box().fill("qqqzzzxx");
    await page.getByRole("heading", { name: "No results for “qqqzzzxx”" }).waitFor();
    assert.deepEqual(await audit(page), [], "no results");

    await box().fill("");
    await page.getByRole("list", { name: "Recent searches" }).waitFor();
    assert.deepEqual(await audit(page), [], "recent searches");
  });

  it("removes a recent search and clears them all", async () => {
    await box().fill("harbor");
    await box().press("Enter");
    await waitFor("harbor in the URL", async () => new URL(page.url()).search === "?q=harbor");
    await box().fill("");
    const recent = page.getByRole("list", { name: "Recent searches" });
    await recent.getByRole("button", { name: "harbor", exact: true }).waitFor();
    await recent.getByRole("button", { name: "Remove “harbor” from recent searches" }).click();
    await waitFor("harbor to go", async () => (await recent.getByRole("button", { name: "harbor", exact: true }).count()) === 0);
    await page.reload();
    await recent.getByRole("button", { name: "nadia ore", exact: true }).waitFor();
    assert.equal(await recent.getByRole("button", { name: "harbor", exact: true }).count(), 0, "removed on the server too");
    await page.getByRole("button", { name: "Clear recent searches" }).click();
    await page.getByText("Your recent searches appear here").waitFor();
    await page.reload();
    await page.getByText("Your recent searches appear here").waitFor();
  });

  it("shows every song found with the Songs filter, and the overview again with All", async () => {
    await box().fill("lanterns");
    await waitFor("results for lanterns", async () => (await topResult().count()) > 0);
    const filters = page.getByRole("group", { name: "Show" });
    await filters.getByRole("button", { name: "Songs" }).click();
    await waitFor("the filter in the URL", async () => new URL(page.url()).search === "?q=lanterns&type=track");
    assert.equal(await filters.getByRole("button", { name: "Songs" }).getAttribute("aria-pressed"), "true");
    const list = page.getByRole("list", { name: "Songs" });
    await list.getByText("Lanterns on the Pier").waitFor();
    await list.getByText("Compass Rose").waitFor();
    assert.equal(await topResult().count(), 0);
    assert.deepEqual(await audit(page), [], "the Songs filter");
    await screenshot(page, "search-songs");
    await filters.getByRole("button", { name: "All" }).click();
    await topResult().waitFor();
    assert.equal(new URL(page.url()).search, "?q=lanterns");
  });

  it("fits a 375 px phone screen without scrolling sideways", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await box().fill("the copper lanterns");
    await waitFor("results", async () => (await topResult().count()) > 0 && (await topName()) === "The Copper Lanterns");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page width ${width} px at a 375 px viewport`);
    await screenshot(page, "search-phone");
    assert.deepEqual(errors, []);
  });
});
