import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { AppError } from '@order-system/errors';
import type { ServiceClient } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import * as hdr from 'hdr-histogram-js';
import type { NextOrder, OrderMix } from './workload.js';

export type Mode = { kind: 'open'; rate: number } | { kind: 'closed'; concurrency: number };

/** What the send phase saw. Latencies are recorded in microseconds. */
export class LoadStats {
  sent = 0;
  duplicatesSent = 0;
  /** Successful CreateOrder answers, duplicates included. */
  ok = 0;
  failed = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Open loop: sends skipped because too many calls were unanswered. */
  skipped = 0;
  readonly errors = new Map<string, number>();
  readonly createLatency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  /** Each accepted order's first successful answer, as wall-clock ms (performance.timeOrigin based). */
  readonly acceptedAt = new Map<string, number>();
  startedAt = 0;
  endedAt = 0;

  get accepted() {
    return this.acceptedAt.size;
  }
  get errorCount() {
    return this.failed + this.skipped;
  }
  countError(key: string) {
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }
}

/** The gRPC code of a failed call, with the business reason where the code alone is ambiguous. */
export function errorKey(err: unknown, order: NextOrder): string {
  if (err instanceof AppError) {
    const cause = err.cause as { code?: number } | undefined;
    const code = typeof cause?.code === 'number' ? (status[cause.code] ?? String(cause.code)) : `kind:${err.kind}`;
    if (code === 'FAILED_PRECONDITION') {
      if (/stock|available/i.test(err.message)) return `${code}/insufficient_stock${order.scarce ? '' : '(regular product)'}`;
      if (/price/i.test(err.message)) return `${code}/price_mismatch`;
    }
    return code;
  }
  return `client:${(err as Error)?.name ?? 'unknown'}`;
}

const wallNow = () => performance.timeOrigin + performance.now();

export interface LoadOptions {
  mode: Mode;
  durationS: number;
  timeoutMs: number;
  maxInFlight: number;
  signal: AbortSignal;
  /** Called when the last order is sent, before waiting for the answers. */
  onSent?: () => void;
}

/**
 * Sends orders for durationS. Open loop: order i is due at start + i/rate and
 * is sent then whatever the answers so far (latency counts from that due time,
 * so a stalled system or a late client cannot hide queueing: no coordinated
 * omission). Closed loop: `concurrency` callers, each sending its next order
 * when the previous one answered. Resolves when every call has answered.
 */
export async function runLoad(
  client: ServiceClient<typeof orders.v1.OrderServiceService>,
  mix: OrderMix,
  stats: LoadStats,
  opts: LoadOptions,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  const send = (order: NextOrder, dueAt: number): Promise<void> => {
    stats.sent++;
    if (order.duplicate) stats.duplicatesSent++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const call = client
      .createOrder(order.request, { timeoutMs: opts.timeoutMs })
      .then(
        () => {
          stats.ok++;
          if (!stats.acceptedAt.has(order.request.orderId)) stats.acceptedAt.set(order.request.orderId, wallNow());
        },
        (err: unknown) => {
          stats.failed++;
          stats.countError(errorKey(err, order));
        },
      )
      .finally(() => {
        stats.inFlight--;
        stats.createLatency.recordValue(Math.max(1, Math.round((performance.now() - dueAt) * 1000)));
        pending.delete(call);
      });
    pending.add(call);
    return call;
  };

  const start = performance.now();
  const end = start + opts.durationS * 1000;
  stats.startedAt = wallNow();
  if (opts.mode.kind === 'open') {
    const interval = 1000 / opts.mode.rate;
    const total = Math.floor(opts.durationS * opts.mode.rate);
    let i = 0;
    while (i < total && !opts.signal.aborted) {
      const now = performance.now();
      // Everything due by now goes out now, each timed from its own due time.
      for (; i < total && start + i * interval <= now; i++) {
        if (stats.inFlight >= opts.maxInFlight) {
          stats.skipped++;
          stats.countError('client:max_in_flight');
          continue;
        }
        void send(mix.next(), start + i * interval);
      }
      if (i < total) await sleep(Math.max(0, start + i * interval - performance.now()));
    }
  } else {
    const caller = async () => {
      while (performance.now() < end && !opts.signal.aborted) {
        await send(mix.next(), performance.now());
      }
    };
    await Promise.all(Array.from({ length: opts.mode.concurrency }, caller));
  }
  stats.endedAt = wallNow();
  opts.onSent?.();
  await Promise.all(pending);
}
