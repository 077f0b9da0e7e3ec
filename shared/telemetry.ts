/**
 * Traces for each change attempt, through the OpenTelemetry API only.
 *
 * This module is on every request's path, so it imports nothing but
 * `@opentelemetry/api` (a few KB): until an exporter is configured
 * (shared/telemetrySdk.ts, loaded lazily), every call here is a no-op.
 *
 * One attempt = one SERVER span (`changePassword`) parented to the trace
 * context the Functions host hands the worker, with CLIENT child spans for
 * the calls the pipeline makes (Entra's token endpoint, Graph, the attempt
 * store). Attributes are codes, statuses and correlation ids only: never a
 * password, a token, an Authorization header or a body.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Failure, Result } from './failures.js';

export const TRACER_NAME = 'entra-change-password';

/** The v4 InvocationContext's `traceContext`: the host's W3C trace context for this invocation. */
export interface HostTraceContext {
  traceParent?: string | null;
  traceState?: string | null;
}

/** What the log line and the span both say about one attempt; see `logFields`. */
export interface AttemptRecord {
  outcome: string;
  status: number;
  /** The failure's safe detail, e.g. { reason: 'expired' }; never a value the caller sent. */
  detail: Partial<Record<DetailKey, string | number>>;
  graphRequestId?: string;
  clientRequestId: string;
  tenantId?: string;
}

/** Log key → span attribute. The log line and the span are written from the same record. */
const ATTRIBUTE_OF = {
  outcome: 'changepassword.outcome',
  status: 'http.response.status_code',
  reason: 'changepassword.reason',
  field: 'changepassword.field',
  entraError: 'changepassword.entra_error',
  aadsts: 'changepassword.aadsts',
  graphStatus: 'changepassword.graph_status',
  storeReason: 'changepassword.store_reason',
  limitBytes: 'changepassword.limit_bytes',
  graphRequestId: 'changepassword.graph_request_id',
  clientRequestId: 'changepassword.client_request_id',
  tenantId: 'changepassword.tenant_id',
} as const;

type LogKey = keyof typeof ATTRIBUTE_OF;
/** A detail's key must have its span attribute: the log line and the span cannot drift apart. */
type DetailKey = Exclude<
  LogKey,
  'outcome' | 'status' | 'graphRequestId' | 'clientRequestId' | 'tenantId'
>;

/** The record as ordered `key=value` pairs, for the log line. */
export function logFields(record: AttemptRecord): [string, string | number][] {
  const fields: [string, string | number][] = [
    ['outcome', record.outcome],
    ['status', record.status],
    ...Object.entries(record.detail),
    ['graphRequestId', record.graphRequestId ?? '-'],
    ['clientRequestId', record.clientRequestId],
    ['tenantId', record.tenantId ?? '-'],
  ];
  return fields;
}

/** The same record as span attributes ("-" means absent and is left out). */
export function spanAttributes(record: AttemptRecord): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of logFields(record)) {
    const name = ATTRIBUTE_OF[key as LogKey];
    if (name && value !== '-') attributes[name] = value;
  }
  return attributes;
}

/** The calls an attempt makes, as HTTP client spans (names follow the HTTP semantic conventions). */
export const DEPENDENCIES = {
  tokenExchange: { name: 'POST /{tenant}/oauth2/v2.0/token', method: 'POST' },
  graphChangePassword: { name: 'POST /{version}/me/changePassword', method: 'POST' },
  // The guessing protection's store call (issue 10): a CLIENT span like the others.
  attemptStore: { name: 'attempt store', method: undefined },
} as const;

export type Dependency = keyof typeof DEPENDENCIES;

const tracer = () => trace.getTracer(TRACER_NAME);

const CORRELATION_ID = /^[A-Za-z0-9-]{1,64}$/;

function graphRequestIdOf(result: Result<unknown>): string | undefined {
  const headers = result.ok
    ? (result.value as { headers?: Record<string, string> } | undefined)?.headers
    : (result.failure as Extract<Failure, { code: 'graph_error' }>).headers;
  return headers?.['request-id'];
}

/**
 * Records an HTTP answer on the span of the call it belongs to: status, final URL and
 * the correlation ids upstream services give support (Graph's `request-id`, Entra's
 * `x-ms-request-id`). Called where the pipeline's modules call `fetch`; a no-op
 * when nothing is traced.
 */
export function noteHttpResponse(response: Response): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  const url = new URL(response.url);
  span.setAttributes({
    'http.response.status_code': response.status,
    'url.full': `${url.origin}${url.pathname}`, // never a query string
  });
  for (const header of ['request-id', 'x-ms-request-id', 'client-request-id']) {
    const value = response.headers.get(header);
    // Ids only: an upstream header is not trusted to be one (nor to hold no secret).
    if (value !== null && CORRELATION_ID.test(value)) {
      span.setAttribute(`http.response.header.${header}`, [value]);
    }
  }
}

/**
 * One change attempt's trace. Made by the handler per request, handed to the
 * pipeline, ended by the handler with the same record the log line says.
 *
 * @example
 * const attempt = startAttemptTrace({ invocationId, method: 'POST', url, traceContext, startTime });
 * const graphToken = await attempt.call('tokenExchange', authorityHost, () => exchangeOnBehalfOf(caller, id));
 * attempt.end(record);
 */
export class AttemptTrace {
  readonly #span: Span;
  readonly #context: Context;
  /** The caller's tenant, once its token has been verified. */
  tenantId: string | undefined;

  constructor(span: Span, parent: Context) {
    this.#span = span;
    this.#context = trace.setSpan(parent, span);
  }

  /** The trace id for the log line, when this attempt is traced or the host gave one. */
  get traceId(): string | undefined {
    const { traceId } = this.#span.spanContext();
    return trace.isSpanContextValid(this.#span.spanContext()) ? traceId : undefined;
  }

  /** Runs one call to another service as a CLIENT child span, and records its result. */
  async call<T extends Result<unknown>>(
    dependency: Dependency,
    server: URL,
    run: () => Promise<T>,
  ): Promise<T> {
    const { name, method } = DEPENDENCIES[dependency];
    const span = tracer().startSpan(name, { kind: SpanKind.CLIENT }, this.#context);
    if (span.isRecording()) {
      span.setAttributes({
        'server.address': server.hostname,
        'server.port': Number(server.port || (server.protocol === 'https:' ? 443 : 80)),
        'url.template': name.slice(name.indexOf(' ') + 1),
      });
      if (method) span.setAttribute('http.request.method', method);
    }
    let result: T;
    try {
      result = span.isRecording()
        ? await context.with(trace.setSpan(this.#context, span), run)
        : await run();
    } catch (error) {
      // A bug, not an upstream answer: its kind only; messages may quote input.
      span.setAttribute('error.type', (error as Error).name);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    }
    if (!span.isRecording()) return result;
    span.setAttribute('changepassword.outcome', result.ok ? 'ok' : result.failure.code);
    const requestId = dependency === 'graphChangePassword' ? graphRequestIdOf(result) : undefined;
    if (requestId) span.setAttribute('changepassword.graph_request_id', requestId);
    if (!result.ok) {
      span.setAttribute('error.type', result.failure.code);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    return result;
  }

  /** Ends the attempt's span with what the log line says. Server-side failures (5xx) are errors. */
  end(record: AttemptRecord): void {
    if (!this.#span.isRecording()) return;
    this.#span.setAttributes(spanAttributes(record));
    if (record.status >= 500) {
      this.#span.setAttribute('error.type', record.outcome);
      this.#span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.#span.end();
  }
}

export interface AttemptStart {
  invocationId: string;
  method: string;
  url: string;
  traceContext?: HostTraceContext | null;
  /** `performance.now()` when the request arrived. */
  startTime: number;
}

/**
 * Starts the attempt's SERVER span as a child of the host's trace context, so
 * App Insights files it, its calls and the host's own records under one
 * operation. The span is a real child, not just an extracted context: the
 * instrumentation package's DISTRIBUTED_TRACING_FIX.md explains why calls
 * otherwise become orphan roots.
 */
export function startAttemptTrace(start: AttemptStart): AttemptTrace {
  const carrier: Record<string, string> = {};
  if (start.traceContext?.traceParent) carrier.traceparent = start.traceContext.traceParent;
  if (start.traceContext?.traceState) carrier.tracestate = start.traceContext.traceState;
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = tracer().startSpan(
    'changePassword',
    { kind: SpanKind.SERVER, startTime: start.startTime },
    parent,
  );
  if (span.isRecording()) {
    // Attributes only for a recorded span: untraced, an attempt costs a few no-op calls.
    const url = new URL(start.url);
    span.setAttributes({
      'faas.trigger': 'http',
      'faas.invocation_id': start.invocationId,
      'http.request.method': start.method,
      'url.full': `${url.origin}${url.pathname}`, // never a query string
      'url.path': url.pathname,
    });
  }
  return new AttemptTrace(span, parent);
}
