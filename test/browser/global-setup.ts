// The browser suite's stack: the dev stack of `npm run dev -- --spa` (emulators, function app,
// examples/spa on Vite), every port a free one so a running `npm run dev` is no obstacle. Its
// output goes to test-results/browser-app.log; screenshots to test-results/browser/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type HostKind, startApp } from '../../scripts/app-process.js';
import { type BrowserTarget, provideBrowser } from '../../scripts/browser.js';
import { changePasswordPath, type DevStack, startDevStack } from '../../scripts/dev-stack.js';
import { DevError } from '../../scripts/errors.js';
import { ROOT } from '../../scripts/paths.js';
import { freePort } from '../../scripts/ports.js';
import { startSpaServer } from '../../scripts/spa-server.js';

/** The authentication context the step-up app requires (REQUIRED_AUTH_CONTEXT). */
const STEP_UP_AUTH_CONTEXT = 'c1';

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
  /**
   * A second function app on the same emulators with REQUIRED_AUTH_CONTEXT=c1, and a second SPA
   * that calls it: the authentication-context step-up.
   */
  stepUp: { spaUrl: string; changePasswordUrl: string; authContext: string };
}

/** The step-up pair of `stepUp`: the dev stack's settings plus REQUIRED_AUTH_CONTEXT. */
async function startStepUpApp(stack: DevStack, stateDir: string, output: string) {
  const spaPort = await freePort();
  const probePath = changePasswordPath();
  const app = await startApp({
    host: stack.info.host,
    port: await freePort(),
    settings: {
      ...stack.info.settings,
      REQUIRED_AUTH_CONTEXT: STEP_UP_AUTH_CONTEXT,
      CORS_ALLOWED_ORIGINS: `http://localhost:${spaPort}`,
    },
    caCertPath: stack.emulators.caCertPath,
    probePath,
    stateDir,
    output,
  });
  const changePasswordUrl = `${app.url}${probePath}`;
  const spa = await startSpaServer(
    spaPort,
    {
      clientId: stack.info.spaClientId,
      authority: `${stack.info.entraUrl}/${stack.info.tenantId}`,
      apiScope: stack.info.apiScope,
      apiUrl: changePasswordUrl,
    },
    output,
  ).catch(async (error: unknown) => {
    await app.stop();
    throw error;
  });
  return {
    spaUrl: spa.url,
    changePasswordUrl,
    close: async () => {
      await spa.close();
      await app.stop();
    },
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    browser: BrowserContext;
  }
}

export default async function setup(project: TestProject) {
  // First, before any stack starts: no browser is one line, not a stack trace after a minute.
  const { target, description } = await provideBrowser().catch((error: unknown) => {
    if (!(error instanceof DevError)) throw error;
    console.error(error.message);
    process.exit(1); // nothing started yet; vitest would add its own stack trace
  });
  console.log(`Browser: ${description}`);
  const results = join(ROOT, 'test-results');
  const screenshotDir = join(results, 'browser');
  rmSync(screenshotDir, { recursive: true, force: true });
  mkdirSync(screenshotDir, { recursive: true });
  const output = join(results, 'browser-app.log');
  writeFileSync(output, '');
  const stateDir = mkdtempSync(join(tmpdir(), 'browser-dev-stack-'));
  const stepUpStateDir = mkdtempSync(join(tmpdir(), 'browser-step-up-'));

  let stack: DevStack | undefined;
  let stepUp: Awaited<ReturnType<typeof startStepUpApp>> | undefined;
  const teardown = async () => {
    await stepUp?.close();
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(stepUpStateDir, { recursive: true, force: true });
  };
  try {
    stack = await startDevStack({
      appPort: 0,
      entraPort: 0,
      graphPort: 0,
      storePort: 0,
      spaPort: 0,
      stateDir,
      host: (process.env.E2E_HOST as HostKind | undefined) ?? 'auto',
      output,
    });
    stepUp = await startStepUpApp(stack, stepUpStateDir, output);
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
    stepUp: {
      spaUrl: stepUp.spaUrl,
      changePasswordUrl: stepUp.changePasswordUrl,
      authContext: STEP_UP_AUTH_CONTEXT,
    },
  });
  return teardown;
}
