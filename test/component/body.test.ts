import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createUser,
  getStats,
  getUser,
  mintToken,
  resetStats,
} from '../../emulators/control-client.js';
import { call, entraUrl, newHandler, uniqueUsername } from './harness.js';

const handler = newHandler();
const username = uniqueUsername('body');
let token: string;

beforeAll(async () => {
  await createUser(entraUrl, { username, password: 'Old-Passw0rd!' });
  token = await mintToken(entraUrl, { username });
});
beforeEach(() => resetStats(entraUrl));

async function expectNoUpstreamCall() {
  const stats = await getStats(entraUrl);
  expect(stats.token + stats.graph).toBe(0);
  expect((await getUser(entraUrl, username)).passwordChanges).toBe(0);
}

describe('body problems are answered before any upstream call', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['form encoding', 'application/x-www-form-urlencoded'],
    ['no content type', null],
  ])('%s: 415', async (_, contentType) => {
    const reply = await call(handler, {
      token,
      contentType,
      rawBody: '{"currentPassword":"a","newPassword":"b"}',
    });
    expect(reply.status).toBe(415);
    expect(reply.json?.error?.code).toBe('unsupported_media_type');
    await expectNoUpstreamCall();
  });

  it('a body over 4 KiB: 413', async () => {
    const reply = await call(handler, {
      token,
      rawBody: JSON.stringify({ currentPassword: 'a'.repeat(5000), newPassword: 'b' }),
    });
    expect(reply.status).toBe(413);
    expect(reply.json?.error?.code).toBe('payload_too_large');
    await expectNoUpstreamCall();
  });

  it.each([
    ['not JSON', 'currentPassword=a&newPassword=b', 'invalid_json', 'body'],
    ['an array', '[]', 'invalid_request', 'body'],
    ['missing newPassword', '{"currentPassword":"Secret-One1"}', 'invalid_request', 'newPassword'],
    [
      'a non-string field',
      '{"currentPassword":"Secret-One1","newPassword":42}',
      'invalid_request',
      'newPassword',
    ],
    [
      'an empty field',
      '{"currentPassword":"","newPassword":"Secret-Two2"}',
      'invalid_request',
      'currentPassword',
    ],
    [
      'an extra field',
      '{"currentPassword":"Secret-One1","newPassword":"Secret-Two2","id":"u"}',
      'invalid_request',
      'body',
    ],
  ])('%s: 400 naming the field', async (_, rawBody, code, field) => {
    const reply = await call(handler, { token, rawBody });
    expect(reply.status).toBe(400);
    expect(reply.json?.error?.code).toBe(code);
    if (code === 'invalid_request') expect(reply.json?.error?.target).toBe(field);
    expect(reply.body).not.toContain('Secret-');
    await expectNoUpstreamCall();
  });

  it('checks the token before the body', async () => {
    const reply = await call(handler, { rawBody: 'not json' });
    expect(reply.status).toBe(401);
  });
});
