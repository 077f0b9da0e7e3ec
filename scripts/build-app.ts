// `npm run build` as a step of another command (npm run dev, npm start, the e2e suite).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { DevError } from './errors.js';
import { ROOT } from './paths.js';

/** Type-checks and bundles the app into dist/; output to the terminal or appended to a file. */
export async function buildApp(output: 'inherit' | string = 'inherit'): Promise<void> {
  const out = output === 'inherit' ? 'inherit' : openSync(output, 'a');
  const child = spawn('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    shell: process.platform === 'win32', // npm.cmd
  });
  if (typeof out === 'number') closeSync(out);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) {
    throw new DevError(
      `npm run build failed${output === 'inherit' ? '' : ` (output: ${output})`}.`,
    );
  }
}
