import type { BaseOptions } from '@platformatic/kafka';
import type { KafkaOptions } from '../backend.js';

export type Platformatic = typeof import('@platformatic/kafka');

let loaded: Promise<Platformatic> | undefined;

/**
 * @platformatic/kafka, imported on first use: with the default kafkajs client
 * it is never evaluated, so it costs nothing and cannot break start-up. (It
 * does not load from a CommonJS bundle as is: it reads import.meta.url at
 * load time, and @platformatic/wasm-utils reads its .wasm file next to it.)
 */
export function platformatic(): Promise<Platformatic> {
  loaded ??= import('@platformatic/kafka').catch((err: Error) => {
    loaded = undefined;
    throw new Error(`@platformatic/kafka failed to load: ${err.message}`, { cause: err });
  });
  return loaded;
}

/** Connection and retry options shared by admin, producer and consumer: those of the kafkajs client. */
export function baseOptions(opts: KafkaOptions): BaseOptions {
  return {
    clientId: opts.clientId,
    bootstrapBrokers: opts.brokers,
    connectTimeout: 3000,
    retries: 8,
    // 200 ms doubling up to 5 s, as kafkajs' retry { initialRetryTime: 200, maxRetryTime: 5000 }
    retryDelay: (_client, _operation, attempt) => Math.min(200 * 2 ** (attempt - 1), 5000),
  };
}
