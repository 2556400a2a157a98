// Readiness probe for the Mongo-protocol store (FerretDB) used by tools/infra/up.sh.
// Usage: node mongo-ping.mjs <mongodb-uri> [--write]
// Exit 0 after a real `ping` (and, with --write, an upsert round trip); exit 1 otherwise;
// exit 3 when the `mongodb` driver cannot be resolved (caller falls back to a TCP check).
import { createRequire } from 'node:module';
import path from 'node:path';

const [uri, flag] = process.argv.slice(2);
if (!uri) {
  console.error('usage: node mongo-ping.mjs <mongodb-uri> [--write]');
  process.exit(2);
}

// Resolve `mongodb` from the working directory (the repo's node_modules) or NODE_PATH.
function loadDriver() {
  const bases = [path.join(process.cwd(), 'noop.js'), ...(process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean).map((p) => path.join(p, 'noop.js'))];
  for (const base of bases) {
    try {
      return createRequire(base)('mongodb');
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
  const { version } = await admin.command({ buildInfo: 1 });
  if (flag === '--write') {
    const probe = client.db('infra_probe').collection('probe');
    await probe.updateOne({ _id: 'up' }, { $set: { at: new Date() } }, { upsert: true });
    if (!(await probe.findOne({ _id: 'up' }))) throw new Error('probe document not read back');
  }
  console.log(`mongo wire ok (reports MongoDB ${version})`);
} catch (err) {
  console.error(`mongo ping failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
