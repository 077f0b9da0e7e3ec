// What each measuring child reports back to the bench entry.
import type { ProfileSummary } from './profile.js';

export interface UpstreamResult {
  requests: number;
  concurrency: number;
  token: number;
  discovery: number;
  jwks: number;
  instanceDiscovery: number;
  msi: number;
  graph: number;
  tlsEntra: number;
  tlsGraph: number;
}

export interface LatencyResult {
  latencyMs: number;
  samples: number;
  /** End-to-end times in ms, in the order they were taken. */
  app: number[];
  bare: number[];
}

export interface ThroughputRound {
  side: 'app' | 'bare';
  requests: number;
  seconds: number;
  /** CPU time (user + system) of the measuring process during the round, ms. */
  cpuMs: number;
  /** CPU time of the emulator process during the round, ms. */
  emulatorCpuMs: number;
}

export interface ThroughputResult {
  concurrency: number;
  rounds: ThroughputRound[];
}

export interface MemoryResult {
  /** After global.gc(), bytes, after requests from this many distinct users. */
  points: { users: number; settled: boolean; heapUsed: number; rss: number; external: number }[];
  requests: number;
  /** How long "settled" points waited after the last request. */
  settleMs: number;
}

export interface ProfileResult {
  side: 'app' | 'bare';
  requests: number;
  seconds: number;
  cpuMs: number;
  /** The .cpuprofile written, for Chrome DevTools. */
  path: string;
  summary: ProfileSummary;
}

export interface HttpLoadResult {
  requests: number;
  connections: number;
  seconds: number;
  rps: number;
  latencyP50: number;
  latencyP99: number;
  /** HTTP status → count; all 400 (Graph's "Invalid currentPassword." relayed) when healthy. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

export interface PartsResult {
  /** Operations per batch, and batches per part and side (the median batch is reported). */
  count: number;
  reps: number;
  /** CPU µs per operation of the measuring process; bareMicros 0 when the bare minimum skips it. */
  parts: { name: string; appMicros: number; bareMicros: number }[];
}

export interface TelemetryResult {
  reps: number;
  count: number;
  /** Median CPU µs per request of the untraced and the traced rounds. */
  untracedMicros: number;
  tracedMicros: number;
  /** Median of the per-pair differences, traced − untraced. */
  addedMicros: number;
  /** The telemetry API calls of one request with no SDK registered, µs. */
  noSdkMicros: number;
  requestsTraced: number;
  /** Envelopes the Application Insights stand-in accepted during the traced rounds. */
  envelopesExported: number;
  /** Track calls it refused (a bad or missing token). */
  refused: number;
}

export interface BurstRound {
  side: 'app' | 'bare';
  requests: number;
  /** Outcome (status and code, or the bare minimum's error) → count; everything but Graph's 400. */
  failures: Record<string, number>;
  wallMs: number;
  /** CPU time of the measuring process during the burst, ms. */
  cpuMs: number;
  emulatorCpuMs: number;
  /** TLS connections the emulators accepted during the burst (control calls included, ±1). */
  newConnections: number;
  http2Connections: number;
  /** Graph calls the emulator recorded with no answer sent (the caller's view: outcome unknown). */
  graphUnanswered: number;
}

export interface BurstResult {
  requests: number;
  users: number;
  timeoutMs: number;
  rounds: BurstRound[];
}

export interface LimiterSide {
  /** Median ms per request, the guessing protection on (default settings) and off. */
  limitedMs: number;
  unlimitedMs: number;
  /** Requests to the attempt store (Azurite) per request with the limit on: mean and max. */
  storeRoundTripsPerRequest: number;
  maxStoreRoundTrips: number;
}

export interface LimiterResult {
  latencyMs: number;
  samples: number;
  /** Graph's 400: the attempt reserved and kept. */
  wrongGuess: LimiterSide;
  /** Graph's 204: the attempt reserved, then the user's count cleared. */
  change: LimiterSide;
}
