import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, createSecureServer } from 'node:http2';
import { createServer as createHttp1Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Server, TLSSocket } from 'node:tls';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface RunningServer {
  url: string;
  server: Server;
  setHandler(handler: Handler): void;
  /** Stops listening and destroys every socket, including ones with unanswered requests. */
  close(): Promise<void>;
}

/** How long an idle connection stays open: Node's HTTP/1.1 default, for both protocols. */
const IDLE_TIMEOUT_MS = 5_000;

/**
 * An HTTPS server that speaks HTTP/2 where the client offers it (ALPN), as Entra ID and Graph
 * do, and HTTP/1.1 otherwise. Handlers get Node's HTTP/2 compatibility request and response,
 * which follow the HTTP/1.1 ones (headers, writeHead, end, body iteration).
 */
export async function listenHttps(
  tls: { cert: string; key: string },
  port: number,
  onTlsConnection: (protocol: 'h2' | 'http/1.1') => void,
  options: { http2?: boolean } = {},
): Promise<RunningServer> {
  const server: Server =
    options.http2 === false
      ? createHttp1Server({ cert: tls.cert, key: tls.key, keepAliveTimeout: IDLE_TIMEOUT_MS })
      : // HTTP/2 sessions idle for the timeout are closed, like HTTP/1.1 keep-alive connections.
        createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }).setTimeout(
          IDLE_TIMEOUT_MS,
        );
  // Track raw and TLS sockets ourselves: closeAllConnections() misses handshakes in progress.
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  server.on('secureConnection', (socket: TLSSocket) => {
    track(socket);
    onTlsConnection(socket.alpnProtocol === 'h2' ? 'h2' : 'http/1.1');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    setHandler(handler) {
      server.on('request', (request: unknown, response: unknown) => {
        // The compatibility API mirrors IncomingMessage/ServerResponse for what handlers use.
        const req = request as unknown as IncomingMessage;
        const res = response as unknown as ServerResponse;
        handler(req, res).catch((err: unknown) => {
          if (!res.headersSent && !res.destroyed) {
            sendJson(res, 500, { error: 'emulator_error', message: String(err) });
          } else resetRequest(req);
        });
      });
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/**
 * Drops a request without an answer: over HTTP/1.1 the connection is destroyed; over HTTP/2 the
 * stream is reset (RST_STREAM), as a server does, leaving the other streams of the connection.
 */
export function resetRequest(req: IncomingMessage): void {
  const stream = (req as { stream?: { close(code: number): void } }).stream;
  if (stream) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; undefined if it is not one. */
export async function readJsonObject(
  req: IncomingMessage,
): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readBody(req));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Waits ms, or rejects when the emulators close (so timers never keep the process alive). */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await delay(ms, undefined, { signal });
}

/** Never answers: the request ends when close() destroys its socket. */
export function hang(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
