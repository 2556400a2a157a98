import { setTimeout as sleep } from 'node:timers/promises';
import { isAppError, isTransient } from '@order-system/errors';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { withCorrelation } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import type { Consumer as KafkaConsumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Producer } from './client.js';
import { consumerMetrics, type ConsumerMetrics } from './metrics.js';
import { deadLetterTopic } from './topics.js';

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ConsumerOptions {
  groupId: string;
  topic: string;
  /**
   * Applies one message. Throw an `unavailable` AppError to retry it until the
   * dependency is back; an `invalid` AppError (undecodable, say) dead-letters it
   * at once; any other error is retried maxAttempts times, then dead-lettered.
   * Resolving 'hold' leaves the message (and the rest of its batch) unprocessed
   * and uncommitted, for a later delivery.
   */
  handle(message: IncomingMessage): Promise<void | 'hold'>;
  /**
   * Applies a run of consecutive messages of one partition at once (one
   * transaction, one produce request), in order, with the same effect as
   * `handle` on each in turn. If it throws, the run is applied again one
   * message at a time with `handle`, so a bad message is retried or
   * dead-lettered alone. Optional; runs hold at most `maxBatchSize` messages.
   */
  handleBatch?(messages: IncomingMessage[]): Promise<void>;
  /** Default 200. */
  maxBatchSize?: number;
  /** Opens the producer used for the dead-letter topic. */
  deadLetterProducer(): Promise<Producer>;
  maxAttempts?: number;
  /** First retry delay; doubles up to 5 s. */
  retryDelayMs?: number;
  /**
   * Records kafka_consume_duration_seconds, kafka_consumer_lag and
   * kafka_dead_lettered_total for this topic and group.
   */
  metrics?: MetricsRegistry;
}

/** The header that carries a message's correlation id; its handling logs under it. */
const CORRELATION_HEADER = 'x-correlation-id';

/**
 * At-least-once consumption in order per partition: a message's offset is
 * committed only after its handler resolved (its effect is durable) or it was
 * dead-lettered, so a crash redelivers, never skips.
 */
export class Consumer {
  private consumer?: KafkaConsumer;
  private deadLetters?: Promise<Producer>;
  private stopping = false;
  private restarting = false;
  private readonly log: Logger;
  private readonly metrics?: ConsumerMetrics;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: ConsumerOptions,
    log: Logger,
  ) {
    this.log = log.child({ component: 'consumer', topic: opts.topic, group: opts.groupId });
    this.metrics = opts.metrics && consumerMetrics(opts.metrics, opts.topic, opts.groupId);
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 15_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    // kafkajs gives up on a consumer after its retries (a broker away for long,
    // say) and does not always restart it: we do, until stopped.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return;
      this.log.warn({ err: payload.error }, 'consumer crashed, restarting');
      void this.restart(consumer);
    });
    // Partitions this member no longer owns after a rebalance report no lag here.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.metrics?.assigned(payload.memberAssignment[this.opts.topic] ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async restart(crashed: KafkaConsumer): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    try {
      await crashed.disconnect().catch(() => undefined);
      for (let delay = 1000; !this.stopping; delay = Math.min(delay * 2, 10_000)) {
        await sleep(delay);
        if (this.stopping) return;
        try {
          await this.start();
          this.log.info('consumer restarted');
          return;
        } catch (err) {
          this.log.warn({ err }, 'consumer restart failed, retrying');
          await this.consumer?.disconnect().catch(() => undefined);
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  /** Stops fetching, lets the message in hand finish, commits what was processed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    if (this.deadLetters) await (await this.deadLetters).close();
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) {
    const lag = (nextOffset: string) => this.metrics?.lag(batch.partition, Number(batch.highWatermark) - Number(nextOffset));
    const proceed = () => isRunning() && !isStale() && !this.stopping;
    const applied = async (offset: string) => {
      resolveOffset(offset);
      lag(String(Number(offset) + 1));
      await heartbeat();
    };
    if (batch.messages[0]) lag(batch.messages[0].offset);
    const messages = batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m));
    const runSize = this.opts.handleBatch ? (this.opts.maxBatchSize ?? 200) : 1;
    for (let i = 0; i < messages.length && proceed(); i += runSize) {
      const run = messages.slice(i, i + runSize);
      if (run.length > 1 && (await this.processRun(run))) {
        await applied(run.at(-1)!.offset);
        continue;
      }
      for (const message of run) {
        if (!proceed()) break;
        const done = await this.inContext(message, () => this.process(message, heartbeat));
        if (!done) break;
        await applied(message.offset);
      }
    }
    await commitOffsetsIfNecessary();
  }

  /** True if handleBatch applied the whole run; false to apply it one message at a time. */
  private async processRun(run: IncomingMessage[]): Promise<boolean> {
    const attemptDone = this.metrics?.attempt(run.length);
    try {
      await this.opts.handleBatch!(run);
      attemptDone?.('ok');
      return true;
    } catch (err) {
      attemptDone?.('retry');
      const { partition, offset } = run[0]!;
      this.log.warn({ partition, offset, messages: run.length, err }, 'batch failed, applying its messages one at a time');
      return false;
    }
  }

  /**
   * Runs a message's handling in its correlation context (x-correlation-id)
   * and, when tracing is on, in a consumer span continuing the producer's trace.
   */
  private async inContext<T>(message: IncomingMessage, fn: () => Promise<T>): Promise<T> {
    const parent = propagation.extract(ROOT_CONTEXT, message.headers);
    const span = trace.getTracer('@order-system/kafka').startSpan(
      `${message.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.topic,
          'messaging.destination.partition.id': String(message.partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.consumer.group.name': this.opts.groupId,
        },
      },
      parent,
    );
    const correlationId = message.headers[CORRELATION_HEADER];
    try {
      return await context.with(trace.setSpan(parent, span), () => (correlationId ? withCorrelation(correlationId, fn) : fn()));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  }

  /** True once the message is applied or dead-lettered; false if held or we are stopping first. */
  private async process(message: IncomingMessage, heartbeat: () => Promise<void>): Promise<boolean> {
    const maxAttempts = this.opts.maxAttempts ?? 5;
    let delay = this.opts.retryDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      const attemptDone = this.metrics?.attempt();
      try {
        const held = (await this.opts.handle(message)) === 'hold';
        if (!held) attemptDone?.('ok');
        return !held;
      } catch (err) {
        const where = { partition: message.partition, offset: message.offset, key: message.key, attempt };
        if (isAppError(err, 'invalid') || (!isTransient(err) && attempt >= maxAttempts)) {
          attemptDone?.('dead_lettered');
          this.log.error({ ...where, err }, 'dead-lettering message');
          await this.deadLetter(message, err, attempt);
          this.metrics?.deadLettered();
          return true;
        }
        attemptDone?.('retry');
        this.log.warn({ ...where, err }, 'message failed, will retry');
      }
      if (this.stopping) return false;
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
      await heartbeat();
    }
  }

  private async deadLetter(message: IncomingMessage, err: unknown, attempts: number): Promise<void> {
    this.deadLetters ??= this.opts.deadLetterProducer();
    const producer = await this.deadLetters;
    const error = err instanceof Error ? err : new Error(String(err));
    await producer.send(deadLetterTopic(message.topic), [
      {
        key: message.key ?? '',
        value: message.value ?? Buffer.alloc(0),
        headers: {
          ...message.headers,
          'dlt-original-topic': message.topic,
          'dlt-original-partition': String(message.partition),
          'dlt-original-offset': message.offset,
          'dlt-consumer-group': this.opts.groupId,
          'dlt-error': error.message.slice(0, 1000),
          'dlt-error-kind': isAppError(error) ? error.kind : error.name,
          'dlt-attempts': String(attempts),
          'dlt-at': new Date().toISOString(),
        },
      },
    ]);
  }
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return { topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers };
}
