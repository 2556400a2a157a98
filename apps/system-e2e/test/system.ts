import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { serviceBundle, serviceCommand } from '@order-system/config/launch';
import { checkHealth, createServiceClient } from '@order-system/grpc';
import { KafkaClient } from '@order-system/kafka';
import { catalog, inventory, orders } from '@order-system/proto';
import {
  createTestDatabase,
  createTestMongoDb,
  eventually,
  freePort,
  runId,
  tcpProxy,
  testConfig,
  testLogger,
  testTopicPrefix,
} from '@order-system/testing';
import { checkInvariants } from '@order-system/invariants';
import { MongoClient } from 'mongodb';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../../..');
export const APPS = ['inventory', 'payment', 'order-store', 'gateway'] as const;
export type App = (typeof APPS)[number];

/**
 * The whole system as users run it: the four built services as separate
 * processes (dist/apps/<app>/main.cjs), on free ports, against real
 * PostgreSQL, Kafka and the MongoDB-protocol server, with a database, a Mongo
 * database and topics of their own. PostgreSQL and MongoDB are reached
 * through TCP proxies that tests can cut.
 */
export interface SystemOptions {
  env?: Record<string, string>;
  /** How many instances of each service (default 1); instance n > 1 is named `<app>-<n>`. */
  instances?: number;
}

export async function startSystem({ env = {}, instances = 1 }: SystemOptions = {}) {
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
  /** Every process: name, app, gRPC port, and for gateways the HTTP port. */
  const procsSpec = new Map<string, { app: App; port: number; httpPort?: number; n: number }>();
  for (let n = 1; n <= instances; n++) {
    for (const app of APPS) {
      const name = n === 1 ? app : `${app}-${n}`;
      const port = n === 1 ? ports[app] : await freePort();
      procsSpec.set(name, { app, port, n, httpPort: app === 'gateway' ? (n === 1 ? ports.gatewayHttp : await freePort()) : undefined });
    }
  }
  const portOf = (app: App, n: number) => procsSpec.get(n === 1 ? app : `${app}-${n}`)!.port;
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
    HTTP_PORT: '0',
    WATCH_POLL_MS: '200',
    ...env,
  };
  // Instances of one app share its consumer group; gateway n talks to inventory n and order-store n.
  const envOf = (name: string): NodeJS.ProcessEnv => {
    const { app, port, n, httpPort } = procsSpec.get(name)!;
    const own = { ...common, GRPC_PORT: String(port), KAFKA_GROUP_ID: `${app}-${group}` };
    if (app !== 'gateway') return own;
    return {
      ...own,
      HTTP_PORT: String(httpPort),
      INVENTORY_ADDR: `127.0.0.1:${portOf('inventory', n)}`,
      ORDER_STORE_ADDR: `127.0.0.1:${portOf('order-store', n)}`,
    };
  };

  const logDir = path.join(root, '.infra/logs/e2e', group);
  mkdirSync(logDir, { recursive: true });
  const procs = new Map<string, ChildProcess>();
  /** Starts (or restarts) a process by name and waits until it serves. */
  const start = async (name: string) => {
    const { app, port } = procsSpec.get(name)!;
    const { command, args } = serviceCommand(app, serviceBundle(root, app), infra.backgroundSched);
    const child = spawn(command, args, { env: envOf(name), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    procs.set(name, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before serving; see ${logDir}/${name}.log`))),
    );
    const serving = eventually(async () => (await checkHealth(`127.0.0.1:${port}`, 500)) === 'SERVING', {
      timeoutMs: 60_000,
      what: `${name} to serve (logs: ${logDir})`,
    });
    // Whichever loses the race settles unobserved: a later exit (a test stopping it) is not a failure to start.
    for (const p of [serving, exited]) p.catch(() => undefined);
    await Promise.race([serving, exited]);
  };
  /** Stops a process by name with a signal; resolves with how it exited and how long it took. */
  const stopApp = async (name: string, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = procs.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return { code: child?.exitCode ?? null, ms: 0 };
    const began = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return { code: await exited, ms: Date.now() - began };
  };
  for (const name of procsSpec.keys()) await start(name);

  const gatewayAddr = `127.0.0.1:${ports.gateway}`;
  const pgDirect = new pg.Pool({ host: infra.postgresHost, port: infra.postgresPort, user: infra.postgresUser, password: infra.postgresPassword, database: db.name, max: 4 });
  const mongo = await MongoClient.connect(infra.mongodbUri);

  return {
    ports,
    kafka,
    topicPrefix: topics.prefix,
    /** Resolves once every consumer group has all its instances as members and is Stable. */
    consumersSettled: () =>
      eventually(
        async () => {
          for (const app of ['inventory', 'payment', 'order-store']) {
            const { state, members } = await kafka.describeGroup(`${app}-${group}`);
            if (state !== 'Stable' || members !== instances) return false;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: 'consumer groups to settle' },
      ),
    dbName: db.name,
    mongoDbName: mongoDb.name,
    names: [...procsSpec.keys()],
    grpcPort: (name: string) => procsSpec.get(name)!.port,
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
    /**
     * Waits for the system to be quiet and consistent (an order-store still
     * catching up looks like drift for a while), then returns the invariants
     * report; after timeoutMs it returns the last report, drift and all.
     */
    async quietInvariants(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const report = await checkInvariants(pgDirect, mongo.db(mongoDb.name), 1000);
        if ((report.inFlight === 0 && report.drift.length === 0) || Date.now() > deadline) return report;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop() {
      for (const name of [...procsSpec.keys()].reverse()) await stopApp(name);
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
