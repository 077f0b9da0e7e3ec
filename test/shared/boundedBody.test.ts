import { describe, expect, it } from 'vitest';
import { BodyTooLarge, readBoundedText } from '../../shared/boundedBody.js';

/** A body of `total` bytes made on demand, recording how much was pulled and whether it was cancelled. */
function streamedResponse(total: number, headers: Record<string, string> = {}) {
  const seen = { pulled: 0, cancelled: false };
  const chunk = new Uint8Array(16 * 1024).fill(97);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= total) return controller.close();
      seen.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { response: new Response(body, { headers }), seen };
}

describe('readBoundedText', () => {
  it('reads a body within the cap', async () => {
    expect(await readBoundedText(new Response('{"a":"é"}'), 64)).toBe('{"a":"é"}');
  });

  it('reads an empty body', async () => {
    expect(await readBoundedText(new Response(null))).toBe('');
  });

  it('refuses a declared Content-Length over the cap without reading', async () => {
    const { response, seen } = streamedResponse(1024 * 1024, { 'content-length': '1048576' });
    await expect(readBoundedText(response, 1000)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(seen.pulled).toBeLessThanOrEqual(16 * 1024); // at most what the stream buffered ahead
    expect(seen.cancelled).toBe(true);
  });

  it('decides on the declared Content-Length alone, before any byte arrives', async () => {
    // The stream holds nothing (yet): only the header can tell the answer is too large.
    const seen = { cancelled: false };
    const nothingYet = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
      cancel() {
        seen.cancelled = true;
      },
    });
    const response = new Response(nothingYet, { headers: { 'content-length': '300000000' } });
    await expect(readBoundedText(response)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(seen.cancelled).toBe(true);
  });

  it('cancels an undeclared body as soon as it passes the cap', async () => {
    const { response, seen } = streamedResponse(300 * 1024 * 1024);
    await expect(readBoundedText(response, 64 * 1024)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(seen.pulled).toBeLessThan(200 * 1024);
    expect(seen.cancelled).toBe(true);
  });

  it('accepts exactly the cap', async () => {
    const { response } = streamedResponse(32 * 1024);
    expect((await readBoundedText(response, 32 * 1024)).length).toBe(32 * 1024);
  });
});
