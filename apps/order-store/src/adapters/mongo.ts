import { unavailable } from '@order-system/errors';
import { MongoBulkWriteError, MongoClient, MongoServerError, type Db } from 'mongodb';

export async function connectMongo(uri: string, dbName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    // FerretDB and standalone servers have no retryable writes; our writes are idempotent anyway.
    retryWrites: false,
    maxPoolSize: 20,
  });
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return { client, db: client.db(dbName) };
}

/** Rethrows a lost connection as UNAVAILABLE; server errors (bad query, duplicate key) as they are. */
export function asUnavailable(err: unknown): never {
  if (connectionLost(err)) throw unavailable('MongoDB is unavailable', err);
  throw err;
}

/**
 * Whether the driver says the server is out of reach. A bulk write (insertMany)
 * that loses its connection throws a MongoBulkWriteError, a server error class,
 * carrying the driver's own error it stopped on.
 */
export function connectionLost(err: unknown): boolean {
  if (err instanceof MongoBulkWriteError && (err.errorResponse as unknown) instanceof Error) return connectionLost(err.errorResponse);
  if (err instanceof MongoServerError) return false;
  return /^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|PoolCleared|TopologyClosed)Error$/.test((err as Error | undefined)?.name ?? '');
}
