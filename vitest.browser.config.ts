import { defineConfig } from 'vitest/config';

// Browser end to end: Chromium (playwright-core; the browser scripts/browser.ts finds) drives
// examples/spa against the dev stack (test/browser/global-setup.ts). `npm run test:browser`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
