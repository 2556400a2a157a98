import { invalid } from '@order-system/errors';
import { bindService, type CallContext, type ServiceBinding } from '@order-system/grpc';
import { catalog, orders } from '@order-system/proto';
import type { Admission } from '../app/admission.js';
import type { Deps } from '../app/deps.js';
import { getOrder } from '../app/get-order.js';
import { listOrders } from '../app/list-orders.js';
import { placeOrder } from '../app/place-order.js';
import { watchOrder } from '../app/watch-order.js';

/** The public services, shared by the gRPC listener and the Connect/gRPC-Web one. */
export function publicServices(deps: Deps, rpcTimeoutMs: number, admission: Admission): ServiceBinding[] {
  const opts = (ctx: CallContext) => ({ correlationId: ctx.correlationId, signal: ctx.signal, timeoutMs: rpcTimeoutMs });
  return [
    bindService(orders.v1.OrderServiceService, {
      async createOrder(req, ctx) {
        const { order } = await admission.run(() => placeOrder(deps, req, opts(ctx)));
        return { order };
      },
      async getOrder(req, ctx) {
        return { order: await getOrder(deps, req.orderId, opts(ctx)) };
      },
      listOrders: (req, ctx) => listOrders(deps, req, opts(ctx)),
      async *watchOrder(req, ctx) {
        for await (const order of watchOrder(deps, req.orderId, { correlationId: ctx.correlationId, signal: ctx.signal })) {
          yield { order };
        }
      },
    }),
    bindService(catalog.v1.CatalogServiceService, {
      async listProducts(req, ctx) {
        if (req.pageSize < 0) throw invalid('page_size must not be negative');
        return deps.inventory.listProducts({ ...req, pageSize: Math.min(req.pageSize || 20, 100) }, opts(ctx));
      },
      getProduct: (req, ctx) => deps.inventory.getProduct(req, opts(ctx)),
    }),
  ];
}
