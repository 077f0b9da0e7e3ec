// Answers a broken or hostile upstream can send, common to both servers: bodies far larger
// than any real answer, and bodies that stop half-way.
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { hang } from './http.js';

/** 300 MB: what the security review sent; a client reading it whole needs about 1 GB. */
export const HUGE_BODY_BYTES = 300 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/**
 * Streams a JSON-looking body of HUGE_BODY_BYTES, one chunk at a time and only as fast as the
 * client reads (backpressure), so the emulator holds no more than one chunk. Counts what it sent.
 */
export async function sendHugeBody(
  ctx: EmulatorContext,
  res: ServerResponse,
  status: number,
  declareLength: boolean,
): Promise<void> {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(declareLength && { 'content-length': HUGE_BODY_BYTES }),
  });
  const prefix = Buffer.from('{"error":{"code":"huge","message":"');
  res.write(prefix);
  let sent = prefix.length;
  while (sent + CHUNK.length <= HUGE_BODY_BYTES && !res.destroyed && !ctx.closing.aborted) {
    ctx.state.stats.hugeBytesSent += CHUNK.length;
    sent += CHUNK.length;
    if (!res.write(CHUNK)) {
      const resumed = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => () => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
      if (!resumed) return;
    }
  }
  res.destroy(); // never a complete, valid answer
}

/** Sends the headers and the start of a body, then nothing until the client gives up. */
export async function stallBody(
  ctx: EmulatorContext,
  res: ServerResponse,
  status: number,
): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.write('{"error":');
  const clientGone = new AbortController();
  res.once('close', () => clientGone.abort());
  await hang(AbortSignal.any([ctx.closing, clientGone.signal]));
  res.destroy();
}
