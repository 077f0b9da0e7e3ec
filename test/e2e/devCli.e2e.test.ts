// `npm run dev` itself (scripts/dev.ts): its curl line works, a busy port is one clear line, and
// Ctrl-C leaves no process and no port behind. Only when this run owns the stack (dist/ is built).
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { DevInfo } from '../../scripts/dev-info.js';
import { ROOT } from '../../scripts/paths.js';
import { freePort, isPortFree } from '../../scripts/ports.js';
import { e2e } from './client.js';

const DEV = ['--import', 'tsx', join(ROOT, 'scripts', 'dev.ts'), '--skip-build', '--host', 'local'];
const hasCurl = spawnSync('curl', ['--version']).status === 0;
const children: ChildProcess[] = [];
const stateDirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startDev(args: string[]) {
  const stateDir = mkdtempSync(join(tmpdir(), 'e2e-dev-cli-'));
  stateDirs.push(stateDir);
  const child = spawn(process.execPath, [...DEV, '--state-dir', stateDir, ...args], { cwd: ROOT });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, stateDir, exited, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor<T>(what: string, get: () => T | undefined, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(e2e.ownStack && process.platform !== 'win32')('npm run dev', () => {
  it('refuses a port in use with one line that names it, and exits non-zero', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as { port: number }).port;
    try {
      const dev = startDev([
        '--port',
        String(port),
        '--entra-port',
        '0',
        '--graph-port',
        '0',
        '--store-port',
        '0',
      ]);
      const [code] = await dev.exited;
      expect(code).toBe(1);
      expect(dev.stderr().trim().split('\n')).toEqual([
        expect.stringContaining(`Port ${port} (function app) is already in use`),
      ]);
    } finally {
      busy.close();
    }
  });

  it.runIf(hasCurl)(
    'prints a curl line that changes the demo password (204, then 400); Ctrl-C frees everything',
    async () => {
      const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
      const [app, entra, graph, store] = ports.map(String) as [string, string, string, string];
      const dev = startDev([
        '--port',
        app,
        '--entra-port',
        entra,
        '--graph-port',
        graph,
        '--store-port',
        store,
      ]);
      const curl = await waitFor('the curl line', () =>
        dev
          .stdout()
          .split('\n')
          .find((line) => line.startsWith('curl ')),
      );
      const info = JSON.parse(readFileSync(join(dev.stateDir, 'dev.json'), 'utf8')) as DevInfo;

      const run = async () => (await promisify(execFile)('sh', ['-c', `${curl} -s`])).stdout;
      expect(await run()).toMatch(/^HTTP\/1\.1 204/);
      const again = await run();
      expect(again).toMatch(/^HTTP\/1\.1 400/);
      expect(again).toContain('"code":"Request_BadRequest"');
      // The attempt store is Azurite, keeping its data in the state folder.
      expect(dev.stdout()).toContain(`Azurite, Table service on port ${store}`);
      expect(existsSync(join(dev.stateDir, 'azurite'))).toBe(true);

      // Its own readiness check is not logged as a request: only the two curl calls are.
      const executed = dev.stdout().match(/^.*Executing 'Functions\.changePassword'.*$/gm) ?? [];
      expect(executed).toEqual([expect.stringContaining('POST'), expect.stringContaining('POST')]);

      dev.child.kill('SIGINT');
      const [code] = await dev.exited;
      expect(code).toBe(0);
      expect(dev.stdout().trimEnd().split('\n').at(-1)).toBe(
        'Stopped: every process of the dev stack has ended and its ports are free.',
      );
      for (const port of ports) expect(await isPortFree(port), String(port)).toBe(true);
      expect(isAlive(info.appPid)).toBe(false);
      expect(existsSync(join(dev.stateDir, 'dev.json'))).toBe(false);
    },
  );
});
