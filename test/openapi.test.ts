// openapi.yaml: a valid OpenAPI 3.1 document whose error contract is shared/failures.ts's.
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  type ChallengeContext,
  type Failure,
  type FailureCode,
  failureResponse,
} from '../shared/failures.js';
import {
  ajv,
  CHANGE_PASSWORD_PATH,
  checkAgainstDocument,
  OPENAPI_PATH,
  openapi,
  openapiText,
} from './openapi-document.js';

/**
 * One failure of each code. A Record over FailureCode: a code added to the Failure union fails
 * to compile here until it is documented.
 */
const SAMPLES: { [Code in FailureCode]: Extract<Failure, { code: Code }> } = {
  missing_token: { code: 'missing_token' },
  invalid_token: { code: 'invalid_token', reason: 'expired' },
  insufficient_scope: { code: 'insufficient_scope' },
  app_only_token: { code: 'app_only_token' },
  client_app_not_allowed: { code: 'client_app_not_allowed' },
  signing_keys_unavailable: { code: 'signing_keys_unavailable', retryAfterSeconds: 30 },
  unsupported_media_type: { code: 'unsupported_media_type' },
  payload_too_large: { code: 'payload_too_large', limitBytes: 4096 },
  invalid_json: { code: 'invalid_json' },
  invalid_request: { code: 'invalid_request', field: 'newPassword', problem: 'Too long.' },
  origin_not_allowed: { code: 'origin_not_allowed' },
  insufficient_claims: { code: 'insufficient_claims', claims: '{"access_token":{}}' },
  interaction_required: { code: 'interaction_required' },
  consent_required: { code: 'consent_required' },
  token_exchange_rejected: { code: 'token_exchange_rejected', entraError: 'invalid_client' },
  token_exchange_unavailable: { code: 'token_exchange_unavailable', retryAfter: '9' },
  token_exchange_unreachable: { code: 'token_exchange_unreachable' },
  token_exchange_timeout: { code: 'token_exchange_timeout' },
  credential_unavailable: { code: 'credential_unavailable' },
  graph_error: {
    code: 'graph_error',
    status: 400,
    body: JSON.stringify({
      error: { code: 'Request_BadRequest', message: 'Invalid currentPassword.', innerError: {} },
    }),
    headers: { 'request-id': '2a1b6c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
  },
  graph_unreachable: { code: 'graph_unreachable' },
  graph_bad_response: { code: 'graph_bad_response' },
  graph_timeout_change_unknown: { code: 'graph_timeout_change_unknown' },
  graph_connection_lost_change_unknown: { code: 'graph_connection_lost_change_unknown' },
  server_busy: { code: 'server_busy', retryAfterSeconds: 1 },
  too_many_attempts: { code: 'too_many_attempts', retryAfterSeconds: 600 },
  attempt_store_unavailable: { code: 'attempt_store_unavailable', reason: 'unreachable' },
  server_misconfigured: { code: 'server_misconfigured' },
  internal_error: { code: 'internal_error' },
};

/** The failure that is Graph's error relayed: its codes are Graph's, not in ApiErrorCode. */
const RELAYED: FailureCode = 'graph_error';

const CHALLENGE: ChallengeContext = {
  authorityHost: 'https://login.microsoftonline.com',
  tenantId: '4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  clientId: '6b0c8a1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d',
  scope: 'api://6b0c8a1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d/access_as_user',
};

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(OPENAPI_PATH);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(openapi.openapi).toBe('3.1.0');
  });

  it('has schemas that are valid JSON Schema 2020-12 (Ajv, strict)', () => {
    for (const name of Object.keys(openapi.components.schemas)) {
      expect(ajv.getSchema(`urn:openapi:schemas#/$defs/${name}`), name).toBeTypeOf('function');
    }
  });

  it('documents POST and OPTIONS, the body schema and the OAuth 2.0 scheme', () => {
    const operations = openapi.paths[CHANGE_PASSWORD_PATH] ?? {};
    expect(Object.keys(operations).sort()).toEqual(['options', 'post']);
    expect(openapi.components.schemas.ChangePasswordRequest).toMatchObject({
      type: 'object',
      required: ['currentPassword', 'newPassword'],
      additionalProperties: false,
      properties: {
        currentPassword: { type: 'string', minLength: 1, maxLength: 256 },
        newPassword: { type: 'string', minLength: 1, maxLength: 256 },
      },
    });
    expect(openapi.components).toMatchObject({
      securitySchemes: {
        entra: {
          type: 'oauth2',
          flows: {
            authorizationCode: {
              authorizationUrl: expect.stringMatching(/\/oauth2\/v2\.0\/authorize$/),
              tokenUrl: expect.stringMatching(/\/oauth2\/v2\.0\/token$/),
              scopes: { 'api://{clientId}/access_as_user': expect.any(String) },
            },
          },
        },
      },
    });
  });

  it("lists every error code of shared/failures.ts's Failure union", () => {
    const apiCodes = (Object.keys(SAMPLES) as FailureCode[]).filter((code) => code !== RELAYED);
    expect([...(openapi.components.schemas.ApiErrorCode?.enum ?? [])].sort()).toEqual(
      apiCodes.sort(),
    );
    // The relayed Graph error is named where the document describes Graph's errors.
    expect(openapiText).toContain(RELAYED);
    // And every code is explained in the description of the response(s) that carry it.
    for (const code of apiCodes) expect(openapiText).toContain(`\`${code}\``);
  });

  it.each(Object.values(SAMPLES).map((failure) => [failure.code, failure] as const))(
    'failureResponse(%s) matches the documented response for its status',
    (code, failure) => {
      const { status, headers, body } = failureResponse(failure, CHALLENGE);
      const method = code === 'origin_not_allowed' ? 'options' : 'post';
      // What every answer carries (shared/response.ts), around the failure's own headers.
      const common = {
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'client-request-id': 'spa-1',
      };
      const lowerCased = Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
      );
      checkAgainstDocument(method, { status, headers: { ...lowerCased, ...common }, body });
    },
  );
});
