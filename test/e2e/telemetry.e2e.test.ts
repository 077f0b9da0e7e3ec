// The bundled app, configured as in Azure (APPLICATIONINSIGHTS_CONNECTION_STRING + the managed
// identity in APPLICATIONINSIGHTS_AUTHENTICATION_STRING), sends each attempt through the real Azure
// Monitor exporter to the Application Insights stand-in: one operation, nothing secret.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { getStats, getTelemetry } from '../../emulators/control-client.js';
import type { TelemetryEnvelope } from '../../emulators/types.js';
import { startApp } from '../../scripts/app-process.js';
import { readDevInfo } from '../../scripts/dev-info.js';
import { changePasswordPath } from '../../scripts/dev-stack.js';
import { freePort } from '../../scripts/ports.js';
import { call, e2e, newUser, tokenFor } from './client.js';

const REQUEST = 'Microsoft.ApplicationInsights.Request';
const DEPENDENCY = 'Microsoft.ApplicationInsights.RemoteDependency';

/** The envelopes of one operation, once its request and `dependencies` dependencies are in. */
async function operation(operationId: string, dependencies: number) {
  const appInsightsUrl = e2e.appInsightsUrl as string;
  for (let attempt = 0; attempt < 100; attempt++) {
    const received = await getTelemetry(appInsightsUrl);
    const envelopes = received.envelopes.filter((e) => e.tags?.['ai.operation.id'] === operationId);
    const count = (name: string) => envelopes.filter((e) => e.name === name).length;
    if (count(REQUEST) >= 1 && count(DEPENDENCY) >= dependencies) return { received, envelopes };
    await delay(100);
  }
  throw new Error(`operation ${operationId} did not arrive at the stand-in within 10 s`);
}

const baseData = (envelope: TelemetryEnvelope | undefined) =>
  (envelope?.data?.baseData ?? {}) as Record<string, unknown> & {
    properties?: Record<string, string>;
  };

describe.runIf(e2e.appInsightsUrl)('traces to Application Insights (the stand-in)', () => {
  it('a change attempt arrives as one operation: the request and both dependencies, nothing secret', async () => {
    const user = await newUser();
    const token = await tokenFor(user.username);
    const newPassword = `Traced-${randomUUID().slice(0, 6)}-Pw1!`;
    // The host's span for this invocation, as the Functions host would hand it to the worker.
    const traceId = randomBytes(16).toString('hex');
    const hostSpanId = randomBytes(8).toString('hex');
    const clientRequestId = randomUUID();
    const reply = await call({
      url: e2e.managedIdentityUrl,
      token,
      body: { currentPassword: user.password, newPassword },
      headers: {
        traceparent: `00-${traceId}-${hostSpanId}-01`,
        'client-request-id': clientRequestId,
      },
    });
    expect(reply.status).toBe(204);

    const { received, envelopes } = await operation(traceId, 4);
    // Every track call carried a valid Entra token for Azure Monitor, from the managed identity.
    expect(received.refused).toEqual([]);
    const stats = await getStats(e2e.entraUrl as string);
    expect(stats.msiTokens['https://monitor.azure.com']).toBeGreaterThan(0);

    const requests = envelopes.filter((e) => e.name === REQUEST);
    const dependencies = envelopes.filter((e) => e.name === DEPENDENCY);
    expect(requests).toHaveLength(1);
    // Entra, Graph, and the attempt store twice (the attempt reserved, then the count cleared).
    expect(dependencies).toHaveLength(4);
    const request = requests[0];
    expect(request?.tags?.['ai.operation.parentId']).toBe(hostSpanId);
    expect(baseData(request)).toMatchObject({
      name: 'POST /api/me/changePassword',
      responseCode: '204',
      success: true,
    });
    expect(baseData(request).properties).toMatchObject({
      'changepassword.outcome': 'changed',
      'changepassword.client_request_id': clientRequestId,
      'changepassword.graph_request_id': reply.headers.get('request-id'),
      'changepassword.tenant_id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    const byName = new Map(dependencies.map((d) => [String(baseData(d).name), baseData(d)]));
    const tenant = baseData(request).properties?.['changepassword.tenant_id'];
    const tokenCall = byName.get(`POST /${tenant}/oauth2/v2.0/token`);
    const graphCall = byName.get('POST /v1.0/me/changePassword');
    expect(tokenCall).toMatchObject({ type: 'Http', resultCode: '200', success: true });
    expect(graphCall).toMatchObject({ type: 'Http', resultCode: '204', success: true });
    expect(graphCall?.properties?.['changepassword.graph_request_id']).toBe(
      reply.headers.get('request-id'),
    );
    const storeCalls = dependencies.filter((d) => baseData(d).name === 'attempt store');
    expect(storeCalls.map((d) => baseData(d).success)).toEqual([true, true]);
    for (const dependency of dependencies) {
      expect(dependency.tags?.['ai.operation.parentId']).toBe(baseData(request).id);
    }

    // Nothing secret anywhere in what the exporter sent, for this attempt or any other.
    const everything = JSON.stringify(received.envelopes);
    for (const secret of [token, user.password, newPassword]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toMatch(/bearer|eyJ[A-Za-z0-9_-]{10,}/i);
  });

  it('a refused attempt is a failed request with its outcome, without dependencies', async () => {
    const traceId = randomBytes(16).toString('hex');
    const reply = await call({
      url: e2e.managedIdentityUrl,
      token: await tokenFor((await newUser()).username, { expiresInSeconds: -600 }),
      body: { currentPassword: 'Some-Current-Pw1!', newPassword: 'Some-New-Passw0rd!' },
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(reply.status).toBe(401);
    const { envelopes } = await operation(traceId, 0);
    expect(envelopes.filter((e) => e.name === DEPENDENCY)).toEqual([]);
    const request = envelopes.find((e) => e.name === REQUEST);
    expect(baseData(request)).toMatchObject({ responseCode: '401', success: false });
    expect(baseData(request).properties).toMatchObject({
      'changepassword.outcome': 'invalid_token',
      'changepassword.reason': 'expired',
    });
  });
});

describe.runIf(e2e.ownStack && e2e.stateDir)('when the app stops', () => {
  it('sends the spans still waiting in the batch (appTerminate flush), over OTLP', async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const stateDir = mkdtempSync(join(tmpdir(), 'e2e-telemetry-flush-'));
    try {
      const dev = readDevInfo(e2e.stateDir as string);
      if (!dev) throw new Error('no dev.json for the e2e stack');
      const app = await startApp({
        host: 'local',
        port: await freePort(),
        settings: {
          ...dev.settings,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        },
        caCertPath: dev.caCertPath,
        probePath: changePasswordPath(),
        stateDir,
        output: join(stateDir, 'app.log'),
      });
      let stopped = false;
      try {
        const clientRequestId = randomUUID();
        const reply = await call({
          url: `${app.url}${changePasswordPath()}`,
          token: await tokenFor((await newUser()).username),
          body: { currentPassword: 'Not-The-Passw0rd!', newPassword: 'Never-Applied-Pw1!' },
          headers: { 'client-request-id': clientRequestId },
        });
        expect(reply.status).toBe(400);
        // The batch waits 5 s by default: nothing has been sent yet, and the app stops now.
        expect(bodies.join('')).not.toContain(clientRequestId);
        await app.stop();
        stopped = true;
        expect(bodies.join('')).toContain(clientRequestId);
      } finally {
        if (!stopped) await app.stop();
      }
    } finally {
      collector.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
