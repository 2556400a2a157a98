import { complete, placedOrder, type Completion, type Placed } from '../domain/order.js';
import type { OrderRepository } from '../domain/ports.js';
import { inOrderPerKey } from './in-order-per-key.js';
import type { OrderChanges } from './order-changes.js';

export type OrderEventInput = { type: 'placed'; placed: Placed } | { type: 'completed'; completion: Completion };

export type RecordResult = 'inserted' | 'exists' | 'completed' | 'duplicate' | 'already_terminal';

/** How many orders are ended at once. */
const COMPLETIONS_AT_ONCE = 16;

/** Where new orders wait for their end before they are stored (a PlacementHold). */
export interface HoldBack<E> {
  /** Holds back an OrderPlaced; false: store it now. */
  hold(input: E): boolean;
  /** The held OrderPlaced of an order. */
  get(orderId: string): (E & { type: 'placed' }) | undefined;
  /** The order is stored: no longer held. */
  release(orderId: string): void;
}

/**
 * Builds the stored orders from their events, idempotently: a redelivered
 * event finds its effect already there and changes nothing. The new orders of
 * a batch are stored in one write, those that also end in the batch as they
 * ended; then the other orders are ended, side by side. An order's OrderPlaced
 * precedes its end on the topic, so storing every new order first keeps each
 * order's events in order. `recorded` hears of each effect as it lands, even
 * if a later one fails.
 *
 * With `holdBack`, a new order that does not end in the batch is held back
 * instead of stored, and stored with its end when that comes.
 */
export async function recordOrderEvents<E extends OrderEventInput>(
  repo: OrderRepository,
  changes: OrderChanges,
  inputs: E[],
  recorded: (input: E, result: RecordResult) => void,
  holdBack?: HoldBack<E>,
): Promise<void> {
  const completed = inputs.filter((e): e is E & { type: 'completed' } => e.type === 'completed');
  const endOf = new Map<string, (typeof completed)[number]>();
  for (const e of completed) if (!endOf.has(e.completion.orderId)) endOf.set(e.completion.orderId, e);

  // Held back before this batch, so ahead of its own new orders.
  const heldBack = holdBack ? [...endOf.keys()].flatMap((orderId) => holdBack.get(orderId) ?? []) : [];
  const placed = [...heldBack, ...inputs].filter(
    (e): e is E & { type: 'placed' } => e.type === 'placed' && (endOf.has(e.placed.orderId) || !holdBack?.hold(e)),
  );
  const stored = placed.map((input) => {
    const order = placedOrder(input.placed);
    const end = endOf.get(input.placed.orderId);
    const ended = end && complete(order, [input.placed.eventId], end.completion);
    if (!end || ended?.result !== 'completed') return { input, end: undefined, order, eventIds: [input.placed.eventId] };
    endOf.delete(input.placed.orderId); // folded into one placement at most
    return { input, end, order: ended.order, eventIds: [input.placed.eventId, end.completion.eventId] };
  });
  const inserted = await repo.insert(stored);
  // Held until stored, so that a failed batch finds them again.
  for (const e of heldBack) holdBack?.release(e.placed.orderId);
  const folded = new Set<E>();
  stored.forEach(({ input, end }, i) => {
    recorded(input, inserted[i]!);
    if (inserted[i] !== 'inserted') return; // stored before: its end, if any, is applied below
    changes.notify(input.placed.orderId);
    if (end) {
      folded.add(end);
      recorded(end, 'completed');
    }
  });

  const ends = completed.filter((e) => !folded.has(e));
  await inOrderPerKey(ends, (e) => e.completion.orderId, COMPLETIONS_AT_ONCE, async (input) => {
    const result = await repo.complete(input.completion);
    // Its OrderPlaced is stored first; retry in case it is being stored right now, then dead-letter.
    if (result === 'missing') throw new Error(`order ${input.completion.orderId} is not stored yet`);
    if (result === 'completed') changes.notify(input.completion.orderId);
    recorded(input, result);
  });
}
