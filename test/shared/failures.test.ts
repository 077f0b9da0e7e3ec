import { describe, expect, it } from 'vitest';
import { type Failure, type FailureCode, failureResponse } from '../../shared/failures.js';

const ctx = {
  authorityHost: 'https://login.microsoftonline.com',
  tenantId: 'tid-1',
  clientId: 'cid-1',
  scope: 'api://cid-1/access_as_user',
};
const BASE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/tid-1/oauth2/v2.0/authorize", client_id="cid-1"';

// One example of every failure, with the status the contract gives it.
const EXAMPLES: Record<FailureCode, [Failure, number]> = {
  missing_token: [{ code: 'missing_token' }, 401],
  invalid_token: [{ code: 'invalid_token', reason: 'expired' }, 401],
  insufficient_scope: [{ code: 'insufficient_scope' }, 403],
  app_only_token: [{ code: 'app_only_token' }, 403],
  client_app_not_allowed: [{ code: 'client_app_not_allowed' }, 403],
  signing_keys_unavailable: [{ code: 'signing_keys_unavailable', retryAfterSeconds: 30 }, 503],
  unsupported_media_type: [{ code: 'unsupported_media_type' }, 415],
  payload_too_large: [{ code: 'payload_too_large', limitBytes: 4096 }, 413],
  invalid_json: [{ code: 'invalid_json' }, 400],
  invalid_request: [
    { code: 'invalid_request', field: 'newPassword', problem: 'newPassword is required.' },
    400,
  ],
  origin_not_allowed: [{ code: 'origin_not_allowed' }, 403],
  insufficient_claims: [
    {
      code: 'insufficient_claims',
      claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
    },
    401,
  ],
  interaction_required: [{ code: 'interaction_required' }, 401],
  consent_required: [{ code: 'consent_required' }, 403],
  token_exchange_rejected: [{ code: 'token_exchange_rejected', entraError: 'invalid_client' }, 502],
  token_exchange_unavailable: [{ code: 'token_exchange_unavailable', retryAfter: '7' }, 503],
  token_exchange_unreachable: [{ code: 'token_exchange_unreachable' }, 502],
  token_exchange_timeout: [{ code: 'token_exchange_timeout' }, 504],
  credential_unavailable: [{ code: 'credential_unavailable' }, 502],
  graph_error: [
    {
      code: 'graph_error',
      status: 400,
      body: '{"error":{"code":"Request_BadRequest","message":"m"}}',
      headers: { 'request-id': 'r' },
    },
    400,
  ],
  graph_unreachable: [{ code: 'graph_unreachable' }, 502],
  graph_bad_response: [{ code: 'graph_bad_response' }, 502],
  graph_timeout_change_unknown: [{ code: 'graph_timeout_change_unknown' }, 504],
  graph_connection_lost_change_unknown: [{ code: 'graph_connection_lost_change_unknown' }, 502],
  server_busy: [{ code: 'server_busy', retryAfterSeconds: 1 }, 503],
  too_many_attempts: [{ code: 'too_many_attempts', retryAfterSeconds: 120 }, 429],
  attempt_store_unavailable: [{ code: 'attempt_store_unavailable', reason: 'timeout' }, 503],
  server_misconfigured: [{ code: 'server_misconfigured' }, 500],
  internal_error: [{ code: 'internal_error' }, 500],
};

describe('failureResponse', () => {
  it.each(Object.entries(EXAMPLES))(
    '%s answers its status with a JSON error in Graph shape',
    (code, [failure, status]) => {
      const response = failureResponse(failure, ctx);
      expect(response.status).toBe(status);
      expect(response.headers['Content-Type']).toBe('application/json; charset=utf-8');
      const body = JSON.parse(response.body);
      expect(typeof body.error.code).toBe('string');
      expect(typeof body.error.message).toBe('string');
      if (failure.code !== 'graph_error') expect(body.error.code).toBe(code);
    },
  );

  it('challenges a missing token without an error code (RFC 6750 3.1)', () => {
    expect(failureResponse({ code: 'missing_token' }, ctx).headers['WWW-Authenticate']).toBe(BASE);
  });

  it('challenges an invalid token with error="invalid_token" and a reason', () => {
    expect(
      failureResponse({ code: 'invalid_token', reason: 'audience' }, ctx).headers[
        'WWW-Authenticate'
      ],
    ).toBe(
      `${BASE}, error="invalid_token", error_description="The access token was not issued for this API."`,
    );
  });

  it.each(['insufficient_scope', 'app_only_token'] as const)(
    'challenges %s with the scope to request',
    (code) => {
      expect(failureResponse({ code }, ctx).headers['WWW-Authenticate']).toBe(
        `${BASE}, error="insufficient_scope", scope="api://cid-1/access_as_user"`,
      );
    },
  );

  it('puts the base64 claims in both the challenge and the body', () => {
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}';
    const encoded = Buffer.from(claims).toString('base64');
    const response = failureResponse({ code: 'insufficient_claims', claims }, ctx);
    expect(response.headers['WWW-Authenticate']).toBe(
      `${BASE}, error="insufficient_claims", claims="${encoded}"`,
    );
    expect(JSON.parse(response.body).error.claims).toBe(encoded);
  });

  it('relays a Graph error as it is, with its headers', () => {
    const [failure] = EXAMPLES.graph_error;
    const response = failureResponse(failure);
    expect(response.body).toBe('{"error":{"code":"Request_BadRequest","message":"m"}}');
    expect(response.headers['request-id']).toBe('r');
  });

  it('tells when the signing keys will be fetched again', () => {
    const response = failureResponse({ code: 'signing_keys_unavailable', retryAfterSeconds: 12 });
    expect(response.headers['Retry-After']).toBe('12');
    expect(response.headers['WWW-Authenticate']).toBeUndefined();
  });

  it("challenges a relayed Graph 401 as this API, with Graph's CAE claims when it sent some", () => {
    const graph401 = { code: 'graph_error', status: 401, body: '{}', headers: {} } as const;
    expect(failureResponse(graph401, ctx).headers['WWW-Authenticate']).toBe(BASE);
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1"}}}';
    expect(failureResponse({ ...graph401, claims }, ctx).headers['WWW-Authenticate']).toBe(
      `${BASE}, error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`,
    );
    const graph400 = { ...graph401, status: 400 };
    expect(failureResponse(graph400, ctx).headers['WWW-Authenticate']).toBeUndefined();
  });

  it('passes Entra Retry-After on', () => {
    expect(
      failureResponse({ code: 'token_exchange_unavailable', retryAfter: '7' }).headers[
        'Retry-After'
      ],
    ).toBe('7');
  });

  it('server_busy tells the client when to retry', () => {
    const response = failureResponse({ code: 'server_busy', retryAfterSeconds: 1 });
    expect(response.headers['Retry-After']).toBe('1');
    expect(JSON.parse(response.body).error.message).toMatch(/nothing was changed/);
  });

  it.each(['graph_timeout_change_unknown', 'graph_connection_lost_change_unknown'] as const)(
    '%s says the password may have changed and how to check',
    (code) => {
      const { message } = JSON.parse(failureResponse({ code }).body).error;
      expect(message).toMatch(/the password may have changed/);
      expect(message).toMatch(/Sign in with the new password/);
    },
  );

  it('graph_unreachable says nothing was changed', () => {
    const { message } = JSON.parse(failureResponse({ code: 'graph_unreachable' }).body).error;
    expect(message).toMatch(/the password was not changed/);
  });

  it('tells how long to wait: 429 too_many_attempts and 503 attempt_store_unavailable', () => {
    const spent = failureResponse({ code: 'too_many_attempts', retryAfterSeconds: 1234 }, ctx);
    expect(spent.status).toBe(429);
    expect(spent.headers['Retry-After']).toBe('1234');
    expect(spent.headers['WWW-Authenticate']).toBeUndefined();
    const store = failureResponse({ code: 'attempt_store_unavailable', reason: 'timeout' }, ctx);
    expect(store.headers['Retry-After']).toBe('5');
    expect(store.body).not.toContain('timeout'); // the reason is for the log only
  });

  it('names the field of a body problem in target', () => {
    const [failure] = EXAMPLES.invalid_request;
    expect(JSON.parse(failureResponse(failure).body).error).toEqual({
      code: 'invalid_request',
      message: 'newPassword is required.',
      target: 'newPassword',
    });
  });
});
