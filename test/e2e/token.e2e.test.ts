// `npm run -s token`: usage on --help and on a wrong option (no stack trace), the short name of a
// user of the emulated tenant, and one line for a user that does not exist.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createUser } from '../../emulators/control-client.js';
import { ROOT } from '../../scripts/paths.js';
import { e2e } from './client.js';

async function token(args: string[]) {
  const result = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'token.ts'), ...args],
    { cwd: ROOT, timeout: 20_000 },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run -s token', () => {
  it('prints its usage for --help, and with the error for an unknown option', async () => {
    const help = await token(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run -s token -- \[options\]\n/);
    for (const option of ['--user', '--scope', '--mfa', '--curl', '--state-dir']) {
      expect(help.stdout).toContain(`  ${option}`);
    }
    const wrong = await token(['--usr', 'demo']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Unknown option '--usr'.*\n\nUsage: npm run -s token/s);
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  const { stateDir, entraUrl } = e2e;
  it.runIf(stateDir && entraUrl)(
    "takes a user's short name (demo for demo@contoso.test), and names a user that does not exist",
    async () => {
      const dir = stateDir ?? '';
      const username = `short-${Date.now()}@contoso.test`;
      await createUser(entraUrl ?? '', { username, password: 'Short-Passw0rd!' });
      const short = await token(['--state-dir', dir, '--user', username.split('@')[0] ?? '']);
      expect(short.stderr).toBe('');
      expect(short.code).toBe(0);
      expect(decodeJwt(short.stdout.trim()).preferred_username).toBe(username);

      const missing = await token(['--state-dir', dir, '--user', 'nobody-here']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^No user nobody-here@contoso\.test in the emulator/);
    },
  );
});
