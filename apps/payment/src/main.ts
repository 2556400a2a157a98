import { startGrpcServer } from '@order-system/grpc';
import { KafkaClient } from '@order-system/kafka';
import { Lifecycle, runMain, startupStep } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { createMetricsRegistry, startMetricsServer } from '@order-system/metrics';
import { descriptorSetBase64 } from '@order-system/proto';
import { startTracing } from '@order-system/tracing';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('payment', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'payment', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();
  if (config.otelEnabled) life.defer('tracing', (await startTracing({ service: 'payment' })).shutdown);
  const metrics = createMetricsRegistry();
  const metricsServer = await startMetricsServer({ host: config.bindHost, port: config.httpPort, registry: metrics });
  life.defer('metrics server', () => metricsServer.close());

  const kafka = new KafkaClient({ brokers: config.kafkaBrokers, clientId: 'payment', log });
  const producer = await startupStep('kafka', () => kafka.producer(), log);
  life.defer('kafka producer', () => producer.close());

  const service = buildService(config, { kafka, producer, log, metrics });
  const server = await startGrpcServer({
    host: config.bindHost,
    port: config.grpcPort,
    services: service.grpcServices,
    descriptorSetBase64,
    log,
    metrics,
  });
  life.defer('grpc server', () => server.close(config.shutdownTimeoutMs / 2));
  await service.start();
  life.defer('consumer', () => service.stop());

  log.info({ grpcPort: server.port, httpPort: metricsServer.port, failureRate: config.paymentFailureRate }, 'payment listening');
});
