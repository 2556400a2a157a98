import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { CatalogService, OrderService, type Order } from '@order-system/proto/web';
import { isTerminal } from './format.js';

export interface Api {
  orders: Client<typeof OrderService>;
  catalog: Client<typeof CatalogService>;
}

/**
 * The public API as this token's holder calls it: Connect (JSON) over fetch
 * to the gateway that served the page, so same-origin and with no CORS.
 */
export function createApi(token: string): Api {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] });
  return { orders: createClient(OrderService, transport), catalog: createClient(CatalogService, transport) };
}

/**
 * Follows an order through WatchOrder, a server stream: its current state,
 * then each change, until it is CONFIRMED or FAILED. The gateway ends a watch
 * after its lifetime cap; a watch that ends on a PENDING order is opened again.
 */
export async function watchOrder(api: Api, orderId: string, onOrder: (o: Order) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let last: Order | undefined;
    for await (const { order } of api.orders.watchOrder({ orderId }, { signal })) {
      if (!order) continue;
      last = order;
      onOrder(order);
    }
    if (!last || isTerminal(last)) return;
  }
}

/** Every product, page by page. */
export async function allProducts(api: Api) {
  const products = [];
  let pageToken = '';
  do {
    const page = await api.catalog.listProducts({ pageSize: 100, pageToken });
    products.push(...page.products);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return products;
}
