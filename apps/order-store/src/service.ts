import { topicNames, type KafkaClient } from '@order-system/kafka';
import type { Logger } from '@order-system/logger';
import { createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import type { Db } from 'mongodb';
import { OrderMongoRepository } from './adapters/order-mongo-repository.js';
import { OrderChanges } from './app/order-changes.js';
import type { Config } from './config.js';
import { orderStoreGrpcService } from './ports/grpc.js';
import { orderEventsHandler } from './ports/order-events-consumer.js';

export interface Infra {
  db: Db;
  kafka: KafkaClient;
  log: Logger;
  /** The process's Prometheus registry; a fresh one if not given. */
  metrics?: MetricsRegistry;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { db, kafka, log, metrics = createMetricsRegistry() }: Infra) {
  const repo = new OrderMongoRepository(db);
  const changes = new OrderChanges();
  const topics = topicNames(config.kafkaTopicPrefix);
  const { start: startHolding, stop: stopHolding, ...handler } = orderEventsHandler(repo, changes, log, metrics, config.pendingHoldMs);
  const consumer = kafka.consumer({
    groupId: config.kafkaGroupId,
    topic: topics.orderEvents,
    ...handler,
    batchWaitMs: config.kafkaBatchWaitMs,
    metrics,
  });
  return {
    repo,
    metrics,
    grpcServices: [orderStoreGrpcService(repo, changes, config.watchPollMs)],
    async start() {
      await repo.ensureIndexes();
      startHolding();
      await consumer.start();
    },
    // Orders still held when it stops are left uncommitted, for the next instance.
    async stop() {
      await stopHolding();
      await consumer.stop();
    },
  };
}
