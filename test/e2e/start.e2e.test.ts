// `npm start` (scripts/start.ts) with your own local.settings.json: the settings are checked first,
// each problem named with where the setting came from, before Core Tools is looked for. Runs in a
// copy of the project (scripts, shared, functions, package.json, node_modules linked) so a
// developer's own local.settings.json is never touched.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL_CORE_TOOLS } from '../../scripts/core-tools.js';
import { ROOT } from '../../scripts/paths.js';

let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'npm-start-'));
  for (const entry of ['scripts', 'shared', 'functions', 'package.json', 'host.json']) {
    cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const good = {
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: CLIENT,
  AZURE_CLIENT_SECRET: 'x',
  ATTEMPT_STORE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

/** npm start in the copy, with only node on PATH (so no `func`) plus `env`. */
async function start(settings: string | undefined, env: Record<string, string> = {}) {
  const path = join(project, 'local.settings.json');
  rmSync(path, { force: true });
  if (settings !== undefined) writeFileSync(path, settings);
  const result = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(project, 'scripts', 'start.ts')],
    { cwd: project, env: { PATH: dirname(process.execPath), ...env }, timeout: 20_000 },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}
const json = (values: Record<string, string>) => JSON.stringify({ Values: values }, null, 2);

describe('npm start', () => {
  it('without local.settings.json: says to copy the sample', async () => {
    const { code, stderr } = await start(undefined);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^No local\.settings\.json: copy local\.settings\.sample\.json/);
  });

  it('names the file, line and column of a JSON syntax error', async () => {
    const { code, stderr } = await start('{\n  "Values": {\n    "A": "b"\n    "C": "d"\n  }\n}\n');
    expect(code).toBe(1);
    expect(stderr).toBe(
      "local.settings.json:4:5: not valid JSON: Expected ',' or '}' after property value.\n",
    );
  });

  it("stops at the sample's untouched placeholder, naming the setting, before Core Tools", async () => {
    const sample = JSON.parse(readFileSync(join(ROOT, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    const { code, stderr } = await start(
      json({ ...sample.Values, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT }),
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      'Settings: AZURE_CLIENT_SECRET still holds the placeholder of local.settings.sample.json (<…>): replace it with your value. AZURE_CLIENT_SECRET comes from local.settings.json.\n',
    );
  });

  it('says when a wrong value came from the environment, which wins over the file', async () => {
    const { code, stderr } = await start(json(good), { AZURE_CLIENT_ID: `api://${CLIENT}` });
    expect(code).toBe(1);
    expect(stderr).toContain('Settings: AZURE_CLIENT_ID must be the client id GUID, not the');
    expect(stderr).toContain(
      'AZURE_CLIENT_ID comes from the environment, which wins over local.settings.json.',
    );
  });

  it('an empty environment variable does not hide the file value (as in Core Tools)', async () => {
    const { stdout, stderr } = await start(json(good), {
      AZURE_CLIENT_ID: '',
      CORS_ALLOWED_ORIGINS: 'http://localhost:5173',
    });
    expect(stdout).toBe(
      [
        'Settings are valid:',
        '  from local.settings.json: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, ATTEMPT_STORE_CONNECTION_STRING',
        '  from the environment (wins over local.settings.json): CORS_ALLOWED_ORIGINS',
        '',
      ].join('\n'),
    );
    // Valid settings, no `func` on PATH: then, and only then, how to install Core Tools.
    expect(stderr).toBe(`${INSTALL_CORE_TOOLS}\n`);
    expect(stderr).not.toContain('--unsafe-perm');
  });
});
