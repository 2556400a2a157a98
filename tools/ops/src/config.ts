import { int, launch, list, parseConfig, port, str } from '@order-system/config';

/** What the operator commands need to know: the same variables and defaults as the services. */
export function opsConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    gatewayGrpcPort: port('GATEWAY_GRPC_PORT', 50051),
    gatewayHttpPort: port('GATEWAY_HTTP_PORT', 8080),
    inventoryGrpcPort: port('INVENTORY_GRPC_PORT', 50052),
    paymentGrpcPort: port('PAYMENT_GRPC_PORT', 50053),
    orderStoreGrpcPort: port('ORDER_STORE_GRPC_PORT', 50054),
    postgresHost: str('POSTGRES_HOST', '127.0.0.1'),
    postgresPort: port('POSTGRES_PORT', 5432),
    postgresUser: str('POSTGRES_USER', 'postgres'),
    postgresDb: str('POSTGRES_DB', 'ecommerce_inventory'),
    mongoPort: port('MONGO_PORT', 27017),
    mongodbDb: str('MONGODB_DB', 'ecommerce_orders'),
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    kafkaTopicPrefix: str('KAFKA_TOPIC_PREFIX', ''),
    startTimeoutMs: int('START_TIMEOUT_MS', 60_000, 1000),
    ...launch,
  });
}

export type OpsConfig = ReturnType<typeof opsConfig>;

/** The four services, how `npm start` runs them, and where they answer. */
export function services(cfg: OpsConfig) {
  return [
    { name: 'inventory', grpcPort: cfg.inventoryGrpcPort, env: { GRPC_PORT: String(cfg.inventoryGrpcPort) } },
    { name: 'payment', grpcPort: cfg.paymentGrpcPort, env: { GRPC_PORT: String(cfg.paymentGrpcPort) } },
    { name: 'order-store', grpcPort: cfg.orderStoreGrpcPort, env: { GRPC_PORT: String(cfg.orderStoreGrpcPort) } },
    {
      name: 'gateway',
      grpcPort: cfg.gatewayGrpcPort,
      env: {
        GRPC_PORT: String(cfg.gatewayGrpcPort),
        HTTP_PORT: String(cfg.gatewayHttpPort),
        INVENTORY_ADDR: `localhost:${cfg.inventoryGrpcPort}`,
        ORDER_STORE_ADDR: `localhost:${cfg.orderStoreGrpcPort}`,
      },
    },
  ] as const;
}

/** The inherited environment, for child processes. */
export const inheritedEnv = (): NodeJS.ProcessEnv => ({ ...process.env });
