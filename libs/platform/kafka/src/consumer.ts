import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isAppError, isTransient } from '@order-system/errors';
import { withCorrelation } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import type { Consumer as KafkaConsumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Producer } from './client.js';
import { HeldCommits } from './held-commits.js';
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
  /**
   * How long a fetch may wait for messages to gather: larger batches, so fewer
   * writes per message, at up to that much added latency. Default 0: a fetch
   * returns as soon as a message is there.
   */
  batchWaitMs?: number;
  /**
   * For a handler that holds some writes back (to combine one with a later
   * message's): the offset of the partition's earliest message whose effect is
   * not durable yet, or undefined. Fetching goes on past it, but commits stop
   * before it, so a crash delivers it again; they catch up within
   * COMMIT_INTERVAL_MS of its write.
   */
  undurableFrom?(partition: number): string | undefined;
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
 * At-least-once consumption in order per partition, on kafkajs: a message's
 * offset is committed only after its handler resolved (its effect is durable)
 * or it was dead-lettered, so a crash redelivers, never skips.
 *
 * kafkajs fetches from the last offset resolved and commits it too; a handler
 * that holds writes back (undurableFrom) needs commits behind the fetch
 * position, so it gets manual commits (HeldCommits).
 */
export class Consumer {
  private consumer?: KafkaConsumer;
  private deadLetters?: Promise<Producer>;
  private held?: HeldCommits;
  private restarting = false;
  private stopping = false;
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
    // batchWaitMs: the broker holds a fetch that long for up to 1 MiB to gather.
    const wait = this.opts.batchWaitMs ? { maxWaitTimeInMs: this.opts.batchWaitMs, minBytes: 1 << 20 } : { maxWaitTimeInMs: 100, minBytes: 1 };
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 15_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      ...wait,
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
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const owned = payload.memberAssignment[this.opts.topic] ?? [];
      this.metrics?.assigned(owned);
      this.held?.owned(owned);
    });
    this.held?.abandon(); // (a restart's)
    const { topic, undurableFrom } = this.opts;
    this.held =
      undurableFrom &&
      new HeldCommits(undurableFrom, (partition, offset) => consumer.commitOffsets([{ topic, partition, offset: String(offset) }]), this.log);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: !this.held,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the message in hand finish, commits what was processed, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.held?.close();
    await this.consumer?.disconnect();
    if (this.deadLetters) await (await this.deadLetters).close();
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

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) {
    const { topic, partition } = batch;
    await this.processBatch(
      partition,
      batch.messages.map((m) => toIncoming(topic, partition, m)),
      batch.highWatermark,
      {
        proceed: () => isRunning() && !isStale(),
        resolveOffset: (offset) => {
          resolveOffset(offset);
          this.held?.appliedUpTo(partition, BigInt(offset) + 1n);
        },
        heartbeat,
      },
    );
    // The batch's own commit path: consumer.commitOffsets does nothing once the
    // consumer is stopping, and this batch may be the one a stop waits for.
    const commit = (p: number, offset: bigint) => commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: p, offset: String(offset) }] }] });
    if (this.held) await this.held.flush([partition], commit);
    else await commitOffsetsIfNecessary();
  }

  /**
   * Applies a batch in order: in runs of up to maxBatchSize with handleBatch
   * (a run that throws is applied again one message at a time), else one
   * message at a time. Returns at the end of the batch, at a held message
   * (it and the rest of the batch are left for a later delivery), or once
   * proceed() turns false.
   */
  private async processBatch(partition: number, messages: IncomingMessage[], highWatermark: string, control: BatchControl): Promise<void> {
    const lag = (nextOffset: string) => this.metrics?.lag(partition, Number(highWatermark) - Number(nextOffset));
    const proceed = () => control.proceed() && !this.stopping;
    const applied = async (offset: string) => {
      control.resolveOffset(offset);
      lag(String(Number(offset) + 1));
      await control.heartbeat();
    };
    if (messages[0]) lag(messages[0].offset);
    const runSize = this.opts.handleBatch ? (this.opts.maxBatchSize ?? 200) : 1;
    for (let i = 0; i < messages.length && proceed(); i += runSize) {
      const run = messages.slice(i, i + runSize);
      if (run.length > 1 && (await this.processRun(run))) {
        await applied(run.at(-1)!.offset);
        continue;
      }
      for (const message of run) {
        if (!proceed()) return;
        const done = await this.inContext(message, () => this.process(message, () => control.heartbeat()));
        if (!done) return;
        await applied(message.offset);
      }
    }
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
    // Failures that were not a dependency being away: after a long outage, a
    // message that then fails for its own reason still gets maxAttempts tries.
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      const attemptDone = this.metrics?.attempt();
      try {
        const held = (await this.opts.handle(message)) === 'hold';
        if (!held) attemptDone?.('ok');
        return !held;
      } catch (err) {
        const where = { partition: message.partition, offset: message.offset, key: message.key, attempt };
        if (!isTransient(err)) failures++;
        if (isAppError(err, 'invalid') || failures >= maxAttempts) {
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

/** How the fetch loop steers processBatch. */
interface BatchControl {
  /** False once the rest of the batch must be left alone (the partition moved, or the loop stops). */
  proceed(): boolean;
  /** This message, and every one before it, is applied or dead-lettered: its offset may be committed. */
  resolveOffset(offset: string): void;
  /** Keeps the group membership alive while a message takes long. */
  heartbeat(): Promise<void>;
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return { topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers };
}
