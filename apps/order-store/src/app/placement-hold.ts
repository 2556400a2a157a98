/** A new order held back, and where its message sits. */
export interface Held<P> {
  orderId: string;
  placed: P;
  partition: number;
  offset: string;
  since: number;
}

/**
 * New orders held back for up to holdMs before they are stored as PENDING.
 * Most orders end sooner, and one that ends while held is stored once, as it
 * ended, instead of inserted and then updated. (On FerretDB an update is a read
 * and a write in a transaction of its own: the largest cost of the store.)
 * While an order is held its message is not committed (see earliest), so a
 * crash delivers it again.
 */
export class PlacementHold<P> {
  private readonly held = new Map<string, Held<P>>();

  constructor(
    private readonly holdMs: number,
    /** Beyond this many, orders are stored at once (the store is down and the orders pile up, say). */
    private readonly maxHeld = 10_000,
  ) {}

  /** Holds the order back; false if holding is off or full: store it now. */
  hold(orderId: string, placed: P, partition: number, offset: string, now = Date.now()): boolean {
    if (this.holdMs <= 0) return false;
    if (this.held.has(orderId)) return true; // delivered again: stays held where it first was
    if (this.held.size >= this.maxHeld) return false;
    this.held.set(orderId, { orderId, placed, partition, offset, since: now });
    return true;
  }

  /** The order's placement, if it is held. */
  get(orderId: string): P | undefined {
    return this.held.get(orderId)?.placed;
  }

  /** The order is stored: no longer held. */
  release(orderId: string): void {
    this.held.delete(orderId);
  }

  /** The partitions with an order held for holdMs or more. */
  duePartitions(now = Date.now()): Set<number> {
    const partitions = new Set<number>();
    for (const held of this.held.values()) if (now - held.since >= this.holdMs) partitions.add(held.partition);
    return partitions;
  }

  /**
   * The partition's orders held for holdMs or more. They stay held (and their
   * messages uncommitted) until release(), once they are stored.
   */
  due(partition: number, now = Date.now()): Held<P>[] {
    return [...this.held.values()].filter((held) => held.partition === partition && now - held.since >= this.holdMs);
  }

  /** The offset of the partition's earliest held order: its commits must stop there. */
  earliest(partition: number): string | undefined {
    let earliest: bigint | undefined;
    for (const held of this.held.values()) {
      if (held.partition !== partition) continue;
      const offset = BigInt(held.offset);
      if (earliest === undefined || offset < earliest) earliest = offset;
    }
    return earliest === undefined ? undefined : String(earliest);
  }
}
