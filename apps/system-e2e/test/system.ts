import path from 'node:path';
import { parseConfig } from '@order-system/config';
import { CATALOG_ADMIN, ORDERS_ADMIN } from '@order-system/auth';
import { checkHealth, createServiceClient, tlsFromFiles, type CallOptions } from '@order-system/grpc';
import { KafkaClient, topicNames } from '@order-system/kafka';
import { serviceEnv, tlsFiles } from '@order-system/local-stack';
import { catalog, orders } from '@order-system/proto';
import {
  createTestDatabase,
  createTestMongoDb,
  eventually,
  freePort,
  runId,
  tcpProxy,
  testAuth,
  testConfig,
  testLogger,
  testTopicPrefix,
} from '@order-system/testing';
import { checkInvariants } from '@order-system/invariants';
import { APPS, freePorts, launchConfig, Launcher, systemProcesses, type App } from '@order-system/launcher';
import { MongoClient } from 'mongodb';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '../../..');
export { APPS, type App };
const launch = parseConfig(process.env, launchConfig);

/** The local stack's operator certificate: a client the services' TLS lets in (health is open to it; nothing else is). */
export function operatorTls() {
  const f = tlsFiles('operator');
  return tlsFromFiles({ caFile: f.ca, certFile: f.cert, keyFile: f.key })!;
}

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
  /** The gateway serves the built web console (dist/console) under /console/, with the local stack's dev signer on. */
  console?: boolean;
}

export async function startSystem({ env = {}, instances = 1, console: withConsole = false }: SystemOptions = {}) {
  const infra = testConfig();
  const log = testLogger(infra);
  const db = await createTestDatabase(infra);
  const mongoDb = createTestMongoDb(infra);
  const topics = { prefix: testTopicPrefix() };
  // The admin sets the run's topics and ACLs up, and reads and writes them in the tests; each
  // service has its own principal.
  const kafka = new KafkaClient({ ...infra.kafka('admin'), clientId: 'test', log });
  await kafka.provision(topicNames(topics.prefix));
  const pgProxy = await tcpProxy(infra.postgresHost, infra.postgresPort);
  const mongoTarget = new URL(infra.mongodbUri);
  const mongoProxy = await tcpProxy(mongoTarget.hostname, Number(mongoTarget.port || 27017));
  mongoTarget.host = `127.0.0.1:${mongoProxy.port}`;

  const group = runId();
  const auth = await testAuth();
  const processes = await systemProcesses({
    ports: freePorts(freePort),
    instances,
    groupSuffix: `-${group}`,
    appEnv: serviceEnv,
    env: {
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
      BIND_HOST: '127.0.0.1',
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: topics.prefix,
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pgProxy.port),
      POSTGRES_DB: db.name,
      MONGODB_URI: mongoTarget.toString(),
      MONGODB_DB: mongoDb.name,
      WATCH_POLL_MS: '200',
      AUTH_JWKS_FILE: auth.jwksFile,
      // Generous, so that only the tests of the limits meet them.
      RATE_LIMIT_PER_S: '100000',
      RATE_LIMIT_BURST: '100000',
      ...(withConsole ? { CONSOLE_DIR: path.join(root, 'dist/console'), AUTH_DEV_SIGNER_KEY_FILE: auth.privateKeyFile } : {}),
      ...env,
    },
  });
  const logDir = path.join(root, '.infra/logs/e2e', group);
  const launcher = new Launcher(processes, { root, logDir, sched: launch.backgroundSched });
  await launcher.startAll();
  const at = (name: string) => processes.find((p) => p.name === name)!;
  const ports = { ...(Object.fromEntries(APPS.map((app) => [app, at(app).grpcPort])) as Record<App, number>), gatewayHttp: at('gateway').httpPort };

  const gatewayAddr = `127.0.0.1:${ports.gateway}`;
  const ordersClient = createServiceClient(orders.v1.OrderServiceService, gatewayAddr, { defaultTimeoutMs: 10_000 });
  const readAll = { authorization: await auth.bearer('e2e-reader', [ORDERS_ADMIN]) };
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
    names: processes.map((p) => p.name),
    grpcPort: (name: string) => at(name).grpcPort,
    logDir,
    http: `http://127.0.0.1:${ports.gatewayHttp}`,
    admin: (name: string) => `http://127.0.0.1:${at(name).adminPort}`,
    gatewayAddr,
    auth,
    /**
     * The gateway's OrderService as the tests mostly use it: an order is
     * placed with a token of its own customer, and read with an orders:admin
     * token. The tests of ownership make their own calls.
     */
    orders: {
      createOrder: async (req: orders.v1.CreateOrderRequest, opts: CallOptions = {}) =>
        ordersClient.createOrder(req, { ...opts, headers: { authorization: await auth.bearer(req.customer?.userId || 'e2e-customer') } }),
      getOrder: (req: orders.v1.GetOrderRequest, opts: CallOptions = {}) => ordersClient.getOrder(req, { ...opts, headers: readAll }),
      listOrders: (req: orders.v1.ListOrdersRequest, opts: CallOptions = {}) => ordersClient.listOrders(req, { ...opts, headers: readAll }),
      watchOrder: (req: orders.v1.WatchOrderRequest, opts: CallOptions = {}) => ordersClient.watchOrder(req, { ...opts, headers: readAll }),
    },
    ordersClient,
    catalog: createServiceClient(catalog.v1.CatalogServiceService, gatewayAddr, { headers: { authorization: await auth.bearer('e2e-customer') } }),
    /** The catalog with a catalog:admin token: how products are managed. */
    catalogAdmin: createServiceClient(catalog.v1.CatalogServiceService, gatewayAddr, { headers: { authorization: await auth.bearer('e2e-catalog', [CATALOG_ADMIN]) } }),
    pg: pgDirect,
    mongo: mongo.db(mongoDb.name),
    pgProxy,
    mongoProxy,
    /** grpc.health.v1 of a process, over mutual TLS with the operator's certificate where the process demands it. */
    grpcHealth: (name: string) => {
      const p = at(name);
      const tls = p.app === 'gateway' ? undefined : { material: operatorTls(), serverName: p.app };
      return checkHealth(`127.0.0.1:${p.grpcPort}`, 2000, '', tls);
    },
    start: (name: string) => launcher.start(name),
    stopApp: (name: string, signal: NodeJS.Signals = 'SIGTERM') => launcher.stop(name, signal),
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
      await launcher.stopAll();
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
