import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { sendJson } from './http.js';

export interface EntraError {
  status: 400 | 401 | 500 | 503;
  error: string;
  /** AADSTS number. */
  code: number;
  message: string;
  suberror?: string;
  /** Claims challenge (a JSON string), as sent with interaction_required. */
  claims?: string;
  headers?: Record<string, string>;
}

// Entra prints timestamps as "2026-11-28 05:45:35Z".
export const entraTimestamp = (): string =>
  new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

/** Answers in the shape of Entra's token endpoint errors. */
export function sendEntraError(
  ctx: EmulatorContext,
  res: ServerResponse,
  e: EntraError,
  correlationId: string = randomUUID(),
): void {
  const timestamp = entraTimestamp();
  const traceId = randomUUID();
  sendJson(
    res,
    e.status,
    {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${ctx.entraUrl}/error?code=${e.code}`,
      ...(e.suberror ? { suberror: e.suberror } : {}),
      ...(e.claims ? { claims: e.claims } : {}),
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', ...e.headers },
  );
}

/** AADSTS90002: the tenant in the path is not one the emulator knows. */
export const unknownTenantError = (tenant: string, error = 'invalid_request'): EntraError => ({
  status: 400,
  error,
  code: 90002,
  message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
});
