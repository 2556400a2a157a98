import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { inOrderPerKey } from './in-order-per-key.js';

const items = Array.from({ length: 40 }, (_, n) => ({ key: `k${n % 4}`, n }));
const keyOf = (i: { key: string }) => i.key;

describe('inOrderPerKey', () => {
  it('keeps each key in order while keys run concurrently, up to the limit', async () => {
    const seen = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    await inOrderPerKey(items, keyOf, 3, async ({ key, n }) => {
      peak = Math.max(peak, ++running);
      await sleep(Math.random() * 3);
      seen.set(key, [...(seen.get(key) ?? []), n]);
      running--;
    });
    expect(peak).toBe(3);
    for (const [key, ns] of seen) expect(ns).toEqual(items.filter((i) => i.key === key).map((i) => i.n));
    expect([...seen.values()].flat()).toHaveLength(40);
  });

  it('rejects with the first error once every started call has finished, starting nothing more', async () => {
    const finished: number[] = [];
    const failed = inOrderPerKey(items, keyOf, 2, async ({ n }) => {
      if (n === 1) throw new Error('boom at 1');
      await sleep(5);
      finished.push(n);
    });
    await expect(failed).rejects.toThrow('boom at 1');
    const settled = [...finished];
    await sleep(20);
    expect(finished).toEqual(settled); // nothing ran on after the rejection
    expect(finished).toEqual([0]); // k0 finished the item in hand, then stopped; k2 never started
  });
});
