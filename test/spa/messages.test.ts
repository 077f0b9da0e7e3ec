// examples/spa/messages.ts: plain sentences for the answers people meet, Graph's words kept in a
// details line. The Graph texts are the emulator's, which are Graph's (emulators/graph.ts).
import { describe, expect, it } from 'vitest';
import {
  countdownText,
  describeError,
  describeWait,
  waitText,
} from '../../examples/spa/messages.js';

const graph400 = (message: string) => ({
  status: 400,
  code: 'Request_BadRequest',
  message,
  requestId: 'a1b2c3',
});

describe('what the SPA says (examples/spa/messages.ts)', () => {
  it("a wrong current password: a sentence about that field, Graph's words in the details", () => {
    expect(describeError(graph400('Invalid currentPassword.'))).toEqual({
      text: 'Your current password is not correct.',
      details:
        'Details: HTTP 400 Request_BadRequest "Invalid currentPassword." (request-id a1b2c3)',
      field: 'currentPassword',
    });
  });

  it.each([
    'The specified password does not comply with password complexity requirements. Please provide a different password.',
    'The password does not meet the password policy: it is banned.',
    'The password was recently used. Choose a password not in your password history.',
  ])('a refused new password (%s): about the new password', (message) => {
    const shown = describeError(graph400(message));
    expect(shown.field).toBe('newPassword');
    expect(shown.text).toMatch(/^Choose another new password: /);
    expect(shown.details).toContain(message);
  });

  it('throttling and a busy service: how long to wait, not the API field names', () => {
    const throttled = { status: 429, code: 'TooManyRequests', message: 'Too many requests.' };
    expect(describeWait(throttled, 2)).toEqual({
      text: 'Too many attempts for now. Try again in 2 seconds.',
      details: 'Details: HTTP 429 TooManyRequests "Too many requests."',
    });
    const busy = { status: 503, code: 'serviceNotAvailable', message: 'Unavailable.' };
    expect(describeWait(busy, 9).text).toBe('The service is busy. Try again in 9 seconds.');
  });

  it("this API's 429 too_many_attempts: the user's budget is spent, the wait in minutes", () => {
    const spent = {
      status: 429,
      code: 'too_many_attempts',
      message: 'Too many failed attempts to change the password.',
    };
    expect(describeWait(spent, 3421)).toEqual({
      text: 'Too many wrong passwords. For your security, try again in 58 minutes.',
      details:
        'Details: HTTP 429 too_many_attempts "Too many failed attempts to change the password."',
    });
  });

  it('says short waits in seconds, long ones in minutes or hours (rounded up)', () => {
    expect(waitText(1)).toBe('1 second');
    expect(waitText(119)).toBe('119 seconds');
    expect(waitText(120)).toBe('2 minutes');
    expect(waitText(3600)).toBe('60 minutes');
    expect(waitText(7200)).toBe('2 hours');
    expect(waitText(86_400)).toBe('24 hours');
    expect(countdownText(42)).toBe('42 s');
    expect(countdownText(3421)).toBe('58 min');
  });

  it("this API's own answers people can act on, and a generic sentence otherwise", () => {
    const api = (status: number, code: string) => ({ status, code, message: `${code} text` });
    expect(describeError(api(401, 'invalid_token')).text).toMatch(/^Your sign-in has expired/);
    expect(describeError(api(403, 'consent_required')).text).toMatch(/administrator/);
    expect(describeError(api(502, 'graph_unreachable')).text).toMatch(/was not changed/);
    const other = describeError(api(502, 'token_exchange_rejected'));
    expect(other).toEqual({
      text: 'Your password could not be changed.',
      details: 'Details: HTTP 502 token_exchange_rejected "token_exchange_rejected text"',
    });
  });
});
