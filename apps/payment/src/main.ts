import { startGrpcServer } from '@order-system/grpc';
import { KafkaClient } from '@order-system/kafka';
import { Lifecycle, runMain, startupStep } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { descriptorSetBase64 } from '@order-system/proto';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('payment', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'payment', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();

  const kafka = new KafkaClient({ brokers: config.kafkaBrokers, clientId: 'payment', log });
  const producer = await startupStep('kafka', () => kafka.producer(), log);
  life.defer('kafka producer', () => producer.close());

  const service = buildService(config, { kafka, producer, log });
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

  log.info({ grpcPort: server.port, failureRate: config.paymentFailureRate }, 'payment listening');
});
