import { AsyncResource } from 'node:async_hooks';

/**
 * The load generator's own fix for a Node 20 cost: `AsyncResource#bind` gives
 * every bound function an `asyncResource` accessor (deprecated, DEP0172) that
 * V8 keeps alive, with all it references, until a full collection. Node's
 * HTTP/2 client binds one per stream, so each gRPC call the bench makes is
 * promoted instead of dying young. Later Node dropped the accessor
 * (nodejs/node#58218); this is that `bind`. Only the bench installs it: it is
 * the one process that opens a client stream per order, and the CPU it spends
 * is taken from the system it measures (docs/performance.md, Method).
 */
export function installAsyncResourceBindFix(): void {
  if (!bindAddsAccessor()) return;
  AsyncResource.prototype.bind = function bind(this: AsyncResource, fn: Fn, thisArg?: unknown) {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const bound = thisArg === undefined ? inScopeOf(this, fn) : this.runInAsyncScope.bind(this, fn, thisArg);
    Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
    return bound;
  } as AsyncResource['bind'];
}

/** fn, called in resource's scope with the caller's `this`. */
function inScopeOf(resource: AsyncResource, fn: Fn): Fn {
  return function (this: unknown, ...args: unknown[]) {
    return resource.runInAsyncScope(fn, this, ...args);
  };
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** Whether this Node's `bind` gives each bound function an `asyncResource` accessor of its own. */
export function bindAddsAccessor(): boolean {
  return Object.getOwnPropertyDescriptor(new AsyncResource('probe').bind(() => {}), 'asyncResource') !== undefined;
}
