import { EventEmitter } from 'node:events';

/**
 * Tells watchers in this process that an order changed. Watchers also poll,
 * so a change applied by another instance is seen too.
 */
export class OrderChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(orderId: string): void {
    this.emitter.emit(orderId);
  }

  /** Resolves on the next change of orderId, after ms, or on abort. */
  next(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(orderId, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(orderId, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
