import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appInsightsConnectionString, appInsightsHandler } from './appInsights.js';
import { type Azurite, startAzurite } from './azurite.js';
import {
  API_CLIENT_ID,
  API_CLIENT_SECRET,
  DEMO_DISPLAY_NAME,
  DEMO_PASSWORD,
  DEMO_USERNAME,
  MANAGED_IDENTITY_CLIENT_ID,
  SPA_CLIENT_ID,
  TENANT_ID,
} from './constants.js';
import type { EmulatorContext } from './context.js';
import { entraHandler } from './entra.js';
import { graphHandler } from './graph.js';
import { listenHttps } from './http.js';
import { createSigningKeys } from './keys.js';
import { MSI_PATH } from './msi.js';
import { EmulatorState } from './state.js';
import { createTlsMaterial } from './tls.js';

export * from './constants.js';
export type * from './types.js';

export interface EmulatorOptions {
  /** 0 = random (default). */
  entraPort?: number;
  graphPort?: number;
  /** Where the cert/key PEM files go; default a fresh temporary directory (removed on close). */
  stateDir?: string;
  /** Offer HTTP/2 (ALPN h2) besides HTTP/1.1, as Entra ID and Graph do; default true. */
  http2?: boolean;
  /**
   * Azurite's Table service, the attempt store (default: started, in memory, on a free port).
   * `location` keeps its data in a folder (npm run dev: .emulators/azurite); false: not started.
   */
  attemptStore?: false | { port?: number; location?: string };
}

export interface Emulators {
  /** AZURE_AUTHORITY_HOST, e.g. https://127.0.0.1:43121 (no trailing slash). */
  entraUrl: string;
  /** GRAPH_BASE_URL, e.g. https://127.0.0.1:43122. */
  graphUrl: string;
  /** Self-signed TLS certificate of both servers, for NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  tenantId: string;
  apiClientId: string;
  apiClientSecret: string;
  /** PEM with the private key and certificate registered on the API app. */
  apiClientCertificatePath: string;
  spaClientId: string;
  managedIdentityClientId: string;
  /** The Application Insights ingestion stand-in (emulators/appInsights.ts). */
  appInsightsUrl: string;
  /** APPLICATIONINSIGHTS_CONNECTION_STRING pointing at the stand-in. */
  appInsightsConnectionString: string;
  /** IDENTITY_ENDPOINT / IDENTITY_HEADER of the App Service managed identity protocol. */
  managedIdentityEndpoint: string;
  managedIdentityHeader: string;
  /** Azurite (Table service), unless attemptStore: false. */
  azurite?: Azurite;
  /**
   * AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, GRAPH_BASE_URL,
   * NODE_EXTRA_CA_CERTS, and ATTEMPT_STORE_CONNECTION_STRING when Azurite runs.
   */
  env: Record<string, string>;
  /** Closes the servers and destroys every socket, hung requests included. */
  close(): Promise<void>;
}

/** Starts the Entra ID and Microsoft Graph emulators on 127.0.0.1 over HTTPS. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'entra-emulators-')));
  await mkdir(stateDir, { recursive: true });
  const [tls, keys] = await Promise.all([createTlsMaterial(stateDir), createSigningKeys()]);

  const state = new EmulatorState();
  state.addUser({
    username: DEMO_USERNAME,
    password: DEMO_PASSWORD,
    displayName: DEMO_DISPLAY_NAME,
    mfaRequired: false,
  });
  const removeStateDir = () =>
    ownsStateDir ? rm(stateDir, { recursive: true, force: true }) : Promise.resolve();
  const listen = (
    port: number | undefined,
    count: (stats: { entra: number; graph: number }) => void,
  ) =>
    listenHttps(
      tls,
      port ?? 0,
      (protocol) => {
        count(state.stats.tlsConnections);
        if (protocol === 'h2') count(state.stats.http2Connections);
      },
      { http2: options.http2 ?? true },
    );
  const entra = await listen(options.entraPort, (n) => {
    n.entra++;
  }).catch(async (err: unknown) => {
    await removeStateDir();
    throw err;
  });
  const graph = await listen(options.graphPort, (n) => {
    n.graph++;
  }).catch(async (err: unknown) => {
    await entra.close();
    await removeStateDir();
    throw err;
  });

  const appInsights = await listenHttps(tls, 0, () => {}).catch(async (err: unknown) => {
    await Promise.all([entra.close(), graph.close()]);
    await removeStateDir();
    throw err;
  });
  const azurite =
    options.attemptStore === false
      ? undefined
      : await startAzurite(options.attemptStore ?? {}).catch(async (err: unknown) => {
          await Promise.all([entra.close(), graph.close(), appInsights.close()]);
          await removeStateDir();
          throw err;
        });

  const closing = new AbortController();
  // Every delayed or hanging answer waits on this one signal: a burst holds hundreds at once.
  setMaxListeners(0, closing.signal);
  const ctx: EmulatorContext = {
    entraUrl: entra.url,
    graphUrl: graph.url,
    keys,
    state,
    apiClientCert: tls.apiClientCert,
    managedIdentityHeader: randomBytes(16).toString('hex'),
    closing: closing.signal,
  };
  entra.setHandler(entraHandler(ctx));
  graph.setHandler(graphHandler(ctx));
  appInsights.setHandler(appInsightsHandler(ctx));

  let closed: Promise<void> | undefined;
  return {
    entraUrl: entra.url,
    graphUrl: graph.url,
    caCertPath: tls.caCertPath,
    tenantId: TENANT_ID,
    apiClientId: API_CLIENT_ID,
    apiClientSecret: API_CLIENT_SECRET,
    apiClientCertificatePath: tls.apiClientCertificatePath,
    spaClientId: SPA_CLIENT_ID,
    managedIdentityClientId: MANAGED_IDENTITY_CLIENT_ID,
    appInsightsUrl: appInsights.url,
    appInsightsConnectionString: appInsightsConnectionString(appInsights.url),
    managedIdentityEndpoint: `${entra.url}${MSI_PATH}`,
    managedIdentityHeader: ctx.managedIdentityHeader,
    azurite,
    env: {
      AZURE_AUTHORITY_HOST: entra.url,
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: API_CLIENT_ID,
      AZURE_CLIENT_SECRET: API_CLIENT_SECRET,
      GRAPH_BASE_URL: graph.url,
      NODE_EXTRA_CA_CERTS: tls.caCertPath,
      ...(azurite && { ATTEMPT_STORE_CONNECTION_STRING: azurite.connectionString }),
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        await Promise.all([entra.close(), graph.close(), appInsights.close(), azurite?.stop()]);
        await removeStateDir();
      })();
      return closed;
    },
  };
}
