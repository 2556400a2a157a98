import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KafkaClient, kafkaSecurity, topicNames } from '@order-system/kafka';
import { serviceEnv } from '@order-system/local-stack';
import { ensureDevKeys } from '@order-system/auth';
import { APPS, freePorts, Launcher, serviceBundle, systemProcesses, type App } from '@order-system/launcher';
import { createLogger } from '@order-system/logger';
import { freePort } from '@order-system/testing';
import { MongoClient, type Db } from 'mongodb';
import pg from 'pg';
import type { BenchConfig } from './config.js';

export const root = path.resolve(import.meta.dirname, '../../..');
export { APPS, type App };

const bundleOf = (app: App) => serviceBundle(root, app);

/**
 * Builds the four bundles (through the Nx cache, so a no-op when nothing
 * changed), unless told not to and they exist: a bench of stale bundles
 * measures code that is no longer there.
 */
export function ensureBuilt(build: boolean): void {
  if (!build && APPS.every((app) => existsSync(bundleOf(app)))) return;
  console.log('building the services…');
  const result = spawnSync('npx', ['nx', 'run-many', '-t', 'build', `--projects=${APPS.join(',')}`, '--output-style=static'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the services failed');
}

/** What was benched: the commit, whether apps/ or libs/ differ from it, and when each bundle was built. */
export function buildInfo(): { commit: string; uncommitted_changes: boolean; bundles_built_at: Record<string, string> } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommitted_changes: git('status', '--porcelain', '--', 'apps', 'libs') !== '',
    bundles_built_at: Object.fromEntries(APPS.filter((app) => existsSync(bundleOf(app))).map((app) => [app, statSync(bundleOf(app)).mtime.toISOString()])),
  };
}

/** The system under load: where it answers, its stores, and how to stop what the bench started. */
export interface System {
  isolated: boolean;
  gatewayAddr: string;
  /** The private key that signs the tokens the gateway accepts. */
  authKeyFile: string;
  dbName: string;
  pg: pg.Pool;
  mongo: Db;
  /** Each service's /metrics, by app. */
  metricsUrls: Map<string, string>;
  /** The spawned services' pids (empty for an external system). */
  pids(): Map<string, number>;
  logDir?: string;
  /** Called when a spawned service exits on its own. */
  onCrash(handler: (app: App, how: string) => void): void;
  /** Stops the spawned services (SIGTERM, in reverse start order); idempotent. */
  stopServices(): Promise<void>;
  /** Stops the services and removes the database, Mongo db and topics; closes clients. Idempotent. */
  cleanup(): Promise<void>;
  /** SIGKILLs the spawned services now: for a process exiting in a hurry. */
  killNow(): void;
}

const pgPool = (cfg: BenchConfig, database: string) =>
  new pg.Pool({ host: cfg.postgresHost, port: cfg.postgresPort, user: cfg.postgresUser, password: cfg.postgresPassword, database, max: 4 });

async function adminQuery(cfg: BenchConfig, sql: string) {
  const client = new pg.Client({ host: cfg.postgresHost, port: cfg.postgresPort, user: cfg.postgresUser, password: cfg.postgresPassword, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function connectExternal(cfg: BenchConfig): Promise<System> {
  const pool = pgPool(cfg, cfg.postgresDb);
  const mongo = await MongoClient.connect(cfg.mongodbUri, { serverSelectionTimeoutMS: 5000 });
  let closed = false;
  const cleanup = async () => {
    if (closed) return;
    closed = true;
    await pool.end();
    await mongo.close();
  };
  return {
    isolated: false,
    gatewayAddr: cfg.gatewayAddr,
    authKeyFile: cfg.authKeyFile || path.join(root, '.infra/auth/dev-signing-key.json'),
    dbName: cfg.postgresDb,
    pg: pool,
    mongo: mongo.db(cfg.mongodbDb),
    metricsUrls: new Map(
      (
        [
          ['gateway', cfg.gatewayMetricsUrl],
          ['inventory', cfg.inventoryMetricsUrl],
          ['payment', cfg.paymentMetricsUrl],
          ['order-store', cfg.orderStoreMetricsUrl],
        ] as const
      ).filter(([, url]) => url !== ''),
    ),
    pids: () => new Map(),
    onCrash: () => {},
    stopServices: async () => {},
    cleanup,
    killNow: () => {},
  };
}

export interface IsolatedOptions {
  runId: string;
  paymentFailureRate: number;
  /** Passes --cpu-prof --cpu-prof-dir=<dir>/<app> to each service. */
  profileDir?: string;
  logDir: string;
  /** Where the run's token-signing keys go. */
  authDir: string;
}

/**
 * The whole system as users run it, on its own: the four built services as
 * separate processes on free ports, against a fresh PostgreSQL database, Mongo
 * database and Kafka topic prefix, all named after the run.
 */
export async function startIsolated(cfg: BenchConfig, opts: IsolatedOptions): Promise<System> {
  const name = `bench_${opts.runId}`;
  const topicPrefix = `bench-${opts.runId}.`;
  const log = createLogger({ service: 'bench', level: 'warn' });
  const kafka = new KafkaClient({ brokers: cfg.kafkaBrokers, clientId: 'bench', log, ...kafkaSecurity(cfg) });
  let launcher: Launcher | undefined;
  let pool: pg.Pool | undefined;
  let mongo: MongoClient | undefined;

  const stopServices = async () => launcher?.stopAll();
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await stopServices();
      const steps: [string, () => Promise<unknown>][] = [
        ['close PostgreSQL pool', async () => pool?.end()],
        ['close MongoDB client', async () => mongo?.close()],
        [`drop database ${name}`, () => adminQuery(cfg, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)],
        [`drop Mongo db ${name}`, async () => {
          const client = await MongoClient.connect(cfg.mongodbUri, { serverSelectionTimeoutMS: 5000 });
          try {
            await client.db(name).dropDatabase();
          } finally {
            await client.close();
          }
        }],
        [`delete topics ${topicPrefix}*`, () => kafka.deleteTopicsWithPrefix(topicPrefix)],
      ];
      for (const [what, step] of steps) {
        await step().catch((err: unknown) => console.error(`cleanup: could not ${what}: ${(err as Error).message}`));
      }
    })());

  try {
    await adminQuery(cfg, `CREATE DATABASE ${name} OWNER ${cfg.postgresMigrationUser}`);
    await kafka.provision(topicNames(topicPrefix));
    const keys = await ensureDevKeys(opts.authDir);
    const processes = await systemProcesses({
      ports: freePorts(freePort),
      groupSuffix: `-bench-${opts.runId}`,
      appEnv: serviceEnv,
      env: {
        LOG_LEVEL: cfg.serviceLogLevel,
        BIND_HOST: '127.0.0.1',
        KAFKA_BROKERS: cfg.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: topicPrefix,
        POSTGRES_HOST: cfg.postgresHost,
        POSTGRES_PORT: String(cfg.postgresPort),
        POSTGRES_DB: name,
        POSTGRES_POOL_SIZE: String(cfg.postgresPoolSize),
        MONGODB_URI: cfg.mongodbUri,
        MONGODB_DB: name,
        PAYMENT_FAILURE_RATE: String(opts.paymentFailureRate),
        AUTH_JWKS_FILE: keys.jwksFile,
      },
    });
    launcher = new Launcher(processes, {
      root,
      logDir: opts.logDir,
      sched: cfg.backgroundSched,
      startTimeoutMs: cfg.startTimeoutMs,
      // Own process groups: a Ctrl-C reaches the bench, which stops the services in order.
      detached: true,
      nodeArgs: (p) => {
        if (!opts.profileDir) return [];
        const dir = path.join(opts.profileDir, p.app);
        mkdirSync(dir, { recursive: true });
        return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
      },
    });
    await launcher.startAll();
    pool = pgPool(cfg, name);
    mongo = await MongoClient.connect(cfg.mongodbUri, { serverSelectionTimeoutMS: 5000 });
    const at = (app: App) => processes.find((p) => p.app === app)!;
    const running = launcher;
    return {
      isolated: true,
      gatewayAddr: `127.0.0.1:${at('gateway').grpcPort}`,
      authKeyFile: keys.privateKeyFile,
      dbName: name,
      pg: pool,
      mongo: mongo.db(name),
      metricsUrls: new Map(APPS.map((app) => [app, `http://127.0.0.1:${at(app).adminPort}/metrics`])),
      pids: () => running.pids(),
      logDir: opts.logDir,
      onCrash: (handler) => running.onUnexpectedExit((app, how) => handler(app as App, how)),
      stopServices,
      cleanup,
      killNow: () => running.killAll(),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
