import { readFileSync } from 'node:fs';
import { context, propagation } from '@opentelemetry/api';
import { unavailable } from '@order-system/errors';
import kafkajs, { Kafka, logLevel, Partitioners, type Admin, type LogEntry } from 'kafkajs';
import { systemAcls, type Grant } from './acls.js';
import type { Logger } from 'pino';
import { Consumer, type ConsumerOptions, type IncomingMessage } from './consumer.js';
import { topicSpecs, type Topics, type TopicSpec } from './topics.js';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** The principal this client authenticates as (SASL/SCRAM-SHA-512); without it, anonymous. */
  sasl?: { username: string; password: string };
  /** The CA that signed the brokers' certificates (PEM): the connection is TLS. */
  ca?: string;
  /** How often a failed request is retried before it fails (default 8, with backoff up to 5 s). */
  retries?: number;
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

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Our only door to Kafka. The client library (kafkajs) stays behind this lib,
 * so that moving to another one touches this lib alone.
 */
export class KafkaClient {
  private readonly kafka: Kafka;

  constructor(private readonly opts: KafkaOptions) {
    const log = opts.log.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      ssl: opts.ca ? { ca: [opts.ca] } : undefined,
      sasl: opts.sasl && { mechanism: 'scram-sha-512', ...opts.sasl },
      connectionTimeout: 3000,
      retry: { initialRetryTime: 200, retries: opts.retries ?? 8, maxRetryTime: 5000 },
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
  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.admin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({ waitForLeaders: false, topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })) });
      await untilLed(admin, missing.map((t) => t.topic));
    });
  }

  /**
   * The system's topics (with a test run's prefix, say) and the ACLs that let
   * each service use them: what tools/infra does for the real ones. Needs an
   * admin principal; idempotent.
   */
  async provision(topics: Topics): Promise<void> {
    await this.ensureTopics(topicSpecs(topics));
    await this.ensureAcls(systemAcls(topics));
  }

  /** Grants the ACLs (idempotent: a grant that exists already is left as it is). Needs an admin principal. */
  ensureAcls(grants: Grant[]): Promise<void> {
    // Not named exports of kafkajs's CommonJS module as ESM sees it.
    const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
    const operation = { read: AclOperationTypes.READ, write: AclOperationTypes.WRITE, describe: AclOperationTypes.DESCRIBE, delete: AclOperationTypes.DELETE };
    return this.admin(async (admin) => {
      await admin.createAcls({
        acl: grants.flatMap((g) =>
          g.operations.map((op) => ({
            principal: `User:${g.principal}`,
            host: '*',
            operation: operation[op],
            permissionType: AclPermissionTypes.ALLOW,
            resourceType: g.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
            resourceName: g.name,
            resourcePatternType: g.resource === 'topic' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
          })),
        ),
      });
    });
  }

  /** Deletes every topic whose name starts with prefix (test clean-up). */
  deleteTopicsWithPrefix(prefix: string): Promise<void> {
    if (!prefix) throw new Error('refusing to delete every topic');
    return this.admin(async (admin) => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    });
  }

  /**
   * Hands handle() every message of `topic` that consumer group `groupId` has
   * not committed yet, up to the end of the topic as it is now, then stops.
   * A temporary group (a one-off reader) is deleted afterwards. Returns the count.
   */
  drain(topic: string, groupId: string, handle: (message: IncomingMessage) => Promise<void>, { temporary = false } = {}): Promise<number> {
    return this.admin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const start = (partition: number) =>
        Math.max(Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1), 0);
      const pending = new Map(
        ends.filter((e) => Number(e.high) > Math.max(Number(e.low), start(e.partition))).map((e) => [e.partition, Number(e.high)] as const),
      );
      if (pending.size === 0) return 0;
      let count = 0;
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const reader = this.consumer({
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
      await reader.start();
      await done;
      await reader.stop();
      if (temporary) await admin.deleteGroups([groupId]).catch(() => undefined);
      return count;
    });
  }

  /** A consumer group's state ('Stable' once a rebalance is over) and how many members it has. */
  describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    return this.admin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      return { state: groups[0]?.state ?? 'Unknown', members: groups[0]?.members.length ?? 0 };
    });
  }

  partitionCount(topic: string): Promise<number> {
    return this.admin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length ?? 0;
    });
  }

  /** An idempotent producer with acks=all, connected. */
  async producer(): Promise<Producer> {
    const producer = this.kafka.producer({
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
}

/** The headers, plus traceparent when a span is active and tracing is on (else unchanged). */
function withTraceContext(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? headers : { ...carrier, ...headers };
}

/**
 * The security options of a service's Kafka client from its config: its
 * SCRAM principal, and TLS with the project CA when a CA file is set.
 */
export function kafkaSecurity(config: { kafkaUsername: string; kafkaPassword: string; tlsCaFile: string }): Pick<KafkaOptions, 'sasl' | 'ca'> {
  return {
    sasl: config.kafkaUsername ? { username: config.kafkaUsername, password: config.kafkaPassword } : undefined,
    ca: config.tlsCaFile ? readFileSync(config.tlsCaFile, 'utf8') : undefined,
  };
}

/**
 * Waits until every partition of the new topics has a leader. kafkajs's own
 * waitForLeaders gives up when a broker does not know a just-created topic yet
 * (UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers for a moment).
 */
async function untilLed(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.partitionErrorCode === 0 && p.leader >= 0))) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > until) throw err;
    }
    if (Date.now() > until) throw new Error(`topics without a leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
