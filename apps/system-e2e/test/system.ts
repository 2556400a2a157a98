import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { checkHealth, createServiceClient } from '@order-system/grpc';
import { KafkaClient } from '@order-system/kafka';
import { catalog, inventory, orders } from '@order-system/proto';
import {
  createTestDatabase,
  createTestMongoDb,
  eventually,
  runId,
  tcpProxy,
  testConfig,
  testLogger,
  testTopicPrefix,
} from '@order-system/testing';
import { MongoClient } from 'mongodb';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../../..');
export const APPS = ['inventory', 'payment', 'order-store', 'gateway'] as const;
export type App = (typeof APPS)[number];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The whole system as users run it: the four built services as separate
 * processes (dist/apps/<app>/main.cjs), on free ports, against real
 * PostgreSQL, Kafka and the MongoDB-protocol server, with a database, a Mongo
 * database and topics of their own. PostgreSQL and MongoDB are reached
 * through TCP proxies that tests can cut.
 */
export async function startSystem(env: Record<string, string> = {}) {
  const infra = testConfig();
  const log = testLogger(infra);
  const db = await createTestDatabase(infra);
  const mongoDb = createTestMongoDb(infra);
  const topics = { prefix: testTopicPrefix() };
  const kafka = new KafkaClient({ brokers: infra.kafkaBrokers, clientId: 'test', log });
  const pgProxy = await tcpProxy(infra.postgresHost, infra.postgresPort);
  const mongoTarget = new URL(infra.mongodbUri);
  const mongoProxy = await tcpProxy(mongoTarget.hostname, Number(mongoTarget.port || 27017));
  mongoTarget.host = `127.0.0.1:${mongoProxy.port}`;

  const ports = {
    gateway: await freePort(),
    gatewayHttp: await freePort(),
    inventory: await freePort(),
    payment: await freePort(),
    'order-store': await freePort(),
  };
  const group = runId();
  const common = {
    ...process.env,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    BIND_HOST: '127.0.0.1',
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: topics.prefix,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(pgProxy.port),
    POSTGRES_DB: db.name,
    MONGODB_URI: mongoTarget.toString(),
    MONGODB_DB: mongoDb.name,
    INVENTORY_ADDR: `127.0.0.1:${ports.inventory}`,
    ORDER_STORE_ADDR: `127.0.0.1:${ports['order-store']}`,
    HTTP_PORT: '0',
    WATCH_POLL_MS: '200',
    ...env,
  };
  const envOf: Record<App, NodeJS.ProcessEnv> = {
    inventory: { ...common, GRPC_PORT: String(ports.inventory), KAFKA_GROUP_ID: `inventory-${group}` },
    payment: { ...common, GRPC_PORT: String(ports.payment), KAFKA_GROUP_ID: `payment-${group}` },
    'order-store': { ...common, GRPC_PORT: String(ports['order-store']), KAFKA_GROUP_ID: `order-store-${group}` },
    gateway: { ...common, GRPC_PORT: String(ports.gateway), HTTP_PORT: String(ports.gatewayHttp) },
  };

  const logDir = path.join(root, '.infra/logs/e2e', group);
  mkdirSync(logDir, { recursive: true });
  const procs = new Map<App, ChildProcess>();
  const start = async (app: App) => {
    const child = spawn(process.execPath, [path.join(root, 'dist/apps', app, 'main.cjs')], { env: envOf[app], stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(path.join(logDir, `${app}.log`), { flags: 'a' });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    procs.set(app, child);
    const addr = `127.0.0.1:${app === 'gateway' ? ports.gateway : ports[app]}`;
    await eventually(async () => child.exitCode === null && (await checkHealth(addr, 500)) === 'SERVING', {
      timeoutMs: 30_000,
      what: `${app} to serve (logs: ${logDir})`,
    });
  };
  const stopApp = async (app: App, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = procs.get(app);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  for (const app of APPS) await start(app);

  const gatewayAddr = `127.0.0.1:${ports.gateway}`;
  const pgDirect = new pg.Pool({ host: infra.postgresHost, port: infra.postgresPort, user: infra.postgresUser, password: infra.postgresPassword, database: db.name, max: 4 });
  const mongo = await MongoClient.connect(infra.mongodbUri);

  return {
    ports,
    logDir,
    http: `http://127.0.0.1:${ports.gatewayHttp}`,
    gatewayAddr,
    orders: createServiceClient(orders.v1.OrderServiceService, gatewayAddr, { defaultTimeoutMs: 10_000 }),
    catalog: createServiceClient(catalog.v1.CatalogServiceService, gatewayAddr),
    admin: createServiceClient(inventory.v1.InventoryServiceService, `127.0.0.1:${ports.inventory}`),
    pg: pgDirect,
    mongo: mongo.db(mongoDb.name),
    pgProxy,
    mongoProxy,
    start,
    stopApp,
    async stop() {
      for (const app of [...APPS].reverse()) await stopApp(app);
      await pgDirect.end();
      await mongo.close();
      await pgProxy.close();
      await mongoProxy.close();
      await db.drop();
      await mongoDb.drop();
      await kafka.deleteTopicsWithPrefix(topics.prefix);
    },
  };
}

export type System = Awaited<ReturnType<typeof startSystem>>;
