import type { Completion, Placed } from '../domain/order.js';
import { placedOrder } from '../domain/order.js';
import type { OrderRepository } from '../domain/ports.js';
import { inOrderPerKey } from './in-order-per-key.js';
import type { OrderChanges } from './order-changes.js';

export type OrderEventInput = { type: 'placed'; placed: Placed } | { type: 'completed'; completion: Completion };

export type RecordResult = 'inserted' | 'exists' | 'completed' | 'duplicate' | 'already_terminal';

/** How many orders are ended at once. */
const COMPLETIONS_AT_ONCE = 16;

/**
 * Builds the stored orders from their events, idempotently: a redelivered
 * event finds its effect already there and changes nothing. The new orders of a
 * batch are stored in one write, then orders are ended, side by side. An
 * order's OrderPlaced precedes its end on the topic, so storing every new
 * order first keeps each order's events in order. `recorded` hears of each
 * effect as it lands, even if a later one fails.
 */
export async function recordOrderEvents<E extends OrderEventInput>(
  repo: OrderRepository,
  changes: OrderChanges,
  inputs: E[],
  recorded: (input: E, result: RecordResult) => void,
): Promise<void> {
  const placed = inputs.filter((e): e is E & { type: 'placed' } => e.type === 'placed');
  const inserted = await repo.insert(placed.map(({ placed: p }) => ({ order: placedOrder(p), eventId: p.eventId })));
  placed.forEach((input, i) => {
    if (inserted[i] === 'inserted') changes.notify(input.placed.orderId);
    recorded(input, inserted[i]!);
  });

  const completed = inputs.filter((e): e is E & { type: 'completed' } => e.type === 'completed');
  await inOrderPerKey(completed, (e) => e.completion.orderId, COMPLETIONS_AT_ONCE, async (input) => {
    const result = await repo.complete(input.completion);
    // Its OrderPlaced is stored first; retry in case it is being stored right now, then dead-letter.
    if (result === 'missing') throw new Error(`order ${input.completion.orderId} is not stored yet`);
    if (result === 'completed') changes.notify(input.completion.orderId);
    recorded(input, result);
  });
}
