import { delimiter } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Emulators, startEmulators } from '../../emulators/index.js';
import { FUNCTIONS_CORE_STAND_IN_DIR } from '../../scripts/paths.js';

export interface EmulatorInfo {
  entraUrl: string;
  graphUrl: string;
  caCertPath: string;
  tenantId: string;
  apiClientId: string;
  apiClientCertificatePath: string;
  managedIdentityClientId: string;
  managedIdentityEndpoint: string;
  managedIdentityHeader: string;
  appInsightsUrl: string;
  appInsightsConnectionString: string;
  env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulators: EmulatorInfo;
  }
}

/**
 * Starts the emulated Entra ID and Graph once for the whole run. Setting
 * NODE_EXTRA_CA_CERTS here, before the test workers start, makes every worker
 * (and so MSAL, jose and fetch in the code under test) trust their certificate.
 */
export default async function setup(project: TestProject) {
  // The Functions worker hands the app '@azure/functions-core'; where that module is missing,
  // '@azure/functions' warns "Failed to detect the Azure Functions runtime" and skips every
  // registration (its src/app.ts, utils/tryGetCoreApiLazy.ts). The workers get the local host's
  // stand-in on NODE_PATH instead, as scripts/local-host.ts does, so functions/ registers for real.
  process.env.NODE_PATH = [FUNCTIONS_CORE_STAND_IN_DIR, process.env.NODE_PATH]
    .filter(Boolean)
    .join(delimiter);
  const emulators: Emulators = await startEmulators();
  process.env.NODE_EXTRA_CA_CERTS = emulators.caCertPath;
  project.provide('emulators', {
    entraUrl: emulators.entraUrl,
    graphUrl: emulators.graphUrl,
    caCertPath: emulators.caCertPath,
    tenantId: emulators.tenantId,
    apiClientId: emulators.apiClientId,
    apiClientCertificatePath: emulators.apiClientCertificatePath,
    managedIdentityClientId: emulators.managedIdentityClientId,
    managedIdentityEndpoint: emulators.managedIdentityEndpoint,
    managedIdentityHeader: emulators.managedIdentityHeader,
    appInsightsUrl: emulators.appInsightsUrl,
    appInsightsConnectionString: emulators.appInsightsConnectionString,
    env: emulators.env,
  });
  return async () => {
    await emulators.close();
  };
}
