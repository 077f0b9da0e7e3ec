// Keeps the deployment (infra/) in step with the settings the app reads (azure.yaml and the
// deployment package: test/packaging).
// No Bicep compiler runs here: the checks read the source text, so infra/app/api.bicep keeps its
// app settings in one flat `var appSettings = { ... }` literal, one `NAME: value` per line.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../shared/config.js';
import { MAX_BODY_BYTES } from '../../shared/requestBody.js';
import { TELEMETRY_SETTING_NAMES } from '../../shared/telemetrySettings.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Settings owned by the Functions platform, not by the app. */
const PLATFORM_PREFIXES = ['AzureWebJobsStorage__', 'APPLICATIONINSIGHTS_', 'FUNCTIONS_'];
const isPlatform = (name: string): boolean => PLATFORM_PREFIXES.some((p) => name.startsWith(p));
const appNames: readonly string[] = SETTING_NAMES;

/** NAME -> Bicep value expression, from the `var appSettings = { ... }` block. */
function parseAppSettings(bicep: string): Map<string, string> {
  const lines = bicep.split(/\r?\n/);
  const start = lines.findIndex((line) => /^var appSettings = \{\s*$/.test(line));
  if (start < 0) throw new Error('infra/app/api.bicep has no `var appSettings = {` line');
  const settings = new Map<string, string>();
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '}') return settings;
    if (line === '' || line.startsWith('//')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(\S.*)$/.exec(line);
    if (!match?.[1] || !match[2]) {
      throw new Error(`api.bicep line ${i + 1}: expected one "NAME: value", got: ${line}`);
    }
    if (settings.has(match[1])) throw new Error(`api.bicep line ${i + 1}: ${match[1]} twice`);
    settings.set(match[1], match[2].trim());
  }
  throw new Error('infra/app/api.bicep: `var appSettings = {` is never closed by a "}" line');
}

/** The value of a single-quoted Bicep string literal without interpolation, else undefined. */
function bicepLiteral(expression: string): string | undefined {
  const match = /^'([^'$]*)'$/.exec(expression);
  return match ? match[1] : undefined;
}

function bicepFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith('.bicep') ? [path] : [];
  });
}

const apiBicep = read('infra/app/api.bicep');
const mainBicep = read('infra/main.bicep');
const settings = parseAppSettings(apiBicep);
const names = [...settings.keys()];
const scopeName = /^var apiScopeName = '([^']+)'/m.exec(mainBicep)?.[1];

/** Plausible values for the app settings, as a deployment would produce them. */
const DUMMY: Record<string, string> = {
  AZURE_TENANT_ID: '11111111-1111-4111-8111-111111111111',
  AZURE_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  MANAGED_IDENTITY_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  ALLOWED_TENANT_IDS: '44444444-4444-4444-8444-444444444444',
  API_AUDIENCE: 'api://22222222-2222-4222-8222-222222222222',
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com', // loginEndpoint, trailing '/' cut
  REQUIRED_SCOPE: scopeName ?? 'access_as_user',
  CORS_ALLOWED_ORIGINS: '',
  ALLOWED_CLIENT_APP_IDS: '55555555-5555-4555-8555-555555555555', // the SPA registration
  REQUIRED_AUTH_CONTEXT: '',
  GRAPH_BASE_URL: 'https://graph.microsoft.com',
  GRAPH_API_VERSION: 'v1.0',
  GRAPH_SCOPE: 'https://graph.microsoft.com/.default',
  GRAPH_TIMEOUT_MS: '10000',
  MAX_CONCURRENT_REQUESTS: '200', // string(httpPerInstanceConcurrency * 2), the default 100
  MAX_FAILED_ATTEMPTS: '10', // main.bicep's default
  ATTEMPT_STORE_ENDPOINT: 'https://stabc123.table.core.windows.net/', // primaryEndpoints.table
  ATTEMPT_STORE_TABLE: 'changepasswordattempts',
};

/** The environment a deployment gives the app: Bicep literals as written, dummies for the rest. */
function deployedEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, expression] of settings) {
    const value = overrides[name] ?? bicepLiteral(expression) ?? DUMMY[name];
    if (value === undefined && !isPlatform(name)) {
      throw new Error(`add a plausible dummy value for ${name} to DUMMY in this test`);
    }
    env[name] = value ?? 'platform-value';
  }
  return env;
}

describe('per-instance concurrency in infra/app/api.bicep', () => {
  it('sets Flex Consumption HTTP perInstanceConcurrency and load-sheds above it', () => {
    expect(apiBicep).toMatch(
      /triggers: \{\s*http: \{\s*perInstanceConcurrency: httpPerInstanceConcurrency\s*\}/,
    );
    expect(apiBicep).toMatch(/^param httpPerInstanceConcurrency int = \d+$/m);
    expect(settings.get('MAX_CONCURRENT_REQUESTS')).toBe('string(httpPerInstanceConcurrency * 2)');
  });
});

describe('function app settings in infra/app/api.bicep', () => {
  it('are all either platform settings or settings the app reads', () => {
    expect(names.length).toBeGreaterThan(0);
    const unknown = names.filter((name) => !isPlatform(name) && !appNames.includes(name));
    expect(unknown, 'not platform settings and not in SETTING_NAMES').toEqual([]);
  });

  // The site module merges the site's current settings into these (avm/res/web/site 0.15.1,
  // config--appsettings: union(currentAppSettings, appSettingsKeyValuePairs, ...)): a setting the
  // Bicep leaves out keeps the value it had on the site, whatever that was.
  it.each(appNames)(
    'include %s, which the app reads (nothing survives a redeployment unseen)',
    (name) => {
      expect(names).toContain(name);
    },
  );

  it('write the Application Insights settings, and leave the OTEL_* ones to the operator', () => {
    // OpenTelemetry's own settings (an extra OTLP destination, the console exporter, the service
    // name) are also read by the Functions host: an operator's deliberate choice, kept across
    // deployments by the module's merge, and nothing the app needs (README, Telemetry).
    for (const name of TELEMETRY_SETTING_NAMES) {
      expect(names.includes(name), name).toBe(name.startsWith('APPLICATIONINSIGHTS_'));
    }
  });

  it('write the managed identity as the one credential, the other two empty', () => {
    expect(settings.get('MANAGED_IDENTITY_CLIENT_ID')).toBe('identityClientId');
    expect(settings.get('AZURE_CLIENT_SECRET')).toBe("''");
    expect(settings.get('AZURE_CLIENT_CERTIFICATE_PATH')).toBe("''");
    // The identity used for OBO is the one the host uses for storage.
    expect(settings.get('MANAGED_IDENTITY_CLIENT_ID')).toBe(
      settings.get('AzureWebJobsStorage__clientId'),
    );
  });

  it('reach storage and Application Insights through the identity (Flex Consumption)', () => {
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(names).toContain('AzureWebJobsStorage__blobServiceUri');
    expect(names).toContain('APPLICATIONINSIGHTS_CONNECTION_STRING');
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toMatch(
      /ClientId=\$\{identityClientId\};Authorization=AAD/,
    );
  });

  it('cap request bodies at the host, above the app own 4096-byte limit', () => {
    // The host parses it as a long (HttpRequestBodySizeMiddleware, azure-functions-host).
    const limit = Number(bicepLiteral(settings.get('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT') ?? ''));
    expect(Number.isInteger(limit)).toBe(true);
    expect(limit).toBeGreaterThan(MAX_BODY_BYTES);
    expect(limit).toBeLessThanOrEqual(64 * 1024);
  });

  it('admit the SPA registration the deployment creates, unless told otherwise', () => {
    expect(settings.get('ALLOWED_CLIENT_APP_IDS')).toBe('allowedClientAppIds');
    expect(mainBicep).toMatch(
      /allowedClientAppIds: !empty\(allowedClientAppIds\) \? allowedClientAppIds : entra\.outputs\.spaClientId/,
    );
    expect(settings.get('REQUIRED_AUTH_CONTEXT')).toBe('requiredAuthContext');
  });

  it('are the only app settings the templates set', () => {
    expect(apiBicep).toMatch(/^\s*appSettingsKeyValuePairs: appSettings$/m);
    for (const file of bicepFiles('infra')) {
      const text = read(file);
      const uses = text.match(/appSettingsKeyValuePairs|Microsoft\.Web\/sites\/config/g) ?? [];
      const expected = relative('infra', file) === join('app', 'api.bicep') ? 1 : 0;
      expect(uses.length, file).toBe(expected);
    }
  });

  it.each([
    ['no CORS origin', ''],
    ['a CORS origin', 'https://app.contoso.com'],
  ])('load with loadConfig and the managed identity credential (%s)', (_label, cors) => {
    const env = deployedEnv({ CORS_ALLOWED_ORIGINS: cors });
    const result = loadConfig(env);
    if (!result.ok) throw new Error(`${result.setting}: ${result.message}`);
    expect(result.config.credential.kind).toBe('managedIdentity');
    expect(result.config.credential).toMatchObject({
      managedIdentityClientId: DUMMY.MANAGED_IDENTITY_CLIENT_ID,
    });
    expect(result.config.tenantId).toBe(DUMMY.AZURE_TENANT_ID);
    expect(result.config.clientId).toBe(DUMMY.AZURE_CLIENT_ID);
    expect(result.config.audiences).toContain(`api://${DUMMY.AZURE_CLIENT_ID}`);
    expect(result.config.requiredScope).toBe(scopeName);
    expect(result.config.corsAllowedOrigins).toEqual(cors ? [cors] : []);
    // Guessing protection on, its store reached with the same managed identity.
    expect(result.config.attemptLimit).toEqual({
      enabled: true,
      maxFailedAttempts: 10,
      windowSeconds: 3600,
      storeTimeoutMs: 2000,
      store: {
        kind: 'managedIdentity',
        endpoint: 'https://stabc123.table.core.windows.net',
        managedIdentityClientId: DUMMY.MANAGED_IDENTITY_CLIENT_ID,
        table: 'changepasswordattempts',
      },
    });
  });

  it('give the guessing protection its table, its endpoint and the table data role', () => {
    expect(settings.get('ATTEMPT_STORE_ENDPOINT')).toBe('stg.properties.primaryEndpoints.table');
    expect(settings.get('ATTEMPT_STORE_CONNECTION_STRING')).toBe("''"); // no keys in Azure
    expect(settings.get('MAX_FAILED_ATTEMPTS')).toBe('maxFailedAttempts');
    expect(apiBicep).toMatch(/^param maxFailedAttempts string = '10'$/m);
    expect(mainBicep).toMatch(/^param maxFailedAttempts string = '10'$/m);
    // The table main.bicep creates is the one the app is told to use.
    const table = /^var attemptStoreTable = '([^']+)'$/m.exec(mainBicep)?.[1];
    expect(table).toBe('changepasswordattempts');
    expect(mainBicep).toMatch(/tableServices: \{\s*tables: \[\{ name: attemptStoreTable \}\]/);
    expect(settings.get('ATTEMPT_STORE_TABLE')).toBe('attemptStoreTable');
    expect(mainBicep).toMatch(/attemptStoreTable: attemptStoreTable/);
    // Storage Table Data Contributor for the identity, on the account.
    const rbac = read('infra/app/rbac.bicep');
    expect(rbac).toMatch(/storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'/);
    expect(rbac).toMatch(
      /resource tableRole [^\n]+\n[^}]*scope: storageAccount\n[^}]*roleDefinitions', storageTableDataContributor\)\n\s*principalId: managedIdentityPrincipalId/,
    );
  });
});

describe('a redeployment over an existing site (union(currentAppSettings, appSettings))', () => {
  /** ARM's union(): keys of later objects win. */
  const redeploy = (current: Record<string, string>) => ({ ...current, ...deployedEnv() });

  it("replaces a credential the site had before with the template's one", () => {
    const env = redeploy({
      AZURE_CLIENT_SECRET: 'an-old-secret',
      AZURE_CLIENT_CERTIFICATE_PATH: '/home/site/old.pem',
      MANAGED_IDENTITY_CLIENT_ID: '99999999-9999-4999-8999-999999999999',
    });
    const result = loadConfig(env);
    if (!result.ok) throw new Error(`${result.setting}: ${result.message}`);
    expect(result.config.credential).toEqual({
      kind: 'managedIdentity',
      managedIdentityClientId: DUMMY.MANAGED_IDENTITY_CLIENT_ID,
    });
  });

  it('resets every app setting a portal edit or an earlier version left behind', () => {
    const stale = Object.fromEntries(appNames.map((name) => [name, `stale-${name}`]));
    const env = redeploy(stale);
    const survivors = appNames.filter((name) => env[name] === stale[name]);
    expect(survivors).toEqual([]);
    expect(loadConfig(env).ok).toBe(true);
  });
});

describe('deployment configuration files', () => {
  it('infra/main.parameters.json parses and only sets parameters main.bicep declares', () => {
    const file = JSON.parse(read('infra/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const declared = [...mainBicep.matchAll(/^param (\w+) /gm)].map((m) => m[1]);
    expect(Object.keys(file.parameters).length).toBeGreaterThan(0);
    for (const [name, parameter] of Object.entries(file.parameters)) {
      expect(declared, name).toContain(name);
      expect(parameter).toHaveProperty('value');
    }
    expect(file.parameters.environmentName?.value).toMatch(/^\$\{AZURE_ENV_NAME\}$/);
    expect(file.parameters.location?.value).toMatch(/^\$\{AZURE_LOCATION\}$/);
  });

  it('infra/bicepconfig.json enables the Microsoft Graph extension for every Graph template', () => {
    const config = JSON.parse(read('infra/bicepconfig.json')) as {
      extensions?: Record<string, string>;
    };
    expect(config.extensions?.microsoftGraphV1).toMatch(
      /^br:mcr\.microsoft\.com\/bicep\/extensions\/microsoftgraph\/v1\.0:\d+\.\d+\.\d+$/,
    );
    const graphFiles = bicepFiles('infra').filter((file) =>
      read(file).includes("'Microsoft.Graph/"),
    );
    expect(graphFiles.length).toBeGreaterThan(0);
    for (const file of graphFiles) {
      expect(read(file), file).toMatch(/^extension microsoftGraphV1$/m);
    }
  });
});
