import { describe, expect, it } from 'vitest';
import { telemetryChoices } from '../../shared/telemetrySettings.js';

const CONNECTION =
  'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';
const IDENTITY = '11111111-2222-4333-8444-555555555555';

describe('telemetryChoices', () => {
  it('chooses nothing without a setting: no exporter, no SDK', () => {
    expect(telemetryChoices({})).toEqual({
      ok: true,
      choices: [],
      serviceName: 'change-password-api',
    });
    expect(telemetryChoices({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' })).toMatchObject({
      choices: [],
    });
  });

  it('exports to Application Insights with the managed identity the host also uses', () => {
    expect(
      telemetryChoices({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${IDENTITY};Authorization=AAD`,
        WEBSITE_SITE_NAME: 'func-abc',
      }),
    ).toEqual({
      ok: true,
      choices: [
        { kind: 'azureMonitor', connectionString: CONNECTION, entraAuth: { clientId: IDENTITY } },
      ],
      serviceName: 'func-abc',
    });
    expect(
      telemetryChoices({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
      }),
    ).toMatchObject({ choices: [{ kind: 'azureMonitor', entraAuth: {} }] });
  });

  it('uses the connection string alone when no authentication string is set', () => {
    expect(telemetryChoices({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION })).toEqual({
      ok: true,
      choices: [{ kind: 'azureMonitor', connectionString: CONNECTION }],
      serviceName: 'change-password-api',
    });
  });

  it('refuses a malformed authentication string, naming the setting and not its value', () => {
    for (const value of [
      'Authorization=Key',
      `ClientId=${IDENTITY}`,
      'Authorization=AAD;ClientId=x',
    ]) {
      const result = telemetryChoices({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: value,
      });
      expect(result).toMatchObject({
        ok: false,
        setting: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      });
      expect(JSON.stringify(result)).not.toContain(value);
    }
  });

  it('exports over OTLP when an OTLP endpoint is set, and to both when both are', () => {
    expect(
      telemetryChoices({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/' }),
    ).toMatchObject({ choices: [{ kind: 'otlp', url: 'http://localhost:4318/v1/traces' }] });
    expect(
      telemetryChoices({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.contoso.com/traces',
      }),
    ).toMatchObject({ choices: [{ kind: 'otlp', url: 'https://collector.contoso.com/traces' }] });
    expect(
      telemetryChoices({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      }),
    ).toMatchObject({ choices: [{ kind: 'azureMonitor' }, { kind: 'otlp' }] });
  });

  it('prints spans with OTEL_TRACES_EXPORTER=console, and none turns everything off', () => {
    expect(telemetryChoices({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({
      choices: [{ kind: 'console' }],
    });
    expect(
      telemetryChoices({
        OTEL_TRACES_EXPORTER: 'none',
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      }),
    ).toMatchObject({ ok: true, choices: [] });
    expect(telemetryChoices({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatchObject({
      ok: false,
      setting: 'OTEL_TRACES_EXPORTER',
    });
  });

  it('names the service from OTEL_SERVICE_NAME first', () => {
    expect(
      telemetryChoices({ OTEL_SERVICE_NAME: 'pw-api', WEBSITE_SITE_NAME: 'func-abc' }),
    ).toMatchObject({ serviceName: 'pw-api' });
  });
});
