// "Show all" on a home shelf (issue 18): Debian's Chromium against a real Segue whose catalog has
// fourteen albums. The home page's "New releases for you" shelf shows ten; its "Show all" link
// opens the section's own page, which shows all fourteen (the shelf's among them, the newest
// first), and a card there opens its album as on the shelf.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { addClient, addUser, startServer, tempDir, type Server, type User } from "../lib/server.ts";
import { catalogLibrary, type CatalogRow } from "../lib/tastes.ts";
import { launchBrowser, newPage, screenshot } from "../lib/browser.ts";

const REDIRECT = "http://127.0.0.1:9/callback";
const ROWS: CatalogRow[] = Array.from({ length: 14 }, (_, i): CatalogRow => [`Song ${i + 1}`, `Artist ${i + 1}`, `Album ${i + 1}`, "Folk", 2000 + i]);
let server: Server;
let user: User;
let browser: Browser;
let page: Page;
let errors: string[];

before(async () => {
  const data = tempDir("segue-home-section-e2e-");
  user = addUser(data, "alice");
  addClient(data, "app", REDIRECT, true);
  server = await startServer({ data, libraries: [catalogLibrary(ROWS, "segue-home-section-e2e-lib-")] });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("home: Show all", () => {
  it("opens a shelf's whole section on its own page", async () => {
    await page.goto(server.base + "/");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.getByLabel("Username").fill(user.name);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Log in and allow" }).click();
    const main = page.getByRole("main");
    const shelf = main.getByRole("list", { name: "New releases for you" });
    await shelf.waitFor();
    const onShelf = await shelf.locator(".card-title").allInnerTexts();
    assert.equal(onShelf.length, 10);

    await main.getByRole("link", { name: "Show all: New releases for you" }).click();
    await page.waitForURL(/\/shelf\/new_releases$/);
    await main.getByRole("heading", { level: 1, name: "New releases for you" }).waitFor();
    const whole = main.getByRole("list", { name: "New releases for you" });
    await whole.getByRole("listitem").nth(13).waitFor();
    const all = await whole.locator(".card-title").allInnerTexts();
    // Every album, the newest (2013: Album 14) first, the shelf's ten among them.
    assert.deepEqual(all, Array.from({ length: 14 }, (_, i) => `Album ${14 - i}`));
    for (const name of onShelf) assert.ok(all.includes(name), name);
    assert.equal(await main.getByRole("link", { name: /^Show all/ }).count(), 0, "no Show all on the section's own page");
    await screenshot(page, "home-section");

    await whole.getByRole("link", { name: "Album 1", exact: true }).click();
    await page.waitForURL(/\/album\/[0-9A-Za-z]{22}$/);
    await main.getByRole("heading", { level: 1, name: "Album 1" }).waitFor();
    await page.goBack();
    await main.getByRole("heading", { level: 1, name: "New releases for you" }).waitFor();
    assert.deepEqual(errors, []);
  });
});
