import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import { discardBody, readBoundedText } from './boundedBody.js';

/** After a failed fetch, the key endpoint is not asked again for this long. */
export const KEY_FETCH_COOLDOWN_MS = 30_000;
/** Keys older than this are refreshed; until a refresh succeeds the old ones keep working. */
export const KEYS_MAX_AGE_MS = 10 * 60_000;
/** A token with a key id we do not have refetches the set at most this often (a rotated key). */
const UNKNOWN_KEY_REFETCH_MS = 30_000;

/** Entra's keys could not be fetched: the token can be neither accepted nor refused. */
export class SigningKeysUnavailable extends Error {
  override name = 'SigningKeysUnavailable';
  constructor(readonly retryAfterSeconds: number) {
    super('signing keys unavailable');
  }
}

/** jose's fetch, with the body read under our byte cap (the key set is a few KiB). */
async function boundedFetch(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (response.status !== 200) {
    await discardBody(response);
    return new Response(null, { status: response.status });
  }
  return new Response(await readBoundedText(response), { status: 200 });
}

/**
 * Entra's signing keys, fetched with jose's createRemoteJWKSet and refetched on our schedule.
 *
 * jose alone (v6 src/jwks/remote.ts) refetches after `cacheMaxAge` before answering, so a failing
 * refresh fails every token although the keys it holds are still good, and it records no time
 * after a failed fetch, so a failing endpoint is asked again by every request. Here jose never
 * refetches by itself (both durations infinite); this wrapper calls `reload()`:
 * - no keys yet: fetch, unless a fetch failed less than KEY_FETCH_COOLDOWN_MS ago;
 * - keys older than KEYS_MAX_AGE_MS: refresh in the background, answer with the keys held;
 * - a key id not in the set: refetch (a rotated key), at most every UNKNOWN_KEY_REFETCH_MS.
 * When keys are needed and cannot be had, it throws SigningKeysUnavailable with the seconds
 * until the endpoint will be asked again.
 *
 * @example
 * const getKey = createSigningKeyResolver(new URL(jwksUri), 10_000);
 * await jwtVerify(token, getKey, { algorithms: ['RS256'] });
 */
export function createSigningKeyResolver(jwksUri: URL, timeoutMs: number): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(jwksUri, {
    timeoutDuration: timeoutMs,
    cacheMaxAge: Number.POSITIVE_INFINITY,
    cooldownDuration: Number.POSITIVE_INFINITY,
    [customFetch]: boundedFetch,
  });
  let fetchedAt: number | undefined;
  let failedAt: number | undefined;

  const coolingDown = () => failedAt !== undefined && Date.now() < failedAt + KEY_FETCH_COOLDOWN_MS;
  const unavailable = () =>
    new SigningKeysUnavailable(
      Math.max(1, Math.ceil(((failedAt ?? 0) + KEY_FETCH_COOLDOWN_MS - Date.now()) / 1000)),
    );
  /** One fetch for all concurrent callers (jose shares a pending reload); true if it worked. */
  const refresh = async (): Promise<boolean> => {
    try {
      await remote.reload();
      fetchedAt = Date.now();
      failedAt = undefined;
      return true;
    } catch {
      failedAt = Date.now();
      return false;
    }
  };

  return async function getSigningKey(protectedHeader, token) {
    if (fetchedAt === undefined) {
      if (coolingDown() || !(await refresh())) throw unavailable();
    } else if (Date.now() - fetchedAt > KEYS_MAX_AGE_MS && !coolingDown() && !remote.reloading) {
      void refresh();
    }
    try {
      return await remote(protectedHeader, token);
    } catch (error) {
      const mayBeRotated =
        error instanceof errors.JWKSNoMatchingKey &&
        Date.now() - (fetchedAt ?? 0) >= UNKNOWN_KEY_REFETCH_MS;
      if (!mayBeRotated) throw error;
      if (coolingDown() || !(await refresh())) throw unavailable();
      return remote(protectedHeader, token);
    }
  };
}
