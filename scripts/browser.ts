// The browser the browser tests drive, found the way a user has one: CHROMIUM_PATH, Debian's
// chromium on PATH, or an installed Google Chrome / Microsoft Edge through playwright-core's
// channels. On Debian as root with none of them, Debian's chromium is installed with apt-get
// (a test tool's own browser download is not possible on every machine). Each candidate is
// launched once with the tests' switches, so a browser that cannot start fails here, in one line,
// before any test stack starts.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type LaunchOptions } from 'playwright-core';
import { DevError } from './errors.js';

/** Exactly these switches, plus a fresh --user-data-dir and the pipe Playwright talks over. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How to launch the browser: an executable, or a playwright-core channel. */
export type BrowserTarget =
  | { executablePath: string; channel?: undefined }
  | { channel: 'chrome' | 'msedge'; executablePath?: undefined };

export interface FoundBrowser {
  target: BrowserTarget;
  /** For messages: e.g. "/usr/bin/chromium (Debian's chromium)". */
  description: string;
}

const DEBIAN_COMMANDS = ['chromium', 'chromium-browser'];
const CHANNELS = [
  { channel: 'chrome', name: 'Google Chrome' },
  { channel: 'msedge', name: 'Microsoft Edge' },
] as const;

export const NO_BROWSER =
  'No browser for the browser tests: install Chromium (Debian: apt-get install -y chromium), ' +
  'Google Chrome or Microsoft Edge, or set CHROMIUM_PATH to a Chromium executable.';

/** Playwright's launch options for a target: our switches only (ignoreDefaultArgs). */
export function launchOptions(target: BrowserTarget, profileDir: string): LaunchOptions {
  return {
    ...(target.executablePath ? { executablePath: target.executablePath } : {}),
    ...(target.channel ? { channel: target.channel } : {}),
    ignoreDefaultArgs: true,
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profileDir}`, '--remote-debugging-pipe'],
    timeout: 30_000,
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `command` on PATH, as a shell would find it. */
export function onPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Launches and closes the browser once; the first line of Playwright's error, or undefined. */
async function tryLaunch(target: BrowserTarget): Promise<string | undefined> {
  const profile = mkdtempSync(join(tmpdir(), 'browser-probe-'));
  try {
    const browser = await chromium.launch(launchOptions(target, profile));
    await browser.close();
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * The first browser that starts, in the order above; undefined when there is none. An explicit
 * CHROMIUM_PATH that does not start is an error, not a reason to pick another browser.
 */
export async function findBrowser(env = process.env): Promise<FoundBrowser | undefined> {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new DevError(`CHROMIUM_PATH=${explicit}: no such file.`);
    }
    const failure = await tryLaunch({ executablePath: explicit });
    if (failure) throw new DevError(`CHROMIUM_PATH=${explicit} does not start: ${failure}`);
    return { target: { executablePath: explicit }, description: `${explicit} (CHROMIUM_PATH)` };
  }
  for (const command of DEBIAN_COMMANDS) {
    const path = onPath(command, env.PATH);
    if (path && !(await tryLaunch({ executablePath: path }))) {
      return { target: { executablePath: path }, description: path };
    }
  }
  for (const { channel, name } of CHANNELS) {
    if (!(await tryLaunch({ channel }))) {
      return { target: { channel }, description: `${name} (playwright-core channel "${channel}")` };
    }
  }
  return undefined;
}

/** Debian (or a derivative) as root with apt-get: where installing chromium ourselves is fine. */
export function canInstallDebianChromium(env = process.env): boolean {
  return (
    process.platform === 'linux' &&
    existsSync('/etc/debian_version') &&
    process.getuid?.() === 0 &&
    onPath('apt-get', env.PATH) !== undefined
  );
}

function aptGet(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync('apt-get', args, {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const reason = (result.stderr || result.error?.message || `exit code ${result.status}`)
      .trim()
      .split('\n')
      .pop();
    throw new DevError(`apt-get ${args.join(' ')} failed (${reason}). ${NO_BROWSER}`);
  }
}

/**
 * The browser for the tests: found, or installed (Debian, root), or a DevError in one line.
 * `log` reports an installation, which takes a while.
 */
export async function provideBrowser(
  log: (line: string) => void = console.log,
  env = process.env,
): Promise<FoundBrowser> {
  const found = await findBrowser(env);
  if (found) return found;
  if (!canInstallDebianChromium(env)) throw new DevError(NO_BROWSER);
  log("No browser found: installing Debian's chromium (apt-get install -y chromium) ...");
  aptGet(['update', '-qq'], env);
  aptGet(['install', '-y', '-qq', 'chromium'], env);
  const installed = await findBrowser(env);
  if (!installed)
    throw new DevError(`Debian's chromium was installed but does not start. ${NO_BROWSER}`);
  return installed;
}
