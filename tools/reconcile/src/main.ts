/** npm run reconcile: prints any drift between PostgreSQL and MongoDB and exits 1 on it. */
import { checkInvariants } from '@order-system/invariants';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { reconcileConfig } from './config.js';

const cfg = reconcileConfig();
const db = new pg.Client({
  host: cfg.postgresHost,
  port: cfg.postgresPort,
  user: cfg.postgresUser,
  password: cfg.postgresPassword,
  database: cfg.postgresDb,
});
await db.connect();
const mongo = await MongoClient.connect(cfg.mongodbUri, { serverSelectionTimeoutMS: 5000 });
try {
  const report = await checkInvariants(db, mongo.db(cfg.mongodbDb), cfg.graceMs);
  const { pending, confirmed, failed, stored } = report.orders;
  console.log(`products ${report.products}; orders: ${confirmed} confirmed, ${failed} failed, ${pending} pending; ${stored} stored in MongoDB; ${report.inFlight} in flight`);
  for (const line of report.drift) console.log(`DRIFT ${line}`);
  console.log(report.drift.length === 0 ? 'no drift' : `${report.drift.length} drift(s)`);
  process.exitCode = report.drift.length === 0 ? 0 : 1;
} finally {
  await db.end();
  await mongo.close();
}
