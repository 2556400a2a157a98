import type { Completion, ListFilter, Order } from './order.js';

export interface OrderRepository {
  /** Stores a new order; 'exists' when it is already stored (a redelivery). */
  insert(order: Order): Promise<'inserted' | 'exists'>;
  /** Moves a PENDING order to its terminal state, once. */
  complete(c: Completion): Promise<'completed' | 'already_terminal' | 'missing'>;
  get(orderId: string): Promise<Order | undefined>;
  /** Newest first. */
  list(filter: ListFilter, pageSize: number, pageToken: string): Promise<{ orders: Order[]; nextPageToken: string }>;
}
