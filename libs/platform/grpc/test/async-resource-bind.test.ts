import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bindAddsAccessor, installAsyncResourceBindFix } from '../src/async-resource-bind.js';

const nodeBind = AsyncResource.prototype.bind;
const node20 = process.versions.node.startsWith('20.');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;

/**
 * How much of the old generation 2,000 bound functions, each holding 8 KB
 * from `payload`, take once two scavenges have run. Each caller passes its
 * own `payload`: V8 allocates straight into the old generation at a site
 * whose objects it has seen survive.
 */
function promotedBytes(bind: typeof nodeBind, payload: () => number[]): number {
  const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
  gc();
  const before = oldSpace();
  for (let i = 0; i < 2000; i++) {
    const held = payload();
    bind.call(new AsyncResource('test'), () => held);
  }
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  return oldSpace() - before;
}

describe('installAsyncResourceBindFix', () => {
  it.runIf(node20)("finds Node 20's bind adding an accessor per function, whose garbage a scavenge keeps", () => {
    expect(bindAddsAccessor()).toBe(true);
    expect(promotedBytes(nodeBind, () => new Array<number>(1000).fill(1))).toBeGreaterThan(3_000_000);
  });

  it('binds without it, so a scavenge frees what the bound functions held', () => {
    installAsyncResourceBindFix();
    installAsyncResourceBindFix();
    expect(bindAddsAccessor()).toBe(false);
    expect(promotedBytes(AsyncResource.prototype.bind, () => new Array<number>(1000).fill(2))).toBeLessThan(1_000_000);
  });

  it("runs the function in the resource's async scope and context, with its this, arguments and result", () => {
    installAsyncResourceBindFix();
    const storage = new AsyncLocalStorage<string>();
    const resource = storage.run('placed', () => new AsyncResource('test'));
    const seen: unknown[] = [];
    const fn = function (this: unknown, a: number, b: number) {
      seen.push(this, executionAsyncId(), storage.getStore());
      return a + b;
    };
    const receiver = { name: 'receiver' };

    const bound = resource.bind(fn);
    expect(bound.length).toBe(2);
    expect(bound.call(receiver, 1, 2)).toBe(3);
    expect(seen).toEqual([receiver, resource.asyncId(), 'placed']);

    seen.length = 0;
    // Node's bind takes a thisArg too, which @types/node 20 leaves out.
    const bindTo = resource.bind as unknown as (this: AsyncResource, f: typeof fn, thisArg: unknown) => typeof fn;
    const boundTo = bindTo.call(resource, fn, receiver);
    expect(boundTo(2, 3)).toBe(5);
    expect(seen).toEqual([receiver, resource.asyncId(), 'placed']);
    expect(() => resource.bind(42 as never)).toThrow(TypeError);
  });
});
