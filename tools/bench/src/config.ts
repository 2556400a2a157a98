import { int, list, mongodb, num, parseConfig, postgres, str } from '@order-system/config';
import { launchConfig } from '@order-system/launcher';
import { toolEnv } from '@order-system/local-stack';

/**
 * Where the infrastructure is and how to run the services: the services' own
 * variables with the same local defaults. The only reader of process.env.
 */
export function benchConfig(env: NodeJS.ProcessEnv = toolEnv('bench', process.env)) {
  return parseConfig(env, {
    /** POSTGRES_DB and MONGODB_DB name the databases of an external system (--target external). */
    ...postgres,
    /** The role that owns inventory's schema: the owner of the bench's databases. */
    postgresMigrationUser: str('POSTGRES_MIGRATION_USER', 'postgres'),
    /** Kafka as an administrator: topics and ACLs of the run. */
    kafkaUsername: str('KAFKA_USERNAME', ''),
    kafkaPassword: str('KAFKA_PASSWORD', ''),
    tlsCaFile: str('TLS_CA_FILE', ''),
    ...mongodb,
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    /** Where an external system answers (--target external). */
    gatewayAddr: str('GATEWAY_ADDR', 'localhost:50051'),
    /** The key that signs the external system's tokens (default: the local stack's, .infra/auth). */
    authKeyFile: str('BENCH_AUTH_KEY_FILE', ''),
    /** The external services' metrics (progress without scanning MongoDB, stage times, consumer lag); empty to do without. */
    gatewayMetricsUrl: str('GATEWAY_METRICS_URL', 'http://localhost:8081/metrics'),
    inventoryMetricsUrl: str('INVENTORY_METRICS_URL', 'http://localhost:8082/metrics'),
    paymentMetricsUrl: str('PAYMENT_METRICS_URL', 'http://localhost:8083/metrics'),
    orderStoreMetricsUrl: str('ORDER_STORE_METRICS_URL', 'http://localhost:8084/metrics'),
    /** Passed to the spawned payment service. */
    paymentFailureRate: num('PAYMENT_FAILURE_RATE', 0.2, 0, 1),
    /** Passed to the spawned services. */
    serviceLogLevel: str('BENCH_SERVICE_LOG_LEVEL', 'warn'),
    /** Inventory's pool, and pgbench's client count. */
    postgresPoolSize: int('POSTGRES_POOL_SIZE', 20, 1, 500),
    pgbench: str('PGBENCH', ''),
    startTimeoutMs: int('BENCH_START_TIMEOUT_MS', 60_000, 1000),
    ...launchConfig,
  });
}

export type BenchConfig = ReturnType<typeof benchConfig>;
