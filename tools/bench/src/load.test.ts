import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceClient } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import { describe, expect, it } from 'vitest';
import { LoadStats, runLoad } from './load.js';
import type { NextOrder } from './workload.js';

/** A gateway that answers each call after the delay `answer` gives, in ms. */
function gateway(answer: (orderId: string) => number) {
  return {
    createOrder: async (req: orders.v1.CreateOrderRequest) => {
      await sleep(answer(req.orderId));
      return {};
    },
  } as unknown as ServiceClient<typeof orders.v1.OrderServiceService>;
}

/** Orders o-1, o-2, …; o-11, o-21, … are not sent: those calls re-send the order before them. */
function mix() {
  let n = 0;
  return {
    next(): NextOrder {
      n++;
      const duplicate = n % 10 === 1 && n > 1;
      return { request: { orderId: `o-${duplicate ? n - 1 : n}` } as orders.v1.CreateOrderRequest, duplicate, scarce: false };
    },
  };
}

const run = async (client: ServiceClient<typeof orders.v1.OrderServiceService>, warmupS: number) => {
  const stats = { warmup: new LoadStats(), measured: new LoadStats() };
  let measuringAt = 0;
  await runLoad(client, mix(), stats, {
    mode: { kind: 'open', rate: 200 },
    warmupS,
    durationS: 0.5,
    timeoutMs: 1000,
    maxInFlight: 1000,
    signal: new AbortController().signal,
    onMeasuring: () => (measuringAt = Date.now()),
  });
  return { ...stats, measuringAt };
};

describe('runLoad', () => {
  it('keeps the warm-up out of the measured figures, at the same load', async () => {
    const started = Date.now();
    // Slow answers for the first 300 ms: a cold system.
    const { warmup, measured, measuringAt } = await run(gateway(() => (Date.now() - started < 300 ? 300 : 1)), 0.3);

    expect(warmup.sent).toBe(60);
    expect(measured.sent).toBe(100);
    expect(measuringAt - started).toBeGreaterThanOrEqual(290);
    expect(warmup.createLatency.getValueAtPercentile(50)).toBeGreaterThanOrEqual(290_000); // timers may fire a little early
    expect(measured.createLatency.getValueAtPercentile(99)).toBeLessThan(200_000);
    expect(measured.startedAt).toBe(warmup.endedAt);
  });

  it('counts an order once, in the phase that first had it accepted', async () => {
    const { warmup, measured } = await run(gateway(() => 1), 0.3);
    const all = [...warmup.acceptedAt.keys(), ...measured.acceptedAt.keys()];

    expect(new Set(all).size).toBe(all.length);
    expect(warmup.accepted + measured.accepted).toBe(145); // 160 sent, 15 of them re-sends
    // The 61st call, the first measured, re-sends o-60, the warm-up's last.
    expect(warmup.acceptedAt.has('o-60')).toBe(true);
    expect(measured.acceptedAt.has('o-60')).toBe(false);
  });

  it('times the duplicates apart as well as among all calls', async () => {
    // o-10, o-20, … answer in 40 ms, and so do their re-sends; the other orders at once.
    const { measured } = await run(gateway((id) => (Number(id.slice(2)) % 10 === 0 ? 40 : 1)), 0);
    expect(measured.duplicateLatency.totalCount).toBe(measured.duplicatesSent);
    expect(measured.duplicatesSent).toBe(9); // calls 11, 21, … 91
    // Node's timers may fire up to a millisecond early against performance.now().
    expect(measured.duplicateLatency.getValueAtPercentile(50)).toBeGreaterThanOrEqual(35_000);
    expect(measured.createLatency.totalCount).toBe(100);
    expect(measured.createLatency.getValueAtPercentile(50)).toBeLessThan(20_000);
    // The first placements: o-10, o-20, … among them, one call in ten.
    expect(measured.firstLatency.totalCount).toBe(91);
    expect(measured.firstLatency.getValueAtPercentile(85)).toBeLessThan(20_000);
    expect(measured.firstLatency.getValueAtPercentile(95)).toBeGreaterThanOrEqual(35_000);
  });

  it("records how late each call went out, the bench's own delay, and counts it in the latency", async () => {
    // 100 ms in, the bench's event loop is held for 50 ms: the calls due meanwhile go out late.
    setTimeout(() => {
      const until = performance.now() + 50;
      while (performance.now() < until);
    }, 100);
    const { measured } = await run(gateway(() => 1), 0);

    expect(measured.sendLag.totalCount).toBe(100);
    expect(measured.sendLag.getValueAtPercentile(50)).toBeLessThan(5_000);
    expect(measured.sendLag.maxValue).toBeGreaterThanOrEqual(40_000);
    expect(measured.createLatency.maxValue).toBeGreaterThanOrEqual(measured.sendLag.maxValue);
  });

  it('measures from the first order without a warm-up', async () => {
    const { warmup, measured } = await run(gateway(() => 1), 0);
    expect(warmup.sent).toBe(0);
    expect(measured.sent).toBe(100);
  });
});
