import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../shared/config.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const STORE = 'UseDevelopmentStorage=true';
const base = {
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: CLIENT,
  AZURE_CLIENT_SECRET: 's3cret-value',
  ATTEMPT_STORE_CONNECTION_STRING: STORE,
};

function problem(env: Record<string, string | undefined>) {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected a configuration error');
  return result;
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      audiences: [`api://${CLIENT}`, CLIENT],
      apiScope: `api://${CLIENT}/access_as_user`,
      credential: { kind: 'secret', clientSecret: 's3cret-value' },
      authorityHost: 'https://login.microsoftonline.com',
      allowedTenantIds: [TENANT],
      requiredScope: 'access_as_user',
      graphBaseUrl: 'https://graph.microsoft.com',
      graphApiVersion: 'v1.0',
      graphScope: 'https://graph.microsoft.com/.default',
      graphTimeoutMs: 10000,
      corsAllowedOrigins: [],
      maxConcurrentRequests: 512,
      allowedClientAppIds: [],
      attemptLimit: {
        enabled: true,
        maxFailedAttempts: 10,
        windowSeconds: 3600,
        storeTimeoutMs: 2000,
        store: {
          kind: 'connectionString',
          connectionString: STORE,
          table: 'changepasswordattempts',
          allowInsecureConnection: true,
        },
      },
    });
    expect(result.config.requiredAuthContext).toBeUndefined();
  });

  it('reads every optional setting', () => {
    const result = loadConfig({
      ...base,
      API_AUDIENCE: 'https://api.contoso.com/pw',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      ALLOWED_TENANT_IDS: ` ${TENANT.replace('1111', '9999')} , `,
      REQUIRED_SCOPE: 'Password.Change',
      GRAPH_BASE_URL: 'https://graph.microsoft.us/',
      GRAPH_API_VERSION: 'beta',
      GRAPH_SCOPE: 'https://graph.microsoft.us/.default',
      GRAPH_TIMEOUT_MS: '2500',
      CORS_ALLOWED_ORIGINS: 'https://app.contoso.com, http://localhost:5173',
      MAX_CONCURRENT_REQUESTS: '200',
      ALLOWED_CLIENT_APP_IDS: `${CLIENT.toUpperCase()}, ${TENANT}`,
      REQUIRED_AUTH_CONTEXT: 'c12',
      MAX_FAILED_ATTEMPTS: '3',
      FAILED_ATTEMPT_WINDOW_SECONDS: '60',
      ATTEMPT_STORE_TABLE: 'attempts2',
      ATTEMPT_STORE_TIMEOUT_MS: '750',
    });
    expect(result.ok && result.config).toMatchObject({
      audiences: [`api://${CLIENT}`, CLIENT, 'https://api.contoso.com/pw'],
      allowedClientAppIds: [CLIENT, TENANT],
      requiredAuthContext: 'c12',
      apiScope: 'https://api.contoso.com/pw/Password.Change',
      authorityHost: 'https://login.microsoftonline.us',
      allowedTenantIds: [TENANT, TENANT.replace('1111', '9999')],
      graphBaseUrl: 'https://graph.microsoft.us',
      graphApiVersion: 'beta',
      graphTimeoutMs: 2500,
      corsAllowedOrigins: ['https://app.contoso.com', 'http://localhost:5173'],
      maxConcurrentRequests: 200,
      attemptLimit: {
        maxFailedAttempts: 3,
        windowSeconds: 60,
        storeTimeoutMs: 750,
        store: { table: 'attempts2' },
      },
    });
  });

  it.each([
    [{ AZURE_TENANT_ID: undefined }, 'AZURE_TENANT_ID'],
    [{ AZURE_TENANT_ID: 'contoso.onmicrosoft.com' }, 'AZURE_TENANT_ID'],
    [{ AZURE_CLIENT_ID: '  ' }, 'AZURE_CLIENT_ID'],
    [{ AZURE_CLIENT_SECRET: undefined }, 'AZURE_CLIENT_SECRET'],
    [{ MANAGED_IDENTITY_CLIENT_ID: CLIENT }, 'AZURE_CLIENT_SECRET'],
    [
      { AZURE_CLIENT_SECRET: undefined, MANAGED_IDENTITY_CLIENT_ID: 'mi' },
      'MANAGED_IDENTITY_CLIENT_ID',
    ],
    [
      { AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: '/nope.pem' },
      'AZURE_CLIENT_CERTIFICATE_PATH',
    ],
    [{ AZURE_AUTHORITY_HOST: 'http://127.0.0.1:9999' }, 'AZURE_AUTHORITY_HOST'],
    [{ AZURE_AUTHORITY_HOST: 'https://login.example/tenant' }, 'AZURE_AUTHORITY_HOST'],
    [{ AZURE_AUTHORITY_HOST: 'not a url' }, 'AZURE_AUTHORITY_HOST'],
    [{ ALLOWED_TENANT_IDS: `${TENANT},common` }, 'ALLOWED_TENANT_IDS'],
    [{ REQUIRED_SCOPE: 'a b' }, 'REQUIRED_SCOPE'],
    [{ API_AUDIENCE: 'api://x y' }, 'API_AUDIENCE'],
    [{ GRAPH_BASE_URL: 'http://graph.microsoft.com' }, 'GRAPH_BASE_URL'],
    [{ GRAPH_BASE_URL: 'https://graph.microsoft.com?x=1' }, 'GRAPH_BASE_URL'],
    [{ GRAPH_API_VERSION: 'v2.0' }, 'GRAPH_API_VERSION'],
    [{ GRAPH_TIMEOUT_MS: '10s' }, 'GRAPH_TIMEOUT_MS'],
    [{ GRAPH_TIMEOUT_MS: '5' }, 'GRAPH_TIMEOUT_MS'],
    // 8 × 27001 + 2 × 2000 ms > 220 s: Azure would answer for us at 230 s.
    [{ GRAPH_TIMEOUT_MS: '27001' }, 'GRAPH_TIMEOUT_MS'],
    [{ GRAPH_TIMEOUT_MS: '27501', MAX_FAILED_ATTEMPTS: 'off' }, 'GRAPH_TIMEOUT_MS'],
    [{ GRAPH_TIMEOUT_MS: '21000', ATTEMPT_STORE_TIMEOUT_MS: '30000' }, 'ATTEMPT_STORE_TIMEOUT_MS'],
    [{ MAX_CONCURRENT_REQUESTS: '0' }, 'MAX_CONCURRENT_REQUESTS'],
    [{ MAX_CONCURRENT_REQUESTS: 'many' }, 'MAX_CONCURRENT_REQUESTS'],
    [{ CORS_ALLOWED_ORIGINS: '*' }, 'CORS_ALLOWED_ORIGINS'],
    [{ CORS_ALLOWED_ORIGINS: 'https://app.contoso.com/' }, 'CORS_ALLOWED_ORIGINS'],
    [{ ATTEMPT_STORE_CONNECTION_STRING: undefined }, 'ATTEMPT_STORE_ENDPOINT'],
    [{ ATTEMPT_STORE_ENDPOINT: 'https://acct.table.core.windows.net' }, 'ATTEMPT_STORE_ENDPOINT'],
    [
      { ATTEMPT_STORE_CONNECTION_STRING: 'not a connection string' },
      'ATTEMPT_STORE_CONNECTION_STRING',
    ],
    [
      {
        ATTEMPT_STORE_CONNECTION_STRING: undefined,
        ATTEMPT_STORE_ENDPOINT: 'https://acct.table.core.windows.net',
      },
      'ATTEMPT_STORE_ENDPOINT', // a connection string or the managed identity, not the secret
    ],
    ...[
      'AccountName=x;garbage',
      'DefaultEndpointsProtocol=https;AccountKey=a2V5',
      'DefaultEndpointsProtocol=ftp;AccountName=x;AccountKey=a2V5',
      'TableEndpoint=https://x.table.core.windows.net',
      'DefaultEndpointsProtocol=http;AccountName=x;AccountKey=a2V5',
      'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=a2V5;TableEndpoint=http://10.0.0.5:10002/x',
      'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=a2V5;TableEndpoint=not a url',
      // Which TableEndpoint counts? The SDK takes the first: refused rather than guessed.
      'DefaultEndpointsProtocol=http;AccountName=x;AccountKey=a2V5;TableEndpoint=http://10.0.0.5:10002/x;TableEndpoint=http://127.0.0.1:10002/x',
    ].map((value): [Record<string, string>, string] => [
      { ATTEMPT_STORE_CONNECTION_STRING: value },
      'ATTEMPT_STORE_CONNECTION_STRING',
    ]),
    [{ API_AUDIENCE: 'https://canary.graph.microsoft.com' }, 'API_AUDIENCE'],
    [{ MAX_FAILED_ATTEMPTS: '0' }, 'MAX_FAILED_ATTEMPTS'],
    [{ MAX_FAILED_ATTEMPTS: '101' }, 'MAX_FAILED_ATTEMPTS'],
    [{ MAX_FAILED_ATTEMPTS: 'none' }, 'MAX_FAILED_ATTEMPTS'],
    [{ FAILED_ATTEMPT_WINDOW_SECONDS: '0' }, 'FAILED_ATTEMPT_WINDOW_SECONDS'],
    [{ FAILED_ATTEMPT_WINDOW_SECONDS: '1h' }, 'FAILED_ATTEMPT_WINDOW_SECONDS'],
    [{ ATTEMPT_STORE_TABLE: 'change-password' }, 'ATTEMPT_STORE_TABLE'],
    [{ ATTEMPT_STORE_TABLE: '1attempts' }, 'ATTEMPT_STORE_TABLE'],
    [{ ATTEMPT_STORE_TIMEOUT_MS: '50' }, 'ATTEMPT_STORE_TIMEOUT_MS'],
  ])('names the faulty setting for %o', (override, setting) => {
    const result = problem({ ...base, ...override });
    expect(result.setting).toBe(setting);
    expect(result.message).toContain(setting);
  });

  it.each([
    ['UseDevelopmentStorage=true', true],
    [
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;',
      true,
    ],
    // Any loopback address: what the config accepts, the store client must be allowed to reach.
    [
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.2:10002/devstoreaccount1;',
      true,
    ],
    [
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      false,
    ],
    [
      'TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2024&sig=abc',
      false,
    ],
  ])('accepts the storage connection string %s (plain http allowed: %s)', (value, insecure) => {
    const result = loadConfig({ ...base, ATTEMPT_STORE_CONNECTION_STRING: value });
    if (!result.ok) throw new Error(result.message);
    const { attemptLimit } = result.config;
    expect(
      attemptLimit.enabled && attemptLimit.store.kind === 'connectionString'
        ? attemptLimit.store.allowInsecureConnection
        : 'no connection string',
    ).toBe(insecure);
  });

  it.each([
    [{ GRAPH_TIMEOUT_MS: '27000' }, 27_000],
    [{ GRAPH_TIMEOUT_MS: '27500', MAX_FAILED_ATTEMPTS: 'off' }, 27_500],
  ])('accepts the longest GRAPH_TIMEOUT_MS that ends within 220 s: %o', (override, expected) => {
    const result = loadConfig({ ...base, ...override });
    expect(result.ok ? result.config.graphTimeoutMs : result.message).toBe(expected);
  });

  it('does not log a repeated part of a connection string that is not a key name', () => {
    const pasted = 'a2V5a2V5a2V5a2V5a2V5a2V5';
    const result = problem({ ...base, ATTEMPT_STORE_CONNECTION_STRING: `${pasted}=x;${pasted}=y` });
    expect(result.setting).toBe('ATTEMPT_STORE_CONNECTION_STRING');
    expect(result.message.toLowerCase()).not.toContain(pasted.toLowerCase());
  });

  it('never repeats a setting value in its message', () => {
    const result = problem({ ...base, GRAPH_TIMEOUT_MS: 'secret-looking-value' });
    expect(result.message).not.toContain('secret-looking-value');
    const store = problem({ ...base, ATTEMPT_STORE_CONNECTION_STRING: 'AccountKey=secret-key' });
    expect(store.message).not.toContain('secret-key');
  });

  it('refuses to run without an attempt store, unless MAX_FAILED_ATTEMPTS=off says so', () => {
    const missing = problem({ ...base, ATTEMPT_STORE_CONNECTION_STRING: undefined });
    expect(missing.message).toMatch(/ATTEMPT_STORE_ENDPOINT.*ATTEMPT_STORE_CONNECTION_STRING.*off/);
    for (const off of ['off', 'OFF', ' off ']) {
      const result = loadConfig({
        ...base,
        ATTEMPT_STORE_CONNECTION_STRING: undefined,
        MAX_FAILED_ATTEMPTS: off,
      });
      expect(result.ok && result.config.attemptLimit).toEqual({ enabled: false });
    }
  });

  it('reaches the store in Azure with the managed identity', () => {
    const result = loadConfig({
      ...base,
      AZURE_CLIENT_SECRET: undefined,
      MANAGED_IDENTITY_CLIENT_ID: CLIENT,
      ATTEMPT_STORE_CONNECTION_STRING: undefined,
      ATTEMPT_STORE_ENDPOINT: 'https://acct.table.core.windows.net/',
    });
    expect(result.ok && result.config.attemptLimit).toMatchObject({
      enabled: true,
      store: {
        kind: 'managedIdentity',
        endpoint: 'https://acct.table.core.windows.net',
        managedIdentityClientId: CLIENT,
        table: 'changepasswordattempts',
      },
    });
    expect(
      problem({
        ...base,
        AZURE_CLIENT_SECRET: undefined,
        MANAGED_IDENTITY_CLIENT_ID: CLIENT,
        ATTEMPT_STORE_CONNECTION_STRING: undefined,
        ATTEMPT_STORE_ENDPOINT: 'http://acct.table.core.windows.net',
      }).setting,
    ).toBe('ATTEMPT_STORE_ENDPOINT');
  });

  it('reads a PEM certificate credential once, with its SHA-256 thumbprint', async () => {
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'api' }], { keySize: 2048 });
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const path = join(dir, 'api.pem');
    writeFileSync(path, `${pems.private}\n${pems.cert}`);
    const result = loadConfig({
      ...base,
      AZURE_CLIENT_SECRET: undefined,
      AZURE_CLIENT_CERTIFICATE_PATH: path,
    });
    expect(result.ok).toBe(true);
    if (!result.ok || result.config.credential.kind !== 'certificate') return;
    expect(result.config.credential.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(result.config.credential.privateKey).toContain('BEGIN PRIVATE KEY');
    writeFileSync(path, pems.cert);
    expect(
      problem({ ...base, AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: path })
        .setting,
    ).toBe('AZURE_CLIENT_CERTIFICATE_PATH');
  });

  it('accepts a managed identity as the only credential', () => {
    const result = loadConfig({
      ...base,
      AZURE_CLIENT_SECRET: '',
      MANAGED_IDENTITY_CLIENT_ID: CLIENT,
    });
    expect(result.ok && result.config.credential).toEqual({
      kind: 'managedIdentity',
      managedIdentityClientId: CLIENT,
    });
  });

  it.each([
    'https://graph.microsoft.com',
    'https://graph.microsoft.com/',
    'HTTPS://GRAPH.MICROSOFT.COM',
    '00000003-0000-0000-c000-000000000000',
    'https://graph.windows.net',
    'api://AzureADTokenExchange',
  ])('refuses API_AUDIENCE %s (a Microsoft API: its tokens would be accepted)', (audience) => {
    expect(problem({ ...base, API_AUDIENCE: audience }).setting).toBe('API_AUDIENCE');
  });

  it('refuses the configured Graph as API_AUDIENCE too', () => {
    const env = { ...base, GRAPH_BASE_URL: 'https://graph.contoso.test/proxy' };
    expect(problem({ ...env, API_AUDIENCE: 'https://graph.contoso.test' }).setting).toBe(
      'API_AUDIENCE',
    );
  });

  it.each(['c0', 'c100', 'C1', 'c1 ', 'c01', 'urn:c1', 'c1,c2'])(
    'refuses REQUIRED_AUTH_CONTEXT %j',
    (value) => {
      const result = loadConfig({ ...base, REQUIRED_AUTH_CONTEXT: value });
      // Surrounding spaces are trimmed like every setting; the rest is not an auth context id.
      if (value === 'c1 ') expect(result.ok).toBe(true);
      else expect(!result.ok && result.setting).toBe('REQUIRED_AUTH_CONTEXT');
    },
  );

  it('refuses an ALLOWED_CLIENT_APP_IDS entry that is not a GUID, without echoing it', () => {
    const result = problem({ ...base, ALLOWED_CLIENT_APP_IDS: 'my-spa' });
    expect(result.setting).toBe('ALLOWED_CLIENT_APP_IDS');
    expect(result.message).not.toContain('my-spa');
  });

  it('names the setting that still holds a placeholder of local.settings.sample.json', () => {
    const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as {
      Values: Record<string, string>;
    };
    const placeholders = Object.entries(sample.Values).filter(([, v]) => v.startsWith('<'));
    expect(placeholders.map(([name]) => name)).toEqual([
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_ID',
      'AZURE_CLIENT_SECRET',
    ]);
    for (const [name, value] of placeholders) {
      const { setting, message } = problem({ ...base, [name]: value });
      expect(setting).toBe(name);
      expect(message).toBe(
        `${name} still holds the placeholder of local.settings.sample.json (<…>): replace it with your value`,
      );
    }
    // The untouched sample: the first placeholder is named.
    expect(problem(sample.Values).setting).toBe('AZURE_TENANT_ID');
  });

  it('points an Application ID URI in AZURE_CLIENT_ID at the GUID and API_AUDIENCE', () => {
    expect(problem({ ...base, AZURE_CLIENT_ID: `api://${CLIENT}` })).toEqual({
      ok: false,
      setting: 'AZURE_CLIENT_ID',
      message:
        'AZURE_CLIENT_ID must be the client id GUID, not the Application ID URI (api://…): use the GUID; a custom Application ID URI goes in API_AUDIENCE',
    });
    expect(problem({ ...base, AZURE_CLIENT_ID: 'not-a-guid' }).message).toBe(
      'AZURE_CLIENT_ID must be a GUID',
    );
  });

  it('says that a trailing slash is what makes an origin wrong', () => {
    const { setting, message } = problem({
      ...base,
      CORS_ALLOWED_ORIGINS: 'https://app.contoso.com, http://localhost:5173/',
    });
    expect(setting).toBe('CORS_ALLOWED_ORIGINS');
    expect(message).toContain('ends with "/": an origin has no path, not even "/"');
    expect(message).not.toContain('localhost');
    expect(problem({ ...base, CORS_ALLOWED_ORIGINS: 'http://localhost:5173/app' }).message).toBe(
      'CORS_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://app.contoso.com',
    );
  });

  it('lists every setting it reads', () => {
    expect(SETTING_NAMES).toHaveLength(23);
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
  });
});
