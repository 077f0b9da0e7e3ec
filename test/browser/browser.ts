// The browser for the browser suite (scripts/browser.ts picks it in the global setup: CHROMIUM_PATH,
// Debian's chromium, Chrome or Edge) driven by playwright-core, with exactly the switches of
// scripts/browser.ts and a fresh profile; and numbered screenshots.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { launchOptions } from '../../scripts/browser.js';

export const browserInfo = inject('browser');

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launches the browser with CHROMIUM_ARGS and a new --user-data-dir, nothing else: Playwright's own
 * default switches are left out (ignoreDefaultArgs), except the pipe it talks over.
 */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'browser-test-profile-'));
  try {
    const browser = await chromium.launch(launchOptions(browserInfo.target, profile));
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
