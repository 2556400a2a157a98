import { setTimeout as sleep } from 'node:timers/promises';
import { isAppError, isTransient } from '@order-system/errors';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { withCorrelation } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import type { Logger } from 'pino';
import type { Producer } from './backend.js';
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

/** The fetch settings for ConsumerOptions.batchWaitMs: how long the broker holds a fetch, and for how many bytes. */
export function fetchWait(opts: Pick<ConsumerOptions, 'batchWaitMs'>): { maxWaitMs: number; minBytes: number } {
  return opts.batchWaitMs ? { maxWaitMs: opts.batchWaitMs, minBytes: 1 << 20 } : { maxWaitMs: 100, minBytes: 1 };
}

/** The header that carries a message's correlation id; its handling logs under it. */
const CORRELATION_HEADER = 'x-correlation-id';

/** Consecutive messages of one partition, as a fetch returned them. */
export interface PartitionBatch {
  partition: number;
  messages: IncomingMessage[];
  /** The partition's high watermark as of the fetch, for kafka_consumer_lag. */
  highWatermark: string;
}

/** How a backend's fetch loop steers processBatch. */
export interface BatchControl {
  /** False once the rest of the batch must be left alone (the partition moved, or the loop stops). */
  proceed(): boolean;
  /** This message, and every one before it, is applied or dead-lettered: its offset may be committed. */
  resolveOffset(offset: string): void;
  /** Keeps the group membership alive while a message takes long. */
  heartbeat(): Promise<void>;
}

/**
 * At-least-once consumption in order per partition: a message's offset is
 * committed only after its handler resolved (its effect is durable) or it was
 * dead-lettered, so a crash redelivers, never skips.
 *
 * This class holds what both client libraries share (runs, retries, dead
 * letters, metrics, correlation context); a backend subclass fetches batches,
 * hands them to processBatch and commits the offsets it resolves.
 */
export abstract class Consumer {
  private deadLetters?: Promise<Producer>;
  protected stopping = false;
  protected readonly log: Logger;
  protected readonly metrics?: ConsumerMetrics;

  constructor(
    protected readonly opts: ConsumerOptions,
    log: Logger,
  ) {
    this.log = log.child({ component: 'consumer', topic: opts.topic, group: opts.groupId });
    this.metrics = opts.metrics && consumerMetrics(opts.metrics, opts.topic, opts.groupId);
  }

  abstract start(): Promise<void>;

  /** Stops fetching, lets the message in hand finish, commits what was processed. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.disconnect();
    if (this.deadLetters) await (await this.deadLetters).close();
  }

  /**
   * Manual commits that stop before the first message whose effect is not
   * durable yet, for a handler with undurableFrom; undefined without one.
   */
  protected heldCommits(commit: (partition: number, offset: bigint) => Promise<void>): HeldCommits | undefined {
    const { undurableFrom } = this.opts;
    return undurableFrom && new HeldCommits(undurableFrom, commit, this.log);
  }

  /** Leaves the group once the message in hand is done and what was processed is committed. */
  protected abstract disconnect(): Promise<void>;

  /**
   * Applies a batch in order: in runs of up to maxBatchSize with handleBatch
   * (a run that throws is applied again one message at a time), else one
   * message at a time. Returns at the end of the batch, at a held message
   * (it and the rest of the batch are left for a later delivery), or once
   * proceed() turns false.
   */
  protected async processBatch({ partition, messages, highWatermark }: PartitionBatch, control: BatchControl): Promise<void> {
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
