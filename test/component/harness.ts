import { randomUUID } from 'node:crypto';
import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, beforeEach, inject } from 'vitest';
import {
  clearFailures,
  createUser,
  mintToken,
  resetStats,
} from '../../emulators/control-client.js';
import { createChangePasswordFunction } from '../../functions/changePassword.js';

export const emulators = inject('emulators');
export const entraUrl = emulators.entraUrl;

/** App settings pointing at the emulators, plus overrides (undefined removes one). */
export function appEnv(overrides: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = { ...emulators.env, ...overrides };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Every log line any test's handler wrote, for the no-secrets-in-logs check. */
export const allLogLines: string[] = [];

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: { code: string; message: string; target?: string; claims?: string } } | undefined;
  logs: string[];
  invocationId: string;
}

export interface CallOptions {
  method?: string;
  token?: string;
  authorization?: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The W3C traceparent the Functions host would hand the worker in InvocationContext.traceContext. */
  traceParent?: string;
}

type Handler = ReturnType<typeof createChangePasswordFunction>;

/** One request through the real handler, as the Functions host would deliver it. */
export async function call(handler: Handler, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const text =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const request = new HttpRequest({
    method: options.method ?? 'POST',
    url: 'http://localhost:7071/api/me/changePassword',
    headers,
    ...(text !== undefined && { body: { string: text } }),
  });
  const logs: string[] = [];
  const invocationId = randomUUID();
  const context = new InvocationContext({
    invocationId,
    functionName: 'changePassword',
    ...(options.traceParent && { traceContext: { traceParent: options.traceParent } }),
    logHandler: (level, ...args) => {
      const line = `${level}: ${args.map(String).join(' ')}`;
      logs.push(line);
      allLogLines.push(line);
    },
  });
  const response: HttpResponseInit = await handler(request, context);
  const body = typeof response.body === 'string' ? response.body : '';
  let json: Reply['json'];
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: response.status ?? 200,
    headers: Object.fromEntries(
      Object.entries((response.headers ?? {}) as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    ),
    body,
    json,
    logs,
    invocationId,
  };
}

export function newHandler(overrides: Record<string, string | undefined> = {}): Handler {
  return createChangePasswordFunction(appEnv(overrides));
}

/** A user name no other test uses. */
export function uniqueUsername(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@contoso.test`;
}

/** A well-formed user token for this API signed by a key Entra never published (or not yet: rotated). */
export async function tokenFromUnknownKey(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ scp: 'access_as_user', oid: 'x', tid: emulators.tenantId })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(`${emulators.entraUrl}/${emulators.tenantId}/v2.0`)
    .setAudience(`api://${emulators.apiClientId}`)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
}

/**
 * For a file that scripts emulator failures: creates its user once, and gives every test
 * no leftover failure and zeroed call counters.
 */
export function useEmulatorUser(username: string, password: string): void {
  beforeAll(async () => {
    await createUser(entraUrl, { username, password });
  });
  beforeEach(async () => {
    await clearFailures(entraUrl);
    await resetStats(entraUrl);
  });
}

/** A new emulator user with this password, and an access token for the API. */
export async function newUserWithToken(prefix: string, password: string) {
  const username = uniqueUsername(prefix);
  const { oid } = await createUser(entraUrl, { username, password });
  return { username, oid, token: await mintToken(entraUrl, { username }) };
}
