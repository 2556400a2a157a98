import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromBinary, toJson, type Registry } from '@bufbuild/protobuf';
import type { Caller } from '@order-system/auth';
import { AppError, invalid, RateLimited, type ErrorKind } from '@order-system/errors';
import { fromDecimal, type Money } from '@order-system/money';
import { orders } from '@order-system/proto';
import type { Admission } from '../app/admission.js';
import type { Deps } from '../app/deps.js';
import { getOrder } from '../app/get-order.js';
import { listOrders } from '../app/list-orders.js';
import { placeOrder } from '../app/place-order.js';

const httpStatus: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  resource_exhausted: 413, // a body over the limit; a rate limit's refusal is 429
  unauthenticated: 401,
  permission_denied: 403,
  unavailable: 503,
  internal: 500,
};

/**
 * The original REST routes: POST /orders (202 new, 200 replay), GET /orders,
 * GET /orders/{order_id}. Orders are answered as the proto3 JSON of
 * orders.v1.Order with proto field names; errors as {code, message}.
 */
export function restRoutes(
  deps: Deps,
  registry: Registry,
  opts: { maxBodyBytes: number; rpcTimeoutMs: number; admission: Admission; authenticateHeader(authorization: string | undefined): Promise<Caller> },
) {
  const orderSchema = registry.getMessage('orders.v1.Order');
  if (!orderSchema) throw new Error('orders.v1.Order is not in the descriptor set');
  const orderJson = (order: orders.v1.Order) =>
    toJson(orderSchema, fromBinary(orderSchema, orders.v1.Order.encode(order).finish()), { useProtoFieldName: true });

  return async (req: IncomingMessage, res: ServerResponse, url: URL, correlationId: string): Promise<boolean> => {
    const one = /^\/orders\/([^/]+)$/.exec(url.pathname);
    if (url.pathname !== '/orders' && !one) return false;
    const call = { correlationId, timeoutMs: opts.rpcTimeoutMs };
    try {
      const caller = await opts.authenticateHeader(req.headers.authorization);
      if (url.pathname === '/orders' && req.method === 'POST') {
        const body = await readJson(req, opts.maxBodyBytes);
        const request = createOrderFromRest(body);
        const { order, created } = await opts.admission.run(() => placeOrder(deps, caller, request, call));
        send(res, created ? 202 : 200, orderJson(order));
      } else if (url.pathname === '/orders' && req.method === 'GET') {
        const page = await listOrders(deps, caller, listRequestFromQuery(url.searchParams), call);
        send(res, 200, { orders: page.orders.map(orderJson), next_page_token: page.nextPageToken });
      } else if (one && req.method === 'GET') {
        send(res, 200, orderJson(await getOrder(deps, caller, pathSegment(one[1]!), call)));
      } else {
        send(res, 405, { code: 'method_not_allowed', message: `${req.method} is not allowed on ${url.pathname}` });
      }
    } catch (err) {
      sendError(res, err);
    }
    return true;
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error as REST answers it: 401 says how to authenticate, 429 when to come back. */
function sendError(res: ServerResponse, err: unknown) {
  const e = err instanceof AppError ? err : new AppError('internal', 'internal error');
  const headers: Record<string, string> = {};
  if (e.kind === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  if (e instanceof RateLimited) headers['retry-after'] = String(e.retryAfterSec);
  send(res, e instanceof RateLimited ? 429 : httpStatus[e.kind], { code: codeNames[e.kind], message: e.message }, headers);
}

/** A path segment, percent-decoded; malformed encoding is the caller's error. */
function pathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid('the path is not validly percent-encoded');
  }
}

/** Error codes as gRPC and Connect name them. */
const codeNames: Record<ErrorKind, string> = {
  invalid: 'invalid_argument',
  not_found: 'not_found',
  already_exists: 'already_exists',
  failed_precondition: 'failed_precondition',
  resource_exhausted: 'resource_exhausted',
  unauthenticated: 'unauthenticated',
  permission_denied: 'permission_denied',
  unavailable: 'unavailable',
  internal: 'internal',
};

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw invalid('content-type must be application/json');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new AppError('resource_exhausted', `body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError('resource_exhausted', `body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
  } catch {
    throw invalid('body is not valid UTF-8 JSON');
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(obj: Json, key: string, path: string, type: 'string' | 'integer', fallback?: T): T {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw invalid(`${path}${key} is required`);
  }
  if (type === 'string' ? typeof value !== 'string' : !Number.isSafeInteger(value)) {
    throw invalid(`${path}${key} must be ${type === 'string' ? 'a string' : 'an integer'}`);
  }
  return value as T;
}

/** The original REST body (snake_case, price as a decimal number) as a CreateOrderRequest. */
export function createOrderFromRest(body: unknown): orders.v1.CreateOrderRequest {
  if (!isObject(body)) throw invalid('body must be a JSON object');
  const customer = body.customer;
  if (!isObject(customer)) throw invalid('customer must be an object');
  if (!Array.isArray(body.items)) throw invalid('items must be an array');
  const currency = field(body, 'currency', '', 'string', 'USD');
  return {
    orderId: field(body, 'order_id', '', 'string'),
    customer: { userId: field(customer, 'user_id', 'customer.', 'string'), email: field(customer, 'email', 'customer.', 'string') },
    items: body.items.map((item, i) => {
      const at = `items[${i}].`;
      if (!isObject(item)) throw invalid(`items[${i}] must be an object`);
      return {
        productId: field(item, 'product_id', at, 'string', ''),
        sku: field(item, 'sku', at, 'string', ''),
        quantity: field(item, 'quantity', at, 'integer'),
        expectedUnitPrice: priceOf(item, at, currency),
      };
    }),
    paymentToken: field(body, 'payment_token', '', 'string', ''),
  };
}

function priceOf(item: Json, at: string, currency: string): Money | undefined {
  const price = item.price;
  if (price === undefined || price === null) return undefined;
  if (typeof price !== 'number' && typeof price !== 'string') throw invalid(`${at}price must be a number`);
  const money = fromDecimal(currency, price);
  if (!money) throw invalid(`${at}price must be a decimal amount with at most 9 decimals`);
  return money;
}

function listRequestFromQuery(q: URLSearchParams): orders.v1.ListOrdersRequest {
  const pageSize = Number(q.get('page_size') ?? 0);
  if (!Number.isSafeInteger(pageSize)) throw invalid('page_size must be an integer');
  const statusName = q.get('status');
  const status = statusName
    ? orders.v1.orderStatusFromJSON(statusName.startsWith('ORDER_STATUS_') ? statusName : `ORDER_STATUS_${statusName.toUpperCase()}`)
    : orders.v1.OrderStatus.ORDER_STATUS_UNSPECIFIED;
  if (status === orders.v1.OrderStatus.UNRECOGNIZED) throw invalid(`status ${JSON.stringify(statusName)} is not valid`);
  return { pageSize, pageToken: q.get('page_token') ?? '', customerUserId: q.get('customer_user_id') ?? '', status };
}
