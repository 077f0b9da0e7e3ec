import { randomUUID } from 'node:crypto';
import { SpaGrants } from './spa-grants.js';
import type { FailureRequest, GraphCall, Stats } from './types.js';

export interface User {
  oid: string;
  username: string;
  password: string;
  displayName: string;
  mfaRequired: boolean;
  passwordChanges: number;
}

/** A scripted failure with its remaining count. */
export type Failure = FailureRequest & { remaining: number };

const MAX_GRAPH_CALLS = 2000;

function emptyStats(): Stats {
  return {
    discovery: 0,
    jwks: 0,
    instanceDiscovery: 0,
    token: 0,
    msi: 0,
    msiTokens: {},
    authorize: 0,
    spaToken: 0,
    graph: 0,
    sink: 0,
    hugeBytesSent: 0,
    tlsConnections: { entra: 0, graph: 0 },
    http2Connections: { entra: 0, graph: 0 },
    graphCalls: [],
  };
}

/** In-memory directory and test knobs, shared by both servers. */
export class EmulatorState {
  readonly stats: Stats = emptyStats();
  /** Codes, refresh tokens and sessions of the SPA sign-in (authorize.ts, spa-token.ts). */
  readonly spa = new SpaGrants();
  latencyMs = 0;
  private readonly usersByName = new Map<string, User>();
  private readonly usersByOid = new Map<string, User>();
  private failures: Failure[] = [];

  addUser(input: Omit<User, 'oid' | 'passwordChanges'>): User {
    if (this.findByUsername(input.username)) throw new Error(`user ${input.username} exists`);
    const user: User = { ...input, oid: randomUUID(), passwordChanges: 0 };
    this.usersByName.set(user.username.toLowerCase(), user);
    this.usersByOid.set(user.oid, user);
    return user;
  }

  // UPNs are case-insensitive in Entra.
  findByUsername(username: string): User | undefined {
    return this.usersByName.get(username.toLowerCase());
  }

  /** Every user, in creation order (the emulator's sign-in page lists them). */
  listUsers(): User[] {
    return [...this.usersByOid.values()];
  }

  findByOid(oid: unknown): User | undefined {
    return typeof oid === 'string' ? this.usersByOid.get(oid) : undefined;
  }

  addFailure(failure: FailureRequest): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  clearFailures(): number {
    const count = this.failures.length;
    this.failures = [];
    return count;
  }

  /** Consumes one use of the oldest failure matching this target and user, if any. */
  takeFailure(target: Failure['target'], user: User | undefined): Failure | undefined {
    const failure = this.failures.find(
      (f) =>
        f.target === target &&
        (f.username === undefined || f.username.toLowerCase() === user?.username.toLowerCase()),
    );
    if (failure && --failure.remaining <= 0)
      this.failures.splice(this.failures.indexOf(failure), 1);
    return failure;
  }

  recordGraphCall(call: GraphCall): void {
    this.stats.graphCalls.push(call);
    if (this.stats.graphCalls.length > MAX_GRAPH_CALLS) this.stats.graphCalls.shift();
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }
}
