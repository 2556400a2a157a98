import { unauthenticated, type Caller } from '@order-system/auth';
import { invalid } from '@order-system/errors';
import { bindService, type CallContext, type ServiceBinding } from '@order-system/grpc';
import { catalog, orders } from '@order-system/proto';
import type { Admission } from '../app/admission.js';
import type { Deps } from '../app/deps.js';
import { getOrder } from '../app/get-order.js';
import { listOrders } from '../app/list-orders.js';
import { placeOrder } from '../app/place-order.js';
import { upsertProduct } from '../app/upsert-product.js';
import { watchOrder, type Watches } from '../app/watch-order.js';

/** The caller the transport's interceptor proved (the servers refuse unauthenticated calls before a handler runs). */
export function callerOf(ctx: CallContext): Caller {
  if (!ctx.principal) throw unauthenticated('a bearer token is required');
  return ctx.principal as Caller;
}

/** The public services, shared by the gRPC listener and the Connect/gRPC-Web one. */
export function publicServices(deps: Deps, rpcTimeoutMs: number, admission: Admission, watches: Watches): ServiceBinding[] {
  const opts = (ctx: CallContext) => ({ correlationId: ctx.correlationId, signal: ctx.signal, timeoutMs: rpcTimeoutMs });
  return [
    bindService(orders.v1.OrderServiceService, {
      async createOrder(req, ctx) {
        const caller = callerOf(ctx);
        const { order } = await admission.run(() => placeOrder(deps, caller, req, opts(ctx)));
        return { order };
      },
      async getOrder(req, ctx) {
        return { order: await getOrder(deps, callerOf(ctx), req.orderId, opts(ctx)) };
      },
      listOrders: (req, ctx) => listOrders(deps, callerOf(ctx), req, opts(ctx)),
      async *watchOrder(req, ctx) {
        const call = { correlationId: ctx.correlationId, signal: ctx.signal };
        for await (const order of watchOrder(deps, watches, callerOf(ctx), req.orderId, call)) yield { order };
      },
    }),
    bindService(catalog.v1.CatalogServiceService, {
      async listProducts(req, ctx) {
        callerOf(ctx);
        if (req.pageSize < 0) throw invalid('page_size must not be negative');
        return deps.inventory.listProducts({ ...req, pageSize: Math.min(req.pageSize || 20, 100) }, opts(ctx));
      },
      getProduct: (req, ctx) => (callerOf(ctx), deps.inventory.getProduct(req, opts(ctx))),
      upsertProduct: (req, ctx) => upsertProduct(deps, callerOf(ctx), req, opts(ctx)),
    }),
  ];
}
