import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Defaults to stdout; tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/**
 * The one root logger of a process: JSON to stdout, carrying `service`.
 * Customer e-mails and credentials are redacted wherever they appear.
 */
export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
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

/** A child logger for one order, carrying its id and the request's correlation id. */
export function orderLogger(log: Logger, orderId: string, correlationId?: string): Logger {
  return log.child(correlationId ? { order_id: orderId, correlation_id: correlationId } : { order_id: orderId });
}
