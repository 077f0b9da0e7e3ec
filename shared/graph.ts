import type { Config } from './config.js';
import { fail, type Result } from './failures.js';
import type { ChangePasswordBody } from './requestBody.js';

/** Headers of Graph's answer that a client needs: to wait, to correlate, to re-authenticate. */
const RELAYED_HEADERS = [
  'retry-after',
  'request-id',
  'client-request-id',
  'www-authenticate',
] as const;

/** Graph's error bodies are small; a larger one is not an error body. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface GraphSuccess {
  headers: Record<string, string>;
}

function relayedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RELAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

function isGraphError(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown } } | null)?.error;
  return typeof error === 'object' && error !== null && typeof error.code === 'string';
}

/**
 * Relays Graph's error as it is: same status, same JSON, correlation headers.
 * If the body ever echoed a submitted password, that body is not relayed.
 */
async function relayGraphError(
  response: Response,
  passwords: ChangePasswordBody,
): Promise<Result<GraphSuccess>> {
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_ERROR_BODY_BYTES) return fail({ code: 'graph_bad_response' });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail({ code: 'graph_bad_response' });
  }
  if (!isGraphError(body) || response.status < 400) return fail({ code: 'graph_bad_response' });
  if (text.includes(passwords.currentPassword) || text.includes(passwords.newPassword)) {
    return fail({ code: 'graph_bad_response' });
  }
  return fail({
    code: 'graph_error',
    status: response.status,
    body: JSON.stringify(body),
    headers: relayedHeaders(response),
  });
}

/**
 * Calls Graph `POST /me/changePassword` once, with this caller's Graph token.
 * Never retried: changing a password is not idempotent.
 *
 * @example
 * const result = await changePasswordInGraph(config, graphToken, body, clientRequestId);
 * if (!result.ok && result.failure.code === 'graph_error') result.failure.status;
 */
export async function changePasswordInGraph(
  config: Config,
  graphToken: string,
  body: ChangePasswordBody,
  clientRequestId: string,
): Promise<Result<GraphSuccess>> {
  const url = `${config.graphBaseUrl}/${config.graphApiVersion}/me/changePassword`;
  const signal = AbortSignal.timeout(config.graphTimeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${graphToken}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'client-request-id': clientRequestId,
      },
      body: JSON.stringify({
        currentPassword: body.currentPassword,
        newPassword: body.newPassword,
      }),
      // A redirect would carry the token elsewhere; Graph never redirects this call.
      redirect: 'error',
      signal,
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return { ok: true, value: { headers: relayedHeaders(response) } };
    }
    return await relayGraphError(response, body);
  } catch {
    // The timeout signal covers the whole exchange, body included.
    return fail({ code: signal.aborted ? 'graph_timeout' : 'graph_unreachable' });
  }
}
