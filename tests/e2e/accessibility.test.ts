// The web player by keyboard alone, and an automated accessibility audit (axe-core) of its
// main screens: every control has an accessible name, contrast, landmarks, ARIA use.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFixture, type Fixture } from "../lib/server.ts";
import { ALL_SCOPES, api, login } from "../lib/oauth.ts";
import { audioState, launchBrowser, waitFor } from "../lib/browser.ts";
import { demoAlbum } from "../lib/demo.ts";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let f: Fixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const album = demoAlbum("Glass Orchard");

/** The accessible name of the focused element, roughly: aria-label, else its text. */
async function focusedName(p: Page): Promise<string> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return "";
    return (el.getAttribute("aria-label") ?? el.innerText ?? el.getAttribute("value") ?? "").trim();
  });
}

/** Presses Tab until the focused element's name matches, failing after `max` presses. */
async function tabTo(p: Page, name: string | RegExp, max = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await p.keyboard.press("Tab");
    const n = await focusedName(p);
    seen.push(n);
    if (typeof name === "string" ? n === name : name.test(n)) return;
  }
  throw new Error(`Tab never reached ${name}; focus went through: ${seen.join(" | ")}`);
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
  f = await startFixture();
  // A counted play, so that the home page's "Recently played" has cards to audit.
  const token = (await login(f.server.base, f.publicClient, f.premium, ALL_SCOPES)).access_token;
  const nr = await api(f.server.base, "/v1/browse/new-releases?limit=1", { token });
  const first = (await api(f.server.base, `/v1/albums/${nr.body.albums.items[0].id}`, { token })).body.tracks.items[0];
  const now = Date.now();
  const ev = await api(f.server.base, "/v1/me/player/events", {
    token, method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify([{ type: "track_start", track_id: first.id, timestamp: now - 40_000 },
                          { type: "track_end", track_id: first.id, position_ms: 35_000, timestamp: now - 5_000 }]),
  });
  assert.equal(ev.status, 200, JSON.stringify(ev.body));
  browser = await launchBrowser();
  // axe-core is injected as an inline script, which the player's CSP rightly forbids.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await f?.server.stop();
});

describe("web player by keyboard alone", () => {
  it("logs in, opens an album and plays a track without a mouse", async () => {
    await page.goto(f.server.base + "/");
    await tabTo(page, "Log in");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").focus();
    await page.keyboard.type(f.premium.name);
    await page.keyboard.press("Tab");
    await page.keyboard.type(f.premium.password);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    await tabTo(page, "Albums");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Albums" }).waitFor();
    await tabTo(page, new RegExp(`^${album.name}`));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: album.name }).waitFor();
    const track = album.tracks[1].title;
    await tabTo(page, `Play ${track}`);
    await page.keyboard.press("Enter");
    await waitFor("playback", async () => ((await audioState(page))?.currentTime ?? 0) > 0.5);
    assert.match(await page.getByTestId("now-playing-title").innerText(), new RegExp(track));
  });

  it("shows where the keyboard focus is", async () => {
    await tabTo(page, "Next");
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow };
    });
    assert.ok((outline.style !== "none" && outline.width >= 1) || outline.shadow !== "none", `focus ring: ${JSON.stringify(outline)}`);
  });
});

describe("accessibility audit (axe-core, serious and critical rules)", () => {
  it("would catch a control without a name (the audit itself works)", async () => {
    const scratch = await context.newPage();
    await scratch.setContent('<!doctype html><html lang="en"><title>x</title><main><button></button></main></html>');
    const found = await audit(scratch);
    await scratch.close();
    assert.ok(found.some((v) => v.startsWith("button-name")), JSON.stringify(found));
  });

  for (const [name, path] of [["home", "/"], ["albums", "/albums"], ["library", "/library"], ["queue", "/queue"], ["playlists", "/playlists"]] as const) {
    it(`finds no violations on ${name}`, async () => {
      await page.goto(f.server.base + path);
      await page.getByRole("navigation", { name: "Main" }).waitFor();
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle").catch(() => {});
      // The server's "Recently played" shelf (the local one's tiles if the feed fails).
      if (name === "home") await page.getByRole("list", { name: /^Recently played/ }).getByRole("listitem").first().waitFor();
      assert.deepEqual(await audit(page), []);
    });
  }

  it("finds no violations on an album page", async () => {
    await page.goto(f.server.base + "/albums");
    await page.getByRole("link", { name: album.name }).first().click();
    await page.getByRole("heading", { level: 1, name: album.name }).waitFor();
    assert.deepEqual(await audit(page), []);
  });

  it("finds no violations on a playlist page", async () => {
    const path = await page.evaluate(async (uris) => {
      const { accessToken } = JSON.parse(localStorage.getItem("segue.tokens") ?? "{}");
      const headers = { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" };
      const created = await (await fetch("/v1/me/playlists", { method: "POST", headers, body: JSON.stringify({ name: "Audit mix" }) })).json();
      await fetch(`/v1/playlists/${created.id}/tracks`, { method: "POST", headers, body: JSON.stringify({ uris }) });
      return `/playlist/${created.id}`;
    }, await trackUris());
    await page.goto(f.server.base + path);
    await page.getByRole("heading", { level: 1, name: "Audit mix" }).waitFor();
    await page.getByRole("button", { name: "Version history" }).click();
    await page.getByRole("list", { name: "Versions" }).waitFor();
    await page.waitForLoadState("networkidle").catch(() => {});
    assert.deepEqual(await audit(page), []);
  });

  it("finds no violations on the login page", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    assert.deepEqual(await audit(page), []);
  });
});

/** The URIs of the audited album's tracks. */
async function trackUris(): Promise<string[]> {
  return page.evaluate(async (name) => {
    const { accessToken } = JSON.parse(localStorage.getItem("segue.tokens") ?? "{}");
    const headers = { Authorization: `Bearer ${accessToken}` };
    const albums = await (await fetch("/v1/browse/recently-added?limit=50", { headers })).json();
    const id = albums.albums.items.find((a: any) => a.name === name).id;
    const album = await (await fetch(`/v1/albums/${id}`, { headers })).json();
    return album.tracks.items.map((t: any) => t.uri);
  }, album.name);
}
