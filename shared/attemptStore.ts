import type { TableClient } from '@azure/data-tables';
import type { AttemptStoreLocation } from './config.js';

/**
 * The failed-attempt store: one small Azure Table Storage entity per user who has failed,
 * overwritten in place with ETag `If-Match`. Every call to the store goes through `storeCall`
 * below, the one place to observe (time, trace) store round trips.
 */

/** What the store keeps for one user: when each counted attempt was made (epoch ms). */
export interface StoredAttempts {
  etag: string;
  attempts: number[];
}

export type StoreOperation = 'read' | 'create' | 'replace' | 'delete' | 'createTable';

/** The store could not answer: unreachable, too slow, or an answer other than the expected ones. */
export class AttemptStoreError extends Error {
  constructor(
    readonly reason: 'timeout' | 'unreachable' | 'status',
    readonly status?: number,
  ) {
    super(`attempt store ${reason}${status ? ` ${status}` : ''}`);
    this.name = 'AttemptStoreError';
  }
}

export interface AttemptStore {
  read(key: string, signal: AbortSignal): Promise<StoredAttempts | undefined>;
  /** The new ETag, or 'exists' when another request created the entity first. */
  create(key: string, attempts: number[], signal: AbortSignal): Promise<string | 'exists'>;
  /** The new ETag, or 'conflict' when the entity changed (or went) since `etag` was read. */
  replace(
    key: string,
    attempts: number[],
    etag: string,
    signal: AbortSignal,
  ): Promise<string | 'conflict'>;
  /** Deletes if unchanged since `etag` ('*': whatever it holds); a missing entity is done too. */
  remove(key: string, etag: string, signal: AbortSignal): Promise<'done' | 'conflict'>;
  /** Store round trips so far (the bench reads it). */
  readonly operations: number;
  /** The table service, without credentials (for spans). */
  readonly url: URL;
}

/** One entity per user: PartitionKey is the user's hashed key, so conflicts stay per user. */
const ROW_KEY = 'failedAttempts';

interface Entity {
  partitionKey: string;
  rowKey: string;
  attempts: string;
}

/** The parts of the SDK's RestError we read: the status and the service's error code. */
interface RestErrorLike {
  statusCode?: number;
  details?: { errorCode?: string; odataError?: { code?: string } };
}

const statusOf = (error: unknown): number | undefined => (error as RestErrorLike).statusCode;
const isTableNotFound = (error: unknown): boolean => {
  const details = (error as RestErrorLike).details;
  return (
    statusOf(error) === 404 && (details?.errorCode ?? details?.odataError?.code) === 'TableNotFound'
  );
};

async function tableClient(location: AttemptStoreLocation): Promise<TableClient> {
  // Loaded on first use: the Tables SDK and @azure/identity are heavy and cold starts matter.
  const { TableClient } = await import('@azure/data-tables');
  // No SDK retries: the request fails closed within its own timeout and the caller retries.
  const options = { retryOptions: { maxRetries: 0 } };
  if (location.kind === 'connectionString') {
    return TableClient.fromConnectionString(location.connectionString, location.table, {
      ...options,
      // Plain http only to loopback (Azurite), as shared/config.ts decided.
      allowInsecureConnection: location.allowInsecureConnection,
    });
  }
  const { ManagedIdentityCredential } = await import('@azure/identity');
  const credential = new ManagedIdentityCredential({ clientId: location.managedIdentityClientId });
  return new TableClient(location.endpoint, location.table, credential, options);
}

const parseAttempts = (text: unknown): number[] =>
  typeof text === 'string' && text !== ''
    ? text
        .split(',')
        .map(Number)
        .filter((t) => Number.isFinite(t))
    : [];

/**
 * Connects to the configured table (created on the first write that finds it missing).
 *
 * @example
 * const store = await createAttemptStore(config.attemptLimit.store);
 * const stored = await store.read(key, AbortSignal.timeout(2000));
 */
export async function createAttemptStore(location: AttemptStoreLocation): Promise<AttemptStore> {
  const client = await tableClient(location);
  let operations = 0;

  /** Every store round trip, with its abort signal; failures other than `expected` become AttemptStoreError. */
  async function storeCall<T>(
    _operation: StoreOperation,
    signal: AbortSignal,
    run: (options: { abortSignal: AbortSignal }) => Promise<T>,
    expected: (error: unknown) => T | undefined = () => undefined,
  ): Promise<T> {
    operations++;
    try {
      return await run({ abortSignal: signal });
    } catch (error) {
      if (signal.aborted) throw new AttemptStoreError('timeout');
      const answer = expected(error);
      if (answer !== undefined) return answer;
      if (isTableNotFound(error)) throw error; // handled by withTable
      const status = statusOf(error);
      throw new AttemptStoreError(status ? 'status' : 'unreachable', status);
    }
  }

  /** Runs a write; if the table does not exist yet, creates it once and runs the write again. */
  async function withTable<T>(signal: AbortSignal, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isTableNotFound(error)) throw error;
      await storeCall('createTable', signal, (options) => client.createTable(options));
      return write();
    }
  }

  const entity = (key: string, attempts: number[]): Entity => ({
    partitionKey: key,
    rowKey: ROW_KEY,
    attempts: attempts.join(','),
  });

  const url = new URL(client.url);
  return {
    url: new URL(`${url.origin}${url.pathname}`),
    get operations() {
      return operations;
    },

    read: (key, signal) =>
      storeCall(
        'read',
        signal,
        async (options) => {
          const found = await client.getEntity<Entity>(key, ROW_KEY, options);
          return { etag: found.etag, attempts: parseAttempts(found.attempts) };
        },
        (error) => (statusOf(error) === 404 ? null : undefined),
      ).then((found) => found ?? undefined),

    create: (key, attempts, signal) =>
      withTable(signal, () =>
        storeCall(
          'create',
          signal,
          async (options) => (await client.createEntity(entity(key, attempts), options)).etag ?? '',
          (error) => (statusOf(error) === 409 ? 'exists' : undefined),
        ),
      ),

    replace: (key, attempts, etag, signal) =>
      storeCall(
        'replace',
        signal,
        async (options) =>
          (await client.updateEntity(entity(key, attempts), 'Replace', { ...options, etag }))
            .etag ?? '',
        // 412: changed since read; 404: deleted since read (a 204 cleared it).
        (error) => (statusOf(error) === 412 || statusOf(error) === 404 ? 'conflict' : undefined),
      ),

    remove: (key, etag, signal) =>
      storeCall(
        'delete',
        signal,
        async (options) => {
          await client.deleteEntity(key, ROW_KEY, { ...options, etag });
          return 'done' as const;
        },
        (error) =>
          statusOf(error) === 404 ? 'done' : statusOf(error) === 412 ? 'conflict' : undefined,
      ),
  };
}
