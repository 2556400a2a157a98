import type { Caller } from '@order-system/auth';
import { invalid } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import { listedCustomer } from '../domain/access.js';
import type { Deps } from './deps.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The caller's orders (an admin's: anyone's), newest first; page_size defaults to 20 and is capped at 100. */
export async function listOrders(deps: Deps, caller: Caller, req: orders.v1.ListOrdersRequest, opts: CallOptions): Promise<orders.v1.ListOrdersResponse> {
  if (req.pageSize < 0) throw invalid('page_size must not be negative');
  const customerUserId = listedCustomer(caller, req.customerUserId);
  if (customerUserId === undefined) return { orders: [], nextPageToken: '' };
  const pageSize = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return deps.orderStore.listOrders({ ...req, customerUserId, pageSize }, opts);
}
