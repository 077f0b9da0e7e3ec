// Fixed locations the dev scripts share, resolved from this file so any working directory works.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Emulator certificates and dev.json of `npm run dev` (git-ignored). */
export const DEFAULT_STATE_DIR = join(ROOT, '.emulators');
export const LOCAL_HOST_ENTRY = join(ROOT, 'scripts', 'local-host.ts');
/** Goes on NODE_PATH of the local host: holds the stand-in '@azure/functions-core'. */
export const FUNCTIONS_CORE_STAND_IN_DIR = join(ROOT, 'scripts', 'local-host', 'functions-core');
/** Marks the dev stack's own readiness request, which the local host does not log as a call. */
export const READINESS_PROBE_HEADER = 'x-dev-stack-readiness-probe';
