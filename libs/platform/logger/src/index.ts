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
      formatters: { level: (label) => ({ level: label }) },
      mixin: (_obj, _level, logger) => {
        const correlationId = currentCorrelationId();
        return correlationId && !bindsCorrelation(logger) ? { correlation_id: correlationId } : {};
      },
      redact: {
        paths: [
          'email',
          '*.email',
          '*.*.email',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'paymentToken',
          '*.paymentToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
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
