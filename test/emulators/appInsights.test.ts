// The Application Insights ingestion stand-in: a track API that, like a component with local
// auth disabled, takes only Entra tokens for https://monitor.azure.com, and records what it took.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { getTelemetry } from '../../emulators/control-client.js';
import { APP_INSIGHTS_INSTRUMENTATION_KEY, TELEMETRY_CONTROL_PATH } from '../../emulators/index.js';

const emu = inject('emulators');
const track = `${emu.appInsightsUrl}/v2.1/track`;

function envelope(name: string, iKey = APP_INSIGHTS_INSTRUMENTATION_KEY) {
  return {
    name: 'Microsoft.ApplicationInsights.Request',
    iKey,
    time: new Date().toISOString(),
    tags: { 'ai.operation.id': name },
    data: { baseType: 'RequestData', baseData: { name } },
  };
}

async function managedIdentityToken(resource: string): Promise<Response> {
  const query = new URLSearchParams({
    'api-version': '2019-08-01',
    resource,
    client_id: emu.managedIdentityClientId,
  });
  return fetch(`${emu.managedIdentityEndpoint}?${query}`, {
    headers: { 'X-IDENTITY-HEADER': emu.managedIdentityHeader },
  });
}

async function monitorToken(): Promise<string> {
  const response = await managedIdentityToken('https://monitor.azure.com');
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(track, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

beforeEach(async () => {
  await fetch(`${emu.appInsightsUrl}${TELEMETRY_CONTROL_PATH}`, { method: 'DELETE' });
});

describe('the Application Insights stand-in', () => {
  it('its connection string names the stand-in as the ingestion endpoint', () => {
    expect(emu.appInsightsConnectionString).toBe(
      `InstrumentationKey=${APP_INSIGHTS_INSTRUMENTATION_KEY};IngestionEndpoint=${emu.appInsightsUrl}/;LiveEndpoint=${emu.appInsightsUrl}/`,
    );
  });

  it('refuses telemetry without a bearer token, as with local auth disabled', async () => {
    const response = await post(JSON.stringify([envelope('no-token')]));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ itemsReceived: 1, itemsAccepted: 0 });
    expect(await getTelemetry(emu.appInsightsUrl)).toEqual({
      envelopes: [],
      refused: ['no bearer token (local authentication is disabled)'],
    });
  });

  it('refuses a token for another audience', async () => {
    const response = await managedIdentityToken('api://AzureADTokenExchange');
    const { access_token } = (await response.json()) as { access_token: string };
    const refused = await post(JSON.stringify([envelope('wrong-audience')]), {
      authorization: `Bearer ${access_token}`,
    });
    expect(refused.status).toBe(401);
    expect((await getTelemetry(emu.appInsightsUrl)).refused).toEqual([
      'bad bearer token: JWTClaimValidationFailed',
    ]);
  });

  it('accepts and records envelopes with a managed identity token for Azure Monitor, gzipped too', async () => {
    const token = await monitorToken();
    const plain = await post(JSON.stringify([envelope('a'), envelope('b')]), {
      authorization: `Bearer ${token}`,
    });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ itemsReceived: 2, itemsAccepted: 2, errors: [] });
    const zipped = await post(await promisify(gzip)(JSON.stringify([envelope('c')])), {
      authorization: `Bearer ${token}`,
      'content-encoding': 'gzip',
    });
    expect(zipped.status).toBe(200);
    const received = await getTelemetry(emu.appInsightsUrl);
    expect(received.refused).toEqual([]);
    expect(received.envelopes.map((e) => e.tags?.['ai.operation.id'])).toEqual(['a', 'b', 'c']);
  });

  it('refuses envelopes for another instrumentation key', async () => {
    const response = await post(
      JSON.stringify([
        envelope('mine'),
        envelope('theirs', '00000000-0000-4000-8000-000000000000'),
      ]),
      { authorization: `Bearer ${await monitorToken()}` },
    );
    expect(response.status).toBe(206);
    const received = await getTelemetry(emu.appInsightsUrl);
    expect(received.envelopes.map((e) => e.tags?.['ai.operation.id'])).toEqual(['mine']);
  });

  it('the managed identity endpoint still issues tokens for nothing else', async () => {
    expect((await managedIdentityToken('https://vault.azure.net')).status).toBe(400);
  });
});
