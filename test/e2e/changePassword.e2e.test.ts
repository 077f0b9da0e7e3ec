// POST /api/me/changePassword over HTTP, as a browser or curl would call it.
import { describe, expect, it } from 'vitest';
import { getUser } from '../../emulators/control-client.js';
import {
  anyToken,
  call,
  e2e,
  expectJsonError,
  newUser,
  postLargeBody,
  tokenFor,
} from './client.js';

const emulator = e2e.entraUrl !== undefined;
const withToken = emulator || e2e.token !== undefined;
const body = { currentPassword: 'Current-Passw0rd!', newPassword: 'Next-Passw0rd!2' };

describe('needs no token', () => {
  it('401 without a token, with a Bearer challenge', async () => {
    const reply = await call({ body });
    expectJsonError(reply, 401, 'missing_token');
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a method the function does not register is not served (405 or 404)', async () => {
    const reply = await call({ method: 'GET' });
    expect([404, 405]).toContain(reply.status);
  });

  it.each([
    ['90 MB with Content-Length', 90 * 1024 * 1024, true],
    ['32 MB chunked', 32 * 1024 * 1024, false],
  ] as const)(
    'a body of %s is refused by the host (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) before it is read',
    async (_, size, declared) => {
      const { status, sentBytes } = await postLargeBody(e2e.changePasswordUrl, size, declared);
      expect(status).toBe(413);
      // What went out before the answer is what the kernel's socket buffers took (loopback
      // autotunes them to several MB each way, 17 MB seen): far from the whole body.
      expect(sentBytes).toBeLessThan(size / 2);
    },
  );

  it('CORS preflight from an allowed origin', async () => {
    const reply = await call({
      method: 'OPTIONS',
      headers: {
        origin: e2e.allowedOrigin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(e2e.allowedOrigin);
    expect(reply.headers.get('access-control-allow-methods')).toContain('POST');
    expect(reply.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    );
  });

  it('CORS preflight from another origin: 403', async () => {
    const reply = await call({
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expectJsonError(reply, 403, 'origin_not_allowed');
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.runIf(withToken)('checks the request before any upstream call', () => {
  it('400 when a field is missing', async () => {
    const reply = await call({ token: await anyToken(), body: { currentPassword: 'x' } });
    expectJsonError(reply, 400, 'invalid_request');
    expect(reply.json.error?.target).toBe('newPassword');
  });

  it('413 when the body is too large', async () => {
    const big = { currentPassword: 'x'.repeat(5000), newPassword: 'y' };
    expectJsonError(await call({ token: await anyToken(), body: big }), 413, 'payload_too_large');
  });

  it('415 when the body is not JSON', async () => {
    const reply = await call({
      token: await anyToken(),
      rawBody: 'a=b',
      contentType: 'text/plain',
    });
    expectJsonError(reply, 415, 'unsupported_media_type');
  });
});

describe.runIf(emulator)('with the emulated Entra ID and Graph', () => {
  const entraUrl = e2e.entraUrl as string;

  it('changes the password: 204, and Graph has the new one', async () => {
    const user = await newUser();
    const reply = await call({
      token: await tokenFor(user.username),
      body: { currentPassword: user.password, newPassword: body.newPassword },
      headers: { origin: e2e.allowedOrigin },
    });
    expect({ status: reply.status, body: reply.text }).toEqual({ status: 204, body: '' });
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.headers.get('access-control-allow-origin')).toBe(e2e.allowedOrigin);
    expect(await getUser(entraUrl, user.username)).toMatchObject({
      password: body.newPassword,
      passwordChanges: 1,
    });
  });

  it('401 for an expired token', async () => {
    const user = await newUser();
    const token = await tokenFor(user.username, { expiresInSeconds: -600 });
    const reply = await call({ token, body });
    expectJsonError(reply, 401, 'invalid_token');
    expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('403 for a token without the access_as_user scope', async () => {
    const user = await newUser();
    const reply = await call({ token: await tokenFor(user.username, { scope: '' }), body });
    expectJsonError(reply, 403, 'insufficient_scope');
  });

  it("relays Graph's 400 for a wrong current password", async () => {
    const user = await newUser();
    const reply = await call({
      token: await tokenFor(user.username),
      body: { currentPassword: 'Wrong-Passw0rd!', newPassword: body.newPassword },
    });
    expectJsonError(reply, 400, 'Request_BadRequest');
    expect((await getUser(entraUrl, user.username)).passwordChanges).toBe(0);
  });

  it('claims challenge when the user needs MFA; a token with MFA then succeeds', async () => {
    const user = await newUser({ mfaRequired: true });
    const change = { currentPassword: user.password, newPassword: body.newPassword };
    const challenged = await call({ token: await tokenFor(user.username), body: change });
    expectJsonError(challenged, 401, 'insufficient_claims');
    const challenge = challenged.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_claims"');
    const claims = /claims="([^"]+)"/.exec(challenge)?.[1] ?? '';
    expect(JSON.parse(Buffer.from(claims, 'base64').toString('utf8'))).toHaveProperty(
      'access_token',
    );

    const retried = await call({
      token: await tokenFor(user.username, { mfa: true }),
      body: change,
    });
    expect({ status: retried.status, body: retried.text }).toEqual({ status: 204, body: '' });
    expect((await getUser(entraUrl, user.username)).password).toBe(body.newPassword);
  });
});
