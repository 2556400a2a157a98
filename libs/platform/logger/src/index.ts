import { pino, type Logger, type DestinationStream } from 'pino';
import { currentCorrelationId } from './correlation.js';

export type { Logger } from 'pino';
export { currentCorrelationId, withCorrelation } from './correlation.js';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Defaults to stdout; tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/**
 * The one root logger of a process: JSON to stdout, carrying `service`, and
 * `correlation_id` on every line written while a request or event is handled
 * (see withCorrelation). Customer e-mails and credentials are redacted
 * wherever they appear.
 */
export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every logged object is redacted whole (redacted()); a child logger's bindings do
      // not pass through formatters, so their secret keys are redacted by name.
      formatters: { level: (label) => ({ level: label }), log: (object) => redacted(object) as Record<string, unknown> },
      redact: {
        paths: ['authorization', 'Authorization', 'password', 'paymentToken', 'payment_token', 'email'],
        censor: CENSOR,
      },
      mixin: (_obj, _level, logger) => {
        const correlationId = currentCorrelationId();
        return correlationId && !bindsCorrelation(logger) ? { correlation_id: correlationId } : {};
      },
    },
    destination,
  );
}

/**
 * Keys whose values never reach a log, at any depth and in any case:
 * credentials (authorization, passwords, payment tokens) and customer e-mails.
 */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|password|secret|payment[-_]?token|e-?mail)$/i;
const CENSOR = '[redacted]';

/** The value with every secret key's value censored; objects are copied where they change, never mutated. */
export function redacted(value: unknown, depth = 0): unknown {
  if (depth > 8 || typeof value !== 'object' || value === null || value instanceof Error) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => redacted(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, inner] of Object.entries(value)) {
    const next = SECRET_KEY.test(key) ? CENSOR : redacted(inner, depth + 1);
    if (next === inner) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    copy[key] = next;
  }
  return copy ?? value;
}

/** A destination that keeps every line, parsed: for tests that read what was logged. */
export function memoryDestination(): DestinationStream & { lines: string[]; entries(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line), entries: () => lines.map((l) => JSON.parse(l)) };
}

/** Whether a (child) logger binds correlation_id itself: then the bound one stands alone. */
const bindsCorrelationCache = new WeakMap<object, boolean>();
function bindsCorrelation(logger: Logger): boolean {
  let binds = bindsCorrelationCache.get(logger);
  if (binds === undefined) {
    binds = 'correlation_id' in logger.bindings();
    bindsCorrelationCache.set(logger, binds);
  }
  return binds;
}

/** The fields that name an order on a log line: its id and the request's correlation id. */
export function orderFields(orderId: string, correlationId?: string): { order_id: string; correlation_id?: string } {
  return correlationId ? { order_id: orderId, correlation_id: correlationId } : { order_id: orderId };
}

/**
 * A child logger for one order, carrying orderFields. For one line per event,
 * log orderFields instead: a child costs its creation even when the line's
 * level is off.
 */
export function orderLogger(log: Logger, orderId: string, correlationId?: string): Logger {
  return log.child(orderFields(orderId, correlationId));
}
