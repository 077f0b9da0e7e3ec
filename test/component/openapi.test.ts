// Real responses of the real handler (against the emulators), each held to openapi.yaml: its
// status is documented, its body matches the status's schema, its headers are all documented.
import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  createUser,
  mintToken,
} from '../../emulators/control-client.js';
import type { FailureRequest } from '../../emulators/types.js';
import { checkAgainstDocument } from '../openapi-document.js';
import {
  type CallOptions,
  call,
  entraUrl,
  newHandler,
  type Reply,
  uniqueUsername,
} from './harness.js';

const SPA = 'http://localhost:5173';
const cors = { CORS_ALLOWED_ORIGINS: SPA };
const handler = newHandler(cors);
const PASSWORD = 'Old-Passw0rd!';
const username = uniqueUsername('openapi');
const wrongCurrent = { currentPassword: 'Wrong-Passw0rd!', newPassword: 'New-Passw0rd!1' };

beforeAll(() => createUser(entraUrl, { username, password: PASSWORD }));
beforeEach(() => clearFailures(entraUrl));

const token = (extra: Parameters<typeof mintToken>[1] = {}) =>
  mintToken(entraUrl, { username, ...extra });

/** A request from the SPA's origin, so CORS headers are part of what is checked. */
async function send(
  options: CallOptions,
  target = handler,
): Promise<Reply & { code: string | undefined }> {
  const reply = await call(target, {
    ...options,
    headers: { origin: SPA, 'client-request-id': randomUUID(), ...options.headers },
  });
  const method = (options.method ?? 'POST').toLowerCase() as 'post' | 'options';
  checkAgainstDocument(method, reply);
  return { ...reply, code: reply.json?.error?.code };
}

async function withFailure(failure: FailureRequest, options: CallOptions, target = handler) {
  await addFailure(entraUrl, { username, ...failure });
  return send(options, target);
}

describe('POST: each real answer is documented, and matches the document', () => {
  it('204: changed', async () => {
    const own = uniqueUsername('openapi-ok');
    await createUser(entraUrl, { username: own, password: PASSWORD });
    const reply = await send({
      token: await mintToken(entraUrl, { username: own }),
      body: { currentPassword: PASSWORD, newPassword: 'Brand-New-Passw0rd!' },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-origin']).toBe(SPA);
  });

  it('400 invalid_request (with target) and invalid_json', async () => {
    const invalid = await send({ token: await token(), body: { currentPassword: PASSWORD } });
    expect([invalid.status, invalid.code, invalid.json?.error?.target]).toEqual([
      400,
      'invalid_request',
      'newPassword',
    ]);
    const notJson = await send({ token: await token(), rawBody: '{"currentPassword":' });
    expect([notJson.status, notJson.code]).toEqual([400, 'invalid_json']);
  });

  it("400 Graph's error, relayed (wrong current password)", async () => {
    const reply = await send({ token: await token(), body: wrongCurrent });
    expect([reply.status, reply.code]).toEqual([400, 'Request_BadRequest']);
    expect(reply.headers['request-id']).toBeTruthy();
  });

  it('401 missing_token and invalid_token', async () => {
    const missing = await send({ body: wrongCurrent });
    expect([missing.status, missing.code]).toEqual([401, 'missing_token']);
    const invalid = await send({ token: 'not-a-jwt', body: wrongCurrent });
    expect([invalid.status, invalid.code]).toEqual([401, 'invalid_token']);
    const expired = await send({
      token: await token({ expiresInSeconds: -60 }),
      body: wrongCurrent,
    });
    expect([expired.status, expired.code]).toEqual([401, 'invalid_token']);
  });

  it('401 insufficient_claims (the OBO exchange needs MFA)', async () => {
    const reply = await withFailure(
      { target: 'token', mode: 'interaction_required' },
      { token: await token(), body: wrongCurrent },
    );
    expect([reply.status, reply.code]).toEqual([401, 'insufficient_claims']);
  });

  it("401 Graph's CAE challenge, relayed", async () => {
    const reply = await withFailure(
      { target: 'graph', mode: 'cae' },
      { token: await token(), body: wrongCurrent },
    );
    expect([reply.status, reply.code]).toEqual([401, 'InvalidAuthenticationToken']);
  });

  it('403 insufficient_scope, app_only_token, consent_required, and Graph’s 403', async () => {
    const scope = await send({ token: await token({ scope: 'User.Read' }), body: wrongCurrent });
    expect([scope.status, scope.code]).toEqual([403, 'insufficient_scope']);
    const appOnly = await send({
      token: await mintToken(entraUrl, { appOnly: true }),
      body: wrongCurrent,
    });
    expect([appOnly.status, appOnly.code]).toEqual([403, 'app_only_token']);
    const consent = await withFailure(
      { target: 'token', mode: 'consent_required' },
      { token: await token(), body: wrongCurrent },
    );
    expect([consent.status, consent.code]).toEqual([403, 'consent_required']);
    const graph = await withFailure(
      { target: 'graph', mode: 'forbidden' },
      { token: await token(), body: wrongCurrent },
    );
    expect([graph.status, graph.code]).toEqual([403, 'Authorization_RequestDenied']);
  });

  it('413 payload_too_large and 415 unsupported_media_type', async () => {
    const large = await send({
      token: await token(),
      rawBody: JSON.stringify({ currentPassword: 'x'.repeat(5000), newPassword: 'y' }),
    });
    expect([large.status, large.code]).toEqual([413, 'payload_too_large']);
    const text = await send({
      token: await token(),
      body: wrongCurrent,
      contentType: 'text/plain',
    });
    expect([text.status, text.code]).toEqual([415, 'unsupported_media_type']);
  });

  it("429 Graph's throttling, relayed with Retry-After", async () => {
    const reply = await withFailure(
      { target: 'graph', mode: 'throttle', retryAfterSeconds: 7 },
      { token: await token(), body: wrongCurrent },
    );
    expect([reply.status, reply.headers['retry-after']]).toEqual([429, '7']);
  });

  it('502 token_exchange_rejected, graph_bad_response, graph_unreachable, graph_connection_lost_change_unknown', async () => {
    const rejected = await send(
      { token: await token(), body: wrongCurrent },
      newHandler({ ...cors, AZURE_CLIENT_SECRET: 'not-the-secret' }),
    );
    expect([rejected.status, rejected.code]).toEqual([502, 'token_exchange_rejected']);
    const badResponse = await withFailure(
      { target: 'graph', mode: 'non_json' },
      { token: await token(), body: wrongCurrent },
    );
    expect([badResponse.status, badResponse.code]).toEqual([502, 'graph_bad_response']);
    const unreachable = await send(
      { token: await token(), body: wrongCurrent },
      newHandler({ ...cors, GRAPH_BASE_URL: 'https://127.0.0.1:9' }),
    );
    expect([unreachable.status, unreachable.code]).toEqual([502, 'graph_unreachable']);
    const lost = await withFailure(
      { target: 'graph', mode: 'reset' },
      { token: await token(), body: wrongCurrent },
    );
    expect([lost.status, lost.code]).toEqual([502, 'graph_connection_lost_change_unknown']);
  });

  it('503 server_busy with Retry-After', async () => {
    const narrow = newHandler({ ...cors, MAX_CONCURRENT_REQUESTS: '1' });
    await addFailure(entraUrl, { username, target: 'graph', mode: 'delay', delayMs: 400 });
    const first = send({ token: await token(), body: wrongCurrent }, narrow);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const busy = await send({ token: await token(), body: wrongCurrent }, narrow);
    expect([busy.status, busy.code, busy.headers['retry-after']]).toEqual([
      503,
      'server_busy',
      '1',
    ]);
    expect((await first).status).toBe(400);
  });

  it("503 token_exchange_unavailable (Entra's Retry-After) and Graph's 503", async () => {
    const entra = await withFailure(
      { target: 'token', mode: 'unavailable', retryAfterSeconds: 9 },
      { token: await token(), body: wrongCurrent },
    );
    expect([entra.status, entra.code, entra.headers['retry-after']]).toEqual([
      503,
      'token_exchange_unavailable',
      '9',
    ]);
    const graph = await withFailure(
      { target: 'graph', mode: 'unavailable', retryAfterSeconds: 5 },
      { token: await token(), body: wrongCurrent },
    );
    expect([graph.status, graph.code]).toEqual([503, 'serviceNotAvailable']);
  });

  it('504 graph_timeout_change_unknown and token_exchange_timeout', async () => {
    const impatient = newHandler({ ...cors, GRAPH_TIMEOUT_MS: '300' });
    const graph = await withFailure(
      { target: 'graph', mode: 'hang' },
      { token: await token(), body: wrongCurrent },
      impatient,
    );
    expect([graph.status, graph.code]).toEqual([504, 'graph_timeout_change_unknown']);
    const entra = await withFailure(
      { target: 'token', mode: 'hang' },
      { token: await token(), body: wrongCurrent },
      impatient,
    );
    expect([entra.status, entra.code]).toEqual([504, 'token_exchange_timeout']);
  });

  it('500 server_misconfigured (no CORS: settings unknown)', async () => {
    const reply = await send(
      { token: await token(), body: wrongCurrent },
      newHandler({ ...cors, AZURE_TENANT_ID: 'not-a-guid' }),
    );
    expect([reply.status, reply.code]).toEqual([500, 'server_misconfigured']);
    expect(reply.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('OPTIONS (CORS preflight)', () => {
  const preflight = { method: 'OPTIONS', contentType: null } as const;

  it('204 for an allowed origin, with the CORS grant', async () => {
    const reply = await send({
      ...preflight,
      headers: {
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-max-age']).toBe('600');
  });

  it('204 without an Origin: Allow only', async () => {
    const reply = await call(handler, preflight);
    checkAgainstDocument('options', reply);
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('403 origin_not_allowed for another origin', async () => {
    const reply = await send({ ...preflight, headers: { origin: 'https://evil.example' } });
    expect([reply.status, reply.code]).toEqual([403, 'origin_not_allowed']);
  });
});
