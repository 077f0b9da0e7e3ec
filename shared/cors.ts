import type { Config } from './config.js';
import type { Failure } from './failures.js';

/** Response headers a browser may read: to re-authenticate, to wait, to correlate. */
export const EXPOSED_HEADERS = 'WWW-Authenticate, Retry-After, request-id, client-request-id';
const ALLOWED_METHODS = 'POST, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, client-request-id';

/**
 * CORS headers for a response to `origin`. Answered by the function itself, so
 * it behaves the same under `func start` and in Azure, and can expose headers.
 * Callers authenticate with a bearer token, never a cookie: no credentials mode.
 *
 * @example
 * corsHeaders(config, request.headers.get('origin'));
 */
export function corsHeaders(config: Config, origin: string | null): Record<string, string> {
  if (config.corsAllowedOrigins.length === 0) return {};
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (origin !== null && config.corsAllowedOrigins.includes(origin)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS;
  }
  return headers;
}

/** The answer to an OPTIONS request: a preflight from an allowed origin, or a refusal. */
export function answerPreflight(
  config: Config,
  origin: string | null,
): { ok: true; headers: Record<string, string> } | { ok: false; failure: Failure } {
  if (origin === null) return { ok: true, headers: { Allow: ALLOWED_METHODS } };
  if (!config.corsAllowedOrigins.includes(origin)) {
    return { ok: false, failure: { code: 'origin_not_allowed' } };
  }
  return {
    ok: true,
    headers: {
      ...corsHeaders(config, origin),
      Allow: ALLOWED_METHODS,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
    },
  };
}
