import { context, propagation } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Consumer, ConsumerOptions, IncomingMessage } from './consumer.js';
import type { TopicSpec } from './topics.js';

/** The Kafka client libraries this lib can run on (KAFKA_CLIENT in the services' config). */
export type KafkaClientName = 'kafkajs' | 'platformatic';

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** The client library; default kafkajs. Services take it from KAFKA_CLIENT (their config). */
  client?: KafkaClientName;
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

/** What each client library implements; KafkaClient documents the methods and delegates to one. */
export interface KafkaBackend {
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopicsWithPrefix(prefix: string): Promise<void>;
  drain(
    topic: string,
    groupId: string,
    handle: (message: IncomingMessage) => Promise<void>,
    options: { temporary?: boolean },
  ): Promise<number>;
  describeGroup(groupId: string): Promise<{ state: string; members: number }>;
  partitionCount(topic: string): Promise<number>;
  producer(): Promise<Producer>;
  consumer(options: Omit<ConsumerOptions, 'deadLetterProducer'>): Consumer;
}

/** The headers, plus traceparent when a span is active and tracing is on (else unchanged). */
export function withTraceContext(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? headers : { ...carrier, ...headers };
}

/** A partition's first offset and its end (the offset the next message will get). */
export interface PartitionEnds {
  partition: number;
  low: number;
  high: number;
}

/**
 * drain() once a backend has read the topic's ends and the group's committed
 * offsets (-1: none): runs a consumer of the group until every message that
 * was on the topic then is handled, holding (not committing) later ones.
 */
export async function drainUpTo(
  ends: PartitionEnds[],
  committed: (partition: number) => number,
  consumer: (handle: ConsumerOptions['handle']) => Consumer,
  handle: (message: IncomingMessage) => Promise<void>,
): Promise<number> {
  const start = (partition: number) => Math.max(committed(partition), 0);
  const pending = new Map(ends.filter((e) => e.high > Math.max(e.low, start(e.partition))).map((e) => [e.partition, e.high] as const));
  if (pending.size === 0) return 0;
  let count = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const reader = consumer(async (message) => {
    const end = pending.get(message.partition);
    if (end === undefined || Number(message.offset) >= end) return 'hold'; // arrived after we started: not ours
    await handle(message);
    count++;
    if (Number(message.offset) + 1 >= end) {
      pending.delete(message.partition);
      if (pending.size === 0) finished();
    }
  });
  await reader.start();
  await done;
  await reader.stop();
  return count;
}
