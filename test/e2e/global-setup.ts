// Where the e2e suite finds the app:
// - default: starts the dev stack itself (the code of `npm run dev`) on free ports, plus a second
//   instance of the app that uses the managed identity credential, and stops both at the end;
// - E2E_BASE_URL=http://localhost:7071 (or a deployed app): uses that app, and the emulators of
//   a running `npm run dev` if .emulators/dev.json (or E2E_STATE_DIR/dev.json) names them;
// - E2E_BASE_URL + E2E_TOKEN (a real user token for the API): only the tests that need no emulator.
// E2E_ALLOWED_ORIGIN (default http://localhost:5173) is an origin the app allows by CORS;
// E2E_HOST=func|local picks the host of the default mode (default: func when on PATH).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type AppProcess, type HostKind, startApp } from '../../scripts/app-process.js';
import { readDevInfo } from '../../scripts/dev-info.js';
import {
  changePasswordPath,
  DEV_SPA_ORIGIN,
  type DevStack,
  managedIdentitySettings,
  startDevStack,
} from '../../scripts/dev-stack.js';
import { DEFAULT_STATE_DIR, ROOT } from '../../scripts/paths.js';
import { freePort } from '../../scripts/ports.js';

export interface E2eContext {
  changePasswordUrl: string;
  /** The Entra ID emulator (control API); undefined against a real tenant. */
  entraUrl?: string;
  /** E2E_TOKEN: a real access token for the tests that need no emulator. */
  token?: string;
  allowedOrigin: string;
  /** The same app with the managed identity credential; only when this run started the stack. */
  managedIdentityUrl?: string;
  /** The Application Insights stand-in that app sends its traces to (with the managed identity). */
  appInsightsUrl?: string;
  /** This run started the dev stack, so tests may start more of them. */
  ownStack: boolean;
  /** The dev stack's state directory (dev.json), for `npm run token -- --state-dir`. */
  stateDir?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}

const allowedOrigin = process.env.E2E_ALLOWED_ORIGIN ?? DEV_SPA_ORIGIN;

function external(baseUrl: string): E2eContext {
  const changePasswordUrl = `${baseUrl.replace(/\/+$/, '')}${changePasswordPath()}`;
  const token = process.env.E2E_TOKEN;
  if (token) return { changePasswordUrl, token, allowedOrigin, ownStack: false };
  const stateDir = resolve(process.env.E2E_STATE_DIR ?? DEFAULT_STATE_DIR);
  const dev = readDevInfo(stateDir);
  if (dev) process.env.NODE_EXTRA_CA_CERTS = dev.caCertPath;
  return {
    changePasswordUrl,
    entraUrl: dev?.entraUrl,
    allowedOrigin,
    ownStack: false,
    ...(dev && { stateDir }),
  };
}

export default async function setup(project: TestProject) {
  const baseUrl = process.env.E2E_BASE_URL;
  if (process.env.E2E_TOKEN && !baseUrl) {
    throw new Error('E2E_TOKEN is a real token: set E2E_BASE_URL to the app it is for');
  }
  if (baseUrl) {
    project.provide('e2e', external(baseUrl));
    return;
  }

  const logs = join(ROOT, 'test-results');
  mkdirSync(logs, { recursive: true });
  const output = join(logs, 'e2e-app.log');
  const managedIdentityOutput = join(logs, 'e2e-app-managed-identity.log');
  for (const file of [output, managedIdentityOutput]) writeFileSync(file, '');
  const stateDir = mkdtempSync(join(tmpdir(), 'e2e-dev-stack-'));

  let stack: DevStack | undefined;
  let managedIdentityApp: AppProcess | undefined;
  const teardown = async () => {
    await managedIdentityApp?.stop();
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    stack = await startDevStack({
      appPort: 0,
      entraPort: 0,
      graphPort: 0,
      storePort: 0,
      stateDir,
      host: (process.env.E2E_HOST as HostKind | undefined) ?? 'auto',
      output,
    });
    // The bundled app with MANAGED_IDENTITY_CLIENT_ID + IDENTITY_* instead of a client secret,
    // configured as in Azure: traces to Application Insights (the stand-in), Entra-authenticated.
    managedIdentityApp = await startApp({
      host: stack.app.host,
      port: await freePort(),
      settings: {
        ...managedIdentitySettings(stack.emulators),
        APPLICATIONINSIGHTS_CONNECTION_STRING: stack.emulators.appInsightsConnectionString,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${stack.emulators.managedIdentityClientId};Authorization=AAD`,
        OTEL_BSP_SCHEDULE_DELAY: '200', // export within a fraction of a second, not 5 s
        // The exporter's own usage statistics go to a fixed Microsoft endpoint: not here.
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
      },
      caCertPath: stack.emulators.caCertPath,
      probePath: changePasswordPath(),
      stateDir: join(stateDir, 'managed-identity'),
      output: managedIdentityOutput,
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  // Test workers start after this and inherit it: they trust the emulators' certificate.
  process.env.NODE_EXTRA_CA_CERTS = stack.emulators.caCertPath;
  project.provide('e2e', {
    changePasswordUrl: stack.info.changePasswordUrl,
    entraUrl: stack.info.entraUrl,
    allowedOrigin,
    managedIdentityUrl: `${managedIdentityApp.url}${changePasswordPath()}`,
    appInsightsUrl: stack.emulators.appInsightsUrl,
    ownStack: true,
    stateDir,
  });
  return teardown;
}
