// The call to POST /api/me/changePassword and what its answers mean for the page. No DOM and no
// MSAL here: the token comes from getToken (auth.ts), so this runs under test in Node as well.
import type { ErrorAnswer } from './messages.js';

export interface Passwords {
  currentPassword: string;
  newPassword: string;
}

export type Outcome =
  | { kind: 'changed' }
  /** 429 or 503: the button stays disabled for `seconds`. */
  | ({ kind: 'wait'; seconds: number } & ErrorAnswer)
  /** Any other error: this API's or Graph's code and message (e.g. "Invalid currentPassword."). */
  | ({ kind: 'error'; target?: string } & ErrorAnswer)
  /**
   * Graph got the request but its answer was lost (`*_change_unknown`): the password may have
   * changed. The user signs in with the new password to check before trying again.
   */
  | { kind: 'maybe-changed'; message: string }
  /** No answer: offline, CORS refused, the API down. */
  | { kind: 'network' }
  /** Getting a token failed (sign-in popup blocked or closed, ...). */
  | { kind: 'sign-in'; message: string };

export interface CallOptions {
  url: string;
  /** An access token for the API; with `claims` (a JSON string), one that satisfies them. */
  getToken: (claims?: string) => Promise<string>;
  clientRequestId?: string;
  fetch?: typeof fetch;
}

interface ErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    target?: unknown;
    claims?: unknown;
    innerError?: { 'request-id'?: unknown };
  };
}

/** Seconds to wait when a 429 or 503 has no usable Retry-After. */
export const DEFAULT_WAIT_SECONDS = 10;

/** Retry-After: delta-seconds or an HTTP date. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (value === null) return DEFAULT_WAIT_SECONDS;
  if (/^\d+$/.test(value.trim())) return Math.max(1, Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_WAIT_SECONDS : Math.max(1, Math.ceil((date - now) / 1000));
}

function decodeBase64(value: string): string {
  const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * The claims a 401 asks for, decoded to the JSON MSAL expects: this API's insufficient_claims
 * (body and WWW-Authenticate), or Graph's own challenge relayed as is (WWW-Authenticate only).
 */
export function claimsChallenge(response: Response, body: ErrorBody): string | undefined {
  if (response.status !== 401) return undefined;
  const fromBody = body.error?.code === 'insufficient_claims' ? body.error.claims : undefined;
  const fromHeader = /\bclaims="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
  const encoded = typeof fromBody === 'string' ? fromBody : fromHeader;
  if (!encoded) return undefined;
  try {
    return decodeBase64(encoded);
  } catch {
    return undefined;
  }
}

/**
 * Changes the password. A claims challenge (MFA, Conditional Access, CAE) gets one new token with
 * those claims and ONE retry; a password change is never retried otherwise.
 */
export async function changePassword(passwords: Passwords, options: CallOptions): Promise<Outcome> {
  const send = options.fetch ?? fetch;
  let claims: string | undefined;
  for (let attempt = 1; ; attempt++) {
    let token: string;
    try {
      token = await options.getToken(claims);
    } catch (error) {
      return { kind: 'sign-in', message: error instanceof Error ? error.message : String(error) };
    }
    let response: Response;
    try {
      response = await send(options.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          ...(options.clientRequestId && { 'client-request-id': options.clientRequestId }),
        },
        body: JSON.stringify(passwords),
      });
    } catch {
      return { kind: 'network' };
    }
    if (response.status === 204) return { kind: 'changed' };

    let body: ErrorBody = {};
    try {
      body = (await response.json()) as ErrorBody;
    } catch {
      // not JSON (a proxy's page): the generic message below
    }
    const challenge = claimsChallenge(response, body);
    if (challenge && attempt === 1) {
      claims = challenge;
      continue;
    }
    const innerRequestId = body.error?.innerError?.['request-id'];
    const requestId =
      response.headers.get('request-id') ??
      (typeof innerRequestId === 'string' ? innerRequestId : undefined);
    const answer: ErrorAnswer = {
      status: response.status,
      code: typeof body.error?.code === 'string' ? body.error.code : 'unknown',
      message:
        typeof body.error?.message === 'string'
          ? body.error.message
          : `The service answered with HTTP ${response.status}.`,
      ...(requestId && { requestId }),
    };
    if (answer.code.endsWith('_change_unknown')) {
      return { kind: 'maybe-changed', message: answer.message };
    }
    if (response.status === 429 || response.status === 503) {
      return {
        kind: 'wait',
        seconds: retryAfterSeconds(response.headers.get('retry-after')),
        ...answer,
      };
    }
    return {
      kind: 'error',
      ...answer,
      ...(typeof body.error?.target === 'string' && { target: body.error.target }),
    };
  }
}
