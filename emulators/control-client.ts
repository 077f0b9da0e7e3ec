// Typed client for the control API (/_emulator/*) on the Entra emulator, built on plain fetch.
// The calling process must trust the emulator certificate (NODE_EXTRA_CA_CERTS at start-up,
// or a fetch dispatcher that trusts caCertPath).
import { TELEMETRY_CONTROL_PATH } from './constants.js';
import type {
  CreatedUser,
  CreateUserRequest,
  FailureRequest,
  MintTokenRequest,
  MintTokenResponse,
  ReceivedTelemetry,
  Stats,
  UserView,
} from './types.js';

async function call<T>(entraUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${entraUrl}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${method} /_emulator/${path} failed: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

export function createUser(entraUrl: string, user: CreateUserRequest): Promise<CreatedUser> {
  return call(entraUrl, 'POST', 'users', user);
}

export function getUser(entraUrl: string, username: string): Promise<UserView> {
  return call(entraUrl, 'GET', `users/${encodeURIComponent(username)}`);
}

/** Mints an access token for the API as Entra would issue it to the SPA; returns the JWT. */
export async function mintToken(entraUrl: string, request: MintTokenRequest): Promise<string> {
  const { access_token } = await call<MintTokenResponse>(entraUrl, 'POST', 'tokens', request);
  return access_token;
}

export async function addFailure(entraUrl: string, failure: FailureRequest): Promise<void> {
  await call(entraUrl, 'POST', 'failures', failure);
}

export async function clearFailures(entraUrl: string): Promise<void> {
  await call(entraUrl, 'DELETE', 'failures');
}

export async function setLatency(entraUrl: string, ms: number): Promise<void> {
  await call(entraUrl, 'POST', 'latency', { ms });
}

export function getStats(entraUrl: string): Promise<Stats> {
  return call(entraUrl, 'GET', 'stats');
}

export async function resetStats(entraUrl: string): Promise<void> {
  await call(entraUrl, 'POST', 'stats/reset');
}

/** What the Application Insights stand-in accepted (and refused) so far. */
export async function getTelemetry(appInsightsUrl: string): Promise<ReceivedTelemetry> {
  const response = await fetch(`${appInsightsUrl}${TELEMETRY_CONTROL_PATH}`);
  if (!response.ok) throw new Error(`GET ${TELEMETRY_CONTROL_PATH} failed: ${response.status}`);
  return (await response.json()) as ReceivedTelemetry;
}
