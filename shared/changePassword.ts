import { type Caller, createAccessTokenValidator } from './accessToken.js';
import { type AttemptOutcome, createAttemptLimiter } from './attemptLimit.js';
import { attemptSettledWithinMs, type Config } from './config.js';
import { graphStatusOf, type Result } from './failures.js';
import { changePasswordInGraph, type GraphSuccess } from './graph.js';
import { createOnBehalfOfExchanger } from './onBehalfOf.js';
import { type ChangePasswordBody, parseChangePasswordBody, type RawBody } from './requestBody.js';
import type { AttemptTrace } from './telemetry.js';
import { createUpstreamPool, type UpstreamPool } from './upstreamPool.js';

export interface ChangePasswordInput {
  authorization: string | null;
  body: RawBody;
  clientRequestId: string;
  /** This attempt's trace: each upstream call below is one child span of it. */
  attempt: AttemptTrace;
  /** Told when the attempt store failed after Graph answered (the answer is still relayed). */
  warn?: (message: string) => void;
}

/**
 * A 400 from Graph is a failed attempt (wrong current password or rejected new one alike),
 * whether its answer is relayed or refused (an answer that echoes the new password is refused:
 * a guesser must not be able to choose a new password that makes the guess uncounted).
 */
function outcomeOf(result: Result<GraphSuccess> | undefined): AttemptOutcome {
  if (result?.ok) return 'succeeded';
  return result && graphStatusOf(result.failure) === 400 ? 'failed' : 'not_counted';
}

/** How long a reserved attempt can be in progress at most (for a refusal's Retry-After). */
function settledWithinMs(config: Config): number {
  const store = config.attemptLimit.enabled ? config.attemptLimit.storeTimeoutMs : 0;
  return attemptSettledWithinMs(config.graphTimeoutMs, store);
}

/**
 * The whole job, one way through: caller → body → attempt reserved → Graph token → Graph →
 * attempt settled. Each step stops the request with a named failure; nothing upstream is
 * called before the token, the body and the user's attempt budget have all passed.
 *
 * @example
 * const changePassword = await createChangePassword(config);
 * const result = await changePassword({ authorization, body, clientRequestId, attempt });
 */
export async function createChangePassword(config: Config, pool?: UpstreamPool) {
  const validateAccessToken = createAccessTokenValidator(config);
  // One pool per instance for every upstream call: bounded, kept-alive connections.
  const upstream = pool ?? (await createUpstreamPool());
  const [exchangeOnBehalfOf, attemptLimiter] = await Promise.all([
    createOnBehalfOfExchanger(config, upstream),
    createAttemptLimiter(config.attemptLimit, settledWithinMs(config)),
  ]);
  const entra = new URL(config.authorityHost);
  const graph = new URL(config.graphBaseUrl);
  const store = attemptLimiter.storeUrl;
  /** The attempt store's round trips as their own span (none when the limit is off). */
  const inStoreSpan = <T extends Result<unknown>>(attempt: AttemptTrace, run: () => Promise<T>) =>
    store ? attempt.call('attemptStore', store, run) : run();

  /** Entra ID then Graph: the part a reserved attempt pays for. */
  async function changeInGraph(
    caller: Caller,
    body: ChangePasswordBody,
    input: ChangePasswordInput,
  ): Promise<Result<GraphSuccess>> {
    const { attempt, clientRequestId } = input;
    const graphToken = await attempt.call('tokenExchange', entra, () =>
      exchangeOnBehalfOf(caller, clientRequestId),
    );
    if (!graphToken.ok) return graphToken;
    return attempt.call('graphChangePassword', graph, () =>
      changePasswordInGraph(config, upstream, graphToken.value, body, clientRequestId),
    );
  }

  async function changePassword(input: ChangePasswordInput): Promise<Result<GraphSuccess>> {
    const caller = await validateAccessToken(input.authorization);
    if (!caller.ok) return caller;
    const { attempt } = input;
    attempt.tenantId = caller.value.tid;
    const body = await parseChangePasswordBody(input.body);
    if (!body.ok) return body;
    const reserved = await inStoreSpan(attempt, () => attemptLimiter.reserve(caller.value));
    if (!reserved.ok) return reserved;
    let result: Result<GraphSuccess> | undefined; // stays undefined if a bug throws: not counted
    try {
      result = await changeInGraph(caller.value, body.value, input);
      return result;
    } finally {
      // A failed attempt stays counted: nothing to write. Otherwise give it back, or clear.
      const outcome = outcomeOf(result);
      if (outcome === 'failed')
        await reserved.value.settle(outcome); // no store round trip
      else {
        const settled = await inStoreSpan(attempt, () => reserved.value.settle(outcome));
        if (!settled.ok && settled.failure.code === 'attempt_store_unavailable') {
          input.warn?.(`changePassword attempt store after Graph: ${settled.failure.reason}`);
        }
      }
    }
  }
  return Object.assign(changePassword, { attemptLimiter });
}
