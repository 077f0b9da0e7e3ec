// examples/spa/api.ts: what the SPA does with each answer of the API, with a fake fetch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { API_CLIENT_ID, SPA_CLIENT_ID, TENANT_ID } from '../../emulators/constants.js';
import {
  type CallOptions,
  changePassword,
  DEFAULT_WAIT_SECONDS,
  retryAfterSeconds,
} from '../../examples/spa/api.js';
import { ROOT } from '../../scripts/paths.js';

const URL = 'http://localhost:7071/api/me/changePassword';
const passwords = { currentPassword: 'Old-Passw0rd!', newPassword: 'New-Passw0rd!' };
const MFA = '{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}';
const base64 = (text: string) => Buffer.from(text).toString('base64');

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** A fetch that answers with `replies` in turn, and the getToken calls. */
function setup(...replies: Array<Response | Error>) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => {
    const reply = replies.shift();
    if (!reply) throw new Error('unexpected call');
    if (reply instanceof Error) throw reply;
    return reply;
  });
  const getToken = vi.fn(async (claims?: string) => (claims ? 'mfa-token' : 'token'));
  const options: CallOptions = {
    url: URL,
    getToken,
    clientRequestId: 'spa-1',
    fetch: fetch as unknown as typeof globalThis.fetch,
  };
  return { fetch, getToken, options };
}

describe('changePassword (examples/spa/api.ts)', () => {
  it('204: changed; one POST with the token, JSON body and client-request-id', async () => {
    const { fetch, options } = setup(new Response(null, { status: 204 }));
    expect(await changePassword(passwords, options)).toEqual({ kind: 'changed' });
    expect(fetch).toHaveBeenCalledExactlyOnceWith(URL, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer token',
        'Content-Type': 'application/json',
        'client-request-id': 'spa-1',
      },
      body: JSON.stringify(passwords),
    });
  });

  it.each([
    [504, 'graph_timeout_change_unknown'],
    [502, 'graph_connection_lost_change_unknown'],
  ])('%i %s: maybe changed, never retried', async (status, code) => {
    const { fetch, options } = setup(json(status, { error: { code, message: 'm' } }));
    expect(await changePassword(passwords, options)).toEqual({
      kind: 'maybe-changed',
      message: 'm',
    });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('401 insufficient_claims: a token for the decoded claims, then ONE retry', async () => {
    const challenge = json(401, {
      error: { code: 'insufficient_claims', message: 'MFA', claims: base64(MFA) },
    });
    const { fetch, getToken, options } = setup(challenge, new Response(null, { status: 204 }));
    expect(await changePassword(passwords, options)).toEqual({ kind: 'changed' });
    expect(getToken.mock.calls).toEqual([[undefined], [MFA]]);
    expect(fetch.mock.calls[1]?.[1]).toMatchObject({
      headers: { Authorization: 'Bearer mfa-token' },
    });
  });

  it("Graph's own claims challenge, in WWW-Authenticate only (CAE), is handled the same", async () => {
    const cae = json(
      401,
      { error: { code: 'InvalidAuthenticationToken', message: 'CAE' } },
      {
        'www-authenticate': `Bearer realm="", error="insufficient_claims", claims="${base64(MFA)}"`,
      },
    );
    const { getToken, options } = setup(cae, new Response(null, { status: 204 }));
    expect(await changePassword(passwords, options)).toEqual({ kind: 'changed' });
    expect(getToken.mock.calls[1]).toEqual([MFA]);
  });

  it('a second challenge is not retried again', async () => {
    const challenge = () =>
      json(401, {
        error: { code: 'insufficient_claims', message: 'Still MFA.', claims: base64(MFA) },
      });
    const { fetch, options } = setup(challenge(), challenge());
    expect(await changePassword(passwords, options)).toMatchObject({
      kind: 'error',
      status: 401,
      code: 'insufficient_claims',
      message: 'Still MFA.',
    });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('a 401 without claims is an error, not retried', async () => {
    const { fetch, options } = setup(
      json(401, { error: { code: 'invalid_token', message: 'The access token has expired.' } }),
    );
    expect(await changePassword(passwords, options)).toMatchObject({
      kind: 'error',
      code: 'invalid_token',
    });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("Graph's 400: its code, message and request-id (header first, else innerError)", async () => {
    const body = {
      error: {
        code: 'Request_BadRequest',
        message: 'Invalid currentPassword.',
        innerError: { 'request-id': 'inner-id' },
      },
    };
    expect(await changePassword(passwords, setup(json(400, body)).options)).toEqual({
      kind: 'error',
      status: 400,
      code: 'Request_BadRequest',
      message: 'Invalid currentPassword.',
      requestId: 'inner-id',
    });
    const withHeader = json(400, body, { 'request-id': 'header-id' });
    expect(await changePassword(passwords, setup(withHeader).options)).toMatchObject({
      requestId: 'header-id',
    });
  });

  it('invalid_request names the field (target)', async () => {
    const invalid = json(400, {
      error: {
        code: 'invalid_request',
        message: 'newPassword must be at most 256 characters.',
        target: 'newPassword',
      },
    });
    expect(await changePassword(passwords, setup(invalid).options)).toMatchObject({
      target: 'newPassword',
    });
  });

  it.each([
    [429, { 'retry-after': '17' }, 17],
    [503, { 'retry-after': '5' }, 5],
    [503, {}, DEFAULT_WAIT_SECONDS],
  ] as const)('%i: wait for Retry-After (%o)', async (status, headers, seconds) => {
    const busy = json(
      status,
      { error: { code: 'TooManyRequests', message: 'Too many.' } },
      headers,
    );
    expect(await changePassword(passwords, setup(busy).options)).toEqual({
      kind: 'wait',
      seconds,
      status,
      code: 'TooManyRequests',
      message: 'Too many.',
    });
  });

  it('a network failure (fetch rejects)', async () => {
    const { options } = setup(new TypeError('Failed to fetch'));
    expect(await changePassword(passwords, options)).toEqual({ kind: 'network' });
  });

  it('a failed sign-in (popup blocked) is reported, nothing is sent', async () => {
    const { fetch, options } = setup();
    options.getToken = async () => {
      throw new Error('The browser blocked the sign-in window: allow pop-ups for this site.');
    };
    expect(await changePassword(passwords, options)).toEqual({
      kind: 'sign-in',
      message: 'The browser blocked the sign-in window: allow pop-ups for this site.',
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('a non-JSON answer (a proxy page): a generic message', async () => {
    const html = new Response('<h1>Bad gateway</h1>', { status: 502 });
    expect(await changePassword(passwords, setup(html).options)).toEqual({
      kind: 'error',
      status: 502,
      code: 'unknown',
      message: 'The service answered with HTTP 502.',
    });
  });
});

describe('retryAfterSeconds', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds('Sat, 28 Nov 2026 10:00:42 GMT', now)).toBe(42);
    expect(retryAfterSeconds('0', now)).toBe(1);
    expect(retryAfterSeconds('soon', now)).toBe(DEFAULT_WAIT_SECONDS);
    expect(retryAfterSeconds(null, now)).toBe(DEFAULT_WAIT_SECONDS);
  });
});

describe('examples/spa/config.ts', () => {
  it("defaults to the emulators' tenant, SPA, API and ports", () => {
    const text = readFileSync(join(ROOT, 'examples', 'spa', 'config.ts'), 'utf8');
    expect(text).toContain(`'${SPA_CLIENT_ID}'`);
    expect(text).toContain(`'https://127.0.0.1:7443/${TENANT_ID}'`);
    expect(text).toContain(`'api://${API_CLIENT_ID}/access_as_user'`);
    expect(text).toContain("'http://localhost:7071/api/me/changePassword'");
  });
});
