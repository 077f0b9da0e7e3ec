import { SignJWT } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_CUSTOM_APP_ID_URI, GUEST_TENANT_ID } from '../../emulators/constants.js';
import { createUser, getStats, mintToken, resetStats } from '../../emulators/control-client.js';
import {
  call,
  emulators,
  entraUrl,
  newHandler,
  tokenFromUnknownKey,
  uniqueUsername,
} from './harness.js';

const handler = newHandler();
const username = uniqueUsername('token');
const body = { currentPassword: 'Old-Passw0rd!', newPassword: 'New-Passw0rd!1' };
const OTHER_TENANT = GUEST_TENANT_ID;

beforeAll(async () => {
  await createUser(entraUrl, { username, password: body.currentPassword });
});
beforeEach(() => resetStats(entraUrl));

async function expectNoUpstreamCall() {
  const stats = await getStats(entraUrl);
  expect(stats.token).toBe(0);
  expect(stats.graph).toBe(0);
}

const authorizationUri = `${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/authorize`;

describe('no usable credentials: 401 challenge without an error code', () => {
  it.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty header', ''],
  ])('%s', async (_, authorization) => {
    const reply = await call(handler, { authorization, body });
    expect(reply.status).toBe(401);
    expect(reply.json?.error?.code).toBe('missing_token');
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="", authorization_uri="${authorizationUri}", client_id="${emulators.apiClientId}"`,
    );
    await expectNoUpstreamCall();
  });
});

describe('invalid tokens: 401 error="invalid_token"', () => {
  const cases: [string, () => Promise<string>, string][] = [
    ['malformed', async () => 'not.a.jwt', 'malformed'],
    ['Bearer with garbage', async () => 'abc def', 'malformed'],
    ['expired', () => mintToken(entraUrl, { username, expiresInSeconds: -600 }), 'expired'],
    [
      'not yet valid',
      () => mintToken(entraUrl, { username, notBeforeSeconds: 600 }),
      'not yet valid',
    ],
    [
      'for another audience',
      () => mintToken(entraUrl, { username, audience: 'api://someone-else' }),
      'not issued for this API',
    ],
    [
      'from another issuer',
      () => mintToken(entraUrl, { username, issuer: 'https://evil.example/v2.0' }),
      'issuer',
    ],
    [
      'from another tenant',
      () => mintToken(entraUrl, { username, tenantId: OTHER_TENANT }),
      'issuer',
    ],
    [
      'v1 token when the authority is not the public cloud',
      () => mintToken(entraUrl, { username, version: 1 }),
      'issuer',
    ],
    ['signed PS256', () => mintToken(entraUrl, { username, alg: 'PS256' }), 'RS256'],
    ['signed RS384', () => mintToken(entraUrl, { username, alg: 'RS384' }), 'RS256'],
    ['signed by an unknown key', () => tokenFromUnknownKey('unknown-kid'), 'unknown key'],
    [
      'HS256 with a guessed secret',
      async () =>
        new SignJWT({ scp: 'access_as_user', oid: 'x', tid: emulators.tenantId })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(`${emulators.entraUrl}/${emulators.tenantId}/v2.0`)
          .setAudience(`api://${emulators.apiClientId}`)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode('x'.repeat(32))),
      'RS256',
    ],
    [
      'alg none',
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${enc({ alg: 'none' })}.${enc({ aud: `api://${emulators.apiClientId}`, iss: `${emulators.entraUrl}/${emulators.tenantId}/v2.0`, exp: now + 600, scp: 'access_as_user', tid: emulators.tenantId, oid: 'x' })}.`;
      },
      'RS256',
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await mintToken(entraUrl, { username })).split('.');
        const forged = Buffer.from(
          JSON.stringify({ oid: 'someone-else', scp: 'access_as_user' }),
        ).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      'signature',
    ],
  ];

  it.each(cases)('%s', async (_, makeToken, describes) => {
    const reply = await call(handler, { token: await makeToken(), body });
    expect(reply.status).toBe(401);
    expect(reply.json?.error?.code).toBe('invalid_token');
    expect(reply.json?.error?.message).toContain(describes);
    expect(reply.headers['www-authenticate']).toMatch(
      /^Bearer realm="", authorization_uri="[^"]+", client_id="[^"]+", error="invalid_token", error_description="[^"]+"$/,
    );
    await expectNoUpstreamCall();
  });
});

describe('valid tokens that may not change a password: 403 error="insufficient_scope"', () => {
  it.each([
    ['no scope at all', { scope: '' }, 'insufficient_scope'],
    ['another scope', { scope: 'User.Read' }, 'insufficient_scope'],
    ['an app-only token', { appOnly: true, username: undefined }, 'app_only_token'],
  ])('%s', async (_, overrides, code) => {
    const token = await mintToken(entraUrl, { username, ...overrides });
    const reply = await call(handler, { token, body });
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe(code);
    expect(reply.headers['www-authenticate']).toContain(
      `error="insufficient_scope", scope="api://${emulators.apiClientId}/access_as_user"`,
    );
    await expectNoUpstreamCall();
  });

  it('honours REQUIRED_SCOPE', async () => {
    const custom = newHandler({ REQUIRED_SCOPE: 'Password.Change' });
    const withDefault = await mintToken(entraUrl, { username });
    expect((await call(custom, { token: withDefault, body })).status).toBe(403);
    const withCustom = await mintToken(entraUrl, { username, scope: 'openid Password.Change' });
    const reply = await call(custom, {
      token: withCustom,
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.status).toBe(400); // past the token check, Graph refused the wrong current password
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
  });
});

describe('audiences and tenants', () => {
  it('accepts the bare client id as audience', async () => {
    const token = await mintToken(entraUrl, { username, audience: emulators.apiClientId });
    const reply = await call(handler, {
      token,
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
  });

  it('accepts API_AUDIENCE and nothing else extra', async () => {
    const custom = newHandler({ API_AUDIENCE: API_CUSTOM_APP_ID_URI });
    const ok = await mintToken(entraUrl, { username, audience: API_CUSTOM_APP_ID_URI });
    expect(
      (await call(custom, { token: ok, body: { currentPassword: 'wrong', newPassword: 'x' } }))
        .status,
    ).toBe(400);
    const other = await mintToken(entraUrl, { username, audience: 'https://other.contoso.test' });
    expect((await call(custom, { token: other, body })).status).toBe(401);
  });

  it('accepts a guest tenant listed in ALLOWED_TENANT_IDS and exchanges the token in that tenant', async () => {
    const multi = newHandler({ ALLOWED_TENANT_IDS: OTHER_TENANT });
    const token = await mintToken(entraUrl, { username, tenantId: OTHER_TENANT });
    const reply = await call(multi, {
      token,
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
    expect((await getStats(entraUrl)).token).toBe(1);
  });
});
