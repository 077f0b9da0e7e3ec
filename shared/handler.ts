import { createChangePassword } from './changePassword.js';
import { type Config, loadConfig } from './config.js';
import { answerPreflight } from './cors.js';
import type { Failure, Result } from './failures.js';
import type { GraphSuccess } from './graph.js';
import {
  bareFailureReply,
  clientRequestIdFrom,
  type HttpReply,
  replyFor,
  withCommonHeaders,
} from './response.js';

/** A request as the handler needs it, whatever host delivered it. */
export interface IncomingCall {
  method: string;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

type Ready = { config: Config; changePassword: Awaited<ReturnType<typeof createChangePassword>> };

/** Safe detail for the outcome log line: codes and reasons, never values a caller sent. */
function detailOf(failure: Failure): string {
  switch (failure.code) {
    case 'invalid_token':
      return ` reason=${failure.reason}`;
    case 'invalid_request':
      return ` field=${failure.field}`;
    case 'token_exchange_rejected':
      return ` entraError="${failure.entraError}"`;
    case 'graph_error':
      return ` graphStatus=${failure.status}`;
    default:
      return '';
  }
}

/**
 * Builds the changePassword request handler from app settings. Configuration
 * and clients are set up on the first request (imports stay cheap for cold
 * starts) and then shared; a configuration error is logged once, naming the
 * setting, and every request gets a JSON 500 that says nothing more.
 *
 * @example
 * const handle = createRequestHandler(process.env);
 * const reply = await handle(request, context, context.invocationId);
 */
export function createRequestHandler(env: Readonly<Record<string, string | undefined>>) {
  let ready: Promise<Ready | undefined> | undefined;
  let configErrorReported = false;

  async function setUp(log: Logger, invocationId: string): Promise<Ready | undefined> {
    const loaded = loadConfig(env);
    if (!loaded.ok) {
      if (!configErrorReported) {
        configErrorReported = true;
        log.error(
          `changePassword configuration error: ${loaded.message} setting=${loaded.setting} invocationId=${invocationId}`,
        );
      }
      return undefined;
    }
    return { config: loaded.config, changePassword: await createChangePassword(loaded.config) };
  }

  return async function handleChangePassword(
    call: IncomingCall,
    log: Logger,
    invocationId: string,
  ): Promise<HttpReply> {
    const started = performance.now();
    const clientRequestId = clientRequestIdFrom(call.headers.get('client-request-id'));
    ready ??= setUp(log, invocationId).catch((error: unknown) => {
      ready = undefined; // e.g. the managed identity library failed to load: try again next time
      throw error;
    });
    let app: Ready | undefined;
    try {
      app = await ready;
    } catch (error) {
      log.error(
        `changePassword setup failed: ${(error as Error).name} invocationId=${invocationId}`,
      );
      return bareFailureReply({ code: 'internal_error' }, clientRequestId);
    }
    if (!app) return bareFailureReply({ code: 'server_misconfigured' }, clientRequestId);

    const origin = call.headers.get('origin');
    if (call.method === 'OPTIONS') {
      const preflight = answerPreflight(app.config, origin);
      const reply: HttpReply = preflight.ok
        ? { status: 204, headers: preflight.headers }
        : replyFor(preflight, app.config);
      return withCommonHeaders(reply, app.config, origin, clientRequestId);
    }

    let result: Result<GraphSuccess>;
    try {
      result = await app.changePassword({
        authorization: call.headers.get('authorization'),
        body: {
          contentType: call.headers.get('content-type'),
          contentLength: call.headers.get('content-length'),
          bytes: () => call.arrayBuffer(),
        },
        clientRequestId,
      });
    } catch (error) {
      // A bug, not an upstream failure: log its kind only; messages may quote input.
      log.error(
        `changePassword internal error: ${(error as Error).name} invocationId=${invocationId}`,
      );
      result = { ok: false, failure: { code: 'internal_error' } };
    }
    const reply = withCommonHeaders(
      replyFor(result, app.config),
      app.config,
      origin,
      clientRequestId,
    );

    const outcome = result.ok ? 'changed' : result.failure.code;
    const detail = result.ok ? '' : detailOf(result.failure);
    const graphRequestId = reply.headers['request-id'] ?? '-';
    const line =
      `changePassword outcome=${outcome} status=${reply.status}${detail} graphRequestId=${graphRequestId}` +
      ` clientRequestId=${clientRequestId} durationMs=${Math.round(performance.now() - started)} invocationId=${invocationId}`;
    if (reply.status >= 500) log.error(line);
    else if (reply.status >= 400) log.warn(line);
    else log.info(line);
    return reply;
  };
}
