// Interactive sign-in of the emulated SPA, as MSAL.js drives it unmodified:
//   GET|POST /{tenant}/oauth2/v2.0/authorize  authorization code + PKCE (S256), response_mode
//                                             fragment (MSAL.js) or query; prompt=none uses the
//                                             emulator's session cookie
//   POST     /{tenant}/login                  the sign-in page's form: pick an account, or cancel
//   GET      /{tenant}/oauth2/v2.0/logout     ends the session, back to post_logout_redirect_uri
// The sign-in page lists the directory's users, each a button (no password: the emulator signs
// anyone in). Any `claims` request beyond MSAL's client capabilities (xms_cc), such as an MFA
// challenge, is satisfied at once: the tokens of that sign-in carry amr ["pwd", "mfa"], and an
// authentication context asked for (access_token.acrs, e.g. "c1") in their acrs claim.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  API_CLIENT_ID,
  API_CUSTOM_APP_ID_URI,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  KNOWN_TENANTS,
  SPA_CLIENT_ID,
  TENANT_ID,
} from './constants.js';
import type { EmulatorContext } from './context.js';
import { type EntraError, entraTimestamp } from './entra-errors.js';
import { header } from './http.js';
import { isLoopbackRedirectUri } from './loopback.js';
import { type Grant, type Resource, satisfiesStepUp } from './spa-grants.js';
import type { User } from './state.js';
import { clientInfo } from './tokens.js';

export const SESSION_COOKIE = 'emu_session';
const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);
const API_PREFIXES = [`api://${API_CLIENT_ID}/`, `${API_CLIENT_ID}/`, `${API_CUSTOM_APP_ID_URI}/`];
const GRAPH_PREFIXES = [`${GRAPH_RESOURCE}/`, `${GRAPH_APP_ID}/`];
const API_SCOPE = 'access_as_user';

type ResponseMode = 'query' | 'fragment';

export interface AuthorizeRequest {
  tenant: string;
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state?: string;
  nonce?: string;
  scopes: string[];
  resource: Resource;
  codeChallenge: string;
  prompt?: string;
  loginHint?: string;
  /** The request asked for claims beyond xms_cc (an MFA or CAE challenge). */
  stepUp: boolean;
  /** Authentication contexts the claims ask for (access_token.acrs), e.g. ["c1"]. */
  authContexts: string[];
  /** The parameters as received: the sign-in form carries them to POST /{tenant}/login. */
  raw: string;
}

/** Where an error goes once the client and redirect URI are trusted. */
interface ReplyTo {
  redirectUri: string;
  responseMode: ResponseMode;
  state?: string;
}

type Parsed =
  | { ok: true; request: AuthorizeRequest }
  /** Unknown tenant, client or redirect URI: shown on a page, never sent to the redirect URI. */
  | { ok: false; page: EntraError }
  | { ok: false; error: EntraError; replyTo: ReplyTo };

const invalidRequest = (code: number, message: string): EntraError => ({
  status: 400,
  error: 'invalid_request',
  code,
  message,
});

const missing = (name: string) =>
  invalidRequest(900144, `The request body must contain the following parameter: '${name}'.`);

const invalidScope = (code: number, message: string): EntraError => ({
  status: 400,
  error: 'invalid_scope',
  code,
  message,
});

/**
 * The one resource a scope parameter asks for (the API or Microsoft Graph), as Entra resolves it;
 * OIDC scopes alone mean Graph's User.Read.
 */
export function resolveResource(scope: string): Resource | EntraError {
  const resourceScopes = scope.split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
  if (resourceScopes.length === 0) {
    return { kind: 'graph', granted: [`${GRAPH_RESOURCE}/User.Read`], scp: 'User.Read' };
  }
  const kinds = new Set<string>();
  const granted: string[] = [];
  const permissions: string[] = [];
  for (const s of resourceScopes) {
    const api = API_PREFIXES.find((prefix) => s.startsWith(prefix));
    const graph = GRAPH_PREFIXES.find((prefix) => s.startsWith(prefix));
    if (api) {
      const permission = s.slice(api.length);
      if (permission !== API_SCOPE && permission !== '.default') {
        return invalidScope(
          70011,
          `The provided value for the input parameter 'scope' is not valid. The scope '${s}' does not exist.`,
        );
      }
      kinds.add('api');
      granted.push(`${api}${API_SCOPE}`);
      permissions.push(API_SCOPE);
    } else if (graph || !/[:/]/.test(s)) {
      // Bare names (User.Read) are Microsoft Graph's, as with Entra.
      const permission = graph ? s.slice(graph.length) : s;
      const name = permission === '.default' ? 'User.Read' : permission;
      kinds.add('graph');
      granted.push(`${GRAPH_RESOURCE}/${name}`);
      permissions.push(name);
    } else {
      const resource = s.slice(0, s.lastIndexOf('/'));
      return {
        status: 400,
        error: 'invalid_resource',
        code: 500011,
        message: `The resource principal named ${resource} was not found in the tenant named ${TENANT_ID}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      };
    }
  }
  if (kinds.size > 1) {
    return invalidScope(
      28000,
      'Provided value for the input parameter scope is not valid because it contains more than one resource.',
    );
  }
  const kind = kinds.has('api') ? 'api' : 'graph';
  return { kind, granted: [...new Set(granted)], scp: [...new Set(permissions)].join(' ') };
}

/**
 * True when a `claims` request asks for a step-up: a claim of the access token other than MSAL's
 * client capabilities (xms_cc), as MFA (capolids, acrs) and CAE (nbf) challenges do, or any
 * essential claim. MSAL.js's own optional ID token claims (login_hint, signin_state, ...) are not.
 * 'invalid' when it is not a JSON object.
 */
export function claimsStepUp(claims: string | null | undefined): boolean | 'invalid' {
  if (!claims) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return 'invalid';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'invalid';
  return Object.entries(parsed).some(
    ([section, requests]) =>
      requests !== null &&
      typeof requests === 'object' &&
      Object.entries(requests).some(
        ([name, request]) =>
          (section === 'access_token' && name !== 'xms_cc') ||
          (request as { essential?: unknown } | null)?.essential === true,
      ),
  );
}

/**
 * The authentication contexts a `claims` request asks for: access_token.acrs's value or values
 * (how Entra and MSAL spell a step-up to a Conditional Access authentication context).
 */
export function requestedAuthContexts(claims: string | null | undefined): string[] {
  try {
    const acrs = JSON.parse(claims ?? '')?.access_token?.acrs;
    const wanted = [acrs?.value, ...(Array.isArray(acrs?.values) ? acrs.values : [])];
    return wanted.filter((value): value is string => typeof value === 'string');
  } catch {
    return [];
  }
}

export function parseAuthorizeRequest(tenant: string, params: URLSearchParams): Parsed {
  if (!KNOWN_TENANTS.has(tenant)) {
    return {
      ok: false,
      page: invalidRequest(
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      ),
    };
  }
  const clientId = params.get('client_id');
  if (!clientId) return { ok: false, page: missing('client_id') };
  if (clientId !== SPA_CLIENT_ID) {
    return {
      ok: false,
      page: {
        status: 400,
        error: 'unauthorized_client',
        code: 700016,
        message: `Application with identifier '${clientId}' was not found in the directory '${TENANT_ID}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      },
    };
  }
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) return { ok: false, page: missing('redirect_uri') };
  if (!isLoopbackRedirectUri(redirectUri)) {
    return {
      ok: false,
      page: invalidRequest(
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. The emulator accepts http(s) URIs on localhost, 127.0.0.1 or [::1].`,
      ),
    };
  }

  const state = params.get('state') ?? undefined;
  const mode = params.get('response_mode') ?? 'query';
  const responseMode: ResponseMode = mode === 'fragment' ? 'fragment' : 'query';
  const replyTo: ReplyTo = { redirectUri, responseMode, state };
  const fail = (error: EntraError): Parsed => ({ ok: false, error, replyTo });

  if (mode !== 'query' && mode !== 'fragment') {
    return fail(
      invalidRequest(
        900144,
        `The response_mode '${mode}' is not supported for single-page applications: use fragment or query.`,
      ),
    );
  }
  const responseType = params.get('response_type');
  if (!responseType) return fail(missing('response_type'));
  if (responseType !== 'code') {
    return fail({
      status: 400,
      error: 'unsupported_response_type',
      code: 700054,
      message: `response_type '${responseType}' is not enabled for the application.`,
    });
  }
  const scope = params.get('scope');
  if (!scope) return fail(missing('scope'));
  const codeChallenge = params.get('code_challenge');
  if (!codeChallenge) {
    return fail(
      invalidRequest(
        9002325,
        'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
      ),
    );
  }
  if (params.get('code_challenge_method') !== 'S256') {
    return fail(
      invalidRequest(
        501491,
        "The code_challenge_method must be 'S256': single-page applications must use PKCE with SHA-256.",
      ),
    );
  }
  const resource = resolveResource(scope);
  if ('error' in resource) return fail(resource);
  const stepUp = claimsStepUp(params.get('claims'));
  if (stepUp === 'invalid') {
    return fail(invalidRequest(90014, "The 'claims' parameter is not a valid JSON object."));
  }
  return {
    ok: true,
    request: {
      tenant,
      clientId,
      redirectUri,
      responseMode,
      state,
      nonce: params.get('nonce') ?? undefined,
      scopes: scope.split(' ').filter(Boolean),
      resource,
      codeChallenge,
      prompt: params.get('prompt') ?? undefined,
      loginHint: params.get('login_hint') ?? undefined,
      stepUp,
      authContexts: requestedAuthContexts(params.get('claims')),
      raw: params.toString(),
    },
  };
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The authorization response (or error) at the redirect URI, in the fragment or the query. */
function redirectTo(
  res: ServerResponse,
  replyTo: ReplyTo,
  params: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): void {
  const values = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...params, state: replyTo.state })) {
    if (value !== undefined) values.append(key, value);
  }
  let location: string;
  if (replyTo.responseMode === 'fragment') {
    location = `${replyTo.redirectUri}#${values}`;
  } else {
    const url = new URL(replyTo.redirectUri);
    for (const [key, value] of values) url.searchParams.append(key, value);
    location = url.href;
  }
  res.writeHead(302, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

function redirectError(
  res: ServerResponse,
  replyTo: ReplyTo,
  e: EntraError,
  extra: Record<string, string> = {},
): void {
  const description = `AADSTS${e.code}: ${e.message} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${entraTimestamp()}`;
  redirectTo(res, replyTo, { error: e.error, error_description: description, ...extra });
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function sendHtml(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f2f2f2; color: #1b1b1b; }
main { max-width: 28rem; margin: 3rem auto; padding: 2rem; background: #fff; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
ul { list-style: none; padding: 0; }
li { margin: .5rem 0; }
button { width: 100%; padding: .75rem 1rem; font: inherit; text-align: left; background: #fff; border: 1px solid #8a8886; cursor: pointer; }
button:hover, button:focus { background: #f3f2f1; outline: 2px solid #0067b8; }
button.secondary { width: auto; text-align: center; }
button span { overflow-wrap: anywhere; }
.muted { color: #605e5c; font-size: .875rem; }
.note { padding: .75rem; background: #fff4ce; border-left: 4px solid #8a6d00; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(html);
}

function errorPage(res: ServerResponse, e: EntraError): void {
  sendHtml(
    res,
    e.status,
    'Sign in: error',
    `<h1>Sorry, but we're having trouble signing you in.</h1>
<p role="alert">AADSTS${e.code}: ${escapeHtml(e.message)}</p>
<p class="muted">Entra ID emulator · error ${escapeHtml(e.error)}</p>`,
  );
}

function signInPage(
  ctx: EmulatorContext,
  res: ServerResponse,
  request: AuthorizeRequest,
  problem?: string,
): void {
  const hint = request.loginHint?.toLowerCase();
  const hinted = hint ? ctx.state.findByUsername(hint) : undefined;
  // A known login_hint (MSAL.js sends the account's) narrows the page to that account, unless
  // the app asked to pick one; otherwise every account, the hinted one first.
  const users =
    hinted && request.prompt !== 'select_account'
      ? [hinted]
      : ctx.state
          .listUsers()
          .sort((a, b) => Number(b.username === hint) - Number(a.username === hint));
  const items = users
    .map(
      (user: User) =>
        // A user created without a display name has the address as its name: shown once.
        `<li><button type="submit" name="username" value="${escapeHtml(user.username)}">${user.displayName === user.username ? escapeHtml(user.username) : `${escapeHtml(user.displayName)} <span class="muted">${escapeHtml(user.username)}</span>`}</button></li>`,
    )
    .join('\n');
  const stepUp = request.stepUp
    ? '<p class="note" role="note">This request asks for additional claims. The emulator records multi-factor authentication: the new tokens carry <code>amr: ["pwd", "mfa"]</code>, and the authentication contexts asked for in <code>acrs</code>.</p>'
    : '';
  sendHtml(
    res,
    problem ? 400 : 200,
    'Sign in to your account',
    `<h1>${request.stepUp ? 'Verify your identity' : 'Pick an account'}</h1>
${stepUp}
${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/${escapeHtml(request.tenant)}/login">
<input type="hidden" name="request" value="${escapeHtml(request.raw)}">
<ul aria-label="Accounts">
${items}
</ul>
<button type="submit" name="cancel" value="1" class="secondary">Cancel</button>
</form>
<p class="muted">Entra ID emulator · no password needed · client ${escapeHtml(request.clientId)}</p>`,
  );
}

/** Issues the code for this user and sends it to the redirect URI, with the session cookie. */
function completeSignIn(
  ctx: EmulatorContext,
  res: ServerResponse,
  request: AuthorizeRequest,
  user: User,
  grant: Grant,
): void {
  const code = ctx.state.spa.issueCode({
    ...grant,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    resource: request.resource,
    scopes: request.scopes,
    nonce: request.nonce,
  });
  const session = ctx.state.spa.startSession(grant);
  redirectTo(
    res,
    request,
    { code, client_info: clientInfo(user), session_state: randomUUID() },
    // Secure + SameSite=None: the session also serves prompt=none in MSAL's hidden iframe.
    { 'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; Secure; HttpOnly; SameSite=None` },
  );
}

/** GET (or form POST) /{tenant}/oauth2/v2.0/authorize */
export async function handleAuthorize(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  tenant: string,
  params: URLSearchParams,
): Promise<void> {
  const parsed = parseAuthorizeRequest(tenant, params);
  if (!parsed.ok) {
    if ('page' in parsed) return errorPage(res, parsed.page);
    return redirectError(res, parsed.replyTo, parsed.error);
  }
  const { request } = parsed;
  if (request.prompt === 'none') {
    const session = ctx.state.spa.findSession(cookie(req, SESSION_COOKIE));
    const user = ctx.state.findByOid(session?.oid);
    const hint = request.loginHint?.toLowerCase();
    if (!session || !user || (hint && hint !== user.username.toLowerCase())) {
      return redirectError(res, request, {
        status: 400,
        error: 'login_required',
        code: 50058,
        message: 'A silent sign-in request was sent but no user is signed in.',
      });
    }
    if (request.stepUp && !satisfiesStepUp(session, request.authContexts)) {
      return redirectError(res, request, {
        status: 400,
        error: 'interaction_required',
        code: 50076,
        message: 'You must use multi-factor authentication to access this resource.',
      });
    }
    return completeSignIn(ctx, res, request, user, {
      oid: user.oid,
      clientId: request.clientId,
      mfa: session.mfa,
      acrs: session.acrs,
    });
  }
  signInPage(ctx, res, request);
}

/** POST /{tenant}/login: the sign-in page's form (an account's button, or Cancel). */
export async function handleSignIn(
  ctx: EmulatorContext,
  res: ServerResponse,
  tenant: string,
  form: URLSearchParams,
): Promise<void> {
  const parsed = parseAuthorizeRequest(tenant, new URLSearchParams(form.get('request') ?? ''));
  if (!parsed.ok) {
    if ('page' in parsed) return errorPage(res, parsed.page);
    return redirectError(res, parsed.replyTo, parsed.error);
  }
  const { request } = parsed;
  if (form.has('cancel')) {
    return redirectError(
      res,
      request,
      {
        status: 400,
        error: 'access_denied',
        code: 50126,
        message: 'The user canceled the sign-in.',
      },
      { error_subcode: 'cancel' },
    );
  }
  const user = ctx.state.findByUsername(form.get('username') ?? '');
  if (!user) return signInPage(ctx, res, request, 'That account does not exist in this tenant.');
  completeSignIn(ctx, res, request, user, {
    oid: user.oid,
    clientId: request.clientId,
    mfa: request.stepUp,
    acrs: request.authContexts,
  });
}

/** GET /{tenant}/oauth2/v2.0/logout: ends the emulator session, then back to the app. */
export function handleLogout(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: URLSearchParams,
): void {
  ctx.state.spa.endSession(cookie(req, SESSION_COOKIE));
  const clear = {
    'set-cookie': `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0`,
  };
  const target = params.get('post_logout_redirect_uri');
  if (isLoopbackRedirectUri(target)) {
    const url = new URL(target);
    const state = params.get('state');
    if (state) url.searchParams.set('state', state);
    res.writeHead(302, { location: url.href, 'cache-control': 'no-store', ...clear });
    res.end();
    return;
  }
  sendHtml(
    res,
    200,
    'Signed out',
    '<h1>You signed out of your account</h1><p>It\'s a good idea to close all browser windows.</p><p class="muted">Entra ID emulator</p>',
    clear,
  );
}

/** GET / : a page to open once in a browser, to accept the emulator's self-signed certificate. */
export function landingPage(ctx: EmulatorContext, res: ServerResponse): void {
  const discovery = `${ctx.entraUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
  sendHtml(
    res,
    200,
    'Entra ID emulator',
    `<h1>Entra ID emulator</h1>
<p>Your browser now trusts this emulator's certificate for this session: go back to your app.</p>
<p class="muted">Tenant ${TENANT_ID} · <a href="${escapeHtml(discovery)}">OpenID configuration</a></p>`,
  );
}
