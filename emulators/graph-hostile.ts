// Graph answers a hostile or broken stand-in sends (the security review's list), for the modes
// of POST /_emulator/failures with target "graph" that are not Graph's own documented errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { sendGraphError } from './graph-errors.js';
import { sendHugeBody, stallBody } from './hostile.js';
import { readJsonObject } from './http.js';

/** Every character as \uXXXX: the same string to a JSON parser, invisible to a text search. */
const unicodeEscaped = (value: string) =>
  [...value]
    .map((c) => c.charCodeAt(0).toString(16).padStart(4, '0'))
    .map((hex) => `\\u${hex}`)
    .join('');
/** JSON's own escapes, plus the optional \/ for every slash. */
const slashEscaped = (value: string) => JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/');

/** Answers a hostile mode; false when `mode` is not one of them. */
export async function hostileGraphAnswer(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  mode: string,
  bearer: string,
): Promise<boolean> {
  switch (mode) {
    case 'unknown_status':
      sendGraphError(res, 418, 'ImATeapot', 'This Graph refuses to change passwords.');
      return true;
    case 'extra_fields': {
      const body = JSON.stringify({
        error: {
          code: 'Request_BadRequest',
          message: 'Invalid currentPassword.',
          innerError: {
            date: '2026-11-28T05:45:35',
            'request-id': res.getHeader('request-id'),
            'client-request-id': res.getHeader('client-request-id'),
            stackTrace: 'at Microsoft.Graph.Passwords.Change() in D:\\src\\Change.cs:line 42',
            backend: 'sql://10.0.0.7/directory',
          },
          details: [{ code: 'internal', message: 'tenant policy dump' }],
        },
        debug: { upn: 'someone.else@contoso.com' },
      });
      res.writeHead(400, { 'content-type': 'application/json' }).end(body);
      return true;
    }
    case 'echo_escaped': {
      const sent = (await readJsonObject(req)) ?? {};
      const message =
        `Invalid currentPassword ${unicodeEscaped(String(sent.currentPassword ?? ''))}; ` +
        `newPassword ${slashEscaped(String(sent.newPassword ?? ''))} rejected.`;
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(`{"error":{"code":"Request_BadRequest","message":"${message}"}}`);
      return true;
    }
    case 'echo_token':
      sendGraphError(
        res,
        401,
        'InvalidAuthenticationToken',
        `Access token validation failure for Authorization: Bearer ${bearer}`,
      );
      return true;
    case 'bad_headers':
      sendGraphError(res, 429, 'TooManyRequests', 'Too many requests.', {
        'retry-after': 'in a while',
        'www-authenticate': 'Basic realm="graph"',
        'request-id': 'not an id; path=/',
      });
      return true;
    case 'huge':
    case 'huge_chunked':
      await sendHugeBody(ctx, res, 400, mode === 'huge');
      return true;
    case 'stall_body':
      await stallBody(ctx, res, 400);
      return true;
    default:
      return false;
  }
}
