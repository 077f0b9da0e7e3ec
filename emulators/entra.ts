import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAuthorize, handleLogout, handleSignIn, landingPage } from './authorize.js';
import { KNOWN_TENANTS, SINK_PATH, TENANT_ID } from './constants.js';
import type { EmulatorContext } from './context.js';
import { handleControl } from './control.js';
import { sendEntraError, unknownTenantError } from './entra-errors.js';
import { applyTransportFailure } from './failures.js';
import { sendHugeBody } from './hostile.js';
import { type Handler, readBody, sendJson, sleep } from './http.js';
import { preflightHeaders, publicCors } from './loopback.js';
import { handleMsi, MSI_PATH } from './msi.js';
import { handleToken } from './obo.js';
import { handleSpaToken, SPA_GRANTS } from './spa-token.js';

/** Request handler of the Entra ID emulator (login.microsoftonline.com look-alike). */
export function entraHandler(ctx: EmulatorContext): Handler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', ctx.entraUrl);
    const path = url.pathname;
    const { stats } = ctx.state;
    if (path === SINK_PATH) {
      // Where the "redirect" mode points: nothing a client sends should ever arrive here.
      stats.sink++;
      return sendJson(res, 200, { access_token: 'stolen', token_type: 'Bearer', expires_in: 3600 });
    }
    if (path.startsWith('/_emulator/') && path !== MSI_PATH) {
      return handleControl(ctx, req, res, path);
    }
    await sleep(ctx.state.latencyMs, ctx.closing);
    if (path === MSI_PATH) {
      stats.msi++;
      return handleMsi(ctx, req, res, url);
    }
    if (req.method === 'OPTIONS') {
      // CORS preflight (MSAL.js in a browser): granted to loopback origins.
      res.writeHead(204, preflightHeaders(req)).end();
      return;
    }
    if (req.method === 'GET' && path === '/') return landingPage(ctx, res);
    if (req.method === 'GET' && path === '/common/discovery/instance') {
      stats.instanceDiscovery++;
      return instanceDiscovery(ctx, res, url);
    }
    const [, tenant = '', rest = ''] = /^\/([^/]+)\/(.+)$/.exec(path) ?? [];
    const route = `${req.method} ${rest}`;
    if (route === 'GET v2.0/.well-known/openid-configuration') {
      stats.discovery++;
      if (!KNOWN_TENANTS.has(tenant)) return unknownTenant(ctx, res, tenant);
      return sendJson(res, 200, openIdConfiguration(ctx, tenant), publicCors(req));
    }
    if (route === 'GET discovery/v2.0/keys') {
      stats.jwks++;
      if (!KNOWN_TENANTS.has(tenant)) return unknownTenant(ctx, res, tenant);
      const scripted = ctx.state.takeFailure('keys', undefined);
      if (scripted) {
        if (await applyTransportFailure(ctx, req, scripted)) return;
        if (await failingKeys(ctx, res, scripted.mode)) return;
      }
      return sendJson(res, 200, ctx.keys.jwks, publicCors(req));
    }
    if (route === 'POST oauth2/v2.0/token') {
      const form = new URLSearchParams(await readBody(req));
      if (SPA_GRANTS.has(form.get('grant_type') ?? '')) {
        stats.spaToken++;
        return handleSpaToken(ctx, req, res, tenant, form);
      }
      stats.token++;
      return handleToken(ctx, req, res, tenant, form);
    }
    if (route === 'GET oauth2/v2.0/authorize') {
      stats.authorize++;
      return handleAuthorize(ctx, req, res, tenant, url.searchParams);
    }
    if (route === 'POST oauth2/v2.0/authorize') {
      stats.authorize++;
      return handleAuthorize(ctx, req, res, tenant, new URLSearchParams(await readBody(req)));
    }
    if (route === 'POST login') {
      stats.authorize++;
      return handleSignIn(ctx, res, tenant, new URLSearchParams(await readBody(req)));
    }
    if (route === 'GET oauth2/v2.0/logout') return handleLogout(ctx, req, res, url.searchParams);
    notFound(res, req);
  };
}

/** A scripted failure of the key endpoint; false for "delay" (answer normally). */
async function failingKeys(ctx: EmulatorContext, res: ServerResponse, mode: string) {
  switch (mode) {
    case 'server_error':
      sendJson(res, 500, { error: 'server_error', error_description: 'AADSTS50000' });
      return true;
    case 'non_json':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
      return true;
    case 'huge':
      await sendHugeBody(ctx, res, 200, true);
      return true;
    default:
      return false;
  }
}

export function notFound(res: ServerResponse, req: IncomingMessage): void {
  sendJson(res, 404, { error: 'not_found', message: `no route ${req.method} ${req.url}` });
}

function unknownTenant(ctx: EmulatorContext, res: ServerResponse, tenant: string): void {
  sendEntraError(ctx, res, unknownTenantError(tenant, 'invalid_tenant'));
}

/** Same fields as Entra's v2.0 document; multi-tenant aliases get the {tenantid} issuer template. */
function openIdConfiguration(ctx: EmulatorContext, tenant: string) {
  const base = `${ctx.entraUrl}/${tenant}`;
  const issuerTenant = tenant === TENANT_ID ? TENANT_ID : '{tenantid}';
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${ctx.entraUrl}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.graphUrl}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: new URL(ctx.graphUrl).host,
    rbac_url: 'https://pas.windows.net',
  };
}

/** MSAL's instance discovery: this host is its own (only) alias. */
function instanceDiscovery(ctx: EmulatorContext, res: ServerResponse, url: URL): void {
  const host = new URL(ctx.entraUrl).host;
  const authorize = url.searchParams.get('authorization_endpoint');
  let tenant = 'common';
  if (authorize) {
    const target = URL.canParse(authorize) ? new URL(authorize) : undefined;
    if (target?.host !== host) {
      sendEntraError(ctx, res, {
        status: 400,
        error: 'invalid_instance',
        code: 50049,
        message: 'Unknown or invalid instance.',
      });
      return;
    }
    tenant = target.pathname.split('/')[1] || tenant;
  }
  sendJson(res, 200, {
    tenant_discovery_endpoint: `${ctx.entraUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}
