// The local stack of `npm run dev`, also started by the e2e suite: build, Entra ID and Graph
// emulators, Azurite (the attempt store), and the function app on them. close() stops all of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_USERNAME, type Emulators, startEmulators } from '../emulators/index.js';
import { loadConfig } from '../shared/config.js';
import { type AppProcess, type HostKind, startApp } from './app-process.js';
import { buildApp } from './build-app.js';
import { findCoreTools, INSTALL_CORE_TOOLS } from './core-tools.js';
import { type DevInfo, removeDevInfo, writeDevInfo } from './dev-info.js';
import { DevError } from './errors.js';
import { DEFAULT_STATE_DIR, ROOT } from './paths.js';
import { freePort, isPortFree, PortInUseError } from './ports.js';
import { type SpaServer, startSpaServer } from './spa-server.js';

/** store: Azurite's usual Table port, so UseDevelopmentStorage=true reaches it too. */
export const DEFAULT_PORTS = { app: 7071, entra: 7443, graph: 7444, store: 10002 } as const;
/** The origin of a local SPA dev server (Vite's default), allowed by CORS in the dev stack. */
export const DEV_SPA_ORIGIN = 'http://localhost:5173';

export interface DevStackOptions {
  /** 0 = any free port. Defaults: DEFAULT_PORTS. */
  appPort?: number;
  entraPort?: number;
  graphPort?: number;
  /** Azurite's Table service (the attempt store). */
  storePort?: number;
  /** Certificates, dev.json, Azurite's data (azurite/) and func's copy of the app; default .emulators/. */
  stateDir?: string;
  /** 'auto' (default): func when Core Tools is on PATH, else the local host. */
  host?: HostKind | 'auto';
  /** Run `npm run build` first (default true). */
  build?: boolean;
  /** 'inherit' (default), or a file that collects the output of the build and the app. */
  output?: 'inherit' | string;
  /** Added to, or replacing, the emulator settings. */
  settings?: Record<string, string>;
  /** Also serve examples/spa with Vite on http://localhost:<spaPort> (0 = any free port). */
  spaPort?: number;
}

export interface DevStack {
  info: DevInfo;
  emulators: Emulators;
  app: AppProcess;
  spa?: SpaServer;
  close(): Promise<void>;
}

/** The app settings that point the app at the emulators, with the client secret as credential. */
export function emulatorSettings(emulators: Emulators): Record<string, string> {
  const { NODE_EXTRA_CA_CERTS: _caCert, ...settings } = emulators.env;
  return {
    ...settings,
    CORS_ALLOWED_ORIGINS: DEV_SPA_ORIGIN,
    // As infra/app/api.bicep sets it: the host refuses bodies over 8 KiB before buffering them.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '8192',
  };
}

/** The same, with the managed identity (App Service protocol) as credential instead. */
export function managedIdentitySettings(emulators: Emulators): Record<string, string> {
  const { AZURE_CLIENT_SECRET: _secret, ...settings } = emulatorSettings(emulators);
  return {
    ...settings,
    MANAGED_IDENTITY_CLIENT_ID: emulators.managedIdentityClientId,
    IDENTITY_ENDPOINT: emulators.managedIdentityEndpoint,
    IDENTITY_HEADER: emulators.managedIdentityHeader,
  };
}

/** e.g. /api/me/changePassword, with host.json's route prefix. */
export function changePasswordPath(): string {
  const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  const prefix = host.extensions?.http?.routePrefix ?? 'api';
  return `/${[prefix, 'me/changePassword'].filter(Boolean).join('/')}`;
}

export function chooseHost(host: HostKind | 'auto'): HostKind {
  if (host === 'auto') return findCoreTools() ? 'func' : 'local';
  if (host === 'func' && !findCoreTools()) throw new DevError(INSTALL_CORE_TOOLS);
  return host;
}

async function checkPorts(ports: {
  app: number;
  entra: number;
  graph: number;
  store: number;
  spa?: number;
}): Promise<void> {
  const checks = [
    [ports.app, 'function app', '--port'],
    [ports.entra, 'Entra ID emulator', '--entra-port'],
    [ports.graph, 'Graph emulator', '--graph-port'],
    [ports.store, 'Azurite (attempt store)', '--store-port'],
    ...(ports.spa === undefined ? [] : [[ports.spa, 'SPA dev server', '--spa-port'] as const]),
  ] as const;
  for (const [port, role, flag] of checks) {
    if (port !== 0 && !(await isPortFree(port))) throw new PortInUseError(port, role, flag);
  }
}

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const ports = {
    app: options.appPort ?? DEFAULT_PORTS.app,
    entra: options.entraPort ?? DEFAULT_PORTS.entra,
    graph: options.graphPort ?? DEFAULT_PORTS.graph,
    store: options.storePort ?? DEFAULT_PORTS.store,
  };
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const output = options.output ?? 'inherit';
  const spaPort = options.spaPort === 0 ? await freePort() : options.spaPort;
  // Fail fast, before the build, on what would fail later anyway.
  await checkPorts({ ...ports, spa: spaPort });
  const host = chooseHost(options.host ?? 'auto');
  if (options.build !== false) await buildApp(output);

  const emulators = await startEmulators({
    entraPort: ports.entra,
    graphPort: ports.graph,
    stateDir,
    attemptStore: { port: ports.store, location: join(stateDir, 'azurite') },
  }).catch((error: NodeJS.ErrnoException & { port?: number }) => {
    if (error.code !== 'EADDRINUSE') throw error;
    const [role, flag] =
      error.port === ports.entra
        ? ['Entra ID emulator', '--entra-port']
        : error.port === ports.store
          ? ['Azurite (attempt store)', '--store-port']
          : ['Graph emulator', '--graph-port'];
    throw new PortInUseError(error.port ?? 0, role, flag);
  });
  try {
    const settings = { ...emulatorSettings(emulators), ...options.settings };
    const spaOrigin = spaPort === undefined ? undefined : `http://localhost:${spaPort}`;
    if (spaOrigin) {
      // The SPA's origin is always allowed, on whatever port it runs.
      const origins = (settings.CORS_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim());
      settings.CORS_ALLOWED_ORIGINS = [...new Set([...origins, spaOrigin])]
        .filter(Boolean)
        .join(',');
    }
    // The check the function makes on its first request, now, with the setting's name.
    const config = loadConfig(settings);
    if (!config.ok) throw new DevError(`App settings: ${config.message}.`);
    const probePath = changePasswordPath();
    const app = await startApp({
      host,
      port: ports.app || (await freePort()),
      settings,
      caCertPath: emulators.caCertPath,
      probePath,
      stateDir,
      output,
    });
    const info: DevInfo = {
      pid: process.pid,
      host,
      appPid: app.pid,
      appUrl: app.url,
      changePasswordUrl: `${app.url}${probePath}`,
      entraUrl: emulators.entraUrl,
      graphUrl: emulators.graphUrl,
      caCertPath: emulators.caCertPath,
      tenantId: emulators.tenantId,
      apiClientId: emulators.apiClientId,
      spaClientId: emulators.spaClientId,
      apiScope: `api://${emulators.apiClientId}/access_as_user`,
      demoUsername: DEMO_USERNAME,
      settings,
    };
    let spa: SpaServer | undefined;
    if (spaPort !== undefined) {
      spa = await startSpaServer(
        spaPort,
        {
          clientId: emulators.spaClientId,
          authority: `${emulators.entraUrl}/${emulators.tenantId}`,
          apiScope: info.apiScope,
          apiUrl: info.changePasswordUrl,
        },
        output,
      ).catch(async (error: NodeJS.ErrnoException) => {
        await app.stop();
        if (error.code === 'EADDRINUSE') {
          throw new PortInUseError(spaPort, 'SPA dev server', '--spa-port');
        }
        throw error;
      });
      info.spaUrl = spa.url;
    }
    writeDevInfo(stateDir, info);
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        removeDevInfo(stateDir);
        await spa?.close();
        await app.stop();
        await emulators.close();
      })();
      return closing;
    };
    return { info, emulators, app, spa, close };
  } catch (error) {
    await emulators.close();
    throw error;
  }
}
