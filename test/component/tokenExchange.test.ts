// A hostile or broken Entra token endpoint (and managed identity endpoint): every answer maps to
// a deliberate failure, nothing is re-posted elsewhere, and nothing it says can forge a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFailure, getStats, mintToken } from '../../emulators/control-client.js';
import type { TokenFailureMode } from '../../emulators/types.js';
import {
  call,
  emulators,
  entraUrl,
  newHandler,
  uniqueUsername,
  useEmulatorUser,
} from './harness.js';

const username = uniqueUsername('exchange');
const body = { currentPassword: 'Wrong-Passw0rd!', newPassword: 'Never-Applied1!' };

useEmulatorUser(username, 'Old-Passw0rd!');

async function send(handler = newHandler()) {
  return call(handler, { token: await mintToken(entraUrl, { username }), body });
}
const failToken = (mode: TokenFailureMode) => addFailure(entraUrl, { target: 'token', mode });

describe('the token endpoint', () => {
  it('answering 307 is not followed: the secret and the assertion go nowhere else', async () => {
    await failToken('redirect');
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('token_exchange_rejected');
    const stats = await getStats(entraUrl);
    expect(stats.token).toBe(1);
    expect(stats.sink).toBe(0);
    expect(stats.graph).toBe(0);
    expect(reply.logs.join('\n')).toContain('entraError=redirect');
  });

  it('answering 300 MB is refused after at most 64 KiB, at once', async () => {
    await failToken('huge');
    const started = Date.now();
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('token_exchange_rejected');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await getStats(entraUrl)).hugeBytesSent).toBeLessThan(16 * 1024 * 1024);
    expect(reply.logs.join('\n')).toContain('entraError=response_too_large');
  });

  it('stalling after the headers is 504 token_exchange_timeout', async () => {
    await failToken('stall_body');
    const started = Date.now();
    const reply = await send(newHandler({ GRAPH_TIMEOUT_MS: '400' }));
    expect(reply.status).toBe(504);
    expect(reply.json?.error?.code).toBe('token_exchange_timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('cannot forge a log line with a newline in its error', async () => {
    await failToken('forged_log');
    const reply = await send();
    expect(reply.status).toBe(502);
    expect(reply.logs).toHaveLength(1);
    const [line] = reply.logs;
    expect(line).not.toMatch(/[\r\n]/);
    expect(line?.match(/outcome=/g)).toHaveLength(1);
    expect(line).toContain('outcome=token_exchange_rejected status=502');
    expect(line).toMatch(/ entraError=[A-Za-z0-9._-]{1,64} aadsts=7000215 /);
  });
});

describe('the managed identity credential', () => {
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  const managedIdentity = (timeoutMs: string) =>
    newHandler({
      AZURE_CLIENT_SECRET: undefined,
      MANAGED_IDENTITY_CLIENT_ID: emulators.managedIdentityClientId,
      GRAPH_TIMEOUT_MS: timeoutMs,
    });
  beforeAll(() => {
    process.env.IDENTITY_ENDPOINT = emulators.managedIdentityEndpoint;
    process.env.IDENTITY_HEADER = emulators.managedIdentityHeader;
  });
  afterAll(() => {
    for (const [key, value] of [
      ['IDENTITY_ENDPOINT', saved.endpoint],
      ['IDENTITY_HEADER', saved.header],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('is bounded by the same timeout when its endpoint hangs: 502 credential_unavailable', async () => {
    await addFailure(entraUrl, { target: 'msi', mode: 'hang' });
    const started = Date.now();
    const reply = await send(managedIdentity('500'));
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('credential_unavailable');
    expect(Date.now() - started).toBeLessThan(3000);
    const stats = await getStats(entraUrl);
    expect(stats.msi).toBe(1);
    expect(stats.token).toBe(0);
  });

  it('works when its endpoint answers', async () => {
    const reply = await send(managedIdentity('5000'));
    expect(reply.json?.error?.code).toBe('Request_BadRequest');
    expect((await getStats(entraUrl)).msi).toBe(1);
  });
});
