// What every measuring child shares: the emulators it talks to, the app under test, the
// bare-minimum client it is compared with, and pre-minted users and tokens.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import azureFunctions, { type HttpHandler, type HttpResponseInit } from '@azure/functions';
import { createUser, mintToken } from '../../emulators/control-client.js';
import type { createRequestHandler } from '../../shared/handler.js';
import { APP_BUNDLE } from './snapshot.js';

const { HttpRequest, InvocationContext } = azureFunctions;

/** Handed from the bench entry (which runs the emulators) to its children as BENCH_EMULATORS. */
export interface EmulatorInfo {
  entraUrl: string;
  graphUrl: string;
  tenantId: string;
  apiClientId: string;
  apiClientSecret: string;
  /** App settings pointing at the emulators (no NODE_EXTRA_CA_CERTS: that is the process's). */
  appEnv: Record<string, string>;
}

export function emulatorInfo(): EmulatorInfo {
  const raw = process.env.BENCH_EMULATORS;
  if (!raw) throw new Error('BENCH_EMULATORS is not set: run `npm run bench`');
  return JSON.parse(raw) as EmulatorInfo;
}

/** Every bench user gets this password; requests send another one as currentPassword. */
export const USER_PASSWORD = 'Bench-Passw0rd!';
/**
 * A wrong currentPassword: Graph answers 400 "Invalid currentPassword." after checking the
 * token, the user and the body, so every request goes all the way and no state changes.
 */
export const REQUEST_BODY = JSON.stringify({
  currentPassword: 'Not-The-Passw0rd!',
  newPassword: 'Never-Applied-Passw0rd!',
});

type ChangePasswordModule = typeof import('../../functions/changePassword.js');

/**
 * The real handler: the esbuild bundle that ships (the bench's copy of `dist/`, the default),
 * or the TypeScript sources (`BENCH_APP=source`, readable names in CPU profiles).
 */
export async function loadHandler(
  info: EmulatorInfo,
  settings: Record<string, string> = {},
): Promise<HttpHandler> {
  const path =
    process.env.BENCH_APP === 'source' ? resolve('functions/changePassword.ts') : APP_BUNDLE;
  const module = (await import(pathToFileURL(path).href)) as ChangePasswordModule;
  return module.createChangePasswordFunction({ ...info.appEnv, ...settings });
}

const silent = () => {};

/** A request and context as the Functions host builds them. */
export function invocation(token: string, body: string = REQUEST_BODY) {
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://localhost:7071/api/me/changePassword',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: { string: body },
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'changePassword',
    logHandler: silent,
  });
  return { request, context };
}

/** Graph's 400 for the wrong current password, relayed: the only expected answer. */
export function checkFunctionReply(reply: HttpResponseInit): void {
  const body = typeof reply.body === 'string' ? reply.body : '';
  if (reply.status !== 400 || !body.includes('Invalid currentPassword')) {
    throw new Error(`unexpected function reply ${reply.status}: ${body.slice(0, 300)}`);
  }
}

/** One request through the real handler, checked. */
export async function callFunction(handler: HttpHandler, token: string): Promise<void> {
  const { request, context } = invocation(token);
  checkFunctionReply((await handler(request, context)) as HttpResponseInit);
}

/**
 * The bare minimum: the same two upstream POSTs with plain fetch, nothing else. An OBO form
 * POST with the client secret, then Graph's changePassword with the token it returned.
 */
export function createBareMinimum(info: EmulatorInfo, timeoutMs?: number) {
  // With a timeout: each fetch gets AbortSignal.timeout(timeoutMs), as a plain client would.
  const signal = () => (timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs));
  const tokenUrl = `${info.entraUrl}/${info.tenantId}/oauth2/v2.0/token`;
  const graphUrl = `${info.graphUrl}/v1.0/me/changePassword`;
  return async function bareMinimum(token: string): Promise<void> {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: info.apiClientId,
      client_secret: info.apiClientSecret,
      assertion: token,
      scope: 'https://graph.microsoft.com/.default',
      requested_token_use: 'on_behalf_of',
    });
    const tokenResponse = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: signal(),
    });
    const { access_token: graphToken } = (await tokenResponse.json()) as { access_token?: string };
    if (!graphToken) throw new Error(`bare minimum: OBO answered ${tokenResponse.status}`);
    const graph = await fetch(graphUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' },
      body: REQUEST_BODY,
      signal: signal(),
    });
    const text = await graph.text();
    if (graph.status !== 400)
      throw new Error(`bare minimum: Graph answered ${graph.status} ${text}`);
  };
}

/** Runs work(item) for every item with at most `concurrency` in flight. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Creates `count` new users named <prefix>-<random>-<n>@bench.test; returns their user names. */
export async function createUsers(
  entraUrl: string,
  prefix: string,
  count: number,
): Promise<string[]> {
  const run = randomUUID().slice(0, 8);
  const usernames = Array.from({ length: count }, (_, n) => `${prefix}-${run}-${n}@bench.test`);
  await runPool(usernames, 16, async (username) => {
    await createUser(entraUrl, { username, password: USER_PASSWORD });
  });
  return usernames;
}

/** `count` fresh access tokens (each one distinct), cycling through the users. */
export async function mintTokens(
  entraUrl: string,
  usernames: readonly string[],
  count: number,
): Promise<string[]> {
  const tokens = new Array<string>(count);
  await runPool(tokens, 8, async (_, index) => {
    tokens[index] = await mintToken(entraUrl, {
      username: usernames[index % usernames.length] as string,
    });
  });
  return tokens;
}

type RequestHandler = ReturnType<typeof createRequestHandler>;
const QUIET = { info() {}, warn() {}, error() {} };
const BODY_BYTES = new TextEncoder().encode(REQUEST_BODY);

/** One request straight into shared/handler.ts (no @azure/functions objects); Graph's 400 expected. */
export async function callHandler(handle: RequestHandler, token: string): Promise<void> {
  const headers = new Map([
    ['authorization', `Bearer ${token}`],
    ['content-type', 'application/json'],
  ]);
  const reply = await handle(
    {
      method: 'POST',
      url: 'http://localhost:7071/api/me/changePassword',
      headers: { get: (name) => headers.get(name) ?? null },
      arrayBuffer: async () => BODY_BYTES.buffer.slice(0) as ArrayBuffer,
    },
    QUIET,
    'bench',
  );
  if (reply.status !== 400) throw new Error(`unexpected status ${reply.status}`);
}
