// The browser suite's stack: the dev stack of `npm run dev -- --spa` (emulators, function app,
// examples/spa on Vite), every port a free one so a running `npm run dev` is no obstacle. Its
// output goes to test-results/browser-app.log; screenshots to test-results/browser/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { HostKind } from '../../scripts/app-process.js';
import { type BrowserTarget, provideBrowser } from '../../scripts/browser.js';
import { type DevStack, startDevStack } from '../../scripts/dev-stack.js';
import { ROOT } from '../../scripts/paths.js';

export interface BrowserContext {
  /** The example SPA, e.g. http://localhost:41234/ */
  spaUrl: string;
  changePasswordUrl: string;
  /** The Entra ID emulator (sign-in pages, control API). */
  entraUrl: string;
  /** Where the tests save their screenshots. */
  screenshotDir: string;
  /** The browser scripts/browser.ts found (or installed). */
  target: BrowserTarget;
}

declare module 'vitest' {
  export interface ProvidedContext {
    browser: BrowserContext;
  }
}

export default async function setup(project: TestProject) {
  // First, before any stack starts: no browser is one line, not a stack trace after a minute.
  const { target, description } = await provideBrowser();
  console.log(`Browser: ${description}`);
  const results = join(ROOT, 'test-results');
  const screenshotDir = join(results, 'browser');
  rmSync(screenshotDir, { recursive: true, force: true });
  mkdirSync(screenshotDir, { recursive: true });
  const output = join(results, 'browser-app.log');
  writeFileSync(output, '');
  const stateDir = mkdtempSync(join(tmpdir(), 'browser-dev-stack-'));

  let stack: DevStack | undefined;
  const teardown = async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    stack = await startDevStack({
      appPort: 0,
      entraPort: 0,
      graphPort: 0,
      spaPort: 0,
      stateDir,
      host: (process.env.E2E_HOST as HostKind | undefined) ?? 'auto',
      output,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  // Test workers start after this and inherit it: they trust the emulators' certificate.
  process.env.NODE_EXTRA_CA_CERTS = stack.emulators.caCertPath;
  project.provide('browser', {
    spaUrl: stack.info.spaUrl ?? '',
    changePasswordUrl: stack.info.changePasswordUrl,
    entraUrl: stack.info.entraUrl,
    screenshotDir,
    target,
  });
  return teardown;
}
