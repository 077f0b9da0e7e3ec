import { createAccessTokenValidator } from './accessToken.js';
import type { Config } from './config.js';
import type { Result } from './failures.js';
import { changePasswordInGraph, type GraphSuccess } from './graph.js';
import { createOnBehalfOfExchanger } from './onBehalfOf.js';
import { parseChangePasswordBody, type RawBody } from './requestBody.js';
import type { AttemptTrace } from './telemetry.js';
import { createUpstreamPool, type UpstreamPool } from './upstreamPool.js';

export interface ChangePasswordInput {
  authorization: string | null;
  body: RawBody;
  clientRequestId: string;
  /** This attempt's trace: each upstream call below is one child span of it. */
  attempt: AttemptTrace;
}

/**
 * The whole job, one way through: caller → body → Graph token → Graph.
 * Each step stops the request with a named failure; nothing upstream is called
 * before the token and the body have both passed.
 *
 * @example
 * const changePassword = await createChangePassword(config);
 * const result = await changePassword({ authorization, body, clientRequestId });
 */
export async function createChangePassword(config: Config, pool?: UpstreamPool) {
  const validateAccessToken = createAccessTokenValidator(config);
  // One pool per instance for every upstream call: bounded, kept-alive connections.
  const upstream = pool ?? (await createUpstreamPool());
  const exchangeOnBehalfOf = await createOnBehalfOfExchanger(config, upstream);
  const entra = new URL(config.authorityHost);
  const graph = new URL(config.graphBaseUrl);

  return async function changePassword(input: ChangePasswordInput): Promise<Result<GraphSuccess>> {
    const caller = await validateAccessToken(input.authorization);
    if (!caller.ok) return caller;
    const { attempt } = input;
    attempt.tenantId = caller.value.tid;
    const body = await parseChangePasswordBody(input.body);
    if (!body.ok) return body;
    const graphToken = await attempt.call('tokenExchange', entra, () =>
      exchangeOnBehalfOf(caller.value, input.clientRequestId),
    );
    if (!graphToken.ok) return graphToken;
    return attempt.call('graphChangePassword', graph, () =>
      changePasswordInGraph(config, upstream, graphToken.value, body.value, input.clientRequestId),
    );
  };
}
