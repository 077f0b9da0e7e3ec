// Chromium for the browser suite: Debian's /usr/bin/chromium (CHROMIUM_PATH to override) driven by
// playwright-core, with exactly these switches and a fresh profile; and numbered screenshots.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';

export const browserInfo = inject('browser');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launches Chromium with CHROMIUM_ARGS and a new --user-data-dir, nothing else: Playwright's own
 * default switches are left out (ignoreDefaultArgs), except the pipe it talks over.
 */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'browser-test-profile-'));
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      ignoreDefaultArgs: true,
      args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
      timeout: 30_000,
    });
    return {
      browser,
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

/** A fresh context (no MSAL cache, no emulator session) that accepts the emulators' certificate. */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1024, height: 720 },
  });
}

/** Saves test-results/browser/<test>/<nn>-<step>.png, numbered in the order taken. */
export function screenshots(test: string) {
  const dir = join(browserInfo.screenshotDir, test);
  mkdirSync(dir, { recursive: true });
  let count = 0;
  return async (page: Page, step: string): Promise<string> => {
    const path = join(dir, `${String(++count).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
}
