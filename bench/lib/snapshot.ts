// The bench measures a private copy of dist/: other work in this tree may run `npm run build`
// (which empties dist/) while the bench runs.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

export const CACHE_DIR = resolve('node_modules/.cache/bench');
/** dist/ as built at the start of the run; same layout, so the chunks resolve the same way. */
export const DIST_SNAPSHOT = resolve(CACHE_DIR, 'dist');
export const APP_BUNDLE = resolve(DIST_SNAPSHOT, 'functions/changePassword.js');

export function snapshotDist(): void {
  if (!existsSync('dist/functions/changePassword.js')) {
    throw new Error('dist/functions/changePassword.js is missing: run `npm run build` first');
  }
  rmSync(DIST_SNAPSHOT, { recursive: true, force: true });
  cpSync('dist', DIST_SNAPSHOT, { recursive: true });
}
