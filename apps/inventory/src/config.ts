import { common, int, kafka, KAFKA_CREDENTIALS, parseConfig, port, postgres, str, TLS_VARIABLES } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    ...kafka,
    grpcPort: port('GRPC_PORT', 50052),
    /** /metrics, /healthz, /readyz. */
    adminPort: port('ADMIN_PORT', 8082),
    ...postgres,
    /**
     * The role that owns the schema: with it, inventory applies its
     * migrations at start-up (as `inventory migrate` does), then runs as
     * POSTGRES_USER. Without it, it only checks they are applied.
     */
    postgresMigrationUser: str('POSTGRES_MIGRATION_USER', ''),
    postgresMigrationPassword: str('POSTGRES_MIGRATION_PASSWORD', ''),
    postgresPoolSize: int('POSTGRES_POOL_SIZE', 20, 1, 500),
    reservationTtlMs: int('RESERVATION_TTL_MS', 300_000, 1000),
    kafkaGroupId: str('KAFKA_GROUP_ID', 'inventory'),
  }, { requiredInProduction: [...TLS_VARIABLES, ...KAFKA_CREDENTIALS, 'POSTGRES_USER', 'POSTGRES_PASSWORD'] });
}

export type Config = ReturnType<typeof loadConfig>;
