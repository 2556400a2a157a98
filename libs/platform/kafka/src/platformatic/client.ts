import type { Admin } from '@platformatic/kafka';
import { unavailable } from '@order-system/errors';
import { drainUpTo, withTraceContext, type KafkaBackend, type KafkaOptions, type OutgoingMessage, type Producer } from '../backend.js';
import type { ConsumerOptions, IncomingMessage } from '../consumer.js';
import type { TopicSpec } from '../topics.js';
import { PlatformaticConsumer } from './consumer.js';
import { baseOptions, platformatic } from './load.js';

/** Group states as the broker names them (and kafkajs passes them on); @platformatic/kafka upper-cases them. */
const groupStates: Record<string, string> = {
  STABLE: 'Stable',
  EMPTY: 'Empty',
  DEAD: 'Dead',
  PREPARINGREBALANCE: 'PreparingRebalance',
  COMPLETINGREBALANCE: 'CompletingRebalance',
};

/** The @platformatic/kafka backend (KAFKA_CLIENT=platformatic). */
export class PlatformaticClient implements KafkaBackend {
  constructor(private readonly opts: KafkaOptions) {}

  private async admin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const { Admin } = await platformatic();
    const admin = new Admin(baseOptions(this.opts));
    try {
      return await use(admin);
    } finally {
      await admin.close();
    }
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.admin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      for (const { topic, partitions } of missing) {
        try {
          await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
        } catch (err) {
          // Another service created it meanwhile (kafkajs' createTopics resolves false then).
          if (!(err as { findBy?: (p: string, v: unknown) => unknown }).findBy?.('apiId', 'TOPIC_ALREADY_EXISTS')) throw err;
        }
      }
      if (missing.length > 0) await waitForLeaders(admin, missing.map((t) => t.topic));
    });
  }

  async deleteTopicsWithPrefix(prefix: string): Promise<void> {
    await this.admin(async (admin) => {
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
    const { ListOffsetTimestamps } = await platformatic();
    return this.admin(async (admin) => {
      const partitions = [...Array((await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0).keys()];
      const offsets = async (timestamp: bigint) => {
        const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
        return new Map(listed?.partitions.map((p) => [p.partitionIndex, Number(p.offset)]));
      };
      const [low, high] = await Promise.all([offsets(ListOffsetTimestamps.EARLIEST), offsets(ListOffsetTimestamps.LATEST)]);
      const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }] });
      const committed = new Map(group?.topics.find((t) => t.name === topic)?.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)]));
      const count = await drainUpTo(
        partitions.map((partition) => ({ partition, low: low.get(partition) ?? 0, high: high.get(partition) ?? 0 })),
        (partition) => committed.get(partition) ?? -1,
        (reader) => this.consumer({ groupId, topic, handle: reader }),
        handle,
      );
      // A group that had nothing to read never existed.
      if (temporary && count > 0) await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
      return count;
    });
  }

  async describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    return this.admin(async (admin) => {
      const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
      return { state: group ? (groupStates[group.state] ?? group.state) : 'Unknown', members: group?.members.size ?? 0 };
    });
  }

  async partitionCount(topic: string): Promise<number> {
    return this.admin(async (admin) => (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0);
  }

  async producer(): Promise<Producer> {
    const kafka = await platformatic();
    const open = () =>
      new kafka.Producer({
        ...baseOptions(this.opts),
        idempotent: true,
        acks: kafka.ProduceAcks.ALL,
        // murmur2 as in Java and kafkajs' DefaultPartitioner, so a key lands on the same
        // partition whichever client produced it (the default partitioner differs).
        partitioner: kafka.compatibilityPartitioner,
        serializers: { key: kafka.stringSerializer, headerKey: kafka.stringSerializer, headerValue: kafka.stringSerializer },
      });
    let producer = open();
    try {
      await producer.initIdempotentProducer({}); // connected, as kafkajs' producer.connect() leaves it
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw err;
    }
    const sendNow = async (topic: string, messages: OutgoingMessage[]) => {
      try {
        await producer.send({
          messages: messages.map((m) => ({ topic, key: m.key, value: Buffer.from(m.value), headers: withTraceContext(m.headers) })),
        });
      } catch (err) {
        // The client has retried already: the broker is away. Callers retry later, never dead-letter.
        // 1.x keeps its idempotence state after a failed send, which the broker may no longer
        // share (platformatic/kafka#309, fixed in 2.x only): the next send opens a new producer.
        const failed = producer;
        producer = open();
        void failed.close().catch(() => undefined);
        throw unavailable(`Kafka is unavailable: ${(err as Error).message}`, err);
      }
    };
    // One send at a time, as kafkajs' maxInFlightRequests: 1. 1.x numbers an idempotent batch when
    // it sends it but counts it only once acknowledged: concurrent sends to a partition would reuse
    // sequence numbers, and the broker would drop all but one as duplicates (platformatic/kafka#326).
    let queue: Promise<unknown> = Promise.resolve();
    return {
      send: (topic, messages) => {
        const sent = queue.then(() => sendNow(topic, messages));
        queue = sent.catch(() => undefined);
        return sent;
      },
      close: async () => {
        await queue;
        await producer.close();
      },
    };
  }

  consumer(options: Omit<ConsumerOptions, 'deadLetterProducer'>): PlatformaticConsumer {
    return new PlatformaticConsumer(this.opts, { deadLetterProducer: () => this.producer(), ...options }, this.opts.log);
  }
}

/** Until every partition of the topics has a leader, for at most 5 s (kafkajs' createTopics({ waitForLeaders: true })). */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    try {
      const metadata = await admin.metadata({ topics, forceUpdate: true });
      if (topics.every((t) => metadata.topics.get(t)?.partitions.every((p) => p.leader >= 0))) return;
    } catch {
      // not known to the broker we asked yet
    }
  }
}
