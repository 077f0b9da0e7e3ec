// The burst row: 400 requests from 80 users sent at the same moment, through the app and through
// the bare minimum, both with a 1.5 s upstream timeout, starting with no open connection.
import type { HttpResponseInit } from '@azure/functions';
import { getStats, resetStats } from '../emulators/control-client.js';
import { emulatorCpuMicros } from './lib/ipc.js';
import type { BurstResult, BurstRound } from './lib/results.js';
import {
  createBareMinimum,
  createUsers,
  type EmulatorInfo,
  invocation,
  loadHandler,
  mintTokens,
  runPool,
} from './lib/workload.js';

const REQUESTS = 400;
const USERS = 80;
const TIMEOUT_MS = 1500;
/** The emulators close idle connections after 5 s (undici's client after 4 s): then all are gone. */
const IDLE_CLOSE_MS = 6000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** "ok" for Graph's relayed 400 (the expected answer), else the failure's name. */
async function appOutcome(handler: Awaited<ReturnType<typeof loadHandler>>, token: string) {
  const { request, context } = invocation(token);
  const reply = (await handler(request, context)) as HttpResponseInit;
  const body = typeof reply.body === 'string' ? reply.body : '';
  if (reply.status === 400 && body.includes('Invalid currentPassword')) return 'ok';
  const code = /"code":"([a-zA-Z_]+)"/.exec(body)?.[1] ?? 'no code';
  return `${reply.status} ${code}`;
}

async function bareOutcome(bare: ReturnType<typeof createBareMinimum>, token: string) {
  try {
    await bare(token);
    return 'ok';
  } catch (error) {
    const name = (error as Error).name;
    return name === 'TimeoutError' ? 'timeout' : name === 'Error' ? 'upstream answer' : name;
  }
}

export async function measureBurst(info: EmulatorInfo): Promise<BurstResult> {
  // The attempt limit off: the bare minimum has no store, and this row measures the two
  // upstream calls (the store's own cost under load is the attempt-limit row's subject).
  const handler = await loadHandler(info, {
    GRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
    MAX_FAILED_ATTEMPTS: 'off',
  });
  const bare = createBareMinimum(info, TIMEOUT_MS);
  const sides = {
    app: (token: string) => appOutcome(handler, token),
    bare: (token: string) => bareOutcome(bare, token),
  };
  const order: BurstRound['side'][] = ['app', 'bare', 'bare', 'app', 'app', 'bare'];
  // New users for every round (5 requests each), as a burst of distinct people would be.
  const next = async () =>
    mintTokens(info.entraUrl, await createUsers(info.entraUrl, 'burst', USERS), REQUESTS);
  // JIT warm-up of both code paths (16 in flight), not timed.
  for (const side of ['app', 'bare'] as const) {
    await runPool(await next(), 16, async (token) => {
      if ((await sides[side](token)) !== 'ok') throw new Error(`${side} warm-up failed`);
    });
  }

  const rounds: BurstRound[] = [];
  for (const side of order) {
    const slice = await next();
    await sleep(IDLE_CLOSE_MS);
    await resetStats(info.entraUrl);
    const emulatorBefore = await emulatorCpuMicros();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const outcomes = await Promise.all(slice.map((token) => sides[side](token)));
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const emulatorCpuMs = ((await emulatorCpuMicros()) - emulatorBefore) / 1000;
    const stats = await getStats(info.entraUrl);
    const failures: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome !== 'ok') failures[outcome] = (failures[outcome] ?? 0) + 1;
    }
    rounds.push({
      side,
      requests: slice.length,
      failures,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      emulatorCpuMs,
      newConnections: stats.tlsConnections.entra + stats.tlsConnections.graph,
      http2Connections: stats.http2Connections.entra + stats.http2Connections.graph,
      // Graph calls that got no answer: the ones whose outcome the caller cannot know.
      graphUnanswered: stats.graphCalls.filter((call) => call.status === 0).length,
    });
  }
  return { requests: REQUESTS, users: USERS, timeoutMs: TIMEOUT_MS, rounds };
}
