// A measuring child, forked by bench/run.ts with NODE_EXTRA_CA_CERTS set (so it trusts the
// emulators) and the emulators' URLs in BENCH_EMULATORS. The emulators run in the parent, so
// their CPU (RS256 signing and verifying per OBO) is not charged to the code measured here.
//
//   tsx bench/measure.ts upstream|latency|throughput|parts|profile|memory|burst
// (memory needs node --expose-gc)
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { HttpResponseInit } from '@azure/functions';
import { getStats, resetStats, setLatency } from '../emulators/control-client.js';
import { measureBurst } from './burst.js';
import { emulatorCpuMicros, sendResult } from './lib/ipc.js';
import { profiled, summarize } from './lib/profile.js';
import type {
  LatencyResult,
  MemoryResult,
  ProfileResult,
  ThroughputResult,
  ThroughputRound,
  UpstreamResult,
} from './lib/results.js';
import {
  callFunction,
  checkFunctionReply,
  createBareMinimum,
  createUsers,
  emulatorInfo,
  invocation,
  loadHandler,
  mintTokens,
  runPool,
} from './lib/workload.js';
import { measureLimiter } from './limiter.js';
import { measureParts } from './parts.js';
import { measureTelemetry } from './telemetry.js';

const info = emulatorInfo();
const { entraUrl } = info;
const handler = await loadHandler(info);
const bareMinimum = createBareMinimum(info);
const phase = process.argv[2];
const CONCURRENCY = 16;

/**
 * JIT and GC warm-up before timing: the app's code paths (MSAL's above all) take thousands of
 * requests to reach steady speed (with a short warm-up, row 3's app rounds still sped up from
 * round to round). A reused pool of tokens is fine here: nothing is timed or counted.
 */
async function warmUp(perSide: number): Promise<void> {
  const users = await createUsers(entraUrl, 'warm-up', 16);
  const pool = await mintTokens(entraUrl, users, 256);
  const token = (index: number) => pool[index % pool.length] as string;
  const requests = new Array<number>(perSide).fill(0);
  await runPool(requests, CONCURRENCY, (_, index) => callFunction(handler, token(index)));
  await runPool(requests, CONCURRENCY, (_, index) => bareMinimum(token(index)));
}

/** Row 1: upstream calls per request, fresh token each time, after warm-up. */
async function upstream(): Promise<UpstreamResult> {
  const warmUpRequests = 64;
  const requests = 640;
  const users = await createUsers(entraUrl, 'upstream', 64);
  const tokens = await mintTokens(entraUrl, users, warmUpRequests + requests);
  await runPool(tokens.slice(0, warmUpRequests), CONCURRENCY, (token) =>
    callFunction(handler, token),
  );
  await resetStats(entraUrl);
  await runPool(tokens.slice(warmUpRequests), CONCURRENCY, (token) => callFunction(handler, token));
  const stats = await getStats(entraUrl);
  return {
    requests,
    concurrency: CONCURRENCY,
    token: stats.token,
    discovery: stats.discovery,
    jwks: stats.jwks,
    instanceDiscovery: stats.instanceDiscovery,
    msi: stats.msi,
    graph: stats.graph,
    tlsEntra: stats.tlsConnections.entra,
    tlsGraph: stats.tlsConnections.graph,
  };
}

/** Row 2: sequential end-to-end times, app vs bare minimum, interleaved, upstreams +20 ms. */
async function latency(): Promise<LatencyResult> {
  const latencyMs = 20;
  const warmUpPairs = 20;
  const samples = 200;
  const users = await createUsers(entraUrl, 'latency', 32);
  const tokens = await mintTokens(entraUrl, users, 2 * (warmUpPairs + samples));
  let nextToken = 0;
  const token = () => tokens[nextToken++] as string;
  const timeApp = async () => {
    const { request, context } = invocation(token());
    const started = performance.now();
    const reply = (await handler(request, context)) as HttpResponseInit;
    const elapsed = performance.now() - started;
    checkFunctionReply(reply);
    return elapsed;
  };
  const timeBare = async () => {
    const bareToken = token();
    const started = performance.now();
    await bareMinimum(bareToken);
    return performance.now() - started;
  };
  await warmUp(2_000);
  await setLatency(entraUrl, latencyMs);
  try {
    const app: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < warmUpPairs + samples; i++) {
      // Alternate which side goes first, so neither always follows the other.
      const [first, second] = i % 2 === 0 ? [timeApp, timeBare] : [timeBare, timeApp];
      const a = await first();
      const b = await second();
      if (i < warmUpPairs) continue;
      app.push(i % 2 === 0 ? a : b);
      bare.push(i % 2 === 0 ? b : a);
    }
    return { latencyMs, samples, app, bare };
  } finally {
    await setLatency(entraUrl, 0);
  }
}

/** Row 3: requests per second, 16 in flight, instant upstreams, alternating A/B rounds. */
async function throughput(): Promise<ThroughputResult> {
  const perRound = Number(process.env.BENCH_ROUND_REQUESTS ?? 600);
  // Short rounds in ABBA order, four times over: each app round has a bare round next to it, so
  // a burst of other load on the machine (or a drift: heat, GC, the emulators' growing state)
  // lands on a pair, and the median over pairs outvotes it.
  const abba: ThroughputRound['side'][] = ['app', 'bare', 'bare', 'app'];
  const order = [...abba, ...abba, ...abba, ...abba];
  const warmUpRounds: ThroughputRound['side'][] = ['app', 'bare'];
  const users = await createUsers(entraUrl, 'throughput', 64);
  const tokens = await mintTokens(entraUrl, users, (order.length + warmUpRounds.length) * perRound);
  await setLatency(entraUrl, 0);
  await warmUp(3_000);
  const rounds: ThroughputRound[] = [];
  let offset = 0;
  for (const [index, side] of [...warmUpRounds, ...order].entries()) {
    const slice = tokens.slice(offset, offset + perRound);
    offset += perRound;
    const work =
      side === 'app'
        ? (token: string) => callFunction(handler, token)
        : (token: string) => bareMinimum(token);
    const emulatorBefore = await emulatorCpuMicros();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runPool(slice, CONCURRENCY, work);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const emulatorAfter = await emulatorCpuMicros();
    if (index < warmUpRounds.length) continue;
    rounds.push({
      side,
      requests: slice.length,
      seconds,
      cpuMs: (cpu.user + cpu.system) / 1000,
      emulatorCpuMs: (emulatorAfter - emulatorBefore) / 1000,
    });
  }
  return { concurrency: CONCURRENCY, rounds };
}

/**
 * Row 5: heap after requests from 2,000 and from 10,000 distinct users, each measured right
 * after the last request and again once its AbortSignal.timeout timers (GRAPH_TIMEOUT_MS) have
 * fired: until then they hold the signals of the last seconds of requests.
 */
async function memory(): Promise<MemoryResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const checkpoints = [2_000, 10_000];
  const batch = 500;
  const settleMs = Number(info.appEnv.GRAPH_TIMEOUT_MS ?? 10_000) + 1_000;
  const points: MemoryResult['points'] = [];
  const measure = async (users: number, settled: boolean) => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { heapUsed, rss, external } = process.memoryUsage();
    points.push({ users, settled, heapUsed, rss, external });
  };
  let done = 0;
  for (const users of checkpoints) {
    while (done < users) {
      // Users and tokens for one batch only, dropped before the heap is measured.
      const usernames = await createUsers(entraUrl, `memory-${done}`, batch);
      const tokens = await mintTokens(entraUrl, usernames, batch);
      await runPool(tokens, CONCURRENCY, (token) => callFunction(handler, token));
      done += batch;
    }
    await measure(users, false);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    await measure(users, true);
  }
  return { points, requests: done, settleMs };
}

/** One side of row 3's load (BENCH_PROFILE_SIDE app|bare) under the CPU profiler. */
async function profile(): Promise<ProfileResult> {
  const requests = Number(process.env.BENCH_PROFILE_REQUESTS ?? 3000);
  const side = process.env.BENCH_PROFILE_SIDE === 'bare' ? 'bare' : 'app';
  const work =
    side === 'app'
      ? (token: string) => callFunction(handler, token)
      : (token: string) => bareMinimum(token);
  const users = await createUsers(entraUrl, 'profile', 64);
  const tokens = await mintTokens(entraUrl, users, requests + 200);
  await runPool(tokens.slice(0, 200), CONCURRENCY, work);
  const path = resolve(process.env.BENCH_PROFILE_DIR ?? tmpdir(), `bench-${side}.cpuprofile`);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { profile } = await profiled(path, () => runPool(tokens.slice(200), CONCURRENCY, work));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    side,
    requests,
    seconds,
    cpuMs: (cpu.user + cpu.system) / 1000,
    path,
    summary: summarize(profile),
  };
}

/** Row 3's explanation: CPU per step of a request, app vs bare minimum. */
const parts = () => measureParts(info, handler);

/** Row 7: tracing's CPU per request (the stand-in and identity are named by BENCH_TELEMETRY). */
const telemetry = () => measureTelemetry(info, JSON.parse(process.env.BENCH_TELEMETRY ?? '{}'));

/** Row 8: 400 simultaneous requests, app vs bare minimum, cold connections. */
const burst = () => measureBurst(info);
/** Row 9: what the guessing protection adds (limit on vs off, against the bench's Azurite). */
const limiter = () => measureLimiter(info);

const phases = {
  upstream,
  latency,
  throughput,
  memory,
  profile,
  parts,
  telemetry,
  burst,
  limiter,
} as const;
const run = phases[phase as keyof typeof phases];
if (!run)
  throw new Error(`unknown phase ${String(phase)}: one of ${Object.keys(phases).join(', ')}`);
sendResult(await run());
