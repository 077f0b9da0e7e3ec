/**
 * Which trace exporters the settings ask for, and the lazy start of the SDK.
 * Settings are the platform's and OpenTelemetry's own names, so the Functions
 * host and this worker read the same ones.
 */

export const TELEMETRY_SETTING_NAMES = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SERVICE_NAME',
] as const;

export type TelemetryChoice =
  | { kind: 'azureMonitor'; connectionString: string; entraAuth?: { clientId?: string } }
  | { kind: 'otlp'; url?: string }
  | { kind: 'console' };

export type TelemetryChoices =
  | { ok: true; choices: TelemetryChoice[]; serviceName: string }
  | { ok: false; setting: string; message: string };

type Env = Readonly<Record<string, string | undefined>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const read = (env: Env, name: (typeof TELEMETRY_SETTING_NAMES)[number]) =>
  env[name]?.trim() || undefined;

/** `Authorization=AAD[;ClientId=<guid>]`, as the Functions host reads it. */
function entraAuth(value: string): { clientId?: string } | undefined {
  const pairs = new Map<string, string>();
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const [key, ...rest] = part.split('=');
    pairs.set((key ?? '').trim().toLowerCase(), rest.join('=').trim());
  }
  if (pairs.get('authorization')?.toUpperCase() !== 'AAD') return undefined;
  const clientId = pairs.get('clientid');
  if (clientId !== undefined && !GUID.test(clientId)) return undefined;
  return clientId ? { clientId } : {};
}

/**
 * Reads the telemetry settings. Errors name the setting, never its value
 * (a connection string is not a secret with Entra auth, but it can be one without).
 *
 * @example
 * const result = telemetryChoices(process.env);
 * if (result.ok && result.choices.length === 0) // no exporter, no SDK loaded
 */
export function telemetryChoices(env: Env): TelemetryChoices {
  const serviceName =
    read(env, 'OTEL_SERVICE_NAME') ?? env.WEBSITE_SITE_NAME ?? 'change-password-api';
  const wanted = (read(env, 'OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (wanted.includes('none')) return { ok: true, choices: [], serviceName };
  const unknown = wanted.filter((name) => name !== 'console' && name !== 'otlp');
  if (unknown.length > 0) {
    return {
      ok: false,
      setting: 'OTEL_TRACES_EXPORTER',
      message: 'OTEL_TRACES_EXPORTER must be a list of console, otlp or none',
    };
  }

  const choices: TelemetryChoice[] = [];
  const connectionString = read(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING');
  if (connectionString) {
    const authentication = read(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    const auth = authentication === undefined ? undefined : entraAuth(authentication);
    if (authentication !== undefined && auth === undefined) {
      return {
        ok: false,
        setting: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        message:
          'APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be Authorization=AAD or Authorization=AAD;ClientId=<managed identity client id>',
      };
    }
    choices.push({ kind: 'azureMonitor', connectionString, ...(auth && { entraAuth: auth }) });
  }
  // OTLP/HTTP's rule: the traces endpoint as given, or the base endpoint plus /v1/traces.
  const tracesEndpoint = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const url = tracesEndpoint ?? (baseEndpoint && `${baseEndpoint.replace(/\/+$/, '')}/v1/traces`);
  if (url) choices.push({ kind: 'otlp', url });
  else if (wanted.includes('otlp')) choices.push({ kind: 'otlp' }); // the exporter's default
  if (wanted.includes('console')) choices.push({ kind: 'console' });
  return { ok: true, choices, serviceName };
}

let started: Promise<void> | undefined;
let provider: { forceFlush(): Promise<void> } | undefined;

/**
 * Starts tracing if the settings ask for it: loads the SDK and the exporters
 * (a separate chunk of the bundle) only then. Telemetry never stops a password
 * change: a problem is logged once, naming the setting, and the app runs untraced.
 */
export function startTelemetry(env: Env, log: { warn(message: string): void }): Promise<void> {
  // Once per process: the tracer provider is global, however many handlers are built.
  started ??= start(env, log);
  return started;
}

async function start(env: Env, log: { warn(message: string): void }): Promise<void> {
  const result = telemetryChoices(env);
  if (!result.ok) {
    log.warn(`changePassword telemetry disabled: ${result.message} setting=${result.setting}`);
    return;
  }
  if (result.choices.length === 0) return;
  try {
    const { installExporters } = await import('./telemetrySdk.js');
    provider = await installExporters(result.choices, result.serviceName);
  } catch (error) {
    log.warn(
      `changePassword telemetry disabled: ${(error as Error).name} while starting exporters`,
    );
  }
}

/**
 * Sends the spans still waiting in the batch (up to 5 s of them). Called when the worker
 * shuts down (an app instance is scaled in or recycled), so its last attempts are not lost.
 */
export async function flushTelemetry(): Promise<void> {
  await started?.catch(() => undefined);
  await provider?.forceFlush();
}
