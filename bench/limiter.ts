// Row 8: what the guessing protection (shared/attemptLimit.ts) adds to a request. The same
// handler with the limit on (the shipped default: 10 per hour, the store Azurite on loopback) and
// off, alternating request by request, upstreams +20 ms as in row 2; once for wrong guesses
// (Graph's 400: the attempt is reserved and kept) and once for successful changes (204: reserved,
// then the user's count cleared). Store round trips are counted where they leave the process: the
// Tables SDK's requests on node:http, seen on the 'http.client.request.start' diagnostics channel.
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { setLatency } from '../emulators/control-client.js';
import type { LimiterResult, LimiterSide } from './lib/results.js';
import { median } from './lib/stats.js';
import {
  createUsers,
  type EmulatorInfo,
  invocation,
  loadHandler,
  mintTokens,
  REQUEST_BODY,
  USER_PASSWORD,
} from './lib/workload.js';

const LATENCY_MS = 20;
const WARM_UP = 40;
const SAMPLES = 200;
/** Requests per user stay under the budget of 10, so no wrong guess is refused. */
const PER_USER = 5;

export async function measureLimiter(info: EmulatorInfo): Promise<LimiterResult> {
  const connectionString = info.appEnv.ATTEMPT_STORE_CONNECTION_STRING ?? '';
  const storePort = /TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(connectionString)?.[1];
  if (!storePort) throw new Error('row 8 needs the bench emulators’ Azurite');
  const { MAX_FAILED_ATTEMPTS: _off, ...defaults } = info.appEnv;
  const limited = await loadHandler({ ...info, appEnv: defaults });
  const unlimited = await loadHandler(info);

  let storeRequests = 0;
  subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    if (request.getHeader('host') === `127.0.0.1:${storePort}`) storeRequests++;
  });

  const sides = { limited, unlimited } as const;
  async function side(kind: 'wrongGuess' | 'change'): Promise<LimiterSide> {
    const requests = 2 * (WARM_UP + SAMPLES);
    const users = await createUsers(info.entraUrl, `limiter-${kind}`, requests / PER_USER);
    const tokens = await mintTokens(info.entraUrl, users, requests);
    // A successful change needs each user's current password: the next one is always new.
    const current = new Map(users.map((u) => [u, USER_PASSWORD]));
    let changes = 0;
    const time = async (handler: HttpHandler, index: number) => {
      const user = users[index % users.length] as string;
      let body = REQUEST_BODY;
      let next: string | undefined;
      if (kind === 'change') {
        next = `Bench-Changed-${++changes}-Pw!`;
        body = JSON.stringify({ currentPassword: current.get(user), newPassword: next });
      }
      const { request, context } = invocation(tokens[index] as string, body);
      const before = storeRequests;
      const started = performance.now();
      const reply = (await handler(request, context)) as HttpResponseInit;
      const elapsed = performance.now() - started;
      const expected = kind === 'change' ? 204 : 400;
      if (reply.status !== expected) {
        throw new Error(`row 8 (${kind}): expected ${expected}, got ${reply.status} ${reply.body}`);
      }
      if (next) current.set(user, next);
      return { elapsed, storeRoundTrips: storeRequests - before };
    };
    const on: number[] = [];
    const off: number[] = [];
    const roundTrips: number[] = [];
    for (let i = 0; i < WARM_UP + SAMPLES; i++) {
      // Alternate which goes first; each request its own token (and user slot).
      const order =
        i % 2 === 0 ? (['limited', 'unlimited'] as const) : (['unlimited', 'limited'] as const);
      for (const [k, name] of order.entries()) {
        const { elapsed, storeRoundTrips } = await time(sides[name], 2 * i + k);
        if (i < WARM_UP) continue;
        if (name === 'limited') {
          on.push(elapsed);
          roundTrips.push(storeRoundTrips);
        } else {
          off.push(elapsed);
          if (storeRoundTrips !== 0) throw new Error('row 8: the unlimited side used the store');
        }
      }
    }
    return {
      limitedMs: median(on),
      unlimitedMs: median(off),
      storeRoundTripsPerRequest: roundTrips.reduce((a, b) => a + b, 0) / roundTrips.length,
      maxStoreRoundTrips: Math.max(...roundTrips),
    };
  }

  await setLatency(info.entraUrl, LATENCY_MS);
  try {
    return {
      latencyMs: LATENCY_MS,
      samples: SAMPLES,
      wrongGuess: await side('wrongGuess'),
      change: await side('change'),
    };
  } finally {
    await setLatency(info.entraUrl, 0);
  }
}
