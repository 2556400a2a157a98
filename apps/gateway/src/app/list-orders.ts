import { invalid } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import type { Deps } from './deps.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Newest first; page_size defaults to 20 and is capped at 100. */
export function listOrders(deps: Deps, req: orders.v1.ListOrdersRequest, opts: CallOptions) {
  if (req.pageSize < 0) throw invalid('page_size must not be negative');
  const pageSize = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return deps.orderStore.listOrders({ ...req, pageSize }, opts);
}
