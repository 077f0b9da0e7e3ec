// The lazily started SDK, as the settings choose it: OTEL_EXPORTER_OTLP_ENDPOINT sends
// the attempt's spans over OTLP/HTTP to a collector (here a local server recording them).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, mintToken } from '../../emulators/control-client.js';
import { call, entraUrl, newHandler, uniqueUsername } from './harness.js';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

const received: { path: string; contentType: string; body: string }[] = [];
let collector: Server;
let endpoint: string;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => collector.close(resolve)));

/** The global provider the app installed (behind the API's proxy). */
function installedProvider(): BasicTracerProvider {
  const proxy = trace.getTracerProvider() as unknown as { getDelegate(): BasicTracerProvider };
  return proxy.getDelegate();
}

describe('OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('sends the attempt and its two calls as one trace, with nothing secret', async () => {
    const handler = newHandler({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    const username = uniqueUsername('otlp');
    await createUser(entraUrl, { username, password: 'Old-Passw0rd!' });
    const token = await mintToken(entraUrl, { username });
    const reply = await call(handler, {
      token,
      body: { currentPassword: 'Old-Passw0rd!', newPassword: 'Otlp-Passw0rd!1' },
    });
    expect(reply.status).toBe(204);
    await installedProvider().forceFlush();

    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.path === '/v1/traces')).toBe(true);
    expect(received[0]?.contentType).toContain('application/json');
    const spans: OtlpSpan[] = received.flatMap((r) =>
      JSON.parse(r.body).resourceSpans.flatMap((rs: { scopeSpans: { spans: OtlpSpan[] }[] }) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      ),
    );
    const server = spans.find((s) => s.name === 'changePassword');
    expect(server).toBeDefined();
    const children = spans.filter((s) => s.parentSpanId === server?.spanId);
    expect(children.map((s) => s.name).sort()).toEqual([
      'POST /{tenant}/oauth2/v2.0/token',
      'POST /{version}/me/changePassword',
      'attempt store', // reserved before Entra
      'attempt store', // cleared after Graph's 204
    ]);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const outcome = server?.attributes.find((a) => a.key === 'changepassword.outcome');
    expect(outcome?.value).toEqual({ stringValue: 'changed' });

    const all = received.map((r) => r.body).join('\n');
    for (const secret of [token, 'Old-Passw0rd!', 'Otlp-Passw0rd!1']) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/bearer|eyJ[A-Za-z0-9_-]{10,}/i);
  });
});
