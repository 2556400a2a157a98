import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The correlation id of the request or event being handled, carried through
 * every await by AsyncLocalStorage so each log line of it can name it. The
 * transport adapters enter it (gRPC and Connect handlers, REST routes, the
 * Kafka consumer per message); code inside never passes it around for logging.
 */
const current = new AsyncLocalStorage<string>();

/** Runs fn, and everything it awaits or schedules, with correlationId as the current one. */
export function withCorrelation<T>(correlationId: string, fn: () => T): T {
  return current.run(correlationId, fn);
}

/** The current correlation id, if a request or event is being handled. */
export function currentCorrelationId(): string | undefined {
  return current.getStore();
}
