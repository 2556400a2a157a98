import type { Completion, ListFilter, Order, Placement } from './order.js';

export interface OrderRepository {
  /**
   * Stores new orders, each with the ids of the events it was built from;
   * 'exists' for one already stored (a redelivery).
   */
  insert(placements: Placement[]): Promise<('inserted' | 'exists')[]>;
  /**
   * Moves a PENDING order to its terminal state, once, recording the event id
   * in the same document write: 'duplicate' for an event already applied.
   */
  complete(c: Completion): Promise<'completed' | 'duplicate' | 'already_terminal' | 'missing'>;
  get(orderId: string): Promise<Order | undefined>;
  /** Newest first. */
  list(filter: ListFilter, pageSize: number, pageToken: string): Promise<{ orders: Order[]; nextPageToken: string }>;
}
