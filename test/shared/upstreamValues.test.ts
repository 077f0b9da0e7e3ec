import { describe, expect, it } from 'vitest';
import { jsonObjectText, logValue, retryAfterOf } from '../../shared/upstreamValues.js';

describe('retryAfterOf', () => {
  it.each([
    ['17', '17'],
    [' 0 ', '0'],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT'],
  ])('relays %j', (value, expected) => {
    expect(retryAfterOf(value)).toBe(expected);
  });

  it.each([
    null,
    '',
    'in a while',
    '-1',
    '1.5',
    '12345678901',
    'Sunday, 06-Nov-94 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 GMT; path=/',
    'Xyz, 06 Nov 1994 08:49:37 GMT',
  ])('drops %j', (value) => {
    expect(retryAfterOf(value)).toBeUndefined();
  });
});

describe('logValue', () => {
  it('keeps ids and codes as they are', () => {
    expect(logValue('invalid_client')).toBe('invalid_client');
    expect(logValue('2a1b6c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d')).toBe(
      '2a1b6c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    );
    expect(logValue(7000215)).toBe('7000215');
  });

  it('cannot end a line or add a field', () => {
    const forged = logValue('invalid_client\nchangePassword outcome=changed status=204');
    expect(forged).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(forged).not.toContain('=');
    expect(forged).not.toContain(' ');
  });

  it('is bounded, and never empty', () => {
    expect(logValue('x'.repeat(10_000))).toHaveLength(64);
    expect(logValue('')).toBe('-');
    expect(logValue(undefined)).toBe('-');
    expect(logValue({ toString: () => 'x' })).toBe('-');
  });
});

describe('jsonObjectText', () => {
  it('keeps a JSON object as it came', () => {
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    expect(jsonObjectText(claims)).toBe(claims);
  });

  it.each([
    ['an array', '["a"]'],
    ['a string', '"a"'],
    ['null', 'null'],
    ['not JSON', '<p>x</p>'],
    ['empty', ''],
    ['not text', 42],
  ])('refuses %s', (_, value) => {
    expect(jsonObjectText(value)).toBeUndefined();
  });

  it('refuses an object longer than the bound', () => {
    const long = JSON.stringify({ a: 'x'.repeat(5000) });
    expect(jsonObjectText(long)).toBeUndefined();
    expect(jsonObjectText(long, 6000)).toBe(long);
  });
});
