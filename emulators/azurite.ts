// Azurite's Table service (the `azurite` dev dependency) as a child process on loopback: the real
// Azure Table Storage emulator behind the attempt limit in `npm run dev`, the tests and the bench.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../scripts/ports.js';

/** Azurite's published development account (the same for every Azurite; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** 0 = a free port (default). */
  port?: number;
  /** Keep the data in this folder; default: in memory, gone when it stops. */
  location?: string;
}

export interface Azurite {
  port: number;
  /** ATTEMPT_STORE_CONNECTION_STRING for this Azurite. */
  connectionString: string;
  pid: number;
  /** SIGSTOP: the process keeps its port but answers nothing, like a hung store. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const TABLE_MAIN = join(dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');

export function azuriteConnectionString(port: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`
  );
}

class AzuriteStartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly port?: number,
  ) {
    super(message);
  }
}

function launch(port: number, location: string | undefined): Promise<ChildProcess> {
  const args = [
    TABLE_MAIN,
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(port),
    '--skipApiVersionCheck', // @azure/data-tables may be newer than this Azurite
    '--disableTelemetry',
    '--silent',
    ...(location ? ['--location', location] : ['--inMemoryPersistence']),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('successfully started')) {
        child.stdout?.removeAllListeners('data');
        child.stderr?.removeAllListeners('data');
        child.stdout?.resume();
        child.stderr?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = () => {
      const inUse = output.includes('EADDRINUSE');
      reject(
        new AzuriteStartError(
          inUse
            ? `Azurite: port ${port} is already in use`
            : `Azurite did not start: ${output.trim().split('\n').at(-1) ?? ''}`,
          inUse ? 'EADDRINUSE' : undefined,
          port,
        ),
      );
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', onExit);
  });
}

/** Starts Azurite's Table service on 127.0.0.1; stop() ends it (and its in-memory data). */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  if (options.location) mkdirSync(options.location, { recursive: true });
  let child: ChildProcess | undefined;
  let port = options.port ?? 0;
  // A free port can be taken between the check and Azurite's listen: try a few.
  for (let tries = 0; !child; tries++) {
    const chosen = port || (await freePort());
    try {
      child = await launch(chosen, options.location);
      port = chosen;
    } catch (error) {
      if (port !== 0 || tries >= 4 || (error as AzuriteStartError).code !== 'EADDRINUSE') {
        throw error;
      }
    }
  }
  const running = child;
  const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    port,
    connectionString: azuriteConnectionString(port),
    pid: running.pid ?? 0,
    pause: () => running.kill('SIGSTOP'),
    resume: () => running.kill('SIGCONT'),
    stop() {
      stopping ??= (async () => {
        if (running.exitCode !== null || running.signalCode !== null) return;
        running.kill('SIGCONT'); // a paused process would not act on SIGTERM
        running.kill('SIGTERM');
        const killer = setTimeout(() => running.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}
