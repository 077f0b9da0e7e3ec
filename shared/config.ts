import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Every app setting the function reads. Deployment (infra/), the sample
 * local.settings.json and the docs are kept in step with this list by tests.
 */
export const SETTING_NAMES = [
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'API_AUDIENCE',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'MANAGED_IDENTITY_CLIENT_ID',
  'AZURE_AUTHORITY_HOST',
  'ALLOWED_TENANT_IDS',
  'REQUIRED_SCOPE',
  'ALLOWED_CLIENT_APP_IDS',
  'REQUIRED_AUTH_CONTEXT',
  'GRAPH_BASE_URL',
  'GRAPH_API_VERSION',
  'GRAPH_SCOPE',
  'GRAPH_TIMEOUT_MS',
  'CORS_ALLOWED_ORIGINS',
  'MAX_CONCURRENT_REQUESTS',
  'MAX_FAILED_ATTEMPTS',
  'FAILED_ATTEMPT_WINDOW_SECONDS',
  'ATTEMPT_STORE_ENDPOINT',
  'ATTEMPT_STORE_CONNECTION_STRING',
  'ATTEMPT_STORE_TABLE',
  'ATTEMPT_STORE_TIMEOUT_MS',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

export const PUBLIC_CLOUD_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** The API's own credential for the On-Behalf-Of exchange. */
export type ClientCredential =
  | { kind: 'secret'; clientSecret: string }
  | { kind: 'certificate'; privateKey: string; x5c: string; thumbprintSha256: string }
  | { kind: 'managedIdentity'; managedIdentityClientId: string };

/** Where the failed-attempt counts live (Azure Table Storage). */
export type AttemptStoreLocation =
  | {
      kind: 'connectionString';
      connectionString: string;
      table: string;
      /** Plain http, allowed only to loopback (Azurite): decided here, once. */
      allowInsecureConnection: boolean;
    }
  | { kind: 'managedIdentity'; endpoint: string; managedIdentityClientId: string; table: string };

/** The guessing protection: a budget of failed attempts per user, or off (said explicitly). */
export type AttemptLimitConfig =
  | { enabled: false }
  | {
      enabled: true;
      maxFailedAttempts: number;
      windowSeconds: number;
      store: AttemptStoreLocation;
      storeTimeoutMs: number;
    };

export interface Config {
  tenantId: string;
  clientId: string;
  /** Accepted `aud` values: api://<client id>, <client id>, and API_AUDIENCE if set. */
  audiences: string[];
  /** The delegated scope a client requests, e.g. api://<client id>/access_as_user. */
  apiScope: string;
  credential: ClientCredential;
  /** https origin, no trailing slash. */
  authorityHost: string;
  /** Tenants whose users may call the API; always includes tenantId. */
  allowedTenantIds: string[];
  requiredScope: string;
  /** Client ids (azp / appid) of the front ends allowed to call; empty means any. */
  allowedClientAppIds: string[];
  /** A Conditional Access authentication context (c1-c99) the token's acrs must include. */
  requiredAuthContext?: string;
  graphBaseUrl: string;
  graphApiVersion: 'v1.0' | 'beta';
  graphScope: string;
  graphTimeoutMs: number;
  corsAllowedOrigins: string[];
  /** Requests in flight on this instance past which new ones get 503 server_busy. */
  maxConcurrentRequests: number;
  attemptLimit: AttemptLimitConfig;
}

export type ConfigResult =
  | { ok: true; config: Config }
  | { ok: false; setting: SettingName; message: string };

type Env = Readonly<Record<string, string | undefined>>;

/** A setting problem; `message` never contains the setting's value. */
class SettingError extends Error {
  constructor(
    readonly setting: SettingName,
    message: string,
  ) {
    super(message);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Graph's authenticationContextClassReference ids: "Supported values are c1 through c99". */
const AUTH_CONTEXT = /^c([1-9]|[1-9][0-9])$/;

/**
 * Audiences of Microsoft's own APIs (Graph in every cloud, Azure AD Graph, the token exchange).
 * Accepting one as API_AUDIENCE would let any token for that API call this one.
 */
const FOREIGN_AUDIENCES = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
  'https://canary.graph.microsoft.com',
  '00000003-0000-0000-c000-000000000000',
  'https://graph.windows.net',
  '00000002-0000-0000-c000-000000000000',
  'api://azureadtokenexchange',
];
const normalizedAudience = (value: string) => value.toLowerCase().replace(/\/+$/, '');

/** The sample's placeholders (local.settings.sample.json) are `<what to put here>`. */
const PLACEHOLDER = /^<[^<>]*>$/;

function read(env: Env, name: SettingName): string | undefined {
  const value = env[name]?.trim();
  if (value && PLACEHOLDER.test(value)) {
    throw new SettingError(
      name,
      `${name} still holds the placeholder of local.settings.sample.json (<…>): replace it with your value`,
    );
  }
  return value ? value : undefined;
}

function required(env: Env, name: SettingName): string {
  const value = read(env, name);
  if (value === undefined) throw new SettingError(name, `${name} is required`);
  return value;
}

function guid(name: SettingName, value: string): string {
  if (GUID.test(value)) return value.toLowerCase();
  if (name === 'AZURE_CLIENT_ID' && /^api:\/\//i.test(value)) {
    throw new SettingError(
      name,
      `${name} must be the client id GUID, not the Application ID URI (api://…): ` +
        'use the GUID; a custom Application ID URI goes in API_AUDIENCE',
    );
  }
  throw new SettingError(name, `${name} must be a GUID`);
}

function list(env: Env, name: SettingName): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** An https URL reduced to its origin plus path, without a trailing slash. */
function httpsBase(name: SettingName, value: string, allowPath: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingError(name, `${name} must be an absolute https URL`);
  }
  if (url.protocol !== 'https:') throw new SettingError(name, `${name} must use https`);
  if (url.search || url.hash || url.username || url.password) {
    throw new SettingError(name, `${name} must not have a query, fragment or credentials`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path && !allowPath) throw new SettingError(name, `${name} must not have a path`);
  return `${url.origin}${path}`;
}

function origin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // An origin is scheme://host[:port] exactly; anything else (a path, '*') is refused. A browser's
  // Origin header never ends with '/', so http://localhost:5173/ would match no request.
  if (url && `${url.origin}/` === value) {
    throw new SettingError(
      'CORS_ALLOWED_ORIGINS',
      'CORS_ALLOWED_ORIGINS has an origin that ends with "/": an origin has no path, not even "/" (https://app.contoso.com, not https://app.contoso.com/)',
    );
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value) {
    throw new SettingError(
      'CORS_ALLOWED_ORIGINS',
      'CORS_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://app.contoso.com',
    );
  }
  return value;
}

/** A whole number within [min, max], or its default when unset. */
function integer(env: Env, name: SettingName, fallback: number, min: number, max: number): number {
  const text = read(env, name) ?? String(fallback);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new SettingError(name, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function credential(env: Env): ClientCredential {
  const secret = read(env, 'AZURE_CLIENT_SECRET');
  const certificatePath = read(env, 'AZURE_CLIENT_CERTIFICATE_PATH');
  const managedIdentityClientId = read(env, 'MANAGED_IDENTITY_CLIENT_ID');
  const given = [secret, certificatePath, managedIdentityClientId].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new SettingError(
      'AZURE_CLIENT_SECRET',
      'Set exactly one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, MANAGED_IDENTITY_CLIENT_ID',
    );
  }
  if (secret !== undefined) return { kind: 'secret', clientSecret: secret };
  if (managedIdentityClientId !== undefined) {
    return {
      kind: 'managedIdentity',
      managedIdentityClientId: guid('MANAGED_IDENTITY_CLIENT_ID', managedIdentityClientId),
    };
  }
  return certificate(certificatePath as string);
}

/** Reads the PEM once: the private key plus the certificate MSAL sends as x5c. */
function certificate(path: string): ClientCredential {
  const name = 'AZURE_CLIENT_CERTIFICATE_PATH';
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new SettingError(name, `${name} names a file that cannot be read`);
  }
  const certBlock = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  const keyBlock = pem.match(
    /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/,
  );
  if (!certBlock || !keyBlock) {
    throw new SettingError(name, `${name} must be a PEM file with a private key and a certificate`);
  }
  try {
    const cert = new X509Certificate(certBlock[0]);
    const privateKey = createPrivateKey(keyBlock[0]).export({ type: 'pkcs8', format: 'pem' });
    return {
      kind: 'certificate',
      privateKey: privateKey.toString(),
      x5c: certBlock[0],
      thumbprintSha256: cert.fingerprint256.replaceAll(':', ''),
    };
  } catch {
    throw new SettingError(name, `${name} holds a key or certificate that cannot be parsed`);
  }
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/**
 * Checks a storage connection string the way @azure/data-tables reads it
 * (utils/connectionString.ts): an account string needs DefaultEndpointsProtocol, AccountName and
 * AccountKey; otherwise it is a SAS string, needing TableEndpoint and SharedAccessSignature.
 * Checked here so that a bad one is a configuration error, not a failure of every request.
 * Plain http only to loopback (Azurite): returns whether the string asks for it.
 */
function checkStorageConnectionString(value: string): boolean {
  const name = 'ATTEMPT_STORE_CONNECTION_STRING';
  if (/usedevelopmentstorage=true/i.test(value)) return true;
  const parts = new Map<string, string>();
  for (const element of value.split(';')) {
    const at = element.indexOf('=');
    if (at <= 0) continue;
    const key = element.slice(0, at).trim().toLowerCase();
    // The SDK reads the first of a repeated key, a reader of the string may see the last one.
    if (parts.has(key)) {
      // The key itself only when it is a plain name: a value pasted twice must not reach the log.
      const which = /^[a-z]{1,32}$/.test(key) ? key : 'a key';
      throw new SettingError(name, `${name} names ${which} more than once`);
    }
    parts.set(key, element.slice(at + 1).trim());
  }
  const protocol = parts.get('defaultendpointsprotocol')?.toLowerCase();
  const account = parts.get('accountname');
  let endpoint = parts.get('tableendpoint');
  if (protocol !== undefined && parts.has('accountkey')) {
    if (!account || (protocol !== 'https' && protocol !== 'http')) {
      throw new SettingError(
        name,
        `${name} must name AccountName and DefaultEndpointsProtocol=https (or http for Azurite)`,
      );
    }
    endpoint ||= `${protocol}://${account}.table.${parts.get('endpointsuffix') || 'core.windows.net'}`;
  } else if (!endpoint || !parts.get('sharedaccesssignature')) {
    throw new SettingError(
      name,
      `${name} must be a storage connection string: DefaultEndpointsProtocol, AccountName, AccountKey (and TableEndpoint for Azurite), TableEndpoint and SharedAccessSignature, or UseDevelopmentStorage=true`,
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new SettingError(name, `${name} has a TableEndpoint that is not an absolute URL`);
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SettingError(
      name,
      `${name} must reach the table service over https (http only on loopback)`,
    );
  }
  return url.protocol === 'http:';
}

function attemptLimit(env: Env, credential: ClientCredential): AttemptLimitConfig {
  const max = read(env, 'MAX_FAILED_ATTEMPTS');
  if (max?.toLowerCase() === 'off') return { enabled: false };
  if (max !== undefined && !/^\d+$/.test(max)) {
    throw new SettingError(
      'MAX_FAILED_ATTEMPTS',
      'MAX_FAILED_ATTEMPTS must be an integer from 1 to 100, or off',
    );
  }
  const maxFailedAttempts = integer(env, 'MAX_FAILED_ATTEMPTS', 10, 1, 100);
  const windowSeconds = integer(env, 'FAILED_ATTEMPT_WINDOW_SECONDS', 3600, 1, 86_400);
  const storeTimeoutMs = integer(
    env,
    'ATTEMPT_STORE_TIMEOUT_MS',
    DEFAULT_STORE_TIMEOUT_MS,
    100,
    30_000,
  );
  const table = read(env, 'ATTEMPT_STORE_TABLE') ?? 'changepasswordattempts';
  if (!TABLE_NAME.test(table)) {
    throw new SettingError(
      'ATTEMPT_STORE_TABLE',
      'ATTEMPT_STORE_TABLE must be 3 to 63 letters and digits, starting with a letter',
    );
  }
  const endpoint = read(env, 'ATTEMPT_STORE_ENDPOINT');
  const connectionString = read(env, 'ATTEMPT_STORE_CONNECTION_STRING');
  if (endpoint !== undefined && connectionString !== undefined) {
    throw new SettingError(
      'ATTEMPT_STORE_ENDPOINT',
      'Set only one of ATTEMPT_STORE_ENDPOINT and ATTEMPT_STORE_CONNECTION_STRING',
    );
  }
  if (endpoint === undefined && connectionString === undefined) {
    throw new SettingError(
      'ATTEMPT_STORE_ENDPOINT',
      'ATTEMPT_STORE_ENDPOINT (in Azure) or ATTEMPT_STORE_CONNECTION_STRING (local) is required for the guessing protection; MAX_FAILED_ATTEMPTS=off runs without it',
    );
  }
  const limits = { enabled: true as const, maxFailedAttempts, windowSeconds, storeTimeoutMs };
  if (connectionString !== undefined) {
    const allowInsecureConnection = checkStorageConnectionString(connectionString);
    return {
      ...limits,
      store: { kind: 'connectionString', connectionString, table, allowInsecureConnection },
    };
  }
  if (credential.kind !== 'managedIdentity') {
    throw new SettingError(
      'ATTEMPT_STORE_ENDPOINT',
      'ATTEMPT_STORE_ENDPOINT is reached with the managed identity: set MANAGED_IDENTITY_CLIENT_ID, or use ATTEMPT_STORE_CONNECTION_STRING',
    );
  }
  return {
    ...limits,
    store: {
      kind: 'managedIdentity',
      endpoint: httpsBase('ATTEMPT_STORE_ENDPOINT', endpoint as string, false),
      managedIdentityClientId: credential.managedIdentityClientId,
      table,
    },
  };
}

function parse(env: Env): Config {
  const tenantId = guid('AZURE_TENANT_ID', required(env, 'AZURE_TENANT_ID'));
  const clientId = guid('AZURE_CLIENT_ID', required(env, 'AZURE_CLIENT_ID'));
  const apiAudience = read(env, 'API_AUDIENCE');
  if (apiAudience !== undefined && /\s/.test(apiAudience)) {
    throw new SettingError('API_AUDIENCE', 'API_AUDIENCE must be a single URI');
  }
  const graphBaseUrl = httpsBase(
    'GRAPH_BASE_URL',
    read(env, 'GRAPH_BASE_URL') ?? 'https://graph.microsoft.com',
    true,
  );
  const graphScope = read(env, 'GRAPH_SCOPE') ?? 'https://graph.microsoft.com/.default';
  const foreign = [
    ...FOREIGN_AUDIENCES,
    new URL(graphBaseUrl).origin,
    graphScope.replace(/\/[^/]*$/, ''),
  ].map(normalizedAudience);
  if (apiAudience !== undefined && foreign.includes(normalizedAudience(apiAudience))) {
    throw new SettingError(
      'API_AUDIENCE',
      "API_AUDIENCE must be this API's own App ID URI, not Microsoft Graph's (or another Microsoft API's) audience",
    );
  }
  const requiredAuthContext = read(env, 'REQUIRED_AUTH_CONTEXT');
  if (requiredAuthContext !== undefined && !AUTH_CONTEXT.test(requiredAuthContext)) {
    throw new SettingError(
      'REQUIRED_AUTH_CONTEXT',
      'REQUIRED_AUTH_CONTEXT must be an authentication context id from c1 to c99',
    );
  }
  const authorityHost = httpsBase(
    'AZURE_AUTHORITY_HOST',
    read(env, 'AZURE_AUTHORITY_HOST') ?? PUBLIC_CLOUD_AUTHORITY_HOST,
    false,
  );
  const allowedTenantIds = [
    tenantId,
    ...list(env, 'ALLOWED_TENANT_IDS').map((id) => guid('ALLOWED_TENANT_IDS', id)),
  ];
  const requiredScope = read(env, 'REQUIRED_SCOPE') ?? 'access_as_user';
  if (/\s/.test(requiredScope)) {
    throw new SettingError('REQUIRED_SCOPE', 'REQUIRED_SCOPE must be a single scope name');
  }
  const graphApiVersion = read(env, 'GRAPH_API_VERSION') ?? 'v1.0';
  if (graphApiVersion !== 'v1.0' && graphApiVersion !== 'beta') {
    throw new SettingError('GRAPH_API_VERSION', 'GRAPH_API_VERSION must be v1.0 or beta');
  }
  // 27500: the longest that ends within HTTP_RESPONSE_LIMIT_MS with no store (8 × 27500 ms).
  const graphTimeoutMs = integer(env, 'GRAPH_TIMEOUT_MS', 10_000, 100, 27_500);
  const maxConcurrentRequests = integer(env, 'MAX_CONCURRENT_REQUESTS', 512, 1, 100_000);
  const clientCredential = credential(env);
  const limits = attemptLimit(env, clientCredential);
  const storeTimeoutMs = limits.enabled ? limits.storeTimeoutMs : 0;
  if (longestRequestMs(graphTimeoutMs, storeTimeoutMs) > HTTP_RESPONSE_LIMIT_MS) {
    // The store's timeout is the one to shorten when the Graph timeout fits with the default.
    const setting =
      longestRequestMs(graphTimeoutMs, DEFAULT_STORE_TIMEOUT_MS) <= HTTP_RESPONSE_LIMIT_MS
        ? 'ATTEMPT_STORE_TIMEOUT_MS'
        : 'GRAPH_TIMEOUT_MS';
    throw new SettingError(
      setting,
      `${setting} is too long for Azure's 230 s limit on an HTTP answer: a request may take 8 × GRAPH_TIMEOUT_MS + 2 × ATTEMPT_STORE_TIMEOUT_MS, which must stay within ${HTTP_RESPONSE_LIMIT_MS} ms`,
    );
  }
  return {
    tenantId,
    clientId,
    audiences: [`api://${clientId}`, clientId, ...(apiAudience ? [apiAudience] : [])],
    apiScope: `${apiAudience ?? `api://${clientId}`}/${requiredScope}`,
    credential: clientCredential,
    authorityHost,
    allowedTenantIds: [...new Set(allowedTenantIds)],
    requiredScope,
    allowedClientAppIds: list(env, 'ALLOWED_CLIENT_APP_IDS').map((id) =>
      guid('ALLOWED_CLIENT_APP_IDS', id),
    ),
    ...(requiredAuthContext && { requiredAuthContext }),
    graphBaseUrl,
    graphApiVersion,
    graphScope,
    graphTimeoutMs,
    corsAllowedOrigins: list(env, 'CORS_ALLOWED_ORIGINS').map(origin),
    maxConcurrentRequests,
    attemptLimit: limits,
  };
}

/**
 * How many exchange budgets (GRAPH_TIMEOUT_MS) an upstream call may wait for a pooled connection
 * before it is refused as server_busy (shared/upstreamPool.ts): in a burst, requests queue for
 * the pool while the CPU is busy with the ones ahead.
 */
export const CONNECTION_WAIT_FACTOR = 2;

/**
 * The longest a reserved attempt can stay unsettled, from the moment it is stamped: the store
 * write that reserves it, the managed identity's token, then for Entra ID and for Graph the wait
 * for a pooled connection and the exchange, then the store write that settles it.
 * With the defaults (10 s, 2 s): 74 s.
 */
export function attemptSettledWithinMs(graphTimeoutMs: number, storeTimeoutMs: number): number {
  return (1 + 2 * (CONNECTION_WAIT_FACTOR + 1)) * graphTimeoutMs + 2 * storeTimeoutMs;
}

/** The longest a request can take: the signing keys' fetch, then the whole attempt. */
function longestRequestMs(graphTimeoutMs: number, storeTimeoutMs: number): number {
  return graphTimeoutMs + attemptSettledWithinMs(graphTimeoutMs, storeTimeoutMs);
}

/**
 * Azure answers an HTTP-triggered function's request itself after 230 s, whatever the function
 * timeout (Azure Load Balancer's idle timeout; learn.microsoft.com, "Function app timeout
 * duration"): a request must end well before, with our own answer. 10 s to spare.
 */
const HTTP_RESPONSE_LIMIT_MS = 220_000;
const DEFAULT_STORE_TIMEOUT_MS = 2000;

/**
 * Parses and validates the app settings once.
 *
 * @example
 * const result = loadConfig(process.env);
 * if (!result.ok) console.error(`${result.setting}: ${result.message}`);
 */
export function loadConfig(env: Env): ConfigResult {
  try {
    return { ok: true, config: parse(env) };
  } catch (error) {
    if (error instanceof SettingError) {
      return { ok: false, setting: error.setting, message: error.message };
    }
    throw error;
  }
}
