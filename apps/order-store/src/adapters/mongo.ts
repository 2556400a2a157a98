import { unavailable } from '@order-system/errors';
import { MongoClient, MongoServerError, type Db } from 'mongodb';

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
  if (err instanceof MongoServerError) throw err;
  const name = (err as Error).name ?? '';
  if (/^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|PoolCleared|TopologyClosed)Error$/.test(name)) {
    throw unavailable('MongoDB is unavailable', err);
  }
  throw err;
}
