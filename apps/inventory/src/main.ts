import { KafkaClient, kafkaSecurity } from '@order-system/kafka';
import { Lifecycle, runMain, startupStep } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { createMetricsRegistry, startAdminServer } from '@order-system/metrics';
import { descriptorSetBase64 } from '@order-system/proto';
import { startTracing } from '@order-system/tracing';
import { authorizeByCertificate, startGrpcServer, tlsFromFiles } from '@order-system/grpc';
import { createPool, migrate, requireMigrated } from './adapters/postgres.js';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('inventory', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'inventory', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();
  if (config.otelEnabled) life.defer('tracing', (await startTracing({ service: 'inventory' })).shutdown);
  const metrics = createMetricsRegistry();
  let ready = false;
  const admin = await startAdminServer({ host: config.bindHost, port: config.adminPort, registry: metrics, readiness: async () => ({ ready }) });
  life.defer('admin server', () => admin.close());

  const database = { host: config.postgresHost, port: config.postgresPort, database: config.postgresDb };
  if (config.postgresMigrationUser) {
    const owner = createPool({ ...database, user: config.postgresMigrationUser, password: config.postgresMigrationPassword, poolSize: 1 }, log);
    await startupStep('postgres migrations', () => migrate(owner, log, { runtimeRole: config.postgresUser }), log).finally(() => owner.end());
  }
  if (process.argv[2] === 'migrate') return life.shutdown('migrations applied');

  const pool = createPool({ ...database, user: config.postgresUser, password: config.postgresPassword, poolSize: config.postgresPoolSize }, log);
  life.defer('postgres', () => pool.end());
  await startupStep('postgres schema', () => requireMigrated(pool), log);

  const tls = tlsFromFiles({ caFile: config.tlsCaFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const kafka = new KafkaClient({ brokers: config.kafkaBrokers, clientId: 'inventory', log, ...kafkaSecurity(config) });
  const producer = await startupStep('kafka', () => kafka.producer(), log);
  life.defer('kafka producer', () => producer.close());

  const service = buildService(config, { pool, kafka, producer, log, metrics });
  const server = await startGrpcServer({
    host: config.bindHost,
    port: config.grpcPort,
    services: service.grpcServices,
    descriptorSetBase64,
    log,
    metrics,
    tls,
    // Only the gateway calls inventory (docs/design.md, "Service to service").
    authenticate: authorizeByCertificate({ '/inventory.v1.InventoryService/*': ['gateway'] }),
  });
  life.defer('grpc server', () => server.close(config.shutdownTimeoutMs / 2));
  await service.start();
  life.defer('consumers', () => service.stop());
  ready = true;
  life.defer('readiness', () => void (ready = false));

  log.info({ grpcPort: server.port, adminPort: admin.port }, 'inventory listening');
});
