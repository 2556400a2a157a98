import type { Caller } from '@order-system/auth';
import { CATALOG_ADMIN, ORDERS_ADMIN } from '@order-system/auth';
import { notFound, permissionDenied } from '@order-system/errors';

/**
 * Who may do what with orders and the catalog. A customer places orders in
 * their own name and sees only their own; an orders:admin token sees every
 * customer's; only a catalog:admin token manages products. "Not yours" reads
 * exactly like "does not exist".
 */

/** The user_id a new order is placed under: the caller's, whether the request names it or not. */
export function customerOfNewOrder(caller: Caller, requested: string | undefined): string {
  if (requested && requested !== caller.customerId) {
    throw permissionDenied(`customer.user_id ${JSON.stringify(requested)} is not the caller's (${caller.customerId})`);
  }
  return caller.customerId;
}

/** The order if the caller may see it; NOT_FOUND, as for an order that does not exist, if not. */
export function visibleOrder<O extends { orderId: string; customer?: { userId: string } }>(caller: Caller, order: O): O {
  if (caller.scopes.has(ORDERS_ADMIN) || order.customer?.userId === caller.customerId) return order;
  throw orderNotFound(order.orderId);
}

export const orderNotFound = (orderId: string) => notFound(`order ${orderId} not found`);

/**
 * The customer whose orders a list shows: an admin's choice (empty: all), a
 * customer's own; `undefined` when a customer asks for someone else's (an
 * empty list, as if they had none).
 */
export function listedCustomer(caller: Caller, requested: string): string | undefined {
  if (caller.scopes.has(ORDERS_ADMIN)) return requested;
  return !requested || requested === caller.customerId ? caller.customerId : undefined;
}

export function mayManageCatalog(caller: Caller): void {
  if (!caller.scopes.has(CATALOG_ADMIN)) throw permissionDenied('managing the catalog needs a token with the catalog:admin scope');
}
