// npm test: every suite, one after the other, then one summary with the totals of all of them
// (scripts/test-suites.ts). First, before any stack starts, the browser the browser suite needs
// (scripts/browser.ts: found, or installed on Debian as root); without one, one line, exit code 1.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { provideBrowser } from './browser.js';
import { DevError } from './errors.js';
import { ROOT } from './paths.js';
import { runSuite, type Suite, type SuiteResult, summary } from './test-suites.js';

const SUITES: Suite[] = [
  { name: 'unit and component' },
  { name: 'end to end', config: 'vitest.e2e.config.ts' },
  { name: 'browser', config: 'vitest.browser.config.ts' },
];

// Ctrl-C reaches vitest directly (same terminal): let it stop, then run no further suite.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});

async function main(): Promise<number> {
  try {
    await provideBrowser();
  } catch (error) {
    if (!(error instanceof DevError)) throw error;
    console.error(error.message);
    return 1;
  }
  const resultsDir = join(ROOT, 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  const results: SuiteResult[] = [];
  for (const suite of SUITES) {
    console.log(`\n▶ ${suite.name}: vitest run --config ${suite.config ?? 'vitest.config.ts'}`);
    results.push(await runSuite(suite, { resultsDir }));
    if (interrupted) break;
  }
  const lines = summary(results);
  if (interrupted) lines.splice(-1, 0, '  interrupted: the remaining suites did not run');
  console.log(`\n${lines.join('\n')}`);
  return interrupted || results.some((r) => r.failed > 0) ? 1 : 0;
}

process.exitCode = await main();
