import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import {
  API_CLIENT_ID,
  GRAPH_RESOURCE,
  GRAPH_SCOPES,
  MANAGED_IDENTITY_CLIENT_ID,
  MANAGED_IDENTITY_PRINCIPAL_ID,
  SPA_CLIENT_ID,
  TENANT_ID,
  TOKEN_EXCHANGE_AUDIENCE,
} from './constants.js';
import { type EmulatorContext, issuerFor, v1IssuerFor } from './context.js';
import type { User } from './state.js';
import type { MintTokenRequest } from './types.js';

/** Service principal object id used as sub of app-only tokens. */
const SPA_SERVICE_PRINCIPAL_ID = 'c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f';

const nowSeconds = () => Math.floor(Date.now() / 1000);
// Entra's uti: a unique token identifier, 22 base64url characters.
const uti = () => randomBytes(16).toString('base64url');

/** A user (or app-only) access token for the API, as the SPA would get it from Entra. */
export function mintUserToken(
  ctx: EmulatorContext,
  req: MintTokenRequest,
  user: User | undefined,
): Promise<string> {
  const tid = req.tenantId ?? TENANT_ID;
  const v1 = req.version === 1;
  const now = nowSeconds();
  const exp = now + (req.expiresInSeconds ?? 3600);
  const iat = exp > now ? now : exp - 3600;
  const scope = req.scope ?? 'access_as_user';
  const clientId = req.clientId ?? SPA_CLIENT_ID;
  const claims: JWTPayload = {
    aud: req.audience ?? `api://${API_CLIENT_ID}`,
    iss: req.issuer ?? (v1 ? v1IssuerFor(tid) : issuerFor(ctx, tid)),
    iat,
    nbf: req.notBeforeSeconds ? now + req.notBeforeSeconds : iat,
    exp,
    tid,
    uti: uti(),
    ver: v1 ? '1.0' : '2.0',
    ...(v1 ? { appid: clientId, appidacr: '0' } : { azp: clientId, azpacr: '0' }),
  };
  if (req.acrs?.length) claims.acrs = req.acrs;
  if (req.idtyp !== undefined) claims.idtyp = req.idtyp;
  if (req.appOnly) {
    Object.assign(claims, {
      sub: SPA_SERVICE_PRINCIPAL_ID,
      roles: ['access_as_application'],
      idtyp: 'app',
    });
  } else if (user) {
    Object.assign(claims, {
      oid: user.oid,
      sub: user.oid,
      name: user.displayName,
      amr: req.mfa ? ['pwd', 'mfa'] : ['pwd'],
      ...(v1
        ? { upn: user.username, unique_name: user.username }
        : { preferred_username: user.username }),
      ...(scope ? { scp: scope } : {}),
    });
  }
  return ctx.keys.sign(claims, req.alg);
}

export const ID_TOKEN_LIFETIME = 3600;

/**
 * The ID token of an interactive sign-in (v2.0): audience the client, the request's nonce,
 * and a pairwise sub, as Entra issues it to a SPA.
 */
export function mintIdToken(
  ctx: EmulatorContext,
  user: User,
  clientId: string,
  nonce: string | undefined,
): Promise<string> {
  const now = nowSeconds();
  return ctx.keys.sign({
    aud: clientId,
    iss: issuerFor(ctx, TENANT_ID),
    iat: now,
    nbf: now,
    exp: now + ID_TOKEN_LIFETIME,
    name: user.displayName,
    ...(nonce ? { nonce } : {}),
    // MSAL.js asks for it (optional claim) and sends it back as login_hint / logout_hint.
    login_hint: user.username,
    oid: user.oid,
    preferred_username: user.username,
    sub: createHash('sha256').update(`${user.oid}:${clientId}`).digest('base64url').slice(0, 43),
    tid: TENANT_ID,
    uti: uti(),
    ver: '2.0',
  });
}

/** client_info of token and authorization responses: base64url of {"uid","utid"} (MSAL's home account id). */
export function clientInfo(user: User): string {
  return Buffer.from(JSON.stringify({ uid: user.oid, utid: TENANT_ID })).toString('base64url');
}

export const GRAPH_TOKEN_LIFETIME = 3600;

/** The delegated Graph token issued by the OBO exchange. */
export function mintGraphToken(
  ctx: EmulatorContext,
  user: User,
  clientId: string,
  amr: unknown,
): Promise<string> {
  const now = nowSeconds();
  return ctx.keys.sign({
    aud: GRAPH_RESOURCE,
    iss: issuerFor(ctx, TENANT_ID),
    iat: now,
    nbf: now,
    exp: now + GRAPH_TOKEN_LIFETIME,
    oid: user.oid,
    sub: user.oid,
    tid: TENANT_ID,
    scp: GRAPH_SCOPES,
    appid: clientId,
    azp: clientId,
    upn: user.username,
    unique_name: user.username,
    name: user.displayName,
    amr: Array.isArray(amr) ? amr : ['pwd'],
    idtyp: 'user',
    uti: uti(),
    ver: '2.0',
  });
}

export const MANAGED_IDENTITY_TOKEN_LIFETIME = 86_400;

/** Token of the user-assigned managed identity for api://AzureADTokenExchange. */
export function mintManagedIdentityToken(
  ctx: EmulatorContext,
  now = nowSeconds(),
  audience = TOKEN_EXCHANGE_AUDIENCE,
): Promise<string> {
  return ctx.keys.sign({
    aud: audience,
    iss: issuerFor(ctx, TENANT_ID),
    iat: now,
    nbf: now,
    exp: now + MANAGED_IDENTITY_TOKEN_LIFETIME,
    oid: MANAGED_IDENTITY_PRINCIPAL_ID,
    sub: MANAGED_IDENTITY_PRINCIPAL_ID,
    tid: TENANT_ID,
    azp: MANAGED_IDENTITY_CLIENT_ID,
    appid: MANAGED_IDENTITY_CLIENT_ID,
    idtyp: 'app',
    uti: uti(),
    ver: '2.0',
  });
}
