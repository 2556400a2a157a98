import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '@order-system/kafka';
import type pg from 'pg';
import type { Logger } from 'pino';

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

const LEADER_LOCK = 7412;

interface RelayOptions {
  batchSize: number;
  /** How often it looks at the outbox when nothing wakes it. */
  pollMs: number;
  /** After a batch that was not full, how long to let more rows gather before the next. */
  lingerMs: number;
}

/**
 * Publishes the outbox to Kafka at least once, in id order (so in order per
 * order_id), deleting rows only after Kafka acknowledged them. One instance
 * leads (an advisory lock); the others stand by. Woken by NOTIFY outbox.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private pending = false;
  private readonly opts: RelayOptions;

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly log: Logger,
    opts: Partial<RelayOptions> = {},
  ) {
    this.opts = { batchSize: 500, pollMs: 1000, lingerMs: 0, ...opts };
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Something was written to the outbox: publish it now. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (this.running) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        client.on('notification', () => this.wake());
        client.on('error', (err) => this.log.warn({ err }, 'outbox relay connection failed'));
        await this.lead(client);
        backoff = 200;
      } catch (err) {
        this.log.warn({ err }, 'outbox relay failed, retrying');
        client?.release(true);
        client = undefined;
        await this.idle(backoff);
        backoff = Math.min(backoff * 2, 5000);
      } finally {
        client?.release();
      }
    }
  }

  /** Waits for leadership, then publishes until stopped. */
  private async lead(client: pg.PoolClient): Promise<void> {
    while (this.running) {
      const { rows } = await client.query<{ leader: boolean }>('SELECT pg_try_advisory_lock($1) AS leader', [LEADER_LOCK]);
      if (rows[0]?.leader) break;
      await this.idle(this.opts.pollMs * 2);
    }
    if (!this.running) return;
    await client.query('LISTEN outbox');
    this.log.info('outbox relay leading');
    try {
      while (this.running) {
        this.pending = false;
        const published = await this.publishBatch(client);
        if (published >= this.opts.batchSize) continue;
        if (!this.pending) await this.idle(this.opts.pollMs);
        if (this.opts.lingerMs > 0 && this.running) await sleep(this.opts.lingerMs);
      }
    } finally {
      await client.query('UNLISTEN outbox; SELECT pg_advisory_unlock_all()').catch(() => undefined);
    }
  }

  private async publishBatch(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<OutboxRow>(
      'SELECT id, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1',
      [this.opts.batchSize],
    );
    if (rows.length === 0) return 0;
    for (const run of runsByTopic(rows)) {
      await this.producer.send(
        run[0]!.topic,
        run.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })),
      );
    }
    await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    return rows.length;
  }

  private async idle(ms: number): Promise<void> {
    if (this.pending || !this.running) return;
    const ac = new AbortController();
    this.wakeUp = () => ac.abort();
    await sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined);
    this.wakeUp = undefined;
  }
}

/** Consecutive rows of the same topic, in order. */
function runsByTopic(rows: OutboxRow[]): OutboxRow[][] {
  const runs: OutboxRow[][] = [];
  for (const row of rows) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.topic === row.topic) last.push(row);
    else runs.push([row]);
  }
  return runs;
}
