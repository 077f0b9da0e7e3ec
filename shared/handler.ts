import { type Admission, createAdmission, SERVER_BUSY_RETRY_AFTER_SECONDS } from './admission.js';
import { createChangePassword } from './changePassword.js';
import { type Config, loadConfig } from './config.js';
import { answerPreflight } from './cors.js';
import { type Failure, fail, graphStatusOf, type Result } from './failures.js';
import type { GraphSuccess } from './graph.js';
import {
  bareFailureReply,
  clientRequestIdFrom,
  type HttpReply,
  replyFor,
  withCommonHeaders,
} from './response.js';
import {
  type AttemptRecord,
  type HostTraceContext,
  logFields,
  startAttemptTrace,
} from './telemetry.js';
import { startTelemetry } from './telemetrySettings.js';
import { logValue } from './upstreamValues.js';

/** A request as the handler needs it, whatever host delivered it. */
export interface IncomingCall {
  method: string;
  url: string;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

type Ready = {
  config: Config;
  admission: Admission;
  changePassword: Awaited<ReturnType<typeof createChangePassword>>;
};

/** Safe detail for the outcome log line and span: codes and reasons, never values a caller sent. */
function detailOf(failure: Failure): AttemptRecord['detail'] {
  switch (failure.code) {
    case 'invalid_token':
      return { reason: failure.reason };
    case 'invalid_request':
      return { field: failure.field };
    case 'payload_too_large':
      return { limitBytes: failure.limitBytes };
    case 'token_exchange_rejected':
      // Entra's words: reduced so a hostile answer cannot end the line or forge a field.
      return {
        entraError: logValue(failure.entraError),
        ...(failure.aadsts && { aadsts: logValue(failure.aadsts) }),
      };
    case 'graph_error':
    case 'graph_bad_response': {
      const graphStatus = graphStatusOf(failure);
      return graphStatus ? { graphStatus } : {};
    }
    case 'attempt_store_unavailable':
      return { storeReason: failure.reason };
    default:
      return {};
  }
}

/** `key=value` pairs; a value with spaces or quotes is quoted, so the line stays parseable. */
function logLine(fields: [string, string | number][]): string {
  return fields
    .map(([key, value]) =>
      typeof value === 'string' && /[\s"=]/.test(value)
        ? `${key}=${JSON.stringify(value)}`
        : `${key}=${value}`,
    )
    .join(' ');
}

/** Runs the request if this instance has room for it; otherwise server_busy, before any work. */
async function runAdmitted(
  admission: Admission,
  work: () => Promise<Result<GraphSuccess>>,
): Promise<Result<GraphSuccess>> {
  const release = admission.tryEnter();
  if (!release) {
    return fail({ code: 'server_busy', retryAfterSeconds: SERVER_BUSY_RETRY_AFTER_SECONDS });
  }
  try {
    return await work();
  } finally {
    release();
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
    await startTelemetry(env, log);
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
    return {
      config: loaded.config,
      admission: createAdmission(loaded.config.maxConcurrentRequests),
      changePassword: await createChangePassword(loaded.config),
    };
  }

  return async function handleChangePassword(
    call: IncomingCall,
    log: Logger,
    invocationId: string,
    traceContext?: HostTraceContext | null,
  ): Promise<HttpReply> {
    const started = performance.now();
    const clientRequestId = clientRequestIdFrom(call.headers.get('client-request-id'));
    ready ??= setUp(log, invocationId).catch((error: unknown) => {
      ready = undefined; // e.g. the managed identity library failed to load: try again next time
      throw error;
    });
    let app: Ready | undefined;
    let setupError: Error | undefined;
    try {
      app = await ready;
    } catch (error) {
      setupError = error as Error;
    }
    if (call.method === 'OPTIONS' && app) {
      // A CORS preflight, not a change attempt: no span, no outcome line.
      const origin = call.headers.get('origin');
      const preflight = answerPreflight(app.config, origin);
      const reply: HttpReply = preflight.ok
        ? { status: 204, headers: preflight.headers }
        : replyFor(preflight, app.config);
      return withCommonHeaders(reply, app.config, origin, clientRequestId);
    }

    // Started once setup (and so the tracer) is ready, dated from the request's arrival.
    const attempt = startAttemptTrace({
      invocationId,
      method: call.method,
      url: call.url,
      traceContext,
      startTime: started,
    });
    let result: Result<GraphSuccess>;
    let reply: HttpReply;
    if (setupError) {
      log.error(`changePassword setup failed: ${setupError.name} invocationId=${invocationId}`);
      result = { ok: false, failure: { code: 'internal_error' } };
      reply = bareFailureReply(result.failure, clientRequestId);
    } else if (!app) {
      result = { ok: false, failure: { code: 'server_misconfigured' } };
      reply = bareFailureReply(result.failure, clientRequestId);
    } else {
      const { changePassword } = app;
      try {
        result = await runAdmitted(app.admission, () =>
          changePassword({
            authorization: call.headers.get('authorization'),
            body: {
              contentType: call.headers.get('content-type'),
              contentLength: call.headers.get('content-length'),
              bytes: () => call.arrayBuffer(),
            },
            clientRequestId,
            attempt,
            warn: (message) => log.warn(`${message} invocationId=${invocationId}`),
          }),
        );
      } catch (error) {
        // A bug, not an upstream failure: log its kind only; messages may quote input.
        log.error(
          `changePassword internal error: ${(error as Error).name} invocationId=${invocationId}`,
        );
        result = { ok: false, failure: { code: 'internal_error' } };
      }
      const origin = call.headers.get('origin');
      reply = withCommonHeaders(replyFor(result, app.config), app.config, origin, clientRequestId);
    }

    // One record, said twice: as the attempt's span and as its log line.
    const record: AttemptRecord = {
      outcome: result.ok ? 'changed' : result.failure.code,
      status: reply.status,
      detail: result.ok ? {} : detailOf(result.failure),
      graphRequestId: reply.headers['request-id'],
      clientRequestId,
      tenantId: attempt.tenantId,
    };
    attempt.end(record);
    const line = `changePassword ${logLine([
      ...logFields(record),
      ['traceId', attempt.traceId ?? '-'],
      ['durationMs', Math.round(performance.now() - started)],
      ['invocationId', invocationId],
    ])}`;
    if (reply.status >= 500) log.error(line);
    else if (reply.status >= 400) log.warn(line);
    else log.info(line);
    return reply;
  };
}
