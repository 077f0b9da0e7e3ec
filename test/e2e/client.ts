// HTTP to the app under test, and the emulators' control API for users and tokens.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { expect, inject } from 'vitest';
import { createUser, mintToken } from '../../emulators/control-client.js';
import type { MintTokenRequest } from '../../emulators/types.js';

export const e2e = inject('e2e');

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: { error?: { code?: string; message?: string; target?: string; claims?: string } };
}

export interface CallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
  url?: string;
}

export async function call(options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const body =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(options.url ?? e2e.changePasswordUrl, {
    method: options.method ?? 'POST',
    headers,
    body,
  });
  const text = await response.text();
  let json: Reply['json'] = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: the assertions say so
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Every error answer of the app: JSON `{ error: { code, message } }`, never cached. */
export function expectJsonError(reply: Reply, status: number, code?: string): void {
  expect({ status: reply.status, body: reply.text }).toMatchObject({ status });
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.headers.get('cache-control')).toBe('no-store');
  expect(reply.json.error?.message).toEqual(expect.any(String));
  if (code !== undefined) expect(reply.json.error?.code).toBe(code);
}

function entraUrl(): string {
  if (!e2e.entraUrl) throw new Error('this test needs the emulators');
  return e2e.entraUrl;
}

/** A new emulator user no other test touches. */
export async function newUser(options: { mfaRequired?: boolean } = {}) {
  const user = {
    username: `e2e-${randomUUID().slice(0, 8)}@contoso.test`,
    password: `Start-${randomUUID().slice(0, 6)}-Pw1!`,
  };
  await createUser(entraUrl(), { ...user, ...options });
  return user;
}

export function tokenFor(username: string, request: Omit<MintTokenRequest, 'username'> = {}) {
  return mintToken(entraUrl(), { username, ...request });
}

/** E2E_TOKEN, or a token of a fresh emulator user. */
export async function anyToken(): Promise<string> {
  if (e2e.token) return e2e.token;
  return tokenFor((await newUser()).username);
}

/**
 * POSTs `totalBytes` of JSON-looking body, with or without Content-Length, writing only while the
 * server reads; resolves with the status and how many bytes went out before the answer.
 */
export function postLargeBody(
  url: string,
  totalBytes: number,
  declareLength: boolean,
): Promise<{ status: number; sentBytes: number }> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    const req = send(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(declareLength ? { 'content-length': totalBytes } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sentBytes });
      req.destroy();
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sentBytes < totalBytes) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}
