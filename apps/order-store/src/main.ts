import { authorizeByCertificate, startGrpcServer, tlsFromFiles } from '@order-system/grpc';
import { KafkaClient, kafkaSecurity } from '@order-system/kafka';
import { Lifecycle, runMain, startupStep } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { createMetricsRegistry, startAdminServer } from '@order-system/metrics';
import { descriptorSetBase64 } from '@order-system/proto';
import { startTracing } from '@order-system/tracing';
import { connectMongo } from './adapters/mongo.js';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('order-store', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'order-store', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();
  if (config.otelEnabled) life.defer('tracing', (await startTracing({ service: 'order-store' })).shutdown);
  const metrics = createMetricsRegistry();
  let ready = false;
  const admin = await startAdminServer({ host: config.bindHost, port: config.adminPort, registry: metrics, readiness: async () => ({ ready }) });
  life.defer('admin server', () => admin.close());

  const { client, db } = await startupStep('mongodb', () => connectMongo(config.mongodbUri, config.mongodbDb), log);
  life.defer('mongodb', () => client.close());

  const tls = tlsFromFiles({ caFile: config.tlsCaFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const kafka = new KafkaClient({ brokers: config.kafkaBrokers, clientId: 'order-store', log, ...kafkaSecurity(config) });

  const service = buildService(config, { db, kafka, log, metrics });
  const server = await startGrpcServer({
    host: config.bindHost,
    port: config.grpcPort,
    services: service.grpcServices,
    descriptorSetBase64,
    log,
    metrics,
    tls,
    // Only the gateway reads orders (docs/design.md, "Service to service").
    authenticate: authorizeByCertificate({ '/orderstore.v1.OrderStoreService/*': ['gateway'] }),
  });
  life.defer('grpc server', () => server.close(config.shutdownTimeoutMs / 2));
  await service.start();
  life.defer('consumer', () => service.stop());
  ready = true;
  life.defer('readiness', () => void (ready = false));

  log.info({ grpcPort: server.port, adminPort: admin.port }, 'order-store listening');
});
