// npm run -s token -- [--user NAME] [--scope SCOPE] [--mfa] [--curl] [--state-dir DIR] [--help]
// Prints an access token for the API, minted by the running dev stack's Entra ID emulator
// (default: the demo user, scope access_as_user). With --curl, prints instead a one-line curl
// command that changes that user's password, with its current password read from the emulator.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getUser, mintToken } from '../emulators/control-client.js';
import { type DevInfo, readDevInfo } from './dev-info.js';
import { DEFAULT_STATE_DIR } from './paths.js';

const USAGE = `Usage: npm run -s token -- [options]

Prints an access token for the API from the running dev stack (npm run dev), for your own calls.

Options:
  --user NAME     the user, e.g. demo or demo@contoso.test (default: the demo user)
  --scope SCOPE   the delegated scope in the token (default: access_as_user)
  --mfa           a token that carries MFA (amr: mfa)
  --curl          print a curl command that changes that user's password, instead of the token
  --state-dir DIR where npm run dev keeps its state (default: .emulators)
  --help          this text`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parse() {
  try {
    return parseArgs({
      options: {
        user: { type: 'string' },
        scope: { type: 'string', default: 'access_as_user' },
        mfa: { type: 'boolean', default: false },
        curl: { type: 'boolean', default: false },
        'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
}

const values = parse();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const info = readDevInfo(resolve(values['state-dir']));
if (!info) fail("The dev stack isn't running: start it with `npm run dev` in another terminal.");

// Node.js reads NODE_EXTRA_CA_CERTS only at start-up: run again, trusting the emulators' certificate.
if (process.env.NODE_EXTRA_CA_CERTS !== info.caCertPath) {
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: info.caCertPath },
  });
  process.exit(again.status ?? 1);
}

/** Single-quoted for POSIX shells. */
const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

async function curlCommand(dev: DevInfo, username: string, token: string): Promise<string> {
  const { password } = await getUser(dev.entraUrl, username);
  // Entra's default policy: 8+ characters from 3 of 4 classes, not the current password.
  const newPassword = `Changed-${randomBytes(3).toString('hex')}-Pw1!`;
  return [
    `curl -i -X POST ${dev.changePasswordUrl}`,
    `-H ${quote(`Authorization: Bearer ${token}`)}`,
    "-H 'Content-Type: application/json'",
    `-d ${quote(JSON.stringify({ currentPassword: password, newPassword }))}`,
  ].join(' ');
}

/** A short name (demo) is a user of the emulated tenant's domain (demo@contoso.test). */
function fullUsername(name: string | undefined, demoUsername: string): string {
  if (!name) return demoUsername;
  return name.includes('@') ? name : `${name}${demoUsername.slice(demoUsername.indexOf('@'))}`;
}

const username = fullUsername(values.user, info.demoUsername);
try {
  const token = await mintToken(info.entraUrl, {
    username,
    scope: values.scope,
    mfa: values.mfa,
  });
  console.log(values.curl ? await curlCommand(info, username, token) : token);
} catch (error) {
  const message = (error as Error).message;
  if (message.includes('404')) {
    fail(
      `No user ${username} in the emulator (create one: POST ${info.entraUrl}/_emulator/users).`,
    );
  }
  if (error instanceof TypeError) {
    fail(`The dev stack isn't running: nothing answers at ${info.entraUrl}. Start npm run dev.`);
  }
  fail(`Could not get a token: ${message}`);
}
