import { int, list, parseConfig, port, str } from '@order-system/config';
import { DEFAULT_PORTS, launchConfig } from '@order-system/launcher';

/** What the operator commands need to know: the same variables and defaults as the services. */
export function opsConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    postgresHost: str('POSTGRES_HOST', '127.0.0.1'),
    postgresPort: port('POSTGRES_PORT', 5432),
    postgresDb: str('POSTGRES_DB', 'ecommerce_inventory'),
    mongoPort: port('MONGO_PORT', 27017),
    mongodbDb: str('MONGODB_DB', 'ecommerce_orders'),
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    kafkaTopicPrefix: str('KAFKA_TOPIC_PREFIX', ''),
    startTimeoutMs: int('START_TIMEOUT_MS', 60_000, 1000),
    ...launchConfig,
  });
}

export type OpsConfig = ReturnType<typeof opsConfig>;

export const ports = DEFAULT_PORTS;
