import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer as KafkaProducer } from 'kafkajs';
import { unavailable } from '@order-system/errors';
import { drainUpTo, withTraceContext, type KafkaBackend, type KafkaOptions, type Producer } from '../backend.js';
import type { ConsumerOptions, IncomingMessage } from '../consumer.js';
import type { TopicSpec } from '../topics.js';
import { KafkajsConsumer } from './consumer.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The kafkajs backend (the default). */
export class KafkajsClient implements KafkaBackend {
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

  /** Runs fn with a connected admin client, disconnected afterwards. */
  private async admin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.admin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
        });
      }
    });
  }

  async deleteTopicsWithPrefix(prefix: string): Promise<void> {
    return this.admin(async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    });
  }

  async drain(
    topic: string,
    groupId: string,
    handle: (message: IncomingMessage) => Promise<void>,
    { temporary = false } = {},
  ): Promise<number> {
    return this.admin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const count = await drainUpTo(
        ends.map((e) => ({ partition: e.partition, low: Number(e.low), high: Number(e.high) })),
        (partition) => Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1),
        (reader) => this.consumer({ groupId, topic, handle: reader }),
        handle,
      );
      // A group that had nothing to read never existed.
      if (temporary && count > 0) await admin.deleteGroups([groupId]).catch(() => undefined);
      return count;
    });
  }

  async describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    return this.admin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      return { state: groups[0]?.state ?? 'Unknown', members: groups[0]?.members.length ?? 0 };
    });
  }

  async partitionCount(topic: string): Promise<number> {
    return this.admin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length ?? 0;
    });
  }

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

  consumer(options: Omit<ConsumerOptions, 'deadLetterProducer'>): KafkajsConsumer {
    return new KafkajsConsumer(this.kafka, { deadLetterProducer: () => this.producer(), ...options }, this.opts.log);
  }
}
