import { counter, gauge, histogram, type MetricsRegistry } from '@order-system/metrics';

export type Outcome = 'ok' | 'retry' | 'dead_lettered';

/** What one consumer (a topic and group) records. */
export function consumerMetrics(registry: MetricsRegistry, topic: string, group: string) {
  const duration = histogram(registry, {
    name: 'kafka_consume_duration_seconds',
    help: 'Time the handler took on one attempt at a message (its share of a batch), by outcome: ok, retry (failed, retried) or dead_lettered.',
    labelNames: ['topic', 'group', 'outcome'],
  });
  const lag = gauge(registry, {
    name: 'kafka_consumer_lag',
    help: 'Messages of a partition not yet processed by the group, as of its last fetch (high watermark - next offset).',
    labelNames: ['topic', 'partition', 'group'],
  });
  const deadLettered = counter(registry, {
    name: 'kafka_dead_lettered_total',
    help: 'Messages sent to the dead-letter topic.',
    labelNames: ['topic', 'group'],
  });
  const partitions = new Set<number>();
  return {
    /**
     * Starts timing one attempt at `messages` messages (a batch); call the
     * result with its outcome. Each message is recorded with its share of the time.
     */
    attempt(messages = 1): (outcome: Outcome) => void {
      const start = performance.now();
      return (outcome) => {
        const share = (performance.now() - start) / 1000 / messages;
        for (let i = 0; i < messages; i++) duration.observe({ topic, group, outcome }, share);
      };
    },
    lag(partition: number, messages: number) {
      partitions.add(partition);
      lag.set({ topic, partition: String(partition), group }, Math.max(0, messages));
    },
    /** After a rebalance: forget the partitions this member no longer owns. */
    assigned(owned: number[]) {
      for (const p of partitions) {
        if (owned.includes(p)) continue;
        lag.remove({ topic, partition: String(p), group });
        partitions.delete(p);
      }
    },
    deadLettered: () => deadLettered.inc({ topic, group }),
  };
}

export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;
