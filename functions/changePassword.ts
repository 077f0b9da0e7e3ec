import { app, type HttpHandler } from '@azure/functions';
import { createRequestHandler } from '../shared/handler.js';
import { flushTelemetry } from '../shared/telemetrySettings.js';

/**
 * The HTTP adapter: Functions request in, shared handler, Functions response out.
 * Anonymous on purpose: a browser cannot keep a function key secret, and the
 * handler checks the caller's bearer token itself.
 */
export function createChangePasswordFunction(
  env: Readonly<Record<string, string | undefined>> = process.env,
): HttpHandler {
  const handle = createRequestHandler(env);
  return async (request, context) => {
    const reply = await handle(request, context, context.invocationId, context.traceContext);
    return { status: reply.status, headers: reply.headers, body: reply.body };
  };
}

app.http('changePassword', {
  route: 'me/changePassword',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: createChangePasswordFunction(),
});

// The worker awaits this before it exits: the spans still in the batch are sent first.
app.hook.appTerminate(() => flushTelemetry());
