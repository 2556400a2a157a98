import { invalid } from '@order-system/errors';
import { MongoBulkWriteError, type Collection, type Db, type Filter } from 'mongodb';
import type { OrderRepository } from '../domain/ports.js';
import { complete, completionChange, completionFields, type Completion, type ListFilter, type Order, type Placement } from '../domain/order.js';
import { asUnavailable } from './mongo.js';

/**
 * An order as stored: keyed by order_id, with the ids of the events applied to
 * it and when this store wrote its current state (storedAt - updatedAt is how
 * far the store lagged inventory's decision).
 */
type OrderDoc = Omit<Order, 'orderId'> & { _id: string; eventIds: string[]; storedAt: Date };

const toOrder = ({ _id, eventIds: _applied, storedAt: _stored, ...rest }: OrderDoc): Order => ({ orderId: _id, ...rest });

const INDEXES = [
  { key: { createdAt: -1, _id: -1 }, name: 'newest_first' },
  { key: { 'customer.userId': 1, createdAt: -1, _id: -1 }, name: 'by_customer' },
  { key: { status: 1, createdAt: -1, _id: -1 }, name: 'by_status' },
] as const;

interface Cursor {
  c: number;
  id: string;
}

/**
 * Orders in MongoDB, one document per order keyed by order_id. Correct on
 * FerretDB too, with no transactions: inserts rely on the unique _id, and the
 * one update, to the terminal state, is the domain's complete() made atomic:
 * conditional on the order being PENDING.
 * FerretDB applies it as a read then a write, not atomically; two consumers
 * applying the same event at once (a rebalance) both read the PENDING order and
 * both write the same result, so it is applied once either way.
 */
export class OrderMongoRepository implements OrderRepository {
  private readonly orders: Collection<OrderDoc>;

  constructor(db: Db) {
    this.orders = db.collection<OrderDoc>('orders');
  }

  async ensureIndexes(): Promise<void> {
    // One index a call: FerretDB 1.24 drops the connection when one createIndexes
    // call names several indexes that already exist.
    for (const { key, name } of INDEXES) await this.orders.createIndex(key, { name });
  }

  async insert(placements: Placement[]): Promise<('inserted' | 'exists')[]> {
    const results = placements.map((): 'inserted' | 'exists' => 'inserted');
    if (placements.length === 0) return results;
    const storedAt = new Date();
    const docs = placements.map(({ order: { orderId, ...rest }, eventIds }) => ({ _id: orderId, ...rest, eventIds, storedAt }));
    try {
      await this.orders.insertMany(docs, { ordered: false });
    } catch (err) {
      const failed = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
      if (failed.length === 0 || failed.some((w) => w.code !== 11000)) return asUnavailable(err);
      for (const w of failed) results[w.index] = 'exists'; // the _id is taken: stored before
    }
    return results;
  }

  async complete(c: Completion): Promise<'completed' | 'duplicate' | 'already_terminal' | 'missing'> {
    const { matchedCount } = await this.orders
      .updateOne(
        { _id: c.orderId, status: 'PENDING' },
        { $set: { ...completionFields(c), storedAt: new Date() }, $push: { history: completionChange(c), eventIds: c.eventId } },
      )
      .catch(asUnavailable);
    if (matchedCount === 1) return 'completed';
    const current = await this.orders.findOne({ _id: c.orderId }).catch(asUnavailable);
    if (!current) return 'missing';
    // Not PENDING when the update looked: a state never goes back, so this is a repeat or a second end.
    const { result } = complete(toOrder(current), current.eventIds, c);
    if (result === 'completed') throw new Error(`order ${c.orderId} read PENDING after a conditional update missed it`);
    return result;
  }

  async get(orderId: string): Promise<Order | undefined> {
    const doc = await this.orders.findOne({ _id: orderId }).catch(asUnavailable);
    return doc ? toOrder(doc) : undefined;
  }

  async list(filter: ListFilter, pageSize: number, pageToken: string) {
    const query: Filter<OrderDoc> = {};
    if (filter.customerUserId) query['customer.userId'] = filter.customerUserId;
    if (filter.status) query.status = filter.status;
    if (pageToken) {
      const { c, id } = decodeCursor(pageToken);
      query.$or = [{ createdAt: { $lt: new Date(c) } }, { createdAt: new Date(c), _id: { $lt: id } }];
    }
    const docs = await this.orders
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(pageSize + 1)
      .toArray()
      .catch(asUnavailable);
    const orders = docs.slice(0, pageSize).map(toOrder);
    const last = orders[orders.length - 1];
    const nextPageToken =
      docs.length > pageSize && last ? encodeCursor({ c: last.createdAt.getTime(), id: last.orderId }) : '';
    return { orders, nextPageToken };
  }
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(token: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString()) as Cursor;
    if (typeof cursor.c === 'number' && typeof cursor.id === 'string') return cursor;
  } catch {
    // fall through
  }
  throw invalid('page_token is not valid');
}
