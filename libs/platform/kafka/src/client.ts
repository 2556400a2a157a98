import { type KafkaBackend, type KafkaClientName, type KafkaOptions, type Producer } from './backend.js';
import type { Consumer, ConsumerOptions, IncomingMessage } from './consumer.js';
import { KafkajsClient } from './kafkajs/client.js';
import { PlatformaticClient } from './platformatic/client.js';
import type { TopicSpec } from './topics.js';

export type { KafkaClientName, KafkaOptions, OutgoingMessage, Producer } from './backend.js';

/**
 * Our only door to Kafka: the client library (kafkajs or @platformatic/kafka,
 * see KafkaOptions.client) stays behind this lib so it can be swapped.
 */
export class KafkaClient {
  /** The client library in use. */
  readonly client: KafkaClientName;
  private readonly backend: KafkaBackend;

  constructor(opts: KafkaOptions) {
    this.client = opts.client ?? 'kafkajs';
    this.backend = this.client === 'platformatic' ? new PlatformaticClient(opts) : new KafkajsClient(opts);
  }

  /** Creates missing topics; leaves existing ones alone. */
  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.backend.ensureTopics(topics);
  }

  /** Deletes every topic whose name starts with prefix (test clean-up). */
  async deleteTopicsWithPrefix(prefix: string): Promise<void> {
    if (!prefix) throw new Error('refusing to delete every topic');
    await this.backend.deleteTopicsWithPrefix(prefix);
  }

  /**
   * Hands handle() every message of `topic` that consumer group `groupId` has
   * not committed yet, up to the end of the topic as it is now, then stops.
   * A temporary group (a one-off reader) is deleted afterwards. Returns the count.
   */
  drain(
    topic: string,
    groupId: string,
    handle: (message: IncomingMessage) => Promise<void>,
    { temporary = false } = {},
  ): Promise<number> {
    return this.backend.drain(topic, groupId, handle, { temporary });
  }

  /** A consumer group's state ('Stable' once a rebalance is over) and how many members it has. */
  describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    return this.backend.describeGroup(groupId);
  }

  partitionCount(topic: string): Promise<number> {
    return this.backend.partitionCount(topic);
  }

  /** An idempotent producer with acks=all, connected. */
  producer(): Promise<Producer> {
    return this.backend.producer();
  }

  consumer(options: Omit<ConsumerOptions, 'deadLetterProducer'>): Consumer {
    return this.backend.consumer(options);
  }
}
