// Where the app's CPU goes: each step of a request timed on its own (process CPU time per
// operation, 16 in flight, instant upstreams), beside its bare-minimum equivalent.
import { createAccessTokenValidator } from '../shared/accessToken.js';
import { createChangePassword } from '../shared/changePassword.js';
import { loadConfig } from '../shared/config.js';
import { changePasswordInGraph } from '../shared/graph.js';
import { createRequestHandler } from '../shared/handler.js';
import { createOnBehalfOfExchanger } from '../shared/onBehalfOf.js';
import { parseChangePasswordBody } from '../shared/requestBody.js';
import { startAttemptTrace } from '../shared/telemetry.js';
import { createUpstreamPool } from '../shared/upstreamPool.js';
import type { PartsResult } from './lib/results.js';
import { median } from './lib/stats.js';
import {
  callFunction,
  callHandler,
  createBareMinimum,
  createUsers,
  type EmulatorInfo,
  mintTokens,
  REQUEST_BODY,
  runPool,
} from './lib/workload.js';

type Op = (index: number) => Promise<unknown>;

interface Part {
  name: string;
  app: Op;
  /** What the bare minimum does for the same step; none when it skips the step. */
  bare?: Op;
}

const CONCURRENCY = 16;

/** CPU time (µs) per operation of `op`, `count` times with 16 in flight. */
async function cpuPerOp(op: Op, count: number): Promise<number> {
  const before = process.cpuUsage();
  await runPool(new Array<number>(count).fill(0), CONCURRENCY, (_, index) =>
    op(index).then(() => undefined),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

export async function measureParts(
  info: EmulatorInfo,
  handler: Parameters<typeof callFunction>[0],
): Promise<PartsResult> {
  const loaded = loadConfig(info.appEnv);
  if (!loaded.ok) throw new Error(`app settings: ${loaded.message}`);
  const { config } = loaded;
  const bareMinimum = createBareMinimum(info);
  const validate = createAccessTokenValidator(config);
  const pool = await createUpstreamPool();
  const exchange = await createOnBehalfOfExchanger(config, pool);
  const changePassword = await createChangePassword(config);
  const handle = createRequestHandler(info.appEnv);

  // A pool of tokens reused in turn: nothing in the app caches by token (MSAL skipCache, one
  // client per request), so reuse costs the same as fresh tokens and spares the minting.
  const users = await createUsers(info.entraUrl, 'parts', 64);
  const tokens = await mintTokens(info.entraUrl, users, 512);
  const token = (index: number) => tokens[index % tokens.length] as string;
  const callers = await Promise.all(
    tokens.map(async (t) => {
      const result = await validate(`Bearer ${t}`);
      if (!result.ok) throw new Error(`token rejected: ${result.failure.code}`);
      return result.value;
    }),
  );
  const graphTokens = await Promise.all(
    callers.slice(0, 64).map(async (caller) => {
      const result = await exchange(caller, crypto.randomUUID());
      if (!result.ok) throw new Error(`OBO failed: ${result.failure.code}`);
      return result.value;
    }),
  );
  const graphToken = (index: number) => graphTokens[index % graphTokens.length] as string;
  const tokenUrl = `${info.entraUrl}/${info.tenantId}/oauth2/v2.0/token`;
  const graphUrl = `${info.graphUrl}/v1.0/me/changePassword`;
  const passwords = JSON.parse(REQUEST_BODY) as { currentPassword: string; newPassword: string };
  const bodyBytes = new TextEncoder().encode(REQUEST_BODY);

  const parts: Part[] = [
    {
      name: 'whole request: the function, with @azure/functions HttpRequest + InvocationContext',
      app: (i) => callFunction(handler, token(i)),
      bare: (i) => bareMinimum(token(i)),
    },
    {
      name: 'the same through shared/handler.ts, without @azure/functions objects',
      app: (i) => callHandler(handle, token(i)),
    },
    {
      name: 'the same through shared/changePassword.ts, without the handler',
      app: async (i) => {
        const result = await changePassword({
          authorization: `Bearer ${token(i)}`,
          body: {
            contentType: 'application/json',
            contentLength: String(bodyBytes.byteLength),
            bytes: async () => bodyBytes.buffer.slice(0) as ArrayBuffer,
          },
          clientRequestId: crypto.randomUUID(),
          attempt: startAttemptTrace({
            invocationId: 'bench',
            method: 'POST',
            url: 'http://localhost:7071/api/me/changePassword',
            startTime: performance.now(),
          }),
        });
        if (result.ok || result.failure.code !== 'graph_error')
          throw new Error('unexpected result');
      },
    },
    {
      name: 'validate access token (jose, JWKS cached)',
      app: (i) => validate(`Bearer ${token(i)}`),
    },
    {
      name: 'parse body (zod/mini)',
      app: () =>
        parseChangePasswordBody({
          contentType: 'application/json',
          contentLength: String(bodyBytes.byteLength),
          bytes: async () => bodyBytes.buffer.slice(0) as ArrayBuffer,
        }),
    },
    {
      name: 'OBO exchange: MSAL client per request vs one fetch',
      app: (i) => exchange(callers[i % callers.length] as (typeof callers)[number], 'bench'),
      bare: async (i) => {
        const response = await fetch(tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            client_id: info.apiClientId,
            client_secret: info.apiClientSecret,
            assertion: token(i),
            scope: 'https://graph.microsoft.com/.default',
            requested_token_use: 'on_behalf_of',
          }).toString(),
        });
        return response.json();
      },
    },
    {
      name: 'Graph call: changePasswordInGraph vs one fetch',
      app: (i) => changePasswordInGraph(config, pool, graphToken(i), passwords, 'bench'),
      bare: async (i) => {
        const response = await fetch(graphUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${graphToken(i)}`, 'content-type': 'application/json' },
          body: REQUEST_BODY,
        });
        return response.text();
      },
    },
  ];

  // Many short batches, every part and side in turn (rotating the order), and the median batch:
  // a busy moment of the machine lands on a few batches of every part, and is outvoted.
  const reps = Number(process.env.BENCH_PARTS_REPS ?? 15);
  const count = 100;
  const samples = parts.map(() => ({ app: [] as number[], bare: [] as number[] }));
  for (const part of parts) {
    await cpuPerOp(part.app, 100);
    if (part.bare) await cpuPerOp(part.bare, 100);
  }
  for (let rep = 0; rep < reps; rep++) {
    for (let turn = 0; turn < parts.length; turn++) {
      const index = (rep + turn) % parts.length;
      const part = parts[index] as Part;
      const sample = samples[index] as { app: number[]; bare: number[] };
      const sides: ['app' | 'bare', Op][] = [['app', part.app]];
      if (part.bare) sides[rep % 2 === 0 ? 'push' : 'unshift'](['bare', part.bare]);
      for (const [side, op] of sides) sample[side].push(await cpuPerOp(op, count));
    }
  }
  return {
    count,
    reps,
    parts: parts.map((part, index) => ({
      name: part.name,
      appMicros: median(samples[index]?.app ?? []),
      bareMicros: part.bare ? median(samples[index]?.bare ?? []) : 0,
    })),
  };
}
