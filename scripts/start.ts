// npm start [-- <func start options>]: builds, then runs the app under `func start` with your own
// local.settings.json (a real tenant; see docs/local-development.md, "Use your own tenant").
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../shared/config.js';
import { buildApp } from './build-app.js';
import { findCoreTools, INSTALL_CORE_TOOLS } from './core-tools.js';
import { DevError } from './errors.js';
import { ROOT } from './paths.js';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

if (!findCoreTools()) fail(INSTALL_CORE_TOOLS);

const settingsPath = join(ROOT, 'local.settings.json');
if (!existsSync(settingsPath)) {
  fail(
    'No local.settings.json: copy local.settings.sample.json to local.settings.json and fill in your tenant (docs/local-development.md).',
  );
}
// The same check the function makes on its first request, now, with the setting's name.
const { Values = {} } = JSON.parse(readFileSync(settingsPath, 'utf8')) as {
  Values?: Record<string, string>;
};
const config = loadConfig({ ...Values, ...process.env });
if (!config.ok) fail(`local.settings.json: ${config.message}.`);

try {
  await buildApp();
} catch (error) {
  if (error instanceof DevError) fail(error.message);
  throw error;
}

const func = spawn('func', ['start', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  shell: process.platform === 'win32', // func.cmd when installed with npm
});
// Ctrl-C reaches func directly (same terminal): wait for it. A SIGTERM sent to us only is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => func.kill('SIGTERM'));
func.on('error', () => fail(INSTALL_CORE_TOOLS));
func.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
