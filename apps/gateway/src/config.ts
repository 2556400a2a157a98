import { common, int, parseConfig, port, str } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    grpcPort: port('GRPC_PORT', 50051),
    httpPort: port('HTTP_PORT', 8080),
    inventoryAddr: str('INVENTORY_ADDR', 'localhost:50052'),
    orderStoreAddr: str('ORDER_STORE_ADDR', 'localhost:50054'),
    rpcTimeoutMs: int('RPC_TIMEOUT_MS', 5000, 100, 60_000),
    maxBodyBytes: int('MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    /** CreateOrders being placed at once, over every transport; more are refused (UNAVAILABLE). */
    maxOrdersInFlight: int('MAX_ORDERS_IN_FLIGHT', 1000, 1, 1_000_000),
  });
}

export type Config = ReturnType<typeof loadConfig>;
