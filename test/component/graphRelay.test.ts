// What a hostile or broken Graph sends back is relayed only through the allow-list.
import { describe, expect, it } from 'vitest';
import { addFailure, getStats, mintToken } from '../../emulators/control-client.js';
import type { GraphFailureMode } from '../../emulators/types.js';
import {
  allLogLines,
  call,
  emulators,
  entraUrl,
  newHandler,
  uniqueUsername,
  useEmulatorUser,
} from './harness.js';

const handler = newHandler();
const username = uniqueUsername('relay');
const PASSWORD = 'Old-Passw0rd!';
/** Characters JSON may escape: a raw-text search of the answer would not find these. */
const hostilePasswords = { currentPassword: 'Cur/"rent-Pa55', newPassword: 'N\u00e9w/Pa55"word!' };

useEmulatorUser(username, PASSWORD);

async function send(body: object, target = handler) {
  return call(target, { token: await mintToken(entraUrl, { username }), body });
}
const failGraph = (mode: GraphFailureMode) => addFailure(entraUrl, { target: 'graph', mode });

function expectBadResponse(reply: Awaited<ReturnType<typeof send>>) {
  expect(reply.status).toBe(502);
  expect(reply.json?.error?.code).toBe('graph_bad_response');
}

describe('only what the allow-list names is relayed', () => {
  it('a status Graph does not document (418) is 502 graph_bad_response', async () => {
    await failGraph('unknown_status');
    expectBadResponse(await send(hostilePasswords));
  });

  it('keeps error.code, error.message and innerError request-id, client-request-id and date only', async () => {
    await failGraph('extra_fields');
    const reply = await send(hostilePasswords);
    expect(reply.status).toBe(400);
    const body = JSON.parse(reply.body);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error)).toEqual(['code', 'message', 'innerError']);
    expect(Object.keys(body.error.innerError).sort()).toEqual([
      'client-request-id',
      'date',
      'request-id',
    ]);
    expect(reply.body).not.toMatch(/stackTrace|sql:|someone\.else|details|debug/);
  });

  it("Graph's real errors keep their shape", async () => {
    const reply = await send({ currentPassword: 'Wrong-Passw0rd!', newPassword: 'X-Passw0rd!1' });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({
      error: {
        code: 'Request_BadRequest',
        message: 'Invalid currentPassword.',
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
          'request-id': reply.headers['request-id'],
          'client-request-id': reply.headers['client-request-id'],
        },
      },
    });
  });
});

describe('the password-echo guard works on parsed values', () => {
  it('catches passwords echoed with JSON escapes (\\uXXXX, \\/, \\")', async () => {
    await failGraph('echo_escaped');
    const reply = await send(hostilePasswords);
    expectBadResponse(reply);
    for (const password of Object.values(hostilePasswords)) {
      expect(reply.body).not.toContain(password);
      expect(reply.logs.join('\n')).not.toContain(password);
    }
  });

  it.each([
    ['a one-letter current password', { currentPassword: 'e', newPassword: 'a' }],
    [
      'a current password that is a word of the message',
      { currentPassword: 'Invalid', newPassword: 'x' },
    ],
  ])("relays Graph's error for %s instead of a 502", async (_, body) => {
    const reply = await send(body);
    expect(reply.status).toBe(400);
    expect(reply.json?.error?.message).toBe('Invalid currentPassword.');
  });

  it("relays Graph's complexity error for the new password 'password'", async () => {
    const reply = await send({ currentPassword: PASSWORD, newPassword: 'password' });
    expect(reply.status).toBe(400);
    expect(reply.json?.error?.message).toContain('password complexity');
  });

  it('does not relay an error that quotes the bearer token', async () => {
    await failGraph('echo_token');
    const reply = await send(hostilePasswords);
    expectBadResponse(reply);
    expect(reply.body).not.toMatch(/eyJ/);
  });
});

describe('headers are relayed only when they are what their grammar allows', () => {
  it('drops a Retry-After that is not delta-seconds or an HTTP-date, a non-Bearer challenge and a request-id that is not an id', async () => {
    await failGraph('bad_headers');
    const reply = await send(hostilePasswords);
    expect(reply.status).toBe(429);
    expect(reply.json?.error?.code).toBe('TooManyRequests');
    expect(reply.headers['retry-after']).toBeUndefined();
    expect(reply.headers['www-authenticate']).toBeUndefined();
    expect(reply.headers['request-id']).toBeUndefined();
  });

  it("re-issues Graph's CAE challenge as this API's, with Graph's claims", async () => {
    await failGraph('cae');
    const reply = await send(hostilePasswords);
    expect(reply.status).toBe(401);
    const header = reply.headers['www-authenticate'] ?? '';
    const claims = /claims="([^"]+)"/.exec(header)?.[1] ?? '';
    expect(header).toBe(
      `Bearer realm="", authorization_uri="${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/authorize", client_id="${emulators.apiClientId}", error="insufficient_claims", claims="${claims}"`,
    );
    expect(JSON.parse(Buffer.from(claims, 'base64').toString())).toEqual({
      access_token: { nbf: { essential: true, value: expect.stringMatching(/^\d+$/) } },
    });
  });

  it("answers Graph's plain 401 with this API's challenge, not Graph's", async () => {
    await failGraph('unauthorized');
    const reply = await send(hostilePasswords);
    expect(reply.status).toBe(401);
    expect(reply.json?.error?.code).toBe('InvalidAuthenticationToken');
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="", authorization_uri="${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/authorize", client_id="${emulators.apiClientId}"`,
    );
  });
});

describe('bodies are read with a 64 KiB cap', () => {
  it.each([
    ['with Content-Length', 'huge'],
    ['chunked', 'huge_chunked'],
  ] as const)('a 300 MB error body %s is 502 at once', async (_, mode) => {
    await failGraph(mode);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    expectBadResponse(await send(hostilePasswords));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    expect((await getStats(entraUrl)).hugeBytesSent).toBeLessThan(16 * 1024 * 1024);
  });

  it('an error body that stalls after the headers is 502 graph_bad_response: Graph refused, nothing changed', async () => {
    await failGraph('stall_body');
    const started = Date.now();
    const reply = await send(hostilePasswords, newHandler({ GRAPH_TIMEOUT_MS: '400' }));
    expect(reply.status).toBe(502);
    expect(reply.json?.error?.code).toBe('graph_bad_response');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

it('no relayed answer or log line of this file carries a submitted password', () => {
  for (const password of Object.values(hostilePasswords)) {
    expect(allLogLines.join('\n')).not.toContain(password);
  }
});
