import { afterEach, describe, expect, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  getStats,
  getUser,
  resetStats,
} from '../../emulators/control-client.js';
import { allLogLines, call, entraUrl, newHandler, newUserWithToken } from './harness.js';

const PASSWORD = 'Old-Passw0rd!';
afterEach(() => clearFailures(entraUrl));

const newUser = (prefix: string) => newUserWithToken(prefix, PASSWORD);

describe('isolation between users', () => {
  it("one user's failed token exchange does not throttle or change another's", async () => {
    const handler = newHandler();
    const alice = await newUser('alice');
    const bob = await newUser('bob');
    await addFailure(entraUrl, {
      target: 'token',
      mode: 'unavailable',
      username: alice.username,
      times: 3,
    });
    const aliceReply = await call(handler, {
      token: alice.token,
      body: { currentPassword: PASSWORD, newPassword: 'Alice-New1!' },
    });
    expect(aliceReply.status).toBe(503);
    // Right after Alice's 5xx (MSAL would throttle a shared client for 60 s), Bob goes through.
    const bobReply = await call(handler, {
      token: bob.token,
      body: { currentPassword: PASSWORD, newPassword: 'Bob-New-Pw1!' },
    });
    expect(bobReply.status).toBe(204);
    expect((await getUser(entraUrl, bob.username)).password).toBe('Bob-New-Pw1!');
    // And Alice herself is not throttled locally: her next try reaches Entra again.
    await resetStats(entraUrl);
    expect(
      (
        await call(handler, {
          token: alice.token,
          body: { currentPassword: PASSWORD, newPassword: 'Alice-New1!' },
        })
      ).status,
    ).toBe(503);
    expect((await getStats(entraUrl)).token).toBe(1);
  });

  it("one user's hanging Graph call does not hold up another's", async () => {
    const handler = newHandler({ GRAPH_TIMEOUT_MS: '2000' });
    const slow = await newUser('slow');
    const fast = await newUser('fast');
    await addFailure(entraUrl, { target: 'graph', mode: 'hang', username: slow.username });
    const slowReply = call(handler, {
      token: slow.token,
      body: { currentPassword: PASSWORD, newPassword: 'Slow-New-Pw1!' },
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const fastReply = await call(handler, {
      token: fast.token,
      body: { currentPassword: PASSWORD, newPassword: 'Fast-New-Pw1!' },
    });
    expect(fastReply.status).toBe(204);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await slowReply).status).toBe(504);
  });
});

describe('many users at once', () => {
  it('300 simultaneous requests from 150 users: each Graph call carries its own caller', async () => {
    // ~450 attempt-store round trips at once: Azurite on this machine serves a few hundred a
    // second (fewer when the machine is busy), so the store gets more time than the 2 s default.
    const handler = newHandler({ ATTEMPT_STORE_TIMEOUT_MS: '30000' });
    const users = await Promise.all(Array.from({ length: 150 }, (_, i) => newUser(`crowd${i}`)));
    await resetStats(entraUrl);
    // Each user sends a correct change and a wrong-password attempt at the same moment.
    const replies = await Promise.all(
      users.flatMap((user, i) => [
        call(handler, {
          token: user.token,
          body: { currentPassword: PASSWORD, newPassword: `Crowd-${i}-Passw0rd!` },
          headers: { 'client-request-id': `ok-${user.oid}` },
        }),
        call(handler, {
          token: user.token,
          body: { currentPassword: `Wrong-${i}-Passw0rd!`, newPassword: `Other-${i}-Passw0rd!` },
          headers: { 'client-request-id': `bad-${user.oid}` },
        }),
      ]),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(150);
    expect(statuses.filter((s) => s === 400)).toHaveLength(150);
    for (const [i, user] of users.entries()) {
      const stored = await getUser(entraUrl, user.username);
      expect(stored.password).toBe(`Crowd-${i}-Passw0rd!`);
      expect(stored.passwordChanges).toBe(1);
    }
    const calls = (await getStats(entraUrl)).graphCalls;
    expect(calls).toHaveLength(300);
    for (const graphCall of calls) {
      // The id the caller sent names the user; Graph saw that same user's token.
      expect(graphCall.clientRequestId?.replace(/^(ok|bad)-/, '')).toBe(graphCall.oid);
    }
  }, 60_000); // a correctness check, not a speed one: other test runs share these 2 cores
});

describe('nothing secret in any log line', () => {
  it('has seen log lines and none holds a password, a token or an Authorization header', async () => {
    const handler = newHandler();
    const user = await newUser('logs');
    const marker = 'Very-Secret-Passw0rd!';
    await call(handler, {
      token: user.token,
      body: { currentPassword: marker, newPassword: `${marker}2` },
    });
    await call(handler, {
      token: user.token,
      body: { currentPassword: PASSWORD, newPassword: marker },
    });
    await call(handler, {
      token: `${user.token}x`,
      body: { currentPassword: marker, newPassword: marker },
    });
    expect(allLogLines.length).toBeGreaterThanOrEqual(3);
    for (const line of allLogLines) {
      expect(line).not.toContain(marker);
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // any JWT
      expect(line.toLowerCase()).not.toContain('bearer');
      expect(line).toMatch(/invocationId=[0-9a-f-]{36}/);
    }
  });
});
