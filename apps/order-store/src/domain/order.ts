import { times, type Money } from '@order-system/money';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'FAILED';
export type FailureReason = 'PAYMENT_DECLINED' | 'INSUFFICIENT_STOCK' | 'RESERVATION_EXPIRED' | 'UNSPECIFIED';

export interface OrderItem {
  productId: string;
  sku: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  lineTotal: Money;
}

export interface StatusChange {
  status: OrderStatus;
  at: Date;
  reason: string;
}

export interface Order {
  orderId: string;
  status: OrderStatus;
  customer: { userId: string; email: string };
  items: OrderItem[];
  total: Money;
  failureReason?: FailureReason;
  failureMessage?: string;
  paymentId?: string;
  createdAt: Date;
  updatedAt: Date;
  history: StatusChange[];
}

export interface Placed {
  /** The OrderPlaced event's id. */
  eventId: string;
  orderId: string;
  customer: { userId: string; email: string };
  lines: Omit<OrderItem, 'lineTotal'>[];
  total: Money;
  createdAt: Date;
  at: Date;
}

/** A new order to store, with the ids of the events it was built from (its OrderPlaced, and its end if already known). */
export interface Placement {
  order: Order;
  eventIds: string[];
}

/** The end of an order: confirmed with its payment, or failed with a reason. */
export interface Completion {
  /** The OrderConfirmed or OrderFailed event's id. */
  eventId: string;
  orderId: string;
  status: Exclude<OrderStatus, 'PENDING'>;
  paymentId?: string;
  failureReason?: FailureReason;
  failureMessage?: string;
  at: Date;
}

export const isTerminal = (status: OrderStatus) => status !== 'PENDING';

export function placedOrder(e: Placed): Order {
  return {
    orderId: e.orderId,
    status: 'PENDING',
    customer: e.customer,
    items: e.lines.map((l) => ({ ...l, lineTotal: times(l.unitPrice, l.quantity) })),
    total: e.total,
    createdAt: e.createdAt,
    updatedAt: e.at,
    history: [{ status: 'PENDING', at: e.createdAt, reason: 'stock reserved, awaiting payment' }],
  };
}

export function completionChange(c: Completion): StatusChange {
  return { status: c.status, at: c.at, reason: c.status === 'CONFIRMED' ? 'payment approved' : (c.failureMessage ?? '') };
}

/** What a completion changes in a PENDING order: what the repository sets and appends. */
export function completionFields(c: Completion): Pick<Order, 'status' | 'updatedAt' | 'paymentId' | 'failureReason' | 'failureMessage'> {
  const fields: ReturnType<typeof completionFields> = { status: c.status, updatedAt: c.at };
  if (c.paymentId) fields.paymentId = c.paymentId;
  if (c.failureReason) fields.failureReason = c.failureReason;
  if (c.failureMessage) fields.failureMessage = c.failureMessage;
  return fields;
}

/** What a completion does to a stored order. */
export type CompletionOutcome =
  /** The order moved from PENDING to its terminal state. */
  | { result: 'completed'; order: Order }
  /** This event was applied before: nothing changes. */
  | { result: 'duplicate' }
  /** The order had ended already (by another event): it stays as it is. */
  | { result: 'already_terminal' };

/**
 * The order's one move: PENDING to CONFIRMED or FAILED, once. `applied` are
 * the ids of the events already applied to it, so that applying an event
 * again is recognised and changes nothing; a terminal order never changes.
 */
export function complete(order: Order, applied: readonly string[], c: Completion): CompletionOutcome {
  if (applied.includes(c.eventId)) return { result: 'duplicate' };
  if (isTerminal(order.status)) return { result: 'already_terminal' };
  return { result: 'completed', order: { ...order, ...completionFields(c), history: [...order.history, completionChange(c)] } };
}

export interface ListFilter {
  customerUserId?: string;
  status?: OrderStatus;
}
