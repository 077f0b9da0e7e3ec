// Traces of change attempts, through the real handler against the emulators, into an
// in-memory exporter installed by the same installTracing the app uses in production.
import { randomBytes } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addFailure,
  clearFailures,
  createUser,
  mintToken,
} from '../../emulators/control-client.js';
import { spanAttributes } from '../../shared/telemetry.js';
import { installTracing } from '../../shared/telemetrySdk.js';
import {
  type CallOptions,
  call,
  emulators,
  entraUrl,
  newHandler,
  type Reply,
  uniqueUsername,
} from './harness.js';

const memory = new InMemorySpanExporter();
const provider = installTracing([{ exporter: memory, batch: false }], {
  serviceName: 'telemetry-test',
});
afterAll(() => provider.shutdown());

const handler = newHandler();
const username = uniqueUsername('traced');
const PASSWORD = 'Old-Passw0rd!';
/** Every secret a request below carried: none may reach a span. */
const secrets = new Set<string>([PASSWORD, emulators.env.AZURE_CLIENT_SECRET as string]);

beforeAll(async () => {
  await createUser(entraUrl, { username, password: PASSWORD });
});
beforeEach(async () => {
  await clearFailures(entraUrl);
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A host-style traceparent: the Functions host's own span for this invocation. */
function hostTraceParent() {
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceParent: `00-${traceId}-${spanId}-01` };
}

async function token(options: Parameters<typeof mintToken>[1] = { username }) {
  const minted = await mintToken(entraUrl, options);
  secrets.add(minted);
  return minted;
}

type Handler = ReturnType<typeof newHandler>;

async function attempt(
  extra: Omit<CallOptions, 'body'> & { body?: Record<string, string>; handler?: Handler },
) {
  for (const value of Object.values(extra.body ?? {})) if (value.length >= 8) secrets.add(value);
  return call(extra.handler ?? handler, extra);
}

interface Trace {
  server: ReadableSpan;
  children: ReadableSpan[];
  child(name: string): ReadableSpan;
}

/** The attempt's span (found by invocation id) and its children. */
function traceOf(reply: Reply): Trace {
  const spans = memory.getFinishedSpans();
  const server = spans.find((s) => s.attributes['faas.invocation_id'] === reply.invocationId);
  if (!server) throw new Error(`no span for invocation ${reply.invocationId}`);
  const children = spans.filter((s) => s.parentSpanContext?.spanId === server.spanContext().spanId);
  return {
    server,
    children,
    child(name) {
      const found = children.find((s) => s.name === name);
      if (!found) throw new Error(`no child span ${name}; have ${children.map((c) => c.name)}`);
      return found;
    },
  };
}

const TOKEN = 'POST /{tenant}/oauth2/v2.0/token';
const GRAPH = 'POST /{version}/me/changePassword';
const STORE = 'attempt store'; // the guessing protection's Azure Table Storage round trips

/** The outcome line's key=value pairs. */
function outcomeLine(reply: Reply): Map<string, string> {
  const line = reply.logs.find((l) => l.includes('changePassword outcome='));
  if (!line) throw new Error(`no outcome line in ${reply.logs}`);
  const fields = new Map<string, string>();
  for (const match of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const [, key, raw] = match as unknown as [string, string, string];
    fields.set(key, raw.startsWith('"') ? JSON.parse(raw) : raw);
  }
  return fields;
}

/** The log line's own fields, which are not part of the attempt's record. */
const LINE_ONLY = ['traceId', 'durationMs', 'invocationId'];
const RECORD = ['outcome', 'status', 'graphRequestId', 'clientRequestId', 'tenantId'];
const NUMERIC = ['graphStatus', 'limitBytes'];

/** The log line says what the span says: every field of the line is a span attribute, same value. */
function expectLogMatchesSpan(reply: Reply, server: ReadableSpan) {
  const fields = outcomeLine(reply);
  // Every other field is the failure's detail (reason, field, graphStatus, storeReason, …).
  const detail = [...fields].filter(([key]) => !LINE_ONLY.includes(key) && !RECORD.includes(key));
  const fromLog = spanAttributes({
    outcome: fields.get('outcome') as string,
    status: Number(fields.get('status')),
    detail: Object.fromEntries(
      detail.map(([key, value]) => [key, NUMERIC.includes(key) ? Number(value) : value]),
    ),
    graphRequestId: fields.get('graphRequestId'),
    clientRequestId: fields.get('clientRequestId') as string,
    tenantId: fields.get('tenantId'),
  });
  const present = [...fields].filter(([key, value]) => !LINE_ONLY.includes(key) && value !== '-');
  expect(Object.keys(fromLog)).toHaveLength(present.length); // no field without its attribute
  const recorded = Object.fromEntries(
    Object.keys(fromLog).map((key) => [key, server.attributes[key]]),
  );
  expect(recorded).toEqual(fromLog);
  expect(fields.get('traceId')).toBe(server.spanContext().traceId);
  expect(fields.get('invocationId')).toBe(server.attributes['faas.invocation_id']);
}

describe('a successful change', () => {
  it('is one SERVER span under the host span, with the token exchange and the Graph call as CLIENT children', async () => {
    const host = hostTraceParent();
    const own = uniqueUsername('traced-ok');
    await createUser(entraUrl, { username: own, password: PASSWORD });
    const reply = await attempt({
      token: await token({ username: own }),
      body: { currentPassword: PASSWORD, newPassword: 'Traced-Passw0rd!1' },
      headers: { 'client-request-id': 'spa-trace-1' },
      traceParent: host.traceParent,
    });
    expect(reply.status).toBe(204);
    const { server, children, child } = traceOf(reply);

    expect(server.name).toBe('changePassword');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(host.traceId);
    expect(server.parentSpanContext?.spanId).toBe(host.spanId);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes).toMatchObject({
      'faas.trigger': 'http',
      'http.request.method': 'POST',
      'url.full': 'http://localhost:7071/api/me/changePassword',
      'http.response.status_code': 204,
      'changepassword.outcome': 'changed',
      'changepassword.client_request_id': 'spa-trace-1',
      'changepassword.graph_request_id': reply.headers['request-id'],
      'changepassword.tenant_id': emulators.tenantId,
    });

    // The store: the attempt reserved before Entra, the user's count cleared after Graph's 204.
    expect(children.map((c) => c.name)).toEqual([STORE, TOKEN, GRAPH, STORE]);
    const store = new URL(
      emulators.env.ATTEMPT_STORE_CONNECTION_STRING?.match(/TableEndpoint=([^;]+)/)?.[1] ?? '',
    );
    for (const storeSpan of children.filter((c) => c.name === STORE)) {
      expect(storeSpan.kind).toBe(SpanKind.CLIENT);
      expect(storeSpan.attributes).toMatchObject({
        'server.address': store.hostname,
        'server.port': Number(store.port),
        'changepassword.outcome': 'ok',
      });
    }
    const entra = new URL(emulators.entraUrl);
    const tokenSpan = child(TOKEN);
    expect(tokenSpan.kind).toBe(SpanKind.CLIENT);
    expect(tokenSpan.status.code).toBe(SpanStatusCode.UNSET);
    expect(tokenSpan.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': entra.hostname,
      'server.port': Number(entra.port),
      'url.full': `${emulators.entraUrl}/${emulators.tenantId}/oauth2/v2.0/token`,
      'http.response.status_code': 200,
      'changepassword.outcome': 'ok',
    });
    const graphSpan = child(GRAPH);
    const graph = new URL(emulators.graphUrl);
    expect(graphSpan.kind).toBe(SpanKind.CLIENT);
    expect(graphSpan.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': graph.hostname,
      'server.port': Number(graph.port),
      'url.full': `${emulators.graphUrl}/v1.0/me/changePassword`,
      'http.response.status_code': 204,
      'http.response.header.request-id': [reply.headers['request-id']],
      'http.response.header.client-request-id': ['spa-trace-1'],
      'changepassword.graph_request_id': reply.headers['request-id'],
      'changepassword.outcome': 'ok',
    });
    // The Graph call starts after the token exchange ended, both inside the attempt
    // (to within the rounding of OpenTelemetry's clock, well under a millisecond).
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(tokenSpan.startTime)).toBeGreaterThanOrEqual(ms(server.startTime) - 0.5);
    expect(ms(graphSpan.startTime)).toBeGreaterThanOrEqual(ms(tokenSpan.endTime) - 0.5);
    expect(ms(server.endTime)).toBeGreaterThanOrEqual(ms(graphSpan.endTime) - 0.5);
    expectLogMatchesSpan(reply, server);
  });

  it('without a host trace context, is the root of a new trace', async () => {
    const reply = await attempt({
      token: await token(),
      body: { currentPassword: 'Wrong-Passw0rd!', newPassword: 'Traced-Passw0rd!2' },
    });
    const { server, children } = traceOf(reply);
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(children.every((c) => c.spanContext().traceId === server.spanContext().traceId)).toBe(
      true,
    );
  });
});

describe('each failure class', () => {
  it('the caller token: 401 with the reason, no tenant, no upstream spans', async () => {
    const missing = await attempt({
      body: { currentPassword: 'Unused-Current1!', newPassword: 'Unused-New-Passw0rd!' },
    });
    const expired = await attempt({
      token: await token({ username, expiresInSeconds: -600 }),
      body: { currentPassword: 'Unused-Current1!', newPassword: 'Unused-New-Passw0rd!' },
      traceParent: hostTraceParent().traceParent,
    });
    for (const [reply, outcome] of [
      [missing, 'missing_token'],
      [expired, 'invalid_token'],
    ] as const) {
      const { server, children } = traceOf(reply);
      expect(reply.status).toBe(401);
      expect(children).toEqual([]);
      expect(server.attributes['changepassword.outcome']).toBe(outcome);
      expect(server.attributes['http.response.status_code']).toBe(401);
      expect(server.attributes['changepassword.tenant_id']).toBeUndefined();
      expect(server.status.code).toBe(SpanStatusCode.UNSET); // a 4xx is the caller's, not ours
      expectLogMatchesSpan(reply, server);
    }
    expect(traceOf(expired).server.attributes['changepassword.reason']).toBe('expired');
  });

  it('the body: 400 naming the field, tenant known, no upstream spans', async () => {
    const reply = await attempt({
      token: await token(),
      body: { currentPassword: PASSWORD, newPassword: '' },
    });
    const { server, children } = traceOf(reply);
    expect(reply.status).toBe(400);
    expect(children).toEqual([]);
    expect(server.attributes).toMatchObject({
      'changepassword.outcome': 'invalid_request',
      'changepassword.field': 'newPassword',
      'changepassword.tenant_id': emulators.tenantId,
    });
    expectLogMatchesSpan(reply, server);
  });

  it('Entra unavailable: the token span is an error with the 503, the attempt a 503 error', async () => {
    await addFailure(entraUrl, { target: 'token', mode: 'unavailable', retryAfterSeconds: 3 });
    const reply = await attempt({
      token: await token(),
      body: { currentPassword: PASSWORD, newPassword: 'Never-Applied1!' },
    });
    const { server, children, child } = traceOf(reply);
    expect(reply.status).toBe(503);
    // The attempt reserved, then given back: Entra's 503 is not a failed guess.
    expect(children.map((c) => c.name)).toEqual([STORE, TOKEN, STORE]);
    expect(child(TOKEN).status.code).toBe(SpanStatusCode.ERROR);
    expect(child(TOKEN).attributes).toMatchObject({
      'http.response.status_code': 503,
      'error.type': 'token_exchange_unavailable',
      'changepassword.outcome': 'token_exchange_unavailable',
    });
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes['error.type']).toBe('token_exchange_unavailable');
    expectLogMatchesSpan(reply, server);
  });

  it("Entra refuses the app's credential: the Entra error code is on the attempt", async () => {
    const wrongSecret = newHandler({ AZURE_CLIENT_SECRET: 'not-the-secret' });
    secrets.add('not-the-secret');
    const reply = await attempt({
      handler: wrongSecret,
      token: await token(),
      body: { currentPassword: PASSWORD, newPassword: 'Never-Applied1!' },
    });
    const { server, child } = traceOf(reply);
    expect(server.attributes['changepassword.outcome']).toBe('token_exchange_rejected');
    expect(server.attributes['changepassword.entra_error']).toBe('invalid_client');
    expect(server.attributes['changepassword.aadsts']).toMatch(/^\d+$/);
    expect(child(TOKEN).attributes['http.response.status_code']).toBe(401);
    expectLogMatchesSpan(reply, server);
  });

  it("Graph's refusal: the Graph span is an error with Graph's status and request-id", async () => {
    const reply = await attempt({
      token: await token(),
      body: { currentPassword: 'Wrong-Passw0rd!', newPassword: 'X-Passw0rd!1' },
    });
    const { server, child } = traceOf(reply);
    expect(reply.status).toBe(400);
    expect(child(TOKEN).status.code).toBe(SpanStatusCode.UNSET);
    expect(child(GRAPH).status.code).toBe(SpanStatusCode.ERROR);
    expect(child(GRAPH).attributes).toMatchObject({
      'http.response.status_code': 400,
      'error.type': 'graph_error',
      'changepassword.graph_request_id': reply.headers['request-id'],
    });
    expect(server.attributes).toMatchObject({
      'changepassword.outcome': 'graph_error',
      'changepassword.graph_status': 400,
      'changepassword.graph_request_id': reply.headers['request-id'],
    });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expectLogMatchesSpan(reply, server);
  });

  it('Graph unreachable: the Graph span is an error without a status; the attempt a 502 error', async () => {
    const reply = await attempt({
      handler: newHandler({ GRAPH_BASE_URL: 'https://127.0.0.1:9' }),
      token: await token(),
      body: { currentPassword: PASSWORD, newPassword: 'Never-Applied1!' },
    });
    const { server, child } = traceOf(reply);
    expect(reply.status).toBe(502);
    expect(child(GRAPH).attributes['http.response.status_code']).toBeUndefined();
    expect(child(GRAPH).attributes['error.type']).toBe('graph_unreachable');
    expect(child(GRAPH).attributes['server.port']).toBe(9);
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expectLogMatchesSpan(reply, server);
  });

  it('the attempt store unreachable: a 503 error with the store reason, no Entra or Graph span', async () => {
    const unreachable = (emulators.env.ATTEMPT_STORE_CONNECTION_STRING ?? '').replace(
      /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      'TableEndpoint=http://127.0.0.1:9',
    );
    expect(unreachable).toContain('127.0.0.1:9/');
    const reply = await attempt({
      handler: newHandler({ ATTEMPT_STORE_CONNECTION_STRING: unreachable }),
      token: await token(),
      body: { currentPassword: PASSWORD, newPassword: 'Never-Applied1!' },
    });
    const { server, children, child } = traceOf(reply);
    expect(reply.json?.error?.code).toBe('attempt_store_unavailable');
    expect(server.attributes['changepassword.store_reason']).toBe('unreachable');
    expect(child(STORE).status.code).toBe(SpanStatusCode.ERROR);
    expect(children.map((c) => c.name)).toEqual([STORE]);
    expectLogMatchesSpan(reply, server);
  });

  it('a configuration error: a 500 error span, still under the host span', async () => {
    const host = hostTraceParent();
    const reply = await attempt({
      handler: newHandler({ AZURE_CLIENT_ID: 'not-a-guid' }),
      body: { currentPassword: 'Unused-Current1!', newPassword: 'Unused-New-Passw0rd!' },
      traceParent: host.traceParent,
    });
    const { server, children } = traceOf(reply);
    expect(reply.status).toBe(500);
    expect(children).toEqual([]);
    expect(server.parentSpanContext?.spanId).toBe(host.spanId);
    expect(server.attributes['changepassword.outcome']).toBe('server_misconfigured');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expectLogMatchesSpan(reply, server);
  });
});

describe('no secrets', () => {
  it('no span name, attribute or event holds a password, a token or an Authorization header', () => {
    const spans = memory.getFinishedSpans();
    expect(spans.length).toBeGreaterThanOrEqual(20); // every test above, children included
    const text = JSON.stringify(
      spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
    );
    expect(text).not.toMatch(/bearer|authorization|eyJ[A-Za-z0-9_-]{10,}/i);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
