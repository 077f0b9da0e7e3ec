/**
 * Reading upstream answers (Entra's keys and tokens, Graph's errors) with a byte cap. Every one
 * of them is a small JSON document; a larger answer is refused before it costs memory or time.
 */

/** 64 KiB: Entra's key set and token answers and Graph's errors are a few KiB at most. */
export const MAX_UPSTREAM_BODY_BYTES = 64 * 1024;

/** The answer declared or streamed more than the cap; it was not read further. */
export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
  constructor(readonly limitBytes: number) {
    super(`upstream body larger than ${limitBytes} bytes`);
  }
}

/** Drops the rest of a body we will not read (frees the connection); never throws. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * The body as UTF-8 text, at most `limitBytes` (after content decoding): `Content-Length` is
 * checked first, then the stream is counted and cancelled as soon as it passes the cap.
 * Throws BodyTooLarge; transport errors (a timeout through the request's signal, a reset) pass
 * through as they are.
 *
 * @example
 * const text = await readBoundedText(await fetch(url, { signal }));
 */
export async function readBoundedText(
  response: Response,
  limitBytes = MAX_UPSTREAM_BODY_BYTES,
): Promise<string> {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) {
    await discardBody(response);
    throw new BodyTooLarge(limitBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
