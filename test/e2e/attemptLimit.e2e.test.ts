// Guessing protection across processes: the dev stack's app and the managed-identity app are two
// separate function hosts sharing one Azurite, as two instances in Azure share one table.
import { describe, expect, it } from 'vitest';
import { getStats, getUser } from '../../emulators/control-client.js';
import { call, e2e, expectJsonError, newUser, tokenFor } from './client.js';

describe.runIf(e2e.ownStack && e2e.managedIdentityUrl)('failed-attempt budget', () => {
  it('50 parallel wrong guesses over two app processes: exactly 10 reach Graph', async () => {
    const entraUrl = e2e.entraUrl as string;
    const user = await newUser();
    const token = await tokenFor(user.username);
    const { oid } = await getUser(entraUrl, user.username);
    const graphCallsBefore = (await getStats(entraUrl)).graphCalls.filter((c) => c.oid === oid);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call({
          url: i % 2 ? e2e.managedIdentityUrl : e2e.changePasswordUrl,
          token,
          body: { currentPassword: `Wrong-${i}-Passw0rd!`, newPassword: 'Never-Passw0rd!1' },
        }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    const graphCalls = (await getStats(entraUrl)).graphCalls.filter((c) => c.oid === oid);
    expect(graphCalls.length - graphCallsBefore.length).toBe(10);
    const refused = replies.find((r) => r.status === 429);
    if (!refused) throw new Error('no 429');
    expectJsonError(refused, 429, 'too_many_attempts');
    // Refused while this process had attempts in progress: retry once they must have settled
    // (7 × GRAPH_TIMEOUT_MS + twice the store's timeout: 74 s); otherwise the window.
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait <= 74 || (wait > 3500 && wait <= 3600)).toBe(true);
    // Spent for the right password too, on both processes.
    for (const url of [e2e.changePasswordUrl, e2e.managedIdentityUrl]) {
      const reply = await call({
        url,
        token,
        body: { currentPassword: user.password, newPassword: 'Refused-Passw0rd!1' },
      });
      expectJsonError(reply, 429, 'too_many_attempts');
      // Every attempt has settled as a failure now: the window decides.
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(3500);
    }
    expect((await getUser(entraUrl, user.username)).password).toBe(user.password);
  });
});
