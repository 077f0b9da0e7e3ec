// Single-page apps on this machine: which redirect URIs and origins the emulated SPA registration
// accepts (any port and path on localhost, 127.0.0.1 or [::1]), and the CORS headers a browser
// needs to read the Entra emulator's answers.
import type { IncomingMessage } from 'node:http';
import { header } from './http.js';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function loopbackUrl(value: string | undefined | null): URL | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  return web && LOOPBACK_HOSTS.has(url.hostname) && !url.username && !url.password
    ? url
    : undefined;
}

/**
 * Entra matches redirect URIs exactly; the emulator's SPA registration accepts any http(s)
 * URI on a loopback host (any port, any path), without a fragment.
 */
export function isLoopbackRedirectUri(value: string | undefined | null): value is string {
  const url = loopbackUrl(value);
  return url !== undefined && url.hash === '' && !value?.includes('#');
}

/** The request's Origin when it is a loopback web origin, else undefined. */
export function loopbackOrigin(req: IncomingMessage): string | undefined {
  const origin = header(req, 'origin');
  const url = loopbackUrl(origin);
  return url && url.origin === origin ? origin : undefined;
}

/** CORS headers for a loopback origin (token endpoint: MSAL.js redeems codes cross-origin). */
export function corsFor(req: IncomingMessage): Record<string, string> {
  const origin = loopbackOrigin(req);
  return origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
}

/** Discovery documents and keys are public: any origin may read them, as with Entra. */
export function publicCors(req: IncomingMessage): Record<string, string> {
  return header(req, 'origin') ? { 'access-control-allow-origin': '*' } : {};
}

/** Answer to a CORS preflight: granted to loopback origins only. */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const cors = corsFor(req);
  if (!cors['access-control-allow-origin']) return {};
  return {
    ...cors,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': header(req, 'access-control-request-headers') ?? 'content-type',
    'access-control-max-age': '600',
  };
}
