// .emulators/dev.json: how other commands (npm run token, the e2e suite) find a running dev stack.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevInfo {
  /** Process id of `npm run dev`: a dev.json whose process is gone is stale. */
  pid: number;
  host: 'func' | 'local';
  /** Process id of the app's host (func or the local host). */
  appPid: number;
  /** e.g. http://localhost:7071 */
  appUrl: string;
  /** e.g. http://localhost:7071/api/me/changePassword */
  changePasswordUrl: string;
  /** Entra ID emulator (also AZURE_AUTHORITY_HOST and the control API under /_emulator/). */
  entraUrl: string;
  graphUrl: string;
  /** The emulators' TLS certificate: what NODE_EXTRA_CA_CERTS must name. */
  caCertPath: string;
  tenantId: string;
  apiClientId: string;
  spaClientId: string;
  /** The scope a SPA requests, e.g. api://<api client id>/access_as_user. */
  apiScope: string;
  demoUsername: string;
  /** The app settings the app runs with. */
  settings: Record<string, string>;
  /** The example SPA on Vite (npm run dev -- --spa), e.g. http://localhost:5173/ */
  spaUrl?: string;
}

export const devInfoPath = (stateDir: string): string => join(stateDir, 'dev.json');

export function writeDevInfo(stateDir: string, info: DevInfo): void {
  writeFileSync(devInfoPath(stateDir), `${JSON.stringify(info, null, 2)}\n`);
}

export function removeDevInfo(stateDir: string): void {
  rmSync(devInfoPath(stateDir), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running stack's info; undefined when there is no dev.json or its process is gone. */
export function readDevInfo(stateDir: string): DevInfo | undefined {
  let info: DevInfo;
  try {
    info = JSON.parse(readFileSync(devInfoPath(stateDir), 'utf8')) as DevInfo;
  } catch {
    return undefined;
  }
  return isAlive(info.pid) ? info : undefined;
}
