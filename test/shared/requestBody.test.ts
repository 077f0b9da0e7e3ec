import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, parseChangePasswordBody } from '../../shared/requestBody.js';

const JSON_TYPE = 'application/json';

function raw(
  text: string,
  contentType: string | null = JSON_TYPE,
  contentLength: string | null = null,
) {
  return {
    contentType,
    contentLength,
    bytes: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
  };
}

describe('parseChangePasswordBody', () => {
  it('accepts the two password fields', async () => {
    const result = await parseChangePasswordBody(
      raw('{"currentPassword":"old","newPassword":"n€w"}'),
    );
    expect(result).toEqual({ ok: true, value: { currentPassword: 'old', newPassword: 'n€w' } });
  });

  it.each(['application/json; charset=utf-8', 'Application/JSON'])(
    'accepts content type %s',
    async (type) => {
      expect(
        (await parseChangePasswordBody(raw('{"currentPassword":"a","newPassword":"b"}', type))).ok,
      ).toBe(true);
    },
  );

  it.each([null, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp'])(
    'refuses content type %s with 415',
    async (type) => {
      const result = await parseChangePasswordBody(raw('{}', type));
      expect(result).toEqual({ ok: false, failure: { code: 'unsupported_media_type' } });
    },
  );

  it('refuses a declared or actual body over the limit with 413, before reading it', async () => {
    let read = false;
    const declared = await parseChangePasswordBody({
      contentType: JSON_TYPE,
      contentLength: String(MAX_BODY_BYTES + 1),
      bytes: async () => {
        read = true;
        return new ArrayBuffer(0);
      },
    });
    expect(declared).toEqual({
      ok: false,
      failure: { code: 'payload_too_large', limitBytes: MAX_BODY_BYTES },
    });
    expect(read).toBe(false);
    const actual = await parseChangePasswordBody(
      raw(`{"currentPassword":"${'a'.repeat(MAX_BODY_BYTES)}"}`),
    );
    expect(actual.ok || actual.failure.code).toBe('payload_too_large');
  });

  it.each(['', 'not json', '{"currentPassword":', '\uFFFF'])(
    'refuses %j as invalid JSON',
    async (text) => {
      expect(await parseChangePasswordBody(raw(text))).toEqual({
        ok: false,
        failure: { code: 'invalid_json' },
      });
    },
  );

  it('refuses bytes that are not UTF-8', async () => {
    const result = await parseChangePasswordBody({
      contentType: JSON_TYPE,
      contentLength: null,
      bytes: async () => new Uint8Array([0x7b, 0xff, 0x7d]).buffer,
    });
    expect(result).toEqual({ ok: false, failure: { code: 'invalid_json' } });
  });

  it.each([
    ['[]', 'body', 'The body must be a JSON object.'],
    ['null', 'body', 'The body must be a JSON object.'],
    ['"pw"', 'body', 'The body must be a JSON object.'],
    ['{"newPassword":"b"}', 'currentPassword', 'currentPassword is required.'],
    ['{"currentPassword":"a"}', 'newPassword', 'newPassword is required.'],
    [
      '{"currentPassword":7,"newPassword":"b"}',
      'currentPassword',
      'currentPassword must be a string.',
    ],
    ['{"currentPassword":"a","newPassword":null}', 'newPassword', 'newPassword must be a string.'],
    [
      '{"currentPassword":"","newPassword":"b"}',
      'currentPassword',
      'currentPassword must not be empty.',
    ],
    [
      `{"currentPassword":"a","newPassword":"${'x'.repeat(257)}"}`,
      'newPassword',
      'newPassword must be at most 256 characters.',
    ],
    [
      '{"currentPassword":"a","newPassword":"b","userId":"x"}',
      'body',
      'The body may only contain currentPassword and newPassword.',
    ],
  ])('refuses %s naming %s', async (text, field, problem) => {
    expect(await parseChangePasswordBody(raw(text))).toEqual({
      ok: false,
      failure: { code: 'invalid_request', field, problem },
    });
  });

  it('never puts a submitted value in its messages', async () => {
    const result = await parseChangePasswordBody(
      raw('{"currentPassword":"Hunter2!!","newPassword":12345}'),
    );
    expect(JSON.stringify(result)).not.toContain('Hunter2');
    expect(JSON.stringify(result)).not.toContain('12345');
  });
});
