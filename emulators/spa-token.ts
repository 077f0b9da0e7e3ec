// POST /{tenant}/oauth2/v2.0/token for the SPA (a public client): the authorization_code grant
// (PKCE verified) and the refresh_token grant, redeemed cross-origin as MSAL.js does, so every
// answer carries CORS headers for loopback origins. The On-Behalf-Of grant stays in obo.ts.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { claimsStepUp, requestedAuthContexts, resolveResource } from './authorize.js';
import { GRAPH_APP_ID, KNOWN_TENANTS, SPA_CLIENT_ID, TENANT_ID } from './constants.js';
import type { EmulatorContext } from './context.js';
import { type EntraError, sendEntraError, unknownTenantError } from './entra-errors.js';
import { header, sendJson } from './http.js';
import { corsFor, loopbackOrigin } from './loopback.js';
import {
  type Grant,
  type Resource,
  SPA_REFRESH_TOKEN_LIFETIME_SECONDS,
  satisfiesStepUp,
} from './spa-grants.js';
import { clientInfo, mintIdToken, mintUserToken } from './tokens.js';

const ACCESS_TOKEN_LIFETIME = 3600;
export const SPA_GRANTS: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token']);

const missing = (name: string): EntraError => ({
  status: 400,
  error: 'invalid_request',
  code: 900144,
  message: `The request body must contain the following parameter: '${name}'.`,
});

const invalidGrant = (code: number, message: string): EntraError => ({
  status: 400,
  error: 'invalid_grant',
  code,
  message,
});

const EXPIRED = invalidGrant(
  70008,
  'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
);

/** The authorization_code and refresh_token grants of the SPA client. */
export async function handleSpaToken(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  tenant: string,
  form: URLSearchParams,
): Promise<void> {
  const cors = corsFor(req);
  const correlationId =
    header(req, 'client-request-id') ?? form.get('client-request-id') ?? randomUUID();
  const fail = (e: EntraError) =>
    sendEntraError(ctx, res, { ...e, headers: { ...e.headers, ...cors } }, correlationId);

  if (!KNOWN_TENANTS.has(tenant)) {
    return fail(unknownTenantError(tenant));
  }
  const clientId = form.get('client_id');
  if (!clientId) return fail(missing('client_id'));
  if (clientId !== SPA_CLIENT_ID) {
    return fail({
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
      message: `Application with identifier '${clientId}' was not found in the directory '${TENANT_ID}'.`,
    });
  }
  const origin = header(req, 'origin');
  if (!origin) {
    return fail(
      invalidGrant(
        9002327,
        "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
      ),
    );
  }
  if (!loopbackOrigin(req)) {
    return fail({
      status: 400,
      error: 'invalid_request',
      code: 9002326,
      message: `Cross-origin token redemption is permitted only from the application's registered origins (the emulator: localhost, 127.0.0.1, [::1]). Request origin: '${origin}'.`,
    });
  }

  let grant: Grant;
  let resource: Resource;
  let scopes: string[];
  let nonce: string | undefined;
  if (form.get('grant_type') === 'authorization_code') {
    const code = form.get('code');
    if (!code) return fail(missing('code'));
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) return fail(missing('redirect_uri'));
    const verifier = form.get('code_verifier');
    if (!verifier) return fail(missing('code_verifier'));
    const redeemed = ctx.state.spa.redeemCode(code);
    if (!redeemed.ok) {
      return fail(
        redeemed.reason === 'redeemed'
          ? invalidGrant(
              54005,
              'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
            )
          : EXPIRED,
      );
    }
    const issued = redeemed.code;
    if (issued.clientId !== clientId) {
      return fail(
        invalidGrant(70000, 'The provided authorization code was issued to another client.'),
      );
    }
    if (issued.redirectUri !== redirectUri) {
      return fail(
        invalidGrant(
          500112,
          `The reply address '${redirectUri}' does not match the reply address '${issued.redirectUri}' provided when requesting the authorization code.`,
        ),
      );
    }
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.codeChallenge) {
      return fail(
        invalidGrant(
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        ),
      );
    }
    grant = issued;
    resource = issued.resource;
    scopes = issued.scopes;
    nonce = issued.nonce;
  } else {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return fail(missing('refresh_token'));
    const found = ctx.state.spa.findRefreshToken(refreshToken);
    if (!found) return fail(EXPIRED);
    if (found.clientId !== clientId) {
      return fail(invalidGrant(70000, 'The refresh token was issued to another client.'));
    }
    const scope = form.get('scope');
    if (!scope) return fail(missing('scope'));
    const resolved = resolveResource(scope);
    if ('error' in resolved) return fail(resolved);
    const stepUp = claimsStepUp(form.get('claims'));
    if (stepUp === 'invalid') {
      return fail({
        status: 400,
        error: 'invalid_request',
        code: 90014,
        message: "The 'claims' parameter is not a valid JSON object.",
      });
    }
    if (stepUp && !satisfiesStepUp(found, requestedAuthContexts(form.get('claims')))) {
      // What Entra answers when the claims need an interactive sign-in: MSAL.js then throws
      // InteractionRequiredAuthError and the app signs in with a popup or a redirect.
      return fail({
        status: 400,
        error: 'interaction_required',
        code: 50076,
        message:
          'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.',
        claims: form.get('claims') ?? undefined,
      });
    }
    grant = { oid: found.oid, clientId: found.clientId, mfa: found.mfa, acrs: found.acrs };
    resource = resolved;
    scopes = scope.split(' ');
  }

  const user = ctx.state.findByOid(grant.oid);
  if (!user) return fail(invalidGrant(50034, 'The user account does not exist in the directory.'));
  const accessToken = await mintUserToken(
    ctx,
    {
      username: user.username,
      scope: resource.scp,
      ...(resource.kind === 'graph' ? { audience: GRAPH_APP_ID } : {}),
      mfa: grant.mfa,
      acrs: grant.acrs,
      expiresInSeconds: ACCESS_TOKEN_LIFETIME,
    },
    user,
  );
  sendJson(
    res,
    200,
    {
      token_type: 'Bearer',
      scope: resource.granted.join(' '),
      expires_in: ACCESS_TOKEN_LIFETIME - 1,
      ext_expires_in: ACCESS_TOKEN_LIFETIME - 1,
      access_token: accessToken,
      ...(scopes.includes('offline_access') && {
        refresh_token: ctx.state.spa.issueRefreshToken(grant),
        refresh_token_expires_in: SPA_REFRESH_TOKEN_LIFETIME_SECONDS - 1,
      }),
      ...(scopes.includes('openid') && {
        id_token: await mintIdToken(ctx, user, clientId, nonce),
      }),
      client_info: clientInfo(user),
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', ...cors },
  );
}
