// Entra's key endpoint failing: 503 with Retry-After (never 401), cached keys keep working,
// and a failing endpoint is asked at most once per cooldown. Time moves by faking Date only.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addFailure, clearFailures, getStats, mintToken } from '../../emulators/control-client.js';
import type { KeysFailureMode } from '../../emulators/types.js';
import { KEY_FETCH_COOLDOWN_MS, KEYS_MAX_AGE_MS } from '../../shared/signingKeys.js';
import {
  call,
  entraUrl,
  newHandler,
  tokenFromUnknownKey,
  uniqueUsername,
  useEmulatorUser,
} from './harness.js';

const username = uniqueUsername('keys');
const wrong = { currentPassword: 'Wrong-Passw0rd!', newPassword: 'Never-Applied1!' };

useEmulatorUser(username, 'Old-Passw0rd!');
afterEach(() => {
  vi.useRealTimers();
});

/** Moves Date (and only Date) forward; fetch, sockets and timeouts keep real time. */
function advanceClock(ms: number): void {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now + ms);
}

const failKeys = (mode: KeysFailureMode, times = 1) =>
  addFailure(entraUrl, { target: 'keys', mode, times });

/** Past the token check, Graph refuses the wrong current password: the keys worked. */
async function expectKeysWorked(handler: ReturnType<typeof newHandler>) {
  const reply = await call(handler, {
    token: await mintToken(entraUrl, { username }),
    body: wrong,
  });
  expect(reply.status).toBe(400);
  expect(reply.json?.error?.code).toBe('Request_BadRequest');
}

async function expectKeysUnavailable(handler: ReturnType<typeof newHandler>, token?: string) {
  const reply = await call(handler, {
    token: token ?? (await mintToken(entraUrl, { username })),
    body: wrong,
  });
  expect(reply.status).toBe(503);
  expect(reply.json?.error?.code).toBe('signing_keys_unavailable');
  expect(reply.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(Number(reply.headers['retry-after'])).toBeLessThanOrEqual(KEY_FETCH_COOLDOWN_MS / 1000);
  expect(reply.headers['www-authenticate']).toBeUndefined();
  return reply;
}

async function waitForJwksFetches(count: number) {
  await vi.waitFor(async () => expect((await getStats(entraUrl)).jwks).toBe(count), {
    timeout: 5000,
  });
}

describe('at cold start, a key endpoint that fails is 503 signing_keys_unavailable, never 401', () => {
  it.each([
    ['answers 500', 'server_error'],
    ['answers 200 with HTML', 'non_json'],
    ['resets the connection', 'reset'],
    ['never answers', 'hang'],
    ['answers 300 MB', 'huge'],
  ] as const)('the key endpoint %s', async (_, mode) => {
    const handler = newHandler({ GRAPH_TIMEOUT_MS: '500' });
    await failKeys(mode);
    const started = Date.now();
    await expectKeysUnavailable(handler);
    expect(Date.now() - started).toBeLessThan(5000);
    const stats = await getStats(entraUrl);
    expect(stats.jwks).toBe(1);
    expect(stats.token + stats.graph).toBe(0);
    if (mode === 'huge') expect(stats.hugeBytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('an unreachable key endpoint too', async () => {
    const offline = newHandler({ AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9' });
    await expectKeysUnavailable(offline);
  });

  it('asks a failing endpoint once per cooldown, not once per request, then recovers', async () => {
    const handler = newHandler();
    await failKeys('server_error', 100);
    for (let i = 0; i < 5; i++) await expectKeysUnavailable(handler);
    expect((await getStats(entraUrl)).jwks).toBe(1);

    advanceClock(KEY_FETCH_COOLDOWN_MS + 1000);
    await expectKeysUnavailable(handler);
    expect((await getStats(entraUrl)).jwks).toBe(2);

    await clearFailures(entraUrl);
    await expectKeysUnavailable(handler); // still cooling down: not asked
    expect((await getStats(entraUrl)).jwks).toBe(2);
    advanceClock(KEY_FETCH_COOLDOWN_MS + 1000);
    await expectKeysWorked(handler);
    expect((await getStats(entraUrl)).jwks).toBe(3);
  });
});

describe('keys already fetched', () => {
  it('are fetched once and reused', async () => {
    const handler = newHandler();
    for (let i = 0; i < 3; i++) await expectKeysWorked(handler);
    const stats = await getStats(entraUrl);
    expect(stats.jwks).toBe(1);
    expect(stats.discovery).toBe(0);
    expect(stats.token).toBe(3);
  });

  it('keep working while their refresh fails, and the failing refresh is not repeated', async () => {
    const handler = newHandler();
    await expectKeysWorked(handler);
    await failKeys('server_error', 100);
    advanceClock(KEYS_MAX_AGE_MS + 1000);
    await expectKeysWorked(handler);
    await waitForJwksFetches(2); // the refresh ran (and failed)
    await expectKeysWorked(handler);
    await expectKeysWorked(handler);
    expect((await getStats(entraUrl)).jwks).toBe(2);
  });

  it('a token with an unknown key id while the endpoint fails: 503; once it answers: 401', async () => {
    const handler = newHandler();
    await expectKeysWorked(handler);
    const rotated = await tokenFromUnknownKey('rotated-key');
    // Within the refetch interval of a good fetch, an unknown key id is simply unknown.
    const early = await call(handler, { token: rotated, body: wrong });
    expect(early.status).toBe(401);
    expect(early.json?.error?.message).toContain('unknown key');
    expect((await getStats(entraUrl)).jwks).toBe(1);

    advanceClock(KEY_FETCH_COOLDOWN_MS + 1000);
    await failKeys('server_error');
    await expectKeysUnavailable(handler, rotated);
    await expectKeysUnavailable(handler, rotated); // cooling down: not asked again
    await expectKeysWorked(handler); // the keys it holds still verify known tokens
    expect((await getStats(entraUrl)).jwks).toBe(2);

    advanceClock(KEY_FETCH_COOLDOWN_MS + 1000);
    const late = await call(handler, { token: rotated, body: wrong });
    expect(late.status).toBe(401);
    expect(late.json?.error?.code).toBe('invalid_token');
    expect((await getStats(entraUrl)).jwks).toBe(3);
  });
});
