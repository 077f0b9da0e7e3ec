import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AttemptStore,
  AttemptStoreError,
  createAttemptStore,
  type StoredAttempts,
} from './attemptStore.js';
import type { AttemptLimitConfig } from './config.js';
import { fail, type Result } from './failures.js';

/**
 * Guessing protection: at most N failed attempts per user per window, counted in a store all
 * instances share. An attempt is reserved (a conditional write) before Graph is called, so
 * parallel guesses cannot overshoot; afterwards a 400 keeps it, a 204 clears the user's count,
 * and any other outcome gives it back.
 */

/** How a Graph call ended, as far as the count is concerned. */
export type AttemptOutcome = 'failed' | 'succeeded' | 'not_counted';

export interface Reservation {
  /**
   * After Graph: 'failed' keeps the attempt, 'succeeded' clears the user's count, 'not_counted'
   * gives it back. Never throws: a store failure is attempt_store_unavailable, and the attempt
   * stays counted.
   */
  settle(outcome: AttemptOutcome): Promise<Result<undefined>>;
}

export interface AttemptLimiter {
  reserve(user: { tid: string; oid: string }): Promise<Result<Reservation>>;
  /** The table service it talks to; undefined when the limit is off. */
  readonly storeUrl: URL | undefined;
  /** Store round trips so far (0 when the limit is off). */
  readonly storeOperations: number;
}

/** Conflicting writes for one user (parallel guesses) are retried this often, within the timeout. */
const MAX_TRIES = 25;
/** The last state this instance saw per user, so a request usually needs no read first. */
const KNOWN_USERS = 10_000;

/** The store key: a hash of tenant and object id, so the table names no one. */
export function userKey(user: { tid: string; oid: string }): string {
  return createHash('sha256')
    .update(`${user.tid.toLowerCase()}:${user.oid.toLowerCase()}`)
    .digest('hex');
}

/** The attempts still inside the window, oldest first. */
export function liveAttempts(attempts: number[], now: number, windowMs: number): number[] {
  return attempts.filter((t) => t > now - windowMs).sort((a, b) => a - b);
}

/**
 * Whole seconds until the user may try again; at least 1. Normally until one of `live` (at least
 * `max` of them) leaves the window. But attempts that are still in progress (`inProgress`: their
 * Graph call has not answered yet) may be given back; when the budget is spent only because of
 * them, the wait is until the youngest of them must have settled (`settledWithinMs`).
 */
export function secondsUntilAttemptFrees(
  live: number[],
  max: number,
  now: number,
  windowMs: number,
  inProgress: number[] = [],
  settledWithinMs = 0,
): number {
  const freeing = live[live.length - max] ?? now;
  let waitMs = freeing + windowMs - now;
  if (inProgress.length > 0 && live.length - inProgress.length < max) {
    waitMs = Math.min(waitMs, Math.max(...inProgress) + settledWithinMs - now);
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}

const DONE = { ok: true, value: undefined } as const;

const NO_LIMIT: AttemptLimiter = {
  reserve: async () => ({ ok: true, value: { settle: async () => DONE } }),
  storeUrl: undefined,
  storeOperations: 0,
};

/**
 * @example
 * const limiter = await createAttemptLimiter(config.attemptLimit);
 * const reserved = await limiter.reserve(caller);
 * if (!reserved.ok) return reserved; // too_many_attempts or attempt_store_unavailable
 * // ... call Graph ...
 * await reserved.value.settle(graphAnswered400 ? 'failed' : 'not_counted');
 */
export async function createAttemptLimiter(
  config: AttemptLimitConfig,
  /** How long an attempt can be in progress at most (its upstream and store timeouts). */
  settledWithinMs = 0,
): Promise<AttemptLimiter> {
  if (!config.enabled) return NO_LIMIT;
  const store: AttemptStore = await createAttemptStore(config.store);
  const max = config.maxFailedAttempts;
  const windowMs = config.windowSeconds * 1000;
  const timeoutMs = config.storeTimeoutMs;

  /** What this instance last learnt from the store about a user, and when (performance.now()). */
  type Known = { stored: StoredAttempts | 'absent'; seenAt: number };
  const known = new Map<string, Known>();
  function remember(key: string, stored: StoredAttempts | 'absent'): void {
    known.delete(key);
    known.set(key, { stored, seenAt: performance.now() });
    if (known.size > KNOWN_USERS) known.delete(known.keys().next().value as string);
  }

  // The attempts this instance has reserved and not settled yet, per user: attempts in progress
  // are not failures (yet), so a refusal they cause asks to retry soon, not after the window.
  const inProgress = new Map<string, number[]>();
  function begin(key: string, at: number): void {
    inProgress.set(key, [...(inProgress.get(key) ?? []), at]);
  }
  function end(key: string, at: number): void {
    const rest = inProgress.get(key)?.filter((t, i, all) => t !== at || all.indexOf(at) !== i);
    if (rest?.length) inProgress.set(key, rest);
    else inProgress.delete(key);
  }

  // One user's store operations run one after another on this instance, so its parallel
  // requests do not conflict with each other (other users are never held up: one queue each).
  const queues = new Map<string, Promise<unknown>>();
  function inTurn<T>(key: string, run: () => Promise<T>): Promise<T> {
    const turn = (queues.get(key) ?? Promise.resolve()).then(run);
    const tail = turn.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => queues.get(key) === tail && queues.delete(key));
    return turn;
  }

  async function reserve(key: string, startedAt: number, signal: AbortSignal) {
    // Unknown here: most users never failed, so try to create their entity straight away.
    let state: Known | undefined = known.get(key) ?? { stored: 'absent', seenAt: -1 };
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      if (state === undefined) {
        const stored = (await store.read(key, signal)) ?? 'absent';
        remember(key, stored);
        state = { stored, seenAt: performance.now() };
      }
      const { stored } = state;
      const now = Date.now();
      const live = stored === 'absent' ? [] : liveAttempts(stored.attempts, now, windowMs);
      if (live.length >= max) {
        // Refuse only on what the store said during this request, never on older news.
        if (state.seenAt < startedAt) {
          state = undefined;
          continue;
        }
        return fail({
          code: 'too_many_attempts',
          retryAfterSeconds: secondsUntilAttemptFrees(
            live,
            max,
            now,
            windowMs,
            live.filter((t) => inProgress.get(key)?.includes(t)),
            settledWithinMs,
          ),
        });
      }
      const attempts = [...live, now];
      const written =
        stored === 'absent'
          ? await store.create(key, attempts, signal)
          : await store.replace(key, attempts, stored.etag, signal);
      if (written === 'exists' || written === 'conflict') {
        // Another instance wrote first: read again and retry after a short, random pause.
        state = undefined;
        await delay(Math.random() * 5 * (tries + 1));
        continue;
      }
      remember(key, { etag: written, attempts });
      begin(key, now);
      return { ok: true as const, value: reservation(key, now) };
    }
    return fail({ code: 'attempt_store_unavailable', reason: 'busy' });
  }

  /** Takes back the attempt made at `at` (unless a 204 cleared the count meanwhile). */
  async function giveBack(key: string, at: number, signal: AbortSignal): Promise<void> {
    let stored = known.get(key)?.stored;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      stored ??= (await store.read(key, signal)) ?? 'absent';
      const index = stored === 'absent' ? -1 : stored.attempts.indexOf(at);
      if (stored === 'absent' || index < 0) return remember(key, stored);
      const rest = liveAttempts(
        stored.attempts.filter((_, i) => i !== index),
        Date.now(),
        windowMs,
      );
      const written =
        rest.length === 0
          ? await store.remove(key, stored.etag, signal)
          : await store.replace(key, rest, stored.etag, signal);
      if (written !== 'conflict') {
        return remember(key, written === 'done' ? 'absent' : { etag: written, attempts: rest });
      }
      stored = undefined;
    }
    throw new AttemptStoreError('status', 409);
  }

  function reservation(key: string, at: number): Reservation {
    return {
      async settle(outcome) {
        if (outcome === 'failed') {
          end(key, at);
          return DONE; // the reserved attempt stays counted
        }
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          await inTurn(key, async () => {
            if (outcome === 'not_counted') return giveBack(key, at, signal);
            await store.remove(key, '*', signal); // a 204 clears the count
            remember(key, 'absent');
          });
          return DONE;
        } catch (error) {
          known.delete(key);
          if (!(error instanceof AttemptStoreError)) throw error;
          return fail({ code: 'attempt_store_unavailable', reason: error.reason });
        } finally {
          // In progress until written: a refusal meanwhile asks to retry soon, not after the window.
          end(key, at);
        }
      },
    };
  }

  return {
    async reserve(user) {
      const key = userKey(user);
      const startedAt = performance.now();
      const signal = AbortSignal.timeout(timeoutMs); // waiting for the user's turn counts too
      try {
        return await inTurn(key, () => reserve(key, startedAt, signal));
      } catch (error) {
        if (error instanceof AttemptStoreError) {
          known.delete(key);
          return fail({ code: 'attempt_store_unavailable', reason: error.reason });
        }
        throw error;
      }
    },
    storeUrl: store.url,
    get storeOperations() {
      return store.operations;
    },
  };
}
