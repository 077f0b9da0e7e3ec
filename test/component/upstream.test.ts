import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  createUser,
  getStats,
  getUser,
  mintToken,
  resetStats,
} from '../../emulators/control-client.js';
import { call, emulators, entraUrl, newHandler, uniqueUsername } from './harness.js';

const handler = newHandler();
const username = uniqueUsername('upstream');
const PASSWORD = 'Old-Passw0rd!';
const change = { currentPassword: PASSWORD, newPassword: 'Never-Applied1!' };

beforeAll(async () => {
  await createUser(entraUrl, { username, password: PASSWORD });
});
beforeEach(async () => {
  await clearFailures(entraUrl);
  await resetStats(entraUrl);
});

async function send(target = handler, extra: Parameters<typeof call>[1] = {}) {
  return call(target, { token: await mintToken(entraUrl, { username }), body: change, ...extra });
}

describe('success', () => {
  it('changes the password, answers 204 with no body, and relays the correlation headers', async () => {
    const own = uniqueUsername('happy');
    await createUser(entraUrl, { username: own, password: PASSWORD });
    const token = await mintToken(entraUrl, { username: own });
    const reply = await call(handler, {
      token,
      body: { currentPassword: PASSWORD, newPassword: 'Brand-New-Passw0rd!' },
      headers: { 'client-request-id': 'spa-correlation-1' },
    });
    expect(reply.status).toBe(204);
    expect(reply.body).toBe('');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['client-request-id']).toBe('spa-correlation-1');
    expect(reply.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const user = await getUser(entraUrl, own);
    expect(user.password).toBe('Brand-New-Passw0rd!');
    expect(user.passwordChanges).toBe(1);
    const stats = await getStats(entraUrl);
    expect(stats.token).toBe(1);
    expect(stats.graph).toBe(1);
    expect(stats.graphCalls.at(-1)).toEqual({
      oid: user.oid,
      clientRequestId: 'spa-correlation-1',
      status: 204,
    });
    expect(
      reply.logs.some((line) => line.includes(`graphRequestId=${reply.headers['request-id']}`)),
    ).toBe(true);
  });

  it('replaces a client-request-id that is not a plain id', async () => {
    const reply = await send(handler, {
      headers: { 'client-request-id': 'not a plain id <script>' },
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses GRAPH_API_VERSION=beta', async () => {
    const beta = newHandler({ GRAPH_API_VERSION: 'beta' });
    const reply = await call(beta, {
      token: await mintToken(entraUrl, { username }),
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
  });
});

describe("Graph's answers are relayed", () => {
  it('a wrong current password: 400 with Graph body and request-id', async () => {
    const reply = await send(handler, {
      body: { currentPassword: 'Wrong-Passw0rd!', newPassword: 'X-Passw0rd!1' },
    });
    expect(reply.status).toBe(400);
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
    expect(reply.headers['request-id']).toBeTruthy();
    expect(reply.headers['content-type']).toContain('application/json');
    expect(reply.body).not.toContain('Wrong-Passw0rd!');
  });

  it('a password that fails complexity: 400', async () => {
    const reply = await send(handler, {
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(reply.status).toBe(400);
    expect(reply.json?.error?.message).toContain('complexity');
  });

  it('throttling: 429 with Retry-After', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'throttle', retryAfterSeconds: 17 });
    const reply = await send();
    expect(reply.status).toBe(429);
    expect(reply.headers['retry-after']).toBe('17');
    expect(reply.json?.error?.code).toBeTruthy();
  });

  it('unavailable: 503 with Retry-After', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'unavailable', retryAfterSeconds: 5 });
    const reply = await send();
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
  });

  it('forbidden: 403 Authorization_RequestDenied', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'forbidden' });
    const reply = await send();
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe('Authorization_RequestDenied');
  });

  it('a Continuous Access Evaluation challenge: 401 with Graph WWW-Authenticate', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'cae' });
    const reply = await send();
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(
      /error="insufficient_claims", claims="[A-Za-z0-9+/=]+"/,
    );
  });
});

describe('Graph failures map to deliberate statuses and are never retried', () => {
  it('a non-JSON answer: 502 graph_bad_response', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'non_json' });
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('graph_bad_response');
    expect((await getStats(entraUrl)).graph).toBe(1);
  });

  it('dropped after the request was sent: 502 saying the password may have changed', async () => {
    await addFailure(entraUrl, { target: 'graph', mode: 'reset' });
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('graph_connection_lost_change_unknown');
    expect(reply.json?.error?.message).toMatch(/may have changed/);
    expect((await getStats(entraUrl)).graph).toBe(1);
  });

  it('no answer within GRAPH_TIMEOUT_MS of sending: 504 saying the password may have changed', async () => {
    const impatient = newHandler({ GRAPH_TIMEOUT_MS: '300' });
    await addFailure(entraUrl, { target: 'graph', mode: 'hang' });
    const started = Date.now();
    const reply = await send(impatient);
    expect(reply.status).toBe(504);
    expect(reply.json?.error?.code).toBe('graph_timeout_change_unknown');
    expect(reply.json?.error?.message).toMatch(/Sign in with the new password/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await getStats(entraUrl)).graph).toBe(1);
  });

  it.each([
    ['hang_after_change', 504, 'graph_timeout_change_unknown'],
    ['reset_after_change', 502, 'graph_connection_lost_change_unknown'],
    // A 1xx is no answer: the timeout still says the password may have changed.
    ['early_hints_hang_after_change', 504, 'graph_timeout_change_unknown'],
  ] as const)(
    'Graph changed the password and the answer was lost (%s): %i %s, and it did change',
    async (mode, status, code) => {
      const own = uniqueUsername(mode);
      await createUser(entraUrl, { username: own, password: PASSWORD });
      await addFailure(entraUrl, { target: 'graph', mode, username: own });
      const reply = await call(newHandler({ GRAPH_TIMEOUT_MS: '300' }), {
        token: await mintToken(entraUrl, { username: own }),
        body: { currentPassword: PASSWORD, newPassword: 'Changed-Anyway-Passw0rd!' },
      });
      expect([reply.status, reply.json?.error?.code]).toEqual([status, code]);
      expect((await getUser(entraUrl, own)).password).toBe('Changed-Anyway-Passw0rd!');
    },
  );

  it('unreachable: 502 graph_unreachable, saying nothing was changed', async () => {
    const nowhere = newHandler({ GRAPH_BASE_URL: 'https://127.0.0.1:9' });
    const reply = await send(nowhere);
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('graph_unreachable');
    expect(reply.json?.error?.message).toMatch(/was not changed/);
  });
});

describe('admission control', () => {
  it('past MAX_CONCURRENT_REQUESTS in flight: 503 server_busy with Retry-After, before any token exchange', async () => {
    const narrow = newHandler({ MAX_CONCURRENT_REQUESTS: '1' });
    const own = uniqueUsername('busy');
    await createUser(entraUrl, { username: own, password: PASSWORD });
    await addFailure(entraUrl, { target: 'graph', mode: 'delay', delayMs: 400, username: own });
    const tokens = await Promise.all([1, 2, 3].map(() => mintToken(entraUrl, { username: own })));
    // A wrong current password: each admitted request goes all the way to Graph's 400.
    const change = { currentPassword: 'Not-The-Passw0rd!', newPassword: 'Never-Applied1!' };
    const first = call(narrow, { token: tokens[0], body: change });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await call(narrow, { token: tokens[1], body: change });
    expect(second.status).toBe(503);
    expect(second.json?.error?.code).toBe('server_busy');
    expect(second.headers['retry-after']).toBe('1');
    expect((await first).status).toBe(400);
    expect((await getStats(entraUrl)).token).toBe(1);
    // The slot is free again once the first request is answered.
    expect((await call(narrow, { token: tokens[2], body: change })).status).toBe(400);
  });
});

describe('the On-Behalf-Of exchange', () => {
  it('interaction_required: 401 insufficient_claims with the claims in the challenge and the body', async () => {
    await addFailure(entraUrl, { target: 'token', mode: 'interaction_required' });
    const reply = await send();
    expect(reply.status).toBe(401);
    const claims = reply.json?.error?.claims as string;
    expect(JSON.parse(Buffer.from(claims, 'base64').toString())).toHaveProperty('access_token');
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="", authorization_uri="${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/authorize", client_id="${emulators.apiClientId}", error="insufficient_claims", claims="${claims}"`,
    );
    expect((await getStats(entraUrl)).graph).toBe(0);
  });

  it('invalid_grant carrying claims (AADSTS50079, no suberror) is a claims challenge too', async () => {
    await addFailure(entraUrl, { target: 'token', mode: 'claims_challenge' });
    const reply = await send();
    expect(reply.status).toBe(401);
    expect(reply.json?.error?.code).toBe('insufficient_claims');
    const claims = JSON.parse(Buffer.from(reply.json?.error?.claims ?? '', 'base64').toString());
    expect(claims).toEqual({ access_token: { acrs: { essential: true, value: 'c1' } } });
    expect(reply.headers['www-authenticate']).toContain('error="insufficient_claims"');
  });

  it.each(['claims_not_json', 'invalid_grant_claims_not_json'] as const)(
    'claims that are not a JSON object are not passed on (%s): 401 interaction_required',
    async (mode) => {
      await addFailure(entraUrl, { target: 'token', mode });
      const reply = await send();
      expect(reply.status).toBe(401);
      expect(reply.json?.error?.code).toBe('interaction_required');
      expect(JSON.stringify(reply.json)).not.toContain('claims');
      expect(reply.headers['www-authenticate'] ?? '').not.toContain('claims=');
    },
  );

  it('a user under an MFA policy succeeds once the token carries MFA', async () => {
    const mfaUser = uniqueUsername('mfa');
    await createUser(entraUrl, { username: mfaUser, password: PASSWORD, mfaRequired: true });
    const body = { currentPassword: PASSWORD, newPassword: 'After-Mfa-Passw0rd!' };
    const first = await call(handler, {
      token: await mintToken(entraUrl, { username: mfaUser }),
      body,
    });
    expect(first.status).toBe(401);
    expect(first.json?.error?.code).toBe('insufficient_claims');
    const retry = await call(handler, {
      token: await mintToken(entraUrl, { username: mfaUser, mfa: true }),
      body,
    });
    expect(retry.status).toBe(204);
  });

  it('consent_required: 403 saying an administrator must consent', async () => {
    await addFailure(entraUrl, { target: 'token', mode: 'consent_required' });
    const reply = await send();
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe('consent_required');
    expect(reply.json?.error?.message).toMatch(/administrator/);
  });

  it.each([
    ['a 500', 'server_error', 503, 'token_exchange_unavailable'],
    ['a 503', 'unavailable', 503, 'token_exchange_unavailable'],
    ['a connection reset', 'reset', 502, 'token_exchange_unreachable'],
  ] as const)('Entra answering %s: %s', async (_, mode, status, code) => {
    await addFailure(entraUrl, { target: 'token', mode, retryAfterSeconds: 9 });
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(reply.json?.error?.code).toBe(code);
    if (mode === 'unavailable') expect(reply.headers['retry-after']).toBe('9');
    expect((await getStats(entraUrl)).graph).toBe(0);
  });

  it('Entra too slow: 504', async () => {
    const impatient = newHandler({ GRAPH_TIMEOUT_MS: '300' });
    await addFailure(entraUrl, { target: 'token', mode: 'hang' });
    const reply = await send(impatient);
    expect(reply.status).toBe(504);
    expect(reply.json?.error?.code).toBe('token_exchange_timeout');
  });

  it('a wrong client secret: 502, the configuration is at fault, not the caller', async () => {
    const wrong = newHandler({ AZURE_CLIENT_SECRET: 'not-the-secret' });
    const reply = await send(wrong);
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('token_exchange_rejected');
    expect(reply.logs.join('\n')).toContain('invalid_client');
  });

  it('authenticates with a certificate', async () => {
    const cert = newHandler({
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CLIENT_CERTIFICATE_PATH: emulators.apiClientCertificatePath,
    });
    const reply = await send(cert, { body: { currentPassword: 'wrong', newPassword: 'x' } });
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
    expect((await getStats(entraUrl)).token).toBe(1);
  });

  it('makes one token request per call and no discovery', async () => {
    const fresh = newHandler();
    for (let i = 0; i < 5; i++)
      await send(fresh, { body: { currentPassword: 'wrong', newPassword: 'x' } });
    const stats = await getStats(entraUrl);
    expect(stats.token).toBe(5);
    expect(stats.discovery).toBe(0);
    expect(stats.instanceDiscovery).toBe(0);
  });
});
