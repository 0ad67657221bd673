// The web player end to end: a real Segue serving the demo library, Debian's Chromium, and
// the user's path through the app — log in, browse, play, seek, skip, save, reload, log out.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFixture, type Fixture } from "../lib/server.ts";
import { audioState, launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";
import { demoAlbum } from "../lib/demo.ts";

let f: Fixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: string[];
const events: any[] = [];

const album = demoAlbum("Night Cartography"); // two discs, MP3 and FLAC
const first = album.tracks[0].title;
const second = album.tracks[1].title;

async function openAlbum(name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
  await page.getByRole("link", { name }).first().click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

async function nowPlaying(): Promise<string> {
  return page.getByTestId("now-playing-title").innerText();
}

async function logIn(p: Page, user = f.premium): Promise<void> {
  await p.goto(f.server.base + "/");
  await p.getByRole("button", { name: "Log in" }).click();
  await p.waitForURL(/\/authorize\?/);
  await p.getByLabel("Username").fill(user.name);
  await p.getByLabel("Password").fill(user.password);
  await p.getByRole("button", { name: "Log in and allow" }).click();
  await p.getByRole("navigation", { name: "Main" }).waitFor();
}

before(async () => {
  f = await startFixture(["--stream-token-ttl", "3600"]);
  browser = await launchBrowser();
  ({ context, page, errors } = await newPage(browser));
  page.on("request", (r) => {
    if (r.url().endsWith("/v1/me/player/events") && r.method() === "POST") {
      const body = JSON.parse(r.postData() ?? "null");
      const list = Array.isArray(body) ? body : body?.events ?? [body];
      events.push(...list);
    }
  });
});

after(async () => {
  await browser?.close();
  await f?.server.stop();
});

describe("web player", () => {
  it("logs in through /authorize with PKCE and shows the home page", async () => {
    await logIn(page);
    assert.equal(new URL(page.url()).pathname, "/");
    // The server's shelves (new releases for a listener with no plays yet), or the local sections.
    await page.getByRole("main").getByRole("heading", { level: 2, name: /^(New releases for you|Recently added)$/ }).waitFor();
    await page.getByRole("link", { name: album.name }).first().waitFor();
    await screenshot(page, "home");
  });

  it("opens an album: tracks grouped by disc with durations", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
    await page.getByRole("link", { name: album.name }).first().click();
    await page.getByRole("heading", { level: 1, name: album.name }).waitFor();
    for (const t of album.tracks) await page.getByRole("button", { name: `Play ${t.title}` }).waitFor();
    const text = await page.locator("main").innerText();
    assert.match(text, /Disc 1/);
    assert.match(text, /Disc 2/);
    assert.match(text, /\b0:[2-4]\d\b/, "track durations as m:ss");
    await screenshot(page, "album");
  });

  it("plays a track: the audio element's currentTime advances", async () => {
    await page.getByRole("button", { name: `Play ${first}` }).click();
    const player = page.getByRole("region", { name: "Player" });
    await waitFor("the now-playing title", async () => (await page.getByTestId("now-playing-title").innerText()).includes(first));
    await waitFor("playback to advance past 1 s", async () => ((await audioState(page))?.currentTime ?? 0) > 1);
    const s = await audioState(page);
    assert.ok(s && !s.paused, "playing");
    assert.match(s!.src, /\/audio\/[0-9A-Za-z]{22}\?token=/);
    await player.getByRole("button", { name: "Pause" }).waitFor();
    await screenshot(page, "playing");
  });

  it("seeks with the seek bar, using HTTP ranges", async () => {
    const ranges: string[] = [];
    const onRequest = (r: any) => {
      if (r.url().includes("/audio/")) ranges.push(r.headers()["range"] ?? "none");
    };
    page.on("request", onRequest);
    const seek = page.getByRole("slider", { name: "Seek" });
    const max = Number(await seek.getAttribute("max"));
    assert.ok(max >= 20, `seek max ${max} s`);
    const target = Math.floor(max * 0.6);
    await seek.evaluate((el: HTMLInputElement, v: number) => {
      el.value = String(v);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    }, target);
    const landed = await waitFor("currentTime near the target", async () => {
      const s = await audioState(page);
      return s && s.currentTime >= target - 0.5 ? s : null;
    });
    assert.ok(landed.currentTime < target + 5, `currentTime ${landed.currentTime} after seeking to ${target}`);
    page.off("request", onRequest);
    assert.ok(ranges.every((r) => r !== "none"), `audio requests carry Range headers: ${ranges.join(", ")}`);
  });

  it("pauses and resumes with the space bar", async () => {
    await page.locator("body").click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.press("Space");
    await waitFor("paused", async () => (await audioState(page))?.paused === true);
    const t = (await audioState(page))!.currentTime;
    await page.waitForTimeout(600);
    assert.ok(Math.abs((await audioState(page))!.currentTime - t) < 0.05, "time stands still while paused");
    await page.keyboard.press("Space");
    await waitFor("playing again", async () => (await audioState(page))?.paused === false);
  });

  it("skips to the next track and reports the skip", async () => {
    await page.getByRole("region", { name: "Player" }).getByRole("button", { name: "Next" }).click();
    await waitFor("the next title", async () => (await page.getByTestId("now-playing-title").innerText()).includes(second));
    await waitFor("the next track to play", async () => {
      const s = await audioState(page);
      return s && !s.paused && s.currentTime > 0.5;
    });
    await waitFor("track_start and track_end events", async () =>
      events.some((e) => e.type === "track_start") && events.some((e) => e.type === "track_end" && e.skip === true), 20_000);
    const end = events.find((e) => e.type === "track_end" && e.skip === true);
    assert.ok(end.position_ms > 5_000, `skip reported at ${end.position_ms} ms, after the seek`);
  });

  it("transitions to the preloaded next track with (almost) no gap", async () => {
    const harbor = demoAlbum("Harbor Lights");
    await openAlbum(harbor.name);
    await page.getByRole("button", { name: `Play ${harbor.tracks[0].title}` }).click();
    await waitFor("playback", async () => ((await audioState(page))?.currentTime ?? 0) > 0.5);
    // Record when the current element ends and when the next one starts playing, and what
    // each element held when the track ended.
    await page.evaluate(() => {
      const w = window as any;
      w.__segueEvents = [];
      const all = Array.from(document.querySelectorAll("audio"));
      for (const a of all) {
        a.addEventListener("playing", () => w.__segueEvents.push({ type: "playing", t: performance.now(), src: a.currentSrc }));
        a.addEventListener("ended", () => w.__segueEvents.push({
          type: "ended", t: performance.now(), src: a.currentSrc,
          others: all.filter((o) => o !== a).map((o) => ({ src: o.currentSrc || o.src, readyState: o.readyState })),
        }));
      }
    });
    const seek = page.getByRole("slider", { name: "Seek" });
    const max = Number(await seek.getAttribute("max"));
    await seek.evaluate((el: HTMLInputElement, v: number) => {
      el.value = String(v);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    }, max - 2);
    await waitFor("the second track", async () => (await nowPlaying()).includes(harbor.tracks[1].title), 15_000);
    const evs: { type: string; t: number; src: string; others?: { src: string; readyState: number }[] }[] = await waitFor("ended and playing events", async () => {
      const e = await page.evaluate(() => (window as any).__segueEvents);
      const ended = e.find((x: any) => x.type === "ended");
      return ended && e.some((x: any) => x.type === "playing" && x.t >= ended.t) ? e : null;
    });
    const ended = evs.find((e) => e.type === "ended")!;
    const started = evs.find((e) => e.type === "playing" && e.t >= ended.t)!;
    const preloaded = ended.others!.find((o) => o.src === started.src);
    assert.ok(preloaded, `the element that plays next was loaded before the end: ${JSON.stringify(ended.others)}`);
    assert.ok(preloaded.readyState >= 2, `with data buffered (readyState ${preloaded.readyState})`);
    const gap = started.t - ended.t;
    console.log(`# gap between tracks: ${gap.toFixed(1)} ms`);
    assert.ok(gap < 250, `gap ${gap.toFixed(1)} ms`);
  });

  it("saves a track and finds it in Your Library", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
    await page.getByRole("link", { name: album.name }).first().click();
    const save = page.getByRole("button", { name: `Save ${first}` });
    await save.waitFor();
    assert.equal(await save.getAttribute("aria-pressed"), "false");
    await save.click();
    await waitFor("aria-pressed=true", async () => (await save.getAttribute("aria-pressed")) === "true");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Your Library" }).click();
    await page.getByRole("heading", { level: 1, name: "Your Library" }).waitFor();
    const saved = page.getByRole("region", { name: "Saved tracks" });
    await saved.getByText(first).first().waitFor();
    await screenshot(page, "library");
  });

  it("shows the queue", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queue" }).click();
    // Harbor Lights' second track plays (the gapless test): its third is next.
    await page.getByText(demoAlbum("Harbor Lights").tracks[2].title).first().waitFor();
    await screenshot(page, "queue");
  });

  it("stays logged in across a reload", async () => {
    await page.reload();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Log in" }).count(), 0);
  });

  it("logs out: back to the login page, and a reload stays logged out", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    assert.equal((await audioState(page))?.paused ?? true, true, "no audio after logout");
    await page.reload();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await screenshot(page, "login");
  });

  it("works on a phone-sized screen", async () => {
    const phone = await newPage(browser, { viewport: { width: 375, height: 740 } });
    await logIn(phone.page, f.free);
    await phone.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
    await phone.page.getByRole("link", { name: album.name }).first().click();
    await phone.page.getByRole("button", { name: `Play ${first}` }).click();
    await waitFor("playback on the phone", async () => ((await audioState(phone.page))?.currentTime ?? 0) > 0.5);
    const bar = await phone.page.getByRole("region", { name: "Player" }).boundingBox();
    assert.ok(bar && bar.width <= 375 && bar.y + bar.height <= 740 + 1, `player bar within the screen: ${JSON.stringify(bar)}`);
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `no horizontal scrolling (${width} px)`);
    await screenshot(phone.page, "phone-album");
    assert.deepEqual(phone.errors.filter((e) => !/favicon/.test(e)), []);
    await phone.context.close();
  });

  it("logged no errors in the browser console", () => {
    assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), []);
  });
});
