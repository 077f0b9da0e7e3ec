import { BodyTooLarge, readBoundedText } from './boundedBody.js';
import { type Failure, fail } from './failures.js';
import type { ChangePasswordBody } from './requestBody.js';
import { retryAfterOf } from './upstreamValues.js';

/**
 * Statuses Graph documents for its errors (learn.microsoft.com/graph/errors) that a caller of
 * changePassword can meet. Any other (a 418, a 3xx) is not an answer we relay.
 */
const RELAYED_STATUSES = new Set([400, 401, 403, 404, 409, 429, 500, 501, 503, 504, 507, 509]);

/** Graph's codes are identifiers such as Request_BadRequest or InvalidAuthenticationToken. */
const GRAPH_CODE = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/;
const MAX_MESSAGE_LENGTH = 2048;
/** innerError's request-id and client-request-id (GUIDs) and date (ISO 8601). */
const INNER_ERROR_FIELDS = ['request-id', 'client-request-id', 'date'] as const;
const INNER_ERROR_VALUE = /^[A-Za-z0-9:.+-]{1,64}$/;
export const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A bearer token or a JWT (JWS or JWE: both start with base64url of '{"') in text. */
const CREDENTIAL =
  /\bbearer\s+[A-Za-z0-9\-._~+/]{16,}|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.|eyJ[A-Za-z0-9_-]{32,}/i;

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface RelayedGraphError {
  error: {
    code: string;
    message: string;
    innerError: Partial<Record<(typeof INNER_ERROR_FIELDS)[number], string>>;
  };
}

/** Graph's `{"error": {...}}` reduced to the fields we relay, or undefined if it has not that shape. */
export function allowListedGraphError(body: unknown): RelayedGraphError | undefined {
  if (!isObject(body) || !isObject(body.error)) return undefined;
  const { code, message, innerError, innererror } = body.error;
  if (typeof code !== 'string' || !GRAPH_CODE.test(code)) return undefined;
  if (typeof message !== 'string' || message.length > MAX_MESSAGE_LENGTH) return undefined;
  const inner = isObject(innerError) ? innerError : isObject(innererror) ? innererror : {};
  const kept: RelayedGraphError['error']['innerError'] = {};
  for (const name of INNER_ERROR_FIELDS) {
    const value = inner[name];
    if (typeof value === 'string' && INNER_ERROR_VALUE.test(value)) kept[name] = value;
  }
  return { error: { code, message, innerError: kept } };
}

/**
 * Whether a submitted value could be an Entra password: at least 8 characters and not only
 * letters (Entra's rule is 8-256 characters from three of four classes). Shorter or letters-only
 * values (`a`, `password`) cannot be anyone's password there, and they are often words of
 * Graph's own message, where finding them proves nothing.
 */
function couldBePassword(value: string): boolean {
  return value.length >= 8 && /[^\p{L}]/u.test(value);
}

/** True if a relayed value carries a submitted password (any letter case) or a credential. */
export function carriesSecret(values: string[], passwords: ChangePasswordBody): boolean {
  const secrets = [passwords.currentPassword, passwords.newPassword]
    .filter(couldBePassword)
    .map((p) => p.toLowerCase());
  return values.some(
    (value) =>
      CREDENTIAL.test(value) || secrets.some((secret) => value.toLowerCase().includes(secret)),
  );
}

/**
 * The claims (JSON) of a Bearer challenge with error="insufficient_claims" (Graph's Continuous
 * Access Evaluation), or undefined for any other header: only that challenge is passed on.
 */
export function caeClaimsOf(header: string | null): string | undefined {
  const match = /^Bearer +(.*)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const params = new Map<string, string>();
  const rest = match[1].replace(/\s*([A-Za-z_]+)="([^"\\\r\n]*)"\s*(?:,|$)/g, (_, key, value) => {
    params.set(String(key).toLowerCase(), String(value));
    return '';
  });
  if (rest.trim() !== '' || params.get('error') !== 'insufficient_claims') return undefined;
  const encoded = params.get('claims') ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  try {
    const claims = Buffer.from(encoded, 'base64').toString('utf8');
    return isObject(JSON.parse(claims)) ? JSON.stringify(JSON.parse(claims)) : undefined;
  } catch {
    return undefined;
  }
}

/** Graph answered `status`, in a form we do not relay. */
const badResponse = (status: number): Failure => ({
  code: 'graph_bad_response',
  graphStatus: status,
});

/**
 * Graph's error, relayed through an allow-list: a status Graph documents, `error.code`,
 * `error.message` and innerError's request-id, client-request-id and date; `Retry-After` when it
 * is delta-seconds or an HTTP-date, `request-id` when it is an id, and Graph's CAE challenge
 * re-issued as ours. Anything else, or anything that would carry a submitted password or a
 * token, is `502 graph_bad_response`.
 *
 * @example
 * if (!response.ok) return relayGraphError(response, body);
 */
export async function relayGraphError(
  response: Response,
  passwords: ChangePasswordBody,
): Promise<{ ok: false; failure: Failure }> {
  let text: string;
  try {
    text = await readBoundedText(response);
  } catch (error) {
    if (error instanceof BodyTooLarge) return fail(badResponse(response.status));
    throw error;
  }
  if (!RELAYED_STATUSES.has(response.status)) return fail(badResponse(response.status));
  let body: RelayedGraphError | undefined;
  try {
    body = allowListedGraphError(JSON.parse(text));
  } catch {
    body = undefined;
  }
  if (!body) return fail(badResponse(response.status));

  const headers: Record<string, string> = {};
  const retryAfter = retryAfterOf(response.headers.get('retry-after'));
  if (retryAfter) headers['Retry-After'] = retryAfter;
  const requestId = response.headers.get('request-id');
  if (requestId !== null && REQUEST_ID.test(requestId)) headers['request-id'] = requestId;
  const claims =
    response.status === 401 ? caeClaimsOf(response.headers.get('www-authenticate')) : undefined;

  const relayed = [
    body.error.code,
    body.error.message,
    ...Object.values(body.error.innerError),
    ...Object.values(headers),
    claims ?? '',
  ];
  if (carriesSecret(relayed, passwords)) return fail(badResponse(response.status));
  return fail({
    code: 'graph_error',
    status: response.status,
    body: JSON.stringify(body),
    headers,
    ...(claims && { claims }),
  });
}
