import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer as KafkaConsumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { Consumer, fetchWait, type ConsumerOptions, type IncomingMessage } from '../consumer.js';
import type { HeldCommits } from '../held-commits.js';

/**
 * The kafkajs fetch loop: eachBatch hands each partition's batch to
 * processBatch, then commits. kafkajs fetches from the last offset resolved and
 * commits it too; a handler that holds writes back (undurableFrom) needs
 * commits behind the fetch position, so it gets manual commits.
 */
export class KafkajsConsumer extends Consumer {
  private consumer?: KafkaConsumer;
  private restarting = false;
  private held?: HeldCommits;

  constructor(
    private readonly kafka: Kafka,
    opts: ConsumerOptions,
    log: Logger,
  ) {
    super(opts, log);
  }

  async start(): Promise<void> {
    const wait = fetchWait(this.opts);
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 15_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: wait.maxWaitMs,
      minBytes: wait.minBytes,
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
    const { topic } = this.opts;
    this.held = this.heldCommits((partition, offset) => consumer.commitOffsets([{ topic, partition, offset: String(offset) }]));
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: !this.held,
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

  protected async disconnect(): Promise<void> {
    await this.held?.close();
    await this.consumer?.disconnect();
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) {
    await this.processBatch(
      {
        partition: batch.partition,
        messages: batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m)),
        highWatermark: batch.highWatermark,
      },
      {
        proceed: () => isRunning() && !isStale(),
        resolveOffset: (offset) => {
          resolveOffset(offset);
          this.held?.appliedUpTo(batch.partition, BigInt(offset) + 1n);
        },
        heartbeat,
      },
    );
    // The batch's own commit path: consumer.commitOffsets does nothing once the
    // consumer is stopping, and this batch may be the one a stop waits for.
    const commit = (partition: number, offset: bigint) =>
      commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition, offset: String(offset) }] }] });
    if (this.held) await this.held.flush([batch.partition], commit);
    else await commitOffsetsIfNecessary();
  }
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return { topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers };
}
