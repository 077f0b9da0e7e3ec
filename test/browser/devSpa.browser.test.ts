// `npm run dev -- --spa` (scripts/dev.ts): Vite serves examples/spa pointed at this stack's ports,
// and Ctrl-C stops it with the rest, freeing every port. (dist/ is built by the global setup.)
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/paths.js';
import { freePort, isPortFree } from '../../scripts/ports.js';

let child: ChildProcess | undefined;
let stateDir: string | undefined;

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe.runIf(process.platform !== 'win32')('npm run dev -- --spa', () => {
  it('serves the SPA with the stack settings; Ctrl-C stops Vite with the rest', async () => {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [app, entra, graph, spa] = ports.map(String) as [string, string, string, string];
    stateDir = mkdtempSync(join(tmpdir(), 'browser-dev-spa-'));
    const dev = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', join(ROOT, 'scripts', 'dev.ts'), '--skip-build', '--host', 'local'],
        ...['--port', app, '--entra-port', entra, '--graph-port', graph],
        ...['--spa', '--spa-port', spa, '--state-dir', stateDir],
      ],
      { cwd: ROOT },
    );
    child = dev;
    const exited = once(dev, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let stdout = '';
    dev.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    dev.stderr.resume();
    for (const deadline = Date.now() + 60_000; !stdout.includes('Ctrl-C stops everything'); ) {
      if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`no summary:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const spaUrl = `http://localhost:${spa}/`;
    expect(stdout).toContain(`Example SPA   ${spaUrl}`);

    const page = await fetch(spaUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Change your password</h1>');
    // Vite hands the stack's settings to the page as import.meta.env.
    const config = await (await fetch(`${spaUrl}config.ts`)).text();
    expect(config).toContain(`"VITE_API_URL": "http://localhost:${app}/api/me/changePassword"`);
    expect(config).toContain(`"VITE_AUTHORITY": "https://127.0.0.1:${entra}/`);

    dev.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
    await expect(fetch(spaUrl)).rejects.toThrow(); // whatever address localhost was
  });
});
