import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Db, Filter } from 'mongodb';
import { scrape } from './metrics.js';

/**
 * The orders as the order-store has them. Reading MongoDB is not free: the
 * MongoDB-protocol server scans documents at roughly 0.1-0.2 ms each, so a
 * count every second would load the system under test. While orders flow,
 * progress therefore comes from the order-store's own counters
 * (orders_confirmed_total, orders_failed_total on its /metrics), and the
 * documents are read once, when the counters say every accepted order is
 * terminal.
 */
export interface Terminal {
  status: 'CONFIRMED' | 'FAILED';
  /** When the order-store wrote the terminal state (storedAt; updatedAt, inventory's settle time, for documents without it). */
  storedAt: number;
}

interface OrderDoc {
  _id: string;
  status: string;
  updatedAt: Date;
  storedAt?: Date;
}

const TERMINAL = ['CONFIRMED', 'FAILED'];

/** Orders stored as confirmed or failed so far, from the order-store's counters; undefined if unreachable. */
export async function storedTerminalCount(metricsUrl: string): Promise<number | undefined> {
  const samples = await scrape(metricsUrl);
  return samples?.filter((s) => s.name === 'orders_confirmed_total' || s.name === 'orders_failed_total').reduce((sum, s) => sum + s.value, 0);
}

export class OrderStoreReader {
  private readonly orders: Collection<OrderDoc>;
  private readonly scope: Filter<OrderDoc>;
  private baseline = 0;

  /** Only orders whose id starts with idPrefix, when given (an external system holds other orders too). */
  constructor(
    db: Db,
    private readonly metricsUrl: string | undefined,
    idPrefix?: string,
  ) {
    this.orders = db.collection<OrderDoc>('orders');
    this.scope = idPrefix ? { _id: { $regex: `^${idPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } } : {};
  }

  /** Remembers the counters before the run (an external order-store has counted before). */
  async start(): Promise<void> {
    this.baseline = (this.metricsUrl && (await storedTerminalCount(this.metricsUrl))) || 0;
  }

  /** Orders made terminal at the order-store since start(), from its counters; undefined without them. */
  async terminalSinceStart(): Promise<number | undefined> {
    if (!this.metricsUrl) return undefined;
    const count = await storedTerminalCount(this.metricsUrl);
    return count === undefined ? undefined : count - this.baseline;
  }

  async readTerminal(): Promise<Map<string, Terminal>> {
    const out = new Map<string, Terminal>();
    const cursor = this.orders.find({ ...this.scope, status: { $in: TERMINAL } }, { projection: { status: 1, updatedAt: 1, storedAt: 1 } });
    for await (const doc of cursor) {
      out.set(doc._id, { status: doc.status as Terminal['status'], storedAt: new Date(doc.storedAt ?? doc.updatedAt).getTime() });
    }
    return out;
  }

  /**
   * Waits until every accepted order is terminal, or timeoutMs passed, or the
   * signal aborted; returns what was read last. Reads the documents when the
   * counters reach the accepted count (every 5 s without counters).
   */
  async waitForTerminal(accepted: Iterable<string>, timeoutMs: number, signal: AbortSignal): Promise<Map<string, Terminal>> {
    const ids = [...accepted];
    const deadline = Date.now() + timeoutMs;
    let lastRead = 0;
    for (;;) {
      const counted = await this.terminalSinceStart();
      const due = (counted === undefined || counted >= ids.length) && Date.now() - lastRead >= (counted === undefined ? 5000 : 2000);
      if (due || Date.now() > deadline || signal.aborted) {
        lastRead = Date.now();
        const terminal = await this.readTerminal();
        if (ids.every((id) => terminal.has(id)) || Date.now() > deadline || signal.aborted) return terminal;
      }
      await sleep(250);
    }
  }
}
