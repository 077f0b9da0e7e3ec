/**
 * Every way a request can fail, as one union of named values, and the one
 * place that turns each into a status, a `WWW-Authenticate` challenge and a
 * JSON body in Graph's error shape: `{"error": {"code": "...", "message": "..."}}`.
 *
 * Messages are fixed texts: no value a caller sent (password, token, header)
 * ever reaches them.
 */

export type InvalidTokenReason =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'audience'
  | 'issuer'
  | 'tenant'
  | 'signature'
  | 'unknown_key'
  | 'algorithm'
  | 'missing_claims'
  | 'rejected_by_identity_provider';

export type Failure =
  // The caller's access token (RFC 6750).
  | { code: 'missing_token' }
  | { code: 'invalid_token'; reason: InvalidTokenReason }
  | { code: 'insufficient_scope' }
  | { code: 'app_only_token' }
  | { code: 'client_app_not_allowed' }
  | { code: 'signing_keys_unavailable'; retryAfterSeconds: number }
  // The request itself.
  | { code: 'unsupported_media_type' }
  | { code: 'payload_too_large'; limitBytes: number }
  | { code: 'invalid_json' }
  | { code: 'invalid_request'; field: string; problem: string }
  | { code: 'origin_not_allowed' }
  // The On-Behalf-Of exchange with Entra ID.
  | { code: 'insufficient_claims'; claims: string }
  | { code: 'interaction_required' }
  | { code: 'consent_required' }
  /** entraError and aadsts are Entra's words: for the log (reduced there), never the response. */
  | { code: 'token_exchange_rejected'; entraError: string; aadsts?: string }
  | { code: 'token_exchange_unavailable'; retryAfter?: string }
  | { code: 'token_exchange_unreachable' }
  | { code: 'token_exchange_timeout' }
  | { code: 'credential_unavailable' }
  // Microsoft Graph.
  | {
      code: 'graph_error';
      status: number;
      /** Graph's error reduced to the allow-listed fields (graphError.ts), serialized. */
      body: string;
      /** Graph's Retry-After and request-id, already checked. */
      headers: Record<string, string>;
      /** The claims (JSON) of Graph's Continuous Access Evaluation challenge, if it sent one. */
      claims?: string;
    }
  | { code: 'graph_unreachable' }
  /** graphStatus: Graph's own status when it answered, so the attempt count can still read it. */
  | { code: 'graph_bad_response'; graphStatus?: number }
  | { code: 'graph_timeout_change_unknown' }
  | { code: 'graph_connection_lost_change_unknown' }
  // Guessing protection (the failed-attempt budget and its store).
  | { code: 'too_many_attempts'; retryAfterSeconds: number }
  | { code: 'attempt_store_unavailable'; reason: 'timeout' | 'unreachable' | 'status' | 'busy' }
  // This app.
  | { code: 'server_busy'; retryAfterSeconds: number }
  | { code: 'server_misconfigured' }
  | { code: 'internal_error' };

export type FailureCode = Failure['code'];

/** Graph's HTTP status when Graph answered, whether its answer is relayed or refused. */
export function graphStatusOf(failure: Failure): number | undefined {
  if (failure.code === 'graph_error') return failure.status;
  if (failure.code === 'graph_bad_response') return failure.graphStatus;
  return undefined;
}

/** Retry-After of a 503 attempt_store_unavailable, in seconds. */
export const ATTEMPT_STORE_RETRY_AFTER_SECONDS = 5;

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const fail = (failure: Failure): { ok: false; failure: Failure } => ({
  ok: false,
  failure,
});

/** What a challenge needs to tell a client where to get a better token. */
export interface ChallengeContext {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  /** Full scope a client must request, e.g. api://<client id>/access_as_user. */
  scope: string;
}

export interface FailureResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialized JSON. */
  body: string;
}

const INVALID_TOKEN_TEXT: Record<InvalidTokenReason, string> = {
  malformed: 'The access token is malformed.',
  expired: 'The access token has expired.',
  not_yet_valid: 'The access token is not yet valid.',
  audience: 'The access token was not issued for this API.',
  issuer: 'The access token was issued by an issuer this API does not trust.',
  tenant: 'The access token was issued for a tenant this API does not serve.',
  signature: 'The access token signature is invalid.',
  unknown_key: 'The access token was signed with an unknown key.',
  algorithm: 'The access token must be signed with RS256.',
  missing_claims: 'The access token lacks required claims.',
  rejected_by_identity_provider: 'Entra ID rejected the access token; sign in again.',
};

function challenge(
  ctx: ChallengeContext | undefined,
  params: Record<string, string> = {},
): Record<string, string> {
  // realm="" plus where to sign in: what Microsoft's own APIs send, and what MSAL clients parse.
  const all: Record<string, string> = {
    realm: '',
    ...(ctx && {
      authorization_uri: `${ctx.authorityHost}/${ctx.tenantId}/oauth2/v2.0/authorize`,
      client_id: ctx.clientId,
    }),
    ...params,
  };
  const value = Object.entries(all)
    .map(([key, v]) => `${key}="${v.replace(/["\\]/g, '')}"`)
    .join(', ');
  return { 'WWW-Authenticate': `Bearer ${value}` };
}

function json(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extra: Record<string, string> = {},
): FailureResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify({ error: { code, message, ...extra } }),
  };
}

/**
 * The single mapping from a failure to its HTTP response.
 *
 * @example
 * failureResponse({ code: 'missing_token' }, ctx).status; // 401
 */
export function failureResponse(failure: Failure, ctx?: ChallengeContext): FailureResponse {
  switch (failure.code) {
    case 'missing_token':
      return json(
        401,
        failure.code,
        'An access token is required: send Authorization: Bearer <token>.',
        challenge(ctx),
      );
    case 'invalid_token': {
      const text = INVALID_TOKEN_TEXT[failure.reason];
      return json(
        401,
        failure.code,
        text,
        challenge(ctx, { error: 'invalid_token', error_description: text }),
      );
    }
    case 'insufficient_scope':
      return json(
        403,
        failure.code,
        `The access token lacks the delegated scope ${ctx?.scope ?? 'this API requires'}.`,
        challenge(ctx, { error: 'insufficient_scope', scope: ctx?.scope ?? '' }),
      );
    case 'app_only_token':
      return json(
        403,
        failure.code,
        'App-only tokens are not accepted: a user must be signed in.',
        challenge(ctx, { error: 'insufficient_scope', scope: ctx?.scope ?? '' }),
      );
    case 'client_app_not_allowed':
      return json(
        403,
        failure.code,
        'This client application is not allowed to call the API (ALLOWED_CLIENT_APP_IDS).',
      );
    case 'signing_keys_unavailable':
      return json(
        503,
        failure.code,
        "Entra ID's signing keys could not be fetched; try again later.",
        { 'Retry-After': String(failure.retryAfterSeconds) },
      );
    case 'unsupported_media_type':
      return json(415, failure.code, 'The body must be JSON: send Content-Type: application/json.');
    case 'payload_too_large':
      return json(413, failure.code, `The body must be at most ${failure.limitBytes} bytes.`);
    case 'invalid_json':
      return json(400, failure.code, 'The body is not valid JSON.');
    case 'invalid_request':
      return json(400, failure.code, failure.problem, {}, { target: failure.field });
    case 'origin_not_allowed':
      return json(403, failure.code, 'This origin is not allowed to call the API.');
    case 'insufficient_claims': {
      const claims = Buffer.from(failure.claims, 'utf8').toString('base64');
      return json(
        401,
        failure.code,
        'Additional sign-in is required (multi-factor authentication or a Conditional Access policy). Acquire a new token with these claims and retry.',
        challenge(ctx, { error: 'insufficient_claims', claims }),
        { claims },
      );
    }
    case 'interaction_required':
      return json(
        401,
        failure.code,
        'The user must sign in again interactively, then retry.',
        challenge(ctx, { error: 'invalid_token', error_description: 'interaction required' }),
      );
    case 'consent_required':
      return json(
        403,
        failure.code,
        "An administrator must grant consent for this API's Microsoft Graph permission before passwords can be changed.",
      );
    case 'token_exchange_rejected':
      return json(
        502,
        failure.code,
        'Entra ID refused the token exchange; the API is not set up correctly.',
      );
    case 'token_exchange_unavailable':
      return json(
        503,
        failure.code,
        'Entra ID is unavailable; try again later.',
        failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {},
      );
    case 'token_exchange_unreachable':
      return json(502, failure.code, 'Entra ID could not be reached; try again later.');
    case 'token_exchange_timeout':
      return json(504, failure.code, 'Entra ID did not answer in time; try again later.');
    case 'credential_unavailable':
      return json(
        502,
        failure.code,
        "The API's own credential could not be obtained; try again later.",
      );
    case 'graph_error':
      return {
        status: failure.status,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          ...failure.headers,
          // A 401 challenges as ours (never Graph's header): Graph's CAE claims become our
          // insufficient_claims, which a client answers with a new token for this API.
          ...(failure.status === 401 &&
            challenge(
              ctx,
              failure.claims
                ? {
                    error: 'insufficient_claims',
                    claims: Buffer.from(failure.claims, 'utf8').toString('base64'),
                  }
                : {},
            )),
        },
        body: failure.body,
      };
    case 'graph_unreachable':
      return json(
        502,
        failure.code,
        'Microsoft Graph could not be reached; the request was not sent and the password was not changed. Try again later.',
      );
    case 'graph_bad_response':
      return json(
        502,
        failure.code,
        'Microsoft Graph gave an answer that is not a valid response.',
      );
    case 'graph_timeout_change_unknown':
      return json(
        504,
        failure.code,
        'Microsoft Graph received the request but did not answer in time: the password may have changed. Sign in with the new password to check before trying again.',
      );
    case 'graph_connection_lost_change_unknown':
      return json(
        502,
        failure.code,
        'The connection to Microsoft Graph was lost after the request was sent: the password may have changed. Sign in with the new password to check before trying again.',
      );
    case 'server_busy':
      return json(
        503,
        failure.code,
        'The service is busy; nothing was changed. Try again shortly.',
        { 'Retry-After': String(failure.retryAfterSeconds) },
      );
    case 'too_many_attempts':
      return json(429, failure.code, 'Too many failed attempts to change the password.', {
        'Retry-After': String(failure.retryAfterSeconds),
      });
    case 'attempt_store_unavailable':
      return json(
        503,
        failure.code,
        'The password cannot be changed right now (the attempt counter is unavailable); try again later.',
        { 'Retry-After': String(ATTEMPT_STORE_RETRY_AFTER_SECONDS) },
      );
    case 'server_misconfigured':
      return json(500, failure.code, 'The service is not configured correctly.');
    case 'internal_error':
      return json(500, failure.code, 'An unexpected error occurred.');
  }
}
