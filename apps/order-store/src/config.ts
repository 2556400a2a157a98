import { common, kafka, int, parseConfig, port, str } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    ...kafka,
    grpcPort: port('GRPC_PORT', 50054),
    httpPort: port('HTTP_PORT', 8084),
    mongodbUri: str('MONGODB_URI', 'mongodb://localhost:27017/?retryWrites=false'),
    mongodbDb: str('MONGODB_DB', 'ecommerce_orders'),
    kafkaGroupId: str('KAFKA_GROUP_ID', 'order-store'),
    watchPollMs: int('WATCH_POLL_MS', 500, 50, 60_000),
  });
}

export type Config = ReturnType<typeof loadConfig>;
