import { topicNames, type KafkaClient, type Producer } from '@order-system/kafka';
import type { Logger } from '@order-system/logger';
import { createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import type { Config } from './config.js';
import { orderEventsHandler } from './ports/order-events-consumer.js';

export interface Infra {
  kafka: KafkaClient;
  producer: Producer;
  log: Logger;
  /** The process's Prometheus registry; a fresh one if not given. */
  metrics?: MetricsRegistry;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { kafka, producer, log, metrics = createMetricsRegistry() }: Infra) {
  const topics = topicNames(config.kafkaTopicPrefix);
  const consumer = kafka.consumer({
    groupId: config.kafkaGroupId,
    topic: topics.orderEvents,
    ...orderEventsHandler(producer, topics.paymentEvents, config.paymentFailureRate, log, metrics),
    batchWaitMs: config.kafkaBatchWaitMs,
    metrics,
  });
  return {
    metrics,
    /** Payment has no RPCs of its own: only health and reflection. */
    grpcServices: [],
    async start() {
      await consumer.start();
    },
    stop: () => consumer.stop(),
  };
}
