import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.js';
import { readJsonObject, sendJson } from './http.js';
import { mintUserToken } from './tokens.js';
import type {
  CreateUserRequest,
  FailureRequest,
  GraphFailureMode,
  KeysFailureMode,
  MintTokenRequest,
  MsiFailureMode,
  TokenFailureMode,
  UserView,
} from './types.js';

const TOKEN_MODES: readonly TokenFailureMode[] = [
  'interaction_required',
  'claims_challenge',
  'claims_not_json',
  'invalid_grant_claims_not_json',
  'consent_required',
  'server_error',
  'unavailable',
  'reset',
  'hang',
  'delay',
  'redirect',
  'huge',
  'stall_body',
  'forged_log',
];
const GRAPH_MODES: readonly GraphFailureMode[] = [
  'throttle',
  'unavailable',
  'unauthorized',
  'forbidden',
  'cae',
  'non_json',
  'reset',
  'hang',
  'delay',
  'unknown_status',
  'extra_fields',
  'echo_escaped',
  'echo_token',
  'bad_headers',
  'huge',
  'huge_chunked',
  'stall_body',
  'reset_after_change',
  'hang_after_change',
  'early_hints_hang_after_change',
];
const KEYS_MODES: readonly KeysFailureMode[] = [
  'server_error',
  'non_json',
  'reset',
  'hang',
  'delay',
  'huge',
];
const MODES: Record<string, readonly string[]> = {
  token: TOKEN_MODES,
  graph: GRAPH_MODES,
  keys: KEYS_MODES,
  msi: ['hang'] satisfies readonly MsiFailureMode[],
};

type Body = Record<string, unknown>;
type FieldType = 'string' | 'number' | 'boolean';

/** Minimal body validation: returns a message for the first bad field. */
function invalidField(
  body: Body,
  fields: Record<string, FieldType>,
  required: string[] = [],
): string | undefined {
  for (const name of required) if (body[name] === undefined) return `${name} is required`;
  for (const [name, type] of Object.entries(fields)) {
    if (body[name] !== undefined && typeof body[name] !== type) return `${name} must be a ${type}`;
  }
  return undefined;
}

/** The JSON control API under /_emulator/ that tests and dev scripts use to drive the emulators. */
export async function handleControl(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const { state } = ctx;
  const route = `${req.method} ${path}`;
  const send = (status: number, payload: unknown) => sendJson(res, status, payload);
  const badRequest = (message: string) => send(400, { error: 'bad_request', message });
  const body = req.method === 'POST' ? ((await readJsonObject(req)) ?? {}) : {};

  if (route === 'POST /_emulator/users') {
    const error = invalidField(
      body,
      { username: 'string', password: 'string', displayName: 'string', mfaRequired: 'boolean' },
      ['username', 'password'],
    );
    if (error) return badRequest(error);
    const input = body as unknown as CreateUserRequest;
    if (state.findByUsername(input.username)) {
      return send(409, { error: 'conflict', message: `${input.username} exists` });
    }
    const user = state.addUser({
      username: input.username,
      password: input.password,
      displayName: input.displayName ?? input.username,
      mfaRequired: input.mfaRequired ?? false,
    });
    return send(201, { oid: user.oid, username: user.username });
  }

  if (req.method === 'GET' && path.startsWith('/_emulator/users/')) {
    const user = state.findByUsername(decodeURIComponent(path.slice('/_emulator/users/'.length)));
    if (!user) return send(404, { error: 'not_found', message: 'no such user' });
    const view: UserView = {
      oid: user.oid,
      username: user.username,
      password: user.password,
      passwordChanges: user.passwordChanges,
    };
    return send(200, view);
  }

  if (route === 'POST /_emulator/tokens') {
    const error = invalidField(body, {
      username: 'string',
      scope: 'string',
      audience: 'string',
      tenantId: 'string',
      issuer: 'string',
      expiresInSeconds: 'number',
      notBeforeSeconds: 'number',
      alg: 'string',
      appOnly: 'boolean',
      mfa: 'boolean',
      version: 'number',
      clientId: 'string',
      idtyp: 'string',
    });
    if (error) return badRequest(error);
    if (
      body.acrs !== undefined &&
      !(Array.isArray(body.acrs) && body.acrs.every((v) => typeof v === 'string'))
    ) {
      return badRequest('acrs must be an array of strings');
    }
    const input = body as MintTokenRequest;
    if (input.alg && !['RS256', 'PS256', 'RS384'].includes(input.alg)) {
      return badRequest('alg must be RS256, PS256 or RS384');
    }
    if (input.version !== undefined && input.version !== 1 && input.version !== 2) {
      return badRequest('version must be 1 or 2');
    }
    const user = input.username ? state.findByUsername(input.username) : undefined;
    if (!input.appOnly && !user) return send(404, { error: 'not_found', message: 'no such user' });
    return send(200, { access_token: await mintUserToken(ctx, input, user) });
  }

  if (route === 'POST /_emulator/failures') {
    const error = invalidField(
      body,
      {
        target: 'string',
        mode: 'string',
        username: 'string',
        times: 'number',
        retryAfterSeconds: 'number',
        delayMs: 'number',
      },
      ['target', 'mode'],
    );
    if (error) return badRequest(error);
    if (body.times !== undefined && !(Number.isInteger(body.times) && Number(body.times) > 0)) {
      return badRequest('times must be a positive integer');
    }
    const target = String(body.target);
    const modes = Object.hasOwn(MODES, target) ? (MODES[target] ?? []) : [];
    if (!modes.includes(body.mode as string)) {
      return badRequest(`unknown target/mode ${String(body.target)}/${String(body.mode)}`);
    }
    state.addFailure(body as unknown as FailureRequest);
    return send(201, body);
  }

  if (route === 'DELETE /_emulator/failures') return send(200, { cleared: state.clearFailures() });

  if (route === 'POST /_emulator/latency') {
    if (typeof body.ms !== 'number' || body.ms < 0) return badRequest('ms must be a number >= 0');
    state.latencyMs = body.ms;
    return send(200, { ms: state.latencyMs });
  }

  if (route === 'GET /_emulator/stats') return send(200, state.stats);

  if (route === 'POST /_emulator/stats/reset') {
    state.resetStats();
    return send(200, state.stats);
  }

  send(404, { error: 'not_found', message: `no route ${route}` });
}
