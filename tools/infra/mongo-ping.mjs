// Readiness probe for the Mongo-protocol store (FerretDB) used by tools/infra/up.sh.
// Usage: node mongo-ping.mjs <mongodb-uri>
// Exit 0 after real `ping`, `listDatabases` (reaches the storage backend) and `buildInfo`
// commands; exit 1 otherwise; exit 3 when the `mongodb` driver cannot be resolved (the caller
// then falls back to FerretDB's /debug/readyz).
import { createRequire } from 'node:module';
import path from 'node:path';

const [uri] = process.argv.slice(2);
if (!uri) {
  console.error('usage: node mongo-ping.mjs <mongodb-uri>');
  process.exit(2);
}

// Resolve `mongodb` from the working directory (the repo's node_modules) or NODE_PATH.
function loadDriver() {
  const dirs = [process.cwd(), ...(process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean)];
  for (const dir of dirs) {
    try {
      return createRequire(path.join(dir, 'noop.js'))('mongodb');
    } catch {
      // try the next location
    }
  }
  return null;
}

const driver = loadDriver();
if (!driver) {
  console.error('mongodb driver not resolvable');
  process.exit(3);
}

const client = new driver.MongoClient(uri, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
try {
  await client.connect();
  const admin = client.db('admin');
  await admin.command({ ping: 1 });
  await admin.command({ listDatabases: 1, nameOnly: true });
  const { version } = await admin.command({ buildInfo: 1 });
  console.log(`MongoDB ${version} wire ok`);
} catch (err) {
  console.error(`mongo ping failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
