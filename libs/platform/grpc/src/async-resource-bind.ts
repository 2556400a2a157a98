import { AsyncResource } from 'node:async_hooks';

/**
 * Node 20's `AsyncResource#bind` gives every bound function an
 * `asyncResource` accessor (deprecated, DEP0172): a getter and a setter made
 * for that function, each wrapped with `util.deprecate`, which makes the
 * fresh closure the prototype of its wrapper. V8 keeps such per-function
 * accessors and prototypes, and all they reference, alive until the next
 * full collection: young-generation collections do not free them.
 *
 * Node's HTTP/2 client binds one such function per stream
 * (`ClientHttp2Session#request`), so every gRPC call a process made outlived
 * the scavenges and was promoted, to be freed by a mark-compact: 31-37 % of
 * what a call allocated, in a grpc-js or bare `node:http2` client at 300
 * calls/s, against 2-3 % without the accessor.
 *
 * This gives Node 20 the `bind` of later Node, where the property is gone
 * (nodejs/node#58218, #58618): the same bound function without the accessor.
 * Nothing in this repository or its dependencies reads it. It changes
 * nothing on a Node whose `bind` adds no accessor. Idempotent.
 */
export function installAsyncResourceBindFix(): void {
  const proto = AsyncResource.prototype as AsyncResource & { [patched]?: true };
  if (proto[patched] || !bindAddsAccessor()) return;
  proto.bind = bind as unknown as AsyncResource['bind'];
  proto[patched] = true;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** Node 20's AsyncResource#bind, less the accessor. */
function bind(this: AsyncResource, fn: Fn, thisArg?: unknown): Fn {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  const bound = thisArg === undefined ? inScopeOf(this, fn) : this.runInAsyncScope.bind(this, fn, thisArg);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  return bound;
}

/** fn, called in resource's scope with the caller's `this`. */
function inScopeOf(resource: AsyncResource, fn: Fn): Fn {
  return function (this: unknown, ...args: unknown[]) {
    return resource.runInAsyncScope(fn, this, ...args);
  };
}

const patched = Symbol('asyncResourceBindFix');

/** Whether this Node's `bind` gives each bound function an `asyncResource` accessor of its own. */
export function bindAddsAccessor(): boolean {
  return Object.getOwnPropertyDescriptor(new AsyncResource('probe').bind(() => {}), 'asyncResource') !== undefined;
}
