import { errors, type JWTPayload, jwtVerify } from 'jose';
import { type Config, PUBLIC_CLOUD_AUTHORITY_HOST } from './config.js';
import { fail, type InvalidTokenReason, type Result } from './failures.js';
import { createSigningKeyResolver, SigningKeysUnavailable } from './signingKeys.js';

/** The signed-in user a request acts for, after its token has been verified. */
export interface Caller {
  /** The user's object id. */
  oid: string;
  /** The user's home tenant, where the On-Behalf-Of exchange happens. */
  tid: string;
  /** The verified access token, kept only to be exchanged On-Behalf-Of. */
  accessToken: string;
}

/** Real Entra tokens are a few KiB; anything far larger is not worth parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const CLOCK_TOLERANCE_SECONDS = 60;

/** Issuers of v2 tokens (and of v1 tokens on the public cloud, which uses sts.windows.net). */
export function trustedIssuers(config: Config): string[] {
  return config.allowedTenantIds.flatMap((tid) => [
    `${config.authorityHost}/${tid}/v2.0`,
    ...(config.authorityHost === PUBLIC_CLOUD_AUTHORITY_HOST
      ? [`https://sts.windows.net/${tid}/`]
      : []),
  ]);
}

function reasonFor(error: unknown): InvalidTokenReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not_yet_valid';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'iss') return 'issuer';
    return 'missing_claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEError) return 'malformed';
  // Not jose's verdict on the token: a bug, answered as internal_error by the handler.
  throw error;
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The front end that obtained the token: azp in v2 tokens, appid in v1 tokens. */
function isAllowedClientApp(payload: JWTPayload, config: Config): boolean {
  if (config.allowedClientAppIds.length === 0) return true;
  const clientApp = stringClaim(payload, payload.ver === '1.0' ? 'appid' : 'azp');
  return clientApp !== undefined && config.allowedClientAppIds.includes(clientApp.toLowerCase());
}

/** The Conditional Access authentication contexts the user satisfied are listed in acrs. */
function hasAuthContext(payload: JWTPayload, authContext: string): boolean {
  return Array.isArray(payload.acrs) && payload.acrs.includes(authContext);
}

const authContextClaims = (authContext: string): string =>
  JSON.stringify({ access_token: { acrs: { essential: true, value: authContext } } });

/**
 * Builds the access-token check. Entra's keys are fetched once and kept (signingKeys.ts says
 * when they are refetched), so the check lives as long as the app.
 *
 * @example
 * const validateAccessToken = createAccessTokenValidator(config);
 * const result = await validateAccessToken(request.headers.get('authorization'));
 * if (result.ok) console.log(result.value.oid);
 */
export function createAccessTokenValidator(config: Config) {
  const jwks = createSigningKeyResolver(
    new URL(`${config.authorityHost}/${config.tenantId}/discovery/v2.0/keys`),
    config.graphTimeoutMs,
  );
  const issuers = trustedIssuers(config);

  return async function validateAccessToken(authorization: string | null): Promise<Result<Caller>> {
    const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(authorization ?? '');
    if (!match?.[1]) {
      // No credentials, or another scheme: RFC 6750 §3.1 says challenge without an error code.
      return authorization && /^Bearer\b/i.test(authorization)
        ? fail({ code: 'invalid_token', reason: 'malformed' })
        : fail({ code: 'missing_token' });
    }
    const token = match[1];
    if (token.length > MAX_TOKEN_LENGTH)
      return fail({ code: 'invalid_token', reason: 'malformed' });

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        issuer: issuers,
        audience: config.audiences,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'tid'],
      }));
    } catch (error) {
      if (error instanceof SigningKeysUnavailable) {
        // Neither valid nor invalid: a 401 would send every client into a sign-in loop.
        return fail({
          code: 'signing_keys_unavailable',
          retryAfterSeconds: error.retryAfterSeconds,
        });
      }
      return fail({ code: 'invalid_token', reason: reasonFor(error) });
    }

    const tid = stringClaim(payload, 'tid');
    // The issuer names the tenant too; both must agree and be one we serve.
    if (!tid || !config.allowedTenantIds.includes(tid) || !payload.iss?.includes(`/${tid}/`)) {
      return fail({ code: 'invalid_token', reason: 'tenant' });
    }
    const scopes = (stringClaim(payload, 'scp') ?? '').split(' ');
    if (stringClaim(payload, 'idtyp')?.toLowerCase() === 'app' || (!payload.scp && payload.roles)) {
      return fail({ code: 'app_only_token' });
    }
    if (!isAllowedClientApp(payload, config)) return fail({ code: 'client_app_not_allowed' });
    if (!scopes.includes(config.requiredScope)) return fail({ code: 'insufficient_scope' });
    const oid = stringClaim(payload, 'oid');
    if (!oid) return fail({ code: 'invalid_token', reason: 'missing_claims' });
    if (config.requiredAuthContext && !hasAuthContext(payload, config.requiredAuthContext)) {
      // Step-up: the claims request a client passes to MSAL, as for Entra's own challenges.
      return fail({
        code: 'insufficient_claims',
        claims: authContextClaims(config.requiredAuthContext),
      });
    }

    return { ok: true, value: { oid, tid, accessToken: token } };
  };
}

export type AccessTokenValidator = ReturnType<typeof createAccessTokenValidator>;
