// "Go to radio" in the web player (issue 18): Debian's Chromium against a real Segue serving the
// demo library. An artist's radio starts playing in a segue:radio: context, its play events
// carry that context, early skips go back to the server, and the queue refills before it runs out.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startFixture, type Fixture } from "../lib/server.ts";
import { audioState, launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";

let f: Fixture;
let browser: Browser;
let page: Page;
let errors: string[];
const events: any[] = [];
const radioRequests: any[] = [];

before(async () => {
  f = await startFixture(["--stream-token-ttl", "3600"]);
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
  page.on("request", (r) => {
    if (r.method() !== "POST") return;
    if (r.url().endsWith("/v1/me/player/events")) {
      const body = JSON.parse(r.postData() ?? "null");
      events.push(...(Array.isArray(body) ? body : body?.events ?? [body]));
    }
    if (r.url().endsWith("/v1/me/radio")) radioRequests.push(JSON.parse(r.postData() ?? "null"));
  });
});

after(async () => {
  await browser?.close();
  await f?.server.stop();
});

describe("Go to radio", () => {
  it("plays an artist's radio and refills its queue as tracks are skipped", async () => {
    await page.goto(f.server.base + "/");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").fill(f.premium.name);
    await page.getByLabel("Password").fill(f.premium.password);
    await page.getByRole("button", { name: "Log in and allow" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();

    // An artist page through an album's artist link.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Albums" }).click();
    await page.getByRole("link", { name: "Harbor Lights" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Harbor Lights" }).waitFor();
    // Every track row and the album offer a radio too.
    assert.ok((await page.getByRole("button", { name: /^Go to radio: / }).count()) > 2);
    await page.locator("main .hero-artists").getByRole("link", { name: "Marlow Vance" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Marlow Vance" }).waitFor();
    await page.getByRole("button", { name: "Go to radio: Marlow Vance" }).click();

    const title = page.getByTestId("now-playing-title");
    await waitFor("a radio track playing", async () => (await title.innerText()).trim().length > 0);
    assert.equal(radioRequests.length, 1);
    assert.match(radioRequests[0].seed, /^segue:artist:/);
    const context = `segue:radio:${radioRequests[0].seed}`;
    await screenshot(page, "radio");

    // Skip ahead: each Next in the first seconds is an early skip. The first batch has ten
    // tracks; before fewer than three remain the station asks for more, sending the skips.
    const next = page.getByRole("region", { name: "Player" }).getByRole("button", { name: "Next" });
    for (let i = 0; i < 8 && radioRequests.length < 2; i++) {
      const before = await title.innerText();
      // A track skipped before it started playing was never heard: no track_end, no skip. Under
      // load the next track may take a moment to start, so wait until it plays.
      let audio: Awaited<ReturnType<typeof audioState>> = null;
      await waitFor("the radio track playing", async () => {
        audio = await audioState(page);
        return !!audio && !audio.paused && audio.currentTime > 0.2;
      }).catch(async (e) => {
        // What the player was doing, for a failure seen only in full runs of the suite.
        await screenshot(page, "radio-stalled");
        const server = f.server.running
          ? "running"
          : `exited (code ${f.server.proc.exitCode}, signal ${f.server.proc.signalCode}); its log ends:\n${f.server.stderr.slice(-4000)}`;
        throw new Error(`${e.message}; skip ${i}, title ${JSON.stringify(before)}, audio ${JSON.stringify(audio)}, ` +
          `radio requests ${radioRequests.length}, browser errors ${JSON.stringify(errors.slice(0, 5))}; the server ${server}`);
      });
      await next.click();
      await waitFor("the next radio track", async () => (await title.innerText()) !== before);
    }
    await waitFor("a refill request", async () => radioRequests.length >= 2);
    const refill = radioRequests[1];
    assert.equal(refill.seed, radioRequests[0].seed);
    assert.ok(refill.skipped.length > 0, `skips sent: ${JSON.stringify(refill)}`);
    assert.ok(refill.queued.length > 0);

    // Play events carry the radio's context.
    await waitFor("events with the radio context", async () => events.some((e) => e.context_uri === context));
    const mine = events.filter((e) => e.context_uri === context);
    assert.ok(mine.some((e) => e.type === "track_end" && e.skip === true));
    assert.deepEqual(errors, []);
  });
});
