import { describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import { answerPreflight, corsHeaders, EXPOSED_HEADERS } from '../../shared/cors.js';

const config = { corsAllowedOrigins: ['https://app.contoso.com'] } as Config;
const none = { corsAllowedOrigins: [] as string[] } as Config;

describe('corsHeaders', () => {
  it('allows a listed origin and exposes the headers a client needs', () => {
    expect(corsHeaders(config, 'https://app.contoso.com')).toEqual({
      Vary: 'Origin',
      'Access-Control-Allow-Origin': 'https://app.contoso.com',
      'Access-Control-Expose-Headers': EXPOSED_HEADERS,
    });
    for (const header of ['WWW-Authenticate', 'Retry-After', 'request-id', 'client-request-id']) {
      expect(EXPOSED_HEADERS).toContain(header);
    }
  });

  it('gives an unlisted origin nothing but Vary', () => {
    expect(corsHeaders(config, 'https://evil.example')).toEqual({ Vary: 'Origin' });
    expect(corsHeaders(config, null)).toEqual({ Vary: 'Origin' });
  });

  it('adds no CORS header at all when no origin is configured', () => {
    expect(corsHeaders(none, 'https://app.contoso.com')).toEqual({});
  });
});

describe('answerPreflight', () => {
  it('answers an allowed origin with methods, headers and max-age', () => {
    const answer = answerPreflight(config, 'https://app.contoso.com');
    expect(answer.ok && answer.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.contoso.com',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, client-request-id',
      'Access-Control-Max-Age': '600',
    });
  });

  it('refuses a disallowed origin', () => {
    expect(answerPreflight(config, 'https://evil.example')).toEqual({
      ok: false,
      failure: { code: 'origin_not_allowed' },
    });
    expect(answerPreflight(none, 'https://app.contoso.com').ok).toBe(false);
  });

  it('answers a plain OPTIONS without Origin with Allow', () => {
    expect(answerPreflight(config, null)).toEqual({
      ok: true,
      headers: { Allow: 'POST, OPTIONS' },
    });
  });
});
