// Debian's Chromium driven by playwright-core, for the web player's end-to-end tests.
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { REPO_ROOT } from "./server.ts";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots of the main screens, kept as test artefacts (not committed). */
export const ARTIFACTS = path.join(REPO_ROOT, "tests", "e2e", "artifacts");

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian packages chromium, chromium-driver)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"],
  });
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  /** The browser's time zone (IANA name), e.g. "Asia/Kolkata"; the host's when absent. */
  timezoneId?: string;
}

/** A fresh browser profile (its own storage) with one page; browser errors go to `errors`. */
export async function newPage(browser: Browser, opts: PageOptions = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The current audio element's state. */
export async function audioState(page: Page, testId = "audio-current"): Promise<{ currentTime: number; paused: boolean; src: string; volume: number } | null> {
  return page.evaluate((id) => {
    const a = document.querySelector<HTMLAudioElement>(`audio[data-testid="${id}"]`);
    return a ? { currentTime: a.currentTime, paused: a.paused, src: a.currentSrc || a.src, volume: a.volume } : null;
  }, testId);
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
}
