import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, mintToken } from '../../emulators/control-client.js';
import { call, entraUrl, newHandler, uniqueUsername } from './harness.js';

const SPA = 'http://localhost:5173';
const handler = newHandler({ CORS_ALLOWED_ORIGINS: `https://app.contoso.test, ${SPA}` });
const username = uniqueUsername('cors');

beforeAll(() => createUser(entraUrl, { username, password: 'Old-Passw0rd!' }));

describe('CORS answered by the function itself', () => {
  it('answers a preflight from an allowed origin', async () => {
    const reply = await call(handler, {
      method: 'OPTIONS',
      contentType: null,
      headers: {
        origin: SPA,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers).toMatchObject({
      'access-control-allow-origin': SPA,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type, client-request-id',
      'cache-control': 'no-store',
      vary: 'Origin',
    });
    expect(reply.body).toBe('');
  });

  it('refuses a preflight from another origin with a JSON 403 and no CORS grant', async () => {
    const reply = await call(handler, {
      method: 'OPTIONS',
      contentType: null,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe('origin_not_allowed');
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes the challenge and correlation headers to an allowed origin, even on errors', async () => {
    const reply = await call(handler, { headers: { origin: SPA }, body: {} });
    expect(reply.status).toBe(401);
    expect(reply.headers['access-control-allow-origin']).toBe(SPA);
    expect(reply.headers['access-control-expose-headers']).toBe(
      'WWW-Authenticate, Retry-After, request-id, client-request-id',
    );
  });

  it('grants nothing to a request from another origin', async () => {
    const token = await mintToken(entraUrl, { username });
    const reply = await call(handler, {
      token,
      headers: { origin: 'https://evil.example' },
      body: { currentPassword: 'wrong', newPassword: 'x' },
    });
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers when CORS_ALLOWED_ORIGINS is empty', async () => {
    const reply = await call(newHandler(), { headers: { origin: SPA }, body: {} });
    expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });
});
