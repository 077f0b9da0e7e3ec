import { randomUUID } from 'node:crypto';
import type { Config } from './config.js';
import { corsHeaders } from './cors.js';
import { type ChallengeContext, type Failure, failureResponse, type Result } from './failures.js';
import type { GraphSuccess } from './graph.js';

/** A response, independent of the Functions host. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** Sent on every response: nothing here may be cached by a browser or a proxy. */
const ALWAYS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

const CLIENT_REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The caller's client-request-id when it is a sane id (it reaches logs and Graph), else a new one. */
export function clientRequestIdFrom(header: string | null): string {
  return header !== null && CLIENT_REQUEST_ID.test(header) ? header : randomUUID();
}

export function challengeContext(config: Config): ChallengeContext {
  return {
    authorityHost: config.authorityHost,
    tenantId: config.tenantId,
    clientId: config.clientId,
    scope: config.apiScope,
  };
}

/** A failure before configuration is known: no CORS, no challenge. */
export function bareFailureReply(failure: Failure, clientRequestId: string): HttpReply {
  const { status, headers, body } = failureResponse(failure);
  return { status, headers: { ...headers, 'client-request-id': clientRequestId, ...ALWAYS }, body };
}

/** Headers every answer to a configured app carries: CORS, correlation, no-store. */
export function withCommonHeaders(
  reply: HttpReply,
  config: Config,
  origin: string | null,
  clientRequestId: string,
): HttpReply {
  return {
    ...reply,
    headers: {
      ...reply.headers,
      'client-request-id': clientRequestId,
      ...corsHeaders(config, origin),
      ...ALWAYS,
    },
  };
}

/** 204 on success (with Graph's correlation headers), else the failure's status, challenge and JSON body. */
export function replyFor(result: Result<GraphSuccess>, config: Config): HttpReply {
  if (result.ok) return { status: 204, headers: result.value.headers };
  const { status, headers, body } = failureResponse(result.failure, challengeContext(config));
  return { status, headers, body };
}
