import { topicNames, type KafkaClient, type Producer } from '@order-system/kafka';
import type { Logger } from '@order-system/logger';
import { counter, createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import type pg from 'pg';
import { InventoryPostgresRepository } from './adapters/inventory-postgres-repository.js';
import { OutboxRelay } from './adapters/outbox-relay.js';
import { expireReservations } from './app/expire-reservations.js';
import type { Config } from './config.js';
import { inventoryGrpcService } from './ports/grpc.js';
import { paymentEventsHandler } from './ports/payment-events-consumer.js';

export interface Infra {
  pool: pg.Pool;
  kafka: KafkaClient;
  producer: Producer;
  log: Logger;
  /** The process's Prometheus registry; a fresh one if not given. */
  metrics?: MetricsRegistry;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { pool, kafka, producer, log, metrics = createMetricsRegistry() }: Infra) {
  const topics = topicNames(config.kafkaTopicPrefix);
  const relay = new OutboxRelay(pool, producer, log.child({ component: 'outbox' }), { lingerMs: config.kafkaBatchWaitMs });
  const repo = new InventoryPostgresRepository(pool, topics.orderEvents, () => relay.wake());
  const consumer = kafka.consumer({
    groupId: config.kafkaGroupId,
    topic: topics.paymentEvents,
    ...paymentEventsHandler(repo, log, metrics),
    batchWaitMs: config.kafkaBatchWaitMs,
    metrics,
  });
  const expired = counter(metrics, { name: 'inventory_reservations_expired_total', help: 'Reservations released because no payment result came in time.' });
  const released = counter(metrics, { name: 'stock_released_units_total', help: 'Reserved units put back on sale (declined or expired orders).' });
  const sweepEveryMs = Math.min(5000, Math.max(250, config.reservationTtlMs / 4));
  let sweeper: NodeJS.Timeout | undefined;

  return {
    repo,
    metrics,
    grpcServices: [inventoryGrpcService(repo, config.reservationTtlMs, metrics, log)],
    async start() {
      relay.start();
      await consumer.start();
      sweeper = setInterval(() => {
        expireReservations(repo).then(
          ({ count, units }) => {
            if (count === 0) return;
            expired.inc(count);
            released.inc(units);
            log.info({ expired: count, units }, 'reservations expired');
          },
          (err: unknown) => log.warn({ err }, 'expiry sweep failed'),
        );
      }, sweepEveryMs);
    },
    async stop() {
      clearInterval(sweeper);
      await consumer.stop();
      await relay.stop();
    },
  };
}
