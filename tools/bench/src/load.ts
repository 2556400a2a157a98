import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { AppError } from '@order-system/errors';
import type { ServiceClient } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import * as hdr from 'hdr-histogram-js';
import type { NextOrder, OrderMix } from './workload.js';

export type Mode = { kind: 'open'; rate: number } | { kind: 'closed'; concurrency: number };

const latencyHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

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
  readonly createLatency = latencyHistogram();
  /** The duplicates' share of createLatency: a replay also reads the order from the order-store. */
  readonly duplicateLatency = latencyHistogram();
  /** The rest of createLatency: first placements, which have only inventory to wait for. */
  readonly firstLatency = latencyHistogram();
  /**
   * Open loop: how late each call went out after its due time, the bench's own
   * delay (its event loop busy or its process waiting for a CPU). Latency
   * counts from the due time, so this is part of createLatency.
   */
  readonly sendLag = latencyHistogram();
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
  /** Sent first at the same load, into their own stats: freshly started services are still compiling and filling pools. */
  warmupS: number;
  durationS: number;
  timeoutMs: number;
  maxInFlight: number;
  signal: AbortSignal;
  /** Called when the measured window begins (after the warm-up). */
  onMeasuring?: () => void;
  /** Called when the last order is sent, before waiting for the answers. */
  onSent?: () => void;
}

/**
 * Sends orders for warmupS + durationS. Open loop: order i is due at start +
 * i/rate and is sent then whatever the answers so far (latency counts from
 * that due time, so a stalled system or a late client cannot hide queueing:
 * no coordinated omission). Closed loop: `concurrency` callers, each sending
 * its next order when the previous one answered. An order due (open) or sent
 * (closed) during the warm-up counts in `warmup`, later ones in `measured`; the
 * load does not pause in between. Resolves when every call has answered.
 */
export async function runLoad(
  client: Pick<ServiceClient<typeof orders.v1.OrderServiceService>, 'createOrder'>,
  mix: Pick<OrderMix, 'next'>,
  { warmup, measured }: { warmup: LoadStats; measured: LoadStats },
  opts: LoadOptions,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const measureFrom = start + opts.warmupS * 1000;
  const end = measureFrom + opts.durationS * 1000;
  const statsAt = (t: number) => (t < measureFrom ? warmup : measured);
  const inFlight = () => warmup.inFlight + measured.inFlight;
  warmup.startedAt = wallNow();
  const measuring = setTimeout(() => {
    warmup.endedAt = measured.startedAt = wallNow();
    opts.onMeasuring?.();
  }, opts.warmupS * 1000);

  const send = (order: NextOrder, dueAt: number): Promise<void> => {
    const stats = statsAt(dueAt);
    stats.sent++;
    if (order.duplicate) stats.duplicatesSent++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const call = client
      .createOrder(order.request, { timeoutMs: opts.timeoutMs })
      .then(
        () => {
          stats.ok++;
          // A duplicate's first answer may have come in the warm-up: the order counts there.
          const id = order.request.orderId;
          if (!warmup.acceptedAt.has(id) && !measured.acceptedAt.has(id)) stats.acceptedAt.set(id, wallNow());
        },
        (err: unknown) => {
          stats.failed++;
          stats.countError(errorKey(err, order));
        },
      )
      .finally(() => {
        stats.inFlight--;
        const us = Math.max(1, Math.round((performance.now() - dueAt) * 1000));
        stats.createLatency.recordValue(us);
        if (order.duplicate) stats.duplicateLatency.recordValue(us);
        else stats.firstLatency.recordValue(us);
        pending.delete(call);
      });
    pending.add(call);
    return call;
  };

  if (opts.mode.kind === 'open') {
    const interval = 1000 / opts.mode.rate;
    const total = Math.floor((opts.warmupS + opts.durationS) * opts.mode.rate);
    let i = 0;
    while (i < total && !opts.signal.aborted) {
      const now = performance.now();
      // Everything due by now goes out now, each timed from its own due time.
      for (; i < total && start + i * interval <= now; i++) {
        const dueAt = start + i * interval;
        if (inFlight() >= opts.maxInFlight) {
          statsAt(dueAt).skipped++;
          statsAt(dueAt).countError('client:max_in_flight');
          continue;
        }
        statsAt(dueAt).sendLag.recordValue(Math.max(1, Math.round((now - dueAt) * 1000)));
        void send(mix.next(), dueAt);
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
  clearTimeout(measuring);
  measured.endedAt = wallNow();
  if (!warmup.endedAt) warmup.endedAt = measured.startedAt = measured.endedAt;
  opts.onSent?.();
  await Promise.all(pending);
}
