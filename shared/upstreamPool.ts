import { SERVER_BUSY_RETRY_AFTER_SECONDS } from './admission.js';
import { CONNECTION_WAIT_FACTOR } from './config.js';
import type { Failure } from './failures.js';

/** A request handler as Node's fetch hands it to a dispatcher (undici's callback interface). */
interface DispatchHandler {
  onConnect?(abort: (error?: Error) => void, context?: unknown): void;
  onHeaders?(...args: unknown[]): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: unknown): void;
  onError?(error: Error): void;
  [other: string]: unknown;
}

interface Dispatcher {
  dispatch(options: object, handler: DispatchHandler): boolean;
}

/** What Node's fetch accepts as its `dispatcher` option (typed after Node's bundled undici). */
type FetchDispatcher = NonNullable<RequestInit['dispatcher']>;

/** Why an exchange was cut short by its own budget. */
export type ExpiredBudget =
  /** No pooled connection took the request in time: nothing was sent (this instance is busy). */
  | 'waiting'
  /** The request was sent and no complete answer came back in time. */
  | 'exchange';

/**
 * One request through the pool, with a time budget that counts only the exchange itself:
 * from the moment a connection takes the request (writes it) until the whole answer is in.
 * Waiting for a free connection, or for the event loop, is not charged to it.
 *
 * @example
 * const exchange = pool.exchange(config.graphTimeoutMs);
 * try {
 *   const response = await fetch(url, { ...init, dispatcher: exchange.dispatcher, signal: exchange.signal });
 * } catch {
 *   if (exchange.sent) ...; // the upstream may have acted on it
 * } finally {
 *   exchange.end();
 * }
 */
export interface UpstreamExchange {
  /** fetch's `dispatcher` option. */
  readonly dispatcher: FetchDispatcher;
  /** fetch's `signal` option: aborted when a budget runs out. */
  readonly signal: AbortSignal;
  /** A connection took the request: from here on the upstream may have acted on it. */
  readonly sent: boolean;
  /** The final response's status line and headers arrived (not a 1xx). */
  readonly answered: boolean;
  /** Set when a budget ran out (and the request was aborted because of it). */
  readonly expired: ExpiredBudget | undefined;
  /** Stops the timers; call when done with the response (or the error). */
  end(): void;
}

export interface UpstreamPool {
  /** Starts one exchange: `budgetMs` bounds the exchange; twice that, the wait for a connection. */
  exchange(budgetMs: number): UpstreamExchange;
  /** Closes every pooled connection (tests, benchmarks). */
  close(): Promise<void>;
}

export interface UpstreamPoolOptions {
  /** Connections per origin (Entra ID, Graph, …). */
  connectionsPerOrigin: number;
  /** Bound on opening a connection (TCP + TLS), ms. */
  connectTimeoutMs: number;
}

/**
 * Sized for one Functions instance: up to 32 connections per upstream origin (Entra ID, Graph),
 * so a burst opens at most 64. Every call here is a POST, and undici sends a POST only on a
 * connection with nothing else in flight (it re-sends in-flight requests after an HTTP/2 GOAWAY,
 * which must never happen to a password change): so 32 exchanges per upstream at once.
 */
export const DEFAULT_POOL_OPTIONS: UpstreamPoolOptions = {
  connectionsPerOrigin: 32,
  // Shorter than the default GRAPH_TIMEOUT_MS: a dead upstream shows as unreachable, not busy.
  connectTimeoutMs: 5_000,
};

/** What a request gets when no pooled connection was free for its whole budget. */
export const serverBusy = (): Failure => ({
  code: 'server_busy',
  retryAfterSeconds: SERVER_BUSY_RETRY_AFTER_SECONDS,
});

class ExchangeBudget extends Error {
  override name = 'TimeoutError';
}

/**
 * Creates the pool that every upstream call of this instance goes through.
 *
 * @example
 * const pool = await createUpstreamPool();
 * const exchange = pool.exchange(10_000);
 */
export async function createUpstreamPool(
  options: UpstreamPoolOptions = DEFAULT_POOL_OPTIONS,
): Promise<UpstreamPool> {
  // undici's Agent module alone, not the package's index (which would also install itself as the
  // process-wide fetch dispatcher), and loaded on first use: it is half the bundle's size.
  const { default: Agent } = await import('undici/lib/dispatcher/agent.js');
  const agent = new Agent({
    // HTTP/1.1 keep-alive, although Entra ID and Graph offer HTTP/2: undici 7 never multiplexes
    // a POST (client-h2.js busy(): "Non-idempotent request cannot be retried"), so HTTP/2 would
    // still carry one exchange per connection, and Node's HTTP/2 costs more CPU per request
    // (npm run bench: row 3 0.48 with it, 0.72 without; row 2 1.063 vs 1.030; docs/benchmarks.md).
    allowH2: false,
    connections: options.connectionsPerOrigin,
    // One exchange per connection at a time. undici would not send a second POST on a busy
    // connection anyway, but with more allowed its pool would queue requests there (behind a
    // slow one) instead of taking another connection.
    pipelining: 1,
    connect: { timeout: options.connectTimeoutMs },
  }) as unknown as Dispatcher & { close(): Promise<void> };

  return {
    exchange: (budgetMs) => startExchange(agent, budgetMs),
    close: () => agent.close(),
  };
}

function startExchange(agent: Dispatcher, budgetMs: number): UpstreamExchange {
  const controller = new AbortController();
  let sent = false;
  let answered = false;
  let finished = false;
  let expired: ExpiredBudget | undefined;
  let timer: NodeJS.Timeout | undefined;

  // A timer that fires while the event loop was busy may find the answer already waiting in
  // the socket: let the loop read it (setImmediate runs after the I/O poll) before deciding.
  const arm = (budget: ExpiredBudget, ms: number, stillDue: () => boolean) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      setImmediate(() => {
        if (finished || !stillDue()) return;
        expired = budget;
        controller.abort(new ExchangeBudget(`upstream ${budget} budget of ${ms} ms ran out`));
      });
    }, ms);
    timer.unref();
  };
  const stop = () => {
    finished = true;
    clearTimeout(timer);
  };
  // Past this wait for a free connection the instance is saturated: server_busy, nothing sent.
  arm('waiting', CONNECTION_WAIT_FACTOR * budgetMs, () => !sent);

  const dispatcher: Dispatcher = {
    dispatch(dispatchOptions, handler) {
      // Forwards every callback to fetch's own handler (its methods rely on `this`).
      const observed: DispatchHandler = {};
      for (const [key, value] of Object.entries(handler)) {
        if (typeof value === 'function') observed[key] = value.bind(handler);
      }
      observed.onConnect = (abort, context) => {
        if (!sent) {
          sent = true;
          arm('exchange', budgetMs, () => true);
        }
        return handler.onConnect?.(abort, context);
      };
      observed.onHeaders = (...args) => {
        // undici reports informational answers (1xx, e.g. 103 Early Hints) here too: those are
        // not the upstream's answer, which may still never come.
        if (Number(args[0]) >= 200) answered = true;
        return handler.onHeaders?.(...args) ?? true;
      };
      observed.onComplete = (trailers) => {
        stop();
        return handler.onComplete?.(trailers);
      };
      observed.onError = (error) => {
        stop();
        return handler.onError?.(error);
      };
      return agent.dispatch(dispatchOptions, observed);
    },
  };

  return {
    dispatcher: dispatcher as unknown as FetchDispatcher,
    signal: controller.signal,
    get sent() {
      return sent;
    },
    get answered() {
      return answered;
    },
    get expired() {
      return expired;
    },
    end: stop,
  };
}
