// Standalone emulators for local development: `npx tsx emulators/cli.ts [--entra-port N]
// [--graph-port N] [--state-dir DIR]`. Prints the app settings to use; Ctrl+C stops.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, DEMO_USERNAME, startEmulators } from './index.js';

const { values } = parseArgs({
  options: {
    'entra-port': { type: 'string', default: '0' },
    'graph-port': { type: 'string', default: '0' },
    // .emulators/ is git-ignored; a stable path lets NODE_EXTRA_CA_CERTS stay the same.
    'state-dir': { type: 'string', default: '.emulators' },
  },
});

const emulators = await startEmulators({
  entraPort: Number(values['entra-port']),
  graphPort: Number(values['graph-port']),
  stateDir: resolve(values['state-dir']),
});

const lines = [
  '# Entra ID + Microsoft Graph emulators are running. App settings:',
  ...Object.entries(emulators.env).map(([key, value]) => `${key}=${value}`),
  '# Alternatives to AZURE_CLIENT_SECRET:',
  `# AZURE_CLIENT_CERTIFICATE_PATH=${emulators.apiClientCertificatePath}`,
  `# IDENTITY_ENDPOINT=${emulators.managedIdentityEndpoint}`,
  `# IDENTITY_HEADER=${emulators.managedIdentityHeader}`,
  `# MANAGED_IDENTITY_CLIENT_ID=${emulators.managedIdentityClientId}`,
  `# SPA client id: ${emulators.spaClientId}; demo user: ${DEMO_USERNAME} / ${DEMO_PASSWORD}`,
  `# Control API: ${emulators.entraUrl}/_emulator/ (Ctrl+C to stop)`,
];
process.stdout.write(`${lines.join('\n')}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emulators.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
