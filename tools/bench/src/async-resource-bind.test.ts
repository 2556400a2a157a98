import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { bindAddsAccessor, installAsyncResourceBindFix } from './async-resource-bind.js';

describe('installAsyncResourceBindFix', () => {
  it('leaves bound functions without the accessor, still running in the resource’s scope with the caller’s this and arguments', () => {
    installAsyncResourceBindFix();
    expect(bindAddsAccessor()).toBe(false);

    const store = new AsyncLocalStorage<string>();
    const resource = store.run('bound here', () => new AsyncResource('test'));
    function probe(this: unknown, a: number, b: number) {
      return { scope: store.getStore(), self: this, sum: a + b };
    }
    const bound = resource.bind(probe);
    expect(bound.length).toBe(2);
    const self = { name: 'caller' };
    expect(store.run('caller scope', () => bound.call(self, 1, 2))).toEqual({ scope: 'bound here', self, sum: 3 });
    const withThis = (resource.bind as (fn: typeof probe, thisArg: unknown) => typeof probe)(probe, 'fixed');
    expect(withThis(2, 3)).toEqual({ scope: 'bound here', self: 'fixed', sum: 5 });
    expect(() => resource.bind(42 as unknown as () => void)).toThrow(TypeError);
  });
});
