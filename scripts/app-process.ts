// Runs the built function app in a child process, under `func start` or the local host, and stops
// it with everything it started. A child process because NODE_EXTRA_CA_CERTS (trust in the
// emulators' certificate) is only read when a Node.js process starts.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SETTING_NAMES } from '../shared/config.js';
import { DevError } from './errors.js';
import {
  FUNCTIONS_CORE_STAND_IN_DIR,
  LOCAL_HOST_ENTRY,
  READINESS_PROBE_HEADER,
  ROOT,
} from './paths.js';

export type HostKind = 'func' | 'local';

export interface AppOptions {
  host: HostKind;
  port: number;
  /** App settings; replace any of the same names (and IDENTITY_*) in this process's environment. */
  settings: Record<string, string>;
  /** The emulators' certificate, for NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  /** Probed with OPTIONS until the function answers, e.g. /api/me/changePassword. */
  probePath: string;
  /** `func start` runs in a copy of the app below it (see stageFuncApp). */
  stateDir: string;
  /**
   * The local host only: the app folder it loads (package.json "main", host.json); default the
   * project. The deployment package test points it at an unpacked zip.
   */
  root?: string;
  /** 'inherit', or a file that collects the app's output. */
  output: 'inherit' | string;
  readyTimeoutMs?: number;
}

export interface AppProcess {
  host: HostKind;
  /** e.g. http://localhost:7071 */
  url: string;
  pid: number;
  /** Resolves with the reason (e.g. "code 1") when the host process exits, stopped or not. */
  exited: Promise<string>;
  /** Stops the app and every process it started; resolves once they are gone. */
  stop(): Promise<void>;
}

const isWindows = process.platform === 'win32';

/** Read by the app or its identity library: only the dev stack may set them. */
const OWNED_VARIABLES = [...SETTING_NAMES, 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT'];

function appEnvironment(options: AppOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of OWNED_VARIABLES) delete env[name];
  return {
    ...env,
    ...options.settings,
    NODE_EXTRA_CA_CERTS: options.caCertPath,
    FUNCTIONS_WORKER_RUNTIME: 'node',
  };
}

/**
 * `func start` reads local.settings.json from its folder and lets it fill in any setting the
 * environment leaves unset: run it in a copy of the deployment package with a settings file of
 * our own, so a developer's real-tenant local.settings.json never mixes with the emulators.
 */
function stageFuncApp(stateDir: string): string {
  const dir = join(stateDir, 'func-app');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of ['host.json', 'package.json']) copyFileSync(join(ROOT, file), join(dir, file));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const localSettings = { IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node' } };
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify(localSettings, null, 2));
  return dir;
}

function spawnHost(options: AppOptions): ChildProcess {
  const env = appEnvironment(options);
  const out = options.output === 'inherit' ? 'inherit' : openSync(options.output, 'a');
  try {
    // Its own process group (POSIX), so stop() can signal the host and all it started at once.
    const common = { env, detached: !isWindows } as const;
    if (options.host === 'func') {
      return spawn('func', ['start', '--port', String(options.port)], {
        ...common,
        cwd: stageFuncApp(options.stateDir),
        stdio: ['ignore', out, out],
        shell: isWindows, // func.cmd when installed with npm
      });
    }
    const args = ['--import', 'tsx', LOCAL_HOST_ENTRY, '--port', String(options.port)];
    // cwd stays the project so `--import tsx` resolves; the app's own imports resolve from its
    // files' folder, whatever the cwd.
    return spawn(process.execPath, [...args, '--root', options.root ?? ROOT], {
      ...common,
      cwd: ROOT,
      env: {
        ...env,
        NODE_PATH: [FUNCTIONS_CORE_STAND_IN_DIR, env.NODE_PATH].filter(Boolean).join(delimiter),
      },
      // The IPC channel closes when this process dies, and the local host then stops too.
      stdio: ['ignore', out, out, 'ipc'],
    });
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  if (isWindows) {
    spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  if (isWindows) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function probe(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: 'OPTIONS',
      headers: { connection: 'close', [READINESS_PROBE_HEADER]: '1' },
      signal: AbortSignal.timeout(2000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

export async function startApp(options: AppOptions): Promise<AppProcess> {
  const child = spawnHost(options);
  let exit: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve(exit);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      exit = error.code === 'ENOENT' ? 'func was not found' : error.message;
      resolve(exit);
    });
  });

  const url = `http://localhost:${options.port}`;
  let stopping: Promise<void> | undefined;
  const stopTree = async (pid: number) => {
    if (exit === undefined) {
      const gone = once(child, 'exit');
      signalTree(child, 'SIGTERM');
      const force = setTimeout(() => signalTree(child, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(force);
    }
    // Grandchildren (func's language worker) may outlive the host by a moment.
    for (let i = 0; i < 50 && groupAlive(pid); i++) await delay(100);
    if (groupAlive(pid)) signalTree(child, 'SIGKILL');
  };
  const stop = () => {
    stopping ??= child.pid === undefined ? Promise.resolve() : stopTree(child.pid);
    return stopping;
  };

  // Ready when the function itself answers: func's HTTP server is up before functions load.
  const probeUrl = `http://127.0.0.1:${options.port}${options.probePath}`;
  const timeoutMs = options.readyTimeoutMs ?? (options.host === 'func' ? 120_000 : 30_000);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await probe(probeUrl);
    if (status !== undefined && status !== 404 && status !== 503) break;
    if (exit !== undefined || Date.now() > deadline) {
      await stop();
      const why = exit ?? `no answer within ${timeoutMs / 1000} s`;
      const where = options.output === 'inherit' ? '' : ` (output: ${options.output})`;
      throw new DevError(`The function app (${options.host} host) did not start: ${why}${where}.`);
    }
    await delay(200);
  }
  return { host: options.host, url, pid: child.pid as number, exited, stop };
}
