import { PassThrough } from 'node:stream';
import { AppError, unavailable } from '@order-system/errors';
import { fromStatus, serviceName, type CallOptions } from '@order-system/grpc';
import { currentCorrelationId } from '@order-system/logger';
import { histogram, type MetricsRegistry } from '@order-system/metrics';
import { inventory } from '@order-system/proto';
import type { InventoryClient } from '../app/deps.js';

export interface StreamingOptions {
  /** The deadline of an order's reservation when its caller gives none. */
  defaultTimeoutMs: number;
  /** Times each order's reservation in gateway_reservation_duration_seconds. */
  metrics?: MetricsRegistry;
}

/** An order waiting for inventory's answer. */
interface Waiting {
  request: inventory.v1.StreamedOrder;
  /** Sent once more already, after a stream ended without answering it. */
  resent: boolean;
  resolve: (res: inventory.v1.ReserveStockResponse) => void;
  reject: (err: unknown) => void;
}

/**
 * The inventory client with its ReserveStock calls sent on one long-lived
 * ReserveStockStream: an order costs a share of a message each way instead
 * of a call of its own (see docs/performance.md). Each order keeps its own
 * outcome (the result or error ReserveStock would have given it alone),
 * deadline and cancellation.
 *
 * The stream opens with the first order, and again with the next order after
 * it ends. When inventory ends it cleanly (it is shutting down), the orders it
 * had not answered were never taken, and go once more on a new stream. When it
 * breaks, they fail with its error: they may or may not be reserved, and their
 * callers may ask again with the same order_id.
 */
export function withStreamedReservations(client: InventoryClient, opts: StreamingOptions): InventoryClient {
  const duration =
    opts.metrics &&
    histogram(opts.metrics, {
      name: 'gateway_reservation_duration_seconds',
      help: 'Time until inventory decided an order, by outcome (reserved, failed, cancelled, deadline).',
      labelNames: ['outcome'],
    });
  let stream: ReservationStream | undefined;
  let nextId = 1;

  const send = (waiting: Waiting) => {
    if (!stream?.open) stream = new ReservationStream(client, ended);
    stream.send(waiting);
  };

  /** What becomes of the orders a stream did not answer. */
  const ended = (unanswered: Waiting[], err: unknown) => {
    for (const waiting of unanswered) {
      if (err === undefined && !waiting.resent) send({ ...waiting, resent: true });
      else waiting.reject(err ?? unavailable(`${target} is unavailable: it ended the reservation stream twice without answering`));
    }
  };

  const reserveStock = (req: inventory.v1.ReserveStockRequest, call: CallOptions = {}) =>
    new Promise<inventory.v1.ReserveStockResponse>((resolve, reject) => {
      const { signal } = call;
      if (signal?.aborted) return reject(cancelled());
      const id = nextId++;
      const timeoutMs = call.timeoutMs ?? opts.defaultTimeoutMs;
      const end = duration?.startTimer();
      let decided = false;
      /** The first outcome stands; false for any later one. */
      const decide = (outcome: string) => {
        if (decided) return false;
        decided = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        stream?.forget(id);
        end?.({ outcome });
        return true;
      };
      const abort = () => decide('cancelled') && reject(cancelled());
      const timer = setTimeout(
        () => decide('deadline') && reject(unavailable(`${target} is unavailable: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', abort, { once: true });
      send({
        request: { id, order: req.order, correlationId: call.correlationId ?? currentCorrelationId() ?? '' },
        resent: false,
        resolve: (res) => decide('reserved') && resolve(res),
        reject: (err) => decide('failed') && reject(err),
      });
    });
  return { ...client, reserveStock };
}

/**
 * One ReserveStockStream call, and the orders waiting on it by id. The orders
 * that arrive in one turn of the event loop go in one message: one at a time
 * when they are few, many at once near the ceiling. While the stream cannot
 * take more (inventory reads no further, HTTP/2 flow control holds), the
 * orders wait here, where the ones whose caller gives up in the meantime are
 * left out instead of being sent.
 */
class ReservationStream {
  private readonly requests = new PassThrough({ objectMode: true, highWaterMark: 4 });
  private readonly waiting = new Map<number, Waiting>();
  private unsent: inventory.v1.StreamedOrder[] = [];
  private flushing = false;
  open = true;

  constructor(
    client: InventoryClient,
    private readonly ended: (unanswered: Waiting[], err: unknown) => void,
  ) {
    this.requests.on('drain', () => this.flush());
    // Opened with no order's correlation id: the stream outlives the order that opened it.
    void this.receive(() => client.reserveStockStream(this.requests, { correlationId: '' }));
  }

  send(waiting: Waiting) {
    this.waiting.set(waiting.request.id, waiting);
    if (this.unsent.push(waiting.request) === 1 && !this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  /** The order has its outcome (or its caller went away): it is not sent, and an answer that comes later is dropped. */
  forget(id: number) {
    this.waiting.delete(id);
  }

  private flush() {
    this.flushing = false;
    if (!this.open) return;
    const orders = this.unsent.filter((o) => this.waiting.has(o.id));
    let sent = 0;
    while (sent < orders.length) {
      const more = this.requests.write({ orders: orders.slice(sent, sent + MAX_MESSAGE_ORDERS) });
      sent += MAX_MESSAGE_ORDERS;
      if (!more) break; // the rest go on 'drain'
    }
    this.unsent = orders.slice(sent);
    if (this.unsent.length > 0) this.flushing = true;
  }

  private async receive(open: () => AsyncIterable<inventory.v1.ReserveStockStreamResponse>) {
    let failure: unknown;
    try {
      for await (const { results } of open()) {
        for (const { id, result } of results) {
          const waiting = this.waiting.get(id);
          if (!waiting) continue;
          this.waiting.delete(id);
          if (result?.reserved) waiting.resolve(result.reserved);
          else if (result?.failed) waiting.reject(fromStatus(result.failed, target));
          else waiting.reject(new AppError('internal', 'inventory answered an order with neither a result nor an error'));
        }
      }
    } catch (err) {
      failure = err; // opening it fails too once the client is closed
    }
    this.open = false;
    this.requests.end();
    const unanswered = [...this.waiting.values()];
    this.waiting.clear();
    this.ended(unanswered, failure);
  }
}

/** Orders in one message: about 60 KiB at most. */
const MAX_MESSAGE_ORDERS = 256;

const cancelled = () => unavailable('the caller went away before inventory answered');

/** The name a failed call's error gives, as the client's own errors do. */
const target = serviceName(inventory.v1.InventoryServiceService);
