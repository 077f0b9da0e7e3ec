// Row 4: how long a fresh Node process takes to import the app, against importing
// @azure/functions alone (which the Functions Node.js worker needs anyway).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { APP_BUNDLE, CACHE_DIR } from './lib/snapshot.js';
import { median } from './lib/stats.js';

export interface ImportTiming {
  label: string;
  /** Time inside the process from just before `await import()` until it resolved, ms. */
  importMs: number[];
  /** Whole process, spawn to exit, ms (includes Node's own start-up). */
  processMs: number[];
}

export interface ColdStartResult {
  runs: number;
  bareProcessMs: number[];
  targets: ImportTiming[];
}

const TIMER = [
  'const started = performance.now();',
  'await import(process.argv[1]);',
  "process.stdout.write('\\nIMPORT_MS=' + (performance.now() - started) + '\\n');",
].join('');

function once(args: string[]): Promise<{ importMs: number; processMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    // stderr ignored: the app logs that @azure/functions runs in test mode, outside a host.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const processMs = performance.now() - started;
      const match = /IMPORT_MS=([\d.]+)/.exec(out);
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited with ${code}`));
      else resolvePromise({ importMs: match ? Number(match[1]) : 0, processMs });
    });
  });
}

/** The app's own code bundled, its dependencies loaded from node_modules: no esbuild bundle. */
async function buildUnbundled(): Promise<string> {
  // Under node_modules/ so the bare imports resolve to the project's packages; git-ignored.
  const outfile = resolve(CACHE_DIR, 'unbundled/changePassword.js');
  await build({
    entryPoints: ['functions/changePassword.ts'],
    outfile,
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

export async function measureColdStart(runs: number): Promise<ColdStartResult> {
  const targets: { label: string; specifier: string }[] = [
    { label: '@azure/functions alone', specifier: '@azure/functions' },
    { label: 'app (dist/ bundle)', specifier: pathToFileURL(APP_BUNDLE).href },
    {
      label: 'app unbundled (node_modules)',
      specifier: pathToFileURL(await buildUnbundled()).href,
    },
  ];
  const timings: ImportTiming[] = targets.map(({ label }) => ({
    label,
    importMs: [],
    processMs: [],
  }));
  const bareProcessMs: number[] = [];
  // One untimed round first (disk cache), then rounds that take each target in turn.
  for (let round = -1; round < runs; round++) {
    const bare = await once(['-e', '0']);
    if (round >= 0) bareProcessMs.push(bare.processMs);
    for (const [index, target] of targets.entries()) {
      const timing = await once(['--input-type=module', '-e', TIMER, target.specifier]);
      if (round < 0) continue;
      timings[index]?.importMs.push(timing.importMs);
      timings[index]?.processMs.push(timing.processMs);
    }
  }
  return { runs, bareProcessMs, targets: timings };
}

export const medianImportMs = (timing: ImportTiming | undefined): number =>
  timing ? median(timing.importMs) : Number.NaN;
