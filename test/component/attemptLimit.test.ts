// Guessing protection against a real Azurite (started by test/setup/emulators.ts, or here for the
// store-failure cases) and the Entra ID and Graph emulators: what reaches Graph is counted by the
// Graph emulator itself.
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../emulators/azurite.js';
import {
  addFailure,
  clearFailures,
  getStats,
  getUser,
  resetStats,
} from '../../emulators/control-client.js';
import { userKey } from '../../shared/attemptLimit.js';
import { call, emulators, entraUrl, newHandler, newUserWithToken, type Reply } from './harness.js';

const PASSWORD = 'Old-Passw0rd!';
const connectionString = emulators.env.ATTEMPT_STORE_CONNECTION_STRING ?? '';
afterEach(() => clearFailures(entraUrl));

const newUser = (prefix = 'guess') => newUserWithToken(prefix, PASSWORD);
type User = Awaited<ReturnType<typeof newUser>>;
type Handler = ReturnType<typeof newHandler>;

/** Settings for a limiter with its own table (created by the app on first use). */
function limit(max: number, windowSeconds = 3600, extra: Record<string, string> = {}) {
  return {
    MAX_FAILED_ATTEMPTS: String(max),
    FAILED_ATTEMPT_WINDOW_SECONDS: String(windowSeconds),
    ATTEMPT_STORE_TABLE: `t${randomUUID().replaceAll('-', '')}`,
    ...extra,
  };
}

let guessNumber = 0;
const wrongGuess = (handler: Handler, user: User) =>
  call(handler, {
    token: user.token,
    body: { currentPassword: `Wrong-${++guessNumber}-Pw!`, newPassword: 'Never-Set-Pw1!' },
  });
const rightChange = (handler: Handler, user: User, newPassword: string) =>
  call(handler, { token: user.token, body: { currentPassword: PASSWORD, newPassword } });

async function graphCallsFor(user: User): Promise<number> {
  return (await getStats(entraUrl)).graphCalls.filter((c) => c.oid === user.oid).length;
}

function expectTooManyAttempts(reply: Reply): number {
  expect(reply.status).toBe(429);
  expect(reply.json?.error?.code).toBe('too_many_attempts');
  expect(reply.headers['retry-after']).toMatch(/^\d+$/);
  return Number(reply.headers['retry-after']);
}

describe('the failed-attempt budget', () => {
  it('lets exactly 10 of 50 simultaneous wrong guesses reach Graph', async () => {
    const handler = newHandler(limit(10));
    const user = await newUser();
    await resetStats(entraUrl);
    const replies = await Promise.all(Array.from({ length: 50 }, () => wrongGuess(handler, user)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    const stats = await getStats(entraUrl);
    expect(stats.graphCalls.filter((c) => c.oid === user.oid)).toHaveLength(10);
    expect(stats.token).toBe(10); // no token exchange for a refused guess either
    for (const reply of replies.filter((r) => r.status === 429)) {
      // Refused while attempts were still in progress: retry once they must have settled
      // (7 × GRAPH_TIMEOUT_MS + twice the store's timeout: 74 s); refused after they all failed: the window.
      const wait = expectTooManyAttempts(reply);
      expect(wait <= 74 || (wait > 3500 && wait <= 3600)).toBe(true);
    }
    // All 10 settled as failures now: the window decides.
    const wait = expectTooManyAttempts(await wrongGuess(handler, user));
    expect(wait).toBeGreaterThan(3500);
    expect(wait).toBeLessThanOrEqual(3600);
  });

  it('shares one budget between two independent handler instances', async () => {
    const settings = limit(10);
    const first = newHandler(settings);
    const second = newHandler(settings);
    const user = await newUser();
    await resetStats(entraUrl);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => wrongGuess(i % 2 ? first : second, user)),
    );
    expect(replies.filter((r) => r.status === 400)).toHaveLength(10);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(40);
    expect(await graphCallsFor(user)).toBe(10);
    // Each instance sent 25 and so refused at least 15: neither had a budget of its own.
    for (const parity of [0, 1]) {
      const own = replies.filter((_, i) => i % 2 === parity);
      expect(own.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(15);
    }
  });

  it('answers 429 with the seconds until the oldest failure leaves the window, and calls nothing', async () => {
    const handler = newHandler(limit(2, 600));
    const user = await newUser();
    const firstAt = Date.now();
    expect((await wrongGuess(handler, user)).status).toBe(400);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await wrongGuess(handler, user)).status).toBe(400);
    await resetStats(entraUrl);
    const refused = await wrongGuess(handler, user);
    const elapsed = (Date.now() - firstAt) / 1000;
    const wait = expectTooManyAttempts(refused);
    expect(wait).toBeLessThanOrEqual(Math.ceil(600 - 1.1)); // the first failure frees up first
    expect(wait).toBeGreaterThanOrEqual(Math.floor(600 - elapsed));
    // Even the right password is refused now, and nothing upstream is called.
    expectTooManyAttempts(await rightChange(handler, user, 'Refused-New-Pw1!'));
    const stats = await getStats(entraUrl);
    expect(stats.token).toBe(0);
    expect(stats.graphCalls).toHaveLength(0);
    expect((await getUser(entraUrl, user.username)).password).toBe(PASSWORD);
    expect(refused.logs.join('\n')).toMatch(/outcome=too_many_attempts status=429/);
  });

  it('frees attempts as they leave the window', async () => {
    const handler = newHandler(limit(2, 2));
    const user = await newUser();
    expect((await wrongGuess(handler, user)).status).toBe(400);
    expect((await wrongGuess(handler, user)).status).toBe(400);
    const wait = expectTooManyAttempts(await wrongGuess(handler, user));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    expect((await rightChange(handler, user, 'After-Window-Pw1!')).status).toBe(204);
  });

  it('clears the count on a 204', async () => {
    const handler = newHandler(limit(3));
    const user = await newUser();
    expect((await wrongGuess(handler, user)).status).toBe(400);
    expect((await wrongGuess(handler, user)).status).toBe(400);
    expect((await rightChange(handler, user, 'Cleared-New-Pw1!')).status).toBe(204);
    await resetStats(entraUrl);
    for (let i = 0; i < 3; i++) expect((await wrongGuess(handler, user)).status).toBe(400);
    expectTooManyAttempts(await wrongGuess(handler, user));
    expect(await graphCallsFor(user)).toBe(3);
  });

  it('gives the attempt back when Graph or Entra ID did not answer 400', async () => {
    const handler = newHandler(limit(2));
    const user = await newUser();
    await addFailure(entraUrl, { target: 'graph', mode: 'unavailable', username: user.username });
    await addFailure(entraUrl, { target: 'graph', mode: 'throttle', username: user.username });
    await addFailure(entraUrl, { target: 'graph', mode: 'forbidden', username: user.username });
    expect((await wrongGuess(handler, user)).status).toBe(503);
    expect((await wrongGuess(handler, user)).status).toBe(429);
    expect((await wrongGuess(handler, user)).status).toBe(403);
    await addFailure(entraUrl, { target: 'token', mode: 'unavailable', username: user.username });
    const entra = await wrongGuess(handler, user);
    expect(entra.json?.error?.code).toBe('token_exchange_unavailable'); // before Graph
    // None of those counted: the whole budget of 2 is still there.
    await resetStats(entraUrl);
    expect((await wrongGuess(handler, user)).status).toBe(400);
    expect((await wrongGuess(handler, user)).status).toBe(400);
    expectTooManyAttempts(await wrongGuess(handler, user));
    expect(await graphCallsFor(user)).toBe(2);
  });

  it('counts a 400 it will not relay (the answer echoes the new password) as a failed attempt', async () => {
    // A guesser who picks a new password that Graph's answer contains gets 502 graph_bad_response
    // instead of the 400: here the client-request-id, which the guesser sends and Graph echoes in
    // innerError. The guess must still count.
    const handler = newHandler(limit(2));
    const user = await newUser();
    await resetStats(entraUrl);
    const echoedGuess = () => {
      const echoed = `Echo-${++guessNumber}-${randomUUID()}`;
      return call(handler, {
        token: user.token,
        headers: { 'client-request-id': echoed },
        body: { currentPassword: `Wrong-${guessNumber}-Pw!`, newPassword: echoed },
      });
    };
    for (let i = 0; i < 2; i++) {
      const reply = await echoedGuess();
      expect(reply.status).toBe(502);
      expect(reply.json?.error?.code).toBe('graph_bad_response');
    }
    expectTooManyAttempts(await echoedGuess());
    expectTooManyAttempts(await rightChange(handler, user, 'Refused-New-Pw1!'));
    expect(await graphCallsFor(user)).toBe(2);
  });

  it('asks to retry soon, not after the window, while the budget is held by attempts in progress', async () => {
    // GRAPH_TIMEOUT_MS 1500 and the store's 500: an attempt is settled within 7 × 1.5 + 2 × 0.5 s
    // (its reservation, the managed identity, for Entra and for Graph a wait for a connection and
    // the exchange, then the store write that settles it).
    const handler = newHandler(
      limit(2, 3600, { GRAPH_TIMEOUT_MS: '1500', ATTEMPT_STORE_TIMEOUT_MS: '500' }),
    );
    const user = await newUser();
    await addFailure(entraUrl, {
      target: 'graph',
      mode: 'hang',
      username: user.username,
      times: 2,
    });
    const pending = [wrongGuess(handler, user), wrongGuess(handler, user)];
    await new Promise((resolve) => setTimeout(resolve, 300)); // both reserved, Graph silent
    const wait = expectTooManyAttempts(
      await call(handler, {
        token: user.token,
        body: { currentPassword: PASSWORD, newPassword: 'Soon-Set-Pw1!' },
      }),
    );
    expect(wait).toBeGreaterThanOrEqual(11);
    expect(wait).toBeLessThanOrEqual(12);
    // The hanging calls time out and are given back: the right password then goes through.
    for (const reply of await Promise.all(pending)) expect(reply.status).toBe(504);
    expect((await rightChange(handler, user, 'Soon-Set-Pw1!')).status).toBe(204);
  });

  it("leaves other users untouched by one user's spent budget", async () => {
    const handler = newHandler(limit(2));
    const spent = await newUser('spent');
    const other = await newUser('other');
    await Promise.all(Array.from({ length: 6 }, () => wrongGuess(handler, spent)));
    expectTooManyAttempts(await wrongGuess(handler, spent));
    await resetStats(entraUrl);
    expect((await wrongGuess(handler, other)).status).toBe(400);
    expect((await rightChange(handler, other, 'Other-New-Pw1!')).status).toBe(204);
    expect(await graphCallsFor(other)).toBe(2);
    expect((await getUser(entraUrl, other.username)).password).toBe('Other-New-Pw1!');
  });

  it('keeps nothing secret in the table: a hashed key and attempt times only', async () => {
    const settings = limit(5);
    const handler = newHandler(settings);
    const user = await newUser('secret');
    const token = user.token;
    const guesses = ['Guess-One-Pw1!', 'Guess-Two-Pw1!'];
    for (const guess of guesses) {
      await call(handler, { token, body: { currentPassword: guess, newPassword: 'Next-Pw1!x' } });
    }
    const table = TableClient.fromConnectionString(connectionString, settings.ATTEMPT_STORE_TABLE, {
      allowInsecureConnection: true,
    });
    const entities = [];
    for await (const entity of table.listEntities()) entities.push(entity);
    expect(entities).toHaveLength(1);
    const [entity] = entities;
    const key = userKey({ tid: emulators.tenantId, oid: user.oid });
    expect(entity?.partitionKey).toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const {
      partitionKey: _p,
      rowKey: _r,
      etag: _e,
      timestamp: _t,
      ...properties
    } = entity as {
      [name: string]: unknown;
    };
    expect(Object.keys(properties)).toEqual(['attempts']);
    expect(String(properties.attempts)).toMatch(/^\d{13},\d{13}$/);
    const text = JSON.stringify(entity);
    for (const secret of [
      user.oid,
      emulators.tenantId,
      user.username,
      PASSWORD,
      token,
      ...guesses,
    ]) {
      expect(text).not.toContain(secret);
    }
    // A 204 removes the entity altogether.
    expect((await rightChange(handler, user, 'Gone-New-Pw1!')).status).toBe(204);
    const left = [];
    for await (const e of table.listEntities()) left.push(e);
    expect(left).toHaveLength(0);
  });

  it('is off only when MAX_FAILED_ATTEMPTS=off says so', async () => {
    const off = newHandler({
      MAX_FAILED_ATTEMPTS: 'off',
      ATTEMPT_STORE_CONNECTION_STRING: undefined,
    });
    const user = await newUser('off');
    await resetStats(entraUrl);
    const replies = await Promise.all(Array.from({ length: 12 }, () => wrongGuess(off, user)));
    expect(replies.every((r) => r.status === 400)).toBe(true);
    expect(await graphCallsFor(user)).toBe(12);

    const unset = newHandler({ ATTEMPT_STORE_CONNECTION_STRING: undefined });
    const reply = await wrongGuess(unset, user);
    expect(reply.status).toBe(500);
    expect(reply.json?.error?.code).toBe('server_misconfigured');
    expect(reply.logs.join('\n')).toMatch(/setting=ATTEMPT_STORE_ENDPOINT/);
  });
});

describe('an attempt store that fails: 503, fail closed', () => {
  const TIMEOUT_MS = 600;

  async function expectStoreUnavailable(handler: Handler, user: User) {
    await resetStats(entraUrl);
    const started = performance.now();
    const reply = await wrongGuess(handler, user);
    const took = performance.now() - started;
    expect(reply.status).toBe(503);
    expect(reply.json?.error?.code).toBe('attempt_store_unavailable');
    expect(reply.headers['retry-after']).toBe('5');
    const stats = await getStats(entraUrl);
    expect(stats.token).toBe(0);
    expect(stats.graphCalls).toHaveLength(0);
    return { reply, took };
  }

  /** A handler on an Azurite of its own, which the test may stop or pause. */
  async function withOwnStore(test: (handler: Handler, azurite: Azurite) => Promise<void>) {
    const azurite = await startAzurite();
    try {
      const settings = {
        ATTEMPT_STORE_CONNECTION_STRING: azurite.connectionString,
        ATTEMPT_STORE_TIMEOUT_MS: String(TIMEOUT_MS),
      };
      await test(newHandler(limit(5, 3600, settings)), azurite);
    } finally {
      await azurite.stop();
    }
  }

  it('stopped: 503 at once, no token exchange, no Graph call', () =>
    withOwnStore(async (handler, azurite) => {
      const user = await newUser('stopped');
      expect((await wrongGuess(handler, user)).status).toBe(400);
      await azurite.stop();
      const { reply, took } = await expectStoreUnavailable(handler, user);
      expect(took).toBeLessThan(TIMEOUT_MS + 1000);
      expect(reply.logs.join('\n')).toMatch(/storeReason=(unreachable|timeout)/);
    }));

  it('hanging: 503 within ATTEMPT_STORE_TIMEOUT_MS, no Graph call; fine again once it answers', () =>
    withOwnStore(async (handler, azurite) => {
      const user = await newUser('hang');
      expect((await wrongGuess(handler, user)).status).toBe(400);
      azurite.pause();
      const { reply, took } = await expectStoreUnavailable(handler, user);
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(took).toBeLessThan(TIMEOUT_MS + 1000);
      expect(reply.logs.join('\n')).toMatch(/storeReason=timeout/);
      azurite.resume();
      expect((await rightChange(handler, user, 'Resumed-New-Pw1!')).status).toBe(204);
    }));

  it('refusing the credentials (403 from Azurite): 503, no Graph call', async () => {
    const wrongKey = connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.from('not the key').toString('base64')}`,
    );
    const handler = newHandler(limit(5, 3600, { ATTEMPT_STORE_CONNECTION_STRING: wrongKey }));
    const { reply } = await expectStoreUnavailable(handler, await newUser('denied'));
    expect(reply.logs.join('\n')).toMatch(/storeReason=status/);
  });

  it('a store failure after Graph answered still relays the answer', () =>
    withOwnStore(async (handler, azurite) => {
      const user = await newUser('late');
      await addFailure(entraUrl, {
        target: 'graph',
        mode: 'delay',
        delayMs: 500,
        username: user.username,
      });
      const pending = rightChange(handler, user, 'Late-New-Pw1!');
      await new Promise((r) => setTimeout(r, 250)); // the attempt is reserved; Graph is slow
      await azurite.stop();
      const reply = await pending;
      expect(reply.status).toBe(204);
      expect(reply.logs.join('\n')).toMatch(/attempt store after Graph: (unreachable|timeout)/);
    }));
});
