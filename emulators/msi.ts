import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AZURE_MONITOR_AUDIENCE,
  MANAGED_IDENTITY_CLIENT_ID,
  TOKEN_EXCHANGE_AUDIENCE,
} from './constants.js';
import type { EmulatorContext } from './context.js';
import { applyTransportFailure } from './failures.js';
import { header, readBody, sendJson } from './http.js';
import { MANAGED_IDENTITY_TOKEN_LIFETIME, mintManagedIdentityToken } from './tokens.js';

export const MSI_PATH = '/_emulator/msi/token';

/**
 * The App Service managed identity endpoint (IDENTITY_ENDPOINT), as msal-node's AppService
 * source calls it: GET ?api-version=2019-08-01&resource=...&client_id=... with X-IDENTITY-HEADER.
 */
export async function handleMsi(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const scripted = ctx.state.takeFailure('msi', undefined);
  if (scripted && (await applyTransportFailure(ctx, req, scripted))) return;
  const params = new URLSearchParams(url.search);
  if (req.method === 'POST') {
    for (const [key, value] of new URLSearchParams(await readBody(req))) params.set(key, value);
  }
  // App Service answers errors as {statusCode, message, correlationId}.
  const fail = (statusCode: number, message: string) =>
    sendJson(res, statusCode, { statusCode, message, correlationId: randomUUID() });
  if (header(req, 'x-identity-header') !== ctx.managedIdentityHeader) {
    return fail(401, 'Unauthorized: missing or invalid X-IDENTITY-HEADER.');
  }
  if (params.get('api-version') !== '2019-08-01') {
    return fail(400, 'Invalid or unsupported api-version; expected 2019-08-01.');
  }
  const resource = params.get('resource')?.replace(/\/\.default$/, '');
  // The federated client assertion, and Application Insights ingestion (Entra-only telemetry).
  if (resource !== TOKEN_EXCHANGE_AUDIENCE && resource !== AZURE_MONITOR_AUDIENCE) {
    return fail(
      400,
      `This emulator only issues tokens for ${TOKEN_EXCHANGE_AUDIENCE} and ${AZURE_MONITOR_AUDIENCE}.`,
    );
  }
  if (params.get('client_id') !== MANAGED_IDENTITY_CLIENT_ID) {
    return fail(
      400,
      'No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.',
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const issued = ctx.state.stats.msiTokens;
  issued[resource] = (issued[resource] ?? 0) + 1;
  sendJson(res, 200, {
    access_token: await mintManagedIdentityToken(ctx, now, resource),
    expires_on: String(now + MANAGED_IDENTITY_TOKEN_LIFETIME),
    resource,
    token_type: 'Bearer',
    client_id: MANAGED_IDENTITY_CLIENT_ID,
  });
}
