// npm start [-- <func start options>]: checks your local.settings.json (a real tenant; see
// docs/local-development.md, "Use your own tenant") as the function will read it, builds, then runs
// the app under `func start`. The settings come first: a wrong one is named with where it came
// from, before anything is built or Core Tools is looked for.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../shared/config.js';
import { buildApp } from './build-app.js';
import { findCoreTools, INSTALL_CORE_TOOLS } from './core-tools.js';
import { DevError } from './errors.js';
import {
  describeSource,
  mergeSettings,
  readLocalSettingsFile,
  summarizeSources,
} from './local-settings.js';
import { ROOT } from './paths.js';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const settingsPath = join(ROOT, 'local.settings.json');
if (!existsSync(settingsPath)) {
  fail(
    'No local.settings.json: copy local.settings.sample.json to local.settings.json and fill in your tenant (docs/local-development.md).',
  );
}
let file: Record<string, string>;
try {
  file = readLocalSettingsFile(settingsPath);
} catch (error) {
  if (error instanceof DevError) fail(error.message);
  throw error;
}
// The same check the function makes on its first request, now, with the setting's name.
const { values, sources } = mergeSettings(file, process.env);
const config = loadConfig(values);
if (!config.ok) fail(`Settings: ${config.message}. ${describeSource(config.setting, sources)}`);
console.log(['Settings are valid:', ...summarizeSources(sources)].join('\n'));

if (!findCoreTools()) fail(INSTALL_CORE_TOOLS);

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
