import { int, parseConfig, port, str } from '@order-system/config';

export function reconcileConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    postgresHost: str('POSTGRES_HOST', 'localhost'),
    postgresPort: port('POSTGRES_PORT', 5432),
    postgresUser: str('POSTGRES_USER', 'postgres'),
    postgresPassword: str('POSTGRES_PASSWORD', 'postgres123'),
    postgresDb: str('POSTGRES_DB', 'ecommerce_inventory'),
    mongodbUri: str('MONGODB_URI', 'mongodb://localhost:27017/?retryWrites=false'),
    mongodbDb: str('MONGODB_DB', 'ecommerce_orders'),
    graceMs: int('RECONCILE_GRACE_MS', 10_000, 0),
  });
}
