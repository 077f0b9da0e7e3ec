// Row 6, the load generator: autocannon against a running dev host (`npm run dev`), in a process
// started with NODE_EXTRA_CA_CERTS naming the dev emulators' certificate (token minting goes
// through their control API over HTTPS).
//
// autocannon repeats fixed requests, so each request takes the next token from a pool minted
// beforehand (setupRequest); as many tokens as requests, so no token is sent twice. The body has a
// wrong currentPassword: Graph answers 400 after the whole chain ran, and no password changes.
import autocannon from 'autocannon';
import { sendResult } from './lib/ipc.js';
import type { HttpLoadResult } from './lib/results.js';
import { createUsers, mintTokens, REQUEST_BODY } from './lib/workload.js';

interface Target {
  changePasswordUrl: string;
  entraUrl: string;
}

const target = JSON.parse(process.env.BENCH_DEV_TARGET ?? 'null') as Target | null;
if (!target) throw new Error('BENCH_DEV_TARGET is not set: run `npm run bench`');
const CONNECTIONS = 16;
const WARM_UP = 300;
const AMOUNT = Number(process.env.BENCH_HTTP_REQUESTS ?? 3000);

// createUsers picks fresh names: a dev stack that was already running keeps earlier users.
// The dev stack runs the guessing protection (10 wrong guesses per user per hour): at most 8
// requests per user, so every one goes all the way to Graph, as on a stack without the limit.
const users = await createUsers(target.entraUrl, 'http', Math.ceil((WARM_UP + AMOUNT) / 8));
const tokens = await mintTokens(target.entraUrl, users, WARM_UP + AMOUNT);
let next = 0;

async function load(amount: number) {
  return autocannon({
    url: target?.changePasswordUrl ?? '',
    connections: CONNECTIONS,
    amount,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        body: REQUEST_BODY,
        setupRequest: (request) => ({
          ...request,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[next++ % tokens.length]}`,
          },
        }),
      },
    ],
  });
}

await load(WARM_UP);
const result = await load(AMOUNT);
const statuses = Object.fromEntries(
  Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]),
);
sendResult({
  requests: result.requests.total,
  connections: CONNECTIONS,
  seconds: result.duration,
  rps: result.requests.total / result.duration,
  latencyP50: result.latency.p50,
  latencyP99: result.latency.p99,
  statuses,
  errors: result.errors,
  timeouts: result.timeouts,
} satisfies HttpLoadResult);
