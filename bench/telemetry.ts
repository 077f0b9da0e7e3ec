// Row 7: what tracing costs per request. The same requests through shared/handler.ts (the whole
// pipeline, Graph answering 400), in alternating rounds: untraced (no SDK registered, the app's
// state without telemetry settings) and traced as in Azure (every span recorded, batched, sent by
// the Azure Monitor exporter with a managed identity token to the Application Insights stand-in;
// each traced round ends with a flush, so the export is inside the measured CPU time).
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { getTelemetry } from '../emulators/control-client.js';
import { createRequestHandler } from '../shared/handler.js';
import { startAttemptTrace } from '../shared/telemetry.js';
import { installExporters } from '../shared/telemetrySdk.js';
import type { TelemetryResult } from './lib/results.js';
import { median } from './lib/stats.js';
import {
  callHandler,
  createUsers,
  type EmulatorInfo,
  mintTokens,
  runPool,
} from './lib/workload.js';

export interface TelemetryTarget {
  appInsightsUrl: string;
  connectionString: string;
  managedIdentityClientId: string;
}

const CONCURRENCY = 16;

export async function measureTelemetry(
  info: EmulatorInfo,
  target: TelemetryTarget,
): Promise<TelemetryResult> {
  const handle = createRequestHandler(info.appEnv);
  const users = await createUsers(info.entraUrl, 'telemetry', 64);
  const tokens = await mintTokens(info.entraUrl, users, 512);

  const provider = await installExporters(
    [
      {
        kind: 'azureMonitor',
        connectionString: target.connectionString,
        entraAuth: { clientId: target.managedIdentityClientId },
      },
    ],
    'bench',
  );
  const on = () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  };
  const off = () => {
    trace.disable();
    propagation.disable();
    context.disable();
  };

  /** CPU µs per request over one round (traced: the flush of its spans included). */
  const round = async (traced: boolean, count: number): Promise<number> => {
    const before = process.cpuUsage();
    await runPool(new Array<number>(count).fill(0), CONCURRENCY, async (_, index) => {
      await callHandler(handle, tokens[index % tokens.length] as string);
    });
    if (traced) await provider.forceFlush();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / count;
  };

  // Warm-up of both paths (the exporter's first token and connection included).
  off();
  await round(false, 300);
  on();
  await round(true, 300);
  const before = await getTelemetry(target.appInsightsUrl);

  const reps = Number(process.env.BENCH_TELEMETRY_REPS ?? 12);
  const count = 200;
  const untraced: number[] = [];
  const traced: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    // ABBA, so a drift of the machine's speed favours neither side.
    for (const side of rep % 2 === 0 ? [false, true] : [true, false]) {
      if (side) on();
      else off();
      (side ? traced : untraced).push(await round(side, count));
    }
  }
  on();
  await provider.forceFlush();
  const after = await getTelemetry(target.appInsightsUrl);
  off();

  // The API calls alone with no SDK registered: what an app without telemetry settings pays.
  const noSdk = await (async () => {
    const ok = { ok: true as const, value: { headers: {} } };
    const server = new URL('https://127.0.0.1');
    const n = 20_000;
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const attempt = startAttemptTrace({
        invocationId: 'bench',
        method: 'POST',
        url: 'http://localhost:7071/api/me/changePassword',
        startTime: performance.now(),
      });
      await attempt.call('tokenExchange', server, async () => ok);
      await attempt.call('graphChangePassword', server, async () => ok);
      attempt.end({ outcome: 'changed', status: 204, detail: {}, clientRequestId: 'bench' });
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  })();

  const differences = untraced.map((u, i) => (traced[i] ?? Number.NaN) - u);
  return {
    reps,
    count,
    untracedMicros: median(untraced),
    tracedMicros: median(traced),
    addedMicros: median(differences),
    noSdkMicros: noSdk,
    requestsTraced: reps * count,
    envelopesExported: after.envelopes.length - before.envelopes.length,
    refused: after.refused.length,
  };
}
