import { GroupCommit } from '@order-system/batching';
import { AppError, isTransient, unavailable } from '@order-system/errors';
import { fromStatus, serviceName, type CallOptions, type Cancellation } from '@order-system/grpc';
import { currentCorrelationId } from '@order-system/logger';
import { histogram, type MetricsRegistry } from '@order-system/metrics';
import { inventory } from '@order-system/proto';
import type { InventoryClient } from '../app/deps.js';

export interface BatchingOptions {
  /** The most orders in one ReserveStocks call. */
  maxBatch: number;
  /** The most ReserveStock(s) calls in flight at once; the orders arriving meanwhile wait and go together. */
  maxInFlight: number;
  /** The deadline of an order's reservation when its caller gives none. */
  defaultTimeoutMs: number;
  /** Records the orders each call carried in gateway_reserve_call_orders. */
  metrics?: MetricsRegistry;
}

interface Pending {
  req: inventory.v1.ReserveStockRequest;
  correlationId: string | undefined;
  signal: Cancellation | undefined;
  /** Epoch ms. */
  deadline: number;
}

type Outcome = { reserved: inventory.v1.ReserveStockResponse } | { failed: unknown };

/**
 * The inventory client with its ReserveStock calls gathered into ReserveStocks
 * batches. While fewer than maxInFlight calls are out, an order goes at once;
 * the orders that arrive while they all are wait and go together when one
 * returns. Each order keeps its own outcome: the result or error ReserveStock
 * would have given it alone. A batch call that fails as a whole fails its
 * orders when the cause is shared (inventory unavailable, the deadline), and
 * is otherwise sent again one order at a time (an inventory that does not
 * serve ReserveStocks yet, during a rolling update).
 *
 * A batch's deadline is its earliest order's. An order whose caller went away
 * before its batch was sent is left out; one whose caller goes away in flight
 * is answered at once, and its batch goes on.
 */
export function withBatchedReservations(client: InventoryClient, opts: BatchingOptions): InventoryClient {
  const carried =
    opts.metrics &&
    histogram(opts.metrics, {
      name: 'gateway_reserve_call_orders',
      help: 'Orders carried by each ReserveStock(s) call to inventory.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    });
  const orders = new GroupCommit<Pending, Outcome>({
    many: async (batch) => {
      const sent = batch.filter((p) => !p.signal?.aborted);
      if (sent.length === 0) return batch.map(() => ({ failed: cancelled() }));
      carried?.observe(sent.length);
      const { results } = await client.reserveStocks(
        { orders: sent.map((p) => ({ order: p.req.order, correlationId: p.correlationId ?? '' })) },
        { timeoutMs: msUntil(Math.min(...sent.map((p) => p.deadline))) },
      );
      if (results.length !== sent.length) {
        throw new AppError('internal', `inventory answered ${results.length} results for ${sent.length} orders`);
      }
      const outcomes = new Map(sent.map((p, i) => [p, outcomeOf(results[i]!)]));
      return batch.map((p) => outcomes.get(p) ?? { failed: cancelled() });
    },
    one: async (p) => {
      if (p.signal?.aborted) return { failed: cancelled() };
      carried?.observe(1);
      return client.reserveStock(p.req, { correlationId: p.correlationId, signal: p.signal, timeoutMs: msUntil(p.deadline) }).then(
        (reserved): Outcome => ({ reserved }),
        (err: unknown): Outcome => ({ failed: err }),
      );
    },
    shared: isTransient,
    maxBatch: opts.maxBatch,
    maxInFlight: opts.maxInFlight,
  });

  const reserveStock = (req: inventory.v1.ReserveStockRequest, call: CallOptions = {}) => {
    const pending: Pending = {
      req,
      correlationId: call.correlationId ?? currentCorrelationId(),
      signal: call.signal,
      deadline: Date.now() + (call.timeoutMs ?? opts.defaultTimeoutMs),
    };
    const outcome = orders.run(pending).catch((err: unknown): Outcome => ({ failed: err }));
    return untilAborted(outcome, call.signal).then((o) => {
      if ('failed' in o) throw o.failed;
      return o.reserved;
    });
  };
  return { ...client, reserveStock };
}

/** What is left of a deadline, as a call's timeout (never below 1 ms). */
const msUntil = (deadline: number) => Math.max(1, deadline - Date.now());

const cancelled = () => unavailable('the caller went away before inventory answered');

/** The name a failed call's error gives, as the client's own errors do. */
const target = serviceName(inventory.v1.InventoryServiceService);

function outcomeOf(result: inventory.v1.ReserveStockResult): Outcome {
  if (result.reserved) return { reserved: result.reserved };
  if (result.failed) return { failed: fromStatus(result.failed, target) };
  return { failed: new AppError('internal', 'inventory answered an order of a batch with neither a result nor an error') };
}

/** The outcome (which never rejects), or a cancellation as soon as the signal aborts. */
function untilAborted(outcome: Promise<Outcome>, signal: Cancellation | undefined): Promise<Outcome> {
  if (!signal) return outcome;
  if (signal.aborted) return Promise.resolve({ failed: cancelled() });
  return new Promise((resolve) => {
    const abort = () => resolve({ failed: cancelled() });
    signal.addEventListener('abort', abort, { once: true });
    void outcome.then((o) => {
      signal.removeEventListener('abort', abort);
      resolve(o);
    });
  });
}
