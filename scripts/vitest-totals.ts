// A vitest reporter for scripts/test.ts: writes this run's totals to $TEST_TOTALS_FILE as JSON.
// A test file that failed outside its tests (an import error, a failing hook) and an unhandled
// error each count as one failure, as vitest's own exit code does.
import { writeFileSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

export default class TotalsReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ) {
    const totals: Totals = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of modules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const { state } = test.result();
        if (state === 'passed') totals.passed++;
        else if (state === 'failed') failedTests++;
        else totals.skipped++;
      }
      totals.failed += failedTests || (module.state() === 'failed' ? 1 : 0);
    }
    const file = process.env.TEST_TOTALS_FILE;
    if (file) writeFileSync(file, JSON.stringify(totals));
  }
}
