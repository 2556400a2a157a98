import { invalid } from '@order-system/errors';
import { decodeEvent, type ConsumerOptions, type IncomingMessage } from '@order-system/kafka';
import { orderFields, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import type { OrderChanges } from '../app/order-changes.js';
import { PlacementHold } from '../app/placement-hold.js';
import { recordOrderEvents, type HoldBack, type OrderEventInput, type RecordResult } from '../app/record-order-event.js';
import type { OrderRepository } from '../domain/ports.js';
import { reasonFromWire } from './wire.js';

/** How often orders held back for holdMs are stored as PENDING, as a share of holdMs. */
const HOLD_CHECKS = 4;

/**
 * order-events → the stored orders, a batch at a time. New orders are held
 * back for up to holdMs (0: not at all) so that most are stored once, ended;
 * start() and stop() run the timer that stores those still PENDING then.
 */
export function orderEventsHandler(
  repo: OrderRepository,
  changes: OrderChanges,
  log: Logger,
  metrics: MetricsRegistry,
  holdMs: number,
): Pick<ConsumerOptions, 'handle' | 'handleBatch' | 'undurableFrom'> & { start(): void; stop(): Promise<void> } {
  // Counted where an order's state is stored, once: a redelivered event finds it stored and counts nothing.
  const created = counter(metrics, { name: 'orders_created_total', help: 'Orders stored as placed.' });
  const confirmed = counter(metrics, { name: 'orders_confirmed_total', help: 'Orders stored as confirmed.' });
  const failed = counter(metrics, { name: 'orders_failed_total', help: 'Orders stored as failed, by reason.', labelNames: ['reason'] });
  const recorded = (input: Decoded, result: RecordResult) => {
    if (result === 'inserted') created.inc();
    if (result === 'completed' && input.type === 'completed') {
      if (input.completion.status === 'CONFIRMED') confirmed.inc();
      else failed.inc({ reason: input.completion.failureReason ?? 'UNSPECIFIED' });
    }
    const orderId = input.type === 'placed' ? input.placed.orderId : input.completion.orderId;
    log.info({ ...orderFields(orderId, input.correlationId), event: input.eventType, result }, 'order event recorded');
  };
  const hold = new PlacementHold<Decoded & { type: 'placed' }>(holdMs);
  const holdBack: HoldBack<Decoded> = {
    hold: (e) => e.type === 'placed' && hold.hold(e.placed.orderId, e, e.partition, e.offset),
    get: (orderId) => hold.get(orderId),
    release: (orderId) => hold.release(orderId),
  };
  // A partition's batches and the storing of its held orders take turns, so an
  // order's end never overtakes its placement being stored.
  const inTurn = turns<number>();

  const handleBatch = (messages: IncomingMessage[]) =>
    inTurn(messages[0]!.partition, async () => {
      // A refund (money going back) leaves the stored order, FAILED already, as it is.
      const inputs = messages.flatMap((m): Decoded[] => {
        const event = decodeEvent(events.v1.OrderEvent, m);
        if (event.refundRequested) return [];
        const { partition, offset } = m;
        return [{ ...toInput(event), partition, offset, correlationId: m.headers['x-correlation-id'] ?? event.eventId, eventType: m.headers['event-type'] }];
      });
      await recordOrderEvents(repo, changes, inputs, recorded, holdBack);
    });

  let timer: NodeJS.Timeout | undefined;
  let storing: Promise<void> | undefined;
  // In the partition's turn, so no batch ends an order while it is being
  // stored; held (uncommitted) until stored, else tried again at the next check.
  const storeDue = async () => {
    for (const partition of hold.duePartitions()) {
      await inTurn(partition, async () => {
        const due = hold.due(partition);
        await recordOrderEvents(repo, changes, due.map((held) => held.placed), recorded);
        for (const held of due) hold.release(held.orderId);
      }).catch((err: unknown) => log.warn({ err, partition }, 'storing held-back orders failed, will retry'));
    }
  };
  return {
    handleBatch,
    handle: (message) => handleBatch([message]),
    undurableFrom: (partition) => hold.earliest(partition),
    start() {
      if (holdMs <= 0) return;
      timer = setInterval(() => {
        storing ??= storeDue().finally(() => (storing = undefined));
      }, Math.max(1, Math.floor(holdMs / HOLD_CHECKS))).unref();
    },
    async stop() {
      clearInterval(timer);
      await storing;
    },
  };
}

/** An event as recorded, with where its message sits and what its log line names. */
type Decoded = OrderEventInput & { partition: number; offset: string; correlationId: string; eventType?: string };

/** Runs functions one after another per key, each after the previous one settled. */
function turns<K>() {
  const last = new Map<K, Promise<unknown>>();
  return <T>(key: K, fn: () => Promise<T>): Promise<T> => {
    const next = (last.get(key) ?? Promise.resolve()).then(fn);
    last.set(key, next.catch(() => undefined));
    return next;
  };
}

function toInput(e: events.v1.OrderEvent): OrderEventInput {
  const at = e.occurredAt ?? new Date();
  if (e.orderPlaced) {
    const p = e.orderPlaced;
    if (!p.customer || !p.total) throw invalid(`OrderPlaced ${e.eventId} without customer or total`);
    const lines = p.lines.map((l) => {
      if (!l.unitPrice) throw invalid(`OrderPlaced ${e.eventId}: line without unit_price`);
      return { ...l, unitPrice: l.unitPrice };
    });
    return {
      type: 'placed',
      placed: { eventId: e.eventId, orderId: e.orderId, customer: p.customer, lines, total: p.total, createdAt: p.createdAt ?? at, at },
    };
  }
  if (e.orderConfirmed) {
    const confirmed = { eventId: e.eventId, orderId: e.orderId, status: 'CONFIRMED' as const, paymentId: e.orderConfirmed.paymentId, at };
    return { type: 'completed', completion: confirmed };
  }
  if (e.orderFailed) {
    const f = e.orderFailed;
    return {
      type: 'completed',
      completion: {
        eventId: e.eventId,
        orderId: e.orderId,
        status: 'FAILED',
        paymentId: f.paymentId || undefined,
        failureReason: reasonFromWire(f.reason),
        failureMessage: f.message,
        at,
      },
    };
  }
  throw invalid(`order event ${e.eventId} has no payload this version knows`);
}
