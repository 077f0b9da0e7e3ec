import { discardBody } from './boundedBody.js';
import type { Config } from './config.js';
import { type Failure, fail, type Result } from './failures.js';
import { REQUEST_ID, relayGraphError } from './graphError.js';
import type { ChangePasswordBody } from './requestBody.js';
import { noteHttpResponse } from './telemetry.js';
import { serverBusy, type UpstreamExchange, type UpstreamPool } from './upstreamPool.js';

export interface GraphSuccess {
  /** Graph's request-id, for the caller to quote to support. */
  headers: Record<string, string>;
}

/**
 * What an exchange that ended without a usable answer means for the password. Before the
 * request was sent, nothing happened. Once Graph may have received it, the password may have
 * changed, and the error must say so: the user checks by signing in with the new password.
 */
function lostExchange(exchange: UpstreamExchange, graphStatus: number | undefined): Failure {
  // Every pooled connection stayed busy for the whole budget: this instance is saturated.
  if (exchange.expired === 'waiting') return serverBusy();
  if (!exchange.sent) return { code: 'graph_unreachable' };
  // Graph's status line arrived and was not a success: nothing changed, the body was lost.
  if (exchange.answered) return { code: 'graph_bad_response', graphStatus };
  return exchange.expired === 'exchange'
    ? { code: 'graph_timeout_change_unknown' }
    : { code: 'graph_connection_lost_change_unknown' };
}

/**
 * Calls Graph `POST /me/changePassword` once, with this caller's Graph token.
 * Never retried: changing a password is not idempotent.
 *
 * @example
 * const result = await changePasswordInGraph(config, pool, graphToken, body, clientRequestId);
 * if (!result.ok && result.failure.code === 'graph_error') result.failure.status;
 */
export async function changePasswordInGraph(
  config: Config,
  pool: UpstreamPool,
  graphToken: string,
  body: ChangePasswordBody,
  clientRequestId: string,
): Promise<Result<GraphSuccess>> {
  const url = `${config.graphBaseUrl}/${config.graphApiVersion}/me/changePassword`;
  // GRAPH_TIMEOUT_MS counts from the moment a connection takes the request.
  const exchange = pool.exchange(config.graphTimeoutMs);
  let graphStatus: number | undefined;
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
      dispatcher: exchange.dispatcher,
      signal: exchange.signal,
    });
    noteHttpResponse(response);
    graphStatus = response.status;
    if (response.status >= 200 && response.status < 300) {
      await discardBody(response);
      const requestId = response.headers.get('request-id');
      const headers: Record<string, string> =
        requestId !== null && REQUEST_ID.test(requestId) ? { 'request-id': requestId } : {};
      return { ok: true, value: { headers } };
    }
    return await relayGraphError(response, body);
  } catch {
    return fail(lostExchange(exchange, graphStatus));
  } finally {
    exchange.end();
  }
}
