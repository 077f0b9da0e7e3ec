// Turns the measurements into the one table `npm run bench` prints, plus the details that
// docs/benchmarks.md carries between its generated-block markers.
import type { ColdStartResult, ImportTiming } from './coldstart.js';
import type { HttpRow } from './devhost.js';
import type { QuietWait } from './lib/quiet.js';
import type {
  BurstResult,
  BurstRound,
  LatencyResult,
  LimiterResult,
  MemoryResult,
  PartsResult,
  ProfileResult,
  TelemetryResult,
  ThroughputResult,
  ThroughputRound,
  UpstreamResult,
} from './lib/results.js';
import { MiB, median, quantile, round } from './lib/stats.js';
import { textTable } from './lib/textTable.js';

export interface Meta {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  loadBefore: number[];
  loadAfter: number[];
  quiet: QuietWait;
  /** Cores that other work used during each measuring child. */
  otherLoad: { name: string; cores: number; seconds: number; busiest: string[] }[];
  command: string;
  seconds: number;
}

export interface BenchResults {
  meta: Meta;
  coldStart: ColdStartResult;
  upstream: UpstreamResult;
  latency: LatencyResult;
  throughput: ThroughputResult;
  parts: PartsResult;
  memory: MemoryResult;
  profiles: ProfileResult[];
  http: HttpRow;
  telemetry: TelemetryResult;
  burst: BurstResult;
  limiter: LimiterResult;
}

interface Row {
  id: string;
  what: string;
  result: string;
  target: string;
  met: boolean | undefined;
}

const status = (met: boolean | undefined) =>
  met === undefined ? 'info' : met ? 'met' : '**MISSED**';

export interface ThroughputSide {
  rps: number;
  cpuMsPerRequest: number;
  /** Cores the measuring process kept busy (CPU time / wall time). */
  cores: number;
  emulatorCores: number;
  emulatorCpuMsPerRequest: number;
}

/** app/bare requests per second of each adjacent pair of rounds (ABBA: rounds 0+1, 2+3, …). */
export function pairRatios(rounds: ThroughputRound[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < rounds.length; i += 2) {
    const [x, y] = [rounds[i], rounds[i + 1]];
    if (!x || !y || x.side === y.side) continue;
    const [app, bare] = x.side === 'app' ? [x, y] : [y, x];
    ratios.push(app.requests / app.seconds / (bare.requests / bare.seconds));
  }
  return ratios;
}

export function throughputSide(rounds: ThroughputRound[], side: 'app' | 'bare'): ThroughputSide {
  const mine = rounds.filter((round) => round.side === side);
  const sum = (pick: (round: ThroughputRound) => number) =>
    mine.reduce((total, round) => total + pick(round), 0);
  const requests = sum((r) => r.requests);
  const seconds = sum((r) => r.seconds);
  return {
    rps: requests / seconds,
    cpuMsPerRequest: sum((r) => r.cpuMs) / requests,
    cores: sum((r) => r.cpuMs) / 1000 / seconds,
    emulatorCores: sum((r) => r.emulatorCpuMs) / 1000 / seconds,
    emulatorCpuMsPerRequest: sum((r) => r.emulatorCpuMs) / requests,
  };
}

function heapAt(memory: MemoryResult, users: number, settled: boolean): number {
  const point = memory.points.find((p) => p.users === users && p.settled === settled);
  return point ? point.heapUsed : Number.NaN;
}

export function memoryGrowth(memory: MemoryResult) {
  const users = memory.points.map((p) => p.users);
  const low = Math.min(...users);
  const high = Math.max(...users);
  return { low, high, bytes: heapAt(memory, high, true) - heapAt(memory, low, true) };
}

const timing = (cold: ColdStartResult, label: string): ImportTiming | undefined =>
  cold.targets.find((t) => t.label.startsWith(label));

function rows(r: BenchResults): Row[] {
  const up = r.upstream;
  const perRequest = (n: number) => n / up.requests;
  const discovery = up.discovery + up.jwks + up.instanceDiscovery;
  const tls = up.tlsEntra + up.tlsGraph;
  const appLatency = median(r.latency.app);
  const bareLatency = median(r.latency.bare);
  const latencyRatio = appLatency / bareLatency;
  const app = throughputSide(r.throughput.rounds, 'app');
  const bare = throughputSide(r.throughput.rounds, 'bare');
  const rpsRatio = median(pairRatios(r.throughput.rounds));
  const appImport = median(timing(r.coldStart, 'app (dist')?.importMs ?? []);
  const functionsImport = median(timing(r.coldStart, '@azure/functions')?.importMs ?? []);
  const unbundledImport = median(timing(r.coldStart, 'app unbundled')?.importMs ?? []);
  const growth = memoryGrowth(r.memory);
  const http = r.http;
  return [
    {
      id: '1a',
      what: `Token-endpoint calls per request (fresh token each, ${up.requests} requests, ${up.concurrency} in flight)`,
      result: round(perRequest(up.token)),
      target: '1.00',
      met: up.token === up.requests,
    },
    {
      id: '1b',
      what: 'OpenID discovery + JWKS (+ instance discovery) fetches per request',
      result: `${round(perRequest(discovery))} (${discovery} in ${up.requests})`,
      target: '0.00',
      met: discovery === 0,
    },
    {
      id: '1c',
      what: 'New TLS connections to Entra + Graph per request',
      result: `${round(perRequest(tls), 3)} (${up.tlsEntra} + ${up.tlsGraph})`,
      target: '≤ 0.05',
      met: perRequest(tls) <= 0.05,
    },
    {
      id: '2',
      what: `Added latency: median end-to-end, app / bare minimum (upstreams +${r.latency.latencyMs} ms, ${r.latency.samples} sequential each)`,
      result: `${round(appLatency, 1)} / ${round(bareLatency, 1)} ms = ${round(latencyRatio, 3)} (+${round(appLatency - bareLatency, 1)} ms)`,
      target: '≤ 1.05',
      met: latencyRatio <= 1.05,
    },
    {
      id: '3',
      what: `CPU cost: requests/s, app / bare minimum (${r.throughput.concurrency} in flight, instant upstreams)`,
      result: `${round(rpsRatio)}: median of adjacent-round ratios (pooled ${Math.round(app.rps)} / ${Math.round(bare.rps)} req/s; CPU ${round(app.cpuMsPerRequest)} vs ${round(bare.cpuMsPerRequest)} ms/request)`,
      target: '≥ 0.8',
      met: rpsRatio >= 0.8,
    },
    {
      id: '4',
      what: `Cold start: import in a fresh process, median of ${r.coldStart.runs}: app bundle (@azure/functions alone; unbundled app)`,
      result: `${round(appImport, 0)} ms (${round(functionsImport, 0)} ms; ${round(unbundledImport, 0)} ms) = ${round(appImport / functionsImport)}× @azure/functions`,
      target: 'app < 100 ms and ≤ 1.3× @azure/functions alone',
      met: appImport < 100 && appImport <= 1.3 * functionsImport,
    },
    {
      id: '5',
      what: `Memory: heap growth after gc, ${growth.low.toLocaleString('en')} → ${growth.high.toLocaleString('en')} distinct users`,
      result: `${growth.bytes >= 0 ? '+' : ''}${round(growth.bytes / MiB)} MiB`,
      target: '< 4 MiB',
      met: growth.bytes < 4 * MiB,
    },
    {
      id: '6',
      what: 'Throughput over HTTP: autocannon → the `npm run dev` stack, local host (16 connections; guessing protection on, as the stack ships)',
      result: http.ok
        ? `${Math.round(http.result.rps)} req/s, p50 ${http.result.latencyP50} ms, p99 ${http.result.latencyP99} ms`
        : http.reason,
      target: 'for information',
      met: undefined,
    },
    {
      id: '7',
      what: `Telemetry: CPU per request through shared/handler.ts, traced as in Azure (Azure Monitor exporter, batched, flushed per round) − untraced (median of ${r.telemetry.reps} ABBA pairs of ${r.telemetry.count} requests)`,
      result: `+${Math.round(r.telemetry.addedMicros)} µs (${Math.round(r.telemetry.tracedMicros)} vs ${Math.round(r.telemetry.untracedMicros)} µs = +${round((100 * r.telemetry.addedMicros) / r.telemetry.untracedMicros, 1)} %); without settings the API calls cost ${round(r.telemetry.noSdkMicros, 1)} µs`,
      target: 'for information',
      met: undefined,
    },
    burstRow(r.burst),
    ...(['wrongGuess', 'change'] as const).map((kind, i) => {
      const side = r.limiter[kind];
      const added = side.limitedMs - side.unlimitedMs;
      return {
        id: `9${'ab'[i]}`,
        what: `Guessing protection, ${kind === 'change' ? 'a successful change (204: reserve, clear)' : 'a wrong guess (400: reserve)'}: median end-to-end on − off (Azurite on loopback; upstreams +${r.limiter.latencyMs} ms, ${r.limiter.samples} each, interleaved), and attempt-store round trips per request`,
        result: `+${round(added, 1)} ms (${round(side.limitedMs, 1)} vs ${round(side.unlimitedMs, 1)} ms); ${round(side.storeRoundTripsPerRequest)} round trips (max ${side.maxStoreRoundTrips})`,
        target: '≤ 2 round trips',
        met: side.maxStoreRoundTrips <= 2,
      };
    }),
  ];
}

const sumFailures = (round: BurstRound) =>
  Object.values(round.failures).reduce((total, n) => total + n, 0);

/** Medians over the rounds of each side of the burst row. */
export function burstSides(burst: BurstResult) {
  const side = (name: BurstRound['side']) => {
    const rounds = burst.rounds.filter((round) => round.side === name);
    return {
      failures: median(rounds.map(sumFailures)),
      wallMs: median(rounds.map((round) => round.wallMs)),
      cpuMs: median(rounds.map((round) => round.cpuMs)),
      newConnections: median(rounds.map((round) => round.newConnections)),
      worstFailures: Math.max(...rounds.map(sumFailures)),
      worstConnections: Math.max(...rounds.map((round) => round.newConnections)),
    };
  };
  return { app: side('app'), bare: side('bare') };
}

export function burstRow(burst: BurstResult): Row {
  const { app, bare } = burstSides(burst);
  const wallRatio = app.wallMs / bare.wallMs;
  const cpuRatio = bare.cpuMs / app.cpuMs;
  const appRounds = burst.rounds.filter((round) => round.side === 'app');
  const bareRounds = burst.rounds.filter((round) => round.side === 'bare');
  const met =
    appRounds.every((round, i) => sumFailures(round) <= sumFailures(bareRounds[i] ?? round)) &&
    wallRatio <= 1.2 &&
    app.worstConnections <= 64;
  return {
    id: '8',
    what: `Burst: ${burst.requests} simultaneous requests from ${burst.users} users, ${burst.timeoutMs} ms upstream timeout, no open connection: app vs bare minimum (median of ${appRounds.length} rounds each)`,
    result: `failures ${app.failures} vs ${bare.failures}; wall ${Math.round(app.wallMs)} vs ${Math.round(bare.wallMs)} ms = ${round(wallRatio)}; new connections ${app.newConnections} vs ${bare.newConnections}; CPU ${Math.round(app.cpuMs)} vs ${Math.round(bare.cpuMs)} ms (bare/app ${round(cpuRatio)}, target 0.8: ${cpuRatio >= 0.8 ? 'met' : 'missed'})`,
    target: 'failures ≤ bare, wall ≤ 1.2×, ≤ 64 connections',
    met,
  };
}

export function burstDetails(burst: BurstResult): string {
  const failures = (round: BurstRound) =>
    Object.keys(round.failures).length === 0 ? '0' : JSON.stringify(round.failures);
  return [
    `#### Row 8: burst rounds (${burst.requests} requests each, in this order, ${burst.timeoutMs} ms timeouts)`,
    '',
    '| Side | failures (by outcome) | wall ms | new TLS connections (HTTP/2) | CPU ms (measuring process) | emulator CPU ms | Graph calls left unanswered |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...burst.rounds.map(
      (r) =>
        `| ${r.side} | ${failures(r)} | ${Math.round(r.wallMs)} | ${r.newConnections} (${r.http2Connections}) | ${Math.round(r.cpuMs)} | ${Math.round(r.emulatorCpuMs)} | ${r.graphUnanswered} |`,
    ),
  ].join('\n');
}

/** The measurement (see run.ts) each row comes from. */
const PHASE_OF_ROW: Record<string, string> = {
  '1': 'upstream',
  '2': 'latency',
  '3': 'throughput',
  '4': 'cold start',
  '5': 'memory',
  '6': 'HTTP',
  '7': 'telemetry',
  '8': 'burst',
  '9': 'limiter',
};
/** Other work above this many cores during a row's measurement is flagged beside its status. */
const BUSY_CORES = 0.25;

function busyNote(meta: Meta, id: string): string {
  const phase = meta.otherLoad.find((p) => p.name === PHASE_OF_ROW[id.slice(0, 1)]);
  if (!phase || phase.cores <= BUSY_CORES) return '';
  const who = phase.busiest.length > 0 ? `: ${phase.busiest.join(', ')}` : '';
  return ` (other work used ${round(phase.cores)} cores meanwhile${who})`;
}

export function table(results: BenchResults): string {
  const lines = [
    '| # | Measure | Result | Target | Status |',
    '| --- | --- | --- | --- | --- |',
    ...rows(results).map(
      (row) =>
        `| ${row.id} | ${row.what} | ${row.result} | ${row.target} | ${status(row.met)}${busyNote(results.meta, row.id)} |`,
    ),
  ];
  return lines.join('\n');
}

/** The same table for the terminal: aligned columns, long cells wrapped, no Markdown. */
export function terminalTable(results: BenchResults): string {
  const body = rows(results).map((row) => [
    row.id,
    row.what.replaceAll('`', ''),
    row.result,
    row.target,
    `${status(row.met).replaceAll('*', '')}${busyNote(results.meta, row.id)}`,
  ]);
  return textTable(['#', 'Measure', 'Result', 'Target', 'Status'], body, [3, 44, 40, 15, 24]);
}

export function environment(meta: Meta): string {
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' / ');
  return [
    `- Date: ${meta.date}`,
    `- Machine: ${meta.cores} cores, ${meta.cpuModel}, ${meta.memoryGiB} GiB`,
    `- Node.js: ${meta.node}`,
    `- Command: \`${meta.command}\` (took ${Math.round(meta.seconds)} s)`,
    `- Other work on the machine during the measurements (cores of 2, per phase): ${meta.otherLoad.map((phase) => `${phase.name} ${round(phase.cores)}`).join(', ')}`,
    `- Other load: ${meta.quiet.quiet ? `the machine was idle when measuring began (waited ${Math.round(meta.quiet.waited)} s)` : `**the machine stayed ${Math.round(meta.quiet.busy * 100)} % busy with other work for ${Math.round(meta.quiet.waited)} s; measured anyway, expect noise**`}; load average (1/5/15 min) at start ${load(meta.loadBefore)}, at the end ${load(meta.loadAfter)}`,
  ].join('\n');
}

function sideTable(label: string, side: ThroughputSide): string {
  return `| ${label} | ${Math.round(side.rps)} | ${round(side.cpuMsPerRequest)} | ${round(side.cores)} | ${round(side.emulatorCpuMsPerRequest)} | ${round(side.emulatorCores)} |`;
}

function partsTable(parts: PartsResult): string {
  const [whole, handler, pipeline, ...steps] = parts.parts;
  if (!whole || !handler || !pipeline) return '';
  const line = (name: string, app: number, bare: number) =>
    `| ${name} | ${Math.round(app)} | ${bare ? Math.round(bare) : '—'} | ${app - bare >= 0 ? '+' : ''}${Math.round(app - bare)} |`;
  const stepsApp = steps.reduce((sum, step) => sum + step.appMicros, 0);
  const stepsBare = steps.reduce((sum, step) => sum + step.bareMicros, 0);
  return [
    '| Step | app CPU µs/op | bare minimum CPU µs/op | difference |',
    '| --- | --- | --- | --- |',
    line(whole.name, whole.appMicros, whole.bareMicros),
    // Both do what the whole request does: the bare minimum of that row is theirs too.
    line(handler.name, handler.appMicros, whole.bareMicros),
    line(pipeline.name, pipeline.appMicros, whole.bareMicros),
    ...steps.map((step) => line(step.name, step.appMicros, step.bareMicros)),
    line('sum of the four steps above', stepsApp, stepsBare),
  ].join('\n');
}

function profileTable(profiles: ProfileResult[]): string {
  const app = profiles.find((p) => p.side === 'app');
  const bare = profiles.find((p) => p.side === 'bare');
  if (!app || !bare) return 'Not run this time (`npm run bench -- --profile` runs it).';
  const usPerRequest = (profile: ProfileResult, name: string) => {
    const entry = profile.summary.byOrigin.find((e) => e.name === name);
    return entry ? (entry.ms * 1000) / profile.requests : 0;
  };
  const names = [...new Set(app.summary.byOrigin.map((e) => e.name))];
  const lines = [
    '| Origin (self time) | app µs/request | bare µs/request | difference |',
    '| --- | --- | --- | --- |',
    ...names.map((name) => {
      const a = usPerRequest(app, name);
      const b = usPerRequest(bare, name);
      return `| ${name} | ${Math.round(a)} | ${Math.round(b)} | ${a - b >= 0 ? '+' : ''}${Math.round(a - b)} |`;
    }),
    `| **all sampled (not idle)** | ${Math.round((app.summary.totalMs * 1000) / app.requests)} | ${Math.round((bare.summary.totalMs * 1000) / bare.requests)} | ${Math.round((app.summary.totalMs * 1000) / app.requests - (bare.summary.totalMs * 1000) / bare.requests)} |`,
  ];
  const top = [
    '',
    `Top functions of the app side by self time (µs/request; ${app.requests} requests, 16 in flight):`,
    '',
    '| Function | µs/request |',
    '| --- | --- |',
    ...app.summary.topFunctions.map(
      (e) => `| \`${e.name}\` | ${Math.round((e.ms * 1000) / app.requests)} |`,
    ),
  ];
  return [...lines, ...top].join('\n');
}

export function details(r: BenchResults): string {
  const app = throughputSide(r.throughput.rounds, 'app');
  const bare = throughputSide(r.throughput.rounds, 'bare');
  const growth = memoryGrowth(r.memory);
  const latency = (values: number[]) =>
    `${round(quantile(values, 0.1), 1)} / ${round(median(values), 1)} / ${round(quantile(values, 0.9), 1)}`;
  const spread = (values: number[]) =>
    `${round(Math.min(...values), 0)} / **${round(median(values), 1)}** / ${round(Math.max(...values), 0)}`;
  const cold = r.coldStart.targets.map(
    (t) => `| ${t.label} | ${spread(t.importMs)} | ${round(median(t.processMs), 0)} |`,
  );
  const memoryRows = r.memory.points.map(
    (p) =>
      `| ${p.users.toLocaleString('en')} | ${p.settled ? `after ${round(r.memory.settleMs / 1000, 0)} s idle` : 'right after the last request'} | ${round(p.heapUsed / MiB)} | ${round(p.rss / MiB)} |`,
  );
  const http = r.http.ok
    ? [
        `${r.http.result.requests} requests to ${r.http.appUrl} in ${round(r.http.result.seconds, 1)} s over ${r.http.result.connections} connections; statuses ${JSON.stringify(r.http.result.statuses)}, errors ${r.http.result.errors}, timeouts ${r.http.result.timeouts}.`,
      ]
    : [r.http.reason];
  return [
    '#### Row 2: latency percentiles (p10 / median / p90, ms)',
    '',
    `- app: ${latency(r.latency.app)}`,
    `- bare minimum: ${latency(r.latency.bare)}`,
    '',
    `#### Row 3: ${r.throughput.rounds.length} rounds of ${r.throughput.rounds[0]?.requests ?? 0} requests (ABBA order, pooled per side)`,
    '',
    '| Side | req/s | CPU ms/request (measuring process) | cores used (measuring process) | emulator CPU ms/request | cores used (emulators) |',
    '| --- | --- | --- | --- | --- | --- |',
    sideTable('app', app),
    sideTable('bare minimum', bare),
    '',
    `Per round: ${r.throughput.rounds.map((round) => `${round.side} ${Math.round(round.requests / round.seconds)}`).join(', ')} req/s.`,
    '',
    `Adjacent-pair ratios: ${pairRatios(r.throughput.rounds)
      .map((ratio) => round(ratio))
      .join(', ')}.`,
    '',
    `#### Row 3: CPU per step (median of ${r.parts.reps} interleaved batches of ${r.parts.count} operations, 16 in flight)`,
    '',
    partsTable(r.parts),
    '',
    '#### Row 3: CPU profile, app vs bare minimum (same load, profiled separately)',
    '',
    profileTable(r.profiles),
    '',
    `#### Row 4: imports (${r.coldStart.runs} fresh processes each, ms)`,
    '',
    `Bare \`node -e 0\` process: ${round(median(r.coldStart.bareProcessMs), 0)} ms.`,
    '',
    '| Module | import, in process: min / **median** / max | whole process, spawn to exit: median |',
    '| --- | --- | --- |',
    ...cold,
    '',
    '#### Row 5: heap after global.gc()',
    '',
    '| Distinct users | When | heapUsed MiB | rss MiB |',
    '| --- | --- | --- | --- |',
    ...memoryRows,
    '',
    `Growth ${growth.low.toLocaleString('en')} → ${growth.high.toLocaleString('en')} users (settled points): ${round(growth.bytes / MiB)} MiB.`,
    '',
    '#### Row 6: HTTP',
    '',
    ...http,
    '',
    '#### Row 7: telemetry',
    '',
    `${r.telemetry.requestsTraced} traced requests; meanwhile the Application Insights stand-in accepted ${r.telemetry.envelopesExported} envelopes (${round(r.telemetry.envelopesExported / r.telemetry.requestsTraced)} per request: the attempt's request and its dependencies) and refused ${r.telemetry.refused} track calls. Untraced, the telemetry API calls of one attempt (no SDK registered) cost ${round(r.telemetry.noSdkMicros, 1)} µs of CPU.`,
    '',
    burstDetails(r.burst),
    '',
    '#### Row 9: guessing protection',
    '',
    `Rows 1–5 and 7 run with \`MAX_FAILED_ATTEMPTS=off\` (their few users send thousands of wrong guesses); row 9 is what the limit adds, with the shipped defaults (10 per user per hour) against Azurite on loopback, one request on and one off in turn, ${r.limiter.samples} of each, every user under its budget. Round trips are the Tables SDK's HTTP requests to Azurite, counted on Node's \`http.client.request.start\` diagnostics channel. A wrong guess: ${round(r.limiter.wrongGuess.storeRoundTripsPerRequest)} per request (the reservation; the attempt stays counted). A successful change: ${round(r.limiter.change.storeRoundTripsPerRequest)} (the reservation, then the count cleared). Azurite is not Azure Table Storage: in Azure each round trip is a call to the storage account, typically a few ms within a region.`,
  ].join('\n');
}
