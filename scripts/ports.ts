// Port checks for the dev stack: one clear line instead of an EADDRINUSE stack trace.
import { createServer } from 'node:net';
import { DevError } from './errors.js';

export class PortInUseError extends DevError {
  constructor(
    readonly port: number,
    role: string,
    flag: string,
  ) {
    super(
      `Port ${port} (${role}) is already in use: stop what holds it (another npm run dev?) or choose another port with ${flag}.`,
    );
  }
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}

/** True when 127.0.0.1:port can be bound right now (the dev stack listens on loopback only). */
export async function isPortFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}

/** A port that was free a moment ago, for hosts that must be told their port up front (func). */
export async function freePort(): Promise<number> {
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('no free port');
  return port;
}
