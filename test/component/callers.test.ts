// Whom the API serves: the client apps it admits, the authentication context it requires, and
// tokens that only look like a user's.
import { describe, expect, it } from 'vitest';
import { SPA_CLIENT_ID } from '../../emulators/constants.js';
import { getStats, mintToken } from '../../emulators/control-client.js';
import type { MintTokenRequest } from '../../emulators/types.js';
import {
  call,
  emulators,
  entraUrl,
  newHandler,
  uniqueUsername,
  useEmulatorUser,
} from './harness.js';

const username = uniqueUsername('callers');
const wrong = { currentPassword: 'Wrong-Passw0rd!', newPassword: 'Never-Applied1!' };
const OTHER_CLIENT = 'f0e1d2c3-b4a5-4968-8776-655443322110';
const STEP_UP = { access_token: { acrs: { essential: true, value: 'c1' } } };

useEmulatorUser(username, 'Old-Passw0rd!');

async function send(handler: ReturnType<typeof newHandler>, token: Partial<MintTokenRequest> = {}) {
  return call(handler, { token: await mintToken(entraUrl, { username, ...token }), body: wrong });
}

/** Past the token check, Graph refused the wrong current password. */
function expectAdmitted(reply: Awaited<ReturnType<typeof send>>) {
  expect(reply.status).toBe(400);
  expect(reply.json?.error?.code).toBe('Request_BadRequest');
}

async function expectNoUpstreamCall() {
  const stats = await getStats(entraUrl);
  expect(stats.token + stats.graph).toBe(0);
}

describe('ALLOWED_CLIENT_APP_IDS', () => {
  const onlyTheSpa = newHandler({ ALLOWED_CLIENT_APP_IDS: SPA_CLIENT_ID.toUpperCase() });

  it('admits a token obtained by a listed client app (azp)', async () => {
    expectAdmitted(await send(onlyTheSpa));
  });

  it('refuses any other client app with 403 client_app_not_allowed, before any upstream call', async () => {
    const reply = await send(onlyTheSpa, { clientId: OTHER_CLIENT });
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe('client_app_not_allowed');
    await expectNoUpstreamCall();
  });

  // v1 tokens name the client app in appid (no azp). Entra issues them with the sts.windows.net
  // issuer, trusted only on the public cloud; here the emulator signs one with its own issuer.
  const v1 = (clientId?: string): Partial<MintTokenRequest> => ({
    version: 1,
    issuer: `${emulators.entraUrl}/${emulators.tenantId}/v2.0`,
    ...(clientId && { clientId }),
  });

  it('admits a v1 token obtained by a listed client app (appid)', async () => {
    expectAdmitted(await send(onlyTheSpa, v1()));
  });

  it('refuses a v1 token of any other client app', async () => {
    const reply = await send(onlyTheSpa, v1(OTHER_CLIENT));
    expect(reply.json?.error?.code).toBe('client_app_not_allowed');
    await expectNoUpstreamCall();
  });

  it('unset, admits any client app the tenant lets obtain the scope', async () => {
    expectAdmitted(await send(newHandler(), { clientId: OTHER_CLIENT }));
  });
});

describe('REQUIRED_AUTH_CONTEXT', () => {
  const stepUp = newHandler({ REQUIRED_AUTH_CONTEXT: 'c1' });

  it.each([
    ['without acrs', {}],
    ['with another authentication context', { acrs: ['c2'] }],
  ])('a token %s gets 401 insufficient_claims asking for it', async (_, token) => {
    const reply = await send(stepUp, token);
    expect(reply.status).toBe(401);
    expect(reply.json?.error?.code).toBe('insufficient_claims');
    const claims = reply.json?.error?.claims ?? '';
    expect(JSON.parse(Buffer.from(claims, 'base64').toString())).toEqual(STEP_UP);
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="", authorization_uri="${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/authorize", client_id="${emulators.apiClientId}", error="insufficient_claims", claims="${claims}"`,
    );
    await expectNoUpstreamCall();
  });

  it('a token whose acrs carries it goes through', async () => {
    expectAdmitted(await send(stepUp, { acrs: ['c2', 'c1'] }));
  });
});

describe('user tokens only', () => {
  it.each(['app', 'App', 'APP'])('refuses idtyp %j even with a scp', async (idtyp) => {
    const reply = await send(newHandler(), { idtyp });
    expect(reply.status).toBe(403);
    expect(reply.json?.error?.code).toBe('app_only_token');
    await expectNoUpstreamCall();
  });
});

describe('API_AUDIENCE', () => {
  it("refuses Graph's audience: a server_misconfigured 500, the log names the setting", async () => {
    const graphAudience = newHandler({ API_AUDIENCE: 'https://graph.microsoft.com' });
    const reply = await send(graphAudience, { audience: 'https://graph.microsoft.com' });
    expect(reply.status).toBe(500);
    expect(reply.json?.error?.code).toBe('server_misconfigured');
    expect(reply.logs.join('\n')).toContain('setting=API_AUDIENCE');
    await expectNoUpstreamCall();
  });
});
