import type { ServerResponse } from 'node:http';
import { sendJson } from './http.js';

/** Graph's error shape: {error: {code, message, innerError: {date, request-id, client-request-id}}}. */
export function sendGraphError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const innerError = {
    date: new Date().toISOString().replace(/\.\d+Z$/, ''),
    'request-id': res.getHeader('request-id'),
    'client-request-id': res.getHeader('client-request-id'),
  };
  sendJson(res, status, { error: { code, message, innerError } }, headers);
}
