// npm test's own behaviour (scripts/test.ts, test-suites.ts, browser.ts, vitest-totals.ts): no
// browser is one line before anything starts; a Debian root machine without one gets Debian's
// chromium through apt-get; every suite's totals add up in one summary whose last line CI reads.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canInstallDebianChromium,
  NO_BROWSER,
  onPath,
  provideBrowser,
} from '../../scripts/browser.js';
import { ROOT } from '../../scripts/paths.js';
import { runSuite, summary } from '../../scripts/test-suites.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** `npm test`'s script with exactly this environment; its exit code and output. */
async function npmTest(env: NodeJS.ProcessEnv) {
  const result = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'test.ts')],
    {
      cwd: ROOT,
      env,
      timeout: 20_000,
    },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe('npm test without a browser', () => {
  it('says so in one line and exits 1 before any suite starts (nothing on PATH)', async () => {
    const { code, stdout, stderr } = await npmTest({ PATH: tempDir('no-browser-') });
    expect(code).toBe(1);
    expect(stderr).toBe(`${NO_BROWSER}\n`);
    expect(stdout).toBe('');
  });

  it('names a CHROMIUM_PATH that does not exist, without looking further', async () => {
    const missing = join(tempDir('no-browser-'), 'chromium');
    const { code, stdout, stderr } = await npmTest({ ...process.env, CHROMIUM_PATH: missing });
    expect(code).toBe(1);
    expect(stderr).toBe(`CHROMIUM_PATH=${missing}: no such file.\n`);
    expect(stdout).toBe('');
  });
});

describe('npm run test:browser without a browser', () => {
  it('the same one line, before the browser suite starts its stack', async () => {
    const missing = join(tempDir('no-browser-'), 'chromium');
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const result = await run(
      process.execPath,
      [vitest, 'run', '--config', 'vitest.browser.config.ts'],
      { cwd: ROOT, env: { ...process.env, CHROMIUM_PATH: missing }, timeout: 30_000 },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`CHROMIUM_PATH=${missing}: no such file.\n`);
    expect(result.stdout).not.toContain('Dev stack');
  });
});

// The machine of CI: Debian, root. A stand-in apt-get records its calls and "installs" chromium
// by linking the real one into its own PATH directory.
const realChromium = onPath('chromium');
describe.runIf(canInstallDebianChromium() && realChromium)('on Debian as root', () => {
  it("installs Debian's chromium with apt-get when there is no browser, then uses it", async () => {
    const bin = tempDir('apt-bin-');
    const calls = join(bin, 'calls.log');
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> '${calls}'\n` +
        `[ "$1" = install ] && /bin/ln -s '${realChromium}' '${join(bin, 'chromium')}'\nexit 0\n`,
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    const logged: string[] = [];
    const found = await provideBrowser((line) => logged.push(line), { PATH: bin });
    expect(found.target).toEqual({ executablePath: join(bin, 'chromium') });
    expect(readFileSync(calls, 'utf8').split('\n')).toEqual([
      'noninteractive update -qq',
      'noninteractive install -y -qq chromium',
      '',
    ]);
    expect(logged).toEqual([
      "No browser found: installing Debian's chromium (apt-get install -y chromium) ...",
    ]);
  });

  it('reports a failed apt-get in one line', async () => {
    const bin = tempDir('apt-bin-');
    writeFileSync(
      join(bin, 'apt-get'),
      '#!/bin/sh\necho "E: Unable to locate package chromium" >&2\nexit 100\n',
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    await expect(provideBrowser(() => {}, { PATH: bin })).rejects.toThrow(
      `apt-get update -qq failed (E: Unable to locate package chromium). ${NO_BROWSER}`,
    );
  });
});

describe('the summary', () => {
  it("adds up each suite's passed, failed and skipped tests; a suite that fails before its tests counts as one failure", async () => {
    const resultsDir = tempDir('totals-');
    const outcomes = await runSuite(
      { name: 'fixture', config: 'test/fixtures/totals/vitest.config.ts' },
      { resultsDir, quiet: true },
    );
    expect(outcomes).toMatchObject({ passed: 1, failed: 1, skipped: 1, crashed: false });
    const broken = await runSuite(
      { name: 'broken fixture', config: 'test/fixtures/totals/vitest.broken.config.ts' },
      { resultsDir, quiet: true },
    );
    expect(broken).toMatchObject({ passed: 0, failed: 1, skipped: 0, crashed: true });

    const lines = summary([outcomes, broken]);
    expect(lines[0]).toBe('Summary');
    expect(lines[1]).toMatch(/^ {2}fixture {9}1 passed, 1 failed, 1 skipped +\d+ s$/);
    expect(lines[2]).toMatch(
      /^ {2}broken fixture {2}0 passed, 1 failed +\d+ s {2}\(the suite itself failed/,
    );
    expect(lines.at(-1)).toBe('1 passed, 2 failed');
  });
});
