/**
 * A stand-in for Application Insights' ingestion endpoint (the "breeze" track API the Azure
 * Monitor exporters post to: POST <IngestionEndpoint>/v2.1/track, a JSON array of envelopes).
 * Like a component with local auth disabled, it accepts only a bearer token issued by the
 * emulated Entra ID for https://monitor.azure.com (what the managed identity hands the exporter).
 * It records every envelope it accepts, and every refusal, for tests to read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { jwtVerify } from 'jose';
import {
  APP_INSIGHTS_INSTRUMENTATION_KEY,
  AZURE_MONITOR_AUDIENCE,
  TELEMETRY_CONTROL_PATH,
  TENANT_ID,
} from './constants.js';
import { type EmulatorContext, issuerFor } from './context.js';
import { header, sendJson } from './http.js';
import type { ReceivedTelemetry, TelemetryEnvelope } from './types.js';

export function appInsightsConnectionString(url: string): string {
  return `InstrumentationKey=${APP_INSIGHTS_INSTRUMENTATION_KEY};IngestionEndpoint=${url}/;LiveEndpoint=${url}/`;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4_000_000) throw new Error('track body too large');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const gzipped = header(req, 'content-encoding') === 'gzip';
  return (gzipped ? await promisify(gunzip)(raw) : raw).toString('utf8');
}

/** Why a track request is refused, or undefined when its bearer token is good. */
async function refusal(ctx: EmulatorContext, req: IncomingMessage): Promise<string | undefined> {
  const authorization = header(req, 'authorization') ?? '';
  const match = /^Bearer (\S+)$/.exec(authorization);
  if (!match?.[1]) return 'no bearer token (local authentication is disabled)';
  try {
    await jwtVerify(match[1], ctx.keys.keySet, {
      algorithms: ['RS256'],
      issuer: issuerFor(ctx, TENANT_ID),
      audience: AZURE_MONITOR_AUDIENCE,
    });
    return undefined;
  } catch (error) {
    return `bad bearer token: ${(error as Error).name}`;
  }
}

export function appInsightsHandler(ctx: EmulatorContext) {
  const received: ReceivedTelemetry = { envelopes: [], refused: [] };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    if (url.pathname === TELEMETRY_CONTROL_PATH) {
      if (req.method === 'DELETE') {
        received.envelopes.length = 0;
        received.refused.length = 0;
        res.writeHead(204).end();
        return;
      }
      return sendJson(res, 200, received);
    }
    if (req.method !== 'POST' || url.pathname !== '/v2.1/track') {
      return sendJson(res, 404, { error: 'not found' });
    }
    const envelopes = JSON.parse(await bodyOf(req)) as TelemetryEnvelope[];
    const refused = await refusal(ctx, req);
    if (refused) {
      received.refused.push(refused);
      // Breeze's answer to an unauthenticated or unauthorised track call.
      return sendJson(res, 401, {
        itemsReceived: envelopes.length,
        itemsAccepted: 0,
        errors: [{ index: 0, statusCode: 401, message: refused }],
      });
    }
    const errors = envelopes.flatMap((envelope, index) =>
      envelope.iKey === APP_INSIGHTS_INSTRUMENTATION_KEY
        ? []
        : [{ index, statusCode: 400, message: 'Invalid instrumentation key' }],
    );
    for (const [index, envelope] of envelopes.entries()) {
      if (!errors.some((e) => e.index === index)) received.envelopes.push(envelope);
    }
    if (errors.length > 0) received.refused.push('wrong instrumentation key');
    sendJson(res, errors.length === envelopes.length ? 400 : errors.length > 0 ? 206 : 200, {
      itemsReceived: envelopes.length,
      itemsAccepted: envelopes.length - errors.length,
      errors,
    });
  };
}
