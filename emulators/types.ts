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
}

export interface MintTokenResponse {
  access_token: string;
}

export type TokenFailureMode =
  | 'interaction_required'
  /** invalid_grant (AADSTS50079) with claims and no suberror. */
  | 'claims_challenge'
  | 'consent_required'
  | 'server_error'
  | 'unavailable'
  | 'reset'
  | 'hang'
  | 'delay';

export type GraphFailureMode =
  | 'throttle'
  | 'unavailable'
  | 'forbidden'
  | 'cae'
  | 'non_json'
  | 'reset'
  | 'hang'
  | 'delay';

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
  /** Authorization requests and sign-in form posts (the SPA's interactive sign-in). */
  authorize: number;
  /** authorization_code and refresh_token grants of the SPA. */
  spaToken: number;
  graph: number;
  tlsConnections: { entra: number; graph: number };
  graphCalls: GraphCall[];
}
