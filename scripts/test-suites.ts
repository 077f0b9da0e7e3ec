// Runs one vitest suite and reads its totals (scripts/vitest-totals.ts); the combined summary of
// npm test. Used by scripts/test.ts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import type { Totals } from './vitest-totals.js';

export interface Suite {
  name: string;
  /** vitest config file, relative to the project; undefined is vitest.config.ts */
  config?: string;
}

export interface SuiteResult extends Totals {
  name: string;
  /** Exited non-zero without a failed test (its setup failed): counted as one failure. */
  crashed: boolean;
  seconds: number;
}

function readTotals(path: string): Totals | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Totals;
  } catch {
    return undefined;
  }
}

export async function runSuite(
  suite: Suite,
  options: { resultsDir: string; quiet?: boolean },
): Promise<SuiteResult> {
  const config = suite.config ?? 'vitest.config.ts';
  const totalsPath = join(options.resultsDir, `totals-${config.replaceAll('/', '-')}.json`);
  rmSync(totalsPath, { force: true });
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--config', config, '--reporter=default'];
  args.push(`--reporter=${join(ROOT, 'scripts', 'vitest-totals.ts')}`);
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: options.quiet ? 'ignore' : 'inherit',
    env: { ...process.env, TEST_TOTALS_FILE: totalsPath },
  });
  const exitCode = await new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(1));
  });
  const seconds = (Date.now() - started) / 1000;
  const totals = readTotals(totalsPath) ?? { passed: 0, failed: 0, skipped: 0 };
  const crashed = exitCode !== 0 && totals.failed === 0;
  return { ...totals, failed: crashed ? 1 : totals.failed, name: suite.name, crashed, seconds };
}

/** The summary block; its last line is "<passed> passed, <failed> failed", alone, for CI. */
export function summary(results: SuiteResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = ['Summary'];
  for (const r of results) {
    const counts = [`${r.passed} passed`];
    if (r.failed) counts.push(`${r.failed} failed`);
    if (r.skipped) counts.push(`${r.skipped} skipped`);
    const time = `${r.seconds.toFixed(0).padStart(4)} s`;
    const line = `  ${r.name.padEnd(width)}  ${counts.join(', ').padEnd(30)}${time}`;
    lines.push(r.crashed ? `${line}  (the suite itself failed: see its output above)` : line);
  }
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  lines.push(`${passed} passed, ${failed} failed`);
  return lines;
}
