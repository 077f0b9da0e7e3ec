// Forks a measuring child (bench/measure.ts) with the emulators' certificate trusted.
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Emulators } from '../../emulators/index.js';
import { answerCpuQueries, type ResultMessage } from './ipc.js';
import type { EmulatorInfo } from './workload.js';

export function emulatorInfoOf(emulators: Emulators): EmulatorInfo {
  const { NODE_EXTRA_CA_CERTS: _, ...settings } = emulators.env;
  // Rows 1-5 and 7 measure the pipeline as before the guessing protection (their workload sends
  // thousands of wrong guesses from a few users); row 8 measures what the protection adds.
  const appEnv = { ...settings, MAX_FAILED_ATTEMPTS: 'off' };
  return {
    entraUrl: emulators.entraUrl,
    graphUrl: emulators.graphUrl,
    tenantId: emulators.tenantId,
    apiClientId: emulators.apiClientId,
    apiClientSecret: emulators.apiClientSecret,
    appEnv,
  };
}

export interface ChildOptions {
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Trusted at start-up through NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
}

/** Outside a Functions host @azure/functions says, on every import, that it runs in test mode. */
const TEST_MODE_NOTICE = /^WARNING: .*(test mode|Azure Functions runtime)/;

/** Runs `tsx script ...args` in a fresh Node process and resolves with what it sent back. */
export function runChild<T>(script: string, args: string[], options: ChildOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, {
      execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
      env: {
        ...process.env,
        ...options.env,
        // Read once when Node starts: the only way MSAL, jose and fetch trust the emulators.
        NODE_EXTRA_CA_CERTS: options.caCertPath,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (!TEST_MODE_NOTICE.test(line)) process.stderr.write(`${line}\n`);
      });
    }
    answerCpuQueries(child);
    let result: { value: T } | undefined;
    child.on('message', (message: ResultMessage<T>) => {
      if (message?.type === 'result') result = { value: message.result };
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (result && code === 0) resolve(result.value);
      else reject(new Error(`${script} ${args.join(' ')} exited with ${signal ?? code}`));
    });
  });
}

/** A measuring child of bench/measure.ts against the bench's own emulators. */
export function runPhase<T>(
  emulators: Emulators,
  phase: string,
  options: Omit<ChildOptions, 'caCertPath'> = {},
): Promise<T> {
  return runChild<T>('bench/measure.ts', [phase], {
    ...options,
    caCertPath: emulators.caCertPath,
    env: { ...options.env, BENCH_EMULATORS: JSON.stringify(emulatorInfoOf(emulators)) },
  });
}
