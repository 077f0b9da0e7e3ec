import { createAccessTokenValidator } from './accessToken.js';
import type { Config } from './config.js';
import type { Result } from './failures.js';
import { changePasswordInGraph, type GraphSuccess } from './graph.js';
import { createOnBehalfOfExchanger } from './onBehalfOf.js';
import { parseChangePasswordBody, type RawBody } from './requestBody.js';

export interface ChangePasswordInput {
  authorization: string | null;
  body: RawBody;
  clientRequestId: string;
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
export async function createChangePassword(config: Config) {
  const validateAccessToken = createAccessTokenValidator(config);
  const exchangeOnBehalfOf = await createOnBehalfOfExchanger(config);

  return async function changePassword(input: ChangePasswordInput): Promise<Result<GraphSuccess>> {
    const caller = await validateAccessToken(input.authorization);
    if (!caller.ok) return caller;
    const body = await parseChangePasswordBody(input.body);
    if (!body.ok) return body;
    const graphToken = await exchangeOnBehalfOf(caller.value, input.clientRequestId);
    if (!graphToken.ok) return graphToken;
    return changePasswordInGraph(config, graphToken.value, body.value, input.clientRequestId);
  };
}
