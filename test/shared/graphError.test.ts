import { describe, expect, it } from 'vitest';
import { allowListedGraphError, caeClaimsOf, carriesSecret } from '../../shared/graphError.js';

const passwords = { currentPassword: 'Old-Passw0rd!', newPassword: 'New/Pa55"w' };

describe('allowListedGraphError', () => {
  it('keeps code, message and three innerError fields only', () => {
    const relayed = allowListedGraphError({
      error: {
        code: 'Request_BadRequest',
        message: 'Invalid currentPassword.',
        innerError: {
          date: '2026-11-28T05:45:35',
          'request-id': 'a-1',
          'client-request-id': 'b-2',
          stack: 'x',
        },
        details: [],
      },
      debug: true,
    });
    expect(relayed).toEqual({
      error: {
        code: 'Request_BadRequest',
        message: 'Invalid currentPassword.',
        innerError: {
          date: '2026-11-28T05:45:35',
          'request-id': 'a-1',
          'client-request-id': 'b-2',
        },
      },
    });
  });

  it('reads innererror (lower case) too and drops values that are not ids', () => {
    expect(
      allowListedGraphError({
        error: { code: 'x', message: 'm', innererror: { 'request-id': 'two words', date: 5 } },
      }),
    ).toEqual({ error: { code: 'x', message: 'm', innerError: {} } });
  });

  it.each([
    ['not an object', 'text'],
    ['no error', {}],
    ['a code that is not an identifier', { error: { code: 'a b\n', message: 'm' } }],
    ['no message', { error: { code: 'x' } }],
    ['a huge message', { error: { code: 'x', message: 'm'.repeat(5000) } }],
    ['an array', [{ error: { code: 'x', message: 'm' } }]],
  ])('refuses %s', (_, body) => {
    expect(allowListedGraphError(body)).toBeUndefined();
  });
});

describe('carriesSecret', () => {
  it('finds a password in any letter case', () => {
    expect(carriesSecret(['Invalid OLD-PASSW0RD!'], passwords)).toBe(true);
    expect(carriesSecret(['was New/Pa55"w'], passwords)).toBe(true);
  });

  it('ignores values that cannot be Entra passwords (short, or letters only)', () => {
    const words = { currentPassword: 'a', newPassword: 'password' };
    expect(carriesSecret(['The specified password is invalid.'], words)).toBe(false);
  });

  it.each([
    'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345',
    'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
    'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9abcdef',
  ])('finds a credential in %j', (value) => {
    expect(carriesSecret([value], passwords)).toBe(true);
  });

  it("leaves Graph's ordinary messages alone", () => {
    for (const message of [
      'Invalid currentPassword.',
      'Bearer token missing.',
      'Resource Microsoft.DirectoryServices.User does not exist.',
      'CompactToken parsing failed with error code: 80049217',
    ]) {
      expect(carriesSecret([message], passwords), message).toBe(false);
    }
  });
});

describe('caeClaimsOf', () => {
  const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
  const encoded = Buffer.from(claims).toString('base64');

  it("takes the claims of Graph's CAE challenge", () => {
    expect(
      caeClaimsOf(
        `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${encoded}"`,
      ),
    ).toBe(claims);
  });

  it.each([
    null,
    'Basic realm="graph"',
    'Bearer realm=""',
    `Bearer error="invalid_token", claims="${encoded}"`,
    'Bearer error="insufficient_claims", claims="not base64!"',
    `Bearer error="insufficient_claims", claims="${Buffer.from('[1]').toString('base64')}"`,
    `Bearer error="insufficient_claims", claims="${encoded}", junk`,
  ])('refuses %j', (header) => {
    expect(caeClaimsOf(header)).toBeUndefined();
  });
});
