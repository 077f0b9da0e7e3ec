import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import { GRAPH_APP_ID, GRAPH_RESOURCE, TENANT_ID } from './constants.js';
import { type EmulatorContext, issuerFor } from './context.js';
import { applyTransportFailure, retryAfter } from './failures.js';
import { sendGraphError } from './graph-errors.js';
import { hostileGraphAnswer } from './graph-hostile.js';
import { type Handler, header, readJsonObject, sleep } from './http.js';
import type { User } from './state.js';

const CHANGE_PASSWORD = /^\/(v1\.0|beta)\/me\/changepassword$/i;
const PASSWORD_SCOPES = ['Directory.AccessAsUser.All', 'User-PasswordProfile.ReadWrite.All'];
const COMPLEXITY_MESSAGE =
  'The specified password does not comply with password complexity requirements. Please provide a different password.';
const AUTHORIZATION_URI = 'https://login.microsoftonline.com/common/oauth2/authorize';
const CHALLENGE = `Bearer realm="", authorization_uri="${AUTHORIZATION_URI}", client_id="${GRAPH_APP_ID}"`;

/** Request handler of the Microsoft Graph emulator: only POST /me/changePassword. */
export function graphHandler(ctx: EmulatorContext): Handler {
  return async (req, res) => {
    const { state } = ctx;
    state.stats.graph++;
    const clientRequestId = header(req, 'client-request-id');
    const bearer = /^Bearer (.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
    const oid = peekOid(bearer);
    // Every Graph answer carries these correlation headers.
    res.setHeader('request-id', randomUUID());
    res.setHeader('client-request-id', clientRequestId ?? randomUUID());
    res.setHeader(
      'x-ms-ags-diagnostic',
      JSON.stringify({
        ServerInfo: { DataCenter: 'West Europe', Slice: 'E', Ring: '5', ScaleUnit: '000' },
      }),
    );
    res.once('close', () =>
      state.recordGraphCall({
        oid: oid ?? null,
        clientRequestId: clientRequestId ?? null,
        status: res.writableFinished ? res.statusCode : 0,
      }),
    );
    const fail = (status: number, code: string, message: string, headers = {}) =>
      sendGraphError(res, status, code, message, headers);

    await sleep(state.latencyMs, ctx.closing);
    const url = new URL(req.url ?? '/', ctx.graphUrl);
    if (!CHANGE_PASSWORD.test(url.pathname)) {
      return fail(
        404,
        'Request_ResourceNotFound',
        `Resource not found for the segment '${url.pathname}'.`,
      );
    }
    if (req.method !== 'POST') {
      return fail(
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      );
    }

    const scripted = state.takeFailure('graph', state.findByOid(oid));
    const afterChange = scripted?.mode.endsWith('_after_change') ? scripted : undefined;
    if (scripted && !afterChange) {
      if (await applyTransportFailure(ctx, req, scripted)) return;
      if (scriptedFailure(res, scripted.mode, retryAfter(scripted))) return;
      if (await hostileGraphAnswer(ctx, req, res, scripted.mode, bearer ?? '')) return;
    }

    const verified = await verifyGraphToken(ctx, bearer);
    if (typeof verified === 'string') {
      return fail(401, 'InvalidAuthenticationToken', verified, { 'www-authenticate': CHALLENGE });
    }
    const scopes = String(verified.scp ?? '').split(' ');
    if (!PASSWORD_SCOPES.some((s) => scopes.includes(s))) {
      return fail(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
    const user = state.findByOid(verified.oid);
    if (!user) {
      return fail(
        404,
        'Request_ResourceNotFound',
        `Resource '${String(verified.oid)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    if (!/^application\/json\b/i.test(header(req, 'content-type') ?? '')) {
      return fail(
        400,
        'Request_BadRequest',
        'The request body must be JSON (Content-Type: application/json).',
      );
    }
    const body = await readJsonObject(req);
    const { currentPassword, newPassword } = body ?? {};
    if (typeof currentPassword !== 'string' || typeof newPassword !== 'string') {
      return fail(
        400,
        'Request_BadRequest',
        "Invalid request body: 'currentPassword' and 'newPassword' must be strings.",
      );
    }
    if (currentPassword !== user.password) {
      return fail(400, 'Request_BadRequest', 'Invalid currentPassword.');
    }
    if (!meetsComplexity(newPassword, user)) {
      return fail(400, 'Request_BadRequest', COMPLEXITY_MESSAGE);
    }
    user.password = newPassword;
    user.passwordChanges++;
    if (afterChange) {
      // An informational answer is not Graph's answer: a client must still wait for the final one.
      if (afterChange.mode === 'early_hints_hang_after_change') {
        res.writeEarlyHints({ link: '</>; rel=preconnect' });
      }
      const mode = afterChange.mode === 'reset_after_change' ? 'reset' : 'hang';
      await applyTransportFailure(ctx, req, { ...afterChange, target: 'graph', mode });
      return;
    }
    res.writeHead(204).end();
  };
}

function peekOid(token: string | undefined): string | undefined {
  try {
    const { oid } = decodeJwt(token ?? '');
    return typeof oid === 'string' ? oid : undefined;
  } catch {
    return undefined;
  }
}

/** Entra's default policy: 8-256 characters, 3 of 4 character classes, not the current one. */
function meetsComplexity(password: string, user: User): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password));
  return (
    password.length >= 8 &&
    password.length <= 256 &&
    classes.length >= 3 &&
    password !== user.password
  );
}

/** Returns the claims, or Graph's 401 message. */
async function verifyGraphToken(
  ctx: EmulatorContext,
  token: string | undefined,
): Promise<JWTPayload | string> {
  if (!token) return 'Access token is empty.';
  try {
    const { payload } = await jwtVerify(token, ctx.keys.keySet, {
      algorithms: ['RS256'],
      issuer: issuerFor(ctx, TENANT_ID),
      audience: [GRAPH_RESOURCE, GRAPH_APP_ID],
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (err) {
    if (err instanceof errors.JWTExpired)
      return 'Lifetime validation failed, the token is expired.';
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.claim === 'aud') return 'Access token validation failure. Invalid audience.';
      if (err.claim === 'iss') return 'Access token validation failure. Invalid issuer.';
      if (err.claim === 'nbf') return 'Lifetime validation failed, the token is not yet valid.';
    }
    if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) {
      return 'CompactToken parsing failed with error code: 80049217';
    }
    return 'Access token validation failure.';
  }
}

/** Answers a scripted Graph failure; false for "delay" (answer normally). */
function scriptedFailure(res: ServerResponse, mode: string, retryAfterSeconds: string): boolean {
  const fail = (status: number, code: string, message: string, headers = {}) =>
    sendGraphError(res, status, code, message, headers);
  const retry = { 'retry-after': retryAfterSeconds };
  switch (mode) {
    case 'throttle':
      fail(429, 'TooManyRequests', 'Too many requests.', retry);
      return true;
    case 'unavailable':
      fail(503, 'serviceNotAvailable', 'The service is temporarily unavailable.', retry);
      return true;
    case 'unauthorized':
      fail(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', {
        'www-authenticate': CHALLENGE,
      });
      return true;
    case 'forbidden':
      fail(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
      return true;
    case 'cae': {
      // Continuous access evaluation: a claims challenge demanding a token issued after now.
      const claims = {
        access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
      };
      fail(
        401,
        'InvalidAuthenticationToken',
        'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
        {
          'www-authenticate': `${CHALLENGE}, error="insufficient_claims", claims="${Buffer.from(JSON.stringify(claims)).toString('base64')}"`,
        },
      );
      return true;
    }
    case 'non_json': {
      const html =
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
      res.writeHead(502, {
        'content-type': 'text/html',
        'content-length': Buffer.byteLength(html),
      });
      res.end(html);
      return true;
    }
    default:
      return false;
  }
}
