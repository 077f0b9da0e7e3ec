import { defineConfig } from 'vitest/config';

// End-to-end: HTTP only, against the app running as a process (see test/e2e/global-setup.ts).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
