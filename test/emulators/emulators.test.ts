// Tests of the Entra ID + Microsoft Graph emulators, started in-process.
//
// TLS trust: NODE_EXTRA_CA_CERTS is read only when a Node process starts, and the `undici`
// package (for a fetch Agent with `ca`) is not installed. So the test installs, as fetch's global
// dispatcher, a new instance of Node's bundled undici Agent that trusts the emulator certificate
// (see trustForFetch). That covers fetch, control-client.ts and msal-node 7 (which uses fetch).
// https.request with `ca` is used where a dedicated connection pool matters, and a child process
// started with the emulators' `env` proves the NODE_EXTRA_CA_CERTS path.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ManagedIdentityApplication,
} from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  createUser,
  getStats,
  getUser,
  mintToken,
  resetStats,
  setLatency,
} from '../../emulators/control-client.js';
import {
  DEMO_USERNAME,
  type Emulators,
  type FailureScope,
  GRAPH_APP_ID,
  type GraphFailureMode,
  MFA_POLICY_ID,
  startEmulators,
  TENANT_ID,
  type TokenFailureMode,
} from '../../emulators/index.js';

const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';
const COMPLEXITY =
  'The specified password does not comply with password complexity requirements. Please provide a different password.';

interface OboBody {
  token_type?: string;
  scope?: string;
  expires_in?: number;
  ext_expires_in?: number;
  access_token?: string;
  error?: string;
  error_description?: string;
  error_codes?: number[];
  timestamp?: string;
  trace_id?: string;
  correlation_id?: string;
  suberror?: string;
  claims?: string;
}

interface GraphErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

type Dispatcher = { close(): Promise<void> };
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Makes fetch trust `caPem` (plus the public roots); returns a function that undoes it. */
async function trustForFetch(caPem: string): Promise<() => Promise<void>> {
  await fetch('data:,'); // loads Node's bundled undici, which installs its global Agent
  const slot = globalThis as unknown as Record<symbol, Dispatcher>;
  const previous = slot[DISPATCHER];
  if (!previous) throw new Error('no global fetch dispatcher found');
  const Agent = previous.constructor as new (options: object) => Dispatcher;
  const agent = new Agent({ connect: { ca: [...rootCertificates, caPem] } });
  slot[DISPATCHER] = agent;
  return async () => {
    slot[DISPATCHER] = previous;
    await agent.close();
  };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** https.request with an explicit agent (and so its own CA and connection pool). */
function rawRequest(
  url: string,
  agent: https.Agent,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers, agent });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.end(init.body);
  });
}

let emu: Emulators;
let untrust: () => Promise<void>;
let userCount = 0;

beforeAll(async () => {
  emu = await startEmulators();
  untrust = await trustForFetch(await readFile(emu.caCertPath, 'utf8'));
}, 30_000);

afterEach(async () => {
  await clearFailures(emu.entraUrl);
  await setLatency(emu.entraUrl, 0);
});

afterAll(async () => {
  await untrust?.();
  await emu?.close();
});

async function newUser(options: { mfaRequired?: boolean } = {}) {
  const username = `user${++userCount}@contoso.test`;
  const password = 'Start-Passw0rd!';
  const { oid } = await createUser(emu.entraUrl, { username, password, ...options });
  return { username, password, oid };
}

async function obo(
  assertion: string,
  extra: Record<string, string> = {},
  tenant = emu.tenantId,
  signal?: AbortSignal,
): Promise<{ status: number; headers: Headers; body: OboBody }> {
  const res = await fetch(`${emu.entraUrl}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      assertion,
      scope: `${GRAPH_DEFAULT} offline_access openid profile`,
      client_id: emu.apiClientId,
      client_secret: emu.apiClientSecret,
      ...extra,
    }),
    signal,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as OboBody };
}

async function graphToken(username: string): Promise<string> {
  const { status, body } = await obo(await mintToken(emu.entraUrl, { username }));
  expect(status).toBe(200);
  return body.access_token ?? '';
}

function changePassword(
  token: string | undefined,
  body: unknown,
  init: { headers?: Record<string, string>; path?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${emu.graphUrl}${init.path ?? '/v1.0/me/changePassword'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...init.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

async function graphError(res: Response): Promise<GraphErrorBody['error']> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as GraphErrorBody).error;
}

describe('Entra discovery', () => {
  it('serves OpenID configuration, JWKS and instance discovery', async () => {
    const config = (await (
      await fetch(`${emu.entraUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: `${emu.entraUrl}/${TENANT_ID}/v2.0`,
      authorization_endpoint: `${emu.entraUrl}/${TENANT_ID}/oauth2/v2.0/authorize`,
      token_endpoint: `${emu.entraUrl}/${TENANT_ID}/oauth2/v2.0/token`,
      jwks_uri: `${emu.entraUrl}/${TENANT_ID}/discovery/v2.0/keys`,
      end_session_endpoint: `${emu.entraUrl}/${TENANT_ID}/oauth2/v2.0/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const common = (await (
      await fetch(`${emu.entraUrl}/common/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(common.issuer).toBe(`${emu.entraUrl}/{tenantid}/v2.0`);
    expect(common.token_endpoint).toBe(`${emu.entraUrl}/common/oauth2/v2.0/token`);

    const jwks = (await (await fetch(`${emu.entraUrl}/common/discovery/v2.0/keys`)).json()) as {
      keys: Record<string, string>[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(jwks.keys[0]?.kid).toBeTruthy();

    const host = new URL(emu.entraUrl).host;
    const authorize = `${emu.entraUrl}/${TENANT_ID}/oauth2/v2.0/authorize`;
    const instance = await fetch(
      `${emu.entraUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}`,
    );
    expect(await instance.json()).toEqual({
      tenant_discovery_endpoint: `${emu.entraUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });

    const unknownTenant = await fetch(
      `${emu.entraUrl}/contoso.test/v2.0/.well-known/openid-configuration`,
    );
    expect(unknownTenant.status).toBe(400);
    expect(((await unknownTenant.json()) as OboBody).error_codes).toEqual([90002]);
    const unknown = await fetch(`${emu.entraUrl}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('control API', () => {
  it('mints user tokens that verify against the published JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${emu.entraUrl}/${TENANT_ID}/discovery/v2.0/keys`));
    const demo = await getUser(emu.entraUrl, DEMO_USERNAME);
    const v2 = await jwtVerify(await mintToken(emu.entraUrl, { username: DEMO_USERNAME }), jwks, {
      issuer: `${emu.entraUrl}/${TENANT_ID}/v2.0`,
      audience: `api://${emu.apiClientId}`,
      algorithms: ['RS256'],
    });
    expect(v2.protectedHeader).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(v2.payload).toMatchObject({
      oid: demo.oid,
      sub: demo.oid,
      tid: TENANT_ID,
      scp: 'access_as_user',
      azp: emu.spaClientId,
      name: 'Demo User',
      preferred_username: DEMO_USERNAME,
      ver: '2.0',
      amr: ['pwd'],
    });
    expect(v2.payload.uti).toMatch(/^[\w-]{22}$/);
    expect((v2.payload.exp ?? 0) - (v2.payload.iat ?? 0)).toBe(3600);

    const v1 = decodeJwt(
      await mintToken(emu.entraUrl, { username: DEMO_USERNAME, version: 1, mfa: true }),
    );
    expect(v1).toMatchObject({
      iss: `https://sts.windows.net/${TENANT_ID}/`,
      ver: '1.0',
      appid: emu.spaClientId,
      upn: DEMO_USERNAME,
      amr: ['pwd', 'mfa'],
    });

    const app = decodeJwt(await mintToken(emu.entraUrl, { appOnly: true }));
    expect(app).toMatchObject({ idtyp: 'app', roles: ['access_as_application'] });
    expect(app.scp).toBeUndefined();
    expect(app.oid).toBeUndefined();

    const noScope = decodeJwt(
      await mintToken(emu.entraUrl, { username: DEMO_USERNAME, scope: '' }),
    );
    expect(noScope.scp).toBeUndefined();
    const custom = decodeJwt(
      await mintToken(emu.entraUrl, {
        username: DEMO_USERNAME,
        audience: 'https://example.test',
        tenantId: 'other',
        issuer: 'https://issuer.test/',
        notBeforeSeconds: 600,
      }),
    );
    expect(custom).toMatchObject({
      aud: 'https://example.test',
      tid: 'other',
      iss: 'https://issuer.test/',
    });
    expect((custom.nbf ?? 0) - (custom.iat ?? 0)).toBe(600);

    const ps256 = await mintToken(emu.entraUrl, { username: DEMO_USERNAME, alg: 'PS256' });
    expect(decodeProtectedHeader(ps256)).toMatchObject({
      alg: 'PS256',
      kid: v2.protectedHeader.kid,
    });
    const expired = await mintToken(emu.entraUrl, {
      username: DEMO_USERNAME,
      expiresInSeconds: -60,
    });
    await expect(jwtVerify(expired, jwks)).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('creates and reads users, validating input', async () => {
    const user = await newUser();
    expect(await getUser(emu.entraUrl, user.username.toUpperCase())).toEqual({
      oid: user.oid,
      username: user.username,
      password: user.password,
      passwordChanges: 0,
    });
    await expect(createUser(emu.entraUrl, user)).rejects.toThrow(/409/);
    await expect(getUser(emu.entraUrl, 'nobody@contoso.test')).rejects.toThrow(/404/);
    await expect(mintToken(emu.entraUrl, { username: 'nobody@contoso.test' })).rejects.toThrow(
      /404/,
    );
    const bad = await fetch(`${emu.entraUrl}/_emulator/failures`, {
      method: 'POST',
      body: JSON.stringify({ target: 'graph', mode: 'consent_required' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('On-Behalf-Of and changePassword', () => {
  it('exchanges a user token with the client secret, then changes the password once', async () => {
    const user = await newUser();
    const { status, headers, body } = await obo(
      await mintToken(emu.entraUrl, { username: user.username }),
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(body.scope).toContain('https://graph.microsoft.com/Directory.AccessAsUser.All');
    const graphClaims = decodeJwt(body.access_token ?? '');
    expect(graphClaims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `${emu.entraUrl}/${TENANT_ID}/v2.0`,
      scp: 'Directory.AccessAsUser.All User.Read',
      oid: user.oid,
      tid: TENANT_ID,
      appid: emu.apiClientId,
      azp: emu.apiClientId,
      upn: user.username,
    });
    expect((graphClaims.exp ?? 0) - (graphClaims.iat ?? 0)).toBe(3600);

    const newPassword = 'Changed-Passw0rd!';
    const ok = await changePassword(
      body.access_token,
      { currentPassword: user.password, newPassword },
      { headers: { 'client-request-id': 'my-request-1' } },
    );
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe('');
    expect(ok.headers.get('client-request-id')).toBe('my-request-1');
    expect(ok.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.get('x-ms-ags-diagnostic')).toContain('ServerInfo');
    expect(ok.headers.get('date')).toBeTruthy();
    expect(await getUser(emu.entraUrl, user.username)).toMatchObject({
      password: newPassword,
      passwordChanges: 1,
    });

    const again = await changePassword(body.access_token, {
      currentPassword: user.password,
      newPassword: 'Another-Passw0rd!',
    });
    expect(again.status).toBe(400);
    const error = await graphError(again);
    expect(error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'Invalid currentPassword.',
    });
    expect(error.innerError['request-id']).toBe(again.headers.get('request-id'));
    expect(error.innerError['client-request-id']).toBe(again.headers.get('client-request-id'));
    expect(error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('answers bad clients, grants, scopes and assertions with Entra errors', async () => {
    const user = await newUser();
    const good = await mintToken(emu.entraUrl, { username: user.username });
    const expect400 = async (
      result: Promise<{ status: number; body: OboBody }>,
      status: number,
      error: string,
      code: number,
    ) => {
      const { status: actual, body } = await result;
      expect({ status: actual, error: body.error, codes: body.error_codes }).toEqual({
        status,
        error,
        codes: [code],
      });
      expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
      expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.correlation_id).toBeTruthy();
    };
    await expect400(obo(good, { client_secret: 'wrong' }), 401, 'invalid_client', 7000215);
    const mint = (extra: object) => mintToken(emu.entraUrl, { username: user.username, ...extra });
    await expect400(obo(await mint({ expiresInSeconds: -10 })), 400, 'invalid_grant', 500133);
    await expect400(obo(await mint({ notBeforeSeconds: 600 })), 400, 'invalid_grant', 500133);
    await expect400(
      obo(await mint({ tenantId: 'f0f0f0f0-0000-4000-8000-000000000000' })),
      400,
      'invalid_grant',
      50013,
    );
    await expect400(
      obo(await mint({ audience: 'api://someone-else' })),
      400,
      'invalid_grant',
      50013,
    );
    await expect400(obo(await mint({ alg: 'PS256' })), 400, 'invalid_grant', 50013);
    await expect400(obo(await mint({ appOnly: true })), 400, 'invalid_grant', 50013);
    await expect400(obo('not-a-jwt'), 400, 'invalid_grant', 50013);
    await expect400(
      obo(good, { grant_type: 'client_credentials' }),
      400,
      'unsupported_grant_type',
      70003,
    );
    await expect400(obo(good, { scope: 'User.Read' }), 400, 'invalid_scope', 70011);
    await expect400(obo(good, { requested_token_use: '' }), 400, 'invalid_request', 900144);
    await expect400(obo(good, {}, 'contoso.test'), 400, 'invalid_request', 90002);
    await expect400(obo(good, { client_id: GRAPH_APP_ID }), 400, 'unauthorized_client', 700016);

    // v1 user tokens are valid assertions too, and the correlation id is echoed.
    const v1 = await obo(await mint({ version: 1 }), { 'client-request-id': 'corr-1' });
    expect(v1.status).toBe(200);
    const echoed = await obo(good, { client_secret: 'wrong', 'client-request-id': 'corr-2' });
    expect(echoed.body.correlation_id).toBe('corr-2');
  });

  it('makes Graph check the token, the scope, the body and password complexity', async () => {
    const user = await newUser();
    const token = await graphToken(user.username);
    const body = { currentPassword: user.password, newPassword: 'Valid-Passw0rd!' };

    const missing = await changePassword(undefined, body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
    );
    expect((await graphError(missing)).code).toBe('InvalidAuthenticationToken');

    const apiToken = await mintToken(emu.entraUrl, { username: user.username });
    const wrongAudience = await changePassword(apiToken, body);
    expect(wrongAudience.status).toBe(401);
    expect((await graphError(wrongAudience)).message).toBe(
      'Access token validation failure. Invalid audience.',
    );
    const graphLike = (extra: object) =>
      mintToken(emu.entraUrl, {
        username: user.username,
        audience: 'https://graph.microsoft.com',
        scope: 'Directory.AccessAsUser.All',
        ...extra,
      });
    const expired = await changePassword(await graphLike({ expiresInSeconds: -5 }), body);
    expect(expired.status).toBe(401);
    expect((await graphError(expired)).message).toBe(
      'Lifetime validation failed, the token is expired.',
    );
    const byAppId = await changePassword(await graphLike({ audience: GRAPH_APP_ID }), {
      ...body,
      newPassword: 'x',
    });
    expect((await graphError(byAppId)).message).toBe(COMPLEXITY); // accepted token, weak password
    const lowScope = await changePassword(await graphLike({ scope: 'User.Read' }), body);
    expect(lowScope.status).toBe(403);
    expect(await graphError(lowScope)).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });

    const notJson = await changePassword(token, JSON.stringify(body), {
      headers: { 'content-type': 'text/plain' },
    });
    expect(notJson.status).toBe(400);
    expect((await graphError(notJson)).code).toBe('Request_BadRequest');
    const noFields = await changePassword(token, { currentPassword: user.password });
    expect(noFields.status).toBe(400);

    for (const weak of [
      'Sh0rt!',
      'alllowercase1',
      'NoDigitsOrSymbols',
      'A1!'.repeat(90),
      user.password,
    ]) {
      const res = await changePassword(token, {
        currentPassword: user.password,
        newPassword: weak,
      });
      expect(res.status).toBe(400);
      expect(await graphError(res)).toMatchObject({
        code: 'Request_BadRequest',
        message: COMPLEXITY,
      });
    }
    expect((await getUser(emu.entraUrl, user.username)).passwordChanges).toBe(0);

    const beta = await changePassword(token, body, { path: '/beta/me/changePassword' });
    expect(beta.status).toBe(204);
    const unknown = await fetch(`${emu.graphUrl}/v1.0/me`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('requires MFA for an mfaRequired user unless the assertion has amr mfa', async () => {
    const user = await newUser({ mfaRequired: true });
    const { status, body } = await obo(await mintToken(emu.entraUrl, { username: user.username }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
    expect(JSON.parse(body.claims ?? '')).toEqual({
      access_token: { capolids: { essential: true, values: [MFA_POLICY_ID] } },
    });
    const withMfa = await obo(
      await mintToken(emu.entraUrl, { username: user.username, mfa: true }),
    );
    expect(withMfa.status).toBe(200);
    expect(decodeJwt(withMfa.body.access_token ?? '').amr).toEqual(['pwd', 'mfa']);
  });
});

describe('real MSAL (msal-node 7) against the emulators', () => {
  const authorityFor = async () => {
    const host = new URL(emu.entraUrl).host;
    const metadata = await (
      await fetch(`${emu.entraUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)
    ).text();
    return {
      authority: `${emu.entraUrl}/${TENANT_ID}`,
      knownAuthorities: [host], // skips instance discovery (login.microsoftonline.com)
      authorityMetadata: metadata, // skips OpenID discovery
    };
  };

  it('OBO with a certificate client assertion (PS256, x5t#S256, x5c)', async () => {
    const pem = await readFile(emu.apiClientCertificatePath, 'utf8');
    const cert = new X509Certificate(pem);
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emu.apiClientId,
        ...(await authorityFor()),
        clientCertificate: {
          thumbprintSha256: cert.fingerprint256.replaceAll(':', ''),
          privateKey: createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString(),
          x5c: cert.toString(),
        },
      },
    });
    const user = await newUser();
    await resetStats(emu.entraUrl);
    const result = await cca.acquireTokenOnBehalfOf({
      oboAssertion: await mintToken(emu.entraUrl, { username: user.username }),
      scopes: [GRAPH_DEFAULT],
    });
    expect(decodeJwt(result?.accessToken ?? '')).toMatchObject({
      oid: user.oid,
      appid: emu.apiClientId,
    });
    const stats = await getStats(emu.entraUrl);
    expect({ discovery: stats.discovery, token: stats.token }).toEqual({ discovery: 0, token: 1 });
    const res = await changePassword(result?.accessToken, {
      currentPassword: user.password,
      newPassword: 'Msal-Passw0rd!',
    });
    expect(res.status).toBe(204);

    // MSAL maps the MFA challenge to InteractionRequiredAuthError, claims included.
    const mfaUser = await newUser({ mfaRequired: true });
    const failure = await cca
      .acquireTokenOnBehalfOf({
        oboAssertion: await mintToken(emu.entraUrl, { username: mfaUser.username }),
        scopes: [GRAPH_DEFAULT],
      })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(InteractionRequiredAuthError);
    expect((failure as InteractionRequiredAuthError).claims).toContain(MFA_POLICY_ID);
  });

  it('OBO with a managed identity token as federated client assertion', async () => {
    const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
    process.env.IDENTITY_ENDPOINT = emu.managedIdentityEndpoint;
    process.env.IDENTITY_HEADER = emu.managedIdentityHeader;
    try {
      const mi = new ManagedIdentityApplication({
        managedIdentityIdParams: { userAssignedClientId: emu.managedIdentityClientId },
      });
      expect(mi.getManagedIdentitySource()).toBe('AppService');
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: emu.apiClientId,
          ...(await authorityFor()),
          clientAssertion: async () =>
            (await mi.acquireToken({ resource: 'api://AzureADTokenExchange' })).accessToken,
        },
      });
      const user = await newUser();
      const result = await cca.acquireTokenOnBehalfOf({
        oboAssertion: await mintToken(emu.entraUrl, { username: user.username }),
        scopes: [GRAPH_DEFAULT],
      });
      expect(decodeJwt(result?.accessToken ?? '').oid).toBe(user.oid);
    } finally {
      for (const [key, value] of [
        ['IDENTITY_ENDPOINT', saved.endpoint],
        ['IDENTITY_HEADER', saved.header],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }

    const msi = (query: string, header = emu.managedIdentityHeader) =>
      fetch(`${emu.managedIdentityEndpoint}?api-version=2019-08-01&${query}`, {
        headers: { 'X-IDENTITY-HEADER': header },
      });
    const resource = 'resource=api://AzureADTokenExchange';
    const ok = await msi(`${resource}&client_id=${emu.managedIdentityClientId}`);
    const okBody = (await ok.json()) as Record<string, string>;
    expect(okBody).toMatchObject({
      token_type: 'Bearer',
      resource: 'api://AzureADTokenExchange',
      client_id: emu.managedIdentityClientId,
    });
    expect(okBody.expires_on).toMatch(/^\d+$/);
    expect((await msi(`${resource}&client_id=${emu.managedIdentityClientId}`, 'bad')).status).toBe(
      401,
    );
    expect((await msi(`${resource}&client_id=${emu.apiClientId}`)).status).toBe(400);

    // A federated token whose subject is not registered on the API app is refused.
    const stranger = await mintToken(emu.entraUrl, {
      username: DEMO_USERNAME,
      audience: 'api://AzureADTokenExchange',
    });
    const refused = await obo(await mintToken(emu.entraUrl, { username: DEMO_USERNAME }), {
      client_secret: '',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: stranger,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error_codes).toEqual([70021]);
  });

  it('works from a fresh process configured only by `env` (NODE_EXTRA_CA_CERTS)', async () => {
    const user = await newUser();
    await resetStats(emu.entraUrl);
    const script = `
      import { ConfidentialClientApplication } from '@azure/msal-node';
      const env = process.env;
      const cca = new ConfidentialClientApplication({ auth: {
        clientId: env.AZURE_CLIENT_ID, clientSecret: env.AZURE_CLIENT_SECRET,
        authority: env.AZURE_AUTHORITY_HOST + '/' + env.AZURE_TENANT_ID,
        knownAuthorities: [new URL(env.AZURE_AUTHORITY_HOST).host] } });
      const result = await cca.acquireTokenOnBehalfOf({
        oboAssertion: env.ASSERTION, scopes: ['https://graph.microsoft.com/.default'] });
      const res = await fetch(env.GRAPH_BASE_URL + '/v1.0/me/changePassword', { method: 'POST',
        headers: { authorization: 'Bearer ' + result.accessToken, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: env.OLD_PASSWORD, newPassword: 'Child-Passw0rd!' }) });
      console.log(res.status);`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        env: {
          ...process.env,
          ...emu.env,
          ASSERTION: await mintToken(emu.entraUrl, { username: user.username }),
          OLD_PASSWORD: user.password,
        },
      },
    );
    expect(stdout.trim()).toBe('204');
    const stats = await getStats(emu.entraUrl);
    expect({ discovery: stats.discovery, token: stats.token }).toEqual({ discovery: 1, token: 1 });
    expect((await getUser(emu.entraUrl, user.username)).password).toBe('Child-Passw0rd!');
  }, 20_000);
});

describe('scripted failures', () => {
  it('token endpoint: every mode, per-user scoping and times', async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const aliceToken = await mintToken(emu.entraUrl, { username: alice.username });
    const bobToken = await mintToken(emu.entraUrl, { username: bob.username });
    const add = (mode: TokenFailureMode, extra: FailureScope = {}) =>
      addFailure(emu.entraUrl, { target: 'token', mode, ...extra });

    await add('interaction_required');
    const ir = await obo(aliceToken);
    expect(ir.status).toBe(400);
    expect(ir.body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
    expect(ir.body.claims).toContain('capolids');

    await add('consent_required');
    expect((await obo(aliceToken)).body).toMatchObject({
      error: 'invalid_grant',
      suberror: 'consent_required',
      error_codes: [65001],
    });
    expect((await obo(aliceToken)).status).toBe(200); // times defaults to 1

    await add('server_error');
    const server = await obo(aliceToken);
    expect({ status: server.status, error: server.body.error }).toEqual({
      status: 500,
      error: 'server_error',
    });

    await add('unavailable', { retryAfterSeconds: 7 });
    const unavailable = await obo(aliceToken);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error).toBe('temporarily_unavailable');
    expect(unavailable.headers.get('retry-after')).toBe('7');

    await add('reset');
    await expect(obo(aliceToken)).rejects.toThrow(/fetch failed/);

    await add('hang');
    await expect(obo(aliceToken, {}, TENANT_ID, AbortSignal.timeout(300))).rejects.toThrow(
      /aborted/,
    );

    await add('delay', { delayMs: 250 });
    const started = performance.now();
    expect((await obo(aliceToken)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);

    await add('server_error', { username: bob.username, times: 2 });
    expect((await obo(aliceToken)).status).toBe(200);
    expect((await obo(bobToken)).status).toBe(500);
    expect((await obo(bobToken)).status).toBe(500);
    expect((await obo(bobToken)).status).toBe(200);

    await add('server_error', { times: 5 });
    await clearFailures(emu.entraUrl);
    expect((await obo(bobToken)).status).toBe(200);
  });

  it('Graph: every mode, per-user scoping and times', async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const tokens = { alice: await graphToken(alice.username), bob: await graphToken(bob.username) };
    const passwords = { alice: alice.password, bob: bob.password };
    let n = 0;
    const change = (who: 'alice' | 'bob', signal?: AbortSignal) => {
      const newPassword = `Next-Passw0rd-${++n}`;
      return changePassword(
        tokens[who],
        { currentPassword: passwords[who], newPassword },
        { signal },
      ).then((res) => {
        if (res.status === 204) passwords[who] = newPassword;
        return res;
      });
    };
    const add = (mode: GraphFailureMode, extra: FailureScope = {}) =>
      addFailure(emu.entraUrl, { target: 'graph', mode, ...extra });

    await add('throttle', { retryAfterSeconds: 3 });
    const throttled = await change('alice');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect((await graphError(throttled)).code).toBe('TooManyRequests');
    expect((await change('alice')).status).toBe(204);

    await add('unavailable');
    const unavailable = await change('alice');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBeTruthy();
    expect((await graphError(unavailable)).code).toBe('serviceNotAvailable');

    await add('forbidden');
    const forbidden = await change('alice');
    expect(forbidden.status).toBe(403);
    expect((await graphError(forbidden)).code).toBe('Authorization_RequestDenied');

    await add('cae');
    const cae = await change('alice');
    expect(cae.status).toBe(401);
    expect((await graphError(cae)).code).toBe('InvalidAuthenticationToken');
    const challenge = cae.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_claims"');
    const claims = /claims="([^"]+)"/.exec(challenge)?.[1] ?? '';
    const decoded = JSON.parse(Buffer.from(claims, 'base64').toString('utf8'));
    expect(decoded.access_token.nbf).toMatchObject({
      essential: true,
      value: expect.stringMatching(/^\d+$/),
    });

    await add('non_json');
    const html = await change('alice');
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toContain('<html>');

    await add('reset');
    await expect(change('alice')).rejects.toThrow(/fetch failed/);

    await add('hang');
    await expect(change('alice', AbortSignal.timeout(300))).rejects.toThrow(/aborted/);

    await add('delay', { delayMs: 250 });
    const started = performance.now();
    expect((await change('alice')).status).toBe(204);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);

    await add('throttle', { username: bob.username, times: 2 });
    expect((await change('alice')).status).toBe(204);
    expect((await change('bob')).status).toBe(429);
    expect((await change('bob')).status).toBe(429);
    expect((await change('bob')).status).toBe(204);
    expect((await getUser(emu.entraUrl, alice.username)).password).toBe(passwords.alice);
  });
});

describe('stats, latency and shutdown', () => {
  it('counts requests, TLS connections (keep-alive) and Graph calls', async () => {
    const ca = await readFile(emu.caCertPath, 'utf8');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    const user = await newUser();
    const token = await graphToken(user.username);
    await resetStats(emu.entraUrl);
    try {
      for (const path of [
        `/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
        `/${TENANT_ID}/discovery/v2.0/keys`,
        '/common/discovery/instance?api-version=1.1',
      ]) {
        expect((await rawRequest(`${emu.entraUrl}${path}`, agent)).status).toBe(200);
      }
      const graphInit = {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'client-request-id': 'stats-1' },
      };
      for (let i = 0; i < 2; i++) {
        expect(
          (await rawRequest(`${emu.graphUrl}/v1.0/me/changePassword`, agent, graphInit)).status,
        ).toBe(400);
      }
      const stats = await getStats(emu.entraUrl);
      expect(stats).toMatchObject({
        discovery: 1,
        jwks: 1,
        instanceDiscovery: 1,
        token: 0,
        msi: 0,
        graph: 2,
      });
      // One TLS connection per server for this agent: keep-alive works. (+1 Entra for getStats.)
      expect(stats.tlsConnections.graph).toBe(1);
      expect(stats.tlsConnections.entra).toBeGreaterThanOrEqual(1);
      expect(stats.tlsConnections.entra).toBeLessThanOrEqual(2);
      expect(stats.graphCalls).toEqual([
        { oid: user.oid, clientRequestId: 'stats-1', status: 400 },
        { oid: user.oid, clientRequestId: 'stats-1', status: 400 },
      ]);
    } finally {
      agent.destroy();
    }
    await resetStats(emu.entraUrl);
    expect(await getStats(emu.entraUrl)).toMatchObject({ discovery: 0, graph: 0, graphCalls: [] });
  });

  it('adds latency to token, Graph and discovery answers', async () => {
    await setLatency(emu.entraUrl, 200);
    let started = performance.now();
    await fetch(`${emu.entraUrl}/${TENANT_ID}/discovery/v2.0/keys`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    started = performance.now();
    await changePassword(undefined, {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    started = performance.now();
    await getStats(emu.entraUrl); // the control API itself is never delayed
    expect(performance.now() - started).toBeLessThan(150);
  });

  it('close() ends hung requests and open connections at once', async () => {
    const other = await startEmulators();
    const agent = new https.Agent({
      keepAlive: true,
      ca: await readFile(other.caCertPath, 'utf8'),
    });
    const json = { 'content-type': 'application/json' };
    for (const target of ['token', 'graph']) {
      await rawRequest(`${other.entraUrl}/_emulator/failures`, agent, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ target, mode: 'hang' }),
      });
    }
    const hungToken = rawRequest(`${other.entraUrl}/${TENANT_ID}/oauth2/v2.0/token`, agent, {
      method: 'POST',
      body: 'grant_type=x',
    });
    const hungGraph = rawRequest(`${other.graphUrl}/v1.0/me/changePassword`, agent, {
      method: 'POST',
    });
    hungToken.catch(() => {});
    hungGraph.catch(() => {});
    for (let i = 0; i < 50; i++) {
      const stats = JSON.parse((await rawRequest(`${other.entraUrl}/_emulator/stats`, agent)).text);
      if (stats.token === 1 && stats.graph === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(hungToken).rejects.toThrow();
    await expect(hungGraph).rejects.toThrow();
    expect(existsSync(other.caCertPath)).toBe(false); // its temporary state dir is gone
    agent.destroy();
  }, 30_000);
});
