// The web player when things go wrong: stream tokens expiring mid-track, a failed stream
// request, the server unreachable, a dead session.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startFixture, type Fixture } from "../lib/server.ts";
import { audioState, launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";
import { demoAlbum } from "../lib/demo.ts";

const TOKEN_TTL_S = 10;
let f: Fixture;
let browser: Browser;
let page: Page;
let errors: string[];
let playRequests = 0;

async function openAlbum(name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
  await page.getByRole("link", { name }).first().click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

async function nowPlaying(): Promise<string> {
  return page.getByTestId("now-playing-title").innerText();
}

before(async () => {
  f = await startFixture(["--stream-token-ttl", String(TOKEN_TTL_S)]);
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
  page.on("request", (r) => {
    if (r.url().endsWith("/v1/me/player/play") && r.method() === "POST") playRequests++;
  });
  await page.goto(f.server.base + "/");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("Username").fill(f.premium.name);
  await page.getByLabel("Password").fill(f.premium.password);
  await page.getByRole("button", { name: "Log in and allow" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
});

after(async () => {
  await browser?.close();
  await f?.server.stop();
});

describe("web player resilience", () => {
  it("keeps playing across the expiry of its stream token", async () => {
    const album = demoAlbum("Night Cartography");
    await openAlbum(album.name);
    const track = album.tracks[0].title; // 34 s
    await page.getByRole("button", { name: `Play ${track}` }).click();
    await waitFor("playback", async () => ((await audioState(page))?.currentTime ?? 0) > 1);
    // Past the token's lifetime, seek back and forth: whatever the browser must fetch again
    // is fetched with a valid token, and playback goes on.
    await waitFor(`${TOKEN_TTL_S + 2} s of playback`, async () => ((await audioState(page))?.currentTime ?? 0) > TOKEN_TTL_S + 2, 30_000);
    for (const target of [2, 24]) {
      await page.getByRole("slider", { name: "Seek" }).evaluate((el: HTMLInputElement, v: number) => {
        el.value = String(v);
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }, target);
      const s = await waitFor(`playing at ${target} s`, async () => {
        const a = await audioState(page);
        return a && !a.paused && a.currentTime > target && a.currentTime < target + 5 ? a : null;
      });
      const t0 = s.currentTime;
      await waitFor("time to advance", async () => ((await audioState(page))?.currentTime ?? 0) > t0 + 0.5);
    }
    assert.equal(await nowPlaying().then((t) => t.includes(track)), true);
    assert.equal(await page.getByRole("alert").filter({ hasText: /could not|error|failed/i }).count(), 0);
  });

  it("recovers when a stream request fails", async () => {
    const album = demoAlbum("Glass Orchard");
    await openAlbum(album.name);
    let aborted = 0;
    await page.route("**/audio/**", async (route) => {
      if (aborted === 0) {
        aborted++;
        await route.abort("connectionreset");
      } else {
        await route.continue();
      }
    });
    const before = playRequests;
    await page.getByRole("button", { name: `Play ${album.tracks[0].title}` }).click();
    await waitFor("playback after the failed request", async () => {
      const s = await audioState(page);
      return s && !s.paused && s.currentTime > 1 && (await nowPlaying()).includes(album.tracks[0].title);
    }, 20_000);
    assert.equal(aborted, 1);
    assert.ok(playRequests - before >= 1);
    await page.unroute("**/audio/**");
  });

  it("says in words that the server is unreachable, and retries", async () => {
    await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Your Library" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "Segue is unreachable" });
    await alert.waitFor();
    await screenshot(page, "unreachable");
    await page.unroute("**/v1/**");
    await alert.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("heading", { level: 1, name: "Your Library" }).waitFor();
    await waitFor("the banner to go", async () => (await alert.count()) === 0);
  });

  it("sends an expired session back to the login page with an explanation", async () => {
    await page.evaluate(() => {
      const t = JSON.parse(localStorage.getItem("segue.tokens")!);
      t.accessToken = "segue_at_revoked";
      t.refreshToken = "segue_rt_revoked";
      t.expiresAt = Date.now() - 1000;
      localStorage.setItem("segue.tokens", JSON.stringify(t));
    });
    await page.reload();
    await page.getByText("Your session has expired. Log in again.").waitFor();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await screenshot(page, "session-expired");
  });

  it("logged no unexpected errors in the browser console", () => {
    // Aborted requests in the tests above log network errors; anything else is a bug.
    const unexpected = errors.filter((e) => !/favicon|net::ERR_|Failed to load resource|status of 40[13]/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
