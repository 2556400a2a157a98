import { common, int, kafka, parseConfig, port, postgres, str } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    ...kafka,
    grpcPort: port('GRPC_PORT', 50052),
    /** /metrics, /healthz, /readyz. */
    adminPort: port('ADMIN_PORT', 8082),
    ...postgres,
    postgresPoolSize: int('POSTGRES_POOL_SIZE', 20, 1, 500),
    reservationTtlMs: int('RESERVATION_TTL_MS', 300_000, 1000),
    kafkaGroupId: str('KAFKA_GROUP_ID', 'inventory'),
  });
}

export type Config = ReturnType<typeof loadConfig>;
