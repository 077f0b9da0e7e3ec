// Row 6, the orchestration: start the `npm run dev` stack (its emulators and the local host
// serving POST /api/me/changePassword), wait until it answers, load it with bench/http-load.ts,
// stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type DevInfo, readDevInfo } from '../scripts/dev-info.js';
import { freePort } from '../scripts/ports.js';
import { runChild } from './lib/child.js';
import type { HttpLoadResult } from './lib/results.js';
import { CACHE_DIR } from './lib/snapshot.js';

export type HttpRow =
  | { ok: true; result: HttpLoadResult; appUrl: string }
  | { ok: false; reason: string };

// Its own state directory and free ports: a developer's `npm run dev` (7071, 7443, 7444,
// .emulators/) may be running on the same machine, and is left alone.
const STATE_DIR = resolve(CACHE_DIR, 'dev');
const LOG = join(CACHE_DIR, 'dev.log');
const READY_TIMEOUT_MS = 90_000;

async function answers(url: string): Promise<boolean> {
  try {
    // An OPTIONS without Origin: the function answers 204 with no upstream call.
    const response = await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}

/**
 * The dev command as package.json declares it (`node --import tsx scripts/dev.ts` or
 * `tsx scripts/dev.ts`), run by this Node directly so that its pid is the one we stop.
 */
async function devCommand(): Promise<string[] | undefined> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const match = /^(?:node\s+--import\s+tsx|tsx)\s+(\S+\.ts)$/.exec(pkg.scripts?.dev?.trim() ?? '');
  if (!match?.[1] || !existsSync(match[1])) return undefined;
  const [app, entra, graph, store] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return [
    ...['--import', 'tsx', match[1], '--host', 'local'],
    // Built already by `npm run bench`.
    '--skip-build',
    ...['--port', String(app), '--entra-port', String(entra), '--graph-port', String(graph)],
    ...['--store-port', String(store)],
    ...['--state-dir', STATE_DIR],
  ];
}

/** Stops what we started: SIGINT, as Ctrl-C would (npm run dev then stops all it started). */
async function stop(dev: ChildProcess): Promise<void> {
  if (dev.exitCode !== null || dev.signalCode !== null || dev.pid === undefined) return;
  const exited = new Promise<void>((resolve) => dev.once('exit', () => resolve()));
  dev.kill('SIGINT');
  const stopped = await Promise.race([
    exited.then(() => true),
    delay(20_000, false, { ref: false }),
  ]);
  if (!stopped) {
    process.stderr.write(`bench: npm run dev (pid ${dev.pid}) ignored SIGINT; killing it\n`);
    dev.kill('SIGKILL');
    await exited;
  }
}

function lastLines(path: string, count: number): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-count).join(' ').slice(0, 300);
  } catch {
    return '';
  }
}

export async function measureDevHost(): Promise<HttpRow> {
  const command = await devCommand();
  if (!command) {
    return {
      ok: false,
      reason: 'skipped: dev host not available (no `npm run dev` script running tsx scripts/…)',
    };
  }
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const output = openSync(LOG, 'w');
  const dev = spawn(process.execPath, command, { stdio: ['ignore', output, output] });
  closeSync(output); // the child has its own copy
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && dev.exitCode === null) {
      const info = readDevInfo(STATE_DIR);
      if (info && info.pid === dev.pid && (await answers(info.changePasswordUrl))) {
        return await load(info);
      }
      await delay(500);
    }
    const why =
      dev.exitCode === null
        ? `not ready after ${READY_TIMEOUT_MS / 1000} s`
        : `exited: ${lastLines(LOG, 2)}`;
    return { ok: false, reason: `skipped: dev host not available (${why})` };
  } finally {
    await stop(dev);
  }
}

async function load(info: DevInfo): Promise<HttpRow> {
  try {
    const result = await runChild<HttpLoadResult>('bench/http-load.ts', [], {
      caCertPath: info.caCertPath,
      env: {
        BENCH_DEV_TARGET: JSON.stringify({
          changePasswordUrl: info.changePasswordUrl,
          entraUrl: info.entraUrl,
        }),
      },
    });
    return { ok: true, result, appUrl: new URL(info.changePasswordUrl).origin };
  } catch (error) {
    return { ok: false, reason: `failed: ${(error as Error).message}` };
  }
}
