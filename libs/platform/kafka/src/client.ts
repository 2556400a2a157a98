import { context, propagation } from '@opentelemetry/api';
import { Kafka, logLevel, Partitioners, type LogEntry, type Producer as KafkaProducer } from 'kafkajs';
import { unavailable } from '@order-system/errors';
import type { Logger } from 'pino';
import type { TopicSpec } from './topics.js';
import { Consumer, type ConsumerOptions, type IncomingMessage } from './consumer.js';

/**
 * Our only door to Kafka: kafkajs stays behind this lib so it can be swapped.
 */
export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
}

export interface OutgoingMessage {
  key: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

export interface Producer {
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** The headers, plus traceparent when a span is active and tracing is on (else unchanged). */
function withTraceContext(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? headers : { ...carrier, ...headers };
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export class KafkaClient {
  private readonly kafka: Kafka;

  constructor(private readonly opts: KafkaOptions) {
    const log = opts.log.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: 3000,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...rest } = entry;
          log[levels[level] ?? 'info'](rest, message);
        },
    });
  }

  /** Creates missing topics; leaves existing ones alone. */
  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Deletes every topic whose name starts with prefix (test clean-up). */
  async deleteTopicsWithPrefix(prefix: string): Promise<void> {
    if (!prefix) throw new Error('refusing to delete every topic');
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Hands handle() every message of `topic` that consumer group `groupId` has
   * not committed yet, up to the end of the topic as it is now, then stops.
   * A temporary group (a one-off reader) is deleted afterwards. Returns the count.
   */
  async drain(
    topic: string,
    groupId: string,
    handle: (message: IncomingMessage) => Promise<void>,
    { temporary = false } = {},
  ): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const start = (partition: number) => {
        const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
        return offset >= 0 ? offset : 0;
      };
      const pending = new Map(
        ends
          .filter((e) => Number(e.high) > Math.max(Number(e.low), start(e.partition)))
          .map((e) => [e.partition, Number(e.high)] as const),
      );
      if (pending.size === 0) return 0;
      let count = 0;
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const consumer = this.consumer({
        groupId,
        topic,
        handle: async (message) => {
          const end = pending.get(message.partition);
          if (end === undefined || Number(message.offset) >= end) return 'hold'; // arrived after we started: not ours
          await handle(message);
          count++;
          if (Number(message.offset) + 1 >= end) {
            pending.delete(message.partition);
            if (pending.size === 0) finished();
          }
        },
      });
      await consumer.start();
      await done;
      await consumer.stop();
      if (temporary) await admin.deleteGroups([groupId]).catch(() => undefined);
      return count;
    } finally {
      await admin.disconnect();
    }
  }

  /** A consumer group's state ('Stable' once a rebalance is over) and how many members it has. */
  async describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      return { state: groups[0]?.state ?? 'Unknown', members: groups[0]?.members.length ?? 0 };
    } finally {
      await admin.disconnect();
    }
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length ?? 0;
    } finally {
      await admin.disconnect();
    }
  }

  /** An idempotent producer with acks=all, connected. */
  async producer(): Promise<Producer> {
    const producer: KafkaProducer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return {
      send: async (topic, messages) => {
        try {
          await producer.send({
            topic,
            acks: -1,
            messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value), headers: withTraceContext(m.headers) })),
          });
        } catch (err) {
          // kafkajs has retried already: the broker is away. Callers retry later, never dead-letter.
          throw unavailable(`Kafka is unavailable: ${(err as Error).message}`, err);
        }
      },
      close: () => producer.disconnect(),
    };
  }

  consumer(options: Omit<ConsumerOptions, 'deadLetterProducer'>): Consumer {
    return new Consumer(this.kafka, { deadLetterProducer: () => this.producer(), ...options }, this.opts.log);
  }
}
