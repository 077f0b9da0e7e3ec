// A small stand-in for the Azure Functions host, for machines without Core Tools (`func`).
// Run by `npm run dev` as a child process (scripts/app-process.ts) with the app settings, NODE_PATH
// and NODE_EXTRA_CA_CERTS in its environment: it loads package.json "main" as the Functions
// Node.js worker does, then serves the HTTP functions on http://127.0.0.1:<port>/<routePrefix>/...
// Usage: node --import tsx scripts/local-host.ts [--port 7071] [--root .]
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { format, parseArgs } from 'node:util';
import type { HttpResponseInit, HttpResponse as HttpResponseType } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { type HttpFunction, type LoadedApp, loadApp } from './local-host/load-app.js';
import { READINESS_PROBE_HEADER } from './paths.js';

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/**
 * The request body limit, as the Functions host sets it: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT when
 * it parses as an integer (bytes; the host's HttpRequestBodySizeMiddleware uses long.TryParse),
 * else the host's default of 104857600 (ScriptConstants.DefaultMaxRequestBodySize).
 */
function requestBodyLimit(value: string | undefined): number {
  const parsed = /^\s*\+?\d{1,18}\s*$/.test(value ?? '') ? Number(value) : Number.NaN;
  return Number.isSafeInteger(parsed) ? parsed : 104_857_600;
}
const MAX_BODY_BYTES = requestBodyLimit(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7071' },
    root: { type: 'string', default: '.' },
  },
});
const port = Number(values.port);
const root = resolve(values.root);

const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);

/**
 * The body, or undefined past the limit: a declared Content-Length over it is refused before a
 * byte is kept (as Kestrel does), a streamed body as soon as it passes the limit.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES)
    return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // Keep nothing more; the rest is drained (read and dropped) so the 413 reaches the client.
      req.off('data', onData);
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * 413 with no body, as the host answers. What is left of the body is drained, never kept: the
 * connection stays open meanwhile, so the client reads the 413 instead of a reset, and a client
 * still sending a second later is cut off.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(413, { 'content-length': 0 }).end();
  setTimeout(() => req.socket.destroy(), 1000).unref();
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The bundle has its own copy of HttpResponse, so recognise one by its shape, not instanceof. */
function toResponse(result: unknown): HttpResponseType {
  const isResponse =
    typeof result === 'object' &&
    result !== null &&
    'arrayBuffer' in result &&
    (result as { headers?: unknown }).headers instanceof Headers;
  return isResponse
    ? (result as HttpResponseType)
    : new HttpResponse((result ?? {}) as HttpResponseInit);
}

async function invoke(
  fn: HttpFunction,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
): Promise<void> {
  const body = await readBody(req).catch(() => undefined);
  if (body === undefined) {
    if (!res.destroyed) refuseBody(req, res);
    return;
  }
  const invocationId = randomUUID();
  const started = performance.now();
  // The dev stack's own check that the function answers is not a caller's request: no
  // Executing/Executed lines for it (what the function itself logs, e.g. a setting error, stays).
  const quiet = req.headers[READINESS_PROBE_HEADER] !== undefined;
  const say = quiet ? () => {} : log;
  say(`Executing 'Functions.${fn.name}' (Id=${invocationId}) ${req.method} ${req.url}`);
  // The Functions host hands the worker the W3C trace context of its own span for the
  // invocation, a child of the caller's traceparent; this host records no spans of its own,
  // so it hands on the caller's.
  const traceParent = req.headers.traceparent;
  const traceState = req.headers.tracestate;
  const context = new InvocationContext({
    invocationId,
    functionName: fn.name,
    ...(typeof traceParent === 'string' && {
      traceContext: { traceParent, ...(typeof traceState === 'string' && { traceState }) },
    }),
    logHandler: (level, ...args) => log(`[${level}] ${format(...args)}`),
  });
  let outcome = 'Succeeded';
  try {
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      url: `http://${req.headers.host ?? `localhost:${port}`}${req.url ?? '/'}`,
      headers: headersOf(req),
      params,
      body: { bytes: body },
    });
    const response = toResponse(await fn.handler(request, context));
    if (response.cookies.length > 0) log('[warning] the local host ignores response.cookies');
    const bytes = Buffer.from(await response.arrayBuffer());
    for (const [name, value] of response.headers) {
      if (name !== 'set-cookie') res.setHeader(name, value);
    }
    const setCookies = response.headers.getSetCookie();
    if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
    if (bytes.length > 0) res.setHeader('content-length', bytes.length);
    res.writeHead(response.status).end(bytes);
  } catch (error) {
    // As in the Functions host: the caller gets a bare 500, the log gets the error.
    outcome = 'Failed';
    log(`[error] ${fn.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
  const duration = Math.round(performance.now() - started);
  say(
    `Executed 'Functions.${fn.name}' (${outcome}, Id=${invocationId}, Duration=${duration}ms) ${res.statusCode}`,
  );
}

function route(app: LoadedApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const matches = app.functions.flatMap((fn) => {
    const params = fn.match(pathname);
    return params ? [{ fn, params }] : [];
  });
  if (matches.length === 0) {
    res.writeHead(404).end();
    return Promise.resolve();
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const found = matches.find(({ fn }) => fn.methods.includes(method));
  if (!found) {
    const allow = [...new Set(matches.flatMap(({ fn }) => fn.methods))].join(', ');
    res.writeHead(405, { Allow: allow }).end();
    return Promise.resolve();
  }
  return invoke(found.fn, req, res, found.params);
}

let app: LoadedApp;
try {
  app = await loadApp(root);
} catch (error) {
  console.error(`Local host: cannot load the app: ${(error as Error).message}`);
  process.exit(1);
}
for (const warning of app.warnings) log(`[warning] ${warning}`);

const server = createServer((req, res) => {
  route(app, req, res).catch((error: unknown) => {
    log(`[error] ${String(error)}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === 'EADDRINUSE'
      ? `Local host: port ${port} is already in use.`
      : `Local host: ${error.message}`,
  );
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const lines = app.functions.map(
    (fn) => `        ${fn.name}: [${fn.methods.join(',')}] http://localhost:${port}${fn.path}`,
  );
  console.log(`\nFunctions (local host):\n\n${lines.join('\n')}\n`);
});

let closing = false;
function shutdown(): void {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(0), 2000).unref();
  // As the worker does: the app's appTerminate hooks (telemetry's last flush), then exit.
  const terminated = app.terminate().catch((error: unknown) => {
    log(`[error] appTerminate hook failed: ${String(error)}`);
  });
  server.close(() => void terminated.then(() => process.exit(0)));
  server.closeAllConnections();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// The parent's IPC channel closes when it dies, however it dies: never outlive it.
process.on('disconnect', shutdown);
