// The emulated Entra ID's interactive sign-in for the SPA (emulators/authorize.ts, spa-token.ts):
// what MSAL.js needs, checked over HTTPS against the emulators of test/setup/emulators.ts.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { claimsStepUp, requestedAuthContexts } from '../../emulators/authorize.js';
import {
  addFailure,
  clearFailures,
  createUser,
  getStats,
  mintToken,
  resetStats,
} from '../../emulators/control-client.js';
import {
  API_CLIENT_ID,
  DEMO_USERNAME,
  GRAPH_APP_ID,
  MFA_POLICY_ID,
  SPA_CLIENT_ID,
} from '../../emulators/index.js';

const emulators = inject('emulators');
const { entraUrl, tenantId } = emulators;
const AUTHORIZE = `${entraUrl}/${tenantId}/oauth2/v2.0/authorize`;
const TOKEN = `${entraUrl}/${tenantId}/oauth2/v2.0/token`;
const SPA_ORIGIN = 'http://localhost:5173';
const REDIRECT_URI = `${SPA_ORIGIN}/`;
const API_SCOPE = `api://${API_CLIENT_ID}/access_as_user`;
const SCOPES = `${API_SCOPE} openid profile offline_access`;
// What MSAL.js 5 sends with clientCapabilities ['CP1'], and an MFA claims challenge merged into it.
const CP1 = JSON.stringify({
  id_token: {
    signin_state: { essential: false },
    login_hint: { essential: false },
    tenant_region_sub_scope: { essential: false },
  },
  access_token: { xms_cc: { values: ['CP1'] } },
});
const MFA_CLAIMS = JSON.stringify({
  access_token: {
    capolids: { essential: true, values: [MFA_POLICY_ID] },
    xms_cc: { values: ['CP1'] },
  },
});
const jwks = createRemoteJWKSet(new URL(`${entraUrl}/${tenantId}/discovery/v2.0/keys`));

let username: string;
let mfaUsername: string;

beforeAll(async () => {
  username = `spa-${randomUUID().slice(0, 8)}@contoso.test`;
  mfaUsername = `spa-mfa-${randomUUID().slice(0, 8)}@contoso.test`;
  await createUser(entraUrl, { username, password: 'Start-Passw0rd!', displayName: 'Spa User' });
  await createUser(entraUrl, {
    username: mfaUsername,
    password: 'Start-Passw0rd!',
    mfaRequired: true,
  });
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeParams(overrides: Record<string, string | undefined> = {}) {
  const params: Record<string, string | undefined> = {
    client_id: SPA_CLIENT_ID,
    scope: SCOPES,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    response_mode: 'fragment',
    code_challenge_method: 'S256',
    state: 'eyJpZCI6IjEifQ|app-state',
    nonce: randomUUID(),
    client_info: '1',
    claims: CP1,
    ...overrides,
  };
  return new URLSearchParams(
    Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { redirect: 'manual', headers });

function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
}

/** The parameters of an authorization response, from the fragment or the query. */
function responseParams(location: string | null): URLSearchParams {
  const url = new URL(location ?? 'about:blank');
  return new URLSearchParams(url.hash ? url.hash.slice(1) : url.search);
}

/** The sign-in page's hidden `request` field. */
function hiddenRequest(html: string): string {
  const value = /name="request" value="([^"]*)"/.exec(html)?.[1] ?? '';
  return value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");
}

/** Authorize, pick `user` on the sign-in page: the redirect to the app. */
async function signIn(user: string, overrides: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkce();
  const params = authorizeParams({ code_challenge: challenge, ...overrides });
  const page = await get(`${AUTHORIZE}?${params}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const redirect = await postForm(`${entraUrl}/${tenantId}/login`, {
    request: hiddenRequest(html),
    username: user,
  });
  return {
    verifier,
    params,
    html,
    redirect,
    response: responseParams(redirect.headers.get('location')),
  };
}

async function redeem(form: Record<string, string>, origin: string | null = SPA_ORIGIN) {
  const response = await postForm(
    TOKEN,
    { client_id: SPA_CLIENT_ID, ...form },
    origin ? { origin } : {},
  );
  return { response, body: (await response.json()) as Record<string, unknown> };
}

async function codeFlow(user: string, overrides: Record<string, string | undefined> = {}) {
  const { verifier, response } = await signIn(user, overrides);
  return redeem({
    grant_type: 'authorization_code',
    code: response.get('code') ?? '',
    redirect_uri: overrides.redirect_uri ?? REDIRECT_URI,
    code_verifier: verifier,
    scope: SCOPES,
    claims: CP1,
  });
}

describe('discovery for MSAL.js', () => {
  it('lists the authorization and end-session endpoints, readable cross-origin', async () => {
    const response = await get(`${entraUrl}/${tenantId}/v2.0/.well-known/openid-configuration`, {
      origin: SPA_ORIGIN,
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const config = (await response.json()) as Record<string, string>;
    expect(config.authorization_endpoint).toBe(AUTHORIZE);
    expect(config.token_endpoint).toBe(TOKEN);
    expect(config.end_session_endpoint).toBe(`${entraUrl}/${tenantId}/oauth2/v2.0/logout`);
    const keys = await get(`${entraUrl}/${tenantId}/discovery/v2.0/keys`, { origin: SPA_ORIGIN });
    expect(keys.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves a landing page to accept the certificate in a browser', async () => {
    const response = await get(`${entraUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers CORS preflights for loopback origins only', async () => {
    const preflight = (origin: string) =>
      fetch(TOKEN, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight('http://127.0.0.1:4280');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4280');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the sign-in page', () => {
  it('lists the directory users as buttons, the hinted one first, and carries the request', async () => {
    const { challenge } = pkce();
    const params = authorizeParams({
      code_challenge: challenge,
      login_hint: username,
      prompt: 'select_account',
    });
    const response = await get(`${AUTHORIZE}?${params}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('<h1>Pick an account</h1>');
    const buttons = [...html.matchAll(/name="username" value="([^"]+)"/g)].map((m) => m[1]);
    expect(buttons[0]).toBe(username);
    expect(buttons).toContain(DEMO_USERNAME);
    expect(hiddenRequest(html)).toBe(params.toString());
    expect(html).not.toContain('additional claims');
  });

  it("a known login_hint narrows the page to that account (MSAL.js sends the account's)", async () => {
    const { challenge } = pkce();
    const html = await (
      await get(
        `${AUTHORIZE}?${authorizeParams({ code_challenge: challenge, login_hint: username })}`,
      )
    ).text();
    expect([...html.matchAll(/name="username" value="([^"]+)"/g)].map((m) => m[1])).toEqual([
      username,
    ]);
  });

  it('says when the request asks for more claims (MFA)', async () => {
    const { challenge } = pkce();
    const params = authorizeParams({ code_challenge: challenge, claims: MFA_CLAIMS });
    const html = await (await get(`${AUTHORIZE}?${params}`)).text();
    expect(html).toContain('<h1>Verify your identity</h1>');
    expect(html).toContain('additional claims');
  });

  it('accepts the request as a form POST too', async () => {
    const { challenge } = pkce();
    const form = Object.fromEntries(authorizeParams({ code_challenge: challenge }));
    const response = await postForm(AUTHORIZE, form);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Pick an account');
  });

  it('a Cancel button: access_denied with error_subcode cancel', async () => {
    const { challenge } = pkce();
    const html = await (
      await get(`${AUTHORIZE}?${authorizeParams({ code_challenge: challenge })}`)
    ).text();
    const cancel = await postForm(`${entraUrl}/${tenantId}/login`, {
      request: hiddenRequest(html),
      cancel: '1',
    });
    expect(cancel.status).toBe(302);
    const params = responseParams(cancel.headers.get('location'));
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_subcode')).toBe('cancel');
    expect(params.get('state')).toBe('eyJpZCI6IjEifQ|app-state');
  });
});

describe('authorization code + PKCE', () => {
  it('redirects with code, client_info and state in the fragment, and sets a session cookie', async () => {
    const { redirect, response } = await signIn(username);
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.search).toBe('');
    expect(response.get('code')).toBeTruthy();
    expect(response.get('state')).toBe('eyJpZCI6IjEifQ|app-state');
    expect(response.get('session_state')).toBeTruthy();
    const info = JSON.parse(Buffer.from(response.get('client_info') ?? '', 'base64url').toString());
    expect(info).toEqual({ uid: expect.any(String), utid: tenantId });
    expect(redirect.headers.getSetCookie().join()).toMatch(
      /^emu_session=[\w-]+; Path=\/; Secure; HttpOnly; SameSite=None$/,
    );
  });

  it('puts the response in the query with response_mode=query', async () => {
    const { redirect } = await signIn(username, {
      response_mode: 'query',
      redirect_uri: 'http://127.0.0.1:3000/auth?x=1',
    });
    const location = new URL(redirect.headers.get('location') ?? '');
    expect(location.origin).toBe('http://127.0.0.1:3000');
    expect(location.searchParams.get('x')).toBe('1');
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.hash).toBe('');
  });

  it('redeems the code cross-origin: access, ID and refresh tokens, client_info, CORS', async () => {
    const nonce = randomUUID();
    const { response, body } = await codeFlow(username, { nonce });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(response.headers.get('cache-control')).toContain('no-store');
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: API_SCOPE,
      expires_in: expect.any(Number),
      ext_expires_in: expect.any(Number),
      refresh_token: expect.any(String),
      refresh_token_expires_in: expect.any(Number),
    });

    const { payload: access } = await jwtVerify(String(body.access_token), jwks, {
      algorithms: ['RS256'],
      issuer: `${entraUrl}/${tenantId}/v2.0`,
      audience: `api://${API_CLIENT_ID}`,
    });
    expect(access).toMatchObject({
      scp: 'access_as_user',
      azp: SPA_CLIENT_ID,
      amr: ['pwd'],
      preferred_username: username,
      tid: tenantId,
    });

    const idToken = String(body.id_token);
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256');
    const { payload: id } = await jwtVerify(idToken, jwks, {
      issuer: `${entraUrl}/${tenantId}/v2.0`,
      audience: SPA_CLIENT_ID,
    });
    expect(id).toMatchObject({
      nonce,
      oid: access.oid,
      tid: tenantId,
      preferred_username: username,
      login_hint: username,
      name: 'Spa User',
      ver: '2.0',
    });
    expect(id.sub).toMatch(/^[\w-]{43}$/);
    const info = JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString());
    expect(info).toEqual({ uid: access.oid, utid: tenantId });
  });

  it('login with OIDC scopes only: a Graph token', async () => {
    const { body } = await codeFlow(username, { scope: 'openid profile offline_access' });
    expect(body.scope).toBe('https://graph.microsoft.com/User.Read');
    const { payload } = await jwtVerify(String(body.access_token), jwks, {
      audience: GRAPH_APP_ID,
    });
    expect(payload.scp).toBe('User.Read');
  });

  it('refuses a second redemption, a wrong verifier and another redirect URI', async () => {
    const first = await signIn(username);
    const form = {
      grant_type: 'authorization_code',
      code: first.response.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: first.verifier,
      scope: SCOPES,
    };
    expect((await redeem(form)).response.status).toBe(200);
    const again = await redeem(form);
    expect(again.response.status).toBe(400);
    expect(again.response.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });

    const second = await signIn(username);
    const wrongVerifier = await redeem({
      ...form,
      code: second.response.get('code') ?? '',
      code_verifier: pkce().verifier,
    });
    expect(wrongVerifier.body).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });

    const third = await signIn(username);
    const otherRedirect = await redeem({
      ...form,
      code: third.response.get('code') ?? '',
      code_verifier: third.verifier,
      redirect_uri: 'http://localhost:5173/other',
    });
    expect(otherRedirect.body).toMatchObject({ error: 'invalid_grant', error_codes: [500112] });
  });

  it('redeems only cross-origin, from loopback origins', async () => {
    const redeemWith = async (origin: string | null) => {
      const { verifier, response } = await signIn(username);
      return redeem(
        {
          grant_type: 'authorization_code',
          code: response.get('code') ?? '',
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
          scope: SCOPES,
        },
        origin,
      );
    };
    const noOrigin = await redeemWith(null);
    expect(noOrigin.body).toMatchObject({ error: 'invalid_grant', error_codes: [9002327] });
    const foreign = await redeemWith('https://app.contoso.test');
    expect(foreign.body).toMatchObject({ error: 'invalid_request', error_codes: [9002326] });
    expect(foreign.response.headers.get('access-control-allow-origin')).toBeNull();
    const ipv6 = await redeemWith('http://[::1]:8080');
    expect(ipv6.response.status).toBe(200);
  });
});

describe('bad authorization requests', () => {
  it('shows a page, never redirects, for an unknown client or a foreign redirect URI', async () => {
    for (const [overrides, code] of [
      [{ redirect_uri: 'https://evil.example/' }, 50011],
      [{ client_id: randomUUID() }, 700016],
      [{ client_id: undefined }, 900144],
    ] as const) {
      const response = await get(`${AUTHORIZE}?${authorizeParams(overrides)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain(`AADSTS${code}`);
    }
    const tenant = await get(`${entraUrl}/contoso.test/oauth2/v2.0/authorize?${authorizeParams()}`);
    expect(await tenant.text()).toContain('AADSTS90002');
  });

  it.each([
    ['no PKCE', { code_challenge: undefined }, 'invalid_request', 9002325],
    [
      'plain PKCE',
      { code_challenge: 'x', code_challenge_method: 'plain' },
      'invalid_request',
      501491,
    ],
    [
      'implicit flow',
      { code_challenge: 'x', response_type: 'token' },
      'unsupported_response_type',
      700054,
    ],
    ['no scope', { code_challenge: 'x', scope: undefined }, 'invalid_request', 900144],
    [
      'an unknown API scope',
      { code_challenge: 'x', scope: `api://${API_CLIENT_ID}/other` },
      'invalid_scope',
      70011,
    ],
    [
      'two resources',
      { code_challenge: 'x', scope: `${API_SCOPE} User.Read` },
      'invalid_scope',
      28000,
    ],
    [
      'an unknown resource',
      { code_challenge: 'x', scope: 'api://unknown/read' },
      'invalid_resource',
      500011,
    ],
    ['malformed claims', { code_challenge: 'x', claims: '{nope' }, 'invalid_request', 90014],
    ['form_post', { code_challenge: 'x', response_mode: 'form_post' }, 'invalid_request', 900144],
  ] as const)('%s: redirects with the error and the state', async (_, overrides, error, code) => {
    const response = await get(`${AUTHORIZE}?${authorizeParams(overrides)}`);
    expect(response.status).toBe(302);
    const params = responseParams(response.headers.get('location'));
    expect(params.get('error')).toBe(error);
    expect(params.get('error_description')).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(params.get('state')).toBe('eyJpZCI6IjEifQ|app-state');
  });
});

describe('refresh tokens, claims challenges and MFA', () => {
  it.each([
    ['no claims', null, false],
    ["MSAL.js's own claims (CP1, optional ID token claims)", CP1, false],
    ['an MFA challenge (capolids)', MFA_CLAIMS, true],
    ['a CAE challenge (nbf)', '{"access_token":{"nbf":{"essential":true,"value":"1"}}}', true],
    [
      'an essential ID token claim',
      '{"id_token":{"acrs":{"essential":true,"values":["c1"]}}}',
      true,
    ],
    ['not JSON', '{nope', 'invalid'],
    ['not an object', '[]', 'invalid'],
  ] as const)('claims step-up: %s', (_, claims, expected) => {
    expect(claimsStepUp(claims)).toBe(expected);
  });

  it.each([
    ['value', '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}', ['c1']],
    ['values', '{"access_token":{"acrs":{"essential":true,"values":["c2","c3"]}}}', ['c2', 'c3']],
    ['no acrs', MFA_CLAIMS, []],
    ['not JSON', '{nope', []],
  ] as const)('authentication contexts asked for: %s', (_, claims, expected) => {
    expect(requestedAuthContexts(claims)).toEqual(expected);
  });

  it('refresh_token grant: new tokens (rotated refresh token), for another resource too', async () => {
    const { body } = await codeFlow(username);
    const refreshed = await redeem({
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
      scope: 'User.Read openid profile offline_access',
      claims: CP1,
    });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.response.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(refreshed.body.refresh_token).not.toBe(body.refresh_token);
    expect(refreshed.body.scope).toBe('https://graph.microsoft.com/User.Read');
    const unknown = await redeem({
      grant_type: 'refresh_token',
      refresh_token: 'not-a-refresh-token',
      scope: SCOPES,
    });
    expect(unknown.body).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
  });

  it('a claims challenge the session cannot meet silently: interaction_required', async () => {
    const { body } = await codeFlow(username);
    const challenged = await redeem({
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
      scope: SCOPES,
      claims: MFA_CLAIMS,
    });
    expect(challenged.response.status).toBe(400);
    expect(challenged.response.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    expect(challenged.body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
  });

  it('an interactive sign-in with claims records MFA, which the OBO MFA policy accepts', async () => {
    const plain = await codeFlow(mfaUsername);
    const obo = (assertion: string) =>
      postForm(TOKEN, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion,
        scope: 'https://graph.microsoft.com/.default',
        client_id: API_CLIENT_ID,
        client_secret: emulators.env.AZURE_CLIENT_SECRET ?? '',
      });
    const refused = await obo(String(plain.body.access_token));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'interaction_required' });

    const stepUp = await codeFlow(mfaUsername, { claims: MFA_CLAIMS });
    const { payload } = await jwtVerify(String(stepUp.body.access_token), jwks, {
      audience: `api://${API_CLIENT_ID}`,
    });
    expect(payload.amr).toEqual(['pwd', 'mfa']);
    expect((await obo(String(stepUp.body.access_token))).status).toBe(200);

    // The MFA sign-in's refresh token meets the same challenge silently.
    const refreshed = await redeem({
      grant_type: 'refresh_token',
      refresh_token: String(stepUp.body.refresh_token),
      scope: SCOPES,
      claims: MFA_CLAIMS,
    });
    expect(refreshed.response.status).toBe(200);
  });
});

describe('sessions and sign-out', () => {
  it('prompt=none: login_required without a session, a code with the session cookie', async () => {
    const { challenge } = pkce();
    const silent = authorizeParams({ code_challenge: challenge, prompt: 'none' });
    const none = await get(`${AUTHORIZE}?${silent}`);
    expect(responseParams(none.headers.get('location')).get('error')).toBe('login_required');

    const { redirect } = await signIn(username);
    const cookie = (redirect.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const withSession = await get(`${AUTHORIZE}?${silent}`, { cookie });
    expect(responseParams(withSession.headers.get('location')).get('code')).toBeTruthy();
    const otherHint = authorizeParams({
      code_challenge: challenge,
      prompt: 'none',
      login_hint: DEMO_USERNAME,
    });
    const mismatch = await get(`${AUTHORIZE}?${otherHint}`, { cookie });
    expect(responseParams(mismatch.headers.get('location')).get('error')).toBe('login_required');

    const logout = await get(
      `${entraUrl}/${tenantId}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
      { cookie },
    );
    expect(logout.status).toBe(302);
    expect(logout.headers.get('location')).toBe(REDIRECT_URI);
    expect(logout.headers.getSetCookie()[0]).toContain('Max-Age=0');
    const after = await get(`${AUTHORIZE}?${silent}`, { cookie });
    expect(responseParams(after.headers.get('location')).get('error')).toBe('login_required');
  });

  it('sign-out to a foreign URI: a page instead of a redirect', async () => {
    const logout = await get(
      `${entraUrl}/${tenantId}/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F`,
    );
    expect(logout.status).toBe(200);
    expect(await logout.text()).toContain('You signed out');
  });
});

describe('isolation from the On-Behalf-Of emulation', () => {
  it('counts SPA requests apart and leaves scripted token failures to the OBO grant', async () => {
    await resetStats(entraUrl);
    await clearFailures(entraUrl);
    await addFailure(entraUrl, { target: 'token', mode: 'unavailable' });
    try {
      const { response } = await codeFlow(username);
      expect(response.status).toBe(200);
      const stats = await getStats(entraUrl);
      expect(stats).toMatchObject({ authorize: 2, spaToken: 1, token: 0 });
      const assertion = await mintToken(entraUrl, { username });
      const obo = await postForm(TOKEN, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion,
        scope: 'https://graph.microsoft.com/.default',
        client_id: API_CLIENT_ID,
        client_secret: emulators.env.AZURE_CLIENT_SECRET ?? '',
      });
      expect(obo.status).toBe(503);
    } finally {
      await clearFailures(entraUrl);
    }
  });
});
