import {
  type AuthError,
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  InteractionRequiredAuthError,
  LogLevel,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import type { Caller } from './accessToken.js';
import { BodyTooLarge, discardBody, readBoundedText } from './boundedBody.js';
import type { ClientCredential, Config } from './config.js';
import { type Failure, fail, type Result } from './failures.js';
import { noteHttpResponse } from './telemetry.js';
import { serverBusy, type UpstreamPool } from './upstreamPool.js';
import { jsonObjectText, retryAfterOf } from './upstreamValues.js';

/**
 * What one exchange saw on the wire, to tell Entra's refusals from its outages.
 * MSAL keeps `claims` only on errors it classes as interaction required, but Entra
 * also sends them with a plain invalid_grant (e.g. AADSTS50079): read the answer itself.
 */
interface WireObservation {
  status?: number;
  retryAfter?: string;
  /** busy: no pooled connection was free for the whole budget, nothing was sent. */
  transport?: 'busy' | 'timeout' | 'unreachable';
  /** An answer we refused to use: a redirect, or a body over the cap. */
  refused?: 'redirect' | 'response_too_large';
  error?: string;
  suberror?: string;
  errorCodes?: number[];
  claims?: string;
  /** Entra sent claims we do not pass on (not a JSON object, or too long): it still asks for more. */
  unusableClaims?: boolean;
}

function observeError(seen: WireObservation, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const { error, suberror, error_codes, claims } = body as Record<string, unknown>;
  if (typeof error === 'string') seen.error = error;
  if (typeof suberror === 'string') seen.suberror = suberror;
  if (Array.isArray(error_codes))
    seen.errorCodes = error_codes.filter((c) => typeof c === 'number');
  // Passed on only as what a client can hand to MSAL: a JSON object (a few hundred bytes).
  seen.claims = jsonObjectText(claims);
  seen.unusableClaims = typeof claims === 'string' && claims !== '' && !seen.claims;
}

/** The network client stopped reading an answer; MSAL turns this into its own error. */
class UnusableAnswer extends Error {}

/**
 * MSAL's transport, one per exchange: Node's fetch through the instance's upstream pool
 * (kept-alive connections), with a budget that counts from the moment a
 * connection takes the request until the whole answer, body included, is in; recording what
 * happened for error mapping. It never follows a redirect: that would re-post the client
 * credential and the user's assertion to wherever the Location points.
 */
function observedNetworkClient(
  pool: UpstreamPool,
  timeoutMs: number,
  seen: WireObservation,
): INetworkModule {
  async function send<T>(
    method: string,
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    const exchange = pool.exchange(timeoutMs);
    let response: Response;
    let text: string;
    try {
      try {
        response = await fetch(url, {
          method,
          headers: options?.headers,
          body: method === 'POST' ? (options?.body ?? '') : undefined,
          redirect: 'manual',
          dispatcher: exchange.dispatcher,
          signal: exchange.signal,
        });
        noteHttpResponse(response);
        seen.status = response.status;
        if (response.status >= 300 && response.status < 400) {
          seen.refused = 'redirect';
          await discardBody(response);
          throw new UnusableAnswer('redirect');
        }
        text = await readBoundedText(response);
      } catch (error) {
        if (error instanceof BodyTooLarge) seen.refused = 'response_too_large';
        // The budget covers headers and body alike: a body that stalls is a timeout too.
        else if (exchange.expired === 'waiting') seen.transport = 'busy';
        else if (exchange.expired) seen.transport = 'timeout';
        else if (!(error instanceof UnusableAnswer)) seen.transport = 'unreachable';
        throw error;
      }
    } finally {
      exchange.end();
    }
    seen.retryAfter = retryAfterOf(response.headers.get('retry-after'));
    let body: unknown = {};
    try {
      body = JSON.parse(text);
      if (!response.ok) observeError(seen, body);
    } catch {
      // Not JSON: MSAL sees an empty answer and fails; the status says what kind of failure.
    }
    return {
      headers: Object.fromEntries(response.headers),
      body: body as T,
      status: response.status,
    };
  }
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * MSAL's own log lines are not used (its default callback drops them); at its default level it
 * still formats every Info line of every exchange. Errors reach us as thrown errors anyway.
 */
const QUIET_MSAL_LOGGER: NonNullable<NonNullable<Configuration['system']>['loggerOptions']> = {
  logLevel: LogLevel.Error,
  piiLoggingEnabled: false,
  loggerCallback: () => {},
};

/**
 * Endpoints derived from the authority host, handed to MSAL so it never spends
 * a round trip on OpenID or instance discovery.
 */
export function authorityMetadata(authorityHost: string, tenantId: string) {
  const base = `${authorityHost}/${tenantId}`;
  const host = new URL(authorityHost).host;
  return {
    authorityMetadata: JSON.stringify({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      issuer: `${base}/v2.0`,
    }),
    cloudDiscoveryMetadata: JSON.stringify({
      tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    }),
    knownAuthorities: [host],
  };
}

type CredentialOptions = Pick<
  Configuration['auth'],
  'clientSecret' | 'clientCertificate' | 'clientAssertion'
>;

/** The audience Entra expects on a managed identity token used as a client assertion. */
const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

class CredentialUnavailable extends Error {}

/** Rejects with CredentialUnavailable if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CredentialUnavailable('timeout')), ms);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The app's own credential; the managed identity client is made once and caches its token.
 * Getting that token is bounded by the exchange's timeout, like every upstream call.
 */
async function credentialOptions(
  credential: ClientCredential,
  timeoutMs: number,
): Promise<() => CredentialOptions> {
  switch (credential.kind) {
    case 'secret':
      return () => ({ clientSecret: credential.clientSecret });
    case 'certificate': {
      const { privateKey, x5c, thumbprintSha256 } = credential;
      return () => ({ clientCertificate: { privateKey, x5c, thumbprintSha256 } });
    }
    case 'managedIdentity': {
      // Loaded only here: @azure/identity is the heaviest import and only Azure needs it.
      const { ManagedIdentityCredential } = await import('@azure/identity');
      const identity = new ManagedIdentityCredential({
        clientId: credential.managedIdentityClientId,
      });
      const clientAssertion = async () => {
        try {
          const pending = identity.getToken(TOKEN_EXCHANGE_SCOPE, {
            abortSignal: AbortSignal.timeout(timeoutMs),
          });
          return (await within(pending, timeoutMs)).token;
        } catch (error) {
          throw error instanceof CredentialUnavailable
            ? error
            : new CredentialUnavailable((error as Error).name);
        }
      };
      return () => ({ clientAssertion });
    }
  }
}

function classify(error: unknown, seen: WireObservation): Failure {
  if (error instanceof CredentialUnavailable) return { code: 'credential_unavailable' };
  if (seen.transport === 'busy') return serverBusy();
  if (seen.transport === 'timeout') return { code: 'token_exchange_timeout' };
  if (seen.transport === 'unreachable') return { code: 'token_exchange_unreachable' };
  if (seen.status !== undefined && (seen.status >= 500 || seen.status === 429)) {
    return { code: 'token_exchange_unavailable', retryAfter: seen.retryAfter };
  }
  if (seen.refused) return { code: 'token_exchange_rejected', entraError: seen.refused };
  const authError = error as Partial<AuthError> & { errorNo?: string; claims?: string };
  const entraError = seen.error ?? authError.errorCode;
  const isConsent =
    entraError === 'consent_required' ||
    (seen.suberror ?? authError.subError) === 'consent_required' ||
    seen.errorCodes?.includes(65001) ||
    authError.errorNo === '65001';
  if (isConsent) return { code: 'consent_required' };
  const claims =
    seen.claims ??
    (error instanceof InteractionRequiredAuthError ? jsonObjectText(error.claims) : undefined);
  if (claims) return { code: 'insufficient_claims', claims };
  // invalid_grant with claims asks for more (AADSTS50079); other errors keep their own meaning.
  if (
    error instanceof InteractionRequiredAuthError ||
    (seen.unusableClaims && entraError === 'invalid_grant')
  ) {
    return { code: 'interaction_required' };
  }
  if (entraError === 'invalid_grant') {
    return { code: 'invalid_token', reason: 'rejected_by_identity_provider' };
  }
  const aadsts = seen.errorCodes?.[0] ?? authError.errorNo;
  return {
    code: 'token_exchange_rejected',
    entraError: entraError || 'unknown',
    ...(aadsts !== undefined && aadsts !== '' && { aadsts: String(aadsts) }),
  };
}

/**
 * Builds the On-Behalf-Of exchange: the caller's token for a Graph token.
 *
 * Each exchange gets its own MSAL client. Sharing one would share MSAL's
 * throttling state and token cache between users: one user's Entra 5xx would
 * block everyone for a minute, and the cache would grow with every user.
 * With the metadata supplied up front, a fresh client costs no extra round trip.
 *
 * @example
 * const exchangeOnBehalfOf = await createOnBehalfOfExchanger(config, pool);
 * const result = await exchangeOnBehalfOf(caller, correlationId);
 * if (result.ok) result.value; // a Graph access token for this caller only
 */
export async function createOnBehalfOfExchanger(config: Config, pool: UpstreamPool) {
  const credential = await credentialOptions(config.credential, config.graphTimeoutMs);
  const metadataByTenant = new Map<string, ReturnType<typeof authorityMetadata>>();
  const metadataFor = (tid: string) => {
    let metadata = metadataByTenant.get(tid);
    if (!metadata) {
      metadata = authorityMetadata(config.authorityHost, tid);
      metadataByTenant.set(tid, metadata); // bounded: tids are from ALLOWED_TENANT_IDS
    }
    return metadata;
  };

  return async function exchangeOnBehalfOf(
    caller: Caller,
    correlationId: string,
  ): Promise<Result<string>> {
    const seen: WireObservation = {};
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: config.clientId,
        authority: `${config.authorityHost}/${caller.tid}`,
        ...metadataFor(caller.tid),
        ...credential(),
        // CP1: we relay Graph's Continuous Access Evaluation challenges to the client.
        clientCapabilities: ['CP1'],
      },
      system: {
        networkClient: observedNetworkClient(pool, config.graphTimeoutMs, seen),
        loggerOptions: QUIET_MSAL_LOGGER,
      },
    });
    try {
      const result = await client.acquireTokenOnBehalfOf({
        oboAssertion: caller.accessToken,
        scopes: [config.graphScope],
        correlationId,
        skipCache: true,
      });
      if (!result?.accessToken)
        return fail({ code: 'token_exchange_rejected', entraError: 'empty response' });
      return { ok: true, value: result.accessToken };
    } catch (error) {
      return fail(classify(error, seen));
    }
  };
}

export type OnBehalfOfExchanger = Awaited<ReturnType<typeof createOnBehalfOfExchanger>>;
