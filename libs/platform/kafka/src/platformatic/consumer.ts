import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer as Client, Message, MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { KafkaOptions } from '../backend.js';
import { Consumer, fetchWait, type ConsumerOptions, type IncomingMessage } from '../consumer.js';
import type { HeldCommits } from '../held-commits.js';
import { baseOptions, platformatic, type Platformatic } from './load.js';

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** Fetched messages waiting for their partition's worker, above which the stream pauses. */
const MAX_BUFFERED = 1000;
/** How soon a held message is handed again (kafkajs fetches it again after maxWaitTimeInMs). */
const HOLD_DELAY_MS = 100;

/** A partition's fetched messages, in order, and whether its worker is applying them. */
interface Lane {
  queue: Message[];
  running: boolean;
  worker?: Promise<void>;
}

/** The part of a fetch response (the result on the fetches diagnostics channel) the lag needs. */
interface FetchResult {
  responses: { partitions: { partitionIndex: number; highWatermark: bigint }[] }[];
}

/**
 * The @platformatic/kafka fetch loop. Its stream interleaves the partitions'
 * messages and fetches ahead; it is split by partition here, each partition's
 * worker handing what has arrived to processBatch as one batch and committing
 * the last offset it resolves, so partitions are applied concurrently and each
 * in order (kafkajs: partitionsConsumedConcurrently, a batch per partition).
 *
 * A rebalance stops the workers after the message in hand; they commit, and a
 * new stream starts from the committed offsets, as kafkajs does. (The old one
 * would still deliver what it buffered and, for a partition without a committed
 * offset, go on from where it had fetched to.)
 */
export class PlatformaticConsumer extends Consumer {
  private client?: Client;
  private stream?: Stream;
  private lanes = new Map<number, Lane>();
  private owned = new Set<number>();
  private readonly highWatermarks = new Map<number, string>();
  private paused = false;
  private resubscribing: Promise<void> = Promise.resolve();
  private restarting = false;
  private unwatch?: () => void;
  /** The commits of a handler that holds writes back (undurableFrom); else each batch commits its last message. */
  private held?: HeldCommits;

  constructor(
    private readonly kafka: KafkaOptions,
    opts: ConsumerOptions,
    log: Logger,
  ) {
    super(opts, log);
  }

  async start(): Promise<void> {
    const lib = await platformatic();
    const wait = fetchWait(this.opts);
    const client: Client = new lib.Consumer({
      ...baseOptions(this.kafka),
      groupId: this.opts.groupId,
      sessionTimeout: 15_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      maxWaitTime: wait.maxWaitMs,
      minBytes: wait.minBytes,
      autocommit: false,
    });
    this.client = client;
    this.held?.abandon(); // (a restart's)
    const { topic } = this.opts;
    this.held = this.heldCommits((partition, offset) => client.commit({ offsets: [{ topic, partition, offset, leaderEpoch: -1 }] }));
    client.on('consumer:group:join', ({ assignments }) => this.joined(client, assignments ?? []));
    // A rejoin that failed for good: the client is out of the group.
    client.on('error', (err) => this.crashed(client, err));
    this.watchHighWatermarks(client, lib.consumerFetchesChannel);
    try {
      await this.subscribe(client);
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  protected async disconnect(): Promise<void> {
    await this.resubscribing;
    await this.shutdown();
  }

  /** A stream from the group's committed offsets (the earliest where there are none), feeding the workers. */
  private async subscribe(client: Client): Promise<void> {
    const stream = await client.consume({ topics: [this.opts.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    this.lanes = new Map();
    this.paused = false;
    this.stream = stream;
    stream.on('data', (message) => this.route(stream, message));
    stream.on('error', (err) => {
      if (stream === this.stream) this.crashed(client, err); // (not one being replaced or closed)
    });
  }

  private joined(client: Client, assignments: { topic: string; partitions: number[] }[]): void {
    if (client !== this.client) return;
    const owned = assignments.find((a) => a.topic === this.opts.topic)?.partitions ?? [];
    this.owned = new Set(owned);
    this.held?.owned(owned);
    // Partitions this member no longer owns after a rebalance report no lag here.
    this.metrics?.assigned(owned);
    // (The first join happens inside consume(), before there is a stream.)
    if (this.stream) this.rebalanced(client);
  }

  private rebalanced(client: Client): void {
    this.resubscribing = this.resubscribing
      .then(async () => {
        const old = this.stream;
        if (!old || client !== this.client || this.stopping) return;
        this.stream = undefined; // the workers stop after the message in hand
        old.pause();
        await this.idle();
        // The new stream first: closing the old one last keeps the topic subscribed, with no rejoin.
        if (!this.stopping) await this.subscribe(client);
        await old.close();
      })
      .catch((err) => this.crashed(client, err));
  }

  private route(stream: Stream, message: Message): void {
    // From a stream being replaced, or of a partition that moved: read again from the committed offset.
    if (stream !== this.stream || !this.owned.has(message.partition) || this.stopping) return;
    let lane = this.lanes.get(message.partition);
    if (!lane) this.lanes.set(message.partition, (lane = { queue: [], running: false }));
    lane.queue.push(message);
    if (!this.paused && this.buffered() >= MAX_BUFFERED) {
      this.paused = true;
      stream.pause();
    }
    if (!lane.running) {
      lane.running = true;
      lane.worker = this.work(stream, message.partition, lane);
    }
  }

  /** Applies a partition's messages in order: what has arrived as one batch, committing after each. */
  private async work(stream: Stream, partition: number, lane: Lane): Promise<void> {
    const current = () => stream === this.stream && this.owned.has(partition) && !this.stopping;
    try {
      while (lane.queue.length > 0 && current()) {
        const fetched = lane.queue.splice(0);
        let applied = 0;
        await this.processBatch(
          { partition, messages: fetched.map(toIncoming), highWatermark: this.highWatermarks.get(partition) ?? '0' },
          {
            proceed: current,
            resolveOffset: (offset) => {
              while (applied < fetched.length && fetched[applied]!.offset <= BigInt(offset)) applied++;
            },
            heartbeat: async () => undefined, // the client heartbeats on its own
          },
        );
        if (applied > 0 && this.owned.has(partition)) {
          const last = fetched[applied - 1]!;
          if (!this.held) await this.commit(last);
          else {
            this.held.appliedUpTo(partition, last.offset + 1n);
            await this.held.flush([partition]);
          }
        }
        if (applied < fetched.length && current()) {
          // A message was held: it and those after it are handed again shortly, as a new fetch would.
          lane.queue.unshift(...fetched.slice(applied));
          await sleep(HOLD_DELAY_MS);
        }
        if (this.paused && stream === this.stream && this.buffered() <= MAX_BUFFERED / 2) {
          this.paused = false;
          stream.resume();
        }
      }
    } finally {
      lane.running = false;
    }
  }

  private async commit(message: Message): Promise<void> {
    try {
      await message.commit();
    } catch (err) {
      // A later commit covers it; else the messages are delivered again (at least once).
      this.log.warn({ err, partition: message.partition, offset: String(message.offset) }, 'commit failed');
    }
  }

  private buffered(): number {
    let count = 0;
    for (const lane of this.lanes.values()) count += lane.queue.length;
    return count;
  }

  /** Resolves once no worker is applying a message. */
  private async idle(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.worker));
  }

  /** kafka_consumer_lag needs each partition's high watermark, which the stream drops: read it off the fetch responses. */
  private watchHighWatermarks(client: Client, fetches: Platformatic['consumerFetchesChannel']): void {
    const onFetched = (event: unknown) => {
      const { client: fetcher, result } = event as { client: unknown; result?: FetchResult };
      if (fetcher !== client) return;
      for (const topic of result?.responses ?? []) {
        for (const p of topic.partitions) this.highWatermarks.set(p.partitionIndex, String(p.highWatermark));
      }
    };
    fetches.asyncStart.subscribe(onFetched);
    this.unwatch = () => fetches.asyncStart.unsubscribe(onFetched);
  }

  private crashed(client: Client, err: unknown): void {
    if (client !== this.client || this.stopping || this.restarting) return;
    this.log.warn({ err }, 'consumer crashed, restarting');
    void this.restart();
  }

  /** As the kafkajs backend does after a crash: a new client, from the committed offsets, retried until stopped. */
  private async restart(): Promise<void> {
    this.restarting = true;
    try {
      await this.shutdown();
      for (let delay = 1000; !this.stopping; delay = Math.min(delay * 2, 10_000)) {
        await sleep(delay);
        if (this.stopping) return;
        try {
          await this.start();
          if (this.stopping) await this.shutdown(); // stopped while starting
          else this.log.info('consumer restarted');
          return;
        } catch (err) {
          if (!this.stopping) this.log.warn({ err }, 'consumer restart failed, retrying');
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  /** Lets the workers finish the message in hand and commit, then closes the stream and leaves the group. */
  private async shutdown(): Promise<void> {
    const { client, stream } = this;
    this.client = undefined;
    this.stream = undefined;
    stream?.pause();
    await this.idle();
    await this.held?.close();
    this.unwatch?.();
    this.unwatch = undefined;
    await stream?.close().catch(() => undefined);
    if (!client) return;
    // close(true) also closes the client's streams (its promise form is typed void: use the callback)
    await new Promise<void>((resolve) =>
      client.close(true, (err) => {
        if (err) this.log.warn({ err }, 'consumer close failed');
        resolve();
      }),
    );
  }
}

function toIncoming(message: Message): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.headers) {
    const key = name.toString();
    // kafkajs keeps the first of repeated headers
    if (value !== undefined && !Object.hasOwn(headers, key)) headers[key] = value.toString();
  }
  const key = message.key as Buffer | undefined;
  const value = message.value as Buffer | undefined;
  return { topic: message.topic, partition: message.partition, offset: String(message.offset), key: key?.toString() ?? null, value: value ?? null, headers };
}
