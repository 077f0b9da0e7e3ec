import type { IncomingMessage } from 'node:http';
import type { EmulatorContext } from './context.js';
import { hang, resetRequest, sleep } from './http.js';
import type { Failure } from './state.js';

/**
 * Applies the transport side of a scripted failure, common to both servers:
 * waits delayMs, then drops the request ("reset") or never answers ("hang").
 * Returns true when the request needs no answer.
 */
export async function applyTransportFailure(
  ctx: EmulatorContext,
  req: IncomingMessage,
  failure: Failure,
): Promise<boolean> {
  await sleep(failure.delayMs ?? 0, ctx.closing);
  if (failure.mode === 'reset') {
    resetRequest(req);
    return true;
  }
  if (failure.mode === 'hang') {
    await hang(ctx.closing);
    return true;
  }
  return false;
}

export const retryAfter = (failure: Failure): string => String(failure.retryAfterSeconds ?? 1);
