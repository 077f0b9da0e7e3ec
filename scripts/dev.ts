// npm run dev -- [--port 7071] [--entra-port 7443] [--graph-port 7444] [--store-port 10002]
//                [--host auto|func|local]
//                [--cors http://localhost:5173] [--skip-build] [--state-dir .emulators]
//                [--spa] [--spa-port 5173] [--traces]
// Builds the app, starts the Entra ID and Graph emulators and Azurite (the attempt store, its data
// in .emulators/azurite) and serves the app on them, then prints
// a curl command that changes the demo user's password. With --spa, also serves examples/spa on
// Vite's dev server (http://localhost:5173). With --traces, the app prints every span it records
// (OTEL_TRACES_EXPORTER=console); OTEL_EXPORTER_OTLP_ENDPOINT in the environment sends them to
// a collector instead. Ctrl-C (SIGINT) or SIGTERM stops it all.
import { execFile } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEMO_PASSWORD } from '../emulators/index.js';
import type { HostKind } from './app-process.js';
import { DEFAULT_PORTS, DEV_SPA_ORIGIN, type DevStack, startDevStack } from './dev-stack.js';
import { DevError } from './errors.js';
import { DEFAULT_STATE_DIR, ROOT } from './paths.js';
import { DEFAULT_SPA_PORT } from './spa-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(DEFAULT_PORTS.app) },
    'entra-port': { type: 'string', default: String(DEFAULT_PORTS.entra) },
    'graph-port': { type: 'string', default: String(DEFAULT_PORTS.graph) },
    'store-port': { type: 'string', default: String(DEFAULT_PORTS.store) },
    host: { type: 'string', default: 'auto' },
    /** CORS_ALLOWED_ORIGINS: the origins of your local SPA, comma-separated. */
    cors: { type: 'string', default: DEV_SPA_ORIGIN },
    'skip-build': { type: 'boolean', default: false },
    'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
    /** Serve the example SPA (examples/spa) too. */
    spa: { type: 'boolean', default: false },
    'spa-port': { type: 'string', default: String(DEFAULT_SPA_PORT) },
    /** Print the app's spans (OpenTelemetry's console exporter). */
    traces: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function port(flag: 'port' | 'entra-port' | 'graph-port' | 'store-port' | 'spa-port'): number {
  const value = Number(values[flag]);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    fail(`--${flag} must be a port number`);
  return value;
}

const host = values.host as HostKind | 'auto';
if (!['auto', 'func', 'local'].includes(host)) fail('--host must be auto, func or local');
const stateDir = resolve(values['state-dir']);

const starting = startDevStack({
  appPort: port('port'),
  entraPort: port('entra-port'),
  graphPort: port('graph-port'),
  storePort: port('store-port'),
  stateDir,
  host,
  build: !values['skip-build'],
  settings: {
    CORS_ALLOWED_ORIGINS: values.cors,
    ...(values.traces && { OTEL_TRACES_EXPORTER: 'console' }),
  },
  ...(values.spa && { spaPort: port('spa-port') }),
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the function app and the emulators...`);
  setTimeout(() => process.exit(1), 15_000).unref(); // never hang on the way out
  const stack = await starting.catch(() => undefined);
  await stack?.close();
  console.log('Stopped: every process of the dev stack has ended and its ports are free.');
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(signal));
}

/** The curl line comes from `token --curl`, a process that trusts the emulators' certificate. */
async function curlCommand(stack: DevStack): Promise<string> {
  const script = join(ROOT, 'scripts', 'token.ts');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', script, '--curl', '--state-dir', stateDir],
    { env: { ...process.env, NODE_EXTRA_CA_CERTS: stack.info.caCertPath } },
  );
  return stdout.trim();
}

function tracesWhere(): string {
  const otlp =
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const to = [values.traces && 'printed in this output', otlp && `sent over OTLP to ${otlp}`];
  return (
    to.filter(Boolean).join(', ') ||
    'off (--traces prints them; OTEL_EXPORTER_OTLP_ENDPOINT=<url> sends them to a collector)'
  );
}

function summary(stack: DevStack, curl: string): string {
  const { info } = stack;
  const where = (path: string) => relative(process.cwd(), path) || '.';
  const hostName =
    info.host === 'func'
      ? 'func start (Azure Functions Core Tools)'
      : 'local host (scripts/local-host.ts; install Core Tools to run under func start)';
  return [
    '',
    `Dev stack running, app served by ${hostName}:`,
    `  API           ${info.changePasswordUrl}`,
    `  Entra ID      ${info.entraUrl}   (control API ${info.entraUrl}/_emulator/)`,
    `  Graph         ${info.graphUrl}`,
    `  Attempt store ${stack.emulators.azurite ? `Azurite, Table service on port ${stack.emulators.azurite.port}` : 'none'}   (MAX_FAILED_ATTEMPTS ${info.settings.MAX_FAILED_ATTEMPTS ?? '10'})`,
    `  Demo user     ${info.demoUsername}  (password at start: ${DEMO_PASSWORD})`,
    `  SPA           client id ${info.spaClientId}, scope ${info.apiScope}, origin ${values.cors}`,
    ...(info.spaUrl
      ? [
          `  Example SPA   ${info.spaUrl}   (open ${info.entraUrl}/ once first, to accept its certificate)`,
        ]
      : []),
    `  Settings      ${where(join(stateDir, 'dev.json'))}   certificate ${where(info.caCertPath)}`,
    '  Token         npm run -s token -- [--user demo] [--curl]   (--help: every option)',
    `  Traces        ${tracesWhere()}`,
    '',
    "Change the demo user's password (204; the same command again gets Graph's 400):",
    '',
    curl,
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

let stack: DevStack;
try {
  stack = await starting;
} catch (error) {
  if (stopping) await new Promise(() => {}); // shutdown() exits
  if (error instanceof DevError) fail(error.message);
  throw error;
}
stack.app.exited.then((why) => {
  if (stopping) return;
  console.error(`The function app stopped (${why}): stopping the emulators.`);
  void stack.close().then(() => process.exit(1));
});
if (!stopping) {
  const curl = await curlCommand(stack).catch(
    (error: Error) => `(no curl command: ${error.message})`,
  );
  console.log(summary(stack, curl));
}
