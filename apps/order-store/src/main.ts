import { startGrpcServer } from '@order-system/grpc';
import { KafkaClient } from '@order-system/kafka';
import { Lifecycle, runMain, startupStep } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { descriptorSetBase64 } from '@order-system/proto';
import { connectMongo } from './adapters/mongo.js';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('order-store', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'order-store', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();

  const { client, db } = await startupStep('mongodb', () => connectMongo(config.mongodbUri, config.mongodbDb), log);
  life.defer('mongodb', () => client.close());

  const kafka = new KafkaClient({ brokers: config.kafkaBrokers, clientId: 'order-store', log });

  const service = buildService(config, { db, kafka, log });
  const server = await startGrpcServer({
    host: config.bindHost,
    port: config.grpcPort,
    services: service.grpcServices,
    descriptorSetBase64,
    log,
  });
  life.defer('grpc server', () => server.close(config.shutdownTimeoutMs / 2));
  await service.start();
  life.defer('consumer', () => service.stop());

  log.info({ grpcPort: server.port }, 'order-store listening');
});
