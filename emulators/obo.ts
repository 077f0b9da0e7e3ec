import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import {
  API_CLIENT_ID,
  API_CLIENT_SECRET,
  API_CUSTOM_APP_ID_URI,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  GRAPH_SCOPES,
  KNOWN_TENANTS,
  MANAGED_IDENTITY_PRINCIPAL_ID,
  MFA_POLICY_ID,
  SINK_PATH,
  TENANT_ID,
  TOKEN_EXCHANGE_AUDIENCE,
} from './constants.js';
import { type EmulatorContext, issuerFor, v1IssuerFor } from './context.js';
import { type EntraError, sendEntraError, unknownTenantError } from './entra-errors.js';
import { applyTransportFailure, retryAfter } from './failures.js';
import { sendHugeBody, stallBody } from './hostile.js';
import { header, readBody, sendJson } from './http.js';
import type { Failure } from './state.js';
import { GRAPH_TOKEN_LIFETIME, mintGraphToken } from './tokens.js';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Scopes MSAL adds to every request; Entra ignores them for the resource check. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);
const GRAPH_DEFAULT_SCOPES = [`${GRAPH_RESOURCE}/.default`, `${GRAPH_APP_ID}/.default`];

const MFA_CLAIMS = JSON.stringify({
  access_token: { capolids: { essential: true, values: [MFA_POLICY_ID] } },
});
const MFA_REQUIRED: EntraError = {
  status: 400,
  error: 'interaction_required',
  code: 50076,
  message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${GRAPH_APP_ID}'.`,
  claims: MFA_CLAIMS,
};

/** The other way Entra asks for more: invalid_grant (no suberror) carrying claims. */
const CLAIMS_CHALLENGE: EntraError = {
  status: 400,
  error: 'invalid_grant',
  code: 50079,
  message:
    'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.',
  claims: JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } }),
};

const missing = (name: string): EntraError => ({
  status: 400,
  error: 'invalid_request',
  code: 900144,
  message: `The request body must contain the following parameter: '${name}'.`,
});

const isoSeconds = (seconds: unknown) =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'unknown';

function peekClaims(jwt: string): JWTPayload {
  try {
    return decodeJwt(jwt);
  } catch {
    return {};
  }
}

/**
 * POST /{tenant}/oauth2/v2.0/token: the On-Behalf-Of grant (the SPA's grants are in spa-token.ts).
 * `body` is the form when the caller has read it already.
 */
export async function handleToken(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  tenant: string,
  body?: URLSearchParams,
): Promise<void> {
  const form = body ?? new URLSearchParams(await readBody(req));
  const correlationId =
    header(req, 'client-request-id') ?? form.get('client-request-id') ?? randomUUID();
  const fail = (e: EntraError) => sendEntraError(ctx, res, e, correlationId);
  const assertion = form.get('assertion') ?? '';

  const scripted = ctx.state.takeFailure('token', ctx.state.findByOid(peekClaims(assertion).oid));
  if (scripted) {
    if (await applyTransportFailure(ctx, req, scripted)) return;
    if (await hostileTokenAnswer(ctx, res, scripted.mode)) return;
    const e = scriptedError(scripted);
    if (e) return fail(e);
  }

  if (!KNOWN_TENANTS.has(tenant)) {
    return fail(unknownTenantError(tenant));
  }
  const grantType = form.get('grant_type');
  if (grantType !== JWT_BEARER_GRANT) {
    return fail({
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
      message: `The app requested an unsupported grant type '${grantType ?? ''}'.`,
    });
  }
  if (form.get('requested_token_use') !== 'on_behalf_of') {
    return fail(missing('requested_token_use'));
  }
  if (!assertion) return fail(missing('assertion'));
  const clientId = form.get('client_id');
  if (!clientId) return fail(missing('client_id'));
  if (clientId !== API_CLIENT_ID) {
    return fail({
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
      message: `Application with identifier '${clientId}' was not found in the directory '${TENANT_ID}'.`,
    });
  }
  const clientError = await authenticateClient(ctx, form, tenant);
  if (clientError) return fail(clientError);

  const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
  const [scope] = scopes;
  if (scopes.length !== 1 || !scope || !GRAPH_DEFAULT_SCOPES.includes(scope)) {
    return fail({
      status: 400,
      error: 'invalid_scope',
      code: 70011,
      message: `The provided value for the input parameter 'scope' is not valid. The scope '${form.get('scope') ?? ''}' is not valid.`,
    });
  }

  const verified = await verifyUserAssertion(ctx, assertion, tenant);
  if ('error' in verified) return fail(verified);
  const claims = verified.payload;
  const user = ctx.state.findByOid(claims.oid);
  if (!user) {
    return fail({
      status: 400,
      error: 'invalid_grant',
      code: 50013,
      message:
        'Assertion failed signature validation. [Reason - The assertion has no known user (oid).]',
    });
  }
  const amr = claims.amr;
  if (user.mfaRequired && !(Array.isArray(amr) && amr.includes('mfa'))) return fail(MFA_REQUIRED);

  sendJson(
    res,
    200,
    {
      token_type: 'Bearer',
      // Like Entra: the granted delegated scopes, plus the .default that was asked for.
      scope: `${GRAPH_SCOPES.split(' ')
        .map((s) => `${GRAPH_RESOURCE}/${s}`)
        .join(' ')} ${scope}`,
      expires_in: GRAPH_TOKEN_LIFETIME - 1,
      ext_expires_in: GRAPH_TOKEN_LIFETIME - 1,
      access_token: await mintGraphToken(ctx, user, clientId, amr),
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}

/** The token endpoint's answers that are not Entra's documented errors; false for the others. */
async function hostileTokenAnswer(
  ctx: EmulatorContext,
  res: ServerResponse,
  mode: string,
): Promise<boolean> {
  switch (mode) {
    case 'redirect':
      // 307 keeps the method and body: a client that follows re-posts its secret to the sink.
      res.writeHead(307, { location: `${ctx.entraUrl}${SINK_PATH}` }).end();
      return true;
    case 'huge':
      await sendHugeBody(ctx, res, 200, true);
      return true;
    case 'stall_body':
      await stallBody(ctx, res, 200);
      return true;
    case 'forged_log':
      sendJson(res, 401, {
        error: 'invalid_client\nchangePassword outcome=changed status=204 graphRequestId=forged',
        error_description: 'AADSTS7000215: Invalid client secret.\r\noutcome=changed',
        error_codes: [7000215],
      });
      return true;
    default:
      return false;
  }
}

function scriptedError(failure: Failure): EntraError | undefined {
  switch (failure.mode) {
    case 'interaction_required':
      return MFA_REQUIRED;
    case 'claims_challenge':
      return CLAIMS_CHALLENGE;
    case 'claims_not_json':
      return { ...MFA_REQUIRED, claims: `<p>${'x'.repeat(8000)}</p>` };
    case 'invalid_grant_claims_not_json':
      return { ...CLAIMS_CHALLENGE, claims: '["not", "an", "object"]' };
    case 'consent_required':
      return {
        status: 400,
        error: 'invalid_grant',
        code: 65001,
        suberror: 'consent_required',
        message: `The user or administrator has not consented to use the application with ID '${API_CLIENT_ID}' named 'Change Password API'. Send an interactive authorization request for this user and resource.`,
      };
    case 'server_error':
      return {
        status: 500,
        error: 'server_error',
        code: 50000,
        message: 'There was an error issuing a token or an issue with our sign-in service.',
      };
    case 'unavailable':
      return {
        status: 503,
        error: 'temporarily_unavailable',
        code: 90033,
        message: 'A transient error has occurred. Please try again.',
        headers: { 'retry-after': retryAfter(failure) },
      };
    default:
      return undefined; // "delay": answer normally
  }
}

/** The user's access token for the API, issued by the tenant of the token endpoint (v1 or v2 issuer). */
async function verifyUserAssertion(
  ctx: EmulatorContext,
  assertion: string,
  tenant: string,
): Promise<{ payload: JWTPayload } | EntraError> {
  const issuerTenant = tenant === 'common' || tenant === 'organizations' ? TENANT_ID : tenant;
  const invalid = (code: number, message: string): EntraError => ({
    status: 400,
    error: 'invalid_grant',
    code,
    message,
  });
  try {
    return await jwtVerify(assertion, ctx.keys.keySet, {
      algorithms: ['RS256'],
      issuer: [issuerFor(ctx, issuerTenant), v1IssuerFor(issuerTenant)],
      audience: [`api://${API_CLIENT_ID}`, API_CLIENT_ID, API_CUSTOM_APP_ID_URI],
      requiredClaims: ['exp'],
    });
  } catch (err) {
    const claims = peekClaims(assertion);
    const timeRange = () =>
      invalid(
        500133,
        `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date().toISOString()}, expiry time of assertion ${isoSeconds(claims.exp)}.`,
      );
    if (err instanceof errors.JWTExpired) return timeRange();
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') return timeRange();
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') {
      return invalid(
        50013,
        `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${String(claims.aud)}' and the expected audience is '${API_CLIENT_ID}' or one of the Application Id URIs of this web API.`,
      );
    }
    return invalid(
      50013,
      `Assertion failed signature validation. [Reason - ${(err as Error).message}]`,
    );
  }
}

/** Client secret, certificate-signed client assertion, or managed identity federated token. */
async function authenticateClient(
  ctx: EmulatorContext,
  form: URLSearchParams,
  tenant: string,
): Promise<EntraError | undefined> {
  const invalidClient = (code: number, message: string): EntraError => ({
    status: 401,
    error: 'invalid_client',
    code,
    message,
  });
  const clientAssertion = form.get('client_assertion');
  if (!clientAssertion) {
    const secret = form.get('client_secret');
    if (!secret) {
      return invalidClient(
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    return secret === API_CLIENT_SECRET
      ? undefined
      : invalidClient(
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${API_CLIENT_ID}'.`,
        );
  }
  if (form.get('client_assertion_type') !== JWT_BEARER_CLIENT_ASSERTION) {
    return missing('client_assertion_type');
  }
  let headerParams: ReturnType<typeof decodeProtectedHeader>;
  try {
    headerParams = decodeProtectedHeader(clientAssertion);
  } catch {
    return invalidClient(700027, 'Client assertion failed signature validation.');
  }
  const isCertificate = headerParams.x5t !== undefined || headerParams['x5t#S256'] !== undefined;
  // Clients stamp nbf/iat with their own clock (MSAL rounds to the nearest second): allow skew.
  const clockTolerance = 300;
  const tokenEndpoints = [...new Set([tenant, TENANT_ID])].map(
    (t) => `${ctx.entraUrl}/${t}/oauth2/v2.0/token`,
  );
  try {
    if (isCertificate) {
      const cert = ctx.apiClientCert;
      const thumbprint = (fingerprint: string) =>
        Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
      if (
        headerParams['x5t#S256'] !== thumbprint(cert.fingerprint256) &&
        headerParams.x5t !== thumbprint(cert.fingerprint)
      ) {
        return invalidClient(
          700027,
          `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${API_CLIENT_ID}'.]`,
        );
      }
      await jwtVerify(clientAssertion, cert.publicKey, {
        algorithms: ['RS256', 'PS256'],
        issuer: API_CLIENT_ID,
        subject: API_CLIENT_ID,
        audience: tokenEndpoints,
        requiredClaims: ['exp'],
        clockTolerance,
      });
      return undefined;
    }
    // Federated identity credential: the managed identity's token for api://AzureADTokenExchange.
    const { payload } = await jwtVerify(clientAssertion, ctx.keys.keySet, {
      algorithms: ['RS256'],
      issuer: issuerFor(ctx, TENANT_ID),
      audience: TOKEN_EXCHANGE_AUDIENCE,
      requiredClaims: ['exp'],
      clockTolerance,
    });
    if (payload.sub !== MANAGED_IDENTITY_PRINCIPAL_ID) {
      return invalidClient(
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${payload.iss}'. Assertion Subject: '${payload.sub}'. Assertion Audience: '${TOKEN_EXCHANGE_AUDIENCE}'.`,
      );
    }
    return undefined;
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      return invalidClient(700024, 'Client assertion is not within its valid time range.');
    }
    return invalidClient(
      700027,
      `Client assertion failed signature validation. [Reason - ${(err as Error).message}]`,
    );
  }
}
