/**
 * Values from Entra's and Graph's answers that we pass on (a header) or write down (a log line):
 * each is checked against its grammar or reduced to harmless characters first.
 */

const DELTA_SECONDS = /^\d{1,10}$/;
// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (what senders must generate).
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * An upstream `Retry-After` when it is one (RFC 9110 §10.2.3: delta-seconds or an HTTP-date),
 * else undefined: anything else is not relayed.
 *
 * @example
 * retryAfterOf('17'); // '17'
 * retryAfterOf('soon\r\nSet-Cookie: x'); // undefined
 */
export function retryAfterOf(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (DELTA_SECONDS.test(trimmed)) return trimmed;
  return IMF_FIXDATE.test(trimmed) && !Number.isNaN(Date.parse(trimmed)) ? trimmed : undefined;
}

/**
 * Text from upstream that should be a JSON object (a claims request), when it is one of at most
 * `maxLength` characters; else undefined.
 *
 * @example
 * jsonObjectText('{"access_token":{}}'); // '{"access_token":{}}'
 * jsonObjectText('["a"]'); // undefined
 */
export function jsonObjectText(text: unknown, maxLength = 4096): string | undefined {
  if (typeof text !== 'string' || text === '' || text.length > maxLength) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? text
      : undefined;
  } catch {
    return undefined;
  }
}

const LOG_VALUE_MAX = 64;

/**
 * An upstream value as it may appear in a log line: only `[A-Za-z0-9._-]` (every other run of
 * characters becomes one `_`), at most 64 characters, `-` when nothing is left. A hostile answer
 * can then neither end the line nor forge a `key=value` of its own.
 *
 * @example
 * logValue('invalid_client\noutcome=changed'); // 'invalid_client_outcome_changed'
 */
export function logValue(value: unknown): string {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  const reduced = text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, LOG_VALUE_MAX);
  return reduced === '' ? '-' : reduced;
}
