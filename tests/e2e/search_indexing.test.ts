// The web player while the server builds its search index (issue 15): a search says "Indexing
// your library…" rather than "No results", and the results appear by themselves once the index
// is built (the page asks again after Retry-After). The test knob SEGUE_TEST_INDEX_DELAY_MS slows
// the indexer down so that the build of the demo library outlasts the login.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { addUser, demoLibrary, startServer, tempDir, type Server, type User } from "../lib/server.ts";
import { launchBrowser, newPage, screenshot, waitFor } from "../lib/browser.ts";

let server: Server;
let browser: Browser;
let page: Page;
let errors: string[];
let user: User;

before(async () => {
  const data = tempDir("segue-data-");
  user = addUser(data, "alice");
  server = await startServer({ data, libraries: [demoLibrary()], waitReady: false, env: { SEGUE_TEST_INDEX_DELAY_MS: "6000" } });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("search while the index is built", () => {
  it("says Indexing your library…, then shows the results without a retype", async () => {
    await page.goto(server.base + "/");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").fill(user.name);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Log in and allow" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    const health = await (await fetch(server.url("/healthz"))).json();
    assert.equal(health.ready, false, `the build should outlast the login: ${JSON.stringify(health)}`);

    await page.getByRole("link", { name: "Search" }).first().click();
    await page.getByRole("searchbox", { name: /Search/ }).fill("nadia");
    const indexing = page.locator(".search-indexing h2");
    await indexing.waitFor({ timeout: 10_000 });
    assert.equal((await indexing.innerText()).trim(), "Indexing your library…");
    assert.equal(await page.getByText(/No results/).count(), 0);
    assert.equal(await page.getByRole("alert").count(), 0);
    await screenshot(page, "search-indexing");

    // Nothing typed since: the page asks again after Retry-After until the index answers.
    const top = await waitFor("the top result after the build", async () => {
      const card = page.locator(".search-top-name");
      return (await card.count()) ? (await card.innerText()).trim() : "";
    }, 60_000);
    assert.equal(top, "Nadia Oré");
    assert.equal(await page.locator(".search-indexing").count(), 0);
    assert.deepEqual(errors.filter((e) => !/503/.test(e)), []);
  });
});
