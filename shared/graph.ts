import { discardBody } from './boundedBody.js';
import type { Config } from './config.js';
import { fail, type Result } from './failures.js';
import { REQUEST_ID, relayGraphError } from './graphError.js';
import type { ChangePasswordBody } from './requestBody.js';
import { noteHttpResponse } from './telemetry.js';

export interface GraphSuccess {
  /** Graph's request-id, for the caller to quote to support. */
  headers: Record<string, string>;
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
    noteHttpResponse(response);
    if (response.status >= 200 && response.status < 300) {
      await discardBody(response);
      const requestId = response.headers.get('request-id');
      const headers: Record<string, string> =
        requestId !== null && REQUEST_ID.test(requestId) ? { 'request-id': requestId } : {};
      return { ok: true, value: { headers } };
    }
    return await relayGraphError(response, body);
  } catch {
    // The timeout signal covers the whole exchange, body included.
    return fail({ code: signal.aborted ? 'graph_timeout' : 'graph_unreachable' });
  }
}
