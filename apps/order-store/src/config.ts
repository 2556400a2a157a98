import { common, KAFKA_CREDENTIALS, TLS_VARIABLES, int, kafka, mongodb, parseConfig, port, str } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    ...kafka,
    grpcPort: port('GRPC_PORT', 50054),
    /** /metrics, /healthz, /readyz. */
    adminPort: port('ADMIN_PORT', 8084),
    ...mongodb,
    kafkaGroupId: str('KAFKA_GROUP_ID', 'order-store'),
    watchPollMs: int('WATCH_POLL_MS', 500, 50, 60_000),
    /** How long a new order may wait for its end before it is stored as PENDING (0: stored at once). */
    pendingHoldMs: int('PENDING_HOLD_MS', 1000, 0, 60_000),
  }, { requiredInProduction: [...TLS_VARIABLES, ...KAFKA_CREDENTIALS, 'MONGODB_URI'] });
}

export type Config = ReturnType<typeof loadConfig>;
