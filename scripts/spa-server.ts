// The example SPA (examples/spa) on Vite's dev server, in this process, pointed at the dev stack:
// `npm run dev -- --spa`, and the browser tests (test/browser).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger, LogLevel } from 'vite';
import { ROOT } from './paths.js';

export const SPA_ROOT = join(ROOT, 'examples', 'spa');
export const DEFAULT_SPA_PORT = 5173;

/** What examples/spa/config.ts reads (VITE_* variables). */
export interface SpaSettings {
  clientId: string;
  authority: string;
  apiScope: string;
  apiUrl: string;
}

export interface SpaServer {
  /** e.g. http://localhost:5173/ */
  url: string;
  close(): Promise<void>;
}

/** Vite's messages into the dev stack's output file, instead of the terminal. */
function fileLogger(path: string): Logger {
  const write = (level: string) => (message: string) =>
    appendFileSync(path, `[vite ${level}] ${message}\n`);
  const warned = new Set<string>();
  return {
    info: write('info'),
    warn: write('warn'),
    warnOnce(message) {
      if (!warned.has(message)) write('warn')(message);
      warned.add(message);
    },
    error: write('error'),
    clearScreen() {},
    hasErrorLogged: () => false,
    hasWarned: false,
  };
}

export async function startSpaServer(
  port: number,
  settings: SpaSettings,
  output: 'inherit' | string,
): Promise<SpaServer> {
  // Vite hands the VITE_* variables of its process to the page (import.meta.env); they win over
  // any .env file in examples/spa.
  Object.assign(process.env, {
    VITE_CLIENT_ID: settings.clientId,
    VITE_AUTHORITY: settings.authority,
    VITE_API_SCOPE: settings.apiScope,
    VITE_API_URL: settings.apiUrl,
  });
  const { createServer } = await import('vite');
  const logLevel: LogLevel = 'warn';
  const server = await createServer({
    root: SPA_ROOT,
    configFile: join(SPA_ROOT, 'vite.config.ts'),
    mode: 'development',
    clearScreen: false,
    logLevel,
    ...(output !== 'inherit' && { customLogger: fileLogger(output) }),
    server: { host: 'localhost', port, strictPort: true },
  });
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw error;
  }
  return { url: `http://localhost:${port}/`, close: () => server.close() };
}
