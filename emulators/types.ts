// Wire types of the control API (/_emulator/*), shared by the server and control-client.ts.

export interface CreateUserRequest {
  username: string;
  password: string;
  displayName?: string;
  /** Conditional Access: OBO for this user needs an assertion with amr "mfa". */
  mfaRequired?: boolean;
}

export interface CreatedUser {
  oid: string;
  username: string;
}

export interface UserView {
  oid: string;
  username: string;
  password: string;
  passwordChanges: number;
}

export interface MintTokenRequest {
  /** Required unless appOnly. */
  username?: string;
  /** Space-separated scp; default "access_as_user"; "" means no scp claim. */
  scope?: string;
  /** Default api://<apiClientId>. */
  audience?: string;
  tenantId?: string;
  /** Overrides the issuer derived from tenantId and version. */
  issuer?: string;
  /** Default 3600; negative gives an already expired token. */
  expiresInSeconds?: number;
  /** Puts nbf this many seconds in the future. */
  notBeforeSeconds?: number;
  alg?: 'RS256' | 'PS256' | 'RS384';
  /** App-only token: roles and idtyp "app", no scp, no user oid. */
  appOnly?: boolean;
  /** Adds amr ["pwd", "mfa"] (otherwise ["pwd"]). */
  mfa?: boolean;
  /** 1: sts.windows.net issuer, appid; 2 (default): emulator v2.0 issuer, azp. */
  version?: 1 | 2;
  /** The client app (azp in v2, appid in v1); default the SPA's client id. */
  clientId?: string;
  /** Conditional Access authentication contexts the sign-in satisfied (acrs claim), e.g. ["c1"]. */
  acrs?: string[];
  /** Sets the idtyp claim (Entra: "user" or "app"; any spelling, to test comparisons). */
  idtyp?: string;
}

export interface MintTokenResponse {
  access_token: string;
}

export type TokenFailureMode =
  | 'interaction_required'
  /** invalid_grant (AADSTS50079) with claims and no suberror. */
  | 'claims_challenge'
  /** interaction_required whose claims are not a JSON object (an HTML fragment, 8 KB). */
  | 'claims_not_json'
  /** invalid_grant (AADSTS50079) whose claims are a JSON array, not an object. */
  | 'invalid_grant_claims_not_json'
  | 'consent_required'
  | 'server_error'
  | 'unavailable'
  | 'reset'
  | 'hang'
  | 'delay'
  /** 307 to the emulator's /_emulator/sink: a client that follows re-posts its secret there. */
  | 'redirect'
  /** A 300 MB answer (with Content-Length), streamed only as fast as the client reads it. */
  | 'huge'
  /** Headers and the start of a body, then nothing more. */
  | 'stall_body'
  /** invalid_client whose error, AADSTS text and code carry a newline and a fake log line. */
  | 'forged_log';

export type GraphFailureMode =
  | 'throttle'
  | 'unavailable'
  /** 401 InvalidAuthenticationToken with Graph's plain Bearer challenge (no claims). */
  | 'unauthorized'
  | 'forbidden'
  | 'cae'
  | 'non_json'
  | 'reset'
  | 'hang'
  | 'delay'
  /** 418 with a Graph-shaped error body. */
  | 'unknown_status'
  /** 400 with Graph's fields plus fields that must not be relayed (stack trace, debug data). */
  | 'extra_fields'
  /** 400 whose message echoes the submitted passwords, JSON-escaped (\uXXXX, \/, \"). */
  | 'echo_escaped'
  /** 401 whose message quotes the bearer token Graph was called with. */
  | 'echo_token'
  /** 429 whose Retry-After, WWW-Authenticate and request-id are not what their grammar allows. */
  | 'bad_headers'
  /** A 300 MB error body with Content-Length. */
  | 'huge'
  /** A 300 MB error body, chunked (no Content-Length). */
  | 'huge_chunked'
  /** Headers and the start of an error body, then nothing more. */
  | 'stall_body'
  /** The password is changed, then the answer is lost: the stream/connection is dropped. */
  | 'reset_after_change'
  /** The password is changed, then no answer ever comes. */
  | 'hang_after_change'
  /** The password is changed, a `103 Early Hints` is sent, then no final answer ever comes. */
  | 'early_hints_hang_after_change';

/** Failures of the key endpoint (/discovery/v2.0/keys). */
export type KeysFailureMode =
  /** 500 with a JSON error. */
  | 'server_error'
  /** 200 with an HTML page. */
  | 'non_json'
  | 'reset'
  | 'hang'
  | 'delay'
  /** A 300 MB answer (with Content-Length). */
  | 'huge';

/** Failures of the App Service managed identity endpoint. */
export type MsiFailureMode = 'hang';

export interface FailureScope {
  /** Only requests for this user; default any user. */
  username?: string;
  /** How many matching requests it applies to; default 1. */
  times?: number;
  retryAfterSeconds?: number;
  /** Wait before answering (the whole point of mode "delay"). */
  delayMs?: number;
}

export type FailureRequest = (
  | { target: 'token'; mode: TokenFailureMode }
  | { target: 'graph'; mode: GraphFailureMode }
  | { target: 'keys'; mode: KeysFailureMode }
  | { target: 'msi'; mode: MsiFailureMode }
) &
  FailureScope;

export interface GraphCall {
  /** oid of the bearer token (decoded, even if invalid), else null. */
  oid: string | null;
  clientRequestId: string | null;
  /** HTTP status; 0 when the socket was destroyed without an answer. */
  status: number;
}

export interface Stats {
  discovery: number;
  jwks: number;
  instanceDiscovery: number;
  /** On-Behalf-Of (and other non-SPA) token requests. */
  token: number;
  msi: number;
  /** Managed identity tokens issued, by resource (the OBO assertion, Azure Monitor ingestion). */
  msiTokens: Record<string, number>;
  /** Authorization requests and sign-in form posts (the SPA's interactive sign-in). */
  authorize: number;
  /** authorization_code and refresh_token grants of the SPA. */
  spaToken: number;
  graph: number;
  /** Requests that reached /_emulator/sink (where the "redirect" mode points). */
  sink: number;
  /** Bytes of the "huge" answers written so far (a client that stops reading caps this). */
  hugeBytesSent: number;
  tlsConnections: { entra: number; graph: number };
  /** Of those, the ones that negotiated HTTP/2 (ALPN h2). */
  http2Connections: { entra: number; graph: number };
  graphCalls: GraphCall[];
}

/** One envelope as the track API receives it (the fields tests read). */
export interface TelemetryEnvelope {
  name: string;
  iKey?: string;
  time: string;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, unknown> };
}

export interface ReceivedTelemetry {
  envelopes: TelemetryEnvelope[];
  /** Track requests refused, and why (no token, a bad token, a wrong instrumentation key). */
  refused: string[];
}
