import type { Caller } from '@order-system/auth';
import { invalid } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import type { catalog } from '@order-system/proto';
import { mayManageCatalog } from '../domain/access.js';
import type { Deps } from './deps.js';

/** Creates or replaces a product, for a catalog:admin caller; inventory validates and stores it. */
export async function upsertProduct(deps: Deps, caller: Caller, req: catalog.v1.UpsertProductRequest, opts: CallOptions): Promise<catalog.v1.UpsertProductResponse> {
  mayManageCatalog(caller);
  if (!req.price) throw invalid('price is required');
  return deps.inventory.upsertProduct({ ...req, price: req.price }, opts);
}
